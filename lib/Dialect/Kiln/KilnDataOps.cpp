//===- KilnDataOps.cpp - Shape rules and gradients of data ops ------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The ops of KilnDataOps.td: result-type inference (which is also their
// verifier) and gradient rules. Their classes are generated into
// KilnOps.cpp with the others.
//
//===----------------------------------------------------------------------===//

#include "KilnGradientUtils.h"
#include "kiln/Dialect/Kiln/KilnOps.h"

using namespace mlir;
using namespace kiln;

//===----------------------------------------------------------------------===//
// ArgMaxOp, ArgMinOp
//===----------------------------------------------------------------------===//

template <typename Adaptor>
static LogicalResult inferArgReduceType(std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  int64_t axis = adaptor.getAxis();
  if (axis < 0 || axis >= in.getRank())
    return emitOptionalError(loc, "axis ", axis, " out of range for rank ",
                             in.getRank());
  SmallVector<int64_t> shape;
  for (int64_t i = 0; i < in.getRank(); ++i) {
    if (i != axis)
      shape.push_back(in.getDimSize(i));
    else if (adaptor.getKeepDims())
      shape.push_back(1);
  }
  types.push_back(
      RankedTensorType::get(shape, IntegerType::get(in.getContext(), 64)));
  return success();
}

LogicalResult ArgMaxOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  return inferArgReduceType(loc, adaptor, types);
}

LogicalResult ArgMinOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  return inferArgReduceType(loc, adaptor, types);
}

// An index is an integer: nothing flows back to the input (a piecewise
// constant function of it).
LogicalResult ArgMaxOp::buildGradients(OpBuilder &, ValueRange,
                                       SmallVectorImpl<Value> &grads) {
  return grad::noGradients(getOperation(), grads);
}

LogicalResult ArgMinOp::buildGradients(OpBuilder &, ValueRange,
                                       SmallVectorImpl<Value> &grads) {
  return grad::noGradients(getOperation(), grads);
}
