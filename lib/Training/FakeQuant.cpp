//===- FakeQuant.cpp - int8 quantization-aware training -------------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// kiln-quantize's qat-int8 mode (see the header): per-channel weight and
// observed per-tensor activation fake quantization with a straight-through
// gradient, built from kiln ops.
//
//===----------------------------------------------------------------------===//

#include "kiln/Training/FakeQuant.h"

#include "kiln/Dialect/Kiln/KilnBuilder.h"
#include "kiln/Dialect/Kiln/KilnOps.h"
#include "kiln/Training/RoundingPoints.h"
#include "kiln/Training/TrainStepAccess.h"

using namespace mlir;

namespace kiln {
namespace training {

namespace {

constexpr double kTiny = 1e-30;

/// round(x / s) * s clamped to [lo, hi] levels, for s of x's shape.
Value quantizeDequantize(OpBuilder &b, Location loc, Value x, Value scale,
                         double lo, double hi) {
  auto type = cast<RankedTensorType>(x.getType());
  Value level = RoundOp::create(b, loc, DivOp::create(b, loc, x, scale));
  level = MaxOp::create(b, loc, level, createSplat(b, loc, type, lo));
  level = MinOp::create(b, loc, level, createSplat(b, loc, type, hi));
  return MulOp::create(b, loc, level, scale);
}

/// Per-channel fake quantization of weight `w` along `channel`.
Value fakeQuantWeight(OpBuilder &b, Location loc, Value w, int64_t channel) {
  auto type = cast<RankedTensorType>(w.getType());
  SmallVector<int64_t> axes;
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (d != channel)
      axes.push_back(d);
  Value absmax = ReduceMaxOp::create(b, loc, AbsOp::create(b, loc, w), axes,
                                     /*keep_dims=*/true);
  auto keptType = cast<RankedTensorType>(absmax.getType());
  Value scale = DivOp::create(
      b, loc, MaxOp::create(b, loc, absmax, createSplat(b, loc, keptType, kTiny)),
      createSplat(b, loc, keptType, 127.0));
  Value q = quantizeDequantize(b, loc, w,
                               BroadcastOp::create(b, loc, type, scale),
                               -127.0, 127.0);
  return straightThrough(b, loc, w, q);
}

} // namespace

FailureOr<FakeQuantReport> insertFakeQuant(ModuleOp module, func::FuncOp step,
                                           const FakeQuantOptions &options) {
  FailureOr<TrainStepParts> parts =
      trainStepParts(module, step, "kiln-quantize");
  if (failed(parts))
    return failure();
  llvm::DenseSet<Value> weights(parts->request.getWrt().begin(),
                                parts->request.getWrt().end());
  SmallVector<Operation *> contractions =
      forwardContractions(step, parts->request);

  FakeQuantReport report;
  OpBuilder b(step.getContext());
  auto scalar = RankedTensorType::get({}, b.getF32Type());
  for (Operation *op : contractions) {
    ++report.contractions;
    Location loc = op->getLoc();
    for (OpOperand &use : op->getOpOperands()) {
      Value x = use.get();
      auto type = cast<RankedTensorType>(x.getType());
      b.setInsertionPoint(op);
      if (weightBehind(x, weights)) {
        // A matmul's rhs [..., K, N] has its output channels last; a
        // convolution's filter [F, C, KH, KW] first.
        int64_t channel = isa<MatmulOp>(op) ? type.getRank() - 1 : 0;
        if (isa<MatmulOp>(op) && use.getOperandNumber() == 0)
          channel = type.getRank() - 2; // a weight on the left: rows out
        use.set(fakeQuantWeight(b, loc, x, channel));
        ++report.weightOperands;
        continue;
      }
      // An activation: its range from the observer state.
      std::string name =
          freshName(step, "qat.amax_" + std::to_string(report.activationOperands));
      Value ema = addStateArgument(step, name, scalar);
      b.setInsertionPoint(op);
      auto axes = llvm::to_vector(llvm::seq<int64_t>(0, type.getRank()));
      Value current = ReduceMaxOp::create(b, loc, AbsOp::create(b, loc, x),
                                          axes, /*keep_dims=*/false);
      Value zero = createSplat(b, loc, scalar, 0.0);
      // One statement per op: the IR's order must not depend on the order
      // in which a compiler evaluates call arguments.
      Value newPart = MulOp::create(
          b, loc, current,
          createSplat(b, loc, scalar, 1.0 - options.observerDecay));
      Value oldPart = MulOp::create(
          b, loc, ema, createSplat(b, loc, scalar, options.observerDecay));
      Value blended = AddOp::create(b, loc, oldPart, newPart);
      Value first = CompareOp::create(b, loc, ComparePredicate::eq, ema, zero);
      Value observed = StopGradientOp::create(
          b, loc, SelectOp::create(b, loc, first, current, blended));
      Value scale = DivOp::create(
          b, loc,
          MaxOp::create(b, loc, observed, createSplat(b, loc, scalar, kTiny)),
          createSplat(b, loc, scalar, 127.0));
      Value q = quantizeDequantize(b, loc, x,
                                   BroadcastOp::create(b, loc, type, scale),
                                   -128.0, 127.0);
      use.set(straightThrough(b, loc, x, q));
      bindState(step, parts->init, name, observed, [&](OpBuilder &ib) {
        return createSplat(ib, loc, scalar, 0.0);
      });
      ++report.activationOperands;
    }
  }
  return report;
}

} // namespace training
} // namespace kiln
