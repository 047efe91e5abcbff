//===- kiln-translate.cpp - Kiln's translation driver ---------------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// mlir-translate with Kiln's translations: `--import-onnx` (ONNX model to
// kiln MLIR) next to MLIR's own (e.g. `--mlir-to-llvmir`).
//
//===----------------------------------------------------------------------===//

#include "kiln/Import/ONNXImporter.h"
#include "kiln/Support/Diagnostics.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/InitAllTranslations.h"
#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

using namespace mlir;

static void registerImportONNX() {
  TranslateToMLIRRegistration importOnnx(
      "import-onnx", "import an ONNX model (.onnx) into the kiln dialect",
      [](llvm::SourceMgr &sourceMgr, MLIRContext *context) {
        // Import errors name the ONNX node, as in kiln-opt and kiln-run.
        kiln::OneLineDiagnostics diagnostics(*context, "kiln-translate");
        const llvm::MemoryBuffer *file =
            sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID());
        OwningOpRef<ModuleOp> module = kiln::importONNXBytes(
            file->getBuffer(), file->getBufferIdentifier(), context);
        return OwningOpRef<Operation *>(module.release());
      });
}

int main(int argc, char **argv) {
  registerAllTranslations();
  registerImportONNX();
  return failed(mlirTranslateMain(argc, argv, "Kiln translation driver"));
}
