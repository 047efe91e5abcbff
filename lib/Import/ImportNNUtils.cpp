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

void Composer::reportFailure(const Twine &message) { (void)n.fail(message); }

Value Composer::finishOp(Operation *op) { return n.foldLiterals(op); }

LogicalResult Composer::finish(int i, Value v) {
  if (failed() || !v)
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
