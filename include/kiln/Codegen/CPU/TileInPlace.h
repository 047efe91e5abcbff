//===- TileInPlace.h - Tile a linalg op and replace it ----------*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The CPU code generation passes (conv-to-gemm, matmul kernels, vectorize)
// all tile ops the same way: static tile sizes (0 = untiled), one loop
// kind, the op replaced by the loop nest's results.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_CPU_TILEINPLACE_H
#define KILN_CODEGEN_CPU_TILEINPLACE_H

#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"

namespace kiln {
namespace cpu {

/// Tiles `target` by `sizes` (one per loop, 0 leaves a loop untiled) into
/// an `scf.forall` (`forall`) or `scf.for` nest, in `interchange` order
/// when given, and replaces `target` with the nest's results. On failure
/// the IR is unchanged.
mlir::FailureOr<mlir::scf::SCFTilingResult>
tileInPlace(mlir::RewriterBase &rewriter, mlir::TilingInterface target,
            llvm::ArrayRef<int64_t> sizes, bool forall,
            llvm::ArrayRef<int64_t> interchange = {});

} // namespace cpu
} // namespace kiln

#endif // KILN_CODEGEN_CPU_TILEINPLACE_H
