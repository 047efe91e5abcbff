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
// kiln.magnitude_threshold becomes a bisection on the bits of |x|: an
// scf.for of 31 rounds, each one counting linalg reduction per input,
// inside an scf.if that skips it all when the count is not positive.
//
//===----------------------------------------------------------------------===//

#include "Common.h"
#include "kiln/Dialect/Kiln/DropoutHash.h"

#include "mlir/Dialect/SCF/IR/SCF.h"

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


/// The number of elements `x` of `input` (f32) whose magnitude bits
/// (`bits(x) & 0x7fffffff`) are at most `limit` (i32), as an i64.
Value countMagnitudesAtMost(OpBuilder &b, Location loc, Value input,
                            Value limit) {
  auto type = cast<RankedTensorType>(input.getType());
  auto countType = RankedTensorType::get({}, b.getI32Type());
  Value init = createFilled(b, loc, countType, b.getI32IntegerAttr(0));
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineMap> maps = {
      AffineMap::getMultiDimIdentityMap(type.getRank(), ctx),
      AffineMap::get(type.getRank(), 0, ctx)};
  SmallVector<utils::IteratorType> iterators(type.getRank(),
                                             utils::IteratorType::reduction);
  auto generic = linalg::GenericOp::create(
      b, loc, countType, input, init, maps, iterators,
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value bits = arith::BitcastOp::create(nb, l, nb.getI32Type(), args[0]);
        Value magnitude = arith::AndIOp::create(
            nb, l, bits,
            arith::ConstantOp::create(nb, l, nb.getI32IntegerAttr(0x7fffffff)));
        Value atMost = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::sle,
                                             magnitude, limit);
        Value one = arith::ExtUIOp::create(nb, l, nb.getI32Type(), atMost);
        linalg::YieldOp::create(
            nb, l, ValueRange{arith::AddIOp::create(nb, l, args[1], one)});
      });
  Value count =
      tensor::ExtractOp::create(b, loc, generic.getResult(0), ValueRange{});
  return arith::ExtUIOp::create(b, loc, b.getI64Type(), count);
}

struct MagnitudeThresholdLowering : KilnLowering<MagnitudeThresholdOp> {
  using Base::Base;
  LogicalResult lower(MagnitudeThresholdOp op, OpAdaptor adaptor,
                      ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Type f32 = rewriter.getF32Type();
    auto i32Const = [&](OpBuilder &b, int64_t v) -> Value {
      return arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(v));
    };
    // A count beyond the elements means all of them: the largest magnitude.
    int64_t elements = 0;
    for (Value input : adaptor.getInputs())
      elements += tensorType(input).getNumElements();
    Value k = arith::MinSIOp::create(
        rewriter, loc,
        tensor::ExtractOp::create(rewriter, loc, adaptor.getCount(),
                                  ValueRange{}),
        arith::ConstantOp::create(rewriter, loc,
                                  rewriter.getI64IntegerAttr(elements)));
    Value zero64 =
        arith::ConstantOp::create(rewriter, loc, rewriter.getI64IntegerAttr(0));
    Value none = arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::sle,
                                       k, zero64);
    auto ifOp = scf::IfOp::create(rewriter, loc, TypeRange{f32}, none,
                                  /*withElseRegion=*/true);
    {
      OpBuilder b = ifOp.getThenBodyBuilder();
      scf::YieldOp::create(
          b, loc,
          ValueRange{arith::ConstantOp::create(b, loc, b.getF32FloatAttr(-1.0f))
                         .getResult()});
    }
    {
      // The smallest bit pattern in [0, bits(+inf)] with #(|x| <= it) >= k;
      // the interval halves each round and starts below 2^31 wide, so 31
      // rounds leave one candidate.
      OpBuilder b = ifOp.getElseBodyBuilder();
      Value lo0 = i32Const(b, 0), hi0 = i32Const(b, 0x7f800000);
      Value lb = arith::ConstantIndexOp::create(b, loc, 0);
      Value ub = arith::ConstantIndexOp::create(b, loc, 31);
      Value step = arith::ConstantIndexOp::create(b, loc, 1);
      auto loop = scf::ForOp::create(
          b, loc, lb, ub, step, ValueRange{lo0, hi0},
          [&](OpBuilder &fb, Location fl, Value, ValueRange bounds) {
            Value lo = bounds[0], hi = bounds[1];
            Value half = arith::ShRUIOp::create(
                fb, fl, arith::SubIOp::create(fb, fl, hi, lo), i32Const(fb, 1));
            Value mid = arith::AddIOp::create(fb, fl, lo, half);
            Value count;
            for (Value input : adaptor.getInputs()) {
              Value c = countMagnitudesAtMost(fb, fl, input, mid);
              count = count ? arith::AddIOp::create(fb, fl, count, c) : c;
            }
            Value enough = arith::CmpIOp::create(
                fb, fl, arith::CmpIPredicate::sge, count, k);
            Value above = arith::AddIOp::create(fb, fl, mid, i32Const(fb, 1));
            Value nextLo = arith::SelectOp::create(fb, fl, enough, lo, above);
            Value nextHi = arith::SelectOp::create(fb, fl, enough, mid, hi);
            scf::YieldOp::create(fb, fl, ValueRange{nextLo, nextHi});
          });
      Value threshold = arith::BitcastOp::create(b, loc, f32, loop.getResult(1));
      scf::YieldOp::create(b, loc, ValueRange{threshold});
    }
    Value result = tensor::FromElementsOp::create(
        rewriter, loc, op.getResult().getType(),
        ValueRange{ifOp.getResult(0)});
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void populateTrainingPatterns(RewritePatternSet &patterns) {
  patterns.add<DropoutMaskLowering, MagnitudeThresholdLowering>(
      patterns.getContext());
}

} // namespace lowering
} // namespace kiln
