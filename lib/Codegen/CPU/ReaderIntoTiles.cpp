//===- ReaderIntoTiles.cpp - An elementwise reader joins a tile loop ------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Consumer fusion (upstream scf::tileAndFuseConsumer, one loop at a time:
// it handles an scf.forall only alone) plus what keeps the memory plan:
// upstream gives every output of the fused reader a loop-carried tensor of
// its own, so an output that the reader wrote in place of the loop's result
// would need a second buffer as large as that result. Here that output is
// written in place of each tile, and its own loop-carried tensor is dropped.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/CPU/ReaderIntoTiles.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include "llvm/ADT/STLExtras.h"

using namespace mlir;

namespace kiln {
namespace cpu {

namespace {

/// Whether `value` is defined by an op after `op` in `op`'s block.
bool definedAfter(Value value, Operation *op) {
  Operation *def = value.getDefiningOp();
  return def && def->getBlock() == op->getBlock() && !def->isBeforeInBlock(op);
}

/// Collects, operands first, the side-effect-free ops after `loop` that
/// `value` needs, so that they can move before it; false if one has
/// effects (or depends on `loop`).
bool collectMovable(Value value, Operation *loop,
                    llvm::SetVector<Operation *> &toMove) {
  if (!definedAfter(value, loop))
    return true;
  Operation *def = value.getDefiningOp();
  if (def == loop || !isMemoryEffectFree(def) || def->getNumRegions() != 0)
    return false;
  for (Value operand : def->getOperands())
    if (!collectMovable(operand, loop, toMove))
      return false;
  toMove.insert(def);
  return true;
}

/// The reader of the loop's (single) result that can join the loop, or
/// null; `toMove` gets the ops its other operands need moved before it.
linalg::GenericOp fusibleReader(Operation *loop,
                                llvm::SetVector<Operation *> &toMove) {
  if (loop->getNumResults() != 1 || loop->getResult(0).use_empty())
    return nullptr;
  Value result = loop->getResult(0);
  Operation *user = *result.getUsers().begin();
  auto reader = dyn_cast<linalg::GenericOp>(user);
  if (!reader || reader->getBlock() != loop->getBlock() ||
      !reader.hasPureTensorSemantics() ||
      reader.getNumLoops() != reader.getNumParallelLoops() ||
      llvm::any_of(result.getUsers(),
                   [&](Operation *other) { return other != user; }))
    return nullptr;
  // One output at most is written over the tile.
  if (llvm::count_if(reader.getDpsInits(),
                     [&](Value init) { return init == result; }) > 1)
    return nullptr;
  for (OpOperand &operand : reader->getOpOperands()) {
    bool isInit = reader.isDpsInit(&operand);
    if (operand.get() == result) {
      if (!reader.getMatchingIndexingMap(&operand).isIdentity() ||
          (isInit && reader.payloadUsesValueFromOperand(&operand)))
        return nullptr;
      continue;
    }
    if ((isInit && !reader.getMatchingIndexingMap(&operand).isIdentity()) ||
        !collectMovable(operand.get(), loop, toMove))
      return nullptr;
  }
  return reader;
}

/// The op that writes a tile into the loop's result `index`: the
/// insert_slice yielded by an scf.for, the parallel_insert_slice of an
/// scf.forall.
Operation *tileWriter(Operation *loop, unsigned index) {
  if (auto forOp = dyn_cast<scf::ForOp>(loop))
    return forOp.getYieldedValues()[index].getDefiningOp<tensor::InsertSliceOp>();
  auto forall = cast<scf::ForallOp>(loop);
  SmallVector<Operation *> writers =
      forall.getCombiningOps(forall.getRegionIterArgs()[index]);
  return writers.size() == 1 ? writers.front() : nullptr;
}

/// Stops `loop` from writing its result `index` (which has no uses left):
/// an scf.for yields the iter_arg unchanged, an scf.forall's tile write is
/// erased; canonicalization then drops the loop-carried tensor.
void stopWriting(RewriterBase &rewriter, Operation *loop, unsigned index) {
  Operation *writer = tileWriter(loop, index);
  if (auto forOp = dyn_cast<scf::ForOp>(loop)) {
    rewriter.modifyOpInPlace(forOp.getBody()->getTerminator(), [&] {
      forOp.getBody()->getTerminator()->setOperand(
          index, forOp.getRegionIterArgs()[index]);
    });
  }
  if (writer && writer->use_empty())
    rewriter.eraseOp(writer);
}

} // namespace

FailureOr<Operation *>
fuseElementwiseReaderIntoLoop(RewriterBase &rewriter,
                              LoopLikeOpInterface &loop) {
  if (!isa<scf::ForOp, scf::ForallOp>(loop.getOperation()))
    return failure();
  llvm::SetVector<Operation *> toMove;
  linalg::GenericOp reader = fusibleReader(loop, toMove);
  if (!reader || !tileWriter(loop, 0))
    return failure();
  Value result = loop->getResult(0);
  SmallVector<unsigned> resultInputs;
  for (OpOperand *input : reader.getDpsInputOperands())
    if (input->get() == result)
      resultInputs.push_back(input->getOperandNumber());
  if (resultInputs.empty())
    return failure(); // Only written over: nothing to compute on the tile.
  for (Operation *op : toMove)
    rewriter.moveOpBefore(op, loop);

  // An output written in place of the loop's result gets a placeholder
  // destination for upstream's fusion (a loop's result cannot be its own
  // init); each tile's own destination replaces it afterwards.
  SmallVector<unsigned> inPlace;
  SmallVector<Value> placeholders;
  rewriter.setInsertionPoint(loop);
  for (OpOperand &init : reader.getDpsInitsMutable()) {
    if (init.get() != result)
      continue;
    auto type = cast<RankedTensorType>(result.getType());
    Value empty = tensor::EmptyOp::create(
        rewriter, reader.getLoc(), type.getShape(), type.getElementType());
    inPlace.push_back(init.getOperandNumber() - reader.getNumDpsInputs());
    placeholders.push_back(empty);
    rewriter.modifyOpInPlace(reader, [&] { init.set(empty); });
  }
  SmallVector<LoopLikeOpInterface> loops{loop};
  FailureOr<scf::SCFFuseConsumerOfSliceResult> fused =
      scf::tileAndFuseConsumer(rewriter, reader, loops);
  if (failed(fused) || fused->tiledOps.empty()) {
    // The checks above leave upstream's own failures to before it changes
    // the IR (its operand dominance and init checks).
    for (auto [r, empty] : llvm::zip(inPlace, placeholders)) {
      rewriter.modifyOpInPlace(reader,
                               [&] { reader.setDpsInitOperand(r, result); });
      rewriter.eraseOp(empty.getDefiningOp());
    }
    return failure();
  }
  loop = loops.front();
  rewriter.eraseOp(reader);
  auto tiled = cast<linalg::GenericOp>(fused->tiledOps.front());

  // The tile the loop computed, as the tiled reader reads it.
  Value tile = tiled->getOperand(resultInputs.front());
  Operation *writer = tileWriter(loop, 0);
  unsigned firstReaderResult = loop->getNumResults() - tiled->getNumResults();
  for (unsigned r : inPlace) {
    // The reader writes its output over the tile, which the loop then
    // writes into its result in place of the product...
    Value placeholder = tiled.getDpsInitOperand(r)->get();
    rewriter.modifyOpInPlace(tiled, [&] { tiled.setDpsInitOperand(r, tile); });
    if (placeholder.use_empty())
      rewriter.eraseOp(placeholder.getDefiningOp());
    rewriter.modifyOpInPlace(writer, [&] {
      writer->setOperand(0, tiled->getResult(r));
    });
    // ...so the loop's result is the reader's output, and the output's
    // own loop-carried tensor goes.
    unsigned index = firstReaderResult + r;
    rewriter.replaceAllUsesWith(loop->getResult(index), loop->getResult(0));
    stopWriting(rewriter, loop, index);
  }

  // Drop the placeholders' loop-carried tensors and upstream's dead clones.
  SmallVector<Operation *> ops;
  loop->walk([&](Operation *op) { ops.push_back(op); });
  RewritePatternSet patterns(loop->getContext());
  scf::ForOp::getCanonicalizationPatterns(patterns, loop->getContext());
  scf::ForallOp::getCanonicalizationPatterns(patterns, loop->getContext());
  GreedyRewriteConfig config;
  config.setStrictness(GreedyRewriteStrictness::ExistingAndNewOps);
  (void)applyOpPatternsGreedily(ops, std::move(patterns), config);
  // Canonicalization rebuilds the loop around the same body.
  loop = cast<LoopLikeOpInterface>(tiled->getParentOp());
  for (Value empty : placeholders)
    if (empty.use_empty())
      rewriter.eraseOp(empty.getDefiningOp());
  return tiled.getOperation();
}

} // namespace cpu
} // namespace kiln
