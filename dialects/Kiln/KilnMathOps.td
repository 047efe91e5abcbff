//===- KilnMathOps.td - Further elementwise primitives -*- tablegen -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Further elementwise primitives (logical, bitwise, integer, ...). Included from KilnOps.td.
//
//===----------------------------------------------------------------------===//

#ifndef KILNMATHOPS_TD
#define KILNMATHOPS_TD

#endif // KILNMATHOPS_TD
