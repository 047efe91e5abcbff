//===- ArtifactHooks.h - What a CUDA artifact exports to kiln-step -*- C++ -*-//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// A CUDA artifact's library carries its own copy of Kiln's CUDA runtime
// (KilnCUDARuntime, linked whole). The loader (kiln/Runtime/Artifact.h),
// which links no CUDA code, reaches that copy through these C functions,
// found with dlsym: managed memory for the step's tensors, a device-wide
// wait, and the runtime's pending error.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_CUDA_ARTIFACTHOOKS_H
#define KILN_RUNTIME_CUDA_ARTIFACTHOOKS_H

#include <cstddef>

namespace kiln {
namespace rt {
namespace cuda {

/// Symbol names, and the signatures of what they name.
inline constexpr const char *kAllocSharedSymbol = "kiln_cuda_alloc_shared";
inline constexpr const char *kFreeSharedSymbol = "kiln_cuda_free_shared";
inline constexpr const char *kSynchronizeSymbol = "kiln_cuda_synchronize";
inline constexpr const char *kTakeErrorSymbol = "kiln_cuda_take_error";
using AllocSharedFn = void *(*)(size_t bytes);
using FreeSharedFn = void (*)(void *ptr);
/// Returns 0 when the device finished without error.
using SynchronizeFn = int (*)();
/// Copies the pending error (NUL-terminated, truncated to `size`) into
/// `buffer`, clears it, and returns its full length (0: none).
using TakeErrorFn = size_t (*)(char *buffer, size_t size);

} // namespace cuda
} // namespace rt
} // namespace kiln

#endif // KILN_RUNTIME_CUDA_ARTIFACTHOOKS_H
