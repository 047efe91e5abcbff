//===- Driver.cpp - The CUDA driver API, loaded at run time ---------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// dlopen of the driver, resolution of its entry points, the device and its
// primary context, managed memory and the pending-error slot (Driver.h).
//
//===----------------------------------------------------------------------===//

#include "kiln/Runtime/CUDA/Driver.h"

#include "DriverAPI.h"

#include <cstdlib>
#include <dlfcn.h>
#include <mutex>

namespace kiln {
namespace rt {
namespace cuda {

namespace {

struct DriverState {
  bool usable = false;
  std::string error;
  DriverAPI api{};
  DeviceInfo device;
  CUcontext context = nullptr;
};

/// The pending error and its lock. Constructed on first use: compiled
/// kernels load in global constructors of priority 123, which run before
/// this library's own (default priority) static initializers.
struct PendingError {
  std::mutex mutex;
  std::string text;
};
PendingError &pending() {
  static PendingError *slot = new PendingError();
  return *slot;
}

/// Resolves `name` into `slot`; false (with `error` set) when the library
/// lacks it.
template <typename Fn>
bool resolve(void *library, const char *name, Fn &slot, std::string &error) {
  slot = reinterpret_cast<Fn>(dlsym(library, name));
  if (slot)
    return true;
  error = std::string("the CUDA driver library has no '") + name + "'";
  return false;
}

bool resolveAll(void *lib, DriverAPI &a, std::string &e) {
  return resolve(lib, "cuInit", a.cuInit, e) &&
         resolve(lib, "cuGetErrorName", a.cuGetErrorName, e) &&
         resolve(lib, "cuGetErrorString", a.cuGetErrorString, e) &&
         resolve(lib, "cuDeviceGetCount", a.cuDeviceGetCount, e) &&
         resolve(lib, "cuDeviceGet", a.cuDeviceGet, e) &&
         resolve(lib, "cuDeviceGetName", a.cuDeviceGetName, e) &&
         resolve(lib, "cuDeviceGetAttribute", a.cuDeviceGetAttribute, e) &&
         resolve(lib, "cuDevicePrimaryCtxRetain", a.cuDevicePrimaryCtxRetain,
                 e) &&
         resolve(lib, "cuCtxSetCurrent", a.cuCtxSetCurrent, e) &&
         resolve(lib, "cuCtxSynchronize", a.cuCtxSynchronize, e) &&
         resolve(lib, "cuModuleLoadData", a.cuModuleLoadData, e) &&
         resolve(lib, "cuModuleLoadDataEx", a.cuModuleLoadDataEx, e) &&
         resolve(lib, "cuModuleUnload", a.cuModuleUnload, e) &&
         resolve(lib, "cuModuleGetFunction", a.cuModuleGetFunction, e) &&
         resolve(lib, "cuLaunchKernel", a.cuLaunchKernel, e) &&
         resolve(lib, "cuStreamCreate", a.cuStreamCreate, e) &&
         resolve(lib, "cuStreamDestroy_v2", a.cuStreamDestroy, e) &&
         resolve(lib, "cuStreamSynchronize", a.cuStreamSynchronize, e) &&
         resolve(lib, "cuMemAlloc_v2", a.cuMemAlloc, e) &&
         resolve(lib, "cuMemAllocManaged", a.cuMemAllocManaged, e) &&
         resolve(lib, "cuMemFree_v2", a.cuMemFree, e) &&
         resolve(lib, "cuMemcpy", a.cuMemcpy, e) &&
         resolve(lib, "cuMemsetD32_v2", a.cuMemsetD32, e) &&
         resolve(lib, "cuMemsetD16_v2", a.cuMemsetD16, e);
}

/// Names of the codes a driver that cannot name them (CUDA's stub library)
/// returns while starting.
const char *knownStatusName(CUresult status) {
  switch (status) {
  case 3: return "CUDA_ERROR_NOT_INITIALIZED";
  case 34: return "CUDA_ERROR_STUB_LIBRARY (a stub, not the real driver)";
  case 35: return "CUDA_ERROR_INSUFFICIENT_DRIVER";
  case 100: return "CUDA_ERROR_NO_DEVICE";
  default: return nullptr;
  }
}

/// "CUDA_ERROR_NO_DEVICE (no CUDA-capable device is detected)", or the
/// number when nobody can name it.
std::string describeStatus(const DriverAPI &a, CUresult status) {
  const char *name = nullptr, *text = nullptr;
  if (a.cuGetErrorName && a.cuGetErrorName(status, &name) != 0)
    name = nullptr;
  if (a.cuGetErrorString && a.cuGetErrorString(status, &text) != 0)
    text = nullptr;
  if (!name)
    name = knownStatusName(status);
  std::string out = name ? name : "CUresult " + std::to_string(status);
  if (text)
    out += std::string(" (") + text + ")";
  return out;
}

void open(DriverState &s) {
  const char *override = std::getenv("KILN_CUDA_DRIVER");
  std::string path = override && *override ? override : "libcuda.so.1";
  void *lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    const char *why = dlerror();
    s.error = "no CUDA driver: cannot load '" + path + "'" +
              (why ? std::string(" (") + why + ")" : std::string()) +
              "; --target cuda needs an NVIDIA GPU and its driver";
    return;
  }
  if (!resolveAll(lib, s.api, s.error))
    return;
  const DriverAPI &a = s.api;
  auto failed = [&](CUresult status, const char *call) {
    if (status == 0)
      return false;
    s.error = std::string("CUDA driver '") + path + "': " + call +
              " failed: " + describeStatus(a, status);
    return true;
  };
  if (failed(a.cuInit(0), "cuInit"))
    return;
  int count = 0;
  if (failed(a.cuDeviceGetCount(&count), "cuDeviceGetCount"))
    return;
  int ordinal = 0;
  if (const char *pick = std::getenv("KILN_CUDA_DEVICE"))
    ordinal = std::atoi(pick);
  if (count == 0 || ordinal < 0 || ordinal >= count) {
    s.error = "CUDA driver '" + path + "' reports " + std::to_string(count) +
              " devices; device " + std::to_string(ordinal) +
              " is not one of them";
    return;
  }
  CUdevice dev = 0;
  if (failed(a.cuDeviceGet(&dev, ordinal), "cuDeviceGet"))
    return;
  char name[256] = {0};
  if (failed(a.cuDeviceGetName(name, sizeof(name) - 1, dev),
             "cuDeviceGetName") ||
      failed(a.cuDeviceGetAttribute(&s.device.computeMajor,
                                    CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR,
                                    dev),
             "cuDeviceGetAttribute") ||
      failed(a.cuDeviceGetAttribute(&s.device.computeMinor,
                                    CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR,
                                    dev),
             "cuDeviceGetAttribute") ||
      failed(a.cuDevicePrimaryCtxRetain(&s.context, dev),
             "cuDevicePrimaryCtxRetain") ||
      failed(a.cuCtxSetCurrent(s.context), "cuCtxSetCurrent"))
    return;
  s.device.name = name;
  s.device.ordinal = ordinal;
  s.usable = true;
}

DriverState &state() {
  // Opened once; never closed (kernels' modules may outlive any scope).
  static DriverState *s = [] {
    auto *fresh = new DriverState();
    open(*fresh);
    return fresh;
  }();
  return *s;
}

} // namespace

std::string DeviceInfo::chip() const {
  return "sm_" + std::to_string(computeMajor) + std::to_string(computeMinor);
}

bool ensureDriver(std::string &error) {
  DriverState &s = state();
  if (!s.usable)
    error = s.error;
  return s.usable;
}

const DriverAPI &api() { return state().api; }

const DeviceInfo &device() { return state().device; }

bool makeContextCurrent() {
  DriverState &s = state();
  if (!s.usable) {
    recordError(s.error);
    return false;
  }
  return check(s.api.cuCtxSetCurrent(s.context), "cuCtxSetCurrent");
}

void *allocShared(size_t bytes) {
  if (bytes == 0 || !makeContextCurrent())
    return nullptr;
  CUdeviceptr ptr = 0;
  if (!check(api().cuMemAllocManaged(&ptr, bytes, CU_MEM_ATTACH_GLOBAL),
             "cuMemAllocManaged"))
    return nullptr;
  return reinterpret_cast<void *>(ptr);
}

void freeShared(void *ptr) {
  if (ptr && makeContextCurrent())
    check(api().cuMemFree(reinterpret_cast<CUdeviceptr>(ptr)), "cuMemFree");
}

bool synchronize() {
  return makeContextCurrent() &&
         check(api().cuCtxSynchronize(), "cuCtxSynchronize");
}

std::string takeError() {
  PendingError &slot = pending();
  std::lock_guard<std::mutex> lock(slot.mutex);
  std::string error = std::move(slot.text);
  slot.text.clear();
  return error;
}

void recordError(const std::string &message) {
  PendingError &slot = pending();
  std::lock_guard<std::mutex> lock(slot.mutex);
  if (slot.text.empty())
    slot.text = message;
}

bool check(int status, const char *call) {
  if (status == 0)
    return true;
  recordError(std::string(call) + " failed: " +
              describeStatus(state().api, status));
  return false;
}

} // namespace cuda
} // namespace rt
} // namespace kiln
