//===- MatmulEpilogues.cpp - Elementwise epilogues in GEMM kernels --------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// A register tile's initial value, written before its first k block
// (emitInitOnTile); the elementwise reader of a matmul's product that a
// GEMM kernel can compute on its register tiles (findMatmulEpilogue),
// emitted on one register tile after the tile's reduction loop
// (emitEpilogueOnTile). The tile of the epilogue is the epilogue's own body
// on slices: C's register tile, and each other input's slice at the tile's
// global position, then vectorized like the kernel.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/CPU/MatmulEpilogues.h"
#include "kiln/Codegen/CPU/VectorizeInPlace.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;

namespace kiln {
namespace cpu {

namespace {

/// `rank` unit strides.
SmallVector<OpFoldResult> unitStrides(OpBuilder &b, unsigned rank) {
  return SmallVector<OpFoldResult>(rank, b.getIndexAttr(1));
}

/// How a [mr, nr] tile becomes `rank` dims [1, ..., 1, mr, nr] and back.
SmallVector<ReassociationIndices> unitDimsFirst(unsigned rank) {
  ReassociationIndices rows = llvm::to_vector(llvm::seq<int64_t>(0, rank - 1));
  return {rows, {static_cast<int64_t>(rank) - 1}};
}

/// C's register tile in `c`, shaped `shape` = [1, ..., 1, mr, nr] (the
/// iteration space of the product, or of its epilogue, at the tile's
/// size). The slice drops every unit dim and they come back by
/// expand_shape: [1, mr, 1, nr] -> [1, mr, nr] would leave the dropped unit
/// dim ambiguous, and canonicalization once picked the other one.
Value extractTile(OpBuilder &b, Location loc, Value c,
                  const RegisterTile &tile, ArrayRef<int64_t> shape) {
  auto cType = cast<RankedTensorType>(c.getType());
  Type elt = cType.getElementType();
  int64_t mr = shape[shape.size() - 2], nr = shape.back();
  Value slice = tensor::ExtractSliceOp::create(
      b, loc, RankedTensorType::get({mr, nr}, elt), c, tile.localOffsets,
      getAsIndexOpFoldResult(b.getContext(), tile.localSizes),
      unitStrides(b, cType.getRank()));
  if (shape.size() == 2)
    return slice;
  return tensor::ExpandShapeOp::create(b, loc,
                                       RankedTensorType::get(shape, elt),
                                       slice, unitDimsFirst(shape.size()));
}

/// `c` with `tileValue` (as extractTile gives it) written at the tile's
/// place.
Value insertTile(OpBuilder &b, Location loc, Value tileValue, Value c,
                 const RegisterTile &tile) {
  unsigned rank = cast<RankedTensorType>(tileValue.getType()).getRank();
  if (rank > 2)
    tileValue = tensor::CollapseShapeOp::create(b, loc, tileValue,
                                                unitDimsFirst(rank));
  return tensor::InsertSliceOp::create(
      b, loc, tileValue, c, tile.localOffsets,
      getAsIndexOpFoldResult(b.getContext(), tile.localSizes),
      unitStrides(b, cast<RankedTensorType>(c.getType()).getRank()));
}

/// Vectorizes the static-shaped `op` in place; returns its results (the
/// op's own when it does not vectorize: it stays a loop nest on the tile).
SmallVector<Value> vectorized(RewriterBase &rewriter, linalg::LinalgOp op) {
  FailureOr<SmallVector<Value>> results = vectorizeInPlace(rewriter, op);
  return succeeded(results) ? *results : SmallVector<Value>(op->getResults());
}

/// The epilogue `op`'s body on tiles: `inputs` (slices of its inputs at the
/// tile), written into `outs`; vectorized. Returns the written tiles.
SmallVector<Value> emitBodyOnTiles(RewriterBase &rewriter, linalg::GenericOp op,
                                   ValueRange inputs, ValueRange outs) {
  auto tileOp = linalg::GenericOp::create(
      rewriter, op.getLoc(), outs.getTypes(), inputs, outs,
      op.getIndexingMapsArray(), op.getIteratorTypesArray());
  rewriter.cloneRegionBefore(op.getRegion(), tileOp.getRegion(),
                             tileOp.getRegion().end());
  return vectorized(rewriter, tileOp);
}

/// Each of `tiles` (static tensors) read whole as one vector.
SmallVector<Value> readTiles(OpBuilder &b, Location loc, ValueRange tiles) {
  SmallVector<Value> vectors;
  for (Value t : tiles) {
    auto type = cast<RankedTensorType>(t.getType());
    SmallVector<Value> zeros(type.getRank(),
                             arith::ConstantIndexOp::create(b, loc, 0));
    SmallVector<bool> inBounds(type.getRank(), true);
    vectors.push_back(vector::TransferReadOp::create(
        b, loc, VectorType::get(type.getShape(), type.getElementType()), t,
        zeros, std::nullopt, inBounds));
  }
  return vectors;
}

/// `tile` with `vector` (of its shape) written over it.
Value writeTile(OpBuilder &b, Location loc, Value vector, Value tile) {
  unsigned rank = cast<RankedTensorType>(tile.getType()).getRank();
  SmallVector<Value> zeros(rank, arith::ConstantIndexOp::create(b, loc, 0));
  SmallVector<bool> inBounds(rank, true);
  return vector::TransferWriteOp::create(b, loc, vector, tile, zeros, inBounds)
      ->getResult(0);
}

} // namespace

LogicalResult emitInitOnTile(RewriterBase &rewriter, Value value,
                             const RegisterTile &tile) {
  // The loop around the reduction carries C; the tile's reads of it (before
  // or in the reduction loop) come after the write.
  auto around = dyn_cast<scf::ForOp>(tile.kLoop->getParentOp());
  // C is the first carried tensor (the epilogue's other results follow).
  if (!around || around.getNumRegionIterArgs() < 1)
    return failure();
  Value c = around.getRegionIterArgs().front();
  Location loc = tile.kLoop->getLoc();
  Block *body = around.getBody();
  rewriter.setInsertionPointToStart(body);
  scf::IfOp firstBlock;
  if (tile.isFirstBlock) {
    firstBlock = scf::IfOp::create(rewriter, loc, TypeRange{c.getType()},
                                   tile.isFirstBlock, /*addThenBlock=*/true,
                                   /*addElseBlock=*/true);
    rewriter.setInsertionPointToStart(firstBlock.elseBlock());
    scf::YieldOp::create(rewriter, loc, c);
    rewriter.setInsertionPointToStart(firstBlock.thenBlock());
  }
  Value cTile = extractTile(rewriter, loc, c, tile, tile.sizes);
  auto fill = linalg::FillOp::create(rewriter, loc, ValueRange{value},
                                     ValueRange{cTile});
  Value filled = vectorized(rewriter, fill).front();
  rewriter.setInsertionPointAfterValue(filled);
  Value initialized = insertTile(rewriter, loc, filled, c, tile);
  if (firstBlock) {
    scf::YieldOp::create(rewriter, loc, initialized);
    initialized = firstBlock->getResult(0);
  }
  Operation *write = initialized.getDefiningOp();
  rewriter.replaceUsesWithIf(c, initialized, [&](OpOperand &use) {
    Operation *user = body->findAncestorOpInBlock(*use.getOwner());
    return user && write->isBeforeInBlock(user);
  });
  return success();
}

namespace {

/// The tensor whose buffer `value` is a view of (through reshapes and
/// slices), or `value` itself.
Value viewedTensor(Value value) {
  while (Operation *def = value.getDefiningOp()) {
    if (auto c = dyn_cast<tensor::CollapseShapeOp>(def))
      value = c.getSrc();
    else if (auto e = dyn_cast<tensor::ExpandShapeOp>(def))
      value = e.getSrc();
    else if (auto x = dyn_cast<tensor::ExtractSliceOp>(def))
      value = x.getSource();
    else if (auto c = dyn_cast<tensor::CastOp>(def))
      value = c.getSource();
    else
      break;
  }
  return value;
}

/// Whether `op`, or an op inside it, may write into the buffer of one of
/// `tensors` in place: as a destination, a loop's carried value, or any
/// operand of an op not known to only read or view it.
bool mayWriteInto(Operation *op, const llvm::SmallPtrSetImpl<Value> &tensors) {
  WalkResult walk = op->walk([&](Operation *inner) {
    if (isa<tensor::ExtractSliceOp, tensor::ExtractOp, tensor::CollapseShapeOp,
            tensor::ExpandShapeOp, tensor::CastOp, tensor::DimOp>(inner))
      return WalkResult::advance();
    ValueRange written = inner->getOperands();
    if (auto dps = dyn_cast<DestinationStyleOpInterface>(inner))
      written = dps.getDpsInits();
    for (Value v : written)
      if (tensors.contains(viewedTensor(v)))
        return WalkResult::interrupt();
    return WalkResult::advance();
  });
  return walk.wasInterrupted();
}

/// Whether values of `type` can be a vector's lanes in memory (i1 vectors
/// are bit-packed, their memory a byte each; kiln-cpu-byte-masks makes
/// masks bytes first).
bool isByteAddressable(Type type) {
  Type elt = getElementTypeOrSelf(type);
  return elt.isIntOrFloat() && elt.getIntOrFloatBitWidth() >= 8;
}

} // namespace

/// Inputs of a generic read through collapses of their unit dims, and the
/// generic's maps with those reads.
struct UnitDimCollapses {
  SmallVector<AffineMap> maps;
  SmallVector<std::pair<OpOperand *, SmallVector<ReassociationIndices>>> todo;
};

/// How to read each input of `op` that is broadcast through constant-0
/// results of its map ((0, d1, 0, 0) on a [1, C, 1, 1] bias) through a
/// collapse of those unit dims instead ((d1) on [C]), as upstream's dim
/// collapsing takes maps of dims only. None if a constant is not 0 or its
/// dim not a unit dim.
std::optional<UnitDimCollapses> broadcastUnitDimCollapses(linalg::GenericOp op) {
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  SmallVector<std::pair<OpOperand *, SmallVector<ReassociationIndices>>> todo;
  for (OpOperand *input : op.getDpsInputOperands()) {
    AffineMap map = maps[input->getOperandNumber()];
    auto type = dyn_cast<RankedTensorType>(input->get().getType());
    if (!type || llvm::all_of(map.getResults(), [](AffineExpr e) {
          return isa<AffineDimExpr>(e);
        }))
      continue;
    // Each dim read by an index keeps the unit dims before it (and the
    // last one those after it).
    SmallVector<ReassociationIndices> groups;
    ReassociationIndices pending;
    SmallVector<AffineExpr> kept;
    for (auto [i, expr] : llvm::enumerate(map.getResults())) {
      pending.push_back(i);
      if (auto constant = dyn_cast<AffineConstantExpr>(expr)) {
        if (constant.getValue() != 0 || type.getDimSize(i) != 1)
          return std::nullopt;
        continue;
      }
      groups.push_back(pending);
      pending.clear();
      kept.push_back(expr);
    }
    if (!groups.empty())
      llvm::append_range(groups.back(), pending);
    maps[input->getOperandNumber()] =
        AffineMap::get(map.getNumDims(), 0, kept, op.getContext());
    todo.push_back({input, groups});
  }
  return UnitDimCollapses{maps, todo};
}

/// Applies `collapses` to `op`.
void readThroughCollapses(RewriterBase &rewriter, linalg::GenericOp op,
                          const UnitDimCollapses &collapses) {
  rewriter.setInsertionPoint(op);
  rewriter.modifyOpInPlace(op, [&] {
    for (auto &[input, groups] : collapses.todo)
      input->set(tensor::CollapseShapeOp::create(rewriter, op.getLoc(),
                                                 input->get(), groups));
    op.setIndexingMapsAttr(rewriter.getAffineMapArrayAttr(collapses.maps));
  });
}

void joinSplitColumns(RewriterBase &rewriter, linalg::LinalgOp matmul) {
  if (matmul->getNumResults() != 1 || !matmul->getResult(0).hasOneUse())
    return;
  Value product = matmul->getResult(0);
  auto expand = dyn_cast<tensor::ExpandShapeOp>(*product.getUsers().begin());
  if (!expand)
    return;
  SmallVector<ReassociationIndices> groups = expand.getReassociationIndices();
  Value expanded = expand.getResult();
  if (groups.back().size() == 1 || expanded.use_empty())
    return;
  auto reader = dyn_cast<linalg::GenericOp>(*expanded.getUsers().begin());
  if (!reader || !reader.hasPureTensorSemantics() ||
      reader.getNumLoops() != reader.getNumParallelLoops())
    return;
  for (OpOperand &use : expanded.getUses())
    if (use.getOwner() != reader.getOperation() ||
        !reader.getMatchingIndexingMap(&use).isIdentity())
      return;
  ReassociationIndices columns = groups.back();
  std::optional<UnitDimCollapses> unitDims = broadcastUnitDimCollapses(reader);
  if (!unitDims ||
      !linalg::areDimSequencesPreserved(unitDims->maps, {columns}))
    return;
  readThroughCollapses(rewriter, reader, *unitDims);
  rewriter.setInsertionPoint(reader);
  FailureOr<linalg::CollapseResult> collapsed =
      linalg::collapseOpIterationDims(reader, {columns}, rewriter);
  if (failed(collapsed))
    return;
  rewriter.replaceOp(reader, collapsed->results);

  // collapse_shape(expand_shape(product)) becomes the product split only
  // into its rows (or itself).
  groups.back().resize(1);
  auto expandedType = cast<RankedTensorType>(expanded.getType());
  SmallVector<int64_t> rowsOnlyShape(
      expandedType.getShape().take_front(columns.front()));
  rowsOnlyShape.push_back(
      cast<RankedTensorType>(product.getType()).getShape().back());
  Value rowsOnly = product;
  rewriter.setInsertionPointAfter(expand);
  if (rowsOnlyShape.size() != groups.size() ||
      llvm::any_of(groups, [](const ReassociationIndices &group) {
        return group.size() != 1;
      }))
    rowsOnly = tensor::ExpandShapeOp::create(
        rewriter, expand.getLoc(),
        RankedTensorType::get(rowsOnlyShape, expandedType.getElementType()),
        product, groups);
  for (OpOperand &operand : collapsed->collapsedOp->getOpOperands()) {
    auto collapse = operand.get().getDefiningOp<tensor::CollapseShapeOp>();
    if (!collapse || collapse.getSrc() != expanded)
      continue;
    rewriter.modifyOpInPlace(collapsed->collapsedOp,
                             [&] { operand.set(rowsOnly); });
    if (collapse->use_empty())
      rewriter.eraseOp(collapse);
  }
  if (expand->use_empty())
    rewriter.eraseOp(expand);
}

std::optional<MatmulEpilogue> findMatmulEpilogue(linalg::LinalgOp matmul,
                                                 DominanceInfo &dom) {
  if (matmul->getNumResults() != 1)
    return std::nullopt;
  // The product's one reader, which may also write its result over the
  // product (kiln-assign-destinations gives an op a dying input as its
  // destination).
  Value product = matmul->getResult(0);
  // Read through a reshape that splits batch or row dims ([B*S, D] ->
  // [B, S, D]) but not the columns, or directly.
  tensor::ExpandShapeOp expand;
  if (product.hasOneUse())
    expand = dyn_cast<tensor::ExpandShapeOp>(*product.getUsers().begin());
  if (expand) {
    if (expand.getReassociationIndices().back().size() != 1)
      return std::nullopt;
    product = expand.getResult();
  }
  OpOperand *read = nullptr;
  for (OpOperand &use : product.getUses()) {
    auto reader = dyn_cast<linalg::GenericOp>(use.getOwner());
    if (!reader)
      return std::nullopt;
    if (reader.isDpsInput(&use)) {
      if (read)
        return std::nullopt;
      read = &use;
    }
  }
  if (!read || llvm::any_of(product.getUsers(), [&](Operation *user) {
        return user != read->getOwner();
      }))
    return std::nullopt;
  OpOperand &use = *read;
  auto op = cast<linalg::GenericOp>(use.getOwner());
  if (!op.hasPureTensorSemantics() || op.hasDynamicShape())
    return std::nullopt;
  if (!llvm::all_of(op.getIteratorTypesArray(), linalg::isParallelIterator))
    return std::nullopt;
  if (!op.getMatchingIndexingMap(&use).isIdentity())
    return std::nullopt;
  auto productType = cast<RankedTensorType>(product.getType());
  unsigned mainResult = 0;
  for (OpResult result : op->getResults()) {
    // Every result is written on the tile, in the product's layout.
    auto type = cast<RankedTensorType>(result.getType());
    if (type.getShape() != productType.getShape() || !isByteAddressable(type) ||
        !op.getIndexingMapMatchingResult(result).isIdentity())
      return std::nullopt;
    // The tile is written in place of C: the old output is not there to
    // read.
    if (!op.getRegionOutputArgs()[result.getResultNumber()].use_empty())
      return std::nullopt;
    if (op.getDpsInitOperand(result.getResultNumber())->get() == product)
      mainResult = result.getResultNumber();
  }
  if (op->getResult(mainResult).getType() != productType)
    return std::nullopt;
  // Indices would be the tile's, not the product's.
  if (!op.getBody()->getOps<linalg::IndexOp>().empty())
    return std::nullopt;
  // The kernel computes the epilogue where the matmul is: inputs defined
  // after it, in its block, mean moving the matmul after them.
  Operation *lastInputDef = nullptr;
  for (OpOperand *input : op.getDpsInputOperands()) {
    if (input == &use)
      continue;
    if (!isByteAddressable(input->get().getType()))
      return std::nullopt;
    if (!op.getMatchingIndexingMap(input).isProjectedPermutation(
            /*allowZeroInResults=*/true))
      return std::nullopt;
    if (dom.properlyDominates(input->get(), matmul))
      continue;
    Operation *def = input->get().getDefiningOp();
    if (!def || def->getBlock() != matmul->getBlock() ||
        op->getBlock() != matmul->getBlock())
      return std::nullopt;
    if (!lastInputDef || lastInputDef->isBeforeInBlock(def))
      lastInputDef = def;
  }
  if (lastInputDef) {
    // Moving the matmul must not make it read a tensor that an op in
    // between now overwrites (kiln-assign-destinations may have given the
    // matmul's dying operand to such an op as its destination).
    llvm::SmallPtrSet<Value, 4> read;
    for (Value operand : matmul->getOperands())
      read.insert(viewedTensor(operand));
    for (Operation *between = matmul->getNextNode();
         between != lastInputDef->getNextNode();
         between = between->getNextNode())
      if (mayWriteInto(between, read))
        return std::nullopt;
  }
  return MatmulEpilogue{op, use.getOperandNumber(), mainResult, expand,
                        lastInputDef};
}

void placeMatmulForEpilogue(linalg::LinalgOp matmul,
                            const MatmulEpilogue &epilogue) {
  if (!epilogue.lastInputDef)
    return;
  matmul->moveAfter(epilogue.lastInputDef);
  if (epilogue.expand)
    epilogue.expand->moveAfter(matmul);
}

LogicalResult emitEpilogueOnTile(RewriterBase &rewriter,
                                 const MatmulEpilogue &epilogue,
                                 const RegisterTile &tile) {
  // The loop around the reduction yields C with the tile written.
  auto yield = dyn_cast<scf::YieldOp>(tile.kLoop->getBlock()->getTerminator());
  linalg::GenericOp op = epilogue.op;
  if (!yield || yield->getNumOperands() != op->getNumResults())
    return failure();
  Location loc = op.getLoc();
  // How the product's dims map to the epilogue's, and the tile's sizes
  // there; a tile must not straddle a reshaped row dim's inner size.
  SmallVector<ReassociationIndices> groups;
  SmallVector<int64_t> expandedShape, sizes;
  if (tensor::ExpandShapeOp expand = epilogue.expand) {
    groups = expand.getReassociationIndices();
    expandedShape = llvm::to_vector(expand.getResultType().getShape());
  } else {
    for (int64_t d = 0, e = tile.sizes.size(); d < e; ++d)
      groups.push_back({d});
    expandedShape = tile.sizes; // Only the inner sizes are read.
  }
  for (auto [p, group] : llvm::enumerate(groups)) {
    if (expandedShape[group.back()] % tile.sizes[p] != 0)
      return failure();
    sizes.append(group.size() - 1, 1);
    sizes.push_back(tile.sizes[p]);
  }
  auto index = [&](int64_t v) -> OpFoldResult {
    return rewriter.getIndexAttr(v);
  };

  rewriter.setInsertionPoint(yield);
  // The tile in the epilogue's iteration space: a reshaped row (or batch)
  // dim's offset delinearized over its parts, the tile along the innermost.
  SmallVector<Value> offsets;
  for (auto [p, group] : llvm::enumerate(groups)) {
    Value rest = tile.offsets[p];
    SmallVector<Value> parts(group.size());
    for (size_t i = group.size(); i-- > 1;) {
      Value size = arith::ConstantIndexOp::create(
          rewriter, loc, expandedShape[group[i]]);
      parts[i] = arith::RemUIOp::create(rewriter, loc, rest, size);
      rest = arith::DivUIOp::create(rewriter, loc, rest, size);
    }
    parts[0] = rest;
    offsets.append(parts);
  }
  // The tiles the results are written on: C's for the main result, the
  // carried tensors' for the others.
  unsigned numResults = op->getNumResults();
  SmallVector<Value> carried(numResults), outTiles(numResults);
  for (unsigned r = 0, extra = 1; r < numResults; ++r)
    carried[r] = yield->getOperand(r == epilogue.mainResult ? 0 : extra++);
  for (unsigned r = 0; r < numResults; ++r)
    outTiles[r] = extractTile(rewriter, loc, carried[r], tile, sizes);
  Value cTile = outTiles[epilogue.mainResult];
  SmallVector<Value> inputs;
  for (OpOperand *input : op.getDpsInputOperands()) {
    if (input->getOperandNumber() == epilogue.productInput) {
      inputs.push_back(cTile);
      continue;
    }
    AffineMap map = op.getMatchingIndexingMap(input);
    SmallVector<OpFoldResult> sliceOffsets, sliceSizes;
    for (AffineExpr e : map.getResults()) {
      if (auto d = dyn_cast<AffineDimExpr>(e)) {
        sliceOffsets.push_back(offsets[d.getPosition()]);
        sliceSizes.push_back(index(sizes[d.getPosition()]));
      } else { // A broadcast unit dim.
        sliceOffsets.push_back(index(0));
        sliceSizes.push_back(index(1));
      }
    }
    inputs.push_back(tensor::ExtractSliceOp::create(
        rewriter, loc, input->get(), sliceOffsets, sliceSizes,
        unitStrides(rewriter, map.getNumResults())));
  }
  SmallVector<Value> results;
  if (!tile.isLastBlock) {
    results = emitBodyOnTiles(rewriter, op, inputs, outTiles);
  } else {
    // Before the last k block C's tile keeps its partial sums, and the
    // epilogue (an Adam step's square root and divisions, loads of its
    // other inputs) is not computed at all: a branch on the tile's vectors
    // in registers. (A branch that yields tensors made one-shot
    // bufferization copy C.) The other results keep what their tiles held;
    // the last block overwrites it.
    SmallVector<Type> vectorTypes;
    for (Value out : outTiles) {
      auto type = cast<RankedTensorType>(out.getType());
      vectorTypes.push_back(
          VectorType::get(type.getShape(), type.getElementType()));
    }
    auto lastBlock =
        scf::IfOp::create(rewriter, loc, vectorTypes, tile.isLastBlock,
                          /*addThenBlock=*/true,
                          /*addElseBlock=*/true);
    rewriter.setInsertionPointToStart(lastBlock.thenBlock());
    SmallVector<Value> fresh;
    for (Value out : outTiles)
      fresh.push_back(tensor::EmptyOp::create(
          rewriter, loc, cast<RankedTensorType>(out.getType()).getShape(),
          getElementTypeOrSelf(out.getType())));
    SmallVector<Value> computed = emitBodyOnTiles(rewriter, op, inputs, fresh);
    rewriter.setInsertionPointToEnd(lastBlock.thenBlock());
    scf::YieldOp::create(rewriter, loc, readTiles(rewriter, loc, computed));
    rewriter.setInsertionPointToStart(lastBlock.elseBlock());
    scf::YieldOp::create(rewriter, loc, readTiles(rewriter, loc, outTiles));
    rewriter.setInsertionPointAfter(lastBlock);
    for (auto [vector, out] : llvm::zip(lastBlock.getResults(), outTiles))
      results.push_back(writeTile(rewriter, loc, vector, out));
  }
  rewriter.setInsertionPointAfterValue(results.back());
  SmallVector<Value> updated;
  for (unsigned r = 0; r < numResults; ++r)
    updated.push_back(insertTile(rewriter, loc, results[r], carried[r], tile));
  rewriter.modifyOpInPlace(yield, [&] {
    for (unsigned r = 0, extra = 1; r < numResults; ++r)
      yield->setOperand(r == epilogue.mainResult ? 0 : extra++, updated[r]);
  });
  return success();
}

} // namespace cpu
} // namespace kiln
