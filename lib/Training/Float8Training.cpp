//===- Float8Training.cpp - FP8 GEMM inputs with delayed scaling ----------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// kiln-quantize's fp8 mode (see the header), built from kiln casts to the
// f8 types, stop_gradient and a rolling amax history per tensor: one per
// contraction operand (E4M3) and one per contraction result's gradient
// (E5M2).
//
//===----------------------------------------------------------------------===//

#include "kiln/Training/Float8Training.h"

#include "kiln/Dialect/Kiln/KilnBuilder.h"
#include "kiln/Dialect/Kiln/KilnOps.h"
#include "kiln/Training/RoundingPoints.h"
#include "kiln/Training/TrainStepAccess.h"

#include <cmath>
#include <limits>

using namespace mlir;

namespace kiln {
namespace training {

namespace {

constexpr double kLargestE4M3 = 448.0;
constexpr double kLargestE5M2 = 57344.0;

/// max |x| over all of `x`, as a 0-d tensor.
Value absMax(OpBuilder &b, Location loc, Value x) {
  auto rank = cast<RankedTensorType>(x.getType()).getRank();
  auto axes = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  return ReduceMaxOp::create(b, loc, AbsOp::create(b, loc, x), axes,
                             /*keep_dims=*/false);
}

/// The delayed scale (largest / 2^margin) / max(history), with `current`
/// (this step's amax) as the range while the history is all zero.
Value delayedScale(OpBuilder &b, Location loc, Value history, Value current,
                   double largest, const Float8Options &options) {
  auto scalar = cast<RankedTensorType>(current.getType());
  Value zero = createSplat(b, loc, scalar, 0.0);
  Value past = ReduceMaxOp::create(b, loc, history, ArrayRef<int64_t>{0},
                                   /*keep_dims=*/false);
  Value seen = CompareOp::create(b, loc, ComparePredicate::gt, past, zero);
  Value range = SelectOp::create(b, loc, seen, past, current);
  Value target =
      createSplat(b, loc, scalar, std::ldexp(largest, -options.margin));
  return DivOp::create(
      b, loc, target,
      MaxOp::create(b, loc, range, createSplat(b, loc, scalar, 1e-30)));
}

/// The history with its oldest entry dropped and `amax` appended.
Value rollHistory(OpBuilder &b, Location loc, Value history, Value amax) {
  auto historyType = cast<RankedTensorType>(history.getType());
  int64_t length = historyType.getDimSize(0);
  Value newest = ReshapeOp::create(b, loc, historyType.clone({1}), amax);
  if (length == 1)
    return newest;
  Value kept = SliceOp::create(b, loc, history, ArrayRef<int64_t>{1},
                               ArrayRef<int64_t>{length - 1},
                               ArrayRef<int64_t>{1});
  return ConcatOp::create(b, loc, historyType, ValueRange{kept, newest},
                          b.getI64IntegerAttr(0));
}

/// The operand `x` rounded to E4M3 with a scale from `history`; returns
/// (x + stop_gradient(q - x), the new history).
std::pair<Value, Value> scaledE4M3(OpBuilder &b, Location loc, Value x,
                                   Value history,
                                   const Float8Options &options) {
  auto type = cast<RankedTensorType>(x.getType());
  Value amax = StopGradientOp::create(b, loc, absMax(b, loc, x));
  Value scale =
      delayedScale(b, loc, history, amax, kLargestE4M3, options);
  Value scaleB = BroadcastOp::create(b, loc, type, scale);
  Value q = DivOp::create(
      b, loc,
      roundThrough(b, loc, MulOp::create(b, loc, x, scaleB),
                   b.getType<Float8E4M3FNType>()),
      scaleB);
  return {straightThrough(b, loc, x, q), rollHistory(b, loc, history, amax)};
}

/// Replaces the contraction result `y` by stop_gradient(y) + (e -
/// stop_gradient(e)), e = e5m2(y / s) * s, with s the delayed scale of
/// `history` (see the header). Returns the site for the backward rewrite.
Float8GradientSite roundGradientToE5M2(OpBuilder &b, Location loc, Value y,
                                       BlockArgument history,
                                       StringRef name,
                                       const Float8Options &options) {
  auto type = cast<RankedTensorType>(y.getType());
  auto scalar = RankedTensorType::get({}, type.getElementType());
  // No gradient exists yet: the forward pass carries the history's scale.
  Value scale = delayedScale(b, loc, history, createSplat(b, loc, scalar, 0.0),
                             kLargestE5M2, options);
  Value scaleB = BroadcastOp::create(b, loc, type, scale);
  auto down = DivOp::create(b, loc, y, scaleB);
  auto up = MulOp::create(
      b, loc, roundThrough(b, loc, down, b.getType<Float8E5M2Type>()),
      scaleB);
  Value held = StopGradientOp::create(b, loc, y);
  Value zeroFwd =
      SubOp::create(b, loc, up, StopGradientOp::create(b, loc, up));
  Value out = AddOp::create(b, loc, held, zeroFwd);
  y.replaceAllUsesExcept(out, SmallPtrSet<Operation *, 4>{
                                  down.getOperation(), held.getDefiningOp()});
  Float8GradientSite site;
  site.scale = scaleB;
  site.forwardReaders = {down.getOperation(), up.getOperation()};
  site.history = history;
  site.name = name.str();
  return site;
}

} // namespace

FailureOr<Float8Rewrite> insertFloat8Rounding(ModuleOp module,
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

  Float8Rewrite rewrite;
  Float8Report &report = rewrite.report;
  // The first and last layers are the most sensitive to rounding (FP8
  // recipes keep them in 16 or 32 bits); with fewer than three
  // contractions every one is FP8.
  if (options.keepFirstAndLast && contractions.size() >= 3) {
    contractions.pop_back();
    contractions.erase(contractions.begin());
    report.keptContractions = 2;
  }
  OpBuilder b(step.getContext());
  auto historyType =
      RankedTensorType::get({options.historyLength}, b.getF32Type());
  auto zeroHistory = [&](Location loc) {
    return [&, loc](OpBuilder &ib) {
      return createSplat(ib, loc, historyType, 0.0);
    };
  };
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
      bindState(step, parts->init, name, next, zeroHistory(loc));
      ++report.scaledOperands;
    }
    std::string name = freshName(
        step, "fp8.grad_amax_" + std::to_string(report.roundedGradients));
    BlockArgument history = addStateArgument(step, name, historyType);
    b.setInsertionPointAfter(op);
    rewrite.gradientSites.push_back(roundGradientToE5M2(
        b, loc, op->getResult(0), history, name, options));
    ++report.roundedGradients;
  }
  return rewrite;
}

LogicalResult scaleFloat8Gradients(ModuleOp module, func::FuncOp step,
                                   Float8Rewrite &rewrite,
                                   const Float8Options &options) {
  func::FuncOp init = initFunction(module, step);
  if (!init)
    return step.emitError("kiln-quantize: the training step lost its init "
                          "function");
  OpBuilder b(step.getContext());
  for (Float8GradientSite &site : rewrite.gradientSites) {
    auto historyType = cast<RankedTensorType>(site.history.getType());
    Location loc = site.scale.getLoc();
    // The backward pass reads s twice: mul(g, s) from e = r * s (the
    // incoming gradient g), then div(., s) from y / s.
    SmallVector<OpOperand *> backwardUses;
    for (OpOperand &use : site.scale.getUses())
      if (!llvm::is_contained(site.forwardReaders, use.getOwner()))
        backwardUses.push_back(&use);
    Value next = site.history; // no gradient reached the result
    if (!backwardUses.empty()) {
      Operation *first = backwardUses.front()->getOwner();
      for (OpOperand *use : backwardUses)
        if (use->getOwner()->isBeforeInBlock(first))
          first = use->getOwner();
      auto incoming = dyn_cast<MulOp>(first);
      if (!incoming)
        return first->emitOpError(
            "kiln-quantize: expected the E5M2 gradient scale to be read "
            "first by the gradient of a mul");
      Value g = incoming.getLhs() == site.scale ? incoming.getRhs()
                                                : incoming.getLhs();
      b.setInsertionPoint(incoming);
      auto scalar = RankedTensorType::get({}, b.getF32Type());
      Value amax = absMax(b, loc, g);
      // An overflowed gradient (inf or NaN) is not a range to scale by.
      Value finite = CompareOp::create(
          b, loc, ComparePredicate::lt, amax,
          createSplat(b, loc, scalar, std::numeric_limits<float>::max()));
      Value seen =
          SelectOp::create(b, loc, finite, amax, createSplat(b, loc, scalar, 0.0));
      Value scale =
          delayedScale(b, loc, site.history, seen, kLargestE5M2, options);
      Value scaleB = BroadcastOp::create(b, loc, site.scale.getType(), scale);
      for (OpOperand *use : backwardUses)
        use->set(scaleB);
      next = rollHistory(b, loc, site.history, seen);
      ++rewrite.report.scaledGradients;
      // With loss scaling (loss-scale=S), a skipped step keeps every state
      // value, this history too.
      auto ret = cast<func::ReturnOp>(step.getBody().front().getTerminator());
      if (std::optional<unsigned> skipped = findResult(step, "skipped")) {
        b.setInsertionPoint(ret);
        Value applied = CompareOp::create(
            b, loc, ComparePredicate::eq, ret.getOperand(*skipped),
            createSplat(b, loc, scalar, 0.0));
        next = SelectOp::create(
            b, loc,
            BroadcastOp::create(b, loc, historyType.clone(b.getI1Type()),
                                applied),
            next, site.history);
      }
    }
    bindState(step, init, site.name, next, [&](OpBuilder &ib) {
      return createSplat(ib, loc, historyType, 0.0);
    });
  }
  return success();
}

} // namespace training
} // namespace kiln
