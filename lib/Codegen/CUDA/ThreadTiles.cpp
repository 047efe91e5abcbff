//===- ThreadTiles.cpp - Outermost parallel loops into blocks of threads --===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// kiln-cuda-thread-tiles (see Passes.td): tiles one dimension of every
// outermost scf.parallel so that gpu-map-parallel-loops gives its kernel a
// block of threads instead of one thread per block.
//
//===----------------------------------------------------------------------===//

#include "kiln/Conversion/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace kiln {
#define GEN_PASS_DEF_KILNCUDATHREADTILES
#include "kiln/Dialect/Conversion/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

/// The number of iterations of dimension `dim`, when static.
std::optional<int64_t> staticExtent(scf::ParallelOp loop, unsigned dim) {
  std::optional<int64_t> lb = getConstantIntValue(loop.getLowerBound()[dim]);
  std::optional<int64_t> ub = getConstantIntValue(loop.getUpperBound()[dim]);
  std::optional<int64_t> step = getConstantIntValue(loop.getStep()[dim]);
  if (!lb || !ub || !step || *step <= 0)
    return std::nullopt;
  return (*ub - *lb + *step - 1) / *step;
}

class ThreadTilesPass
    : public kiln::impl::KilnCUDAThreadTilesBase<ThreadTilesPass> {
public:
  using KilnCUDAThreadTilesBase::KilnCUDAThreadTilesBase;

  void runOnOperation() override {
    if (threads < 1 || threads > 1024) {
      getOperation().emitError()
          << "kiln-cuda-thread-tiles: threads=" << static_cast<int64_t>(threads)
          << " is outside 1..1024 (CUDA's limit per block)";
      return signalPassFailure();
    }
    SmallVector<scf::ParallelOp> outermost;
    getOperation().walk([&](scf::ParallelOp loop) {
      if (!loop->getParentOfType<scf::ParallelOp>())
        outermost.push_back(loop);
    });
    int64_t tiled = 0;
    for (scf::ParallelOp loop : outermost) {
      // A loop that already nests a parallel loop has its threads.
      bool nested = false;
      loop.getBody()->walk([&](scf::ParallelOp) { nested = true; });
      if (nested)
        continue;
      unsigned numDims = loop.getNumLoops();
      // Thread ids x and y allow 1024, z only 64: the tile is along the
      // second dimension (thread y), or the first of a 1-d loop.
      unsigned dim = std::min(numDims, 2u) - 1;
      int64_t tile = threads;
      if (std::optional<int64_t> extent = staticExtent(loop, dim))
        tile = std::min<int64_t>(tile, std::max<int64_t>(*extent, 1));
      if (tile <= 1)
        continue;
      SmallVector<int64_t> tileSizes(numDims, 1);
      tileSizes[dim] = tile;
      scf::tileParallelLoop(loop, tileSizes, /*noMinMaxBounds=*/false);
      ++tiled;
    }
    numTiled += tiled;
    // convert-parallel-loops-to-gpu needs the thread loop's bound as a
    // constant, or an affine.min with a constant result: fold the tile
    // size computations into the bounds. (Full canonicalization would merge
    // the tile loops back into one.)
    RewritePatternSet patterns(&getContext());
    affine::AffineMinOp::getCanonicalizationPatterns(patterns, &getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    // Statistics are compiled out of Debian's LLVM: a remark says it too.
    if (tiled)
      getOperation().emitRemark()
          << "kiln-cuda-thread-tiles: " << tiled
          << " parallel loops split into blocks of up to "
          << static_cast<int64_t>(threads) << " threads";
  }
};

} // namespace
