//===- GradientOps.cpp - Backward primitives to linalg --------------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Lowers the ops of KilnGradientOps.td. Correctness first: every window
// gradient is one linalg.generic reduction with affine maps, no scatter.
//
//   stop_gradient  -> its input (it only matters to autodiff).
//   slice_backward -> linalg.fill of zeros + tensor.insert_slice with the
//                     slice's offsets and strides.
//   scatter_add    -> an scf.for nest over the updates' positions outside
//                     the trailing slice, threading dest: read the
//                     (wrapped, clamped) index, add the slice into dest's
//                     row there. Duplicates accumulate in order; cost is
//                     O(|updates|), e.g. one row add per token for an
//                     embedding's gradient.
//   conv2d_backward_input, avg_pool2d_backward: "dilate, pad, correlate".
//     The output gradient (or, for pooling, each window's share) is
//     inserted with the forward strides into zeros padded by
//     (K-1)*dilation before; then every input position h reads taps
//     r = h + pad_before + (K-1)*dilation - k*dilation, an affine map,
//     so one generic sums over the kernel taps (and channels for conv).
//   conv2d_backward_filter -> one generic that contracts the padded input
//     and the output gradient over (n, oh, ow), per group.
//   max_pool2d_backward -> two generics and no copy of the input: one
//     finds each window's argmax (first maximum in row-major tap order, a
//     commutative lexicographic combiner; taps in the padding never win)
//     as a narrow integer tensor of the output's shape, reading the input
//     with tensor.extract at clamped positions; the other loops over the
//     input positions and the taps, and adds the gradient of the window
//     (oh = (h + pad - kh*dil) / stride, where exact) whose argmax is that
//     tap. Its scratch is the argmax, a fraction of the result.
// kiln.gradient itself is never lowered: KilnToLinalgPass reports it (run
// --kiln-autodiff first).
//
//===----------------------------------------------------------------------===//

#include "Common.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

using namespace mlir;

namespace kiln {
namespace lowering {
namespace {

using IteratorType = utils::IteratorType;

/// linalg.generic with explicit maps and iterators whose body yields what
/// `body(args)` returns (one value per output).
SmallVector<Value> createGeneric(
    OpBuilder &b, Location loc, ValueRange inputs, ValueRange inits,
    ArrayRef<AffineMap> maps, ArrayRef<IteratorType> iterators,
    function_ref<SmallVector<Value>(OpBuilder &, Location, ValueRange)> body) {
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange(inits), inputs, inits, maps, iterators,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        linalg::YieldOp::create(nb, nl, body(nb, nl, args));
      });
  return llvm::to_vector_of<Value>(generic.getResults());
}

Value addScalars(OpBuilder &b, Location l, Value x, Value y) {
  if (isFloat(x.getType()))
    return arith::AddFOp::create(b, l, x, y);
  return arith::AddIOp::create(b, l, x, y);
}

/// Inserts `src` into a zero tensor of `shape` at `offsets` with `strides`.
Value insertIntoZeros(OpBuilder &b, Location loc, Value src,
                      ArrayRef<int64_t> shape, ArrayRef<int64_t> offsets,
                      ArrayRef<int64_t> strides) {
  auto srcType = tensorType(src);
  Type elt = srcType.getElementType();
  Value zeros = createFilled(b, loc, RankedTensorType::get(shape, elt),
                             zeroAttr(elt));
  if (srcType.getNumElements() == 0)
    return zeros;
  MLIRContext *ctx = b.getContext();
  return tensor::InsertSliceOp::create(
      b, loc, src, zeros, getAsIndexOpFoldResult(ctx, offsets),
      getAsIndexOpFoldResult(ctx, srcType.getShape()),
      getAsIndexOpFoldResult(ctx, strides));
}

/// The affine expression of the tap-to-input correlation: the position in
/// the dilated, padded gradient that input position `h` reads for kernel tap
/// `k`: h + padBefore + (K-1)*dilation - k*dilation.
AffineExpr correlatedTap(AffineExpr h, AffineExpr k, int64_t padBefore,
                         int64_t kernel, int64_t dilation) {
  return h + (padBefore + (kernel - 1) * dilation) - k * dilation;
}

/// The extent of the dilated, padded gradient along H or W: the padded input
/// extent plus (K-1)*dilation zeros before it.
int64_t correlatedExtent(int64_t in, int64_t padBefore, int64_t padAfter,
                         int64_t kernel, int64_t dilation) {
  return in + padBefore + padAfter + (kernel - 1) * dilation;
}

/// The reassociation that views dimension `dim` (0 or 1) of a 4-D tensor as
/// two, (groups, per group): how both convolution gradients split channels
/// or filters into their groups.
SmallVector<ReassociationIndices> splitGroups(int64_t dim) {
  if (dim == 0)
    return {{0, 1}, {2}, {3}, {4}};
  return {{0}, {1, 2}, {3}, {4}};
}

/// The contraction of both convolution gradients: one generic over 8 loops
/// (5 parallel, then 3 reduction) that accumulates lhs * rhs, read through
/// `maps`, into zeros of the grouped 5-D `resultType`.
Value groupedContraction(OpBuilder &b, Location loc, Value lhs, Value rhs,
                         RankedTensorType resultType,
                         ArrayRef<AffineMap> maps) {
  Value init =
      createFilled(b, loc, resultType, zeroAttr(resultType.getElementType()));
  SmallVector<IteratorType> iterators(5, IteratorType::parallel);
  iterators.append(3, IteratorType::reduction);
  return createGeneric(b, loc, ValueRange{lhs, rhs}, ValueRange{init}, maps,
                       iterators,
                       [](OpBuilder &nb, Location l, ValueRange a) {
                         Value prod = arith::MulFOp::create(nb, l, a[0], a[1]);
                         return SmallVector<Value>{
                             arith::AddFOp::create(nb, l, a[2], prod)};
                       })
      .front();
}

struct StopGradientLowering : KilnLowering<StopGradientOp> {
  using KilnLowering::KilnLowering;
  LogicalResult lower(StopGradientOp op, OpAdaptor adaptor,
                      ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, adaptor.getInput());
    return success();
  }
};

struct SliceBackwardLowering : KilnLowering<SliceBackwardOp> {
  using KilnLowering::KilnLowering;
  LogicalResult lower(SliceBackwardOp op, OpAdaptor adaptor,
                      ConversionPatternRewriter &rewriter) const override {
    auto resultType = op.getResult().getType();
    if (!isa<IntegerType, FloatType>(resultType.getElementType()))
      return rewriter.notifyMatchFailure(op, "needs int or float elements");
    rewriter.replaceOp(op, insertIntoZeros(rewriter, op.getLoc(),
                                           adaptor.getInput(),
                                           resultType.getShape(),
                                           op.getOffsets(), op.getStrides()));
    return success();
  }
};

/// A loop over the positions of the updates outside the trailing slice
/// (the dims before `axis`, then the index dims), threading the destination
/// through: each iteration reads one index j and adds the trailing slice
/// updates[a..., i..., :] into dest[a..., j, :] (an elementwise generic, so
/// the inner add vectorizes). O(updates): duplicates accumulate because
/// the iterations run in order.
struct ScatterAddLowering : KilnLowering<ScatterAddOp> {
  using KilnLowering::KilnLowering;
  LogicalResult lower(ScatterAddOp op, OpAdaptor adaptor,
                      ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value dest = adaptor.getDest(), indices = adaptor.getIndices(),
          updates = adaptor.getUpdates();
    auto destType = tensorType(dest), idxType = tensorType(indices);
    Type element = destType.getElementType();
    if (!isa<IntegerType, FloatType>(element))
      return rewriter.notifyMatchFailure(op, "needs int or float elements");
    if (tensorType(updates).getNumElements() == 0 ||
        destType.getNumElements() == 0) {
      rewriter.replaceOp(op, dest);
      return success();
    }
    int64_t axis = op.getAxis();
    int64_t rank = destType.getRank(), q = idxType.getRank();
    auto size = [&](OpBuilder &b, Value v, int64_t dim) {
      return tensor::getMixedSize(b, loc, v, dim);
    };
    Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
    SmallVector<Value> lbs(axis + q, zero), steps(axis + q, one), ubs;
    for (int64_t i = 0; i < axis + q; ++i)
      ubs.push_back(
          getValueOrCreateConstantIndexOp(rewriter, loc, size(rewriter, updates, i)));
    Value extent = getValueOrCreateConstantIndexOp(
        rewriter, loc, size(rewriter, dest, axis));
    auto sliceType = RankedTensorType::get(
        destType.getShape().drop_front(axis + 1), element);

    scf::LoopNest nest = scf::buildLoopNest(
        rewriter, loc, lbs, ubs, steps, ValueRange{dest},
        [&](OpBuilder &b, Location l, ValueRange ivs,
            ValueRange acc) -> scf::ValueVector {
          Value j = gatherIndex(
              b, l,
              tensor::ExtractOp::create(b, l, indices, ivs.drop_front(axis)),
              extent);
          SmallVector<Value> destCoords(ivs.take_front(axis));
          destCoords.push_back(j);
          if (sliceType.getRank() == 0) {
            Value u = tensor::ExtractOp::create(b, l, updates, ivs);
            Value d = tensor::ExtractOp::create(b, l, acc[0], destCoords);
            return {tensor::InsertOp::create(b, l, addScalars(b, l, d, u),
                                             acc[0], destCoords)};
          }
          // [a..., j, 0...] of dest and [a..., i..., 0...] of updates, unit
          // sizes up to the trailing slice.
          SmallVector<OpFoldResult> destOffsets, updOffsets, destSizes,
              updSizes;
          for (Value c : destCoords)
            destOffsets.push_back(c);
          for (Value c : ivs)
            updOffsets.push_back(c);
          destSizes.assign(axis + 1, b.getIndexAttr(1));
          updSizes.assign(axis + q, b.getIndexAttr(1));
          for (int64_t d = axis + 1; d < rank; ++d) {
            destOffsets.push_back(b.getIndexAttr(0));
            updOffsets.push_back(b.getIndexAttr(0));
            destSizes.push_back(size(b, dest, d));
            updSizes.push_back(size(b, updates, d - 1 + q));
          }
          SmallVector<OpFoldResult> destStrides(rank, b.getIndexAttr(1)),
              updStrides(rank - 1 + q, b.getIndexAttr(1));
          Value upd = tensor::ExtractSliceOp::create(
              b, l, sliceType, updates, updOffsets, updSizes, updStrides);
          Value cur = tensor::ExtractSliceOp::create(
              b, l, sliceType, acc[0], destOffsets, destSizes, destStrides);
          AffineMap id = b.getMultiDimIdentityMap(sliceType.getRank());
          SmallVector<IteratorType> parallel(sliceType.getRank(),
                                             IteratorType::parallel);
          Value sum =
              createGeneric(b, l, ValueRange{upd}, ValueRange{cur}, {id, id},
                            parallel,
                            [](OpBuilder &nb, Location nl, ValueRange args) {
                              return SmallVector<Value>{
                                  addScalars(nb, nl, args[1], args[0])};
                            })
                  .front();
          return {tensor::InsertSliceOp::create(b, l, sum, acc[0], destOffsets,
                                                destSizes, destStrides)};
        });
    rewriter.replaceOp(op, nest.results.front());
    return success();
  }
};

struct Conv2dBackwardInputLowering : KilnLowering<Conv2dBackwardInputOp> {
  using KilnLowering::KilnLowering;
  LogicalResult lower(Conv2dBackwardInputOp op, OpAdaptor adaptor,
                      ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = op.getResult().getType();
    Type elt = resultType.getElementType();
    Value gradOut = adaptor.getGradOutput(), filter = adaptor.getFilter();
    ArrayRef<int64_t> go = tensorType(gradOut).getShape(),
                      fs = tensorType(filter).getShape(),
                      in = resultType.getShape();
    ArrayRef<int64_t> s = op.getStrides(), p = op.getPadding(),
                      dl = op.getDilations();
    int64_t g = op.getGroups();
    int64_t n = in[0], c = in[1], h = in[2], w = in[3];
    int64_t f = fs[0], kh = fs[2], kw = fs[3];
    int64_t fg = f / g, cg = c / g;
    if (resultType.getNumElements() == 0) {
      rewriter.replaceOp(op, createEmpty(rewriter, loc, resultType));
      return success();
    }
    // Dilate by the strides and pad by (K-1)*dilation before.
    int64_t hz = correlatedExtent(h, p[0], p[2], kh, dl[0]);
    int64_t wz = correlatedExtent(w, p[1], p[3], kw, dl[1]);
    Value z = insertIntoZeros(rewriter, loc, gradOut, {go[0], go[1], hz, wz},
                              {0, 0, (kh - 1) * dl[0], (kw - 1) * dl[1]},
                              {1, 1, s[0], s[1]});
    // Per group: z [N, G, F/G, HZ, WZ], filter [G, F/G, C/G, KH, KW],
    // result [N, G, C/G, H, W].
    auto z5Type = RankedTensorType::get({n, g, fg, hz, wz}, elt);
    auto f5Type = RankedTensorType::get({g, fg, cg, kh, kw}, elt);
    auto r5Type = RankedTensorType::get({n, g, cg, h, w}, elt);
    Value z5 = tensor::ExpandShapeOp::create(rewriter, loc, z5Type, z,
                                             splitGroups(1));
    Value f5 = tensor::ExpandShapeOp::create(rewriter, loc, f5Type, filter,
                                             splitGroups(0));
    // Loops (n, g, c', h, w | f', kh, kw).
    MLIRContext *ctx = rewriter.getContext();
    AffineExpr dn, dg, dc, dh, dw, df, dkh, dkw;
    bindDims(ctx, dn, dg, dc, dh, dw, df, dkh, dkw);
    SmallVector<AffineMap> maps = {
        AffineMap::get(8, 0,
                       {dn, dg, df, correlatedTap(dh, dkh, p[0], kh, dl[0]),
                        correlatedTap(dw, dkw, p[1], kw, dl[1])},
                       ctx),
        AffineMap::get(8, 0, {dg, df, dc, dkh, dkw}, ctx),
        AffineMap::get(8, 0, {dn, dg, dc, dh, dw}, ctx)};
    Value r5 = groupedContraction(rewriter, loc, z5, f5, r5Type, maps);
    rewriter.replaceOp(op, tensor::CollapseShapeOp::create(
                               rewriter, loc, resultType, r5, splitGroups(1)));
    return success();
  }
};

struct Conv2dBackwardFilterLowering : KilnLowering<Conv2dBackwardFilterOp> {
  using KilnLowering::KilnLowering;
  LogicalResult lower(Conv2dBackwardFilterOp op, OpAdaptor adaptor,
                      ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = op.getResult().getType();
    Type elt = resultType.getElementType();
    if (resultType.getNumElements() == 0) {
      rewriter.replaceOp(op, createEmpty(rewriter, loc, resultType));
      return success();
    }
    ArrayRef<int64_t> s = op.getStrides(), dl = op.getDilations();
    int64_t g = op.getGroups();
    Value input = padNCHW(rewriter, loc, adaptor.getInput(), op.getPadding(),
                          zeroAttr(elt));
    Value gradOut = adaptor.getGradOutput();
    ArrayRef<int64_t> xs = tensorType(input).getShape(),
                      go = tensorType(gradOut).getShape(),
                      fs = resultType.getShape();
    int64_t n = xs[0], c = xs[1], f = fs[0], cg = c / g, fg = f / g;
    auto x5Type = RankedTensorType::get({n, g, cg, xs[2], xs[3]}, elt);
    auto g5Type = RankedTensorType::get({n, g, fg, go[2], go[3]}, elt);
    auto r5Type = RankedTensorType::get({g, fg, cg, fs[2], fs[3]}, elt);
    Value x5 = tensor::ExpandShapeOp::create(rewriter, loc, x5Type, input,
                                             splitGroups(1));
    Value g5 = tensor::ExpandShapeOp::create(rewriter, loc, g5Type, gradOut,
                                             splitGroups(1));
    // Loops (g, f', c', kh, kw | n, oh, ow).
    MLIRContext *ctx = rewriter.getContext();
    AffineExpr dg, df, dc, dkh, dkw, dn, doh, dow;
    bindDims(ctx, dg, df, dc, dkh, dkw, dn, doh, dow);
    SmallVector<AffineMap> maps = {
        AffineMap::get(8, 0,
                       {dn, dg, dc, doh * s[0] + dkh * dl[0],
                        dow * s[1] + dkw * dl[1]},
                       ctx),
        AffineMap::get(8, 0, {dn, dg, df, doh, dow}, ctx),
        AffineMap::get(8, 0, {dg, df, dc, dkh, dkw}, ctx)};
    Value r5 = groupedContraction(rewriter, loc, x5, g5, r5Type, maps);
    rewriter.replaceOp(op, tensor::CollapseShapeOp::create(
                               rewriter, loc, resultType, r5, splitGroups(0)));
    return success();
  }
};

/// The last step of avg_pool2d_backward: `share` [N, C, OH, OW] holds what
/// every tap of each window sends back; dilate and pad it, then sum the
/// taps that land on each input position.
Value correlateTaps(OpBuilder &b, Location loc, Value share,
                    RankedTensorType inputType, ArrayRef<int64_t> kernel,
                    ArrayRef<int64_t> strides, ArrayRef<int64_t> padding,
                    ArrayRef<int64_t> dilations) {
  Type elt = inputType.getElementType();
  ArrayRef<int64_t> in = inputType.getShape();
  ArrayRef<int64_t> rs = tensorType(share).getShape();
  int64_t hz = correlatedExtent(in[2], padding[0], padding[2], kernel[0],
                                dilations[0]);
  int64_t wz = correlatedExtent(in[3], padding[1], padding[3], kernel[1],
                                dilations[1]);
  Value z = insertIntoZeros(
      b, loc, share, {rs[0], rs[1], hz, wz},
      {0, 0, (kernel[0] - 1) * dilations[0], (kernel[1] - 1) * dilations[1]},
      {1, 1, strides[0], strides[1]});
  // Loops (n, c, h, w | kh, kw); the taps only come from the loop bounds:
  // an empty KH x KW tensor, as linalg's pooling ops take.
  MLIRContext *ctx = b.getContext();
  AffineExpr dn, dc, dh, dw, dkh, dkw;
  bindDims(ctx, dn, dc, dh, dw, dkh, dkw);
  SmallVector<AffineMap> maps = {
      AffineMap::get(
          6, 0,
          {dn, dc, correlatedTap(dh, dkh, padding[0], kernel[0], dilations[0]),
           correlatedTap(dw, dkw, padding[1], kernel[1], dilations[1])},
          ctx),
      AffineMap::get(6, 0, {dkh, dkw}, ctx),
      AffineMap::get(6, 0, {dn, dc, dh, dw}, ctx)};
  SmallVector<IteratorType> iterators(4, IteratorType::parallel);
  iterators.append(2, IteratorType::reduction);
  Value taps = createEmpty(b, loc, RankedTensorType::get(kernel, elt));
  Value init = createFilled(b, loc, inputType, zeroAttr(elt));
  return createGeneric(b, loc, ValueRange{z, taps}, ValueRange{init}, maps,
                       iterators,
                       [](OpBuilder &nb, Location l, ValueRange a) {
                         return SmallVector<Value>{
                             arith::AddFOp::create(nb, l, a.back(), a[0])};
                       })
      .front();
}

/// The smallest signless integer type that holds a window's flat tap index
/// kh * KW + kw and the "no real tap" mark `taps`: the argmax tensor of
/// max_pool2d_backward is scratch, so it is kept narrow.
Type tapIndexType(OpBuilder &b, int64_t taps) {
  if (taps < INT8_MAX)
    return b.getI8Type();
  if (taps < INT16_MAX)
    return b.getI16Type();
  if (taps < INT32_MAX)
    return b.getI32Type();
  return b.getI64Type();
}

/// An index constant.
Value indexConst(OpBuilder &b, Location l, int64_t v) {
  return arith::ConstantIndexOp::create(b, l, v);
}

/// `lo <= v < hi` on index values.
Value inHalfOpenRange(OpBuilder &b, Location l, Value v, int64_t lo,
                      int64_t hi) {
  Value ge = arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge, v,
                                   indexConst(b, l, lo));
  Value lt = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, v,
                                   indexConst(b, l, hi));
  return arith::AndIOp::create(b, l, ge, lt);
}

/// One step of the argmax reduction of max_pool2d_backward: (value, tap)
/// with the larger value, the smaller tap at a tie (a commutative
/// lexicographic combiner: the first maximum in row-major tap order wins,
/// as in PyTorch); a candidate that is not `real` (a padding tap) never
/// wins.
SmallVector<Value> argmaxStep(OpBuilder &b, Location l, Value v, Value tap,
                              Value best, Value bestTap, Value real = {}) {
  Value greater =
      arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, v, best);
  Value equal =
      arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ, v, best);
  Value earlier =
      arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, tap, bestTap);
  Value wins = arith::OrIOp::create(
      b, l, greater, arith::AndIOp::create(b, l, equal, earlier));
  if (real)
    wins = arith::AndIOp::create(b, l, real, wins);
  return {arith::SelectOp::create(b, l, wins, v, best),
          arith::SelectOp::create(b, l, wins, tap, bestTap)};
}

/// Whether max-pool windows tile the input exactly: stride = kernel, no
/// padding or dilation, and the windows cover every row and column (the
/// usual 2x2 / stride 2 pool). Each input element is then one tap of one
/// window, and both steps of the gradient are plain loops over expanded
/// shapes, with neither gathers nor bounds checks.
bool windowsTileInput(ArrayRef<int64_t> in, ArrayRef<int64_t> out,
                      ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
                      ArrayRef<int64_t> padding, ArrayRef<int64_t> dilations) {
  return llvm::equal(strides, kernel) &&
         llvm::all_of(padding, [](int64_t v) { return v == 0; }) &&
         llvm::all_of(dilations, [](int64_t v) { return v == 1; }) &&
         in[2] == out[2] * kernel[0] && in[3] == out[3] * kernel[1];
}

/// max_pool2d_backward when the windows tile the input: with the input
/// viewed as [N, C, OH, KH, OW, KW] (a free expand_shape),
///   1. argmax[n, c, oh, ow] = the first tap kh * KW + kw of the largest
///      x6[n, c, oh, kh, ow, kw] (reduction over kh, kw);
///   2. dx6[n, c, oh, kh, ow, kw] = argmax == kh * KW + kw ? dy[n, c, oh, ow]
///      : 0, every element written once (no zero fill, no accumulation).
/// Same routing as the general lowering: the first maximum in row-major tap
/// order wins, and a window without one (all NaN) routes nowhere.
Value maxPoolBackwardOfTilingWindows(OpBuilder &b, Location loc, Value input,
                                     Value gradOut, ArrayRef<int64_t> kernel,
                                     Type tapType) {
  auto inputType = tensorType(input);
  auto goType = tensorType(gradOut);
  Type elt = inputType.getElementType();
  ArrayRef<int64_t> go = goType.getShape();
  int64_t kw = kernel[1], taps = kernel[0] * kernel[1];
  SmallVector<int64_t> shape6 = {go[0], go[1], go[2], kernel[0], go[3], kw};
  auto x6Type = RankedTensorType::get(shape6, elt);
  SmallVector<ReassociationIndices> split = {{0}, {1}, {2, 3}, {4, 5}};
  Value x6 = tensor::ExpandShapeOp::create(b, loc, x6Type, input, split);
  MLIRContext *ctx = b.getContext();
  AffineExpr d0, d1, d2, d3, d4, d5;
  bindDims(ctx, d0, d1, d2, d3, d4, d5);
  auto tapOf = [&](OpBuilder &nb, Location l, unsigned khDim,
                   unsigned kwDim) -> Value {
    Value t = arith::AddIOp::create(
        nb, l,
        arith::MulIOp::create(nb, l, linalg::IndexOp::create(nb, l, khDim),
                              indexConst(nb, l, kw)),
        linalg::IndexOp::create(nb, l, kwDim));
    return arith::IndexCastOp::create(nb, l, tapType, t);
  };

  // 1. Loops (n, c, oh, ow | kh, kw).
  SmallVector<IteratorType> argmaxIters(4, IteratorType::parallel);
  argmaxIters.append(2, IteratorType::reduction);
  Value maxInit = createFilled(b, loc, goType, lowestAttr(elt));
  Value tapInit = createFilled(b, loc, RankedTensorType::get(go, tapType),
                               scalarAttr(tapType, double(taps)));
  SmallVector<AffineMap> argmaxMaps = {
      AffineMap::get(6, 0, {d0, d1, d2, d4, d3, d5}, ctx),
      AffineMap::get(6, 0, {d0, d1, d2, d3}, ctx),
      AffineMap::get(6, 0, {d0, d1, d2, d3}, ctx)};
  Value argmax =
      createGeneric(
          b, loc, ValueRange{x6}, ValueRange{maxInit, tapInit}, argmaxMaps,
          argmaxIters,
          [&](OpBuilder &nb, Location l, ValueRange a) {
            return argmaxStep(nb, l, a[0], tapOf(nb, l, 4, 5), a[1], a[2]);
          })[1];

  // 2. Loops (n, c, oh, kh, ow, kw), all parallel, in dx6's order.
  SmallVector<IteratorType> routeIters(6, IteratorType::parallel);
  AffineMap window = AffineMap::get(6, 0, {d0, d1, d2, d4}, ctx);
  SmallVector<AffineMap> routeMaps = {window, window,
                                      AffineMap::getMultiDimIdentityMap(6, ctx)};
  Value dx6 =
      createGeneric(b, loc, ValueRange{argmax, gradOut},
                    ValueRange{createEmpty(b, loc, x6Type)}, routeMaps,
                    routeIters,
                    [&](OpBuilder &nb, Location l, ValueRange a) {
                      Value hit = arith::CmpIOp::create(
                          nb, l, arith::CmpIPredicate::eq, a[0],
                          tapOf(nb, l, 3, 5));
                      Value zero =
                          arith::ConstantOp::create(nb, l, zeroAttr(elt));
                      return SmallVector<Value>{
                          arith::SelectOp::create(nb, l, hit, a[1], zero)};
                    })
          .front();
  return tensor::CollapseShapeOp::create(b, loc, inputType, dx6, split);
}

struct MaxPool2dBackwardLowering : KilnLowering<MaxPool2dBackwardOp> {
  using KilnLowering::KilnLowering;
  LogicalResult lower(MaxPool2dBackwardOp op, OpAdaptor adaptor,
                      ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto inputType = op.getInput().getType();
    Type elt = inputType.getElementType();
    if (inputType.getNumElements() == 0) {
      rewriter.replaceOp(op, createEmpty(rewriter, loc, inputType));
      return success();
    }
    Value input = adaptor.getInput(), gradOut = adaptor.getGradOutput();
    auto goType = tensorType(gradOut);
    // No windows: nothing is routed anywhere.
    if (goType.getNumElements() == 0) {
      rewriter.replaceOp(op, createFilled(rewriter, loc, inputType,
                                          zeroAttr(elt)));
      return success();
    }
    ArrayRef<int64_t> kernel = op.getKernel(), s = op.getStrides(),
                      p = op.getPadding(), dl = op.getDilations();
    ArrayRef<int64_t> in = inputType.getShape(), go = goType.getShape();
    MLIRContext *ctx = rewriter.getContext();
    int64_t kw = kernel[1], taps = kernel[0] * kernel[1];
    Type tapType = tapIndexType(rewriter, taps);
    if (windowsTileInput(in, go, kernel, s, p, dl)) {
      rewriter.replaceOp(op, maxPoolBackwardOfTilingWindows(
                                 rewriter, loc, input, gradOut, kernel,
                                 tapType));
      return success();
    }
    AffineExpr d0, d1, d2, d3, d4, d5;
    bindDims(ctx, d0, d1, d2, d3, d4, d5);
    // Both generics loop (n, c, spatial, spatial | kh, kw); the taps come
    // from the loop bounds: an empty KH x KW operand, as linalg's pooling
    // ops take.
    Value window =
        createEmpty(rewriter, loc, RankedTensorType::get(kernel, elt));
    SmallVector<IteratorType> iterators(4, IteratorType::parallel);
    iterators.append(2, IteratorType::reduction);
    auto flatTap = [&](OpBuilder &b, Location l) -> Value {
      return arith::AddIOp::create(
          b, l,
          arith::MulIOp::create(b, l, linalg::IndexOp::create(b, l, 4),
                                indexConst(b, l, kw)),
          linalg::IndexOp::create(b, l, 5));
    };

    // 1. Each window's argmax as a flat tap index kh * KW + kw, read from
    // the unpadded input: a tap in the padding is no candidate (padding
    // never wins), and windows without a real tap keep the mark `taps`.
    // A two-output reduction keeps (value, tap) with the larger value, the
    // smaller tap at a tie: a commutative lexicographic combiner, so the
    // first maximum in row-major tap order wins, as in PyTorch. The value
    // output only lives during this generic; the taps ([N, C, OH, OW] of
    // a narrow integer) are the only scratch that outlives it.
    Value maxInit = createFilled(rewriter, loc, goType, lowestAttr(elt));
    Value tapInit =
        createFilled(rewriter, loc, RankedTensorType::get(go, tapType),
                     scalarAttr(tapType, double(taps)));
    SmallVector<AffineMap> argmaxMaps = {
        AffineMap::get(6, 0, {d4, d5}, ctx),
        AffineMap::get(6, 0, {d0, d1, d2, d3}, ctx),
        AffineMap::get(6, 0, {d0, d1, d2, d3}, ctx)};
    Value argmax =
        createGeneric(
            rewriter, loc, ValueRange{window}, ValueRange{maxInit, tapInit},
            argmaxMaps, iterators,
            [&](OpBuilder &b, Location l, ValueRange a) {
              Value best = a[1], bestTap = a[2];
              // Input row/column of tap (kh, kw) of window (oh, ow).
              auto inputPos = [&](unsigned outDim, unsigned tapDim,
                                  int64_t axis) -> Value {
                Value o = arith::MulIOp::create(
                    b, l, linalg::IndexOp::create(b, l, outDim),
                    indexConst(b, l, s[axis]));
                Value t = arith::MulIOp::create(
                    b, l, linalg::IndexOp::create(b, l, tapDim),
                    indexConst(b, l, dl[axis]));
                return arith::SubIOp::create(
                    b, l, arith::AddIOp::create(b, l, o, t),
                    indexConst(b, l, p[axis]));
              };
              Value h = inputPos(2, 4, 0), w = inputPos(3, 5, 1);
              Value real = arith::AndIOp::create(
                  b, l, inHalfOpenRange(b, l, h, 0, in[2]),
                  inHalfOpenRange(b, l, w, 0, in[3]));
              // Padding taps read element (h, w) clamped to 0 (any real
              // element would do) and are then ruled out.
              Value zero = indexConst(b, l, 0);
              Value hc = arith::SelectOp::create(b, l, real, h, zero);
              Value wc = arith::SelectOp::create(b, l, real, w, zero);
              Value v = tensor::ExtractOp::create(
                  b, l, input,
                  ValueRange{linalg::IndexOp::create(b, l, 0),
                             linalg::IndexOp::create(b, l, 1), hc, wc});
              Value tap =
                  arith::IndexCastOp::create(b, l, tapType, flatTap(b, l));
              return argmaxStep(b, l, v, tap, best, bestTap, real);
            })[1];

    // 2. One generic over the input positions (n, c, h, w) that sums, over
    // the taps (kh, kw), the gradient of the window that has input
    // position h at tap kh, if it exists (oh = (h + pad - kh * dil) /
    // stride, exact and in range) and picked that tap. Overlapping windows
    // (stride < kernel) each contribute their own tap; nothing is padded,
    // dilated or routed into a temporary.
    auto windowOf = [&](OpBuilder &b, Location l, unsigned posDim,
                        unsigned tapDim, int64_t axis,
                        int64_t outExtent) -> std::pair<Value, Value> {
      Value t = arith::SubIOp::create(
          b, l,
          arith::AddIOp::create(b, l, linalg::IndexOp::create(b, l, posDim),
                                indexConst(b, l, p[axis])),
          arith::MulIOp::create(b, l, linalg::IndexOp::create(b, l, tapDim),
                                indexConst(b, l, dl[axis])));
      Value o = t, valid;
      if (s[axis] != 1) {
        Value stride = indexConst(b, l, s[axis]);
        o = arith::DivSIOp::create(b, l, t, stride);
        valid = arith::CmpIOp::create(
            b, l, arith::CmpIPredicate::eq,
            arith::RemSIOp::create(b, l, t, stride), indexConst(b, l, 0));
      }
      // t >= 0 and o < extent; with t >= 0 an exact quotient is >= 0.
      Value inRange = arith::AndIOp::create(
          b, l,
          arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge, t,
                                indexConst(b, l, 0)),
          arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, o,
                                indexConst(b, l, outExtent)));
      valid = valid ? arith::AndIOp::create(b, l, valid, inRange).getResult()
                    : inRange;
      return {valid, o};
    };
    SmallVector<AffineMap> sumMaps = {AffineMap::get(6, 0, {d4, d5}, ctx),
                                      AffineMap::get(6, 0,
                                                     {d0, d1, d2, d3}, ctx)};
    Value init = createFilled(rewriter, loc, inputType, zeroAttr(elt));
    Value result =
        createGeneric(
            rewriter, loc, ValueRange{window}, ValueRange{init}, sumMaps,
            iterators,
            [&](OpBuilder &b, Location l, ValueRange a) {
              auto [validH, oh] = windowOf(b, l, 2, 4, 0, go[2]);
              auto [validW, ow] = windowOf(b, l, 3, 5, 1, go[3]);
              Value valid = arith::AndIOp::create(b, l, validH, validW);
              // Out-of-range windows read window (0, 0) and are ruled out.
              Value zero = indexConst(b, l, 0);
              SmallVector<Value> at = {
                  linalg::IndexOp::create(b, l, 0),
                  linalg::IndexOp::create(b, l, 1),
                  arith::SelectOp::create(b, l, valid, oh, zero),
                  arith::SelectOp::create(b, l, valid, ow, zero)};
              Value picked = arith::IndexCastOp::create(
                  b, l, b.getIndexType(),
                  tensor::ExtractOp::create(b, l, argmax, at));
              Value hit = arith::AndIOp::create(
                  b, l, valid,
                  arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq,
                                        picked, flatTap(b, l)));
              Value g = tensor::ExtractOp::create(b, l, gradOut, at);
              Value none = createScalar(b, l, zeroAttr(elt));
              Value add = arith::SelectOp::create(b, l, hit, g, none);
              return SmallVector<Value>{
                  arith::AddFOp::create(b, l, a.back(), add)};
            })
            .front();
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct AvgPool2dBackwardLowering : KilnLowering<AvgPool2dBackwardOp> {
  using KilnLowering::KilnLowering;
  LogicalResult lower(AvgPool2dBackwardOp op, OpAdaptor adaptor,
                      ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto inputType = op.getResult().getType();
    if (inputType.getNumElements() == 0) {
      rewriter.replaceOp(op, createEmpty(rewriter, loc, inputType));
      return success();
    }
    ArrayRef<int64_t> kernel = op.getKernel(), s = op.getStrides(),
                      p = op.getPadding(), dl = op.getDilations();
    // 1. Each window's share: its gradient divided by what the forward
    // divided its sum by (the same constants as the forward lowering).
    Value share = divideByPoolDivisors(rewriter, loc, adaptor.getGradOutput(),
                                       inputType, kernel, s, p, dl,
                                       op.getCountIncludePad());
    // 2. Every real tap of a window gets the share.
    rewriter.replaceOp(op, correlateTaps(rewriter, loc, share, inputType,
                                         kernel, s, p, dl));
    return success();
  }
};

} // namespace

void populateGradientOpPatterns(RewritePatternSet &patterns) {
  patterns.add<StopGradientLowering, SliceBackwardLowering, ScatterAddLowering,
               Conv2dBackwardInputLowering, Conv2dBackwardFilterLowering,
               MaxPool2dBackwardLowering, AvgPool2dBackwardLowering>(
      patterns.getContext());
}

} // namespace lowering
} // namespace kiln
