//===- Optimizers.h - Optimizer updates as kiln ops -------------*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Builders that emit one optimizer step for one tensor as elementwise kiln
// ops, with the exact semantics of ONNX's ai.onnx.preview.training ops
// (Momentum, Adam, Adagrad; SGD is their common core). The ONNX importer
// and the make-train-step pass both call them; multi-tensor ONNX nodes call
// them once per tensor.
//
// `lr` (ONNX's R) and `step` (ONNX's T, the number of updates already done,
// 0 at the first) are rank-0 tensors, so a training loop can feed them at
// run time; `lr` is a float tensor (any float type: it is converted to X's),
// `step` an integer or float tensor. X, G and the state tensors share one
// float type. The attribute-like hyperparameters are doubles, folded into
// literals of X's element type (computed in double first, as ONNX's
// reference does). Scalars are broadcast to X's shape.
//
// Every builder emits at the builder's insertion point and returns failure
// after emitting a diagnostic at `loc` when its operands do not fit.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TRAINING_OPTIMIZERS_H
#define KILN_TRAINING_OPTIMIZERS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/Value.h"

namespace kiln {
namespace training {

/// Plain gradient descent with L2 regularization:
///   X_new = X - lr * (G + normCoefficient * X).
mlir::FailureOr<mlir::Value> buildSGDUpdate(mlir::OpBuilder &builder,
                                            mlir::Location loc, mlir::Value lr,
                                            mlir::Value x, mlir::Value g,
                                            double normCoefficient = 0.0);

struct MomentumOptions {
  double alpha = 0.9;           ///< decay of the previous momentum
  double beta = 1.0;            ///< scale of the current gradient (T > 0)
  double normCoefficient = 0.0; ///< L2 regularization
  bool nesterov = false;
};

struct MomentumUpdate {
  mlir::Value x, v;
};

/// ONNX Momentum (standard or Nesterov):
///   G' = normCoefficient * X + G
///   V_new = alpha * V + (step > 0 ? beta : 1) * G'
///   X_new = X - lr * V_new                  (standard)
///   X_new = X - lr * (G' + alpha * V_new)   (nesterov)
mlir::FailureOr<MomentumUpdate>
buildMomentumUpdate(mlir::OpBuilder &builder, mlir::Location loc,
                    mlir::Value lr, mlir::Value step, mlir::Value x,
                    mlir::Value g, mlir::Value v,
                    const MomentumOptions &options);

struct AdamOptions {
  double alpha = 0.9;   ///< decay of the first moment (PyTorch's beta1)
  double beta = 0.999;  ///< decay of the second moment (PyTorch's beta2)
  double epsilon = 1e-6;
  double normCoefficient = 0.0;     ///< L2 added to the gradient
  double normCoefficientPost = 0.0; ///< decay applied after the update
};

struct AdamUpdate {
  mlir::Value x, v, h;
};

/// ONNX Adam:
///   G' = normCoefficient * X + G
///   V_new = alpha * V + (1 - alpha) * G'
///   H_new = beta * H + (1 - beta) * G' * G'
///   R' = step > 0 ? lr * sqrt(1 - beta^step) / (1 - alpha^step) : lr
///   X_new = (1 - normCoefficientPost) * (X - R' * V_new / (sqrt(H_new) + epsilon))
mlir::FailureOr<AdamUpdate>
buildAdamUpdate(mlir::OpBuilder &builder, mlir::Location loc, mlir::Value lr,
                mlir::Value step, mlir::Value x, mlir::Value g, mlir::Value v,
                mlir::Value h, const AdamOptions &options);

struct AdagradOptions {
  double decayFactor = 0.0; ///< learning-rate decay per step
  double epsilon = 1e-6;
  double normCoefficient = 0.0;
};

struct AdagradUpdate {
  mlir::Value x, h;
};

/// ONNX Adagrad:
///   r = lr / (1 + step * decayFactor)
///   G' = normCoefficient * X + G
///   H_new = H + G' * G'
///   X_new = X - r * G' / (sqrt(H_new) + epsilon)
mlir::FailureOr<AdagradUpdate>
buildAdagradUpdate(mlir::OpBuilder &builder, mlir::Location loc,
                   mlir::Value lr, mlir::Value step, mlir::Value x,
                   mlir::Value g, mlir::Value h,
                   const AdagradOptions &options);

} // namespace training
} // namespace kiln

#endif // KILN_TRAINING_OPTIMIZERS_H
