//===- Pipeline.h - CUDA lowering pipeline to NVVM and PTX ------*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The CUDA target's pipeline: a tensor-level module (what
// convert-kiln-to-linalg produces) bufferized, its linalg ops turned into
// parallel loops mapped onto GPU blocks and threads, the loop bodies
// outlined into gpu.module kernels, and those compiled by MLIR's NVVM
// pipeline to PTX (or a cubin) embedded as gpu.binary ops; the host side
// ends as LLVM dialect that launches them through the gpu dialect's
// runtime calls.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_CUDA_PIPELINE_H
#define KILN_CODEGEN_CUDA_PIPELINE_H

#include "kiln/Codegen/CPU/EntryLowering.h"

#include "mlir/Support/LLVM.h"

#include <string>

namespace mlir {
class ModuleOp;
class OpPassManager;
} // namespace mlir

namespace kiln {
namespace cuda {

struct CUDAPipelineOptions {
  /// The GPU architecture the kernels are compiled for (`sm_80`, `sm_90`).
  std::string chip = "sm_90";
  /// PTX ISA version and other NVPTX features.
  std::string features = "+ptx80";
  /// What each gpu.binary holds: `isa` (PTX text), `bin` (a cubin, needs
  /// ptxas or libnvptxcompiler at compile time) or `fatbin`.
  std::string format = "isa";
  /// Fuse elementwise linalg ops on tensors first (fewer kernels).
  bool fuseElementwise = true;
  /// Threads per block along each kernel's tiled dimension.
  int64_t threadsPerBlock = 256;
};

/// Appends the passes from a tensor-level module to LLVM dialect host code
/// with embedded device code.
void buildCUDAPipeline(mlir::OpPassManager &pm,
                       const CUDAPipelineOptions &options);

/// The CUDA counterpart of cpu::lowerEntryForHost: @`entry`'s signature and
/// a clone of `module` lowered by buildCUDAPipeline(options).
llvm::Expected<cpu::LoweredEntry>
lowerEntryForCUDA(mlir::ModuleOp module, llvm::StringRef entry,
                  const CUDAPipelineOptions &options);

/// Registers `kiln-cuda-lower-to-nvvm` (the pipeline above) for kiln-opt.
void registerCUDAPipelines();

/// Writes the PTX of every gpu.binary object of `module` (compiled with
/// format `isa`) to `dir/<binary>.<chip>.ptx`; returns the number written,
/// or failure after an error naming the file.
mlir::FailureOr<unsigned> writePTX(mlir::ModuleOp module, llvm::StringRef dir);

} // namespace cuda
} // namespace kiln

#endif // KILN_CODEGEN_CUDA_PIPELINE_H
