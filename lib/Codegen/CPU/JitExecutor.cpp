//===- JitExecutor.cpp - Run a tensor function in-process on the CPU ------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Lowers a clone of the module with the CPU pipeline (EntryLowering.h),
// JIT-compiles it, and calls the entry's C interface through the packed
// memref descriptors of kiln/Runtime/MemRefDescriptor.h. The code's memref
// allocations call the counting allocator of AllocationTracking.cpp, bound
// by name into the JIT.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/CPU/JitExecutor.h"

#include "kiln/Runtime/MemRefDescriptor.h"

#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/Timing.h"

#include "llvm/ExecutionEngine/Orc/Mangling.h"

#include <algorithm>
#include <functional>


using namespace mlir;

namespace kiln {
namespace cpu {

llvm::Expected<std::unique_ptr<JitExecutor>>
JitExecutor::create(ModuleOp module, StringRef entry,
                    const CPUPipelineOptions &opts) {
  CPUPipelineOptions loweringOpts = opts;
  loweringOpts.trackAllocations = true; // Bound to the counting allocator.
  auto lowered = lowerEntryForHost(module, entry, loweringOpts);
  if (!lowered)
    return lowered.takeError();
  std::unique_ptr<JitExecutor> jit(new JitExecutor());
  jit->entry = lowered->entry;
  jit->inSpecs = lowered->inputs;
  jit->outSpecs = lowered->outputs;
  jit->planned = lowered->planned;

  // JIT-compile for the host CPU, with the OpenMP runtime for the matmul
  // kernels' thread tiles (__kmpc_*); the LLVM side (optimization, code
  // generation) under the caller's timer.
  TimingScope llvmTime = opts.timing
                             ? opts.timing->nest("LLVM optimization and JIT")
                             : TimingScope();
  SmallVector<std::string, 1> libraries;
  if (std::string openmp = openMPRuntimePath(); !openmp.empty())
    libraries.push_back(openmp);
  auto engine = createHostExecutionEngine(lowered->module.get(),
                                          opts.llvmOptLevel, libraries);
  if (!engine)
    return engine.takeError();
  jit->engine = std::move(*engine);
  jit->engine->registerSymbols([](llvm::orc::MangleAndInterner interner) {
    auto def = [](auto *fn) {
      return llvm::orc::ExecutorSymbolDef(llvm::orc::ExecutorAddr::fromPtr(fn),
                                          llvm::JITSymbolFlags::Exported);
    };
    llvm::orc::SymbolMap symbols;
    symbols[interner("_mlir_memref_to_llvm_alloc")] =
        def(&hooks::kilnTrackedAlloc);
    symbols[interner("_mlir_memref_to_llvm_aligned_alloc")] =
        def(&hooks::kilnTrackedAlignedAlloc);
    symbols[interner("_mlir_memref_to_llvm_free")] =
        def(&hooks::kilnTrackedFree);
    return symbols;
  });

  auto packed = jit->engine->lookupPacked("_mlir_ciface_" + jit->entry);
  if (!packed)
    return packed.takeError();
  jit->packedEntry = *packed;
  jit->engine->initialize(); // Global constructors, once.
  llvmTime.stop();
  return std::move(jit);
}

JitExecutor::~JitExecutor() = default;

llvm::Expected<std::vector<rt::Tensor>>
JitExecutor::run(llvm::ArrayRef<rt::Tensor> inputs, AllocationStats *stats) {
  std::vector<rt::Tensor> results;
  results.reserve(outSpecs.size());
  for (const TensorSpec &spec : outSpecs)
    results.emplace_back(spec.dtype, spec.shape);
  if (llvm::Error err = runInto(inputs, results, stats))
    return std::move(err);
  return std::move(results);
}

llvm::Error JitExecutor::runInto(llvm::ArrayRef<rt::Tensor> inputs,
                                 llvm::MutableArrayRef<rt::Tensor> outputs,
                                 AllocationStats *stats) {
  auto mismatch = [&](StringRef what, size_t index, const TensorSpec &spec,
                      const rt::Tensor &tensor) {
    return llvm::createStringError("@" + entry + ": " + what + " #" + llvm::Twine(index) +
                     ": expected " + spec.describe() + ", got " +
                     tensor.describe());
  };
  if (inputs.size() != inSpecs.size())
    return llvm::createStringError("@" + entry + ": expected " +
                     llvm::Twine(inSpecs.size()) + " inputs, got " +
                     llvm::Twine(inputs.size()));
  if (outputs.size() != outSpecs.size())
    return llvm::createStringError("@" + entry + ": expected " +
                     llvm::Twine(outSpecs.size()) + " outputs, got " +
                     llvm::Twine(outputs.size()));
  for (size_t i = 0; i < inputs.size(); ++i)
    if (!inSpecs[i].matches(inputs[i]))
      return mismatch("input", i, inSpecs[i], inputs[i]);
  for (size_t i = 0; i < outputs.size(); ++i)
    if (!outSpecs[i].matches(outputs[i]))
      return mismatch("output", i, outSpecs[i], outputs[i]);

  std::vector<const rt::Tensor *> in;
  std::vector<rt::Tensor *> out;
  for (const rt::Tensor &input : inputs)
    in.push_back(&input);
  for (rt::Tensor &output : outputs)
    out.push_back(&output);
  rt::PackedArguments call(in, out);
  if (stats) {
    AllocationTrackingScope scope(*stats);
    packedEntry(call.args());
  } else {
    packedEntry(call.args());
  }
  return llvm::Error::success();
}

} // namespace cpu
} // namespace kiln
