//===- TrainingInfo.h - Importing ModelProto.training_info ------*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Internal to lib/Import: the graph importer calls importTrainingInfo after
// the inference graph is imported (see kiln/Training/TrainStep.h for what
// the imported functions look like).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_LIB_IMPORT_TRAININGINFO_H
#define KILN_LIB_IMPORT_TRAININGINFO_H

#include "kiln/Import/ONNXImporter.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"

namespace kiln {
namespace onnx_import {

/// Imports one whole (synthetic) model into a new module with the graph
/// importer, under `options.entryName`; null after diagnostics.
using GraphImportFn = llvm::function_ref<mlir::OwningOpRef<mlir::ModuleOp>(
    const onnx::ModelProto &, const ImportOptions &)>;

/// For each ModelProto.training_info[i], adds to `module`:
///   @kiln_train_step[_i]: the inference graph followed by the `algorithm`
///     graph (ONNX's "combined graph"). Arguments: the inference graph's
///     runtime inputs, the algorithm's runtime inputs, then the mutable
///     initializers (keys of update_binding and initialization_binding), in
///     binding order. Results: the inference graph's outputs, then the
///     algorithm's. Other initializers stay constants.
///   @kiln_init[_i]: no arguments; returns the initial value of every
///     mutable initializer (named by it): the `initialization` graph's bound
///     output, or the initializer's own value where none is bound.
/// Bindings are kept as attributes (kiln.update_binding,
/// kiln.initialization_binding, kiln.init_function). Emits diagnostics that
/// name training_info[i] and fails on a malformed TrainingInfoProto.
mlir::LogicalResult importTrainingInfo(const onnx::ModelProto &model,
                                       mlir::ModuleOp module,
                                       const ImportOptions &options,
                                       GraphImportFn importGraph);

} // namespace onnx_import
} // namespace kiln

#endif // KILN_LIB_IMPORT_TRAININGINFO_H
