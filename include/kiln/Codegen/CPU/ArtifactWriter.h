//===- ArtifactWriter.h - Compile an entry into an artifact ------*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Ahead-of-time compilation for the CPU: one entry function of a
// tensor-level module is lowered by the CPU pipeline, optimized and emitted
// as an object for the host, linked into a shared library with the OpenMP
// runtime and KilnArtifactSupport (no LLVM or MLIR library), and written
// with its manifest and initial state as an artifact folder that
// kiln/Runtime/Artifact.h loads (see there for the layout).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_CPU_ARTIFACTWRITER_H
#define KILN_CODEGEN_CPU_ARTIFACTWRITER_H

#include "kiln/Codegen/CPU/EntryLowering.h"
#include "kiln/Codegen/CPU/Pipeline.h"
#include "kiln/Runtime/Artifact.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <map>
#include <string>

namespace mlir {
class ModuleOp;
} // namespace mlir

namespace kiln {
namespace cpu {

/// Compiles `entry` of `module` into the artifact folder `dir` (created if
/// missing; its manifest, library and state files are replaced).
/// `manifest` brings the names: one input per argument (name and role) and
/// one output per result (name), the updates; dtypes, shapes, the target,
/// library and function are filled in here. `initialState` holds every
/// state input's initial value, written as state/<name>.pb. Errors name the
/// stage (lowering, code generation, linking with the linker's message).
llvm::Error writeCPUArtifact(mlir::ModuleOp module, llvm::StringRef entry,
                             rt::ArtifactManifest manifest,
                             const std::map<std::string, rt::Tensor> &initialState,
                             const CPUPipelineOptions &opts,
                             llvm::StringRef dir);

/// The target-independent part: `lowered` (an entry lowered to the LLVM
/// dialect by some pipeline, see EntryLowering.h) translated, optimized at
/// `llvmOptLevel`, given the packed entry and linked into DIR's library
/// with `extraLinkArgs` (e.g. a target's runtime); the state files and the
/// manifest (whose target the caller set) written beside it.
llvm::Error writeLoweredArtifact(
    LoweredEntry &lowered, rt::ArtifactManifest manifest,
    const std::map<std::string, rt::Tensor> &initialState,
    unsigned llvmOptLevel, llvm::ArrayRef<std::string> extraLinkArgs,
    llvm::StringRef dir);

} // namespace cpu
} // namespace kiln

#endif // KILN_CODEGEN_CPU_ARTIFACTWRITER_H
