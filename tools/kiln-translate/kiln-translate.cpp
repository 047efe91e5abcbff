//===- kiln-translate.cpp - Kiln's translation driver ---------------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// mlir-translate with Kiln's translations: `--import-onnx` (ONNX model to
// kiln MLIR), `--export-qat-qdq` (a model trained with kiln-quantize's
// qat-int8 mode, plus its trained state, to ONNX QuantizeLinear/
// DequantizeLinear int8), `--export-ptx` (a kiln or tensor-level program
// through the CUDA pipeline, each kernel module written as PTX),
// `--export-halide-ptx` (a kiln function's halide-cuda kernels as PTX) next to
// MLIR's own (e.g. `--mlir-to-llvmir`).
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/CUDA/Pipeline.h"
#include "kiln/Export/ONNXExport.h"
#include "kiln/Codegen/Halide/HalideExecutor.h"
#include "kiln/Conversion/Passes.h"
#include "kiln/Dialect/Kiln/KilnDialect.h"
#include "kiln/Passes/Passes.h"
#include "kiln/Export/QDQExport.h"
#include "kiln/Import/ONNXImporter.h"
#include "kiln/Support/Diagnostics.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
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

static llvm::cl::opt<std::string> ptxDir(
    "ptx-dir",
    llvm::cl::desc("--export-ptx: the folder that receives one "
                   "<kernel module>.<chip>.ptx per kernel module"),
    llvm::cl::value_desc("dir"));
static llvm::cl::opt<std::string> cudaChip(
    "cuda-chip",
    llvm::cl::desc("--export-ptx: GPU architecture (sm_80, sm_90)"),
    llvm::cl::init("sm_90"));

static void registerExportPTX() {
  TranslateFromMLIRRegistration exportPtx(
      "export-ptx",
      "compile a kiln (or tensor-level) program for CUDA and write each "
      "kernel module's PTX to --ptx-dir; prints the files written",
      [](Operation *op, llvm::raw_ostream &output) {
        auto module = dyn_cast<ModuleOp>(op);
        MLIRContext *context = op->getContext();
        kiln::OneLineDiagnostics diagnostics(*context, "kiln-translate");
        if (!module || ptxDir.empty())
          return op->emitError("export-ptx: needs a module and --ptx-dir=DIR"),
                 failure();
        // Gradient requests (an imported training graph) expand first.
        PassManager pm(context);
        pm.addNestedPass<func::FuncOp>(kiln::createKilnAutodiff());
        pm.addPass(kiln::createConvertKilnToLinalg());
        kiln::cuda::CUDAPipelineOptions options;
        options.chip = cudaChip;
        kiln::cuda::buildCUDAPipeline(pm, options);
        if (failed(pm.run(module)))
          return failure();
        FailureOr<unsigned> written = kiln::cuda::writePTX(module, ptxDir);
        if (failed(written))
          return failure();
        output << "export-ptx: " << *written << " kernel modules for "
               << cudaChip << " in " << ptxDir << "\n";
        return success();
      },
      [](DialectRegistry &registry) {
        registerAllDialects(registry);
        registerAllExtensions(registry);
        registerAllToLLVMIRTranslations(registry);
        registry.insert<kiln::KilnDialect>();
      });
}

static llvm::cl::opt<std::string> halideEntry(
    "halide-entry",
    llvm::cl::desc("--export-halide-ptx: the function to compile (default: "
                   "@main, else the only public function)"),
    llvm::cl::value_desc("name"));

static void registerExportHalidePTX() {
  TranslateFromMLIRRegistration exportPtx(
      "export-halide-ptx",
      "compile a kiln function for halide-cuda (Halide 14, one kernel per "
      "op) and write its PTX to --ptx-dir as <function>.halide.sm_<N>.ptx; "
      "--cuda-chip sm_80 or sm_86 (sm_90 runs sm_80 PTX)",
      [](Operation *op, llvm::raw_ostream &output) {
        auto module = dyn_cast<ModuleOp>(op);
        MLIRContext *context = op->getContext();
        kiln::OneLineDiagnostics diagnostics(*context, "kiln-translate");
        if (!module || ptxDir.empty())
          return op->emitError(
                     "export-halide-ptx: needs a module and --ptx-dir=DIR"),
                 failure();
        std::string entry = halideEntry;
        if (entry.empty()) {
          for (auto func : module.getOps<func::FuncOp>()) {
            if (func.isPrivate() || func.isExternal())
              continue;
            if (func.getSymName() == "main" || entry.empty())
              entry = func.getSymName().str();
          }
        }
        kiln::halide::HalideOptions options;
        StringRef chip = cudaChip;
        if (chip == "sm_80" || chip == "sm_90")
          options.cudaCapability = 80;
        else if (chip == "sm_86")
          options.cudaCapability = 86;
        else
          return op->emitError("export-halide-ptx: --cuda-chip ")
                     << chip << " is not one Halide 14 targets (sm_80, sm_86, "
                     << "sm_90 through sm_80 PTX)",
                 failure();
        // Gradient requests (an imported training graph) expand first.
        PassManager pm(context);
        pm.addNestedPass<func::FuncOp>(kiln::createKilnAutodiff());
        if (failed(pm.run(module)))
          return failure();
        auto written =
            kiln::halide::writeHalidePTX(module, entry, options, ptxDir);
        if (!written)
          return op->emitError(llvm::toString(written.takeError())),
                 failure();
        output << "export-halide-ptx: " << *written << "\n";
        return success();
      },
      [](DialectRegistry &registry) {
        registerAllDialects(registry);
        registerAllExtensions(registry);
        registry.insert<kiln::KilnDialect>();
      });
}

static llvm::cl::opt<std::string> exportFunction(
    "export-function",
    llvm::cl::desc("--export-onnx: the function to write (default: @main, "
                   "else the only public function)"),
    llvm::cl::value_desc("name"));

static void registerExportONNX() {
  TranslateFromMLIRRegistration exportOnnx(
      "export-onnx",
      "write a kiln function (e.g. a training step after make-train-step, "
      "remat or fuse) as an ONNX model, opset 17; gradient requests are "
      "expanded first",
      [](Operation *op, llvm::raw_ostream &output) {
        auto module = dyn_cast<ModuleOp>(op);
        kiln::OneLineDiagnostics diagnostics(*op->getContext(),
                                             "kiln-translate");
        if (!module)
          return op->emitError("export-onnx: needs a module"), failure();
        kiln::ONNXExportOptions options;
        options.function = exportFunction;
        llvm::Expected<std::string> bytes = kiln::exportToONNX(module, options);
        if (!bytes) {
          // The message already names the op and its location.
          llvm::errs() << "kiln-translate: error: "
                       << llvm::StringRef(llvm::toString(bytes.takeError()))
                              .rtrim()
                       << "\n";
          return failure();
        }
        output << *bytes;
        return success();
      },
      [](DialectRegistry &registry) {
        registerAllDialects(registry);
        registry.insert<kiln::KilnDialect>();
      });
}

int main(int argc, char **argv) {
  registerAllTranslations();
  registerExportONNX();
  registerImportONNX();
  registerExportQATQDQ();
  registerExportPTX();
  registerExportHalidePTX();
  return failed(mlirTranslateMain(argc, argv, "Kiln translation driver"));
}
