//===- Float8Training.h - FP8 GEMM inputs with delayed scaling --*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// kiln-quantize's `fp8` mode, emulated on the CPU through MLIR's f8 types
// (kiln-cpu-expand-float8 lowers their casts):
//
//   - forward: each operand x of a matmul or conv2d is rounded to E4M3
//     (f8E4M3FN) with a per-tensor scale from an amax history (delayed
//     scaling): s = (448 / 2^margin) / max(history) (this step's max |x|
//     while the history is all zero, on the first step), q = e4m3(x * s) / s; the history, `fp8.amax_K`, keeps the
//     last `historyLength` values of max |x| as training-step state. The
//     operand becomes x + stop_gradient(q - x), so the rounding does not
//     touch the gradient of x;
//   - backward: the gradient arriving at each matmul/conv2d result is
//     rounded to E5M2 (f8E5M2): the result y is replaced by
//     stop_gradient(y) + (e - stop_gradient(e)) with e = e5m2(y), equal to
//     y in the forward pass, whose gradient is cast's rule twice: e5m2 of
//     the incoming gradient. E5M2 gradients are not scaled per tensor; the
//     range is kept by the step's dynamic loss scaling (as f16's).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TRAINING_FLOAT8TRAINING_H
#define KILN_TRAINING_FLOAT8TRAINING_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

namespace kiln {
namespace training {

struct Float8Options {
  int64_t historyLength = 16; ///< steps of amax kept per tensor
  int64_t margin = 0;         ///< scale down by 2^margin for headroom
};

struct Float8Report {
  int64_t contractions = 0;
  int64_t scaledOperands = 0; ///< E4M3 operands with an amax history
  int64_t roundedGradients = 0;
};

/// Inserts FP8 rounding into `step` (a training step of `module` that still
/// holds its kiln.gradient request) as described above.
mlir::FailureOr<Float8Report> insertFloat8Rounding(mlir::ModuleOp module,
                                                   mlir::func::FuncOp step,
                                                   const Float8Options &options);

} // namespace training
} // namespace kiln

#endif // KILN_TRAINING_FLOAT8TRAINING_H
