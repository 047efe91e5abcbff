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

#include "kiln/Training/BlockQuantizedState.h"
#include "kiln/Training/FakeQuant.h"
#include "kiln/Training/Float8Training.h"
#include "kiln/Training/TrainStepAccess.h"
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
    // Modes combine: at most one of bf16/f16, plus adam-8bit.
    kiln::training::MixedPrecisionOptions options;
    bool eightBitState = false, fakeQuant = false, float8 = false;
    SmallVector<StringRef> modes;
    StringRef(mode).split(modes, ',', -1, /*KeepEmpty=*/false);
    if (modes.empty()) {
      module.emitError("kiln-quantize: no mode (mode=bf16, f16, fp8, "
                       "qat-int8, adam-8bit, or a combination such as "
                       "bf16,adam-8bit)");
      return signalPassFailure();
    }
    for (StringRef m : modes) {
      m = m.trim();
      if ((m == "bf16" || m == "f16") && options.lowType) {
        module.emitError("kiln-quantize: at most one of bf16 and f16");
        return signalPassFailure();
      }
      if (m == "bf16") {
        options.lowType = BFloat16Type::get(context);
      } else if (m == "f16") {
        options.lowType = Float16Type::get(context);
      } else if (m == "adam-8bit") {
        eightBitState = true;
      } else if (m == "qat-int8") {
        fakeQuant = true;
      } else if (m == "fp8") {
        float8 = true;
      } else {
        module.emitError() << "kiln-quantize: unknown mode '" << m
                           << "' (bf16, f16, fp8, qat-int8, adam-8bit)";
        return signalPassFailure();
      }
    }
    if (int(fakeQuant) + int(float8) + int(bool(options.lowType)) > 1) {
      module.emitError("kiln-quantize: at most one of bf16, f16, fp8 and "
                       "qat-int8 (each may combine with adam-8bit)");
      return signalPassFailure();
    }
    options.allow.assign(allow.begin(), allow.end());
    options.deny.assign(deny.begin(), deny.end());
    // f16 needs its gradients kept in range; fp8 scales each gradient
    // tensor on its own (Float8Training.h).
    bool f16 = options.lowType && options.lowType.isF16();
    options.lossScale = lossScale >= 0 ? lossScale : (f16 ? 65536.0 : 0.0);
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
    kiln::training::BlockQuantizedStateOptions stateOptions;
    stateOptions.blockSize = blockSize;
    stateOptions.minElements = min8BitElements;
    for (func::FuncOp step : steps) {
      // Rounding first: the dequantization of 8-bit state is f32 work.
      std::optional<kiln::training::FakeQuantReport> fakeQuantReport;
      if (fakeQuant) {
        kiln::training::FakeQuantOptions fq;
        fq.observerDecay = observerDecay;
        auto r = kiln::training::insertFakeQuant(module, step, fq);
        if (failed(r))
          return signalPassFailure();
        fakeQuantReport = *r;
      }
      std::optional<kiln::training::Float8Rewrite> float8Rewrite;
      kiln::training::Float8Options f8;
      f8.historyLength = amaxHistory;
      f8.margin = margin;
      f8.keepFirstAndLast = keepFirstLast;
      if (float8) {
        auto r = kiln::training::insertFloat8Rounding(module, step, f8);
        if (failed(r))
          return signalPassFailure();
        float8Rewrite = std::move(*r);
      }
      std::optional<kiln::training::MixedPrecisionReport> report;
      if (options.lowType) {
        auto r = kiln::training::roundToLowPrecision(module, step, options);
        if (failed(r))
          return signalPassFailure();
        report = *r;
      }
      // Loss scaling (f16 by default, any mode with loss-scale=S),
      // before the 8-bit state: a skipped step requantizes the old state.
      if (options.lossScale > 0) {
        FailureOr<kiln::training::TrainStepParts> parts =
            kiln::training::trainStepParts(module, step, "kiln-quantize");
        if (failed(parts) ||
            failed(kiln::training::addLossScaling(step, parts->init,
                                                  parts->request, options)))
          return signalPassFailure();
      }
      std::optional<kiln::training::BlockQuantizedStateReport> stateReport;
      if (eightBitState) {
        auto r = kiln::training::quantizeOptimizerState(module, step,
                                                        stateOptions);
        if (failed(r))
          return signalPassFailure();
        stateReport = *r;
      }
      OpPassManager pm(func::FuncOp::getOperationName());
      pm.addPass(kiln::createKilnAutodiff());
      if (failed(runPipeline(pm, step)))
        return signalPassFailure();
      if (float8Rewrite && failed(kiln::training::scaleFloat8Gradients(
                               module, step, *float8Rewrite, f8)))
        return signalPassFailure();
      unsigned copies = kiln::training::giveEachReaderItsOwnUpcast(step);
      numUpcastCopies += copies;
      StringRef lossScaling = options.lossScale <= 0 ? "none"
                              : options.dynamicLossScale ? "dynamic"
                                                         : "static";
      if (report) {
        numRoundedOps += report->roundedOps;
        emitReport(step, *report, copies,
                   options.lowType.isF16() ? "f16" : "bf16", lossScaling);
      }
      if (float8Rewrite) {
        const kiln::training::Float8Report &r = float8Rewrite->report;
        mlir::emitRemark(step.getLoc())
            << "kiln-quantize: mode=fp8 contractions=" << r.contractions
            << " kept_f32=" << r.keptContractions
            << " e4m3_operands=" << r.scaledOperands
            << " e5m2_gradients=" << r.roundedGradients
            << " scaled_gradients=" << r.scaledGradients
            << " amax_history=" << int64_t(amaxHistory)
            << " loss_scaling=" << lossScaling;
      }
      if (fakeQuantReport)
        mlir::emitRemark(step.getLoc())
            << "kiln-quantize: mode=qat-int8 contractions="
            << fakeQuantReport->contractions << " weights_per_channel="
            << fakeQuantReport->weightOperands << " activations_observed="
            << fakeQuantReport->activationOperands;
      if (stateReport) {
        numStateTensors += stateReport->quantizedTensors;
        emitStateReport(step, *stateReport);
      }
    }
  }

private:
  void emitStateReport(func::FuncOp step,
                       const kiln::training::BlockQuantizedStateReport &r) {
    double share = r.stateBytesBefore ? 100.0 * double(r.stateBytesAfter) /
                                            double(r.stateBytesBefore)
                                      : 100.0;
    mlir::emitRemark(step.getLoc())
        << "kiln-quantize: mode=adam-8bit quantized_tensors="
        << r.quantizedTensors << " f32_tensors=" << r.keptTensors
        << " optimizer_state_bytes=" << r.stateBytesBefore << "->"
        << r.stateBytesAfter << " ("
        << llvm::formatv("{0:F1}%", share).str() << " of f32)";
  }

  void emitReport(func::FuncOp step,
                  const kiln::training::MixedPrecisionReport &r,
                  unsigned copies, StringRef lowName,
                  StringRef lossScaling) {
    double cut = r.activationBytesBefore
                     ? 100.0 * (1.0 - double(r.activationBytesAfter) /
                                          double(r.activationBytesBefore))
                     : 0.0;
    InFlightDiagnostic remark = mlir::emitRemark(step.getLoc());
    remark << "kiln-quantize: mode=" << lowName << " rounded_ops="
           << r.roundedOps << " rounded_operands=" << r.roundedOperands
           << " upcast_copies=" << copies
           << " weight_bytes=" << r.weightBytes
           << " activation_bytes=" << r.activationBytesBefore << "->"
           << r.activationBytesAfter << " ("
           << llvm::formatv("-{0:F1}%", cut).str() << ")"
           << " optimizer_state_bytes=" << r.optimizerStateBytes
           << " loss_scaling=" << lossScaling;
  }
};

} // namespace
