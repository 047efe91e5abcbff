//===- MgpuWrappers.cpp - The mgpu* calls of MLIR's GPU host code ---------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// MLIR's gpu-to-llvm lowering and the LLVM translation of gpu.binary emit
// calls to `mgpu*` functions (module load in a global constructor, one
// stream, launch and synchronize per gpu.launch_func, gpu.alloc/dealloc).
// Upstream implements them in libmlir_cuda_runtime, linked against CUDA at
// build time; these implement the same C signatures (MLIR 22) over the
// driver that Driver.cpp loads with dlopen. They cannot return errors:
// every failure is recorded (Driver.h's recordError) and later calls of the
// same run do nothing, so the executor reports the first failure instead
// of the process crashing.
//
//===----------------------------------------------------------------------===//

#include "kiln/Runtime/CUDA/Driver.h"

#include "DriverAPI.h"

#include <cstdint>
#include <string>

using namespace kiln::rt::cuda;

#define KILN_MGPU_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

/// The driver is usable, its context current, and nothing failed yet in
/// this run (a failed launch makes later results meaningless).
bool ready() { return makeContextCurrent(); }

CUmodule loadModule(const void *data, int optLevel, bool isPTX) {
  if (!ready())
    return nullptr;
  CUmodule module = nullptr;
  if (!isPTX) {
    check(api().cuModuleLoadData(&module, data), "cuModuleLoadData");
    return module;
  }
  // PTX is compiled by the driver's JIT; its log names the failure.
  static thread_local char log[8192];
  log[0] = 0;
  int options[] = {CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES,
                   CU_JIT_OPTIMIZATION_LEVEL};
  void *values[] = {log, reinterpret_cast<void *>(uintptr_t(sizeof(log))),
                    reinterpret_cast<void *>(uintptr_t(optLevel))};
  int status =
      api().cuModuleLoadDataEx(&module, data, 3, options, values);
  if (status != 0 && log[0])
    recordError(std::string("cuModuleLoadDataEx (PTX JIT) failed: ") + log);
  check(status, "cuModuleLoadDataEx");
  return module;
}

} // namespace

KILN_MGPU_EXPORT void *mgpuModuleLoad(void *data, size_t /*size*/) {
  return loadModule(data, 0, /*isPTX=*/false);
}

KILN_MGPU_EXPORT void *mgpuModuleLoadJIT(void *data, int optLevel) {
  return loadModule(data, optLevel, /*isPTX=*/true);
}

KILN_MGPU_EXPORT void mgpuModuleUnload(void *module) {
  if (module && ready())
    check(api().cuModuleUnload(static_cast<CUmodule>(module)),
          "cuModuleUnload");
}

KILN_MGPU_EXPORT void *mgpuModuleGetFunction(void *module, const char *name) {
  if (!module || !ready())
    return nullptr;
  CUfunction function = nullptr;
  if (!check(api().cuModuleGetFunction(&function, static_cast<CUmodule>(module),
                                       name),
             "cuModuleGetFunction"))
    recordError(std::string("kernel '") + name + "' not found");
  return function;
}

KILN_MGPU_EXPORT void mgpuLaunchKernel(void *function, intptr_t gridX,
                                       intptr_t gridY, intptr_t gridZ,
                                       intptr_t blockX, intptr_t blockY,
                                       intptr_t blockZ, int32_t smem,
                                       void *stream, void **params,
                                       void **extra, size_t /*paramsCount*/) {
  if (!function) {
    recordError("launch of a kernel that failed to load");
    return;
  }
  if (!ready())
    return;
  check(api().cuLaunchKernel(static_cast<CUfunction>(function), gridX, gridY,
                             gridZ, blockX, blockY, blockZ, smem,
                             static_cast<CUstream>(stream), params, extra),
        "cuLaunchKernel");
}

KILN_MGPU_EXPORT void *mgpuStreamCreate() {
  if (!ready())
    return nullptr;
  CUstream stream = nullptr;
  check(api().cuStreamCreate(&stream, /*CU_STREAM_NON_BLOCKING=*/1),
        "cuStreamCreate");
  return stream;
}

KILN_MGPU_EXPORT void mgpuStreamDestroy(void *stream) {
  if (stream && ready())
    check(api().cuStreamDestroy(static_cast<CUstream>(stream)),
          "cuStreamDestroy");
}

KILN_MGPU_EXPORT void mgpuStreamSynchronize(void *stream) {
  if (ready())
    check(api().cuStreamSynchronize(static_cast<CUstream>(stream)),
          "cuStreamSynchronize (a kernel failed)");
}

/// gpu.alloc: managed memory when `isHostShared` (Kiln's host code reads
/// and writes its buffers directly), device memory otherwise.
KILN_MGPU_EXPORT void *mgpuMemAlloc(uint64_t bytes, void * /*stream*/,
                                    bool isHostShared) {
  if (isHostShared)
    return allocShared(bytes);
  if (bytes == 0 || !ready())
    return nullptr;
  CUdeviceptr ptr = 0;
  check(api().cuMemAlloc(&ptr, bytes), "cuMemAlloc");
  return reinterpret_cast<void *>(ptr);
}

KILN_MGPU_EXPORT void mgpuMemFree(void *ptr, void * /*stream*/) {
  freeShared(ptr); // cuMemFree frees managed and device memory alike.
}

KILN_MGPU_EXPORT void mgpuMemcpy(void *dst, void *src, size_t bytes,
                                 void * /*stream*/) {
  if (ready())
    check(api().cuMemcpy(reinterpret_cast<CUdeviceptr>(dst),
                         reinterpret_cast<CUdeviceptr>(src), bytes),
          "cuMemcpy");
}

KILN_MGPU_EXPORT void mgpuMemset32(void *dst, unsigned value, size_t count,
                                   void * /*stream*/) {
  if (ready())
    check(api().cuMemsetD32(reinterpret_cast<CUdeviceptr>(dst), value, count),
          "cuMemsetD32");
}

KILN_MGPU_EXPORT void mgpuMemset16(void *dst, unsigned short value,
                                   size_t count, void * /*stream*/) {
  if (ready())
    check(api().cuMemsetD16(reinterpret_cast<CUdeviceptr>(dst), value, count),
          "cuMemsetD16");
}

/// Kiln picks the device once per process (KILN_CUDA_DEVICE).
KILN_MGPU_EXPORT void mgpuSetDefaultDevice(int32_t) {}
