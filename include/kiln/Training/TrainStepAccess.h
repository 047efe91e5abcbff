//===- TrainStepAccess.h - Reading and extending a training step -*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Helpers for passes that rewrite a training step under the contract of
// TrainStep.h: find arguments and results by their ONNX-level name, pick
// fresh names, and add or replace state (an argument, the result bound to
// it, and its initial value in the init function) without breaking the
// update binding.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TRAINING_TRAINSTEPACCESS_H
#define KILN_TRAINING_TRAINSTEPACCESS_H

#include "kiln/Dialect/Kiln/KilnOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

#include "llvm/ADT/DenseSet.h"

#include <optional>
#include <string>

namespace kiln {
namespace training {

/// The parts of a training step that still holds its gradient request.
struct TrainStepParts {
  GradientOp request;            ///< its one kiln.gradient
  mlir::func::FuncOp init;       ///< its init function
  mlir::DictionaryAttr binding;  ///< its kiln.update_binding
};

/// `step`'s parts, or failure after an error naming `pass` and the step
/// (not one block, no or several requests, no binding or init function).
mlir::FailureOr<TrainStepParts> trainStepParts(mlir::ModuleOp module,
                                               mlir::func::FuncOp step,
                                               llvm::StringRef pass);

/// The f32 matmuls and conv2ds of `step`'s forward pass (before its
/// gradient request), in program order: where low-precision GEMM inputs go.
llvm::SmallVector<mlir::Operation *>
forwardContractions(mlir::func::FuncOp step, GradientOp request);

/// The trained weight (one of `weights`) that `v` is, or is a data movement
/// of (a transpose, reshape or broadcast chain, e.g. a Gemm's transposed
/// weight), or null.
mlir::Value weightBehind(mlir::Value v,
                         const llvm::DenseSet<mlir::Value> &weights);

/// Bytes of a static tensor type (elements x whole bytes per element), for
/// reports; 0 for anything else.
int64_t tensorBytes(mlir::Type type);

/// The kiln.onnx_name of argument `index` / result `index` ("" if none).
std::string argumentName(mlir::func::FuncOp func, unsigned index);
std::string resultName(mlir::func::FuncOp func, unsigned index);

/// The argument / result named `name`, if any.
std::optional<unsigned> findArgument(mlir::func::FuncOp func,
                                     llvm::StringRef name);
std::optional<unsigned> findResult(mlir::func::FuncOp func,
                                   llvm::StringRef name);

/// `base`, or `base_K` for the first K that names no argument or result of
/// `func`.
std::string freshName(mlir::func::FuncOp func, llvm::StringRef base);

/// The init function of `step` (kiln.init_function), or null.
mlir::func::FuncOp initFunction(mlir::ModuleOp module, mlir::func::FuncOp step);

/// Appends `value` (defined in `func`) as a result named `name`.
void appendResult(mlir::func::FuncOp func, mlir::Value value,
                  llvm::StringRef name);

/// Appends a state argument `name` of `type` to `step`.
mlir::BlockArgument addStateArgument(mlir::func::FuncOp step,
                                     llvm::StringRef name, mlir::Type type);

/// Makes `next` (a value of `step`) the next value of state `name`: a
/// result `name_new` bound to it, and an init result `name` built by
/// `initial` in `init` (before its return).
void bindState(mlir::func::FuncOp step, mlir::func::FuncOp init,
               llvm::StringRef name, mlir::Value next,
               llvm::function_ref<mlir::Value(mlir::OpBuilder &)> initial);

} // namespace training
} // namespace kiln

#endif // KILN_TRAINING_TRAINSTEPACCESS_H
