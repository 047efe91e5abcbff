//===- MemRefDescriptor.cpp - Tensors as MLIR memref arguments ------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Builds the memref descriptors and the packed argument array through which
// compiled Kiln code (JIT or artifact) is called. Links no LLVM or MLIR.
//
//===----------------------------------------------------------------------===//

#include "kiln/Runtime/MemRefDescriptor.h"

#include <cstddef>

namespace kiln {
namespace rt {

static_assert(sizeof(void *) == sizeof(int64_t),
              "memref descriptors are built for 64-bit hosts");

/// Appends the descriptor words of a dense row-major buffer at `data`.
static void appendDescriptor(std::vector<int64_t> &words, const void *data,
                             const std::vector<int64_t> &shape) {
  // A zero-sized tensor may have no storage; the code never dereferences it,
  // but give it a valid address anyway.
  alignas(64) static char emptyStorage[64];
  if (!data)
    data = emptyStorage;
  auto address = static_cast<int64_t>(reinterpret_cast<intptr_t>(data));
  words.push_back(address); // allocated
  words.push_back(address); // aligned
  words.push_back(0);       // offset
  words.insert(words.end(), shape.begin(), shape.end());
  size_t stridesAt = words.size();
  words.resize(stridesAt + shape.size());
  int64_t stride = 1;
  for (size_t d = shape.size(); d-- > 0;) {
    words[stridesAt + d] = stride;
    stride *= shape[d];
  }
}

static std::vector<PackedArguments::Buffer>
buffersOf(const std::vector<const Tensor *> &inputs,
          const std::vector<Tensor *> &outputs) {
  std::vector<PackedArguments::Buffer> buffers;
  for (const Tensor *input : inputs)
    buffers.push_back({input->data(), input->shape()});
  for (Tensor *output : outputs)
    buffers.push_back({output->data(), output->shape()});
  return buffers;
}

PackedArguments::PackedArguments(const std::vector<const Tensor *> &inputs,
                                 const std::vector<Tensor *> &outputs)
    : PackedArguments(buffersOf(inputs, outputs)) {}

PackedArguments::PackedArguments(const std::vector<Buffer> &buffers) {
  // Descriptors first (the word vector may reallocate while growing), then
  // the pointers to them, then the packed array.
  std::vector<size_t> starts;
  for (const Buffer &buffer : buffers) {
    starts.push_back(words.size());
    appendDescriptor(words, buffer.data, buffer.shape);
  }
  descriptors.resize(starts.size());
  packed.resize(starts.size());
  for (size_t i = 0; i < starts.size(); ++i) {
    descriptors[i] = &words[starts[i]];
    packed[i] = &descriptors[i];
  }
}

} // namespace rt
} // namespace kiln
