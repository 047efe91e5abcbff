//===- Reductions.cpp - kiln reductions and softmax to linalg -------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
//   reduce_{sum,prod,max,min} -> linalg.reduce over `axes` into a linalg.fill
//     of the identity (0, 1, -inf / INT_MIN, +inf / INT_MAX); floats combine
//     with arith.maximumf/minimumf (NaN propagates), integers by signedness
//     (`ui<N>` and i1 unsigned, i1 max/min being or/and).
//   reduce_mean -> the sum divided by the reduced element count (divsi, or
//     divui for `ui<N>`).
//   keep_dims -> tensor.expand_shape of the reduced tensor.
//   softmax -> m = max(x); e = exp(x - m); e / sum(e), all along `axis`.
//   log_softmax -> s = x - m; s - log(sum(exp(s))).
//
//===----------------------------------------------------------------------===//

#include "Common.h"

using namespace mlir;

namespace kiln {
namespace lowering {
namespace {

enum class ReduceKind { Sum, Mean, Max, Min, Prod };

/// Integers that compare unsigned: `ui<N>` and booleans.
bool isUnsignedInt(Type t) { return t.isInteger(1) || t.isUnsignedInteger(); }

Value combine(ReduceKind kind, OpBuilder &b, Location l, Value x, Value acc) {
  Type t = x.getType();
  bool f = isFloat(t);
  switch (kind) {
  case ReduceKind::Sum:
  case ReduceKind::Mean:
    return f ? arith::AddFOp::create(b, l, x, acc).getResult()
             : arith::AddIOp::create(b, l, x, acc).getResult();
  case ReduceKind::Prod:
    return f ? arith::MulFOp::create(b, l, x, acc).getResult()
             : arith::MulIOp::create(b, l, x, acc).getResult();
  case ReduceKind::Max:
    if (f)
      return arith::MaximumFOp::create(b, l, x, acc);
    if (isUnsignedInt(t))
      return arith::MaxUIOp::create(b, l, x, acc);
    return arith::MaxSIOp::create(b, l, x, acc);
  case ReduceKind::Min:
    if (f)
      return arith::MinimumFOp::create(b, l, x, acc);
    if (isUnsignedInt(t))
      return arith::MinUIOp::create(b, l, x, acc);
    return arith::MinSIOp::create(b, l, x, acc);
  }
  llvm_unreachable("unknown reduction");
}

TypedAttr identity(ReduceKind kind, Type t) {
  switch (kind) {
  case ReduceKind::Sum:
  case ReduceKind::Mean:
    return zeroAttr(t);
  case ReduceKind::Prod:
    return oneAttr(t);
  case ReduceKind::Max:
    return lowestAttr(t);
  case ReduceKind::Min:
    return highestAttr(t);
  }
  llvm_unreachable("unknown reduction");
}

/// The shape of `type` without the dims in `axes`.
RankedTensorType dropDims(RankedTensorType type, ArrayRef<int64_t> axes) {
  SmallVector<int64_t> shape;
  for (int64_t i = 0; i < type.getRank(); ++i)
    if (!llvm::is_contained(axes, i))
      shape.push_back(type.getDimSize(i));
  return RankedTensorType::get(shape, type.getElementType());
}

/// linalg.reduce of `input` over `axes` with `kind`.
Value buildReduce(OpBuilder &b, Location loc, ReduceKind kind, Value input,
                  ArrayRef<int64_t> axes) {
  auto inType = tensorType(input);
  Type elt = inType.getElementType();
  Value init = createFilled(b, loc, dropDims(inType, axes), identity(kind, elt));
  auto reduce = linalg::ReduceOp::create(
      b, loc, ValueRange{input}, ValueRange{init}, axes,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        linalg::YieldOp::create(nb, nl,
                                combine(kind, nb, nl, args[0], args[1]));
      });
  return reduce.getResult(0);
}

template <typename OpT, ReduceKind Kind>
struct ReduceLowering : KilnLowering<OpT> {
  using KilnLowering<OpT>::KilnLowering;
  using OpAdaptor = typename OpT::Adaptor;

  LogicalResult lower(OpT op, OpAdaptor adaptor,
                      ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto inType = tensorType(input);
    auto resultType = cast<RankedTensorType>(op.getResult().getType());
    Type elt = inType.getElementType();
    if (!isa<IntegerType, FloatType>(elt))
      return rewriter.notifyMatchFailure(op, "needs int or float elements");
    ArrayRef<int64_t> axes = op.getAxes();
    if (axes.empty()) {
      // Nothing is reduced: the identity (the mean of one element is it).
      rewriter.replaceOp(op, input);
      return success();
    }
    Value result = buildReduce(rewriter, loc, Kind, input, axes);
    if constexpr (Kind == ReduceKind::Mean) {
      int64_t count = 1;
      for (int64_t a : axes)
        count *= inType.getDimSize(a);
      // Floats: an empty mean is 0/0 = NaN, as numpy. Integers: no division
      // by zero; the empty sum (0) stays.
      if (isFloat(elt) || count > 0) {
        Value divisor =
            createScalar(rewriter, loc, scalarAttr(elt, double(count)));
        auto redType = tensorType(result);
        result = createParallelGeneric(
            rewriter, loc, redType, result,
            {rewriter.getMultiDimIdentityMap(redType.getRank())},
            [&](OpBuilder &b, Location l, ValueRange args) -> Value {
              if (isFloat(elt))
                return arith::DivFOp::create(b, l, args[0], divisor);
              if (isUnsignedInt(elt))
                return arith::DivUIOp::create(b, l, args[0], divisor);
              return arith::DivSIOp::create(b, l, args[0], divisor);
            });
      }
    }
    if (op.getKeepDims())
      result = reshapeStatic(rewriter, loc, result, resultType);
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Softmax and log-softmax along one axis, stabilized by the maximum.
template <typename OpT, bool IsLog>
struct SoftmaxLowering : KilnLowering<OpT> {
  using KilnLowering<OpT>::KilnLowering;
  using OpAdaptor = typename OpT::Adaptor;

  LogicalResult lower(OpT op, OpAdaptor adaptor,
                      ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getInput();
    auto type = tensorType(x);
    Type elt = type.getElementType();
    int64_t rank = type.getRank();
    int64_t axis = op.getAxis();
    MLIRContext *ctx = rewriter.getContext();

    AffineMap id = rewriter.getMultiDimIdentityMap(rank);
    SmallVector<AffineExpr> keptExprs;
    for (int64_t i = 0; i < rank; ++i)
      if (i != axis)
        keptExprs.push_back(getAffineDimExpr(i, ctx));
    AffineMap kept = AffineMap::get(rank, 0, keptExprs, ctx);

    Value max = buildReduce(rewriter, loc, ReduceKind::Max, x, {axis});
    if constexpr (!IsLog) {
      Value e = createParallelGeneric(
          rewriter, loc, type, ValueRange{x, max}, {id, kept},
          [](OpBuilder &b, Location l, ValueRange a) -> Value {
            return math::ExpOp::create(
                b, l, arith::SubFOp::create(b, l, a[0], a[1]));
          });
      Value sum = buildReduce(rewriter, loc, ReduceKind::Sum, e, {axis});
      Value result = createParallelGeneric(
          rewriter, loc, type, ValueRange{e, sum}, {id, kept},
          [](OpBuilder &b, Location l, ValueRange a) -> Value {
            return arith::DivFOp::create(b, l, a[0], a[1]);
          });
      rewriter.replaceOp(op, result);
    } else {
      Value shifted = createParallelGeneric(
          rewriter, loc, type, ValueRange{x, max}, {id, kept},
          [](OpBuilder &b, Location l, ValueRange a) -> Value {
            return arith::SubFOp::create(b, l, a[0], a[1]);
          });
      // sum(exp(shifted)) in one reduction generic.
      auto redType = dropDims(type, {axis});
      Value init = createFilled(rewriter, loc, redType, zeroAttr(elt));
      SmallVector<utils::IteratorType> iters(rank,
                                             utils::IteratorType::parallel);
      iters[axis] = utils::IteratorType::reduction;
      Value sumExp =
          linalg::GenericOp::create(
              rewriter, loc, TypeRange{redType}, ValueRange{shifted},
              ValueRange{init}, ArrayRef<AffineMap>{id, kept}, iters,
              [](OpBuilder &b, Location l, ValueRange a) {
                Value e = math::ExpOp::create(b, l, a[0]);
                linalg::YieldOp::create(
                    b, l, ValueRange{arith::AddFOp::create(b, l, e, a[1])});
              })
              .getResult(0);
      Value result = createParallelGeneric(
          rewriter, loc, type, ValueRange{shifted, sumExp}, {id, kept},
          [](OpBuilder &b, Location l, ValueRange a) -> Value {
            return arith::SubFOp::create(b, l, a[0],
                                         math::LogOp::create(b, l, a[1]));
          });
      rewriter.replaceOp(op, result);
    }
    return success();
  }
};

} // namespace

void populateReductionPatterns(RewritePatternSet &patterns) {
  patterns.add<ReduceLowering<ReduceSumOp, ReduceKind::Sum>,
               ReduceLowering<ReduceMeanOp, ReduceKind::Mean>,
               ReduceLowering<ReduceMaxOp, ReduceKind::Max>,
               ReduceLowering<ReduceMinOp, ReduceKind::Min>,
               ReduceLowering<ReduceProdOp, ReduceKind::Prod>,
               SoftmaxLowering<SoftmaxOp, false>,
               SoftmaxLowering<LogSoftmaxOp, true>>(patterns.getContext());
}

} // namespace lowering
} // namespace kiln
