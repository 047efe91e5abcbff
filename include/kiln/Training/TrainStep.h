//===- TrainStep.h - The contract of a training-step function ---*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// A training step is a `func.func` that a driver (kiln-run --train-steps, or
// an embedding runtime) calls repeatedly, feeding some of its results back
// as arguments. Both producers of training steps follow this contract: the
// ONNX importer (TrainingInfoProto's `algorithm` graph becomes
// @kiln_train_step) and the make-train-step pass.
//
//   - Every argument and result carries its ONNX-level name in
//     `kiln.onnx_name` (kiln::kOnnxNameAttr).
//   - `kiln.update_binding` (a DictionaryAttr on the function) maps a state
//     name (the kiln.onnx_name of an argument) to the kiln.onnx_name of the
//     result that holds its value for the next step — ONNX's
//     TrainingInfoProto.update_binding.
//   - `kiln.init_function` (a FlatSymbolRefAttr on the function) names a
//     function without arguments whose results, named by kiln.onnx_name,
//     are the initial values of the state (trained weights, optimizer state,
//     step counters).
//   - The arguments whose names are results of the init function are state;
//     the others are data (inputs, labels), bound by the caller in order.
//
// This header only names the attributes; it has no link dependency.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TRAINING_TRAINSTEP_H
#define KILN_TRAINING_TRAINSTEP_H

#include "llvm/ADT/StringRef.h"

namespace kiln {

/// DictionaryAttr: state name -> name of the result with its next value.
inline constexpr llvm::StringLiteral kUpdateBindingAttr = "kiln.update_binding";
/// DictionaryAttr on an imported init function: initializer name -> the
/// initialization graph's output bound to it (TrainingInfoProto's
/// initialization_binding, as written in the model).
inline constexpr llvm::StringLiteral kInitializationBindingAttr =
    "kiln.initialization_binding";
/// FlatSymbolRefAttr: the function that computes the initial state.
inline constexpr llvm::StringLiteral kInitFunctionAttr = "kiln.init_function";
/// IntegerAttr on imported training functions: the index i of
/// ModelProto.training_info[i] they come from.
inline constexpr llvm::StringLiteral kTrainingInfoIndexAttr =
    "kiln.training_info_index";

/// Names of the functions imported from ModelProto.training_info[i]:
/// kiln_train_step / kiln_init for i = 0, kiln_train_step_<i> /
/// kiln_init_<i> after.
inline constexpr llvm::StringLiteral kTrainStepFuncName = "kiln_train_step";
inline constexpr llvm::StringLiteral kInitFuncName = "kiln_init";

} // namespace kiln

#endif // KILN_TRAINING_TRAINSTEP_H
