//===- FuzzMLIR.cpp - libFuzzer target: kiln MLIR text --------------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// kiln-fuzz-mlir: each input is MLIR text (kiln and upstream dialects). It
// is parsed, verified (the kiln ops' verifiers and type inference) and
// canonicalized (the kiln ops' folders and canonicalization patterns). Any
// crash, sanitizer report or hang is a bug.
//
//===----------------------------------------------------------------------===//

#include "FuzzContext.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

#include <cstddef>
#include <cstdint>
#include <string>

using namespace mlir;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  MLIRContext &context = kiln::fuzz::freshContextEvery(256);
  // MLIR's lexer needs a NUL-terminated buffer, as files read by the tools
  // are: libFuzzer's input is not.
  std::string text(reinterpret_cast<const char *>(data), size);
  OwningOpRef<ModuleOp> module =
      parseSourceString<ModuleOp>(text, ParserConfig(&context));
  if (!module || failed(verify(*module)))
    return 0;
  PassManager pm(&context);
  pm.addPass(createCanonicalizerPass());
  (void)pm.run(*module);
  return 0;
}
