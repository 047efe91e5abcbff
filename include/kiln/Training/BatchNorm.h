//===- BatchNorm.h - Training-mode batch normalization ----------*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The training-mode BatchNormalization of ONNX as kiln ops: normalization
// with the statistics of the batch (population variance, over every axis
// but the channel axis 1) and the momentum update of the running
// statistics. Called by the ONNX importer and the make-train-step pass.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TRAINING_BATCHNORM_H
#define KILN_TRAINING_BATCHNORM_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/Value.h"

namespace kiln {
namespace training {

struct BatchNormTraining {
  /// (x - batchMean) / sqrt(batchVar + epsilon) * scale + bias, like x.
  mlir::Value y;
  /// runningMean * momentum + batchMean * (1 - momentum), shape [C].
  mlir::Value runningMean;
  /// runningVar * momentum + batchVar * (1 - momentum), shape [C].
  mlir::Value runningVar;
  /// The batch statistics, shape [C] (batchVar is the population variance).
  mlir::Value batchMean, batchVar;
};

/// `x` is [N, C, d...] (rank >= 2); `scale`, `bias`, `runningMean` and
/// `runningVar` are [C] of x's element type. Emits at the builder's
/// insertion point; returns failure after a diagnostic at `loc`.
mlir::FailureOr<BatchNormTraining>
buildBatchNormTraining(mlir::OpBuilder &builder, mlir::Location loc,
                       mlir::Value x, mlir::Value scale, mlir::Value bias,
                       mlir::Value runningMean, mlir::Value runningVar,
                       double epsilon = 1e-5, double momentum = 0.9);

} // namespace training
} // namespace kiln

#endif // KILN_TRAINING_BATCHNORM_H
