//===- BatchNorm.cpp - Training-mode batch normalization ------------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Batch statistics are kept-dims reductions over every axis but the channel
// axis 1, so they broadcast straight back over x; the [C] parameters are
// reshaped to [1, C, 1, ...] and broadcast. The variance is the population
// variance (ONNX's definition for both y and the running statistics).
//
//===----------------------------------------------------------------------===//

#include "kiln/Training/BatchNorm.h"
#include "kiln/Dialect/Kiln/KilnEmitter.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::training;

FailureOr<BatchNormTraining> training::buildBatchNormTraining(
    OpBuilder &builder, Location loc, Value x, Value scale, Value bias,
    Value runningMean, Value runningVar, double epsilon, double momentum) {
  auto xType = dyn_cast<RankedTensorType>(x.getType());
  if (!xType || !isa<FloatType>(xType.getElementType()) || xType.getRank() < 2)
    return emitError(loc, "batch normalization needs a float input of rank "
                          ">= 2 (N, C, ...)");
  int64_t rank = xType.getRank(), channels = xType.getDimSize(1);
  auto paramType = RankedTensorType::get({channels}, xType.getElementType());
  for (Value v : {scale, bias, runningMean, runningVar})
    if (v.getType() != paramType)
      return emitError(loc) << "scale, bias and the running statistics must "
                               "be "
                            << paramType << ", got " << v.getType();

  Emitter e(builder, loc);
  ArrayRef<int64_t> shape = xType.getShape();
  SmallVector<int64_t> axes;
  for (int64_t i = 0; i < rank; ++i)
    if (i != 1)
      axes.push_back(i);
  SmallVector<int64_t> channelShape(rank, 1);
  channelShape[1] = channels;
  auto perChannel = [&](Value v) {
    return e.broadcastTo(e.reshape(v, channelShape), shape);
  };

  Value mean = e.op<ReduceMeanOp>(x, axes, true);
  Value centered = e.op<SubOp>(x, e.broadcastTo(mean, shape));
  Value var = e.op<ReduceMeanOp>(e.op<MulOp>(centered, centered), axes, true);
  Value invStd = e.op<RsqrtOp>(e.op<AddOp>(var, e.splatLike(var, epsilon)));
  Value normalized = e.op<MulOp>(centered, e.broadcastTo(invStd, shape));
  Value scaled = e.op<MulOp>(normalized, perChannel(scale));
  Value y = e.op<AddOp>(scaled, perChannel(bias));

  Value batchMean = e.reshape(mean, {channels});
  Value batchVar = e.reshape(var, {channels});
  auto blend = [&](Value running, Value batch) {
    Value kept = e.op<MulOp>(running, e.splat(paramType, momentum));
    Value added = e.op<MulOp>(batch, e.splat(paramType, 1.0 - momentum));
    return e.op<AddOp>(kept, added);
  };
  Value newMean = blend(runningMean, batchMean);
  Value newVar = blend(runningVar, batchVar);
  if (e.failed() || !y || !newMean || !newVar)
    return failure();
  return BatchNormTraining{y, newMean, newVar, batchMean, batchVar};
}
