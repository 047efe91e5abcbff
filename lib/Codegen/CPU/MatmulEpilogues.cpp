//===- MatmulEpilogues.cpp - Elementwise epilogues in GEMM kernels --------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Finds the elementwise reader of a matmul's product that a GEMM kernel can
// compute on its register tiles (findMatmulEpilogue), and emits it on one
// register tile after the tile's reduction loop (emitEpilogueOnTile). The
// tile of the epilogue is the epilogue's own body on slices: C's register
// tile, and each other input's slice at the tile's global position, then
// vectorized like the kernel.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/CPU/MatmulEpilogues.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

namespace kiln {
namespace cpu {

std::optional<MatmulEpilogue> findMatmulEpilogue(linalg::LinalgOp matmul,
                                                 DominanceInfo &dom) {
  if (matmul->getNumResults() != 1)
    return std::nullopt;
  Value product = matmul->getResult(0);
  if (!product.hasOneUse())
    return std::nullopt;
  OpOperand &use = *product.getUses().begin();
  auto op = dyn_cast<linalg::GenericOp>(use.getOwner());
  if (!op || !op.isDpsInput(&use) || op->getNumResults() != 1 ||
      op.getNumDpsInits() != 1 || !op.hasPureTensorSemantics() ||
      op.hasDynamicShape())
    return std::nullopt;
  if (op->getResult(0).getType() != product.getType())
    return std::nullopt;
  if (!llvm::all_of(op.getIteratorTypesArray(), linalg::isParallelIterator))
    return std::nullopt;
  if (!op.getMatchingIndexingMap(&use).isIdentity() ||
      !op.getIndexingMapMatchingResult(op->getResult(0)).isIdentity())
    return std::nullopt;
  // The tile is written in place of C: the old output is not there to read.
  if (!op.getRegionOutputArgs().front().use_empty())
    return std::nullopt;
  // Indices would be the tile's, not the product's.
  if (!op.getBody()->getOps<linalg::IndexOp>().empty())
    return std::nullopt;
  for (OpOperand *input : op.getDpsInputOperands()) {
    if (input == &use)
      continue;
    Type elt = getElementTypeOrSelf(input->get().getType());
    // i1 vectors are bit-packed, their memory a byte each
    // (kiln-cpu-byte-masks makes masks bytes first).
    if (!elt.isIntOrFloat() || elt.getIntOrFloatBitWidth() < 8)
      return std::nullopt;
    if (!op.getMatchingIndexingMap(input).isProjectedPermutation(
            /*allowZeroInResults=*/true))
      return std::nullopt;
    // The kernel computes the epilogue where the matmul was.
    if (!dom.properlyDominates(input->get(), matmul))
      return std::nullopt;
  }
  return MatmulEpilogue{op, use.getOperandNumber()};
}

LogicalResult emitEpilogueOnTile(RewriterBase &rewriter,
                                 const MatmulEpilogue &epilogue,
                                 const RegisterTile &tile) {
  // The loop around the reduction yields C with the tile written.
  auto yield = dyn_cast<scf::YieldOp>(tile.kLoop->getBlock()->getTerminator());
  if (!yield || yield->getNumOperands() != 1)
    return failure();
  Value c = yield->getOperand(0);
  linalg::GenericOp op = epilogue.op;
  Location loc = op.getLoc();
  MLIRContext *ctx = rewriter.getContext();
  auto cType = cast<RankedTensorType>(c.getType());
  auto index = [&](int64_t v) -> OpFoldResult {
    return rewriter.getIndexAttr(v);
  };
  auto ones = [&](unsigned rank) {
    return SmallVector<OpFoldResult>(rank, index(1));
  };

  rewriter.setInsertionPoint(yield);
  scf::IfOp lastBlock;
  if (tile.isLastBlock) {
    lastBlock = scf::IfOp::create(rewriter, loc, TypeRange{cType},
                                  tile.isLastBlock, /*addThenBlock=*/true,
                                  /*addElseBlock=*/true);
    rewriter.setInsertionPointToStart(lastBlock.elseBlock());
    scf::YieldOp::create(rewriter, loc, c);
    rewriter.setInsertionPointToStart(lastBlock.thenBlock());
  }

  // C's register tile, without its unit n1 dim: the epilogue's iteration
  // space at the tile's size.
  SmallVector<OpFoldResult> localSizes =
      getAsIndexOpFoldResult(ctx, tile.localSizes);
  auto tileType = RankedTensorType::get(tile.sizes, cType.getElementType());
  Value cTile = tensor::ExtractSliceOp::create(
      rewriter, loc, tileType, c, tile.localOffsets, localSizes,
      ones(cType.getRank()));
  SmallVector<Value> inputs;
  for (OpOperand *input : op.getDpsInputOperands()) {
    if (input->getOperandNumber() == epilogue.productInput) {
      inputs.push_back(cTile);
      continue;
    }
    AffineMap map = op.getMatchingIndexingMap(input);
    SmallVector<OpFoldResult> offsets, sizes;
    for (AffineExpr e : map.getResults()) {
      if (auto d = dyn_cast<AffineDimExpr>(e)) {
        offsets.push_back(tile.offsets[d.getPosition()]);
        sizes.push_back(index(tile.sizes[d.getPosition()]));
      } else { // A broadcast unit dim.
        offsets.push_back(index(0));
        sizes.push_back(index(1));
      }
    }
    inputs.push_back(tensor::ExtractSliceOp::create(
        rewriter, loc, input->get(), offsets, sizes,
        ones(map.getNumResults())));
  }
  auto tileOp = linalg::GenericOp::create(
      rewriter, loc, TypeRange{tileType}, inputs, ValueRange{cTile},
      op.getIndexingMapsArray(), op.getIteratorTypesArray());
  rewriter.cloneRegionBefore(op.getRegion(), tileOp.getRegion(),
                             tileOp.getRegion().end());
  Value result = tileOp->getResult(0);
  rewriter.setInsertionPoint(tileOp);
  FailureOr<linalg::VectorizationResult> vectorized =
      linalg::vectorize(rewriter, tileOp);
  if (succeeded(vectorized)) {
    result = vectorized->replacements.front();
    rewriter.replaceOp(tileOp, vectorized->replacements);
  }
  // Otherwise a scalar loop nest over the tile: still no second pass.
  rewriter.setInsertionPointAfterValue(result);
  Value updated = tensor::InsertSliceOp::create(
      rewriter, loc, result, c, tile.localOffsets, localSizes,
      ones(cType.getRank()));
  if (lastBlock) {
    scf::YieldOp::create(rewriter, loc, updated);
    updated = lastBlock->getResult(0);
  }
  rewriter.modifyOpInPlace(yield, [&] { yield->setOperand(0, updated); });
  return success();
}

} // namespace cpu
} // namespace kiln
