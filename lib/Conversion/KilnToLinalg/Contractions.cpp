//===- Contractions.cpp - kiln.matmul and kiln.conv2d to linalg -----------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
//   matmul rank 2 -> linalg.matmul; rank 3 -> linalg.batch_matmul; rank > 3
//     -> batch dims collapsed into one, batch_matmul, expanded back.
//   conv2d -> tensor.pad (zeros) + linalg.conv_2d_nchw_fchw, or for groups > 1
//     input/filter expanded to NGCHW/GFCHW, linalg.conv_2d_ngchw_gfchw and
//     the result collapsed back to NCHW.
// Accumulators are linalg.fill of zero.
//
//===----------------------------------------------------------------------===//

#include "Common.h"
#include "kiln/Dialect/Kiln/Annotations.h"

#include <numeric>

using namespace mlir;

namespace kiln {
namespace lowering {
namespace {

struct MatmulLowering : KilnLowering<MatmulOp> {
  using KilnLowering::KilnLowering;
  LogicalResult lower(MatmulOp op, OpAdaptor adaptor,
                      ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = op.getResult().getType();
    Type elt = resultType.getElementType();
    if (!isa<IntegerType, FloatType>(elt))
      return rewriter.notifyMatchFailure(op, "needs int or float elements");
    int64_t rank = resultType.getRank();
    Value lhs = adaptor.getLhs(), rhs = adaptor.getRhs();

    if (rank == 2) {
      Value init = createFilled(rewriter, loc, resultType, zeroAttr(elt));
      auto mm = linalg::MatmulOp::create(rewriter, loc, TypeRange{resultType},
                                         ValueRange{lhs, rhs}, ValueRange{init});
      // kiln-sparsify's mark travels to the code generator.
      if (Attribute sparse = op->getDiscardableAttr(kSparseWeightAttr))
        mm->setDiscardableAttr(kSparseWeightAttr, sparse);
      rewriter.replaceOp(op, mm.getResult(0));
      return success();
    }

    // Collapse the batch dims [0, rank-2) into one when there are several.
    SmallVector<ReassociationIndices> re;
    auto collapse = [&](Value v) -> Value {
      if (rank == 3)
        return v;
      auto t = tensorType(v);
      ArrayRef<int64_t> s = t.getShape();
      int64_t batch = 1;
      for (int64_t i = 0; i < rank - 2; ++i)
        batch *= s[i];
      auto ct = RankedTensorType::get({batch, s[rank - 2], s[rank - 1]},
                                      t.getElementType());
      return tensor::CollapseShapeOp::create(rewriter, loc, ct, v, re);
    };
    if (rank > 3) {
      ReassociationIndices batchDims(rank - 2);
      std::iota(batchDims.begin(), batchDims.end(), 0);
      re = {batchDims, {rank - 2}, {rank - 1}};
    }
    Value lhs3 = collapse(lhs), rhs3 = collapse(rhs);
    auto l3 = tensorType(lhs3), r3 = tensorType(rhs3);
    auto res3Type = RankedTensorType::get(
        {l3.getDimSize(0), l3.getDimSize(1), r3.getDimSize(2)}, elt);
    Value init = createFilled(rewriter, loc, res3Type, zeroAttr(elt));
    Value result = linalg::BatchMatmulOp::create(rewriter, loc,
                                                 TypeRange{res3Type},
                                                 ValueRange{lhs3, rhs3},
                                                 ValueRange{init})
                       .getResult(0);
    if (rank > 3)
      result =
          tensor::ExpandShapeOp::create(rewriter, loc, resultType, result, re);
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct Conv2dLowering : KilnLowering<Conv2dOp> {
  using KilnLowering::KilnLowering;
  LogicalResult lower(Conv2dOp op, OpAdaptor adaptor,
                      ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = op.getResult().getType();
    Type elt = resultType.getElementType();
    int64_t groups = op.getGroups();
    Value input = padNCHW(rewriter, loc, adaptor.getInput(), op.getPadding(),
                          zeroAttr(elt));
    Value filter = adaptor.getFilter();
    SmallVector<NamedAttribute> attrs = {
        rewriter.getNamedAttr("strides",
                              rewriter.getI64TensorAttr(op.getStrides())),
        rewriter.getNamedAttr("dilations",
                              rewriter.getI64TensorAttr(op.getDilations()))};

    if (groups == 1) {
      Value init = createFilled(rewriter, loc, resultType, zeroAttr(elt));
      auto conv = linalg::Conv2DNchwFchwOp::create(
          rewriter, loc, TypeRange{resultType}, ValueRange{input, filter},
          ValueRange{init}, attrs);
      rewriter.replaceOp(op, conv.getResult(0));
      return success();
    }

    // Grouped: [N, C, H, W] -> [N, G, C/G, H, W]; [F, C/G, KH, KW] ->
    // [G, F/G, C/G, KH, KW]; result [N, G, F/G, OH, OW] -> [N, F, OH, OW].
    auto inT = tensorType(input), fT = tensorType(filter);
    ArrayRef<int64_t> is = inT.getShape(), fs = fT.getShape(),
                      rs = resultType.getShape();
    auto in5 = RankedTensorType::get(
        {is[0], groups, is[1] / groups, is[2], is[3]}, elt);
    auto f5 = RankedTensorType::get(
        {groups, fs[0] / groups, fs[1], fs[2], fs[3]}, elt);
    auto r5 = RankedTensorType::get(
        {rs[0], groups, rs[1] / groups, rs[2], rs[3]}, elt);
    SmallVector<ReassociationIndices> splitDim1 = {{0}, {1, 2}, {3}, {4}};
    SmallVector<ReassociationIndices> splitDim0 = {{0, 1}, {2}, {3}, {4}};
    Value input5 =
        tensor::ExpandShapeOp::create(rewriter, loc, in5, input, splitDim1);
    Value filter5 =
        tensor::ExpandShapeOp::create(rewriter, loc, f5, filter, splitDim0);
    Value init = createFilled(rewriter, loc, r5, zeroAttr(elt));
    auto conv = linalg::Conv2DNgchwGfchwOp::create(
        rewriter, loc, TypeRange{r5}, ValueRange{input5, filter5},
        ValueRange{init}, attrs);
    Value result = tensor::CollapseShapeOp::create(
        rewriter, loc, resultType, conv.getResult(0), splitDim1);
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void populateContractionPatterns(RewritePatternSet &patterns) {
  patterns.add<MatmulLowering, Conv2dLowering>(patterns.getContext());
}

} // namespace lowering
} // namespace kiln
