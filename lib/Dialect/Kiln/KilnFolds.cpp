//===- KilnFolds.cpp - Folders of kiln ops --------------------------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The obvious simplifications: identities that are exact in IEEE arithmetic
// (x - 0, x * 1, x / 1, x + -0.0), no-op casts, reshapes, broadcasts,
// transposes and slices, and chains of reshapes and transposes. Literal
// operands fold only when they are small integer tensors: that is shape
// arithmetic (ONNX function bodies and PyTorch exports compute shapes with
// Shape, Slice, Sub, Concat), whose results must be literals for the
// shape-carrying inputs downstream; large and float literals are left to
// run time.
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/Kiln/KilnOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace kiln;

namespace {
/// The splat element of a constant operand, if it is one.
std::optional<Attribute> splatValue(Attribute operand) {
  auto splat = dyn_cast_if_present<SplatElementsAttr>(operand);
  if (!splat)
    return std::nullopt;
  return splat.getSplatValue<Attribute>();
}

/// True if `operand` is a splat constant equal to `value` exactly. For floats
/// `negativeZero` asks for -0.0 (the additive identity under IEEE rules).
bool isSplatOf(Attribute operand, double value, bool negativeZero = false) {
  std::optional<Attribute> element = splatValue(operand);
  if (!element)
    return false;
  if (auto f = dyn_cast<FloatAttr>(*element)) {
    const APFloat &v = f.getValue();
    if (negativeZero)
      return v.isZero() && v.isNegative();
    return v.convertToDouble() == value && !(value == 0 && v.isNegative());
  }
  if (auto i = dyn_cast<IntegerAttr>(*element))
    return i.getValue().getSExtValue() == static_cast<int64_t>(value);
  return false;
}

bool isIntegerTensor(Value v) {
  return isa<IntegerType>(cast<ShapedType>(v.getType()).getElementType());
}

/// The largest integer literal that folds (see the file comment).
constexpr int64_t kMaxFoldElements = 256;

/// The elements of a small integer literal, row-major.
std::optional<SmallVector<APInt>> smallInts(Attribute operand) {
  auto dense = dyn_cast_if_present<DenseIntElementsAttr>(operand);
  if (!dense || dense.getNumElements() > kMaxFoldElements)
    return std::nullopt;
  return llvm::to_vector(dense.getValues<APInt>());
}

/// An integer literal of `type` (static, small) from row-major values.
Attribute intLiteral(Type type, ArrayRef<APInt> values) {
  auto shaped = cast<RankedTensorType>(type);
  if (!shaped.hasStaticShape() || shaped.getNumElements() > kMaxFoldElements ||
      !isa<IntegerType>(shaped.getElementType()))
    return {};
  return DenseIntElementsAttr::get(shaped, values);
}

/// Calls `fn` with each multi-index of `shape` in row-major order.
void forEachIndex(ArrayRef<int64_t> shape,
                  function_ref<void(ArrayRef<int64_t>)> fn) {
  if (llvm::any_of(shape, [](int64_t d) { return d == 0; }))
    return;
  SmallVector<int64_t> index(shape.size(), 0);
  while (true) {
    fn(index);
    int64_t d = static_cast<int64_t>(shape.size()) - 1;
    for (; d >= 0; --d) {
      if (++index[d] < shape[d])
        break;
      index[d] = 0;
    }
    if (d < 0)
      return;
  }
}

int64_t linearIndex(ArrayRef<int64_t> index, ArrayRef<int64_t> shape) {
  int64_t linear = 0;
  for (auto [i, d] : llvm::zip(index, shape))
    linear = linear * d + i;
  return linear;
}

/// Elementwise `fn` over two small integer literals of one type; no fold
/// when `fn` gives up (e.g. a division by zero).
Attribute foldIntBinary(Type type, Attribute lhs, Attribute rhs,
                        function_ref<std::optional<APInt>(const APInt &,
                                                          const APInt &)> fn) {
  std::optional<SmallVector<APInt>> a = smallInts(lhs), b = smallInts(rhs);
  if (!a || !b || a->size() != b->size())
    return {};
  SmallVector<APInt> out;
  for (auto [x, y] : llvm::zip(*a, *b)) {
    std::optional<APInt> v = fn(x, y);
    if (!v)
      return {};
    out.push_back(*v);
  }
  return intLiteral(type, out);
}
} // namespace

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

OpFoldResult NegOp::fold(FoldAdaptor adaptor) {
  if (std::optional<SmallVector<APInt>> v = smallInts(adaptor.getInput())) {
    for (APInt &x : *v)
      x.negate();
    if (Attribute folded = intLiteral(getType(), *v))
      return folded;
  }
  if (auto inner = getInput().getDefiningOp<NegOp>())
    return inner.getInput();
  return {};
}

OpFoldResult AddOp::fold(FoldAdaptor adaptor) {
  if (Attribute folded = foldIntBinary(
          getType(), adaptor.getLhs(), adaptor.getRhs(),
          [](const APInt &a, const APInt &b) -> std::optional<APInt> {
            return a + b;
          }))
    return folded;
  // x + 0 is exact only for integers; for floats the identity is -0.0.
  if (isIntegerTensor(getLhs()) ? isSplatOf(adaptor.getRhs(), 0)
                                : isSplatOf(adaptor.getRhs(), 0, true))
    return getLhs();
  return {};
}

OpFoldResult SubOp::fold(FoldAdaptor adaptor) {
  if (Attribute folded = foldIntBinary(
          getType(), adaptor.getLhs(), adaptor.getRhs(),
          [](const APInt &a, const APInt &b) -> std::optional<APInt> {
            return a - b;
          }))
    return folded;
  if (isSplatOf(adaptor.getRhs(), 0))
    return getLhs();
  return {};
}

OpFoldResult MulOp::fold(FoldAdaptor adaptor) {
  if (Attribute folded = foldIntBinary(
          getType(), adaptor.getLhs(), adaptor.getRhs(),
          [](const APInt &a, const APInt &b) -> std::optional<APInt> {
            return a * b;
          }))
    return folded;
  if (isSplatOf(adaptor.getRhs(), 1))
    return getLhs();
  return {};
}

OpFoldResult DivOp::fold(FoldAdaptor adaptor) {
  // Truncating division by the signedness of the type, like the lowering;
  // x / 0 is left to run time.
  bool isUnsigned = getType().getElementType().isUnsignedInteger();
  if (Attribute folded = foldIntBinary(
          getType(), adaptor.getLhs(), adaptor.getRhs(),
          [&](const APInt &a, const APInt &b) -> std::optional<APInt> {
            if (isUnsigned)
              return b.isZero() ? std::nullopt : std::optional(a.udiv(b));
            if (b.isZero() || (b.isAllOnes() && a.isMinSignedValue()))
              return std::nullopt;
            return a.sdiv(b);
          }))
    return folded;
  if (isSplatOf(adaptor.getRhs(), 1))
    return getLhs();
  return {};
}

OpFoldResult CastOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getResult().getType())
    return getInput();
  // Narrowing a float back to the type it was widened from gives the value
  // that was widened (widening a float is exact): the pair a rounding to
  // bf16 or f16 leaves when it is rounded again.
  if (auto widened = getInput().getDefiningOp<CastOp>()) {
    auto from = dyn_cast<FloatType>(
        widened.getInput().getType().getElementType());
    auto mid = dyn_cast<FloatType>(getInput().getType().getElementType());
    if (from && mid && widened.getInput().getType() == getResult().getType() &&
        mid.getWidth() > from.getWidth() &&
        mid.getFPMantissaWidth() >= from.getFPMantissaWidth())
      return widened.getInput();
  }
  // Integer to integer: sources extend by signedness (i1 is 0 or 1, ui<N>
  // zero-extends); to i1: != 0.
  auto to = dyn_cast<IntegerType>(getResult().getType().getElementType());
  std::optional<SmallVector<APInt>> v = smallInts(adaptor.getInput());
  if (!to || !v)
    return {};
  bool zeroExtend = getInput().getType().getElementType().isUnsignedInteger();
  for (APInt &x : *v)
    x = to.getWidth() == 1                     ? APInt(1, !x.isZero())
        : (x.getBitWidth() == 1 || zeroExtend) ? x.zextOrTrunc(to.getWidth())
                                               : x.sextOrTrunc(to.getWidth());
  return intLiteral(getResult().getType(), *v);
}

OpFoldResult BroadcastOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getResult().getType())
    return getInput();
  if (std::optional<Attribute> element = splatValue(adaptor.getInput()))
    if (getResult().getType().hasStaticShape())
      return SplatElementsAttr::get(getResult().getType(), *element);
  std::optional<SmallVector<APInt>> v = smallInts(adaptor.getInput());
  RankedTensorType type = getResult().getType();
  if (!v || !type.hasStaticShape() || type.getNumElements() > kMaxFoldElements)
    return {};
  // Numpy broadcasting: size-1 source dimensions read index 0.
  ArrayRef<int64_t> in = getInput().getType().getShape();
  size_t lead = type.getRank() - in.size();
  SmallVector<APInt> out;
  forEachIndex(type.getShape(), [&](ArrayRef<int64_t> index) {
    SmallVector<int64_t> source;
    for (auto [i, d] : llvm::enumerate(in))
      source.push_back(d == 1 ? 0 : index[lead + i]);
    out.push_back((*v)[linearIndex(source, in)]);
  });
  return intLiteral(type, out);
}

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getResult().getType())
    return getInput();
  if (auto inner = getInput().getDefiningOp<ReshapeOp>()) {
    getInputMutable().assign(inner.getInput());
    return getResult();
  }
  if (auto dense = dyn_cast_if_present<DenseElementsAttr>(adaptor.getInput()))
    if (getResult().getType().hasStaticShape())
      return dense.reshape(getResult().getType());
  return {};
}

OpFoldResult TransposeOp::fold(FoldAdaptor) {
  ArrayRef<int64_t> perm = getPermutation();
  if (llvm::equal(perm, llvm::seq<int64_t>(0, perm.size())))
    return getInput();
  // transpose(transpose(x, p), q) == transpose(x, p o q).
  if (auto inner = getInput().getDefiningOp<TransposeOp>()) {
    ArrayRef<int64_t> innerPerm = inner.getPermutation();
    SmallVector<int64_t> composed;
    for (int64_t p : perm)
      composed.push_back(innerPerm[p]);
    getInputMutable().assign(inner.getInput());
    setPermutation(composed);
    if (llvm::equal(composed, llvm::seq<int64_t>(0, composed.size())))
      return getInput();
    return getResult();
  }
  return {};
}

OpFoldResult SliceOp::fold(FoldAdaptor adaptor) {
  auto type = getInput().getType();
  if (!type.hasStaticShape())
    return {};
  bool whole = llvm::all_of(getOffsets(), [](int64_t o) { return o == 0; }) &&
               llvm::all_of(getStrides(), [](int64_t s) { return s == 1; }) &&
               llvm::equal(getSizes(), type.getShape());
  if (whole)
    return getInput();
  std::optional<SmallVector<APInt>> v = smallInts(adaptor.getInput());
  if (!v)
    return {};
  SmallVector<APInt> out;
  forEachIndex(getSizes(), [&](ArrayRef<int64_t> index) {
    SmallVector<int64_t> source;
    for (auto [i, o, s] : llvm::zip(index, getOffsets(), getStrides()))
      source.push_back(o + i * s);
    out.push_back((*v)[linearIndex(source, type.getShape())]);
  });
  return intLiteral(getResult().getType(), out);
}

OpFoldResult ConcatOp::fold(FoldAdaptor adaptor) {
  if (getInputs().size() == 1 &&
      getInputs()[0].getType() == getResult().getType())
    return getInputs()[0];
  RankedTensorType type = getResult().getType();
  if (!type.hasStaticShape())
    return {};
  SmallVector<SmallVector<APInt>> inputs;
  for (Attribute a : adaptor.getInputs()) {
    std::optional<SmallVector<APInt>> v = smallInts(a);
    if (!v)
      return {};
    inputs.push_back(std::move(*v));
  }
  // Each result element reads the input whose range along `axis` holds it.
  int64_t axis = getAxis();
  SmallVector<APInt> out;
  forEachIndex(type.getShape(), [&](ArrayRef<int64_t> index) {
    SmallVector<int64_t> source(index);
    for (auto [k, input] : llvm::enumerate(getInputs())) {
      ArrayRef<int64_t> shape =
          cast<RankedTensorType>(input.getType()).getShape();
      if (source[axis] < shape[axis]) {
        out.push_back(inputs[k][linearIndex(source, shape)]);
        return;
      }
      source[axis] -= shape[axis];
    }
  });
  return intLiteral(type, out);
}
