//===- EntryLowering.h - One entry function lowered for the host -*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// What the CPU JIT (JitExecutor.h) and compiled artifacts (ArtifactWriter.h)
// share: an entry function of a tensor-level module, its signature as
// runtime tensor specs, and a clone of the module lowered to the LLVM
// dialect by the CPU pipeline with the entry exposed as
// `_mlir_ciface_<entry>` (see kiln/Runtime/MemRefDescriptor.h for how it is
// called).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_CPU_ENTRYLOWERING_H
#define KILN_CODEGEN_CPU_ENTRYLOWERING_H

#include "kiln/Codegen/CPU/Pipeline.h"
#include "kiln/Runtime/Tensor.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace llvm {
class TargetMachine;
} // namespace llvm

namespace mlir {
class ExecutionEngine;
} // namespace mlir

namespace kiln {
namespace cpu {

/// Element type and static shape of one entry argument or result.
struct TensorSpec {
  rt::DType dtype = rt::DType::Undefined;
  std::vector<int64_t> shape;

  int64_t numElements() const;
  /// "f32[2x3]"-style, as rt::Tensor::describe.
  std::string describe() const;
  bool matches(const rt::Tensor &tensor) const {
    return tensor.dtype() == dtype && tensor.shape() == shape;
  }
};

/// The transient heap memory the compiled code was planned to use, read
/// from the attributes kiln-plan-memory leaves on the functions (summed over
/// every function of the module: an upper bound when one calls another).
/// Inputs, outputs (caller-allocated out-params) and constants are not
/// transient and not counted.
struct PlannedMemory {
  /// The pipeline ran kiln-plan-memory (CPUPipelineOptions::planMemory).
  bool planned = false;
  /// Bytes of the arenas, and buffers placed in them.
  int64_t arenaBytes = 0;
  int64_t plannedBuffers = 0;
  /// Static-shaped heap allocations left separate (inside loops, escaping),
  /// and their bytes counting one instance of each.
  int64_t unplannedAllocs = 0;
  int64_t unplannedBytes = 0;
  /// Allocations whose size is known only at run time (not in peakBytes).
  int64_t dynamicAllocs = 0;

  /// The planned peak: the arenas plus one instance of every static
  /// allocation left out of them.
  int64_t peakBytes() const { return arenaBytes + unplannedBytes; }
};

/// An entry function lowered to the LLVM dialect.
struct LoweredEntry {
  std::string entry;
  std::vector<TensorSpec> inputs;
  std::vector<TensorSpec> outputs;
  PlannedMemory planned;
  /// The lowered clone; the caller's module stays at the tensor level.
  mlir::OwningOpRef<mlir::ModuleOp> module;
};

/// Records the signature of `entry` (static-shaped ranked tensors whose
/// element types have a runtime dtype), then lowers a clone of `module` with
/// buildCPULoweringPipeline(opts): the entry public, with a C interface, and
/// inputs that bufferization must not write into. Appends the pipeline's
/// dependencies to the module's context. Errors name the entry, the
/// argument or result, or carry the pipeline's diagnostics.
llvm::Expected<LoweredEntry> lowerEntryForHost(mlir::ModuleOp module,
                                               llvm::StringRef entry,
                                               const CPUPipelineOptions &opts);

/// As above with another pipeline that ends in the LLVM dialect (the CUDA
/// target's host code): `buildPipeline` fills the pass manager, `what`
/// names it in errors ("CUDA lowering pipeline").
llvm::Expected<LoweredEntry>
lowerEntryForHost(mlir::ModuleOp module, llvm::StringRef entry,
                  llvm::function_ref<void(mlir::OpPassManager &)> buildPipeline,
                  llvm::StringRef what, mlir::TimingScope *timing = nullptr);

/// A target machine for the host CPU (its features detected) at LLVM
/// optimization level `optLevel` (0-3); for the JIT, or with
/// `sharedLibrary` emitting position-independent code.
llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
createHostTargetMachine(unsigned optLevel, bool sharedLibrary = false);

/// An ExecutionEngine for `lowered` (a module in the LLVM dialect): the
/// host's target machine at `optLevel` (0-3), LLVM's optimizations at that
/// level, MLIR's C runner utilities (memrefCopy) and `extraLibraries`
/// loaded. Shared by the CPU JIT and the CUDA executor's host code.
llvm::Expected<std::unique_ptr<mlir::ExecutionEngine>>
createHostExecutionEngine(mlir::ModuleOp lowered, unsigned optLevel,
                          llvm::ArrayRef<std::string> extraLibraries = {});

/// The OpenMP runtime (libomp) that compiled code's thread tiles call
/// (`__kmpc_*`), or "" when this build found none.
std::string openMPRuntimePath();

} // namespace cpu
} // namespace kiln

#endif // KILN_CODEGEN_CPU_ENTRYLOWERING_H
