//===- Passes.h - Graph passes over the kiln dialect ------------*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Declarations of the passes in passes/ (one pass per file), generated from
// dialects/Kiln/Passes.td, and their registration for kiln-opt.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_PASSES_H
#define KILN_PASSES_PASSES_H

#include "mlir/Pass/Pass.h"

namespace mlir::func {
class FuncOp;
} // namespace mlir::func

namespace kiln {

#define GEN_PASS_DECL
#include "kiln/Dialect/Kiln/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "kiln/Dialect/Kiln/Passes.h.inc"

} // namespace kiln

#endif // KILN_PASSES_PASSES_H
