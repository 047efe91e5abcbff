//===- FuseElementwise.cpp - Elementwise fusion that keeps the memory plan -===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The kiln-cpu-fuse-elementwise pass (dialects/Conversion/Passes.td):
// upstream's elementwise producer-consumer fusion (the patterns of
// linalg-fuse-elementwise-ops), with a control function that refuses a
// fusion which would make the program hold more bytes. Fusing moves the
// producer's computation to its consumer: the producer's result no longer
// exists, but each producer input that would have died before the consumer
// now lives until it. In a training step the consumer is often far away (a
// ReLU's `x > 0` computed in the forward pass, read in the backward), and
// keeping the f32 `x` alive instead of a 1-byte mask undoes what the memory
// schedule and kiln-remat decided.
//
//===----------------------------------------------------------------------===//

#include "kiln/Analysis/RematGraph.h"
#include "kiln/Conversion/KilnToLinalg/ElementwiseFusion.h"
#include "kiln/Conversion/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace kiln {
#define GEN_PASS_DEF_KILNCPUFUSEELEMENTWISE
#include "kiln/Dialect/Conversion/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

/// Whether `value` is used at or after `consumer` (in `consumer`'s block,
/// uses nested in regions counted at their ancestor there).
bool usedFrom(Value value, Operation *consumer) {
  Block *block = consumer->getBlock();
  for (Operation *user : value.getUsers()) {
    Operation *ancestor = block->findAncestorOpInBlock(*user);
    if (ancestor && !ancestor->isBeforeInBlock(consumer))
      return true;
  }
  return false;
}

/// Whether `op` only moves elements: an all-parallel generic whose body
/// yields its inputs unchanged (a broadcast, a transpose).
bool onlyMovesElements(Operation *op) {
  auto generic = dyn_cast<linalg::GenericOp>(op);
  if (!generic || generic.getNumParallelLoops() != generic.getNumLoops() ||
      generic.getNumDpsInits() != 1)
    return false;
  Block &body = generic.getRegion().front();
  if (!llvm::hasSingleElement(body))
    return false;
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  return llvm::all_of(yield.getValues(), [&](Value v) {
    auto arg = dyn_cast<BlockArgument>(v);
    return arg && arg.getOwner() == &body &&
           arg.getArgNumber() < generic.getNumDpsInputs();
  });
}

/// Gives each linalg.generic reader of an element-moving op with several
/// readers its own copy of that op, right before it. Upstream's fusion
/// fuses a producer with other uses by making the fused op write the
/// producer's result too, so a broadcast read by two elementwise ops (a
/// bias in the forward pass and in a recomputed copy) kept its full-size
/// buffer; single-use copies fuse away and repeat no arithmetic. Readers
/// that do not fuse (a matmul) keep sharing the original.
void splitElementMovesPerReader(func::FuncOp func) {
  SmallVector<linalg::GenericOp> moves;
  func.walk([&](linalg::GenericOp op) {
    // Unused moves too are left alone (nothing to split, and no first
    // reader to keep the original).
    if (onlyMovesElements(op) && !op->use_empty() && !op->hasOneUse())
      moves.push_back(op);
  });
  OpBuilder builder(func.getContext());
  for (linalg::GenericOp move : moves) {
    SmallVector<OpOperand *> readers;
    for (OpOperand &use : move->getResult(0).getUses())
      if (isa<linalg::GenericOp>(use.getOwner()))
        readers.push_back(&use);
    bool othersRemain = readers.size() < size_t(std::distance(
                            move->getUses().begin(), move->getUses().end()));
    // The original serves the other readers, or the first fusible one.
    if (readers.empty())
      continue;
    for (OpOperand *use : llvm::drop_begin(readers, othersRemain ? 0 : 1)) {
      builder.setInsertionPoint(use->getOwner());
      Operation *copy = builder.clone(*move);
      use->set(copy->getResult(0));
    }
  }
}

/// The bytes of the producer's inputs that fusing `fusedOperand` keeps
/// alive longer: those computed by an op of the consumer's block and
/// otherwise dead before the consumer (arguments, constants and values used
/// at or after the consumer anyway cost nothing).
uint64_t bytesKeptAlive(OpOperand *fusedOperand) {
  Operation *producer = fusedOperand->get().getDefiningOp();
  Operation *consumer = fusedOperand->getOwner();
  if (producer->getBlock() != consumer->getBlock())
    return 0;
  uint64_t extended = 0;
  auto linalgOp = dyn_cast<linalg::LinalgOp>(producer);
  for (OpOperand &operand : producer->getOpOperands()) {
    // An init the payload does not read (a tensor.empty destination) only
    // gives the shape: nothing of it is kept alive.
    if (linalgOp && linalgOp.isDpsInit(&operand) &&
        !linalgOp.payloadUsesValueFromOperand(&operand))
      continue;
    Value input = operand.get();
    Operation *def = input.getDefiningOp();
    if (!def || def->getBlock() != consumer->getBlock() ||
        def->hasTrait<OpTrait::ConstantLike>() || usedFrom(input, consumer))
      continue;
    extended += kiln::staticTensorBytes(input.getType());
  }
  return extended;
}

/// The control function: fusing keeps the producer's inputs alive no
/// longer than the bytes of the producer's result that it removes. A
/// single-use producer's result disappears; a producer with several users
/// (fused so that the consumer yields its value for the others) keeps its
/// result, so its inputs must be alive at the consumer anyway.
bool fusionKeepsMemory(OpOperand *fusedOperand) {
  Operation *producer = fusedOperand->get().getDefiningOp();
  if (!producer)
    return false;
  uint64_t removed = producer->hasOneUse()
                         ? kiln::staticTensorBytes(fusedOperand->get().getType())
                         : 0;
  return bytesKeptAlive(fusedOperand) <= removed;
}

/// Whether fusing would compute some of the producer's elements several
/// times: the consumer reads the producer's result through a map that is
/// not a permutation of its loops (a broadcast along a loop, or a loop the
/// result does not vary with, like a matmul's other dims). Element moves
/// repeat no arithmetic. Besides the repeated work (a LayerNorm's rsqrt per
/// column instead of per row), a producer inlined into a contraction hides
/// the contraction from the GEMM kernels, which then run it as plain
/// loops, summing in another order: a value's bits would depend on which
/// of its readers fusion picked (kiln-remat's recomputed copies have other
/// readers than the originals).
bool fusionRepeatsArithmetic(OpOperand *fusedOperand) {
  auto consumer = dyn_cast<linalg::LinalgOp>(fusedOperand->getOwner());
  if (!consumer ||
      consumer.getMatchingIndexingMap(fusedOperand).isPermutation())
    return false;
  return !onlyMovesElements(fusedOperand->get().getDefiningOp());
}

/// The linalg.generic and linalg.reduce ops of `func`: the loop nests that
/// elementwise fusion can merge.
int64_t countLoopNests(func::FuncOp func) {
  int64_t count = 0;
  func.walk([&](Operation *op) {
    count += isa<linalg::GenericOp, linalg::ReduceOp>(op);
  });
  return count;
}

class FuseElementwisePass
    : public kiln::impl::KilnCPUFuseElementwiseBase<FuseElementwisePass> {
public:
  using KilnCPUFuseElementwiseBase::KilnCPUFuseElementwiseBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    int64_t nestsBefore = countLoopNests(func);
    splitElementMovesPerReader(func);
    // A reduction of a computed value becomes a generic, so that a
    // single-use producer fuses into its loops (a sum of squares reads x
    // once).
    IRRewriter rewriter(&getContext());
    for (Block &block : func.getBody())
      kiln::generalizeReductionsOfGenerics(rewriter, block);
    fuseSingleUseProducers();
    // Producers with several readers (upstream leaves them alone): fused
    // into their first reader, which yields the value for the others. Each
    // such fusion can open single-use fusions around the fused op.
    int64_t multiUse = 0;
    for (Block &block : func.getBody())
      multiUse += kiln::fuseElementwiseInBlock(
          rewriter, block, [&](OpOperand *operand) {
            return !operand->get().hasOneUse() && allowFusion(operand);
          });
    if (multiUse != 0)
      fuseSingleUseProducers();
    numMultiUse += multiUse;
    emitRemark(func.getLoc()) << "fuse-elementwise: " << nestsBefore << " -> "
                      << countLoopNests(func)
                      << " elementwise and reduction loop nests, "
                      << multiUse << " producers with several readers fused";
  }

private:
  /// The memory and recomputation checks of every fusion.
  bool allowFusion(OpOperand *operand) {
    if (!fusionKeepsMemory(operand)) {
      ++numRefused;
      return false;
    }
    if (fusionRepeatsArithmetic(operand)) {
      ++numRefusedRepeats;
      return false;
    }
    return true;
  }

  /// Upstream's elementwise fusion patterns: single-use producers.
  void fuseSingleUseProducers() {
    MLIRContext *context = &getContext();
    RewritePatternSet patterns(context);
    // Upstream's pattern leaves a producer with other readers in place and
    // computes it again in the consumer: single-use producers only here.
    linalg::ControlFusionFn control = [this](OpOperand *operand) {
      Operation *producer = operand->get().getDefiningOp();
      return producer && producer->hasOneUse() && allowFusion(operand);
    };
    // The pattern set of upstream's linalg-fuse-elementwise-ops.
    linalg::populateElementwiseOpsFusionPatterns(patterns, control);
    linalg::populateFoldReshapeOpsByExpansionPatterns(patterns, control);
    tensor::populateBubbleUpExpandShapePatterns(patterns);
    affine::AffineApplyOp::getCanonicalizationPatterns(patterns, context);
    linalg::GenericOp::getCanonicalizationPatterns(patterns, context);
    tensor::ExpandShapeOp::getCanonicalizationPatterns(patterns, context);
    tensor::CollapseShapeOp::getCanonicalizationPatterns(patterns, context);
    context->getLoadedDialect<linalg::LinalgDialect>()
        ->getCanonicalizationPatterns(patterns);
    linalg::populateConstantFoldLinalgOperations(patterns, control);
    // The function's own ops only: the ops of a tile loop
    // (kiln-cpu-tile-fusion-groups) are fused already and compute into
    // slices of the loop's results, which upstream's patterns would
    // replace by empty tensors (an out-of-place tile, copied each time).
    SmallVector<Operation *> ops;
    for (Block &block : getOperation().getBody())
      for (Operation &op : block)
        ops.push_back(&op);
    GreedyRewriteConfig config;
    config.setUseTopDownTraversal(true);
    config.setStrictness(GreedyRewriteStrictness::ExistingAndNewOps);
    (void)applyOpPatternsGreedily(ops, std::move(patterns), config);
  }
};

} // namespace
