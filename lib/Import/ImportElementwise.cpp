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
//===----------------------------------------------------------------------===//

#include "NodeImporter.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::onnx_import;

namespace {

template <typename OpT> LogicalResult importUnary(NodeImporter &n) {
  if (failed(n.expectInputs(1, 1)))
    return failure();
  return n.setResult(n.create<OpT>(n.input(0)));
}

/// Binary ops; Max/Min/Sum also accept any number of inputs (folded left).
template <typename OpT> LogicalResult importVariadic(NodeImporter &n) {
  if (failed(n.expectInputs(1, 64)))
    return failure();
  SmallVector<Value> operands;
  for (int i = 0; i < n.numInputs(); ++i)
    if (n.hasInput(i))
      operands.push_back(n.input(i));
  if (failed(n.broadcastAll(operands)))
    return failure();
  Value acc = operands.front();
  for (Value v : ArrayRef<Value>(operands).drop_front()) {
    FailureOr<Value> next = n.create<OpT>(acc, v);
    if (failed(next))
      return failure();
    acc = *next;
  }
  n.setOutput(0, acc);
  return success();
}

template <typename OpT> LogicalResult importBinary(NodeImporter &n) {
  if (failed(n.expectInputs(2, 2)))
    return failure();
  return importVariadic<OpT>(n);
}

/// Pow's exponent may have another element type; ONNX computes in the base's.
LogicalResult importPow(NodeImporter &n) {
  if (failed(n.expectInputs(2, 2)))
    return failure();
  Value base = n.input(0), exponent = n.input(1);
  auto baseType = n.inputType(0);
  if (!isa<FloatType>(baseType.getElementType()))
    return n.fail("integer Pow is not supported");
  auto expType = n.inputType(1);
  if (expType.getElementType() != baseType.getElementType()) {
    FailureOr<Value> cast = n.create<CastOp>(
        expType.clone(baseType.getElementType()), exponent);
    if (failed(cast))
      return failure();
    exponent = *cast;
  }
  SmallVector<Value> operands{base, exponent};
  if (failed(n.broadcastAll(operands)))
    return failure();
  return n.setResult(n.create<PowOp>(operands[0], operands[1]));
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
  r.add("Erf", importUnary<ErfOp>);
  r.add("Floor", importUnary<FloorOp>);
  r.add("Ceil", importUnary<CeilOp>);
  r.add("Sin", importUnary<SinOp>);
  r.add("Cos", importUnary<CosOp>);
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
  r.add("LessOrEqual", importCompare<ComparePredicate::le>);
  r.add("Greater", importCompare<ComparePredicate::gt>);
  r.add("GreaterOrEqual", importCompare<ComparePredicate::ge>);
  r.add("Where", importWhere);
  r.add("Cast", importCast);
  r.add("Identity", importIdentity);
  r.add("Clip", importClip);
  r.add("LeakyRelu", importLeakyRelu);
  r.add("Softplus", importSoftplus);
}
