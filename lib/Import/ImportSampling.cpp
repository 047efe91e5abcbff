//===- ImportSampling.cpp - ONNX GridSample and MaxUnpool -----------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Ops that read or write a tensor at positions computed at run time, as
// compositions of elementwise math, kiln.gather and kiln.scatter_add:
//
//   GridSample (4-D, PyTorch's grid_sample, which ONNX's references come
//   from): the grid's normalized coordinates are unnormalized (align_corners)
//   and, per padding mode, clamped (border) or reflected (reflection) with
//   elementwise ops; each interpolation tap (nearest 1, bilinear 4, bicubic
//   16, cubic convolution with A = -0.75) is one kiln.gather of the input
//   laid out as [N*H*W, C] at the tap's linear position, zeroed where the
//   tap falls outside the input, weighted and summed. Differentiable in the
//   input (gather) and in the grid (the weights).
//
//   MaxUnpool: the values scattered (kiln.scatter_add) into zeros of the
//   output at MaxPool's flat indices; positions written twice (overlapping
//   windows report one element twice) are divided by their count, so they
//   hold that element once.
//
//===----------------------------------------------------------------------===//

#include "ImportDataUtils.h"
#include "NodeImporter.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::onnx_import;

namespace {

enum class Padding { Zeros, Border, Reflection };

/// PyTorch's reflect_coordinates: reflects `x` into [low/2, high/2].
Value reflect(Emitter &e, Value x, double twiceLow, double twiceHigh) {
  if (twiceLow == twiceHigh)
    return e.c(x, 0.0);
  double low = twiceLow / 2, span = (twiceHigh - twiceLow) / 2;
  Value in = e.op<AbsOp>(e.addC(x, -low));
  Value flips = e.floor(e.mulC(in, 1.0 / span));
  Value extra = e.sub(in, e.mulC(flips, span));
  // flips even: extra + low, odd: span - extra + low.
  Value half = e.floor(e.mulC(flips, 0.5));
  Value even = e.cmp(ComparePredicate::eq, e.mulC(half, 2.0), flips);
  return e.select(even, e.addC(extra, low),
                  e.addC(e.sub(e.c(x, span), extra), low));
}

/// PyTorch's compute_coordinates: the padding mode applied to pixel
/// coordinates `x` along an extent of `size`.
Value pad(Emitter &e, Value x, int64_t size, Padding padding,
          bool alignCorners) {
  if (padding == Padding::Border)
    return e.clamp(x, 0, double(size - 1));
  if (padding == Padding::Reflection) {
    Value r = alignCorners ? reflect(e, x, 0, 2.0 * (size - 1))
                           : reflect(e, x, -1, 2.0 * size - 1);
    return e.clamp(r, 0, double(size - 1));
  }
  return x;
}

LogicalResult importGridSample(NodeImporter &n) {
  if (failed(n.expectInputs(2, 2)) ||
      failed(n.expectOnlyAttrs({"align_corners", "mode", "padding_mode"})))
    return failure();
  RankedTensorType xType = n.inputType(0), gridType = n.inputType(1);
  if (xType.getRank() != 4 || gridType.getRank() != 4 ||
      !xType.hasStaticShape() || !gridType.hasStaticShape())
    return n.fail("GridSample needs a static 4-D input and grid");
  Type element = xType.getElementType();
  if (!isa<FloatType>(element) || gridType.getElementType() != element)
    return n.fail("input and grid must be floats of one type");
  int64_t N = xType.getDimSize(0), C = xType.getDimSize(1),
          H = xType.getDimSize(2), W = xType.getDimSize(3);
  int64_t Ho = gridType.getDimSize(1), Wo = gridType.getDimSize(2);
  if (gridType.getDimSize(0) != N || gridType.getDimSize(3) != 2)
    return n.fail("grid must be [N, H_out, W_out, 2]");
  std::string mode = n.attrString("mode", "bilinear");
  std::string padMode = n.attrString("padding_mode", "zeros");
  bool alignCorners = n.attrInt("align_corners", 0) != 0;
  Padding padding;
  if (padMode == "zeros")
    padding = Padding::Zeros;
  else if (padMode == "border")
    padding = Padding::Border;
  else if (padMode == "reflection")
    padding = Padding::Reflection;
  else
    return n.fail("unknown padding_mode '" + padMode + "'");
  if (mode != "bilinear" && mode != "nearest" && mode != "bicubic")
    return n.fail("unknown mode '" + mode + "'");
  SmallVector<int64_t> outShape = {N, C, Ho, Wo};
  if (N * C * Ho * Wo == 0 || H * W == 0) {
    if (N * C * Ho * Wo != 0)
      return n.fail("cannot sample an empty input");
    n.setOutput(0, typedLiteral(n, xType.clone(outShape), {}));
    return success();
  }

  Emitter e{n};
  // Pixel coordinates [N, Ho, Wo] from the grid's x (width) and y (height).
  SmallVector<int64_t> plane = {N, Ho, Wo};
  auto component = [&](int64_t k) {
    Value s = e.op<SliceOp>(n.input(1), SmallVector<int64_t>{0, 0, 0, k},
                            SmallVector<int64_t>{N, Ho, Wo, 1},
                            SmallVector<int64_t>(4, 1));
    return e.reshape(s, plane);
  };
  auto unnormalize = [&](Value g, int64_t size) {
    // align_corners: (g + 1) / 2 * (size - 1); else ((g + 1) * size - 1) / 2.
    Value p = e.addC(g, 1.0);
    return alignCorners ? e.mulC(p, 0.5 * double(size - 1))
                        : e.mulC(e.addC(e.mulC(p, double(size)), -1.0), 0.5);
  };
  Value ix = unnormalize(component(0), W);
  Value iy = unnormalize(component(1), H);

  // The input as rows [N*H*W, C]; a tap at integral (tx, ty) reads row
  // n*H*W + ty*W + tx, and contributes 0 outside the input.
  Value rows = e.reshape(
      e.op<TransposeOp>(n.input(0), SmallVector<int64_t>{0, 2, 3, 1}),
      {N * H * W, C});
  SmallVector<int64_t> batchBase;
  for (int64_t b = 0; b < N; ++b)
    for (int64_t i = 0; i < Ho * Wo; ++i)
      batchBase.push_back(b * H * W);
  Value base = i64Literal(n, batchBase, plane);
  SmallVector<int64_t> wide = {N, Ho, Wo, C};
  Type i64 = n.b().getI64Type();
  auto tap = [&](Value tx, Value ty) -> Value {
    Value inside = e.both(
        e.both(e.cmp(ComparePredicate::ge, tx, e.c(tx, 0.0)),
               e.cmp(ComparePredicate::le, tx, e.c(tx, double(W - 1)))),
        e.both(e.cmp(ComparePredicate::ge, ty, e.c(ty, 0.0)),
               e.cmp(ComparePredicate::le, ty, e.c(ty, double(H - 1)))));
    Value cx = e.cast(e.clamp(tx, 0, double(W - 1)), i64);
    Value cy = e.cast(e.clamp(ty, 0, double(H - 1)), i64);
    Value linear = e.add(e.add(e.mulC(cy, double(W)), cx), base);
    Value values = e.op<GatherOp>(rows, linear, int64_t(0));
    Value mask = e.broadcast(e.reshape(inside, {N, Ho, Wo, 1}), wide);
    return e.select(mask, values, e.c(values, 0.0));
  };
  auto weighted = [&](Value values, Value weight) {
    return e.mul(values, e.broadcast(e.reshape(weight, {N, Ho, Wo, 1}), wide));
  };

  Value out;
  if (mode == "nearest") {
    // Round half to even (nearbyint), after the padding mode.
    Value x = e.op<RoundOp>(pad(e, ix, W, padding, alignCorners));
    Value y = e.op<RoundOp>(pad(e, iy, H, padding, alignCorners));
    out = tap(x, y);
  } else if (mode == "bilinear") {
    Value x = pad(e, ix, W, padding, alignCorners);
    Value y = pad(e, iy, H, padding, alignCorners);
    Value x0 = e.floor(x), y0 = e.floor(y);
    Value x1 = e.addC(x0, 1.0), y1 = e.addC(y0, 1.0);
    Value fx = e.sub(x, x0), fy = e.sub(y, y0);
    Value gx = e.sub(e.c(fx, 1.0), fx), gy = e.sub(e.c(fy, 1.0), fy);
    out = e.add(e.add(weighted(tap(x0, y0), e.mul(gx, gy)),
                      weighted(tap(x1, y0), e.mul(fx, gy))),
                e.add(weighted(tap(x0, y1), e.mul(gx, fy)),
                      weighted(tap(x1, y1), e.mul(fx, fy))));
  } else {
    // Bicubic: taps at floor - 1 .. floor + 2, each coordinate padded on
    // its own (PyTorch's get_value_bounded).
    constexpr double A = -0.75;
    Value x0 = e.floor(ix), y0 = e.floor(iy);
    Value tx = e.sub(ix, x0), ty = e.sub(iy, y0);
    // cc1(t) = ((A + 2) t - (A + 3)) t t + 1 for |t| <= 1;
    // cc2(t) = ((A t - 5A) t + 8A) t - 4A for 1 < |t| < 2.
    auto cc1 = [&](Value t) {
      Value p = e.addC(e.mulC(t, A + 2), -(A + 3));
      return e.addC(e.mul(e.mul(p, t), t), 1.0);
    };
    auto cc2 = [&](Value t) {
      Value p = e.addC(e.mulC(t, A), -5 * A);
      p = e.addC(e.mul(p, t), 8 * A);
      return e.addC(e.mul(p, t), -4 * A);
    };
    auto weights = [&](Value t) {
      Value one = e.c(t, 1.0), two = e.c(t, 2.0);
      return SmallVector<Value>{cc2(e.add(t, one)), cc1(t), cc1(e.sub(one, t)),
                                cc2(e.sub(two, t))};
    };
    SmallVector<Value> wx = weights(tx), wy = weights(ty);
    for (int64_t j = 0; j < 4; ++j) {
      Value y = pad(e, e.addC(y0, double(j - 1)), H, padding, alignCorners);
      Value row;
      for (int64_t i = 0; i < 4; ++i) {
        Value x = pad(e, e.addC(x0, double(i - 1)), W, padding, alignCorners);
        Value term = weighted(tap(x, y), wx[i]);
        row = row ? e.add(row, term) : term;
      }
      Value term = weighted(row, wy[j]);
      out = out ? e.add(out, term) : term;
    }
  }
  Value y = e.op<TransposeOp>(out, SmallVector<int64_t>{0, 3, 1, 2});
  if (e.bad)
    return failure();
  n.setOutput(0, y);
  return success();
}

LogicalResult importMaxUnpool(NodeImporter &n) {
  if (failed(n.expectInputs(2, 3)) ||
      failed(n.expectOnlyAttrs({"kernel_shape", "pads", "strides"})))
    return failure();
  RankedTensorType xType = n.inputType(0), iType = n.inputType(1);
  if (!xType.hasStaticShape() || xType.getShape() != iType.getShape())
    return n.fail("X and I must have one static shape");
  if (!isa<FloatType>(xType.getElementType()))
    return n.fail("MaxUnpool needs float values");
  if (!isa<IntegerType>(iType.getElementType()))
    return n.fail("indices must be integers");
  int64_t rank = xType.getRank(), spatial = rank - 2;
  if (spatial < 1)
    return n.fail("MaxUnpool needs at least one spatial dimension");
  std::optional<SmallVector<int64_t>> kernel = n.attrInts("kernel_shape");
  if (!kernel || (int64_t)kernel->size() != spatial)
    return n.fail("kernel_shape needs " + Twine(spatial) + " entries");
  SmallVector<int64_t> strides =
      n.attrInts("strides").value_or(SmallVector<int64_t>(spatial, 1));
  SmallVector<int64_t> pads =
      n.attrInts("pads").value_or(SmallVector<int64_t>(2 * spatial, 0));
  if ((int64_t)strides.size() != spatial || (int64_t)pads.size() != 2 * spatial)
    return n.fail("strides and pads do not match the spatial rank");
  // The indices are flat positions in the unpooled shape that the kernel,
  // strides and pads imply; a given output_shape (ONNX's references) pads
  // that result with zeros at the end of each dimension.
  SmallVector<int64_t> outShape = {xType.getDimSize(0), xType.getDimSize(1)};
  for (int64_t d = 0; d < spatial; ++d)
    outShape.push_back((xType.getDimSize(d + 2) - 1) * strides[d] - pads[d] -
                       pads[d + spatial] + (*kernel)[d]);
  if (llvm::any_of(outShape, [](int64_t d) { return d < 0; }))
    return n.fail("invalid output shape");
  SmallVector<int64_t> padded = outShape;
  if (n.hasInput(2)) {
    FailureOr<SmallVector<int64_t>> s = n.requireConstantInts(2, "output_shape");
    if (failed(s))
      return failure();
    padded = *s;
    if ((int64_t)padded.size() != rank)
      return n.fail("output_shape needs " + Twine(rank) + " entries");
    for (int64_t d = 0; d < rank; ++d)
      if (padded[d] < outShape[d] || (d < 2 && padded[d] != outShape[d]))
        return n.fail("output_shape is smaller than the unpooled shape");
  }
  int64_t total = productOf(outShape, 0, rank), U = xType.getNumElements();
  Type element = xType.getElementType();
  auto flatType = RankedTensorType::get({total}, element);
  if (total == 0 || U == 0) {
    n.setOutput(0, n.splat(xType.clone(padded), 0.0));
    return success();
  }
  Emitter e{n};
  Value idx = e.reshape(e.cast(n.input(1), n.b().getI64Type()), {U});
  Value values = e.reshape(n.input(0), {U});
  Value zeros = n.splat(flatType, 0.0);
  Value sums = e.op<ScatterAddOp>(zeros, idx, values, int64_t(0));
  Value counts = e.op<ScatterAddOp>(zeros, idx, n.splat(flatType.clone({U}), 1.0),
                                    int64_t(0));
  Value out = e.op<DivOp>(sums, e.op<MaxOp>(counts, n.splat(flatType, 1.0)));
  out = e.reshape(out, outShape);
  if (padded != outShape) {
    SmallVector<int64_t> low(rank, 0), high(rank, 0);
    for (int64_t d = 0; d < rank; ++d)
      high[d] = padded[d] - outShape[d];
    out = e.op<PadOp>(out, low, high,
                      TypedAttr(n.b().getFloatAttr(element, 0.0)));
  }
  if (e.bad)
    return failure();
  n.setOutput(0, out);
  return success();
}

} // namespace

void onnx_import::registerSamplingImporters(OpImporterRegistry &r) {
  r.add("GridSample", importGridSample, /*sinceOpset=*/16);
  r.add("MaxUnpool", importMaxUnpool, /*sinceOpset=*/9);
}
