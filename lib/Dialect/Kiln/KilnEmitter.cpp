//===- KilnEmitter.cpp - Checked chains of kiln ops -----------------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Literals, broadcasts, reshapes, casts, transposes, slices and concats on
// top of Emitter::op, each a no-op where the value already has the wanted
// form (so decompositions do not fill the IR with identities).
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/Kiln/KilnEmitter.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/Sequence.h"

using namespace mlir;

namespace kiln {

void Emitter::reportFailure(const Twine &message) { emitError(loc) << message; }

Value Emitter::fail(const Twine &message) {
  if (!hasFailed)
    reportFailure(message);
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

Value Emitter::literal(RankedTensorType type, ArrayRef<double> values) {
  if (hasFailed)
    return {};
  Type element = type.getElementType();
  SmallVector<Attribute> attrs;
  attrs.reserve(values.size());
  for (double v : values) {
    if (auto f = dyn_cast<FloatType>(element))
      attrs.push_back(FloatAttr::get(f, v));
    else
      attrs.push_back(IntegerAttr::get(element, static_cast<int64_t>(v)));
  }
  return op<ConstantOp>(DenseElementsAttr::get(type, attrs));
}

Value Emitter::indices(ArrayRef<int64_t> shape, ArrayRef<int64_t> values) {
  if (hasFailed)
    return {};
  auto type = RankedTensorType::get(shape, b.getI64Type());
  return op<ConstantOp>(DenseElementsAttr::get(type, values));
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

Value Emitter::transpose(Value v, ArrayRef<int64_t> permutation) {
  if (!v || hasFailed)
    return {};
  if (llvm::equal(permutation,
                  llvm::seq<int64_t>(0, (int64_t)permutation.size())))
    return v;
  return op<TransposeOp>(v, permutation);
}

Value Emitter::sliceAxis(Value v, int64_t axis, int64_t offset, int64_t size,
                         int64_t stride) {
  if (!v || hasFailed)
    return {};
  ArrayRef<int64_t> shape = shapeOf(v);
  if (offset == 0 && stride == 1 && shape[axis] == size)
    return v;
  SmallVector<int64_t> offsets(shape.size(), 0), sizes(shape),
      strides(shape.size(), 1);
  offsets[axis] = offset;
  sizes[axis] = size;
  strides[axis] = stride;
  return op<SliceOp>(v, offsets, sizes, strides);
}

Value Emitter::concat(ValueRange values, int64_t axis) {
  if (hasFailed || llvm::any_of(values, [](Value v) { return !v; }))
    return {};
  if (values.size() == 1)
    return values.front();
  return op<ConcatOp>(values, axis);
}

} // namespace kiln
