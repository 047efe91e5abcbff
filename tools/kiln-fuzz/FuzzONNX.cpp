//===- FuzzONNX.cpp - libFuzzer target: ONNX bytes to linalg ---------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// kiln-fuzz-onnx: each input is the bytes of an ONNX file. They are parsed
// as a ModelProto, imported into the kiln dialect (training info
// included), verified, and lowered: gradient requests expanded
// (kiln-autodiff), kiln converted to linalg, canonicalized. Any crash,
// sanitizer report or hang is a bug; errors are the expected outcome for
// most inputs. Tensors are capped at 64 MiB and external data is refused
// (its folder does not exist), so inputs cannot reach outside.
//
//===----------------------------------------------------------------------===//

#include "FuzzContext.h"

#include "kiln/Conversion/Passes.h"
#include "kiln/Import/ONNXImporter.h"
#include "kiln/Passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

#include <cstddef>
#include <cstdint>

using namespace mlir;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  MLIRContext &context = kiln::fuzz::freshContextEvery(256);
  kiln::ImportOptions options;
  options.maxTensorBytes = int64_t(1) << 26;
  options.externalDataDir = "/nonexistent/kiln-fuzz";
  OwningOpRef<ModuleOp> module = kiln::importONNXBytes(
      StringRef(reinterpret_cast<const char *>(data), size), "fuzz.onnx",
      &context, options);
  if (!module || failed(verify(*module)))
    return 0;
  PassManager pm(&context);
  pm.addNestedPass<func::FuncOp>(kiln::createKilnAutodiff());
  pm.addPass(kiln::createConvertKilnToLinalg());
  pm.addPass(createCanonicalizerPass());
  (void)pm.run(*module);
  return 0;
}
