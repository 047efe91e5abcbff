//===- Diagnostics.h - One-line diagnostics for Kiln's tools ----*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Kiln's tools report a problem on one line that names where it is (an ONNX
// node and its op type, a graph value, a file) and why, e.g.
//   kiln-run: error: node 'conv1' (Conv): filter has 3 input channels, ...
// Scripts match on these lines, so their shape is part of the tool contract.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_SUPPORT_DIAGNOSTICS_H
#define KILN_SUPPORT_DIAGNOSTICS_H

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Location.h"

#include <memory>
#include <string>

namespace kiln {

/// "node 'x' (Conv)" for an imported node, "file.onnx" for a file, and
/// "file:line:col" for MLIR text.
std::string describeLocation(mlir::Location loc);

/// While alive, prints every diagnostic of `context` to stderr as
/// "<tool>: <severity>: <where>: <message>" (notes indented below).
class OneLineDiagnostics {
public:
  /// Remarks (what passes report they did) are printed only when
  /// `showRemarks` is set; errors, warnings and notes always are.
  OneLineDiagnostics(mlir::MLIRContext &context, std::string toolName,
                     bool showRemarks = true);
  ~OneLineDiagnostics();

  /// Number of errors printed so far.
  int numErrors() const { return errors; }

private:
  mlir::MLIRContext &context;
  std::string tool;
  mlir::DiagnosticEngine::HandlerID id;
  int errors = 0;
};

} // namespace kiln

#endif // KILN_SUPPORT_DIAGNOSTICS_H
