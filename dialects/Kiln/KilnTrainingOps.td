//===- KilnTrainingOps.td - Training-mode primitives -------*- tablegen -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Primitives that only training programs need (e.g. the explicit random
// masks of training-mode Dropout). Included from KilnOps.td.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TRAINING_OPS_TD
#define KILN_TRAINING_OPS_TD

#endif // KILN_TRAINING_OPS_TD
