//===- ImportShape.cpp - ONNX shape and data-movement ops -----------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Reshape, Flatten, Squeeze/Unsqueeze, Transpose, Slice, Concat, Gather,
// GatherElements, Pad, Expand, Constant, ConstantOfShape, Shape, Size,
// Split, Tile, DepthToSpace and SpaceToDepth. Shape-carrying inputs must be
// constants (after specialization they usually are); Shape on a static input
// folds to a constant so that PyTorch's shape arithmetic imports.
//
// Split is a slice per output; Tile a reshape, broadcast and reshape;
// DepthToSpace/SpaceToDepth a reshape, transpose and reshape; Pad's
// reflect, edge and wrap modes one kiln.gather per padded axis with literal
// source positions.
//
//===----------------------------------------------------------------------===//

#include "ImportDataUtils.h"
#include "NodeImporter.h"

#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::onnx_import;

namespace {

/// A kiln.constant of i64 values.
Value i64Constant(NodeImporter &n, ArrayRef<int64_t> values,
                  ArrayRef<int64_t> shape) {
  auto type = RankedTensorType::get(shape, n.b().getI64Type());
  return ConstantOp::create(n.b(), n.location(),
                            DenseIntElementsAttr::get(type, values));
}

/// Axes from the attribute (old opsets) or the optional input `inputIndex`
/// (from `inputSinceOpset` on); std::nullopt when absent.
FailureOr<std::optional<SmallVector<int64_t>>>
readAxes(NodeImporter &n, int inputIndex, int64_t inputSinceOpset) {
  if (n.opset() < inputSinceOpset)
    return n.attrInts("axes");
  if (!n.hasInput(inputIndex))
    return std::optional<SmallVector<int64_t>>();
  FailureOr<SmallVector<int64_t>> axes = n.requireConstantInts(inputIndex, "axes");
  if (failed(axes))
    return failure();
  return std::optional<SmallVector<int64_t>>(*axes);
}

LogicalResult requireStatic(NodeImporter &n, RankedTensorType type,
                            StringRef why) {
  if (!type.hasStaticShape())
    return n.fail(Twine(why) + " needs a static input shape");
  return success();
}

LogicalResult importReshape(NodeImporter &n) {
  bool shapeIsAttr = n.opset() < 5;
  if (failed(n.expectInputs(shapeIsAttr ? 1 : 2, shapeIsAttr ? 1 : 2)))
    return failure();
  RankedTensorType type = n.inputType(0);
  if (failed(requireStatic(n, type, "Reshape")))
    return failure();
  SmallVector<int64_t> shape;
  if (shapeIsAttr) {
    shape = n.attrInts("shape").value_or(SmallVector<int64_t>());
  } else {
    FailureOr<SmallVector<int64_t>> s = n.requireConstantInts(1, "shape");
    if (failed(s))
      return failure();
    shape = *s;
  }
  bool allowZero = n.attrInt("allowzero", 0);
  int64_t known = 1, inferred = -1;
  for (auto [i, d] : llvm::enumerate(shape)) {
    if (d == 0 && !allowZero) {
      if ((int64_t)i >= type.getRank())
        return n.fail("shape entry 0 copies a dimension the input lacks");
      d = type.getDimSize(i);
    }
    if (d == -1) {
      if (inferred >= 0)
        return n.fail("shape has more than one -1");
      inferred = i;
      continue;
    }
    if (d < 0)
      return n.fail("shape entry " + Twine(d) + " is invalid");
    if (llvm::MulOverflow(known, d, known))
      return n.fail("the shape's element count overflows int64");
  }
  int64_t total = type.getNumElements();
  if (inferred >= 0) {
    if (known == 0 || total % known != 0)
      return n.fail("cannot infer the -1 entry: " + Twine(total) +
                    " elements do not divide into " + Twine(known));
    shape[inferred] = total / known;
  }
  return n.setResult(n.reshape(n.input(0), shape));
}

LogicalResult importFlatten(NodeImporter &n) {
  if (failed(n.expectInputs(1, 1)))
    return failure();
  RankedTensorType type = n.inputType(0);
  if (failed(requireStatic(n, type, "Flatten")))
    return failure();
  int64_t rank = type.getRank();
  int64_t axis = n.attrInt("axis", 1);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis > rank)
    return n.fail("axis " + Twine(n.attrInt("axis", 1)) +
                  " is out of range for rank " + Twine(rank));
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < rank; ++i)
    (i < axis ? outer : inner) *= type.getDimSize(i);
  return n.setResult(n.reshape(n.input(0), {outer, inner}));
}

LogicalResult importSqueeze(NodeImporter &n) {
  if (failed(n.expectInputs(1, 2)))
    return failure();
  RankedTensorType type = n.inputType(0);
  FailureOr<std::optional<SmallVector<int64_t>>> axes = readAxes(n, 1, 13);
  if (failed(axes))
    return failure();
  SmallVector<int64_t> drop;
  if (*axes) {
    FailureOr<SmallVector<int64_t>> norm = n.normalizeAxes(**axes, type.getRank());
    if (failed(norm))
      return failure();
    drop = *norm;
  } else {
    for (int64_t i = 0; i < type.getRank(); ++i)
      if (type.getDimSize(i) == 1)
        drop.push_back(i);
  }
  SmallVector<int64_t> shape;
  for (int64_t i = 0; i < type.getRank(); ++i) {
    if (!llvm::is_contained(drop, i)) {
      shape.push_back(type.getDimSize(i));
      continue;
    }
    if (type.getDimSize(i) != 1)
      return n.fail("cannot squeeze dimension " + Twine(i) + " of size " +
                    Twine(type.getDimSize(i)));
  }
  return n.setResult(n.reshape(n.input(0), shape));
}

LogicalResult importUnsqueeze(NodeImporter &n) {
  if (failed(n.expectInputs(1, 2)))
    return failure();
  RankedTensorType type = n.inputType(0);
  FailureOr<std::optional<SmallVector<int64_t>>> axes = readAxes(n, 1, 13);
  if (failed(axes))
    return failure();
  if (!*axes)
    return n.fail("Unsqueeze needs axes");
  int64_t outRank = type.getRank() + (*axes)->size();
  FailureOr<SmallVector<int64_t>> norm = n.normalizeAxes(**axes, outRank);
  if (failed(norm))
    return failure();
  SmallVector<int64_t> shape;
  auto inDims = type.getShape();
  size_t next = 0;
  for (int64_t i = 0; i < outRank; ++i)
    shape.push_back(llvm::is_contained(*norm, i) ? 1 : inDims[next++]);
  return n.setResult(n.reshape(n.input(0), shape));
}

LogicalResult importTranspose(NodeImporter &n) {
  if (failed(n.expectInputs(1, 1)))
    return failure();
  int64_t rank = n.inputType(0).getRank();
  SmallVector<int64_t> perm = n.attrInts("perm").value_or(
      llvm::to_vector(llvm::reverse(llvm::seq<int64_t>(0, rank))));
  return n.setResult(n.create<TransposeOp>(n.input(0), perm));
}

/// Slice with ONNX's clamping; negative steps become a Gather with literal
/// indices (kiln.slice only steps forward).
LogicalResult importSlice(NodeImporter &n) {
  bool attrForm = n.opset() < 10;
  if (failed(n.expectInputs(attrForm ? 1 : 3, attrForm ? 1 : 5)))
    return failure();
  RankedTensorType type = n.inputType(0);
  if (failed(requireStatic(n, type, "Slice")))
    return failure();
  int64_t rank = type.getRank();
  SmallVector<int64_t> starts, ends, axes, steps;
  if (attrForm) {
    starts = n.attrInts("starts").value_or(SmallVector<int64_t>());
    ends = n.attrInts("ends").value_or(SmallVector<int64_t>());
    axes = n.attrInts("axes").value_or(SmallVector<int64_t>());
  } else {
    FailureOr<SmallVector<int64_t>> s = n.requireConstantInts(1, "starts");
    FailureOr<SmallVector<int64_t>> e = n.requireConstantInts(2, "ends");
    if (failed(s) || failed(e))
      return failure();
    starts = *s;
    ends = *e;
    if (n.hasInput(3)) {
      FailureOr<SmallVector<int64_t>> a = n.requireConstantInts(3, "axes");
      if (failed(a))
        return failure();
      axes = *a;
    }
    if (n.hasInput(4)) {
      FailureOr<SmallVector<int64_t>> st = n.requireConstantInts(4, "steps");
      if (failed(st))
        return failure();
      steps = *st;
    }
  }
  if (axes.empty())
    axes = llvm::to_vector(llvm::seq<int64_t>(0, starts.size()));
  if (steps.empty())
    steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() ||
      steps.size() != starts.size())
    return n.fail("starts, ends, axes and steps differ in length");

  SmallVector<int64_t> offsets(rank, 0), sizes(type.getShape()),
      strides(rank, 1);
  SmallVector<std::pair<int64_t, SmallVector<int64_t>>> reversed;
  for (size_t k = 0; k < starts.size(); ++k) {
    FailureOr<int64_t> axis = n.normalizeAxis(axes[k], rank);
    if (failed(axis))
      return failure();
    int64_t dim = type.getDimSize(*axis), step = steps[k];
    if (step == 0)
      return n.fail("slice step must not be 0");
    int64_t start = starts[k] < 0 ? starts[k] + dim : starts[k];
    int64_t end = ends[k] < 0 ? ends[k] + dim : ends[k];
    if (step > 0) {
      start = std::clamp<int64_t>(start, 0, dim);
      end = std::clamp<int64_t>(end, 0, dim);
      offsets[*axis] = start;
      sizes[*axis] = end > start ? (end - start + step - 1) / step : 0;
      strides[*axis] = step;
      if (sizes[*axis] == 0)
        offsets[*axis] = 0;
      continue;
    }
    start = std::clamp<int64_t>(start, 0, dim - 1);
    end = std::clamp<int64_t>(end, -1, dim - 1);
    SmallVector<int64_t> indices;
    for (int64_t i = start; i > end; i += step)
      indices.push_back(i);
    reversed.push_back({*axis, indices});
  }
  FailureOr<Value> out =
      n.create<SliceOp>(n.input(0), offsets, sizes, strides);
  for (auto &[axis, indices] : reversed) {
    if (failed(out))
      return failure();
    Value idx = i64Constant(n, indices, {(int64_t)indices.size()});
    out = n.create<GatherOp>(*out, idx, axis);
  }
  return n.setResult(out);
}

LogicalResult importConcat(NodeImporter &n) {
  if (failed(n.expectInputs(1, 1 << 16)))
    return failure();
  SmallVector<Value> inputs;
  for (int i = 0; i < n.numInputs(); ++i)
    if (n.hasInput(i))
      inputs.push_back(n.input(i));
  int64_t rank = cast<RankedTensorType>(inputs[0].getType()).getRank();
  if (!n.attr("axis"))
    return n.fail("attribute 'axis' is required");
  FailureOr<int64_t> axis = n.normalizeAxis(n.attrInt("axis", 0), rank);
  if (failed(axis))
    return failure();
  return n.setResult(n.create<ConcatOp>(inputs, *axis));
}

LogicalResult importGather(NodeImporter &n) {
  if (failed(n.expectInputs(2, 2)))
    return failure();
  FailureOr<int64_t> axis =
      n.normalizeAxis(n.attrInt("axis", 0), n.inputType(0).getRank());
  if (failed(axis))
    return failure();
  // Literal indices are checked here: ONNX leaves out-of-range indices
  // undefined, and the lowering would clamp them silently.
  int64_t extent = n.inputType(0).getDimSize(*axis);
  DenseIntElementsAttr indices;
  if (!ShapedType::isDynamic(extent) &&
      matchPattern(n.input(1), m_Constant(&indices))) {
    for (const APInt &index : indices) {
      int64_t i = index.getSExtValue();
      if (i < -extent || i >= extent)
        return n.fail("index " + Twine(i) + " is out of range for axis " +
                      Twine(*axis) + " of extent " + Twine(extent));
    }
  }
  return n.setResult(n.create<GatherOp>(n.input(0), n.input(1), *axis));
}

/// GatherElements (take-along-axis) as a one-hot selection: with C the
/// data's extent along `axis`, every output element compares its index
/// with 0..C-1 on a new dimension after `axis`, selects the matching data
/// element and sums that dimension away. O(outputs x C), but only
/// elementwise ops and a reduction, which autodiff and fusion already handle
/// (NegativeLogLikelihoodLoss's ONNX function body gathers this way).
LogicalResult importGatherElements(NodeImporter &n) {
  if (failed(n.expectInputs(2, 2)))
    return failure();
  RankedTensorType dataType = n.inputType(0), indexType = n.inputType(1);
  int64_t rank = dataType.getRank();
  if (indexType.getRank() != rank)
    return n.fail("indices must have the data's rank");
  if (!dataType.hasStaticShape() || !indexType.hasStaticShape())
    return n.fail("GatherElements needs static shapes");
  if (dataType.getElementType().isInteger(1))
    return n.fail("GatherElements on booleans is not supported");
  FailureOr<int64_t> axis = n.normalizeAxis(n.attrInt("axis", 0), rank);
  if (failed(axis))
    return failure();
  int64_t extent = dataType.getDimSize(*axis);
  ArrayRef<int64_t> outShape = indexType.getShape();
  // The data box the output reads from: the indices' extents, whole `axis`.
  SmallVector<int64_t> box(outShape);
  box[*axis] = extent;
  for (int64_t i = 0; i < rank; ++i)
    if (box[i] > dataType.getDimSize(i))
      return n.fail("indices are larger than the data along axis " + Twine(i));
  FailureOr<Value> data = n.input(0);
  if (ArrayRef<int64_t>(box) != dataType.getShape())
    data = n.create<SliceOp>(n.input(0), SmallVector<int64_t>(rank, 0), box,
                             SmallVector<int64_t>(rank, 1));
  if (failed(data))
    return failure();

  // Shapes with the new class dimension at axis + 1.
  SmallVector<int64_t> wide(outShape);
  wide.insert(wide.begin() + *axis + 1, extent);
  SmallVector<int64_t> indexShape(outShape), dataShape(box), classShape(rank + 1, 1);
  indexShape.insert(indexShape.begin() + *axis + 1, 1);
  dataShape.insert(dataShape.begin() + *axis, 1);
  classShape[*axis + 1] = extent;

  // Negative indices count from the end.
  Value indices = n.input(1);
  FailureOr<Value> negative =
      n.create<CompareOp>(ComparePredicate::lt, indices, n.splatLike(indices, 0));
  if (failed(negative))
    return failure();
  FailureOr<Value> wrapped =
      n.create<AddOp>(indices, n.splatLike(indices, static_cast<double>(extent)));
  if (failed(wrapped))
    return failure();
  FailureOr<Value> normalized = n.create<SelectOp>(*negative, *wrapped, indices);
  if (failed(normalized))
    return failure();
  FailureOr<Value> index = n.reshape(*normalized, indexShape);
  if (failed(index) || failed(index = n.broadcastTo(*index, wide)))
    return failure();
  SmallVector<APInt> classValues;
  unsigned width = indexType.getElementTypeBitWidth();
  for (int64_t c = 0; c < extent; ++c)
    classValues.push_back(APInt(width, c, /*isSigned=*/true));
  Value classes = ConstantOp::create(
      n.b(), n.location(),
      DenseIntElementsAttr::get(
          RankedTensorType::get(classShape, indexType.getElementType()),
          classValues));
  FailureOr<Value> classesWide = n.broadcastTo(classes, wide);
  FailureOr<Value> dataWide = n.reshape(*data, dataShape);
  if (failed(classesWide) || failed(dataWide) ||
      failed(dataWide = n.broadcastTo(*dataWide, wide)))
    return failure();
  FailureOr<Value> oneHot =
      n.create<CompareOp>(ComparePredicate::eq, *index, *classesWide);
  if (failed(oneHot))
    return failure();
  FailureOr<Value> picked =
      n.create<SelectOp>(*oneHot, *dataWide, n.splatLike(*dataWide, 0));
  if (failed(picked))
    return failure();
  return n.setResult(
      n.create<ReduceSumOp>(*picked, ArrayRef<int64_t>{*axis + 1}, false));
}

/// The source position along an axis of extent `extent` of output position
/// `i` of a pad with `low` elements before, in `mode` (reflect, edge, wrap).
int64_t padSource(StringRef mode, int64_t i, int64_t low, int64_t extent) {
  int64_t j = i - low;
  if (mode == "edge")
    return std::clamp<int64_t>(j, 0, extent - 1);
  if (mode == "wrap")
    return ((j % extent) + extent) % extent;
  // reflect: mirrored at the edges without repeating them.
  if (extent == 1)
    return 0;
  int64_t period = 2 * (extent - 1);
  j = ((j % period) + period) % period;
  return j < extent ? j : period - j;
}

/// Pad; negative pads crop through a slice. Constant mode is a kiln.pad;
/// the other modes gather literal source positions along each padded axis.
LogicalResult importPad(NodeImporter &n) {
  bool attrForm = n.opset() < 11;
  if (failed(n.expectInputs(attrForm ? 1 : 2, attrForm ? 1 : 4)))
    return failure();
  std::string mode = n.attrString("mode", "constant");
  if (mode != "constant" && mode != "reflect" && mode != "edge" &&
      mode != "wrap")
    return n.fail("Pad mode '" + mode + "' is not supported");
  RankedTensorType type = n.inputType(0);
  int64_t rank = type.getRank();
  SmallVector<int64_t> pads;
  double value = 0;
  if (attrForm) {
    pads = n.attrInts(n.opset() < 2 ? "paddings" : "pads")
               .value_or(SmallVector<int64_t>());
    value = n.attrFloat("value", 0.0f);
  } else {
    FailureOr<SmallVector<int64_t>> p = n.requireConstantInts(1, "pads");
    if (failed(p))
      return failure();
    pads = *p;
    if (n.hasInput(2)) {
      DenseElementsAttr v = n.constantInput(2);
      if (!v || v.getNumElements() != 1)
        return n.fail("constant_value must be a constant scalar");
      Attribute e = *v.value_begin<Attribute>();
      value = isa<FloatAttr>(e) ? cast<FloatAttr>(e).getValueAsDouble()
                                : cast<IntegerAttr>(e).getValue().getSExtValue();
    }
  }
  SmallVector<int64_t> axes = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  if (!attrForm && n.hasInput(3)) {
    FailureOr<SmallVector<int64_t>> a = n.requireConstantInts(3, "axes");
    if (failed(a))
      return failure();
    axes.clear();
    for (int64_t axis : *a) {
      FailureOr<int64_t> norm = n.normalizeAxis(axis, rank);
      if (failed(norm))
        return failure();
      axes.push_back(*norm);
    }
  }
  if (pads.size() != 2 * axes.size())
    return n.fail("pads has " + Twine(pads.size()) + " entries, expected " +
                  Twine(2 * axes.size()));
  SmallVector<int64_t> low(rank, 0), high(rank, 0);
  for (auto [k, axis] : llvm::enumerate(axes)) {
    low[axis] = pads[k];
    high[axis] = pads[k + axes.size()];
  }
  Value x = n.input(0);
  // Negative pads remove elements: slice those off first.
  if (llvm::any_of(low, [](int64_t p) { return p < 0; }) ||
      llvm::any_of(high, [](int64_t p) { return p < 0; })) {
    if (failed(requireStatic(n, type, "Pad with negative pads")))
      return failure();
    SmallVector<int64_t> offsets(rank), sizes(type.getShape()), strides(rank, 1);
    for (int64_t i = 0; i < rank; ++i) {
      offsets[i] = std::max<int64_t>(0, -low[i]);
      sizes[i] -= offsets[i] + std::max<int64_t>(0, -high[i]);
      if (sizes[i] < 0)
        return n.fail("negative pads remove more than the dimension holds");
      low[i] = std::max<int64_t>(0, low[i]);
      high[i] = std::max<int64_t>(0, high[i]);
    }
    FailureOr<Value> cropped = n.create<SliceOp>(x, offsets, sizes, strides);
    if (failed(cropped))
      return failure();
    x = *cropped;
  }
  if (mode != "constant") {
    auto cropped = cast<RankedTensorType>(x.getType());
    if (failed(requireStatic(n, cropped, "Pad in mode '" + mode + "'")))
      return failure();
    for (int64_t axis = 0; axis < rank; ++axis) {
      if (low[axis] == 0 && high[axis] == 0)
        continue;
      int64_t extent = cropped.getDimSize(axis);
      if (extent == 0)
        return n.fail("cannot pad an empty dimension in mode '" + mode + "'");
      int64_t out = extent + low[axis] + high[axis];
      SmallVector<int64_t> sources;
      for (int64_t i = 0; i < out; ++i)
        sources.push_back(padSource(mode, i, low[axis], extent));
      FailureOr<Value> gathered =
          n.create<GatherOp>(x, i64Literal(n, sources, {out}), axis);
      if (failed(gathered))
        return failure();
      x = *gathered;
    }
    n.setOutput(0, x);
    return success();
  }
  Type element = type.getElementType();
  if (!isa<FloatType>(element) &&
      !(value >= -9.2e18 && value <= 9.2e18)) // NaN fails too.
    return n.fail("constant_value " + std::to_string(value) +
                  " is not an integer of the input's type");
  TypedAttr padValue =
      isa<FloatType>(element)
          ? TypedAttr(n.b().getFloatAttr(element, value))
          : TypedAttr(n.b().getIntegerAttr(element, (int64_t)value));
  return n.setResult(n.create<PadOp>(x, low, high, padValue));
}

LogicalResult importExpand(NodeImporter &n) {
  if (failed(n.expectInputs(2, 2)))
    return failure();
  FailureOr<SmallVector<int64_t>> shape = n.requireConstantInts(1, "shape");
  if (failed(shape))
    return failure();
  std::optional<SmallVector<int64_t>> target =
      broadcastShapes(n.inputType(0).getShape(), *shape);
  if (!target)
    return n.fail("input shape does not broadcast to the requested shape");
  return n.setResult(n.broadcastTo(n.input(0), *target));
}

LogicalResult importConstant(NodeImporter &n) {
  if (failed(n.expectInputs(0, 0)))
    return failure();
  if (const onnx::AttributeProto *value = n.attr("value"))
    return n.setResult(n.tensorConstant(value->t()));
  auto makeF32 = [&](ArrayRef<float> values, ArrayRef<int64_t> shape) {
    auto type = RankedTensorType::get(shape, n.b().getF32Type());
    return ConstantOp::create(n.b(), n.location(),
                              DenseElementsAttr::get(type, values))
        .getResult();
  };
  if (const onnx::AttributeProto *a = n.attr("value_float")) {
    n.setOutput(0, makeF32({a->f()}, {}));
    return success();
  }
  if (const onnx::AttributeProto *a = n.attr("value_floats")) {
    SmallVector<float> v(a->floats().begin(), a->floats().end());
    n.setOutput(0, makeF32(v, {(int64_t)v.size()}));
    return success();
  }
  if (const onnx::AttributeProto *a = n.attr("value_int")) {
    n.setOutput(0, i64Constant(n, {a->i()}, {}));
    return success();
  }
  if (const onnx::AttributeProto *a = n.attr("value_ints")) {
    SmallVector<int64_t> v(a->ints().begin(), a->ints().end());
    n.setOutput(0, i64Constant(n, v, {(int64_t)v.size()}));
    return success();
  }
  if (n.proto().attribute_size() == 0)
    return n.fail("no value attribute (value, value_float(s) or "
                  "value_int(s))");
  return n.fail("only tensor, float(s) and int(s) constants are supported");
}

LogicalResult importConstantOfShape(NodeImporter &n) {
  if (failed(n.expectInputs(1, 1)))
    return failure();
  FailureOr<SmallVector<int64_t>> shape = n.requireConstantInts(0, "shape");
  if (failed(shape))
    return failure();
  if (llvm::any_of(*shape, [](int64_t d) { return d < 0; }))
    return n.fail("shape entries must be non-negative");
  Attribute scalar = n.b().getF32FloatAttr(0.0f);
  if (const onnx::AttributeProto *value = n.attr("value")) {
    std::string error;
    LiteralOptions inline_ = n.literalOptions();
    inline_.resourceThresholdBytes = INT64_MAX;
    ElementsAttr one =
        elementsFromTensorProto(value->t(), n.context(), inline_, error);
    if (!one)
      return n.fail("value: " + error);
    if (one.getNumElements() != 1)
      return n.fail("value must hold exactly one element");
    scalar = *one.value_begin<Attribute>();
  }
  auto type = RankedTensorType::get(*shape, cast<TypedAttr>(scalar).getType());
  n.setOutput(0, ConstantOp::create(n.b(), n.location(),
                                    SplatElementsAttr::get(type, scalar)));
  return success();
}

LogicalResult importShape(NodeImporter &n) {
  if (failed(n.expectInputs(1, 1)))
    return failure();
  RankedTensorType type = n.inputType(0);
  int64_t rank = type.getRank();
  int64_t start = n.attrInt("start", 0), end = n.attrInt("end", rank);
  start = std::clamp<int64_t>(start < 0 ? start + rank : start, 0, rank);
  end = std::clamp<int64_t>(end < 0 ? end + rank : end, 0, rank);
  SmallVector<int64_t> dims;
  for (int64_t i = start; i < end; ++i) {
    if (type.isDynamicDim(i))
      return n.fail("Shape of a dynamic dimension is not supported");
    dims.push_back(type.getDimSize(i));
  }
  n.setOutput(0, i64Constant(n, dims, {(int64_t)dims.size()}));
  return success();
}

LogicalResult importSize(NodeImporter &n) {
  if (failed(n.expectInputs(1, 1)))
    return failure();
  RankedTensorType type = n.inputType(0);
  if (failed(requireStatic(n, type, "Size")))
    return failure();
  n.setOutput(0, i64Constant(n, {type.getNumElements()}, {}));
  return success();
}

/// Split along `axis` into the outputs: sizes from the `split` input
/// (opset >= 13) or attribute, else equal parts (opset 18's num_outputs:
/// ceil-sized parts, the last one smaller).
LogicalResult importSplit(NodeImporter &n) {
  bool splitIsInput = n.opset() >= 13 || n.opset() < 2;
  if (failed(n.expectInputs(1, 2)) ||
      failed(n.expectOnlyAttrs({"axis", "split", "num_outputs"})))
    return failure();
  RankedTensorType type = n.inputType(0);
  int64_t rank = type.getRank();
  FailureOr<int64_t> axis = n.normalizeAxis(n.attrInt("axis", 0), rank);
  if (failed(axis))
    return failure();
  if (type.isDynamicDim(*axis))
    return n.fail("Split needs a static extent along the split axis");
  int64_t extent = type.getDimSize(*axis);
  int64_t outputs = n.numOutputs();
  SmallVector<int64_t> sizes;
  if (splitIsInput && n.hasInput(1)) {
    FailureOr<SmallVector<int64_t>> s = n.requireConstantInts(1, "split");
    if (failed(s))
      return failure();
    sizes = *s;
  } else if (std::optional<SmallVector<int64_t>> s = n.attrInts("split")) {
    sizes = *s;
  } else if (n.attr("num_outputs")) {
    int64_t parts = n.attrInt("num_outputs", 1);
    if (parts < 1 || parts != outputs)
      return n.fail("num_outputs " + Twine(parts) + " does not match the " +
                    Twine(outputs) + " outputs");
    int64_t chunk = (extent + parts - 1) / parts;
    for (int64_t i = 0; i < parts; ++i)
      sizes.push_back(std::clamp<int64_t>(extent - i * chunk, 0, chunk));
  } else {
    if (outputs < 1 || extent % outputs != 0)
      return n.fail("cannot split extent " + Twine(extent) + " into " +
                    Twine(outputs) + " equal parts");
    sizes.assign(outputs, extent / outputs);
  }
  if ((int64_t)sizes.size() != outputs)
    return n.fail("split has " + Twine(sizes.size()) + " entries for " +
                  Twine(outputs) + " outputs");
  int64_t total = 0;
  for (int64_t size : sizes) {
    if (size < 0)
      return n.fail("split sizes must be non-negative");
    total += size;
  }
  if (total != extent)
    return n.fail("split sizes add up to " + Twine(total) + ", not " +
                  Twine(extent));
  int64_t offset = 0;
  for (auto [i, size] : llvm::enumerate(sizes)) {
    SmallVector<int64_t> offsets(rank, 0), shape(type.getShape()),
        strides(rank, 1);
    offsets[*axis] = size == 0 ? 0 : offset;
    shape[*axis] = size;
    offset += size;
    if (!n.wantsOutput(i))
      continue;
    FailureOr<Value> part = n.create<SliceOp>(n.input(0), offsets, shape,
                                              strides);
    if (failed(part))
      return failure();
    n.setOutput(i, *part);
  }
  return success();
}

/// Tile: [d0, d1] -> reshape [1, d0, 1, d1] -> broadcast [r0, d0, r1, d1]
/// -> reshape [r0 d0, r1 d1].
LogicalResult importTile(NodeImporter &n) {
  if (n.opset() < 6)
    return n.fail("Tile before opset 6 (tiles and axis inputs) is not "
                  "supported");
  if (failed(n.expectInputs(2, 2)) || failed(n.expectOnlyAttrs({})))
    return failure();
  RankedTensorType type = n.inputType(0);
  if (failed(requireStatic(n, type, "Tile")))
    return failure();
  FailureOr<SmallVector<int64_t>> repeats = n.requireConstantInts(1, "repeats");
  if (failed(repeats))
    return failure();
  int64_t rank = type.getRank();
  if ((int64_t)repeats->size() != rank)
    return n.fail("repeats has " + Twine(repeats->size()) +
                  " entries for rank " + Twine(rank));
  SmallVector<int64_t> spread, wide, out;
  for (int64_t i = 0; i < rank; ++i) {
    int64_t r = (*repeats)[i], d = type.getDimSize(i);
    if (r < 0)
      return n.fail("repeats must be non-negative");
    spread.append({1, d});
    wide.append({r, d});
    int64_t extent = 0;
    if (llvm::MulOverflow(r, d, extent))
      return n.fail("repeats " + Twine(r) + " of extent " + Twine(d) +
                    " overflow the result's size");
    out.push_back(extent);
  }
  if (productOf(out, 0, out.size()) == 0) {
    n.setOutput(0, typedLiteral(n, type.clone(out), {}));
    return success();
  }
  FailureOr<Value> x = n.reshape(n.input(0), spread);
  if (failed(x) || failed(x = n.broadcastTo(*x, wide)))
    return failure();
  return n.setResult(n.reshape(*x, out));
}

/// DepthToSpace (modes DCR and CRD) and SpaceToDepth on NCHW tensors.
template <bool ToSpace>
LogicalResult importDepthSpace(NodeImporter &n) {
  if (failed(n.expectInputs(1, 1)) ||
      failed(n.expectOnlyAttrs({"blocksize", "mode"})))
    return failure();
  RankedTensorType type = n.inputType(0);
  if (type.getRank() != 4 || !type.hasStaticShape())
    return n.fail("needs a static 4-D NCHW input");
  int64_t b = n.attrInt("blocksize", 0);
  if (b < 1)
    return n.fail("blocksize must be positive");
  int64_t N = type.getDimSize(0), C = type.getDimSize(1),
          H = type.getDimSize(2), W = type.getDimSize(3);
  SmallVector<int64_t> split, perm, out;
  if (ToSpace) {
    if (C % (b * b) != 0)
      return n.fail("channels " + Twine(C) + " are not a multiple of " +
                    Twine(b * b));
    std::string mode = n.attrString("mode", "DCR");
    if (mode == "DCR") {
      split = {N, b, b, C / (b * b), H, W};
      perm = {0, 3, 4, 1, 5, 2};
    } else if (mode == "CRD") {
      split = {N, C / (b * b), b, b, H, W};
      perm = {0, 1, 4, 2, 5, 3};
    } else {
      return n.fail("unknown mode '" + mode + "'");
    }
    out = {N, C / (b * b), H * b, W * b};
  } else {
    if (H % b != 0 || W % b != 0)
      return n.fail("height and width must be multiples of the blocksize");
    split = {N, C, H / b, b, W / b, b};
    perm = {0, 3, 5, 1, 2, 4};
    out = {N, C * b * b, H / b, W / b};
  }
  FailureOr<Value> x = n.reshape(n.input(0), split);
  if (failed(x) || failed(x = n.create<TransposeOp>(*x, perm)))
    return failure();
  return n.setResult(n.reshape(*x, out));
}

} // namespace

void onnx_import::registerShapeImporters(OpImporterRegistry &r) {
  r.add("Reshape", importReshape);
  r.add("Flatten", importFlatten);
  r.add("Squeeze", importSqueeze);
  r.add("Unsqueeze", importUnsqueeze);
  r.add("Transpose", importTranspose);
  r.add("Slice", importSlice);
  r.add("Concat", importConcat);
  r.add("Gather", importGather);
  r.add("GatherElements", importGatherElements, /*sinceOpset=*/11);
  r.add("Pad", importPad);
  r.add("Expand", importExpand, /*sinceOpset=*/8);
  r.add("Constant", importConstant);
  r.add("ConstantOfShape", importConstantOfShape, /*sinceOpset=*/9);
  r.add("Shape", importShape);
  r.add("Size", importSize);
  r.add("Split", importSplit);
  r.add("Tile", importTile);
  r.add("DepthToSpace", importDepthSpace<true>);
  r.add("SpaceToDepth", importDepthSpace<false>);
}
