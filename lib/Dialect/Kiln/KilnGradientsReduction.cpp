//===- KilnGradientsReduction.cpp - Rules of reductions and softmax -------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// DifferentiableOpInterface of the reductions, softmax and log-softmax:
//   reduce_sum: the gradient broadcast back over the reduced axes;
//   reduce_mean: the same, divided by the number of reduced elements;
//   reduce_max / reduce_min: to the elements equal to the result, split
//     evenly among ties (PyTorch's amax/amin convention);
//   reduce_prod: the product of the other elements, computed without
//     dividing by the element itself, so zeros are exact (one zero in a
//     group gets the product of the rest, the others get 0);
//   softmax: y * (g - sum(g * y)); log_softmax: g - exp(y) * sum(g).
//
//===----------------------------------------------------------------------===//

#include "KilnGradientUtils.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::grad;

namespace {

/// reduce_max and reduce_min: the gradient goes to the elements that equal
/// the result, split evenly among them.
template <typename OpT>
LogicalResult extremumGradients(OpT op, OpBuilder &b, ValueRange rg,
                                SmallVectorImpl<Value> &grads) {
  Value g = startFloatRule(op, rg, grads);
  if (!g)
    return success();
  Location loc = op.getLoc();
  Value x = op.getInput();
  RankedTensorType in = op.getInput().getType();
  ArrayRef<int64_t> axes = op.getAxes();
  Value y = expandReduced(b, loc, op.getResult(), in, axes);
  Value isExtremum = CompareOp::create(b, loc, ComparePredicate::eq, x, y);
  Value mask = CastOp::create(b, loc, in, isExtremum);
  Value count = sumKeepDims(b, loc, mask, axes);
  Value share = DivOp::create(b, loc, reshapeTo(b, loc, g, count.getType()),
                              count);
  grads[0] = MulOp::create(b, loc, mask, broadcastTo(b, loc, share, in));
  return success();
}

/// The sum of `v` along the softmax `axis`, broadcast back to `type` (the
/// softmax's): the normalizer term of both softmax rules.
Value sumAlong(OpBuilder &b, Location loc, Value v, int64_t axis, Type type) {
  return broadcastTo(b, loc, sumKeepDims(b, loc, v, axis), type);
}

} // namespace

LogicalResult ReduceSumOp::buildGradients(OpBuilder &b, ValueRange rg,
                                          SmallVectorImpl<Value> &grads) {
  if (Value g = startFloatRule(*this, rg, grads))
    grads[0] = expandReduced(b, getLoc(), g, getInput().getType(), getAxes());
  return success();
}

LogicalResult ReduceMeanOp::buildGradients(OpBuilder &b, ValueRange rg,
                                           SmallVectorImpl<Value> &grads) {
  Value g = startFloatRule(*this, rg, grads);
  if (!g)
    return success();
  Location loc = getLoc();
  RankedTensorType in = getInput().getType();
  std::optional<int64_t> count = reducedCount(in, getAxes());
  if (!count)
    return emitOpError("gradient rule needs static reduced dimensions, got ")
           << in;
  Value scaled =
      MulOp::create(b, loc, g, splat(b, loc, g.getType(), 1.0 / double(*count)));
  grads[0] = expandReduced(b, loc, scaled, in, getAxes());
  return success();
}

LogicalResult ReduceMaxOp::buildGradients(OpBuilder &b, ValueRange rg,
                                          SmallVectorImpl<Value> &grads) {
  return extremumGradients(*this, b, rg, grads);
}

LogicalResult ReduceMinOp::buildGradients(OpBuilder &b, ValueRange rg,
                                          SmallVectorImpl<Value> &grads) {
  return extremumGradients(*this, b, rg, grads);
}

LogicalResult ReduceProdOp::buildGradients(OpBuilder &b, ValueRange rg,
                                           SmallVectorImpl<Value> &grads) {
  Value g = startFloatRule(*this, rg, grads);
  if (!g)
    return success();
  Location loc = getLoc();
  Value x = getInput();
  RankedTensorType in = getInput().getType();
  ArrayRef<int64_t> axes = getAxes();
  Value zero = zerosLike(b, loc, x);
  Value one = splat(b, loc, in, 1.0);
  // With z the zeros of a group and p the product of its non-zero elements:
  // no zero: d/dx_i = p / x_i; one zero: p at the zero, 0 elsewhere; more
  // zeros: 0 everywhere.
  Value isZero = CompareOp::create(b, loc, ComparePredicate::eq, x, zero);
  Value safe = SelectOp::create(b, loc, isZero, one, x);
  Value nonZeroProd = ReduceProdOp::create(b, loc, safe, axes, true);
  Value zeroCount =
      sumKeepDims(b, loc, CastOp::create(b, loc, in, isZero), axes);
  Value p = broadcastTo(b, loc, nonZeroProd, in);
  Value z = broadcastTo(b, loc, zeroCount, in);
  Value gb = expandReduced(b, loc, g, in, axes);
  Value gp = MulOp::create(b, loc, gb, p);
  Value noZeros = CompareOp::create(b, loc, ComparePredicate::eq, z, zero);
  Value oneZero = CompareOp::create(b, loc, ComparePredicate::eq, z, one);
  Value atNonZero = SelectOp::create(b, loc, noZeros,
                                     DivOp::create(b, loc, gp, safe), zero);
  Value atZero = SelectOp::create(b, loc, oneZero, gp, zero);
  grads[0] = SelectOp::create(b, loc, isZero, atZero, atNonZero);
  return success();
}

LogicalResult SoftmaxOp::buildGradients(OpBuilder &b, ValueRange rg,
                                        SmallVectorImpl<Value> &grads) {
  Value g = startRule(*this, rg, grads);
  if (!g)
    return success();
  Location loc = getLoc();
  Value y = getResult();
  int64_t axis = getAxis();
  Value dot = sumAlong(b, loc, MulOp::create(b, loc, g, y), axis, y.getType());
  Value centered = SubOp::create(b, loc, g, dot);
  grads[0] = MulOp::create(b, loc, y, centered);
  return success();
}

LogicalResult LogSoftmaxOp::buildGradients(OpBuilder &b, ValueRange rg,
                                           SmallVectorImpl<Value> &grads) {
  Value g = startRule(*this, rg, grads);
  if (!g)
    return success();
  Location loc = getLoc();
  Value y = getResult();
  int64_t axis = getAxis();
  Value total = sumAlong(b, loc, g, axis, y.getType());
  Value softmax = ExpOp::create(b, loc, y);
  grads[0] = SubOp::create(b, loc, g, MulOp::create(b, loc, softmax, total));
  return success();
}
