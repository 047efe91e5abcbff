//===- FakeDriver.cpp - A CUDA driver stand-in for tests without a GPU ----===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// libkiln-fake-cuda.so implements the CUDA driver entry points Kiln's
// runtime resolves (lib/Runtime/CUDA/DriverAPI.h), so that the whole host
// side of `--target cuda` runs on a machine without a GPU: the driver is
// opened, PTX modules are loaded, kernels looked up and launched, memory
// allocated and freed. Kernels do not execute (their outputs are zeros);
// instead every call is checked the way a real driver would refuse it:
//   - a module must be PTX text for the reported architecture (sm_90) or
//     an older one (the real driver JIT-compiles those),
//   - a kernel must be an `.entry` of its module,
//   - a launch's grid and block must be within an H100's limits and pass
//     as many parameters as the kernel's PTX declares,
//   - only memory this driver allocated may be freed, and only once.
// A refused call returns the driver's error code and prints why on stderr.
// At exit, with FAKE_CUDA_REPORT=FILE, it writes one line of counts,
// including the managed allocations never freed (`leaked`).
// FAKE_CUDA_DEVICES=0 makes it report no device; FAKE_CUDA_REJECT_PTX makes
// every module's JIT compilation fail.
//
//===----------------------------------------------------------------------===//

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <string>

#define EXPORT extern "C" __attribute__((visibility("default")))

namespace {

enum : int {
  kSuccess = 0,
  kInvalidValue = 1,
  kNoDevice = 100,
  kInvalidImage = 200,
  kInvalidPTX = 218,
  kNotFound = 500,
};

struct Kernel {
  std::string name;
  int numParams = 0;
};

struct Module {
  std::map<std::string, Kernel> kernels;
};

struct State {
  std::mutex mutex;
  std::set<void *> live;
  long modulesLoaded = 0, functions = 0, launches = 0, allocations = 0;
  long maxThreads = 0;
  ~State() {
    const char *path = std::getenv("FAKE_CUDA_REPORT");
    if (!path)
      return;
    if (FILE *f = std::fopen(path, "w")) {
      std::fprintf(f,
                   "modules=%ld functions=%ld launches=%ld allocations=%ld "
                   "max-threads-per-block=%ld leaked=%zu\n",
                   modulesLoaded, functions, launches, allocations,
                   maxThreads, live.size());
      std::fclose(f);
    }
  }
};

State state;

int refuse(int code, const std::string &why) {
  std::fprintf(stderr, "fake-cuda: %s\n", why.c_str());
  return code;
}

/// The `.entry` kernels of a PTX text and their parameter counts.
bool parseEntries(const std::string &ptx, Module &module) {
  size_t at = 0;
  while ((at = ptx.find(".entry ", at)) != std::string::npos) {
    at += 7;
    size_t open = ptx.find('(', at);
    size_t close = ptx.find(')', open);
    if (open == std::string::npos || close == std::string::npos)
      return false;
    Kernel kernel;
    kernel.name = ptx.substr(at, open - at);
    while (!kernel.name.empty() && std::isspace(kernel.name.back()))
      kernel.name.pop_back();
    for (size_t p = ptx.find(".param", open); p != std::string::npos && p < close;
         p = ptx.find(".param", p + 6))
      ++kernel.numParams;
    module.kernels[kernel.name] = kernel;
    at = close;
  }
  return !module.kernels.empty();
}

} // namespace

EXPORT int cuInit(unsigned) { return kSuccess; }

EXPORT int cuGetErrorName(int code, const char **name) {
  switch (code) {
  case kSuccess: *name = "CUDA_SUCCESS"; break;
  case kInvalidValue: *name = "CUDA_ERROR_INVALID_VALUE"; break;
  case kNoDevice: *name = "CUDA_ERROR_NO_DEVICE"; break;
  case kInvalidImage: *name = "CUDA_ERROR_INVALID_IMAGE"; break;
  case kInvalidPTX: *name = "CUDA_ERROR_INVALID_PTX"; break;
  case kNotFound: *name = "CUDA_ERROR_NOT_FOUND"; break;
  default: *name = nullptr; return kInvalidValue;
  }
  return kSuccess;
}

EXPORT int cuGetErrorString(int code, const char **text) {
  *text = code == kSuccess ? "no error" : "refused by the fake CUDA driver";
  return kSuccess;
}

EXPORT int cuDeviceGetCount(int *count) {
  const char *devices = std::getenv("FAKE_CUDA_DEVICES");
  *count = devices ? std::atoi(devices) : 1;
  return kSuccess;
}

EXPORT int cuDeviceGet(int *device, int ordinal) {
  int count = 0;
  cuDeviceGetCount(&count);
  if (ordinal < 0 || ordinal >= count)
    return kInvalidValue;
  *device = ordinal;
  return kSuccess;
}

EXPORT int cuDeviceGetName(char *name, int length, int) {
  std::snprintf(name, length, "Kiln fake CUDA device");
  return kSuccess;
}

EXPORT int cuDeviceGetAttribute(int *value, int attribute, int) {
  switch (attribute) {
  case 75: *value = 9; return kSuccess; // compute capability major
  case 76: *value = 0; return kSuccess; // minor
  default: return kInvalidValue;
  }
}

EXPORT int cuDevicePrimaryCtxRetain(void **context, int) {
  static int token;
  *context = &token;
  return kSuccess;
}

EXPORT int cuCtxSetCurrent(void *context) {
  return context ? kSuccess : kInvalidValue;
}

EXPORT int cuCtxSynchronize() { return kSuccess; }

EXPORT int cuModuleLoadData(void **, const void *) {
  return refuse(kInvalidImage, "cuModuleLoadData: only PTX is accepted here");
}

EXPORT int cuModuleLoadDataEx(void **module, const void *image,
                              unsigned numOptions, int *options,
                              void **values) {
  std::string ptx(static_cast<const char *>(image));
  // FAKE_CUDA_REJECT_PTX: the JIT fails, with a log as the real one writes
  // into the CU_JIT_ERROR_LOG_BUFFER option.
  if (std::getenv("FAKE_CUDA_REJECT_PTX")) {
    for (unsigned i = 0; i + 1 < numOptions; ++i)
      if (options[i] == 5 && options[i + 1] == 6) // log buffer, its size
        std::snprintf(static_cast<char *>(values[i]),
                      reinterpret_cast<uintptr_t>(values[i + 1]),
                      "ptxas application ptx input: fatal: rejected on "
                      "purpose");
    return kInvalidPTX;
  }
  // The driver JIT-compiles PTX for the device's architecture or an older
  // one (this device is sm_90).
  size_t target = ptx.find(".target sm_");
  if (ptx.find(".version ") == std::string::npos ||
      target == std::string::npos ||
      std::atoi(ptx.c_str() + target + 11) > 90)
    return refuse(kInvalidPTX, "module is not PTX for sm_90 or older");
  auto *loaded = new Module();
  if (!parseEntries(ptx, *loaded)) {
    delete loaded;
    return refuse(kInvalidPTX, "PTX module without an .entry");
  }
  std::lock_guard<std::mutex> lock(state.mutex);
  ++state.modulesLoaded;
  *module = loaded;
  return kSuccess;
}

EXPORT int cuModuleUnload(void *module) {
  delete static_cast<Module *>(module);
  return kSuccess;
}

EXPORT int cuModuleGetFunction(void **function, void *module,
                               const char *name) {
  auto &kernels = static_cast<Module *>(module)->kernels;
  auto it = kernels.find(name);
  if (it == kernels.end())
    return refuse(kNotFound, std::string("no kernel '") + name + "'");
  std::lock_guard<std::mutex> lock(state.mutex);
  ++state.functions;
  *function = &it->second;
  return kSuccess;
}

EXPORT int cuLaunchKernel(void *function, unsigned gx, unsigned gy,
                          unsigned gz, unsigned bx, unsigned by, unsigned bz,
                          unsigned, void *, void **params, void **extra) {
  auto *kernel = static_cast<Kernel *>(function);
  std::string where = "launch of " + kernel->name + ": ";
  long threads = long(bx) * by * bz;
  if (!gx || !gy || !gz || !bx || !by || !bz)
    return refuse(kInvalidValue, where + "an empty grid or block");
  if (bx > 1024 || by > 1024 || bz > 64 || threads > 1024)
    return refuse(kInvalidValue, where + "block (" + std::to_string(bx) +
                                     "," + std::to_string(by) + "," +
                                     std::to_string(bz) +
                                     ") over the limits");
  if (gx > 2147483647u || gy > 65535 || gz > 65535)
    return refuse(kInvalidValue, where + "grid over the limits");
  if (extra)
    return refuse(kInvalidValue, where + "'extra' is not used by Kiln");
  int passed = 0;
  while (params && passed < kernel->numParams && params[passed])
    ++passed;
  if (passed != kernel->numParams)
    return refuse(kInvalidValue, where + std::to_string(passed) +
                                     " parameters, the kernel declares " +
                                     std::to_string(kernel->numParams));
  std::lock_guard<std::mutex> lock(state.mutex);
  ++state.launches;
  if (threads > state.maxThreads)
    state.maxThreads = threads;
  return kSuccess;
}

EXPORT int cuStreamCreate(void **stream, unsigned) {
  *stream = new int(0);
  return kSuccess;
}

EXPORT int cuStreamDestroy_v2(void *stream) {
  delete static_cast<int *>(stream);
  return kSuccess;
}

EXPORT int cuStreamSynchronize(void *) { return kSuccess; }

static int allocate(unsigned long long *ptr, size_t bytes) {
  void *memory = std::aligned_alloc(256, (bytes + 255) / 256 * 256);
  if (!memory)
    return kInvalidValue;
  std::memset(memory, 0, bytes);
  std::lock_guard<std::mutex> lock(state.mutex);
  state.live.insert(memory);
  ++state.allocations;
  *ptr = reinterpret_cast<uintptr_t>(memory);
  return kSuccess;
}

EXPORT int cuMemAllocManaged(unsigned long long *ptr, size_t bytes,
                             unsigned) {
  return allocate(ptr, bytes);
}

EXPORT int cuMemAlloc_v2(unsigned long long *ptr, size_t bytes) {
  return allocate(ptr, bytes);
}

EXPORT int cuMemFree_v2(unsigned long long ptr) {
  void *memory = reinterpret_cast<void *>(uintptr_t(ptr));
  {
    std::lock_guard<std::mutex> lock(state.mutex);
    if (!state.live.erase(memory))
      return refuse(kInvalidValue,
                    "cuMemFree of memory this driver did not allocate "
                    "(or freed twice)");
  }
  std::free(memory);
  return kSuccess;
}

EXPORT int cuMemcpy(unsigned long long dst, unsigned long long src,
                    size_t bytes) {
  std::memmove(reinterpret_cast<void *>(uintptr_t(dst)),
               reinterpret_cast<void *>(uintptr_t(src)), bytes);
  return kSuccess;
}

EXPORT int cuMemsetD32_v2(unsigned long long dst, unsigned value,
                          size_t count) {
  auto *words = reinterpret_cast<uint32_t *>(uintptr_t(dst));
  for (size_t i = 0; i < count; ++i)
    words[i] = value;
  return kSuccess;
}

EXPORT int cuMemsetD16_v2(unsigned long long dst, unsigned short value,
                          size_t count) {
  auto *halves = reinterpret_cast<uint16_t *>(uintptr_t(dst));
  for (size_t i = 0; i < count; ++i)
    halves[i] = value;
  return kSuccess;
}
