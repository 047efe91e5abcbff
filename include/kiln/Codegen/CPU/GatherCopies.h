//===- GatherCopies.h - Copies through affine read maps ---------*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// A gather copy is a linalg.generic whose body yields its one input, read
// through an affine map, into an identity-mapped destination: im2col, the
// transposed copies of conv-to-gemm, the interior copy of a pad. The CPU
// passes build them (conv-to-gemm, vectorize's pad rewrite), choose layouts
// by how contiguously they read (conv-to-gemm), and vectorize them
// (vectorize); these are the shared pieces.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_CPU_GATHERCOPIES_H
#define KILN_CODEGEN_CPU_GATHERCOPIES_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace kiln {
namespace cpu {

/// Whether the affine expression `e` over `numDims` loop dims reads loop
/// dim `dim` at unit stride: `e = d_dim + f(other dims)` (`ow + kw`, not
/// `2 * ow + kw`, and not an expression without `d_dim`).
bool readsDimAtUnitStride(mlir::AffineExpr e, unsigned dim, unsigned numDims);

/// `dest` (a tensor of the loop shape) filled with `source` read through
/// `read`: a parallel linalg.generic that yields its input.
mlir::linalg::GenericOp buildGatherCopy(mlir::OpBuilder &b, mlir::Location loc,
                                        mlir::Value source,
                                        mlir::AffineMap read,
                                        mlir::Value dest);

/// Whether `op` is a gather copy whose innermost loop dim reads the
/// source's last dim at unit stride and no other source dim: tiled to
/// 1 x ... x 1 x W, each tile reads W contiguous elements (linalg's
/// vectorizer rejects such maps when they are not projected permutations).
bool isWindowCopy(mlir::linalg::LinalgOp op);

} // namespace cpu
} // namespace kiln

#endif // KILN_CODEGEN_CPU_GATHERCOPIES_H
