//===- KilnBuilder.cpp - Checked creation of kiln ops ---------------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/Kiln/KilnBuilder.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Verifier.h"

using namespace mlir;

namespace kiln {

LogicalResult verifyOrErase(Operation *op) {
  if (failed(mlir::verify(op, /*verifyRecursively=*/false))) {
    op->erase();
    return failure();
  }
  return success();
}

LogicalResult inferTypesAndVerify(Operation *op, Location loc) {
  if (auto infer = dyn_cast<InferTypeOpInterface>(op)) {
    SmallVector<Type> types;
    if (failed(infer.inferReturnTypes(
            op->getContext(), loc, op->getOperands(),
            op->getRawDictionaryAttrs(), op->getPropertiesStorage(),
            op->getRegions(), types))) {
      op->erase();
      return failure();
    }
    for (auto [result, type] : llvm::zip(op->getResults(), types))
      result.setType(type);
  }
  return verifyOrErase(op);
}

Value broadcastToShapeOf(OpBuilder &b, Location loc, Value value,
                         RankedTensorType shapeLike) {
  auto from = cast<RankedTensorType>(value.getType());
  if (from.getShape() == shapeLike.getShape())
    return value;
  return BroadcastOp::create(b, loc, shapeLike.clone(from.getElementType()),
                             value);
}

Value createSplat(OpBuilder &b, Location loc, RankedTensorType type,
                  double value) {
  Type element = type.getElementType();
  Attribute scalar;
  if (auto f = dyn_cast<FloatType>(element))
    scalar = b.getFloatAttr(f, value);
  else
    scalar = b.getIntegerAttr(element, static_cast<int64_t>(value));
  return ConstantOp::create(b, loc, SplatElementsAttr::get(type, scalar));
}

} // namespace kiln
