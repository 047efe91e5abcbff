//===- NodeImporter.cpp - Helpers for importing one ONNX node -------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Attribute and constant access, broadcasting and verified op creation for
// the per-op importers.
//
//===----------------------------------------------------------------------===//

#include "NodeImporter.h"

#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::onnx_import;

std::optional<SmallVector<int64_t>>
onnx_import::broadcastShapes(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  SmallVector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da == db || db == 1)
      out[i] = da;
    else if (da == 1)
      out[i] = db;
    else if (ShapedType::isDynamic(da) || ShapedType::isDynamic(db))
      out[i] = ShapedType::isDynamic(da) ? db : da;
    else
      return std::nullopt;
  }
  return out;
}

LogicalResult NodeImporter::expectInputs(int min, int max) {
  int present = node.input_size();
  // Trailing empty names are omitted optional inputs.
  while (present > 0 && node.input(present - 1).empty())
    --present;
  if (present < min || present > max)
    return fail("expects " +
                (min == max ? Twine(min) : Twine(min) + " to " + Twine(max)) +
                " inputs, got " + Twine(present));
  for (int i = 0; i < present; ++i) {
    // The first `min` inputs are required: none of them may be omitted.
    if (i < min && !hasInput(i))
      return fail("input " + Twine(i) + " is required but omitted");
    if (hasInput(i) && !input(i))
      return fail("input '" + node.input(i) + "' is not defined before use");
  }
  return success();
}

DenseElementsAttr NodeImporter::constantInput(int i) const {
  if (!hasInput(i))
    return {};
  DenseElementsAttr attr;
  if (matchPattern(input(i), m_Constant(&attr)))
    return attr;
  return {};
}

std::optional<SmallVector<int64_t>> NodeImporter::constantInts(int i) const {
  DenseElementsAttr attr = constantInput(i);
  if (!attr || !isa<IntegerType>(attr.getElementType()))
    return std::nullopt;
  SmallVector<int64_t> values;
  for (const APInt &v : attr.getValues<APInt>())
    values.push_back(v.getSExtValue());
  return values;
}

FailureOr<SmallVector<int64_t>>
NodeImporter::requireConstantInts(int i, StringRef what) {
  if (std::optional<SmallVector<int64_t>> values = constantInts(i))
    return *values;
  return fail("input " + Twine(i) + " (" + what +
              ") must be a constant integer tensor; computed " + what +
              " is not supported");
}

const onnx::AttributeProto *NodeImporter::attr(StringRef name) const {
  for (const onnx::AttributeProto &a : node.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

/// The attribute `name` if it has type `expected` (or, as in files written
/// before types were recorded, none); otherwise records the mismatch as the
/// node's attribute error and returns null, so the caller uses its default
/// and the import fails after the node with that error.
const onnx::AttributeProto *
NodeImporter::typedAttr(StringRef name,
                        onnx::AttributeProto::AttributeType expected) const {
  const onnx::AttributeProto *a = attr(name);
  if (!a || a->type() == expected ||
      a->type() == onnx::AttributeProto::UNDEFINED)
    return a;
  if (attrError.empty())
    attrError = "attribute '" + name.str() + "' has type " +
                onnx::AttributeProto::AttributeType_Name(a->type()) +
                ", expected " +
                onnx::AttributeProto::AttributeType_Name(expected);
  return nullptr;
}

int64_t NodeImporter::attrInt(StringRef name, int64_t fallback) const {
  const onnx::AttributeProto *a = typedAttr(name, onnx::AttributeProto::INT);
  return a ? a->i() : fallback;
}

float NodeImporter::attrFloat(StringRef name, float fallback) const {
  const onnx::AttributeProto *a = typedAttr(name, onnx::AttributeProto::FLOAT);
  return a ? a->f() : fallback;
}

std::string NodeImporter::attrString(StringRef name, StringRef fallback) const {
  const onnx::AttributeProto *a = typedAttr(name, onnx::AttributeProto::STRING);
  return a ? a->s() : fallback.str();
}

std::optional<SmallVector<int64_t>>
NodeImporter::attrInts(StringRef name) const {
  const onnx::AttributeProto *a = typedAttr(name, onnx::AttributeProto::INTS);
  if (!a)
    return std::nullopt;
  return SmallVector<int64_t>(a->ints().begin(), a->ints().end());
}

LogicalResult NodeImporter::expectOnlyAttrs(ArrayRef<StringRef> known) {
  for (const onnx::AttributeProto &a : node.attribute())
    if (!llvm::is_contained(known, StringRef(a.name())))
      return fail("unsupported attribute '" + a.name() + "'");
  return success();
}

FailureOr<int64_t> NodeImporter::normalizeAxis(int64_t axis, int64_t rank) {
  int64_t normalized = axis < 0 ? axis + rank : axis;
  if (normalized < 0 || normalized >= rank)
    return fail("axis " + Twine(axis) + " is out of range for rank " +
                Twine(rank));
  return normalized;
}

FailureOr<SmallVector<int64_t>>
NodeImporter::normalizeAxes(ArrayRef<int64_t> axes, int64_t rank) {
  SmallVector<int64_t> out;
  for (int64_t axis : axes) {
    FailureOr<int64_t> a = normalizeAxis(axis, rank);
    if (failed(a))
      return failure();
    out.push_back(*a);
  }
  llvm::sort(out);
  if (std::adjacent_find(out.begin(), out.end()) != out.end())
    return fail("axes contain a duplicate");
  return out;
}

Value NodeImporter::foldLiterals(Operation *op) {
  Value result = op->getResult(0);
  auto type = dyn_cast<RankedTensorType>(result.getType());
  if (op->getNumResults() != 1 || op->getNumOperands() == 0 || !type ||
      !isa<IntegerType>(type.getElementType()))
    return result;
  SmallVector<Attribute> operands;
  for (Value v : op->getOperands()) {
    Attribute literal;
    if (!matchPattern(v, m_Constant(&literal)))
      return result;
    operands.push_back(literal);
  }
  SmallVector<OpFoldResult> folded;
  if (failed(op->fold(operands, folded)) || folded.size() != 1)
    return result;
  Value replacement;
  if (auto attr = dyn_cast<Attribute>(folded[0])) {
    auto elements = dyn_cast<ElementsAttr>(attr);
    if (!elements || elements.getType() != type)
      return result;
    replacement = ConstantOp::create(builder, loc, elements);
  } else {
    replacement = cast<Value>(folded[0]);
    if (replacement == result)
      return result;
  }
  op->erase();
  return replacement;
}

FailureOr<Value> NodeImporter::broadcastTo(Value value,
                                           ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getShape() == shape)
    return value;
  return create<BroadcastOp>(
      RankedTensorType::get(shape, type.getElementType()), value);
}

LogicalResult NodeImporter::broadcastAll(MutableArrayRef<Value> values) {
  SmallVector<int64_t> shape;
  for (auto [i, v] : llvm::enumerate(values)) {
    ArrayRef<int64_t> s = cast<RankedTensorType>(v.getType()).getShape();
    std::optional<SmallVector<int64_t>> merged =
        i == 0 ? SmallVector<int64_t>(s) : broadcastShapes(shape, s);
    if (!merged) {
      std::string a, bs;
      llvm::raw_string_ostream osa(a), osb(bs);
      llvm::interleaveComma(shape, osa);
      llvm::interleaveComma(s, osb);
      return fail("operand shapes [" + a + "] and [" + bs +
                  "] are not broadcast-compatible");
    }
    shape = *merged;
  }
  for (Value &v : values) {
    FailureOr<Value> b = broadcastTo(v, shape);
    if (failed(b))
      return failure();
    v = *b;
  }
  return success();
}

FailureOr<Value> NodeImporter::reshape(Value value, ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getShape() == shape)
    return value;
  return create<ReshapeOp>(RankedTensorType::get(shape, type.getElementType()),
                           value);
}

Value NodeImporter::splat(RankedTensorType type, double value) {
  return createSplat(builder, loc, type, value);
}

Value NodeImporter::splatLike(Value like, double value) {
  return splat(cast<RankedTensorType>(like.getType()), value);
}
