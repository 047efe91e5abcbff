//===- ElementwiseFusion.h - Fusion of producers with several readers -*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Elementwise producer-consumer fusion of linalg.generic ops in one block,
// also when the producer has several readers: the fused op yields the
// producer's value as well, and every other reader reads it from there, so
// it is computed once. Upstream's pattern fuses single-use producers only
// (it leaves a multi-use producer in place and the value would be computed
// twice). Used on a kiln.fusion_group's body (convert-kiln-to-linalg) and
// on a whole function (kiln-cpu-fuse-elementwise).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CONVERSION_KILNTOLINALG_ELEMENTWISEFUSION_H
#define KILN_CONVERSION_KILNTOLINALG_ELEMENTWISEFUSION_H

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/STLFunctionalExtras.h"

namespace mlir {
class Block;
class OpOperand;
class RewriterBase;
} // namespace mlir

namespace kiln {

/// Whether the producer of `operand` can be fused into its reader so that
/// no element is computed twice: both are linalg.generic ops that upstream
/// can fuse; a producer with several users also needs a reader that
/// iterates over the same space without reducing (a permutation map),
/// reads the producer through this one operand and comes before every
/// other user (which then read the fused op's copy of the value).
bool canFuseWithoutRecomputing(mlir::OpOperand *operand);

/// Fuses elementwise producers into their readers among the ops of `block`
/// (uses nested in their regions count at their ancestor) until nothing
/// fuses, for every operand that canFuseWithoutRecomputing accepts and
/// `allow` does not veto. Returns the number of fusions.
int64_t fuseElementwiseInBlock(
    mlir::RewriterBase &rewriter, mlir::Block &block,
    llvm::function_ref<bool(mlir::OpOperand *)> allow);

/// Generalizes the linalg.reduce ops of `block` whose input is computed by
/// a linalg.generic, so that the producer can fuse into the reduction's
/// loops (a sum of squares reads x once).
void generalizeReductionsOfGenerics(mlir::RewriterBase &rewriter,
                                    mlir::Block &block);

} // namespace kiln

#endif // KILN_CONVERSION_KILNTOLINALG_ELEMENTWISEFUSION_H
