//===- FakeQuant.h - int8 quantization-aware training -----------*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// kiln-quantize's `qat-int8` mode: every matmul and conv2d of the forward
// pass reads fake-quantized operands, so that training sees the rounding
// an int8 deployment will have:
//
//   - a weight operand (a trained weight, or a transpose or reshape of one)
//     per output channel (a matmul's last dim, a convolution's filters):
//     s[c] = max |w[..., c]| / 127, q = round(w / s) * s;
//   - an activation operand per tensor, with its range from an observer: an
//     exponential moving average of max |x| (the first step takes max |x|
//     itself), kept as training-step state `qat.amax_K`;
//     s = ema / 127, q = clamp(round(x / s), -128, 127) * s;
//   - the straight-through estimator: the operand becomes
//     x + stop_gradient(q - x), so the forward pass sees q and the
//     gradient passes as if the rounding were the identity.
//
// The scales use symmetric int8 (zero point 0).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TRAINING_FAKEQUANT_H
#define KILN_TRAINING_FAKEQUANT_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

namespace kiln {
namespace training {

struct FakeQuantOptions {
  double observerDecay = 0.99; ///< weight of the old range in the EMA
};

struct FakeQuantReport {
  int64_t contractions = 0;
  int64_t weightOperands = 0;     ///< fake-quantized per channel
  int64_t activationOperands = 0; ///< fake-quantized per tensor (observers)
};

/// Inserts the fake quantization described above into `step` (a training
/// step of `module` that still holds its kiln.gradient request), adding one
/// observer state per activation operand (initialized to 0 in the init
/// function).
mlir::FailureOr<FakeQuantReport>
insertFakeQuant(mlir::ModuleOp module, mlir::func::FuncOp step,
                const FakeQuantOptions &options);

} // namespace training
} // namespace kiln

#endif // KILN_TRAINING_FAKEQUANT_H
