//===- KilnDataOps.td - Further data-movement and inde -*- tablegen -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Further data-movement and indexing primitives. Included from KilnOps.td.
//
//===----------------------------------------------------------------------===//

#ifndef KILNDATAOPS_TD
#define KILNDATAOPS_TD

#endif // KILNDATAOPS_TD
