//===- ImportNeuralNet.cpp - ONNX neural-network ops ----------------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// MatMul, Gemm, Conv, pooling, inference BatchNormalization, Softmax and
// LogSoftmax, Dropout in inference mode (their training modes are in
// ImportTraining.cpp). ONNX's sugar is decomposed here: Gemm's transposes
// and scaling, numpy-batched MatMul, auto_pad and ceil_mode, 1-D convolution
// and pooling as 2-D with a unit height.
//
//===----------------------------------------------------------------------===//

#include "ImportNNUtils.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::onnx_import;

FailureOr<Value> onnx_import::buildNumpyMatmul(NodeImporter &n, Value a, Value b) {
  auto aType = cast<RankedTensorType>(a.getType());
  auto bType = cast<RankedTensorType>(b.getType());
  if (aType.getRank() == 0 || bType.getRank() == 0)
    return n.fail("MatMul operands must have rank >= 1");
  bool aVector = aType.getRank() == 1, bVector = bType.getRank() == 1;
  SmallVector<int64_t> aShape(aType.getShape()), bShape(bType.getShape());
  if (aVector)
    aShape.insert(aShape.begin(), 1);
  if (bVector)
    bShape.push_back(1);
  if (aShape.size() > 2 && bShape.size() == 2 &&
      !ShapedType::isDynamicShape(aShape)) {
    // A batch of rows times one matrix (a linear layer on [batch, seq,
    // features]): one 2-D product over the flattened rows, not a batched
    // product with the matrix broadcast to every batch (which costs a copy
    // of the weight per batch element, and packing each).
    int64_t rows = 1;
    for (int64_t d : ArrayRef<int64_t>(aShape).drop_back())
      rows *= d;
    FailureOr<Value> flat = n.reshape(a, {rows, aShape.back()});
    FailureOr<Value> b2 = n.reshape(b, bShape);
    if (failed(flat) || failed(b2))
      return failure();
    FailureOr<Value> product = n.create<MatmulOp>(*flat, *b2);
    if (failed(product))
      return failure();
    SmallVector<int64_t> outShape(ArrayRef<int64_t>(aShape).drop_back());
    if (!bVector)
      outShape.push_back(bShape.back());
    return n.reshape(*product, outShape);
  }
  std::optional<SmallVector<int64_t>> batch = broadcastShapes(
      ArrayRef<int64_t>(aShape).drop_back(2), ArrayRef<int64_t>(bShape).drop_back(2));
  if (!batch)
    return n.fail("MatMul batch dimensions do not broadcast");
  SmallVector<int64_t> aFull(*batch), bFull(*batch);
  aFull.append({aShape[aShape.size() - 2], aShape.back()});
  bFull.append({bShape[bShape.size() - 2], bShape.back()});
  FailureOr<Value> a2 = n.reshape(a, aShape);
  FailureOr<Value> b2 = n.reshape(b, bShape);
  if (failed(a2) || failed(b2))
    return failure();
  a2 = n.broadcastTo(*a2, aFull);
  b2 = n.broadcastTo(*b2, bFull);
  if (failed(a2) || failed(b2))
    return failure();
  FailureOr<Value> product = n.create<MatmulOp>(*a2, *b2);
  if (failed(product))
    return failure();
  SmallVector<int64_t> outShape(
      cast<RankedTensorType>(product->getType()).getShape());
  if (bVector)
    outShape.pop_back();
  if (aVector)
    outShape.erase(outShape.end() - (bVector ? 1 : 2));
  return n.reshape(*product, outShape);
}

namespace {

//===----------------------------------------------------------------------===//
// MatMul and Gemm
//===----------------------------------------------------------------------===//

LogicalResult importMatMul(NodeImporter &n) {
  if (failed(n.expectInputs(2, 2)))
    return failure();
  return n.setResult(buildNumpyMatmul(n, n.input(0), n.input(1)));
}

FailureOr<Value> transpose2d(NodeImporter &n, Value v) {
  return n.create<TransposeOp>(v, ArrayRef<int64_t>{1, 0});
}

/// Y = alpha * A' B' + beta * C.
LogicalResult importGemm(NodeImporter &n) {
  if (failed(n.expectInputs(2, 3)) ||
      failed(n.expectOnlyAttrs({"alpha", "beta", "transA", "transB",
                                "broadcast"})))
    return failure();
  Value a = n.input(0), b = n.input(1);
  if (n.inputType(0).getRank() != 2 || n.inputType(1).getRank() != 2)
    return n.fail("Gemm operands A and B must be 2-D");
  FailureOr<Value> at = n.attrInt("transA", 0) ? transpose2d(n, a) : a;
  FailureOr<Value> bt = n.attrInt("transB", 0) ? transpose2d(n, b) : b;
  if (failed(at) || failed(bt))
    return failure();
  FailureOr<Value> y = n.create<MatmulOp>(*at, *bt);
  if (failed(y))
    return failure();
  float alpha = n.attrFloat("alpha", 1.0f), beta = n.attrFloat("beta", 1.0f);
  if (alpha != 1.0f)
    y = n.create<MulOp>(*y, n.splatLike(*y, alpha));
  if (failed(y))
    return failure();
  if (n.hasInput(2) && beta != 0.0f) {
    FailureOr<Value> c = n.broadcastTo(
        n.input(2), cast<RankedTensorType>(y->getType()).getShape());
    if (failed(c))
      return failure();
    if (beta != 1.0f)
      c = n.create<MulOp>(*c, n.splatLike(*c, beta));
    if (failed(c))
      return failure();
    y = n.create<AddOp>(*y, *c);
  }
  return n.setResult(y);
}

//===----------------------------------------------------------------------===//
// Windows: Conv, ConvTranspose and pooling
//===----------------------------------------------------------------------===//

/// The window of a Conv, ConvTranspose or pooling node, one entry per
/// spatial dimension.
struct Window {
  SmallVector<int64_t> kernel, strides, dilations;
  /// Padding before and after each dimension (declared or from auto_pad).
  SmallVector<int64_t> begin, end;
  /// Padding after each dimension that ceil_mode adds for a last, partial
  /// window (not counted by count_include_pad).
  SmallVector<int64_t> ceilExtra;

  size_t rank() const { return kernel.size(); }
  int64_t effective(size_t i) const {
    return dilations[i] * (kernel[i] - 1) + 1;
  }
  int64_t outSize(size_t i, int64_t in) const {
    return (in + begin[i] + end[i] + ceilExtra[i] - effective(i)) /
               strides[i] + 1;
  }
  bool hasCeilExtra() const {
    return llvm::any_of(ceilExtra, [](int64_t e) { return e > 0; });
  }
  bool hasPadding() const {
    return llvm::any_of(begin, [](int64_t p) { return p != 0; }) ||
           llvm::any_of(end, [](int64_t p) { return p != 0; });
  }
};

/// Reads kernel/strides/dilations/pads for `kernel.size()` spatial dims
/// (auto_pad not applied).
FailureOr<Window> readWindowAttrs(NodeImporter &n, ArrayRef<int64_t> kernel) {
  size_t spatial = kernel.size();
  auto ints = [&](StringRef name, size_t count,
                  int64_t fallback) -> FailureOr<SmallVector<int64_t>> {
    std::optional<SmallVector<int64_t>> v = n.attrInts(name);
    if (!v || v->empty())
      return SmallVector<int64_t>(count, fallback);
    if (v->size() != count)
      return n.fail("attribute '" + name + "' has " + Twine(v->size()) +
                    " entries, expected " + Twine(count));
    return *v;
  };
  FailureOr<SmallVector<int64_t>> strides = ints("strides", spatial, 1);
  FailureOr<SmallVector<int64_t>> dilations = ints("dilations", spatial, 1);
  FailureOr<SmallVector<int64_t>> pads = ints("pads", 2 * spatial, 0);
  if (failed(strides) || failed(dilations) || failed(pads))
    return failure();
  Window w;
  w.kernel.assign(kernel.begin(), kernel.end());
  w.strides = *strides;
  w.dilations = *dilations;
  w.begin.assign(pads->begin(), pads->begin() + spatial);
  w.end.assign(pads->begin() + spatial, pads->end());
  w.ceilExtra.assign(spatial, 0);
  for (size_t i = 0; i < spatial; ++i) {
    if (w.kernel[i] < 1)
      return n.fail("kernel sizes must be >= 1");
    if (w.strides[i] < 1 || w.dilations[i] < 1)
      return n.fail("strides and dilations must be >= 1");
  }
  return w;
}

/// The window of a Conv or pooling node over `inShape` (N, C, spatial...):
/// auto_pad resolved, ceil_mode's extra end padding in `ceilExtra`.
FailureOr<Window> readWindow(NodeImporter &n, ArrayRef<int64_t> inShape,
                             ArrayRef<int64_t> kernel, bool ceilMode) {
  FailureOr<Window> w = readWindowAttrs(n, kernel);
  if (failed(w))
    return failure();
  std::string autoPad = n.attrString("auto_pad", "NOTSET");
  for (size_t i = 0; i < w->rank(); ++i) {
    int64_t in = inShape[2 + i];
    if (ShapedType::isDynamic(in))
      return n.fail("windows need static spatial sizes");
    if (w->begin[i] < 0 || w->end[i] < 0)
      return n.fail("pads must be non-negative");
    int64_t effective = w->effective(i), stride = w->strides[i];
    if (autoPad == "VALID") {
      w->begin[i] = w->end[i] = 0;
    } else if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
      int64_t out = (in + stride - 1) / stride;
      int64_t total = std::max<int64_t>(0, (out - 1) * stride + effective - in);
      w->begin[i] = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
      w->end[i] = total - w->begin[i];
    } else if (autoPad != "NOTSET" && !autoPad.empty()) {
      return n.fail("unsupported auto_pad '" + autoPad + "'");
    }
    int64_t span = in + w->begin[i] + w->end[i] - effective;
    if (span < 0)
      return n.fail("the window is larger than the padded input");
    if (ceilMode) {
      // One more window where a partial one fits, as long as it starts
      // inside the input or its leading padding.
      int64_t out = (span + stride - 1) / stride + 1;
      if ((out - 1) * stride >= in + w->begin[i])
        --out;
      w->ceilExtra[i] = std::max<int64_t>(
          0, (out - 1) * stride + effective - (in + w->begin[i] + w->end[i]));
    }
  }
  return *w;
}

/// The attributes of a 2-D window op for the spatial dimensions [first,
/// rank) of `w` (one or two of them; one gets a unit height).
struct Window2d {
  SmallVector<int64_t, 2> kernel, strides, dilations;
  SmallVector<int64_t, 4> padding; // top, left, bottom, right
};

Window2d window2d(const Window &w, size_t first, bool withCeil) {
  Window2d a;
  auto endPad = [&](size_t i) {
    return w.end[i] + (withCeil ? w.ceilExtra[i] : 0);
  };
  if (w.rank() - first == 1) {
    size_t i = first;
    a.kernel = {1, w.kernel[i]};
    a.strides = {1, w.strides[i]};
    a.dilations = {1, w.dilations[i]};
    a.padding = {0, w.begin[i], 0, endPad(i)};
  } else {
    size_t h = first, x = first + 1;
    a.kernel = {w.kernel[h], w.kernel[x]};
    a.strides = {w.strides[h], w.strides[x]};
    a.dilations = {w.dilations[h], w.dilations[x]};
    a.padding = {w.begin[h], w.begin[x], endPad(h), endPad(x)};
  }
  return a;
}

/// [N, C, L] -> [N, C, 1, L]; identity for other ranks.
Value to4d(Composer &c, Value v) {
  if (!v || shapeOf(v).size() != 3)
    return v;
  SmallVector<int64_t> shape(shapeOf(v));
  shape.insert(shape.begin() + 2, 1);
  return c.reshape(v, shape);
}

/// Undoes to4d on a result when the input had rank 3.
Value from4d(Composer &c, Value v, int64_t originalRank) {
  if (!v || originalRank != 3)
    return v;
  SmallVector<int64_t> shape(shapeOf(v));
  shape.erase(shape.begin() + 2);
  return c.reshape(v, shape);
}

/// `v` padded along `axis` with `low`/`high` copies of `value`.
Value padAxis(Composer &c, Value v, int64_t axis, int64_t low, int64_t high,
              TypedAttr value) {
  if (!v || (low == 0 && high == 0))
    return v;
  SmallVector<int64_t> lows(shapeOf(v).size(), 0), highs(lows);
  lows[axis] = low;
  highs[axis] = high;
  return c.op<PadOp>(v, lows, highs, value);
}

TypedAttr zeroOf(Type element) {
  if (auto f = dyn_cast<FloatType>(element))
    return FloatAttr::get(f, 0.0);
  return IntegerAttr::get(element, 0);
}

TypedAttr lowestOf(Type element) {
  if (auto f = dyn_cast<FloatType>(element))
    return FloatAttr::get(f, APFloat::getInf(f.getFloatSemantics(), true));
  return IntegerAttr::get(
      element, APInt::getSignedMinValue(element.getIntOrFloatBitWidth()));
}

LogicalResult checkSpatialRank(NodeImporter &n, RankedTensorType type) {
  int64_t rank = type.getRank();
  if (rank < 3 || rank > 5)
    return n.fail("only 1-D, 2-D and 3-D windows are supported (input rank " +
                  Twine(rank) + ")");
  if (rank == 5 && !type.hasStaticShape())
    return n.fail("3-D windows need a static input shape");
  return success();
}

/// Calls `body(kd, slice)` for each depth tap of a 3-D window over `x`,
/// already padded along its depth axis `axis`: `slice` holds the depth
/// positions that tap reads for every output depth (OD of them).
template <typename Fn>
void forEachDepthTap(Composer &c, Value x, int64_t axis, const Window &w,
                     int64_t outDepth, Fn body) {
  for (int64_t kd = 0; kd < w.kernel[0] && !c.failed(); ++kd)
    body(kd, c.sliceAxis(x, axis, kd * w.dilations[0], outDepth,
                         w.strides[0]));
}

/// Cross-correlation of `x` [N, C, spatial...] with `filter` [F, C/groups,
/// k...], 1-D (unit height), 2-D, or 3-D as a sum over depth taps of 2-D
/// convolutions of depth slices (batch and output depth folded together).
Value buildConv(Composer &c, Value x, Value filter, const Window &w,
                int64_t groups) {
  if (c.failed())
    return {};
  int64_t rank = shapeOf(x).size();
  if (rank <= 4) {
    Window2d a = window2d(w, 0, false);
    Value x4 = to4d(c, x);
    Value filter4 = to4d(c, filter);
    Value y = c.op<Conv2dOp>(x4, filter4, a.strides, a.padding, a.dilations,
                             groups);
    return from4d(c, y, rank);
  }
  SmallVector<int64_t> xs(shapeOf(x)), fs(shapeOf(filter));
  int64_t outDepth = w.outSize(0, xs[2]);
  // Depth next to the batch: [N, D + pads, C, H, W].
  Value padded = c.transpose(padAxis(c, x, 2, w.begin[0], w.end[0],
                                     zeroOf(elementTypeOf(x))),
                             {0, 2, 1, 3, 4});
  Window2d a = window2d(w, 1, false);
  Value sum;
  forEachDepthTap(c, padded, 1, w, outDepth, [&](int64_t kd, Value slice) {
    // [N, OD, C, H, W] -> [N * OD, C, H, W].
    Value folded =
        c.reshape(slice, {xs[0] * outDepth, xs[1], xs[3], xs[4]});
    Value tap = c.reshape(c.sliceAxis(filter, 2, kd, 1),
                          {fs[0], fs[1], fs[3], fs[4]});
    Value y = c.op<Conv2dOp>(folded, tap, a.strides, a.padding, a.dilations,
                             groups);
    sum = sum ? c.add(sum, y) : y;
  });
  if (c.failed())
    return {};
  ArrayRef<int64_t> ys = shapeOf(sum);
  return c.transpose(c.reshape(sum, {xs[0], outDepth, fs[0], ys[2], ys[3]}),
                     {0, 2, 1, 3, 4});
}

/// Max over each window; padding never wins.
Value buildMaxPool(Composer &c, Value x, const Window &w) {
  if (c.failed())
    return {};
  int64_t rank = shapeOf(x).size();
  if (rank <= 4) {
    Window2d a = window2d(w, 0, true);
    return from4d(c,
                  c.op<MaxPool2dOp>(to4d(c, x), a.kernel, a.strides,
                                    a.padding, a.dilations),
                  rank);
  }
  SmallVector<int64_t> xs(shapeOf(x));
  int64_t outDepth = w.outSize(0, xs[2]);
  Value padded = padAxis(c, x, 2, w.begin[0], w.end[0] + w.ceilExtra[0],
                         lowestOf(elementTypeOf(x)));
  Window2d a = window2d(w, 1, true);
  Value result;
  forEachDepthTap(c, padded, 2, w, outDepth, [&](int64_t, Value slice) {
    // Channels and output depth pool alike: [N, C * OD, H, W].
    Value folded = c.reshape(slice, {xs[0], xs[1] * outDepth, xs[3], xs[4]});
    Value y = c.op<MaxPool2dOp>(folded, a.kernel, a.strides, a.padding,
                                a.dilations);
    result = result ? c.max(result, y) : y;
  });
  if (c.failed())
    return {};
  ArrayRef<int64_t> ys = shapeOf(result);
  return c.reshape(result, {xs[0], xs[1], outDepth, ys[2], ys[3]});
}

/// The sum of each window, padding (declared and ceil_mode's) read as 0: an
/// avg_pool2d that counts its padding, times the 2-D window area.
Value buildSumPool(Composer &c, Value x, const Window &w) {
  if (c.failed())
    return {};
  int64_t rank = shapeOf(x).size();
  Window2d a = window2d(w, rank <= 4 ? 0 : 1, true);
  double area = double(a.kernel[0] * a.kernel[1]);
  auto pool2d = [&](Value v) {
    return c.op<AvgPool2dOp>(v, a.kernel, a.strides, a.padding, a.dilations,
                             /*count_include_pad=*/true);
  };
  if (rank <= 4)
    return from4d(c, c.mulC(pool2d(to4d(c, x)), area), rank);
  SmallVector<int64_t> xs(shapeOf(x));
  int64_t outDepth = w.outSize(0, xs[2]);
  Value padded = padAxis(c, x, 2, w.begin[0], w.end[0] + w.ceilExtra[0],
                         zeroOf(elementTypeOf(x)));
  Value sum;
  forEachDepthTap(c, padded, 2, w, outDepth, [&](int64_t, Value slice) {
    Value y = pool2d(
        c.reshape(slice, {xs[0], xs[1] * outDepth, xs[3], xs[4]}));
    sum = sum ? c.add(sum, y) : y;
  });
  if (c.failed())
    return {};
  ArrayRef<int64_t> ys = shapeOf(sum);
  return c.reshape(c.mulC(sum, area),
                   {xs[0], xs[1], outDepth, ys[2], ys[3]});
}

/// Mean of each window: divided by the window's taps inside the input
/// (or, with `countPad`, inside the declared padding, not ceil_mode's).
Value buildAvgPool(Composer &c, Value x, const Window &w, bool countPad) {
  if (c.failed())
    return {};
  int64_t rank = shapeOf(x).size();
  if (rank <= 4 && !(countPad && w.hasCeilExtra())) {
    Window2d a = window2d(w, 0, true);
    return from4d(c,
                  c.op<AvgPool2dOp>(to4d(c, x), a.kernel, a.strides,
                                    a.padding, a.dilations, countPad),
                  rank);
  }
  Value sum = buildSumPool(c, x, w);
  if (c.failed())
    return {};
  SmallVector<int64_t> xs(shapeOf(x)), ys(shapeOf(sum));
  int64_t volume = 1;
  for (int64_t k : w.kernel)
    volume *= k;
  if ((countPad || !w.hasPadding()) && !w.hasCeilExtra())
    return c.mulC(sum, 1.0 / double(volume));
  // Each window's count is the product of its per-dimension counts.
  SmallVector<SmallVector<double>> counts;
  for (size_t i = 0; i < w.rank(); ++i) {
    int64_t in = xs[2 + i];
    int64_t lo = countPad ? -w.begin[i] : 0;
    int64_t hi = countPad ? in + w.end[i] : in;
    SmallVector<double> perDim;
    for (int64_t o = 0; o < ys[2 + i]; ++o) {
      int64_t count = 0;
      for (int64_t t = 0; t < w.kernel[i]; ++t) {
        int64_t pos = o * w.strides[i] + t * w.dilations[i] - w.begin[i];
        count += pos >= lo && pos < hi;
      }
      perDim.push_back(double(std::max<int64_t>(count, 1)));
    }
    counts.push_back(perDim);
  }
  SmallVector<int64_t> divisorShape(rank, 1);
  SmallVector<double> divisors{1.0};
  for (size_t i = 0; i < w.rank(); ++i) {
    divisorShape[2 + i] = ys[2 + i];
    SmallVector<double> next;
    for (double d : divisors)
      for (double k : counts[i])
        next.push_back(d * k);
    divisors = next;
  }
  Value divisor = c.literal(
      RankedTensorType::get(divisorShape, elementTypeOf(x)), divisors);
  return c.div(sum, c.broadcastTo(divisor, ys));
}

/// The flat index (into the unpadded input, row-major, or column-major over
/// the spatial dimensions with `columnMajor`) of the first maximum of each
/// 2-D window: the windows' taps compared one after another.
Value buildMaxPoolIndices(Composer &c, Value x, const Window &w,
                          bool columnMajor) {
  if (c.failed())
    return {};
  int64_t rank = shapeOf(x).size();
  Value x4 = to4d(c, x);
  SmallVector<int64_t> xs(shapeOf(x4));
  Window2d a = window2d(w, 0, true);
  int64_t n = xs[0], ch = xs[1], h = xs[2], wd = xs[3];
  int64_t oh = (h + a.padding[0] + a.padding[2] -
                a.dilations[0] * (a.kernel[0] - 1) - 1) / a.strides[0] + 1;
  int64_t ow = (wd + a.padding[1] + a.padding[3] -
                a.dilations[1] * (a.kernel[1] - 1) - 1) / a.strides[1] + 1;
  Value padded = c.op<PadOp>(
      x4, ArrayRef<int64_t>{0, 0, a.padding[0], a.padding[1]},
      ArrayRef<int64_t>{0, 0, a.padding[2], a.padding[3]},
      lowestOf(elementTypeOf(x)));
  SmallVector<int64_t> outShape{n, ch, oh, ow};
  // (n * C + c) * H * W, the offset of each plane.
  SmallVector<int64_t> planes;
  for (int64_t p = 0; p < n * ch; ++p)
    planes.push_back(p * h * wd);
  Value planeBase = c.broadcastTo(c.indices({n, ch, 1, 1}, planes), outShape);
  Value best, bestIndex;
  for (int64_t kh = 0; kh < a.kernel[0]; ++kh) {
    for (int64_t kw = 0; kw < a.kernel[1]; ++kw) {
      Value tap = c.op<SliceOp>(
          padded,
          ArrayRef<int64_t>{0, 0, kh * a.dilations[0], kw * a.dilations[1]},
          ArrayRef<int64_t>(outShape),
          ArrayRef<int64_t>{1, 1, a.strides[0], a.strides[1]});
      SmallVector<int64_t> positions;
      for (int64_t y = 0; y < oh; ++y) {
        for (int64_t z = 0; z < ow; ++z) {
          int64_t r = std::clamp<int64_t>(
              y * a.strides[0] + kh * a.dilations[0] - a.padding[0], 0, h - 1);
          int64_t q = std::clamp<int64_t>(
              z * a.strides[1] + kw * a.dilations[1] - a.padding[1], 0, wd - 1);
          positions.push_back(columnMajor ? q * h + r : r * wd + q);
        }
      }
      Value index = c.add(
          c.broadcastTo(c.indices({1, 1, oh, ow}, positions), outShape),
          planeBase);
      if (!best) {
        best = tap;
        bestIndex = index;
        continue;
      }
      Value better = c.cmp(ComparePredicate::gt, tap, best);
      best = c.select(better, tap, best);
      bestIndex = c.select(better, index, bestIndex);
    }
  }
  return from4d(c, bestIndex, rank);
}

} // namespace

Value onnx_import::buildConvFromNode(Composer &c, Value x, Value filter) {
  NodeImporter &n = c.node();
  if (!x || !filter || c.failed())
    return {};
  auto xType = cast<RankedTensorType>(x.getType());
  auto wType = cast<RankedTensorType>(filter.getType());
  if (!c.check(checkSpatialRank(n, xType)))
    return {};
  if (wType.getRank() != xType.getRank())
    return c.fail("weight rank differs from input rank");
  SmallVector<int64_t> kernel(wType.getShape().drop_front(2));
  if (llvm::any_of(kernel, ShapedType::isDynamic))
    return c.fail("the weight's spatial size must be static");
  if (std::optional<SmallVector<int64_t>> ks = n.attrInts("kernel_shape"))
    if (!ks->empty() && *ks != kernel)
      return c.fail("kernel_shape differs from the weight's spatial size");
  FailureOr<Window> w = readWindow(n, xType.getShape(), kernel, false);
  if (!c.check(w))
    return {};
  return buildConv(c, x, filter, *w, n.attrInt("group", 1));
}

namespace {

LogicalResult importConv(NodeImporter &n) {
  if (failed(n.expectInputs(2, 3)) ||
      failed(n.expectOnlyAttrs({"auto_pad", "dilations", "group",
                                "kernel_shape", "pads", "strides"})))
    return failure();
  Composer c(n);
  Value y = buildConvFromNode(c, n.input(0), n.input(1));
  if (n.hasInput(2) && y) {
    // Bias [F] -> [1, F, 1, ...], broadcast over the output.
    SmallVector<int64_t> channel(shapeOf(y).size(), 1);
    channel[1] = shapeOf(y)[1];
    y = c.add(y, c.broadcastLike(c.reshape(n.input(2), channel), y));
  }
  return c.result(y);
}

/// ConvTranspose: the adjoint of a convolution, kiln.conv2d_backward_input
/// with ConvTranspose's weight [C, M/groups, k...] as the forward filter.
/// Along each dimension the output covers positions [begin, full +
/// output_padding - end) of the uncropped result of `full = stride * (in -
/// 1) + dilation * (k - 1) + 1` positions; the part inside [0, full) is
/// computed, the rest (negative pads, output_padding past the end) is 0.
LogicalResult importConvTranspose(NodeImporter &n) {
  if (failed(n.expectInputs(2, 3)) ||
      failed(n.expectOnlyAttrs({"auto_pad", "dilations", "group",
                                "kernel_shape", "output_padding",
                                "output_shape", "pads", "strides"})))
    return failure();
  RankedTensorType xType = n.inputType(0), wType = n.inputType(1);
  if (failed(checkSpatialRank(n, xType)))
    return failure();
  if (!xType.hasStaticShape() || !wType.hasStaticShape())
    return n.fail("ConvTranspose needs static input and weight shapes");
  if (wType.getRank() != xType.getRank())
    return n.fail("weight rank differs from input rank");
  int64_t rank = xType.getRank();
  size_t spatial = rank - 2;
  int64_t groups = n.attrInt("group", 1);
  ArrayRef<int64_t> xs = xType.getShape(), ws = wType.getShape();
  if (groups < 1 || xs[1] % groups || ws[0] != xs[1])
    return n.fail("weight has " + Twine(ws[0]) + " input channels, expected " +
                  Twine(xs[1]) + " (divisible by group " + Twine(groups) + ")");
  int64_t outChannels = ws[1] * groups;
  SmallVector<int64_t> kernel(ws.drop_front(2));
  if (std::optional<SmallVector<int64_t>> ks = n.attrInts("kernel_shape"))
    if (!ks->empty() && *ks != kernel)
      return n.fail("kernel_shape differs from the weight's spatial size");
  FailureOr<Window> w = readWindowAttrs(n, kernel);
  if (failed(w))
    return failure();
  SmallVector<int64_t> outputPadding =
      n.attrInts("output_padding").value_or(SmallVector<int64_t>());
  if (outputPadding.empty())
    outputPadding.assign(spatial, 0);
  if (outputPadding.size() != spatial)
    return n.fail("output_padding needs one entry per spatial dimension");
  std::string autoPad = n.attrString("auto_pad", "NOTSET");
  std::optional<SmallVector<int64_t>> outputShape = n.attrInts("output_shape");
  if (outputShape && outputShape->size() > spatial)
    outputShape->erase(outputShape->begin(),
                       outputShape->end() - spatial); // N, C given too
  if (outputShape && outputShape->size() != spatial)
    return n.fail("output_shape needs one entry per spatial dimension");
  bool same = autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER";
  if (!same && autoPad != "NOTSET" && autoPad != "VALID" && !autoPad.empty())
    return n.fail("unsupported auto_pad '" + autoPad + "'");

  // Per dimension: the uncropped extent and the covered range [lo, hi).
  SmallVector<int64_t> full(spatial), lo(spatial), hi(spatial);
  for (size_t i = 0; i < spatial; ++i) {
    full[i] = w->strides[i] * (xs[2 + i] - 1) + w->effective(i);
    int64_t begin = w->begin[i], end = w->end[i];
    if (outputShape || same) {
      int64_t out = outputShape ? (*outputShape)[i] : xs[2 + i] * w->strides[i];
      int64_t total = full[i] + outputPadding[i] - out;
      int64_t half = total >= 0 ? total / 2 : -((-total + 1) / 2); // floor
      bool upper = autoPad == "SAME_UPPER";
      begin = upper ? half : total - half;
      end = upper ? total - half : half;
    } else if (autoPad == "VALID") {
      begin = end = 0;
    }
    lo[i] = begin;
    hi[i] = full[i] + outputPadding[i] - end;
    if (hi[i] <= lo[i])
      return n.fail("the output would be empty");
  }

  // The computed part [max(lo, 0), min(hi, full)), as conv2d_backward_input
  // whose forward padding is what lies outside it.
  Composer c(n);
  Type element = xType.getElementType();
  SmallVector<int64_t> coreLo(spatial), coreHi(spatial);
  for (size_t i = 0; i < spatial; ++i) {
    coreLo[i] = std::clamp<int64_t>(lo[i], 0, full[i]);
    coreHi[i] = std::clamp<int64_t>(hi[i], 0, full[i]);
    if (coreHi[i] <= coreLo[i])
      return n.fail("the output covers no computed position");
  }
  // The 2-D backward-input convolution of [B, C, H, W] over the last one or
  // two spatial dimensions (from `first`), giving [B, M, H', W'].
  auto transposed2d = [&](Value grad, Value filter, size_t first) -> Value {
    if (!grad || !filter)
      return {};
    // The spatial dimensions that become H and W (-1: a unit height).
    int64_t dims[2] = {spatial - first == 1 ? -1 : (int64_t)first,
                       (int64_t)spatial - 1};
    SmallVector<int64_t, 2> strides, dilations;
    SmallVector<int64_t, 4> padding(4, 0); // top, left, bottom, right
    SmallVector<int64_t> shape{shapeOf(grad)[0], outChannels};
    for (int k = 0; k < 2; ++k) {
      if (dims[k] < 0) {
        strides.push_back(1);
        dilations.push_back(1);
        shape.push_back(1);
        continue;
      }
      size_t i = dims[k];
      strides.push_back(w->strides[i]);
      dilations.push_back(w->dilations[i]);
      padding[k] = coreLo[i];
      padding[2 + k] = full[i] - coreHi[i];
      shape.push_back(coreHi[i] - coreLo[i]);
    }
    return c.op<Conv2dBackwardInputOp>(RankedTensorType::get(shape, element),
                                       grad, filter, strides, padding,
                                       dilations, groups);
  };

  Value core;
  if (spatial <= 2) {
    Value x4 = to4d(c, n.input(0));
    Value w4 = to4d(c, n.input(1));
    core = from4d(c, transposed2d(x4, w4, 0), rank);
  } else {
    // 3-D: each depth tap kd of the weight maps input depth d to output
    // depth d * stride + kd * dilation; those 2-D results are placed there
    // and summed. Batch and input depth are folded together.
    int64_t depth = xs[2];
    Value folded = c.reshape(c.transpose(n.input(0), {0, 2, 1, 3, 4}),
                             {xs[0] * depth, xs[1], xs[3], xs[4]});
    Value sum;
    for (int64_t kd = 0; kd < kernel[0] && !c.failed(); ++kd) {
      Value tap = c.reshape(c.sliceAxis(n.input(1), 2, kd, 1),
                            {ws[0], ws[1], ws[3], ws[4]});
      Value y = transposed2d(folded, tap, 1);
      if (!y)
        break;
      ArrayRef<int64_t> ys = shapeOf(y);
      y = c.reshape(y, {xs[0], depth, outChannels, ys[2], ys[3]});
      SmallVector<int64_t> placed{xs[0], full[0], outChannels, ys[2], ys[3]};
      y = c.op<SliceBackwardOp>(
          RankedTensorType::get(placed, element), y,
          ArrayRef<int64_t>{0, kd * w->dilations[0], 0, 0, 0},
          ArrayRef<int64_t>{1, w->strides[0], 1, 1, 1});
      sum = sum ? c.add(sum, y) : y;
    }
    sum = c.sliceAxis(sum, 1, coreLo[0], coreHi[0] - coreLo[0]);
    core = c.transpose(sum, {0, 2, 1, 3, 4});
  }
  // Positions outside [0, full) are zeros.
  if (core) {
    SmallVector<int64_t> low(rank, 0), high(rank, 0);
    for (size_t i = 0; i < spatial; ++i) {
      low[2 + i] = coreLo[i] - lo[i];
      high[2 + i] = hi[i] - coreHi[i];
    }
    if (llvm::any_of(low, [](int64_t p) { return p; }) ||
        llvm::any_of(high, [](int64_t p) { return p; }))
      core = c.op<PadOp>(core, low, high, zeroOf(element));
  }
  if (n.hasInput(2) && core) {
    SmallVector<int64_t> channel(rank, 1);
    channel[1] = outChannels;
    core = c.add(core, c.broadcastLike(c.reshape(n.input(2), channel), core));
  }
  return c.result(core);
}

/// MaxPool, AveragePool and LpPool over 1-D, 2-D and 3-D windows.
enum class PoolKind { Max, Average, Lp };

template <PoolKind Kind> LogicalResult importPool(NodeImporter &n) {
  if (failed(n.expectInputs(1, 1)))
    return failure();
  if (failed(n.expectOnlyAttrs({"auto_pad", "ceil_mode", "count_include_pad",
                                "dilations", "kernel_shape", "pads", "p",
                                "strides", "storage_order"})))
    return failure();
  RankedTensorType xType = n.inputType(0);
  if (failed(checkSpatialRank(n, xType)))
    return failure();
  if (Kind != PoolKind::Max && !isa<FloatType>(xType.getElementType()))
    return n.fail("pooling of integers is only supported by MaxPool");
  std::optional<SmallVector<int64_t>> kernel = n.attrInts("kernel_shape");
  if (!kernel || (int64_t)kernel->size() != xType.getRank() - 2)
    return n.fail("kernel_shape must hold one size per spatial dimension");
  FailureOr<Window> w =
      readWindow(n, xType.getShape(), *kernel, n.attrInt("ceil_mode", 0));
  if (failed(w))
    return failure();
  Composer c(n);
  Value x = n.input(0);
  if constexpr (Kind == PoolKind::Max) {
    // Integers pool exactly as f64 (up to 32 bits), then convert back.
    Type element = xType.getElementType();
    if (!isa<FloatType>(element)) {
      if (element.getIntOrFloatBitWidth() > 32 || element.isInteger(1))
        return n.fail("MaxPool supports integers of up to 32 bits");
      x = c.castTo(x, n.b().getF64Type());
    }
    if (n.wantsOutput(1)) {
      if (xType.getRank() == 5)
        return n.fail("the Indices output of a 3-D MaxPool is not supported");
      if (!xType.hasStaticShape())
        return n.fail("the Indices output needs a static input shape");
      Value indices =
          buildMaxPoolIndices(c, x, *w, n.attrInt("storage_order", 0) == 1);
      if (failed(c.finish(1, indices)))
        return failure();
    }
    return c.result(c.castTo(buildMaxPool(c, x, *w), element));
  } else if constexpr (Kind == PoolKind::Average) {
    return c.result(buildAvgPool(c, x, *w, n.attrInt("count_include_pad", 0)));
  } else {
    int64_t p = n.attrInt("p", 2);
    if (p < 1)
      return n.fail("p must be >= 1");
    Value magnitude = c.op<AbsOp>(x);
    if (p == 1)
      return c.result(buildSumPool(c, magnitude, *w));
    if (p == 2)
      return c.result(c.op<SqrtOp>(buildSumPool(c, c.mul(x, x), *w)));
    Value powered = c.op<PowOp>(magnitude, c.splatLike(x, double(p)));
    Value sum = buildSumPool(c, powered, *w);
    return c.result(c.op<PowOp>(sum, c.splatLike(sum, 1.0 / double(p))));
  }
}

/// GlobalAveragePool / GlobalMaxPool: a reduction over every spatial axis.
template <typename ReduceOpT> LogicalResult importGlobalPool(NodeImporter &n) {
  if (failed(n.expectInputs(1, 1)))
    return failure();
  int64_t rank = n.inputType(0).getRank();
  if (rank < 3)
    return n.fail("input must have rank >= 3 (N, C, spatial...)");
  SmallVector<int64_t> axes = llvm::to_vector(llvm::seq<int64_t>(2, rank));
  return n.setResult(n.create<ReduceOpT>(n.input(0), axes, true));
}

//===----------------------------------------------------------------------===//
// Quantized convolutions: ConvInteger and QLinearConv (the other linear
// quantization ops are in ImportQuantize.cpp)
//===----------------------------------------------------------------------===//

/// A scale or zero point: rank 0 / one element (per tensor) or 1-D along
/// `axis` of `shape` (per axis), broadcast to `shape`.
Value perAxis(Composer &c, Value v, ArrayRef<int64_t> shape, int64_t axis) {
  if (!v)
    return v;
  ArrayRef<int64_t> vs = shapeOf(v);
  int64_t count = 1;
  for (int64_t d : vs)
    count *= d;
  if (count == 1)
    return c.broadcastTo(c.reshape(v, {}), shape);
  if (vs.size() != 1 || axis < 0 || axis >= (int64_t)shape.size() ||
      vs[0] != shape[axis])
    return c.fail("scale and zero point must be scalars or 1-D along the "
                  "axis");
  SmallVector<int64_t> line(shape.size(), 1);
  line[axis] = vs[0];
  return c.broadcastTo(c.reshape(v, line), shape);
}

/// The range of an integer element type, as doubles.
std::pair<double, double> integerRange(Type t) {
  unsigned bits = t.getIntOrFloatBitWidth();
  if (t.isUnsignedInteger())
    return {0.0, std::ldexp(1.0, bits) - 1};
  return {-std::ldexp(1.0, bits - 1), std::ldexp(1.0, bits - 1) - 1};
}

/// saturate(round(x / scale) + zeroPoint) as `target`; all float operands
/// of one type, already broadcast.
Value quantize(Composer &c, Value x, Value scale, Value zeroPoint,
               Type target) {
  Value q = c.op<RoundOp>(c.div(x, scale));
  if (zeroPoint)
    q = c.add(q, zeroPoint);
  auto [lo, hi] = integerRange(target);
  q = c.minC(c.maxC(q, lo), hi);
  return c.castTo(q, target);
}

bool isQuantizedType(Type t) {
  return isa<IntegerType>(t) && !t.isInteger(1) &&
         t.getIntOrFloatBitWidth() <= 32;
}

/// An integer operand minus its zero point, as `compute`: the zero point is
/// a scalar, or 1-D along `axis` (per row of A, per column of B, per output
/// channel of a filter).
Value centered(Composer &c, Value v, Value zeroPoint, int64_t axis,
               Type compute) {
  Value x = c.castTo(v, compute);
  if (!zeroPoint)
    return x;
  return c.sub(x, perAxis(c, c.castTo(zeroPoint, compute), shapeOf(x), axis));
}

LogicalResult checkIntegerInputs(NodeImporter &n, ArrayRef<int> inputs) {
  for (int i : inputs) {
    if (!n.hasInput(i))
      continue;
    if (!isQuantizedType(n.inputType(i).getElementType()))
      return n.fail("input " + Twine(i) + " must hold 8- to 32-bit integers");
    if (!n.inputType(i).hasStaticShape())
      return n.fail("input " + Twine(i) + " must have a static shape");
  }
  return success();
}

/// (x - x_zero_point) conv (w - w_zero_point), exact in f64.
Value integerConv(Composer &c, Value x, Value xZero, Value w, Value wZero) {
  Type f64 = c.node().b().getF64Type();
  return buildConvFromNode(c, centered(c, x, xZero, 1, f64),
                           centered(c, w, wZero, 0, f64));
}

LogicalResult importConvInteger(NodeImporter &n) {
  if (failed(n.expectInputs(2, 4)) ||
      failed(n.expectOnlyAttrs({"auto_pad", "dilations", "group",
                                "kernel_shape", "pads", "strides"})) ||
      failed(checkIntegerInputs(n, {0, 1, 2, 3})))
    return failure();
  Composer c(n);
  Value y = integerConv(c, n.input(0), n.hasInput(2) ? n.input(2) : Value(),
                        n.input(1), n.hasInput(3) ? n.input(3) : Value());
  return c.result(c.castTo(y, n.b().getI32Type()));
}

/// QLinearConv: the integer convolution plus the i32 bias, scaled by
/// x_scale * w_scale (per output channel) and requantized.
LogicalResult importQLinearConv(NodeImporter &n) {
  if (failed(n.expectInputs(8, 9)) ||
      failed(n.expectOnlyAttrs({"auto_pad", "dilations", "group",
                                "kernel_shape", "pads", "strides"})) ||
      failed(checkIntegerInputs(n, {0, 2, 3, 5, 7, 8})))
    return failure();
  Composer c(n);
  Type f32 = n.b().getF32Type();
  Value acc = integerConv(c, n.input(0), n.input(2), n.input(3), n.input(5));
  if (!acc)
    return failure();
  ArrayRef<int64_t> shape = shapeOf(acc);
  if (n.hasInput(8))
    acc = c.add(acc, perAxis(c, c.castTo(n.input(8), elementTypeOf(acc)),
                             shape, 1));
  Value y = c.castTo(acc, f32);
  Value scale = c.mul(perAxis(c, c.castTo(n.input(1), f32), shape, 1),
                      perAxis(c, c.castTo(n.input(4), f32), shape, 1));
  y = c.mul(y, scale);
  Value yScale = perAxis(c, c.castTo(n.input(6), f32), shape, 1);
  Value yZero = perAxis(c, c.castTo(n.input(7), f32), shape, 1);
  return c.result(quantize(c, y, yScale, yZero, n.inputType(7).getElementType()));
}

//===----------------------------------------------------------------------===//
// BatchNormalization (inference), Softmax, Dropout
//===----------------------------------------------------------------------===//

/// y = (x - mean) * (scale / sqrt(var + eps)) + bias, per channel.
LogicalResult importBatchNorm(NodeImporter &n) {
  if (failed(n.expectInputs(5, 5)))
    return failure();
  // Training mode (batch statistics, running-stat outputs): ImportTraining.
  bool extraOutputs = false;
  for (int i = 1; i < n.numOutputs(); ++i)
    extraOutputs |= n.wantsOutput(i);
  if (n.attrInt("training_mode", 0) || extraOutputs ||
      (n.opset() < 7 && n.attr("is_test") && !n.attrInt("is_test", 0)))
    return importBatchNormTraining(n);
  RankedTensorType xType = n.inputType(0);
  if (xType.getRank() < 2)
    return n.fail("input must have rank >= 2");
  static const char *names[] = {"scale", "B", "input_mean", "input_var"};
  for (int i = 1; i <= 4; ++i) {
    RankedTensorType t = n.inputType(i);
    int64_t c = xType.getDimSize(1);
    if (t.getRank() != 1 ||
        (!ShapedType::isDynamic(c) && !ShapedType::isDynamic(t.getDimSize(0)) &&
         t.getDimSize(0) != c))
      return n.fail(Twine(names[i - 1]) + " must have shape [C] = [" +
                    Twine(c) + "] (the input's channels)");
  }
  Value scale = n.input(1), bias = n.input(2), mean = n.input(3),
        var = n.input(4);
  float eps = n.attrFloat("epsilon", 1e-5f);
  FailureOr<Value> denom = n.create<AddOp>(var, n.splatLike(var, eps));
  if (failed(denom))
    return failure();
  FailureOr<Value> inv = n.create<RsqrtOp>(*denom);
  if (failed(inv))
    return failure();
  FailureOr<Value> factor = n.create<MulOp>(scale, *inv);
  if (failed(factor))
    return failure();
  // Per-channel [C] values broadcast as [1, C, 1, ...].
  SmallVector<int64_t> channelShape(xType.getRank(), 1);
  channelShape[1] = xType.getDimSize(1);
  auto perChannel = [&](Value v) -> FailureOr<Value> {
    FailureOr<Value> r = n.reshape(v, channelShape);
    if (failed(r))
      return failure();
    return n.broadcastTo(*r, xType.getShape());
  };
  FailureOr<Value> m = perChannel(mean), f = perChannel(*factor),
                   b = perChannel(bias);
  if (failed(m) || failed(f) || failed(b))
    return failure();
  FailureOr<Value> centered = n.create<SubOp>(n.input(0), *m);
  if (failed(centered))
    return failure();
  FailureOr<Value> scaled = n.create<MulOp>(*centered, *f);
  if (failed(scaled))
    return failure();
  return n.setResult(n.create<AddOp>(*scaled, *b));
}

/// Softmax and LogSoftmax. Before opset 13 the input is coerced to 2-D at
/// `axis` (default 1) and normalized over the whole trailing block.
template <typename OpT> LogicalResult importSoftmax(NodeImporter &n) {
  if (failed(n.expectInputs(1, 1)))
    return failure();
  RankedTensorType type = n.inputType(0);
  int64_t rank = type.getRank();
  if (rank == 0)
    return n.fail("input must have rank >= 1");
  bool coerce = n.opset() < 13;
  FailureOr<int64_t> axis =
      n.normalizeAxis(n.attrInt("axis", coerce ? 1 : -1), rank);
  if (failed(axis))
    return failure();
  if (!coerce || *axis == rank - 1)
    return n.setResult(n.create<OpT>(n.input(0), *axis));
  if (!type.hasStaticShape())
    return n.fail("opset < 13 softmax needs static shapes");
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < rank; ++i)
    (i < *axis ? outer : inner) *= type.getDimSize(i);
  FailureOr<Value> flat = n.reshape(n.input(0), {outer, inner});
  if (failed(flat))
    return failure();
  FailureOr<Value> y = n.create<OpT>(*flat, 1);
  if (failed(y))
    return failure();
  return n.setResult(n.reshape(*y, type.getShape()));
}

/// Dropout in inference mode is the identity (the mask is all true).
LogicalResult importDropout(NodeImporter &n) {
  if (failed(n.expectInputs(1, 3)))
    return failure();
  bool training = false;
  if (n.opset() >= 12 && n.hasInput(2)) {
    // A training_mode computed at run time is handled there too.
    std::optional<SmallVector<int64_t>> mode = n.constantInts(2);
    training = !mode || (!mode->empty() && (*mode)[0] != 0);
  }
  if (n.opset() < 7 && n.attr("is_test"))
    training = !n.attrInt("is_test", 0);
  if (training)
    return importDropoutTraining(n);
  n.setOutput(0, n.input(0));
  if (n.wantsOutput(1))
    n.setOutput(1, n.splat(n.inputType(0).clone(n.b().getI1Type()), 1));
  return success();
}

} // namespace

void onnx_import::registerNeuralNetImporters(OpImporterRegistry &r) {
  r.add("MatMul", importMatMul);
  r.add("Gemm", importGemm);
  r.add("Conv", importConv);
  r.add("ConvTranspose", importConvTranspose);
  r.add("ConvInteger", importConvInteger, /*sinceOpset=*/10);
  r.add("QLinearConv", importQLinearConv, /*sinceOpset=*/10);
  r.add("MaxPool", importPool<PoolKind::Max>);
  r.add("AveragePool", importPool<PoolKind::Average>);
  r.add("LpPool", importPool<PoolKind::Lp>);
  r.add("GlobalAveragePool", importGlobalPool<ReduceMeanOp>);
  r.add("GlobalMaxPool", importGlobalPool<ReduceMaxOp>);
  r.add("BatchNormalization", importBatchNorm);
  r.add("Softmax", importSoftmax<SoftmaxOp>);
  r.add("LogSoftmax", importSoftmax<LogSoftmaxOp>);
  r.add("Dropout", importDropout);
  registerActivationImporters(r);
  registerNormalizationImporters(r);
  registerResizeImporters(r);
  registerRecurrentImporters(r);
}
