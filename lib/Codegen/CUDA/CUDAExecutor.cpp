//===- CUDAExecutor.cpp - Run a tensor function on an NVIDIA GPU ----------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The CUDA executor (see the header): lowering with the CUDA pipeline, the
// LLVM JIT of the host code with Kiln's mgpu* wrappers bound by name, and
// calls through managed staging buffers.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/CUDA/CUDAExecutor.h"

#include "kiln/Runtime/CUDA/Driver.h"
#include "kiln/Runtime/MemRefDescriptor.h"

#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"

#include "llvm/ExecutionEngine/Orc/Mangling.h"

#include <cstring>

// Kiln's mgpu* wrappers (lib/Runtime/CUDA/MgpuWrappers.cpp).
extern "C" {
void *mgpuModuleLoad(void *, size_t);
void *mgpuModuleLoadJIT(void *, int);
void mgpuModuleUnload(void *);
void *mgpuModuleGetFunction(void *, const char *);
void mgpuLaunchKernel(void *, intptr_t, intptr_t, intptr_t, intptr_t,
                      intptr_t, intptr_t, int32_t, void *, void **, void **,
                      size_t);
void *mgpuStreamCreate();
void mgpuStreamDestroy(void *);
void mgpuStreamSynchronize(void *);
void *mgpuMemAlloc(uint64_t, void *, bool);
void mgpuMemFree(void *, void *);
void mgpuMemcpy(void *, void *, size_t, void *);
void mgpuMemset32(void *, unsigned, size_t, void *);
void mgpuMemset16(void *, unsigned short, size_t, void *);
void mgpuSetDefaultDevice(int32_t);
}

using namespace mlir;

namespace kiln {
namespace cuda {

std::string chipForComputeCapability(int major, int minor) {
  if (major > 9)
    return "sm_90";
  return "sm_" + std::to_string(major) + std::to_string(minor);
}

void registerCUDAPipelineDependencies(DialectRegistry &registry) {
  cpu::registerCPUPipelineDependencies(registry);
  registerGPUDialectTranslation(registry);
  // gpu.binary's #gpu.select_object: embeds the PTX, loads it in a global
  // constructor.
  gpu::registerOffloadingLLVMTranslationInterfaceExternalModels(registry);
  registerNVVMDialectTranslation(registry);
  NVVM::registerNVVMTargetInterfaceExternalModels(registry);
}

namespace {

/// The pending runtime error as an llvm::Error, or success.
llvm::Error pendingRuntimeError(StringRef when) {
  std::string error = rt::cuda::takeError();
  if (error.empty())
    return llvm::Error::success();
  return llvm::createStringError(("CUDA " + when + ": " + error).str());
}

/// Managed memory for one call's tensors, freed with the call.
class StagingBuffers {
public:
  ~StagingBuffers() {
    for (void *buffer : buffers)
      rt::cuda::freeShared(buffer);
  }
  /// `bytes` of managed memory (a zero-sized tensor gets none).
  llvm::Expected<void *> allocate(size_t bytes) {
    if (bytes == 0)
      return nullptr;
    void *buffer = rt::cuda::allocShared(bytes);
    if (!buffer) {
      if (llvm::Error err = pendingRuntimeError("allocation"))
        return std::move(err);
      return llvm::createStringError("CUDA allocation of " +
                                     std::to_string(bytes) + " bytes failed");
    }
    buffers.push_back(buffer);
    return buffer;
  }

private:
  std::vector<void *> buffers;
};

} // namespace

llvm::Expected<std::unique_ptr<CUDAExecutor>>
CUDAExecutor::create(ModuleOp module, StringRef entry,
                     const CUDAPipelineOptions &options) {
  std::string driverError;
  if (!rt::cuda::ensureDriver(driverError))
    return llvm::createStringError(driverError);
  const rt::cuda::DeviceInfo &device = rt::cuda::device();
  CUDAPipelineOptions pipelineOptions = options;
  pipelineOptions.chip =
      chipForComputeCapability(device.computeMajor, device.computeMinor);
  pipelineOptions.format = "isa"; // PTX, compiled by the driver's JIT.

  DialectRegistry registry;
  registerCUDAPipelineDependencies(registry);
  module.getContext()->appendDialectRegistry(registry);
  auto lowered = lowerEntryForCUDA(module, entry, pipelineOptions);
  if (!lowered)
    return lowered.takeError();

  std::unique_ptr<CUDAExecutor> exec(new CUDAExecutor());
  exec->entry = lowered->entry;
  exec->inSpecs = lowered->inputs;
  exec->outSpecs = lowered->outputs;

  auto engine =
      cpu::createHostExecutionEngine(lowered->module.get(), /*optLevel=*/2);
  if (!engine)
    return engine.takeError();
  exec->engine = std::move(*engine);
  exec->engine->registerSymbols([](llvm::orc::MangleAndInterner interner) {
    llvm::orc::SymbolMap symbols;
    auto bind = [&](const char *name, auto *fn) {
      symbols[interner(name)] = llvm::orc::ExecutorSymbolDef(
          llvm::orc::ExecutorAddr::fromPtr(fn), llvm::JITSymbolFlags::Exported);
    };
    bind("mgpuModuleLoad", &mgpuModuleLoad);
    bind("mgpuModuleLoadJIT", &mgpuModuleLoadJIT);
    bind("mgpuModuleUnload", &mgpuModuleUnload);
    bind("mgpuModuleGetFunction", &mgpuModuleGetFunction);
    bind("mgpuLaunchKernel", &mgpuLaunchKernel);
    bind("mgpuStreamCreate", &mgpuStreamCreate);
    bind("mgpuStreamDestroy", &mgpuStreamDestroy);
    bind("mgpuStreamSynchronize", &mgpuStreamSynchronize);
    bind("mgpuMemAlloc", &mgpuMemAlloc);
    bind("mgpuMemFree", &mgpuMemFree);
    bind("mgpuMemcpy", &mgpuMemcpy);
    bind("mgpuMemset32", &mgpuMemset32);
    bind("mgpuMemset16", &mgpuMemset16);
    bind("mgpuSetDefaultDevice", &mgpuSetDefaultDevice);
    return symbols;
  });
  auto packed = exec->engine->lookupPacked("_mlir_ciface_" + exec->entry);
  if (!packed)
    return packed.takeError();
  exec->packedEntry = *packed;
  rt::cuda::takeError(); // Nothing of an earlier executor's.
  exec->engine->initialize(); // Loads the kernel modules (PTX JIT).
  if (llvm::Error err = pendingRuntimeError("kernel loading"))
    return std::move(err);
  return std::move(exec);
}

CUDAExecutor::~CUDAExecutor() = default;

std::string CUDAExecutor::deviceDescription() const {
  const rt::cuda::DeviceInfo &device = rt::cuda::device();
  return device.name + " (" + device.chip() + ")";
}

llvm::Expected<std::vector<rt::Tensor>>
CUDAExecutor::run(llvm::ArrayRef<rt::Tensor> inputs) {
  if (inputs.size() != inSpecs.size())
    return llvm::createStringError("@" + entry + ": expected " +
                                   std::to_string(inSpecs.size()) +
                                   " inputs, got " +
                                   std::to_string(inputs.size()));
  for (size_t i = 0; i < inputs.size(); ++i)
    if (!inSpecs[i].matches(inputs[i]))
      return llvm::createStringError(
          "@" + entry + ": input #" + std::to_string(i) + ": expected " +
          inSpecs[i].describe() + ", got " + inputs[i].describe());

  StagingBuffers staging;
  std::vector<rt::PackedArguments::Buffer> buffers;
  for (const rt::Tensor &input : inputs) {
    auto buffer = staging.allocate(input.numBytes());
    if (!buffer)
      return buffer.takeError();
    if (*buffer)
      std::memcpy(*buffer, input.data(), input.numBytes());
    buffers.push_back({*buffer, input.shape()});
  }
  std::vector<rt::Tensor> outputs;
  std::vector<void *> outputBuffers;
  for (const cpu::TensorSpec &spec : outSpecs) {
    outputs.emplace_back(spec.dtype, spec.shape);
    auto buffer = staging.allocate(outputs.back().numBytes());
    if (!buffer)
      return buffer.takeError();
    outputBuffers.push_back(*buffer);
    buffers.push_back({*buffer, spec.shape});
  }
  rt::PackedArguments call(buffers);
  packedEntry(call.args());
  rt::cuda::synchronize();
  if (llvm::Error err = pendingRuntimeError("run of @" + entry))
    return std::move(err);
  for (size_t i = 0; i < outputs.size(); ++i)
    if (outputBuffers[i])
      std::memcpy(outputs[i].data(), outputBuffers[i], outputs[i].numBytes());
  return std::move(outputs);
}

} // namespace cuda
} // namespace kiln
