//===- DataOps.cpp - kiln indexing ops to linalg --------------------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
//   argmax/argmin -> one linalg.generic reducing over `axis` into two
//     accumulators, the best value and its index (i64, -1 = none yet). An
//     element replaces the accumulator when it is better, or equal and at a
//     smaller index (a larger one with select_last), so the result does not
//     depend on the order in which the reduction visits the elements; a NaN
//     is better than any number and equal to another NaN; integers compare
//     signed, i1 and ui<N> unsigned. keep_dims: a tensor.expand_shape of the
//     result.
//
//===----------------------------------------------------------------------===//

#include "Common.h"

using namespace mlir;

namespace kiln {
namespace lowering {
namespace {

template <typename OpT, bool IsMax>
struct ArgReduceLowering : KilnLowering<OpT> {
  using KilnLowering<OpT>::KilnLowering;
  using OpAdaptor = typename OpT::Adaptor;

  LogicalResult lower(OpT op, OpAdaptor adaptor,
                      ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto inType = tensorType(input);
    Type elt = inType.getElementType();
    if (!isa<IntegerType, FloatType>(elt))
      return rewriter.notifyMatchFailure(op, "needs int or float elements");
    int64_t rank = inType.getRank(), axis = op.getAxis();
    bool last = op.getSelectLast();
    auto resultType = cast<RankedTensorType>(op.getResult().getType());
    MLIRContext *ctx = rewriter.getContext();

    SmallVector<int64_t> reducedShape;
    SmallVector<AffineExpr> keptExprs;
    for (int64_t i = 0; i < rank; ++i) {
      if (i == axis)
        continue;
      reducedShape.push_back(inType.getDimSize(i));
      keptExprs.push_back(getAffineDimExpr(i, ctx));
    }
    Type i64 = rewriter.getI64Type();
    auto valueType = RankedTensorType::get(reducedShape, elt);
    auto indexType = RankedTensorType::get(reducedShape, i64);
    Value valueInit = createFilled(rewriter, loc, valueType, zeroAttr(elt));
    Value indexInit =
        createFilled(rewriter, loc, indexType, IntegerAttr::get(i64, -1));
    AffineMap kept = AffineMap::get(rank, 0, keptExprs, ctx);
    SmallVector<AffineMap> maps = {rewriter.getMultiDimIdentityMap(rank), kept,
                                   kept};
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    iterators[axis] = utils::IteratorType::reduction;
    // Booleans and ui<N> compare unsigned (the scalar body sees ui<N>
    // values until the signedness is erased after conversion).
    bool isUnsigned = elt.isInteger(1) || elt.isUnsignedInteger();

    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{valueType, indexType}, ValueRange{input},
        ValueRange{valueInit, indexInit}, maps, iterators,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value x = args[0], acc = args[1], accIndex = args[2];
          Value i = arith::IndexCastOp::create(
              b, l, i64, linalg::IndexOp::create(b, l, axis));
          Value better, equal;
          if (isFloat(elt)) {
            auto pred = IsMax ? arith::CmpFPredicate::OGT
                              : arith::CmpFPredicate::OLT;
            Value xNaN = arith::CmpFOp::create(b, l, arith::CmpFPredicate::UNO,
                                               x, x);
            Value accNaN = arith::CmpFOp::create(
                b, l, arith::CmpFPredicate::UNO, acc, acc);
            Value accNumber = arith::XOrIOp::create(
                b, l, accNaN,
                arith::ConstantIntOp::create(b, l, b.getI1Type(), 1));
            better = arith::OrIOp::create(
                b, l, arith::CmpFOp::create(b, l, pred, x, acc),
                arith::AndIOp::create(b, l, xNaN, accNumber));
            equal = arith::OrIOp::create(
                b, l,
                arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ, x, acc),
                arith::AndIOp::create(b, l, xNaN, accNaN));
          } else {
            auto pred = IsMax ? (isUnsigned ? arith::CmpIPredicate::ugt
                                            : arith::CmpIPredicate::sgt)
                              : (isUnsigned ? arith::CmpIPredicate::ult
                                            : arith::CmpIPredicate::slt);
            better = arith::CmpIOp::create(b, l, pred, x, acc);
            equal =
                arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, x, acc);
          }
          Value none = arith::CmpIOp::create(
              b, l, arith::CmpIPredicate::slt, accIndex,
              arith::ConstantIntOp::create(b, l, i64, 0));
          Value preferred = arith::CmpIOp::create(
              b, l, last ? arith::CmpIPredicate::sgt : arith::CmpIPredicate::slt,
              i, accIndex);
          Value take = arith::OrIOp::create(
              b, l, arith::OrIOp::create(b, l, none, better),
              arith::AndIOp::create(b, l, equal, preferred));
          Value newValue = arith::SelectOp::create(b, l, take, x, acc);
          Value newIndex = arith::SelectOp::create(b, l, take, i, accIndex);
          linalg::YieldOp::create(b, l, ValueRange{newValue, newIndex});
        });
    Value result = reshapeStatic(rewriter, loc, generic.getResult(1),
                                 resultType);
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void populateDataOpPatterns(RewritePatternSet &patterns) {
  patterns.add<ArgReduceLowering<ArgMaxOp, true>,
               ArgReduceLowering<ArgMinOp, false>>(patterns.getContext());
}

} // namespace lowering
} // namespace kiln
