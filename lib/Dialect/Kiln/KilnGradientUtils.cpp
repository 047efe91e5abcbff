//===- KilnGradientUtils.cpp - Helpers of the gradient rules --------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//

#include "KilnGradientUtils.h"

#include "kiln/Dialect/Kiln/KilnBuilder.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;

namespace kiln {
namespace grad {

bool isDifferentiableType(Type type) {
  return isa<FloatType>(getElementTypeOrSelf(type));
}

Value splat(OpBuilder &b, Location loc, Type type, double value) {
  auto tensor = cast<RankedTensorType>(type);
  if (tensor.hasStaticShape())
    return createSplat(b, loc, tensor, value);
  auto rank0 = RankedTensorType::get({}, tensor.getElementType());
  Value c = createSplat(b, loc, rank0, value);
  return BroadcastOp::create(b, loc, tensor, c);
}

LogicalResult noGradients(Operation *op, SmallVectorImpl<Value> &grads) {
  grads.assign(op->getNumOperands(), Value());
  return success();
}

Value startRule(Operation *op, ValueRange resultGrads,
                SmallVectorImpl<Value> &grads) {
  (void)noGradients(op, grads);
  return resultGrads[0];
}

Value startFloatRule(Operation *op, ValueRange resultGrads,
                     SmallVectorImpl<Value> &grads) {
  Value g = startRule(op, resultGrads, grads);
  if (!g || !isDifferentiableType(op->getResult(0).getType()))
    return Value();
  return g;
}

Value reshapeTo(OpBuilder &b, Location loc, Value v, Type type) {
  if (v.getType() == type)
    return v;
  return ReshapeOp::create(b, loc, type, v);
}

Value broadcastTo(OpBuilder &b, Location loc, Value v, Type type) {
  if (v.getType() == type)
    return v;
  return BroadcastOp::create(b, loc, type, v);
}

RankedTensorType keepDimsType(RankedTensorType input, ArrayRef<int64_t> axes) {
  SmallVector<int64_t> shape(input.getShape());
  for (int64_t a : axes)
    shape[a] = 1;
  return RankedTensorType::get(shape, input.getElementType());
}

Value expandReduced(OpBuilder &b, Location loc, Value v, RankedTensorType input,
                    ArrayRef<int64_t> axes) {
  auto kept = keepDimsType(input, axes);
  auto vType = cast<RankedTensorType>(v.getType());
  kept = RankedTensorType::get(kept.getShape(), vType.getElementType());
  Value k = reshapeTo(b, loc, v, kept);
  return broadcastTo(
      b, loc, k,
      RankedTensorType::get(input.getShape(), vType.getElementType()));
}

Value sumKeepDims(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> axes) {
  return ReduceSumOp::create(b, loc, v, axes, /*keep_dims=*/true);
}

std::optional<int64_t> reducedCount(RankedTensorType input,
                                    ArrayRef<int64_t> axes) {
  int64_t count = 1;
  for (int64_t a : axes) {
    if (input.isDynamicDim(a))
      return std::nullopt;
    count *= input.getDimSize(a);
  }
  return count;
}

} // namespace grad
} // namespace kiln
