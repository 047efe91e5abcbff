//===- KilnGradientsMath.cpp - Gradient rules of further math ops --------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// DifferentiableOpInterface of the ops in KilnMathOps.td:
//   and, or, xor, shift_left, shift_right: integer-only, no gradient;
//   round: piecewise constant, no gradient (like floor and ceil);
//   rem: d/dlhs = 1, d/drhs = -trunc(lhs / rhs) = -(lhs - rem) / rhs,
//     which reuses the forward result (PyTorch's fmod gradient);
//   atan: 1 / (1 + x^2).
//
//===----------------------------------------------------------------------===//

#include "KilnGradientUtils.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::grad;

//===----------------------------------------------------------------------===//
// Integer and piecewise-constant ops: nothing flows.
//===----------------------------------------------------------------------===//

LogicalResult AndOp::buildGradients(OpBuilder &, ValueRange,
                                    SmallVectorImpl<Value> &grads) {
  return noGradients(getOperation(), grads);
}

LogicalResult OrOp::buildGradients(OpBuilder &, ValueRange,
                                   SmallVectorImpl<Value> &grads) {
  return noGradients(getOperation(), grads);
}

LogicalResult XorOp::buildGradients(OpBuilder &, ValueRange,
                                    SmallVectorImpl<Value> &grads) {
  return noGradients(getOperation(), grads);
}

LogicalResult ShiftLeftOp::buildGradients(OpBuilder &, ValueRange,
                                          SmallVectorImpl<Value> &grads) {
  return noGradients(getOperation(), grads);
}

LogicalResult ShiftRightOp::buildGradients(OpBuilder &, ValueRange,
                                           SmallVectorImpl<Value> &grads) {
  return noGradients(getOperation(), grads);
}

LogicalResult RoundOp::buildGradients(OpBuilder &, ValueRange,
                                      SmallVectorImpl<Value> &grads) {
  return noGradients(getOperation(), grads);
}

//===----------------------------------------------------------------------===//
// Differentiable ones
//===----------------------------------------------------------------------===//

LogicalResult RemOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                    SmallVectorImpl<Value> &grads) {
  Value g = startFloatRule(*this, resultGrads, grads);
  if (!g)
    return success();
  Location loc = getLoc();
  grads[0] = g;
  // trunc(lhs / rhs) = (lhs - rem) / rhs, exact up to rounding.
  Value quotient = DivOp::create(
      b, loc, SubOp::create(b, loc, getLhs(), getResult()), getRhs());
  grads[1] = NegOp::create(b, loc, MulOp::create(b, loc, g, quotient));
  return success();
}

LogicalResult AtanOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                     SmallVectorImpl<Value> &grads) {
  Value g = startFloatRule(*this, resultGrads, grads);
  if (!g)
    return success();
  Location loc = getLoc();
  Value x = getInput();
  Value one = splat(b, loc, x.getType(), 1.0);
  Value denominator = AddOp::create(b, loc, one, MulOp::create(b, loc, x, x));
  grads[0] = DivOp::create(b, loc, g, denominator);
  return success();
}
