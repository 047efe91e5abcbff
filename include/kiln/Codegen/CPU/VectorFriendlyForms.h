//===- VectorFriendlyForms.h - Rewrites that vectorize better ---*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Equivalent forms of tensor-level ops that kiln-cpu-vectorize turns into
// better vector code than the originals: padding as a fill and a copy
// generic (instead of a strided memref.copy), and a sum over several dims
// whose innermost dim is reduced as a vector accumulation followed by one
// short horizontal sum (instead of a horizontal sum per row); scalars read
// once before a loop instead of as 0-d inputs of every iteration.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_CPU_VECTORFRIENDLYFORMS_H
#define KILN_CODEGEN_CPU_VECTORFRIENDLYFORMS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

namespace kiln {
namespace cpu {

/// Rewrites every static `tensor.pad` of a constant, and every static
/// `tensor.insert_slice` into a `linalg.fill` whose innermost stride is 1,
/// as `insert_slice(copy(source) into extract_slice(dest))` with the copy a
/// `linalg.generic`: bufferized in place, vectorized like any copy (the
/// original would bufferize to a `memref.copy` into a strided subview,
/// which the runtime performs element by element). Returns the count.
unsigned rewritePadsAsCopies(mlir::RewriterBase &rewriter,
                             mlir::func::FuncOp func);

/// Rewrites every f32 sum (`linalg.generic` with one output whose body
/// adds into it, or `linalg.reduce` with `addf`) that reduces its innermost
/// loop dim and at least one other, with an innermost extent of at least
/// `minWidth`, into
///   partial[p..., w] = sum over the other reduction dims  (w parallel:
///                                                          vector adds)
///   out[p...]       += sum over w of partial[p..., w]      (one short
///                                                          horizontal sum)
/// The additions are reassociated (as vectorizing any sum does). Returns
/// the count.
unsigned splitMultiDimReductions(mlir::RewriterBase &rewriter,
                                 mlir::func::FuncOp func, int64_t minWidth);

/// Rewrites every `linalg.generic` with loops that reads a 0-d tensor (a
/// step counter, a bias-correction factor, a learning rate) to read it once
/// before the op (`tensor.extract`) and use the scalar in its body: the
/// vectorizer broadcasts it, LLVM hoists what the body computes from it
/// alone, and an i64 scalar no longer keeps an f32 loop from vectorizing.
/// Returns the count.
unsigned readScalarInputsOutside(mlir::RewriterBase &rewriter,
                                 mlir::func::FuncOp func);

/// Replaces `op` by a copy without the inputs at positions `dropped`
/// (ascending), whose block arguments the caller has made unused; the body
/// moves over. Returns the copy.
mlir::linalg::GenericOp dropUnusedInputs(mlir::RewriterBase &rewriter,
                                         mlir::linalg::GenericOp op,
                                         llvm::ArrayRef<unsigned> dropped);

} // namespace cpu
} // namespace kiln

#endif // KILN_CODEGEN_CPU_VECTORFRIENDLYFORMS_H
