//===- ONNXImporter.h - ONNX ModelProto to the kiln dialect -----*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Imports an ONNX model into a module holding one `func.func` of kiln ops.
// Graph inputs without an initializer become arguments, initializers become
// kiln.constant, graph outputs become results; ONNX names are kept as
// `kiln.onnx_name` argument/result attributes. Every failure is an MLIR
// diagnostic that names the node, its op type and the reason.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_IMPORT_ONNXIMPORTER_H
#define KILN_IMPORT_ONNXIMPORTER_H

#include "mlir/IR/BuiltinAttributeInterfaces.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace onnx {
class ModelProto;
} // namespace onnx

namespace kiln {

struct ImportOptions {
  /// Name of the generated function.
  std::string entryName = "main";
  /// Optional concrete shapes for the graph's runtime inputs (those without
  /// an initializer), in order. A given shape replaces the declared one; it
  /// must agree with every static dimension declared. This is how a model
  /// with symbolic dimensions is specialized once its inputs are known.
  std::vector<std::optional<std::vector<int64_t>>> inputShapes;
  /// Optional values for the runtime inputs, in order (null: not given).
  /// A given value replaces the input inside the function body (the
  /// argument stays, unused), so shape-carrying inputs such as Reshape's
  /// `shape` become constants. The program is then valid for these values
  /// only: kiln-run compiles per data set, so this is sound there.
  std::vector<mlir::ElementsAttr> inputValues;
  /// Optional: the full data of runtime input `i` (in order), fetched only
  /// where an op's result *shape* depends on data (NonZero, Unique,
  /// Compress's condition): the importer then specializes the op to that
  /// data instead of rejecting it. Valid for these values only, like
  /// inputValues. Null (or a null result): not known.
  std::function<mlir::ElementsAttr(size_t)> inputData;
  /// Initializers larger than this many bytes are stored as dense_resource
  /// blobs rather than inline literals.
  int64_t resourceThresholdBytes = 256;
  /// Also import ModelProto.training_info: @kiln_train_step and @kiln_init
  /// functions beside the entry (see kiln/Training/TrainStep.h).
  bool importTrainingInfo = true;
  /// The largest tensor, in bytes, the model may declare: an initializer,
  /// a graph input or output, or a constant. Larger ones are refused before
  /// anything is allocated.
  int64_t maxTensorBytes = int64_t(1) << 36;
  /// The folder that external data (initializers stored beside the model)
  /// is read from, confined to it; importONNXBytes sets it to the model
  /// file's folder when empty.
  std::string externalDataDir;
};

/// Imports `model`; returns null after emitting diagnostics on failure.
mlir::OwningOpRef<mlir::ModuleOp>
importONNXModel(const onnx::ModelProto &model, mlir::MLIRContext *context,
                const ImportOptions &options = {});

/// Parses the bytes of an ONNX file (e.g. `model.onnx`), then imports it.
/// `sourceName` names the file in diagnostics.
mlir::OwningOpRef<mlir::ModuleOp>
importONNXBytes(llvm::StringRef bytes, llvm::StringRef sourceName,
                mlir::MLIRContext *context, const ImportOptions &options = {});

/// Registers what an imported module needs (kiln, func, arith dialects).
void registerImportDialects(mlir::MLIRContext &context);

/// The name of the ONNX attribute that keeps graph input/output names.
inline constexpr llvm::StringLiteral kOnnxNameAttr = "kiln.onnx_name";

} // namespace kiln

#endif // KILN_IMPORT_ONNXIMPORTER_H
