//===- KilnTrainingOps.cpp - Verifiers and costs of training ops ----------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The ops of KilnTrainingOps.td: their verifiers and CostOpInterface
// methods (their classes are generated into KilnOps.cpp with the others).
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/Kiln/KilnOps.h"

using namespace mlir;
using namespace kiln;

//===----------------------------------------------------------------------===//
// DropoutMaskOp
//===----------------------------------------------------------------------===//

LogicalResult DropoutMaskOp::verify() {
  if (getRatio().getType().getRank() != 0)
    return emitOpError("ratio must be a rank-0 tensor, got ")
           << getRatio().getType();
  if (getOffset() && cast<RankedTensorType>(getOffset().getType()).getRank() != 0)
    return emitOpError("offset must be a rank-0 tensor, got ")
           << getOffset().getType();
  return success();
}

std::optional<int64_t> DropoutMaskOp::getFlops() {
  // One hash (about ten integer operations) and a compare per element.
  RankedTensorType type = getResult().getType();
  if (!type.hasStaticShape())
    return std::nullopt;
  return 10 * type.getNumElements();
}

//===----------------------------------------------------------------------===//
// MagnitudeThresholdOp
//===----------------------------------------------------------------------===//

LogicalResult MagnitudeThresholdOp::verify() {
  if (getCount().getType().getRank() != 0)
    return emitOpError("count must be a rank-0 tensor, got ")
           << getCount().getType();
  if (getResult().getType().getRank() != 0)
    return emitOpError("result must be a rank-0 tensor, got ")
           << getResult().getType();
  if (getInputs().empty())
    return emitOpError("needs at least one input");
  return success();
}

std::optional<int64_t> MagnitudeThresholdOp::getFlops() {
  // At most 31 bisection rounds, each a compare and an add per element.
  int64_t elements = 0;
  for (Value input : getInputs()) {
    auto type = cast<RankedTensorType>(input.getType());
    if (!type.hasStaticShape())
      return std::nullopt;
    elements += type.getNumElements();
  }
  return 31 * 2 * elements;
}
