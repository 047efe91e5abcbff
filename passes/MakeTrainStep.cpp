//===- MakeTrainStep.cpp - Turn an inference function into a train step --===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The kiln-make-train-step pass rewrites the entry function of an imported
// inference model into one training step, following the contract of
// kiln/Training/TrainStep.h:
//
//   @main(inputs..., label, weights..., optimizer state..., step_count)
//     -> (loss, weights_new..., state_new..., step_count_new)
//   @main_init() -> (weights..., state..., step_count)
//
//   1. The trainable weights — float kiln.constant ops that carry a
//      kiln.onnx_name (ONNX initializers), all or the `trainable` list —
//      become arguments; their values move into @main_init.
//   2. The loss (kiln/Training/Losses.h) on the chosen output against a new
//      `label` argument: softmax cross-entropy on logits [N, C, d...] with
//      integer labels [N, d...], NLL on log-probabilities, or MSE against a
//      label shaped like the output; mean reduction.
//   3. A kiln.gradient request of the loss with respect to the weights,
//      expanded at once by the autodiff pass (run as a dynamic pipeline).
//   4. The optimizer update per weight (kiln/Training/Optimizers.h), with
//      PyTorch's conventions: SGD; Momentum/Nesterov with no dampening
//      (ONNX beta = 1); Adam bias-corrected from the first step (ONNX's
//      formula at T = updates done + 1); Adagrad. `weight-decay` is ONNX's
//      norm_coefficient (L2 added to the gradient). State: <w>.V (velocity
//      or first moment), <w>.H (second moment or sum of squares), zeros at
//      first, and an i64 `step_count` of the updates done.
//
// Other outputs of the inference function are dropped; the step returns the
// loss first. Every argument and result is named (kiln.onnx_name), the
// function carries kiln.update_binding and kiln.init_function, so kiln-run
// --train-steps (or any driver) can feed the state back.
//
//===----------------------------------------------------------------------===//

#include "kiln/Passes/Passes.h"

#include "kiln/Dialect/Kiln/KilnOps.h"
#include "kiln/Import/ONNXImporter.h"
#include "kiln/Training/Losses.h"
#include "kiln/Training/Optimizers.h"
#include "kiln/Training/TrainStep.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringSet.h"

namespace kiln {
#define GEN_PASS_DEF_KILNMAKETRAINSTEP
#include "kiln/Dialect/Kiln/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

enum class LossKind { CrossEntropy, NLL, MSE };
enum class OptimizerKind { SGD, Momentum, Nesterov, Adam, Adagrad };

struct MakeTrainStepPass
    : public kiln::impl::KilnMakeTrainStepBase<MakeTrainStepPass> {
  using Base::Base;

  void runOnOperation() override;

private:
  LogicalResult parseOptions(LossKind &lossKind, OptimizerKind &optKind);
  LogicalResult runSparsify();
  func::FuncOp findEntry();
  LogicalResult rewrite(func::FuncOp func, LossKind lossKind,
                        OptimizerKind optKind);
  LogicalResult runAutodiff(func::FuncOp func);
};

LogicalResult MakeTrainStepPass::parseOptions(LossKind &lossKind,
                                              OptimizerKind &optKind) {
  ModuleOp module = getOperation();
  if (loss == "cross-entropy")
    lossKind = LossKind::CrossEntropy;
  else if (loss == "nll")
    lossKind = LossKind::NLL;
  else if (loss == "mse")
    lossKind = LossKind::MSE;
  else
    return module.emitError() << "kiln-make-train-step: unknown loss '"
                              << loss << "' (cross-entropy, nll or mse)";
  if (optimizer == "sgd")
    optKind = OptimizerKind::SGD;
  else if (optimizer == "momentum")
    optKind = OptimizerKind::Momentum;
  else if (optimizer == "nesterov")
    optKind = OptimizerKind::Nesterov;
  else if (optimizer == "adam")
    optKind = OptimizerKind::Adam;
  else if (optimizer == "adagrad")
    optKind = OptimizerKind::Adagrad;
  else
    return module.emitError()
           << "kiln-make-train-step: unknown optimizer '" << optimizer
           << "' (sgd, momentum, nesterov, adam or adagrad)";
  if (!(learningRate > 0.0))
    return module.emitError() << "kiln-make-train-step: lr must be positive";
  return success();
}

/// @main, or the only public function that is not already a training step
/// or an init function.
func::FuncOp MakeTrainStepPass::findEntry() {
  ModuleOp module = getOperation();
  if (auto main = module.lookupSymbol<func::FuncOp>("main"))
    return main;
  llvm::StringSet<> initFunctions;
  for (auto func : module.getOps<func::FuncOp>())
    if (auto init = func->getAttrOfType<FlatSymbolRefAttr>(kInitFunctionAttr))
      initFunctions.insert(init.getValue());
  func::FuncOp only;
  for (auto func : module.getOps<func::FuncOp>()) {
    if (func.isPrivate() || func.isExternal() ||
        func->hasAttr(kUpdateBindingAttr) ||
        initFunctions.contains(func.getSymName()))
      continue;
    if (only)
      return nullptr;
    only = func;
  }
  return only;
}

LogicalResult MakeTrainStepPass::runAutodiff(func::FuncOp func) {
  OpPassManager pm(func::FuncOp::getOperationName());
  pm.addPass(createKilnAutodiff());
  return runPipeline(pm, func);
}

/// The name `base`, or `base_K` for the first K that is not taken.
std::string freshName(StringRef base, llvm::StringSet<> &taken) {
  std::string name = base.str();
  for (int k = 1; taken.contains(name); ++k)
    name = (base + "_" + Twine(k)).str();
  taken.insert(name);
  return name;
}

LogicalResult MakeTrainStepPass::rewrite(func::FuncOp func, LossKind lossKind,
                                         OptimizerKind optKind) {
  MLIRContext *context = &getContext();
  OpBuilder builder(context);
  Location loc = func.getLoc();
  auto fail = [&](const Twine &message) {
    return func.emitError() << "kiln-make-train-step: " << message;
  };
  if (!func.getBody().hasOneBlock())
    return fail("the function must have a single block");
  Block &body = func.getBody().front();
  auto ret = dyn_cast<func::ReturnOp>(body.getTerminator());
  if (!ret || ret.getNumOperands() == 0)
    return fail("the function returns nothing to put a loss on");

  // The output the loss applies to.
  unsigned outputIndex = 0;
  if (!output.empty()) {
    bool found = false;
    for (unsigned i = 0; i < func.getNumResults() && !found; ++i) {
      auto name = func.getResultAttrOfType<StringAttr>(i, kOnnxNameAttr);
      if (name && name.getValue() == output) {
        outputIndex = i;
        found = true;
      }
    }
    if (!found)
      return fail("no output named '" + output + "'");
  }
  Value prediction = ret.getOperand(outputIndex);
  auto predType = dyn_cast<RankedTensorType>(prediction.getType());
  if (!predType || !isa<FloatType>(predType.getElementType()))
    return fail("the loss needs a float tensor output");

  // Names already used by arguments and results.
  llvm::StringSet<> taken;
  for (unsigned i = 0; i < func.getNumArguments(); ++i)
    if (auto name = func.getArgAttrOfType<StringAttr>(i, kOnnxNameAttr))
      taken.insert(name.getValue());

  // Trainable weights: named float constants, in program order.
  llvm::StringSet<> wanted;
  for (const std::string &name : trainable)
    wanted.insert(name);
  SmallVector<ConstantOp> weights;
  llvm::StringSet<> seenWeights;
  for (auto constant : body.getOps<ConstantOp>()) {
    auto name = constant->getAttrOfType<StringAttr>(kOnnxNameAttr);
    auto type = cast<RankedTensorType>(constant.getType());
    if (!name || !isa<FloatType>(type.getElementType()))
      continue;
    if (!wanted.empty() && !wanted.contains(name.getValue()))
      continue;
    if (!seenWeights.insert(name.getValue()).second)
      return fail("two weights are named '" + name.getValue() + "'");
    if (taken.contains(name.getValue()))
      return fail("weight '" + name.getValue() +
                  "' has the name of an input");
    weights.push_back(constant);
  }
  for (const std::string &name : trainable)
    if (!seenWeights.contains(name))
      return fail("no float initializer named '" + name +
                  "' to train (trainable=...)");
  if (weights.empty())
    return fail("no trainable weights: the function has no float "
                "initializers (kiln.constant with a kiln.onnx_name)");
  for (ConstantOp w : weights)
    taken.insert(w->getAttrOfType<StringAttr>(kOnnxNameAttr).getValue());

  // The label: class indices for the class losses, else the output's type.
  Type labelType = predType;
  if (lossKind != LossKind::MSE) {
    if (predType.getRank() < 2)
      return fail("the class losses need scores of shape [N, C, ...]; '" +
                  Twine(output.empty() ? std::string("output #0")
                                       : std::string(output)) +
                  "' has rank " + Twine(predType.getRank()));
    SmallVector<int64_t> shape(predType.getShape());
    shape.erase(shape.begin() + 1);
    labelType = RankedTensorType::get(shape, builder.getI64Type());
  }

  // New arguments: label, weights, optimizer state, step counter.
  auto addArg = [&](Type type, StringRef name) {
    unsigned index = func.getNumArguments();
    if (failed(func.insertArgument(index, type,
                                   builder.getDictionaryAttr(builder.getNamedAttr(
                                       kOnnxNameAttr,
                                       builder.getStringAttr(name))),
                                   loc)))
      return BlockArgument();
    return func.getArgument(index);
  };
  std::string labelName = freshName("label", taken);
  BlockArgument label = addArg(labelType, labelName);
  SmallVector<BlockArgument> weightArgs;
  SmallVector<std::string> weightNames;
  for (ConstantOp w : weights) {
    weightNames.push_back(
        w->getAttrOfType<StringAttr>(kOnnxNameAttr).getValue().str());
    weightArgs.push_back(addArg(w.getType(), weightNames.back()));
  }
  SmallVector<StringRef> stateKinds;
  if (optKind == OptimizerKind::Momentum || optKind == OptimizerKind::Nesterov)
    stateKinds = {"V"};
  else if (optKind == OptimizerKind::Adam)
    stateKinds = {"V", "H"};
  else if (optKind == OptimizerKind::Adagrad)
    stateKinds = {"H"};
  // state[k][i]: kind k of weight i.
  SmallVector<SmallVector<BlockArgument>> stateArgs(stateKinds.size());
  SmallVector<SmallVector<std::string>> stateNames(stateKinds.size());
  for (auto [k, kind] : llvm::enumerate(stateKinds))
    for (auto [i, w] : llvm::enumerate(weights)) {
      stateNames[k].push_back(
          freshName((weightNames[i] + "." + kind).str(), taken));
      stateArgs[k].push_back(addArg(w.getType(), stateNames[k].back()));
    }
  bool hasStep = optKind != OptimizerKind::SGD;
  auto stepType = RankedTensorType::get({}, builder.getI64Type());
  std::string stepName;
  BlockArgument stepArg;
  if (hasStep) {
    stepName = freshName("step_count", taken);
    stepArg = addArg(stepType, stepName);
  }
  if (!label || llvm::any_of(weightArgs, [](Value v) { return !v; }))
    return fail("cannot add arguments");

  // The init function: the weights' values, zero state, step 0.
  std::string initName = (func.getSymName() + "_init").str();
  for (int k = 1; SymbolTable::lookupSymbolIn(getOperation(), initName); ++k)
    initName = (func.getSymName() + "_init_" + Twine(k)).str();
  builder.setInsertionPointAfter(func);
  SmallVector<Type> initTypes;
  for (ConstantOp w : weights)
    initTypes.push_back(w.getType());
  for (size_t k = 0; k < stateKinds.size(); ++k)
    for (ConstantOp w : weights)
      initTypes.push_back(w.getType());
  if (hasStep)
    initTypes.push_back(stepType);
  auto init = func::FuncOp::create(builder, loc, initName,
                                   builder.getFunctionType({}, initTypes));
  Block *initBody = init.addEntryBlock();
  OpBuilder ib = OpBuilder::atBlockEnd(initBody);
  SmallVector<Value> initValues;
  for (ConstantOp w : weights)
    initValues.push_back(ib.clone(*w)->getResult(0));
  for (size_t k = 0; k < stateKinds.size(); ++k)
    for (ConstantOp w : weights) {
      auto type = cast<RankedTensorType>(w.getType());
      initValues.push_back(ConstantOp::create(
          ib, loc,
          DenseElementsAttr::get(type,
                                 ib.getFloatAttr(type.getElementType(), 0.0))));
    }
  if (hasStep)
    initValues.push_back(ConstantOp::create(
        ib, loc, DenseElementsAttr::get(stepType, ib.getI64IntegerAttr(0))));
  func::ReturnOp::create(ib, loc, initValues);
  {
    unsigned r = 0;
    for (const std::string &name : weightNames)
      init.setResultAttr(r++, kOnnxNameAttr, builder.getStringAttr(name));
    for (auto &names : stateNames)
      for (const std::string &name : names)
        init.setResultAttr(r++, kOnnxNameAttr, builder.getStringAttr(name));
    if (hasStep)
      init.setResultAttr(r++, kOnnxNameAttr, builder.getStringAttr(stepName));
  }

  // The weights become the arguments.
  for (auto [w, arg] : llvm::zip(weights, weightArgs)) {
    w.getResult().replaceAllUsesWith(arg);
    w.erase();
  }

  // Loss, gradient request, updates: before the return.
  builder.setInsertionPoint(ret);
  Location lossLoc = NameLoc::get(builder.getStringAttr("loss"), loc);
  FailureOr<Value> lossValue = failure();
  training::ClassLossOptions classOptions;
  classOptions.reduction = training::Reduction::Mean;
  switch (lossKind) {
  case LossKind::CrossEntropy: {
    auto ce = training::buildSoftmaxCrossEntropyLoss(builder, lossLoc,
                                                     prediction, label,
                                                     classOptions);
    if (succeeded(ce))
      lossValue = ce->loss;
    break;
  }
  case LossKind::NLL:
    lossValue = training::buildNLLLoss(builder, lossLoc, prediction, label,
                                       classOptions);
    break;
  case LossKind::MSE:
    lossValue = training::buildMSELoss(builder, lossLoc, prediction, label);
    break;
  }
  if (failed(lossValue))
    return failure();

  SmallVector<Value> wrt(weightArgs.begin(), weightArgs.end());
  auto gradient = GradientOp::create(builder, loc, *lossValue, wrt);
  Type floatType = predType.getElementType();
  auto lr = ConstantOp::create(
      builder, loc,
      DenseElementsAttr::get(RankedTensorType::get({}, floatType),
                             builder.getFloatAttr(floatType, learningRate)));
  Value stepNew;
  if (hasStep) {
    auto one = ConstantOp::create(
        builder, loc,
        DenseElementsAttr::get(stepType, builder.getI64IntegerAttr(1)));
    stepNew = AddOp::create(builder, loc, stepArg, one);
  }

  SmallVector<Value> newWeights;
  SmallVector<SmallVector<Value>> newState(stateKinds.size());
  for (auto [i, w] : llvm::enumerate(weightArgs)) {
    Location wLoc =
        NameLoc::get(builder.getStringAttr(weightNames[i] + ".update"), loc);
    Value g = gradient.getResult(i);
    switch (optKind) {
    case OptimizerKind::SGD: {
      auto x = training::buildSGDUpdate(builder, wLoc, lr, w, g, weightDecay);
      if (failed(x))
        return failure();
      newWeights.push_back(*x);
      break;
    }
    case OptimizerKind::Momentum:
    case OptimizerKind::Nesterov: {
      training::MomentumOptions o;
      o.alpha = momentum;
      o.beta = 1.0; // PyTorch's SGD momentum without dampening.
      o.normCoefficient = weightDecay;
      o.nesterov = optKind == OptimizerKind::Nesterov;
      auto u = training::buildMomentumUpdate(builder, wLoc, lr, stepArg, w, g,
                                             stateArgs[0][i], o);
      if (failed(u))
        return failure();
      newWeights.push_back(u->x);
      newState[0].push_back(u->v);
      break;
    }
    case OptimizerKind::Adam: {
      training::AdamOptions o;
      o.alpha = beta1;
      o.beta = beta2;
      o.epsilon = epsilon;
      o.normCoefficient = weightDecay;
      // Bias correction from the first update on, as PyTorch's Adam.
      auto u = training::buildAdamUpdate(builder, wLoc, lr, stepNew, w, g,
                                         stateArgs[0][i], stateArgs[1][i], o);
      if (failed(u))
        return failure();
      newWeights.push_back(u->x);
      newState[0].push_back(u->v);
      newState[1].push_back(u->h);
      break;
    }
    case OptimizerKind::Adagrad: {
      training::AdagradOptions o;
      o.epsilon = epsilon;
      o.normCoefficient = weightDecay;
      auto u = training::buildAdagradUpdate(builder, wLoc, lr, stepArg, w, g,
                                            stateArgs[0][i], o);
      if (failed(u))
        return failure();
      newWeights.push_back(u->x);
      newState[0].push_back(u->h);
      break;
    }
    }
  }

  // Results: loss, new weights, new state, new step count.
  SmallVector<Value> results{*lossValue};
  SmallVector<std::string> resultNames{freshName("loss", taken)};
  SmallVector<NamedAttribute> binding;
  auto addResult = [&](Value value, const std::string &stateName) {
    results.push_back(value);
    resultNames.push_back(freshName(stateName + "_new", taken));
    binding.push_back(builder.getNamedAttr(
        stateName, builder.getStringAttr(resultNames.back())));
  };
  for (auto [i, x] : llvm::enumerate(newWeights))
    addResult(x, weightNames[i]);
  for (size_t k = 0; k < stateKinds.size(); ++k)
    for (auto [i, v] : llvm::enumerate(newState[k]))
      addResult(v, stateNames[k][i]);
  if (hasStep)
    addResult(stepNew, stepName);

  ret->setOperands(results);
  SmallVector<Type> resultTypes;
  for (Value v : results)
    resultTypes.push_back(v.getType());
  func.setType(builder.getFunctionType(func.getArgumentTypes(), resultTypes));
  SmallVector<DictionaryAttr> resultAttrs;
  for (const std::string &name : resultNames)
    resultAttrs.push_back(builder.getDictionaryAttr(builder.getNamedAttr(
        kOnnxNameAttr, builder.getStringAttr(name))));
  func.setAllResultAttrs(resultAttrs);
  func->setAttr(kUpdateBindingAttr, builder.getDictionaryAttr(binding));
  func->setAttr(kInitFunctionAttr, FlatSymbolRefAttr::get(context, initName));
  numTrainable += weights.size();

  // The forward ops whose values only fed dropped outputs are dead now.
  SmallVector<Operation *> ops;
  for (Operation &op : body.without_terminator())
    ops.push_back(&op);
  for (Operation *op : llvm::reverse(ops))
    if (op->use_empty() && isPure(op))
      op->erase();
  // kiln-sparsify and kiln-quantize rewrite the step before it is
  // differentiated (kiln-quantize differentiates it itself).
  if (!quantize.empty() || !sparsify.empty())
    return success();
  return runAutodiff(func);
}

void MakeTrainStepPass::runOnOperation() {
  LossKind lossKind = LossKind::CrossEntropy;
  OptimizerKind optKind = OptimizerKind::SGD;
  if (failed(parseOptions(lossKind, optKind)))
    return signalPassFailure();
  func::FuncOp func = findEntry();
  if (!func) {
    getOperation().emitError()
        << "kiln-make-train-step: no entry function (@main, or a single "
           "public function)";
    return signalPassFailure();
  }
  if (func->hasAttr(kUpdateBindingAttr)) {
    func.emitError() << "kiln-make-train-step: @" << func.getSymName()
                     << " is already a training step";
    return signalPassFailure();
  }
  if (failed(rewrite(func, lossKind, optKind)))
    return signalPassFailure();
  if (!sparsify.empty() && failed(runSparsify()))
    return signalPassFailure();
  if (!quantize.empty()) {
    OpPassManager pm(ModuleOp::getOperationName());
    KilnQuantizeOptions options;
    options.mode = quantize;
    options.lossScale = lossScale;
    options.growthInterval = lossScaleGrowthInterval;
    pm.addPass(createKilnQuantize(options));
    if (failed(runPipeline(pm, getOperation())))
      return signalPassFailure();
  } else if (!sparsify.empty()) {
    for (auto step : getOperation().getOps<func::FuncOp>())
      if (step->hasAttr(kUpdateBindingAttr) && failed(runAutodiff(step)))
        return signalPassFailure();
  }
}

LogicalResult MakeTrainStepPass::runSparsify() {
  // sparsify={mode=nm n=2} or sparsify='mode=nm n=2': kiln-sparsify's
  // options, without the brackets or quotes.
  StringRef options = StringRef(sparsify).trim();
  if (options.size() >= 2 && ((options.front() == '{' && options.back() == '}') ||
                              (options.front() == '\'' && options.back() == '\'') ||
                              (options.front() == '"' && options.back() == '"')))
    options = options.drop_front().drop_back();
  std::unique_ptr<Pass> pass = createKilnSparsify();
  std::string message;
  if (failed(pass->initializeOptions(options, [&](const Twine &m) {
        message = m.str();
        return failure();
      }))) {
    getOperation().emitError()
        << "kiln-make-train-step: bad sparsify options '" << options << "'"
        << (message.empty() ? "" : ": ") << message;
    return failure();
  }
  OpPassManager pm(ModuleOp::getOperationName());
  pm.addPass(std::move(pass));
  return runPipeline(pm, getOperation());
}

} // namespace
