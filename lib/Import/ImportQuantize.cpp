//===- ImportQuantize.cpp - ONNX linear quantization ops ------------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// ONNX's linear (de)quantization, as compositions of kiln primitives on the
// integer element types (uint8 is `ui8`, int8 `i8`):
//   QuantizeLinear:   y = saturate(round(x / scale) + zero_point), computed
//                     in the scale's float type, round half to even
//                     (kiln.round), saturated to the range of the zero
//                     point's type (uint8 when absent), then cast;
//   DequantizeLinear: y = (x - zero_point) * scale, in the scale's type;
//   DynamicQuantizeLinear: scale = (max(x, 0) - min(x, 0)) / 255, zero point
//                     saturate(round(-min(x, 0) / scale)), then QuantizeLinear;
//   MatMulInteger:    (a - a_zero_point) x (b - b_zero_point) in i32;
//   QLinearMatMul:    the same product, rescaled by a_scale * b_scale /
//                     y_scale and quantized to y_zero_point's type.
// A 1-D scale or zero point of (De)QuantizeLinear applies along `axis`
// (default 1); MatMulInteger's and QLinearMatMul's 1-D ones are per row of
// a ([M]) and per column of b ([N]).
//
//===----------------------------------------------------------------------===//

#include "ImportNNUtils.h"
#include "NodeImporter.h"

#include "llvm/ADT/APInt.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::onnx_import;

namespace {

/// The range of an 8-, 16- or 32-bit integer type as floats.
std::pair<double, double> integerRange(IntegerType t) {
  unsigned w = t.getWidth();
  if (t.isUnsigned())
    return {0.0, double(llvm::APInt::getMaxValue(w).getZExtValue())};
  return {double(llvm::APInt::getSignedMinValue(w).getSExtValue()),
          double(llvm::APInt::getSignedMaxValue(w).getSExtValue())};
}

/// `v` (rank 0 or 1) shaped to combine with a tensor of rank `rank` along
/// `axis`: a 1-D value of more than one element becomes [1, .., C, .., 1];
/// a scalar-like one stays (numpy broadcasting handles it).
Value alongAxis(Composer &c, Value v, int64_t rank, int64_t axis) {
  if (!v || c.failed())
    return {};
  ArrayRef<int64_t> shape = shapeOf(v);
  if (shape.size() != 1 || shape[0] == 1 || rank <= 1)
    return v;
  SmallVector<int64_t> target(rank, 1);
  target[axis] = shape[0];
  return c.reshape(v, target);
}

/// Numpy-broadcasts `a` and `b` to their common shape.
bool broadcastPair(Composer &c, Value &a, Value &b) {
  if (c.failed() || !a || !b)
    return false;
  SmallVector<Value> pair{a, b};
  if (!c.check(c.node().broadcastAll(pair)))
    return false;
  a = pair[0];
  b = pair[1];
  return true;
}

/// saturate(round(x / scale) + zeroPoint) as `to`; x, scale and zeroPoint
/// are float values (zeroPoint may be null: 0).
Value quantize(Composer &c, Value x, Value scale, Value zeroPoint,
               IntegerType to) {
  if (!broadcastPair(c, x, scale))
    return {};
  Value y = c.op<RoundOp>(c.div(x, scale));
  if (zeroPoint && broadcastPair(c, y, zeroPoint))
    y = c.add(y, zeroPoint);
  auto [lo, hi] = integerRange(to);
  return c.castTo(c.minC(c.maxC(y, lo), hi), to);
}

/// The zero point of input `i` as `floatType`, or null when absent.
Value zeroPointAs(Composer &c, NodeImporter &n, int i, Type floatType) {
  return n.hasInput(i) ? c.castTo(n.input(i), floatType) : Value();
}

/// The quantized type: that of the zero point at input `i`, else uint8.
FailureOr<IntegerType> quantizedType(NodeImporter &n, int i) {
  Type t = n.hasInput(i)
               ? n.inputType(i).getElementType()
               : IntegerType::get(n.context(), 8, IntegerType::Unsigned);
  auto it = dyn_cast<IntegerType>(t);
  if (!it || it.getWidth() == 1)
    return n.fail("the zero point must be an integer tensor");
  return it;
}

/// The axis of a per-axis scale (1-D, more than one element); 0, unused,
/// for a per-tensor one.
FailureOr<int64_t> quantizationAxis(NodeImporter &n) {
  ArrayRef<int64_t> scale = n.inputType(1).getShape();
  if (scale.size() != 1 || scale[0] == 1)
    return 0;
  return n.normalizeAxis(n.attrInt("axis", 1), n.inputType(0).getRank());
}

FailureOr<Type> floatScaleType(NodeImporter &n, int i) {
  Type t = n.inputType(i).getElementType();
  if (!isa<FloatType>(t))
    return n.fail("the scale must be a float tensor");
  return t;
}

LogicalResult importQuantizeLinear(NodeImporter &n) {
  if (failed(n.expectInputs(2, 3)) ||
      failed(n.expectOnlyAttrs({"axis", "saturate"})))
    return failure();
  FailureOr<IntegerType> to = quantizedType(n, 2);
  FailureOr<Type> fty = floatScaleType(n, 1);
  if (failed(to) || failed(fty))
    return failure();
  int64_t rank = n.inputType(0).getRank();
  FailureOr<int64_t> axis = quantizationAxis(n);
  if (failed(axis))
    return failure();
  Composer c(n);
  Value x = c.castTo(n.input(0), *fty);
  Value scale = alongAxis(c, n.input(1), rank, *axis);
  Value zp = alongAxis(c, zeroPointAs(c, n, 2, *fty), rank, *axis);
  return c.result(quantize(c, x, scale, zp, *to));
}

LogicalResult importDequantizeLinear(NodeImporter &n) {
  if (failed(n.expectInputs(2, 3)) || failed(n.expectOnlyAttrs({"axis"})))
    return failure();
  FailureOr<Type> fty = floatScaleType(n, 1);
  if (failed(fty))
    return failure();
  int64_t rank = n.inputType(0).getRank();
  FailureOr<int64_t> axis = quantizationAxis(n);
  if (failed(axis))
    return failure();
  Composer c(n);
  Value x = c.castTo(n.input(0), *fty);
  Value zp = alongAxis(c, zeroPointAs(c, n, 2, *fty), rank, *axis);
  if (zp && broadcastPair(c, x, zp))
    x = c.sub(x, zp);
  Value scale = alongAxis(c, n.input(1), rank, *axis);
  if (!broadcastPair(c, x, scale))
    return failure();
  return c.result(c.mul(x, scale));
}

LogicalResult importDynamicQuantizeLinear(NodeImporter &n) {
  if (failed(n.expectInputs(1, 1)) || failed(n.expectOnlyAttrs({})))
    return failure();
  Value x = n.input(0);
  if (!isa<FloatType>(n.inputType(0).getElementType()))
    return n.fail("DynamicQuantizeLinear expects a float input");
  auto u8 = IntegerType::get(n.context(), 8, IntegerType::Unsigned);
  Composer c(n);
  SmallVector<int64_t> all =
      llvm::to_vector(llvm::seq<int64_t>(0, n.inputType(0).getRank()));
  // The range always includes 0, so that 0 quantizes exactly.
  Value lo = c.minC(c.op<ReduceMinOp>(x, all, false), 0.0);
  Value hi = c.maxC(c.op<ReduceMaxOp>(x, all, false), 0.0);
  Value range = c.sub(hi, lo);
  Value scale = c.div(range, c.splatLike(range, 255.0));
  // saturate(round(0 - lo / scale)), kept in float for the quantization.
  Value zp =
      c.minC(c.maxC(c.op<RoundOp>(c.op<NegOp>(c.div(lo, scale))), 0.0), 255.0);
  Value y = quantize(c, x, scale, zp, u8);
  if (failed(c.finish(0, y)) || failed(c.finish(1, scale)))
    return failure();
  return c.finish(2, c.castTo(zp, u8));
}

/// `v` (A or B of a matrix product, already i32) minus its zero point
/// `zp`: a 1-D zero point is per row of A (`perRow`) or per column of B.
Value minusZeroPoint(Composer &c, Value v, Value zp, bool perRow) {
  if (!zp || !v || c.failed())
    return v;
  zp = c.castTo(zp, elementTypeOf(v));
  ArrayRef<int64_t> zs = shapeOf(zp);
  if (perRow && zs.size() == 1 && zs[0] != 1)
    zp = c.reshape(zp, {zs[0], 1});
  if (!broadcastPair(c, v, zp))
    return {};
  return c.sub(v, zp);
}

/// The i32 product of two integer operands of equal rank (>= 2) and equal
/// batch dimensions, their zero points subtracted first.
Value integerProduct(Composer &c, NodeImporter &n, Value a, Value aZero,
                     Value b, Value bZero) {
  ArrayRef<int64_t> as = shapeOf(a), bs = shapeOf(b);
  if (as.size() < 2 || as.size() != bs.size() ||
      as.drop_back(2) != bs.drop_back(2)) {
    c.fail("only operands of equal rank (at least 2) with equal batch "
           "dimensions are supported");
    return {};
  }
  Type i32 = n.b().getI32Type();
  Value a32 = minusZeroPoint(c, c.castTo(a, i32), aZero, /*perRow=*/true);
  Value b32 = minusZeroPoint(c, c.castTo(b, i32), bZero, /*perRow=*/false);
  return c.op<MatmulOp>(a32, b32);
}

Value optionalInput(NodeImporter &n, int i) {
  return n.hasInput(i) ? n.input(i) : Value();
}

LogicalResult importMatMulInteger(NodeImporter &n) {
  if (failed(n.expectInputs(2, 4)) || failed(n.expectOnlyAttrs({})))
    return failure();
  Composer c(n);
  return c.result(integerProduct(c, n, n.input(0), optionalInput(n, 2),
                                 n.input(1), optionalInput(n, 3)));
}

LogicalResult importQLinearMatMul(NodeImporter &n) {
  if (failed(n.expectInputs(8, 8)) || failed(n.expectOnlyAttrs({})))
    return failure();
  FailureOr<IntegerType> to = quantizedType(n, 7);
  FailureOr<Type> fty = floatScaleType(n, 6);
  if (failed(to) || failed(fty))
    return failure();
  Composer c(n);
  Value acc = c.castTo(
      integerProduct(c, n, n.input(0), n.input(2), n.input(3), n.input(5)),
      *fty);
  // a_scale (per row of a) * b_scale (per column of b) / y_scale.
  Value aScale = n.input(1), bScale = n.input(4);
  ArrayRef<int64_t> aScaleShape = shapeOf(aScale);
  if (aScaleShape.size() == 1 && aScaleShape[0] != 1)
    aScale = c.reshape(aScale, {aScaleShape[0], 1});
  Value scaled = acc;
  for (Value s : {aScale, bScale})
    if (broadcastPair(c, scaled, s))
      scaled = c.mul(scaled, s);
  Value zp = c.castTo(n.input(7), *fty);
  return c.result(quantize(c, scaled, n.input(6), zp, *to));
}

} // namespace

void onnx_import::registerQuantizationImporters(OpImporterRegistry &r) {
  r.add("QuantizeLinear", importQuantizeLinear, /*sinceOpset=*/10);
  r.add("DequantizeLinear", importDequantizeLinear, /*sinceOpset=*/10);
  r.add("DynamicQuantizeLinear", importDynamicQuantizeLinear,
        /*sinceOpset=*/11);
  r.add("MatMulInteger", importMatMulInteger, /*sinceOpset=*/10);
  r.add("QLinearMatMul", importQLinearMatMul, /*sinceOpset=*/10);
}
