//===- SparseTraining.cpp - Masked training of a training step ------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// kiln-sparsify's rewrite (see the header). The schedule is data, not
// control flow: the step counter is state, each "is this a pruning step"
// is a kiln.compare, and a mask that does not change this step is selected
// from the old one. kiln.magnitude_threshold skips its work when asked for
// zero elements, so a threshold costs nothing on the other steps.
//
//===----------------------------------------------------------------------===//

#include "kiln/Training/SparseTraining.h"

#include "kiln/Dialect/Kiln/Annotations.h"
#include "kiln/Dialect/Kiln/KilnBuilder.h"
#include "kiln/Dialect/Kiln/KilnInterfaces.h"
#include "kiln/Dialect/Kiln/KilnOps.h"
#include "kiln/Training/PruningMasks.h"
#include "kiln/Training/TrainStepAccess.h"

#include "llvm/ADT/MapVector.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>

using namespace mlir;

namespace kiln {
namespace training {

namespace {

constexpr size_t kMaxPatterns = 4096;

/// A weight that a forward product reads, and how.
struct Candidate {
  BlockArgument weight;
  std::string name;
  SmallVector<OpOperand *> forwardReads; ///< operands to read it masked
  Operation *contraction = nullptr;      ///< the first product reading it
  unsigned operandIndex = 0;
  Value read;                            ///< what that product reads
  int64_t flops = 0;
  ReductionView view;
  SmallVector<Operation *> rhsOfMatmuls; ///< 2-D matmuls reading it as rhs
};

/// Scalar constants and step arithmetic at one insertion point.
class ScheduleBuilder {
public:
  ScheduleBuilder(OpBuilder &b, Location loc, Value step)
      : b(b), loc(loc), step(step) {
    stepF32 = CastOp::create(b, loc, f32(), step);
  }

  RankedTensorType f32() { return RankedTensorType::get({}, b.getF32Type()); }
  RankedTensorType i64() { return RankedTensorType::get({}, b.getI64Type()); }
  Value real(double v) { return createSplat(b, loc, f32(), v); }
  Value integer(int64_t v) { return createSplat(b, loc, i64(), double(v)); }

  Value stepIs(ComparePredicate p, int64_t v) {
    return CompareOp::create(b, loc, p, step, integer(v));
  }
  Value both(Value x, Value y) { return AndOp::create(b, loc, x, y); }
  Value either(Value x, Value y) { return OrOp::create(b, loc, x, y); }
  /// `(step - start) mod every == 0`.
  Value onGrid(int64_t start, int64_t every) {
    Value offset = SubOp::create(b, loc, step, integer(start));
    Value r = RemOp::create(b, loc, offset, integer(every));
    return CompareOp::create(b, loc, ComparePredicate::eq, r, integer(0));
  }
  /// `(step - start) / (end - start)` clamped to [0, 1].
  Value progress(int64_t start, int64_t end) {
    Value p = DivOp::create(b, loc,
                            SubOp::create(b, loc, stepF32, real(double(start))),
                            real(double(std::max<int64_t>(end - start, 1))));
    return MinOp::create(b, loc, MaxOp::create(b, loc, p, real(0.0)),
                         real(1.0));
  }
  /// floor(fraction * count) as an i64, or 0 unless `when`.
  Value countOrZero(Value when, Value fraction, int64_t count) {
    Value k = FloorOp::create(b, loc,
                              MulOp::create(b, loc, fraction,
                                            real(double(count))));
    return SelectOp::create(b, loc, when, CastOp::create(b, loc, i64(), k),
                            integer(0));
  }

  OpBuilder &b;
  Location loc;
  Value step, stepF32;
};

/// `select(when, a, b)` for a scalar `when` and tensors a, b.
Value choose(OpBuilder &b, Location loc, Value when, Value a, Value other) {
  return SelectOp::create(
      b, loc,
      broadcastToShapeOf(b, loc, when, cast<RankedTensorType>(a.getType())), a,
      other);
}

/// Whether the f32 mask is set, as i1.
Value isSet(OpBuilder &b, Location loc, Value mask) {
  auto type = cast<RankedTensorType>(mask.getType());
  return CompareOp::create(b, loc, ComparePredicate::gt, mask,
                           createSplat(b, loc, type, 0.5));
}

Value toMask(OpBuilder &b, Location loc, Value bits, Type like) {
  return CastOp::create(b, loc, like, bits);
}

Value sumAll(OpBuilder &b, Location loc, Value x) {
  auto type = cast<RankedTensorType>(x.getType());
  auto axes = llvm::to_vector(llvm::seq<int64_t>(0, type.getRank()));
  return ReduceSumOp::create(b, loc, x, axes, /*keep_dims=*/false);
}

/// The forward products' weights, in the order they are first read.
SmallVector<Candidate> findCandidates(func::FuncOp step, GradientOp request) {
  llvm::DenseSet<Value> weights(request.getWrt().begin(),
                                request.getWrt().end());
  llvm::MapVector<Value, Candidate> found;
  for (Operation *op : forwardContractions(step, request)) {
    for (OpOperand &use : op->getOpOperands()) {
      auto weight = dyn_cast_or_null<BlockArgument>(
          weightBehind(use.get(), weights));
      if (!weight)
        continue;
      Candidate &c = found[weight];
      if (!c.contraction) {
        c.weight = weight;
        c.name = argumentName(step, weight.getArgNumber());
        c.contraction = op;
        c.operandIndex = use.getOperandNumber();
        c.read = use.get();
      }
      if (auto cost = dyn_cast<CostOpInterface>(op))
        c.flops += cost.getFlops().value_or(0);
      if (isa<MatmulOp>(op) && use.getOperandNumber() == 1 &&
          cast<RankedTensorType>(op->getResult(0).getType()).getRank() == 2)
        c.rhsOfMatmuls.push_back(op);
    }
  }
  SmallVector<Candidate> candidates;
  for (auto &[weight, c] : found) {
    for (OpOperand &use : weight.getUses())
      if (use.getOwner()->isBeforeInBlock(request))
        c.forwardReads.push_back(&use);
    candidates.push_back(c);
  }
  return candidates;
}

} // namespace

FailureOr<SparseTrainingReport>
sparsifyTrainingStep(ModuleOp module, func::FuncOp step,
                     const SparseTrainingOptions &options) {
  FailureOr<TrainStepParts> parts =
      trainStepParts(module, step, "kiln-sparsify");
  if (failed(parts))
    return failure();
  auto fail = [&](const Twine &message) {
    mlir::emitError(step.getLoc())
        << "kiln-sparsify: @" << step.getSymName() << ": " << message;
    return failure();
  };
  GradientOp request = parts->request;
  Location loc = step.getLoc();
  bool rigl = options.mode == SparsityMode::RigL;
  bool nm = options.mode == SparsityMode::StructuredNM;

  std::vector<std::vector<float>> patterns;
  if (nm) {
    patterns = nmPatterns(options.n, options.m, options.transposable,
                          kMaxPatterns);
    if (patterns.empty())
      return fail(Twine("N:M masks with n=") + Twine(options.n) + " m=" +
                  Twine(options.m) +
                  (options.transposable ? " transposable" : "") +
                  " have more than " + Twine(kMaxPatterns) +
                  " patterns per group (use a smaller m" +
                  (options.transposable ? " or transposable=false)" : ")"));
  }

  // Which weights train masked.
  SparseTrainingReport report;
  SmallVector<Candidate> pruned;
  for (Candidate &c : findCandidates(step, request)) {
    auto type = cast<RankedTensorType>(c.weight.getType());
    if (!type.hasStaticShape() || !type.getElementType().isF32()) {
      report.dense.push_back({c.name, "not a static f32 tensor"});
      continue;
    }
    if (type.getNumElements() < options.minElements) {
      report.dense.push_back({c.name, "fewer than min-elements elements"});
      continue;
    }
    if (nm) {
      std::string why;
      FailureOr<ReductionView> view =
          reductionView(c.weight, c.read, c.contraction, c.operandIndex, why);
      if (failed(view)) {
        report.dense.push_back({c.name, why});
        continue;
      }
      int64_t m = options.m;
      if (view->reduction % m != 0 ||
          (options.transposable && view->rows % m != 0)) {
        std::string why =
            options.transposable
                ? llvm::formatv("its dimensions ({0} x {1}) are not "
                                "multiples of m={2}",
                                view->rows, view->reduction, m)
                      .str()
                : llvm::formatv("its reduction dimension ({0}) is not a "
                                "multiple of m={1}",
                                view->reduction, m)
                      .str();
        report.dense.push_back({c.name, why});
        continue;
      }
      c.view = *view;
    }
    pruned.push_back(c);
  }
  if (pruned.empty()) {
    std::string why;
    for (const auto &[name, reason] : report.dense)
      why += "; " + name + ": " + reason;
    return fail("no weight to prune (kiln-sparsify prunes the trained "
                "weights that a forward matmul or conv2d reads)" + why);
  }

  Block &body = step.getBody().front();
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  // The weights' results (their next values) before any result is added.
  SmallVector<unsigned> nextIndex;
  for (Candidate &c : pruned) {
    auto next = parts->binding.getAs<StringAttr>(c.name);
    std::optional<unsigned> index =
        next ? findResult(step, next.getValue()) : std::nullopt;
    if (!index)
      return fail("weight '" + c.name + "' has no bound next value");
    nextIndex.push_back(*index);
  }

  // New state: the step count and one mask per weight.
  auto i64Scalar = RankedTensorType::get({}, IntegerType::get(step.getContext(), 64));
  std::string stepName = freshName(step, "sparsity.step");
  BlockArgument stepArg = addStateArgument(step, stepName, i64Scalar);
  SmallVector<BlockArgument> oldMasks;
  SmallVector<std::string> maskNames;
  for (size_t i = 0; i < pruned.size(); ++i) {
    maskNames.push_back(freshName(step, "sparsity.mask." + pruned[i].name));
    oldMasks.push_back(
        addStateArgument(step, maskNames.back(), pruned[i].weight.getType()));
  }

  // This step's masks, at the top of the step.
  OpBuilder b(step.getContext());
  b.setInsertionPointToStart(&body);
  ScheduleBuilder s(b, loc, stepArg);
  const int64_t start = options.startStep, end = options.endStep;
  SmallVector<Value> frozen; // stop_gradient(w): masks are not differentiated
  for (Candidate &c : pruned)
    frozen.push_back(StopGradientOp::create(b, loc, c.weight));
  SmallVector<Value> masks;
  switch (options.mode) {
  case SparsityMode::Magnitude: {
    Value update = s.both(
        s.both(s.stepIs(ComparePredicate::ge, start),
               s.stepIs(ComparePredicate::le, end)),
        s.either(s.onGrid(start, options.frequency),
                 s.stepIs(ComparePredicate::eq, end)));
    Value remaining = SubOp::create(b, loc, s.real(1.0), s.progress(start, end));
    Value cube = MulOp::create(b, loc, remaining,
                               MulOp::create(b, loc, remaining, remaining));
    Value target = MulOp::create(b, loc, s.real(options.sparsity),
                                 SubOp::create(b, loc, s.real(1.0), cube));
    Value globalThreshold;
    if (options.globalScope) {
      int64_t total = 0;
      for (Candidate &c : pruned)
        total += cast<RankedTensorType>(c.weight.getType()).getNumElements();
      globalThreshold = MagnitudeThresholdOp::create(
          b, loc, s.f32(), s.countOrZero(update, target, total), frozen);
    }
    for (auto [i, c] : llvm::enumerate(pruned)) {
      int64_t count =
          cast<RankedTensorType>(c.weight.getType()).getNumElements();
      Value threshold =
          globalThreshold
              ? globalThreshold
              : MagnitudeThresholdOp::create(
                    b, loc, s.f32(), s.countOrZero(update, target, count),
                    ValueRange{frozen[i]});
      masks.push_back(choose(b, loc, update,
                             magnitudeMask(b, loc, frozen[i], threshold),
                             oldMasks[i]));
    }
    break;
  }
  case SparsityMode::StructuredNM: {
    Value update = s.stepIs(ComparePredicate::eq, start);
    for (auto [i, c] : llvm::enumerate(pruned))
      masks.push_back(choose(b, loc, update,
                             structuredMask(b, loc, frozen[i], c.view, patterns,
                                            options.m, options.transposable),
                             oldMasks[i]));
    break;
  }
  case SparsityMode::RigL: {
    // At the start step the largest 1 - sparsity of each weight stay.
    Value first = s.stepIs(ComparePredicate::eq, start);
    for (auto [i, c] : llvm::enumerate(pruned)) {
      int64_t count =
          cast<RankedTensorType>(c.weight.getType()).getNumElements();
      Value threshold = MagnitudeThresholdOp::create(
          b, loc, s.f32(), s.countOrZero(first, s.real(options.sparsity), count),
          ValueRange{frozen[i]});
      masks.push_back(choose(b, loc, first,
                             magnitudeMask(b, loc, frozen[i], threshold),
                             oldMasks[i]));
    }
    break;
  }
  }

  // The forward pass reads w * mask.
  SmallVector<Value> effective;
  for (auto [i, c] : llvm::enumerate(pruned)) {
    Value masked = MulOp::create(b, loc, c.weight, masks[i]);
    effective.push_back(masked);
    for (OpOperand *use : c.forwardReads)
      use->set(masked);
  }

  // RigL grows where the gradient of w * mask (the dense gradient) is
  // largest: the request differentiates those values too.
  SmallVector<Value> denseGradients;
  if (rigl) {
    OpBuilder rb(request);
    SmallVector<Value> wrt(request.getWrt());
    wrt.append(effective.begin(), effective.end());
    auto extended = GradientOp::create(rb, request.getLoc(), request.getOf(),
                                       wrt);
    for (unsigned i = 0; i < request.getNumResults(); ++i)
      request.getResult(i).replaceAllUsesWith(extended.getResult(i));
    for (size_t i = 0; i < effective.size(); ++i)
      denseGradients.push_back(
          extended.getResult(request.getNumResults() + i));
    request.erase();
  }

  // The next masks and the masked updates, before the return.
  b.setInsertionPoint(ret);
  ScheduleBuilder e(b, loc, stepArg);
  Value regrow;
  Value dropFraction;
  if (rigl) {
    regrow = e.both(e.both(e.stepIs(ComparePredicate::gt, start),
                           e.stepIs(ComparePredicate::le, end)),
                    e.onGrid(start, options.frequency));
    Value angle = MulOp::create(b, loc, e.progress(start, end), e.real(M_PI));
    dropFraction = MulOp::create(
        b, loc, e.real(options.dropFraction / 2),
        AddOp::create(b, loc, e.real(1.0), CosOp::create(b, loc, angle)));
  }
  Value prunedCount = e.integer(0);
  int64_t total = 0;
  SmallVector<Value> nextMasks;
  for (auto [i, c] : llvm::enumerate(pruned)) {
    auto type = cast<RankedTensorType>(c.weight.getType());
    int64_t count = type.getNumElements();
    total += count;
    Value next = ret.getOperand(nextIndex[i]);
    Value mask = masks[i];
    if (rigl) {
      // Drop the smallest active magnitudes of the updated weight.
      Value active = isSet(b, loc, mask);
      Value magnitude =
          AbsOp::create(b, loc, StopGradientOp::create(b, loc, next));
      Value dropScore = SelectOp::create(
          b, loc, active, magnitude,
          createSplat(b, loc, type, std::numeric_limits<double>::infinity()));
      int64_t activeCount =
          count - int64_t(std::floor(options.sparsity * double(count)));
      Value dropThreshold = MagnitudeThresholdOp::create(
          b, loc, e.f32(), e.countOrZero(regrow, dropFraction, activeCount),
          ValueRange{dropScore});
      Value kept = AndOp::create(
          b, loc, active,
          CompareOp::create(
              b, loc, ComparePredicate::gt, dropScore,
              broadcastToShapeOf(b, loc, dropThreshold,
                                 cast<RankedTensorType>(dropScore.getType()))));
      // Grow as many where |dense gradient| is largest among the others.
      Value keptMask = toMask(b, loc, kept, type);
      auto i64Type = type.clone(b.getI64Type());
      Value dropped = SubOp::create(
          b, loc, sumAll(b, loc, CastOp::create(b, loc, i64Type, active)),
          sumAll(b, loc, CastOp::create(b, loc, i64Type, kept)));
      Value growScore =
          SelectOp::create(b, loc, kept, createSplat(b, loc, type, 0.0),
                           AbsOp::create(b, loc, denseGradients[i]));
      Value below = SubOp::create(b, loc, e.integer(count), dropped);
      Value growThreshold = MagnitudeThresholdOp::create(
          b, loc, e.f32(),
          SelectOp::create(b, loc, regrow, below, e.integer(0)),
          ValueRange{growScore});
      Value grown = CompareOp::create(
          b, loc, ComparePredicate::gt, growScore,
          broadcastToShapeOf(b, loc, growThreshold,
                             cast<RankedTensorType>(growScore.getType())));
      Value regrown =
          AddOp::create(b, loc, keptMask, toMask(b, loc, grown, type));
      mask = choose(b, loc, regrow, regrown, mask);
    }
    nextMasks.push_back(mask);
    ret.setOperand(nextIndex[i], MulOp::create(b, loc, next, mask));
    Value zeros = SubOp::create(b, loc, createSplat(b, loc, type, 1.0), mask);
    prunedCount = AddOp::create(
        b, loc, prunedCount,
        sumAll(b, loc, CastOp::create(b, loc, type.clone(b.getI64Type()), zeros)));

    PrunedWeight w;
    w.name = c.name;
    w.type = type;
    w.targetSparsity = nm ? 1.0 - double(options.n) / double(options.m)
                          : options.sparsity;
    w.forwardFlops = c.flops;
    bool sparse = options.codegen == SparseCodegen::Always ||
                  (options.codegen == SparseCodegen::Auto &&
                   w.targetSparsity >= options.sparseThreshold);
    if (sparse) {
      for (Operation *product : c.rhsOfMatmuls)
        product->setDiscardableAttr(kSparseWeightAttr, b.getUnitAttr());
      w.sparseProducts = c.rhsOfMatmuls.size();
    }
    report.pruned.push_back(w);
  }
  Value sparsity = DivOp::create(b, loc, CastOp::create(b, loc, e.f32(), prunedCount),
                                 e.real(double(total)));
  Value stepNext = AddOp::create(b, loc, stepArg, e.integer(1));

  for (auto [i, c] : llvm::enumerate(pruned)) {
    RankedTensorType type = report.pruned[i].type;
    bindState(step, parts->init, maskNames[i], nextMasks[i],
              [&](OpBuilder &ib) { return createSplat(ib, loc, type, 1.0); });
  }
  bindState(step, parts->init, stepName, stepNext, [&](OpBuilder &ib) {
    return createSplat(ib, loc, i64Scalar, 0.0);
  });
  appendResult(step, sparsity, freshName(step, "sparsity"));
  return report;
}

} // namespace training
} // namespace kiln
