//===- DataMovement.cpp - kiln data movement ops to tensor/linalg ---------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
//   constant  -> arith.constant (dense or dense_resource literal as is)
//   reshape   -> tensor.collapse_shape / tensor.expand_shape (one, or a
//                collapse to 1-D and an expansion); no elements: tensor.empty
//   transpose -> linalg.transpose
//   slice     -> tensor.extract_slice (static offsets, sizes, strides)
//   concat    -> tensor.empty + a chain of tensor.insert_slice
//   gather    -> linalg.generic over the result reading `data` with
//                tensor.extract at linalg.index positions; the index along
//                `axis` comes from `indices`, wrapped (+dim) when negative
//                and clamped into [0, dim) so it never reads out of bounds
//   pad       -> tensor.pad yielding the constant
//
//===----------------------------------------------------------------------===//

#include "Common.h"

#include "mlir/Dialect/Utils/StaticValueUtils.h"

using namespace mlir;

namespace kiln {
namespace lowering {
namespace {

struct ConstantLowering : KilnLowering<ConstantOp> {
  using KilnLowering::KilnLowering;
  LogicalResult lower(ConstantOp op, OpAdaptor,
                      ConversionPatternRewriter &rewriter) const override {
    auto value = dyn_cast<TypedAttr>(op.getValue());
    if (!value)
      return rewriter.notifyMatchFailure(op, "literal is not a typed attr");
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, value);
    return success();
  }
};

struct ReshapeLowering : KilnLowering<ReshapeOp> {
  using KilnLowering::KilnLowering;
  LogicalResult lower(ReshapeOp op, OpAdaptor adaptor,
                      ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, reshapeStatic(rewriter, op.getLoc(),
                                         adaptor.getInput(),
                                         op.getResult().getType()));
    return success();
  }
};

struct TransposeLowering : KilnLowering<TransposeOp> {
  using KilnLowering::KilnLowering;
  LogicalResult lower(TransposeOp op, OpAdaptor adaptor,
                      ConversionPatternRewriter &rewriter) const override {
    ArrayRef<int64_t> perm = op.getPermutation();
    bool identity = llvm::all_of(llvm::enumerate(perm), [](auto it) {
      return static_cast<int64_t>(it.index()) == it.value();
    });
    if (identity) {
      rewriter.replaceOp(op, adaptor.getInput());
      return success();
    }
    auto resultType = op.getResult().getType();
    Value init = createEmpty(rewriter, op.getLoc(), resultType);
    auto t = linalg::TransposeOp::create(rewriter, op.getLoc(),
                                         adaptor.getInput(), init, perm);
    rewriter.replaceOp(op, t.getResult()[0]);
    return success();
  }
};

struct SliceLowering : KilnLowering<SliceOp> {
  using KilnLowering::KilnLowering;
  LogicalResult lower(SliceOp op, OpAdaptor adaptor,
                      ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = op.getResult().getType();
    Value input = adaptor.getInput();
    if (resultType.getNumElements() == 0) {
      rewriter.replaceOp(op, createEmpty(rewriter, loc, resultType));
      return success();
    }
    if (resultType == tensorType(input) &&
        llvm::all_of(op.getOffsets(), [](int64_t o) { return o == 0; })) {
      // Unit strides are implied: the sizes cover every element.
      rewriter.replaceOp(op, input);
      return success();
    }
    MLIRContext *ctx = rewriter.getContext();
    auto slice = tensor::ExtractSliceOp::create(
        rewriter, loc, resultType, input,
        getAsIndexOpFoldResult(ctx, op.getOffsets()),
        getAsIndexOpFoldResult(ctx, op.getSizes()),
        getAsIndexOpFoldResult(ctx, op.getStrides()));
    rewriter.replaceOp(op, slice.getResult());
    return success();
  }
};

struct ConcatLowering : KilnLowering<ConcatOp> {
  using KilnLowering::KilnLowering;
  LogicalResult lower(ConcatOp op, OpAdaptor adaptor,
                      ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = op.getResult().getType();
    ValueRange inputs = adaptor.getInputs();
    if (inputs.size() == 1) {
      rewriter.replaceOp(op, inputs[0]);
      return success();
    }
    int64_t axis = op.getAxis();
    int64_t rank = resultType.getRank();
    MLIRContext *ctx = rewriter.getContext();
    Value result = createEmpty(rewriter, loc, resultType);
    int64_t offset = 0;
    for (Value input : inputs) {
      auto t = tensorType(input);
      if (t.getNumElements() == 0) {
        offset += t.getDimSize(axis);
        continue;
      }
      SmallVector<int64_t> offsets(rank, 0);
      offsets[axis] = offset;
      SmallVector<int64_t> strides(rank, 1);
      result = tensor::InsertSliceOp::create(
          rewriter, loc, input, result, getAsIndexOpFoldResult(ctx, offsets),
          getAsIndexOpFoldResult(ctx, t.getShape()),
          getAsIndexOpFoldResult(ctx, strides));
      offset += t.getDimSize(axis);
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct GatherLowering : KilnLowering<GatherOp> {
  using KilnLowering::KilnLowering;
  LogicalResult lower(GatherOp op, OpAdaptor adaptor,
                      ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value data = adaptor.getData(), indices = adaptor.getIndices();
    auto dataType = tensorType(data), idxType = tensorType(indices);
    auto resultType = op.getResult().getType();
    // Nothing to produce, or nothing that could be read: any content will
    // do (out-of-range indices give unspecified elements).
    if (resultType.getNumElements() == 0 || dataType.getNumElements() == 0) {
      rewriter.replaceOp(op, createEmpty(rewriter, loc, resultType));
      return success();
    }
    int64_t axis = op.getAxis();
    int64_t q = idxType.getRank();
    int64_t resultRank = resultType.getRank();
    int64_t dim = dataType.getDimSize(axis);
    MLIRContext *ctx = rewriter.getContext();

    SmallVector<AffineExpr> idxExprs;
    for (int64_t i = 0; i < q; ++i)
      idxExprs.push_back(getAffineDimExpr(axis + i, ctx));
    AffineMap idxMap = AffineMap::get(resultRank, 0, idxExprs, ctx);

    Value result = createParallelGeneric(
        rewriter, loc, resultType, indices, {idxMap},
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          Value clamped = gatherIndex(
              b, l, args[0], arith::ConstantIndexOp::create(b, l, dim));
          SmallVector<Value> coords;
          for (int64_t d = 0; d < axis; ++d)
            coords.push_back(linalg::IndexOp::create(b, l, d));
          coords.push_back(clamped);
          for (int64_t d = axis + q; d < resultRank; ++d)
            coords.push_back(linalg::IndexOp::create(b, l, d));
          return tensor::ExtractOp::create(b, l, data, coords);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct PadLowering : KilnLowering<PadOp> {
  using KilnLowering::KilnLowering;
  LogicalResult lower(PadOp op, OpAdaptor adaptor,
                      ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    ArrayRef<int64_t> low = op.getLow(), high = op.getHigh();
    auto isZero = [](int64_t p) { return p == 0; };
    if (llvm::all_of(low, isZero) && llvm::all_of(high, isZero)) {
      rewriter.replaceOp(op, adaptor.getInput());
      return success();
    }
    MLIRContext *ctx = rewriter.getContext();
    Value value = createScalar(rewriter, loc, op.getValue());
    auto pad = tensor::PadOp::create(rewriter, loc, op.getResult().getType(),
                                     adaptor.getInput(),
                                     getAsIndexOpFoldResult(ctx, low),
                                     getAsIndexOpFoldResult(ctx, high), value);
    rewriter.replaceOp(op, pad.getResult());
    return success();
  }
};

} // namespace

void populateDataMovementPatterns(RewritePatternSet &patterns) {
  patterns.add<ConstantLowering, ReshapeLowering, TransposeLowering,
               SliceLowering, ConcatLowering, GatherLowering, PadLowering>(
      patterns.getContext());
}

Value gatherIndex(OpBuilder &b, Location l, Value index, Value extent) {
  Value i = arith::IndexCastOp::create(b, l, b.getIndexType(), index);
  Value zero = arith::ConstantIndexOp::create(b, l, 0);
  Value last = b.createOrFold<arith::SubIOp>(
      l, extent, arith::ConstantIndexOp::create(b, l, 1));
  Value negative =
      arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, i, zero);
  Value wrapped = arith::SelectOp::create(
      b, l, negative, arith::AddIOp::create(b, l, i, extent), i);
  return arith::MinSIOp::create(
      b, l, arith::MaxSIOp::create(b, l, wrapped, zero), last);
}

} // namespace lowering
} // namespace kiln
