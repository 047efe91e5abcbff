//===- FuzzContext.h - The MLIR context the fuzz targets share ---*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// A context with every dialect Kiln's pipelines touch, its diagnostics
// swallowed (the fuzzers look for crashes, not messages). It is replaced
// every few hundred inputs, so that attributes and types uniqued from
// earlier inputs do not accumulate over millions of runs.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TOOLS_KILN_FUZZ_FUZZCONTEXT_H
#define KILN_TOOLS_KILN_FUZZ_FUZZCONTEXT_H

#include "kiln/Dialect/Kiln/KilnDialect.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"

#include <memory>

namespace kiln {
namespace fuzz {

inline mlir::MLIRContext &freshContextEvery(unsigned inputs) {
  static std::unique_ptr<mlir::MLIRContext> context;
  static std::unique_ptr<mlir::ScopedDiagnosticHandler> quiet;
  static unsigned used = 0;
  if (!context || ++used % inputs == 0) {
    quiet.reset();
    mlir::DialectRegistry registry;
    mlir::registerAllDialects(registry);
    mlir::registerAllExtensions(registry);
    registry.insert<kiln::KilnDialect>();
    context = std::make_unique<mlir::MLIRContext>(
        registry, mlir::MLIRContext::Threading::DISABLED);
    context->loadAllAvailableDialects();
    quiet = std::make_unique<mlir::ScopedDiagnosticHandler>(
        context.get(), [](mlir::Diagnostic &) { return mlir::success(); });
  }
  return *context;
}

} // namespace fuzz
} // namespace kiln

#endif // KILN_TOOLS_KILN_FUZZ_FUZZCONTEXT_H
