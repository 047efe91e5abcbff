//===- Passes.h - Conversions out of the kiln dialect -----------*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Declares the conversion passes of dialects/Conversion/Passes.td:
//   --convert-kiln-to-linalg   kiln -> linalg/tensor/arith/math on tensors
// Nothing is registered globally; tools call registerKilnConversionPasses().
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CONVERSION_PASSES_H
#define KILN_CONVERSION_PASSES_H

#include "mlir/Pass/Pass.h"

#include <memory>

namespace kiln {

#define GEN_PASS_DECL
#include "kiln/Dialect/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "kiln/Dialect/Conversion/Passes.h.inc"

} // namespace kiln

#endif // KILN_CONVERSION_PASSES_H
