//===- Artifact.cpp - Compiled steps loaded without LLVM or MLIR ----------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The artifact manifest (parse and print) and the loader: dlopen of the
// artifact's library, lookup of its packed entry, argument checks, calls.
// Links no LLVM or MLIR.
//
//===----------------------------------------------------------------------===//

#include "kiln/Runtime/Artifact.h"

#include "kiln/Runtime/MemRefDescriptor.h"
#include "kiln/Runtime/TensorProtoIO.h"

#include <dlfcn.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <type_traits>

namespace kiln {
namespace rt {

static std::string shapeText(const std::vector<int64_t> &shape) {
  if (shape.empty())
    return "scalar";
  std::string text;
  for (size_t d = 0; d < shape.size(); ++d)
    text += (d ? "x" : "") + std::to_string(shape[d]);
  return text;
}

static bool parseShape(const std::string &text, std::vector<int64_t> &shape) {
  shape.clear();
  if (text == "scalar")
    return true;
  std::stringstream in(text);
  std::string dim;
  while (std::getline(in, dim, 'x')) {
    if (dim.empty() || dim.size() > 18 ||
        dim.find_first_not_of("0123456789") != std::string::npos)
      return false;
    shape.push_back(std::stoll(dim));
  }
  return !shape.empty();
}

/// The rest of `in` after one separating space (a name may hold spaces).
static std::string restOfLine(std::istringstream &in) {
  std::string rest;
  std::getline(in, rest);
  if (!rest.empty() && rest[0] == ' ')
    rest.erase(0, 1);
  return rest;
}

/// A file name inside the artifact folder: no folders, no way out of it.
static bool isPlainFileName(const std::string &name) {
  return !name.empty() && name != "." && name != ".." &&
         name.find('\0') == std::string::npos;
}

static bool isRelativeInside(const std::string &path) {
  if (path.empty() || path[0] == '/')
    return false;
  std::stringstream in(path);
  std::string part;
  while (std::getline(in, part, '/'))
    if (!isPlainFileName(part))
      return false;
  return true;
}

bool ArtifactManifest::parse(const std::string &text, std::string &error) {
  std::istringstream lines(text);
  std::string line;
  int lineNo = 0;
  bool sawVersion = false;
  auto fail = [&](const std::string &why) {
    error = std::string(kFileName) + ":" + std::to_string(lineNo) + ": " + why;
    return false;
  };
  auto readTensor = [&](std::istringstream &in, ArtifactTensor &t,
                        bool isInput) {
    std::string dtype, shape;
    if (!(in >> dtype >> shape))
      return fail("expected '<dtype> <shape>'");
    if (!dtypeFromName(dtype, t.dtype))
      return fail("unknown dtype '" + dtype + "'");
    if (!parseShape(shape, t.shape))
      return fail("bad shape '" + shape + "'");
    if (isInput) {
      std::string role;
      in >> role;
      if (role != "data" && role != "state")
        return fail("input role must be 'data' or 'state', not '" + role +
                    "'");
      t.isState = role == "state";
    }
    t.name = restOfLine(in);
    return true;
  };
  while (std::getline(lines, line)) {
    ++lineNo;
    if (line.empty() || line[0] == '#')
      continue;
    std::istringstream in(line);
    std::string key;
    in >> key;
    if (!sawVersion) {
      int version = 0;
      if (key != "kiln-artifact" || !(in >> version))
        return fail("not a Kiln artifact manifest (expected 'kiln-artifact "
                    "<version>' first)");
      if (version != kVersion)
        return fail("manifest version " + std::to_string(version) +
                    " is not supported (this runtime reads version " +
                    std::to_string(kVersion) + ")");
      sawVersion = true;
    } else if (key == "target") {
      in >> target;
    } else if (key == "library") {
      library = restOfLine(in);
      if (!isPlainFileName(library) ||
          library.find('/') != std::string::npos)
        return fail("the library must be a file in the artifact folder");
    } else if (key == "function") {
      function = restOfLine(in);
    } else if (key == "input" || key == "output") {
      ArtifactTensor t;
      if (!readTensor(in, t, key == "input"))
        return false;
      (key == "input" ? inputs : outputs).push_back(std::move(t));
    } else if (key == "update") {
      size_t index = 0;
      if (!(in >> index))
        return fail("expected 'update <output index> <state name>'");
      updates.emplace_back(restOfLine(in), index);
    } else if (key == "state") {
      std::string file;
      in >> file;
      if (!isRelativeInside(file))
        return fail("state file '" + file +
                    "' must be a relative path inside the artifact folder");
      stateFiles.emplace_back(restOfLine(in), file);
    } else {
      return fail("unknown key '" + key + "'");
    }
  }
  if (!sawVersion) {
    error = std::string(kFileName) + ": empty manifest";
    return false;
  }
  for (const auto &[name, index] : updates) {
    if (index >= outputs.size()) {
      error = std::string(kFileName) + ": the update of '" + name +
              "' names output " + std::to_string(index) + " of " +
              std::to_string(outputs.size());
      return false;
    }
  }
  return true;
}

std::string ArtifactManifest::print() const {
  std::ostringstream os;
  os << "kiln-artifact " << kVersion << "\n";
  os << "target " << target << "\n";
  os << "library " << library << "\n";
  os << "function " << function << "\n";
  for (const ArtifactTensor &t : inputs)
    os << "input " << dtypeName(t.dtype) << " " << shapeText(t.shape) << " "
       << (t.isState ? "state" : "data") << " " << t.name << "\n";
  for (const ArtifactTensor &t : outputs)
    os << "output " << dtypeName(t.dtype) << " " << shapeText(t.shape) << " "
       << t.name << "\n";
  for (const auto &[name, index] : updates)
    os << "update " << index << " " << name << "\n";
  for (const auto &[name, file] : stateFiles)
    os << "state " << file << " " << name << "\n";
  return os.str();
}

std::unique_ptr<Artifact> Artifact::load(const std::string &dir,
                                         std::string &error) {
  std::string manifestPath = dir + "/" + ArtifactManifest::kFileName;
  std::ifstream file(manifestPath);
  if (!file) {
    error = "cannot read '" + manifestPath + "' (not a Kiln artifact folder?)";
    return nullptr;
  }
  std::stringstream text;
  text << file.rdbuf();
  std::unique_ptr<Artifact> artifact(new Artifact());
  artifact->dir = dir;
  if (!artifact->spec.parse(text.str(), error)) {
    error = dir + "/" + error;
    return nullptr;
  }
  if (artifact->spec.target != "cpu" && artifact->spec.target != "cuda") {
    error = "artifact target '" + artifact->spec.target +
            "' cannot run here (this runtime runs: cpu, cuda)";
    return nullptr;
  }
  std::string libraryPath = dir + "/" + artifact->spec.library;
  // RTLD_LOCAL: two artifacts in one process keep their own symbols.
  artifact->handle = dlopen(libraryPath.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!artifact->handle) {
    const char *why = dlerror();
    error = "cannot load '" + libraryPath + "': " + (why ? why : "unknown");
    return nullptr;
  }
  artifact->entry = reinterpret_cast<void (*)(void **)>(
      dlsym(artifact->handle, ArtifactManifest::kEntrySymbol));
  if (!artifact->entry) {
    error = "'" + libraryPath + "' has no " +
            ArtifactManifest::kEntrySymbol + " (not built by kiln-run "
            "--emit-artifact?)";
    return nullptr;
  }
  if (artifact->spec.target == "cuda" &&
      !artifact->cuda.resolve(artifact->handle, libraryPath, error))
    return nullptr;
  return artifact;
}

bool Artifact::CUDAHooks::resolve(void *handle, const std::string &library,
                                  std::string &error) {
  auto find = [&](const char *name, auto &slot) {
    slot = reinterpret_cast<std::remove_reference_t<decltype(slot)>>(
        dlsym(handle, name));
    if (!slot)
      error = "'" + library + "' has no " + name +
              " (a CUDA artifact links Kiln's CUDA runtime)";
    return slot != nullptr;
  };
  if (!find(cuda::kAllocSharedSymbol, allocShared) ||
      !find(cuda::kFreeSharedSymbol, freeShared) ||
      !find(cuda::kSynchronizeSymbol, synchronize) ||
      !find(cuda::kTakeErrorSymbol, takeError))
    return false;
  // The library's constructors loaded its kernels: did that work (is there
  // a driver, a device, does it take the PTX)?
  return !pendingError(error);
}

bool Artifact::CUDAHooks::pendingError(std::string &error) const {
  char text[2048];
  if (takeError(text, sizeof(text)) == 0)
    return false;
  error = std::string("CUDA: ") + text;
  return true;
}

bool Artifact::runOnCUDA(const std::vector<const Tensor *> &inputs,
                         std::vector<Tensor *> &outputs, std::string &error) {
  // Tensors pass through managed memory, which the kernels can address.
  std::vector<void *> staged;
  auto release = [&] {
    for (void *buffer : staged)
      cuda.freeShared(buffer);
  };
  std::vector<PackedArguments::Buffer> buffers;
  auto stage = [&](const Tensor &tensor, bool copyIn) -> bool {
    void *buffer = nullptr;
    if (tensor.numBytes()) {
      buffer = cuda.allocShared(tensor.numBytes());
      if (!buffer) {
        if (!cuda.pendingError(error))
          error = "CUDA: cannot allocate " +
                  std::to_string(tensor.numBytes()) + " bytes";
        return false;
      }
      staged.push_back(buffer);
      if (copyIn)
        std::memcpy(buffer, tensor.data(), tensor.numBytes());
    }
    buffers.push_back({buffer, tensor.shape()});
    return true;
  };
  for (const Tensor *input : inputs)
    if (!stage(*input, /*copyIn=*/true)) {
      release();
      return false;
    }
  for (Tensor *output : outputs)
    if (!stage(*output, /*copyIn=*/false)) {
      release();
      return false;
    }
  PackedArguments call(buffers);
  entry(call.args());
  cuda.synchronize();
  if (cuda.pendingError(error)) {
    release();
    return false;
  }
  for (size_t i = 0; i < outputs.size(); ++i)
    if (outputs[i]->numBytes())
      std::memcpy(outputs[i]->data(), buffers[inputs.size() + i].data,
                  outputs[i]->numBytes());
  release();
  return true;
}

Artifact::~Artifact() {
  if (handle)
    dlclose(handle);
}

bool Artifact::readInitialState(std::map<std::string, Tensor> &state,
                                std::string &error) const {
  for (const auto &[name, file] : spec.stateFiles) {
    Tensor tensor;
    if (!readTensorProtoFile(dir + "/" + file, tensor, nullptr, error)) {
      error = dir + "/" + file + ": " + error;
      return false;
    }
    state[name] = std::move(tensor);
  }
  return true;
}

static std::string describeSpec(const ArtifactTensor &t) {
  return describeTensorType(t.dtype, t.shape);
}

bool Artifact::run(const std::vector<const Tensor *> &inputs,
                   std::vector<Tensor> &outputs, std::string &error) {
  if (inputs.size() != spec.inputs.size()) {
    error = "@" + spec.function + ": expected " +
            std::to_string(spec.inputs.size()) + " inputs, got " +
            std::to_string(inputs.size());
    return false;
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    const ArtifactTensor &want = spec.inputs[i];
    if (inputs[i]->dtype() != want.dtype || inputs[i]->shape() != want.shape) {
      error = "@" + spec.function + ": input #" + std::to_string(i) + " '" +
              want.name + "': expected " + describeSpec(want) + ", got " +
              inputs[i]->describe();
      return false;
    }
  }
  outputs.resize(spec.outputs.size());
  std::vector<Tensor *> out;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const ArtifactTensor &want = spec.outputs[i];
    if (outputs[i].dtype() != want.dtype || outputs[i].shape() != want.shape)
      outputs[i] = Tensor(want.dtype, want.shape);
    out.push_back(&outputs[i]);
  }
  if (spec.target == "cuda")
    return runOnCUDA(inputs, out, error);
  PackedArguments call(inputs, out);
  entry(call.args());
  return true;
}

} // namespace rt
} // namespace kiln
