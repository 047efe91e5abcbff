//===- KilnDialect.h - The kiln dialect -------------------------*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Declares the kiln dialect. Include KilnOps.h for the ops themselves.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECT_KILN_KILNDIALECT_H
#define KILN_DIALECT_KILN_KILNDIALECT_H

#include "mlir/IR/Dialect.h"

#include "kiln/Dialect/Kiln/KilnOpsDialect.h.inc"

#endif // KILN_DIALECT_KILN_KILNDIALECT_H
