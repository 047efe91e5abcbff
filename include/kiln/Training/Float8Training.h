//===- Float8Training.h - FP8 GEMM inputs with delayed scaling --*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// kiln-quantize's `fp8` mode, emulated on the CPU through MLIR's f8 types
// (kiln-cpu-expand-float8 lowers their casts). Every scale is per tensor
// and delayed (Transformer Engine's recipe): it comes from an amax history,
// state of the training step that rolls in this step's max |x|.
//
//   - which: every forward matmul and conv2d, except the first and the last
//     (in program order) when there are at least three: the layers FP8
//     recipes keep in higher precision, here f32 like every other op.
//   - forward (insertFloat8Rounding, before autodiff): each operand x of a
//     matmul or conv2d is rounded to E4M3 (f8E4M3FN):
//     s = (448 / 2^margin) / max(history) (this step's max |x| while the
//     history is all zero, on the first step), q = e4m3(x * s) / s, used as
//     x + stop_gradient(q - x), so the rounding does not touch the gradient
//     of x. History `fp8.amax_K`.
//   - backward: the gradient g reaching each matmul/conv2d result is
//     rounded to E5M2 (f8E5M2) with its own scale: the result y is replaced
//     by stop_gradient(y) + (e - stop_gradient(e)), e = e5m2(y / s) * s, equal
//     to y in the forward pass; the gradient rules of mul, cast and div make
//     the incoming gradient e5m2(g * s) / s. s is the scale (57344 / 2^margin)
//     / max(history) of history `fp8.grad_amax_K`; after autodiff
//     (scaleFloat8Gradients) the backward pass's uses of s are rewired to
//     the same scale with this step's max |g| as the first step's range, and
//     max |g| (0 when not finite) rolls into the history (kept as it was
//     on a step that loss scaling skips, when loss-scale=S adds it).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TRAINING_FLOAT8TRAINING_H
#define KILN_TRAINING_FLOAT8TRAINING_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace kiln {
namespace training {

struct Float8Options {
  int64_t historyLength = 16; ///< steps of amax kept per tensor
  int64_t margin = 0;         ///< scale down by 2^margin for headroom
  /// Leave the first and last forward contractions (program order) in f32
  /// when there are at least three.
  bool keepFirstAndLast = true;
};

struct Float8Report {
  int64_t contractions = 0;
  int64_t scaledOperands = 0;  ///< E4M3 operands with an amax history
  int64_t roundedGradients = 0; ///< E5M2 rounding points inserted
  int64_t scaledGradients = 0; ///< of those, reached by a gradient
  int64_t keptContractions = 0; ///< first and last, left in f32
};

/// One contraction result whose gradient gets a delayed E5M2 scale: what
/// the forward rewrite leaves for scaleFloat8Gradients.
struct Float8GradientSite {
  mlir::Value scale;                          ///< the broadcast scale s
  llvm::SmallVector<mlir::Operation *> forwardReaders; ///< of `scale`
  mlir::BlockArgument history;                ///< fp8.grad_amax_K
  std::string name;                           ///< the history's name
};

struct Float8Rewrite {
  Float8Report report;
  llvm::SmallVector<Float8GradientSite> gradientSites;
};

/// Inserts the forward half of FP8 training into `step` (a training step
/// of `module` that still holds its kiln.gradient request), as above.
mlir::FailureOr<Float8Rewrite>
insertFloat8Rounding(mlir::ModuleOp module, mlir::func::FuncOp step,
                     const Float8Options &options);

/// After autodiff expanded `step`'s request: gives each site's backward
/// E5M2 rounding its scale and binds the gradient amax histories.
mlir::LogicalResult scaleFloat8Gradients(mlir::ModuleOp module,
                                         mlir::func::FuncOp step,
                                         Float8Rewrite &rewrite,
                                         const Float8Options &options);

} // namespace training
} // namespace kiln

#endif // KILN_TRAINING_FLOAT8TRAINING_H
