//===- GatherCopies.cpp - Copies through affine read maps -----------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Implements GatherCopies.h.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/CPU/GatherCopies.h"

#include "mlir/IR/AffineExpr.h"

using namespace mlir;

namespace kiln {
namespace cpu {

bool readsDimAtUnitStride(AffineExpr e, unsigned dim, unsigned numDims) {
  if (!e.isPureAffine())
    return false;
  AffineExpr rest = simplifyAffineExpr(
      e - getAffineDimExpr(dim, e.getContext()), numDims, 0);
  return !rest.isFunctionOfDim(dim);
}

linalg::GenericOp buildGatherCopy(OpBuilder &b, Location loc, Value source,
                                  AffineMap read, Value dest) {
  unsigned rank = read.getNumDims();
  SmallVector<AffineMap> maps = {
      read, AffineMap::getMultiDimIdentityMap(rank, b.getContext())};
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  return linalg::GenericOp::create(
      b, loc, TypeRange{dest.getType()}, ValueRange{source}, ValueRange{dest},
      maps, iters, [](OpBuilder &nb, Location l, ValueRange args) {
        linalg::YieldOp::create(nb, l, args[0]);
      });
}

bool isWindowCopy(linalg::LinalgOp op) {
  auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
  if (!generic || generic.getNumDpsInputs() != 1 ||
      generic.getNumDpsInits() != 1)
    return false;
  Block &body = generic.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  if (body.getOperations().size() != 1 ||
      yield.getOperand(0) != body.getArgument(0))
    return false;
  SmallVector<AffineMap> maps = generic.getIndexingMapsArray();
  if (!maps[1].isIdentity() || maps[0].getNumResults() == 0)
    return false;
  unsigned numDims = maps[0].getNumDims(), inner = numDims - 1;
  ArrayRef<AffineExpr> results = maps[0].getResults();
  for (AffineExpr e : results.drop_back())
    if (!e.isPureAffine() || e.isFunctionOfDim(inner))
      return false;
  return readsDimAtUnitStride(results.back(), inner, numDims);
}

} // namespace cpu
} // namespace kiln
