//===- NodeImporter.h - What an ONNX op importer sees -----------*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// NodeImporter wraps one ONNX node while it is being imported: typed access
// to its inputs, constant inputs and attributes, the outputs it defines, the
// opset in force, diagnostics that name the node, and op creation that turns
// a shape error into a diagnostic instead of an abort. Each ONNX op type has
// an importer function registered in an OpImporterRegistry.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_LIB_IMPORT_NODEIMPORTER_H
#define KILN_LIB_IMPORT_NODEIMPORTER_H

#include "kiln/Dialect/Kiln/KilnBuilder.h"
#include "kiln/Runtime/TensorProtoIO.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"

#include <functional>

#include <onnx/onnx_pb.h>

namespace kiln {
namespace onnx_import {

class NodeImporter;

/// How tensor literals (initializers, Constant values) are read: within
/// `limits` (size, external-data folder), and stored as dense_resource
/// blobs over `resourceThresholdBytes`.
struct LiteralOptions {
  int64_t resourceThresholdBytes = 256;
  rt::TensorReadLimits limits;
};

/// Imports one node; returns failure after emitting a diagnostic.
using OpImporterFn = mlir::LogicalResult (*)(NodeImporter &);

/// ONNX op type (default domain) -> its importer and the opset that
/// introduced the op (a node of a younger op in an older model is an
/// error, not a silent import).
class OpImporterRegistry {
public:
  void add(llvm::StringRef opType, OpImporterFn fn, int64_t sinceOpset = 1) {
    table[opType] = {fn, sinceOpset};
  }
  OpImporterFn lookup(llvm::StringRef opType) const {
    auto it = table.find(opType);
    return it == table.end() ? nullptr : it->second.fn;
  }
  /// The opset that introduced `opType` (1 for ops not registered).
  int64_t sinceOpset(llvm::StringRef opType) const {
    auto it = table.find(opType);
    return it == table.end() ? 1 : it->second.since;
  }

private:
  struct Entry {
    OpImporterFn fn;
    int64_t since;
  };
  llvm::StringMap<Entry> table;
};

// One registration function per concept file.
void registerElementwiseImporters(OpImporterRegistry &registry);
void registerQuantizationImporters(OpImporterRegistry &registry);
void registerNeuralNetImporters(OpImporterRegistry &registry);
void registerShapeImporters(OpImporterRegistry &registry);
void registerReductionImporters(OpImporterRegistry &registry);
void registerIndexingImporters(OpImporterRegistry &registry);
void registerEinsumImporters(OpImporterRegistry &registry);
void registerTrainingImporters(OpImporterRegistry &registry);
/// The ops of the ai.onnx.preview.training domain (Gradient, optimizers).
void registerPreviewTrainingImporters(OpImporterRegistry &registry);

/// Training-mode BatchNormalization and Dropout (ImportTraining.cpp), which
/// the inference importers of ImportNeuralNet.cpp hand training nodes to.
mlir::LogicalResult importBatchNormTraining(NodeImporter &n);
mlir::LogicalResult importDropoutTraining(NodeImporter &n);

/// Looks up and defines SSA values by ONNX name (owned by the graph importer).
class ValueScope {
public:
  mlir::Value lookup(llvm::StringRef name) const {
    auto it = values.find(name);
    return it == values.end() ? mlir::Value() : it->second;
  }
  void define(llvm::StringRef name, mlir::Value value) { values[name] = value; }

  /// Where the data of a graph input can be had (ImportOptions::inputData),
  /// fetched on first use.
  void setDataSource(mlir::Value input,
                     std::function<mlir::ElementsAttr()> fetch) {
    dataSources[input] = std::move(fetch);
  }
  /// The data of `value` if it is a graph input with a data source and the
  /// data has its type; null otherwise.
  mlir::DenseElementsAttr knownData(mlir::Value value) const {
    auto it = dataSources.find(value);
    if (it == dataSources.end() || !it->second)
      return {};
    auto data = llvm::dyn_cast_or_null<mlir::DenseElementsAttr>(it->second());
    return data && data.getType() == value.getType() ? data
                                                     : mlir::DenseElementsAttr();
  }

private:
  llvm::StringMap<mlir::Value> values;
  llvm::DenseMap<mlir::Value, std::function<mlir::ElementsAttr()>> dataSources;
};

class NodeImporter {
public:
  NodeImporter(const onnx::NodeProto &node, mlir::OpBuilder &builder,
               mlir::Location loc, int64_t opset, ValueScope &scope,
               const LiteralOptions &literals)
      : node(node), builder(builder), loc(loc), opsetVersion(opset),
        scope(scope), literals(literals) {}

  const onnx::NodeProto &proto() const { return node; }
  /// The first attribute read with the wrong type ("" if none): the node
  /// fails with it even when its importer went on with a default.
  const std::string &attributeError() const { return attrError; }
  const LiteralOptions &literalOptions() const { return literals; }
  mlir::OpBuilder &b() { return builder; }
  mlir::Location location() const { return loc; }
  mlir::MLIRContext *context() { return builder.getContext(); }
  /// The version of the default ONNX domain the model imports.
  int64_t opset() const { return opsetVersion; }

  //===--- Diagnostics ----------------------------------------------------===//

  /// Emits an error at the node's location ("node 'x' (OpType)").
  mlir::InFlightDiagnostic error() { return mlir::emitError(loc); }
  mlir::LogicalResult fail(const llvm::Twine &reason) {
    return error() << reason;
  }

  //===--- Inputs ---------------------------------------------------------===//

  /// Inputs present (an empty name marks an omitted optional input).
  bool hasInput(int i) const {
    return i < node.input_size() && !node.input(i).empty();
  }
  int numInputs() const { return node.input_size(); }
  /// Checks the count of inputs, and that none of the first `min` is
  /// omitted; emits a diagnostic when off.
  mlir::LogicalResult expectInputs(int min, int max);
  /// The value of input `i`; must be present (see expectInputs/hasInput).
  mlir::Value input(int i) const { return scope.lookup(node.input(i)); }
  /// The value an ONNX name is bound to so far (null if none), e.g. for
  /// Gradient's `y` and `xs` attributes.
  mlir::Value lookupName(llvm::StringRef name) const {
    return scope.lookup(name);
  }
  mlir::RankedTensorType inputType(int i) const {
    return mlir::cast<mlir::RankedTensorType>(input(i).getType());
  }
  /// Input `i` as a literal, if it is produced by a constant.
  mlir::DenseElementsAttr constantInput(int i) const;
  /// Input `i` where its value is known at import: a literal, or a graph
  /// input whose data the caller supplied (ImportOptions::inputData). Only
  /// for ops whose result *shape* depends on data (NonZero, Unique,
  /// Compress): the program is then valid for that data only.
  mlir::DenseElementsAttr knownValue(int i) const {
    if (mlir::DenseElementsAttr literal = constantInput(i))
      return literal;
    return hasInput(i) ? scope.knownData(input(i)) : mlir::DenseElementsAttr();
  }
  /// Integer literal input `i` (e.g. a shape or axes), if it is constant.
  std::optional<llvm::SmallVector<int64_t>> constantInts(int i) const;
  /// Like constantInts, but emits "input N (what) must be a constant".
  mlir::FailureOr<llvm::SmallVector<int64_t>> requireConstantInts(int i,
                                                               llvm::StringRef what);

  //===--- Attributes -----------------------------------------------------===//

  const onnx::AttributeProto *attr(llvm::StringRef name) const;
  int64_t attrInt(llvm::StringRef name, int64_t fallback) const;
  float attrFloat(llvm::StringRef name, float fallback) const;
  std::string attrString(llvm::StringRef name, llvm::StringRef fallback) const;
  std::optional<llvm::SmallVector<int64_t>> attrInts(llvm::StringRef name) const;
  /// Fails with a diagnostic if the node carries an attribute not in `known`.
  mlir::LogicalResult expectOnlyAttrs(llvm::ArrayRef<llvm::StringRef> known);

  //===--- Outputs --------------------------------------------------------===//

  int numOutputs() const { return node.output_size(); }
  bool wantsOutput(int i) const {
    return i < node.output_size() && !node.output(i).empty();
  }
  void setOutput(int i, mlir::Value value) {
    if (wantsOutput(i))
      scope.define(node.output(i), value);
  }
  /// Defines output 0 from a creation result; passes a failure through.
  mlir::LogicalResult setResult(mlir::FailureOr<mlir::Value> value) {
    if (mlir::failed(value))
      return mlir::failure();
    setOutput(0, *value);
    return mlir::success();
  }

  //===--- Building -------------------------------------------------------===//

  /// Creates OpT and verifies it. Ops that infer their result type get it
  /// inferred here (a shape error becomes a diagnostic at the node, not an
  /// abort); others take the result type as their first argument.
  template <typename OpT, typename... Args>
  mlir::FailureOr<mlir::Value> create(Args &&...args) {
    mlir::FailureOr<OpT> op =
        createChecked<OpT>(builder, loc, std::forward<Args>(args)...);
    if (mlir::failed(op))
      return mlir::failure();
    return foldLiterals(op->getOperation());
  }

  /// Normalizes a possibly negative axis; emits a diagnostic when out of
  /// range.
  mlir::FailureOr<int64_t> normalizeAxis(int64_t axis, int64_t rank);
  /// Normalizes and sorts a list of axes; rejects duplicates.
  mlir::FailureOr<llvm::SmallVector<int64_t>>
  normalizeAxes(llvm::ArrayRef<int64_t> axes, int64_t rank);

  /// Numpy-broadcasts `value` to `shape` (no-op when already that shape).
  mlir::FailureOr<mlir::Value> broadcastTo(mlir::Value value,
                                           llvm::ArrayRef<int64_t> shape);
  /// Broadcasts all `values` to their common numpy shape.
  mlir::LogicalResult broadcastAll(llvm::MutableArrayRef<mlir::Value> values);
  /// Reshapes `value` to `shape` (no-op when equal).
  mlir::FailureOr<mlir::Value> reshape(mlir::Value value,
                                       llvm::ArrayRef<int64_t> shape);
  /// A rank-0 or full-shape splat literal of `elementType`.
  mlir::Value splat(mlir::RankedTensorType type, double value);
  /// A splat literal with the shape and element type of `like`.
  mlir::Value splatLike(mlir::Value like, double value);
  /// A kiln.constant holding an ONNX TensorProto (e.g. Constant's `value`).
  mlir::FailureOr<mlir::Value> tensorConstant(const onnx::TensorProto &proto);

  /// Folds an op on integer literals into a literal (shape arithmetic, so
  /// constantInts() sees through Shape -> Slice -> Concat chains); returns
  /// its result, or the literal that replaced it.
  mlir::Value foldLiterals(mlir::Operation *op);

private:
  const onnx::NodeProto &node;
  mlir::OpBuilder &builder;
  mlir::Location loc;
  int64_t opsetVersion;
  ValueScope &scope;
  LiteralOptions literals;
  mutable std::string attrError;
  const onnx::AttributeProto *
  typedAttr(llvm::StringRef name,
            onnx::AttributeProto::AttributeType expected) const;
};

/// The MLIR element type of an ONNX TensorProto.DataType, or null with
/// `error` set when Kiln cannot hold it.
mlir::Type elementTypeFromOnnx(int32_t onnxType, mlir::MLIRContext *context,
                               std::string &error);

/// The literal of an ONNX tensor, read within `literals.limits`; tensors
/// over `literals.resourceThresholdBytes` become dense_resource blobs. Null
/// with `error` set on a bad tensor.
mlir::ElementsAttr elementsFromTensorProto(const onnx::TensorProto &proto,
                                           mlir::MLIRContext *context,
                                           const LiteralOptions &literals,
                                           std::string &error);

/// Numpy broadcasting of two shapes; std::nullopt if incompatible.
std::optional<llvm::SmallVector<int64_t>>
broadcastShapes(llvm::ArrayRef<int64_t> a, llvm::ArrayRef<int64_t> b);

} // namespace onnx_import
} // namespace kiln

#endif // KILN_LIB_IMPORT_NODEIMPORTER_H
