//===- PruningMasks.h - Weight masks of sparse training ---------*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// How a pruning mask is computed from a weight, as kiln ops: by magnitude
// against a threshold, or as N:M structure along the reduction dimension of
// the product that reads the weight (optionally transposable: N:M in both
// W and W^T). Masks are f32 tensors of zeros and ones shaped like the
// weight. Training/SparseTraining.h decides when each is recomputed.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TRAINING_PRUNINGMASKS_H
#define KILN_TRAINING_PRUNINGMASKS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

#include <string>
#include <vector>

namespace kiln {
namespace training {

/// f32 1 where `|w| > threshold` (a rank-0 f32), else 0.
mlir::Value magnitudeMask(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Value w, mlir::Value threshold);

/// How a weight's elements map onto a [rows, K] matrix whose K is the
/// reduction dimension of the product that reads it (groups of an N:M mask
/// run along K).
struct ReductionView {
  bool transpose = false; ///< a 2-D weight [K, rows]
  bool flatten = false;   ///< a convolution filter [O, C, KH, KW]
  int64_t rows = 0, reduction = 0;
};

/// The view of `weight` as read by operand `operandIndex` of `contraction`
/// (a kiln.matmul or kiln.conv2d) through `read` (the weight or its
/// transpose); failure with the reason in `why` for other layouts.
mlir::FailureOr<ReductionView> reductionView(mlir::Value weight,
                                             mlir::Value read,
                                             mlir::Operation *contraction,
                                             unsigned operandIndex,
                                             std::string &why);

/// Every N:M pattern of one group, row-major 0/1: the ways to keep `n` of
/// `m` (a 1 x m group), or with `transposable` the m x m blocks that keep
/// `n` in every row and every column. Empty when there are more than
/// `limit` patterns.
std::vector<std::vector<float>> nmPatterns(int64_t n, int64_t m,
                                           bool transposable, size_t limit);

/// The N:M mask of `w` (f32, shaped like `w`) under `view`: for each group
/// (or m x m block), the pattern of `patterns` with the largest sum of
/// |w| over its kept positions (the first on ties). `view.reduction` (and
/// with `transposable` `view.rows`) must be a multiple of `m`.
mlir::Value structuredMask(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Value w, const ReductionView &view,
                           const std::vector<std::vector<float>> &patterns,
                           int64_t m, bool transposable);

} // namespace training
} // namespace kiln

#endif // KILN_TRAINING_PRUNINGMASKS_H
