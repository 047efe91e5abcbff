//===- Common.cpp - Shared helpers of the kiln-to-linalg lowering ---------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//

#include "Common.h"

#include "mlir/IR/AffineMap.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/APInt.h"

#include <numeric>

using namespace mlir;

namespace kiln {
namespace lowering {

bool hasStaticTensorTypes(Operation *op) {
  auto isStatic = [](Type t) {
    if (auto shaped = dyn_cast<ShapedType>(t))
      return shaped.hasStaticShape();
    return true;
  };
  return llvm::all_of(op->getOperandTypes(), isStatic) &&
         llvm::all_of(op->getResultTypes(), isStatic);
}

Value createEmpty(OpBuilder &b, Location loc, RankedTensorType type) {
  return tensor::EmptyOp::create(b, loc, type.getShape(),
                                 type.getElementType());
}

Value createFilled(OpBuilder &b, Location loc, RankedTensorType type,
                   TypedAttr value) {
  Value scalar = createScalar(b, loc, value);
  Value empty = createEmpty(b, loc, type);
  return linalg::FillOp::create(b, loc, ValueRange{scalar}, ValueRange{empty})
      .getResult(0);
}

TypedAttr scalarAttr(Type type, double value) {
  if (auto ft = dyn_cast<FloatType>(type))
    return FloatAttr::get(ft, value);
  auto it = cast<IntegerType>(type);
  return IntegerAttr::get(it, APInt(it.getWidth(), static_cast<int64_t>(value),
                                    /*isSigned=*/true, /*implicitTrunc=*/true));
}

TypedAttr zeroAttr(Type type) { return scalarAttr(type, 0.0); }
TypedAttr oneAttr(Type type) { return scalarAttr(type, 1.0); }

TypedAttr lowestAttr(Type type) {
  if (auto ft = dyn_cast<FloatType>(type))
    return FloatAttr::get(
        ft, llvm::APFloat::getInf(ft.getFloatSemantics(), /*Negative=*/true));
  auto it = cast<IntegerType>(type);
  // i1 is a boolean: its "signed minimum" would be true (-1); use false.
  // Unsigned integers start at 0.
  if (it.getWidth() == 1 || it.isUnsigned())
    return IntegerAttr::get(it, APInt::getZero(it.getWidth()));
  return IntegerAttr::get(it, APInt::getSignedMinValue(it.getWidth()));
}

TypedAttr highestAttr(Type type) {
  if (auto ft = dyn_cast<FloatType>(type))
    return FloatAttr::get(
        ft, llvm::APFloat::getInf(ft.getFloatSemantics(), /*Negative=*/false));
  auto it = cast<IntegerType>(type);
  if (it.getWidth() == 1 || it.isUnsigned())
    return IntegerAttr::get(it, APInt::getMaxValue(it.getWidth()));
  return IntegerAttr::get(it, APInt::getSignedMaxValue(it.getWidth()));
}

Value createScalar(OpBuilder &b, Location loc, TypedAttr value) {
  return arith::ConstantOp::create(b, loc, value);
}

Value createParallelGeneric(
    OpBuilder &b, Location loc, RankedTensorType resultType, ValueRange inputs,
    ArrayRef<AffineMap> inputMaps,
    function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  int64_t rank = resultType.getRank();
  SmallVector<AffineMap> maps(inputMaps);
  maps.push_back(b.getMultiDimIdentityMap(rank));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  Value init = createEmpty(b, loc, resultType);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{resultType}, inputs, ValueRange{init}, maps, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value result = body(nb, nloc, args);
        linalg::YieldOp::create(nb, nloc, result);
      });
  return generic.getResult(0);
}

AffineMap broadcastMap(MLIRContext *ctx, ArrayRef<int64_t> srcShape,
                       ArrayRef<int64_t> dstShape) {
  int64_t lead = dstShape.size() - srcShape.size();
  SmallVector<AffineExpr> exprs;
  for (auto [i, d] : llvm::enumerate(srcShape)) {
    int64_t o = dstShape[lead + i];
    if (d == 1 && o != 1)
      exprs.push_back(getAffineConstantExpr(0, ctx));
    else
      exprs.push_back(getAffineDimExpr(lead + i, ctx));
  }
  return AffineMap::get(dstShape.size(), 0, exprs, ctx);
}

/// The reassociation that collapses static `longer` into `shorter` (no zero
/// dims), or nullopt if `shorter` is not a collapse of `longer`.
static std::optional<SmallVector<ReassociationIndices>>
collapseReassociation(ArrayRef<int64_t> longer, ArrayRef<int64_t> shorter) {
  size_t n = longer.size(), m = shorter.size();
  if (m > n)
    return std::nullopt;
  SmallVector<ReassociationIndices> groups;
  if (m == 0) {
    if (llvm::all_of(longer, [](int64_t d) { return d == 1; }))
      return groups;
    return std::nullopt;
  }
  size_t i = 0;
  for (size_t j = 0; j < m; ++j) {
    ReassociationIndices group;
    int64_t prod = 1;
    do {
      if (i >= n)
        return std::nullopt;
      prod *= longer[i];
      group.push_back(i++);
    } while (prod < shorter[j]);
    if (prod != shorter[j])
      return std::nullopt;
    // Unit dims join the current group unless the next target dim is the
    // unit dim they should become.
    while (i < n && longer[i] == 1 && (j + 1 == m || shorter[j + 1] != 1))
      group.push_back(i++);
    groups.push_back(std::move(group));
  }
  if (i != n)
    return std::nullopt;
  return groups;
}

Value reshapeStatic(OpBuilder &b, Location loc, Value src,
                    RankedTensorType dstType) {
  auto srcType = tensorType(src);
  if (srcType == dstType)
    return src;
  if (dstType.getNumElements() == 0)
    return createEmpty(b, loc, dstType);
  ArrayRef<int64_t> s = srcType.getShape(), d = dstType.getShape();
  if (s.size() > d.size())
    if (auto re = collapseReassociation(s, d))
      return tensor::CollapseShapeOp::create(b, loc, dstType, src, *re);
  if (s.size() < d.size())
    if (auto re = collapseReassociation(d, s))
      return tensor::ExpandShapeOp::create(b, loc, dstType, src, *re);
  // General case (both ranks >= 1 here): through a 1-D tensor.
  auto flatType =
      RankedTensorType::get({srcType.getNumElements()}, srcType.getElementType());
  Value flat = src;
  if (srcType.getRank() != 1) {
    ReassociationIndices all(srcType.getRank());
    std::iota(all.begin(), all.end(), 0);
    flat = tensor::CollapseShapeOp::create(b, loc, flatType, src,
                                           ArrayRef<ReassociationIndices>{all});
  }
  if (dstType.getRank() == 1)
    return flat;
  ReassociationIndices all(dstType.getRank());
  std::iota(all.begin(), all.end(), 0);
  return tensor::ExpandShapeOp::create(b, loc, dstType, flat,
                                       ArrayRef<ReassociationIndices>{all});
}

Value padNCHW(OpBuilder &b, Location loc, Value input,
              ArrayRef<int64_t> padding, TypedAttr value) {
  if (llvm::all_of(padding, [](int64_t p) { return p == 0; }))
    return input;
  auto t = tensorType(input);
  SmallVector<int64_t> shape(t.getShape());
  shape[2] += padding[0] + padding[2];
  shape[3] += padding[1] + padding[3];
  auto padded = RankedTensorType::get(shape, t.getElementType());
  SmallVector<OpFoldResult> low = {b.getIndexAttr(0), b.getIndexAttr(0),
                                   b.getIndexAttr(padding[0]),
                                   b.getIndexAttr(padding[1])};
  SmallVector<OpFoldResult> high = {b.getIndexAttr(0), b.getIndexAttr(0),
                                    b.getIndexAttr(padding[2]),
                                    b.getIndexAttr(padding[3])};
  Value pv = createScalar(b, loc, value);
  return tensor::PadOp::create(b, loc, padded, input, low, high, pv);
}

/// For each output position along one axis, how many of the kernel taps
/// land inside the unpadded input.
static SmallVector<int64_t> validTaps(int64_t in, int64_t out,
                                      int64_t padBefore, int64_t kernel,
                                      int64_t stride, int64_t dilation) {
  SmallVector<int64_t> counts(out, 0);
  for (int64_t o = 0; o < out; ++o)
    for (int64_t k = 0; k < kernel; ++k) {
      int64_t pos = o * stride + k * dilation - padBefore;
      if (pos >= 0 && pos < in)
        ++counts[o];
    }
  return counts;
}

Value divideByPoolDivisors(OpBuilder &b, Location loc, Value windows,
                           RankedTensorType inputType, ArrayRef<int64_t> kernel,
                           ArrayRef<int64_t> strides, ArrayRef<int64_t> padding,
                           ArrayRef<int64_t> dilations, bool countIncludePad) {
  auto windowsType = tensorType(windows);
  Type elt = windowsType.getElementType();
  int64_t outH = windowsType.getDimSize(2), outW = windowsType.getDimSize(3);
  SmallVector<int64_t> ch = validTaps(inputType.getDimSize(2), outH,
                                      padding[0], kernel[0], strides[0],
                                      dilations[0]);
  SmallVector<int64_t> cw = validTaps(inputType.getDimSize(3), outW,
                                      padding[1], kernel[1], strides[1],
                                      dilations[1]);
  SmallVector<Attribute> counts;
  counts.reserve(outH * outW);
  for (int64_t h = 0; h < outH; ++h)
    for (int64_t w = 0; w < outW; ++w) {
      int64_t count = countIncludePad ? kernel[0] * kernel[1]
                                      : std::max<int64_t>(ch[h] * cw[w], 1);
      counts.push_back(scalarAttr(elt, double(count)));
    }
  auto countType = RankedTensorType::get({outH, outW}, elt);
  Value countTensor = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(countType, counts));
  MLIRContext *ctx = b.getContext();
  AffineMap hw = AffineMap::get(
      4, 0, {getAffineDimExpr(2, ctx), getAffineDimExpr(3, ctx)}, ctx);
  return createParallelGeneric(
      b, loc, windowsType, ValueRange{windows, countTensor},
      {b.getMultiDimIdentityMap(4), hw},
      [](OpBuilder &nb, Location l, ValueRange a) {
        return arith::DivFOp::create(nb, l, a[0], a[1]).getResult();
      });
}

} // namespace lowering
} // namespace kiln
