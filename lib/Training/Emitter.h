//===- Emitter.h - Checked kiln op creation for the builders ----*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Private to lib/Training. The builders emit long chains of kiln ops; an
// Emitter creates each one with its type inferred and verified (a shape
// error becomes a diagnostic, never an abort of the generated builder) and
// remembers the first failure: after it, every call returns a null Value, so
// a builder checks once at the end instead of after every op.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_LIB_TRAINING_EMITTER_H
#define KILN_LIB_TRAINING_EMITTER_H

#include "kiln/Dialect/Kiln/KilnBuilder.h"

namespace kiln {
namespace training {
namespace detail {

class Emitter {
public:
  Emitter(mlir::OpBuilder &builder, mlir::Location loc)
      : b(builder), loc(loc) {}

  mlir::OpBuilder &builder() { return b; }
  mlir::Location location() const { return loc; }
  bool failed() const { return hasFailed; }
  /// Emits `message` at the location and enters the failed state.
  mlir::Value fail(const llvm::Twine &message);

  /// Creates OpT; ops that infer their type get it inferred (pass the other
  /// operands and attributes), others take the result type first. Returns
  /// null, without creating anything, once any operand is null.
  template <typename OpT, typename... Args> mlir::Value op(Args &&...args) {
    if (hasFailed || (isNull(args) || ...))
      return {};
    mlir::FailureOr<OpT> created =
        createChecked<OpT>(b, loc, std::forward<Args>(args)...);
    if (mlir::failed(created)) {
      hasFailed = true;
      return {};
    }
    return (*created)->getResult(0);
  }

  /// A literal of `type` with every element `value` (a broadcast rank-0
  /// literal when the shape is dynamic).
  mlir::Value splat(mlir::RankedTensorType type, double value);
  /// A rank-0 literal of `elementType`.
  mlir::Value scalar(mlir::Type elementType, double value);
  /// A literal shaped and typed like `like`.
  mlir::Value splatLike(mlir::Value like, double value);

  /// Numpy-broadcasts `v` to `shape` (no-op when equal).
  mlir::Value broadcastTo(mlir::Value v, llvm::ArrayRef<int64_t> shape);
  /// Broadcasts a rank-0 or broadcastable `v` to the shape of `like`.
  mlir::Value broadcastLike(mlir::Value v, mlir::Value like);
  /// Row-major reshape (no-op when equal).
  mlir::Value reshape(mlir::Value v, llvm::ArrayRef<int64_t> shape);
  /// Converts `v` to `elementType` (no-op when equal).
  mlir::Value castTo(mlir::Value v, mlir::Type elementType);

private:
  static bool isNull(mlir::Value v) { return !v; }
  template <typename T> static bool isNull(const T &) { return false; }

  mlir::OpBuilder &b;
  mlir::Location loc;
  bool hasFailed = false;
};

/// The static shape of a ranked tensor value.
inline llvm::ArrayRef<int64_t> shapeOf(mlir::Value v) {
  return mlir::cast<mlir::RankedTensorType>(v.getType()).getShape();
}
inline mlir::Type elementTypeOf(mlir::Value v) {
  return mlir::cast<mlir::RankedTensorType>(v.getType()).getElementType();
}

} // namespace detail
} // namespace training
} // namespace kiln

#endif // KILN_LIB_TRAINING_EMITTER_H
