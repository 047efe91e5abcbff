//===- MixedPrecision.h - bf16/f16 training with f32 master weights -*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Mixed-precision training as a rewrite of a training step that still holds
// its `kiln.gradient` request (the contract of Training/TrainStep.h):
//
//   - every op of the forward pass whose kind is allowed (matmul, conv2d,
//     elementwise arithmetic, data movement) computes on values rounded to
//     the low type, and its results are rounded to it: `round(x)` is
//     `cast(cast(x : f32 to bf16) : bf16 to f32)`. Matmuls and convolutions
//     therefore multiply low-precision numbers and accumulate in f32 (a
//     product of two bf16 or f16 numbers is exact in f32, so this is what
//     a bf16 GEMM with f32 accumulation computes). Reductions, softmax,
//     exp/log and the loss stay f32. Autodiff's cast rule rounds the
//     gradients at the same points, so the backward pass is low precision
//     where the forward is;
//   - weights stay f32 arguments (master weights) and the optimizer update
//     is f32;
//   - loss scaling (f16): the request differentiates `loss * S`, the
//     gradients are divided by S, and a step whose gradients hold an inf or
//     a NaN is skipped (every state value keeps its old value). S and a
//     count of clean steps are new state: S halves on overflow and doubles
//     after `growthInterval` clean steps (PyTorch's GradScaler). The step
//     returns `skipped` (1 when skipped) and `loss_scale` (the S it used).
//
// After autodiff, `giveEachReaderItsOwnUpcast` gives every reader of a
// rounded value its own widening cast, so that what lives from the forward
// to the backward pass is the low-precision tensor (half the bytes), not
// an f32 copy of it.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TRAINING_MIXEDPRECISION_H
#define KILN_TRAINING_MIXEDPRECISION_H

#include "kiln/Dialect/Kiln/KilnOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <vector>

namespace kiln {
namespace training {

/// The op kinds (kiln op names without the dialect prefix) that compute in
/// the low type unless an `allow` list replaces them.
std::vector<std::string> defaultLowPrecisionOps();

struct MixedPrecisionOptions {
  mlir::FloatType lowType;        ///< bf16 or f16
  std::vector<std::string> allow; ///< empty: defaultLowPrecisionOps()
  std::vector<std::string> deny;  ///< removed from the allowed kinds
  double lossScale = 0.0;         ///< initial S; 0: no loss scaling
  bool dynamicLossScale = true;   ///< halve on overflow, grow when clean
  int64_t growthInterval = 2000;  ///< clean steps before S doubles
};

/// What the rewrite did, in bytes of the step's tensors. Activations are
/// the tensors the forward pass computes (results of non-constant ops
/// before the gradient request), stored at their type: f32 before, the
/// low type for the rounded ones after.
struct MixedPrecisionReport {
  int64_t roundedOps = 0;
  int64_t roundedOperands = 0;
  int64_t weightBytes = 0;
  int64_t optimizerStateBytes = 0;
  int64_t activationBytesBefore = 0;
  int64_t activationBytesAfter = 0;
};

/// Rewrites `step` (a training step of `module` holding exactly one
/// kiln.gradient request, before kiln-autodiff) with the rounding points
/// described above (loss scaling is addLossScaling's). Emits a diagnostic on `step` and fails when the step does not
/// follow the contract.
mlir::FailureOr<MixedPrecisionReport>
roundToLowPrecision(mlir::ModuleOp module, mlir::func::FuncOp step,
                    const MixedPrecisionOptions &options);

/// Dynamic loss scaling of `step` (see above): the request differentiates
/// loss * S, its gradients are divided by S, a step with a non-finite
/// gradient keeps every state value; S (initially options.lossScale) and
/// the clean-step count are new state initialized in `init`; the step
/// returns `skipped` and `loss_scale_used`.
mlir::LogicalResult addLossScaling(mlir::func::FuncOp step,
                                   mlir::func::FuncOp init,
                                   GradientOp request,
                                   const MixedPrecisionOptions &options);

/// Gives every reader of a widening float cast with several readers its own
/// copy of the cast (marked as a recomputation, so that CSE keeps them
/// apart). Returns the number of copies.
unsigned giveEachReaderItsOwnUpcast(mlir::func::FuncOp func);

} // namespace training
} // namespace kiln

#endif // KILN_TRAINING_MIXEDPRECISION_H
