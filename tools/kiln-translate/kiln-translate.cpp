//===- kiln-translate.cpp - Kiln's translation driver ---------------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// mlir-translate with Kiln's translations: `--import-onnx` (ONNX model to
// kiln MLIR), `--export-qat-qdq` (a model trained with kiln-quantize's
// qat-int8 mode, plus its trained state, to ONNX QuantizeLinear/
// DequantizeLinear int8) next to MLIR's own (e.g. `--mlir-to-llvmir`).
//
//===----------------------------------------------------------------------===//

#include "kiln/Export/QDQExport.h"
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

static llvm::cl::opt<std::string> qatState(
    "qat-state",
    llvm::cl::desc("--export-qat-qdq: the folder with the trained state "
                   "(kiln-run --write-initializers after training with "
                   "quantize=qat-int8: weights and qat.amax_K.pb)"),
    llvm::cl::value_desc("dir"));

static void registerExportQATQDQ() {
  TranslateRegistration exportQdq(
      "export-qat-qdq",
      "write a QAT-trained ONNX model (with --qat-state) as int8 "
      "QuantizeLinear/DequantizeLinear ONNX",
      [](const std::shared_ptr<llvm::SourceMgr> &sourceMgr,
         llvm::raw_ostream &output, MLIRContext *context) {
        kiln::OneLineDiagnostics diagnostics(*context, "kiln-translate");
        Location loc = UnknownLoc::get(context);
        if (qatState.empty())
          return emitError(loc) << "export-qat-qdq: needs --qat-state=DIR",
                 failure();
        const llvm::MemoryBuffer *file =
            sourceMgr->getMemoryBuffer(sourceMgr->getMainFileID());
        llvm::Expected<std::string> bytes =
            kiln::exportQATModelAsQDQ(file->getBuffer(), qatState);
        if (!bytes)
          return emitError(loc) << llvm::toString(bytes.takeError()),
                 failure();
        output << *bytes;
        return success();
      });
}

int main(int argc, char **argv) {
  registerAllTranslations();
  registerImportONNX();
  registerExportQATQDQ();
  return failed(mlirTranslateMain(argc, argv, "Kiln translation driver"));
}
