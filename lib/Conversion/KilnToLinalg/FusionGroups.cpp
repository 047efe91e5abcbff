//===- FusionGroups.cpp - kiln.fusion_group to fused linalg ---------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// convert-kiln-to-linalg lowers the ops inside a kiln.fusion_group like any
// other kiln op, leaving the group with a body of linalg/tensor/arith ops.
// This file then fuses that body into as few loop nests as it can and
// inlines it in place of the group:
//   - linalg.reduce ops are generalized, so that elementwise producers fuse
//     into the reduction's loops (a sum of squares reads x once);
//   - elementwise linalg.generic ops fuse producer into consumer, also when
//     the producer has several users: the fused op yields the producer's
//     value and every other user reads it from there, so it is computed
//     once (upstream's pipeline-wide fusion fuses single-use producers
//     only, since its pattern leaves a multi-use producer in place and the
//     value would be computed twice);
//   - splat constants fold into the loop bodies as scalars, and CSE removes
//     the scalar computations that fusing a multi-result producer copied.
// The fusion is confined to the group's region (it is isolated from above):
// what the fuse pass's cost model decided is what is fused.
//
// A group whose body did not lower (an op with no lowering) is inlined as
// is and left to the main conversion's diagnostics; FusionGroupInlining is
// the pattern that does this for users of populateKilnToLinalgPatterns.
//
//===----------------------------------------------------------------------===//

#include "Common.h"
#include "kiln/Conversion/KilnToLinalg/KilnToLinalg.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Dominance.h"
#include "mlir/Transforms/CSE.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

namespace kiln {
namespace lowering {
namespace {

/// Inlines a group's body in place of the group.
void inlineGroup(RewriterBase &rewriter, FusionGroupOp group,
                 ValueRange inputs) {
  Block &body = group.getBodyBlock();
  YieldOp yield = group.getYield();
  // A yielded block argument (the body folded to its input) is the input.
  SmallVector<Value> results;
  for (Value v : yield.getValues()) {
    auto arg = dyn_cast<BlockArgument>(v);
    results.push_back(arg && arg.getOwner() == &body
                          ? inputs[arg.getArgNumber()]
                          : v);
  }
  rewriter.eraseOp(yield);
  rewriter.inlineBlockBefore(&body, group, inputs);
  rewriter.replaceOp(group, results);
}

/// Elementwise fusion inside a group: a producer with one user always fuses;
/// one with several users fuses into a consumer that iterates over the same
/// space without reducing and precedes every other user, so that those users
/// can read the value from the fused op (which yields it) instead of the
/// producer computing it again.
bool fuseInsideGroup(OpOperand *operand) {
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

/// Fuses elementwise producers into their consumers in `body` until nothing
/// fuses. Unlike upstream's pattern, which leaves a producer with other
/// users in place (so it is computed twice), every use of a fused producer's
/// value is redirected to the fused op.
void fuseElementwise(RewriterBase &rewriter, Block &body) {
  // Each fusion removes a consumer and leaves one op: at most as many
  // rounds as there are ops; the bound guards against a fusion that leaves
  // its operands in place.
  int64_t budget = std::distance(body.begin(), body.end());
  bool changed = true;
  while (changed && budget-- > 0) {
    changed = false;
    for (Operation &op : body) {
      auto consumer = dyn_cast<linalg::GenericOp>(&op);
      if (!consumer)
        continue;
      for (OpOperand &operand : consumer->getOpOperands()) {
        if (!fuseInsideGroup(&operand))
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
        changed = true;
        break;
      }
      if (changed)
        break;
    }
  }
}

/// Generalizes linalg.reduce ops whose input is computed in the group, so
/// that the producer can fuse into the reduction's loops.
void generalizeReductions(RewriterBase &rewriter, Block &body) {
  SmallVector<linalg::ReduceOp> reduces;
  body.walk([&](linalg::ReduceOp op) {
    if (llvm::any_of(op.getInputs(), [](Value v) {
          return v.getDefiningOp<linalg::GenericOp>() != nullptr;
        }))
      reduces.push_back(op);
  });
  for (linalg::ReduceOp op : reduces) {
    rewriter.setInsertionPoint(op);
    (void)linalg::generalizeNamedOp(rewriter,
                                    cast<linalg::LinalgOp>(op.getOperation()));
  }
}

struct FusionGroupInlining : OpConversionPattern<FusionGroupOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(FusionGroupOp group, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    inlineGroup(rewriter, group, adaptor.getInputs());
    return success();
  }
};

} // namespace

void populateFusionGroupPatterns(RewritePatternSet &patterns) {
  patterns.add<FusionGroupInlining>(patterns.getContext());
}

} // namespace lowering

LogicalResult fuseAndInlineFusionGroups(ModuleOp module) {
  MLIRContext *ctx = module.getContext();
  SmallVector<FusionGroupOp> groups;
  module.walk([&](FusionGroupOp group) { groups.push_back(group); });

  IRRewriter rewriter(ctx);
  for (FusionGroupOp group : groups) {
    Block &body = group.getBodyBlock();
    bool lowered = llvm::none_of(body.without_terminator(), [](Operation &op) {
      return isa_and_nonnull<KilnDialect>(op.getDialect());
    });
    if (lowered) {
      lowering::generalizeReductions(rewriter, body);
      lowering::fuseElementwise(rewriter, body);
      // Clean-up: splat constants into the bodies, unused results out.
      RewritePatternSet patterns(ctx);
      linalg::populateElementwiseOpsFusionPatterns(
          patterns, [](OpOperand *operand) {
            Operation *producer = operand->get().getDefiningOp();
            return producer && producer->hasOneUse();
          });
      linalg::populateEraseUnusedOperandsAndResultsPatterns(patterns);
      linalg::GenericOp::getCanonicalizationPatterns(patterns, ctx);
      tensor::EmptyOp::getCanonicalizationPatterns(patterns, ctx);
      if (failed(applyPatternsGreedily(group.getBody(), std::move(patterns))))
        return group.emitError("fusion of the group's linalg ops did not "
                               "converge");
      // Fusing a multi-result producer copies its scalar body into the
      // consumer's; CSE leaves one copy of each scalar computation.
      DominanceInfo dominance;
      eliminateCommonSubExpressions(rewriter, dominance, group);
    }
    rewriter.setInsertionPoint(group);
    lowering::inlineGroup(rewriter, group, group.getInputs());
  }
  return success();
}

} // namespace kiln
