//===- Elementwise.cpp - Elementwise kiln ops to linalg.generic -----------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Unary and binary math, compare, select, cast and broadcast. Each op becomes
// one all-parallel linalg.generic whose output is a tensor.empty (never
// read); the scalar body uses arith and math:
//   max/min on floats: arith.maximumf/minimumf (NaN propagates);
//   integers compute by their signedness: signless `i<N>` as signed, `ui<N>`
//   (and `i1`) as unsigned (divui/remui/maxui/minui/ult/extui/uitofp/
//   fptoui/shrui); the body still sees `ui<N>` scalars, and the pass makes
//   every type signless afterwards (Signedness.cpp);
//   integer division and remainder never trap: a divisor of 0 gives 0 and
//   the signed overflow MIN / -1 wraps (-MIN, remainder 0);
//   shifts by an amount outside [0, width) shift every bit out;
//   sigmoid: 1 / (1 + exp(-x)); compare: ordered float predicates, except
//   `ne`, which is unordered (true when either side is NaN).
//
//===----------------------------------------------------------------------===//

#include "Common.h"

using namespace mlir;

namespace kiln {
namespace lowering {
namespace {

Value cst(OpBuilder &b, Location loc, Type t, double v) {
  return createScalar(b, loc, scalarAttr(t, v));
}

/// Integers that compute unsigned: `ui<N>` and booleans (`i1`, where true
/// would be -1 signed).
bool isUnsignedInt(Type t) { return t.isUnsignedInteger() || t.isInteger(1); }

Value cmpi(OpBuilder &b, Location l, arith::CmpIPredicate p, Value x, Value y) {
  return arith::CmpIOp::create(b, l, p, x, y);
}

/// Integer division or remainder that never traps: x / 0 = 0 and x % 0 = 0;
/// signed MIN / -1 = -MIN (wraps, = MIN) and MIN % -1 = 0.
Value safeIntDivRem(OpBuilder &b, Location l, Value x, Value y, bool isRem) {
  Type t = x.getType();
  Value zero = cst(b, l, t, 0), one = cst(b, l, t, 1);
  Value byZero = cmpi(b, l, arith::CmpIPredicate::eq, y, zero);
  Value divisor = arith::SelectOp::create(b, l, byZero, one, y);
  Value result;
  if (isUnsignedInt(t)) {
    result = isRem ? arith::RemUIOp::create(b, l, x, divisor).getResult()
                   : arith::DivUIOp::create(b, l, x, divisor).getResult();
  } else {
    // x / -1 = -x and x % -1 = 0 without the division (MIN / -1 traps).
    Value minusOne = cst(b, l, t, -1);
    Value byMinusOne = cmpi(b, l, arith::CmpIPredicate::eq, y, minusOne);
    divisor = arith::SelectOp::create(b, l, byMinusOne, one, divisor);
    result = isRem ? arith::RemSIOp::create(b, l, x, divisor).getResult()
                   : arith::DivSIOp::create(b, l, x, divisor).getResult();
    Value negated = arith::SubIOp::create(b, l, zero, x);
    result = arith::SelectOp::create(b, l, byMinusOne, isRem ? zero : negated,
                                     result);
  }
  return arith::SelectOp::create(b, l, byZero, zero, result);
}

//===----------------------------------------------------------------------===//
// Scalar bodies. `a` holds the input scalars; `t` is the result element type.
//===----------------------------------------------------------------------===//

Value scalar(NegOp, OpBuilder &b, Location l, ValueRange a, Type t) {
  if (isFloat(t))
    return arith::NegFOp::create(b, l, a[0]);
  return arith::SubIOp::create(b, l, cst(b, l, t, 0), a[0]);
}
Value scalar(AbsOp, OpBuilder &b, Location l, ValueRange a, Type t) {
  if (isFloat(t))
    return math::AbsFOp::create(b, l, a[0]);
  if (isUnsignedInt(t))
    return a[0];
  return math::AbsIOp::create(b, l, a[0]);
}
/// Integer max/min by signedness; on i1 unsigned, i.e. or / and.
Value intMax(OpBuilder &b, Location l, Value x, Value y) {
  if (isUnsignedInt(x.getType()))
    return arith::MaxUIOp::create(b, l, x, y);
  return arith::MaxSIOp::create(b, l, x, y);
}
Value intMin(OpBuilder &b, Location l, Value x, Value y) {
  if (isUnsignedInt(x.getType()))
    return arith::MinUIOp::create(b, l, x, y);
  return arith::MinSIOp::create(b, l, x, y);
}

Value scalar(ReluOp, OpBuilder &b, Location l, ValueRange a, Type t) {
  if (isFloat(t))
    return arith::MaximumFOp::create(b, l, a[0], cst(b, l, t, 0));
  return intMax(b, l, a[0], cst(b, l, t, 0));
}
Value scalar(ExpOp, OpBuilder &b, Location l, ValueRange a, Type) {
  return math::ExpOp::create(b, l, a[0]);
}
Value scalar(LogOp, OpBuilder &b, Location l, ValueRange a, Type) {
  return math::LogOp::create(b, l, a[0]);
}
Value scalar(SqrtOp, OpBuilder &b, Location l, ValueRange a, Type) {
  return math::SqrtOp::create(b, l, a[0]);
}
Value scalar(RsqrtOp, OpBuilder &b, Location l, ValueRange a, Type) {
  return math::RsqrtOp::create(b, l, a[0]);
}
Value scalar(ReciprocalOp, OpBuilder &b, Location l, ValueRange a, Type t) {
  return arith::DivFOp::create(b, l, cst(b, l, t, 1), a[0]);
}
Value scalar(TanhOp, OpBuilder &b, Location l, ValueRange a, Type) {
  return math::TanhOp::create(b, l, a[0]);
}
Value scalar(SigmoidOp, OpBuilder &b, Location l, ValueRange a, Type t) {
  Value one = cst(b, l, t, 1);
  Value e = math::ExpOp::create(b, l, arith::NegFOp::create(b, l, a[0]));
  return arith::DivFOp::create(b, l, one, arith::AddFOp::create(b, l, one, e));
}
Value scalar(ErfOp, OpBuilder &b, Location l, ValueRange a, Type) {
  return math::ErfOp::create(b, l, a[0]);
}
Value scalar(FloorOp, OpBuilder &b, Location l, ValueRange a, Type) {
  return math::FloorOp::create(b, l, a[0]);
}
Value scalar(CeilOp, OpBuilder &b, Location l, ValueRange a, Type) {
  return math::CeilOp::create(b, l, a[0]);
}
Value scalar(SinOp, OpBuilder &b, Location l, ValueRange a, Type) {
  return math::SinOp::create(b, l, a[0]);
}
Value scalar(CosOp, OpBuilder &b, Location l, ValueRange a, Type) {
  return math::CosOp::create(b, l, a[0]);
}
Value scalar(RoundOp, OpBuilder &b, Location l, ValueRange a, Type) {
  return math::RoundEvenOp::create(b, l, a[0]);
}
Value scalar(AtanOp, OpBuilder &b, Location l, ValueRange a, Type) {
  return math::AtanOp::create(b, l, a[0]);
}

template <typename FOp, typename IOp>
Value floatOrInt(OpBuilder &b, Location l, ValueRange a, Type t) {
  if (isFloat(t))
    return FOp::create(b, l, a[0], a[1]);
  return IOp::create(b, l, a[0], a[1]);
}
Value scalar(AddOp, OpBuilder &b, Location l, ValueRange a, Type t) {
  return floatOrInt<arith::AddFOp, arith::AddIOp>(b, l, a, t);
}
Value scalar(SubOp, OpBuilder &b, Location l, ValueRange a, Type t) {
  return floatOrInt<arith::SubFOp, arith::SubIOp>(b, l, a, t);
}
Value scalar(MulOp, OpBuilder &b, Location l, ValueRange a, Type t) {
  return floatOrInt<arith::MulFOp, arith::MulIOp>(b, l, a, t);
}
Value scalar(DivOp, OpBuilder &b, Location l, ValueRange a, Type t) {
  if (isFloat(t))
    return arith::DivFOp::create(b, l, a[0], a[1]);
  return safeIntDivRem(b, l, a[0], a[1], /*isRem=*/false);
}
Value scalar(RemOp, OpBuilder &b, Location l, ValueRange a, Type t) {
  if (isFloat(t))
    return arith::RemFOp::create(b, l, a[0], a[1]);
  return safeIntDivRem(b, l, a[0], a[1], /*isRem=*/true);
}
Value scalar(AndOp, OpBuilder &b, Location l, ValueRange a, Type) {
  return arith::AndIOp::create(b, l, a[0], a[1]);
}
Value scalar(OrOp, OpBuilder &b, Location l, ValueRange a, Type) {
  return arith::OrIOp::create(b, l, a[0], a[1]);
}
Value scalar(XorOp, OpBuilder &b, Location l, ValueRange a, Type) {
  return arith::XOrIOp::create(b, l, a[0], a[1]);
}
/// Whether the shift amount `s` is in [0, width) (compared unsigned, so a
/// negative signed amount is out of range).
Value shiftInRange(OpBuilder &b, Location l, Value s) {
  Type t = s.getType();
  unsigned width = t.getIntOrFloatBitWidth();
  Value limit =
      createScalar(b, l,
                   IntegerAttr::get(t, APInt(width, width, /*isSigned=*/false,
                                             /*implicitTrunc=*/true)));
  if (width == 1) // The only amount in range is 0.
    return cmpi(b, l, arith::CmpIPredicate::eq, s, cst(b, l, t, 0));
  return cmpi(b, l, arith::CmpIPredicate::ult, s, limit);
}
Value scalar(ShiftLeftOp, OpBuilder &b, Location l, ValueRange a, Type t) {
  Value inRange = shiftInRange(b, l, a[1]);
  Value shifted = arith::ShLIOp::create(b, l, a[0], a[1]);
  return arith::SelectOp::create(b, l, inRange, shifted, cst(b, l, t, 0));
}
Value scalar(ShiftRightOp, OpBuilder &b, Location l, ValueRange a, Type t) {
  Value inRange = shiftInRange(b, l, a[1]);
  if (isUnsignedInt(t)) {
    Value shifted = arith::ShRUIOp::create(b, l, a[0], a[1]);
    return arith::SelectOp::create(b, l, inRange, shifted, cst(b, l, t, 0));
  }
  // Out of range: width - 1, which leaves copies of the sign bit.
  unsigned width = t.getIntOrFloatBitWidth();
  Value amount = arith::SelectOp::create(b, l, inRange, a[1],
                                         cst(b, l, t, double(width - 1)));
  return arith::ShRSIOp::create(b, l, a[0], amount);
}
Value scalar(PowOp, OpBuilder &b, Location l, ValueRange a, Type) {
  return math::PowFOp::create(b, l, a[0], a[1]);
}
Value scalar(MaxOp, OpBuilder &b, Location l, ValueRange a, Type t) {
  if (isFloat(t))
    return arith::MaximumFOp::create(b, l, a[0], a[1]);
  return intMax(b, l, a[0], a[1]);
}
Value scalar(MinOp, OpBuilder &b, Location l, ValueRange a, Type t) {
  if (isFloat(t))
    return arith::MinimumFOp::create(b, l, a[0], a[1]);
  return intMin(b, l, a[0], a[1]);
}

Value scalar(CompareOp op, OpBuilder &b, Location l, ValueRange a, Type) {
  Type operand = a[0].getType();
  if (isFloat(operand)) {
    arith::CmpFPredicate p = arith::CmpFPredicate::OEQ;
    switch (op.getPredicate()) {
    case ComparePredicate::eq: p = arith::CmpFPredicate::OEQ; break;
    case ComparePredicate::ne: p = arith::CmpFPredicate::UNE; break;
    case ComparePredicate::lt: p = arith::CmpFPredicate::OLT; break;
    case ComparePredicate::le: p = arith::CmpFPredicate::OLE; break;
    case ComparePredicate::gt: p = arith::CmpFPredicate::OGT; break;
    case ComparePredicate::ge: p = arith::CmpFPredicate::OGE; break;
    }
    return arith::CmpFOp::create(b, l, p, a[0], a[1]);
  }
  // Integers by signedness; i1 compares as 0 < 1 (false < true).
  bool u = isUnsignedInt(operand);
  arith::CmpIPredicate p = arith::CmpIPredicate::eq;
  switch (op.getPredicate()) {
  case ComparePredicate::eq: p = arith::CmpIPredicate::eq; break;
  case ComparePredicate::ne: p = arith::CmpIPredicate::ne; break;
  case ComparePredicate::lt:
    p = u ? arith::CmpIPredicate::ult : arith::CmpIPredicate::slt; break;
  case ComparePredicate::le:
    p = u ? arith::CmpIPredicate::ule : arith::CmpIPredicate::sle; break;
  case ComparePredicate::gt:
    p = u ? arith::CmpIPredicate::ugt : arith::CmpIPredicate::sgt; break;
  case ComparePredicate::ge:
    p = u ? arith::CmpIPredicate::uge : arith::CmpIPredicate::sge; break;
  }
  return arith::CmpIOp::create(b, l, p, a[0], a[1]);
}

Value scalar(SelectOp, OpBuilder &b, Location l, ValueRange a, Type) {
  return arith::SelectOp::create(b, l, a[0], a[1], a[2]);
}

/// Cast semantics: float -> int truncates toward zero (fptosi, or fptoui to
/// an unsigned type); integer sources extend by their signedness (extsi /
/// extui, sitofp / uitofp); i1 is 0/1 and anything non-zero casts to true.
/// Integers of one width but another signedness are the same bits.
Value scalar(CastOp, OpBuilder &b, Location l, ValueRange a, Type to) {
  Value x = a[0];
  Type from = x.getType();
  if (from == to)
    return x;
  auto fromInt = dyn_cast<IntegerType>(from);
  auto toInt = dyn_cast<IntegerType>(to);
  auto fromFloat = dyn_cast<FloatType>(from);
  auto toFloat = dyn_cast<FloatType>(to);
  if (toInt && toInt.getWidth() == 1) {
    if (fromFloat)
      return arith::CmpFOp::create(b, l, arith::CmpFPredicate::UNE, x,
                                   cst(b, l, from, 0));
    return arith::CmpIOp::create(b, l, arith::CmpIPredicate::ne, x,
                                 cst(b, l, from, 0));
  }
  if (fromInt && toInt) {
    if (fromInt.getWidth() < toInt.getWidth()) {
      if (isUnsignedInt(fromInt))
        return arith::ExtUIOp::create(b, l, to, x);
      return arith::ExtSIOp::create(b, l, to, x);
    }
    if (fromInt.getWidth() > toInt.getWidth())
      return arith::TruncIOp::create(b, l, to, x);
    // Same width, other signedness: the same bits once the pass has made
    // every type signless.
    return arith::BitcastOp::create(b, l, to, x);
  }
  if (fromInt && toFloat) {
    if (isUnsignedInt(fromInt))
      return arith::UIToFPOp::create(b, l, to, x);
    return arith::SIToFPOp::create(b, l, to, x);
  }
  if (fromFloat && toInt) {
    if (toInt.isUnsigned())
      return arith::FPToUIOp::create(b, l, to, x);
    return arith::FPToSIOp::create(b, l, to, x);
  }
  // float -> float
  if (fromFloat.getWidth() < toFloat.getWidth())
    return arith::ExtFOp::create(b, l, to, x);
  if (fromFloat.getWidth() > toFloat.getWidth())
    return arith::TruncFOp::create(b, l, to, x);
  // Same width, different formats (bf16 <-> f16): through f32.
  Value wide = arith::ExtFOp::create(b, l, b.getF32Type(), x);
  return arith::TruncFOp::create(b, l, to, wide);
}

bool isIntOrFloat(Type t) { return isa<IntegerType, FloatType>(t); }

/// Every elementwise op: one generic with identity maps.
template <typename OpT>
struct ElementwiseLowering : KilnLowering<OpT> {
  using KilnLowering<OpT>::KilnLowering;
  using OpAdaptor = typename OpT::Adaptor;

  LogicalResult lower(OpT op, OpAdaptor adaptor,
                      ConversionPatternRewriter &rewriter) const override {
    auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
    Type resultElt = resultType.getElementType();
    if constexpr (std::is_same_v<OpT, CastOp>) {
      Type from = tensorType(adaptor.getInput()).getElementType();
      if (from == resultElt) {
        rewriter.replaceOp(op, adaptor.getInput());
        return success();
      }
      if (!isIntOrFloat(from) || !isIntOrFloat(resultElt))
        return rewriter.notifyMatchFailure(op, "casts only between integer "
                                               "and float element types");
    } else if constexpr (!std::is_same_v<OpT, SelectOp>) {
      if (!isIntOrFloat(resultElt))
        return rewriter.notifyMatchFailure(op, "needs int or float elements");
    }
    ValueRange inputs = adaptor.getOperands();
    SmallVector<AffineMap> maps(
        inputs.size(), rewriter.getMultiDimIdentityMap(resultType.getRank()));
    Value result = createParallelGeneric(
        rewriter, op.getLoc(), resultType, inputs, maps,
        [&](OpBuilder &b, Location l, ValueRange args) {
          return scalar(op, b, l, args.drop_back(), resultElt);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// kiln.broadcast: a generic whose input map reads index 0 along every
/// size-1 dimension that grows and skips the missing leading dimensions.
struct BroadcastLowering : KilnLowering<BroadcastOp> {
  using KilnLowering::KilnLowering;
  LogicalResult lower(BroadcastOp op, OpAdaptor adaptor,
                      ConversionPatternRewriter &rewriter) const override {
    auto inType = tensorType(adaptor.getInput());
    auto outType = op.getResult().getType();
    if (inType == outType) {
      rewriter.replaceOp(op, adaptor.getInput());
      return success();
    }
    AffineMap map = broadcastMap(rewriter.getContext(), inType.getShape(),
                                 outType.getShape());
    Value result = createParallelGeneric(
        rewriter, op.getLoc(), outType, adaptor.getInput(), {map},
        [](OpBuilder &, Location, ValueRange args) { return args[0]; });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void populateElementwisePatterns(RewritePatternSet &patterns) {
  MLIRContext *ctx = patterns.getContext();
  patterns
      .add<ElementwiseLowering<NegOp>, ElementwiseLowering<AbsOp>,
           ElementwiseLowering<ReluOp>, ElementwiseLowering<ExpOp>,
           ElementwiseLowering<LogOp>, ElementwiseLowering<SqrtOp>,
           ElementwiseLowering<RsqrtOp>, ElementwiseLowering<ReciprocalOp>,
           ElementwiseLowering<TanhOp>, ElementwiseLowering<SigmoidOp>,
           ElementwiseLowering<ErfOp>, ElementwiseLowering<FloorOp>,
           ElementwiseLowering<CeilOp>, ElementwiseLowering<SinOp>,
           ElementwiseLowering<CosOp>, ElementwiseLowering<AddOp>,
           ElementwiseLowering<SubOp>, ElementwiseLowering<MulOp>,
           ElementwiseLowering<DivOp>, ElementwiseLowering<PowOp>,
           ElementwiseLowering<MaxOp>, ElementwiseLowering<MinOp>,
           ElementwiseLowering<CompareOp>, ElementwiseLowering<SelectOp>,
           ElementwiseLowering<CastOp>, ElementwiseLowering<AndOp>,
           ElementwiseLowering<OrOp>, ElementwiseLowering<XorOp>,
           ElementwiseLowering<ShiftLeftOp>, ElementwiseLowering<ShiftRightOp>,
           ElementwiseLowering<RemOp>, ElementwiseLowering<RoundOp>,
           ElementwiseLowering<AtanOp>, BroadcastLowering>(ctx);
}

} // namespace lowering
} // namespace kiln
