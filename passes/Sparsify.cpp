//===- Sparsify.cpp - Sparse training of a training step ------------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The kiln-sparsify pass: checks its options, rewrites each training step
// of the module (Training/SparseTraining.h holds the rewrite) and reports
// the pruned weights, their target sparsity and the forward FLOPs that
// sparsity makes avoidable, as a remark (Debian's LLVM compiles statistics
// out). It leaves the gradient request for kiln-quantize or kiln-autodiff.
//
//===----------------------------------------------------------------------===//

#include "kiln/Passes/Passes.h"

#include "kiln/Training/SparseTraining.h"
#include "kiln/Training/TrainStep.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

#include "llvm/Support/FormatVariadic.h"

namespace kiln {
#define GEN_PASS_DEF_KILNSPARSIFY
#include "kiln/Dialect/Kiln/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

class SparsifyPass : public kiln::impl::KilnSparsifyBase<SparsifyPass> {
public:
  using KilnSparsifyBase::KilnSparsifyBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<kiln::training::SparseTrainingOptions> options = parseOptions();
    if (failed(options))
      return signalPassFailure();
    SmallVector<func::FuncOp> steps;
    for (auto func : module.getOps<func::FuncOp>())
      if (func->hasAttr(kiln::kUpdateBindingAttr))
        steps.push_back(func);
    if (steps.empty()) {
      module.emitError("kiln-sparsify: no training step (a function with "
                       "kiln.update_binding, e.g. from kiln-make-train-step)");
      return signalPassFailure();
    }
    for (func::FuncOp step : steps) {
      auto report =
          kiln::training::sparsifyTrainingStep(module, step, *options);
      if (failed(report))
        return signalPassFailure();
      emitReport(step, *report);
    }
  }

private:
  FailureOr<kiln::training::SparseTrainingOptions> parseOptions() {
    ModuleOp module = getOperation();
    auto fail = [&](const Twine &message) {
      module.emitError() << "kiln-sparsify: " << message;
      return failure();
    };
    kiln::training::SparseTrainingOptions o;
    if (mode == "magnitude")
      o.mode = kiln::training::SparsityMode::Magnitude;
    else if (mode == "nm")
      o.mode = kiln::training::SparsityMode::StructuredNM;
    else if (mode == "rigl")
      o.mode = kiln::training::SparsityMode::RigL;
    else
      return fail(mode.empty() ? Twine("no mode (mode=magnitude, nm or rigl)")
                               : "unknown mode '" + mode +
                                     "' (magnitude, nm or rigl)");
    if (!(sparsity >= 0.0 && sparsity < 1.0))
      return fail("sparsity must be in [0, 1), got " +
                  llvm::formatv("{0}", double(sparsity)).str());
    if (scope != "layer" && scope != "global")
      return fail("scope must be layer or global, got '" + scope + "'");
    if (scope == "global" && o.mode != kiln::training::SparsityMode::Magnitude)
      return fail("scope=global is a magnitude-pruning option");
    if (startStep < 0 || endStep < startStep)
      return fail("need 0 <= start-step <= end-step, got " + Twine(int64_t(startStep)) +
                  " and " + Twine(int64_t(endStep)));
    if (frequency < 1)
      return fail("frequency must be at least 1");
    if (m < 2 || m > 16 || n < 1 || n >= m)
      return fail("nm needs 1 <= n < m <= 16, got n=" + Twine(int64_t(n)) +
                  " m=" + Twine(int64_t(m)));
    if (!(dropFraction >= 0.0 && dropFraction <= 1.0))
      return fail("drop-fraction must be in [0, 1]");
    o.sparsity = sparsity;
    o.globalScope = scope == "global";
    o.startStep = startStep;
    o.endStep = endStep;
    o.frequency = frequency;
    o.n = n;
    o.m = m;
    o.transposable = transposable;
    o.dropFraction = dropFraction;
    o.minElements = minElements;
    if (sparseCodegen == "auto")
      o.codegen = kiln::training::SparseCodegen::Auto;
    else if (sparseCodegen == "always")
      o.codegen = kiln::training::SparseCodegen::Always;
    else if (sparseCodegen == "never")
      o.codegen = kiln::training::SparseCodegen::Never;
    else
      return fail("sparse-codegen must be auto, always or never, got '" +
                  sparseCodegen + "'");
    o.sparseThreshold = sparseThreshold;
    return o;
  }

  void emitReport(func::FuncOp step,
                  const kiln::training::SparseTrainingReport &report) {
    int64_t flops = 0, sparseProducts = 0;
    double avoided = 0;
    for (const auto &w : report.pruned) {
      flops += w.forwardFlops;
      avoided += w.targetSparsity * double(w.forwardFlops);
      sparseProducts += w.sparseProducts;
    }
    InFlightDiagnostic remark = mlir::emitRemark(step.getLoc());
    remark << "kiln-sparsify: mode=" << mode << " pruned_weights="
           << report.pruned.size() << " forward_flops=" << flops
           << " avoidable_flops=" << int64_t(avoided) << " ("
           << llvm::formatv("{0:F1}%", flops ? 100.0 * avoided / double(flops)
                                             : 0.0)
                  .str()
           << ") sparse_products=" << sparseProducts;
    for (const auto &w : report.pruned) {
      remark << "; " << w.name << " ";
      llvm::interleave(w.type.getShape(), remark, "x");
      remark << " sparsity="
             << llvm::formatv("{0:F3}", w.targetSparsity).str();
    }
    for (const auto &[name, why] : report.dense)
      remark << "; " << name << " dense (" << why << ")";
  }
};

} // namespace
