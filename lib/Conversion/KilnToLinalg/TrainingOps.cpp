//===- TrainingOps.cpp - Training-mode kiln ops to linalg -----------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// kiln.dropout_mask becomes one all-parallel linalg.generic that hashes each
// element's row-major index with the mask's key (DropoutHash.h: the same
// arithmetic as the host reference, so tests can compare bit for bit) and
// compares the resulting uniform number with the ratio.
//
//===----------------------------------------------------------------------===//

#include "Common.h"
#include "kiln/Dialect/Kiln/DropoutHash.h"

using namespace mlir;

namespace kiln {
namespace lowering {
namespace {

Value i64Const(OpBuilder &b, Location loc, uint64_t v) {
  return arith::ConstantOp::create(
      b, loc, b.getI64IntegerAttr(static_cast<int64_t>(v)));
}

/// dropout::mix on an i64 value.
Value emitMix(OpBuilder &b, Location loc, Value x) {
  auto xorShift = [&](Value z, int64_t shift) {
    Value s = arith::ShRUIOp::create(b, loc, z, i64Const(b, loc, shift));
    return arith::XOrIOp::create(b, loc, z, s);
  };
  Value z = arith::AddIOp::create(b, loc, x, i64Const(b, loc, dropout::kGolden));
  z = arith::MulIOp::create(b, loc, xorShift(z, 30),
                            i64Const(b, loc, dropout::kMix1));
  z = arith::MulIOp::create(b, loc, xorShift(z, 27),
                            i64Const(b, loc, dropout::kMix2));
  return xorShift(z, 31);
}

struct DropoutMaskLowering : KilnLowering<DropoutMaskOp> {
  using Base::Base;
  LogicalResult lower(DropoutMaskOp op, OpAdaptor adaptor,
                      ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getResult().getType();
    int64_t seed = op.getSeed();

    // The key is a constant unless a step offset is given.
    Value key;
    if (Value offsetTensor = adaptor.getOffset()) {
      Value offset = tensor::ExtractOp::create(rewriter, loc, offsetTensor,
                                               ValueRange{});
      auto width = cast<IntegerType>(offset.getType()).getWidth();
      if (width < 64)
        offset = arith::ExtSIOp::create(rewriter, loc, rewriter.getI64Type(),
                                        offset);
      Value inner = emitMix(rewriter, loc, offset);
      key = emitMix(rewriter, loc,
                    arith::XOrIOp::create(
                        rewriter, loc, i64Const(rewriter, loc, seed), inner));
    } else {
      key = i64Const(rewriter, loc, dropout::key(seed, 0));
    }

    // Compare in f64 for f64 ratios, else in f32 (the 24-bit grid is exact
    // in both).
    Value ratio =
        tensor::ExtractOp::create(rewriter, loc, adaptor.getRatio(), ValueRange{});
    FloatType cmpType = ratio.getType().isF64()
                            ? FloatType(rewriter.getF64Type())
                            : FloatType(rewriter.getF32Type());
    if (ratio.getType() != cmpType)
      ratio = arith::ExtFOp::create(rewriter, loc, cmpType, ratio);

    ArrayRef<int64_t> shape = type.getShape();
    Value mask = createParallelGeneric(
        rewriter, loc, type, ValueRange{}, {},
        [&](OpBuilder &b, Location l, ValueRange) -> Value {
          // Row-major linear index of the element.
          Value index = arith::ConstantIndexOp::create(b, l, 0);
          for (size_t d = 0; d < shape.size(); ++d) {
            Value size = arith::ConstantIndexOp::create(b, l, shape[d]);
            index = arith::MulIOp::create(b, l, index, size);
            index = arith::AddIOp::create(
                b, l, index, linalg::IndexOp::create(b, l, d));
          }
          Value i = arith::IndexCastOp::create(b, l, b.getI64Type(), index);
          Value bits = emitMix(b, l, arith::AddIOp::create(b, l, key, i));
          Value top = arith::ShRUIOp::create(
              b, l, bits, i64Const(b, l, 64 - dropout::kUniformBits));
          Value u = arith::UIToFPOp::create(b, l, cmpType, top);
          Value grid = arith::ConstantOp::create(
              b, l, b.getFloatAttr(cmpType, 1.0 / (1u << dropout::kUniformBits)));
          u = arith::MulFOp::create(b, l, u, grid);
          return arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGE, u,
                                       ratio);
        });
    rewriter.replaceOp(op, mask);
    return success();
  }
};

} // namespace

void populateTrainingPatterns(RewritePatternSet &patterns) {
  patterns.add<DropoutMaskLowering>(patterns.getContext());
}

} // namespace lowering
} // namespace kiln
