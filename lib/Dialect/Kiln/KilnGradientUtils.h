//===- KilnGradientUtils.h - Helpers of the gradient rules ------*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Private to lib/Dialect/Kiln: the small builders that the gradient rules in
// KilnGradients*.cpp share (splat constants, keep-dims reshapes, sums back
// to a shape). Every helper emits kiln ops only, so that the backward
// program is again a kiln program that every pass understands.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_LIB_DIALECT_KILN_KILNGRADIENTUTILS_H
#define KILN_LIB_DIALECT_KILN_KILNGRADIENTUTILS_H

#include "kiln/Dialect/Kiln/KilnOps.h"

namespace kiln {
namespace grad {

/// Whether values of `type` carry gradients (float element types). Integer
/// and boolean values never do.
bool isDifferentiableType(mlir::Type type);

/// A tensor of `type` filled with `value`: a splat kiln.constant for a
/// static shape, a kiln.broadcast of a rank-0 constant for a dynamic one.
mlir::Value splat(mlir::OpBuilder &b, mlir::Location loc, mlir::Type type,
                  double value);
inline mlir::Value zerosLike(mlir::OpBuilder &b, mlir::Location loc,
                             mlir::Value v) {
  return splat(b, loc, v.getType(), 0.0);
}

/// Fills `operandGradients` with one null entry per operand of `op` (no
/// gradient flows to any operand).
mlir::LogicalResult noGradients(mlir::Operation *op,
                                llvm::SmallVectorImpl<mlir::Value> &grads);

/// The prologue of the rule of a single-result `op`: `grads` gets one null
/// entry per operand (an operand the rule does not set receives no
/// gradient), and the result gradient is returned, null if none flows in.
mlir::Value startRule(mlir::Operation *op, mlir::ValueRange resultGrads,
                      llvm::SmallVectorImpl<mlir::Value> &grads);
/// startRule, but null also when the result of `op` is not differentiable:
/// integer and boolean results pass nothing back.
mlir::Value startFloatRule(mlir::Operation *op, mlir::ValueRange resultGrads,
                           llvm::SmallVectorImpl<mlir::Value> &grads);

/// `v` reshaped to `type`, or `v` itself if it already has that type.
mlir::Value reshapeTo(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                      mlir::Type type);
/// `v` broadcast to `type`, or `v` itself if it already has that type.
mlir::Value broadcastTo(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                        mlir::Type type);

/// The type of `input` reduced over `axes` with kept (size-1) dimensions.
mlir::RankedTensorType keepDimsType(mlir::RankedTensorType input,
                                    llvm::ArrayRef<int64_t> axes);

/// A reduction's result (or its gradient) `v`, of a reduction of `input`
/// over `axes`, broadcast back to the type of `input`: reshaped to the
/// kept-dims shape first where the reduction dropped the dimensions.
mlir::Value expandReduced(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                          mlir::RankedTensorType input,
                          llvm::ArrayRef<int64_t> axes);

/// kiln.reduce_sum of `v` over `axes` with kept dimensions.
mlir::Value sumKeepDims(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                        llvm::ArrayRef<int64_t> axes);

/// The number of elements a reduction of `input` over `axes` combines, or
/// nullopt if one of those dimensions is dynamic.
std::optional<int64_t> reducedCount(mlir::RankedTensorType input,
                                    llvm::ArrayRef<int64_t> axes);

} // namespace grad
} // namespace kiln

#endif // KILN_LIB_DIALECT_KILN_KILNGRADIENTUTILS_H
