//===- ONNXExport.h - A kiln function written as an ONNX model --*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// `kiln-translate --export-onnx`: one function of a kiln program (an
// imported model, or a training step that make-train-step generated, remat
// rebuilt or fuse grouped) written back as an ONNX model (opset 17) that
// onnx's checker accepts and that Kiln re-imports to the same results.
// Arguments become graph inputs and results graph outputs, under their
// ONNX names (kiln.onnx_name) where they have one; constants become
// initializers; fusion groups are exported as the ops inside them;
// gradient requests must be expanded first (the exporter runs kiln-autodiff
// on a copy). Each kiln op maps to one ONNX op or a short fixed sequence;
// an op without an ONNX equivalent (e.g. max_pool2d_backward) is an error
// naming it and its location.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_EXPORT_ONNXEXPORT_H
#define KILN_EXPORT_ONNXEXPORT_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>

namespace mlir {
class ModuleOp;
} // namespace mlir

namespace kiln {

struct ONNXExportOptions {
  /// The function to export; empty: @main, else the module's only public
  /// function.
  std::string function;
  /// The graph's name in the model.
  std::string graphName = "kiln";
};

/// The serialized ModelProto of the chosen function of `module` (a copy is
/// differentiated first; `module` is not changed). Errors name the op and
/// its location.
llvm::Expected<std::string> exportToONNX(mlir::ModuleOp module,
                                         const ONNXExportOptions &options = {});

} // namespace kiln

#endif // KILN_EXPORT_ONNXEXPORT_H
