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
//   absmax    = max |x| over the block                        (f32)
//   codes[k]  = the index, minus 128, of the value of the dynamic map
//               nearest to x[k] / absmax                      (i8)
// and read back as absmax * map[code + 128]. The map is bitsandbytes'
// signed "dynamic tree" code (Dettmers et al., 8-bit Optimizers via
// Block-wise Quantization): 0, 1, and for each decade 10^-7..10^0 a linear
// grid of 2^i values (i = 0..6) with its negatives; precision where the
// values are large, range down to 5.5e-7 of the block's largest value,
// which Adam's second moment needs. Quantizing is a branch-free binary
// search over the map's midpoints (8 gathers and compares per element),
// dequantizing one gather from the 256-entry map. Smaller tensors stay f32.
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

/// bitsandbytes' signed dynamic quantization map: 256 values in [-1, 1],
/// ascending (index 127 is 0, index 255 is 1).
llvm::SmallVector<float> dynamicQuantizationMap();

/// The index of the map value nearest to `u` (ties go up), as the step's
/// quantizer computes it.
int64_t nearestMapIndex(float u);

/// (codes [blocks, blockSize] i8, absmax [blocks] f32) of the f32 tensor `x`
/// (flattened, zero-padded to whole blocks), coded as above.
std::pair<mlir::Value, mlir::Value>
quantizeBlockwise(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                  int64_t blockSize);

/// The f32 tensor of `type` that quantizeBlockwise's `codes` and `absmax`
/// stand for.
mlir::Value dequantizeBlockwise(mlir::OpBuilder &b, mlir::Location loc,
                                mlir::Value codes, mlir::Value absmax,
                                mlir::RankedTensorType type,
                                int64_t blockSize);

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
