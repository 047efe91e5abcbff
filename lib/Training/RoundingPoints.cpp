//===- RoundingPoints.cpp - Where a training step loses precision ---------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// See RoundingPoints.h.
//
//===----------------------------------------------------------------------===//

#include "kiln/Training/RoundingPoints.h"

#include "kiln/Dialect/Kiln/KilnOps.h"

using namespace mlir;

namespace kiln {
namespace training {

Value roundThrough(OpBuilder &b, Location loc, Value x, Type narrow) {
  auto type = cast<RankedTensorType>(x.getType());
  Value down = CastOp::create(b, loc, type.clone(narrow), x);
  return CastOp::create(b, loc, type, down);
}

Value straightThrough(OpBuilder &b, Location loc, Value x, Value q) {
  Value delta = StopGradientOp::create(b, loc, SubOp::create(b, loc, q, x));
  return AddOp::create(b, loc, x, delta);
}

} // namespace training
} // namespace kiln
