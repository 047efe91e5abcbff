//===- DataFiles.cpp - Tensors in folders of ONNX TensorProto files -------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Numbered TensorProto files, row slices for batches, and safe file names.
// Links no LLVM or MLIR.
//
//===----------------------------------------------------------------------===//

#include "kiln/Runtime/DataFiles.h"

#include "kiln/Runtime/TensorProtoIO.h"

#include <cctype>
#include <cstring>
#include <filesystem>

namespace kiln {
namespace rt {

std::vector<std::string> numberedFiles(const std::string &dir,
                                       const std::string &prefix) {
  std::vector<std::string> paths;
  for (int k = 0;; ++k) {
    std::filesystem::path path =
        std::filesystem::path(dir) / (prefix + std::to_string(k) + ".pb");
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
      return paths;
    paths.push_back(path.string());
  }
}

bool readTensorFiles(const std::vector<std::string> &paths,
                     std::vector<Tensor> &out, std::string &error) {
  for (const std::string &path : paths) {
    Tensor tensor;
    if (!readTensorProtoFile(path, tensor, nullptr, error)) {
      error = path + ": " + error;
      return false;
    }
    out.push_back(std::move(tensor));
  }
  return true;
}

Tensor sliceRows(const Tensor &t, int64_t begin, int64_t count) {
  std::vector<int64_t> shape = t.shape();
  size_t rowBytes = shape[0] ? t.numBytes() / static_cast<size_t>(shape[0]) : 0;
  shape[0] = count;
  Tensor out(t.dtype(), shape);
  if (count > 0)
    std::memcpy(out.data(),
                static_cast<const uint8_t *>(t.data()) + begin * rowBytes,
                count * rowBytes);
  return out;
}

std::string tensorFileName(const std::string &name) {
  std::string file;
  for (char c : name)
    file += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' ||
             c == '_' || c == '-')
                ? c
                : '_';
  if (file.empty() || file == "." || file == "..")
    file = "_" + file;
  return file;
}

} // namespace rt
} // namespace kiln
