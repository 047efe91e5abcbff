//===- Pipeline.cpp - CUDA lowering pipeline to NVVM and PTX --------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The CUDA pipeline (see the header). Every linalg op becomes one kernel:
// one of its parallel dimensions is split into blocks of threads
// (kiln-cuda-thread-tiles), the others map to the grid, its reduction
// dimensions stay loops inside a thread. The host code's buffers live in
// managed memory (kiln-cuda-host-shared-memory). That is correct code for
// every op the CPU path lowers, not fast code: shared memory, register
// tiles and tensor cores are later work.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/CUDA/Pipeline.h"

#include "kiln/Conversion/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Pipelines/Passes.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>

using namespace mlir;

namespace kiln {
namespace cuda {

namespace {

/// Makes the CUDA toolkit visible to MLIR's NVVM serializer, which links
/// libdevice (the `__nv_expf`-style math functions) from the toolkit named
/// by CUDA_ROOT, CUDA_HOME or CUDA_PATH: when none is set and `/usr/local/cuda`
/// has libdevice, CUDA_HOME points there. Without a toolkit, kernels that
/// call math functions keep unresolved `__nv_*` references, which ptxas and
/// the driver refuse.
void exposeCUDAToolkit() {
  for (const char *name : {"CUDA_ROOT", "CUDA_HOME", "CUDA_PATH"})
    if (std::getenv(name))
      return;
  if (llvm::sys::fs::exists("/usr/local/cuda/nvvm/libdevice/libdevice.10.bc"))
    ::setenv("CUDA_HOME", "/usr/local/cuda", /*overwrite=*/0);
}

} // namespace

void buildCUDAPipeline(OpPassManager &pm, const CUDAPipelineOptions &opts) {
  exposeCUDAToolkit();
  // Tensor level: fewer, larger elementwise ops.
  if (opts.fuseElementwise)
    pm.addNestedPass<func::FuncOp>(createLinalgElementwiseOpFusionPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  // Buffers with identity layouts at function boundaries; results written
  // into caller-provided buffers (the executor's managed memory), and every
  // internal buffer freed.
  bufferization::OneShotBufferizePassOptions bufferizeOpts;
  bufferizeOpts.bufferizeFunctionBoundaries = true;
  bufferizeOpts.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferizeOpts));
  bufferization::BufferResultsToOutParamsPassOptions outParamOpts;
  outParamOpts.modifyPublicFunctions = true;
  outParamOpts.hoistStaticAllocs = true;
  pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParamOpts));
  bufferization::buildBufferDeallocationPipeline(pm);
  pm.addPass(createConvertBufferizationToMemRefPass());
  // Loops onto the GPU: every linalg op (its parallel dimensions first, so
  // that its reductions run inside one kernel) a parallel loop, split into
  // blocks of threads, mapped (outer loop to the grid, inner to the
  // threads) and outlined as a kernel.
  pm.addNestedPass<func::FuncOp>(kiln::createKilnCUDAParallelDimsFirst());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToParallelLoopsPass());
  pm.addPass(createCanonicalizerPass());
  kiln::KilnCUDAThreadTilesOptions tileOpts;
  tileOpts.threads = opts.threadsPerBlock;
  // No canonicalization until the loops are mapped: it would merge the
  // tile loops back into one.
  pm.addNestedPass<func::FuncOp>(kiln::createKilnCUDAThreadTiles(tileOpts));
  pm.addNestedPass<func::FuncOp>(createGpuMapParallelLoopsPass());
  pm.addNestedPass<func::FuncOp>(createConvertParallelLoopToGpuPass());
  pm.addPass(createGpuKernelOutliningPass());
  pm.addPass(createCanonicalizerPass());
  // The host code's buffers in managed memory, which kernels can address.
  pm.addNestedPass<func::FuncOp>(kiln::createKilnCUDAHostSharedMemory());
  // Kernels to NVVM and PTX/cubin, host code to LLVM.
  gpu::GPUToNVVMPipelineOptions nvvm;
  nvvm.cubinChip = opts.chip;
  nvvm.cubinFeatures = opts.features;
  nvvm.cubinFormat = opts.format;
  gpu::buildLowerToNVVMPassPipeline(pm, nvvm);
}

llvm::Expected<cpu::LoweredEntry>
lowerEntryForCUDA(ModuleOp module, StringRef entry,
                  const CUDAPipelineOptions &options) {
  return cpu::lowerEntryForHost(
      module, entry,
      [&](OpPassManager &pm) { buildCUDAPipeline(pm, options); },
      "CUDA lowering pipeline");
}

namespace {
struct CUDAPipelineCLOptions
    : public PassPipelineOptions<CUDAPipelineCLOptions> {
  Option<std::string> chip{*this, "chip",
                           llvm::cl::desc("GPU architecture (sm_80, sm_90)"),
                           llvm::cl::init("sm_90")};
  Option<std::string> features{*this, "features",
                               llvm::cl::desc("NVPTX features (PTX ISA)"),
                               llvm::cl::init("+ptx80")};
  Option<std::string> format{
      *this, "format",
      llvm::cl::desc("gpu.binary contents: isa (PTX), bin (cubin), fatbin"),
      llvm::cl::init("isa")};
  Option<bool> fuseElementwise{
      *this, "fuse-elementwise",
      llvm::cl::desc("Fuse elementwise linalg ops on tensors"),
      llvm::cl::init(true)};
  Option<int64_t> threadsPerBlock{
      *this, "threads-per-block",
      llvm::cl::desc("Threads per block of each kernel (kiln-cuda-thread-tiles)"),
      llvm::cl::init(256)};
};
} // namespace

void registerCUDAPipelines() {
  static const bool registered = [] {
    PassPipelineRegistration<CUDAPipelineCLOptions>(
        "kiln-cuda-lower-to-nvvm",
        "Lower linalg/tensor/arith/math on tensors for CUDA: kernels "
        "(one per linalg op, parallel dims on blocks and threads) compiled "
        "to PTX or cubin in gpu.binary ops, host code in the LLVM dialect",
        [](OpPassManager &pm, const CUDAPipelineCLOptions &cl) {
          CUDAPipelineOptions opts;
          opts.chip = cl.chip;
          opts.features = cl.features;
          opts.format = cl.format;
          opts.fuseElementwise = cl.fuseElementwise;
          opts.threadsPerBlock = cl.threadsPerBlock;
          buildCUDAPipeline(pm, opts);
        });
    return true;
  }();
  (void)registered;
}

FailureOr<unsigned> writePTX(ModuleOp module, StringRef dir) {
  if (std::error_code ec = llvm::sys::fs::create_directories(dir)) {
    module.emitError() << "cannot create '" << dir << "': " << ec.message();
    return failure();
  }
  unsigned written = 0;
  for (auto binary : module.getOps<gpu::BinaryOp>()) {
    for (Attribute attr : binary.getObjects()) {
      auto object = dyn_cast<gpu::ObjectAttr>(attr);
      if (!object || object.getFormat() != gpu::CompilationTarget::Assembly)
        continue;
      std::string chip = "gpu";
      if (auto target = dyn_cast<NVVM::NVVMTargetAttr>(object.getTarget()))
        chip = target.getChip().str();
      SmallString<128> path(dir);
      llvm::sys::path::append(path,
                              binary.getSymName() + "." + chip + ".ptx");
      std::error_code ec;
      llvm::raw_fd_ostream os(path, ec);
      if (ec) {
        module.emitError() << "cannot write '" << path << "': "
                           << ec.message();
        return failure();
      }
      os << object.getObject().getValue();
      ++written;
    }
  }
  return written;
}

} // namespace cuda
} // namespace kiln
