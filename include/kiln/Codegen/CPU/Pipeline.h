//===- Pipeline.h - CPU lowering pipeline to the LLVM dialect ---*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The CPU code generation pipeline: it takes a module whose functions compute
// on static-shaped ranked tensors with upstream dialects (linalg, tensor,
// arith, math, scf, affine, bufferization, func) and lowers it to the LLVM
// dialect. Tensor results become caller-allocated out-params, so a function
//   func.func @f(%a: tensor<..>) -> (tensor<..>, tensor<..>)
// becomes, after the pipeline, the equivalent of
//   @f(%a: memref<..>, %out0: memref<..>, %out1: memref<..>) -> ()
// and buffers the code allocates internally are freed before it returns.
//
// F32 matmuls become packed, tiled, vectorized GEMM kernels whose thread
// tiles run on OpenMP (kiln-cpu-matmul-kernels); other linalg ops become
// scalar loops late in the pipeline.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_CPU_PIPELINE_H
#define KILN_CODEGEN_CPU_PIPELINE_H

#include <cstdint>

namespace mlir {
class DialectRegistry;
class OpPassManager;
class TimingScope;
} // namespace mlir

namespace kiln {
namespace cpu {

/// Knobs of the CPU pipeline (and of the JIT that runs its output).
struct CPUPipelineOptions {
  /// Where the lowering's pass timing goes (MLIR's timing, e.g. kiln-run
  /// --timing); null: not timed.
  mlir::TimingScope *timing = nullptr;
  /// Fuse producer/consumer elementwise linalg ops on tensors before
  /// bufferization (`kiln-cpu-fuse-elementwise`), and a matmul's
  /// elementwise reader into its GEMM kernel (`kiln-cpu-matmul-kernels`'
  /// `fuse-epilogues`): false means no fusion at all.
  bool fuseElementwise = true;
  /// Compute each kiln-fuse reduction group (softmax, layer norm, batch-norm
  /// statistics with their epilogues) as one threaded loop over tiles of
  /// rows (`kiln-cpu-tile-fusion-groups`); with fuseElementwise and
  /// vectorize only.
  bool tileFusionGroups = true;
  /// Request `_mlir_ciface_<name>` wrappers (memref descriptors passed by
  /// pointer) for every function of the module (`llvm-request-c-wrappers`).
  /// The JitExecutor requests one for its entry regardless of this flag.
  bool emitCInterface = true;
  /// Place the transient buffers of each function in one arena by liveness
  /// after bufferization (`kiln-plan-memory`); the functions then carry the
  /// planned arena size as `kiln.arena_bytes`.
  bool planMemory = true;
  /// Turn f32 convolutions into GEMMs (`kiln-cpu-conv-to-gemm`) and f32
  /// matmuls and batch matmuls into packed, tiled, vectorized and
  /// multithreaded GEMM kernels (`kiln-cpu-matmul-kernels`); their thread
  /// tiles run on OpenMP (the JIT loads libomp).
  bool matmulKernels = true;
  /// Thread and vectorize the other linalg ops (`kiln-cpu-vectorize`).
  bool vectorize = true;
  /// Compute the matmuls marked `kiln.sparse_weight` with MLIR's sparse
  /// compiler: their weight converted to CSR in the code
  /// (`kiln-cpu-sparse-weights`), and modules that then hold sparse
  /// tensors bufferized by `sparsification-and-bufferization`
  /// (`kiln-cpu-bufferize`; modules without them bufferize as before).
  bool sparseWeights = true;
  /// Threads of the matmul kernels and vectorized loops (0: the host's
  /// cores).
  int64_t numThreads = 0;
  /// The smallest contraction (2 x the product of its loop extents) that
  /// becomes a GEMM kernel: convolutions (`kiln-cpu-conv-to-gemm`) and
  /// matmuls alike. Smaller ones stay scalar loops.
  int64_t kernelMinFlops = 65536;
  /// Lower memref allocation and deallocation to calls of
  /// `_mlir_memref_to_llvm_aligned_alloc` / `_mlir_memref_to_llvm_free`
  /// (`finalize-memref-to-llvm{use-generic-functions use-aligned-alloc}`)
  /// instead of `malloc`/`free`. The JitExecutor always sets it and binds
  /// those names to its counting allocator (AllocationTracking.h); other
  /// users must define them.
  bool trackAllocations = false;
  /// LLVM optimization level (0-3) the JIT uses for the IR optimizer and the
  /// code generator. Not used by the pass pipeline itself.
  unsigned llvmOptLevel = 3;
};

/// Whether a pipeline with `opts` runs kiln-cpu-tile-fusion-groups, which
/// needs the fusion groups' marks (convert-kiln-to-linalg's
/// mark-fusion-groups).
inline bool tilesFusionGroups(const CPUPipelineOptions &opts) {
  return opts.fuseElementwise && opts.vectorize && opts.tileFusionGroups;
}

/// Appends the passes that lower a tensor-level module to the LLVM dialect.
/// `pm` must be anchored on `builtin.module`.
void buildCPULoweringPipeline(mlir::OpPassManager &pm,
                              const CPUPipelineOptions &opts = {});

/// Appends the first stages of buildCPULoweringPipeline: tensor-level code
/// generation, bufferization and, with `opts.planMemory`, kiln-plan-memory,
/// which records each function's planned arena (`kiln.arena_bytes`).
void buildCPUPipelineThroughMemoryPlan(mlir::OpPassManager &pm,
                                       const CPUPipelineOptions &opts = {});

/// Adds to `registry` the dialects and external interface models that the
/// pipeline needs (bufferization and deallocation models of arith, linalg,
/// tensor, scf, cf, func and memref) and the LLVM IR translations of the
/// builtin and llvm dialects. Append it to a context before running the
/// pipeline or translating its output.
void registerCPUPipelineDependencies(mlir::DialectRegistry &registry);

/// Registers the named pipelines `kiln-cpu-lower-to-llvm` and
/// `kiln-cpu-lower-to-memory-plan` (its first stages; kiln-remat measures
/// planned arenas with it), both with the options `fuse-elementwise`,
/// `emit-c-interface`, `plan-memory`, `matmul-kernels`, `num-threads`,
/// `kernel-min-flops`, `vectorize`. Idempotent.
void registerCPUPipelines();

} // namespace cpu
} // namespace kiln

#endif // KILN_CODEGEN_CPU_PIPELINE_H
