//===- Pipeline.cpp - CPU lowering pipeline to the LLVM dialect -----------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Builds the pass pipeline that takes tensor-level linalg/tensor/arith/math
// IR to the LLVM dialect, in four stages:
//   1. tensor-level clean-up and elementwise fusion (linalg stays linalg);
//   2. one-shot bufferization across function boundaries, tensor results
//      turned into out-params, the function's static buffers placed in one
//      arena (kiln-plan-memory), deallocation of internal buffers;
//   3. loops: scf.forall (the matmul kernels' thread tiles) to OpenMP,
//      multi-dimensional vector transfers unrolled, the remaining linalg
//      ops to scalar loops;
//   4. conversion of everything left to the LLVM dialect (vector contracts
//      as outer products, i.e. FMAs; OpenMP to runtime calls).
// Before bufferization, kiln-cpu-conv-to-gemm (ConvToGemm.cpp) turns
// convolutions and their gradients into im2col + matmul, and
// kiln-cpu-matmul-kernels (MatmulKernels.cpp) packs, tiles and vectorizes
// the f32 matmuls. Matmuls whose weight is marked sparse
// (kiln-cpu-sparse-weights, SparseWeights.cpp) are left to MLIR's sparse
// compiler, which kiln-cpu-bufferize (SparseBufferize.cpp) runs in place of
// the plain one-shot bufferization when a module has sparse tensors.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/CPU/Pipeline.h"

#include "kiln/Conversion/Passes.h"
#include "kiln/Passes/Passes.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/BufferizationToMemRef/BufferizationToMemRef.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/IndexToLLVM/IndexToLLVM.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MathToLibm/MathToLibm.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/OpenMPToLLVM/ConvertOpenMPToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/SCFToOpenMP/SCFToOpenMP.h"
#include "mlir/Conversion/UBToLLVM/UBToLLVM.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVMPass.h"
#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/Transforms/RequestCWrappers.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Dialect/Vector/Transforms/Passes.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

namespace kiln {
namespace cpu {

void buildCPUPipelineThroughMemoryPlan(OpPassManager &pm,
                                       const CPUPipelineOptions &opts) {
  // --- 1. Tensor level. ---------------------------------------------------
  // kiln-fuse's reduction groups (softmax, layer norm, batch-norm
  // statistics with their epilogues) as one threaded loop over row tiles;
  // first, while the ops still carry their group's mark (fusion rebuilds
  // ops without it).
  if (tilesFusionGroups(opts)) {
    kiln::KilnCPUTileFusionGroupsOptions groupOpts;
    groupOpts.numThreads = opts.numThreads;
    pm.addNestedPass<func::FuncOp>(
        kiln::createKilnCPUTileFusionGroups(groupOpts));
  }
  if (opts.fuseElementwise)
    pm.addNestedPass<func::FuncOp>(kiln::createKilnCPUFuseElementwise());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  // CSE merges equal tensor.empty destinations, which would make unrelated
  // ops share one long-lived buffer; give each op its own (or a dying input).
  pm.addNestedPass<func::FuncOp>(kiln::createKilnAssignDestinations());
  // Matmuls marked kiln.sparse_weight: their weight converted to a sparse
  // encoding, the product left to the sparse compiler (kiln-cpu-bufferize).
  if (opts.sparseWeights) {
    kiln::KilnCPUSparseWeightsOptions sparseOpts;
    sparseOpts.numThreads = opts.numThreads;
    pm.addNestedPass<func::FuncOp>(
        kiln::createKilnCPUSparseWeights(sparseOpts));
  }
  // Masks between ops as bytes, which vectorize (i1 vectors are bits);
  // before the GEMM kernels, so that a mask read by a kernel's fused
  // epilogue is a byte too.
  if (opts.vectorize)
    pm.addNestedPass<func::FuncOp>(kiln::createKilnCPUByteMasks());
  // GEMM kernels: packed, tiled for threads/caches/registers, vectorized.
  if (opts.matmulKernels) {
    // Convolutions and their gradients become GEMMs first (im2col).
    kiln::KilnCPUConvToGemmOptions convOpts;
    convOpts.minFlops = opts.kernelMinFlops;
    convOpts.numThreads = opts.numThreads;
    convOpts.fuseEpilogues = opts.fuseElementwise;
    pm.addNestedPass<func::FuncOp>(kiln::createKilnCPUConvToGemm(convOpts));
    kiln::KilnCPUMatmulKernelsOptions kernelOpts;
    kernelOpts.numThreads = opts.numThreads;
    kernelOpts.minFlops = opts.kernelMinFlops;
    kernelOpts.fuseEpilogues = opts.fuseElementwise;
    pm.addNestedPass<func::FuncOp>(
        kiln::createKilnCPUMatmulKernels(kernelOpts));
  }
  // Everything else: threaded, vectorized loops.
  if (opts.vectorize) {
    kiln::KilnCPUVectorizeOptions vectorOpts;
    vectorOpts.numThreads = opts.numThreads;
    pm.addNestedPass<func::FuncOp>(kiln::createKilnCPUVectorize(vectorOpts));
  }

  // --- 2. Bufferization. --------------------------------------------------
  // Function boundaries get identity layouts so the C interface sees plain
  // dense row-major descriptors; results that alias an argument or a
  // constant come out as copies into the out-params.
  // With sparse weights, kiln-cpu-bufferize runs this same bufferization on
  // modules without sparse tensors and the sparse compiler's
  // sparsification-and-bufferization on the others.
  if (opts.sparseWeights) {
    kiln::KilnCPUBufferizeOptions sparseOpts;
    sparseOpts.parallelize = opts.numThreads != 1;
    pm.addPass(kiln::createKilnCPUBufferize(sparseOpts));
  } else {
    bufferization::OneShotBufferizePassOptions bufferizeOpts;
    bufferizeOpts.bufferizeFunctionBoundaries = true;
    bufferizeOpts.functionBoundaryTypeConversion =
        bufferization::LayoutMapOption::IdentityLayoutMap;
    pm.addPass(bufferization::createOneShotBufferizePass(bufferizeOpts));
  }
  // Tiled loops now yield their iter_args unchanged: their results are the
  // buffers they update, so that out-params and the arena see the
  // allocation itself.
  pm.addNestedPass<func::FuncOp>(kiln::createKilnCPUFoldLoopResults());
  // Returned reshapes of allocations (a GEMM's C viewed as [M, N/nr, nr]
  // and back) become the allocations, which out-params then replace.
  pm.addNestedPass<func::FuncOp>(kiln::createKilnCPUReturnAllocations());

  bufferization::BufferResultsToOutParamsPassOptions outParamOpts;
  outParamOpts.modifyPublicFunctions = true; // The entry is public.
  outParamOpts.hoistStaticAllocs = true;     // Write results in place.
  pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParamOpts));

  // One arena per function for the static top-level buffers, planned before
  // the deallocation pipeline, which then frees the arena like any buffer.
  // Static buffers allocated in a loop body (a tiled GEMM's packed panel,
  // a per-image im2col) move out of the loop first: one allocation instead
  // of one per iteration, and the arena can hold it.
  if (opts.planMemory) {
    pm.addNestedPass<func::FuncOp>(
        bufferization::createBufferLoopHoistingPass());
    kiln::KilnPlanMemoryOptions planOpts;
    planOpts.numThreads = opts.numThreads;
    pm.addNestedPass<func::FuncOp>(kiln::createKilnPlanMemory(planOpts));
  }
}

void buildCPULoweringPipeline(OpPassManager &pm,
                              const CPUPipelineOptions &opts) {
  buildCPUPipelineThroughMemoryPlan(pm, opts);

  // Before any libm declaration exists: a C wrapper on an external function
  // would redirect its calls to a missing `_mlir_ciface_` symbol.
  if (opts.emitCInterface)
    pm.addNestedPass<func::FuncOp>(LLVM::createLLVMRequestCWrappersPass());

  bufferization::buildBufferDeallocationPipeline(pm);
  pm.addPass(createConvertBufferizationToMemRefPass());

  // --- 3. Loops. ----------------------------------------------------------
  // Thread tiles become OpenMP worksharing loops; vector transfers of rank
  // > 1 become rank-1 ones (unrolled, the tiles are small and static); every
  // other linalg op becomes a scalar loop nest.
  pm.addPass(createForallToParallelLoopPass());
  ConvertSCFToOpenMPPassOptions ompOpts;
  ompOpts.numThreads = opts.numThreads;
  pm.addPass(createConvertSCFToOpenMPPass(ompOpts));
  pm.addNestedPass<func::FuncOp>(createConvertVectorToSCFPass(
      VectorTransferToSCFOptions().enableFullUnroll()));
  // Vector reductions (kiln-cpu-vectorize's innermost reductions) become
  // vector.reduction ops, which LLVM has.
  pm.addNestedPass<func::FuncOp>(vector::createLowerVectorMultiReductionPass(
      vector::VectorMultiReductionLowering::InnerReduction));
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());

  // --- 4. To the LLVM dialect. -------------------------------------------
  // f16/bf16 math functions are computed in f32. bf16 arithmetic is emulated
  // in f32 and its conversions expanded to integer ops, so the code needs no
  // bf16 runtime helpers (f16 conversions use libgcc's or F16C's).
  pm.addPass(math::createMathExtendToSupportedTypes());
  arith::ArithEmulateUnsupportedFloatsOptions emulateOpts;
  emulateOpts.sourceTypeStrs = {"bf16"};
  emulateOpts.targetTypeStr = "f32";
  pm.addPass(arith::createArithEmulateUnsupportedFloats(emulateOpts));
  arith::ArithExpandOpsPassOptions expandOpts;
  expandOpts.includeBf16 = true;
  pm.addPass(arith::createArithExpandOpsPass(expandOpts));
  // f8E4M3FN/f8E5M2 conversions (kiln-quantize's fp8, ONNX Cast) as
  // integer ops: neither LLVM nor MLIR's lowerings have them.
  pm.addNestedPass<func::FuncOp>(kiln::createKilnCPUExpandFloat8());

  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass()); // What LLVM has no intrinsic for.
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertIndexToLLVMPass());
  ConvertVectorToLLVMPassOptions vectorOpts;
  vectorOpts.vectorContractLowering = vector::VectorContractLowering::OuterProduct;
  vectorOpts.vectorTransposeLowering = vector::VectorTransposeLowering::Shuffle1D;
  pm.addPass(createConvertVectorToLLVMPass(vectorOpts));
  FinalizeMemRefToLLVMConversionPassOptions memrefOpts;
  memrefOpts.useGenericFunctions = opts.trackAllocations;
  memrefOpts.useAlignedAlloc = opts.trackAllocations;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefOpts));
  pm.addPass(createConvertOpenMPToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

void registerCPUPipelineDependencies(DialectRegistry &registry) {
  // Upstream dialects promise interfaces (bufferization, subset, value
  // bounds, ...) whose models live in separate extensions; a pass that
  // queries a promised but unregistered interface aborts. All extensions
  // are registered, so any upstream IR the pipeline meets is safe.
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerOpenMPDialectTranslation(registry);
}

namespace {
/// Command-line form of CPUPipelineOptions for the registered pipeline.
struct CPUPipelineCLOptions : public PassPipelineOptions<CPUPipelineCLOptions> {
  Option<bool> fuseElementwise{
      *this, "fuse-elementwise",
      llvm::cl::desc("Fuse elementwise linalg ops on tensors"),
      llvm::cl::init(true)};
  Option<bool> tileFusionGroups{
      *this, "tile-fusion-groups",
      llvm::cl::desc("Compute each reduction fusion group as one loop over "
                     "row tiles (kiln-cpu-tile-fusion-groups)"),
      llvm::cl::init(true)};
  Option<bool> emitCInterface{
      *this, "emit-c-interface",
      llvm::cl::desc("Emit _mlir_ciface_ wrappers for all functions"),
      llvm::cl::init(true)};
  Option<bool> planMemory{
      *this, "plan-memory",
      llvm::cl::desc("Place each function's static transient buffers in one "
                     "arena (kiln-plan-memory)"),
      llvm::cl::init(true)};
  Option<bool> matmulKernels{
      *this, "matmul-kernels",
      llvm::cl::desc("Pack, tile and vectorize f32 matmuls "
                     "(kiln-cpu-matmul-kernels)"),
      llvm::cl::init(true)};
  Option<int64_t> numThreads{
      *this, "num-threads",
      llvm::cl::desc("Threads for the matmul kernels (0: the host's cores)"),
      llvm::cl::init(0)};
  Option<bool> vectorize{
      *this, "vectorize",
      llvm::cl::desc("Thread and vectorize elementwise and reduction ops "
                     "(kiln-cpu-vectorize)"),
      llvm::cl::init(true)};
  Option<bool> sparseWeights{
      *this, "sparse-weights",
      llvm::cl::desc("Compute matmuls marked kiln.sparse_weight with the "
                     "sparse compiler (kiln-cpu-sparse-weights, "
                     "kiln-cpu-bufferize)"),
      llvm::cl::init(true)};
  Option<int64_t> kernelMinFlops{
      *this, "kernel-min-flops",
      llvm::cl::desc("Smallest convolution or matmul (2 x its loop extents) "
                     "turned into a GEMM kernel"),
      llvm::cl::init(65536)};

  CPUPipelineOptions options() const {
    CPUPipelineOptions opts;
    opts.fuseElementwise = fuseElementwise;
    opts.tileFusionGroups = tileFusionGroups;
    opts.emitCInterface = emitCInterface;
    opts.planMemory = planMemory;
    opts.matmulKernels = matmulKernels;
    opts.numThreads = numThreads;
    opts.kernelMinFlops = kernelMinFlops;
    opts.vectorize = vectorize;
    opts.sparseWeights = sparseWeights;
    return opts;
  }
};
} // namespace

void registerCPUPipelines() {
  // Registering a pipeline name twice is a fatal error: do it once.
  static const bool registered = [] {
    PassPipelineRegistration<CPUPipelineCLOptions>(
        "kiln-cpu-lower-to-llvm",
        "Lower linalg/tensor/arith/math on tensors to the LLVM dialect "
        "(bufferize, results to out-params, deallocate, loops, LLVM)",
        [](OpPassManager &pm, const CPUPipelineCLOptions &cl) {
          buildCPULoweringPipeline(pm, cl.options());
        });
    // What kiln-remat lowers a copy of a function with to measure its
    // planned arena.
    PassPipelineRegistration<CPUPipelineCLOptions>(
        "kiln-cpu-lower-to-memory-plan",
        "The first stages of kiln-cpu-lower-to-llvm: tensor-level code "
        "generation, bufferization and kiln-plan-memory (functions then "
        "carry kiln.arena_bytes)",
        [](OpPassManager &pm, const CPUPipelineCLOptions &cl) {
          buildCPUPipelineThroughMemoryPlan(pm, cl.options());
        });
    return true;
  }();
  (void)registered;
}

} // namespace cpu
} // namespace kiln
