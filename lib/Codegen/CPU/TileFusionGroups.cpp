//===- TileFusionGroups.cpp - Reduction groups computed tile by tile ------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The kiln-cpu-tile-fusion-groups pass (dialects/Conversion/Passes.td). A
// kiln-fuse reduction group (softmax, layer norm, batch-norm statistics and
// their epilogues) lowers to several loop nests over the whole tensor: a
// row statistic, then the elementwise ops that read it, each streaming the
// full tensor through the caches again. Here the group's last op is tiled
// along the dims that every op of the group keeps (rows; a batch norm's
// channels) and the group's other ops are fused into the tile loop
// (upstream's tile-and-fuse), so that each tile's statistic and the ops
// that read it run while the tile is in L1/L2, and the tiles go to the
// threads (an scf.forall).
//
//===----------------------------------------------------------------------===//

#include "kiln/Conversion/KilnToLinalg/KilnToLinalg.h"
#include "kiln/Conversion/Passes.h"
#include "kiln/Support/ThreadCount.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Dominance.h"
#include "mlir/Transforms/CSE.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/MapVector.h"

namespace kiln {
#define GEN_PASS_DEF_KILNCPUTILEFUSIONGROUPS
#include "kiln/Dialect/Conversion/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

/// The ops of each fusion group among the ops of `block`, in program order.
llvm::MapVector<int64_t, SmallVector<Operation *>> collectGroups(Block &block) {
  llvm::MapVector<int64_t, SmallVector<Operation *>> groups;
  for (Operation &op : block)
    if (auto id = op.getAttrOfType<IntegerAttr>(kiln::kFusionGroupAttrName))
      groups[id.getInt()].push_back(&op);
  return groups;
}

bool dimReachesGroup(linalg::LinalgOp op, unsigned dim,
                     const llvm::SmallPtrSetImpl<Operation *> &group);

/// Whether position `pos` of `value` comes, through the group's reshapes
/// of unit dims, from a parallel loop of the op of the group that computes
/// it, and that loop in turn reaches the whole group (dimReachesGroup).
/// Values from outside the group are sliced, not fused: always fine.
bool positionReachesGroup(Value value, unsigned pos,
                          const llvm::SmallPtrSetImpl<Operation *> &group) {
  Operation *def = value.getDefiningOp();
  if (!def || !group.contains(def) ||
      isa<tensor::EmptyOp, arith::ConstantOp>(def))
    return true;
  if (auto expand = dyn_cast<tensor::ExpandShapeOp>(def)) {
    // Position `pos` is one dim of a reassociation group; the others must
    // be unit dims for it to stand for the whole source dim.
    for (auto [srcPos, dims] :
         llvm::enumerate(expand.getReassociationIndices())) {
      if (!llvm::is_contained(dims, int64_t(pos)))
        continue;
      if (expand.getResultType().getDimSize(pos) !=
          expand.getSrcType().getDimSize(srcPos))
        return false;
      return positionReachesGroup(expand.getSrc(), srcPos, group);
    }
    return false;
  }
  if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(def)) {
    // The source dim of the group that is not a unit dim.
    for (int64_t srcPos : collapse.getReassociationIndices()[pos])
      if (collapse.getSrcType().getDimSize(srcPos) ==
          collapse.getResultType().getDimSize(pos))
        return positionReachesGroup(collapse.getSrc(), srcPos, group);
    return false;
  }
  auto producer = dyn_cast<linalg::LinalgOp>(def);
  if (!producer)
    return false;
  AffineMap map =
      producer.getIndexingMapMatchingResult(cast<OpResult>(value));
  auto dim = dyn_cast<AffineDimExpr>(map.getResult(pos));
  return dim && dimReachesGroup(producer, dim.getPosition(), group);
}

/// Whether loop `dim` of `op` indexes every value that the group computes
/// and `op` reads, and so on up the group: then tiling `dim` slices each of
/// the group's ops, and none is computed more than once per element. A
/// value read through a map that leaves `dim` out (a row statistic
/// broadcast along its row) would be computed again for every tile along
/// `dim`.
bool dimReachesGroup(linalg::LinalgOp op, unsigned dim,
                     const llvm::SmallPtrSetImpl<Operation *> &group) {
  if (op.getIteratorTypesArray()[dim] != utils::IteratorType::parallel)
    return false;
  for (OpOperand &operand : op->getOpOperands()) {
    // Scalars (a fill's value) and what the group does not compute are
    // not tiled.
    Operation *def = operand.get().getDefiningOp();
    if (!isa<RankedTensorType>(operand.get().getType()) || !def ||
        !group.contains(def) || isa<tensor::EmptyOp, arith::ConstantOp>(def))
      continue;
    std::optional<unsigned> position =
        op.getMatchingIndexingMap(&operand).getResultPosition(
            getAffineDimExpr(dim, op->getContext()));
    if (!position || !positionReachesGroup(operand.get(), *position, group))
      return false;
  }
  return true;
}

/// Tile sizes for `root`'s loops: 0 (untiled) except along `tileable`
/// dims, filled innermost first with the largest divisors of their extents
/// that keep a tile within `budget` elements (at least one element along
/// each, whatever the budget).
SmallVector<int64_t> chooseTileSizes(ArrayRef<int64_t> ranges,
                                     ArrayRef<unsigned> tileable,
                                     int64_t budget) {
  int64_t untiled = 1;
  for (auto [dim, extent] : llvm::enumerate(ranges))
    if (!llvm::is_contained(tileable, dim))
      untiled *= extent;
  int64_t left = std::max<int64_t>(1, budget / untiled);
  SmallVector<int64_t> sizes(ranges.size(), 0);
  for (unsigned dim : llvm::reverse(tileable)) {
    int64_t extent = ranges[dim];
    int64_t size = 1;
    for (int64_t s = std::min(extent, left); s >= 1; --s)
      if (extent % s == 0) {
        size = s;
        break;
      }
    sizes[dim] = size == extent ? 0 : size;
    left = std::max<int64_t>(1, left / size);
  }
  return sizes;
}

/// The loops of fuseIntoTileLoop and the tile of its root in them.
struct TileLoops {
  SmallVector<LoopLikeOpInterface> loops;
  Operation *tiledRoot;
};

/// Tiles `root` by `sizes` (an scf.forall or scf.for nest) and fuses into
/// the loops the producers that `candidates` holds, the loops yielding those
/// values that are also read outside; replaces the originals' uses outside
/// the loops and merges the copies of a producer fused along two paths.
FailureOr<TileLoops>
fuseIntoTileLoop(RewriterBase &rewriter, TilingInterface root,
                 ArrayRef<int64_t> sizes, bool forall,
                 const llvm::SmallPtrSetImpl<Operation *> &candidates) {
  MLIRContext *context = root->getContext();
  Block *block = root->getBlock();
  scf::SCFTilingOptions tiling;
  tiling.setLoopType(forall ? scf::SCFTilingOptions::LoopType::ForallOp
                            : scf::SCFTilingOptions::LoopType::ForOp);
  tiling.setTileSizes(getAsIndexOpFoldResult(context, sizes));
  scf::SCFTileAndFuseOptions options;
  options.setTilingOptions(tiling);
  options.setFusionControlFn(
      [&](tensor::ExtractSliceOp slice, OpResult producer, bool)
          -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
        if (!candidates.contains(producer.getOwner()))
          return std::nullopt;
        Operation *loop = block->findAncestorOpInBlock(*slice);
        bool readOutside =
            llvm::any_of(producer.getUsers(), [&](Operation *user) {
              return !candidates.contains(user) &&
                     !(loop && loop->isAncestor(user));
            });
        return scf::SCFTileAndFuseOptions::ControlFnResult{readOutside};
      });
  // Slices of reshapes (a keep_dims statistic) become reshapes of slices,
  // so the reshaped op's producer fuses too.
  RewritePatternSet cleanup(context);
  tensor::populateBubbleUpExtractSliceOpPatterns(cleanup);
  tensor::populateFoldTensorEmptyPatterns(cleanup);
  options.cleanupPatterns = FrozenRewritePatternSet(std::move(cleanup));

  FailureOr<scf::SCFTileAndFuseResult> result =
      scf::tileConsumerAndFuseProducersUsingSCF(rewriter, root, options);
  if (failed(result))
    return failure();
  TileLoops tileLoops{result->loops, result->tiledAndFusedOps.front()};
  Operation *loop = result->loops.front();
  for (auto [original, replacement] : result->replacements)
    rewriter.replaceUsesWithIf(original, replacement, [&](OpOperand &use) {
      return !loop->isAncestor(use.getOwner());
    });
  // A producer read along two paths (an exp read by the row sum and by the
  // division) is fused once per path; the copies are equal ops on equal
  // slices, and CSE keeps one. Slices through reshapes index with
  // `affine.linearize_index [%i, 0]`, which must fold to %i first.
  RewritePatternSet folds(context);
  affine::AffineLinearizeIndexOp::getCanonicalizationPatterns(folds, context);
  tensor::ExtractSliceOp::getCanonicalizationPatterns(folds, context);
  FrozenRewritePatternSet frozenFolds(std::move(folds));
  for (int round = 0; round < 2; ++round) {
    (void)applyPatternsGreedily(loop->getRegion(0), frozenFolds);
    DominanceInfo dominance;
    eliminateCommonSubExpressions(rewriter, dominance, loop);
  }
  return tileLoops;
}

/// Whether `op` is a linalg op with a reduction loop.
bool reduces(Operation *op) {
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  return linalgOp && linalgOp.getNumReductionLoops() != 0;
}

/// Erases the ops of `block` that nothing reads and that have no effects,
/// last first (the untiled ops once their tiles are computed in a loop).
void eraseDeadOps(RewriterBase &rewriter, Block &block) {
  for (Operation &op : llvm::make_early_inc_range(llvm::reverse(block)))
    if (isOpTriviallyDead(&op))
      rewriter.eraseOp(&op);
}

class TileFusionGroupsPass
    : public kiln::impl::KilnCPUTileFusionGroupsBase<TileFusionGroupsPass> {
public:
  using KilnCPUTileFusionGroupsBase::KilnCPUTileFusionGroupsBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    int64_t threads = kiln::resolveThreadCount(numThreads);
    int64_t candidates = 0, tiled = 0;
    for (Block &block : func.getBody()) {
      for (auto &[id, ops] : collectGroups(block)) {
        // Only then do the group's ops read each other across shapes
        // (elementwise ops alone are fused into one loop already).
        if (!llvm::any_of(ops, reduces))
          continue;
        ++candidates;
        if (succeeded(tileGroup(ops, threads)))
          ++tiled;
      }
    }
    // The marks were for this pass only.
    func.walk([](Operation *op) { op->removeAttr(kiln::kFusionGroupAttrName); });
    numTiled += tiled;
    emitRemark(func.getLoc())
        << "tile-fusion-groups: " << tiled << " of " << candidates
        << " reduction groups computed tile by tile";
  }

private:
  LogicalResult tileGroup(ArrayRef<Operation *> ops, int64_t threads);
};

LogicalResult TileFusionGroupsPass::tileGroup(ArrayRef<Operation *> ops,
                                              int64_t threads) {
  // Elementwise and reduction generics only (a group with a contraction is
  // the GEMM kernels' business), with static shapes.
  llvm::SmallPtrSet<Operation *, 16> group(ops.begin(), ops.end());
  for (Operation *op : ops) {
    if (isa<arith::ConstantOp, tensor::EmptyOp, tensor::ExpandShapeOp,
            tensor::CollapseShapeOp, linalg::FillOp>(op))
      continue;
    if (!isa<linalg::GenericOp, linalg::ReduceOp>(op) ||
        cast<linalg::LinalgOp>(op).hasDynamicShape())
      return failure();
  }
  // The root: the largest all-parallel generic of the group that no op of
  // the group reads. Values of the group read outside it must be read
  // after it, where the tile loop yields them.
  linalg::GenericOp root;
  int64_t rootSize = -1;
  for (Operation *op : ops) {
    auto generic = dyn_cast<linalg::GenericOp>(op);
    if (!generic || generic.getNumReductionLoops() != 0 ||
        llvm::any_of(op->getUsers(),
                     [&](Operation *user) { return group.contains(user); }))
      continue;
    int64_t size = 1;
    for (int64_t extent : generic.getStaticLoopRanges())
      size *= extent;
    if (size >= rootSize) {
      root = generic;
      rootSize = size;
    }
  }
  if (!root)
    return failure();
  for (Operation *op : ops)
    for (Operation *user : op->getUsers())
      if (!group.contains(user) && user->getBlock() == root->getBlock() &&
          user->isBeforeInBlock(root))
        return failure();
  llvm::SmallPtrSet<Operation *, 16> feeding;
  SmallVector<Operation *> worklist = {root};
  while (!worklist.empty()) {
    Operation *op = worklist.pop_back_val();
    if (!feeding.insert(op).second)
      continue;
    for (Value operand : op->getOperands())
      if (Operation *def = operand.getDefiningOp(); def && group.contains(def))
        worklist.push_back(def);
  }

  // Only a reduction that feeds the root gains from the tiles (its
  // statistic read back while the tile is in cache); elementwise ops alone
  // were fused into one loop already.
  if (!llvm::any_of(feeding, reduces))
    return failure();

  // Dims that slice every op of the group.
  SmallVector<unsigned> tileable;
  for (unsigned dim = 0; dim < root.getNumLoops(); ++dim)
    if (dimReachesGroup(root, dim, group))
      tileable.push_back(dim);
  // Rows only: the tiled dims lead and the dims a tile spans whole follow,
  // so a tile is one contiguous run of memory (a batch norm's channel of
  // NCHW, strided over the images, vectorized worse than the whole tensor).
  for (auto [i, dim] : llvm::enumerate(tileable))
    if (dim != i)
      return failure();
  SmallVector<int64_t> ranges = root.getStaticLoopRanges();
  SmallVector<int64_t> sizes = chooseTileSizes(ranges, tileable, tileElements);
  int64_t numTiles = 1;
  for (auto [size, extent] : llvm::zip(sizes, ranges))
    numTiles *= size == 0 ? 1 : extent / size;
  if (numTiles < std::max<int64_t>(2, threads))
    return failure();

  // Two loops: an scf.forall with one iteration per thread (a run of tiles
  // along one dim: kiln-plan-memory gives each thread a slot for the
  // tile-sized buffers, where an iteration per tile would allocate on the
  // heap each time), and the tiles of the run in an scf.for inside.
  std::optional<unsigned> runDim;
  for (unsigned dim : tileable)
    if (sizes[dim] != 0 && (ranges[dim] / sizes[dim]) % threads == 0) {
      runDim = dim;
      break;
    }
  if (!runDim)
    return failure();
  SmallVector<int64_t> runSizes(ranges.size(), 0);
  runSizes[*runDim] = ranges[*runDim] / threads;

  // The group's ops that do not feed the root (a batch norm's running
  // statistics, read from the mean that the loop yields) follow it.
  // Constants and empty tensors stay where they are (they may be read
  // inside other ops' bodies), and an op moves only if all that reads it
  // (uses nested in regions counted at their ancestor) moves too or comes
  // after the root.
  Block *block = root->getBlock();
  SmallVector<Operation *> moving;
  llvm::SmallPtrSet<Operation *, 8> movingSet;
  for (Operation *op : ops)
    if (!feeding.contains(op) && op->isBeforeInBlock(root) &&
        !isa<arith::ConstantOp, tensor::EmptyOp>(op)) {
      moving.push_back(op);
      movingSet.insert(op);
    }
  for (Operation *op : moving)
    for (Operation *user : op->getUsers()) {
      Operation *top = block->findAncestorOpInBlock(*user);
      if (!top || (!movingSet.contains(top) && !root->isBeforeInBlock(top)))
        return failure();
    }
  Operation *last = root;
  for (Operation *op : moving) {
    op->moveAfter(last);
    last = op;
  }

  IRRewriter rewriter(&getContext());
  rewriter.setInsertionPoint(root);
  FailureOr<TileLoops> runs =
      fuseIntoTileLoop(rewriter, cast<TilingInterface>(root.getOperation()),
                       runSizes, /*forall=*/true, group);
  if (failed(runs))
    return failure();
  for (Operation *op : llvm::reverse(ops))
    if (isOpTriviallyDead(op))
      rewriter.eraseOp(op);
  // The run's ops, now in the forall, fused again tile by tile.
  Block &runBody = runs->loops.front()->getRegion(0).front();
  llvm::SmallPtrSet<Operation *, 16> runOps;
  for (Operation &op : runBody.without_terminator())
    runOps.insert(&op);
  auto runRoot = cast<linalg::LinalgOp>(runs->tiledRoot);
  SmallVector<int64_t> runRanges = runRoot.getStaticLoopRanges();
  SmallVector<int64_t> tileSizes = sizes;
  for (auto [size, extent] : llvm::zip(tileSizes, runRanges))
    if (size == extent)
      size = 0;
  if (llvm::any_of(tileSizes, [](int64_t size) { return size != 0; })) {
    rewriter.setInsertionPoint(runRoot);
    FailureOr<TileLoops> tiles = fuseIntoTileLoop(
        rewriter, cast<TilingInterface>(runRoot.getOperation()), tileSizes,
        /*forall=*/false, runOps);
    if (succeeded(tiles)) {
      eraseDeadOps(rewriter, runBody);
      // The tiles' destinations (tensor.empty) are made once per run, so
      // that each thread reuses one buffer for every tile (a fill stays in
      // the loop: the buffer is rewritten with it each time).
      Operation *outer = tiles->loops.front();
      SmallVector<tensor::EmptyOp> empties;
      outer->walk([&](tensor::EmptyOp empty) {
        if (empty->getNumOperands() == 0)
          empties.push_back(empty);
      });
      for (tensor::EmptyOp empty : empties)
        rewriter.moveOpBefore(empty, outer);
    }
  }
  return success();
}

} // namespace
