//===- Driver.h - The CUDA driver API, loaded at run time -------*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Kiln never links CUDA. The driver library (libcuda.so.1, or the file named
// by KILN_CUDA_DRIVER) is opened with dlopen on first use, the entry points
// Kiln calls are resolved by name, the first device (KILN_CUDA_DEVICE picks
// another) is chosen and its primary context retained. Every failure (no
// library, a stub library, no device, a missing entry point) becomes a
// message; nothing here aborts. No LLVM or MLIR inside: compiled artifacts
// and kiln-step use it too.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_CUDA_DRIVER_H
#define KILN_RUNTIME_CUDA_DRIVER_H

#include <cstddef>
#include <cstdint>
#include <string>

namespace kiln {
namespace rt {
namespace cuda {

/// The device the driver opened.
struct DeviceInfo {
  std::string name;
  int ordinal = 0;
  int computeMajor = 0;
  int computeMinor = 0;
  /// `sm_XY` of the compute capability.
  std::string chip() const;
};

/// Opens the driver and the device once per process (later calls return
/// the same answer). Returns true when usable; otherwise `error` says why
/// (the library tried, or the driver's own error name and text).
bool ensureDriver(std::string &error);

/// The opened device; valid after ensureDriver returned true.
const DeviceInfo &device();

/// Makes the device's primary context current on the calling thread;
/// false (with the error recorded) when the driver is not usable.
bool makeContextCurrent();

/// Managed memory (cuMemAllocManaged): addressable by the host and the
/// device. nullptr (with the error recorded) on failure or size 0.
void *allocShared(size_t bytes);
void freeShared(void *ptr);

/// Waits for all work on the device (cuCtxSynchronize); false with the
/// error recorded on failure.
bool synchronize();

/// The first error recorded by the runtime wrappers since the last call
/// (empty when none), cleared by reading it. The mgpu* entry points that
/// compiled code calls cannot return errors, so they record them here and
/// the executor checks after each call.
std::string takeError();

/// Records `message` as an error unless one is already pending.
void recordError(const std::string &message);

/// Records a driver error of `call` (its CUresult `status`, with the
/// driver's name and description when it has them). Returns status == 0.
bool check(int status, const char *call);

} // namespace cuda
} // namespace rt
} // namespace kiln

#endif // KILN_RUNTIME_CUDA_DRIVER_H
