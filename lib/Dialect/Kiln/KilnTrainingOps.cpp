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
