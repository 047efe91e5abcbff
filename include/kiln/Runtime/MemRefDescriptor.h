//===- MemRefDescriptor.h - Tensors as MLIR memref arguments -----*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The calling convention of compiled Kiln code, on the runtime's side. A
// lowered entry `func @f(tensor<A>, tensor<B>) -> tensor<C>` is called as
// `_mlir_ciface_f(desc<A>*, desc<B>*, desc<C>*)` (results are out-params the
// caller allocates), where a rank-R descriptor is the struct
// {T *allocated, T *aligned, i64 offset, i64 sizes[R], i64 strides[R]}:
// 3 + 2R eight-byte words. The packed form of that call takes one `void **`
// whose i-th entry points at a pointer to the i-th descriptor; both the JIT
// (MLIR's ExecutionEngine) and compiled artifacts expose it.
//
// PackedArguments builds those words for dense row-major tensors. No LLVM or
// MLIR type appears here.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_MEMREFDESCRIPTOR_H
#define KILN_RUNTIME_MEMREFDESCRIPTOR_H

#include "kiln/Runtime/Tensor.h"

#include <cstdint>
#include <vector>

namespace kiln {
namespace rt {

/// The packed argument array of one call: inputs, then outputs.
class PackedArguments {
public:
  /// Builds the descriptors. The tensors must outlive the call; inputs are
  /// only read by compiled code (it marks them non-writable).
  PackedArguments(const std::vector<const Tensor *> &inputs,
                  const std::vector<Tensor *> &outputs);

  /// One dense row-major buffer of the given shape (e.g. device-visible
  /// staging memory holding a tensor's bytes).
  struct Buffer {
    const void *data;
    std::vector<int64_t> shape;
  };
  /// Descriptors of `buffers`, in order (inputs, then outputs).
  explicit PackedArguments(const std::vector<Buffer> &buffers);

  /// What the packed entry takes: args()[i] points at a pointer to the i-th
  /// descriptor.
  void **args() { return packed.data(); }

private:
  std::vector<int64_t> words;
  std::vector<void *> descriptors;
  std::vector<void *> packed;
};

} // namespace rt
} // namespace kiln

#endif // KILN_RUNTIME_MEMREFDESCRIPTOR_H
