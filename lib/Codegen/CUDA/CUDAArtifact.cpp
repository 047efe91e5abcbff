//===- CUDAArtifact.cpp - A compiled training step for CUDA ---------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The CUDA artifact writer (see the header): the CPU writer's back half with
// the CUDA pipeline in front and Kiln's CUDA runtime linked in.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/CUDA/CUDAArtifact.h"

#include "kiln/Codegen/CPU/ArtifactWriter.h"
#include "kiln/Codegen/CPU/EntryLowering.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/Support/FileSystem.h"

#include <cstdlib>

#ifndef KILN_CUDA_RUNTIME_LIB
#define KILN_CUDA_RUNTIME_LIB ""
#endif

using namespace mlir;

namespace kiln {
namespace cuda {

/// The static KilnCUDARuntime: $KILN_CUDA_RUNTIME_LIB, else this build's.
static std::string runtimeLibraryPath() {
  if (const char *env = std::getenv("KILN_CUDA_RUNTIME_LIB"))
    return env;
  return KILN_CUDA_RUNTIME_LIB;
}

llvm::Error writeCUDAArtifact(ModuleOp module, StringRef entry,
                              rt::ArtifactManifest manifest,
                              const std::map<std::string, rt::Tensor> &initialState,
                              const CUDAPipelineOptions &options,
                              StringRef dir) {
  std::string runtime = runtimeLibraryPath();
  if (runtime.empty() || !llvm::sys::fs::exists(runtime))
    return llvm::createStringError("Kiln's CUDA runtime library '" + runtime +
                                   "' is missing (set KILN_CUDA_RUNTIME_LIB)");
  CUDAPipelineOptions pipelineOptions = options;
  pipelineOptions.format = "isa"; // PTX: the driver compiles it on load.
  auto lowered = lowerEntryForCUDA(module, entry, pipelineOptions);
  if (!lowered)
    return lowered.takeError();
  manifest.target = "cuda";
  // The whole runtime: the loader's hooks are referenced by nobody inside.
  std::vector<std::string> link = {"-Wl,--whole-archive", runtime,
                                   "-Wl,--no-whole-archive", "-ldl",
                                   "-lstdc++"};
  return cpu::writeLoweredArtifact(*lowered, std::move(manifest),
                                   initialState, /*llvmOptLevel=*/2, link,
                                   dir);
}

} // namespace cuda
} // namespace kiln
