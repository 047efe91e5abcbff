//===- HalideExecutor.h - kiln functions run through Halide -----*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The halide-cpu target: a kiln function (static shapes) translated op by
// op into Halide Funcs, one pipeline with every result as an output,
// JIT-compiled by Halide 14
// for the host and run on runtime tensors. Each op's Func is computed at
// the root (one loop nest per op, as the MLIR CPU path without fusion);
// `schedule=mullapudi2016` asks Halide's Mullapudi2016 autoscheduler
// instead. The ops it covers are listed by `halideSupportedOps()`; any
// other op is an error naming it.
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
  /// "root" (every op's Func computed at the root, vectorized and threaded
  /// along its outer dimension) or "mullapudi2016" (Halide's autoscheduler
  /// plugin, from /usr/lib/x86_64-linux-gnu/halide14).
  std::string schedule = "root";
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

} // namespace halide
} // namespace kiln

#endif // KILN_CODEGEN_HALIDE_HALIDEEXECUTOR_H
