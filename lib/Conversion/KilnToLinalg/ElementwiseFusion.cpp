//===- ElementwiseFusion.cpp - Fusion of producers with several readers ---===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Producer-consumer fusion of linalg.generic ops in a block that fuses a
// producer with several users too, without computing it twice
// (include/kiln/Conversion/KilnToLinalg/ElementwiseFusion.h).
//
//===----------------------------------------------------------------------===//

#include "kiln/Conversion/KilnToLinalg/ElementwiseFusion.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"

using namespace mlir;

namespace kiln {

bool canFuseWithoutRecomputing(OpOperand *operand) {
  Operation *producer = operand->get().getDefiningOp();
  auto consumer = dyn_cast<linalg::GenericOp>(operand->getOwner());
  if (!producer || !consumer || !linalg::areElementwiseOpsFusable(operand))
    return false;
  if (producer->hasOneUse())
    return true;
  if (consumer.getNumReductionLoops() != 0 ||
      !consumer.getMatchingIndexingMap(operand).isPermutation())
    return false;
  // Fusion inlines the producer for one operand only; a consumer that reads
  // the producer through several operands would keep reading it (and the
  // next round would inline it again).
  if (llvm::count_if(consumer->getOperands(), [&](Value v) {
        return v.getDefiningOp() == producer;
      }) != 1)
    return false;
  Block *block = consumer->getBlock();
  return llvm::all_of(producer->getUsers(), [&](Operation *user) {
    Operation *top = block->findAncestorOpInBlock(*user);
    return top && (top == consumer || consumer->isBeforeInBlock(top));
  });
}

int64_t fuseElementwiseInBlock(RewriterBase &rewriter, Block &block,
                               function_ref<bool(OpOperand *)> allow) {
  // Each fusion removes a consumer and leaves one op: at most as many
  // rounds as there are ops; the bound guards against a fusion that leaves
  // its operands in place.
  int64_t budget = std::distance(block.begin(), block.end());
  int64_t fusions = 0;
  bool changed = true;
  while (changed && budget-- > 0) {
    changed = false;
    for (Operation &op : block) {
      auto consumer = dyn_cast<linalg::GenericOp>(&op);
      if (!consumer)
        continue;
      for (OpOperand &operand : consumer->getOpOperands()) {
        if (!canFuseWithoutRecomputing(&operand) || !allow(&operand))
          continue;
        Operation *producer = operand.get().getDefiningOp();
        rewriter.setInsertionPoint(consumer);
        FailureOr<linalg::ElementwiseOpFusionResult> fused =
            linalg::fuseElementwiseOps(rewriter, &operand);
        if (failed(fused))
          continue;
        for (auto [original, replacement] : fused->replacements)
          rewriter.replaceUsesWithIf(original, replacement, [&](OpOperand &use) {
            return use.getOwner() != fused->fusedOp;
          });
        rewriter.eraseOp(consumer);
        if (producer->use_empty())
          rewriter.eraseOp(producer);
        ++fusions;
        changed = true;
        break;
      }
      if (changed)
        break;
    }
  }
  return fusions;
}

void generalizeReductionsOfGenerics(RewriterBase &rewriter, Block &block) {
  SmallVector<linalg::ReduceOp> reduces;
  for (auto op : block.getOps<linalg::ReduceOp>())
    if (llvm::any_of(op.getInputs(), [](Value v) {
          return v.getDefiningOp<linalg::GenericOp>() != nullptr;
        }))
      reduces.push_back(op);
  for (linalg::ReduceOp op : reduces) {
    rewriter.setInsertionPoint(op);
    (void)linalg::generalizeNamedOp(rewriter,
                                    cast<linalg::LinalgOp>(op.getOperation()));
  }
}

} // namespace kiln
