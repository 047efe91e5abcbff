//===- ImportDataUtils.cpp - Literals for the indexing importers ----------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//

#include "ImportDataUtils.h"

#include "llvm/Support/MathExtras.h"

#include <limits>

#include "mlir/IR/Matchers.h"

#include <cmath>

using namespace mlir;
using namespace kiln;
using namespace kiln::onnx_import;

Value onnx_import::i64Literal(NodeImporter &n, ArrayRef<int64_t> values,
                              ArrayRef<int64_t> shape) {
  auto type = RankedTensorType::get(shape, n.b().getI64Type());
  return ConstantOp::create(n.b(), n.location(),
                            DenseIntElementsAttr::get(type, values));
}

Value onnx_import::typedLiteral(NodeImporter &n, RankedTensorType type,
                                ArrayRef<double> values) {
  Type element = type.getElementType();
  SmallVector<Attribute> attrs;
  attrs.reserve(values.size());
  for (double v : values) {
    if (auto ft = dyn_cast<FloatType>(element)) {
      attrs.push_back(FloatAttr::get(ft, v));
      continue;
    }
    auto it = cast<IntegerType>(element);
    if (it.getWidth() == 1) {
      attrs.push_back(IntegerAttr::get(it, APInt(1, v != 0)));
      continue;
    }
    attrs.push_back(IntegerAttr::get(
        it, APInt(it.getWidth(), static_cast<int64_t>(std::trunc(v)),
                  /*isSigned=*/true, /*implicitTrunc=*/true)));
  }
  return ConstantOp::create(n.b(), n.location(),
                            DenseElementsAttr::get(type, attrs));
}

Value onnx_import::iotaAlong(NodeImporter &n, int64_t rank, int64_t axis,
                             int64_t extent) {
  SmallVector<int64_t> shape(rank, 1);
  shape[axis] = extent;
  return i64Literal(n, llvm::to_vector(llvm::seq<int64_t>(0, extent)), shape);
}

static std::optional<SmallVector<double>> doublesOf(DenseElementsAttr attr) {
  if (!attr)
    return std::nullopt;
  SmallVector<double> out;
  Type element = attr.getElementType();
  if (isa<FloatType>(element)) {
    for (const APFloat &v : attr.getValues<APFloat>())
      out.push_back(v.convertToDouble());
    return out;
  }
  if (auto it = dyn_cast<IntegerType>(element)) {
    for (const APInt &v : attr.getValues<APInt>())
      out.push_back(it.getWidth() == 1 || it.isUnsigned()
                        ? double(v.getZExtValue())
                        : double(v.getSExtValue()));
    return out;
  }
  return std::nullopt;
}

std::optional<SmallVector<double>> onnx_import::constantDoubles(NodeImporter &n,
                                                                int i) {
  return doublesOf(n.constantInput(i));
}

FailureOr<Value> onnx_import::castTo(NodeImporter &n, Value value,
                                     Type elementType) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getElementType() == elementType)
    return value;
  return n.create<CastOp>(type.clone(elementType), value);
}

/// Rounds `v` as a value of `element` would hold it.
static double roundTo(Type element, double v) {
  if (auto ft = dyn_cast<FloatType>(element)) {
    APFloat f(v);
    bool lost;
    f.convert(ft.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
    return f.convertToDouble();
  }
  if (element.isInteger(1))
    return v != 0;
  return std::trunc(v);
}

static std::optional<double> scalarValueImpl(Value value, int depth) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || !type.hasStaticShape() || type.getNumElements() != 1 ||
      depth > 16)
    return std::nullopt;
  DenseElementsAttr attr;
  if (matchPattern(value, m_Constant(&attr))) {
    std::optional<SmallVector<double>> v = doublesOf(attr);
    if (!v || v->size() != 1)
      return std::nullopt;
    return (*v)[0];
  }
  Operation *op = value.getDefiningOp();
  if (!op)
    return std::nullopt;
  Type element = type.getElementType();
  auto operand = [&](unsigned i) {
    return scalarValueImpl(op->getOperand(i), depth + 1);
  };
  if (isa<CastOp, ReshapeOp, BroadcastOp>(op)) {
    std::optional<double> x = operand(0);
    if (!x)
      return std::nullopt;
    return roundTo(element, *x);
  }
  if (isa<NegOp>(op)) {
    std::optional<double> x = operand(0);
    return x ? std::optional<double>(roundTo(element, -*x)) : std::nullopt;
  }
  if (!isa<AddOp, SubOp, MulOp, DivOp>(op))
    return std::nullopt;
  std::optional<double> a = operand(0), b = operand(1);
  if (!a || !b)
    return std::nullopt;
  double r;
  if (isa<AddOp>(op))
    r = *a + *b;
  else if (isa<SubOp>(op))
    r = *a - *b;
  else if (isa<MulOp>(op))
    r = *a * *b;
  else {
    if (!isa<FloatType>(element) && *b == 0)
      return std::nullopt;
    r = *a / *b;
  }
  return roundTo(element, r);
}

std::optional<double> onnx_import::scalarValue(Value value) {
  return scalarValueImpl(value, 0);
}

SmallVector<int64_t> onnx_import::stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t i = static_cast<int64_t>(shape.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

int64_t onnx_import::productOf(ArrayRef<int64_t> shape, size_t begin,
                               size_t end) {
  // Saturates at INT64_MAX: a product that large is refused by the size
  // checks downstream instead of wrapping around.
  int64_t p = 1;
  for (size_t i = begin; i < end && i < shape.size(); ++i)
    if (llvm::MulOverflow(p, shape[i], p))
      return std::numeric_limits<int64_t>::max();
  return p;
}
