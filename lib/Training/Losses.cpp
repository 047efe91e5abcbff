//===- Losses.cpp - Loss functions as kiln ops ----------------------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// NLL, softmax cross-entropy and MSE. The class of each target is picked
// with a one-hot mask: a literal [1, C, 1, ...] range of class indices
// compared with the target broadcast over the class axis. That keeps the
// loss in elementwise ops and reductions, whose gradient rules autodiff
// already has (a gather along the class axis would need a scatter).
//
//===----------------------------------------------------------------------===//

#include "kiln/Training/Losses.h"
#include "kiln/Dialect/Kiln/KilnEmitter.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::training;

std::optional<Reduction> training::parseReduction(StringRef name) {
  if (name == "none")
    return Reduction::None;
  if (name == "sum")
    return Reduction::Sum;
  if (name == "mean")
    return Reduction::Mean;
  return std::nullopt;
}

namespace {

SmallVector<int64_t> allAxes(int64_t rank) {
  return llvm::to_vector(llvm::seq<int64_t>(0, rank));
}

/// Sums every element into a rank-0 tensor.
Value sumAll(Emitter &e, Value v) {
  if (!v)
    return {};
  int64_t rank = cast<RankedTensorType>(v.getType()).getRank();
  if (rank == 0)
    return v;
  return e.op<ReduceSumOp>(v, allAxes(rank), false);
}

/// The [1, C, 1, ...] literal 0, 1, ..., C-1 of the target's integer type.
Value classIndices(Emitter &e, Type indexType, int64_t numClasses,
                   int64_t rank) {
  SmallVector<int64_t> shape(rank, 1);
  shape[1] = numClasses;
  auto type = RankedTensorType::get(shape, indexType);
  unsigned width = cast<IntegerType>(indexType).getWidth();
  SmallVector<APInt> values;
  for (int64_t c = 0; c < numClasses; ++c)
    values.push_back(APInt(width, c, /*isSigned=*/true));
  return ConstantOp::create(e.builder(), e.location(),
                            DenseIntElementsAttr::get(type, values));
}

} // namespace

FailureOr<Value> training::buildNLLLoss(OpBuilder &builder, Location loc,
                                        Value logProb, Value target,
                                        const ClassLossOptions &options) {
  Emitter e(builder, loc);
  auto scoresType = dyn_cast<RankedTensorType>(logProb.getType());
  auto targetType = dyn_cast<RankedTensorType>(target.getType());
  if (!scoresType || !isa<FloatType>(scoresType.getElementType()) ||
      scoresType.getRank() < 2)
    return emitError(loc, "the scores must be a float tensor [N, C, d...]");
  if (!targetType || !isa<IntegerType>(targetType.getElementType()) ||
      targetType.getElementType().isInteger(1))
    return emitError(loc, "the target must be an integer tensor [N, d...]");
  ArrayRef<int64_t> shape = scoresType.getShape();
  int64_t rank = scoresType.getRank(), numClasses = shape[1];
  // The class count sizes the one-hot literal; other dimensions (a symbolic
  // batch) may be dynamic.
  if (ShapedType::isDynamic(numClasses))
    return emitError(loc, "the class dimension (1) of the scores must be "
                          "static");
  SmallVector<int64_t> targetShape(shape);
  targetShape.erase(targetShape.begin() + 1);
  bool targetFits = targetType.getRank() == rank - 1;
  for (int64_t i = 0; targetFits && i < rank - 1; ++i) {
    int64_t t = targetType.getDimSize(i), s = targetShape[i];
    targetFits = t == s || ShapedType::isDynamic(t) || ShapedType::isDynamic(s);
  }
  if (!targetFits)
    return emitError(loc, "the target's shape must be the scores' shape "
                          "without the class axis 1");
  Type floatType = scoresType.getElementType();
  if (options.weight) {
    auto weightType = dyn_cast<RankedTensorType>(options.weight.getType());
    if (!weightType || weightType.getRank() != 1 ||
        weightType.getDimSize(0) != numClasses ||
        weightType.getElementType() != floatType)
      return emitError(loc, "the weight must be a [C] tensor of the scores' "
                            "element type");
  }

  // oneHot[n, c, d...] = (target[n, d...] == c).
  SmallVector<int64_t> unitClassShape(shape);
  unitClassShape[1] = 1;
  Value targetFull =
      e.broadcastTo(e.reshape(target, unitClassShape), shape);
  Value classes = e.broadcastTo(
      classIndices(e, targetType.getElementType(), numClasses, rank), shape);
  Value oneHot = e.op<CompareOp>(ComparePredicate::eq, targetFull, classes);
  Value zeros = e.splat(scoresType, 0.0);
  auto pick = [&](Value full) {
    return e.op<ReduceSumOp>(e.op<SelectOp>(oneHot, full, zeros),
                             ArrayRef<int64_t>{1}, false);
  };
  Value loss = e.op<NegOp>(pick(logProb));

  // Per-position weights: the target's class weight, 0 where ignored.
  Value weights;
  if (options.weight) {
    SmallVector<int64_t> weightShape(rank, 1);
    weightShape[1] = numClasses;
    weights = pick(e.broadcastTo(e.reshape(options.weight, weightShape), shape));
  }
  if (options.ignoreIndex) {
    Value ignore = e.splat(targetType, static_cast<double>(*options.ignoreIndex));
    Value valid = e.op<CompareOp>(ComparePredicate::ne, target, ignore);
    // Selected, not multiplied: an ignored position may hold -inf.
    loss = e.op<SelectOp>(valid, loss, e.splatLike(loss, 0.0));
    Value kept = weights ? weights : e.splatLike(loss, 1.0);
    weights = e.op<SelectOp>(valid, kept, e.splatLike(loss, 0.0));
  }
  if (options.weight)
    loss = e.op<MulOp>(loss, weights);

  switch (options.reduction) {
  case Reduction::None:
    break;
  case Reduction::Sum:
    loss = sumAll(e, loss);
    break;
  case Reduction::Mean:
    if (weights) {
      Value total = sumAll(e, loss);
      loss = e.op<DivOp>(total, sumAll(e, weights));
    } else
      loss = e.op<ReduceMeanOp>(loss, allAxes(rank - 1), false);
    break;
  }
  if (e.failed() || !loss)
    return failure();
  return loss;
}

FailureOr<SoftmaxCrossEntropy>
training::buildSoftmaxCrossEntropyLoss(OpBuilder &builder, Location loc,
                                       Value logits, Value target,
                                       const ClassLossOptions &options) {
  auto type = dyn_cast<RankedTensorType>(logits.getType());
  if (!type || !isa<FloatType>(type.getElementType()) || type.getRank() < 2)
    return emitError(loc, "the scores must be a float tensor [N, C, d...]");
  Emitter e(builder, loc);
  Value logProb = e.op<LogSoftmaxOp>(logits, 1);
  if (!logProb)
    return failure();
  FailureOr<Value> loss = buildNLLLoss(builder, loc, logProb, target, options);
  if (failed(loss))
    return failure();
  return SoftmaxCrossEntropy{*loss, logProb};
}

FailureOr<Value> training::buildMSELoss(OpBuilder &builder, Location loc,
                                        Value prediction, Value target,
                                        Reduction reduction) {
  if (prediction.getType() != target.getType() ||
      !isa<FloatType>(elementTypeOf(prediction)))
    return emitError(loc, "MSE needs a prediction and a target of one float "
                          "tensor type");
  Emitter e(builder, loc);
  Value diff = e.op<SubOp>(prediction, target);
  Value loss = e.op<MulOp>(diff, diff);
  int64_t rank = cast<RankedTensorType>(prediction.getType()).getRank();
  if (reduction == Reduction::Sum)
    loss = sumAll(e, loss);
  else if (reduction == Reduction::Mean && rank > 0)
    loss = e.op<ReduceMeanOp>(loss, allAxes(rank), false);
  if (e.failed() || !loss)
    return failure();
  return loss;
}
