//===- ImportReduction.cpp - ONNX Reduce* ops ------------------------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// ReduceSum/Mean/Max/Min/Prod map onto kiln reductions; ReduceSumSquare,
// ReduceL1, ReduceL2, ReduceLogSum and ReduceLogSumExp are sugar over them.
// Axes come from an attribute or, from opset 13 (ReduceSum) or 18 (the
// rest), from an optional input; noop_with_empty_axes is honoured.
//
// ArgMax/ArgMin map onto kiln.argmax/argmin; Hardmax is the one-hot of
// the first maximum (positions compared with kiln.argmax's result); TopK
// picks its k elements one after the other with reductions (see
// importTopK).
//
//===----------------------------------------------------------------------===//

#include "ImportDataUtils.h"
#include "NodeImporter.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::onnx_import;

namespace {

enum class Pre { None, Square, Abs, Exp };
enum class Post { None, Sqrt, Log };

/// Imports a reduction `Reduce` applied after elementwise `pre` and before
/// `post`.
template <typename ReduceOpT, Pre pre = Pre::None, Post post = Post::None,
          int64_t AxesInputSince = 18>
LogicalResult importReduce(NodeImporter &n) {
  bool axesFromInput = n.opset() >= AxesInputSince;
  if (failed(n.expectInputs(1, axesFromInput ? 2 : 1)))
    return failure();
  RankedTensorType type = n.inputType(0);
  int64_t rank = type.getRank();
  SmallVector<int64_t> axes;
  bool haveAxes = false;
  if (axesFromInput && n.hasInput(1)) {
    FailureOr<SmallVector<int64_t>> a = n.requireConstantInts(1, "axes");
    if (failed(a))
      return failure();
    axes = *a;
    haveAxes = true;
  } else if (!axesFromInput) {
    if (std::optional<SmallVector<int64_t>> a = n.attrInts("axes")) {
      axes = *a;
      haveAxes = true;
    }
  }
  if (axes.empty()) {
    if (haveAxes || n.attrInt("noop_with_empty_axes", 0)) {
      if (n.attrInt("noop_with_empty_axes", 0)) {
        n.setOutput(0, n.input(0));
        return success();
      }
    }
    axes = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  }
  FailureOr<SmallVector<int64_t>> normalized = n.normalizeAxes(axes, rank);
  if (failed(normalized))
    return failure();

  Value x = n.input(0);
  FailureOr<Value> v = x;
  if constexpr (pre == Pre::Square)
    v = n.create<MulOp>(x, x);
  else if constexpr (pre == Pre::Abs)
    v = n.create<AbsOp>(x);
  else if constexpr (pre == Pre::Exp)
    v = n.create<ExpOp>(x);
  if (failed(v))
    return failure();
  bool keep = n.attrInt("keepdims", 1);
  v = n.create<ReduceOpT>(*v, *normalized, keep);
  if (failed(v))
    return failure();
  if constexpr (post == Post::Sqrt)
    v = n.create<SqrtOp>(*v);
  else if constexpr (post == Post::Log)
    v = n.create<LogOp>(*v);
  if (failed(v))
    return failure();
  n.setOutput(0, *v);
  return success();
}

template <typename ArgOpT>
LogicalResult importArgReduce(NodeImporter &n) {
  if (failed(n.expectInputs(1, 1)) ||
      failed(n.expectOnlyAttrs({"axis", "keepdims", "select_last_index"})))
    return failure();
  RankedTensorType type = n.inputType(0);
  if (!isa<FloatType, IntegerType>(type.getElementType()))
    return n.fail("input must hold numbers");
  FailureOr<int64_t> axis = n.normalizeAxis(n.attrInt("axis", 0), type.getRank());
  if (failed(axis))
    return failure();
  if (!type.isDynamicDim(*axis) && type.getDimSize(*axis) == 0)
    return n.fail("cannot take the index of an extreme along an empty axis");
  return n.setResult(n.create<ArgOpT>(n.input(0), *axis,
                                      n.attrInt("keepdims", 1) != 0,
                                      n.attrInt("select_last_index", 0) != 0));
}

/// 1 at the first maximum along `axis` (opset < 13: along the flattened
/// dimensions from `axis` on), 0 elsewhere.
LogicalResult importHardmax(NodeImporter &n) {
  if (failed(n.expectInputs(1, 1)) || failed(n.expectOnlyAttrs({"axis"})))
    return failure();
  RankedTensorType type = n.inputType(0);
  if (!type.hasStaticShape())
    return n.fail("Hardmax needs a static input shape");
  int64_t rank = type.getRank();
  bool coerce2d = n.opset() < 13;
  FailureOr<int64_t> axis =
      n.normalizeAxis(n.attrInt("axis", coerce2d ? 1 : -1), rank);
  if (failed(axis))
    return failure();
  FailureOr<Value> x = n.input(0);
  int64_t along = *axis;
  if (coerce2d) {
    x = n.reshape(*x, {productOf(type.getShape(), 0, *axis),
                       productOf(type.getShape(), *axis, rank)});
    along = 1;
  }
  if (failed(x))
    return failure();
  auto xType = cast<RankedTensorType>(x->getType());
  int64_t extent = xType.getDimSize(along);
  if (xType.getNumElements() == 0)
    return n.setResult(n.reshape(*x, type.getShape()));
  FailureOr<Value> best = n.create<ArgMaxOp>(*x, along, true, false);
  if (failed(best) || failed(best = n.broadcastTo(*best, xType.getShape())))
    return failure();
  FailureOr<Value> positions = n.broadcastTo(
      iotaAlong(n, xType.getRank(), along, extent), xType.getShape());
  if (failed(positions))
    return failure();
  FailureOr<Value> hit =
      n.create<CompareOp>(ComparePredicate::eq, *positions, *best);
  if (failed(hit))
    return failure();
  FailureOr<Value> y = n.create<SelectOp>(*hit, n.splatLike(*x, 1.0),
                                          n.splatLike(*x, 0.0));
  if (failed(y))
    return failure();
  return n.setResult(n.reshape(*y, type.getShape()));
}

/// TopK as k rounds over the whole axis; round r picks, among the elements
/// not picked yet, the best value and its first position:
///   eligible = worse than the last pick, or equal to it at a later position
///   m        = reduce_max/min(select(eligible, x, worst))
///   index    = reduce_min(select(eligible && x == m, positions, extent))
///   value    = reduce_sum(select(positions == index, x, 0))
/// so ties come out in ascending positions (ONNX's rule) and infinities are
/// handled exactly. A NaN counts as the best value either way (reduce_max
/// and reduce_min propagate it) and NaNs tie with each other. O(k n), only
/// reductions, compares and selects; the values are differentiable through
/// the last select.
LogicalResult importTopK(NodeImporter &n) {
  bool kIsAttr = n.opset() < 10;
  if (failed(n.expectInputs(kIsAttr ? 1 : 2, kIsAttr ? 1 : 2)) ||
      failed(n.expectOnlyAttrs({"axis", "k", "largest", "sorted"})))
    return failure();
  RankedTensorType type = n.inputType(0);
  if (!type.hasStaticShape())
    return n.fail("TopK needs a static input shape");
  Type element = type.getElementType();
  if (!isa<FloatType, IntegerType>(element) || element.isInteger(1))
    return n.fail("TopK needs numbers");
  int64_t rank = type.getRank();
  FailureOr<int64_t> axis = n.normalizeAxis(n.attrInt("axis", -1), rank);
  if (failed(axis))
    return failure();
  int64_t k;
  if (kIsAttr) {
    k = n.attrInt("k", -1);
  } else {
    FailureOr<SmallVector<int64_t>> kv = n.requireConstantInts(1, "K");
    if (failed(kv))
      return failure();
    if (kv->size() != 1)
      return n.fail("K must hold one value");
    k = (*kv)[0];
  }
  int64_t extent = type.getDimSize(*axis);
  if (k < 0 || k > extent)
    return n.fail("K = " + Twine(k) + " is out of range [0, " +
                  Twine(extent) + "]");
  constexpr int64_t kMaxRounds = 256;
  if (k > kMaxRounds)
    return n.fail("K = " + Twine(k) + " is larger than " + Twine(kMaxRounds) +
                  " (TopK is unrolled into K rounds)");
  bool largest = n.attrInt("largest", 1) != 0;
  SmallVector<int64_t> outShape(type.getShape());
  outShape[*axis] = k;
  if (k == 0 || type.getNumElements() == 0) {
    n.setOutput(0, typedLiteral(n, RankedTensorType::get(outShape, element),
                                {}));
    n.setOutput(1, typedLiteral(n, RankedTensorType::get(outShape,
                                                         n.b().getI64Type()),
                                {}));
    return success();
  }

  ArrayRef<int64_t> shape = type.getShape();
  SmallVector<int64_t, 1> axes = {*axis};
  Value x = n.input(0);
  bool isFloatType = isa<FloatType>(element);
  FailureOr<Value> positions =
      n.broadcastTo(iotaAlong(n, rank, *axis, extent), shape);
  if (failed(positions))
    return failure();
  Value worst;
  if (isFloatType) {
    worst = n.splatLike(x, largest ? -INFINITY : INFINITY);
  } else {
    unsigned width = element.getIntOrFloatBitWidth();
    bool isUnsigned = element.isUnsignedInteger();
    APInt bound = largest ? (isUnsigned ? APInt::getMinValue(width)
                                        : APInt::getSignedMinValue(width))
                          : (isUnsigned ? APInt::getMaxValue(width)
                                        : APInt::getSignedMaxValue(width));
    worst = ConstantOp::create(
        n.b(), n.location(),
        SplatElementsAttr::get(type, IntegerAttr::get(element, bound)));
  }
  Value zero = n.splatLike(x, 0.0);
  Value beyond = n.splatLike(*positions, static_cast<double>(extent));
  Value isTrue = n.splat(RankedTensorType::get(shape, n.b().getI1Type()), 1.0);
  Value isFalse = n.splatLike(isTrue, 0.0);
  auto nanMask = [&](Value v) -> FailureOr<Value> {
    if (!isFloatType)
      return isFalse;
    return n.create<CompareOp>(ComparePredicate::ne, v, v);
  };
  auto orMask = [&](Value a, Value b) { return n.create<SelectOp>(a, a, b); };
  auto andMask = [&](Value a, Value b) { return n.create<SelectOp>(a, b, a); };
  // a == b, where two NaNs are equal.
  auto same = [&](Value a, Value aNaN, Value b,
                  Value bNaN) -> FailureOr<Value> {
    FailureOr<Value> eq = n.create<CompareOp>(ComparePredicate::eq, a, b);
    if (failed(eq) || !isFloatType)
      return eq;
    FailureOr<Value> both = andMask(aNaN, bNaN);
    if (failed(both))
      return failure();
    return orMask(*both, *eq);
  };
  FailureOr<Value> xNaN = nanMask(x);
  if (failed(xNaN))
    return failure();

  SmallVector<Value> values, indices;
  Value lastValue, lastNaN, lastIndex;
  for (int64_t r = 0; r < k; ++r) {
    FailureOr<Value> eligible = isTrue;
    if (r > 0) {
      // worse(x, last) || (same(x, last) && position > lastIndex); after a
      // NaN every number is worse.
      FailureOr<Value> worse = n.create<CompareOp>(
          largest ? ComparePredicate::lt : ComparePredicate::gt, x, lastValue);
      FailureOr<Value> number = n.create<SelectOp>(*xNaN, isFalse, isTrue);
      if (failed(worse) || failed(number) ||
          failed(worse = n.create<SelectOp>(lastNaN, *number, *worse)))
        return failure();
      FailureOr<Value> tie = same(x, *xNaN, lastValue, lastNaN);
      FailureOr<Value> later =
          n.create<CompareOp>(ComparePredicate::gt, *positions, lastIndex);
      if (failed(tie) || failed(later) || failed(tie = andMask(*tie, *later)) ||
          failed(eligible = orMask(*worse, *tie)))
        return failure();
    }
    FailureOr<Value> masked = n.create<SelectOp>(*eligible, x, worst);
    if (failed(masked))
      return failure();
    FailureOr<Value> best = largest ? n.create<ReduceMaxOp>(*masked, axes, true)
                                    : n.create<ReduceMinOp>(*masked, axes, true);
    if (failed(best) || failed(best = n.broadcastTo(*best, shape)))
      return failure();
    FailureOr<Value> bestNaN = nanMask(*best);
    if (failed(bestNaN))
      return failure();
    FailureOr<Value> candidate = same(x, *xNaN, *best, *bestNaN);
    if (failed(candidate) || failed(candidate = andMask(*eligible, *candidate)))
      return failure();
    FailureOr<Value> candidatePositions =
        n.create<SelectOp>(*candidate, *positions, beyond);
    if (failed(candidatePositions))
      return failure();
    FailureOr<Value> index =
        n.create<ReduceMinOp>(*candidatePositions, axes, true);
    if (failed(index))
      return failure();
    FailureOr<Value> indexWide = n.broadcastTo(*index, shape);
    if (failed(indexWide))
      return failure();
    FailureOr<Value> picked =
        n.create<CompareOp>(ComparePredicate::eq, *positions, *indexWide);
    if (failed(picked))
      return failure();
    FailureOr<Value> pickedValues = n.create<SelectOp>(*picked, x, zero);
    if (failed(pickedValues))
      return failure();
    FailureOr<Value> value = n.create<ReduceSumOp>(*pickedValues, axes, true);
    if (failed(value))
      return failure();
    values.push_back(*value);
    indices.push_back(*index);
    lastValue = *best;
    lastNaN = *bestNaN;
    lastIndex = *indexWide;
  }
  FailureOr<Value> outValues = values.size() == 1
                                   ? FailureOr<Value>(values[0])
                                   : n.create<ConcatOp>(values, *axis);
  FailureOr<Value> outIndices = indices.size() == 1
                                    ? FailureOr<Value>(indices[0])
                                    : n.create<ConcatOp>(indices, *axis);
  if (failed(outValues) || failed(outIndices))
    return failure();
  n.setOutput(0, *outValues);
  n.setOutput(1, *outIndices);
  return success();
}

} // namespace

void onnx_import::registerReductionImporters(OpImporterRegistry &r) {
  r.add("ReduceSum", importReduce<ReduceSumOp, Pre::None, Post::None, 13>);
  r.add("ReduceMean", importReduce<ReduceMeanOp>);
  r.add("ReduceMax", importReduce<ReduceMaxOp>);
  r.add("ReduceMin", importReduce<ReduceMinOp>);
  r.add("ReduceProd", importReduce<ReduceProdOp>);
  r.add("ReduceSumSquare", importReduce<ReduceSumOp, Pre::Square>);
  r.add("ReduceL1", importReduce<ReduceSumOp, Pre::Abs>);
  r.add("ReduceL2", importReduce<ReduceSumOp, Pre::Square, Post::Sqrt>);
  r.add("ReduceLogSum", importReduce<ReduceSumOp, Pre::None, Post::Log>);
  r.add("ReduceLogSumExp", importReduce<ReduceSumOp, Pre::Exp, Post::Log>);
  r.add("ArgMax", importArgReduce<ArgMaxOp>);
  r.add("ArgMin", importArgReduce<ArgMinOp>);
  r.add("Hardmax", importHardmax);
  r.add("TopK", importTopK);
}
