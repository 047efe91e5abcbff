//===- RoundingPoints.h - Where a training step loses precision -*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The two forms kiln-quantize's modes build rounding from, as kiln ops:
//
//   - a round trip through a narrower float type, two kiln.casts; its
//     gradient is rounded the same way (cast's gradient rule), which bf16,
//     f16 and fp8's E5M2 gradients rely on;
//   - the straight-through form x + stop_gradient(q - x): the value q with
//     the gradient of x, which fp8's E4M3 operands and qat-int8's fake
//     quantization use.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TRAINING_ROUNDINGPOINTS_H
#define KILN_TRAINING_ROUNDINGPOINTS_H

#include "mlir/IR/Builders.h"

namespace kiln {
namespace training {

/// cast(cast(x to `narrow`) to x's type), for a float tensor `x`.
mlir::Value roundThrough(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                         mlir::Type narrow);

/// x + stop_gradient(q - x).
mlir::Value straightThrough(mlir::OpBuilder &b, mlir::Location loc,
                            mlir::Value x, mlir::Value q);

} // namespace training
} // namespace kiln

#endif // KILN_TRAINING_ROUNDINGPOINTS_H
