//===- KilnCost.cpp - CostOpInterface of kiln ops -------------------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// FLOPs and bytes moved per op. A multiply-add counts as two operations.
// Ops with a dynamic dimension report no cost (std::nullopt).
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/Kiln/KilnOps.h"

using namespace mlir;
using namespace kiln;

#include "kiln/Dialect/Kiln/KilnInterfaces.cpp.inc"

namespace {
std::optional<int64_t> numElements(Type type) {
  auto shaped = dyn_cast<RankedTensorType>(type);
  if (!shaped || !shaped.hasStaticShape())
    return std::nullopt;
  return shaped.getNumElements();
}

std::optional<int64_t> tensorBytes(Type type) {
  std::optional<int64_t> n = numElements(type);
  if (!n)
    return std::nullopt;
  int64_t bits = cast<ShapedType>(type).getElementTypeBitWidth();
  return *n * ((bits + 7) / 8);
}
} // namespace

std::optional<int64_t> kiln::detail::defaultBytesMoved(Operation *op) {
  int64_t total = 0;
  for (Type type : llvm::concat<const Type>(op->getOperandTypes(),
                                            op->getResultTypes())) {
    if (!isa<RankedTensorType>(type))
      continue;
    std::optional<int64_t> bytes = tensorBytes(type);
    if (!bytes)
      return std::nullopt;
    total += *bytes;
  }
  return total;
}

std::optional<int64_t> kiln::detail::elementwiseFlops(Operation *op) {
  return numElements(op->getResult(0).getType());
}

std::optional<int64_t> kiln::detail::reductionFlops(Operation *op) {
  return numElements(op->getOperand(0).getType());
}

std::optional<int64_t> kiln::detail::softmaxFlops(Operation *op) {
  std::optional<int64_t> n = numElements(op->getOperand(0).getType());
  return n ? std::optional<int64_t>(5 * *n) : std::nullopt;
}

std::optional<int64_t> MatmulOp::getFlops() {
  std::optional<int64_t> out = numElements(getResult().getType());
  int64_t k = getLhs().getType().getShape().back();
  if (!out || ShapedType::isDynamic(k))
    return std::nullopt;
  return 2 * *out * k;
}

std::optional<int64_t> Conv2dOp::getFlops() {
  std::optional<int64_t> out = numElements(getResult().getType());
  RankedTensorType filter = getFilter().getType();
  if (!out || !filter.hasStaticShape())
    return std::nullopt;
  // Each output element reads one filter's C/groups x KH x KW window. (Not
  // numElements(filter) / F: a filter with F = 0 would divide by zero.)
  int64_t perOutput =
      filter.getDimSize(1) * filter.getDimSize(2) * filter.getDimSize(3);
  return 2 * *out * perOutput;
}

static std::optional<int64_t> poolFlops(Value result, ArrayRef<int64_t> kernel) {
  std::optional<int64_t> out = numElements(result.getType());
  if (!out)
    return std::nullopt;
  return *out * kernel[0] * kernel[1];
}

std::optional<int64_t> MaxPool2dOp::getFlops() {
  return poolFlops(getResult(), getKernel());
}

std::optional<int64_t> AvgPool2dOp::getFlops() {
  return poolFlops(getResult(), getKernel());
}
