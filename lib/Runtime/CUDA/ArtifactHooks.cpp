//===- ArtifactHooks.cpp - What a CUDA artifact exports to kiln-step ------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The C functions of ArtifactHooks.h over this copy of the runtime.
//
//===----------------------------------------------------------------------===//

#include "kiln/Runtime/CUDA/ArtifactHooks.h"

#include "kiln/Runtime/CUDA/Driver.h"

#include <algorithm>
#include <cstring>
#include <type_traits>
#include <string>

#define KILN_HOOK_EXPORT extern "C" __attribute__((visibility("default")))

using namespace kiln::rt;

KILN_HOOK_EXPORT void *kiln_cuda_alloc_shared(size_t bytes) {
  return cuda::allocShared(bytes);
}

KILN_HOOK_EXPORT void kiln_cuda_free_shared(void *ptr) {
  cuda::freeShared(ptr);
}

KILN_HOOK_EXPORT int kiln_cuda_synchronize() {
  return cuda::synchronize() ? 0 : 1;
}

KILN_HOOK_EXPORT size_t kiln_cuda_take_error(char *buffer, size_t size) {
  std::string error = cuda::takeError();
  if (buffer && size) {
    size_t n = std::min(error.size(), size - 1);
    std::memcpy(buffer, error.data(), n);
    buffer[n] = 0;
  }
  return error.size();
}

// Signatures checked against the header's.
static_assert(std::is_same_v<decltype(&kiln_cuda_alloc_shared),
                             cuda::AllocSharedFn>);
static_assert(std::is_same_v<decltype(&kiln_cuda_free_shared),
                             cuda::FreeSharedFn>);
static_assert(std::is_same_v<decltype(&kiln_cuda_synchronize),
                             cuda::SynchronizeFn>);
static_assert(std::is_same_v<decltype(&kiln_cuda_take_error),
                             cuda::TakeErrorFn>);
