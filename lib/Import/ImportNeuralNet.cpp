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

#include "NodeImporter.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::onnx_import;

namespace {

//===----------------------------------------------------------------------===//
// MatMul and Gemm
//===----------------------------------------------------------------------===//

/// numpy.matmul: 1-D operands gain a unit dimension that is dropped again,
/// batch dimensions broadcast.
FailureOr<Value> buildNumpyMatmul(NodeImporter &n, Value a, Value b) {
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
// Windows: Conv and pooling
//===----------------------------------------------------------------------===//

/// The window attributes of a Conv or pooling node, normalized to 2-D.
struct Window {
  SmallVector<int64_t, 2> kernel, strides, dilations;
  SmallVector<int64_t, 4> padding; // top, left, bottom, right
};

/// Reads kernel/strides/dilations/pads/auto_pad for `spatialRank` (1 or 2)
/// spatial dims of `inShape` (NC...), resolving auto_pad and ceil_mode.
FailureOr<Window> readWindow(NodeImporter &n, ArrayRef<int64_t> inShape,
                             ArrayRef<int64_t> kernel, bool ceilMode) {
  size_t spatial = kernel.size();
  Window w;
  auto ints = [&](StringRef name, size_t count,
                  int64_t fallback) -> FailureOr<SmallVector<int64_t>> {
    std::optional<SmallVector<int64_t>> v = n.attrInts(name);
    if (!v)
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
  std::string autoPad = n.attrString("auto_pad", "NOTSET");
  SmallVector<int64_t> begin(pads->begin(), pads->begin() + spatial);
  SmallVector<int64_t> end(pads->begin() + spatial, pads->end());
  for (size_t i = 0; i < spatial; ++i) {
    int64_t in = inShape[2 + i];
    int64_t effective = (*dilations)[i] * (kernel[i] - 1) + 1;
    int64_t stride = (*strides)[i];
    if (stride < 1)
      return n.fail("strides must be >= 1");
    if (autoPad == "VALID") {
      begin[i] = end[i] = 0;
    } else if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
      if (ShapedType::isDynamic(in))
        return n.fail("auto_pad needs a static spatial size");
      int64_t out = (in + stride - 1) / stride;
      int64_t total = std::max<int64_t>(0, (out - 1) * stride + effective - in);
      begin[i] = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
      end[i] = total - begin[i];
    } else if (autoPad != "NOTSET") {
      return n.fail("unsupported auto_pad '" + autoPad + "'");
    }
    if (ceilMode && !ShapedType::isDynamic(in)) {
      // Ceil mode: one more window where a partial one fits, as long as it
      // starts inside the input or its leading padding.
      int64_t span = in + begin[i] + end[i] - effective;
      int64_t out = (span + stride - 1) / stride + 1;
      if ((out - 1) * stride >= in + begin[i])
        --out;
      end[i] += std::max<int64_t>(0, (out - 1) * stride + effective -
                                         (in + begin[i] + end[i]));
    }
  }
  // 1-D windows become 2-D ones with a unit height.
  if (spatial == 1) {
    w.kernel = {1, kernel[0]};
    w.strides = {1, (*strides)[0]};
    w.dilations = {1, (*dilations)[0]};
    w.padding = {0, begin[0], 0, end[0]};
  } else {
    w.kernel.assign(kernel.begin(), kernel.end());
    w.strides.assign(strides->begin(), strides->end());
    w.dilations.assign(dilations->begin(), dilations->end());
    w.padding = {begin[0], begin[1], end[0], end[1]};
  }
  return w;
}

/// [N, C, L] -> [N, C, 1, L] for 1-D windows; identity for 2-D.
FailureOr<Value> toNCHW(NodeImporter &n, Value v) {
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getRank() == 4)
    return v;
  SmallVector<int64_t> shape(type.getShape());
  shape.insert(shape.begin() + 2, 1);
  return n.reshape(v, shape);
}

/// Undoes toNCHW on a result when the input was 1-D.
FailureOr<Value> fromNCHW(NodeImporter &n, Value v, int64_t originalRank) {
  if (originalRank == 4)
    return v;
  SmallVector<int64_t> shape(cast<RankedTensorType>(v.getType()).getShape());
  shape.erase(shape.begin() + 2);
  return n.reshape(v, shape);
}

LogicalResult checkSpatialRank(NodeImporter &n, int64_t rank) {
  if (rank != 3 && rank != 4)
    return n.fail("only 1-D and 2-D windows are supported (input rank " +
                  Twine(rank) + ")");
  return success();
}

LogicalResult importConv(NodeImporter &n) {
  if (failed(n.expectInputs(2, 3)) ||
      failed(n.expectOnlyAttrs({"auto_pad", "dilations", "group",
                                "kernel_shape", "pads", "strides"})))
    return failure();
  RankedTensorType xType = n.inputType(0), wType = n.inputType(1);
  if (failed(checkSpatialRank(n, xType.getRank())))
    return failure();
  if (wType.getRank() != xType.getRank())
    return n.fail("weight rank differs from input rank");
  SmallVector<int64_t> kernel(wType.getShape().drop_front(2));
  if (llvm::any_of(kernel, ShapedType::isDynamic))
    return n.fail("the weight's spatial size must be static");
  FailureOr<Window> w = readWindow(n, xType.getShape(), kernel, false);
  FailureOr<Value> x = toNCHW(n, n.input(0));
  FailureOr<Value> filter = toNCHW(n, n.input(1));
  if (failed(w) || failed(x) || failed(filter))
    return failure();
  FailureOr<Value> y = n.create<Conv2dOp>(*x, *filter, w->strides, w->padding,
                                          w->dilations, n.attrInt("group", 1));
  if (failed(y))
    return failure();
  if (n.hasInput(2)) {
    // Bias [F] -> [1, F, 1, 1], broadcast over the output.
    auto yType = cast<RankedTensorType>(y->getType());
    FailureOr<Value> bias = n.reshape(n.input(2), {1, yType.getDimSize(1), 1, 1});
    if (failed(bias))
      return failure();
    bias = n.broadcastTo(*bias, yType.getShape());
    if (failed(bias))
      return failure();
    y = n.create<AddOp>(*y, *bias);
    if (failed(y))
      return failure();
  }
  return n.setResult(fromNCHW(n, *y, xType.getRank()));
}

template <bool IsMax> LogicalResult importPool(NodeImporter &n) {
  if (failed(n.expectInputs(1, 1)))
    return failure();
  if (IsMax && n.wantsOutput(1))
    return n.fail("the Indices output of MaxPool is not supported");
  if (failed(n.expectOnlyAttrs({"auto_pad", "ceil_mode", "count_include_pad",
                                "dilations", "kernel_shape", "pads",
                                "strides", "storage_order"})))
    return failure();
  RankedTensorType xType = n.inputType(0);
  if (failed(checkSpatialRank(n, xType.getRank())))
    return failure();
  std::optional<SmallVector<int64_t>> kernel = n.attrInts("kernel_shape");
  if (!kernel || (int64_t)kernel->size() != xType.getRank() - 2)
    return n.fail("kernel_shape must hold one size per spatial dimension");
  bool ceilMode = n.attrInt("ceil_mode", 0);
  bool countPad = n.attrInt("count_include_pad", 0);
  FailureOr<Window> w = readWindow(n, xType.getShape(), *kernel, ceilMode);
  FailureOr<Value> x = toNCHW(n, n.input(0));
  if (failed(w) || failed(x))
    return failure();
  if (!IsMax && ceilMode && countPad)
    return n.fail("AveragePool with both ceil_mode and count_include_pad is "
                  "not supported");
  FailureOr<Value> y =
      IsMax ? n.create<MaxPool2dOp>(*x, w->kernel, w->strides, w->padding,
                                    w->dilations)
            : n.create<AvgPool2dOp>(*x, w->kernel, w->strides, w->padding,
                                    w->dilations, countPad);
  if (failed(y))
    return failure();
  return n.setResult(fromNCHW(n, *y, xType.getRank()));
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
  r.add("MaxPool", importPool<true>);
  r.add("AveragePool", importPool<false>);
  r.add("GlobalAveragePool", importGlobalPool<ReduceMeanOp>);
  r.add("GlobalMaxPool", importGlobalPool<ReduceMaxOp>);
  r.add("BatchNormalization", importBatchNorm);
  r.add("Softmax", importSoftmax<SoftmaxOp>);
  r.add("LogSoftmax", importSoftmax<LogSoftmaxOp>);
  r.add("Dropout", importDropout);
}
