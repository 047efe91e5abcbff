//===- ImportIndexing.cpp - ONNX indexing and generator ops ---------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// ONNX's indexing ops, each decomposed into the core kiln primitives (no op
// of their own), so that autodiff, fusion and the lowerings need nothing
// new:
//
//   GatherND          -> one kiln.gather on the data flattened over the
//                        indexed dimensions, at a linear index computed
//                        from the index tuples (mul by strides, reduce_sum)
//   ScatterND, ScatterElements, Scatter
//                     -> linear indices into the flattened data, then
//                        kiln.scatter_add (add; none = add onto the data
//                        with the written positions cleared) or a one-hot
//                        reduction (mul, max, min)
//   OneHot            -> positions compared with the (wrapped) indices,
//                        select(on, off)
//   CumSum            -> log2(n) shifted adds (Hillis-Steele scan) of
//                        slices and pads; exclusive = shifted by one
//   Trilu, EyeLike    -> a literal mask and a select; a literal
//   Range, HannWindow, HammingWindow, BlackmanWindow
//                     -> literals computed here from their (constant)
//                        scalar inputs
//   ReverseSequence   -> a kiln.gather at literal positions (the sequence
//                        lengths must be constant)
//   NonZero, Compress, Unique
//                     -> their result shapes depend on data, so they need
//                        the deciding input at load time (a literal, or the
//                        data kiln-run binds: NodeImporter::knownValue);
//                        they become literals and gathers at literal
//                        positions, valid for that data only
//
//===----------------------------------------------------------------------===//

#include "ImportDataUtils.h"
#include "NodeImporter.h"

#include <cmath>

using namespace mlir;
using namespace kiln;
using namespace kiln::onnx_import;

namespace {

/// The largest one-hot intermediate (elements) a scatter with a mul, max or
/// min reduction may build.
constexpr int64_t kMaxOneHotElements = int64_t(1) << 26;

FailureOr<Value> toI64(NodeImporter &n, Value v) {
  return castTo(n, v, n.b().getI64Type());
}

/// `indices` (i64) with negative entries moved up by `extents` (a value
/// broadcastable to the indices' shape, of i64).
FailureOr<Value> wrapNegative(NodeImporter &n, Value indices, Value extents) {
  FailureOr<Value> wide =
      n.broadcastTo(extents, cast<RankedTensorType>(indices.getType()).getShape());
  if (failed(wide))
    return failure();
  FailureOr<Value> negative =
      n.create<CompareOp>(ComparePredicate::lt, indices, n.splatLike(indices, 0));
  FailureOr<Value> shifted = n.create<AddOp>(indices, *wide);
  if (failed(negative) || failed(shifted))
    return failure();
  return n.create<SelectOp>(*negative, *shifted, indices);
}

/// The linear position, in the row-major flattening of `dims`, of each
/// index tuple along the last dimension of `indices` (i64, [..., m] with m =
/// dims.size()); negative entries count from the end. Result: [...].
FailureOr<Value> linearize(NodeImporter &n, Value indices,
                           ArrayRef<int64_t> dims) {
  auto type = cast<RankedTensorType>(indices.getType());
  int64_t m = dims.size();
  FailureOr<Value> wrapped = wrapNegative(n, indices, i64Literal(n, dims, {m}));
  if (failed(wrapped))
    return failure();
  if (m == 1)
    return n.reshape(*wrapped, type.getShape().drop_back());
  FailureOr<Value> strides =
      n.broadcastTo(i64Literal(n, stridesOf(dims), {m}), type.getShape());
  if (failed(strides))
    return failure();
  FailureOr<Value> scaled = n.create<MulOp>(*wrapped, *strides);
  if (failed(scaled))
    return failure();
  return n.create<ReduceSumOp>(*scaled, ArrayRef<int64_t>{type.getRank() - 1},
                               false);
}

//===----------------------------------------------------------------------===//
// GatherND
//===----------------------------------------------------------------------===//

LogicalResult importGatherND(NodeImporter &n) {
  if (failed(n.expectInputs(2, 2)) || failed(n.expectOnlyAttrs({"batch_dims"})))
    return failure();
  RankedTensorType dataType = n.inputType(0), indexType = n.inputType(1);
  if (!dataType.hasStaticShape() || !indexType.hasStaticShape())
    return n.fail("GatherND needs static shapes");
  if (!isa<IntegerType>(indexType.getElementType()))
    return n.fail("indices must be integers");
  int64_t r = dataType.getRank(), q = indexType.getRank();
  int64_t b = n.attrInt("batch_dims", 0);
  if (q < 1 || b < 0 || b >= std::min(r, q))
    return n.fail("batch_dims " + Twine(b) + " is out of range");
  ArrayRef<int64_t> data = dataType.getShape(), idx = indexType.getShape();
  int64_t m = idx.back();
  if (m < 1 || b + m > r)
    return n.fail("index tuples of length " + Twine(m) +
                  " do not fit data of rank " + Twine(r) + " after " +
                  Twine(b) + " batch dimensions");
  for (int64_t i = 0; i < b; ++i)
    if (data[i] != idx[i])
      return n.fail("batch dimension " + Twine(i) + " differs between data "
                    "and indices");
  SmallVector<int64_t> tupleShape(idx.drop_back());
  SmallVector<int64_t> rest(data.drop_front(b + m));
  SmallVector<int64_t> outShape(tupleShape);
  llvm::append_range(outShape, rest);
  if (dataType.getNumElements() == 0 || indexType.getNumElements() == 0) {
    if (productOf(outShape, 0, outShape.size()) != 0)
      return n.fail("GatherND reads from empty data");
    return n.setResult(n.reshape(n.input(0), outShape));
  }

  int64_t P = productOf(data, b, b + m);
  FailureOr<Value> indices = toI64(n, n.input(1));
  if (failed(indices))
    return failure();
  FailureOr<Value> linear =
      linearize(n, *indices, data.slice(b, m));
  if (failed(linear))
    return failure();
  if (b > 0) {
    // Each tuple also moves to its batch's block of P rows: a literal.
    SmallVector<int64_t> offsets;
    int64_t tuples = productOf(tupleShape, 0, tupleShape.size());
    int64_t perBatch = productOf(tupleShape, b, tupleShape.size());
    for (int64_t t = 0; t < tuples; ++t)
      offsets.push_back((t / perBatch) * P);
    FailureOr<Value> moved =
        n.create<AddOp>(*linear, i64Literal(n, offsets, tupleShape));
    if (failed(moved))
      return failure();
    linear = moved;
  }
  SmallVector<int64_t> flatShape = {productOf(data, 0, b) * P};
  llvm::append_range(flatShape, rest);
  FailureOr<Value> flat = n.reshape(n.input(0), flatShape);
  if (failed(flat))
    return failure();
  return n.setResult(n.create<GatherOp>(*flat, *linear, 0));
}

//===----------------------------------------------------------------------===//
// ScatterND, ScatterElements, Scatter
//===----------------------------------------------------------------------===//

enum class ScatterReduction { None, Add, Mul, Max, Min };

FailureOr<ScatterReduction> readReduction(NodeImporter &n) {
  std::string r = n.attrString("reduction", "none");
  if (r == "none")
    return ScatterReduction::None;
  if (r == "add")
    return ScatterReduction::Add;
  if (r == "mul")
    return ScatterReduction::Mul;
  if (r == "max")
    return ScatterReduction::Max;
  if (r == "min")
    return ScatterReduction::Min;
  return n.fail("unknown reduction '" + r + "'");
}

/// Writes `updates` [U, rest...] into `data` [P, rest...] at rows `linear`
/// [U] (i64, in range after wrapping) with `reduction`.
FailureOr<Value> scatterRows(NodeImporter &n, Value data, Value linear,
                             Value updates, ScatterReduction reduction) {
  auto dataType = cast<RankedTensorType>(data.getType());
  auto updType = cast<RankedTensorType>(updates.getType());
  Type element = dataType.getElementType();
  if (element.isInteger(1) && reduction != ScatterReduction::None)
    return n.fail("reductions on booleans are not supported");
  int64_t P = dataType.getDimSize(0), U = updType.getDimSize(0);
  if (U == 0)
    return data;

  if (reduction == ScatterReduction::Add)
    return n.create<ScatterAddOp>(data, linear, updates, 0);
  if (reduction == ScatterReduction::None) {
    // Clear the rows that are written, then add the updates in. (With
    // duplicate indices ONNX leaves the result undefined; here they add.)
    Type counter = n.b().getI64Type();
    Value zeros = n.splat(RankedTensorType::get({P}, counter), 0.0);
    Value ones = n.splat(RankedTensorType::get({U}, counter), 1.0);
    FailureOr<Value> counts = n.create<ScatterAddOp>(zeros, linear, ones, 0);
    if (failed(counts))
      return failure();
    FailureOr<Value> written =
        n.create<CompareOp>(ComparePredicate::gt, *counts, zeros);
    if (failed(written))
      return failure();
    SmallVector<int64_t> column(dataType.getRank(), 1);
    column[0] = P;
    FailureOr<Value> mask = n.reshape(*written, column);
    if (failed(mask) || failed(mask = n.broadcastTo(*mask, dataType.getShape())))
      return failure();
    bool isBool = element.isInteger(1);
    Value base = data, upd = updates;
    if (isBool) {
      // scatter_add adds: carry booleans as i8 through it.
      Type i8 = n.b().getIntegerType(8);
      FailureOr<Value> b8 = castTo(n, data, i8), u8 = castTo(n, updates, i8);
      if (failed(b8) || failed(u8))
        return failure();
      base = *b8;
      upd = *u8;
    }
    FailureOr<Value> cleared =
        n.create<SelectOp>(*mask, n.splatLike(base, 0.0), base);
    if (failed(cleared))
      return failure();
    FailureOr<Value> out = n.create<ScatterAddOp>(*cleared, linear, upd, 0);
    if (failed(out) || !isBool)
      return out;
    return castTo(n, *out, element);
  }

  // mul / max / min: a one-hot [U, P, rest...] reduced over U.
  int64_t restCount = productOf(dataType.getShape(), 1, dataType.getRank());
  if (U * P * std::max<int64_t>(restCount, 1) > kMaxOneHotElements)
    return n.fail("scatter with reduction '" + n.attrString("reduction", "") +
                  "' is too large (" + Twine(U) + " updates into " + Twine(P) +
                  " rows)");
  SmallVector<int64_t> wide = {U, P};
  llvm::append_range(wide, dataType.getShape().drop_front());
  int64_t wideRank = wide.size();
  SmallVector<int64_t> rowsShape(wideRank, 1), posShape(wideRank, 1);
  rowsShape[0] = U;
  posShape[1] = P;
  FailureOr<Value> rows = n.reshape(linear, rowsShape);
  if (failed(rows) || failed(rows = n.broadcastTo(*rows, wide)))
    return failure();
  FailureOr<Value> positions = n.broadcastTo(
      i64Literal(n, llvm::to_vector(llvm::seq<int64_t>(0, P)), posShape), wide);
  if (failed(positions))
    return failure();
  FailureOr<Value> hit =
      n.create<CompareOp>(ComparePredicate::eq, *rows, *positions);
  if (failed(hit))
    return failure();
  SmallVector<int64_t> updShape(updType.getShape());
  updShape.insert(updShape.begin() + 1, 1);
  FailureOr<Value> updWide = n.reshape(updates, updShape);
  if (failed(updWide) || failed(updWide = n.broadcastTo(*updWide, wide)))
    return failure();
  auto wideType = RankedTensorType::get(wide, element);
  Value identity;
  bool isFloatType = isa<FloatType>(element);
  unsigned width = element.getIntOrFloatBitWidth();
  auto intSplat = [&](const APInt &v) {
    return Value(ConstantOp::create(
        n.b(), n.location(),
        SplatElementsAttr::get(wideType, IntegerAttr::get(element, v))));
  };
  switch (reduction) {
  case ScatterReduction::Mul:
    identity = n.splat(wideType, 1.0);
    break;
  case ScatterReduction::Max:
    identity = isFloatType ? n.splat(wideType, -INFINITY)
               : element.isUnsignedInteger()
                   ? intSplat(APInt::getMinValue(width))
                   : intSplat(APInt::getSignedMinValue(width));
    break;
  default:
    identity = isFloatType ? n.splat(wideType, INFINITY)
               : element.isUnsignedInteger()
                   ? intSplat(APInt::getMaxValue(width))
                   : intSplat(APInt::getSignedMaxValue(width));
    break;
  }
  FailureOr<Value> picked = n.create<SelectOp>(*hit, *updWide, identity);
  if (failed(picked))
    return failure();
  SmallVector<int64_t, 1> overUpdates = {0};
  FailureOr<Value> combined =
      reduction == ScatterReduction::Mul
          ? n.create<ReduceProdOp>(*picked, overUpdates, false)
      : reduction == ScatterReduction::Max
          ? n.create<ReduceMaxOp>(*picked, overUpdates, false)
          : n.create<ReduceMinOp>(*picked, overUpdates, false);
  if (failed(combined))
    return failure();
  if (reduction == ScatterReduction::Mul)
    return n.create<MulOp>(data, *combined);
  // max/min: rows nobody writes combine with the identity, which leaves
  // the data as it is (a NaN in the data stays, as with numpy's maximum).
  if (reduction == ScatterReduction::Max)
    return n.create<MaxOp>(data, *combined);
  return n.create<MinOp>(data, *combined);
}

/// Both scatters end alike: data (input 0) viewed as `dataRows` and the
/// updates (input 2) as `updateRows` go through scatterRows at the linear
/// row indices `rows`, and the result takes the data's shape again.
LogicalResult scatterAsRows(NodeImporter &n, Value rows,
                            ArrayRef<int64_t> dataRows,
                            ArrayRef<int64_t> updateRows,
                            ScatterReduction reduction) {
  FailureOr<Value> flat = n.reshape(n.input(0), dataRows);
  FailureOr<Value> upd = n.reshape(n.input(2), updateRows);
  if (failed(flat) || failed(upd))
    return failure();
  FailureOr<Value> out = scatterRows(n, *flat, rows, *upd, reduction);
  if (failed(out))
    return failure();
  return n.setResult(n.reshape(*out, n.inputType(0).getShape()));
}

/// What ScatterND and ScatterElements both require of data (input 0),
/// indices (input 1) and updates (input 2).
LogicalResult checkScatterOperands(NodeImporter &n, StringRef opName) {
  RankedTensorType dataType = n.inputType(0), indexType = n.inputType(1),
                   updType = n.inputType(2);
  if (!dataType.hasStaticShape() || !indexType.hasStaticShape() ||
      !updType.hasStaticShape())
    return n.fail(opName + " needs static shapes");
  if (!isa<IntegerType>(indexType.getElementType()))
    return n.fail("indices must be integers");
  if (updType.getElementType() != dataType.getElementType())
    return n.fail("updates and data differ in element type");
  return success();
}

LogicalResult importScatterND(NodeImporter &n) {
  if (failed(n.expectInputs(3, 3)) || failed(n.expectOnlyAttrs({"reduction"})))
    return failure();
  FailureOr<ScatterReduction> reduction = readReduction(n);
  if (failed(reduction) || failed(checkScatterOperands(n, "ScatterND")))
    return failure();
  RankedTensorType dataType = n.inputType(0), indexType = n.inputType(1),
                   updType = n.inputType(2);
  ArrayRef<int64_t> data = dataType.getShape(), idx = indexType.getShape();
  int64_t r = data.size(), q = idx.size();
  if (q < 1 || idx.back() < 1 || idx.back() > r)
    return n.fail("index tuples must have 1 to " + Twine(r) + " entries");
  int64_t m = idx.back();
  SmallVector<int64_t> expected(idx.drop_back());
  llvm::append_range(expected, data.drop_front(m));
  if (ArrayRef<int64_t>(expected) != updType.getShape())
    return n.fail("updates do not have the shape indices[:-1] + data[m:]");
  int64_t U = productOf(idx, 0, q - 1), P = productOf(data, 0, m);
  if (U == 0) {
    n.setOutput(0, n.input(0));
    return success();
  }
  if (P == 0)
    return n.fail("ScatterND writes into empty data");

  FailureOr<Value> indices = toI64(n, n.input(1));
  if (failed(indices))
    return failure();
  FailureOr<Value> linear = linearize(n, *indices, data.take_front(m));
  if (failed(linear) || failed(linear = n.reshape(*linear, {U})))
    return failure();
  SmallVector<int64_t> rowShape = {P}, updRows = {U};
  llvm::append_range(rowShape, data.drop_front(m));
  llvm::append_range(updRows, data.drop_front(m));
  return scatterAsRows(n, *linear, rowShape, updRows, *reduction);
}

/// ScatterElements (and the older Scatter): every element of `updates`
/// goes to the position of its own index, except along `axis`, where
/// `indices` says where.
LogicalResult importScatterElements(NodeImporter &n) {
  if (failed(n.expectInputs(3, 3)) ||
      failed(n.expectOnlyAttrs({"axis", "reduction"})))
    return failure();
  FailureOr<ScatterReduction> reduction = readReduction(n);
  if (failed(reduction) || failed(checkScatterOperands(n, "ScatterElements")))
    return failure();
  RankedTensorType dataType = n.inputType(0), indexType = n.inputType(1),
                   updType = n.inputType(2);
  if (indexType.getShape() != updType.getShape())
    return n.fail("indices and updates differ in shape");
  ArrayRef<int64_t> data = dataType.getShape(), idx = indexType.getShape();
  int64_t r = data.size();
  if ((int64_t)idx.size() != r)
    return n.fail("indices must have the data's rank");
  FailureOr<int64_t> axis = n.normalizeAxis(n.attrInt("axis", 0), r);
  if (failed(axis))
    return failure();
  for (int64_t i = 0; i < r; ++i)
    if (i != *axis && idx[i] > data[i])
      return n.fail("indices are larger than the data along axis " + Twine(i));
  int64_t U = indexType.getNumElements(), N = dataType.getNumElements();
  if (U == 0) {
    n.setOutput(0, n.input(0));
    return success();
  }
  if (N == 0)
    return n.fail("ScatterElements writes into empty data");

  // linear = (position of the element, but `axis` from the index) in the
  // row-major flattening of the data: a literal for every dimension but
  // `axis`, plus the wrapped index times the stride of `axis`.
  SmallVector<int64_t> strides = stridesOf(data);
  SmallVector<int64_t> base;
  base.reserve(U);
  SmallVector<int64_t> idxStrides = stridesOf(idx);
  for (int64_t u = 0; u < U; ++u) {
    int64_t offset = 0;
    for (int64_t d = 0; d < r; ++d)
      if (d != *axis)
        offset += ((u / idxStrides[d]) % idx[d]) * strides[d];
    base.push_back(offset);
  }
  FailureOr<Value> indices = toI64(n, n.input(1));
  if (failed(indices))
    return failure();
  FailureOr<Value> wrapped =
      wrapNegative(n, *indices, n.splatLike(*indices, double(data[*axis])));
  if (failed(wrapped))
    return failure();
  // Clamp into range here: the linear index must stay inside its own row.
  FailureOr<Value> clamped = n.create<MaxOp>(*wrapped, n.splatLike(*wrapped, 0));
  if (failed(clamped) ||
      failed(clamped = n.create<MinOp>(
                 *clamped, n.splatLike(*wrapped, double(data[*axis] - 1)))))
    return failure();
  FailureOr<Value> scaled =
      n.create<MulOp>(*clamped, n.splatLike(*clamped, double(strides[*axis])));
  if (failed(scaled))
    return failure();
  FailureOr<Value> linear = n.create<AddOp>(*scaled, i64Literal(n, base, idx));
  if (failed(linear) || failed(linear = n.reshape(*linear, {U})))
    return failure();
  return scatterAsRows(n, *linear, {N}, {U}, *reduction);
}

//===----------------------------------------------------------------------===//
// OneHot
//===----------------------------------------------------------------------===//

LogicalResult importOneHot(NodeImporter &n) {
  if (failed(n.expectInputs(3, 3)) || failed(n.expectOnlyAttrs({"axis"})))
    return failure();
  RankedTensorType idxType = n.inputType(0), valuesType = n.inputType(2);
  if (!idxType.hasStaticShape())
    return n.fail("OneHot needs static index shapes");
  std::optional<SmallVector<double>> depthValue = constantDoubles(n, 1);
  if (!depthValue || depthValue->size() != 1)
    return n.fail("input 1 (depth) must be a constant scalar");
  // Checked as a double first: converting an out-of-range double is UB.
  // The one-hot table holds depth entries per index; a depth beyond 2^24
  // is refused before anything is built.
  double depthAsDouble = std::trunc((*depthValue)[0]);
  if (!(depthAsDouble >= 1 && depthAsDouble <= double(int64_t(1) << 24)))
    return n.fail("depth must be between 1 and 2^24, got " +
                  std::to_string(depthAsDouble));
  int64_t depth = static_cast<int64_t>(depthAsDouble);
  if (valuesType.getNumElements() != 2 || !valuesType.hasStaticShape())
    return n.fail("values must hold exactly [off, on]");
  Type idxElement = idxType.getElementType();
  if (!isa<FloatType, IntegerType>(idxElement) || idxElement.isInteger(1))
    return n.fail("indices must be numbers");
  int64_t rank = idxType.getRank() + 1;
  FailureOr<int64_t> axis = n.normalizeAxis(n.attrInt("axis", -1), rank);
  if (failed(axis))
    return failure();
  SmallVector<int64_t> outShape(idxType.getShape());
  outShape.insert(outShape.begin() + *axis, depth);
  SmallVector<int64_t> idxShape(idxType.getShape());
  idxShape.insert(idxShape.begin() + *axis, 1);

  // Float indices truncate toward zero (a kiln.cast).
  FailureOr<Value> idx = toI64(n, n.input(0));
  if (failed(idx))
    return failure();
  FailureOr<Value> wrapped = wrapNegative(n, *idx, n.splatLike(*idx, depth));
  if (failed(wrapped) || failed(wrapped = n.reshape(*wrapped, idxShape)) ||
      failed(wrapped = n.broadcastTo(*wrapped, outShape)))
    return failure();
  FailureOr<Value> positions =
      n.broadcastTo(iotaAlong(n, rank, *axis, depth), outShape);
  if (failed(positions))
    return failure();
  FailureOr<Value> hit =
      n.create<CompareOp>(ComparePredicate::eq, *wrapped, *positions);
  if (failed(hit))
    return failure();
  FailureOr<Value> values = n.reshape(n.input(2), {2});
  if (failed(values))
    return failure();
  FailureOr<Value> off = n.create<SliceOp>(*values, ArrayRef<int64_t>{0},
                                           ArrayRef<int64_t>{1},
                                           ArrayRef<int64_t>{1});
  FailureOr<Value> on = n.create<SliceOp>(*values, ArrayRef<int64_t>{1},
                                          ArrayRef<int64_t>{1},
                                          ArrayRef<int64_t>{1});
  if (failed(off) || failed(on) || failed(off = n.broadcastTo(*off, outShape)) ||
      failed(on = n.broadcastTo(*on, outShape)))
    return failure();
  return n.setResult(n.create<SelectOp>(*hit, *on, *off));
}

//===----------------------------------------------------------------------===//
// CumSum
//===----------------------------------------------------------------------===//

/// `x` moved by `shift` along `axis` (towards higher positions if positive),
/// zeros filling in.
FailureOr<Value> shiftAlong(NodeImporter &n, Value x, int64_t axis,
                            int64_t shift) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank(), extent = type.getDimSize(axis);
  SmallVector<int64_t> offsets(rank, 0), sizes(type.getShape()),
      strides(rank, 1), low(rank, 0), high(rank, 0);
  int64_t s = std::abs(shift);
  sizes[axis] = extent - s;
  if (shift > 0)
    low[axis] = s;
  else {
    offsets[axis] = s;
    high[axis] = s;
  }
  FailureOr<Value> kept = n.create<SliceOp>(x, offsets, sizes, strides);
  if (failed(kept))
    return failure();
  Type element = type.getElementType();
  TypedAttr zero = isa<FloatType>(element)
                       ? TypedAttr(n.b().getFloatAttr(element, 0.0))
                       : TypedAttr(n.b().getIntegerAttr(element, 0));
  return n.create<PadOp>(*kept, low, high, zero);
}

LogicalResult importCumSum(NodeImporter &n) {
  if (failed(n.expectInputs(2, 2)) ||
      failed(n.expectOnlyAttrs({"exclusive", "reverse"})))
    return failure();
  RankedTensorType type = n.inputType(0);
  if (!type.hasStaticShape())
    return n.fail("CumSum needs a static input shape");
  Type element = type.getElementType();
  if (!isa<FloatType, IntegerType>(element) || element.isInteger(1))
    return n.fail("CumSum needs numbers");
  FailureOr<SmallVector<int64_t>> axisValue = n.requireConstantInts(1, "axis");
  if (failed(axisValue))
    return failure();
  if (axisValue->size() != 1)
    return n.fail("axis must hold one value");
  FailureOr<int64_t> axis = n.normalizeAxis((*axisValue)[0], type.getRank());
  if (failed(axis))
    return failure();
  int64_t extent = type.getDimSize(*axis);
  int64_t direction = n.attrInt("reverse", 0) ? -1 : 1;
  FailureOr<Value> y = n.input(0);
  if (extent == 0 || type.getNumElements() == 0)
    return n.setResult(y);
  // Hillis-Steele: after the step with shift s every element holds the sum
  // of the 2s elements ending at it.
  for (int64_t s = 1; s < extent; s *= 2) {
    FailureOr<Value> shifted = shiftAlong(n, *y, *axis, direction * s);
    if (failed(shifted) || failed(y = n.create<AddOp>(*y, *shifted)))
      return failure();
  }
  if (n.attrInt("exclusive", 0))
    y = shiftAlong(n, *y, *axis, direction);
  return n.setResult(y);
}

//===----------------------------------------------------------------------===//
// Trilu, EyeLike
//===----------------------------------------------------------------------===//

/// A boolean literal [rows, cols] true where `keep(i, j)`.
Value maskLiteral(NodeImporter &n, int64_t rows, int64_t cols,
                  llvm::function_ref<bool(int64_t, int64_t)> keep) {
  SmallVector<bool> bits;
  bits.reserve(rows * cols);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      bits.push_back(keep(i, j));
  auto type = RankedTensorType::get({rows, cols}, n.b().getI1Type());
  return ConstantOp::create(n.b(), n.location(),
                            DenseElementsAttr::get(type, bits));
}

LogicalResult importTrilu(NodeImporter &n) {
  if (failed(n.expectInputs(1, 2)) || failed(n.expectOnlyAttrs({"upper"})))
    return failure();
  RankedTensorType type = n.inputType(0);
  if (type.getRank() < 2 || !type.hasStaticShape())
    return n.fail("Trilu needs a static input of rank >= 2");
  int64_t k = 0;
  if (n.hasInput(1)) {
    FailureOr<SmallVector<int64_t>> kv = n.requireConstantInts(1, "k");
    if (failed(kv))
      return failure();
    if (kv->size() != 1)
      return n.fail("k must hold one value");
    k = (*kv)[0];
  }
  bool upper = n.attrInt("upper", 1) != 0;
  int64_t rows = type.getDimSize(type.getRank() - 2),
          cols = type.getDimSize(type.getRank() - 1);
  if (type.getNumElements() == 0) {
    n.setOutput(0, n.input(0));
    return success();
  }
  Value mask = maskLiteral(n, rows, cols, [&](int64_t i, int64_t j) {
    return upper ? j - i >= k : j - i <= k;
  });
  FailureOr<Value> wide = n.broadcastTo(mask, type.getShape());
  if (failed(wide))
    return failure();
  return n.setResult(
      n.create<SelectOp>(*wide, n.input(0), n.splatLike(n.input(0), 0.0)));
}

LogicalResult importEyeLike(NodeImporter &n) {
  if (failed(n.expectInputs(1, 1)) ||
      failed(n.expectOnlyAttrs({"dtype", "k"})))
    return failure();
  RankedTensorType type = n.inputType(0);
  if (type.getRank() != 2 || !type.hasStaticShape())
    return n.fail("EyeLike needs a static 2-D input");
  Type element = type.getElementType();
  if (const onnx::AttributeProto *dtype = n.attr("dtype")) {
    std::string error;
    element = elementTypeFromOnnx(dtype->i(), n.context(), error);
    if (!element)
      return n.fail("dtype: " + error);
  }
  if (!isa<FloatType, IntegerType>(element))
    return n.fail("EyeLike needs a numeric or boolean dtype");
  int64_t k = n.attrInt("k", 0);
  int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
  SmallVector<double> values;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      values.push_back(j - i == k ? 1.0 : 0.0);
  n.setOutput(0, typedLiteral(n, RankedTensorType::get({rows, cols}, element),
                              values));
  return success();
}

//===----------------------------------------------------------------------===//
// Range and the window generators
//===----------------------------------------------------------------------===//

/// Literals larger than this are not generated at import.
constexpr int64_t kMaxGeneratedElements = int64_t(1) << 24;

LogicalResult importRange(NodeImporter &n) {
  if (failed(n.expectInputs(3, 3)) || failed(n.expectOnlyAttrs({})))
    return failure();
  Type element = n.inputType(0).getElementType();
  if (!isa<FloatType, IntegerType>(element) || element.isInteger(1))
    return n.fail("Range needs numbers");
  for (int i = 1; i < 3; ++i)
    if (n.inputType(i).getElementType() != element)
      return n.fail("start, limit and delta differ in element type");
  double bounds[3];
  static const char *names[] = {"start", "limit", "delta"};
  for (int i = 0; i < 3; ++i) {
    std::optional<double> v = scalarValue(n.input(i));
    if (!v)
      return n.fail(Twine("input ") + Twine(i) + " (" + names[i] +
                    ") must be a constant scalar; a computed Range is not "
                    "supported");
    bounds[i] = *v;
  }
  auto [start, limit, delta] = bounds;
  if (delta == 0)
    return n.fail("delta must not be 0");
  double count = std::ceil((limit - start) / delta);
  if (!(count <= double(kMaxGeneratedElements)))
    return n.fail("Range would hold more than " +
                  Twine(kMaxGeneratedElements) + " elements");
  int64_t length = std::max<int64_t>(0, static_cast<int64_t>(count));
  SmallVector<double> values;
  values.reserve(length);
  for (int64_t i = 0; i < length; ++i)
    values.push_back(start + double(i) * delta);
  n.setOutput(0, typedLiteral(n, RankedTensorType::get({length}, element),
                              values));
  return success();
}

/// w[i] = a0 - a1 cos(2 pi i / N) + a2 cos(4 pi i / N), N = size (periodic)
/// or size - 1 (symmetric), as ONNX's window ops define. (The node tests of
/// ONNX 1.12, which Debian ships, were generated with pi = 3.1415 and differ
/// from this by up to 7e-5; test/Execution/onnx-data-corners.test checks
/// the exact definition.)
template <int Kind>
LogicalResult importWindow(NodeImporter &n) {
  if (failed(n.expectInputs(1, 1)) ||
      failed(n.expectOnlyAttrs({"periodic", "output_datatype"})))
    return failure();
  std::optional<double> size = scalarValue(n.input(0));
  if (!size)
    return n.fail("input 0 (size) must be a constant scalar");
  if (*size < 0 || *size > double(kMaxGeneratedElements))
    return n.fail("window size " + Twine(int64_t(*size)) + " is out of range");
  std::string error;
  Type element = elementTypeFromOnnx(n.attrInt("output_datatype", 1),
                                     n.context(), error);
  if (!element)
    return n.fail("output_datatype: " + error);
  if (!isa<FloatType, IntegerType>(element))
    return n.fail("output_datatype must be numeric");
  int64_t length = static_cast<int64_t>(*size);
  bool periodic = n.attrInt("periodic", 1) != 0;
  double a0, a1, a2 = 0;
  if (Kind == 0) { // Hann
    a0 = 0.5;
    a1 = 0.5;
  } else if (Kind == 1) { // Hamming
    a0 = 25.0 / 46.0;
    a1 = 1.0 - a0;
  } else { // Blackman
    a0 = 0.42;
    a1 = 0.5;
    a2 = 0.08;
  }
  double N = periodic ? double(length) : double(length - 1);
  SmallVector<double> values;
  for (int64_t i = 0; i < length; ++i) {
    double t = N == 0 ? 0 : 2 * M_PI * double(i) / N;
    values.push_back(a0 - a1 * std::cos(t) + a2 * std::cos(2 * t));
  }
  n.setOutput(0, typedLiteral(n, RankedTensorType::get({length}, element),
                              values));
  return success();
}

//===----------------------------------------------------------------------===//
// ReverseSequence
//===----------------------------------------------------------------------===//

/// ReverseSequence with constant sequence lengths: one kiln.gather of the
/// flattened (batch, time) plane at literal source positions.
LogicalResult importReverseSequence(NodeImporter &n) {
  if (failed(n.expectInputs(2, 2)) ||
      failed(n.expectOnlyAttrs({"batch_axis", "time_axis"})))
    return failure();
  RankedTensorType type = n.inputType(0);
  if (type.getRank() < 2 || !type.hasStaticShape())
    return n.fail("ReverseSequence needs a static input of rank >= 2");
  int64_t batchAxis = n.attrInt("batch_axis", 1),
          timeAxis = n.attrInt("time_axis", 0);
  if (!((batchAxis == 0 && timeAxis == 1) || (batchAxis == 1 && timeAxis == 0)))
    return n.fail("batch_axis and time_axis must be 0 and 1");
  FailureOr<SmallVector<int64_t>> lens =
      n.requireConstantInts(1, "sequence_lens");
  if (failed(lens))
    return failure();
  int64_t batch = type.getDimSize(batchAxis), time = type.getDimSize(timeAxis);
  if ((int64_t)lens->size() != batch)
    return n.fail("sequence_lens has " + Twine(lens->size()) +
                  " entries for a batch of " + Twine(batch));
  SmallVector<int64_t> sources;
  for (int64_t i = 0; i < type.getDimSize(0); ++i)
    for (int64_t j = 0; j < type.getDimSize(1); ++j) {
      int64_t b = batchAxis == 0 ? i : j, t = batchAxis == 0 ? j : i;
      int64_t len = (*lens)[b];
      if (len < 0 || len > time)
        return n.fail("sequence length " + Twine(len) + " is out of range [0, " +
                      Twine(time) + "]");
      int64_t source = t < len ? len - 1 - t : t;
      sources.push_back(batchAxis == 0 ? b * time + source
                                       : source * batch + b);
    }
  SmallVector<int64_t> flatShape = {batch * time};
  llvm::append_range(flatShape, type.getShape().drop_front(2));
  FailureOr<Value> flat = n.reshape(n.input(0), flatShape);
  if (failed(flat))
    return failure();
  FailureOr<Value> gathered = n.create<GatherOp>(
      *flat, i64Literal(n, sources, {batch * time}), 0);
  if (failed(gathered))
    return failure();
  return n.setResult(n.reshape(*gathered, type.getShape()));
}

//===----------------------------------------------------------------------===//
// NonZero, Compress, Unique: result shapes that depend on data
//===----------------------------------------------------------------------===//

/// Fails unless input `i` is known at import (see NodeImporter::knownValue).
FailureOr<DenseElementsAttr> requireKnown(NodeImporter &n, int i,
                                          StringRef what) {
  if (DenseElementsAttr value = n.knownValue(i))
    return value;
  return n.fail("the result shape depends on the values of input " + Twine(i) +
                " (" + what + "), which are not known at load time (a "
                "constant, or the data kiln-run binds)");
}

/// One element of a known tensor, ordered as numpy orders it (NaN last,
/// NaNs equal to each other).
struct Key {
  bool isFloat;
  bool isNaN;
  double f;
  APInt i;
  bool isUnsigned;
  bool operator<(const Key &o) const {
    if (isFloat) {
      if (isNaN || o.isNaN)
        return !isNaN && o.isNaN;
      return f < o.f;
    }
    return isUnsigned ? i.ult(o.i) : i.slt(o.i);
  }
  bool operator==(const Key &o) const {
    if (isFloat)
      return (isNaN && o.isNaN) || (!isNaN && !o.isNaN && f == o.f);
    return i == o.i;
  }
};

SmallVector<Key> keysOf(DenseElementsAttr attr) {
  SmallVector<Key> keys;
  Type element = attr.getElementType();
  if (isa<FloatType>(element)) {
    for (const APFloat &v : attr.getValues<APFloat>())
      keys.push_back(Key{true, v.isNaN(), v.convertToDouble(), APInt(), false});
    return keys;
  }
  bool isUnsigned = element.isUnsignedInteger() || element.isInteger(1);
  for (const APInt &v : attr.getValues<APInt>())
    keys.push_back(Key{false, false, 0, v, isUnsigned});
  return keys;
}

bool isNonZero(const Key &k) {
  return k.isFloat ? (k.isNaN || k.f != 0) : !k.i.isZero();
}

/// NonZero of a known input: the literal [rank, count] of the positions of
/// its non-zero elements, in row-major order.
LogicalResult importNonZero(NodeImporter &n) {
  if (failed(n.expectInputs(1, 1)) || failed(n.expectOnlyAttrs({})))
    return failure();
  RankedTensorType type = n.inputType(0);
  if (!isa<FloatType, IntegerType>(type.getElementType()))
    return n.fail("NonZero needs numbers or booleans");
  FailureOr<DenseElementsAttr> value = requireKnown(n, 0, "X");
  if (failed(value))
    return failure();
  SmallVector<Key> keys = keysOf(*value);
  ArrayRef<int64_t> shape = type.getShape();
  SmallVector<int64_t> strides = stridesOf(shape);
  int64_t rank = shape.size();
  SmallVector<int64_t> hits;
  for (auto [i, k] : llvm::enumerate(keys))
    if (isNonZero(k))
      hits.push_back(i);
  int64_t count = hits.size();
  SmallVector<int64_t> out(rank * count);
  for (int64_t d = 0; d < rank; ++d)
    for (int64_t c = 0; c < count; ++c)
      out[d * count + c] = (hits[c] / strides[d]) % shape[d];
  n.setOutput(0, i64Literal(n, out, {rank, count}));
  return success();
}

/// Compress with a known condition: a kiln.gather of the selected
/// positions (the data stays a run-time value).
LogicalResult importCompress(NodeImporter &n) {
  if (failed(n.expectInputs(2, 2)) || failed(n.expectOnlyAttrs({"axis"})))
    return failure();
  RankedTensorType type = n.inputType(0);
  if (!type.hasStaticShape())
    return n.fail("Compress needs a static input shape");
  if (n.inputType(1).getRank() != 1)
    return n.fail("condition must be 1-D");
  FailureOr<DenseElementsAttr> condition = requireKnown(n, 1, "condition");
  if (failed(condition))
    return failure();
  FailureOr<Value> x = n.input(0);
  int64_t axis = 0;
  if (n.attr("axis")) {
    FailureOr<int64_t> a =
        n.normalizeAxis(n.attrInt("axis", 0), type.getRank());
    if (failed(a))
      return failure();
    axis = *a;
  } else {
    x = n.reshape(*x, {type.getNumElements()});
    if (failed(x))
      return failure();
  }
  int64_t extent = cast<RankedTensorType>(x->getType()).getDimSize(axis);
  SmallVector<Key> keys = keysOf(*condition);
  if ((int64_t)keys.size() > extent)
    return n.fail("condition has " + Twine(keys.size()) +
                  " entries for an axis of " + Twine(extent));
  SmallVector<int64_t> selected;
  for (auto [i, k] : llvm::enumerate(keys))
    if (isNonZero(k))
      selected.push_back(i);
  return n.setResult(n.create<GatherOp>(
      *x, i64Literal(n, selected, {(int64_t)selected.size()}), axis));
}

/// Unique of a known input (numpy's np.unique with return_index,
/// return_inverse and return_counts; sorted = 0 keeps the order of first
/// occurrence): Y is a kiln.gather of the first occurrences, the other
/// outputs are literals.
LogicalResult importUnique(NodeImporter &n) {
  if (failed(n.expectInputs(1, 1)) ||
      failed(n.expectOnlyAttrs({"axis", "sorted"})))
    return failure();
  RankedTensorType type = n.inputType(0);
  if (!type.hasStaticShape())
    return n.fail("Unique needs a static input shape");
  if (!isa<FloatType, IntegerType>(type.getElementType()))
    return n.fail("Unique needs numbers or booleans");
  FailureOr<DenseElementsAttr> value = requireKnown(n, 0, "X");
  if (failed(value))
    return failure();
  SmallVector<Key> keys = keysOf(*value);
  FailureOr<Value> x = n.input(0);
  int64_t axis = 0;
  if (n.attr("axis")) {
    FailureOr<int64_t> a =
        n.normalizeAxis(n.attrInt("axis", 0), type.getRank());
    if (failed(a))
      return failure();
    axis = *a;
  } else {
    x = n.reshape(*x, {type.getNumElements()});
    if (failed(x))
      return failure();
  }
  // Slices along `axis`, each as the row-major list of its keys.
  ArrayRef<int64_t> shape = cast<RankedTensorType>(x->getType()).getShape();
  int64_t extent = shape[axis];
  int64_t outer = productOf(shape, 0, axis),
          inner = productOf(shape, axis + 1, shape.size());
  std::vector<SmallVector<Key>> slices(extent);
  for (int64_t s = 0; s < extent; ++s)
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < inner; ++i)
        slices[s].push_back(keys[(o * extent + s) * inner + i]);
  auto less = [&](int64_t a, int64_t b) {
    return std::lexicographical_compare(slices[a].begin(), slices[a].end(),
                                        slices[b].begin(), slices[b].end());
  };
  auto same = [&](int64_t a, int64_t b) {
    return llvm::equal(slices[a], slices[b]);
  };
  // Stable sort of the positions: equal slices keep their order, so the
  // first of each run is the first occurrence.
  SmallVector<int64_t> order = llvm::to_vector(llvm::seq<int64_t>(0, extent));
  std::stable_sort(order.begin(), order.end(), less);
  SmallVector<int64_t> first, counts, inverse(extent);
  for (size_t k = 0; k < order.size(); ++k) {
    if (k == 0 || !same(order[k - 1], order[k])) {
      first.push_back(order[k]);
      counts.push_back(0);
    }
    ++counts.back();
    inverse[order[k]] = first.size() - 1;
  }
  if (n.attrInt("sorted", 1) == 0) {
    // Order of first occurrence instead.
    SmallVector<int64_t> byFirst =
        llvm::to_vector(llvm::seq<int64_t>(0, first.size()));
    llvm::sort(byFirst, [&](int64_t a, int64_t b) { return first[a] < first[b]; });
    SmallVector<int64_t> rank(first.size());
    for (auto [r, u] : llvm::enumerate(byFirst))
      rank[u] = r;
    SmallVector<int64_t> newFirst, newCounts;
    for (int64_t u : byFirst) {
      newFirst.push_back(first[u]);
      newCounts.push_back(counts[u]);
    }
    for (int64_t &v : inverse)
      v = rank[v];
    first = newFirst;
    counts = newCounts;
  }
  int64_t unique = first.size();
  FailureOr<Value> y = n.create<GatherOp>(*x, i64Literal(n, first, {unique}),
                                          axis);
  if (failed(y))
    return failure();
  n.setOutput(0, *y);
  n.setOutput(1, i64Literal(n, first, {unique}));
  n.setOutput(2, i64Literal(n, inverse, {extent}));
  n.setOutput(3, i64Literal(n, counts, {unique}));
  return success();
}

} // namespace

void onnx_import::registerIndexingImporters(OpImporterRegistry &r) {
  r.add("GatherND", importGatherND, /*sinceOpset=*/11);
  r.add("ScatterND", importScatterND, /*sinceOpset=*/11);
  r.add("ScatterElements", importScatterElements, /*sinceOpset=*/11);
  r.add("Scatter", importScatterElements);
  r.add("OneHot", importOneHot, /*sinceOpset=*/9);
  r.add("CumSum", importCumSum, /*sinceOpset=*/11);
  r.add("Trilu", importTrilu, /*sinceOpset=*/14);
  r.add("EyeLike", importEyeLike, /*sinceOpset=*/9);
  r.add("Range", importRange, /*sinceOpset=*/11);
  r.add("HannWindow", importWindow<0>, /*sinceOpset=*/17);
  r.add("HammingWindow", importWindow<1>, /*sinceOpset=*/17);
  r.add("BlackmanWindow", importWindow<2>, /*sinceOpset=*/17);
  r.add("ReverseSequence", importReverseSequence, /*sinceOpset=*/10);
  r.add("NonZero", importNonZero, /*sinceOpset=*/9);
  r.add("Compress", importCompress, /*sinceOpset=*/9);
  r.add("Unique", importUnique, /*sinceOpset=*/11);
  registerSamplingImporters(r);
  registerSignalImporters(r);
}
