//===- TrainingInfo.cpp - Importing ModelProto.training_info --------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// ONNX describes a training program as TrainingInfoProtos beside the
// inference graph: an `algorithm` graph that, combined with the inference
// graph (lists concatenated), computes new values for some initializers
// (`update_binding`: initializer -> output), and an `initialization` graph
// whose outputs can reset initializers (`initialization_binding`).
//
// Both are imported by building the graph that the ONNX specification
// describes as a plain GraphProto — the combined graph with the mutable
// initializers turned into inputs, or the initialization graph with outputs
// for every mutable initializer — and handing it to the ordinary graph
// importer, so every op importer applies unchanged.
//
//===----------------------------------------------------------------------===//

#include "TrainingInfo.h"

#include "kiln/Training/TrainStep.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

#include <onnx/onnx_pb.h>

using namespace mlir;
using namespace kiln;
using namespace kiln::onnx_import;

namespace {

/// A graph value declaration with the element type and shape of a tensor.
onnx::ValueInfoProto valueInfoOf(const onnx::TensorProto &tensor,
                                 const std::string &name) {
  onnx::ValueInfoProto info;
  info.set_name(name);
  auto *type = info.mutable_type()->mutable_tensor_type();
  type->set_elem_type(tensor.data_type());
  auto *shape = type->mutable_shape();
  for (int64_t d : tensor.dims())
    shape->add_dim()->set_dim_value(d);
  return info;
}

class TrainingInfoImporter {
public:
  TrainingInfoImporter(const onnx::ModelProto &model, ModuleOp module,
                       const ImportOptions &options, GraphImportFn importGraph)
      : model(model), module(module), options(options),
        importGraph(importGraph), builder(module.getContext()) {}

  LogicalResult run();

private:
  LogicalResult importOne(int index, const onnx::TrainingInfoProto &info);
  LogicalResult importStep(int index, const onnx::TrainingInfoProto &info,
                           StringRef initName);
  LogicalResult importInit(int index, const onnx::TrainingInfoProto &info);

  LogicalResult fail(int index, const Twine &message) {
    emitError(module.getLoc())
        << "training_info[" << index << "]: " << message;
    return failure();
  }
  std::string funcName(StringRef base, int index) {
    return index == 0 ? base.str() : (base + "_" + Twine(index)).str();
  }
  /// A model with the source model's version and opsets around `graph`.
  onnx::ModelProto wrap(onnx::GraphProto graph) {
    onnx::ModelProto wrapped;
    wrapped.set_ir_version(model.ir_version());
    *wrapped.mutable_opset_import() = model.opset_import();
    *wrapped.mutable_graph() = std::move(graph);
    return wrapped;
  }
  /// Imports `wrapped` as function `name` and moves it into the module.
  FailureOr<func::FuncOp> importAsFunction(const onnx::ModelProto &wrapped,
                                           const std::string &name,
                                           bool specialize);

  const onnx::ModelProto &model;
  ModuleOp module;
  const ImportOptions &options;
  GraphImportFn importGraph;
  OpBuilder builder;
  /// Initializers of the inference graph and of the current algorithm.
  llvm::StringMap<const onnx::TensorProto *> initializers;
  /// Mutable initializers of the current TrainingInfoProto, in binding order.
  llvm::SmallVector<std::string> mutableNames;
};

FailureOr<func::FuncOp>
TrainingInfoImporter::importAsFunction(const onnx::ModelProto &wrapped,
                                       const std::string &name,
                                       bool specialize) {
  if (module.lookupSymbol(name))
    return (emitError(module.getLoc())
                << "cannot import training_info: a function named '" << name
                << "' already exists",
            failure());
  ImportOptions sub = options;
  sub.entryName = name;
  sub.importTrainingInfo = false;
  if (!specialize) {
    sub.inputShapes.clear();
    sub.inputValues.clear();
    sub.inputData = nullptr;
  }
  OwningOpRef<ModuleOp> imported = importGraph(wrapped, sub);
  if (!imported)
    return failure();
  auto func = imported->lookupSymbol<func::FuncOp>(name);
  if (!func)
    return failure();
  func->remove();
  module.push_back(func);
  return func;
}

LogicalResult TrainingInfoImporter::run() {
  for (const onnx::TensorProto &init : model.graph().initializer())
    initializers[init.name()] = &init;
  for (auto [i, info] : llvm::enumerate(model.training_info()))
    if (failed(importOne(i, info)))
      return failure();
  return success();
}

LogicalResult
TrainingInfoImporter::importOne(int index, const onnx::TrainingInfoProto &info) {
  // The algorithm's initializers join the inference graph's.
  llvm::StringMap<const onnx::TensorProto *> saved = initializers;
  for (const onnx::TensorProto &init : info.algorithm().initializer()) {
    if (initializers.count(init.name()))
      return fail(index, "algorithm initializer '" + init.name() +
                             "' redefines an initializer of the inference "
                             "graph");
    initializers[init.name()] = &init;
  }

  // Mutable initializers: update_binding keys, then initialization-only.
  mutableNames.clear();
  llvm::StringSet<> seen;
  auto addMutable = [&](const onnx::StringStringEntryProto &entry,
                        StringRef field) -> LogicalResult {
    if (!initializers.count(entry.key()))
      return fail(index, field + " key '" + entry.key() +
                             "' is not an initializer of the inference or "
                             "algorithm graph");
    if (seen.insert(entry.key()).second)
      mutableNames.push_back(entry.key());
    return success();
  };
  llvm::StringSet<> updated;
  for (const onnx::StringStringEntryProto &entry : info.update_binding()) {
    if (!updated.insert(entry.key()).second)
      return fail(index, "update_binding assigns '" + entry.key() + "' twice");
    if (failed(addMutable(entry, "update_binding")))
      return failure();
  }
  for (const onnx::StringStringEntryProto &entry :
       info.initialization_binding())
    if (failed(addMutable(entry, "initialization_binding")))
      return failure();

  bool hasInit = !mutableNames.empty();
  if (hasInit && failed(importInit(index, info)))
    return failure();
  bool hasAlgorithm = info.algorithm().node_size() > 0 ||
                      info.algorithm().output_size() > 0 ||
                      info.update_binding_size() > 0;
  if (hasAlgorithm &&
      failed(importStep(index, info,
                        hasInit ? funcName(kInitFuncName, index) : "")))
    return failure();
  initializers = std::move(saved);
  return success();
}

LogicalResult TrainingInfoImporter::importStep(
    int index, const onnx::TrainingInfoProto &info, StringRef initName) {
  const onnx::GraphProto &inference = model.graph();
  const onnx::GraphProto &algorithm = info.algorithm();
  llvm::StringSet<> isMutable;
  for (const std::string &name : mutableNames)
    isMutable.insert(name);

  onnx::GraphProto combined;
  combined.set_name(inference.name() + "_train_step");
  // Inputs: runtime inputs of both graphs (ONNX lists initializers as inputs
  // too before IR version 4), then the mutable initializers.
  llvm::StringSet<> inputNames;
  auto addRuntimeInputs = [&](const onnx::GraphProto &graph) {
    for (const onnx::ValueInfoProto &input : graph.input())
      if (!initializers.count(input.name()) &&
          inputNames.insert(input.name()).second)
        *combined.add_input() = input;
  };
  addRuntimeInputs(inference);
  addRuntimeInputs(algorithm);
  for (const std::string &name : mutableNames) {
    if (!inputNames.insert(name).second)
      return fail(index, "mutable initializer '" + name +
                             "' is also a runtime input");
    *combined.add_input() = valueInfoOf(*initializers[name], name);
  }
  for (const onnx::GraphProto *graph : {&inference, &algorithm}) {
    for (const onnx::TensorProto &init : graph->initializer())
      if (!isMutable.contains(init.name()))
        *combined.add_initializer() = init;
    for (const onnx::NodeProto &node : graph->node())
      *combined.add_node() = node;
    for (const onnx::ValueInfoProto &output : graph->output())
      *combined.add_output() = output;
  }

  // update_binding values must be outputs of the combined graph.
  llvm::StringSet<> outputNames;
  for (const onnx::ValueInfoProto &output : combined.output())
    outputNames.insert(output.name());
  SmallVector<NamedAttribute> binding;
  for (const onnx::StringStringEntryProto &entry : info.update_binding()) {
    if (!outputNames.contains(entry.value()))
      return fail(index, "update_binding value '" + entry.value() +
                             "' (for '" + entry.key() +
                             "') is not an output of the algorithm or "
                             "inference graph");
    binding.push_back(builder.getNamedAttr(
        entry.key(), builder.getStringAttr(entry.value())));
  }

  FailureOr<func::FuncOp> func =
      importAsFunction(wrap(std::move(combined)),
                       funcName(kTrainStepFuncName, index),
                       /*specialize=*/true);
  if (failed(func))
    return failure();
  (*func)->setAttr(kUpdateBindingAttr, builder.getDictionaryAttr(binding));
  (*func)->setAttr(kTrainingInfoIndexAttr, builder.getI64IntegerAttr(index));
  if (!initName.empty())
    (*func)->setAttr(kInitFunctionAttr,
                     FlatSymbolRefAttr::get(builder.getContext(), initName));
  return success();
}

LogicalResult
TrainingInfoImporter::importInit(int index, const onnx::TrainingInfoProto &info) {
  const onnx::GraphProto &initialization = info.initialization();
  onnx::GraphProto graph;
  graph.set_name(model.graph().name() + "_init");
  llvm::StringSet<> defined;
  for (const onnx::TensorProto &init : initialization.initializer()) {
    *graph.add_initializer() = init;
    defined.insert(init.name());
  }
  for (const onnx::ValueInfoProto &input : initialization.input())
    if (!defined.contains(input.name()))
      return fail(index, "the initialization graph has an input ('" +
                             input.name() + "'); it must have none");
  for (const onnx::NodeProto &node : initialization.node()) {
    *graph.add_node() = node;
    for (const std::string &output : node.output())
      defined.insert(output);
  }
  llvm::StringMap<std::string> bound;
  SmallVector<NamedAttribute> binding;
  for (const onnx::StringStringEntryProto &entry :
       info.initialization_binding()) {
    bool isOutput = llvm::any_of(initialization.output(), [&](const auto &o) {
      return o.name() == entry.value();
    });
    if (!isOutput)
      return fail(index, "initialization_binding value '" + entry.value() +
                             "' (for '" + entry.key() +
                             "') is not an output of the initialization "
                             "graph");
    bound[entry.key()] = entry.value();
    binding.push_back(builder.getNamedAttr(
        entry.key(), builder.getStringAttr(entry.value())));
  }
  // One output per mutable initializer: its bound initialization output, or
  // its own value from the inference/algorithm graph.
  for (const std::string &name : mutableNames) {
    const onnx::TensorProto &tensor = *initializers[name];
    auto it = bound.find(name);
    if (it != bound.end()) {
      *graph.add_output() = valueInfoOf(tensor, it->second);
      continue;
    }
    if (defined.contains(name))
      return fail(index, "initializer '" + name +
                             "' clashes with a value of the initialization "
                             "graph");
    *graph.add_initializer() = tensor;
    defined.insert(name);
    *graph.add_output() = valueInfoOf(tensor, name);
  }

  FailureOr<func::FuncOp> func = importAsFunction(
      wrap(std::move(graph)), funcName(kInitFuncName, index),
      /*specialize=*/false);
  if (failed(func))
    return failure();
  for (auto [i, name] : llvm::enumerate(mutableNames))
    func->setResultAttr(i, kOnnxNameAttr, builder.getStringAttr(name));
  (*func)->setAttr(kInitializationBindingAttr,
                   builder.getDictionaryAttr(binding));
  (*func)->setAttr(kTrainingInfoIndexAttr, builder.getI64IntegerAttr(index));
  return success();
}

} // namespace

LogicalResult onnx_import::importTrainingInfo(const onnx::ModelProto &model,
                                              ModuleOp module,
                                              const ImportOptions &options,
                                              GraphImportFn importGraph) {
  if (model.training_info_size() == 0)
    return success();
  return TrainingInfoImporter(model, module, options, importGraph).run();
}
