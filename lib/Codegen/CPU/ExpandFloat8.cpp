//===- ExpandFloat8.cpp - f8E4M3FN/f8E5M2 conversions as integer ops ------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The kiln-cpu-expand-float8 pass (dialects/Conversion/Passes.td). LLVM has
// no 8-bit float types, and MLIR 22 lowers `arith.truncf`/`arith.extf` to or
// from f8E4M3FN and f8E5M2 nowhere on the CPU path. Here they become
// integer arithmetic on the f32 bits (scalars or vectors alike):
//
//   truncf: round to nearest even at the format's last mantissa bit (an
//           add of half an ulp minus one plus the kept lsb, then a shift),
//           re-biased exponent; values below the smallest normal rounded
//           to multiples of the smallest subnormal (roundeven of a scaled
//           value); finite values beyond the largest saturate to it, as
//           ONNX Cast does by default (saturate=1); inf gives the largest
//           E4M3FN value or E5M2's inf; NaN gives NaN;
//   extf:   the exponent and mantissa fields moved into f32's, subnormals
//           as mantissa x 2^(1 - bias - mantissa bits).
//
// The 8-bit value travels as an i8 bitcast to the f8 type, which the LLVM
// type conversion maps to i8.
//
//===----------------------------------------------------------------------===//

#include "kiln/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace kiln {
#define GEN_PASS_DEF_KILNCPUEXPANDFLOAT8
#include "kiln/Dialect/Conversion/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

/// An 8-bit float format: 1 sign bit, exponent, `mantissa` bits.
struct Float8Format {
  int mantissa;
  int bias;
  double largest;   ///< largest finite value
  bool hasInf;      ///< E5M2 (IEEE-like); E4M3FN has NaN only
};

std::optional<Float8Format> formatOf(Type type) {
  if (isa<Float8E4M3FNType>(type))
    return Float8Format{3, 7, 448.0, false};
  if (isa<Float8E5M2Type>(type))
    return Float8Format{2, 15, 57344.0, true};
  return std::nullopt;
}

/// Builds constants and ops of one shape (a scalar or a vector shape).
struct Shaped {
  OpBuilder &b;
  Location loc;
  Type like; ///< the operand type whose shape results share

  Type of(Type element) const {
    if (auto v = dyn_cast<VectorType>(like))
      return v.clone(element);
    return element;
  }
  /// A constant of `attr`'s type, splat to the shape.
  Value splat(TypedAttr attr) const {
    if (auto v = dyn_cast<VectorType>(of(attr.getType())))
      return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(v, attr));
    return arith::ConstantOp::create(b, loc, attr);
  }
  Value i32(int64_t value) const { return splat(b.getI32IntegerAttr(value)); }
  Value f32(double value) const { return splat(b.getF32FloatAttr(value)); }
  Value bitcast(Type element, Value v) const {
    return arith::BitcastOp::create(b, loc, of(element), v);
  }
};

struct TruncFToFloat8 : OpRewritePattern<arith::TruncFOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(arith::TruncFOp op,
                                PatternRewriter &rewriter) const override {
    Type to = getElementTypeOrSelf(op.getType());
    std::optional<Float8Format> f = formatOf(to);
    if (!f || !getElementTypeOrSelf(op.getIn().getType()).isF32())
      return rewriter.notifyMatchFailure(op, "not f32 to an 8-bit float");
    Shaped s{rewriter, op.getLoc(), op.getIn().getType()};
    OpBuilder &b = rewriter;
    Location loc = op.getLoc();
    Type i32 = b.getI32Type();
    Value bits = s.bitcast(i32, op.getIn());
    Value sign = arith::AndIOp::create(b, loc, bits, s.i32(INT32_MIN));
    Value magnitude = arith::AndIOp::create(b, loc, bits, s.i32(0x7FFFFFFF));
    Value absf = s.bitcast(b.getF32Type(), magnitude);
    Value isNan = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO,
                                        absf, absf);
    Value isInf = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                        magnitude, s.i32(0x7F800000));
    // Finite values saturate at the largest finite value.
    Value clamped = arith::MinimumFOp::create(b, loc, absf, s.f32(f->largest));
    Value cb = s.bitcast(i32, clamped);
    // Normal: round to nearest even at the last kept mantissa bit.
    int shift = 23 - f->mantissa;
    Value lsb = arith::AndIOp::create(
        b, loc, arith::ShRUIOp::create(b, loc, cb, s.i32(shift)), s.i32(1));
    Value rounded = arith::AddIOp::create(
        b, loc, arith::AddIOp::create(b, loc, cb, s.i32((1 << (shift - 1)) - 1)),
        lsb);
    Value normal = arith::SubIOp::create(
        b, loc, arith::ShRUIOp::create(b, loc, rounded, s.i32(shift)),
        s.i32((127 - f->bias) << f->mantissa));
    // Subnormal: multiples of 2^(1 - bias - mantissa), ties to even.
    double smallestNormal = std::ldexp(1.0, 1 - f->bias);
    Value isSub = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT,
                                        clamped, s.f32(smallestNormal));
    Value scaled = arith::MulFOp::create(
        b, loc, clamped, s.f32(std::ldexp(1.0, f->bias - 1 + f->mantissa)));
    Value sub = arith::FPToSIOp::create(b, loc, s.of(i32),
                                        math::RoundEvenOp::create(b, loc, scaled));
    Value code = arith::SelectOp::create(b, loc, isSub, sub, normal);
    int largestCode = (((f->hasInf ? 30 : 15) << f->mantissa) |
                       ((1 << f->mantissa) - (f->hasInf ? 1 : 2)));
    int infCode = f->hasInf ? (31 << f->mantissa) : largestCode;
    code = arith::SelectOp::create(b, loc, isInf, s.i32(infCode), code);
    code = arith::SelectOp::create(b, loc, isNan, s.i32(0x7F), code);
    code = arith::OrIOp::create(
        b, loc, code, arith::ShRUIOp::create(b, loc, sign, s.i32(24)));
    Value byte = arith::TruncIOp::create(b, loc, s.of(b.getI8Type()), code);
    rewriter.replaceOp(op, s.bitcast(to, byte));
    return success();
  }
};

struct ExtFFromFloat8 : OpRewritePattern<arith::ExtFOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(arith::ExtFOp op,
                                PatternRewriter &rewriter) const override {
    Type from = getElementTypeOrSelf(op.getIn().getType());
    std::optional<Float8Format> f = formatOf(from);
    if (!f || !getElementTypeOrSelf(op.getType()).isF32())
      return rewriter.notifyMatchFailure(op, "not an 8-bit float to f32");
    Shaped s{rewriter, op.getLoc(), op.getIn().getType()};
    OpBuilder &b = rewriter;
    Location loc = op.getLoc();
    Type i32 = b.getI32Type();
    Value byte = s.bitcast(b.getI8Type(), op.getIn());
    Value c = arith::ExtUIOp::create(b, loc, s.of(i32), byte);
    Value sign = arith::ShLIOp::create(
        b, loc, arith::AndIOp::create(b, loc, c, s.i32(0x80)), s.i32(24));
    Value magnitude = arith::AndIOp::create(b, loc, c, s.i32(0x7F));
    Value exponent =
        arith::ShRUIOp::create(b, loc, magnitude, s.i32(f->mantissa));
    Value mantissa =
        arith::AndIOp::create(b, loc, magnitude, s.i32((1 << f->mantissa) - 1));
    Value normal = arith::OrIOp::create(
        b, loc,
        arith::ShLIOp::create(
            b, loc,
            arith::AddIOp::create(b, loc, exponent, s.i32(127 - f->bias)),
            s.i32(23)),
        arith::ShLIOp::create(b, loc, mantissa, s.i32(23 - f->mantissa)));
    Value subValue = arith::MulFOp::create(
        b, loc, arith::SIToFPOp::create(b, loc, s.of(b.getF32Type()), mantissa),
        s.f32(std::ldexp(1.0, 1 - f->bias - f->mantissa)));
    Value isSub = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                        exponent, s.i32(0));
    Value bits = arith::SelectOp::create(b, loc, isSub,
                                         s.bitcast(i32, subValue), normal);
    if (f->hasInf) {
      // Exponent all ones: inf (mantissa 0) or NaN.
      Value top = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                        exponent, s.i32(31));
      Value isInf = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                          mantissa, s.i32(0));
      Value special = arith::SelectOp::create(b, loc, isInf,
                                              s.i32(0x7F800000),
                                              s.i32(0x7FC00000));
      bits = arith::SelectOp::create(b, loc, top, special, bits);
    } else {
      Value isNan = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                          magnitude, s.i32(0x7F));
      bits = arith::SelectOp::create(b, loc, isNan, s.i32(0x7FC00000), bits);
    }
    bits = arith::OrIOp::create(b, loc, bits, sign);
    rewriter.replaceOp(op, s.bitcast(b.getF32Type(), bits));
    return success();
  }
};

class ExpandFloat8Pass
    : public kiln::impl::KilnCPUExpandFloat8Base<ExpandFloat8Pass> {
public:
  using KilnCPUExpandFloat8Base::KilnCPUExpandFloat8Base;

  void runOnOperation() override {
    unsigned count = 0;
    getOperation().walk([&](Operation *op) {
      if (auto t = dyn_cast<arith::TruncFOp>(op))
        count += formatOf(getElementTypeOrSelf(t.getType())).has_value();
      if (auto e = dyn_cast<arith::ExtFOp>(op))
        count += formatOf(getElementTypeOrSelf(e.getIn().getType())).has_value();
    });
    if (count == 0)
      return;
    RewritePatternSet patterns(&getContext());
    patterns.add<TruncFToFloat8, ExtFFromFloat8>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    numExpanded += count;
  }
};

} // namespace
