//===- KilnGradientsShape.cpp - Gradient rules of data movement ops -------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// DifferentiableOpInterface of the shape and data-movement ops. Each rule is
// the adjoint (transpose) of a linear map:
//   broadcast -> reduce_sum over the broadcast dimensions, then reshape;
//   reshape -> reshape back; transpose -> the inverse permutation;
//   slice -> pad with zeros (unit strides) or kiln.slice_backward;
//   concat -> one slice per input; pad -> slice;
//   gather -> kiln.scatter_add into zeros (duplicate indices accumulate).
// The backward primitives slice_backward and scatter_add have rules too
// (slice and gather), so second derivatives through them work.
//
//===----------------------------------------------------------------------===//

#include "KilnGradientUtils.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::grad;

/// The adjoint of an op that placed its whole input inside a larger result
/// at `offsets`, `strides` apart (pad, slice_backward): the slice of `g`
/// that the input landed in. Its size is the input's shape, so that must be
/// static.
template <typename OpT>
static LogicalResult sliceBack(OpT op, OpBuilder &b, Value g,
                               ArrayRef<int64_t> offsets,
                               ArrayRef<int64_t> strides, Value &grad) {
  RankedTensorType in = op.getInput().getType();
  if (!in.hasStaticShape())
    return op.emitOpError("gradient rule needs a static input shape, got ")
           << in;
  grad = SliceOp::create(b, op.getLoc(), g, offsets, in.getShape(), strides);
  return success();
}

LogicalResult BroadcastOp::buildGradients(OpBuilder &b, ValueRange rg,
                                          SmallVectorImpl<Value> &grads) {
  Value g = startFloatRule(*this, rg, grads);
  if (!g)
    return success();
  Location loc = getLoc();
  RankedTensorType in = getInput().getType(), out = getResult().getType();
  int64_t lead = out.getRank() - in.getRank();
  // Every output dimension that repeats the input: the missing leading ones
  // and the input's size-1 dimensions that grew.
  SmallVector<int64_t> axes;
  for (int64_t i = 0; i < out.getRank(); ++i)
    if (i < lead || (in.getDimSize(i - lead) == 1 && out.getDimSize(i) != 1))
      axes.push_back(i);
  Value sum = g;
  if (!axes.empty())
    sum = ReduceSumOp::create(b, loc, g, axes, /*keep_dims=*/false);
  grads[0] = reshapeTo(b, loc, sum, in);
  return success();
}

LogicalResult ReshapeOp::buildGradients(OpBuilder &b, ValueRange rg,
                                        SmallVectorImpl<Value> &grads) {
  if (Value g = startFloatRule(*this, rg, grads))
    grads[0] = reshapeTo(b, getLoc(), g, getInput().getType());
  return success();
}

LogicalResult TransposeOp::buildGradients(OpBuilder &b, ValueRange rg,
                                          SmallVectorImpl<Value> &grads) {
  Value g = startFloatRule(*this, rg, grads);
  if (!g)
    return success();
  ArrayRef<int64_t> perm = getPermutation();
  SmallVector<int64_t> inverse(perm.size());
  for (auto [i, p] : llvm::enumerate(perm))
    inverse[p] = i;
  grads[0] = TransposeOp::create(b, getLoc(), g, inverse);
  return success();
}

LogicalResult SliceOp::buildGradients(OpBuilder &b, ValueRange rg,
                                      SmallVectorImpl<Value> &grads) {
  Value g = startFloatRule(*this, rg, grads);
  if (!g)
    return success();
  Location loc = getLoc();
  RankedTensorType in = getInput().getType();
  bool unitStrides =
      llvm::all_of(getStrides(), [](int64_t s) { return s == 1; });
  if (unitStrides && in.hasStaticShape()) {
    // A contiguous box: zero padding around the gradient is its adjoint.
    SmallVector<int64_t> high;
    for (int64_t i = 0; i < in.getRank(); ++i)
      high.push_back(in.getDimSize(i) - getOffsets()[i] - getSizes()[i]);
    grads[0] = PadOp::create(b, loc, g, getOffsets(), high,
                             b.getFloatAttr(in.getElementType(), 0.0));
    return success();
  }
  grads[0] = SliceBackwardOp::create(b, loc, in, g, getOffsets(), getStrides());
  return success();
}

LogicalResult ConcatOp::buildGradients(OpBuilder &b, ValueRange rg,
                                       SmallVectorImpl<Value> &grads) {
  Value g = startFloatRule(*this, rg, grads);
  if (!g)
    return success();
  int64_t axis = getAxis();
  int64_t offset = 0;
  for (auto [k, input] : llvm::enumerate(getInputs())) {
    auto type = cast<RankedTensorType>(input.getType());
    if (!type.hasStaticShape())
      return emitOpError("gradient rule needs static input shapes, got ")
             << type;
    SmallVector<int64_t> offsets(type.getRank(), 0), strides(type.getRank(), 1);
    offsets[axis] = offset;
    grads[k] = SliceOp::create(b, getLoc(), g, offsets, type.getShape(),
                               strides);
    offset += type.getDimSize(axis);
  }
  return success();
}

LogicalResult GatherOp::buildGradients(OpBuilder &b, ValueRange rg,
                                       SmallVectorImpl<Value> &grads) {
  Value g = startFloatRule(*this, rg, grads);
  if (!g)
    return success();
  // Indices are integers: only the data gets a gradient, summed over every
  // position that read it.
  Location loc = getLoc();
  Value zeros = zerosLike(b, loc, getData());
  grads[0] = ScatterAddOp::create(b, loc, zeros, getIndices(), g, getAxis());
  return success();
}

LogicalResult PadOp::buildGradients(OpBuilder &b, ValueRange rg,
                                    SmallVectorImpl<Value> &grads) {
  Value g = startFloatRule(*this, rg, grads);
  if (!g)
    return success();
  SmallVector<int64_t> strides(getInput().getType().getRank(), 1);
  return sliceBack(*this, b, g, getLow(), strides, grads[0]);
}

LogicalResult SliceBackwardOp::buildGradients(OpBuilder &b, ValueRange rg,
                                              SmallVectorImpl<Value> &grads) {
  Value g = startFloatRule(*this, rg, grads);
  if (!g)
    return success();
  return sliceBack(*this, b, g, getOffsets(), getStrides(), grads[0]);
}

LogicalResult ScatterAddOp::buildGradients(OpBuilder &b, ValueRange rg,
                                           SmallVectorImpl<Value> &grads) {
  Value g = startFloatRule(*this, rg, grads);
  if (!g)
    return success();
  grads[0] = g;
  grads[2] = GatherOp::create(b, getLoc(), g, getIndices(), getAxis());
  return success();
}
