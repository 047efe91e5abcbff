//===- Emitter.cpp - Checked kiln op creation for the builders ------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Type inference and verification of each created op, literals, broadcasts
// and reshapes for the training builders.
//
//===----------------------------------------------------------------------===//

#include "Emitter.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::training::detail;

Value Emitter::fail(const Twine &message) {
  if (!hasFailed)
    emitError(loc) << message;
  hasFailed = true;
  return {};
}

Value Emitter::splat(RankedTensorType type, double value) {
  if (hasFailed)
    return {};
  // A literal needs a static shape: a dynamic one broadcasts a scalar.
  if (!type.hasStaticShape())
    return op<BroadcastOp>(type, scalar(type.getElementType(), value));
  return createSplat(b, loc, type, value);
}

Value Emitter::scalar(Type elementType, double value) {
  return splat(RankedTensorType::get({}, elementType), value);
}

Value Emitter::splatLike(Value like, double value) {
  if (!like)
    return {};
  return splat(cast<RankedTensorType>(like.getType()), value);
}

Value Emitter::broadcastTo(Value v, ArrayRef<int64_t> shape) {
  if (!v || hasFailed)
    return {};
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getShape() == shape)
    return v;
  return op<BroadcastOp>(RankedTensorType::get(shape, type.getElementType()),
                         v);
}

Value Emitter::broadcastLike(Value v, Value like) {
  if (!like)
    return {};
  return broadcastTo(v, shapeOf(like));
}

Value Emitter::reshape(Value v, ArrayRef<int64_t> shape) {
  if (!v || hasFailed)
    return {};
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getShape() == shape)
    return v;
  return op<ReshapeOp>(RankedTensorType::get(shape, type.getElementType()), v);
}

Value Emitter::castTo(Value v, Type elementType) {
  if (!v || hasFailed)
    return {};
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getElementType() == elementType)
    return v;
  return op<CastOp>(type.clone(elementType), v);
}
