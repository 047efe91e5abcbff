//===- kiln-opt.cpp - Kiln's optimizer driver ------------------------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// An MlirOptMain tool with the kiln dialect and passes, the upstream dialects
// and passes, and Kiln's named pipelines. It also reads `.onnx` files: the
// model is imported first (an import error exits with code 2), then the
// passes run on the imported module as on any MLIR input.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/CPU/Pipeline.h"
#include "kiln/Codegen/CUDA/Pipeline.h"
#include "kiln/Conversion/Passes.h"
#include "kiln/Dialect/Kiln/KilnDialect.h"
#include "kiln/Import/ONNXImporter.h"
#include "kiln/Passes/Passes.h"
#include "kiln/Support/Diagnostics.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

/// Imports an ONNX file and returns its MLIR text (with locations, so later
/// diagnostics still name the ONNX node), or null after printing the error.
static std::unique_ptr<llvm::MemoryBuffer>
importToTextBuffer(const llvm::MemoryBuffer &onnxFile, StringRef name,
                   DialectRegistry &registry) {
  MLIRContext context(registry);
  kiln::OneLineDiagnostics diagnostics(context, "kiln-opt");
  OwningOpRef<ModuleOp> module =
      kiln::importONNXBytes(onnxFile.getBuffer(), name, &context);
  if (!module)
    return nullptr;
  std::string text;
  llvm::raw_string_ostream os(text);
  module->print(os, OpPrintingFlags().enableDebugInfo());
  return llvm::MemoryBuffer::getMemBufferCopy(text, name);
}

int main(int argc, char **argv) {
  registerAllPasses();
  kiln::registerKilnPasses();
  kiln::registerKilnConversionPasses();
  kiln::cpu::registerCPUPipelines();
  kiln::cuda::registerCUDAPipelines();

  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  // gpu-module-to-binary translates kernels to LLVM IR.
  registerAllToLLVMIRTranslations(registry);
  registry.insert<kiln::KilnDialect>();
  kiln::cpu::registerCPUPipelineDependencies(registry);

  auto [inputFile, outputFile] = registerAndParseCLIOptions(
      argc, argv, "Kiln optimizer driver (reads .mlir and .onnx)\n", registry);
  MlirOptMainConfig config = MlirOptMainConfig::createFromCLOptions();

  std::string error;
  std::unique_ptr<llvm::MemoryBuffer> input =
      openInputFile(inputFile, &error);
  if (!input) {
    llvm::errs() << "kiln-opt: error: " << error << "\n";
    return 2;
  }
  if (StringRef(inputFile).ends_with(".onnx")) {
    input = importToTextBuffer(*input, inputFile, registry);
    if (!input)
      return 2;
  }
  std::unique_ptr<llvm::ToolOutputFile> output =
      openOutputFile(outputFile, &error);
  if (!output) {
    llvm::errs() << "kiln-opt: error: " << error << "\n";
    return 2;
  }
  if (failed(MlirOptMain(output->os(), std::move(input), registry, config)))
    return 1;
  output->keep();
  return 0;
}
