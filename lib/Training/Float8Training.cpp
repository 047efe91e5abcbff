//===- Float8Training.cpp - FP8 GEMM inputs with delayed scaling ----------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// kiln-quantize's fp8 mode (see the header), built from kiln casts to the
// f8 types, stop_gradient and a rolling amax history per operand.
//
//===----------------------------------------------------------------------===//

#include "kiln/Training/Float8Training.h"

#include "kiln/Dialect/Kiln/KilnBuilder.h"
#include "kiln/Dialect/Kiln/KilnOps.h"
#include "kiln/Training/RoundingPoints.h"
#include "kiln/Training/TrainStepAccess.h"

#include <cmath>

using namespace mlir;

namespace kiln {
namespace training {

namespace {

constexpr double kLargestE4M3 = 448.0;

/// The operand `x` rounded to E4M3 with a scale from `history`; returns
/// (x + stop_gradient(q - x), the new history).
std::pair<Value, Value> scaledE4M3(OpBuilder &b, Location loc, Value x,
                                   Value history,
                                   const Float8Options &options) {
  auto type = cast<RankedTensorType>(x.getType());
  auto scalar = RankedTensorType::get({}, type.getElementType());
  auto historyType = cast<RankedTensorType>(history.getType());
  int64_t length = historyType.getDimSize(0);
  Value zero = createSplat(b, loc, scalar, 0.0);
  // This step's max |x|: the history's next entry, and the range to scale
  // by while the history is still all zero (the first step).
  auto axes = llvm::to_vector(llvm::seq<int64_t>(0, type.getRank()));
  Value amax = StopGradientOp::create(
      b, loc,
      ReduceMaxOp::create(b, loc, AbsOp::create(b, loc, x), axes,
                          /*keep_dims=*/false));
  Value past = ReduceMaxOp::create(b, loc, history, ArrayRef<int64_t>{0},
                                   /*keep_dims=*/false);
  Value seen = CompareOp::create(b, loc, ComparePredicate::gt, past, zero);
  Value range = SelectOp::create(b, loc, seen, past, amax);
  Value target =
      createSplat(b, loc, scalar, std::ldexp(kLargestE4M3, -options.margin));
  Value scale = DivOp::create(
      b, loc, target,
      MaxOp::create(b, loc, range, createSplat(b, loc, scalar, 1e-30)));
  Value scaleB = BroadcastOp::create(b, loc, type, scale);
  Value q = DivOp::create(
      b, loc,
      roundThrough(b, loc, MulOp::create(b, loc, x, scaleB),
                b.getType<Float8E4M3FNType>()),
      scaleB);
  Value rounded = straightThrough(b, loc, x, q);

  // The history rolls: drop the oldest, append this step's max |x|.
  Value newest = ReshapeOp::create(b, loc, historyType.clone({1}), amax);
  Value next = newest;
  if (length > 1) {
    Value kept = SliceOp::create(b, loc, history, ArrayRef<int64_t>{1},
                                 ArrayRef<int64_t>{length - 1},
                                 ArrayRef<int64_t>{1});
    next = ConcatOp::create(b, loc, historyType, ValueRange{kept, newest},
                            b.getI64IntegerAttr(0));
  }
  return {rounded, next};
}

} // namespace

FailureOr<Float8Report> insertFloat8Rounding(ModuleOp module,
                                             func::FuncOp step,
                                             const Float8Options &options) {
  if (options.historyLength < 1 || options.margin < 0) {
    step.emitError("kiln-quantize: fp8 needs amax-history >= 1 and "
                   "margin >= 0");
    return failure();
  }
  FailureOr<TrainStepParts> parts =
      trainStepParts(module, step, "kiln-quantize");
  if (failed(parts))
    return failure();
  SmallVector<Operation *> contractions =
      forwardContractions(step, parts->request);

  Float8Report report;
  OpBuilder b(step.getContext());
  auto historyType =
      RankedTensorType::get({options.historyLength}, b.getF32Type());
  for (Operation *op : contractions) {
    ++report.contractions;
    Location loc = op->getLoc();
    for (OpOperand &use : op->getOpOperands()) {
      std::string name = freshName(
          step, "fp8.amax_" + std::to_string(report.scaledOperands));
      Value history = addStateArgument(step, name, historyType);
      b.setInsertionPoint(op);
      auto [rounded, next] =
          scaledE4M3(b, loc, use.get(), history, options);
      use.set(rounded);
      bindState(step, parts->init, name, next, [&](OpBuilder &ib) {
        return createSplat(ib, loc, historyType, 0.0);
      });
      ++report.scaledOperands;
    }
    // The gradient reaching the result is rounded to E5M2; the value is not.
    b.setInsertionPointAfter(op);
    Value y = op->getResult(0);
    Value e = roundThrough(b, loc, y, b.getType<Float8E5M2Type>());
    Value held = StopGradientOp::create(b, loc, y);
    Value zeroFwd = SubOp::create(b, loc, e, StopGradientOp::create(b, loc, e));
    Value out = AddOp::create(b, loc, held, zeroFwd);
    y.replaceAllUsesExcept(out, SmallPtrSet<Operation *, 4>{
                                    e.getDefiningOp()->getOperand(0)
                                        .getDefiningOp(),
                                    held.getDefiningOp()});
    ++report.roundedGradients;
  }
  return report;
}

} // namespace training
} // namespace kiln
