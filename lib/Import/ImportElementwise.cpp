//===- ImportElementwise.cpp - ONNX elementwise ops -----------------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Unary and binary math, comparisons, Where, Cast, Clip and the activation
// functions that are sugar over them (LeakyRelu, Softplus, ...). Numpy
// broadcasting becomes explicit kiln.broadcast ops here.
//
// Element types: ONNX's unsigned integers are `ui<N>` tensors and keep
// their unsigned semantics through every op; booleans are `i1`, so Not,
// And, Or and Xor are the bitwise kiln ops on `i1`. Compositions:
//   Mod (fmod = 0, Python's sign of the divisor): r = rem(a, b), plus b
//     where r != 0 and r, b differ in sign (signed types only);
//   IsNaN: x != x; IsInf: x == +inf | x == -inf (as detect_* ask);
//   Sign: x > 0 ? 1 : x < 0 ? -1 : 0 (NaN stays NaN);
//   Tan = sin / cos; Sinh, Cosh from exp; Asinh, Acosh, Atanh from
//     log/sqrt (Asinh odd-symmetric, so it does not cancel for x < 0);
//   Asin = atan(x / sqrt((1 - x)(1 + x))), Acos = 2 atan(sqrt((1 - x) /
//     (1 + x))), exact at +-1 (atan(+-inf) = +-pi/2);
//   Pow on an integer base computes in f64 and truncates back;
//   Mean = Sum / count; CastLike = Cast to the element type of input 1.
//
//===----------------------------------------------------------------------===//

#include "ImportNNUtils.h"
#include "NodeImporter.h"

#include <cmath>

using namespace mlir;
using namespace kiln;
using namespace kiln::onnx_import;

namespace {

using Pred = ComparePredicate;

template <typename OpT> LogicalResult importUnary(NodeImporter &n) {
  // consumed_inputs: opset 1's legacy optimization hint, meaningless here.
  if (failed(n.expectInputs(1, 1)) ||
      failed(n.expectOnlyAttrs({"consumed_inputs"})))
    return failure();
  return n.setResult(n.create<OpT>(n.input(0)));
}

/// The inputs present, broadcast to their common shape and folded left
/// with OpT; `count` gets their number.
template <typename OpT>
FailureOr<Value> foldInputs(NodeImporter &n, int &count) {
  if (failed(n.expectInputs(1, 64)))
    return failure();
  SmallVector<Value> operands;
  for (int i = 0; i < n.numInputs(); ++i)
    if (n.hasInput(i))
      operands.push_back(n.input(i));
  count = operands.size();
  if (failed(n.broadcastAll(operands)))
    return failure();
  Value acc = operands.front();
  for (Value v : ArrayRef<Value>(operands).drop_front()) {
    FailureOr<Value> next = n.create<OpT>(acc, v);
    if (failed(next))
      return failure();
    acc = *next;
  }
  return acc;
}

/// Binary ops; Max/Min/Sum also accept any number of inputs (folded left).
template <typename OpT> LogicalResult importVariadic(NodeImporter &n) {
  int count = 0;
  return n.setResult(foldInputs<OpT>(n, count));
}

template <typename OpT> LogicalResult importBinary(NodeImporter &n) {
  if (failed(n.expectInputs(2, 2)))
    return failure();
  return importVariadic<OpT>(n);
}

/// Pow: the result has the base's type. A float base takes the exponent
/// cast to its type; an integer base computes in f64 (exact for the integer
/// powers that fit) and truncates back, as numpy's astype does.
LogicalResult importPow(NodeImporter &n) {
  if (failed(n.expectInputs(2, 2)))
    return failure();
  Composer c(n);
  Value base = n.input(0), exponent = n.input(1);
  Type baseElt = n.inputType(0).getElementType();
  Type computeElt = isa<FloatType>(baseElt) ? baseElt : n.b().getF64Type();
  if (!isa<FloatType>(baseElt) && !isa<IntegerType>(baseElt))
    return n.fail("Pow of this element type is not supported");
  Value b = c.castTo(base, computeElt), e = c.castTo(exponent, computeElt);
  if (c.failed())
    return failure();
  SmallVector<Value> operands{b, e};
  if (failed(n.broadcastAll(operands)))
    return failure();
  Value y = c.op<PowOp>(operands[0], operands[1]);
  return c.result(c.castTo(y, baseElt));
}

/// Integer ops (And, Or, Xor, BitShift, Bitwise*) need integer operands;
/// a float would only fail the op's verifier with a less clear message.
LogicalResult expectIntegerInputs(NodeImporter &n) {
  for (int i = 0; i < n.numInputs(); ++i)
    if (n.hasInput(i) && !isa<IntegerType>(n.inputType(i).getElementType()))
      return n.fail("expects integer or boolean inputs");
  return success();
}

template <typename OpT> LogicalResult importIntegerBinary(NodeImporter &n) {
  if (failed(n.expectInputs(2, 2)) || failed(expectIntegerInputs(n)))
    return failure();
  return importVariadic<OpT>(n);
}

/// Not (booleans) and BitwiseNot: xor with all ones.
LogicalResult importNot(NodeImporter &n) {
  if (failed(n.expectInputs(1, 1)) || failed(expectIntegerInputs(n)))
    return failure();
  Value x = n.input(0);
  return n.setResult(n.create<XorOp>(x, n.splatLike(x, -1.0)));
}

LogicalResult importBitShift(NodeImporter &n) {
  if (failed(n.expectInputs(2, 2)) || failed(expectIntegerInputs(n)) ||
      failed(n.expectOnlyAttrs({"direction"})))
    return failure();
  std::string direction = n.attrString("direction", "");
  if (direction == "LEFT")
    return importVariadic<ShiftLeftOp>(n);
  if (direction == "RIGHT")
    return importVariadic<ShiftRightOp>(n);
  return n.fail("BitShift direction must be LEFT or RIGHT, got '" + direction +
                "'");
}

/// Mod: fmod = 1 is C's fmod (kiln.rem); fmod = 0 (integers only) takes the
/// sign of the divisor.
LogicalResult importMod(NodeImporter &n) {
  if (failed(n.expectInputs(2, 2)) || failed(n.expectOnlyAttrs({"fmod"})))
    return failure();
  bool fmod = n.attrInt("fmod", 0) != 0;
  Type elt = n.inputType(0).getElementType();
  if (isa<FloatType>(elt) && !fmod)
    return n.fail("Mod of floats needs fmod = 1");
  SmallVector<Value> operands{n.input(0), n.input(1)};
  if (failed(n.broadcastAll(operands)))
    return failure();
  Composer c(n);
  Value a = operands[0], b = operands[1];
  Value r = c.op<RemOp>(a, b);
  if (fmod || elt.isUnsignedInteger())
    return c.result(r);
  // r != 0 and (r < 0) != (b < 0): move r into the divisor's sign.
  // One statement per op: the IR's order must not depend on the order in
  // which a compiler evaluates call arguments.
  Value rNeg = c.cmpC(Pred::lt, r, 0.0);
  Value bNeg = c.cmpC(Pred::lt, b, 0.0);
  Value signsDiffer = c.op<XorOp>(rNeg, bNeg);
  Value nonZero = c.cmpC(Pred::ne, r, 0.0);
  Value fix = c.op<AndOp>(nonZero, signsDiffer);
  return c.result(c.select(fix, c.add(r, b), r));
}

LogicalResult importIsNaN(NodeImporter &n) {
  if (failed(n.expectInputs(1, 1)))
    return failure();
  Value x = n.input(0);
  if (!isa<FloatType>(n.inputType(0).getElementType()))
    return n.fail("IsNaN expects a float input");
  return n.setResult(n.create<CompareOp>(Pred::ne, x, x));
}

LogicalResult importIsInf(NodeImporter &n) {
  if (failed(n.expectInputs(1, 1)) ||
      failed(n.expectOnlyAttrs({"detect_negative", "detect_positive"})))
    return failure();
  Value x = n.input(0);
  if (!isa<FloatType>(n.inputType(0).getElementType()))
    return n.fail("IsInf expects a float input");
  Composer c(n);
  bool pos = n.attrInt("detect_positive", 1),
       neg = n.attrInt("detect_negative", 1);
  Value isPos = c.cmpC(Pred::eq, x, INFINITY);
  Value isNeg = c.cmpC(Pred::eq, x, -INFINITY);
  if (pos && neg)
    return c.result(c.op<OrOp>(isPos, isNeg));
  if (pos)
    return c.result(isPos);
  if (neg)
    return c.result(isNeg);
  // Neither: all false (x == +inf and x == -inf never both hold).
  return c.result(c.op<AndOp>(isPos, isNeg));
}

LogicalResult importSign(NodeImporter &n) {
  if (failed(n.expectInputs(1, 1)))
    return failure();
  Composer c(n);
  Value x = n.input(0);
  Value zero = c.splatLike(x, 0.0);
  Value y = c.select(c.cmpC(Pred::gt, x, 0.0), c.splatLike(x, 1.0), zero);
  Type elt = n.inputType(0).getElementType();
  if (!elt.isUnsignedInteger())
    y = c.select(c.cmpC(Pred::lt, x, 0.0), c.splatLike(x, -1.0), y);
  if (isa<FloatType>(elt)) // NaN compares false with everything: keep it.
    y = c.select(c.cmp(Pred::ne, x, x), x, y);
  return c.result(y);
}

/// The float unary functions that are compositions of kiln primitives.
enum class Fn { Tan, Sinh, Cosh, Asinh, Acosh, Atanh, Asin, Acos };

template <Fn F> LogicalResult importFloatFunction(NodeImporter &n) {
  if (failed(n.expectInputs(1, 1)))
    return failure();
  if (!isa<FloatType>(n.inputType(0).getElementType()))
    return n.fail("expects a float input");
  Composer c(n);
  Value x = n.input(0);
  auto one = [&](Value like) { return c.splatLike(like, 1.0); };
  switch (F) {
  case Fn::Tan:
    return c.result(c.div(c.op<SinOp>(x), c.op<CosOp>(x)));
  case Fn::Sinh:
  case Fn::Cosh: {
    // (e^x -+ e^-x) / 2.
    Value ex = c.op<ExpOp>(x), emx = c.op<ExpOp>(c.op<NegOp>(x));
    Value sum = F == Fn::Sinh ? c.sub(ex, emx) : c.add(ex, emx);
    return c.result(c.mulC(sum, 0.5));
  }
  case Fn::Asinh: {
    // sign(x) log(|x| + sqrt(x^2 + 1)).
    Value ax = c.op<AbsOp>(x);
    Value mag = c.op<LogOp>(c.add(ax, c.op<SqrtOp>(c.addC(c.mul(x, x), 1.0))));
    return c.result(c.select(c.cmpC(Pred::lt, x, 0.0), c.op<NegOp>(mag), mag));
  }
  case Fn::Acosh:
    // log(x + sqrt((x - 1)(x + 1))).
    return c.result(c.op<LogOp>(
        c.add(x, c.op<SqrtOp>(c.mul(c.subC(x, 1.0), c.addC(x, 1.0))))));
  case Fn::Atanh: {
    // log((1 + x) / (1 - x)) / 2.
    Value ratio = c.div(c.add(one(x), x), c.sub(one(x), x));
    return c.result(c.mulC(c.op<LogOp>(ratio), 0.5));
  }
  case Fn::Asin: {
    Value root = c.op<SqrtOp>(c.mul(c.sub(one(x), x), c.add(one(x), x)));
    return c.result(c.op<AtanOp>(c.div(x, root)));
  }
  case Fn::Acos: {
    Value ratio = c.div(c.sub(one(x), x), c.add(one(x), x));
    return c.result(c.mulC(c.op<AtanOp>(c.op<SqrtOp>(ratio)), 2.0));
  }
  }
  return failure();
}

/// Mean: the variadic sum divided by the number of inputs.
LogicalResult importMean(NodeImporter &n) {
  int count = 0;
  FailureOr<Value> sum = foldInputs<AddOp>(n, count);
  if (failed(sum))
    return failure();
  if (count == 1)
    return n.setResult(sum);
  Composer c(n);
  return c.result(c.div(*sum, c.splatLike(*sum, double(count))));
}

template <ComparePredicate P> LogicalResult importCompare(NodeImporter &n) {
  if (failed(n.expectInputs(2, 2)))
    return failure();
  SmallVector<Value> operands{n.input(0), n.input(1)};
  if (failed(n.broadcastAll(operands)))
    return failure();
  return n.setResult(n.create<CompareOp>(P, operands[0], operands[1]));
}

LogicalResult importWhere(NodeImporter &n) {
  if (failed(n.expectInputs(3, 3)))
    return failure();
  SmallVector<Value> operands{n.input(0), n.input(1), n.input(2)};
  if (failed(n.broadcastAll(operands)))
    return failure();
  return n.setResult(n.create<SelectOp>(operands[0],                                       operands[1], operands[2]));
}

LogicalResult importCast(NodeImporter &n) {
  if (failed(n.expectInputs(1, 1)) ||
      failed(n.expectOnlyAttrs({"to", "saturate"})))
    return failure();
  std::string error;
  Type to = elementTypeFromOnnx(n.attrInt("to", 0), n.context(), error);
  if (!to)
    return n.fail("Cast 'to': " + error);
  return n.setResult(n.create<CastOp>(n.inputType(0).clone(to), n.input(0)));
}

/// CastLike: Cast to the element type of input 1 (whose values are unused).
LogicalResult importCastLike(NodeImporter &n) {
  if (failed(n.expectInputs(2, 2)) || failed(n.expectOnlyAttrs({"saturate"})))
    return failure();
  Type to = n.inputType(1).getElementType();
  return n.setResult(n.create<CastOp>(n.inputType(0).clone(to), n.input(0)));
}

LogicalResult importIdentity(NodeImporter &n) {
  if (failed(n.expectInputs(1, 1)))
    return failure();
  n.setOutput(0, n.input(0));
  return success();
}

/// Clip: bounds are attributes before opset 11 and optional inputs after.
LogicalResult importClip(NodeImporter &n) {
  if (failed(n.expectInputs(1, 3)))
    return failure();
  Value x = n.input(0);
  Value acc = x;
  auto bound = [&](int inputIndex, StringRef attrName,
                   bool isMin) -> LogicalResult {
    Value limit;
    if (n.opset() < 11) {
      if (!n.attr(attrName))
        return success();
      limit = n.splatLike(x, n.attrFloat(attrName, 0));
    } else {
      if (!n.hasInput(inputIndex))
        return success();
      FailureOr<Value> b = n.broadcastTo(n.input(inputIndex),
                                         n.inputType(0).getShape());
      if (failed(b))
        return failure();
      limit = *b;
    }
    FailureOr<Value> next = isMin ? n.create<MaxOp>(acc, limit)
                                  : n.create<MinOp>(acc, limit);
    if (failed(next))
      return failure();
    acc = *next;
    return success();
  };
  if (failed(bound(1, "min", true)) || failed(bound(2, "max", false)))
    return failure();
  n.setOutput(0, acc);
  return success();
}

/// LeakyRelu: x < 0 ? alpha * x : x.
LogicalResult importLeakyRelu(NodeImporter &n) {
  if (failed(n.expectInputs(1, 1)))
    return failure();
  Value x = n.input(0);
  Value zero = n.splatLike(x, 0.0);
  Value alpha = n.splatLike(x, n.attrFloat("alpha", 0.01f));
  FailureOr<Value> neg = n.create<CompareOp>(ComparePredicate::lt, x, zero);
  FailureOr<Value> scaled = n.create<MulOp>(x, alpha);
  if (failed(neg) || failed(scaled))
    return failure();
  return n.setResult(n.create<SelectOp>(*neg, *scaled, x));
}

/// Softplus: log(exp(x) + 1).
LogicalResult importSoftplus(NodeImporter &n) {
  if (failed(n.expectInputs(1, 1)))
    return failure();
  Value x = n.input(0);
  FailureOr<Value> e = n.create<ExpOp>(x);
  if (failed(e))
    return failure();
  FailureOr<Value> sum = n.create<AddOp>(*e, n.splatLike(x, 1.0));
  if (failed(sum))
    return failure();
  return n.setResult(n.create<LogOp>(*sum));
}

} // namespace

void onnx_import::registerElementwiseImporters(OpImporterRegistry &r) {
  r.add("Neg", importUnary<NegOp>);
  r.add("Abs", importUnary<AbsOp>);
  r.add("Relu", importUnary<ReluOp>);
  r.add("Exp", importUnary<ExpOp>);
  r.add("Log", importUnary<LogOp>);
  r.add("Sqrt", importUnary<SqrtOp>);
  r.add("Reciprocal", importUnary<ReciprocalOp>);
  r.add("Tanh", importUnary<TanhOp>);
  r.add("Sigmoid", importUnary<SigmoidOp>);
  r.add("Erf", importUnary<ErfOp>, /*sinceOpset=*/9);
  r.add("Floor", importUnary<FloorOp>);
  r.add("Ceil", importUnary<CeilOp>);
  r.add("Sin", importUnary<SinOp>, /*sinceOpset=*/7);
  r.add("Cos", importUnary<CosOp>, /*sinceOpset=*/7);
  r.add("Add", importBinary<AddOp>);
  r.add("Sub", importBinary<SubOp>);
  r.add("Mul", importBinary<MulOp>);
  r.add("Div", importBinary<DivOp>);
  r.add("Pow", importPow);
  r.add("Max", importVariadic<MaxOp>);
  r.add("Min", importVariadic<MinOp>);
  r.add("Sum", importVariadic<AddOp>);
  r.add("Equal", importCompare<ComparePredicate::eq>);
  r.add("Less", importCompare<ComparePredicate::lt>);
  r.add("LessOrEqual", importCompare<ComparePredicate::le>, /*sinceOpset=*/12);
  r.add("Greater", importCompare<ComparePredicate::gt>);
  r.add("GreaterOrEqual", importCompare<ComparePredicate::ge>,
        /*sinceOpset=*/12);
  r.add("Where", importWhere, /*sinceOpset=*/9);
  r.add("Cast", importCast);
  r.add("CastLike", importCastLike, /*sinceOpset=*/15);
  r.add("Mean", importMean);
  r.add("Round", importUnary<RoundOp>, /*sinceOpset=*/11);
  r.add("Atan", importUnary<AtanOp>, /*sinceOpset=*/7);
  r.add("Tan", importFloatFunction<Fn::Tan>, /*sinceOpset=*/7);
  r.add("Sinh", importFloatFunction<Fn::Sinh>, /*sinceOpset=*/9);
  r.add("Cosh", importFloatFunction<Fn::Cosh>, /*sinceOpset=*/9);
  r.add("Asinh", importFloatFunction<Fn::Asinh>, /*sinceOpset=*/9);
  r.add("Acosh", importFloatFunction<Fn::Acosh>, /*sinceOpset=*/9);
  r.add("Atanh", importFloatFunction<Fn::Atanh>, /*sinceOpset=*/9);
  r.add("Asin", importFloatFunction<Fn::Asin>, /*sinceOpset=*/7);
  r.add("Acos", importFloatFunction<Fn::Acos>, /*sinceOpset=*/7);
  r.add("Sign", importSign, /*sinceOpset=*/9);
  r.add("IsNaN", importIsNaN, /*sinceOpset=*/9);
  r.add("IsInf", importIsInf, /*sinceOpset=*/10);
  r.add("Mod", importMod, /*sinceOpset=*/10);
  r.add("Not", importNot);
  r.add("And", importIntegerBinary<AndOp>);
  r.add("Or", importIntegerBinary<OrOp>);
  r.add("Xor", importIntegerBinary<XorOp>);
  r.add("BitwiseNot", importNot, /*sinceOpset=*/18);
  r.add("BitwiseAnd", importIntegerBinary<AndOp>, /*sinceOpset=*/18);
  r.add("BitwiseOr", importIntegerBinary<OrOp>, /*sinceOpset=*/18);
  r.add("BitwiseXor", importIntegerBinary<XorOp>, /*sinceOpset=*/18);
  r.add("BitShift", importBitShift, /*sinceOpset=*/11);
  r.add("Identity", importIdentity);
  r.add("Clip", importClip);
  r.add("LeakyRelu", importLeakyRelu);
  r.add("Softplus", importSoftplus);
}
