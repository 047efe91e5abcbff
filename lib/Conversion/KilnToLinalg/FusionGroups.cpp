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
//     the producer has several users, computed once (ElementwiseFusion.h);
//   - splat constants fold into the loop bodies as scalars, and CSE removes
//     the scalar computations that fusing a multi-result producer copied.
// The fusion is confined to the group's region (it is isolated from above):
// what the fuse pass's cost model decided is what is fused. On request the
// inlined ops carry the group's id (kFusionGroupAttrName), for code
// generation that computes a group tile by tile.
//
// A group whose body did not lower (an op with no lowering) is inlined as
// is and left to the main conversion's diagnostics; FusionGroupInlining is
// the pattern that does this for users of populateKilnToLinalgPatterns.
//
//===----------------------------------------------------------------------===//

#include "Common.h"
#include "kiln/Conversion/KilnToLinalg/ElementwiseFusion.h"
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

LogicalResult fuseAndInlineFusionGroups(ModuleOp module, bool markGroups) {
  MLIRContext *ctx = module.getContext();
  SmallVector<FusionGroupOp> groups;
  module.walk([&](FusionGroupOp group) { groups.push_back(group); });

  IRRewriter rewriter(ctx);
  int64_t nextId = 0;
  for (FusionGroupOp group : groups) {
    Block &body = group.getBodyBlock();
    bool lowered = llvm::none_of(body.without_terminator(), [](Operation &op) {
      return isa_and_nonnull<KilnDialect>(op.getDialect());
    });
    if (lowered) {
      generalizeReductionsOfGenerics(rewriter, body);
      (void)fuseElementwiseInBlock(rewriter, body,
                                   [](OpOperand *) { return true; });
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
      // The group's ops stay recognizable as one unit after inlining.
      if (markGroups) {
        auto id = rewriter.getI64IntegerAttr(nextId++);
        for (Operation &op : body.without_terminator())
          op.setAttr(kFusionGroupAttrName, id);
      }
    }
    rewriter.setInsertionPoint(group);
    lowering::inlineGroup(rewriter, group, group.getInputs());
  }
  return success();
}

} // namespace kiln
