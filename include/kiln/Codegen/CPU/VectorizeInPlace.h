//===- VectorizeInPlace.h - Vectorize a linalg op and replace it -*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The CPU code generation passes (matmul kernels and their epilogues,
// vectorize) turn a static linalg op into vector code the same way: upstream
// linalg::vectorize, the op replaced by the vector code's results, or left
// as it is (a loop nest) when it does not vectorize.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_CPU_VECTORIZEINPLACE_H
#define KILN_CODEGEN_CPU_VECTORIZEINPLACE_H

#include "mlir/IR/PatternMatch.h"

namespace kiln {
namespace cpu {

/// Vectorizes the static-shaped linalg op `op` and replaces it with the
/// vector code's results, which it returns. With `namedContraction`, a
/// contraction becomes a vector.contract (a GEMM micro-kernel's outer
/// products) rather than multiplies and a reduction. On failure the IR is
/// unchanged.
mlir::FailureOr<llvm::SmallVector<mlir::Value>>
vectorizeInPlace(mlir::RewriterBase &rewriter, mlir::Operation *op,
                 bool namedContraction = false);

} // namespace cpu
} // namespace kiln

#endif // KILN_CODEGEN_CPU_VECTORIZEINPLACE_H
