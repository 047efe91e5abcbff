//===- ImportTraining.cpp - ONNX training ops -----------------------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The ops that make a graph a training program. Default domain: the losses
// SoftmaxCrossEntropyLoss and NegativeLogLikelihoodLoss, LayerNormalization,
// and the training modes of BatchNormalization and Dropout (handed over by
// ImportNeuralNet.cpp). Domain ai.onnx.preview.training: Gradient (a
// kiln.gradient request, expanded by --kiln-autodiff) and the optimizers
// Adam, Adagrad and Momentum in their multi-tensor forms. The arithmetic
// lives in lib/Training, shared with the make-train-step pass; this file
// maps ONNX's inputs, attributes and opset variants onto it.
//
//===----------------------------------------------------------------------===//

#include "NodeImporter.h"

#include "kiln/Training/BatchNorm.h"
#include "kiln/Training/LayerNorm.h"
#include "kiln/Training/Losses.h"
#include "kiln/Training/Optimizers.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::onnx_import;

namespace {

//===----------------------------------------------------------------------===//
// Losses and LayerNormalization
//===----------------------------------------------------------------------===//

FailureOr<training::ClassLossOptions> readClassLossOptions(NodeImporter &n) {
  if (failed(n.expectInputs(2, 3)) ||
      failed(n.expectOnlyAttrs({"reduction", "ignore_index"})))
    return failure();
  training::ClassLossOptions options;
  std::string reduction = n.attrString("reduction", "mean");
  std::optional<training::Reduction> parsed =
      training::parseReduction(reduction);
  if (!parsed)
    return n.fail("unsupported reduction '" + reduction + "'");
  options.reduction = *parsed;
  if (n.attr("ignore_index"))
    options.ignoreIndex = n.attrInt("ignore_index", 0);
  if (n.hasInput(2))
    options.weight = n.input(2);
  return options;
}

LogicalResult importSoftmaxCrossEntropyLoss(NodeImporter &n) {
  FailureOr<training::ClassLossOptions> options = readClassLossOptions(n);
  if (failed(options))
    return failure();
  FailureOr<training::SoftmaxCrossEntropy> sce =
      training::buildSoftmaxCrossEntropyLoss(n.b(), n.location(), n.input(0),
                                             n.input(1), *options);
  if (failed(sce))
    return failure();
  n.setOutput(0, sce->loss);
  n.setOutput(1, sce->logProb);
  return success();
}

LogicalResult importNegativeLogLikelihoodLoss(NodeImporter &n) {
  FailureOr<training::ClassLossOptions> options = readClassLossOptions(n);
  if (failed(options))
    return failure();
  return n.setResult(training::buildNLLLoss(n.b(), n.location(), n.input(0),
                                            n.input(1), *options));
}

LogicalResult importLayerNormalization(NodeImporter &n) {
  if (failed(n.expectInputs(2, 3)) ||
      failed(n.expectOnlyAttrs({"axis", "epsilon", "stash_type"})))
    return failure();
  FailureOr<int64_t> axis =
      n.normalizeAxis(n.attrInt("axis", -1), n.inputType(0).getRank());
  if (failed(axis))
    return failure();
  std::string error;
  Type stash = elementTypeFromOnnx(n.attrInt("stash_type", 1), n.context(),
                                   error);
  if (!stash || !isa<FloatType>(stash))
    return n.fail("stash_type must name a float type");
  FailureOr<training::LayerNorm> ln = training::buildLayerNorm(
      n.b(), n.location(), n.input(0), n.input(1),
      n.hasInput(2) ? n.input(2) : Value(), *axis,
      n.attrFloat("epsilon", 1e-5f), stash);
  if (failed(ln))
    return failure();
  n.setOutput(0, ln->y);
  n.setOutput(1, ln->mean);
  n.setOutput(2, ln->invStdDev);
  return success();
}

//===----------------------------------------------------------------------===//
// ai.onnx.preview.training: Gradient and the optimizers
//===----------------------------------------------------------------------===//

SmallVector<std::string> attrStrings(NodeImporter &n, StringRef name) {
  SmallVector<std::string> out;
  if (const onnx::AttributeProto *a = n.attr(name))
    out.assign(a->strings().begin(), a->strings().end());
  return out;
}

/// Gradient(xs, zs, y): the gradient of sum(y) with respect to each of xs,
/// at the values the graph computed them (the node's inputs must be the
/// tensors that xs and zs name: re-evaluating the graph at other values is
/// not supported).
LogicalResult importGradient(NodeImporter &n) {
  if (failed(n.expectOnlyAttrs({"xs", "zs", "y"})))
    return failure();
  SmallVector<std::string> xs = attrStrings(n, "xs"), zs = attrStrings(n, "zs");
  std::string yName = n.attrString("y", "");
  if (xs.empty() || yName.empty())
    return n.fail("attributes 'xs' and 'y' are required");
  int expected = static_cast<int>(xs.size() + zs.size());
  if (failed(n.expectInputs(expected, expected)))
    return failure();
  Value y = n.lookupName(yName);
  if (!y)
    return n.fail("y '" + yName + "' is not computed before the node");
  SmallVector<Value> wrt;
  SmallVector<Type> types;
  for (auto [i, name] : llvm::enumerate(llvm::concat<std::string>(xs, zs))) {
    Value named = n.lookupName(name);
    if (!named)
      return n.fail("'" + name + "' (in xs/zs) is not defined before the node");
    if (n.input(i) != named)
      return n.fail("input " + Twine(i) + " is not the tensor '" + name +
                    "' itself; gradients at other values are not supported");
    if (i < xs.size()) {
      if (!isa<FloatType>(cast<RankedTensorType>(named.getType())
                              .getElementType()))
        return n.fail("cannot differentiate with respect to '" + name +
                      "': it is not a float tensor");
      wrt.push_back(named);
      types.push_back(named.getType());
    }
  }
  if (!isa<FloatType>(cast<RankedTensorType>(y.getType()).getElementType()))
    return n.fail("y '" + yName + "' is not a float tensor");
  // The gradient types are given, not inferred: verify only.
  auto op = GradientOp::create(n.b(), n.location(), types, y, wrt);
  if (failed(verifyOrErase(op)))
    return failure();
  for (auto [i, gradient] : llvm::enumerate(op.getGradients()))
    n.setOutput(i, gradient);
  return success();
}

/// The number of optimized tensors of a multi-tensor optimizer node with
/// inputs R, T, then `groups` lists (X..., G..., state...).
FailureOr<int> countTensors(NodeImporter &n, int groups) {
  int present = n.numInputs();
  if (present < 2 + groups || (present - 2) % groups != 0)
    return n.fail("expects R, T and " + Twine(groups) +
                  " equally long lists (X..., G..., ...), got " +
                  Twine(present) + " inputs");
  if (failed(n.expectInputs(present, present)))
    return failure();
  for (int i = 0; i < present; ++i)
    if (!n.hasInput(i))
      return n.fail("input " + Twine(i) + " is missing");
  return (present - 2) / groups;
}

/// Tensor `i` of the `k` that a multi-tensor optimizer node updates. ONNX
/// lays out the inputs as R, T, then lists of k tensors (X..., G..., one
/// list per state) and the outputs as k new X's, then k of each new state.
struct OptimizedTensor {
  NodeImporter &n;
  int k, i;

  /// Tensor i of input list `list` (0: X, 1: G, then the states).
  Value input(int list) const { return n.input(2 + list * k + i); }
  /// Sets tensor i of each output list: the new X, then the new states.
  void setOutputs(ArrayRef<Value> values) const {
    for (auto [list, value] : llvm::enumerate(values))
      n.setOutput(list * k + i, value);
  }
};

LogicalResult importAdam(NodeImporter &n) {
  if (failed(n.expectOnlyAttrs({"alpha", "beta", "epsilon", "norm_coefficient",
                                "norm_coefficient_post"})))
    return failure();
  FailureOr<int> count = countTensors(n, 4);
  if (failed(count))
    return failure();
  training::AdamOptions o;
  o.alpha = n.attrFloat("alpha", 0.9f);
  o.beta = n.attrFloat("beta", 0.999f);
  o.epsilon = n.attrFloat("epsilon", 1e-6f);
  o.normCoefficient = n.attrFloat("norm_coefficient", 0.0f);
  o.normCoefficientPost = n.attrFloat("norm_coefficient_post", 0.0f);
  int k = *count;
  for (int i = 0; i < k; ++i) {
    OptimizedTensor t{n, k, i};
    FailureOr<training::AdamUpdate> u = training::buildAdamUpdate(
        n.b(), n.location(), n.input(0), n.input(1), t.input(0), t.input(1),
        t.input(2), t.input(3), o);
    if (failed(u))
      return failure();
    t.setOutputs({u->x, u->v, u->h});
  }
  return success();
}

LogicalResult importAdagrad(NodeImporter &n) {
  if (failed(n.expectOnlyAttrs({"decay_factor", "epsilon", "norm_coefficient"})))
    return failure();
  FailureOr<int> count = countTensors(n, 3);
  if (failed(count))
    return failure();
  training::AdagradOptions o;
  o.decayFactor = n.attrFloat("decay_factor", 0.0f);
  o.epsilon = n.attrFloat("epsilon", 1e-6f);
  o.normCoefficient = n.attrFloat("norm_coefficient", 0.0f);
  int k = *count;
  for (int i = 0; i < k; ++i) {
    OptimizedTensor t{n, k, i};
    FailureOr<training::AdagradUpdate> u = training::buildAdagradUpdate(
        n.b(), n.location(), n.input(0), n.input(1), t.input(0), t.input(1),
        t.input(2), o);
    if (failed(u))
      return failure();
    t.setOutputs({u->x, u->h});
  }
  return success();
}

LogicalResult importMomentum(NodeImporter &n) {
  if (failed(n.expectOnlyAttrs({"alpha", "beta", "mode", "norm_coefficient"})))
    return failure();
  for (StringRef required : {"alpha", "beta", "mode", "norm_coefficient"})
    if (!n.attr(required))
      return n.fail("attribute '" + required + "' is required");
  FailureOr<int> count = countTensors(n, 3);
  if (failed(count))
    return failure();
  training::MomentumOptions o;
  o.alpha = n.attrFloat("alpha", 0.0f);
  o.beta = n.attrFloat("beta", 0.0f);
  o.normCoefficient = n.attrFloat("norm_coefficient", 0.0f);
  std::string mode = n.attrString("mode", "");
  if (mode != "standard" && mode != "nesterov")
    return n.fail("mode must be 'standard' or 'nesterov', got '" + mode + "'");
  o.nesterov = mode == "nesterov";
  int k = *count;
  for (int i = 0; i < k; ++i) {
    OptimizedTensor t{n, k, i};
    FailureOr<training::MomentumUpdate> u = training::buildMomentumUpdate(
        n.b(), n.location(), n.input(0), n.input(1), t.input(0), t.input(1),
        t.input(2), o);
    if (failed(u))
      return failure();
    t.setOutputs({u->x, u->v});
  }
  return success();
}

/// FNV-1a: a seed for Dropout nodes without one that is stable across runs
/// and differs between nodes (ONNX asks for a random seed there).
int64_t seedFromName(StringRef name) {
  uint64_t h = 1469598103934665603ull;
  for (char c : name)
    h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return static_cast<int64_t>(h);
}

} // namespace

//===----------------------------------------------------------------------===//
// Training modes of BatchNormalization and Dropout
//===----------------------------------------------------------------------===//

/// Outputs: Y, running mean, running var (opset >= 14); before, also the
/// batch mean and variance ("saved" statistics).
LogicalResult onnx_import::importBatchNormTraining(NodeImporter &n) {
  if (failed(n.expectInputs(5, 5)))
    return failure();
  if (n.opset() >= 14 && !n.attrInt("training_mode", 0))
    return n.fail("the running-statistics outputs exist only with "
                  "training_mode=1");
  if (n.opset() < 9 && n.attr("spatial") && !n.attrInt("spatial", 1))
    return n.fail("per-activation (spatial=0) batch statistics are not "
                  "supported");
  if (n.numOutputs() > (n.opset() >= 14 ? 3 : 5))
    return n.fail("too many outputs for this opset");
  FailureOr<training::BatchNormTraining> bn = training::buildBatchNormTraining(
      n.b(), n.location(), n.input(0), n.input(1), n.input(2), n.input(3),
      n.input(4), n.attrFloat("epsilon", 1e-5f), n.attrFloat("momentum", 0.9f));
  if (failed(bn))
    return failure();
  n.setOutput(0, bn->y);
  n.setOutput(1, bn->runningMean);
  n.setOutput(2, bn->runningVar);
  n.setOutput(3, bn->batchMean);
  n.setOutput(4, bn->batchVar);
  return success();
}

/// y = select(mask, x * 1/(1 - ratio), 0) with mask = kiln.dropout_mask.
/// A literal ratio of 0 keeps x exactly; a training_mode computed at run
/// time selects between the training and the inference results.
LogicalResult onnx_import::importDropoutTraining(NodeImporter &n) {
  if (failed(n.expectInputs(1, 3)))
    return failure();
  Value x = n.input(0);
  RankedTensorType xType = n.inputType(0);
  Type element = xType.getElementType();
  if (!isa<FloatType>(element))
    return n.fail("training-mode Dropout needs a float input");

  // The ratio: input 1 from opset 12 (default 0.5), else the attribute.
  // `literalRatio` is its value when known at import.
  Value ratio;
  double literalRatio = 0.5;
  bool ratioIsLiteral = true;
  if (n.opset() >= 12) {
    if (n.hasInput(1)) {
      if (n.inputType(1).getRank() != 0)
        return n.fail("ratio must be a scalar");
      ratio = n.input(1);
      DenseElementsAttr c = n.constantInput(1);
      ratioIsLiteral = c && isa<FloatType>(c.getElementType());
      if (ratioIsLiteral)
        literalRatio = (*c.getValues<APFloat>().begin()).convertToDouble();
    }
  } else {
    literalRatio = n.attrFloat("ratio", 0.5f);
  }
  if (ratioIsLiteral && (literalRatio < 0 || literalRatio >= 1))
    return n.fail("ratio must be in [0, 1)");
  if (!ratio)
    ratio = n.splat(RankedTensorType::get({}, element), literalRatio);

  // training_mode: a literal (the caller routes only true ones here) or a
  // run-time boolean.
  Value trainingFlag;
  if (n.opset() >= 12 && n.hasInput(2) && !n.constantInts(2))
    trainingFlag = n.input(2);

  auto maskType = xType.clone(n.b().getI1Type());
  Value y = x, mask;
  auto keepAll = [&] { return n.splat(maskType, 1); };
  if (ratioIsLiteral && literalRatio == 0.0) {
    if (n.wantsOutput(1))
      mask = keepAll();
  } else {
    int64_t seed = n.attr("seed") ? n.attrInt("seed", 0)
                                  : seedFromName(n.proto().output(0));
    FailureOr<Value> m = n.create<DropoutMaskOp>(
        maskType, ratio, Value(), n.b().getI64IntegerAttr(seed));
    if (failed(m))
      return failure();
    mask = *m;
    // scale = 1 / (1 - ratio), on a rank-0 value of x's type.
    FailureOr<Value> r = ratio;
    if (cast<RankedTensorType>(ratio.getType()).getElementType() != element)
      r = n.create<CastOp>(RankedTensorType::get({}, element), ratio);
    if (failed(r))
      return failure();
    Value one = n.splat(RankedTensorType::get({}, element), 1.0);
    FailureOr<Value> keep = n.create<SubOp>(one, *r);
    if (failed(keep))
      return failure();
    FailureOr<Value> scale = n.create<ReciprocalOp>(*keep);
    if (failed(scale))
      return failure();
    scale = n.broadcastTo(*scale, xType.getShape());
    if (failed(scale))
      return failure();
    FailureOr<Value> scaled = n.create<MulOp>(x, *scale);
    if (failed(scaled))
      return failure();
    FailureOr<Value> dropped = n.create<SelectOp>(mask, *scaled, n.splatLike(x, 0));
    if (failed(dropped))
      return failure();
    y = *dropped;
  }
  if (trainingFlag) {
    if (cast<RankedTensorType>(trainingFlag.getType()).getRank() != 0)
      return n.fail("training_mode must be a scalar");
    FailureOr<Value> flag = n.broadcastTo(trainingFlag, xType.getShape());
    if (failed(flag))
      return failure();
    FailureOr<Value> chosen = n.create<SelectOp>(*flag, y, x);
    if (failed(chosen))
      return failure();
    y = *chosen;
    if (mask && n.wantsOutput(1)) {
      FailureOr<Value> chosenMask = n.create<SelectOp>(*flag, mask, keepAll());
      if (failed(chosenMask))
        return failure();
      mask = *chosenMask;
    }
  }
  n.setOutput(0, y);
  if (mask)
    n.setOutput(1, mask);
  return success();
}

void onnx_import::registerTrainingImporters(OpImporterRegistry &r) {
  r.add("SoftmaxCrossEntropyLoss", importSoftmaxCrossEntropyLoss,
        /*sinceOpset=*/12);
  r.add("NegativeLogLikelihoodLoss", importNegativeLogLikelihoodLoss,
        /*sinceOpset=*/12);
  r.add("LayerNormalization", importLayerNormalization, /*sinceOpset=*/17);
}

void onnx_import::registerPreviewTrainingImporters(OpImporterRegistry &r) {
  r.add("Gradient", importGradient);
  r.add("Adam", importAdam);
  r.add("Adagrad", importAdagrad);
  r.add("Momentum", importMomentum);
}
