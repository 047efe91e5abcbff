//===- LoopAccumulators.h - Vector accumulators kept in registers -*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// A loop that loads a vector from a buffer, adds to it and stores it back at
// the same place on every iteration (an accumulator) can carry the vector
// as a loop value instead: one load before the loop, one store after it.
// LLVM cannot do this itself when the loop's other loads come through
// pointers it cannot prove distinct (an OpenMP thread body receives every
// buffer as an argument); here the buffers are still memref values whose
// allocations are known. The sparse compiler's products
// (kiln-cpu-bufferize) need it: without it, every nonzero of a column
// stores the whole output row.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_CPU_LOOPACCUMULATORS_H
#define KILN_CODEGEN_CPU_LOOPACCUMULATORS_H

#include "mlir/Dialect/SCF/IR/SCF.h"

namespace kiln {
namespace cpu {

/// Fully unrolls the static loops nested directly in `loop`'s body whose
/// trip count is at most `maxUnroll`, then moves each vector.load /
/// vector.store pair of `loop`'s body (same buffer, same loop-invariant
/// indices, the load first, nothing else in the loop touching that
/// allocation) out of `loop`, carrying the vector as a loop value. Returns
/// the number of accumulators moved; `loop` is replaced when any is.
/// When `loop` runs no iteration, the moved pair still loads and stores
/// back the same vector: callers inside a parallel loop must own those
/// positions (the sparse products' iteration n owns yT's row n).
unsigned keepVectorAccumulatorsInRegisters(mlir::RewriterBase &rewriter,
                                           mlir::scf::ForOp &loop,
                                           int64_t maxUnroll);

} // namespace cpu
} // namespace kiln

#endif // KILN_CODEGEN_CPU_LOOPACCUMULATORS_H
