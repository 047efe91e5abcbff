//===- ImportResize.cpp - ONNX Resize and Upsample ------------------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Resize (opsets 10-19) and Upsample as separable interpolation, one axis
// at a time from the last to the first, as ONNX's reference does. For each
// axis the importer works out, at compile time, which input positions every
// output position reads and with which weights (the coordinate transform,
// nearest rounding, linear or cubic coefficients, exclude_outside, edge
// clamping, tf_crop_and_resize's extrapolation); the program is then one
// kiln.gather per tap along the axis, weighted by a literal and summed.
// Nearest needs a single gather. Scales, sizes and roi must be known at
// import time (literals, or the data of a graph input: the output shape
// depends on them). GridSample samples at run-time positions: gathers at
// indices computed from the grid.
//
//===----------------------------------------------------------------------===//

#include "ImportNNUtils.h"

#include <cmath>

using namespace mlir;
using namespace kiln;
using namespace kiln::onnx_import;

namespace {

/// The values of input `i` as doubles, if known at import time.
std::optional<SmallVector<double>> knownDoubles(NodeImporter &n, int i) {
  DenseElementsAttr attr = n.knownValue(i);
  if (!attr)
    return std::nullopt;
  SmallVector<double> values;
  if (isa<FloatType>(attr.getElementType())) {
    for (const APFloat &v : attr.getValues<APFloat>())
      values.push_back(v.convertToDouble());
  } else if (isa<IntegerType>(attr.getElementType())) {
    for (const APInt &v : attr.getValues<APInt>())
      values.push_back(double(v.getSExtValue()));
  } else {
    return std::nullopt;
  }
  return values;
}

struct ResizeOptions {
  std::string mode = "nearest";           // nearest, linear, cubic
  std::string transform = "half_pixel";   // coordinate_transformation_mode
  std::string nearestMode = "round_prefer_floor";
  double cubicA = -0.75;
  bool excludeOutside = false;
  double extrapolation = 0.0;
};

/// One input position read for an output position, with its weight.
struct Tap {
  int64_t index;
  double weight;
};

/// What every output position along one axis reads.
struct AxisPlan {
  std::vector<SmallVector<Tap, 4>> taps;
  std::vector<bool> extrapolate;
  bool identity = true;
};

SmallVector<double, 4> coefficients(const ResizeOptions &o, double ratio,
                                    bool integral) {
  if (o.mode == "nearest") {
    if (integral)
      return {0, 1};
    const std::string &m = o.nearestMode;
    if (m == "round_prefer_ceil")
      return {double(ratio < 0.5), double(ratio >= 0.5)};
    if (m == "floor")
      return {1, 0};
    if (m == "ceil")
      return {0, 1};
    return {double(ratio <= 0.5), double(ratio > 0.5)}; // round_prefer_floor
  }
  if (o.mode == "linear")
    return {1 - ratio, ratio};
  double a = o.cubicA, r = ratio, s = 1 - ratio;
  return {((a * (r + 1) - 5 * a) * (r + 1) + 8 * a) * (r + 1) - 4 * a,
          ((a + 2) * r - (a + 3)) * r * r + 1,
          ((a + 2) * s - (a + 3)) * s * s + 1,
          ((a * (s + 1) - 5 * a) * (s + 1) + 8 * a) * (s + 1) - 4 * a};
}

/// The taps of each of the `out` positions along an axis of `in` elements,
/// following ONNX's reference implementation (interpolate_1d_with_x).
AxisPlan planAxis(const ResizeOptions &o, int64_t in, int64_t out,
                  double scale, double roiStart, double roiEnd) {
  AxisPlan plan;
  double outWidth = scale * double(in);
  for (int64_t x = 0; x < out; ++x) {
    const std::string &t = o.transform;
    double xo;
    bool extrapolate = false;
    if (t == "align_corners") {
      xo = outWidth == 1 ? 0.0 : double(x) * (in - 1) / (outWidth - 1);
    } else if (t == "asymmetric") {
      xo = double(x) / scale;
    } else if (t == "tf_half_pixel_for_nn") {
      xo = (double(x) + 0.5) / scale;
    } else if (t == "tf_crop_and_resize") {
      xo = outWidth == 1
               ? (roiEnd - roiStart) * (in - 1) / 2
               : double(x) * (roiEnd - roiStart) * (in - 1) / (outWidth - 1);
      xo += roiStart * (in - 1);
      extrapolate = xo < 0 || xo > double(in - 1);
    } else if (t == "pytorch_half_pixel") {
      xo = outWidth == 1 ? -0.5 : (double(x) + 0.5) / scale - 0.5;
    } else if (t == "half_pixel_symmetric") {
      double adjustment = double(out) / outWidth;
      double offset = double(in) / 2 * (1 - adjustment);
      xo = offset + (double(x) + 0.5) / scale - 0.5;
    } else { // half_pixel
      xo = (double(x) + 0.5) / scale - 0.5;
    }
    plan.extrapolate.push_back(extrapolate);
    if (extrapolate) {
      plan.identity = false;
      plan.taps.push_back({{0, 0.0}});
      continue;
    }
    double floorX = std::floor(xo);
    bool integral = floorX == xo;
    double ratio = integral ? 1.0 : xo - floorX;
    SmallVector<double, 4> coeffs = coefficients(o, ratio, integral);
    int64_t count = coeffs.size();
    // The `count` nearest positions of the edge-padded axis (ties prefer
    // the smaller index), in the unpadded coordinates.
    int64_t pad = (count + 1) / 2;
    double xp = xo + pad;
    SmallVector<int64_t> candidates =
        llvm::to_vector(llvm::seq<int64_t>(0, in + 2 * pad));
    llvm::stable_sort(candidates, [&](int64_t a, int64_t b) {
      double da = std::fabs(xp - a), db = std::fabs(xp - b);
      return da != db ? da < db : a < b;
    });
    candidates.resize(count);
    llvm::sort(candidates);
    if (o.excludeOutside) {
      double sum = 0;
      for (int64_t j = 0; j < count; ++j) {
        int64_t idx = candidates[j] - pad;
        if (idx < 0 || idx >= in)
          coeffs[j] = 0;
        sum += coeffs[j];
      }
      for (double &c : coeffs)
        c /= sum;
    }
    SmallVector<Tap, 4> taps;
    for (int64_t j = 0; j < count; ++j) {
      if (coeffs[j] == 0)
        continue;
      int64_t idx = std::clamp<int64_t>(candidates[j] - pad, 0, in - 1);
      // Taps clamped onto one position add up.
      auto same = llvm::find_if(taps, [&](Tap &t) { return t.index == idx; });
      if (same != taps.end())
        same->weight += coeffs[j];
      else
        taps.push_back({idx, coeffs[j]});
    }
    if (taps.empty())
      taps.push_back({std::clamp<int64_t>(int64_t(floorX), 0, in - 1), 0.0});
    if (in != out || taps.size() != 1 || taps[0].index != x ||
        taps[0].weight != 1.0)
      plan.identity = false;
    plan.taps.push_back(taps);
  }
  return plan;
}

/// Applies `plan` along `axis` of `x`.
Value resizeAxis(Composer &c, Value x, int64_t axis, const AxisPlan &plan,
                 double extrapolation) {
  if (!x || plan.identity)
    return x;
  SmallVector<int64_t> shape(shapeOf(x));
  int64_t out = plan.taps.size();
  shape[axis] = out;
  SmallVector<int64_t> lineShape(shape.size(), 1);
  lineShape[axis] = out;
  size_t width = 0;
  bool unitWeights = true;
  for (const SmallVector<Tap, 4> &taps : plan.taps) {
    width = std::max(width, taps.size());
    for (const Tap &t : taps)
      unitWeights &= t.weight == 1.0 || taps.size() == 1;
  }
  Value sum;
  for (size_t j = 0; j < width; ++j) {
    SmallVector<int64_t> indices;
    SmallVector<double> weights;
    for (const SmallVector<Tap, 4> &taps : plan.taps) {
      const Tap &t = j < taps.size() ? taps[j] : Tap{taps[0].index, 0.0};
      indices.push_back(t.index);
      weights.push_back(t.weight);
    }
    Value gathered = c.op<GatherOp>(x, c.indices({out}, indices), axis);
    if (!(width == 1 && unitWeights &&
          llvm::all_of(weights, [](double w) { return w == 1.0; }))) {
      Value w = c.literal(RankedTensorType::get(lineShape, elementTypeOf(x)),
                          weights);
      gathered = c.mul(gathered, c.broadcastTo(w, shape));
    }
    sum = sum ? c.add(sum, gathered) : gathered;
  }
  if (llvm::is_contained(plan.extrapolate, true)) {
    SmallVector<bool> mask(plan.extrapolate.begin(), plan.extrapolate.end());
    auto maskType = RankedTensorType::get(lineShape, c.node().b().getI1Type());
    Value m = c.broadcastTo(
        c.op<ConstantOp>(DenseElementsAttr::get(maskType, mask)), shape);
    sum = c.select(m, c.splatLike(sum, extrapolation), sum);
  }
  return sum;
}

/// Resizes `x` to `outShape` with per-axis `scales` (and `roi`, 2 * rank
/// values, for tf_crop_and_resize).
LogicalResult buildResize(NodeImporter &n, const ResizeOptions &o,
                          ArrayRef<int64_t> outShape, ArrayRef<double> scales,
                          ArrayRef<double> roi) {
  RankedTensorType type = n.inputType(0);
  int64_t rank = type.getRank();
  if (o.mode != "nearest" && !isa<FloatType>(type.getElementType()))
    return n.fail("linear and cubic Resize need a float input");
  Composer c(n);
  Value y = n.input(0);
  for (int64_t axis = rank - 1; axis >= 0; --axis) {
    if (outShape[axis] < 0)
      return n.fail("negative output size");
    if (outShape[axis] == 0 || type.getDimSize(axis) == 0)
      return n.fail("Resize to or from an empty axis is not supported");
    double start = roi.empty() ? 0.0 : roi[axis];
    double end = roi.empty() ? 1.0 : roi[rank + axis];
    AxisPlan plan = planAxis(o, type.getDimSize(axis), outShape[axis],
                             scales[axis], start, end);
    y = resizeAxis(c, y, axis, plan, o.extrapolation);
  }
  return c.result(y);
}

LogicalResult importResize(NodeImporter &n) {
  if (failed(n.expectInputs(1, 4)) ||
      failed(n.expectOnlyAttrs({"antialias", "axes",
                                "coordinate_transformation_mode",
                                "cubic_coeff_a", "exclude_outside",
                                "extrapolation_value",
                                "keep_aspect_ratio_policy", "mode",
                                "nearest_mode"})))
    return failure();
  RankedTensorType type = n.inputType(0);
  if (!type.hasStaticShape())
    return n.fail("Resize needs a static input shape");
  int64_t rank = type.getRank();
  ResizeOptions o;
  o.mode = n.attrString("mode", "nearest");
  if (o.mode == "bilinear" || o.mode == "trilinear")
    o.mode = "linear";
  if (o.mode == "bicubic")
    o.mode = "cubic";
  if (o.mode != "nearest" && o.mode != "linear" && o.mode != "cubic")
    return n.fail("unsupported mode '" + o.mode + "'");
  bool opset10 = n.opset() < 11;
  o.transform = opset10 ? "asymmetric"
                        : n.attrString("coordinate_transformation_mode",
                                       "half_pixel");
  static const char *transforms[] = {
      "half_pixel", "half_pixel_symmetric", "pytorch_half_pixel",
      "align_corners", "asymmetric", "tf_half_pixel_for_nn",
      "tf_crop_and_resize"};
  if (!llvm::is_contained(transforms, o.transform))
    return n.fail("unsupported coordinate_transformation_mode '" +
                  o.transform + "'");
  o.nearestMode = opset10 ? "floor"
                          : n.attrString("nearest_mode", "round_prefer_floor");
  if (o.nearestMode != "round_prefer_floor" &&
      o.nearestMode != "round_prefer_ceil" && o.nearestMode != "floor" &&
      o.nearestMode != "ceil")
    return n.fail("unsupported nearest_mode '" + o.nearestMode + "'");
  o.cubicA = n.attrFloat("cubic_coeff_a", -0.75f);
  o.excludeOutside = n.attrInt("exclude_outside", 0);
  o.extrapolation = n.attrFloat("extrapolation_value", 0.0f);

  // The resized axes (opset 18's `axes`; all by default).
  SmallVector<int64_t> axes = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  if (std::optional<SmallVector<int64_t>> given = n.attrInts("axes")) {
    SmallVector<int64_t> normalized;
    for (int64_t a : *given) {
      FailureOr<int64_t> axis = n.normalizeAxis(a, rank);
      if (failed(axis))
        return failure();
      normalized.push_back(*axis);
    }
    axes = normalized;
  }

  int scalesInput = opset10 ? 1 : 2, sizesInput = opset10 ? -1 : 3;
  std::optional<SmallVector<double>> scales, sizes, roi;
  if (n.hasInput(scalesInput)) {
    scales = knownDoubles(n, scalesInput);
    if (!scales)
      return n.fail("scales must be known at import time (a constant or "
                    "the data of a graph input)");
    if (scales->empty())
      scales.reset();
  }
  if (sizesInput > 0 && n.hasInput(sizesInput)) {
    sizes = knownDoubles(n, sizesInput);
    if (!sizes)
      return n.fail("sizes must be known at import time (a constant or the "
                    "data of a graph input)");
    if (sizes->empty())
      sizes.reset();
  }
  if (!opset10 && n.hasInput(1) && o.transform == "tf_crop_and_resize") {
    roi = knownDoubles(n, 1);
    if (!roi)
      return n.fail("roi must be known at import time");
  }
  if (scales.has_value() == sizes.has_value())
    return n.fail("exactly one of scales and sizes must be given");

  // Full-rank scales, output sizes and roi.
  ArrayRef<int64_t> in = type.getShape();
  SmallVector<double> fullScales(rank, 1.0);
  SmallVector<int64_t> outShape(in);
  size_t given = scales ? scales->size() : sizes->size();
  if (given != axes.size())
    return n.fail("scales/sizes need one entry per resized axis (" +
                  Twine(axes.size()) + "), got " + Twine(given));
  if (scales) {
    for (auto [i, axis] : llvm::enumerate(axes)) {
      double s = (*scales)[i];
      if (!(s > 0))
        return n.fail("scales must be positive");
      // ONNX's reference reads the scale as a float.
      fullScales[axis] = double(float(s));
      outShape[axis] = int64_t(fullScales[axis] * double(in[axis]));
    }
  } else {
    std::string policy = n.attrString("keep_aspect_ratio_policy", "stretch");
    if (policy != "stretch" && policy != "not_larger" &&
        policy != "not_smaller")
      return n.fail("unsupported keep_aspect_ratio_policy '" + policy + "'");
    double common = policy == "not_larger" ? INFINITY : 0.0;
    for (auto [i, axis] : llvm::enumerate(axes)) {
      double ratio = (*sizes)[i] / double(in[axis]);
      common = policy == "not_larger" ? std::min(common, ratio)
                                      : std::max(common, ratio);
    }
    for (auto [i, axis] : llvm::enumerate(axes)) {
      if (policy == "stretch") {
        outShape[axis] = int64_t((*sizes)[i]);
        fullScales[axis] = double(outShape[axis]) / double(in[axis]);
      } else {
        outShape[axis] = int64_t(std::round(common * double(in[axis])));
        fullScales[axis] = common;
      }
    }
  }
  if (n.attrInt("antialias", 0) && o.mode != "nearest" &&
      llvm::any_of(fullScales, [](double s) { return s < 1.0; }))
    return n.fail("antialiased downsampling is not supported");
  SmallVector<double> fullRoi;
  if (roi && !roi->empty()) {
    if (roi->size() != 2 * axes.size())
      return n.fail("roi needs two entries per resized axis");
    fullRoi.assign(rank, 0.0);
    fullRoi.append(rank, 1.0);
    for (auto [i, axis] : llvm::enumerate(axes)) {
      fullRoi[axis] = (*roi)[i];
      fullRoi[rank + axis] = (*roi)[axes.size() + i];
    }
  }
  return buildResize(n, o, outShape, fullScales, fullRoi);
}

/// Upsample (opsets 7-9): nearest (floor) or linear interpolation with
/// asymmetric coordinates; scales are an attribute (7) or an input (9).
LogicalResult importUpsample(NodeImporter &n) {
  if (failed(n.expectInputs(1, 2)) ||
      failed(n.expectOnlyAttrs({"mode", "scales", "height_scale",
                                "width_scale"})))
    return failure();
  RankedTensorType type = n.inputType(0);
  if (!type.hasStaticShape())
    return n.fail("Upsample needs a static input shape");
  int64_t rank = type.getRank();
  ResizeOptions o;
  o.mode = n.attrString("mode", "nearest");
  if (o.mode == "bilinear")
    o.mode = "linear";
  if (o.mode != "nearest" && o.mode != "linear")
    return n.fail("unsupported mode '" + o.mode + "'");
  o.transform = "asymmetric";
  o.nearestMode = "floor";
  SmallVector<double> scales;
  if (n.hasInput(1)) {
    std::optional<SmallVector<double>> known = knownDoubles(n, 1);
    if (!known)
      return n.fail("scales must be known at import time");
    scales = *known;
  } else if (const onnx::AttributeProto *a = n.attr("scales")) {
    scales.assign(a->floats().begin(), a->floats().end());
  } else if (n.attr("height_scale") && rank == 4) {
    scales = {1.0, 1.0, n.attrFloat("height_scale", 1.0f),
              n.attrFloat("width_scale", 1.0f)};
  }
  if ((int64_t)scales.size() != rank)
    return n.fail("scales need one entry per dimension");
  SmallVector<int64_t> outShape;
  for (int64_t i = 0; i < rank; ++i) {
    scales[i] = double(float(scales[i]));
    if (!(scales[i] > 0))
      return n.fail("scales must be positive");
    outShape.push_back(int64_t(scales[i] * double(type.getDimSize(i))));
  }
  return buildResize(n, o, outShape, scales, {});
}

/// GridSample (opset 16, 4-D): PyTorch's grid_sampler_2d, computed at run
/// time from the grid. The grid's x and y are unnormalized to pixel
/// coordinates, moved inside by the padding mode (border: clipped;
/// reflection: reflected, then clipped), and each tap of the sampling
/// window (1 nearest, 2 x 2 bilinear, 4 x 4 bicubic) reads the input,
/// flattened to [N * H * W, C], with one kiln.gather at a computed index;
/// taps outside the input weigh 0 (zeros padding).
LogicalResult importGridSample(NodeImporter &n) {
  if (failed(n.expectInputs(2, 2)) ||
      failed(n.expectOnlyAttrs({"align_corners", "mode", "padding_mode"})))
    return failure();
  RankedTensorType xType = n.inputType(0), gType = n.inputType(1);
  if (xType.getRank() != 4 || !xType.hasStaticShape() ||
      gType.getRank() != 4 || !gType.hasStaticShape())
    return n.fail("GridSample needs static 4-D input and grid shapes");
  Type element = xType.getElementType();
  if (!isa<FloatType>(element) || gType.getElementType() != element)
    return n.fail("input and grid must hold floats of one type");
  ArrayRef<int64_t> xs = xType.getShape(), gs = gType.getShape();
  int64_t batch = xs[0], channels = xs[1], h = xs[2], w = xs[3];
  if (gs[0] != batch || gs[3] != 2)
    return n.fail("grid must have shape [N, H_out, W_out, 2]");
  std::string mode = n.attrString("mode", "bilinear");
  if (mode == "linear")
    mode = "bilinear";
  if (mode == "cubic")
    mode = "bicubic";
  std::string padding = n.attrString("padding_mode", "zeros");
  if (mode != "bilinear" && mode != "nearest" && mode != "bicubic")
    return n.fail("unsupported mode '" + mode + "'");
  if (padding != "zeros" && padding != "border" && padding != "reflection")
    return n.fail("unsupported padding_mode '" + padding + "'");
  bool alignCorners = n.attrInt("align_corners", 0);

  Composer c(n);
  SmallVector<int64_t> out{batch, gs[1], gs[2]};
  Value grid = n.input(1);
  Value gx = c.reshape(c.sliceAxis(grid, 3, 0, 1), out);
  Value gy = c.reshape(c.sliceAxis(grid, 3, 1, 1), out);
  auto unnormalize = [&](Value g, int64_t size) -> Value {
    if (alignCorners)
      return c.mulC(c.addC(g, 1.0), double(size - 1) / 2);
    return c.mulC(c.subC(c.mulC(c.addC(g, 1.0), double(size)), 1.0), 0.5);
  };
  auto clip = [&](Value v, int64_t size) -> Value {
    return c.minC(c.maxC(v, 0.0), double(size - 1));
  };
  // PyTorch's reflect_coordinates over [twiceLow / 2, twiceHigh / 2].
  auto reflect = [&](Value v, int64_t twiceLow, int64_t twiceHigh) -> Value {
    if (twiceLow == twiceHigh)
      return c.splatLike(v, 0.0);
    double low = twiceLow / 2.0, span = (twiceHigh - twiceLow) / 2.0;
    Value distance = c.op<AbsOp>(c.subC(v, low));
    Value extra = c.op<RemOp>(distance, c.splatLike(distance, span));
    Value flips = c.op<FloorOp>(c.mulC(distance, 1.0 / span));
    Value even = c.cmpC(ComparePredicate::eq,
                        c.op<RemOp>(flips, c.splatLike(flips, 2.0)), 0.0);
    return c.select(even, c.addC(extra, low),
                    c.addC(c.sub(c.splatLike(extra, span), extra), low));
  };
  auto inside = [&](Value v, int64_t size) -> Value {
    if (padding == "border")
      return clip(v, size);
    if (padding == "reflection")
      return clip(alignCorners ? reflect(v, 0, 2 * (size - 1))
                               : reflect(v, -1, 2 * size - 1),
                  size);
    return v;
  };

  // The input as rows [N * H * W, C]; row of (n, y, x) = n*H*W + y*W + x.
  Value data = c.reshape(c.transpose(n.input(0), {0, 2, 3, 1}),
                         {batch * h * w, channels});
  SmallVector<int64_t> bases;
  for (int64_t b = 0; b < batch; ++b)
    bases.push_back(b * h * w);
  Value base = c.broadcastTo(c.indices({batch, 1, 1}, bases), out);
  SmallVector<int64_t> wide{batch, gs[1], gs[2], channels};
  SmallVector<int64_t> column{batch, gs[1], gs[2], 1};
  Value sum;
  // Adds weight * input[y, x] for integral (float) x and y; 0 outside.
  auto tap = [&](Value x, Value y, Value weight) {
    using P = ComparePredicate;
    Value in = c.op<AndOp>(
        c.op<AndOp>(c.cmpC(P::ge, x, 0.0), c.cmpC(P::le, x, double(w - 1))),
        c.op<AndOp>(c.cmpC(P::ge, y, 0.0), c.cmpC(P::le, y, double(h - 1))));
    Type i64 = n.b().getI64Type();
    Value xi = c.castTo(clip(x, w), i64), yi = c.castTo(clip(y, h), i64);
    Value index = c.add(base, c.add(c.mulC(yi, double(w)), xi));
    Value values = c.op<GatherOp>(data, index, 0);
    Value weights = c.select(in, weight, c.splatLike(weight, 0.0));
    Value term = c.mul(values, c.broadcastTo(c.reshape(weights, column), wide));
    sum = sum ? c.add(sum, term) : term;
  };

  Value ix = unnormalize(gx, w), iy = unnormalize(gy, h);
  if (mode == "nearest") {
    tap(c.op<RoundOp>(inside(ix, w)), c.op<RoundOp>(inside(iy, h)),
        c.splatLike(ix, 1.0));
  } else if (mode == "bilinear") {
    ix = inside(ix, w);
    iy = inside(iy, h);
    Value x0 = c.op<FloorOp>(ix), y0 = c.op<FloorOp>(iy);
    Value x1 = c.addC(x0, 1.0), y1 = c.addC(y0, 1.0);
    Value wx1 = c.sub(ix, x0), wy1 = c.sub(iy, y0);
    Value wx0 = c.sub(x1, ix), wy0 = c.sub(y1, iy);
    tap(x0, y0, c.mul(wx0, wy0));
    tap(x1, y0, c.mul(wx1, wy0));
    tap(x0, y1, c.mul(wx0, wy1));
    tap(x1, y1, c.mul(wx1, wy1));
  } else {
    // Cubic convolution (A = -0.75) over the 4 x 4 taps around the point;
    // the padding mode moves each tap, not the point.
    const double a = -0.75;
    auto near = [&](Value t) { // |t| <= 1
      return c.addC(c.mul(c.mul(c.subC(c.mulC(t, a + 2), a + 3), t), t), 1.0);
    };
    auto far = [&](Value t) { // 1 < |t| < 2
      Value p = c.addC(c.mul(c.subC(c.mulC(t, a), 5 * a), t), 8 * a);
      return c.subC(c.mul(p, t), 4 * a);
    };
    auto coefficients = [&](Value t) -> SmallVector<Value, 4> {
      Value one = c.splatLike(t, 1.0), two = c.splatLike(t, 2.0);
      return {far(c.addC(t, 1.0)), near(t), near(c.sub(one, t)),
              far(c.sub(two, t))};
    };
    Value x0 = c.op<FloorOp>(ix), y0 = c.op<FloorOp>(iy);
    SmallVector<Value, 4> cx = coefficients(c.sub(ix, x0));
    SmallVector<Value, 4> cy = coefficients(c.sub(iy, y0));
    for (int j = 0; j < 4; ++j) {
      Value y = inside(c.addC(y0, double(j - 1)), h);
      for (int i = 0; i < 4; ++i)
        tap(inside(c.addC(x0, double(i - 1)), w), y, c.mul(cx[i], cy[j]));
    }
  }
  return c.result(c.transpose(sum, {0, 3, 1, 2}));
}

} // namespace

void onnx_import::registerResizeImporters(OpImporterRegistry &r) {
  r.add("Resize", importResize, /*sinceOpset=*/10);
  r.add("Upsample", importUpsample);
  r.add("GridSample", importGridSample, /*sinceOpset=*/16);
}
