//===- LayerNorm.h - Layer normalization as kiln ops ------------*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// ONNX's LayerNormalization decomposed into kiln reductions and elementwise
// ops, so autodiff differentiates it through their rules. Called by the
// ONNX importer and usable by any pass.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TRAINING_LAYERNORM_H
#define KILN_TRAINING_LAYERNORM_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/Value.h"

namespace kiln {
namespace training {

struct LayerNorm {
  /// (x - mean) * invStdDev * scale + bias, like x.
  mlir::Value y;
  /// Statistics over dimensions [axis, rank), kept as size-1 dimensions
  /// (shape x.shape[:axis] + [1] * (rank - axis)), of the compute type.
  mlir::Value mean, invStdDev;
};

/// Normalizes `x` over its dimensions [axis, rank) (`axis` in [0, rank)):
///   mean = reduce_mean(x), var = reduce_mean((x - mean)^2),
///   invStdDev = rsqrt(var + epsilon).
/// `scale` and optional `bias` (null for none) must numpy-broadcast to x.
/// The statistics are computed in `computeType` (null: x's element type;
/// ONNX's stash_type) and y is converted back to x's element type.
mlir::FailureOr<LayerNorm>
buildLayerNorm(mlir::OpBuilder &builder, mlir::Location loc, mlir::Value x,
               mlir::Value scale, mlir::Value bias, int64_t axis,
               double epsilon = 1e-5, mlir::Type computeType = {});

} // namespace training
} // namespace kiln

#endif // KILN_TRAINING_LAYERNORM_H
