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
// rewritten, on tensors, into a conversion of %w to a sparse_tensor
// encoding and a linalg.generic on the sparse operand, which MLIR's sparse
// compiler turns into loops over the nonzeros (kiln-cpu-bufferize, in the
// CPU pipeline, runs sparsification-and-bufferization on such modules).
// Two forms:
//   rows     (few rows of x):  %ws = convert %w to CSR [K, N]
//            loops (m, k, j in row k of W):  y[m, j] += x[m, k] * W[k, j]
//   columns  (many rows):      %ws = convert (transpose %w) to CSR [N, K]
//            (W's columns, CSC), x and y transposed around the product:
//            loops (n, k in column n, m): yT[n, m] += W[k, n] * xT[k, m]
//            whose innermost loop runs over the rows of x, contiguous in
//            xT and yT: plain vector loads and FMAs, no gathers.
// The transposes stay dense linalg ops for kiln-cpu-vectorize.
//
//===----------------------------------------------------------------------===//

#include "kiln/Conversion/Passes.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SparseTensor/IR/SparseTensor.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

namespace kiln {
#define GEN_PASS_DEF_KILNCPUSPARSEWEIGHTS
#include "kiln/Dialect/Conversion/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kSparseWeightAttr = "kiln.sparse_weight";

/// CSR over a 2-D tensor with `bits`-wide positions and coordinates.
RankedTensorType csrType(RankedTensorType dense, int64_t bits) {
  std::string text =
      "#sparse_tensor.encoding<{ map = (i, j) -> (i : dense, j : compressed)";
  if (bits > 0)
    text += ", posWidth = " + std::to_string(bits) +
            ", crdWidth = " + std::to_string(bits);
  text += " }>";
  Attribute enc = parseAttribute(text, dense.getContext());
  return RankedTensorType::get(dense.getShape(), dense.getElementType(), enc);
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
    for (Value v : op->getOperands()) {
      auto t = dyn_cast<RankedTensorType>(v.getType());
      if (!t || t.getRank() != 2 || !t.getElementType().isF32() ||
          t.getEncoding())
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
  if (indexBits != 0 && indexBits != 8 && indexBits != 16 &&
      indexBits != 32 && indexBits != 64) {
    func.emitError("kiln-cpu-sparse-weights: index-bits must be 0, 8, 16, "
                   "32 or 64");
    return signalPassFailure();
  }

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
                    "matmul, left dense");
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
    Value result;
    if (!columns) {
      // (m, k, n): y[m, n] += x[m, k] * Wcsr[k, n].
      auto wType = cast<RankedTensorType>(w.getType());
      Value ws = sparse_tensor::ConvertOp::create(
          rewriter, loc, csrType(wType, indexBits), w);
      auto product = linalg::GenericOp::create(
          rewriter, loc, TypeRange{init.getType()}, ValueRange{x, ws},
          ValueRange{init},
          {map({d0, d1}), map({d1, d2}), map({d0, d2})},
          {par, red, par}, macBody);
      product->setAttr("kiln.sparse_product", rewriter.getStringAttr("rows"));
      result = product->getResult(0);
      ++numRows;
    } else {
      // (n, k, m): yT[n, m] += WTcsr[n, k] * xT[k, m].
      Value wt = transpose2d(rewriter, loc, w);
      Value ws = sparse_tensor::ConvertOp::create(
          rewriter, loc,
          csrType(cast<RankedTensorType>(wt.getType()), indexBits), wt);
      Value xt = transpose2d(rewriter, loc, x);
      Value yt0 = transpose2d(rewriter, loc, init);
      auto product = linalg::GenericOp::create(
          rewriter, loc, TypeRange{yt0.getType()}, ValueRange{ws, xt},
          ValueRange{yt0},
          {map({d0, d1}), map({d1, d2}), map({d0, d2})},
          {par, red, par}, macBody);
      product->setAttr("kiln.sparse_product",
                       rewriter.getStringAttr("columns"));
      // Back into `init` (read above, by the transpose into yT).
      result = linalg::TransposeOp::create(rewriter, loc,
                                           product->getResult(0), init,
                                           ArrayRef<int64_t>{1, 0})
                   ->getResult(0);
      ++numColumns;
    }
    rewriter.replaceOp(op, result);
  }
}

} // namespace
