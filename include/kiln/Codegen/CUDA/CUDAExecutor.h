//===- CUDAExecutor.h - Run a tensor function on an NVIDIA GPU --*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// `kiln-run --target cuda`: the CUDA pipeline (Pipeline.h) lowers a clone of
// the module, its kernels as PTX for the device's architecture (the driver
// JIT-compiles them when the host code's constructors load them), the host
// code JIT-compiled by LLVM, its mgpu* calls bound to Kiln's own runtime
// (kiln/Runtime/CUDA/Driver.h, the driver opened with dlopen). Inputs and
// outputs pass through managed memory. Without a usable driver, create()
// fails with one message saying why (no library, no device, ...).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_CUDA_CUDAEXECUTOR_H
#define KILN_CODEGEN_CUDA_CUDAEXECUTOR_H

#include "kiln/Codegen/CPU/EntryLowering.h"
#include "kiln/Codegen/CUDA/Pipeline.h"
#include "kiln/Runtime/Tensor.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <string>
#include <vector>

namespace mlir {
class DialectRegistry;
class ExecutionEngine;
class ModuleOp;
} // namespace mlir

namespace kiln {
namespace cuda {

class CUDAExecutor {
public:
  /// Opens the driver and device, lowers a clone of `module` for the
  /// device (options.chip is replaced by the device's architecture, capped
  /// at sm_90, the newest the PTX ISA of +ptx80 knows; newer devices JIT
  /// that PTX), JIT-compiles the host code and loads the kernels.
  static llvm::Expected<std::unique_ptr<CUDAExecutor>>
  create(mlir::ModuleOp module, llvm::StringRef entry,
         const CUDAPipelineOptions &options = {});

  ~CUDAExecutor();
  CUDAExecutor(const CUDAExecutor &) = delete;
  CUDAExecutor &operator=(const CUDAExecutor &) = delete;

  /// Checks `inputs` against inputSpecs(), copies them into managed
  /// memory, runs the entry, waits for the device and returns the outputs;
  /// a driver or kernel failure is an error naming the call.
  llvm::Expected<std::vector<rt::Tensor>>
  run(llvm::ArrayRef<rt::Tensor> inputs);

  const std::vector<cpu::TensorSpec> &inputSpecs() const { return inSpecs; }
  const std::vector<cpu::TensorSpec> &outputSpecs() const { return outSpecs; }
  /// The device's name and architecture ("NVIDIA H100 80GB HBM3 (sm_90)").
  std::string deviceDescription() const;

private:
  CUDAExecutor() = default;

  std::string entry;
  std::vector<cpu::TensorSpec> inSpecs;
  std::vector<cpu::TensorSpec> outSpecs;
  std::unique_ptr<mlir::ExecutionEngine> engine;
  void (*packedEntry)(void **) = nullptr;
};

/// The chip the kernels are compiled for on a device of compute capability
/// major.minor: its own, capped at sm_90.
std::string chipForComputeCapability(int major, int minor);

/// Dialects, extensions and LLVM IR translations the CUDA pipeline and the
/// JIT of its host code need.
void registerCUDAPipelineDependencies(mlir::DialectRegistry &registry);

} // namespace cuda
} // namespace kiln

#endif // KILN_CODEGEN_CUDA_CUDAEXECUTOR_H
