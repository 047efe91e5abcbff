//===- KilnBuilder.h - Checked creation of kiln ops -------------*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// For code that builds kiln ops from input it does not control (the ONNX
// importer, the training builders): an op is created with its result type
// inferred and is then verified, so a shape error becomes a diagnostic at
// the op's location rather than an assertion in a generated builder, and
// the bad op is erased again.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECT_KILN_KILNBUILDER_H
#define KILN_DIALECT_KILN_KILNBUILDER_H

#include "kiln/Dialect/Kiln/KilnOps.h"
#include "mlir/IR/Builders.h"

namespace kiln {

/// Verifies the just-created `op` (not its regions); on failure, after the
/// verifier's diagnostic, erases it.
mlir::LogicalResult verifyOrErase(mlir::Operation *op);

/// Sets the result types of the just-created `op` to the inferred ones if
/// it implements InferTypeOpInterface (diagnostics at `loc`), then
/// verifyOrErase. On failure the op is erased.
mlir::LogicalResult inferTypesAndVerify(mlir::Operation *op,
                                        mlir::Location loc);

/// Creates OpT at `loc` and checks it with inferTypesAndVerify. Ops that
/// infer their result type get it inferred (pass the operands and
/// attributes only); others take the result type first.
template <typename OpT, typename... Args>
mlir::FailureOr<OpT> createChecked(mlir::OpBuilder &b, mlir::Location loc,
                                   Args &&...args) {
  OpT op;
  // An inferring op gets a placeholder type, replaced by the inferred one:
  // the generated inferring builders would abort on a shape error instead.
  if constexpr (OpT::template hasTrait<mlir::InferTypeOpInterface::Trait>())
    op = OpT::create(b, loc, b.getNoneType(), std::forward<Args>(args)...);
  else
    op = OpT::create(b, loc, std::forward<Args>(args)...);
  if (mlir::failed(inferTypesAndVerify(op.getOperation(), loc)))
    return mlir::failure();
  return op;
}

/// A kiln.constant of the static `type` with every element `value` (a float
/// or an integer literal, by the element type).
mlir::Value createSplat(mlir::OpBuilder &b, mlir::Location loc,
                        mlir::RankedTensorType type, double value);

/// `value` (e.g. a scalar) broadcast to the shape of `shapeLike`, keeping
/// its own element type; `value` itself when the shapes already agree.
mlir::Value broadcastToShapeOf(mlir::OpBuilder &b, mlir::Location loc,
                               mlir::Value value,
                               mlir::RankedTensorType shapeLike);

} // namespace kiln

#endif // KILN_DIALECT_KILN_KILNBUILDER_H
