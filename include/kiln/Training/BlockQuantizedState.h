//===- BlockQuantizedState.h - 8-bit block-wise optimizer state -*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Optimizer state (Adam's moments, momentum buffers) stored in 8 bits per
// element, as kiln-quantize's `adam-8bit` mode. A state tensor of at least
// `minElements` elements is flattened, zero-padded to whole blocks of
// `blockSize` elements, and each block stored as
//   codes[k]  = round(127 * (|x| / absmax)^(1/4)) * sign(x)   (i8)
//   absmax    = max |x| over the block                        (f32)
// and read back as sign(c) * absmax * (|c| / 127)^4. The fourth-power code
// spends its 127 levels logarithmically-ish: relative to the block's
// largest value it resolves 4/127 (3%) near the top and reaches down to
// 4e-9, where a linear code would stop at 1/127; the second moment of Adam
// spans orders of magnitude within a block. (bitsandbytes' 8-bit Adam uses
// a "dynamic tree" code for the same reason; this is a simpler map with
// the same purpose, not that one.) Smaller tensors stay f32.
//
// The training step reads the codes and scales as state arguments,
// dequantizes them at its start, runs its update in f32 and quantizes the
// new state before it returns; the init function quantizes the initial
// state the same way.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TRAINING_BLOCKQUANTIZEDSTATE_H
#define KILN_TRAINING_BLOCKQUANTIZEDSTATE_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

namespace kiln {
namespace training {

struct BlockQuantizedStateOptions {
  int64_t blockSize = 2048;
  int64_t minElements = 4096; ///< smaller state tensors stay f32
};

struct BlockQuantizedStateReport {
  int64_t quantizedTensors = 0;
  int64_t keptTensors = 0;        ///< f32 state below minElements
  int64_t stateBytesBefore = 0;   ///< all optimizer state, f32
  int64_t stateBytesAfter = 0;    ///< codes + scales + what stayed
};

/// Stores the optimizer state of `step` (its state arguments other than the
/// `wrt` values of its kiln.gradient request, which are the weights) in
/// 8-bit blocks as described above, rewriting `step`'s signature, update
/// binding and init function. Fails with a diagnostic when `step` does not
/// follow the training-step contract.
mlir::FailureOr<BlockQuantizedStateReport>
quantizeOptimizerState(mlir::ModuleOp module, mlir::func::FuncOp step,
                       const BlockQuantizedStateOptions &options);

} // namespace training
} // namespace kiln

#endif // KILN_TRAINING_BLOCKQUANTIZEDSTATE_H
