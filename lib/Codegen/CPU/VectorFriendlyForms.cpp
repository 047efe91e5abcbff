//===- VectorFriendlyForms.cpp - Rewrites that vectorize better -----------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Implements VectorFriendlyForms.h: padding as copies, and sums over several
// dims split into a vector accumulation and a short horizontal sum.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/CPU/VectorFriendlyForms.h"
#include "kiln/Codegen/CPU/GatherCopies.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

#include "llvm/ADT/STLExtras.h"

using namespace mlir;

namespace kiln {
namespace cpu {
namespace {

/// insert_slice(copy(source) into extract_slice(dest)), the copy a
/// linalg.generic that this pass then threads and vectorizes.
Value copyIntoSlice(RewriterBase &rewriter, Location loc, Value source,
                    Value dest, ArrayRef<OpFoldResult> offsets,
                    ArrayRef<OpFoldResult> sizes,
                    ArrayRef<OpFoldResult> strides) {
  auto sourceType = cast<RankedTensorType>(source.getType());
  Value interior = tensor::ExtractSliceOp::create(rewriter, loc, sourceType,
                                                  dest, offsets, sizes,
                                                  strides);
  AffineMap id = AffineMap::getMultiDimIdentityMap(sourceType.getRank(),
                                                   rewriter.getContext());
  Value copied =
      buildGatherCopy(rewriter, loc, source, id, interior)->getResult(0);
  return tensor::InsertSliceOp::create(rewriter, loc, copied, dest, offsets,
                                       sizes, strides);
}

/// A static tensor.pad of a constant as a fill and a copy into its
/// interior (copyIntoSlice). Bufferized as it is, the pad becomes a
/// memref.copy into a strided subview, which the runtime's generic
/// memrefCopy performs one element at a time (every convolution's padded
/// input).
LogicalResult padAsFillAndCopy(RewriterBase &rewriter, tensor::PadOp pad) {
  RankedTensorType resultType = pad.getResultType();
  RankedTensorType sourceType = pad.getSourceType();
  Value padValue = pad.getConstantPaddingValue();
  if (!resultType.hasStaticShape() || !sourceType.hasStaticShape() ||
      !padValue || !pad.getLow().empty() || !pad.getHigh().empty())
    return failure();
  Location loc = pad.getLoc();
  rewriter.setInsertionPoint(pad);
  Value empty = tensor::EmptyOp::create(rewriter, loc, resultType.getShape(),
                                        resultType.getElementType());
  Value filled =
      linalg::FillOp::create(rewriter, loc, padValue, empty).getResult(0);
  SmallVector<OpFoldResult> strides(sourceType.getRank(),
                                    rewriter.getIndexAttr(1));
  rewriter.replaceOp(
      pad, copyIntoSlice(rewriter, loc, pad.getSource(), filled,
                         pad.getMixedLowPad(),
                         getAsIndexOpFoldResult(pad.getContext(),
                                                sourceType.getShape()),
                         strides));
  return success();
}

/// The same for a static tensor.insert_slice into a fill (a gradient
/// spread into zeros: padded, or dilated along all but the innermost dim).
LogicalResult insertIntoFillAsCopy(RewriterBase &rewriter,
                                   tensor::InsertSliceOp insert) {
  if (!insert.getDest().getDefiningOp<linalg::FillOp>() ||
      !insert.getSourceType().hasStaticShape() ||
      insert.getStaticStrides().back() != 1)
    return failure();
  if (ShapedType::isDynamicShape(insert.getStaticOffsets()) ||
      ShapedType::isDynamicShape(insert.getStaticStrides()) ||
      insert.getSourceType().getRank() != insert.getType().getRank())
    return failure();
  rewriter.setInsertionPoint(insert);
  rewriter.replaceOp(
      insert, copyIntoSlice(rewriter, insert.getLoc(), insert.getSource(),
                            insert.getDest(), insert.getMixedOffsets(),
                            insert.getMixedSizes(), insert.getMixedStrides()));
  return success();
}

/// Whether `op` is an f32 sum that splitMultiDimReductions rewrites: one
/// output, read only as the addend of the `addf` the body yields; its
/// innermost loop dim and at least one other reduced; the innermost extent
/// at least `minWidth`.
bool isSplittableSum(linalg::GenericOp op, int64_t minWidth) {
  if (op.getNumDpsInits() != 1 || op.getNumResults() != 1 ||
      op.hasDynamicShape() || !op.hasPureTensorSemantics())
    return false;
  OpOperand *init = op.getDpsInitOperand(0);
  if (!getElementTypeOrSelf(init->get().getType()).isF32())
    return false;
  SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();
  if (iters.size() < 2)
    return false;
  unsigned inner = iters.size() - 1;
  if (iters[inner] != utils::IteratorType::reduction ||
      op.getNumReductionLoops() < 2 ||
      op.getStaticLoopRanges()[inner] < minWidth)
    return false;
  if (!op.getMatchingIndexingMap(init).isProjectedPermutation(
          /*allowZeroInResults=*/true))
    return false;
  BlockArgument acc = op.getMatchingBlockArgument(init);
  auto yield = cast<linalg::YieldOp>(op.getRegion().front().getTerminator());
  auto add = yield.getOperand(0).getDefiningOp<arith::AddFOp>();
  return add && acc.hasOneUse() && *acc.getUsers().begin() == add;
}

/// The rewrite of splitMultiDimReductions for one sum.
void splitSum(RewriterBase &rewriter, linalg::GenericOp op) {
  Location loc = op.getLoc();
  MLIRContext *ctx = op.getContext();
  SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  unsigned numLoops = iters.size(), inner = numLoops - 1;
  OpOperand *init = op.getDpsInitOperand(0);
  AffineMap outMap = op.getMatchingIndexingMap(init);

  // The partial sums: [parallel dims..., w], read through (p..., w).
  SmallVector<int64_t> partialShape;
  SmallVector<AffineExpr> partialExprs;
  // Loop dim -> its position among the second step's loops.
  SmallVector<AffineExpr> renamed(numLoops, getAffineConstantExpr(0, ctx));
  for (unsigned d = 0; d < numLoops; ++d) {
    if (d != inner && iters[d] != utils::IteratorType::parallel)
      continue;
    renamed[d] = getAffineDimExpr(partialShape.size(), ctx);
    partialShape.push_back(ranges[d]);
    partialExprs.push_back(getAffineDimExpr(d, ctx));
  }
  rewriter.setInsertionPoint(op);
  Type f32 = rewriter.getF32Type();
  Value zero = arith::ConstantOp::create(rewriter, loc,
                                         rewriter.getZeroAttr(f32));
  Value partialInit = linalg::FillOp::create(
                          rewriter, loc, zero,
                          ValueRange{tensor::EmptyOp::create(
                              rewriter, loc, partialShape, f32)})
                          .getResult(0);
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  maps.back() = AffineMap::get(numLoops, 0, partialExprs, ctx);
  SmallVector<utils::IteratorType> partialIters = iters;
  partialIters[inner] = utils::IteratorType::parallel;
  auto partial = linalg::GenericOp::create(
      rewriter, loc, TypeRange{partialInit.getType()}, op.getDpsInputs(),
      ValueRange{partialInit}, maps, partialIters);
  partial->setDiscardableAttrs(op->getDiscardableAttrDictionary());
  rewriter.inlineRegionBefore(op.getRegion(), partial.getRegion(),
                              partial.getRegion().end());

  // out[p...] += sum over w of partial[p..., w].
  unsigned rank = partialShape.size();
  SmallVector<utils::IteratorType> sumIters(rank,
                                            utils::IteratorType::parallel);
  sumIters.back() = utils::IteratorType::reduction;
  AffineMap sumOutMap = outMap.replaceDimsAndSymbols(renamed, {}, rank, 0);
  auto sum = linalg::GenericOp::create(
      rewriter, loc, op->getResultTypes(), ValueRange{partial.getResult(0)},
      ValueRange{init->get()},
      ArrayRef<AffineMap>{AffineMap::getMultiDimIdentityMap(rank, ctx),
                          sumOutMap},
      sumIters, [](OpBuilder &b, Location l, ValueRange args) {
        linalg::YieldOp::create(
            b, l, ValueRange{arith::AddFOp::create(b, l, args[1], args[0])});
      });
  sum->setDiscardableAttrs(op->getDiscardableAttrDictionary());
  rewriter.replaceOp(op, sum->getResults());
}

/// Whether input `operand` of `op` is a 0-d tensor: one scalar read by
/// every iteration.
bool isScalarInput(linalg::GenericOp op, OpOperand &operand) {
  auto type = dyn_cast<RankedTensorType>(operand.get().getType());
  return op.isDpsInput(&operand) && type && type.getRank() == 0;
}

/// `op` with its 0-d inputs read once before it (tensor.extract) and used
/// in the body as values from above.
void readScalarInputsOutside(RewriterBase &rewriter, linalg::GenericOp op) {
  SmallVector<unsigned> dropped;
  rewriter.setInsertionPoint(op);
  for (auto [i, operand] : llvm::enumerate(op.getDpsInputOperands())) {
    if (!isScalarInput(op, *operand))
      continue;
    Value scalar = tensor::ExtractOp::create(rewriter, op.getLoc(),
                                             operand->get(), ValueRange{});
    rewriter.replaceAllUsesWith(op.getMatchingBlockArgument(operand), scalar);
    dropped.push_back(i);
  }
  dropUnusedInputs(rewriter, op, dropped);
}

} // namespace

unsigned rewritePadsAsCopies(RewriterBase &rewriter, func::FuncOp func) {
  // Both lists first: the pads' rewrites create insertions into fills.
  SmallVector<tensor::PadOp> pads;
  func.walk([&](tensor::PadOp pad) { pads.push_back(pad); });
  SmallVector<tensor::InsertSliceOp> inserts;
  func.walk([&](tensor::InsertSliceOp insert) { inserts.push_back(insert); });
  unsigned count = 0;
  for (tensor::PadOp pad : pads)
    count += succeeded(padAsFillAndCopy(rewriter, pad));
  for (tensor::InsertSliceOp insert : inserts)
    count += succeeded(insertIntoFillAsCopy(rewriter, insert));
  return count;
}

unsigned splitMultiDimReductions(RewriterBase &rewriter, func::FuncOp func,
                                 int64_t minWidth) {
  SmallVector<linalg::LinalgOp> sums;
  func.walk([&](linalg::LinalgOp op) {
    if (isa<linalg::GenericOp, linalg::ReduceOp>(op.getOperation()))
      sums.push_back(op);
  });
  unsigned count = 0;
  for (linalg::LinalgOp op : sums) {
    auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
    if (auto reduce = dyn_cast<linalg::ReduceOp>(op.getOperation())) {
      // Generalized only when the generic form is what gets split.
      if (reduce.getNumDpsInits() != 1 || reduce.getDimensions().size() < 2)
        continue;
      rewriter.setInsertionPoint(reduce);
      FailureOr<linalg::GenericOp> g =
          linalg::generalizeNamedOp(rewriter, reduce);
      if (failed(g))
        continue;
      generic = *g;
    }
    if (!generic || !isSplittableSum(generic, minWidth))
      continue;
    splitSum(rewriter, generic);
    ++count;
  }
  return count;
}

linalg::GenericOp dropUnusedInputs(RewriterBase &rewriter,
                                   linalg::GenericOp op,
                                   ArrayRef<unsigned> dropped) {
  if (dropped.empty())
    return op;
  SmallVector<Value> inputs;
  SmallVector<AffineMap> maps;
  for (auto [i, operand] : llvm::enumerate(op.getDpsInputOperands()))
    if (!llvm::is_contained(dropped, i)) {
      inputs.push_back(operand->get());
      maps.push_back(op.getMatchingIndexingMap(operand));
    }
  for (OpOperand &init : op.getDpsInitsMutable())
    maps.push_back(op.getMatchingIndexingMap(&init));
  rewriter.setInsertionPoint(op);
  auto copy = linalg::GenericOp::create(
      rewriter, op.getLoc(), op->getResultTypes(), inputs, op.getDpsInits(),
      maps, op.getIteratorTypesArray());
  copy->setDiscardableAttrs(op->getDiscardableAttrDictionary());
  Block &body = op.getRegion().front();
  rewriter.inlineRegionBefore(op.getRegion(), copy.getRegion(),
                              copy.getRegion().end());
  for (unsigned index : llvm::reverse(dropped))
    body.eraseArgument(index);
  rewriter.replaceOp(op, copy->getResults());
  return copy;
}

unsigned readScalarInputsOutside(RewriterBase &rewriter, func::FuncOp func) {
  SmallVector<linalg::GenericOp> ops;
  func.walk([&](linalg::GenericOp op) {
    if (op.hasPureTensorSemantics() && op.getNumLoops() > 0 &&
        llvm::any_of(op.getDpsInputOperands(), [&](OpOperand *operand) {
          return isScalarInput(op, *operand);
        }))
      ops.push_back(op);
  });
  for (linalg::GenericOp op : ops)
    readScalarInputsOutside(rewriter, op);
  return ops.size();
}

} // namespace cpu
} // namespace kiln
