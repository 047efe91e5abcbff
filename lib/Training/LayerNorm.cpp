//===- LayerNorm.cpp - Layer normalization as kiln ops --------------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Kept-dims reductions over the trailing dimensions [axis, rank), so the
// statistics broadcast back over x and already have the shape of ONNX's
// Mean and InvStdDev outputs. The variance is computed from the centered
// values (not E[x^2] - E[x]^2, which cancels badly).
//
//===----------------------------------------------------------------------===//

#include "kiln/Training/LayerNorm.h"
#include "kiln/Dialect/Kiln/KilnEmitter.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::training;

FailureOr<LayerNorm> training::buildLayerNorm(OpBuilder &builder, Location loc,
                                              Value x, Value scale, Value bias,
                                              int64_t axis, double epsilon,
                                              Type computeType) {
  auto xType = dyn_cast<RankedTensorType>(x.getType());
  if (!xType || !isa<FloatType>(xType.getElementType()))
    return emitError(loc, "layer normalization needs a float input");
  int64_t rank = xType.getRank();
  if (axis < 0 || axis >= rank)
    return emitError(loc) << "axis " << axis << " is out of range for rank "
                          << rank;
  if (!computeType)
    computeType = xType.getElementType();
  if (!isa<FloatType>(computeType))
    return emitError(loc, "the compute type must be a float type");

  Emitter e(builder, loc);
  ArrayRef<int64_t> shape = xType.getShape();
  SmallVector<int64_t> axes = llvm::to_vector(llvm::seq<int64_t>(axis, rank));
  Value xc = e.castTo(x, computeType);
  Value mean = e.op<ReduceMeanOp>(xc, axes, true);
  Value centered = e.op<SubOp>(xc, e.broadcastTo(mean, shape));
  Value var = e.op<ReduceMeanOp>(e.op<MulOp>(centered, centered), axes, true);
  Value invStdDev = e.op<RsqrtOp>(e.op<AddOp>(var, e.splatLike(var, epsilon)));
  Value normalized = e.castTo(
      e.op<MulOp>(centered, e.broadcastTo(invStdDev, shape)),
      xType.getElementType());
  Value y = e.op<MulOp>(normalized, e.broadcastTo(scale, shape));
  if (bias)
    y = e.op<AddOp>(y, e.broadcastTo(bias, shape));
  if (e.failed() || !y)
    return failure();
  return LayerNorm{y, mean, invStdDev};
}
