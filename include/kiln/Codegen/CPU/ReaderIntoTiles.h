//===- ReaderIntoTiles.h - An elementwise reader joins a tile loop --*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// A convolution tiled per image writes its result one image at a time; the
// bias, activation and mask that read it ran afterwards over the whole
// batch, re-reading a tensor that had left the cache. Moving that reader
// into the tile loop puts it next to each image's GEMM, where
// kiln-cpu-matmul-kernels computes it on the GEMM's register tiles.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_CPU_READERINTOTILES_H
#define KILN_CODEGEN_CPU_READERINTOTILES_H

#include "mlir/Interfaces/LoopLikeInterface.h"
#include "mlir/IR/PatternMatch.h"

namespace kiln {
namespace cpu {

/// Moves the only reader of the (single) result of the tile loop `loop`
/// (an scf.for or scf.forall whose body writes its result tile by tile:
/// each iteration a disjoint piece, not a partial sum over a reduction dim)
/// into the loop, after the tile's computation, when that reader is an
/// all-parallel `linalg.generic` in the loop's block that reads the result
/// through identity maps and whose other operands can be defined before
/// the loop. An output of the reader that was the loop's result (written in
/// place) is written over each tile; other outputs are carried through the
/// loop. Returns the reader computed on a tile and updates `loop` to the
/// rebuilt loop, or fails with the IR unchanged (except that operands the
/// reader needs may have moved before the loop).
mlir::FailureOr<mlir::Operation *>
fuseElementwiseReaderIntoLoop(mlir::RewriterBase &rewriter,
                              mlir::LoopLikeOpInterface &loop);

} // namespace cpu
} // namespace kiln

#endif // KILN_CODEGEN_CPU_READERINTOTILES_H
