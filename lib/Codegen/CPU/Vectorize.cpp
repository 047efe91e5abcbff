//===- Vectorize.cpp - Threaded, vectorized elementwise and reduction ops --===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The kiln-cpu-vectorize pass (dialects/Conversion/Passes.td). Every static
// f32-or-narrower linalg op on tensors that the GEMM passes left (elementwise
// generics, broadcasts, transposes, fills, reductions, im2col gathers) is
//   1. split along its innermost loop dim where that is not a multiple of
//      the vector width (the remainder stays a scalar loop);
//   2. tiled: its outermost parallel dim across threads (`scf.forall`, when
//      the op is large enough to pay for it), then every loop dim but the
//      innermost to 1 and the innermost to a vector of up to `vector-size`
//      elements (`scf.for`);
//   3. vectorized (`linalg::vectorize`): one vector op per scalar op of the
//      body, reductions along the innermost dim as vector reductions; a
//      copy through a window map (im2col), which linalg::vectorize rejects,
//      as one contiguous transfer_read/transfer_write per tile.
// Before that, pads become fills and copies and sums over several dims are
// split (VectorFriendlyForms.h), so that they take the same path.
// Math functions on vectors then get polynomial approximations (exp, log,
// tanh, erf, ...), which vectorize where libm calls would not.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/CPU/GatherCopies.h"
#include "kiln/Support/ThreadCount.h"
#include "kiln/Codegen/CPU/TileInPlace.h"
#include "kiln/Codegen/CPU/VectorFriendlyForms.h"
#include "kiln/Codegen/CPU/VectorizeInPlace.h"
#include "kiln/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SparseTensor/IR/SparseTensor.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include "llvm/ADT/STLExtras.h"


namespace kiln {
#define GEN_PASS_DEF_KILNCPUVECTORIZE
#include "kiln/Dialect/Conversion/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

/// The tile of a window copy (every loop extent 1 but the innermost,
/// `width`) as one contiguous vector read of its source slice and one
/// write. The read starts where the map reads the tile's first element:
/// upstream's tiling keeps a window's constant offset (`oh + kh + 1`) in
/// the map and slices the source from the offset without it, one longer.
/// Failure when the read would leave the slice.
LogicalResult vectorizeWindowCopyTile(RewriterBase &rewriter,
                                      linalg::GenericOp tile, int64_t width) {
  Location loc = tile.getLoc();
  Value src = tile.getDpsInputOperand(0)->get();
  Value dst = tile.getDpsInitOperand(0)->get();
  auto srcType = cast<RankedTensorType>(src.getType());
  auto dstType = cast<RankedTensorType>(dst.getType());
  if (dstType.getShape().back() != width)
    return failure();
  AffineMap read = tile.getIndexingMapsArray().front();
  SmallVector<int64_t> start;
  SmallVector<AffineExpr> zeros(read.getNumDims(),
                                getAffineConstantExpr(0, tile.getContext()));
  for (auto [j, e] : llvm::enumerate(read.getResults())) {
    auto at = dyn_cast<AffineConstantExpr>(
        simplifyAffineExpr(e.replaceDims(zeros), 0, 0));
    int64_t extent = j + 1 == read.getNumResults() ? width : 1;
    if (!at || at.getValue() < 0 ||
        at.getValue() + extent > srcType.getDimSize(j))
      return failure();
    start.push_back(at.getValue());
  }
  rewriter.setInsertionPoint(tile);
  auto vecType = VectorType::get({width}, srcType.getElementType());
  Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
  SmallVector<Value> srcIdx, dstIdx(dstType.getRank(), zero);
  for (int64_t offset : start)
    srcIdx.push_back(arith::ConstantIndexOp::create(rewriter, loc, offset));
  Value pad = arith::ConstantOp::create(
      rewriter, loc, rewriter.getZeroAttr(srcType.getElementType()));
  SmallVector<bool> inBounds = {true};
  Value v = vector::TransferReadOp::create(rewriter, loc, vecType, src,
                                           srcIdx, pad, inBounds);
  auto write = vector::TransferWriteOp::create(rewriter, loc, v, dst, dstIdx,
                                               inBounds);
  rewriter.replaceOp(tile, write->getResults());
  return success();
}

/// What this pass does with an op.
enum class Treatment {
  Leave,      ///< Not its business (see `treatmentOf`).
  ThreadOnly, ///< Split across threads, its tile left as scalar loops.
  Vectorize,  ///< Split across threads, tiled and vectorized.
};

/// Ops this pass leaves alone: named matmuls and convolutions (the GEMM
/// passes' business, or too irregular), dynamic or non-tensor ones, ops on
/// types wider than 32 bits (their vectors would be half as wide) and ops
/// on sub-byte types. Ops read through windows that are not plain copies
/// (a max-pool's `x[n, c, 2 oh + kh, 2 ow + kw]`) are only threaded:
/// linalg's vectorizer rejects their maps, but their slices along a
/// parallel dim are independent.
Treatment treatmentOf(linalg::LinalgOp op) {
  if (!op.hasPureTensorSemantics() || op.hasDynamicShape() ||
      op.getNumLoops() == 0)
    return Treatment::Leave;
  // Matmuls are the GEMM kernels' (a generic contraction left here has no
  // GEMM form: a row-wise dot product, vectorized as a reduction).
  if (isa<linalg::MatmulOp, linalg::BatchMatmulOp>(op.getOperation()) ||
      isa<linalg::ConvolutionOpInterface>(op.getOperation()))
    return Treatment::Leave;
  // Sparse operands are the sparse compiler's (kiln-cpu-sparse-weights).
  if (llvm::any_of(op->getOperandTypes(), [](Type t) {
        return static_cast<bool>(sparse_tensor::getSparseTensorEncoding(t));
      }))
    return Treatment::Leave;
  for (Value v : op->getOperands()) {
    Type elt = getElementTypeOrSelf(v.getType());
    // i1 vectors are bit-packed in LLVM while i1 memrefs hold a byte per
    // element: a vector store of a mask would write bits.
    if (!elt.isIntOrFloat() || elt.getIntOrFloatBitWidth() > 32 ||
        elt.getIntOrFloatBitWidth() < 8)
      return Treatment::Leave;
  }
  // Windows and taps (a convolution's input map) tile into slices that
  // the unit-dim folding cannot express; copies through them (im2col) get
  // vector reads of their own.
  if (kiln::cpu::isWindowCopy(op))
    return Treatment::Vectorize;
  for (AffineMap map : op.getIndexingMapsArray())
    if (!map.isProjectedPermutation(/*allowZeroInResults=*/true))
      return Treatment::ThreadOnly;
  return Treatment::Vectorize;
}

/// The largest divisor of `n` that is a multiple of `step` and at most
/// `cap`, or 0.
int64_t vectorTile(int64_t n, int64_t step, int64_t cap) {
  for (int64_t v = cap - cap % step; v >= step; v -= step)
    if (n % v == 0)
      return v;
  return 0;
}

/// The loop dim along which some input of `op` is contiguous (its map's
/// last result) when that is a parallel dim other than the innermost loop:
/// the op transposes that input, and a vector tile of 1 x ... x width
/// would read it with a stride (one scalar load per element). Tiling that
/// dim too gives square blocks, read row by row and transposed in
/// registers. None when inputs disagree or the op reduces.
std::optional<unsigned> transposedDim(linalg::LinalgOp op) {
  unsigned inner = op.getNumLoops() - 1;
  std::optional<unsigned> found;
  SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();
  if (llvm::any_of(iters, [](utils::IteratorType t) {
        return t != utils::IteratorType::parallel;
      }))
    return std::nullopt;
  for (OpOperand *input : op.getDpsInputOperands()) {
    AffineMap map = op.getMatchingIndexingMap(input);
    if (map.getNumResults() == 0)
      continue;
    auto last = dyn_cast<AffineDimExpr>(map.getResults().back());
    if (!last || last.getPosition() == inner)
      continue;
    if (found && *found != last.getPosition())
      return std::nullopt;
    found = last.getPosition();
  }
  return found;
}

/// A generic that updates one of its inputs in place (the same value as
/// input and init, read through the same map) reads it through the init's
/// block argument instead: once tiled, each tile then reads the slice it
/// writes, where reading the input value would make bufferization copy the
/// whole tensor first (it cannot tell that earlier tiles wrote elsewhere).
linalg::GenericOp readInPlaceInputsFromInit(RewriterBase &rewriter,
                                            linalg::GenericOp op) {
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  unsigned numInputs = op.getNumDpsInputs();
  Block &body = op.getRegion().front();
  // Input position -> the init block argument that replaces it.
  SmallVector<std::pair<unsigned, BlockArgument>> folds;
  for (unsigned i = 0; i < numInputs; ++i)
    for (OpOperand &init : op.getDpsInitsMutable())
      if (op.getDpsInputOperand(i)->get() == init.get() &&
          maps[i] == op.getMatchingIndexingMap(&init)) {
        folds.emplace_back(i, op.getMatchingBlockArgument(&init));
        break;
      }
  SmallVector<unsigned> dropped;
  for (auto &[i, initArg] : folds) {
    body.getArgument(i).replaceAllUsesWith(initArg);
    dropped.push_back(i);
  }
  return kiln::cpu::dropUnusedInputs(rewriter, op, dropped);
}

class VectorizePass
    : public kiln::impl::KilnCPUVectorizeBase<VectorizePass> {
public:
  using KilnCPUVectorizeBase::KilnCPUVectorizeBase;
  void runOnOperation() override;

private:
  /// Tiles and vectorizes one op whose innermost extent the vector tile
  /// divides (or that is narrower than one vector).
  void vectorizeOp(RewriterBase &rewriter, linalg::LinalgOp op,
                   int64_t threads, bool threadOnly);

  /// The reads through a transposed map of the blocks vectorized in this
  /// run (see `transposedDim`).
  SmallVector<Operation *> transposedReads;
};

void VectorizePass::vectorizeOp(RewriterBase &rewriter, linalg::LinalgOp op,
                                int64_t threads, bool threadOnly) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  unsigned numLoops = ranges.size();
  unsigned inner = numLoops - 1;
  int64_t width = ranges[inner] <= vectorSize
                      ? ranges[inner]
                      : vectorTile(ranges[inner], minVectorSize, vectorSize);
  if (width == 0 && !threadOnly)
    return;
  SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();

  auto tile = [&](TilingInterface target, ArrayRef<int64_t> sizes,
                  bool forall) {
    return kiln::cpu::tileInPlace(rewriter, target, sizes, forall);
  };

  bool windowCopy = kiln::cpu::isWindowCopy(op);
  if (auto generic = dyn_cast<linalg::GenericOp>(op.getOperation()))
    op = readInPlaceInputsFromInit(rewriter, generic);
  // Before any tiling: tiling replaces `op`.
  std::optional<unsigned> across = transposedDim(op);
  TilingInterface current = cast<TilingInterface>(op.getOperation());
  // Threads: the outermost parallel dim with at least one slice per thread,
  // when the op moves enough data to pay for the fork.
  int64_t elements = 1;
  for (int64_t r : ranges)
    elements *= r;
  if (threads > 1 && elements >= minParallelElements) {
    for (unsigned d = 0; d < inner; ++d) {
      if (iters[d] != utils::IteratorType::parallel || ranges[d] < threads)
        continue;
      SmallVector<int64_t> sizes(numLoops, 0);
      sizes[d] = (ranges[d] + threads - 1) / threads;
      FailureOr<scf::SCFTilingResult> t = tile(current, sizes, true);
      if (failed(t))
        return;
      current = cast<TilingInterface>(t->tiledOps.front());
      ++numThreaded;
      break;
    }
  }
  if (threadOnly)
    return;
  // Vector tiles: 1 x ... x 1 x width, or for a transposing op (see
  // `transposedDim`) square blocks of the minimum width (16 x 16 f32 on
  // AVX-512: one register per row, transposed by shuffles).
  SmallVector<int64_t> sizes(numLoops, 1);
  sizes[inner] = width == ranges[inner] ? 0 : width;
  bool block = across && !windowCopy &&
               ranges[*across] % minVectorSize == 0 &&
               ranges[inner] % minVectorSize == 0;
  if (block) {
    width = minVectorSize;
    sizes[*across] = width;
    sizes[inner] = width == ranges[inner] ? 0 : width;
  }
  Operation *vectorOp = current.getOperation();
  if (llvm::any_of(ArrayRef(sizes).drop_back(),
                   [](int64_t s) { return s != 0; }) ||
      sizes[inner] != 0) {
    FailureOr<scf::SCFTilingResult> t = tile(current, sizes, false);
    if (failed(t))
      return;
    vectorOp = t->tiledOps.front();
  }
  if (windowCopy) {
    if (succeeded(vectorizeWindowCopyTile(
            rewriter, cast<linalg::GenericOp>(vectorOp), width)))
      ++numVectorized;
    return;
  }
  // A named transposing op (linalg.transpose) as a generic, whose unit
  // dims can be dropped: the block is then a 2-D transpose.
  if (block && !isa<linalg::GenericOp>(vectorOp)) {
    rewriter.setInsertionPoint(vectorOp);
    FailureOr<linalg::GenericOp> generic = linalg::generalizeNamedOp(
        rewriter, cast<linalg::LinalgOp>(vectorOp));
    if (succeeded(generic))
      vectorOp = *generic;
  }
  // Drop the unit dims of the tile, so that the vectors are 1-D (rank-n
  // vectors with unit dims do not all lower to LLVM).
  if (auto generic = dyn_cast<linalg::GenericOp>(vectorOp)) {
    linalg::ControlDropUnitDims control;
    control.rankReductionStrategy =
        linalg::ControlDropUnitDims::RankReductionStrategy::ExtractInsertSlice;
    rewriter.setInsertionPoint(generic);
    FailureOr<linalg::DropUnitDimsResult> dropped =
        linalg::dropUnitDims(rewriter, generic, control);
    if (succeeded(dropped)) {
      rewriter.replaceOp(generic, dropped->replacements);
      vectorOp = dropped->resultOp.getOperation();
    }
  }
  rewriter.setInsertionPoint(vectorOp);
  Block *tileBlock = vectorOp->getBlock();
  llvm::SmallPtrSet<Operation *, 8> readsBefore;
  tileBlock->walk([&](vector::TransferReadOp r) { readsBefore.insert(r); });
  if (failed(kiln::cpu::vectorizeInPlace(rewriter, vectorOp)))
    return; // The tiled op stays a (scalar) loop nest.
  ++numVectorized;
  if (!block)
    return;
  ++numTransposeBlocks;
  // Its transposed reads, lowered in runOnOperation.
  tileBlock->walk([&](vector::TransferReadOp r) {
    if (!readsBefore.contains(r) && !r.getPermutationMap().isMinorIdentity())
      transposedReads.push_back(r);
  });
}

void VectorizePass::runOnOperation() {
  func::FuncOp func = getOperation();
  int64_t threads = kiln::resolveThreadCount(numThreads);
  if (vectorSize < 1 || minVectorSize < 1) {
    func.emitError("kiln-cpu-vectorize: vector sizes must be >= 1");
    return signalPassFailure();
  }

  IRRewriter rewriter(&getContext());
  // Forms that vectorize better: pads as copies, reductions over several
  // dims accumulating vectors (VectorFriendlyForms.h).
  numPads += kiln::cpu::rewritePadsAsCopies(rewriter, func);
  numSplitReductions +=
      kiln::cpu::splitMultiDimReductions(rewriter, func, minVectorSize);
  numScalarInputs += kiln::cpu::readScalarInputsOutside(rewriter, func);

  // An op inside an scf.forall already runs on one thread (a GEMM kernel's
  // thread tile, kiln-cpu-conv-to-gemm's run of images and their im2col
  // copies): it gets vectors but no threads of its own.
  auto inThreadTile = [](Operation *op) {
    return static_cast<bool>(op->getParentOfType<scf::ForallOp>());
  };
  SmallVector<linalg::LinalgOp> candidates, threadOnly;
  func.walk([&](linalg::LinalgOp op) {
    switch (treatmentOf(op)) {
    case Treatment::Vectorize:
      candidates.push_back(op);
      break;
    case Treatment::ThreadOnly:
      if (!inThreadTile(op))
        threadOnly.push_back(op);
      break;
    case Treatment::Leave:
      break;
    }
  });
  for (linalg::LinalgOp op : threadOnly)
    vectorizeOp(rewriter, op, threads, /*threadOnly=*/true);
  for (linalg::LinalgOp op : candidates) {
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    unsigned inner = ranges.size() - 1;
    int64_t extent = ranges[inner];
    // An innermost extent that no vector tile divides: the multiple of the
    // minimum width is vectorized, the rest stays a scalar loop.
    if (extent > vectorSize &&
        vectorTile(extent, minVectorSize, vectorSize) == 0) {
      int64_t main = extent - extent % minVectorSize;
      if (main == 0) {
        ++numSkipped;
        continue;
      }
      rewriter.setInsertionPoint(op);
      auto [first, second] =
          linalg::splitOp(rewriter, cast<TilingInterface>(op.getOperation()),
                          inner, rewriter.getIndexAttr(main));
      if (!first) {
        ++numSkipped;
        continue;
      }
      op = cast<linalg::LinalgOp>(first.getOperation());
      ++numSplit;
    }
    vectorizeOp(rewriter, op, inThreadTile(op) ? 1 : threads,
                /*threadOnly=*/false);
  }

  // A transposing block reads its input through a permuted map: read it
  // row by row (contiguous) and transpose the block in registers.
  if (!transposedReads.empty()) {
    RewritePatternSet patterns(&getContext());
    vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
    GreedyRewriteConfig config;
    config.setStrictness(GreedyRewriteStrictness::ExistingAndNewOps);
    (void)applyOpPatternsGreedily(transposedReads, std::move(patterns),
                                  config);
    transposedReads.clear();
    // 16 x 16 blocks of 32-bit elements as the 64 two-input shuffles of the
    // classic register transpose (unpack, unpack, 128-bit lane shuffles
    // twice). Left to LLVM, the block became one 256-element shuffle,
    // lowered with about 190 shuffles and spills.
    SmallVector<Operation *> blocks;
    func.walk([&](vector::TransposeOp t) {
      VectorType type = t.getSourceVectorType();
      if (type.getShape() == ArrayRef<int64_t>{16, 16} &&
          type.getElementTypeBitWidth() == 32)
        blocks.push_back(t);
    });
    RewritePatternSet shuffles(&getContext());
    vector::populateVectorTransposeLoweringPatterns(
        shuffles, vector::VectorTransposeLowering::Shuffle16x16);
    (void)applyOpPatternsGreedily(blocks, std::move(shuffles), config);
  }

  // Vector math without libm, whose calls would scalarize every vector:
  // polynomial approximations (f32) of the functions training steps use.
  // Scalar f32 math (remainder loops, ops left unvectorized) gets the same
  // approximations: an element's value must not depend on whether its loop
  // was vectorized, or a fusion decision, a split remainder or a
  // recomputed copy (kiln-remat) would change results in the last bits.
  SmallVector<Operation *> f32Math;
  func.walk([&](Operation *op) {
    if (isa<math::ExpOp, math::ExpM1Op, math::LogOp, math::Log1pOp,
            math::Log2Op, math::TanhOp, math::ErfOp>(op) &&
        getElementTypeOrSelf(op->getResult(0).getType()).isF32())
      f32Math.push_back(op);
  });
  if (f32Math.empty())
    return;
  RewritePatternSet patterns(&getContext());
  populateMathPolynomialApproximationPatterns(
      patterns, [](StringRef name) {
        name.consume_front("math.");
        return llvm::is_contained(
            {"exp", "expm1", "log", "log1p", "log2", "tanh", "erf"}, name);
      });
  GreedyRewriteConfig config;
  config.setStrictness(GreedyRewriteStrictness::ExistingAndNewOps);
  (void)applyOpPatternsGreedily(f32Math, std::move(patterns), config);
}

} // namespace
