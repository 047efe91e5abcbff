//===- Diagnostics.cpp - One-line diagnostics for Kiln's tools ------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//

#include "kiln/Support/Diagnostics.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

std::string kiln::describeLocation(Location loc) {
  if (auto name = dyn_cast<NameLoc>(loc))
    return name.getName().str();
  if (auto file = dyn_cast<FileLineColLoc>(loc)) {
    std::string s = file.getFilename().str();
    if (file.getLine() != 0)
      s += ":" + std::to_string(file.getLine()) + ":" +
           std::to_string(file.getColumn());
    return s;
  }
  if (auto fused = dyn_cast<FusedLoc>(loc))
    if (!fused.getLocations().empty())
      return describeLocation(fused.getLocations().front());
  if (auto call = dyn_cast<CallSiteLoc>(loc))
    return describeLocation(call.getCallee());
  return "";
}

static const char *severityName(DiagnosticSeverity severity) {
  switch (severity) {
  case DiagnosticSeverity::Error:
    return "error";
  case DiagnosticSeverity::Warning:
    return "warning";
  case DiagnosticSeverity::Remark:
    return "remark";
  case DiagnosticSeverity::Note:
    return "note";
  }
  return "error";
}

kiln::OneLineDiagnostics::OneLineDiagnostics(MLIRContext &context,
                                             std::string toolName,
                                             bool showRemarks)
    : context(context), tool(std::move(toolName)) {
  id = context.getDiagEngine().registerHandler([this, showRemarks](
                                                   Diagnostic &diag) {
    if (diag.getSeverity() == DiagnosticSeverity::Remark && !showRemarks)
      return success();
    if (diag.getSeverity() == DiagnosticSeverity::Error)
      ++errors;
    llvm::raw_ostream &os = llvm::errs();
    os << tool << ": " << severityName(diag.getSeverity()) << ": ";
    std::string where = describeLocation(diag.getLocation());
    if (!where.empty())
      os << where << ": ";
    os << diag.str() << "\n";
    for (Diagnostic &note : diag.getNotes()) {
      std::string noteWhere = describeLocation(note.getLocation());
      os << "  note: " << (noteWhere.empty() ? "" : noteWhere + ": ")
         << note.str() << "\n";
    }
    return success();
  });
}

kiln::OneLineDiagnostics::~OneLineDiagnostics() {
  context.getDiagEngine().eraseHandler(id);
}
