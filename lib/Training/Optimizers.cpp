//===- Optimizers.cpp - Optimizer updates as kiln ops ---------------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// SGD, Momentum (standard and Nesterov), Adam and Adagrad, following the
// pseudo code of ONNX's ai.onnx.preview.training ops term by term (same
// order of operations, so results match its reference to rounding). The
// step-dependent scalars (the first-step beta, Adam's bias correction,
// Adagrad's decay) are computed on rank-0 tensors and broadcast once;
// terms whose hyperparameter makes them an identity (a zero norm
// coefficient, beta = 1) are left out. Ops are emitted in statement order
// (never two op-creating calls as arguments of one call, whose order C++
// leaves open), so the IR is the same with every compiler.
//
//===----------------------------------------------------------------------===//

#include "kiln/Training/Optimizers.h"
#include "kiln/Dialect/Kiln/KilnEmitter.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::training;

namespace {

/// Checks the operand types shared by every optimizer: X and its state
/// tensors of one float type, lr a rank-0 float, step a rank-0 number.
LogicalResult checkOperands(Location loc, Value lr, Value step, Value x,
                            ArrayRef<Value> sameAsX) {
  auto xType = dyn_cast<RankedTensorType>(x.getType());
  if (!xType || !isa<FloatType>(xType.getElementType()))
    return emitError(loc, "the optimized tensor must be a float tensor");
  for (Value v : sameAsX)
    if (v.getType() != xType)
      return emitError(loc) << "the gradient and optimizer state must have "
                               "the optimized tensor's type "
                            << xType << ", got " << v.getType();
  auto lrType = dyn_cast<RankedTensorType>(lr.getType());
  if (!lrType || lrType.getRank() != 0 ||
      !isa<FloatType>(lrType.getElementType()))
    return emitError(loc, "the learning rate must be a rank-0 float tensor");
  if (step) {
    auto stepType = dyn_cast<RankedTensorType>(step.getType());
    if (!stepType || stepType.getRank() != 0 ||
        stepType.getElementType().isInteger(1))
      return emitError(loc, "the step count must be a rank-0 number tensor");
  }
  return success();
}

/// Builds the shared pieces of an update of X.
class Update {
public:
  Update(OpBuilder &builder, Location loc, Value x)
      : e(builder, loc), x(x),
        type(cast<RankedTensorType>(x.getType())),
        element(type.getElementType()) {}

  Emitter e;
  Value x;
  RankedTensorType type;
  Type element;

  /// A literal like X.
  Value lit(double v) { return e.splat(type, v); }
  /// A rank-0 literal of X's element type.
  Value scalar(double v) { return e.scalar(element, v); }
  /// A rank-0 tensor of any float type, converted and broadcast like X.
  Value spread(Value s) { return e.broadcastTo(e.castTo(s, element), type.getShape()); }
  Value add(Value a, Value b) { return e.op<AddOp>(a, b); }
  Value sub(Value a, Value b) { return e.op<SubOp>(a, b); }
  Value mul(Value a, Value b) { return e.op<MulOp>(a, b); }
  Value div(Value a, Value b) { return e.op<DivOp>(a, b); }

  /// G + normCoefficient * X (ONNX writes norm * X + G).
  Value regularize(Value g, double normCoefficient) {
    if (normCoefficient == 0.0)
      return g;
    return add(mul(lit(normCoefficient), x), g);
  }
  /// `step > 0`, rank 0.
  Value afterFirstStep(Value step) {
    auto stepType = cast<RankedTensorType>(step.getType());
    return e.op<CompareOp>(ComparePredicate::gt, step, e.splat(stepType, 0.0));
  }
  /// The step as a rank-0 tensor of X's element type.
  Value stepAsFloat(Value step) { return e.castTo(step, element); }
  /// sqrt(H) + epsilon: the denominator of Adam's and Adagrad's update.
  Value rootPlusEpsilon(Value h, double epsilon) {
    Value root = e.op<SqrtOp>(h);
    return add(root, lit(epsilon));
  }
};

} // namespace

FailureOr<Value> training::buildSGDUpdate(OpBuilder &builder, Location loc,
                                          Value lr, Value x, Value g,
                                          double normCoefficient) {
  if (failed(checkOperands(loc, lr, Value(), x, {g})))
    return failure();
  Update u(builder, loc, x);
  Value gReg = u.regularize(g, normCoefficient);
  Value xNew = u.sub(x, u.mul(u.spread(lr), gReg));
  if (u.e.failed() || !xNew)
    return failure();
  return xNew;
}

FailureOr<MomentumUpdate>
training::buildMomentumUpdate(OpBuilder &builder, Location loc, Value lr,
                              Value step, Value x, Value g, Value v,
                              const MomentumOptions &o) {
  if (failed(checkOperands(loc, lr, step, x, {g, v})))
    return failure();
  Update u(builder, loc, x);
  Value gReg = u.regularize(g, o.normCoefficient);
  // beta applies from the second step on; the first uses 1.
  Value scaledG = gReg;
  if (o.beta != 1.0) {
    Value later = u.afterFirstStep(step);
    Value beta = u.scalar(o.beta);
    Value betaAdjusted = u.e.op<SelectOp>(later, beta, u.scalar(1.0));
    scaledG = u.mul(u.spread(betaAdjusted), gReg);
  }
  Value vNew = u.add(u.mul(u.lit(o.alpha), v), scaledG);
  Value direction =
      o.nesterov ? u.add(gReg, u.mul(u.lit(o.alpha), vNew)) : vNew;
  Value xNew = u.sub(x, u.mul(u.spread(lr), direction));
  if (u.e.failed() || !xNew)
    return failure();
  return MomentumUpdate{xNew, vNew};
}

FailureOr<AdamUpdate> training::buildAdamUpdate(OpBuilder &builder,
                                                Location loc, Value lr,
                                                Value step, Value x, Value g,
                                                Value v, Value h,
                                                const AdamOptions &o) {
  if (failed(checkOperands(loc, lr, step, x, {g, v, h})))
    return failure();
  Update u(builder, loc, x);
  Value gReg = u.regularize(g, o.normCoefficient);
  Value vDecayed = u.mul(u.lit(o.alpha), v);
  Value vNew = u.add(vDecayed, u.mul(u.lit(1.0 - o.alpha), gReg));
  Value hDecayed = u.mul(u.lit(o.beta), h);
  Value gSquared = u.mul(gReg, gReg);
  Value hNew = u.add(hDecayed, u.mul(u.lit(1.0 - o.beta), gSquared));
  Value hSqrt = u.rootPlusEpsilon(hNew, o.epsilon);

  // Bias correction on rank-0 values: lr * sqrt(1 - beta^T) / (1 - alpha^T)
  // once T > 0 (at T = 0 the quotient is 0/0 and is not selected).
  Value r = u.e.castTo(lr, u.element);
  Value t = u.stepAsFloat(step);
  Value alphaT = u.e.op<PowOp>(u.scalar(o.alpha), t);
  Value betaT = u.e.op<PowOp>(u.scalar(o.beta), t);
  Value betaRoot = u.e.op<SqrtOp>(u.sub(u.scalar(1.0), betaT));
  Value numerator = u.mul(r, betaRoot);
  Value corrected = u.div(numerator, u.sub(u.scalar(1.0), alphaT));
  Value later = u.afterFirstStep(step);
  Value rAdjusted = u.e.op<SelectOp>(later, corrected, r);

  Value direction = u.div(vNew, hSqrt);
  Value xNew = u.sub(x, u.mul(u.spread(rAdjusted), direction));
  if (o.normCoefficientPost != 0.0)
    xNew = u.mul(u.lit(1.0 - o.normCoefficientPost), xNew);
  if (u.e.failed() || !xNew)
    return failure();
  return AdamUpdate{xNew, vNew, hNew};
}

FailureOr<AdagradUpdate>
training::buildAdagradUpdate(OpBuilder &builder, Location loc, Value lr,
                             Value step, Value x, Value g, Value h,
                             const AdagradOptions &o) {
  if (failed(checkOperands(loc, lr, step, x, {g, h})))
    return failure();
  Update u(builder, loc, x);
  // r = lr / (1 + T * decay_factor), on rank-0 values.
  Value r = u.e.castTo(lr, u.element);
  if (o.decayFactor != 0.0) {
    Value t = u.stepAsFloat(step);
    Value decay = u.mul(t, u.scalar(o.decayFactor));
    r = u.div(r, u.add(u.scalar(1.0), decay));
  }
  Value gReg = u.regularize(g, o.normCoefficient);
  Value hNew = u.add(h, u.mul(gReg, gReg));
  Value hAdaptive = u.rootPlusEpsilon(hNew, o.epsilon);
  Value xNew = u.sub(x, u.div(u.mul(u.spread(r), gReg), hAdaptive));
  if (u.e.failed() || !xNew)
    return failure();
  return AdagradUpdate{xNew, hNew};
}
