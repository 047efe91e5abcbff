//===- KilnFolds.cpp - Folders of kiln ops --------------------------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The obvious simplifications: identities that are exact in IEEE arithmetic
// (x - 0, x * 1, x / 1, x + -0.0), no-op casts, reshapes, broadcasts,
// transposes and slices, and chains of reshapes and transposes.
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
} // namespace

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

OpFoldResult NegOp::fold(FoldAdaptor) {
  if (auto inner = getInput().getDefiningOp<NegOp>())
    return inner.getInput();
  return {};
}

OpFoldResult AddOp::fold(FoldAdaptor adaptor) {
  // x + 0 is exact only for integers; for floats the identity is -0.0.
  if (isIntegerTensor(getLhs()) ? isSplatOf(adaptor.getRhs(), 0)
                                : isSplatOf(adaptor.getRhs(), 0, true))
    return getLhs();
  return {};
}

OpFoldResult SubOp::fold(FoldAdaptor adaptor) {
  if (isSplatOf(adaptor.getRhs(), 0))
    return getLhs();
  return {};
}

OpFoldResult MulOp::fold(FoldAdaptor adaptor) {
  if (isSplatOf(adaptor.getRhs(), 1))
    return getLhs();
  return {};
}

OpFoldResult DivOp::fold(FoldAdaptor adaptor) {
  if (isSplatOf(adaptor.getRhs(), 1))
    return getLhs();
  return {};
}

OpFoldResult CastOp::fold(FoldAdaptor) {
  if (getInput().getType() == getResult().getType())
    return getInput();
  return {};
}

OpFoldResult BroadcastOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getResult().getType())
    return getInput();
  if (std::optional<Attribute> element = splatValue(adaptor.getInput()))
    if (getResult().getType().hasStaticShape())
      return SplatElementsAttr::get(getResult().getType(), *element);
  return {};
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

OpFoldResult SliceOp::fold(FoldAdaptor) {
  auto type = getInput().getType();
  if (!type.hasStaticShape())
    return {};
  bool whole = llvm::all_of(getOffsets(), [](int64_t o) { return o == 0; }) &&
               llvm::all_of(getStrides(), [](int64_t s) { return s == 1; }) &&
               llvm::equal(getSizes(), type.getShape());
  return whole ? OpFoldResult(getInput()) : OpFoldResult();
}

OpFoldResult ConcatOp::fold(FoldAdaptor) {
  if (getInputs().size() == 1 &&
      getInputs()[0].getType() == getResult().getType())
    return getInputs()[0];
  return {};
}
