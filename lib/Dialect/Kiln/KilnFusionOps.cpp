//===- KilnFusionOps.cpp - kiln.fusion_group and kiln.yield ---------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The verifier of kiln.fusion_group. Isolation from above is checked by the
// IsolatedFromAbove trait; here: the block's arguments match the inputs and
// the yield matches the results, so that inlining the body in place of the
// op (what lowering does) is always type-correct.
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/Kiln/KilnOps.h"

using namespace mlir;
using namespace kiln;

YieldOp FusionGroupOp::getYield() {
  return cast<YieldOp>(getBodyBlock().getTerminator());
}

LogicalResult FusionGroupOp::verifyRegions() {
  Block &block = getBodyBlock();
  if (block.getNumArguments() != getInputs().size())
    return emitOpError("has ")
           << getInputs().size() << " inputs but its body has "
           << block.getNumArguments() << " arguments";
  for (auto [i, input, arg] :
       llvm::enumerate(getInputs(), block.getArguments()))
    if (input.getType() != arg.getType())
      return emitOpError("input #")
             << i << " has type " << input.getType()
             << " but body argument #" << i << " has type " << arg.getType();

  auto yield = block.empty() ? YieldOp() : dyn_cast<YieldOp>(block.back());
  if (!yield)
    return emitOpError("body must end with kiln.yield");
  if (yield.getValues().size() != getNumResults())
    return emitOpError("yields ")
           << yield.getValues().size() << " values but has "
           << getNumResults() << " results";
  for (auto [i, value, result] :
       llvm::enumerate(yield.getValues(), getResults()))
    if (value.getType() != result.getType())
      return emitOpError("yields ")
             << value.getType() << " as value #" << i << " but result #"
             << i << " has type " << result.getType();
  if (getNumResults() == 0)
    return emitOpError("has no results: a group that computes nothing "
                       "needed outside is dead code");
  return success();
}
