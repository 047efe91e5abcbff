//===- ONNXImporter.cpp - ONNX ModelProto to the kiln dialect -------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The graph-level importer: opsets, graph inputs and initializers, nodes in
// order (each handed to its op importer), graph outputs. Per-op logic lives
// in the Import*.cpp files, one per concept.
//
//===----------------------------------------------------------------------===//

#include "kiln/Import/ONNXImporter.h"
#include "NodeImporter.h"
#include "TrainingInfo.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Path.h"

#include <google/protobuf/io/coded_stream.h>

using namespace mlir;
using namespace kiln;
using namespace kiln::onnx_import;

void kiln::registerImportDialects(MLIRContext &context) {
  context.loadDialect<KilnDialect, func::FuncDialect, arith::ArithDialect>();
}

namespace {

const OpImporterRegistry &opImporters() {
  static const OpImporterRegistry registry = [] {
    OpImporterRegistry r;
    registerElementwiseImporters(r);
    registerQuantizationImporters(r);
    registerNeuralNetImporters(r);
    registerShapeImporters(r);
    registerReductionImporters(r);
    registerIndexingImporters(r);
    registerEinsumImporters(r);
    registerTrainingImporters(r);
    return r;
  }();
  return registry;
}

/// The ops of the ai.onnx.preview.training domain.
const OpImporterRegistry &previewTrainingImporters() {
  static const OpImporterRegistry registry = [] {
    OpImporterRegistry r;
    registerPreviewTrainingImporters(r);
    return r;
  }();
  return registry;
}

bool isDefaultDomain(const std::string &domain) {
  return domain.empty() || domain == "ai.onnx";
}

constexpr const char *kPreviewTrainingDomain = "ai.onnx.preview.training";

class GraphImporter {
public:
  GraphImporter(MLIRContext *context, const ImportOptions &options,
                StringRef sourceName, bool isMainGraph = true)
      : context(context), options(options), builder(context),
        sourceName(sourceName.str()), isMainGraph(isMainGraph) {}

  OwningOpRef<ModuleOp> run(const onnx::ModelProto &model);

private:
  Location fileLoc() {
    return FileLineColLoc::get(context, sourceName, 0, 0);
  }
  Location nodeLoc(const onnx::NodeProto &node, int index) {
    std::string label = node.name().empty()
                            ? "node #" + std::to_string(index)
                            : "node '" + node.name() + "'";
    label += " (" + node.op_type() + ")";
    return NameLoc::get(StringAttr::get(context, label), fileLoc());
  }
  LogicalResult fail(Location loc, const Twine &message) {
    emitError(loc) << message;
    return failure();
  }
  std::nullptr_t failNull(Location loc, const Twine &message) {
    emitError(loc) << message;
    return nullptr;
  }

  LiteralOptions literalOptions() const {
    LiteralOptions literals;
    literals.resourceThresholdBytes = options.resourceThresholdBytes;
    literals.limits.maxBytes = options.maxTensorBytes;
    literals.limits.externalDataDir = options.externalDataDir;
    return literals;
  }

  LogicalResult readOpsets(const onnx::ModelProto &model);
  LogicalResult checkDeclaredSize(const Twine &what, ArrayRef<int64_t> shape,
                                  Type element, Location loc);
  FailureOr<RankedTensorType> valueInfoType(const onnx::ValueInfoProto &info,
                                            std::optional<std::vector<int64_t>> shape);
  LogicalResult importInitializers(const onnx::GraphProto &graph);
  LogicalResult importNodes(const onnx::GraphProto &graph);
  LogicalResult checkOutput(const onnx::ValueInfoProto &info, Value value);

  MLIRContext *context;
  const ImportOptions &options;
  OpBuilder builder;
  std::string sourceName;
  /// The model's graph (not a training-info algorithm): stricter checks.
  bool isMainGraph;
  int64_t opset = 0;
  /// The version of ai.onnx.preview.training imported (0 if none).
  int64_t trainingOpset = 0;
  ValueScope scope;
};

/// The newest ai.onnx opset a model may name (ONNX 1.18); Kiln's importers
/// follow the operator versions up to it.
constexpr int64_t kNewestOpset = 23;

LogicalResult GraphImporter::readOpsets(const onnx::ModelProto &model) {
  for (const onnx::OperatorSetIdProto &id : model.opset_import()) {
    bool isDefault = isDefaultDomain(id.domain());
    if (!isDefault && id.domain() != kPreviewTrainingDomain)
      continue; // Other domains fail at their first node.
    std::string domain = isDefault ? "the default ONNX domain"
                                   : "domain '" + id.domain() + "'";
    if ((isDefault ? opset : trainingOpset) != 0)
      return fail(fileLoc(), "the model imports " + domain + " twice");
    if (id.version() < 1 || id.version() > kNewestOpset)
      return fail(fileLoc(), "the model imports version " +
                                 Twine(id.version()) + " of " + domain +
                                 " (supported: 1 to " + Twine(kNewestOpset) +
                                 ")");
    (isDefault ? opset : trainingOpset) = id.version();
  }
  // A model of training-domain ops only (e.g. one optimizer node) need not
  // import the default domain; a default-domain node then fails below.
  if (opset == 0 && trainingOpset != 0)
    return success();
  if (opset == 0 && model.opset_import_size() == 0)
    opset = 1; // IR version 2 models imply opset 1.
  if (opset == 0)
    return fail(fileLoc(), "model imports no version of the default ONNX "
                           "domain");
  return success();
}

/// A declared shape whose tensor would exceed options.maxTensorBytes (or
/// whose element count overflows) is refused before anything is allocated
/// for it, e.g. a random input of 2^62 elements in kiln-run.
LogicalResult GraphImporter::checkDeclaredSize(const Twine &what,
                                               ArrayRef<int64_t> shape,
                                               Type element, Location loc) {
  int64_t bits = element.isIntOrFloat() ? element.getIntOrFloatBitWidth() : 64;
  int64_t bytesPerElement = std::max<int64_t>(1, llvm::divideCeil(bits, 8));
  int64_t limit = options.maxTensorBytes / bytesPerElement, count = 1;
  for (int64_t d : shape) {
    if (ShapedType::isDynamic(d) || d == 0)
      return success();
  }
  for (int64_t d : shape) {
    if (count > limit / d)
      return fail(loc,
                  what + " has shape [" +
                      llvm::join(llvm::map_range(shape,
                                                 [](int64_t d) {
                                                   return std::to_string(d);
                                                 }),
                                 "x") +
                      "]: more than the limit of " +
                      Twine(options.maxTensorBytes) + " bytes per tensor");
    count *= d;
  }
  return success();
}

FailureOr<RankedTensorType>
GraphImporter::valueInfoType(const onnx::ValueInfoProto &info,
                             std::optional<std::vector<int64_t>> override) {
  Location loc = fileLoc();
  if (!info.type().has_tensor_type())
    return fail(loc, "graph value '" + info.name() +
                         "' is not a tensor (sequence, map and optional "
                         "values are not supported)");
  const onnx::TypeProto::Tensor &tensor = info.type().tensor_type();
  std::string error;
  Type element = elementTypeFromOnnx(tensor.elem_type(), context, error);
  if (!element)
    return fail(loc, "graph value '" + info.name() + "': " + error);
  if (!tensor.has_shape() && !override)
    return fail(loc, "graph value '" + info.name() +
                         "' has no shape (unknown rank is not supported)");
  SmallVector<int64_t> declared;
  for (const onnx::TensorShapeProto::Dimension &d : tensor.shape().dim())
    declared.push_back(d.has_dim_value() && d.dim_value() >= 0
                           ? d.dim_value()
                           : ShapedType::kDynamic);
  if (failed(checkDeclaredSize("graph value '" + info.name() + "'",
                               override ? ArrayRef<int64_t>(*override)
                                        : ArrayRef<int64_t>(declared),
                               element, loc)))
    return failure();
  if (!override)
    return RankedTensorType::get(declared, element);
  // A concrete shape replaces the declaration; it must agree with it.
  bool agrees = !tensor.has_shape() || override->size() == declared.size();
  for (size_t i = 0; agrees && tensor.has_shape() && i < declared.size(); ++i)
    agrees = ShapedType::isDynamic(declared[i]) || declared[i] == (*override)[i];
  if (!agrees)
    return fail(loc, "input '" + info.name() +
                         "' was given a shape that contradicts its declared "
                         "shape");
  return RankedTensorType::get(*override, element);
}

LogicalResult GraphImporter::importInitializers(const onnx::GraphProto &graph) {
  llvm::StringSet<> seen;
  for (const onnx::TensorProto &init : graph.initializer()) {
    if (!seen.insert(init.name()).second)
      return fail(fileLoc(), "initializer '" + init.name() +
                                 "' is defined twice");
    std::string error;
    ElementsAttr value =
        elementsFromTensorProto(init, context, literalOptions(), error);
    if (!value)
      return fail(fileLoc(), "initializer '" + init.name() + "': " + error);
    Location loc = NameLoc::get(StringAttr::get(context, init.name()));
    auto constant = ConstantOp::create(builder, loc, value);
    // The name lets passes such as make-train-step find weights.
    constant->setAttr(kOnnxNameAttr, builder.getStringAttr(init.name()));
    scope.define(init.name(), constant);
  }
  return success();
}

LogicalResult GraphImporter::importNodes(const onnx::GraphProto &graph) {
  for (auto [index, node] : llvm::enumerate(graph.node())) {
    Location loc = nodeLoc(node, index);
    // Each domain has its registry; a node sees its own domain's version.
    bool training = node.domain() == kPreviewTrainingDomain;
    if (!training && !isDefaultDomain(node.domain()))
      return fail(loc, "unknown opset domain '" + node.domain() + "'");
    int64_t version = training ? trainingOpset : opset;
    if (version == 0)
      return fail(loc, Twine("the model does not import the domain of this "
                             "node ('") +
                           (training ? kPreviewTrainingDomain : "ai.onnx") +
                           "')");
    const OpImporterRegistry &registry =
        training ? previewTrainingImporters() : opImporters();
    OpImporterFn importer = registry.lookup(node.op_type());
    if (!importer)
      return fail(loc, "unsupported op '" + node.op_type() + "'");
    if (int64_t since = registry.sinceOpset(node.op_type());
        !training && version < since)
      return fail(loc, "'" + node.op_type() + "' exists from opset " +
                           Twine(since) + " on; the model imports opset " +
                           Twine(version));
    for (const std::string &name : node.input())
      if (!name.empty() && !scope.lookup(name))
        return fail(loc, "input '" + name +
                             "' is not defined before use (missing, or the "
                             "graph is not topologically sorted)");
    if (node.output_size() == 0)
      return fail(loc, "the node has no outputs");
    llvm::StringSet<> outputs;
    for (const std::string &name : node.output())
      if (!name.empty() && (scope.lookup(name) || !outputs.insert(name).second))
        return fail(loc, "output '" + name +
                             "' is already defined (ONNX names are assigned "
                             "once)");
    NodeImporter nodeImporter(node, builder, loc, version, scope,
                              literalOptions());
    if (failed(importer(nodeImporter)))
      return failure();
    if (const std::string &bad = nodeImporter.attributeError(); !bad.empty())
      return fail(loc, bad);
    for (const std::string &name : node.output()) {
      if (name.empty())
        continue;
      Value result = scope.lookup(name);
      if (!result)
        return fail(loc, "output '" + name + "' is not supported");
      // A result too large to hold (e.g. ConstantOfShape to 2^93
      // elements) is refused here, before any pass materializes it.
      auto type = dyn_cast<RankedTensorType>(result.getType());
      if (type && type.hasStaticShape() &&
          failed(checkDeclaredSize("node output '" + name + "'",
                                   type.getShape(), type.getElementType(),
                                   loc)))
        return failure();
    }
  }
  return success();
}

LogicalResult GraphImporter::checkOutput(const onnx::ValueInfoProto &info,
                                         Value value) {
  auto actual = cast<RankedTensorType>(value.getType());
  if (!info.type().has_tensor_type()) {
    if (!isMainGraph)
      return success();
    return fail(fileLoc(), "graph output '" + info.name() +
                               "' has no type (the main graph's outputs must "
                               "declare one)");
  }
  const onnx::TypeProto::Tensor &declared = info.type().tensor_type();
  std::string error;
  Type element = declared.elem_type()
                     ? elementTypeFromOnnx(declared.elem_type(), context, error)
                     : actual.getElementType();
  bool ok = element == actual.getElementType();
  if (ok && declared.has_shape()) {
    ok = declared.shape().dim_size() == actual.getRank();
    for (int i = 0; ok && i < actual.getRank(); ++i) {
      const auto &d = declared.shape().dim(i);
      ok = !d.has_dim_value() || ShapedType::isDynamic(actual.getDimSize(i)) ||
           d.dim_value() == actual.getDimSize(i);
    }
  }
  if (!ok) {
    std::string s;
    llvm::raw_string_ostream os(s);
    os << "graph output '" << info.name() << "' is computed as " << actual
       << ", which contradicts its declared type";
    return fail(fileLoc(), s);
  }
  return success();
}

OwningOpRef<ModuleOp> GraphImporter::run(const onnx::ModelProto &model) {
  if (!model.has_graph())
    return failNull(fileLoc(), "model has no graph");
  if (failed(readOpsets(model)))
    return nullptr;
  const onnx::GraphProto &graph = model.graph();
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc());
  builder.setInsertionPointToEnd(module->getBody());

  llvm::StringMap<const onnx::TensorProto *> initialized;
  for (const onnx::TensorProto &init : graph.initializer())
    initialized.try_emplace(init.name(), &init);
  llvm::StringSet<> inputNames;
  for (const onnx::ValueInfoProto &info : graph.input()) {
    if (!inputNames.insert(info.name()).second)
      return failNull(fileLoc(), "graph input '" + info.name() +
                                     "' is defined twice");
    // An initialized input (a default value) must agree with its
    // declaration where the declaration is specific.
    auto it = initialized.find(info.name());
    if (it == initialized.end() || !info.type().has_tensor_type())
      continue;
    const onnx::TypeProto::Tensor &declared = info.type().tensor_type();
    const onnx::TensorProto &init = *it->second;
    bool agrees = !declared.elem_type() ||
                  declared.elem_type() == init.data_type();
    if (agrees && declared.has_shape()) {
      agrees = declared.shape().dim_size() == init.dims_size();
      for (int d = 0; agrees && d < init.dims_size(); ++d)
        agrees = !declared.shape().dim(d).has_dim_value() ||
                 declared.shape().dim(d).dim_value() == init.dims(d);
    }
    if (!agrees)
      return failNull(fileLoc(), "graph input '" + info.name() +
                                     "' is declared with another type or "
                                     "shape than its initializer");
  }

  // Runtime inputs: graph inputs without an initializer, in order.
  SmallVector<Type> argTypes;
  SmallVector<std::string> argNames;
  size_t runtimeIndex = 0;
  for (const onnx::ValueInfoProto &info : graph.input()) {
    if (initialized.contains(info.name()))
      continue;
    std::optional<std::vector<int64_t>> shape;
    if (runtimeIndex < options.inputShapes.size())
      shape = options.inputShapes[runtimeIndex];
    ++runtimeIndex;
    FailureOr<RankedTensorType> type = valueInfoType(info, shape);
    if (failed(type))
      return nullptr;
    argTypes.push_back(*type);
    argNames.push_back(info.name());
  }
  if (runtimeIndex < options.inputShapes.size())
    return failNull(fileLoc(), "given " + Twine(options.inputShapes.size()) +
                               " input shapes but the graph has " +
                               Twine(runtimeIndex) + " runtime inputs");

  auto func = func::FuncOp::create(builder, fileLoc(), options.entryName,
                                   builder.getFunctionType(argTypes, {}));
  Block *body = func.addEntryBlock();
  builder.setInsertionPointToStart(body);
  for (auto [i, name] : llvm::enumerate(argNames)) {
    func.setArgAttr(i, kOnnxNameAttr, builder.getStringAttr(name));
    scope.define(name, body->getArgument(i));
    if (options.inputData)
      scope.setDataSource(body->getArgument(i),
                          [fetch = options.inputData, i = i] { return fetch(i); });
    if (i >= options.inputValues.size() || !options.inputValues[i])
      continue;
    ElementsAttr value = options.inputValues[i];
    if (value.getType() != argTypes[i])
      return failNull(fileLoc(), "the value given for input '" + name +
                                     "' does not match its type");
    Location loc = NameLoc::get(StringAttr::get(context, name));
    scope.define(name, ConstantOp::create(builder, loc, value));
  }
  if (failed(importInitializers(graph)) || failed(importNodes(graph)))
    return nullptr;

  SmallVector<Value> results;
  for (const onnx::ValueInfoProto &info : graph.output()) {
    Value value = scope.lookup(info.name());
    if (!value)
      return failNull(fileLoc(), "graph output '" + info.name() +
                                 "' is not produced by any node");
    if (failed(checkOutput(info, value)))
      return nullptr;
    results.push_back(value);
  }
  func::ReturnOp::create(builder, fileLoc(), results);
  func.setType(builder.getFunctionType(argTypes, ValueRange(results).getTypes()));
  for (auto [i, info] : llvm::enumerate(graph.output()))
    func.setResultAttr(i, kOnnxNameAttr, builder.getStringAttr(info.name()));
  return module;
}

/// The inference graph, then ModelProto.training_info (TrainingInfo.cpp).
OwningOpRef<ModuleOp> importWithTrainingInfo(const onnx::ModelProto &model,
                                             MLIRContext *context,
                                             const ImportOptions &options,
                                             StringRef sourceName) {
  GraphImporter importer(context, options, sourceName);
  OwningOpRef<ModuleOp> module = importer.run(model);
  if (!module || !options.importTrainingInfo)
    return module;
  auto importGraph = [&](const onnx::ModelProto &graph,
                         const ImportOptions &graphOptions) {
    GraphImporter graphImporter(context, graphOptions, sourceName,
                                /*isMainGraph=*/false);
    return graphImporter.run(graph);
  };
  if (failed(importTrainingInfo(model, *module, options, importGraph)))
    return nullptr;
  return module;
}

} // namespace

OwningOpRef<ModuleOp> kiln::importONNXModel(const onnx::ModelProto &model,
                                            MLIRContext *context,
                                            const ImportOptions &options) {
  registerImportDialects(*context);
  return importWithTrainingInfo(model, context, options, "model");
}

OwningOpRef<ModuleOp> kiln::importONNXBytes(StringRef bytes,
                                            StringRef sourceName,
                                            MLIRContext *context,
                                            const ImportOptions &options) {
  registerImportDialects(*context);
  if (bytes.size() > size_t(INT32_MAX)) {
    emitError(FileLineColLoc::get(context, sourceName, 0, 0))
        << "the model file is " << bytes.size()
        << " bytes, over protobuf's 2 GB limit: store its large initializers "
           "as external data beside it (onnx.save_model(..., "
           "save_as_external_data=True))";
    return nullptr;
  }
  onnx::ModelProto model;
  google::protobuf::io::CodedInputStream stream(
      reinterpret_cast<const uint8_t *>(bytes.data()),
      static_cast<int>(std::min<size_t>(bytes.size(), INT32_MAX)));
  stream.SetRecursionLimit(100);
  if (!model.ParseFromCodedStream(&stream) || !stream.ConsumedEntireMessage()) {
    emitError(FileLineColLoc::get(context, sourceName, 0, 0))
        << "not a valid ONNX model (the protobuf does not parse)";
    return nullptr;
  }
  ImportOptions withFolder = options;
  if (withFolder.externalDataDir.empty()) {
    SmallString<256> dir(sourceName);
    llvm::sys::path::remove_filename(dir);
    withFolder.externalDataDir = dir.empty() ? "." : dir.str().str();
  }
  return importWithTrainingInfo(model, context, withFolder, sourceName);
}
