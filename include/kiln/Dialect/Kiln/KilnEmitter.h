//===- KilnEmitter.h - Checked chains of kiln ops ---------------*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Code that decomposes one thing into many kiln ops (an ONNX node in the
// importer, a loss or optimizer in the training builders) creates each op
// with its type inferred and verified (createChecked) and would otherwise
// check for failure after every op. An Emitter remembers the first failure:
// after it every call returns a null Value, so a decomposition checks once,
// at the end. Subclasses choose where failures are reported and what is
// done with each created op (the importer folds literals).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECT_KILN_KILNEMITTER_H
#define KILN_DIALECT_KILN_KILNEMITTER_H

#include "kiln/Dialect/Kiln/KilnBuilder.h"

namespace kiln {

/// The static or dynamic shape of a ranked tensor value.
inline llvm::ArrayRef<int64_t> shapeOf(mlir::Value v) {
  return mlir::cast<mlir::RankedTensorType>(v.getType()).getShape();
}
inline mlir::Type elementTypeOf(mlir::Value v) {
  return mlir::cast<mlir::RankedTensorType>(v.getType()).getElementType();
}

class Emitter {
public:
  Emitter(mlir::OpBuilder &builder, mlir::Location loc)
      : b(builder), loc(loc) {}
  virtual ~Emitter() = default;

  mlir::OpBuilder &builder() { return b; }
  mlir::Location location() const { return loc; }
  bool failed() const { return hasFailed; }
  /// Reports `message` (first failure only) and enters the failed state;
  /// returns null.
  mlir::Value fail(const llvm::Twine &message);
  /// Enters the failed state if `r` failed (its callee emitted the
  /// diagnostic); returns whether all is still well.
  bool check(mlir::LogicalResult r) {
    if (mlir::failed(r))
      hasFailed = true;
    return !hasFailed;
  }

  /// Creates OpT; ops that infer their type get it inferred (pass the other
  /// operands and attributes), others take the result type first. Returns
  /// null, without creating anything, once failed or any operand is null.
  template <typename OpT, typename... Args> mlir::Value op(Args &&...args) {
    if (hasFailed || (isNull(args) || ...))
      return {};
    mlir::FailureOr<OpT> created =
        createChecked<OpT>(b, loc, std::forward<Args>(args)...);
    if (mlir::failed(created)) {
      hasFailed = true;
      return {};
    }
    return finishOp(created->getOperation());
  }

  /// A literal of `type` with every element `value` (a broadcast rank-0
  /// literal when the shape is dynamic).
  mlir::Value splat(mlir::RankedTensorType type, double value);
  /// A rank-0 literal of `elementType`.
  mlir::Value scalar(mlir::Type elementType, double value);
  /// A literal shaped and typed like `like`.
  mlir::Value splatLike(mlir::Value like, double value);
  /// A literal of `type` holding `values` (converted to the element type).
  mlir::Value literal(mlir::RankedTensorType type,
                      llvm::ArrayRef<double> values);
  /// An i64 literal of `shape`.
  mlir::Value indices(llvm::ArrayRef<int64_t> shape,
                      llvm::ArrayRef<int64_t> values);

  /// Numpy-broadcasts `v` to `shape` (no-op when equal).
  mlir::Value broadcastTo(mlir::Value v, llvm::ArrayRef<int64_t> shape);
  /// Broadcasts a rank-0 or broadcastable `v` to the shape of `like`.
  mlir::Value broadcastLike(mlir::Value v, mlir::Value like);
  /// Row-major reshape (no-op when equal).
  mlir::Value reshape(mlir::Value v, llvm::ArrayRef<int64_t> shape);
  /// Converts `v` to `elementType` (no-op when equal).
  mlir::Value castTo(mlir::Value v, mlir::Type elementType);
  /// Permutes the dimensions of `v` (no-op for the identity).
  mlir::Value transpose(mlir::Value v, llvm::ArrayRef<int64_t> permutation);
  /// `v[..., offset : offset + size : stride, ...]` along `axis`.
  mlir::Value sliceAxis(mlir::Value v, int64_t axis, int64_t offset,
                        int64_t size, int64_t stride = 1);
  mlir::Value concat(mlir::ValueRange values, int64_t axis);

  // Elementwise arithmetic on equal types.
  mlir::Value add(mlir::Value a, mlir::Value b) { return op<AddOp>(a, b); }
  mlir::Value sub(mlir::Value a, mlir::Value b) { return op<SubOp>(a, b); }
  mlir::Value mul(mlir::Value a, mlir::Value b) { return op<MulOp>(a, b); }
  mlir::Value div(mlir::Value a, mlir::Value b) { return op<DivOp>(a, b); }
  mlir::Value max(mlir::Value a, mlir::Value b) { return op<MaxOp>(a, b); }
  mlir::Value min(mlir::Value a, mlir::Value b) { return op<MinOp>(a, b); }
  /// `a + c`, `a * c`, ... with a literal `c` splat like `a`.
  mlir::Value addC(mlir::Value a, double c) { return add(a, splatLike(a, c)); }
  mlir::Value subC(mlir::Value a, double c) { return sub(a, splatLike(a, c)); }
  mlir::Value mulC(mlir::Value a, double c) { return mul(a, splatLike(a, c)); }
  mlir::Value maxC(mlir::Value a, double c) { return max(a, splatLike(a, c)); }
  mlir::Value minC(mlir::Value a, double c) { return min(a, splatLike(a, c)); }
  mlir::Value cmp(ComparePredicate p, mlir::Value a, mlir::Value b) {
    return op<CompareOp>(p, a, b);
  }
  mlir::Value cmpC(ComparePredicate p, mlir::Value a, double c) {
    return cmp(p, a, splatLike(a, c));
  }
  mlir::Value select(mlir::Value c, mlir::Value a, mlir::Value b) {
    return op<SelectOp>(c, a, b);
  }
  /// Reductions over `axes` (sorted, non-negative).
  mlir::Value sumOver(mlir::Value v, llvm::ArrayRef<int64_t> axes,
                      bool keepDims) {
    return op<ReduceSumOp>(v, axes, keepDims);
  }
  mlir::Value meanOver(mlir::Value v, llvm::ArrayRef<int64_t> axes,
                       bool keepDims) {
    return op<ReduceMeanOp>(v, axes, keepDims);
  }

protected:
  /// Where a failure is reported; by default an error at the location.
  virtual void reportFailure(const llvm::Twine &message);
  /// The value a just-created, verified op stands for; by default its first
  /// result.
  virtual mlir::Value finishOp(mlir::Operation *op) {
    return op->getResult(0);
  }

private:
  static bool isNull(mlir::Value v) { return !v; }
  template <typename T> static bool isNull(const T &) { return false; }

  mlir::OpBuilder &b;
  mlir::Location loc;
  bool hasFailed = false;
};

} // namespace kiln

#endif // KILN_DIALECT_KILN_KILNEMITTER_H
