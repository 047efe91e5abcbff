//===- embed-opt.cpp - An opt-like tool of another compiler, with Kiln ----===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// What a compiler that embeds Kiln does: registers the kiln dialect and
// Kiln's passes next to its own, and uses a Kiln pass inside its own
// pipeline. `--embed-lower` is this tool's pipeline: its own pass
// (`embed-count-kiln-ops`, which reports how many kiln ops a function has)
// around Kiln's kiln-autodiff, kiln-fuse and convert-kiln-to-linalg.
//
//===----------------------------------------------------------------------===//

#include "kiln/Conversion/Passes.h"
#include "kiln/Dialect/Kiln/KilnDialect.h"
#include "kiln/Passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

namespace {

/// This compiler's own pass: counts the kiln ops of each function and says
/// so in a remark (before lowering: some; after: none).
struct CountKilnOpsPass
    : public PassWrapper<CountKilnOpsPass, OperationPass<func::FuncOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(CountKilnOpsPass)

  StringRef getArgument() const final { return "embed-count-kiln-ops"; }
  StringRef getDescription() const final {
    return "Report the number of kiln ops of each function";
  }
  void runOnOperation() override {
    int64_t count = 0;
    getOperation().walk([&](Operation *op) {
      if (isa<kiln::KilnDialect>(op->getDialect()))
        ++count;
    });
    getOperation().emitRemark()
        << "embed: @" << getOperation().getSymName() << " has " << count
        << " kiln ops";
  }
};

void buildEmbedLowering(OpPassManager &pm) {
  pm.addNestedPass<func::FuncOp>(std::make_unique<CountKilnOpsPass>());
  pm.addNestedPass<func::FuncOp>(kiln::createKilnAutodiff());
  pm.addNestedPass<func::FuncOp>(kiln::createKilnFuse());
  pm.addPass(kiln::createConvertKilnToLinalg());
  pm.addPass(createCanonicalizerPass());
  pm.addNestedPass<func::FuncOp>(std::make_unique<CountKilnOpsPass>());
}

} // namespace

int main(int argc, char **argv) {
  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registry.insert<kiln::KilnDialect>();

  registerAllPasses();
  kiln::registerKilnPasses();           // kiln-autodiff, kiln-fuse, ...
  kiln::registerKilnConversionPasses(); // convert-kiln-to-linalg, ...
  PassRegistration<CountKilnOpsPass>();
  PassPipelineRegistration<>(
      "embed-lower",
      "This compiler's pipeline: Kiln's autodiff, fusion and lowering to "
      "linalg, with its own op count before and after",
      buildEmbedLowering);

  return asMainReturnCode(
      MlirOptMain(argc, argv, "embed-opt: a compiler that embeds Kiln\n",
                  registry));
}
