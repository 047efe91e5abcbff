//===- CUDAArtifact.h - A compiled training step for CUDA -------*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// `kiln-run --target cuda --emit-artifact DIR`: the entry lowered by the
// CUDA pipeline (kernels as PTX embedded in the host code, loaded by its
// constructors), written as an artifact (kiln/Codegen/CPU/ArtifactWriter.h)
// whose library links Kiln's CUDA runtime whole. kiln-step runs it on a
// machine that has only the CUDA driver; no GPU is needed to write it.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_CUDA_CUDAARTIFACT_H
#define KILN_CODEGEN_CUDA_CUDAARTIFACT_H

#include "kiln/Codegen/CUDA/Pipeline.h"
#include "kiln/Runtime/Artifact.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <map>
#include <string>

namespace mlir {
class ModuleOp;
} // namespace mlir

namespace kiln {
namespace cuda {

/// Compiles @`entry` of the tensor-level `module` for options.chip (PTX,
/// which the driver compiles for that architecture or a newer one) and
/// writes the artifact to `dir`. The module's context must have the
/// CUDA pipeline's dependencies (registerCUDAPipelineDependencies).
llvm::Error writeCUDAArtifact(mlir::ModuleOp module, llvm::StringRef entry,
                              rt::ArtifactManifest manifest,
                              const std::map<std::string, rt::Tensor> &initialState,
                              const CUDAPipelineOptions &options,
                              llvm::StringRef dir);

} // namespace cuda
} // namespace kiln

#endif // KILN_CODEGEN_CUDA_CUDAARTIFACT_H
