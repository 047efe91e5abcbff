//===- Pooling.cpp - kiln.max_pool2d and kiln.avg_pool2d to linalg --------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
//   max_pool2d -> tensor.pad with -inf, linalg.pooling_nchw_max (init -inf;
//     its body is arith.maximumf, so NaN propagates).
//   avg_pool2d -> tensor.pad with 0, linalg.pooling_nchw_sum, then one
//     generic dividing by the kernel area (count_include_pad) or by the
//     number of non-padded positions of each window, a [OH, OW] constant
//     computed here at compile time.
// Strides and dilations go to the named op's attributes.
//
//===----------------------------------------------------------------------===//

#include "Common.h"

using namespace mlir;

namespace kiln {
namespace lowering {
namespace {

SmallVector<NamedAttribute> windowAttrs(OpBuilder &b, ArrayRef<int64_t> strides,
                                        ArrayRef<int64_t> dilations) {
  return {b.getNamedAttr("strides", b.getI64TensorAttr(strides)),
          b.getNamedAttr("dilations", b.getI64TensorAttr(dilations))};
}

struct MaxPool2dLowering : KilnLowering<MaxPool2dOp> {
  using KilnLowering::KilnLowering;
  LogicalResult lower(MaxPool2dOp op, OpAdaptor adaptor,
                      ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = op.getResult().getType();
    Type elt = resultType.getElementType();
    Value padded = padNCHW(rewriter, loc, adaptor.getInput(), op.getPadding(),
                           lowestAttr(elt));
    Value window = createEmpty(
        rewriter, loc, RankedTensorType::get(op.getKernel(), elt));
    Value init = createFilled(rewriter, loc, resultType, lowestAttr(elt));
    auto pool = linalg::PoolingNchwMaxOp::create(
        rewriter, loc, TypeRange{resultType}, ValueRange{padded, window},
        ValueRange{init},
        windowAttrs(rewriter, op.getStrides(), op.getDilations()));
    rewriter.replaceOp(op, pool.getResult(0));
    return success();
  }
};

struct AvgPool2dLowering : KilnLowering<AvgPool2dOp> {
  using KilnLowering::KilnLowering;
  LogicalResult lower(AvgPool2dOp op, OpAdaptor adaptor,
                      ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto inType = tensorType(adaptor.getInput());
    auto resultType = op.getResult().getType();
    Type elt = resultType.getElementType();
    ArrayRef<int64_t> kernel = op.getKernel(), strides = op.getStrides(),
                      dilations = op.getDilations(), padding = op.getPadding();
    Value padded =
        padNCHW(rewriter, loc, adaptor.getInput(), padding, zeroAttr(elt));
    Value window = createEmpty(rewriter, loc,
                               RankedTensorType::get(kernel, elt));
    Value init = createFilled(rewriter, loc, resultType, zeroAttr(elt));
    Value sum = linalg::PoolingNchwSumOp::create(
                    rewriter, loc, TypeRange{resultType},
                    ValueRange{padded, window}, ValueRange{init},
                    windowAttrs(rewriter, strides, dilations))
                    .getResult(0);

    Value result;
    bool uniform = op.getCountIncludePad() ||
                   llvm::all_of(padding, [](int64_t p) { return p == 0; });
    if (uniform) {
      // Every window divides by the kernel area: a scalar, no constant
      // tensor.
      Value area = createScalar(
          rewriter, loc, scalarAttr(elt, double(kernel[0] * kernel[1])));
      result = createParallelGeneric(
          rewriter, loc, resultType, sum,
          {rewriter.getMultiDimIdentityMap(4)},
          [&](OpBuilder &b, Location l, ValueRange args) -> Value {
            return arith::DivFOp::create(b, l, args[0], area);
          });
    } else {
      result = divideByPoolDivisors(rewriter, loc, sum, inType, kernel,
                                    strides, padding, dilations,
                                    /*countIncludePad=*/false);
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void populatePoolingPatterns(RewritePatternSet &patterns) {
  patterns.add<MaxPool2dLowering, AvgPool2dLowering>(patterns.getContext());
}

} // namespace lowering
} // namespace kiln
