//===- SparseWeights.cpp - Matmuls on mostly-zero weights, sparse ----------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The kiln-cpu-sparse-weights pass (dialects/Conversion/Passes.td). A
//   %y = linalg.matmul {kiln.sparse_weight} ins(%x, %w : tensor<MxK>,
//                                                tensor<KxN>) outs(%init)
// whose weight %w is mostly zeros (but arrives dense, every step) is
// rewritten, on tensors, into a conversion of %w to CSC (its columns
// compressed: levels n, k) and a linalg.generic on the sparse operand,
// which MLIR's sparse compiler turns into loops over the nonzeros
// (kiln-cpu-bufferize, in the CPU pipeline, runs
// sparsification-and-bufferization on such modules). Two forms:
//   rows     (few rows of x), loops (m, n, k in column n):
//              y[m, n] += x[m, k] * W[k, n]       (a gather from x's row)
//   columns  (many rows), x and y transposed around the product, loops
//            (n, k in column n, m):
//              yT[n, m] += W[k, n] * xT[k, m]
//            whose innermost loop runs over the rows of x, contiguous in
//            xT and yT: plain vector loads and FMAs, no gathers; the
//            outer loop over n is parallel.
// The conversion is built here (conversion=vector): a count of each
// column's nonzeros with vector compares, a prefix sum into the positions,
// then a scan of the compare masks' set bits storing the coordinates and
// values at per-column cursors, wrapped by sparse_tensor.assemble; both
// passes split the columns among threads. It reads W twice and writes
// only the nonzeros, several times faster than sparse_tensor.convert to
// CSC (which sorts) and than a transpose plus a conversion to CSR;
// conversion=convert emits sparse_tensor.convert instead (the reference).
// The columns form runs per tile of rows of x (columns-tile-rows, 256),
// so that the tile of xT stays in L2 and the transposes stay short (a
// 1024 x 1024 transpose is several times slower per element than four
// 256 x 1024 ones). The transposes stay dense linalg ops for
// kiln-cpu-vectorize;
// an accumulator that is a fill (the usual zeros) is filled transposed
// instead.
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/Kiln/Annotations.h"
#include "kiln/Conversion/Passes.h"
#include "kiln/Support/ThreadCount.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SparseTensor/IR/SparseTensor.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"

namespace kiln {
#define GEN_PASS_DEF_KILNCPUSPARSEWEIGHTS
#include "kiln/Dialect/Conversion/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using kiln::kSparseWeightAttr;

namespace {


/// `dense` [K, N] with a CSC encoding: levels (n dense, k compressed),
/// `bits`-wide positions and coordinates (0: index).
RankedTensorType cscType(RankedTensorType dense, int64_t bits) {
  std::string text =
      "#sparse_tensor.encoding<{ map = (i, j) -> (j : dense, i : compressed)";
  if (bits > 0)
    text += ", posWidth = " + std::to_string(bits) +
            ", crdWidth = " + std::to_string(bits);
  text += " }>";
  Attribute enc = parseAttribute(text, dense.getContext());
  return RankedTensorType::get(dense.getShape(), dense.getElementType(), enc);
}

/// Whether `type` is already a weight's CSC form: levels (n dense, k
/// compressed, unique and ordered), any position and coordinate widths.
bool isCSC(RankedTensorType type) {
  auto enc = sparse_tensor::getSparseTensorEncoding(type);
  if (!enc || type.getRank() != 2)
    return false;
  AffineMap dimToLvl = enc.getDimToLvl();
  ArrayRef<sparse_tensor::LevelType> levels = enc.getLvlTypes();
  return dimToLvl &&
         dimToLvl == AffineMap::getPermutationMap(ArrayRef<unsigned>{1, 0},
                                                  type.getContext()) &&
         levels.size() == 2 && sparse_tensor::isDenseLT(levels[0]) &&
         sparse_tensor::isCompressedLT(levels[1]) &&
         sparse_tensor::isUniqueLT(levels[1]) &&
         sparse_tensor::isOrderedLT(levels[1]);
}

/// The widest vector (at most 16 lanes, a power of two) whose lanes divide
/// `n`.
int64_t lanesFor(int64_t n) {
  int64_t lanes = 16;
  while (n % lanes != 0)
    lanes /= 2;
  return lanes;
}

/// Runs `body(builder, n0, n1)` over the column blocks [n0, n1) of `n`
/// columns: one block, or `threads` blocks of a multiple of `lanes` columns
/// (fewer when they do not divide evenly), each an iteration of an
/// `scf.forall` (OpenMP, later in the pipeline).
void forColumnBlocks(
    OpBuilder &b, Location loc, int64_t n, int64_t lanes, int64_t threads,
    llvm::function_ref<void(OpBuilder &, Value, Value)> body) {
  int64_t vectors = n / lanes, blocks = std::max<int64_t>(threads, 1);
  while (vectors % blocks != 0)
    --blocks;
  if (blocks == 1) {
    body(b, arith::ConstantIndexOp::create(b, loc, 0),
         arith::ConstantIndexOp::create(b, loc, n));
    return;
  }
  int64_t width = n / blocks;
  scf::ForallOp::create(
      b, loc, ArrayRef<OpFoldResult>{b.getIndexAttr(blocks)}, ValueRange{},
      std::nullopt, [&](OpBuilder &bt, Location, ValueRange ivs) {
        Value cWidth = arith::ConstantIndexOp::create(bt, loc, width);
        Value n0 = arith::MulIOp::create(bt, loc, ivs[0], cWidth);
        Value n1 = arith::AddIOp::create(bt, loc, n0, cWidth);
        body(bt, n0, n1);
        scf::InParallelOp::create(bt, loc); // Nothing shared to write.
      });
}

/// Builds the CSC form (`type`: cscType with 32-bit positions and
/// coordinates) of the dense f32 `w` [K, N], its columns split among
/// `threads`:
///   cur = 0; for k, n (vectors along n): cur[n] += (w[k, n] != 0)
///   pos = 0, prefix sums of cur; cur = pos[0:N]; crd, val = alloc(pos[N])
///   for k, n (64 columns at a time), for each nonzero column n + j (bit
///   scan of the compares' masks):
///     crd[cur[n + j]] = k, val[cur[n + j]] = w[k, n + j]; cur[n + j]++
///   sparse_tensor.assemble (pos, crd), val
/// Rows are visited in order, so each column's coordinates are sorted, as
/// the compressed level requires. NaNs count as nonzeros (kept).
Value buildCSC(OpBuilder &b, Location loc, Value w, RankedTensorType type,
               int64_t threads) {
  auto wType = cast<RankedTensorType>(w.getType());
  int64_t K = wType.getDimSize(0), N = wType.getDimSize(1);
  int64_t lanes = lanesFor(N);
  Type f32 = b.getF32Type(), i32 = b.getI32Type();
  auto vF = VectorType::get({lanes}, f32);
  auto vI = VectorType::get({lanes}, i32);
  auto index = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  Value c0 = index(0), c1 = index(1), cK = index(K);
  Value zeroF = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0));
  Value zeroI = arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(0));
  Value oneI = arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(1));
  Value zeroVF = vector::BroadcastOp::create(b, loc, vF, zeroF);
  // w[k, n : n + lanes] and its nonzero lanes.
  auto nonzeros = [&](OpBuilder &bb, Value k, Value n) {
    Value v = vector::TransferReadOp::create(
        bb, loc, vF, w, ValueRange{k, n}, zeroF, ArrayRef<bool>{true});
    Value mask = arith::CmpFOp::create(bb, loc, arith::CmpFPredicate::UNE, v,
                                       zeroVF);
    return std::make_pair(v, mask);
  };
  // for k in [0, K), n in [n0, n1) step `step`.
  auto scan = [&](OpBuilder &bb, Value n0, Value n1, int64_t step,
                  llvm::function_ref<void(OpBuilder &, Value, Value)> body) {
    scf::ForOp::create(
        bb, loc, c0, cK, c1, ValueRange{},
        [&](OpBuilder &bk, Location, Value k, ValueRange) {
          scf::ForOp::create(bk, loc, n0, n1, index(step), ValueRange{},
                             [&](OpBuilder &bn, Location, Value n, ValueRange) {
                               body(bn, k, n);
                               scf::YieldOp::create(bn, loc);
                             });
          scf::YieldOp::create(bk, loc);
        });
  };

  // Counts per column, into `cur` (aligned: pos[1 : N + 1], one element
  // off, would split every vector access across two cache lines). With
  // 8 or 16 lanes each compare's mask is also kept, one bit per element of
  // w (1/32 of its bytes), so that the fill below finds the nonzeros
  // without reading w again.
  Value cur = memref::AllocOp::create(b, loc, MemRefType::get({N}, i32));
  linalg::FillOp::create(b, loc, ValueRange{zeroI}, ValueRange{cur});
  auto maskType = VectorType::get({1}, b.getIntegerType(lanes));
  Value bitmap;
  if (lanes >= 8)
    bitmap = memref::AllocOp::create(
        b, loc, MemRefType::get({K, N / lanes}, b.getIntegerType(lanes)));
  Value cLanes = index(lanes);
  forColumnBlocks(b, loc, N, lanes, threads,
                  [&](OpBuilder &bt, Value n0, Value n1) {
    scan(bt, n0, n1, lanes, [&](OpBuilder &bn, Value k, Value n) {
      auto [v, mask] = nonzeros(bn, k, n);
      Value ones = arith::ExtUIOp::create(bn, loc, vI, mask);
      Value count = vector::LoadOp::create(bn, loc, vI, cur, n);
      Value sum = arith::AddIOp::create(bn, loc, count, ones);
      vector::StoreOp::create(bn, loc, sum, cur, n);
      if (!bitmap)
        return;
      Value bits = vector::BitCastOp::create(bn, loc, maskType, mask);
      bits = vector::ExtractOp::create(bn, loc, bits, ArrayRef<int64_t>{0});
      Value word = arith::DivUIOp::create(bn, loc, n, cLanes);
      memref::StoreOp::create(bn, loc, bits, bitmap, ValueRange{k, word});
    });
  });
  // Positions: the prefix sum of the counts, the last one the number of
  // nonzeros; `cur` becomes each column's first free slot, its start.
  Value pos = memref::AllocOp::create(b, loc, MemRefType::get({N + 1}, i32));
  memref::StoreOp::create(b, loc, zeroI, pos, c0);
  auto prefix = scf::ForOp::create(
      b, loc, c0, index(N), c1, ValueRange{zeroI},
      [&](OpBuilder &bn, Location, Value n, ValueRange args) {
        Value count = memref::LoadOp::create(bn, loc, cur, n);
        memref::StoreOp::create(bn, loc, args[0], cur, n);
        Value sum = arith::AddIOp::create(bn, loc, count, args[0]);
        Value next = arith::AddIOp::create(bn, loc, n, c1);
        memref::StoreOp::create(bn, loc, sum, pos, next);
        scf::YieldOp::create(bn, loc, sum);
      });
  Value nnz = arith::IndexCastOp::create(b, loc, b.getIndexType(),
                                         prefix.getResult(0));
  Value crd = memref::AllocOp::create(
      b, loc, MemRefType::get({ShapedType::kDynamic}, i32), ValueRange{nnz});
  Value val = memref::AllocOp::create(
      b, loc, MemRefType::get({ShapedType::kDynamic}, f32), ValueRange{nnz});
  // The masks of up to 4 vectors (64 columns) as one integer, one bit per
  // column; each set bit is stored with scalar stores (at 90%+ zeros, about
  // three per 64 columns). The wider the chunk, the fewer exits of the bit
  // loop, each a likely branch miss.
  int64_t group = 4;
  while (N % (lanes * group) != 0)
    group /= 2;
  Type i64 = b.getI64Type();
  Value oneI64 = arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(1));
  // The nonzero columns of w[k, n : n + lanes * group], one bit each: the
  // count's masks, or, without a bitmap (fewer than 8 lanes: N is not a
  // multiple of 8, so a chunk is one vector), a compare again.
  auto chunkBits = [&](OpBuilder &bn, Value k, Value n) -> Value {
    Value bits;
    if (bitmap) {
      Value word = arith::DivUIOp::create(bn, loc, n, cLanes);
      Value parts = vector::LoadOp::create(
          bn, loc, VectorType::get({group}, bn.getIntegerType(lanes)), bitmap,
          ValueRange{k, word});
      bits = vector::BitCastOp::create(
          bn, loc, VectorType::get({1}, bn.getIntegerType(lanes * group)),
          parts);
    } else {
      assert(group == 1 && "a chunk without a bitmap is one vector");
      bits = vector::BitCastOp::create(bn, loc, maskType,
                                       nonzeros(bn, k, n).second);
    }
    bits = vector::ExtractOp::create(bn, loc, bits, ArrayRef<int64_t>{0});
    return lanes * group < 64 ? arith::ExtUIOp::create(bn, loc, i64, bits)
                              : bits;
  };
  // crd[cur[n + j]] = k, val[cur[n + j]] = w[k, n + j], cur[n + j]++ for
  // the lowest set bit j of `rest`; returns `rest` without it.
  auto storeLowestBit = [&](OpBuilder &bj, Value k32, Value k, Value n,
                            Value rest) -> Value {
    Value lane = math::CountTrailingZerosOp::create(bj, loc, rest);
    Value laneIdx =
        arith::IndexCastOp::create(bj, loc, bj.getIndexType(), lane);
    Value col = arith::AddIOp::create(bj, loc, n, laneIdx);
    Value at32 = memref::LoadOp::create(bj, loc, cur, col);
    Value at = arith::IndexCastOp::create(bj, loc, bj.getIndexType(), at32);
    memref::StoreOp::create(bj, loc, k32, crd, at);
    Value x = tensor::ExtractOp::create(bj, loc, w, ValueRange{k, col});
    memref::StoreOp::create(bj, loc, x, val, at);
    Value next = arith::AddIOp::create(bj, loc, at32, oneI);
    memref::StoreOp::create(bj, loc, next, cur, col);
    Value less = arith::SubIOp::create(bj, loc, rest, oneI64);
    return arith::AndIOp::create(bj, loc, rest, less);
  };
  forColumnBlocks(b, loc, N, lanes * group, threads,
                  [&](OpBuilder &bt, Value n0, Value n1) {
    scan(bt, n0, n1, lanes * group, [&](OpBuilder &bn, Value k, Value n) {
      Value bits = chunkBits(bn, k, n);
      Value count = arith::IndexCastOp::create(
          bn, loc, bn.getIndexType(), math::CtPopOp::create(bn, loc, bits));
      Value k32 = arith::IndexCastOp::create(bn, loc, i32, k);
      scf::ForOp::create(
          bn, loc, c0, count, c1, ValueRange{bits},
          [&](OpBuilder &bj, Location, Value, ValueRange args) {
            scf::YieldOp::create(
                bj, loc, storeLowestBit(bj, k32, k, n, args[0]));
          });
    });
  });
  auto asTensor = [&](Value buffer) -> Value {
    auto m = cast<MemRefType>(buffer.getType());
    auto t = RankedTensorType::get(m.getShape(), m.getElementType());
    return bufferization::ToTensorOp::create(b, loc, t, buffer,
                                             /*restrict=*/true,
                                             /*writable=*/false);
  };
  return sparse_tensor::AssembleOp::create(
      b, loc, type, ValueRange{asTensor(pos), asTensor(crd)}, asTensor(val));
}

/// A dense transpose of the 2-D `value` into a fresh tensor.
Value transpose2d(RewriterBase &rewriter, Location loc, Value value) {
  auto type = cast<RankedTensorType>(value.getType());
  Value init = tensor::EmptyOp::create(
      rewriter, loc, {type.getDimSize(1), type.getDimSize(0)},
      type.getElementType());
  return linalg::TransposeOp::create(rewriter, loc, value, init,
                                     ArrayRef<int64_t>{1, 0})
      ->getResult(0);
}

/// The multiply-accumulate body `out + a * b`.
void macBody(OpBuilder &b, Location loc, ValueRange args) {
  Value p = arith::MulFOp::create(b, loc, args[0], args[1]);
  Value s = arith::AddFOp::create(b, loc, args[2], p);
  linalg::YieldOp::create(b, loc, s);
}

struct SparseWeightsPass
    : public kiln::impl::KilnCPUSparseWeightsBase<SparseWeightsPass> {
  using KilnCPUSparseWeightsBase::KilnCPUSparseWeightsBase;
  void runOnOperation() override;

  /// Whether `op` is a matmul this pass can take: the plain (untransposed)
  /// 2-D f32 form on static tensors.
  static bool matches(linalg::MatmulOp op) {
    if (!op.hasPureTensorSemantics() || op.hasDynamicShape())
      return false;
    if (op.hasUserDefinedMaps()) // A transposed or broadcast operand.
      return false;
    for (OpOperand &operand : op->getOpOperands()) {
      auto t = dyn_cast<RankedTensorType>(operand.get().getType());
      if (!t || t.getRank() != 2 || !t.getElementType().isF32())
        return false;
      // Only the weight may be sparse already, and only as CSC.
      if (t.getEncoding() && !(operand.getOperandNumber() == 1 && isCSC(t)))
        return false;
    }
    return true;
  }
};

void SparseWeightsPass::runOnOperation() {
  func::FuncOp func = getOperation();
  if (form != "auto" && form != "rows" && form != "columns") {
    func.emitError("kiln-cpu-sparse-weights: form must be auto, rows or "
                   "columns, not '")
        << form << "'";
    return signalPassFailure();
  }
  if (conversion != "vector" && conversion != "convert") {
    func.emitError("kiln-cpu-sparse-weights: conversion must be vector or "
                   "convert, not '")
        << conversion << "'";
    return signalPassFailure();
  }
  if (indexBits != 0 && indexBits != 8 && indexBits != 16 &&
      indexBits != 32 && indexBits != 64) {
    func.emitError("kiln-cpu-sparse-weights: index-bits must be 0, 8, 16, "
                   "32 or 64");
    return signalPassFailure();
  }
  // The vector conversion writes 32-bit positions and coordinates.
  bool vectorConversion = conversion == "vector" && indexBits == 32;
  int64_t threads = kiln::resolveThreadCount(numThreads);

  SmallVector<linalg::MatmulOp> marked;
  func.walk([&](linalg::MatmulOp op) {
    if (op->hasAttr(kSparseWeightAttr))
      marked.push_back(op);
  });

  IRRewriter rewriter(&getContext());
  MLIRContext *ctx = &getContext();
  for (linalg::MatmulOp op : marked) {
    if (!matches(op)) {
      // Left to the dense kernels, which skip marked matmuls.
      op.emitRemark("kiln-cpu-sparse-weights: not a static 2-D f32 "
                    "matmul with a dense or CSC weight, left as it is");
      op->removeAttr(kSparseWeightAttr);
      ++numSkipped;
      continue;
    }
    Location loc = op.getLoc();
    Value x = op.getDpsInputOperand(0)->get();
    Value w = op.getDpsInputOperand(1)->get();
    Value init = op.getDpsInitOperand(0)->get();
    int64_t M = cast<RankedTensorType>(x.getType()).getDimSize(0);
    bool columns =
        form == "columns" || (form == "auto" && M >= minColumnsRows);
    rewriter.setInsertionPoint(op);

    AffineExpr d0, d1, d2;
    bindDims(ctx, d0, d1, d2);
    auto map = [&](ArrayRef<AffineExpr> exprs) {
      return AffineMap::get(3, 0, exprs, ctx);
    };
    auto par = utils::IteratorType::parallel;
    auto red = utils::IteratorType::reduction;
    // W as CSC: as it is when stored so (a weight kept compressed),
    // otherwise built every call (a dense W changes every step).
    auto wType = cast<RankedTensorType>(w.getType());
    Value ws = w;
    if (isCSC(wType)) {
      ++numStoredCSC;
    } else {
      RankedTensorType sparseType = cscType(wType, indexBits);
      ws = vectorConversion
               ? buildCSC(rewriter, loc, w, sparseType, threads)
               : sparse_tensor::ConvertOp::create(rewriter, loc, sparseType,
                                                  w)
                     .getResult();
    }
    Value result;
    if (!columns) {
      // (m, n, k): y[m, n] += x[m, k] * W[k, n], k over column n.
      auto product = linalg::GenericOp::create(
          rewriter, loc, TypeRange{init.getType()}, ValueRange{x, ws},
          ValueRange{init},
          {map({d0, d2}), map({d2, d1}), map({d0, d1})},
          {par, par, red}, macBody);
      product->setAttr("kiln.sparse_product", rewriter.getStringAttr("rows"));
      result = product->getResult(0);
      ++numRows;
    } else {
      // (n, k, m): yT[n, m] += W[k, n] * xT[k, m], k over column n, for
      // each tile of rows of x (xT's tile stays in cache, the transposes
      // stay short).
      auto initType = cast<RankedTensorType>(init.getType());
      int64_t N = initType.getDimSize(1), K = wType.getDimSize(0);
      Type f32 = initType.getElementType();
      // A filled accumulator (the usual zeros) is filled transposed
      // instead of copied, and the result needs no destination contents.
      auto fill = init.getDefiningOp<linalg::FillOp>();
      bool filled = fill && fill.hasPureTensorSemantics();
      Value dest = filled ? tensor::EmptyOp::create(
                                rewriter, loc, initType.getShape(), f32)
                                .getResult()
                          : init;
      int64_t tile = columnsTileRows > 0 ? columnsTileRows : M;
      for (int64_t m0 = 0; m0 < M; m0 += tile) {
        int64_t rows = std::min(tile, M - m0);
        auto slice = [&](Value v, int64_t cols) -> Value {
          return tensor::ExtractSliceOp::create(
              rewriter, loc, v, ArrayRef<OpFoldResult>{
                  rewriter.getIndexAttr(m0), rewriter.getIndexAttr(0)},
              ArrayRef<OpFoldResult>{rewriter.getIndexAttr(rows),
                                     rewriter.getIndexAttr(cols)},
              ArrayRef<OpFoldResult>{rewriter.getIndexAttr(1),
                                     rewriter.getIndexAttr(1)});
        };
        Value xt = transpose2d(rewriter, loc, rows == M ? x : slice(x, K));
        Value yt0;
        if (filled) {
          Value empty = tensor::EmptyOp::create(rewriter, loc, {N, rows}, f32);
          yt0 = linalg::FillOp::create(rewriter, loc, fill.getInputs(),
                                       ValueRange{empty})
                    ->getResult(0);
        } else {
          // From `dest`, whose rows past m0 are still the accumulator's
          // (reading `init` would make bufferization copy it).
          yt0 = transpose2d(rewriter, loc, rows == M ? init : slice(dest, N));
        }
        auto product = linalg::GenericOp::create(
            rewriter, loc, TypeRange{yt0.getType()}, ValueRange{ws, xt},
            ValueRange{yt0},
            {map({d1, d0}), map({d1, d2}), map({d0, d2})},
            {par, red, par}, macBody);
        product->setAttr("kiln.sparse_product",
                         rewriter.getStringAttr("columns"));
        // Back into the accumulator's rows (read above, by the transpose
        // into yT), or a new tensor's when yT was filled directly.
        if (rows == M) {
          dest = linalg::TransposeOp::create(rewriter, loc,
                                             product->getResult(0), dest,
                                             ArrayRef<int64_t>{1, 0})
                     ->getResult(0);
          break;
        }
        Value y = linalg::TransposeOp::create(rewriter, loc,
                                              product->getResult(0),
                                              slice(dest, N),
                                              ArrayRef<int64_t>{1, 0})
                      ->getResult(0);
        dest = tensor::InsertSliceOp::create(
            rewriter, loc, y, dest,
            ArrayRef<OpFoldResult>{rewriter.getIndexAttr(m0),
                                   rewriter.getIndexAttr(0)},
            ArrayRef<OpFoldResult>{rewriter.getIndexAttr(rows),
                                   rewriter.getIndexAttr(N)},
            ArrayRef<OpFoldResult>{rewriter.getIndexAttr(1),
                                   rewriter.getIndexAttr(1)});
      }
      result = dest;
      ++numColumns;
    }
    rewriter.replaceOp(op, result);
  }
}

} // namespace
