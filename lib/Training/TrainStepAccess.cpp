//===- TrainStepAccess.cpp - Reading and extending a training step --------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// See TrainStepAccess.h: name lookups on a training step's signature and the
// one way state is added (argument, bound result, initial value).
//
//===----------------------------------------------------------------------===//

#include "kiln/Training/TrainStepAccess.h"

#include "kiln/Import/ONNXImporter.h"
#include "kiln/Training/TrainStep.h"

#include "llvm/ADT/StringSet.h"

using namespace mlir;

namespace kiln {
namespace training {

namespace {

DictionaryAttr namedAttrs(MLIRContext *context, StringRef name) {
  Builder b(context);
  return b.getDictionaryAttr(
      b.getNamedAttr(kOnnxNameAttr, b.getStringAttr(name)));
}

} // namespace

FailureOr<TrainStepParts> trainStepParts(ModuleOp module, func::FuncOp step,
                                         StringRef pass) {
  auto fail = [&](const Twine &message) {
    step.emitError() << pass << ": @" << step.getSymName() << ": "
                     << message;
    return failure();
  };
  if (!step.getBody().hasOneBlock())
    return fail("the training step must have a single block");
  SmallVector<GradientOp> requests(step.getBody().front().getOps<GradientOp>());
  if (requests.size() != 1)
    return fail(requests.empty()
                    ? "no kiln.gradient request (run " + pass +
                          " before kiln-autodiff; kiln-make-train-step's "
                          "quantize= option does)"
                    : Twine("more than one kiln.gradient request"));
  auto binding = step->getAttrOfType<DictionaryAttr>(kUpdateBindingAttr);
  func::FuncOp init = initFunction(module, step);
  if (!binding || !init)
    return fail("not a training step (no kiln.update_binding or no init "
                "function)");
  return TrainStepParts{requests.front(), init, binding};
}

SmallVector<Operation *> forwardContractions(func::FuncOp step,
                                            GradientOp request) {
  SmallVector<Operation *> contractions;
  for (Operation &op : step.getBody().front()) {
    if (&op == request.getOperation())
      break;
    if (isa<MatmulOp, Conv2dOp>(op) &&
        cast<RankedTensorType>(op.getResult(0).getType())
            .getElementType()
            .isF32())
      contractions.push_back(&op);
  }
  return contractions;
}

Value weightBehind(Value v, const llvm::DenseSet<Value> &weights) {
  while (!weights.contains(v)) {
    Operation *def = v.getDefiningOp();
    if (!def || !isa<TransposeOp, ReshapeOp, BroadcastOp>(def))
      return Value();
    v = def->getOperand(0);
  }
  return v;
}

int64_t tensorBytes(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape() ||
      !tensor.getElementType().isIntOrFloat())
    return 0;
  return tensor.getNumElements() *
         ((tensor.getElementType().getIntOrFloatBitWidth() + 7) / 8);
}

std::string argumentName(func::FuncOp func, unsigned index) {
  auto name = func.getArgAttrOfType<StringAttr>(index, kOnnxNameAttr);
  return name ? name.str() : std::string();
}

std::string resultName(func::FuncOp func, unsigned index) {
  auto name = func.getResultAttrOfType<StringAttr>(index, kOnnxNameAttr);
  return name ? name.str() : std::string();
}

std::optional<unsigned> findArgument(func::FuncOp func, StringRef name) {
  for (unsigned i = 0; i < func.getNumArguments(); ++i)
    if (argumentName(func, i) == name)
      return i;
  return std::nullopt;
}

std::optional<unsigned> findResult(func::FuncOp func, StringRef name) {
  for (unsigned i = 0; i < func.getNumResults(); ++i)
    if (resultName(func, i) == name)
      return i;
  return std::nullopt;
}

std::string freshName(func::FuncOp func, StringRef base) {
  llvm::StringSet<> taken;
  for (unsigned i = 0; i < func.getNumArguments(); ++i)
    taken.insert(argumentName(func, i));
  for (unsigned i = 0; i < func.getNumResults(); ++i)
    taken.insert(resultName(func, i));
  std::string name = base.str();
  for (int k = 1; taken.contains(name); ++k)
    name = (base + "_" + Twine(k)).str();
  return name;
}

func::FuncOp initFunction(ModuleOp module, func::FuncOp step) {
  auto ref = step->getAttrOfType<FlatSymbolRefAttr>(kInitFunctionAttr);
  return ref ? module.lookupSymbol<func::FuncOp>(ref.getValue())
             : func::FuncOp();
}

void appendResult(func::FuncOp func, Value value, StringRef name) {
  auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  SmallVector<Value> results(ret.getOperands());
  SmallVector<DictionaryAttr> attrs;
  for (unsigned i = 0; i < func.getNumResults(); ++i)
    attrs.push_back(func.getResultAttrDict(i));
  results.push_back(value);
  attrs.push_back(namedAttrs(func.getContext(), name));
  ret->setOperands(results);
  func.setType(FunctionType::get(func.getContext(), func.getArgumentTypes(),
                                 ValueRange(results).getTypes()));
  func.setAllResultAttrs(attrs);
}

BlockArgument addStateArgument(func::FuncOp step, StringRef name,
                               Type type) {
  unsigned index = step.getNumArguments();
  (void)step.insertArgument(index, type, namedAttrs(step.getContext(), name),
                            step.getLoc());
  return step.getArgument(index);
}

void bindState(func::FuncOp step, func::FuncOp init, StringRef name,
               Value next, function_ref<Value(OpBuilder &)> initial) {
  OpBuilder b(step.getContext());
  std::string nextName = freshName(step, (name + "_new").str());
  appendResult(step, next, nextName);
  auto binding = step->getAttrOfType<DictionaryAttr>(kUpdateBindingAttr);
  SmallVector<NamedAttribute> entries(binding.begin(), binding.end());
  entries.push_back(b.getNamedAttr(name, b.getStringAttr(nextName)));
  step->setAttr(kUpdateBindingAttr, b.getDictionaryAttr(entries));
  b.setInsertionPoint(init.getBody().front().getTerminator());
  appendResult(init, initial(b), name);
}

} // namespace training
} // namespace kiln
