//===- KilnInterfaces.h - Interfaces of kiln ops ----------------*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The op interfaces that carry what passes need to know about an op: its
// cost (CostOpInterface), its gradient rule (DifferentiableOpInterface) and
// its part in fusion groups (FusibleOpInterface).
// The detail:: helpers are the shared cost formulas of op families.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECT_KILN_KILNINTERFACES_H
#define KILN_DIALECT_KILN_KILNINTERFACES_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpDefinition.h"
#include <optional>

namespace kiln {

/// What an op is inside a kiln.fusion_group (FusibleOpInterface).
enum class FusionRole {
  /// Computes each result element from operand elements at the same (or a
  /// broadcast) position: fuses with any neighbour.
  Elementwise,
  /// Reduces along axes (reductions, softmax): anchors a group, fuses an
  /// elementwise epilogue.
  Reduction,
  /// Matmul, convolution: anchors a group, fuses an elementwise epilogue.
  Contraction,
};

namespace detail {
/// Bytes of every ranked-tensor operand and result, each read or written once.
std::optional<int64_t> defaultBytesMoved(mlir::Operation *op);
/// One operation per element of the first result.
std::optional<int64_t> elementwiseFlops(mlir::Operation *op);
/// One operation per element of the first operand.
std::optional<int64_t> reductionFlops(mlir::Operation *op);
/// Max, subtract, exp, sum and divide: five operations per element.
std::optional<int64_t> softmaxFlops(mlir::Operation *op);
} // namespace detail
} // namespace kiln

#include "kiln/Dialect/Kiln/KilnInterfaces.h.inc"

#endif // KILN_DIALECT_KILN_KILNINTERFACES_H
