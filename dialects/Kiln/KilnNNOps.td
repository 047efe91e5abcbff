//===- KilnNNOps.td - Further neural-network primiti -*- tablegen -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Further neural-network primitives (windows, resampling, ...). Included from KilnOps.td.
//
//===----------------------------------------------------------------------===//

#ifndef KILNNNOPS_TD
#define KILNNNOPS_TD

#endif // KILNNNOPS_TD
