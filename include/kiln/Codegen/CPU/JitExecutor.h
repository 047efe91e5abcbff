//===- JitExecutor.h - Run tensor functions in-process on CPU ---*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// JitExecutor compiles one entry function of a tensor-level module with the
// CPU pipeline (Pipeline.h), JIT-compiles the result with MLIR's
// ExecutionEngine, and runs it on runtime tensors:
//
//   auto jit = JitExecutor::create(module, "main");
//   if (!jit) ...handle jit.takeError()...
//   auto outputs = (*jit)->run({a, b});
//
// The entry must take and return static-shaped ranked tensors whose element
// types have a runtime dtype (TypeMapping.h). Inputs are never written;
// outputs are freshly allocated per run (or supplied by the caller with
// runInto). The executor does not keep the module or its MLIRContext alive.
// The compiled code's heap allocations go through a counting allocator, so a
// run can report its measured peak next to the planned one (PlannedMemory).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_CPU_JITEXECUTOR_H
#define KILN_CODEGEN_CPU_JITEXECUTOR_H

#include "kiln/Codegen/CPU/AllocationTracking.h"
#include "kiln/Codegen/CPU/EntryLowering.h"
#include "kiln/Codegen/CPU/Pipeline.h"
#include "kiln/Runtime/Tensor.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mlir {
class ExecutionEngine;
class ModuleOp;
} // namespace mlir

namespace kiln {
namespace cpu {

class JitExecutor {
public:
  /// Records the signature of `entry` (a func.func in `module`), lowers a
  /// clone of `module` with buildCPULoweringPipeline(opts) and JIT-compiles
  /// it at opts.llvmOptLevel. Appends the pipeline's dependencies
  /// (registerCPUPipelineDependencies) to the module's context. Errors
  /// (missing entry, dynamic or unsupported signature, pipeline failure with
  /// its diagnostics, JIT failure) come back as llvm::Error.
  static llvm::Expected<std::unique_ptr<JitExecutor>>
  create(mlir::ModuleOp module, llvm::StringRef entry,
         const CPUPipelineOptions &opts = {});

  ~JitExecutor();
  JitExecutor(const JitExecutor &) = delete;
  JitExecutor &operator=(const JitExecutor &) = delete;

  /// Checks `inputs` against inputSpecs() (an error names the input index,
  /// the expected and the actual dtype/shape), runs the entry and returns
  /// new output tensors. Safe to call repeatedly and from several threads.
  /// With `stats`, also measures the heap memory the compiled code
  /// allocates during the call (AllocationTracking.h); the outputs are
  /// allocated by the caller and not counted.
  llvm::Expected<std::vector<rt::Tensor>>
  run(llvm::ArrayRef<rt::Tensor> inputs, AllocationStats *stats = nullptr);

  /// As run, but writes into `outputs`, which must already match
  /// outputSpecs() (e.g. the tensors of a previous run): no allocation.
  llvm::Error runInto(llvm::ArrayRef<rt::Tensor> inputs,
                      llvm::MutableArrayRef<rt::Tensor> outputs,
                      AllocationStats *stats = nullptr);

  /// What kiln-plan-memory planned for the compiled module.
  const PlannedMemory &plannedMemory() const { return planned; }

  const std::vector<TensorSpec> &inputSpecs() const { return inSpecs; }
  const std::vector<TensorSpec> &outputSpecs() const { return outSpecs; }
  const std::string &entryName() const { return entry; }

private:
  JitExecutor() = default;

  std::string entry;
  std::vector<TensorSpec> inSpecs;
  std::vector<TensorSpec> outSpecs;
  PlannedMemory planned;
  std::unique_ptr<mlir::ExecutionEngine> engine;
  /// `_mlir_ciface_<entry>`'s packed form: args[i] points at a pointer to
  /// the i-th memref descriptor (inputs, then outputs).
  void (*packedEntry)(void **) = nullptr;
};

} // namespace cpu
} // namespace kiln

#endif // KILN_CODEGEN_CPU_JITEXECUTOR_H
