//===- ImportSignal.cpp - ONNX DFT, STFT and MelWeightMatrix --------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The signal ops as products with literal matrices:
//
//   DFT  -> the signal axis moved last and flattened to rows [M, L]; real
//           and imaginary parts are two kiln.matmul each with literal
//           cos/sin matrices [L, K] (K = L, or L/2 + 1 one-sided), summed
//           into [M, K, 2]. O(L K) per row instead of an FFT's O(L log L),
//           computed in f64 (the references are double-precision FFTs
//           rounded to the element type, and a direct sum of L products
//           loses more than an FFT would in f32).
//   STFT -> frames gathered at literal positions, times the window, then
//           the DFT above along the frame.
//   MelWeightMatrix -> a literal (its inputs are scalars), following the
//           formula of ONNX's reference.
//
//===----------------------------------------------------------------------===//

#include "ImportDataUtils.h"
#include "NodeImporter.h"

#include <cmath>

using namespace mlir;
using namespace kiln;
using namespace kiln::onnx_import;

namespace {

/// Literals larger than this (elements) are not generated.
constexpr int64_t kMaxMatrixElements = int64_t(1) << 24;

/// A scalar input that must be known at import.
FailureOr<int64_t> requireScalarInt(NodeImporter &n, int i, StringRef what) {
  std::optional<double> v = n.hasInput(i) ? scalarValue(n.input(i))
                                          : std::optional<double>();
  if (!v)
    return n.fail("input " + Twine(i) + " (" + what +
                  ") must be a constant scalar");
  return static_cast<int64_t>(*v);
}

/// The DFT of rows `x` [M, n, c] (f64; c = 1 real, 2 complex) zero-padded
/// or truncated to `length`: [M, K, 2] with K = length or length / 2 + 1.
Value dftRows(Emitter &e, Value x, int64_t length, bool inverse,
              bool onesided) {
  if (e.bad)
    return {};
  NodeImporter &n = e.n;
  auto type = cast<RankedTensorType>(x.getType());
  int64_t M = type.getDimSize(0), size = type.getDimSize(1),
          c = type.getDimSize(2);
  int64_t K = onesided ? length / 2 + 1 : length;
  auto part = [&](int64_t k) {
    Value p = e.op<SliceOp>(x, SmallVector<int64_t>{0, 0, k},
                            SmallVector<int64_t>{M, std::min(size, length), 1},
                            SmallVector<int64_t>(3, 1));
    p = e.reshape(p, {M, std::min(size, length)});
    if (size < length)
      p = e.op<PadOp>(p, SmallVector<int64_t>{0, 0},
                      SmallVector<int64_t>{0, length - size},
                      TypedAttr(n.b().getF64FloatAttr(0.0)));
    return p;
  };
  Value re = part(0);
  Value im = c == 2 ? part(1) : Value();
  // cos/sin of 2 pi j k / length, with j k reduced mod length first.
  SmallVector<double> cosines, sines;
  for (int64_t j = 0; j < length; ++j)
    for (int64_t k = 0; k < K; ++k) {
      double angle = 2 * M_PI * double((j * k) % length) / double(length);
      cosines.push_back(std::cos(angle));
      sines.push_back(std::sin(angle));
    }
  auto matrixType = RankedTensorType::get({length, K}, n.b().getF64Type());
  Value C = typedLiteral(n, matrixType, cosines);
  Value S = typedLiteral(n, matrixType, sines);
  auto mm = [&](Value a, Value b) { return e.op<MatmulOp>(a, b); };
  // forward: (re C + im S) + i (im C - re S); inverse: (re C - im S) / L
  // + i (im C + re S) / L.
  Value outRe = mm(re, C);
  Value outIm = inverse ? mm(re, S) : e.op<NegOp>(mm(re, S));
  if (im) {
    Value imC = mm(im, C), imS = mm(im, S);
    outRe = inverse ? e.sub(outRe, imS) : e.add(outRe, imS);
    outIm = e.add(outIm, imC);
  }
  if (inverse) {
    outRe = e.mulC(outRe, 1.0 / double(length));
    outIm = e.mulC(outIm, 1.0 / double(length));
  }
  return e.op<ConcatOp>(
      SmallVector<Value>{e.reshape(outRe, {M, K, 1}), e.reshape(outIm, {M, K, 1})},
      int64_t(2));
}

LogicalResult importDFT(NodeImporter &n) {
  if (failed(n.expectInputs(1, 2)) ||
      failed(n.expectOnlyAttrs({"axis", "inverse", "onesided"})))
    return failure();
  if (n.opset() >= 20)
    return n.fail("DFT from opset 20 (axis as an input) is not supported");
  RankedTensorType type = n.inputType(0);
  Type element = type.getElementType();
  int64_t rank = type.getRank();
  if (!isa<FloatType>(element) || !type.hasStaticShape() || rank < 3)
    return n.fail("DFT needs a static float input [batch, ..., n, 1 or 2]");
  int64_t c = type.getDimSize(rank - 1);
  if (c != 1 && c != 2)
    return n.fail("the last dimension must be 1 (real) or 2 (complex)");
  int64_t axis = n.attrInt("axis", 1);
  if (axis < 0)
    axis += rank;
  if (axis < 1 || axis >= rank - 1)
    return n.fail("axis " + Twine(n.attrInt("axis", 1)) +
                  " is not a signal dimension");
  bool inverse = n.attrInt("inverse", 0) != 0;
  bool onesided = n.attrInt("onesided", 0) != 0;
  if (onesided && c == 2)
    return n.fail("a one-sided DFT needs a real input");
  int64_t size = type.getDimSize(axis);
  int64_t length = size;
  if (n.hasInput(1)) {
    FailureOr<int64_t> l = requireScalarInt(n, 1, "dft_length");
    if (failed(l))
      return failure();
    length = *l;
  }
  if (length < 1)
    return n.fail("dft_length must be positive");
  int64_t K = onesided ? length / 2 + 1 : length;
  if (length * K > kMaxMatrixElements)
    return n.fail("DFT of length " + Twine(length) + " is too large");

  Emitter e{n};
  // Move the signal axis next to the complex one: [..., n, c].
  SmallVector<int64_t> perm;
  for (int64_t d = 0; d < rank - 1; ++d)
    if (d != axis)
      perm.push_back(d);
  perm.push_back(axis);
  perm.push_back(rank - 1);
  Value x = e.cast(n.input(0), n.b().getF64Type());
  x = e.op<TransposeOp>(x, perm);
  int64_t M = type.getNumElements() / (size * c);
  Value y = dftRows(e, e.reshape(x, {M, size, c}), length, inverse, onesided);
  SmallVector<int64_t> movedShape;
  for (int64_t d : ArrayRef<int64_t>(perm).drop_back(2))
    movedShape.push_back(type.getDimSize(d));
  movedShape.append({K, 2});
  y = e.reshape(y, movedShape);
  SmallVector<int64_t> inverseP(rank);
  for (int64_t d = 0; d < rank; ++d)
    inverseP[perm[d]] = d;
  y = e.cast(e.op<TransposeOp>(y, inverseP), element);
  if (e.bad)
    return failure();
  n.setOutput(0, y);
  return success();
}

LogicalResult importSTFT(NodeImporter &n) {
  if (failed(n.expectInputs(2, 4)) || failed(n.expectOnlyAttrs({"onesided"})))
    return failure();
  RankedTensorType type = n.inputType(0);
  Type element = type.getElementType();
  if (!isa<FloatType>(element) || !type.hasStaticShape() ||
      type.getRank() != 3)
    return n.fail("STFT needs a static float signal [batch, length, 1 or 2]");
  int64_t B = type.getDimSize(0), T = type.getDimSize(1),
          c = type.getDimSize(2);
  if (c != 1 && c != 2)
    return n.fail("the last dimension must be 1 (real) or 2 (complex)");
  FailureOr<int64_t> step = requireScalarInt(n, 1, "frame_step");
  if (failed(step))
    return failure();
  int64_t length = -1;
  if (n.hasInput(2)) {
    RankedTensorType w = n.inputType(2);
    if (w.getRank() != 1 || w.isDynamicDim(0))
      return n.fail("window must be a static 1-D tensor");
    length = w.getDimSize(0);
  }
  if (n.hasInput(3)) {
    FailureOr<int64_t> l = requireScalarInt(n, 3, "frame_length");
    if (failed(l))
      return failure();
    if (length >= 0 && *l != length)
      return n.fail("frame_length differs from the window's length");
    length = *l;
  }
  if (length < 1 || length > T || *step < 1)
    return n.fail("needs a frame length in [1, " + Twine(T) +
                  "] and a positive frame step");
  bool onesided = n.attrInt("onesided", 1) != 0;
  if (onesided && c == 2)
    return n.fail("a one-sided STFT needs a real signal");
  int64_t frames = (T - length) / *step + 1;
  int64_t K = onesided ? length / 2 + 1 : length;
  if (length * K > kMaxMatrixElements || frames * length > kMaxMatrixElements)
    return n.fail("STFT is too large");

  Emitter e{n};
  SmallVector<int64_t> positions;
  for (int64_t f = 0; f < frames; ++f)
    for (int64_t j = 0; j < length; ++j)
      positions.push_back(f * *step + j);
  Value x = e.cast(n.input(0), n.b().getF64Type());
  // [B, frames, length, c]
  Value framed =
      e.op<GatherOp>(x, i64Literal(n, positions, {frames, length}), int64_t(1));
  if (n.hasInput(2)) {
    Value w = e.cast(n.input(2), n.b().getF64Type());
    w = e.broadcast(e.reshape(w, {1, 1, length, 1}), {B, frames, length, c});
    framed = e.mul(framed, w);
  }
  Value y = dftRows(e, e.reshape(framed, {B * frames, length, c}), length,
                    /*inverse=*/false, onesided);
  y = e.cast(e.reshape(y, {B, frames, K, 2}), element);
  if (e.bad)
    return failure();
  n.setOutput(0, y);
  return success();
}

/// MelWeightMatrix [dft_length / 2 + 1, num_mel_bins], following ONNX's
/// reference: num_mel_bins + 2 points equally spaced in mel between the
/// edges, mapped to FFT bins (floor((dft_length + 1) hz / sample_rate)),
/// triangles between neighbouring points.
LogicalResult importMelWeightMatrix(NodeImporter &n) {
  if (failed(n.expectInputs(5, 5)) ||
      failed(n.expectOnlyAttrs({"output_datatype"})))
    return failure();
  static const char *names[] = {"num_mel_bins", "dft_length", "sample_rate",
                                "lower_edge_hertz", "upper_edge_hertz"};
  double v[5];
  for (int i = 0; i < 5; ++i) {
    std::optional<double> x = scalarValue(n.input(i));
    if (!x)
      return n.fail("input " + Twine(i) + " (" + names[i] +
                    ") must be a constant scalar");
    v[i] = *x;
  }
  int64_t bins = int64_t(v[0]), dft = int64_t(v[1]), rate = int64_t(v[2]);
  if (bins < 1 || dft < 1 || rate < 1 || v[3] < 0 || v[4] <= v[3])
    return n.fail("invalid mel filter bank parameters");
  int64_t spectrum = dft / 2 + 1;
  if (spectrum * bins > kMaxMatrixElements)
    return n.fail("MelWeightMatrix is too large");
  std::string error;
  Type element = elementTypeFromOnnx(n.attrInt("output_datatype", 1),
                                     n.context(), error);
  if (!element)
    return n.fail("output_datatype: " + error);
  if (!isa<FloatType, IntegerType>(element))
    return n.fail("output_datatype must be numeric");
  auto mel = [](double hz) { return 2595.0 * std::log10(1.0 + hz / 700.0); };
  double low = mel(v[3]), high = mel(v[4]);
  double step = (high - low) / double(bins + 2);
  SmallVector<int64_t> points;
  for (int64_t i = 0; i < bins + 2; ++i) {
    double hz = 700.0 * (std::pow(10.0, (double(i) * step + low) / 2595.0) - 1);
    points.push_back(
        static_cast<int64_t>(std::floor(double(dft + 1) * hz / double(rate))));
  }
  SmallVector<double> out(spectrum * bins, 0.0);
  auto at = [&](int64_t j, int64_t i) -> double * {
    return j >= 0 && j < spectrum ? &out[j * bins + i] : nullptr;
  };
  for (int64_t i = 0; i < bins; ++i) {
    int64_t left = points[i], center = points[i + 1], right = points[i + 2];
    if (center == left) {
      if (double *p = at(center, i))
        *p = 1;
    } else {
      for (int64_t j = left; j <= center; ++j)
        if (double *p = at(j, i))
          *p = double(j - left) / double(center - left);
    }
    if (right > center)
      for (int64_t j = center; j < right; ++j)
        if (double *p = at(j, i))
          *p = double(right - j) / double(right - center);
  }
  n.setOutput(0, typedLiteral(n, RankedTensorType::get({spectrum, bins},
                                                       element),
                              out));
  return success();
}

} // namespace

void onnx_import::registerSignalImporters(OpImporterRegistry &r) {
  r.add("DFT", importDFT, /*sinceOpset=*/17);
  r.add("STFT", importSTFT, /*sinceOpset=*/17);
  r.add("MelWeightMatrix", importMelWeightMatrix, /*sinceOpset=*/17);
}
