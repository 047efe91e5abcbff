//===- Annotations.h - Discardable attributes between passes ----*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Names of the discardable attributes that one Kiln pass leaves on an op
// for a later one (a graph pass for a code generator): the contract is the
// name and its meaning, stated here once.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECT_KILN_ANNOTATIONS_H
#define KILN_DIALECT_KILN_ANNOTATIONS_H

#include "llvm/ADT/StringRef.h"

namespace kiln {

/// On a `kiln.matmul` (kiln-sparsify) and the 2-D `linalg.matmul` it lowers
/// to: the right-hand side is a weight that is mostly zeros, so the CPU
/// pipeline computes the product with MLIR's sparse compiler
/// (kiln-cpu-sparse-weights). A promise about values, checked by nothing:
/// a wrong one costs time, never correctness.
inline constexpr llvm::StringLiteral kSparseWeightAttr = "kiln.sparse_weight";

} // namespace kiln

#endif // KILN_DIALECT_KILN_ANNOTATIONS_H
