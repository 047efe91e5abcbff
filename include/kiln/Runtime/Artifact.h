//===- Artifact.h - Compiled steps loaded without LLVM or MLIR ---*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// An artifact is a folder that holds one compiled function (a training step
// or an inference graph) ready to run on a machine without LLVM or MLIR:
//
//   kiln-artifact.txt   the manifest: target, library, signature, state
//   libkiln-step.so     host code; exports `kiln_artifact_entry(void **)`,
//                       the packed call of kiln/Runtime/MemRefDescriptor.h
//   state/<name>.pb     the initial state (weights, optimizer state) as ONNX
//                       TensorProto files
//
// The manifest is line-based text; a name is the rest of its line:
//
//   kiln-artifact 1
//   target cpu
//   library libkiln-step.so
//   function <the kiln function's name>
//   input <dtype> <shape> data|state <name>      one per argument, in order
//   output <dtype> <shape> <name>                one per result, in order
//   update <output index> <state name>           fed back between steps
//   state <file> <state name>                    initial value
//
// where <shape> is `2x3` (or `scalar` for rank 0) and <dtype> a name of
// rt::dtypeName. `kiln-run ... --emit-artifact DIR` writes artifacts and
// `kiln-step DIR` runs them.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_ARTIFACT_H
#define KILN_RUNTIME_ARTIFACT_H

#include "kiln/Runtime/CUDA/ArtifactHooks.h"
#include "kiln/Runtime/Tensor.h"

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace kiln {
namespace rt {

/// One argument or result of the compiled function.
struct ArtifactTensor {
  DType dtype = DType::Undefined;
  std::vector<int64_t> shape;
  std::string name;
  /// Inputs only: the argument is state (fed back between steps), not data.
  bool isState = false;
};

/// The manifest of an artifact (see the file comment).
struct ArtifactManifest {
  static constexpr int kVersion = 1;
  static constexpr const char *kFileName = "kiln-artifact.txt";
  static constexpr const char *kEntrySymbol = "kiln_artifact_entry";

  std::string target = "cpu";
  std::string library = "libkiln-step.so";
  std::string function;
  std::vector<ArtifactTensor> inputs;
  std::vector<ArtifactTensor> outputs;
  /// (state name, output index): the output that is the state's next value.
  std::vector<std::pair<std::string, size_t>> updates;
  /// (state name, file relative to the artifact folder).
  std::vector<std::pair<std::string, std::string>> stateFiles;

  /// Parses `text`; false with a message that names the line on error.
  bool parse(const std::string &text, std::string &error);
  std::string print() const;
};

/// A loaded artifact: its manifest and its host code.
class Artifact {
public:
  /// Reads DIR/kiln-artifact.txt and loads its library. Errors (missing or
  /// malformed manifest, a target this runtime cannot run, a library that
  /// does not load or lacks the entry) come back in `error`.
  static std::unique_ptr<Artifact> load(const std::string &dir,
                                        std::string &error);
  ~Artifact();
  Artifact(const Artifact &) = delete;
  Artifact &operator=(const Artifact &) = delete;

  const ArtifactManifest &manifest() const { return spec; }

  /// The initial state, by name, read from the state files.
  bool readInitialState(std::map<std::string, Tensor> &state,
                        std::string &error) const;

  /// Checks `inputs` against the manifest (an error names the argument and
  /// the expected and actual dtype/shape), allocates `outputs` unless they
  /// already match, and runs the function.
  bool run(const std::vector<const Tensor *> &inputs,
           std::vector<Tensor> &outputs, std::string &error);

private:
  Artifact() = default;

  /// A CUDA artifact's own runtime (kiln/Runtime/CUDA/ArtifactHooks.h).
  struct CUDAHooks {
    cuda::AllocSharedFn allocShared = nullptr;
    cuda::FreeSharedFn freeShared = nullptr;
    cuda::SynchronizeFn synchronize = nullptr;
    cuda::TakeErrorFn takeError = nullptr;
    /// Finds the hooks in the loaded library and reports what its
    /// constructors (the kernel modules' loading) left pending.
    bool resolve(void *handle, const std::string &library,
                 std::string &error);
    /// True, with `error` set, when the runtime recorded a failure.
    bool pendingError(std::string &error) const;
  };

  /// run() for target cuda: the tensors staged through managed memory.
  bool runOnCUDA(const std::vector<const Tensor *> &inputs,
                 std::vector<Tensor *> &outputs, std::string &error);

  std::string dir;
  ArtifactManifest spec;
  void *handle = nullptr;
  void (*entry)(void **) = nullptr;
  CUDAHooks cuda;
};

} // namespace rt
} // namespace kiln

#endif // KILN_RUNTIME_ARTIFACT_H
