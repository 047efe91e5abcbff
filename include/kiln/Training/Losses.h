//===- Losses.h - Loss functions as kiln ops --------------------*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Builders that emit the losses of training programs as compositions of kiln
// ops, with ONNX's semantics (SoftmaxCrossEntropyLoss,
// NegativeLogLikelihoodLoss) and none of its types: the ONNX importer and the
// make-train-step pass both call them. Class losses take scores of shape
// [N, C, d1, ..., dk] and integer targets [N, d1, ..., dk]; the target's
// class is picked with a one-hot mask (a literal class-index range compared
// with the target), so the class count C must be static; other dimensions
// (e.g. a symbolic batch) may be dynamic.
//
// Every builder emits at the builder's insertion point and returns failure
// after emitting a diagnostic at `loc` when its operands do not fit.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TRAINING_LOSSES_H
#define KILN_TRAINING_LOSSES_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/Value.h"

#include <optional>

namespace kiln {
namespace training {

/// How per-element losses are combined.
enum class Reduction { None, Sum, Mean };

/// Parses ONNX's `reduction` attribute ("none", "sum", "mean").
std::optional<Reduction> parseReduction(llvm::StringRef name);

/// Options of the class losses (NLL and softmax cross-entropy).
struct ClassLossOptions {
  /// Optional per-class weight, shape [C], the scores' element type.
  mlir::Value weight;
  /// Targets equal to this contribute nothing (and weigh 0 in the mean).
  std::optional<int64_t> ignoreIndex;
  Reduction reduction = Reduction::Mean;
};

/// Negative log-likelihood of `logProb` [N, C, d...] (log-probabilities) at
/// integer `target` [N, d...]:
///   loss[n, d...] = -weight[t] * logProb[n, t, d...], t = target[n, d...]
/// (0 where t == ignoreIndex). Reduction None gives [N, d...]; Sum the sum;
/// Mean divides the sum by the sum of the picked weights (by the number of
/// non-ignored targets without a weight). Returns a rank-0 tensor unless
/// Reduction::None.
mlir::FailureOr<mlir::Value> buildNLLLoss(mlir::OpBuilder &builder,
                                          mlir::Location loc,
                                          mlir::Value logProb,
                                          mlir::Value target,
                                          const ClassLossOptions &options);

/// The loss and the log-probabilities it was computed from.
struct SoftmaxCrossEntropy {
  mlir::Value loss;
  /// log_softmax(logits) along the class axis 1, shape of the logits.
  mlir::Value logProb;
};

/// Softmax cross-entropy of `logits` [N, C, d...] at integer `target`
/// [N, d...]: buildNLLLoss on log_softmax(logits, axis 1).
mlir::FailureOr<SoftmaxCrossEntropy>
buildSoftmaxCrossEntropyLoss(mlir::OpBuilder &builder, mlir::Location loc,
                             mlir::Value logits, mlir::Value target,
                             const ClassLossOptions &options);

/// Mean squared error (prediction - target)^2 of two same-shaped float
/// tensors, reduced as asked (Mean: over all elements).
mlir::FailureOr<mlir::Value> buildMSELoss(mlir::OpBuilder &builder,
                                          mlir::Location loc,
                                          mlir::Value prediction,
                                          mlir::Value target,
                                          Reduction reduction = Reduction::Mean);

} // namespace training
} // namespace kiln

#endif // KILN_TRAINING_LOSSES_H
