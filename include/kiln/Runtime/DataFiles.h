//===- DataFiles.h - Tensors in folders of ONNX TensorProto files -*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The ONNX backend-test data layout as the tools use it (DESIGN.md, "Tool
// contracts"): numbered files input_K.pb / output_K.pb in a folder, batches
// as row slices of the data, and file names for named tensors (state
// written by --write-initializers, artifact state). No LLVM or MLIR.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_DATAFILES_H
#define KILN_RUNTIME_DATAFILES_H

#include "kiln/Runtime/Tensor.h"

#include <string>
#include <vector>

namespace kiln {
namespace rt {

/// Paths DIR/<prefix>K.pb for K = 0, 1, ... while they exist.
std::vector<std::string> numberedFiles(const std::string &dir,
                                       const std::string &prefix);

/// Reads every file of `paths` (TensorProto) and appends it to `out`; false
/// with "<path>: <reason>" on the first failure.
bool readTensorFiles(const std::vector<std::string> &paths,
                     std::vector<Tensor> &out, std::string &error);

/// Rows [begin, begin + count) of `t` along its first dimension.
Tensor sliceRows(const Tensor &t, int64_t begin, int64_t count);

/// A file name for a tensor name: characters outside [A-Za-z0-9._-] become
/// '_' (the TensorProto inside keeps the exact name); never "." or "..".
std::string tensorFileName(const std::string &name);

} // namespace rt
} // namespace kiln

#endif // KILN_RUNTIME_DATAFILES_H
