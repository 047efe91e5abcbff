//===- ImportNormalization.cpp - ONNX normalizations ----------------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// InstanceNormalization and GroupNormalization (the layer-norm builder of
// lib/Training over the spatial axes, resp. over channel groups), LRN (the
// squares summed over a channel window by a kiln.avg_pool2d), and the
// reductions MeanVarianceNormalization, LpNormalization, GlobalLpPool and
// LpPool. All are compositions: autodiff differentiates them through the
// primitives' rules.
//
//===----------------------------------------------------------------------===//

#include "ImportNNUtils.h"

#include "kiln/Training/LayerNorm.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::onnx_import;

namespace {

/// `v` [C] as [1, C, 1, ...] broadcast to `shape` (rank >= 2).
Value perChannel(Composer &c, Value v, ArrayRef<int64_t> shape) {
  SmallVector<int64_t> channel(shape.size(), 1);
  channel[1] = shape[1];
  return c.broadcastTo(c.reshape(v, channel), shape);
}

/// y = scale * (x - mean) / sqrt(var + epsilon) + B, with mean and var over
/// the spatial axes of each (n, c).
LogicalResult importInstanceNorm(NodeImporter &n) {
  if (failed(n.expectInputs(3, 3)) || failed(n.expectOnlyAttrs({"epsilon"})))
    return failure();
  RankedTensorType xType = n.inputType(0);
  if (xType.getRank() < 3)
    return n.fail("input must have rank >= 3 (N, C, spatial...)");
  Composer c(n);
  // Scale and bias [C] as [C, 1, ...]: they broadcast over [N, C, ...].
  SmallVector<int64_t> channel(xType.getRank() - 1, 1);
  channel[0] = xType.getDimSize(1);
  Value scale = c.reshape(n.input(1), channel);
  Value bias = c.reshape(n.input(2), channel);
  if (c.failed())
    return failure();
  FailureOr<training::LayerNorm> norm =
      training::buildLayerNorm(n.b(), n.location(), n.input(0), scale, bias,
                               /*axis=*/2, n.attrFloat("epsilon", 1e-5f));
  if (failed(norm))
    return failure();
  return c.result(norm->y);
}

/// Opset 18: scale and bias per group [G]; opset 21: per channel [C]. The
/// statistics are over each group's channels and the spatial axes.
LogicalResult importGroupNorm(NodeImporter &n) {
  if (failed(n.expectInputs(3, 3)) ||
      failed(n.expectOnlyAttrs({"epsilon", "num_groups", "stash_type"})))
    return failure();
  RankedTensorType xType = n.inputType(0);
  if (xType.getRank() < 3 || !xType.hasStaticShape())
    return n.fail("input must have a static shape of rank >= 3");
  int64_t groups = n.attrInt("num_groups", 0);
  ArrayRef<int64_t> shape = xType.getShape();
  int64_t channels = shape[1];
  if (groups <= 0 || channels % groups)
    return n.fail("num_groups must divide the channel count");
  std::string error;
  Type stash = n.opset() >= 21 ? elementTypeFromOnnx(n.attrInt("stash_type", 1),
                                                     n.context(), error)
                               : xType.getElementType();
  if (!stash || !isa<FloatType>(stash))
    return n.fail("stash_type must name a float type");
  int64_t inner = xType.getNumElements() / (shape[0] * groups);
  Composer c(n);
  Value grouped = c.reshape(n.input(0), {shape[0], groups, inner});
  Value one = c.splat(RankedTensorType::get({1}, xType.getElementType()), 1.0);
  if (c.failed())
    return failure();
  FailureOr<training::LayerNorm> norm = training::buildLayerNorm(
      n.b(), n.location(), grouped, one, Value(), /*axis=*/2,
      n.attrFloat("epsilon", 1e-5f), stash);
  if (failed(norm))
    return failure();
  Value y = norm->y;
  int64_t paramSize = n.inputType(1).getNumElements();
  if (paramSize == groups && groups != channels) {
    // Per-group affine on [N, G, inner].
    SmallVector<int64_t> groupShape{groups, 1};
    Value s = c.broadcastTo(c.reshape(n.input(1), groupShape), shapeOf(y));
    Value b = c.broadcastTo(c.reshape(n.input(2), groupShape), shapeOf(y));
    return c.result(c.reshape(c.add(c.mul(y, s), b), shape));
  }
  if (paramSize != channels)
    return n.fail("scale must have one entry per channel or per group");
  y = c.reshape(y, shape);
  return c.result(c.add(c.mul(y, perChannel(c, n.input(1), shape)),
                        perChannel(c, n.input(2), shape)));
}

/// y = x / (bias + alpha / size * square_sum)^beta, square_sum over the
/// channel window [c - floor((size-1)/2), c + ceil((size-1)/2)]: the squares
/// as [N, 1, C, rest] averaged by a kiln.avg_pool2d with a [size, 1] window
/// that counts its zero padding.
LogicalResult importLRN(NodeImporter &n) {
  if (failed(n.expectInputs(1, 1)) ||
      failed(n.expectOnlyAttrs({"alpha", "beta", "bias", "size"})))
    return failure();
  RankedTensorType xType = n.inputType(0);
  if (xType.getRank() < 3 || !xType.hasStaticShape())
    return n.fail("input must have a static shape of rank >= 3");
  int64_t size = n.attrInt("size", 0);
  if (size < 1)
    return n.fail("size must be >= 1");
  ArrayRef<int64_t> shape = xType.getShape();
  int64_t rest = xType.getNumElements() / (shape[0] * shape[1]);
  Composer c(n);
  Value x = n.input(0);
  Value squares = c.reshape(c.mul(x, x), {shape[0], 1, shape[1], rest});
  int64_t before = (size - 1) / 2, after = size - 1 - before;
  Value mean = c.op<AvgPool2dOp>(
      squares, ArrayRef<int64_t>{size, 1}, ArrayRef<int64_t>{1, 1},
      ArrayRef<int64_t>{before, 0, after, 0}, ArrayRef<int64_t>{1, 1},
      /*count_include_pad=*/true);
  mean = c.reshape(mean, shape);
  Value base =
      c.addC(c.mulC(mean, n.attrFloat("alpha", 1e-4f)), n.attrFloat("bias", 1.0f));
  Value denom = c.op<PowOp>(base, c.splatLike(base, n.attrFloat("beta", 0.75f)));
  return c.result(c.div(x, denom));
}

/// (x - E[x]) / (sqrt(E[x^2] - E[x]^2) + 1e-9) over `axes` (default
/// [0, 2, 3]), as ONNX's function body computes it.
LogicalResult importMeanVarianceNorm(NodeImporter &n) {
  if (failed(n.expectInputs(1, 1)) || failed(n.expectOnlyAttrs({"axes"})))
    return failure();
  RankedTensorType xType = n.inputType(0);
  SmallVector<int64_t> axes =
      n.attrInts("axes").value_or(SmallVector<int64_t>{0, 2, 3});
  FailureOr<SmallVector<int64_t>> normalized =
      n.normalizeAxes(axes, xType.getRank());
  if (failed(normalized))
    return failure();
  Composer c(n);
  Value x = n.input(0);
  Value mean = c.broadcastLike(c.meanOver(x, *normalized, true), x);
  Value meanOfSquares = c.broadcastLike(c.meanOver(c.mul(x, x), *normalized, true), x);
  Value variance = c.maxC(c.sub(meanOfSquares, c.mul(mean, mean)), 0.0);
  Value stddev = c.addC(c.op<SqrtOp>(variance), 1e-9);
  return c.result(c.div(c.sub(x, mean), stddev));
}

/// sum(|x|^p) over `axes` (kept) for p = 1 or 2, and its p-th root.
Value lpNorm(Composer &c, Value x, ArrayRef<int64_t> axes, int64_t p) {
  Value powered = p == 1 ? c.op<AbsOp>(x) : c.mul(x, x);
  Value sum = c.sumOver(powered, axes, true);
  return p == 1 ? sum : c.op<SqrtOp>(sum);
}

/// x / ||x||_p along `axis` (p = 1 or 2).
LogicalResult importLpNormalization(NodeImporter &n) {
  if (failed(n.expectInputs(1, 1)) || failed(n.expectOnlyAttrs({"axis", "p"})))
    return failure();
  int64_t p = n.attrInt("p", 2);
  if (p != 1 && p != 2)
    return n.fail("p must be 1 or 2");
  FailureOr<int64_t> axis =
      n.normalizeAxis(n.attrInt("axis", -1), n.inputType(0).getRank());
  if (failed(axis))
    return failure();
  Composer c(n);
  Value x = n.input(0);
  return c.result(c.div(x, c.broadcastLike(lpNorm(c, x, {*axis}, p), x)));
}

/// ||x||_p over every spatial axis, kept as size-1 dimensions.
LogicalResult importGlobalLpPool(NodeImporter &n) {
  if (failed(n.expectInputs(1, 1)) || failed(n.expectOnlyAttrs({"p"})))
    return failure();
  int64_t rank = n.inputType(0).getRank();
  if (rank < 3)
    return n.fail("input must have rank >= 3 (N, C, spatial...)");
  int64_t p = n.attrInt("p", 2);
  if (p != 1 && p != 2)
    return n.fail("only p = 1 and p = 2 are supported");
  Composer c(n);
  return c.result(lpNorm(c, n.input(0),
                         llvm::to_vector(llvm::seq<int64_t>(2, rank)), p));
}

} // namespace

void onnx_import::registerNormalizationImporters(OpImporterRegistry &r) {
  r.add("InstanceNormalization", importInstanceNorm);
  r.add("GroupNormalization", importGroupNorm, /*sinceOpset=*/18);
  r.add("LRN", importLRN);
  r.add("MeanVarianceNormalization", importMeanVarianceNorm, /*sinceOpset=*/9);
  r.add("LpNormalization", importLpNormalization);
  r.add("GlobalLpPool", importGlobalLpPool);
}
