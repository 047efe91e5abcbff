//===- MixedPrecision.cpp - bf16/f16 training with f32 master weights -----===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The rewrite behind kiln-quantize's bf16 and f16 modes (see the header):
// rounding points around the allowed forward ops, loss scaling with step
// skipping as extra state of the training step, and, after autodiff, one
// widening cast per reader.
//
//===----------------------------------------------------------------------===//

#include "kiln/Training/MixedPrecision.h"

#include "kiln/Analysis/RematGraph.h"
#include "kiln/Dialect/Kiln/KilnBuilder.h"
#include "kiln/Dialect/Kiln/KilnOps.h"
#include "kiln/Import/ONNXImporter.h"
#include "kiln/Training/TrainStep.h"
#include "kiln/Training/RoundingPoints.h"
#include "kiln/Training/TrainStepAccess.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSet.h"

using namespace mlir;

namespace kiln {
namespace training {

std::vector<std::string> defaultLowPrecisionOps() {
  // Products and sums (accumulated in f32), elementwise arithmetic that
  // keeps the range of its inputs, and data movement. Not: reductions,
  // softmax, exp/log/pow/sqrt, normalization statistics and losses, which
  // keep f32 as AMP autocast does.
  return {"matmul",    "conv2d",  "add",       "sub",        "mul",
          "neg",       "relu",    "max",       "min",        "abs",
          "select",    "tanh",    "sigmoid",   "erf",        "transpose",
          "reshape",   "broadcast", "slice",   "concat",     "pad",
          "gather",    "max_pool2d", "avg_pool2d"};
}

namespace {

RankedTensorType f32TensorType(Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  return type && type.getElementType().isF32() ? type : RankedTensorType();
}

/// `value` broadcast to `type`'s shape (no op when it already has it).
} // namespace

LogicalResult addLossScaling(func::FuncOp step, func::FuncOp init,
                             GradientOp request,
                             const MixedPrecisionOptions &options) {
  MLIRContext *context = step.getContext();
  OpBuilder b(context);
  Location loc = request.getLoc();
  auto f32 = Float32Type::get(context);
  auto scalar = RankedTensorType::get({}, f32);
  Block &body = step.getBody().front();
  auto ret = cast<func::ReturnOp>(body.getTerminator());

  // New state: S and the clean steps since it last changed.
  std::string scaleName = freshName(step, "loss_scale");
  Value scale = addStateArgument(step, scaleName, scalar);
  std::string goodName = freshName(step, "loss_scale_good_steps");
  Value good = addStateArgument(step, goodName, scalar);

  // loss * S is differentiated; each gradient is divided by S again.
  b.setInsertionPoint(request);
  Value loss = request.getOf();
  auto lossType = cast<RankedTensorType>(loss.getType());
  if (!lossType.getElementType().isF32())
    return step.emitError("kiln-quantize: loss scaling needs an f32 loss");
  Value scaledLoss =
      MulOp::create(b, loc, loss, broadcastToShapeOf(b, loc, scale, lossType));
  request->setOperand(0, scaledLoss);

  b.setInsertionPointAfter(request);
  Value one = createSplat(b, loc, scalar, 1.0);
  Value zero = createSplat(b, loc, scalar, 0.0);
  Value inverse = DivOp::create(b, loc, one, scale);
  // g - g is 0 for a finite g and NaN for inf or NaN; sums keep the NaN.
  Value nonFinite = zero;
  for (Value g : request.getGradients()) {
    auto type = cast<RankedTensorType>(g.getType());
    Value unscaled =
        MulOp::create(b, loc, g, broadcastToShapeOf(b, loc, inverse, type));
    g.replaceAllUsesExcept(unscaled, unscaled.getDefiningOp());
    Value diff = SubOp::create(b, loc, g, g);
    auto axes = llvm::to_vector(llvm::seq<int64_t>(0, type.getRank()));
    Value sum = type.getRank() == 0
                    ? diff
                    : Value(ReduceSumOp::create(b, loc, diff, axes,
                                                /*keep_dims=*/false));
    nonFinite = AddOp::create(b, loc, nonFinite, sum);
  }
  Value finite = CompareOp::create(b, loc, ComparePredicate::eq, nonFinite,
                                   zero); // false for NaN

  // Every state value keeps its old value on a skipped step.
  auto binding = step->getAttrOfType<DictionaryAttr>(kUpdateBindingAttr);
  b.setInsertionPoint(ret);
  SmallVector<Value> results(ret.getOperands());
  for (NamedAttribute entry : binding) {
    auto resultName = dyn_cast<StringAttr>(entry.getValue());
    std::optional<unsigned> arg = findArgument(step, entry.getName());
    std::optional<unsigned> result =
        resultName ? findResult(step, resultName.getValue()) : std::nullopt;
    if (!arg || !result)
      return step.emitError("kiln-quantize: the update binding of '")
             << entry.getName().getValue()
             << "' names no argument or no result";
    auto type = cast<RankedTensorType>(results[*result].getType());
    results[*result] =
        SelectOp::create(b, loc, broadcastToShapeOf(b, loc, finite, type),
                         results[*result], step.getArgument(*arg));
  }
  ret->setOperands(results);

  // S halves on overflow; after growthInterval clean steps it doubles.
  Value newScale = scale, newGood = good;
  if (options.dynamicLossScale) {
    Value half = MulOp::create(b, loc, scale, createSplat(b, loc, scalar, 0.5));
    Value twice = MulOp::create(b, loc, scale, createSplat(b, loc, scalar, 2.0));
    Value goodPlus = AddOp::create(b, loc, good, one);
    Value grow = CompareOp::create(
        b, loc, ComparePredicate::ge, goodPlus,
        createSplat(b, loc, scalar, double(options.growthInterval)));
    Value cleanScale = SelectOp::create(b, loc, grow, twice, scale);
    Value cleanGood = SelectOp::create(b, loc, grow, zero, goodPlus);
    newScale = SelectOp::create(b, loc, finite, cleanScale, half);
    newGood = SelectOp::create(b, loc, finite, cleanGood, zero);
  }
  Value skipped = SelectOp::create(b, loc, finite, zero, one);

  bindState(step, init, scaleName, newScale, [&](OpBuilder &ib) {
    return createSplat(ib, loc, scalar, options.lossScale);
  });
  bindState(step, init, goodName, newGood, [&](OpBuilder &ib) {
    return createSplat(ib, loc, scalar, 0.0);
  });
  appendResult(step, skipped, freshName(step, "skipped"));
  appendResult(step, scale, freshName(step, "loss_scale_used"));
  return success();
}


FailureOr<MixedPrecisionReport>
roundToLowPrecision(ModuleOp module, func::FuncOp step,
                    const MixedPrecisionOptions &options) {
  FailureOr<TrainStepParts> parts =
      trainStepParts(module, step, "kiln-quantize");
  if (failed(parts))
    return failure();
  GradientOp request = parts->request;
  DictionaryAttr binding = parts->binding;
  Block &body = step.getBody().front();

  MixedPrecisionReport report;
  // Weights (the request's wrt values) and the rest of the state.
  llvm::DenseSet<Value> weights(request.getWrt().begin(),
                                request.getWrt().end());
  for (Value w : weights)
    report.weightBytes += tensorBytes(w.getType());
  for (BlockArgument arg : step.getArguments()) {
    auto name = step.getArgAttrOfType<StringAttr>(arg.getArgNumber(),
                                                  kOnnxNameAttr);
    if (name && binding.contains(name.getValue()) && !weights.contains(arg))
      report.optimizerStateBytes += tensorBytes(arg.getType());
  }

  std::vector<std::string> kinds =
      options.allow.empty() ? defaultLowPrecisionOps() : options.allow;
  llvm::StringSet<> allowed;
  for (const std::string &k : kinds)
    allowed.insert(k);
  for (const std::string &k : options.deny)
    allowed.erase(k);
  // make-train-step names its loss ops' location "loss"; the loss stays f32
  // (its label is not rounded either), as AMP computes losses in f32.
  auto isLoss = [](Operation &op) {
    auto name = dyn_cast<NameLoc>(op.getLoc());
    return name && name.getName() == "loss";
  };
  auto isAllowed = [&](Operation &op) {
    return op.getDialect() == request->getDialect() && !isLoss(op) &&
           allowed.contains(op.getName().stripDialect());
  };

  // The forward ops: everything before the request.
  SmallVector<Operation *> forward;
  for (Operation &op : body) {
    if (&op == request.getOperation())
      break;
    forward.push_back(&op);
  }
  llvm::DenseSet<Value> lowValues; // values holding low-type numbers
  llvm::DenseMap<Value, Value> roundedCopy;
  OpBuilder b(step.getContext());
  FloatType low = options.lowType;
  for (Operation *op : forward) {
    bool computes = !isa<ConstantOp>(op) && op->getNumOperands() > 0;
    for (Value r : op->getResults())
      if (computes)
        report.activationBytesBefore += tensorBytes(r.getType());
    bool allF32 = op->getNumResults() > 0 &&
                  llvm::all_of(op->getResults(),
                               [](Value r) { return bool(f32TensorType(r)); });
    if (!computes || !isAllowed(*op) || !allF32 ||
        !llvm::any_of(op->getOperands(),
                      [](Value v) { return bool(f32TensorType(v)); })) {
      for (Value r : op->getResults())
        if (computes)
          report.activationBytesAfter += tensorBytes(r.getType());
      continue;
    }
    ++report.roundedOps;
    // Operands: rounded once per value, before their first allowed reader.
    for (OpOperand &use : op->getOpOperands()) {
      Value v = use.get();
      if (!f32TensorType(v) || lowValues.contains(v))
        continue;
      auto it = roundedCopy.find(v);
      if (it == roundedCopy.end()) {
        b.setInsertionPoint(op);
        Value r = roundThrough(b, op->getLoc(), v, low);
        lowValues.insert(r);
        it = roundedCopy.try_emplace(v, r).first;
      }
      use.set(it->second);
      ++report.roundedOperands;
    }
    // Results: stored in the low type, read back widened.
    b.setInsertionPointAfter(op);
    for (Value r : op->getResults()) {
      auto type = cast<RankedTensorType>(r.getType());
      auto down = CastOp::create(b, op->getLoc(), type.clone(low), r);
      Value up = CastOp::create(b, op->getLoc(), type, down);
      r.replaceAllUsesExcept(up, down);
      lowValues.insert(up);
      report.activationBytesAfter += tensorBytes(down.getType());
    }
  }

  return report;
}

unsigned giveEachReaderItsOwnUpcast(func::FuncOp func) {
  SmallVector<CastOp> upcasts;
  func.walk([&](CastOp cast) {
    auto from = dyn_cast<FloatType>(
        cast.getInput().getType().getElementType());
    auto to = dyn_cast<FloatType>(cast.getResult().getType().getElementType());
    if (from && to && to.getWidth() > from.getWidth() &&
        !cast.getResult().hasOneUse() && !cast.getResult().use_empty())
      upcasts.push_back(cast);
  });
  unsigned copies = 0;
  OpBuilder b(func.getContext());
  for (CastOp cast : upcasts) {
    SmallVector<OpOperand *> uses;
    for (OpOperand &use : cast.getResult().getUses())
      uses.push_back(&use);
    // The first reader in block order keeps the original.
    llvm::sort(uses, [](OpOperand *a, OpOperand *b) {
      return a->getOwner()->isBeforeInBlock(b->getOwner());
    });
    for (OpOperand *use : llvm::drop_begin(uses)) {
      if (use->getOwner()->getBlock() != cast->getBlock())
        continue;
      b.setInsertionPoint(use->getOwner());
      Operation *copy = b.clone(*cast);
      copy->setAttr(kRecomputedAttr, b.getI64IntegerAttr(++copies));
      use->set(copy->getResult(0));
    }
  }
  return copies;
}

} // namespace training
} // namespace kiln
