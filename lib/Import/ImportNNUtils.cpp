//===- ImportNNUtils.cpp - Helpers of the neural-network importers --------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The Composer (checked chains of kiln ops for one node) and the activation
// functions shared by the activation ops and the recurrent ops.
//
//===----------------------------------------------------------------------===//

#include "ImportNNUtils.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::onnx_import;

Value Composer::fail(const Twine &message) {
  if (!hasFailed)
    (void)n.fail(message);
  hasFailed = true;
  return {};
}

Value Composer::splat(RankedTensorType type, double value) {
  if (hasFailed)
    return {};
  // A literal needs a static shape: a dynamic one broadcasts a scalar.
  if (!type.hasStaticShape())
    return op<BroadcastOp>(type, splat(RankedTensorType::get(
                                           {}, type.getElementType()),
                                       value));
  return n.splat(type, value);
}

Value Composer::splatLike(Value like, double value) {
  if (!like)
    return {};
  return splat(cast<RankedTensorType>(like.getType()), value);
}

Value Composer::literal(RankedTensorType type, ArrayRef<double> values) {
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

Value Composer::indices(ArrayRef<int64_t> shape, ArrayRef<int64_t> values) {
  if (hasFailed)
    return {};
  auto type = RankedTensorType::get(shape, n.b().getI64Type());
  return op<ConstantOp>(DenseElementsAttr::get(type, values));
}

Value Composer::broadcastTo(Value v, ArrayRef<int64_t> shape) {
  if (!v || hasFailed)
    return {};
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getShape() == shape)
    return v;
  return op<BroadcastOp>(RankedTensorType::get(shape, type.getElementType()),
                         v);
}

Value Composer::reshape(Value v, ArrayRef<int64_t> shape) {
  if (!v || hasFailed)
    return {};
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getShape() == shape)
    return v;
  return op<ReshapeOp>(RankedTensorType::get(shape, type.getElementType()), v);
}

Value Composer::castTo(Value v, Type elementType) {
  if (!v || hasFailed)
    return {};
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getElementType() == elementType)
    return v;
  return op<CastOp>(type.clone(elementType), v);
}

Value Composer::transpose(Value v, ArrayRef<int64_t> permutation) {
  if (!v || hasFailed)
    return {};
  if (llvm::equal(permutation,
                  llvm::seq<int64_t>(0, (int64_t)permutation.size())))
    return v;
  return op<TransposeOp>(v, permutation);
}

Value Composer::sliceAxis(Value v, int64_t axis, int64_t offset, int64_t size,
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

Value Composer::concat(ValueRange values, int64_t axis) {
  if (hasFailed || llvm::any_of(values, [](Value v) { return !v; }))
    return {};
  if (values.size() == 1)
    return values.front();
  return op<ConcatOp>(values, axis);
}

LogicalResult Composer::finish(int i, Value v) {
  if (hasFailed || !v)
    return failure();
  n.setOutput(i, v);
  return success();
}

Value onnx_import::buildActivation(Composer &c, StringRef name, Value x,
                                   std::optional<float> alpha,
                                   std::optional<float> beta) {
  std::string lower = name.lower();
  auto a = [&](double fallback) { return alpha ? double(*alpha) : fallback; };
  auto b = [&](double fallback) { return beta ? double(*beta) : fallback; };
  if (lower == "relu")
    return c.op<ReluOp>(x);
  if (lower == "tanh")
    return c.op<TanhOp>(x);
  if (lower == "sigmoid")
    return c.op<SigmoidOp>(x);
  if (lower == "affine")
    return c.addC(c.mulC(x, a(1.0)), b(0.0));
  if (lower == "leakyrelu")
    return c.select(c.cmpC(ComparePredicate::lt, x, 0.0), c.mulC(x, a(0.01)),
                    x);
  if (lower == "thresholdedrelu")
    return c.select(c.cmpC(ComparePredicate::gt, x, a(1.0)), x,
                    c.splatLike(x, 0.0));
  if (lower == "scaledtanh")
    return c.mulC(c.op<TanhOp>(c.mulC(x, b(1.0))), a(1.0));
  if (lower == "hardsigmoid")
    return c.maxC(c.minC(c.addC(c.mulC(x, a(0.2)), b(0.5)), 1.0), 0.0);
  if (lower == "elu") {
    // exp of min(x, 0): the branch not taken never overflows, so its
    // gradient (multiplied by zero) stays finite.
    Value e = c.subC(c.op<ExpOp>(c.minC(x, 0.0)), 1.0);
    return c.select(c.cmpC(ComparePredicate::lt, x, 0.0), c.mulC(e, a(1.0)),
                    x);
  }
  if (lower == "softsign")
    return c.div(x, c.addC(c.op<AbsOp>(x), 1.0));
  if (lower == "softplus") {
    // max(x, 0) + log(1 + exp(-|x|)): no overflow for large |x|.
    Value tail = c.op<LogOp>(
        c.addC(c.op<ExpOp>(c.op<NegOp>(c.op<AbsOp>(x))), 1.0));
    return c.add(c.maxC(x, 0.0), tail);
  }
  return c.fail("unsupported activation function '" + name + "'");
}
