//===- PruningMasks.cpp - Weight masks of sparse training -----------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Masks from magnitudes and N:M masks (see the header). The N:M choice is
// an exhaustive search written as dense ops: each group's magnitudes times
// the matrix of all patterns gives every pattern's kept magnitude, argmax
// picks one, a gather fetches it.
//
//===----------------------------------------------------------------------===//

#include "kiln/Training/PruningMasks.h"

#include "kiln/Dialect/Kiln/KilnOps.h"

#include "mlir/IR/BuiltinAttributes.h"

using namespace mlir;

namespace kiln {
namespace training {

namespace {

RankedTensorType f32Tensor(OpBuilder &b, ArrayRef<int64_t> shape) {
  return RankedTensorType::get(shape, b.getF32Type());
}

Value reshape(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getShape() == shape)
    return v;
  return ReshapeOp::create(b, loc, type.clone(shape), v);
}

Value transpose(OpBuilder &b, Location loc, Value v,
                ArrayRef<int64_t> permutation) {
  return TransposeOp::create(b, loc, v, b.getDenseI64ArrayAttr(permutation));
}

/// `w` as its [rows, K] matrix.
Value toView(OpBuilder &b, Location loc, Value w, const ReductionView &view) {
  if (view.transpose)
    return transpose(b, loc, w, {1, 0});
  if (view.flatten)
    return reshape(b, loc, w, {view.rows, view.reduction});
  return w;
}

/// A [rows, K] matrix back in the layout of `like`.
Value fromView(OpBuilder &b, Location loc, Value v, const ReductionView &view,
               Type like) {
  if (view.transpose)
    return transpose(b, loc, v, {1, 0});
  if (view.flatten)
    return reshape(b, loc, v, cast<RankedTensorType>(like).getShape());
  return v;
}

/// The patterns as a [count, size] (or transposed [size, count]) constant.
Value patternConstant(OpBuilder &b, Location loc,
                      const std::vector<std::vector<float>> &patterns,
                      bool transposed) {
  int64_t count = patterns.size(), size = patterns.front().size();
  std::vector<float> values;
  values.reserve(count * size);
  if (transposed) {
    for (int64_t j = 0; j < size; ++j)
      for (int64_t p = 0; p < count; ++p)
        values.push_back(patterns[p][j]);
  } else {
    for (const auto &pattern : patterns)
      values.insert(values.end(), pattern.begin(), pattern.end());
  }
  auto type = transposed ? f32Tensor(b, {size, count})
                         : f32Tensor(b, {count, size});
  return ConstantOp::create(b, loc,
                            DenseElementsAttr::get(type, ArrayRef(values)));
}

/// Every choice of `n` of `m` positions as a bit set, in increasing order.
std::vector<unsigned> combinations(int64_t n, int64_t m) {
  std::vector<unsigned> sets;
  for (unsigned bits = 0; bits < (1u << m); ++bits)
    if (__builtin_popcount(bits) == n)
      sets.push_back(bits);
  return sets;
}

} // namespace

Value magnitudeMask(OpBuilder &b, Location loc, Value w, Value threshold) {
  auto type = cast<RankedTensorType>(w.getType());
  // One statement per op: the IR's order must not depend on the order in
  // which a compiler evaluates call arguments (lit tests check it).
  Value limit = BroadcastOp::create(b, loc, type, threshold);
  Value magnitude = AbsOp::create(b, loc, w);
  Value above =
      CompareOp::create(b, loc, ComparePredicate::gt, magnitude, limit);
  return CastOp::create(b, loc, type, above);
}

FailureOr<ReductionView> reductionView(Value weight, Value read,
                                       Operation *contraction,
                                       unsigned operandIndex,
                                       std::string &why) {
  auto type = cast<RankedTensorType>(weight.getType());
  ReductionView view;
  if (isa<Conv2dOp>(contraction)) {
    if (operandIndex != 1 || read != weight || type.getRank() != 4) {
      why = "a convolution reads it other than as its filter";
      return failure();
    }
    view.flatten = true;
    view.rows = type.getDimSize(0);
    view.reduction = type.getNumElements() / view.rows;
    return view;
  }
  if (!isa<MatmulOp>(contraction) || type.getRank() != 2) {
    why = "only 2-D matmul weights and convolution filters get N:M masks";
    return failure();
  }
  // The reduction axis of what the matmul reads: K of lhs [M, K] or of rhs
  // [K, N]; through a transpose, the other axis of the weight.
  int64_t axis = operandIndex == 1 ? 0 : 1;
  if (read != weight) {
    auto t = read.getDefiningOp<TransposeOp>();
    if (!t || t.getInput() != weight) {
      why = "the matmul reads it through a reshape or broadcast";
      return failure();
    }
    axis = 1 - axis;
  }
  view.transpose = axis == 0;
  view.reduction = type.getDimSize(axis);
  view.rows = type.getDimSize(1 - axis);
  return view;
}

std::vector<std::vector<float>> nmPatterns(int64_t n, int64_t m,
                                           bool transposable, size_t limit) {
  std::vector<unsigned> rows = combinations(n, m);
  std::vector<std::vector<float>> patterns;
  if (!transposable) {
    for (unsigned bits : rows) {
      std::vector<float> p(m, 0.0f);
      for (int64_t j = 0; j < m; ++j)
        p[j] = (bits >> j) & 1 ? 1.0f : 0.0f;
      patterns.push_back(p);
    }
    return patterns.size() > limit ? decltype(patterns)() : patterns;
  }
  // Depth-first over the rows of the block, keeping column counts <= n.
  std::vector<unsigned> chosen(m);
  std::vector<int64_t> columns(m, 0);
  bool tooMany = false;
  std::function<void(int64_t)> visit = [&](int64_t row) {
    if (tooMany)
      return;
    if (row == m) {
      std::vector<float> p(m * m, 0.0f);
      for (int64_t r = 0; r < m; ++r)
        for (int64_t c = 0; c < m; ++c)
          p[r * m + c] = (chosen[r] >> c) & 1 ? 1.0f : 0.0f;
      patterns.push_back(std::move(p));
      tooMany = patterns.size() > limit;
      return;
    }
    for (unsigned bits : rows) {
      bool fits = true;
      for (int64_t c = 0; c < m; ++c)
        fits &= columns[c] + ((bits >> c) & 1) <= n;
      if (!fits)
        continue;
      for (int64_t c = 0; c < m; ++c)
        columns[c] += (bits >> c) & 1;
      chosen[row] = bits;
      visit(row + 1);
      for (int64_t c = 0; c < m; ++c)
        columns[c] -= (bits >> c) & 1;
    }
  };
  visit(0);
  return tooMany ? decltype(patterns)() : patterns;
}

Value structuredMask(OpBuilder &b, Location loc, Value w,
                     const ReductionView &view,
                     const std::vector<std::vector<float>> &patterns,
                     int64_t m, bool transposable) {
  int64_t rows = view.rows, k = view.reduction;
  Value magnitudes = AbsOp::create(b, loc, toView(b, loc, w, view));
  // One row per group: m consecutive weights along K, or an m x m block
  // (row-major) of m rows and m consecutive K.
  Value groups;
  if (transposable) {
    Value blocks = reshape(b, loc, magnitudes, {rows / m, m, k / m, m});
    blocks = transpose(b, loc, blocks, {0, 2, 1, 3});
    groups = reshape(b, loc, blocks, {(rows / m) * (k / m), m * m});
  } else {
    groups = reshape(b, loc, magnitudes, {rows * k / m, m});
  }
  Value scores = MatmulOp::create(b, loc, groups,
                                  patternConstant(b, loc, patterns, true));
  Value best = ArgMaxOp::create(b, loc, scores, /*axis=*/1,
                                /*keep_dims=*/false, /*select_last=*/false);
  Value chosen = GatherOp::create(b, loc, patternConstant(b, loc, patterns, false),
                                  best, b.getI64IntegerAttr(0));
  Value mask;
  if (transposable) {
    Value blocks = reshape(b, loc, chosen, {rows / m, k / m, m, m});
    blocks = transpose(b, loc, blocks, {0, 2, 1, 3});
    mask = reshape(b, loc, blocks, {rows, k});
  } else {
    mask = reshape(b, loc, chosen, {rows, k});
  }
  return fromView(b, loc, mask, view, w.getType());
}

} // namespace training
} // namespace kiln
