//===- SparseTraining.h - Masked training of a training step ----*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The rewrite behind kiln-sparsify: gives each pruned weight of a training
// step (one that still holds its kiln.gradient request) a mask as state,
// reads the weight through the mask in the forward pass, stores the update
// masked, and recomputes the mask on the steps its schedule names —
// gradual magnitude pruning, a fixed N:M mask, or RigL's drop and grow.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TRAINING_SPARSETRAINING_H
#define KILN_TRAINING_SPARSETRAINING_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <vector>

namespace kiln {
namespace training {

enum class SparsityMode { Magnitude, StructuredNM, RigL };

/// Which forward products are marked kiln.sparse_weight (Annotations.h).
enum class SparseCodegen { Auto, Always, Never };

struct SparseTrainingOptions {
  SparsityMode mode = SparsityMode::Magnitude;
  double sparsity = 0.9;      ///< magnitude, rigl: final pruned fraction
  bool globalScope = false;   ///< magnitude: one threshold for all weights
  int64_t startStep = 0;      ///< first pruning step (nm: the mask's step)
  int64_t endStep = 1000;     ///< magnitude: s reached; rigl: last update
  int64_t frequency = 100;    ///< magnitude, rigl: steps between updates
  int64_t n = 2, m = 4;       ///< nm: keep n of m
  bool transposable = true;   ///< nm: N:M for W and W^T
  double dropFraction = 0.3;  ///< rigl: initial replaced fraction
  int64_t minElements = 1;    ///< smaller weights stay dense
  SparseCodegen codegen = SparseCodegen::Auto;
  double sparseThreshold = 0.9; ///< Auto: target sparsity to mark from
};

/// A weight that trains masked.
struct PrunedWeight {
  std::string name;
  mlir::RankedTensorType type;
  double targetSparsity = 0;  ///< the fraction its mask will prune
  int64_t forwardFlops = 0;   ///< of the forward products that read it
  int64_t sparseProducts = 0; ///< of those, marked kiln.sparse_weight
};

struct SparseTrainingReport {
  std::vector<PrunedWeight> pruned;
  /// Weights a product reads that stay dense, with the reason.
  std::vector<std::pair<std::string, std::string>> dense;
};

/// Rewrites `step` (see the header comment); failure after an error that
/// names the step and the reason (no request, no weight to prune, options
/// out of range).
mlir::FailureOr<SparseTrainingReport>
sparsifyTrainingStep(mlir::ModuleOp module, mlir::func::FuncOp step,
                     const SparseTrainingOptions &options);

} // namespace training
} // namespace kiln

#endif // KILN_TRAINING_SPARSETRAINING_H
