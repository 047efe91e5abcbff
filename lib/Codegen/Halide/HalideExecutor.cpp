//===- HalideExecutor.cpp - kiln functions run through Halide -------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The halide-cpu and halide-cuda targets' runner (see the header): a
// HalideProgram, scheduled, JIT-compiled by Halide and realized on runtime
// tensors wrapped as Halide buffers.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/Halide/HalideExecutor.h"

#include "HalideProgram.h"

#include "mlir/IR/BuiltinOps.h"

#include <dlfcn.h>

using namespace mlir;
namespace H = Halide;

namespace kiln {
namespace halide {

struct HalideExecutor::Impl {
  std::string name; // halide-cpu or halide-cuda, leading every message.
  bool gpu = false;
  std::vector<H::ImageParam> params;
  H::Pipeline pipeline; // every result an output
  std::vector<Spec> inputs, outputs;
};

HalideExecutor::HalideExecutor(std::unique_ptr<Impl> impl)
    : impl(std::move(impl)) {}
HalideExecutor::~HalideExecutor() = default;

const std::vector<Spec> &HalideExecutor::inputSpecs() const {
  return impl->inputs;
}
const std::vector<Spec> &HalideExecutor::outputSpecs() const {
  return impl->outputs;
}

/// Whether the CUDA driver library loads. Halide's CUDA runtime loads it
/// itself at the first run and, without it, fails with a list of every
/// missing entry point: this check turns that into one clear error first.
static bool cudaDriverLoads() {
  for (const char *name : {"libcuda.so.1", "libcuda.so"}) {
    if (void *handle = dlopen(name, RTLD_LAZY | RTLD_LOCAL)) {
      dlclose(handle);
      return true;
    }
  }
  return false;
}

llvm::Expected<std::unique_ptr<HalideExecutor>>
HalideExecutor::create(ModuleOp module, StringRef entry,
                       const HalideOptions &options) {
  std::string name = "halide-" + options.device;
  if (options.device != "cpu" && options.device != "cuda")
    return llvm::createStringError("unknown Halide device '" + options.device +
                                   "' (cpu or cuda)");
  auto program = translateToHalide(module, entry, name);
  if (!program)
    return program.takeError();
  if (options.device == "cuda" && !cudaDriverLoads())
    return llvm::createStringError(
        name + ": the CUDA driver (libcuda.so.1) is not installed on this "
               "machine; halide-cuda runs need an NVIDIA GPU and its driver "
               "(kiln-translate --export-halide-ptx compiles without one)");
  auto pipeline = schedule(*program, options);
  if (!pipeline)
    return pipeline.takeError();
  auto impl = std::make_unique<Impl>();
  impl->name = name;
  impl->gpu = options.device == "cuda";
  try {
    // Compiling needs no GPU: the CUDA runtime (Halide's, which loads the
    // driver library itself) first runs at the first realize.
    pipeline->compile_jit(halideTarget(options));
  } catch (const H::Error &e) {
    return llvm::createStringError(name + ": " + e.what());
  }
  impl->pipeline = *pipeline;
  impl->params = program->params;
  impl->inputs = program->inputSpecs;
  impl->outputs = program->outputSpecs;
  return std::unique_ptr<HalideExecutor>(new HalideExecutor(std::move(impl)));
}

llvm::Expected<std::vector<rt::Tensor>>
HalideExecutor::run(const std::vector<rt::Tensor> &inputs) {
  if (inputs.size() != impl->inputs.size())
    return llvm::createStringError(
        impl->name + ": " + std::to_string(inputs.size()) + " inputs given, " +
        std::to_string(impl->inputs.size()) + " expected");
  // Halide buffers hold non-const pointers; the pipeline only reads its
  // ImageParams, so inputs are wrapped in place rather than copied per run.
  auto wrap = [](const rt::Tensor &t) {
    std::vector<halide_dimension_t> dims;
    int64_t stride = 1;
    for (auto it = t.shape().rbegin(); it != t.shape().rend(); ++it) {
      dims.push_back(halide_dimension_t(0, int32_t(*it), int32_t(stride)));
      stride *= *it;
    }
    H::Type type;
    switch (t.dtype()) {
    case rt::DType::F32: type = H::Float(32); break;
    case rt::DType::F64: type = H::Float(64); break;
    case rt::DType::Bool: case rt::DType::U8: type = H::UInt(8); break;
    case rt::DType::I8: type = H::Int(8); break;
    case rt::DType::U16: type = H::UInt(16); break;
    case rt::DType::I16: type = H::Int(16); break;
    case rt::DType::U32: type = H::UInt(32); break;
    case rt::DType::I32: type = H::Int(32); break;
    case rt::DType::U64: type = H::UInt(64); break;
    default: type = H::Int(64); break;
    }
    return H::Buffer<>(type, const_cast<void *>(t.data()), int(dims.size()),
                       dims.data());
  };
  const std::vector<rt::Tensor> &in = inputs;
  std::vector<rt::Tensor> outputs;
  try {
    for (size_t i = 0; i < in.size(); ++i) {
      if (in[i].dtype() != impl->inputs[i].first ||
          in[i].shape() != impl->inputs[i].second)
        return llvm::createStringError(
            impl->name + ": input " + std::to_string(i) + " is " +
            in[i].describe() + ", the function takes another type or shape");
      impl->params[i].set(wrap(in[i]));
    }
    std::vector<H::Buffer<>> buffers;
    for (const Spec &spec : impl->outputs) {
      outputs.emplace_back(spec.first, spec.second);
      buffers.push_back(wrap(outputs.back()));
    }
    H::Realization realization(buffers);
    impl->pipeline.realize(realization);
    // On the GPU the results are computed in device memory: back to the
    // tensors' host memory.
    if (impl->gpu)
      for (H::Buffer<> &b : buffers)
        b.copy_to_host();
  } catch (const H::Error &e) {
    return llvm::createStringError(impl->name + ": " + e.what());
  }
  return outputs;
}

} // namespace halide
} // namespace kiln
