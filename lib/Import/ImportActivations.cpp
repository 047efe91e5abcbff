//===- ImportActivations.cpp - ONNX activation functions ------------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Activation functions that are compositions of kiln primitives: Elu, Selu,
// Celu, HardSigmoid, HardSwish, ThresholdedRelu, Softsign, Shrink, PRelu,
// Gelu (exact and tanh) and Mish.
// Piecewise functions are `select`s whose untaken branch cannot overflow
// (exp of min(x, 0)), so their gradients stay finite.
//
//===----------------------------------------------------------------------===//

#include "ImportNNUtils.h"

#include <cmath>

using namespace mlir;
using namespace kiln;
using namespace kiln::onnx_import;

namespace {

using Pred = ComparePredicate;

/// `f(x)` for a unary activation with float attributes.
template <Value (*Build)(Composer &, NodeImporter &, Value)>
LogicalResult importUnaryActivation(NodeImporter &n) {
  if (failed(n.expectInputs(1, 1)))
    return failure();
  Composer c(n);
  return c.result(Build(c, n, n.input(0)));
}

Value buildElu(Composer &c, NodeImporter &n, Value x) {
  return buildActivation(c, "Elu", x, n.attrFloat("alpha", 1.0f), {});
}

/// gamma * (x > 0 ? x : alpha * (e^x - 1)).
Value buildSelu(Composer &c, NodeImporter &n, Value x) {
  double alpha = n.attrFloat("alpha", 1.67326319217681884765625f);
  double gamma = n.attrFloat("gamma", 1.05070102214813232421875f);
  Value negative = c.mulC(c.subC(c.op<ExpOp>(c.minC(x, 0.0)), 1.0), alpha);
  Value y = c.select(c.cmpC(Pred::gt, x, 0.0), x, negative);
  return c.mulC(y, gamma);
}

/// max(0, x) + min(0, alpha * (exp(x / alpha) - 1)).
Value buildCelu(Composer &c, NodeImporter &n, Value x) {
  double alpha = n.attrFloat("alpha", 1.0f);
  Value scaled = c.mulC(x, 1.0 / alpha);
  Value e = c.mulC(c.subC(c.op<ExpOp>(c.minC(scaled, 0.0)), 1.0), alpha);
  return c.add(c.maxC(x, 0.0), c.minC(e, 0.0));
}

Value buildHardSigmoid(Composer &c, NodeImporter &n, Value x) {
  return buildActivation(c, "HardSigmoid", x, n.attrFloat("alpha", 0.2f),
                         n.attrFloat("beta", 0.5f));
}

/// x * max(0, min(1, x / 6 + 1/2)).
Value buildHardSwish(Composer &c, NodeImporter &, Value x) {
  return c.mul(x, buildActivation(c, "HardSigmoid", x, 1.0f / 6.0f, 0.5f));
}

Value buildThresholdedRelu(Composer &c, NodeImporter &n, Value x) {
  return buildActivation(c, "ThresholdedRelu", x, n.attrFloat("alpha", 1.0f),
                         {});
}

Value buildSoftsign(Composer &c, NodeImporter &, Value x) {
  return buildActivation(c, "Softsign", x, {}, {});
}

/// x < -lambd ? x + bias : x > lambd ? x - bias : 0.
Value buildShrink(Composer &c, NodeImporter &n, Value x) {
  double bias = n.attrFloat("bias", 0.0f), lambd = n.attrFloat("lambd", 0.5f);
  Value zero = c.splatLike(x, 0.0);
  Value upper = c.select(c.cmpC(Pred::gt, x, lambd), c.subC(x, bias), zero);
  return c.select(c.cmpC(Pred::lt, x, -lambd), c.addC(x, bias), upper);
}

/// Exact: x/2 * (1 + erf(x / sqrt 2)); "tanh":
/// x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))).
Value buildGelu(Composer &c, NodeImporter &n, Value x) {
  std::string approximate = n.attrString("approximate", "none");
  Value inner;
  if (approximate == "none") {
    inner = c.op<ErfOp>(c.mulC(x, M_SQRT1_2));
  } else if (approximate == "tanh") {
    Value cube = c.mul(c.mul(x, x), x);
    Value arg = c.mulC(c.add(x, c.mulC(cube, 0.044715)), std::sqrt(2.0 / M_PI));
    inner = c.op<TanhOp>(arg);
  } else {
    return c.fail("unsupported approximate '" + approximate + "'");
  }
  return c.mul(c.mulC(x, 0.5), c.addC(inner, 1.0));
}

/// x * tanh(softplus(x)).
Value buildMish(Composer &c, NodeImporter &, Value x) {
  return c.mul(x, c.op<TanhOp>(buildActivation(c, "Softplus", x, {}, {})));
}

/// x < 0 ? slope * x : x, the slope broadcast to x (numpy, one direction).
/// Before opset 7 a 1-D slope of the channel count is per channel.
LogicalResult importPRelu(NodeImporter &n) {
  if (failed(n.expectInputs(2, 2)))
    return failure();
  Composer c(n);
  Value x = n.input(0), slope = n.input(1);
  RankedTensorType xType = n.inputType(0), sType = n.inputType(1);
  if (sType.getElementType() != xType.getElementType())
    return n.fail("slope and input element types differ");
  if (n.opset() < 7 && xType.getRank() >= 2 && sType.getRank() == 1 &&
      sType.getDimSize(0) != 1 && sType.getDimSize(0) == xType.getDimSize(1)) {
    SmallVector<int64_t> channel(xType.getRank() - 1, 1);
    channel[0] = sType.getDimSize(0);
    slope = c.reshape(slope, channel);
  }
  std::optional<SmallVector<int64_t>> shape =
      slope ? broadcastShapes(xType.getShape(), shapeOf(slope)) : std::nullopt;
  if (!c.failed() && (!shape || *shape != SmallVector<int64_t>(xType.getShape())))
    return n.fail("slope does not broadcast to the input's shape");
  slope = c.broadcastTo(slope, xType.getShape());
  return c.result(
      c.select(c.cmpC(Pred::lt, x, 0.0), c.mul(x, slope), x));
}

} // namespace

void onnx_import::registerActivationImporters(OpImporterRegistry &r) {
  r.add("Elu", importUnaryActivation<buildElu>);
  r.add("Selu", importUnaryActivation<buildSelu>);
  r.add("Celu", importUnaryActivation<buildCelu>, /*sinceOpset=*/12);
  r.add("HardSigmoid", importUnaryActivation<buildHardSigmoid>);
  r.add("HardSwish", importUnaryActivation<buildHardSwish>, /*sinceOpset=*/14);
  r.add("ThresholdedRelu", importUnaryActivation<buildThresholdedRelu>,
        /*sinceOpset=*/10);
  r.add("Softsign", importUnaryActivation<buildSoftsign>);
  r.add("Shrink", importUnaryActivation<buildShrink>, /*sinceOpset=*/9);
  r.add("Gelu", importUnaryActivation<buildGelu>, /*sinceOpset=*/20);
  r.add("Mish", importUnaryActivation<buildMish>, /*sinceOpset=*/18);
  r.add("PRelu", importPRelu);
}
