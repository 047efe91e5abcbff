//===- KilnGradientsElementwise.cpp - Gradient rules of elementwise ops ---===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// DifferentiableOpInterface of the elementwise ops (unary and binary math,
// compare, select, cast) and of kiln.constant. Operands of an elementwise op
// have the result's type (broadcasting is explicit), so no rule here ever
// reduces: kiln.broadcast's rule does, once.
//
// Conventions at non-differentiable points, chosen to match PyTorch so that
// training runs can be compared with it:
//   relu'(0) = 0, abs'(0) = 0 (sign(0) = 0);
//   max/min at a tie: each operand gets half the gradient;
//   pow: d/da is 0 where b == 0, d/db is 0 where a == 0;
//   floor, ceil, compare and casts to integers have no gradient (zero
//   almost everywhere).
//
//===----------------------------------------------------------------------===//

#include "KilnGradientUtils.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::grad;

namespace {

using Grads = SmallVectorImpl<Value>;

/// Applies `rule(g)` to the result gradient of a one-operand op, if the
/// gradient exists and the operand is a float tensor.
LogicalResult
unaryRule(Operation *op, ValueRange resultGrads, Grads &grads,
          llvm::function_ref<Value(Value g, Value x, Value y)> rule) {
  Value g = startRule(op, resultGrads, grads);
  Value x = op->getOperand(0);
  if (!g || !isDifferentiableType(x.getType()))
    return success();
  grads[0] = rule(g, x, op->getResult(0));
  return success();
}

/// Applies `rule(g, a, b, y)` to a two-operand op; the rule fills both
/// operand gradients.
LogicalResult binaryRule(
    Operation *op, ValueRange resultGrads, Grads &grads,
    llvm::function_ref<void(Value g, Value a, Value b, Value y, Grads &)> rule) {
  Value g = startFloatRule(op, resultGrads, grads);
  if (!g)
    return success();
  rule(g, op->getOperand(0), op->getOperand(1), op->getResult(0), grads);
  return success();
}

Value cmp(OpBuilder &b, Location loc, ComparePredicate p, Value x, Value y) {
  return CompareOp::create(b, loc, p, x, y);
}

Value mul(OpBuilder &b, Location loc, Value x, Value y) {
  return MulOp::create(b, loc, x, y);
}

/// The gradient of max (isMax) or min with respect to `self` against
/// `other`: all of `g` where `self` wins, half of it at a tie, else 0.
Value extremumGrad(OpBuilder &b, Location loc, Value g, Value self,
                   Value other, bool isMax) {
  Value zero = zerosLike(b, loc, g);
  Value half = mul(b, loc, g, splat(b, loc, g.getType(), 0.5));
  Value wins = cmp(b, loc, isMax ? ComparePredicate::gt : ComparePredicate::lt,
                   self, other);
  Value tie = cmp(b, loc, ComparePredicate::eq, self, other);
  Value tieGrad = SelectOp::create(b, loc, tie, half, zero);
  return SelectOp::create(b, loc, wins, g, tieGrad);
}

/// The rule of max (isMax) and min: each operand against the other.
LogicalResult extremumRule(Operation *op, OpBuilder &b, ValueRange resultGrads,
                           Grads &grads, bool isMax) {
  Location loc = op->getLoc();
  return binaryRule(op, resultGrads, grads,
                    [&](Value g, Value lhs, Value rhs, Value, Grads &out) {
                      out[0] = extremumGrad(b, loc, g, lhs, rhs, isMax);
                      out[1] = extremumGrad(b, loc, g, rhs, lhs, isMax);
                    });
}

} // namespace

//===----------------------------------------------------------------------===//
// Constants, compare: nothing flows.
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::buildGradients(OpBuilder &, ValueRange,
                                         SmallVectorImpl<Value> &grads) {
  return noGradients(getOperation(), grads);
}

LogicalResult CompareOp::buildGradients(OpBuilder &, ValueRange,
                                        SmallVectorImpl<Value> &grads) {
  return noGradients(getOperation(), grads);
}

LogicalResult FloorOp::buildGradients(OpBuilder &, ValueRange,
                                      SmallVectorImpl<Value> &grads) {
  return noGradients(getOperation(), grads);
}

LogicalResult CeilOp::buildGradients(OpBuilder &, ValueRange,
                                     SmallVectorImpl<Value> &grads) {
  return noGradients(getOperation(), grads);
}

//===----------------------------------------------------------------------===//
// Unary math
//===----------------------------------------------------------------------===//

LogicalResult NegOp::buildGradients(OpBuilder &b, ValueRange rg,
                                    SmallVectorImpl<Value> &grads) {
  return unaryRule(*this, rg, grads, [&](Value g, Value, Value) -> Value {
    return NegOp::create(b, getLoc(), g);
  });
}

LogicalResult AbsOp::buildGradients(OpBuilder &b, ValueRange rg,
                                    SmallVectorImpl<Value> &grads) {
  Location loc = getLoc();
  return unaryRule(*this, rg, grads, [&](Value g, Value x, Value) -> Value {
    // sign(x) * g with sign(0) = 0.
    Value zero = zerosLike(b, loc, x);
    Value pos = cmp(b, loc, ComparePredicate::gt, x, zero);
    Value neg = cmp(b, loc, ComparePredicate::lt, x, zero);
    Value negG = NegOp::create(b, loc, g);
    Value inner = SelectOp::create(b, loc, neg, negG, zero);
    return SelectOp::create(b, loc, pos, g, inner);
  });
}

LogicalResult ReluOp::buildGradients(OpBuilder &b, ValueRange rg,
                                     SmallVectorImpl<Value> &grads) {
  Location loc = getLoc();
  return unaryRule(*this, rg, grads, [&](Value g, Value x, Value) -> Value {
    Value zero = zerosLike(b, loc, x);
    Value pos = cmp(b, loc, ComparePredicate::gt, x, zero);
    return SelectOp::create(b, loc, pos, g, zero);
  });
}

LogicalResult ExpOp::buildGradients(OpBuilder &b, ValueRange rg,
                                    SmallVectorImpl<Value> &grads) {
  return unaryRule(*this, rg, grads, [&](Value g, Value, Value y) -> Value {
    return mul(b, getLoc(), g, y);
  });
}

LogicalResult LogOp::buildGradients(OpBuilder &b, ValueRange rg,
                                    SmallVectorImpl<Value> &grads) {
  return unaryRule(*this, rg, grads, [&](Value g, Value x, Value) -> Value {
    return DivOp::create(b, getLoc(), g, x);
  });
}

LogicalResult SqrtOp::buildGradients(OpBuilder &b, ValueRange rg,
                                     SmallVectorImpl<Value> &grads) {
  Location loc = getLoc();
  return unaryRule(*this, rg, grads, [&](Value g, Value, Value y) -> Value {
    // g / (2 sqrt(x)), reusing the forward result.
    return DivOp::create(b, loc, g, AddOp::create(b, loc, y, y));
  });
}

LogicalResult RsqrtOp::buildGradients(OpBuilder &b, ValueRange rg,
                                      SmallVectorImpl<Value> &grads) {
  Location loc = getLoc();
  return unaryRule(*this, rg, grads, [&](Value g, Value, Value y) -> Value {
    // d/dx x^-1/2 = -1/2 x^-3/2 = -1/2 y^3: no division, no new sqrt.
    Value y3 = mul(b, loc, y, mul(b, loc, y, y));
    Value scaled = mul(b, loc, y3, splat(b, loc, y.getType(), -0.5));
    return mul(b, loc, g, scaled);
  });
}

LogicalResult ReciprocalOp::buildGradients(OpBuilder &b, ValueRange rg,
                                           SmallVectorImpl<Value> &grads) {
  Location loc = getLoc();
  return unaryRule(*this, rg, grads, [&](Value g, Value, Value y) -> Value {
    // d/dx 1/x = -1/x^2 = -y^2.
    return NegOp::create(b, loc, mul(b, loc, g, mul(b, loc, y, y)));
  });
}

LogicalResult TanhOp::buildGradients(OpBuilder &b, ValueRange rg,
                                     SmallVectorImpl<Value> &grads) {
  Location loc = getLoc();
  return unaryRule(*this, rg, grads, [&](Value g, Value, Value y) -> Value {
    Value one = splat(b, loc, y.getType(), 1.0);
    return mul(b, loc, g, SubOp::create(b, loc, one, mul(b, loc, y, y)));
  });
}

LogicalResult SigmoidOp::buildGradients(OpBuilder &b, ValueRange rg,
                                        SmallVectorImpl<Value> &grads) {
  Location loc = getLoc();
  return unaryRule(*this, rg, grads, [&](Value g, Value, Value y) -> Value {
    Value one = splat(b, loc, y.getType(), 1.0);
    return mul(b, loc, g, mul(b, loc, y, SubOp::create(b, loc, one, y)));
  });
}

LogicalResult ErfOp::buildGradients(OpBuilder &b, ValueRange rg,
                                    SmallVectorImpl<Value> &grads) {
  Location loc = getLoc();
  return unaryRule(*this, rg, grads, [&](Value g, Value x, Value) -> Value {
    // d/dx erf(x) = 2/sqrt(pi) e^(-x^2).
    const double twoOverSqrtPi = 1.12837916709551257390;
    Value e = ExpOp::create(b, loc, NegOp::create(b, loc, mul(b, loc, x, x)));
    Value d = mul(b, loc, e, splat(b, loc, x.getType(), twoOverSqrtPi));
    return mul(b, loc, g, d);
  });
}

LogicalResult SinOp::buildGradients(OpBuilder &b, ValueRange rg,
                                    SmallVectorImpl<Value> &grads) {
  return unaryRule(*this, rg, grads, [&](Value g, Value x, Value) -> Value {
    return mul(b, getLoc(), g, CosOp::create(b, getLoc(), x));
  });
}

LogicalResult CosOp::buildGradients(OpBuilder &b, ValueRange rg,
                                    SmallVectorImpl<Value> &grads) {
  Location loc = getLoc();
  return unaryRule(*this, rg, grads, [&](Value g, Value x, Value) -> Value {
    return NegOp::create(b, loc, mul(b, loc, g, SinOp::create(b, loc, x)));
  });
}

//===----------------------------------------------------------------------===//
// Binary math
//===----------------------------------------------------------------------===//

LogicalResult AddOp::buildGradients(OpBuilder &, ValueRange rg,
                                    SmallVectorImpl<Value> &grads) {
  return binaryRule(*this, rg, grads,
                    [&](Value g, Value, Value, Value, Grads &out) {
                      out[0] = g;
                      out[1] = g;
                    });
}

LogicalResult SubOp::buildGradients(OpBuilder &b, ValueRange rg,
                                    SmallVectorImpl<Value> &grads) {
  return binaryRule(*this, rg, grads,
                    [&](Value g, Value, Value, Value, Grads &out) {
                      out[0] = g;
                      out[1] = NegOp::create(b, getLoc(), g);
                    });
}

LogicalResult MulOp::buildGradients(OpBuilder &b, ValueRange rg,
                                    SmallVectorImpl<Value> &grads) {
  Location loc = getLoc();
  return binaryRule(*this, rg, grads,
                    [&](Value g, Value lhs, Value rhs, Value, Grads &out) {
                      out[0] = mul(b, loc, g, rhs);
                      out[1] = mul(b, loc, g, lhs);
                    });
}

LogicalResult DivOp::buildGradients(OpBuilder &b, ValueRange rg,
                                    SmallVectorImpl<Value> &grads) {
  Location loc = getLoc();
  return binaryRule(
      *this, rg, grads, [&](Value g, Value, Value rhs, Value y, Grads &out) {
        out[0] = DivOp::create(b, loc, g, rhs);
        // d/db a/b = -a/b^2 = -y/b.
        out[1] = NegOp::create(b, loc,
                               DivOp::create(b, loc, mul(b, loc, g, y), rhs));
      });
}

LogicalResult PowOp::buildGradients(OpBuilder &b, ValueRange rg,
                                    SmallVectorImpl<Value> &grads) {
  Location loc = getLoc();
  return binaryRule(
      *this, rg, grads, [&](Value g, Value a, Value e, Value y, Grads &out) {
        Value zero = zerosLike(b, loc, a);
        Value one = splat(b, loc, a.getType(), 1.0);
        // d/da a^e = e a^(e-1); 0 where e == 0 (else 0 * 0^-1 = NaN at a = 0).
        Value da = mul(b, loc, e,
                       PowOp::create(b, loc, a, SubOp::create(b, loc, e, one)));
        Value eZero = cmp(b, loc, ComparePredicate::eq, e, zero);
        out[0] = SelectOp::create(b, loc, eZero, zero, mul(b, loc, g, da));
        // d/de a^e = a^e log(a); 0 where a == 0 (else 0 * -inf = NaN).
        Value de = mul(b, loc, y, LogOp::create(b, loc, a));
        Value aZero = cmp(b, loc, ComparePredicate::eq, a, zero);
        out[1] = SelectOp::create(b, loc, aZero, zero, mul(b, loc, g, de));
      });
}

LogicalResult MaxOp::buildGradients(OpBuilder &b, ValueRange rg,
                                    SmallVectorImpl<Value> &grads) {
  return extremumRule(*this, b, rg, grads, /*isMax=*/true);
}

LogicalResult MinOp::buildGradients(OpBuilder &b, ValueRange rg,
                                    SmallVectorImpl<Value> &grads) {
  return extremumRule(*this, b, rg, grads, /*isMax=*/false);
}

//===----------------------------------------------------------------------===//
// Select and cast
//===----------------------------------------------------------------------===//

LogicalResult SelectOp::buildGradients(OpBuilder &b, ValueRange rg,
                                       SmallVectorImpl<Value> &grads) {
  Value g = startFloatRule(*this, rg, grads);
  if (!g)
    return success();
  // The condition is boolean: only the chosen value receives the gradient.
  Location loc = getLoc();
  Value zero = zerosLike(b, loc, g);
  grads[1] = SelectOp::create(b, loc, getCondition(), g, zero);
  grads[2] = SelectOp::create(b, loc, getCondition(), zero, g);
  return success();
}

LogicalResult CastOp::buildGradients(OpBuilder &b, ValueRange rg,
                                     SmallVectorImpl<Value> &grads) {
  Value g = startFloatRule(*this, rg, grads);
  // Only float -> float casts pass a gradient; casts to or from integers
  // are piecewise constant (or start from a value without gradient).
  if (!g || !isDifferentiableType(getInput().getType()))
    return success();
  grads[0] = CastOp::create(b, getLoc(), getInput().getType(), g);
  return success();
}
