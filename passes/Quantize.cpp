//===- Quantize.cpp - Low-precision training of a training step -----------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The kiln-quantize pass: picks the mode, rewrites each training step of the
// module (Training/MixedPrecision.h holds the rewrite), expands its gradient
// request with kiln-autodiff, then gives each reader of a rounded value its
// own widening cast. What it did goes to a remark (Debian's LLVM compiles
// statistics out).
//
//===----------------------------------------------------------------------===//

#include "kiln/Passes/Passes.h"

#include "kiln/Training/MixedPrecision.h"
#include "kiln/Training/TrainStep.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/Support/FormatVariadic.h"

namespace kiln {
#define GEN_PASS_DEF_KILNQUANTIZE
#include "kiln/Dialect/Kiln/Passes.h.inc"
} // namespace kiln

using namespace mlir;

namespace {

class QuantizePass : public kiln::impl::KilnQuantizeBase<QuantizePass> {
public:
  using KilnQuantizeBase::KilnQuantizeBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *context = &getContext();
    kiln::training::MixedPrecisionOptions options;
    if (mode == "bf16") {
      options.lowType = BFloat16Type::get(context);
    } else if (mode == "f16") {
      options.lowType = Float16Type::get(context);
    } else if (mode == "fp8" || mode == "qat-int8" || mode == "adam-8bit") {
      module.emitError() << "kiln-quantize: mode '" << mode
                         << "' is not implemented yet (available: bf16, f16)";
      return signalPassFailure();
    } else {
      module.emitError() << "kiln-quantize: unknown mode '" << mode
                         << "' (bf16 or f16)";
      return signalPassFailure();
    }
    options.allow.assign(allow.begin(), allow.end());
    options.deny.assign(deny.begin(), deny.end());
    options.lossScale =
        lossScale >= 0 ? lossScale : (mode == "f16" ? 65536.0 : 0.0);
    options.dynamicLossScale = dynamicLossScale;
    if (growthInterval < 1) {
      module.emitError("kiln-quantize: growth-interval must be at least 1");
      return signalPassFailure();
    }
    options.growthInterval = growthInterval;

    SmallVector<func::FuncOp> steps;
    for (auto func : module.getOps<func::FuncOp>())
      if (func->hasAttr(kiln::kUpdateBindingAttr))
        steps.push_back(func);
    if (steps.empty()) {
      module.emitError("kiln-quantize: no training step (a function with "
                       "kiln.update_binding, e.g. from kiln-make-train-step)");
      return signalPassFailure();
    }
    for (func::FuncOp step : steps) {
      FailureOr<kiln::training::MixedPrecisionReport> report =
          kiln::training::roundToLowPrecision(module, step, options);
      if (failed(report))
        return signalPassFailure();
      OpPassManager pm(func::FuncOp::getOperationName());
      pm.addPass(kiln::createKilnAutodiff());
      if (failed(runPipeline(pm, step)))
        return signalPassFailure();
      unsigned copies = kiln::training::giveEachReaderItsOwnUpcast(step);
      numRoundedOps += report->roundedOps;
      numUpcastCopies += copies;
      emitReport(step, *report, copies);
    }
  }

private:
  void emitReport(func::FuncOp step,
                  const kiln::training::MixedPrecisionReport &r,
                  unsigned copies) {
    double cut = r.activationBytesBefore
                     ? 100.0 * (1.0 - double(r.activationBytesAfter) /
                                          double(r.activationBytesBefore))
                     : 0.0;
    InFlightDiagnostic remark = mlir::emitRemark(step.getLoc());
    remark << "kiln-quantize: mode=" << mode << " rounded_ops="
           << r.roundedOps << " rounded_operands=" << r.roundedOperands
           << " upcast_copies=" << copies
           << " weight_bytes=" << r.weightBytes
           << " activation_bytes=" << r.activationBytesBefore << "->"
           << r.activationBytesAfter << " ("
           << llvm::formatv("-{0:F1}%", cut).str() << ")"
           << " optimizer_state_bytes=" << r.optimizerStateBytes
           << " loss_scaling=" << (r.lossScaled ? "dynamic" : "none");
  }
};

} // namespace
