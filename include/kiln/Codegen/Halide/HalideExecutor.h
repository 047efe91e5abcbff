//===- HalideExecutor.h - kiln functions run through Halide -----*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The halide-cpu and halide-cuda targets: a kiln function (static shapes)
// translated op by op into Halide Funcs, one pipeline with every result as
// an output, JIT-compiled by Halide 14 and run on runtime tensors. On the
// CPU each op's Func is computed at the root (one loop nest per op, as the
// MLIR CPU path without fusion), or `schedule=mullapudi2016` asks Halide's
// Mullapudi2016 autoscheduler; on CUDA each op's Func is one kernel (see
// lib/Codegen/Halide/HalideSchedules.cpp) and Halide's CUDA runtime loads
// the driver at the first run. The ops covered are listed by
// `halideSupportedOps()`; any other op is an error naming it.
//
//   auto exec = HalideExecutor::create(module, "main", {});
//   auto outputs = (*exec)->run({a, b});
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_HALIDE_HALIDEEXECUTOR_H
#define KILN_CODEGEN_HALIDE_HALIDEEXECUTOR_H

#include "kiln/Runtime/Tensor.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <string>
#include <vector>

namespace mlir {
class ModuleOp;
} // namespace mlir

namespace kiln {
namespace halide {

struct HalideOptions {
  /// "cpu" (halide-cpu) or "cuda" (halide-cuda).
  std::string device = "cpu";
  /// "root" (every op's Func computed at the root: on the CPU vectorized
  /// and threaded along its outer dimension, on CUDA one kernel) or
  /// "mullapudi2016" (Halide's autoscheduler plugin, from
  /// /usr/lib/x86_64-linux-gnu/halide14; CPU only).
  std::string schedule = "root";
  /// halide-cuda: the compute capability the PTX targets. Halide 14 knows
  /// up to 86; 80 (the default) also runs on sm_90 through the driver's
  /// PTX JIT.
  int cudaCapability = 80;
};

class HalideExecutor {
public:
  /// Translates @`entry` of `module` (kiln ops); an error names the first op
  /// that Halide cannot express here.
  static llvm::Expected<std::unique_ptr<HalideExecutor>>
  create(mlir::ModuleOp module, llvm::StringRef entry,
         const HalideOptions &options);
  ~HalideExecutor();

  /// Runs the function on `inputs` (in argument order).
  llvm::Expected<std::vector<rt::Tensor>>
  run(const std::vector<rt::Tensor> &inputs);

  /// dtype and shape of each argument / result.
  const std::vector<std::pair<rt::DType, std::vector<int64_t>>> &
  inputSpecs() const;
  const std::vector<std::pair<rt::DType, std::vector<int64_t>>> &
  outputSpecs() const;

  struct Impl;

private:
  explicit HalideExecutor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl;
};

/// The kiln op names (e.g. "kiln.matmul") the translation covers.
std::vector<std::string> halideSupportedOps();

/// halide-cuda ahead of time: compiles @`entry` of `module` (kiln ops) with
/// the CUDA schedule for `options.cudaCapability` and writes the PTX of its
/// kernels to `dir`/<entry>.halide.sm_<capability>.ptx. Returns the file
/// written; errors name the op Halide cannot express or the stage.
llvm::Expected<std::string> writeHalidePTX(mlir::ModuleOp module,
                                           llvm::StringRef entry,
                                           const HalideOptions &options,
                                           llvm::StringRef dir);

} // namespace halide
} // namespace kiln

#endif // KILN_CODEGEN_HALIDE_HALIDEEXECUTOR_H
