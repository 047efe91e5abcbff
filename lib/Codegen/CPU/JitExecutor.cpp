//===- JitExecutor.cpp - Run a tensor function in-process on the CPU ------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Lowers a clone of the module with the CPU pipeline, JIT-compiles it, and
// calls the entry's C interface with hand-built memref descriptors. The
// code's memref allocations call the counting allocator of
// AllocationTracking.cpp, bound by name into the JIT.
//
// After the pipeline, `func @f(tensor<A>, tensor<B>) -> (tensor<C>)` is
// `_mlir_ciface_f(desc<A>*, desc<B>*, desc<C>*)`, where a rank-R descriptor
// is the struct {T *allocated, T *aligned, i64 offset, i64 sizes[R],
// i64 strides[R]}: 3 + 2R eight-byte words, stored here as int64_t.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/CPU/JitExecutor.h"

#include "kiln/Codegen/CPU/TypeMapping.h"
#include "kiln/Conversion/KilnToLinalg/KilnToLinalg.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/ExecutionEngine/Orc/Mangling.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"

#include <algorithm>
#include <functional>

#ifndef KILN_OPENMP_LIB
#define KILN_OPENMP_LIB "/usr/lib/x86_64-linux-gnu/libomp.so.5"
#endif

#ifndef KILN_MLIR_LIB_DIR
#define KILN_MLIR_LIB_DIR "/usr/lib/llvm-22/lib"
#endif

using namespace mlir;

namespace kiln {
namespace cpu {

static_assert(sizeof(void *) == sizeof(int64_t),
              "memref descriptors are built for 64-bit hosts");

static llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

int64_t TensorSpec::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

std::string TensorSpec::describe() const {
  std::string text = rt::dtypeName(dtype);
  text += '[';
  for (size_t d = 0; d < shape.size(); ++d) {
    if (d != 0)
      text += 'x';
    text += std::to_string(shape[d]);
  }
  text += ']';
  return text;
}

/// The spec of one entry argument or result type, or an error that names it.
/// `isUnsigned`: the lowering marked it as a former `ui<N>` tensor whose
/// integers are now signless (kUnsignedAttrName).
static llvm::Expected<TensorSpec> specOf(Type type, bool isUnsigned,
                                         StringRef entry, StringRef what,
                                         unsigned index) {
  std::string typeText;
  llvm::raw_string_ostream(typeText) << type;
  auto fail = [&](StringRef why) {
    return makeError("entry @" + entry + ": " + what + " #" +
                     llvm::Twine(index) + " has type '" + typeText +
                     "': " + why);
  };
  auto tensorType = dyn_cast<RankedTensorType>(type);
  if (!tensorType)
    return fail("only ranked tensors are supported");
  if (!tensorType.hasStaticShape())
    return fail("dynamic shapes are not supported by the CPU JIT");
  Type element = tensorType.getElementType();
  if (isUnsigned && element.isSignlessInteger())
    element =
        IntegerType::get(type.getContext(), element.getIntOrFloatBitWidth(),
                         IntegerType::Unsigned);
  std::optional<rt::DType> dtype = fromMLIRElementType(element);
  if (!dtype)
    return fail("element type has no runtime dtype");
  TensorSpec spec;
  spec.dtype = *dtype;
  spec.shape.assign(tensorType.getShape().begin(),
                    tensorType.getShape().end());
  return spec;
}

/// Runs the CPU pipeline on `module`; the error carries its diagnostics.
static llvm::Error lowerToLLVMDialect(ModuleOp module,
                                      const CPUPipelineOptions &opts) {
  MLIRContext *context = module.getContext();
  std::string diagnostics;
  llvm::raw_string_ostream os(diagnostics);
  ScopedDiagnosticHandler handler(context, [&](Diagnostic &diag) {
    // What passes did (e.g. plan-memory's arena size) goes on to the
    // caller's handler, which may print it (kiln-run --remarks).
    if (diag.getSeverity() == DiagnosticSeverity::Remark)
      return failure();
    os << diag.getLocation() << ": " << diag << "\n";
    for (Diagnostic &note : diag.getNotes())
      os << "  note: " << note << "\n";
    return success();
  });
  PassManager pm(context, ModuleOp::getOperationName());
  buildCPULoweringPipeline(pm, opts);
  if (failed(pm.run(module)))
    return makeError("CPU lowering pipeline failed:\n" + diagnostics);
  return llvm::Error::success();
}

static void initializeNativeTargetOnce() {
  static const bool initialized = [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    return true;
  }();
  (void)initialized;
}

static llvm::CodeGenOptLevel codeGenOptLevel(unsigned level) {
  switch (level) {
  case 0:
    return llvm::CodeGenOptLevel::None;
  case 1:
    return llvm::CodeGenOptLevel::Less;
  case 2:
    return llvm::CodeGenOptLevel::Default;
  default:
    return llvm::CodeGenOptLevel::Aggressive;
  }
}

/// Sums what kiln-plan-memory recorded on the module's functions (the
/// attributes survive the conversion to llvm.func). The C wrappers copy
/// their function's attributes and are skipped.
static PlannedMemory readPlannedMemory(ModuleOp module) {
  PlannedMemory plan;
  auto get = [](Operation *op, StringRef name) -> int64_t {
    auto attr = op->getAttrOfType<IntegerAttr>(name);
    return attr ? attr.getInt() : 0;
  };
  for (Operation &op : module.getBody()->getOperations()) {
    auto name = op.getAttrOfType<StringAttr>(SymbolTable::getSymbolAttrName());
    if (!name || name.getValue().starts_with("_mlir_ciface_") ||
        !op.hasAttr("kiln.arena_bytes"))
      continue;
    plan.arenaBytes += get(&op, "kiln.arena_bytes");
    plan.plannedBuffers += get(&op, "kiln.planned_buffers");
    plan.unplannedAllocs += get(&op, "kiln.unplanned_allocs");
    plan.unplannedBytes += get(&op, "kiln.unplanned_bytes");
    plan.dynamicAllocs += get(&op, "kiln.dynamic_allocs");
  }
  return plan;
}

llvm::Expected<std::unique_ptr<JitExecutor>>
JitExecutor::create(ModuleOp module, StringRef entry,
                    const CPUPipelineOptions &opts) {
  auto func = dyn_cast_or_null<func::FuncOp>(
      SymbolTable::lookupSymbolIn(module, entry));
  if (!func)
    return makeError("entry function @" + entry + " not found in the module");
  if (func.isExternal())
    return makeError("entry function @" + entry + " has no body");

  std::unique_ptr<JitExecutor> jit(new JitExecutor());
  jit->entry = entry.str();
  FunctionType type = func.getFunctionType();
  for (auto [i, argType] : llvm::enumerate(type.getInputs())) {
    bool isUnsigned = func.getArgAttr(i, kUnsignedAttrName) != nullptr;
    auto spec = specOf(argType, isUnsigned, entry, "input", i);
    if (!spec)
      return spec.takeError();
    jit->inSpecs.push_back(std::move(*spec));
  }
  for (auto [i, resultType] : llvm::enumerate(type.getResults())) {
    bool isUnsigned = func.getResultAttr(i, kUnsignedAttrName) != nullptr;
    auto spec = specOf(resultType, isUnsigned, entry, "output", i);
    if (!spec)
      return spec.takeError();
    jit->outSpecs.push_back(std::move(*spec));
  }

  // Lower a clone: the caller's module stays at the tensor level.
  MLIRContext *context = module.getContext();
  DialectRegistry registry;
  registerCPUPipelineDependencies(registry);
  context->appendDialectRegistry(registry);
  OwningOpRef<ModuleOp> lowered(module.clone());
  auto loweredFunc = cast<func::FuncOp>(
      SymbolTable::lookupSymbolIn(lowered.get(), entry));
  // Public (keeps its signature contract), with a C interface, and inputs
  // that bufferization must not write into: they are the caller's tensors.
  loweredFunc.setPublic();
  loweredFunc->setAttr("llvm.emit_c_interface", UnitAttr::get(context));
  // Argument and result attributes of other layers (e.g. the ONNX names the
  // importer keeps) mean nothing to the LLVM translation: drop them.
  loweredFunc.setAllArgAttrs(
      SmallVector<DictionaryAttr>(loweredFunc.getNumArguments()));
  loweredFunc.setAllResultAttrs(
      SmallVector<DictionaryAttr>(loweredFunc.getNumResults()));
  for (unsigned i = 0, e = loweredFunc.getNumArguments(); i < e; ++i)
    loweredFunc.setArgAttr(i,
                           bufferization::BufferizationDialect::kWritableAttrName,
                           BoolAttr::get(context, false));
  // The other functions' unsigned marks (read above for the entry only).
  lowered->walk([&](func::FuncOp f) {
    for (unsigned i = 0, e = f.getNumArguments(); i < e; ++i)
      f.removeArgAttr(i, kUnsignedAttrName);
    for (unsigned i = 0, e = f.getNumResults(); i < e; ++i)
      f.removeResultAttr(i, kUnsignedAttrName);
  });
  CPUPipelineOptions loweringOpts = opts;
  loweringOpts.trackAllocations = true; // Bound to the counting allocator.
  if (llvm::Error err = lowerToLLVMDialect(lowered.get(), loweringOpts))
    return std::move(err);
  jit->planned = readPlannedMemory(lowered.get());
  jit->planned.planned = opts.planMemory;

  // JIT-compile for the host CPU.
  initializeNativeTargetOnce();
  auto tmBuilder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!tmBuilder)
    return tmBuilder.takeError();
  tmBuilder->setCodeGenOptLevel(codeGenOptLevel(opts.llvmOptLevel));
  auto targetMachine = tmBuilder->createTargetMachine();
  if (!targetMachine)
    return targetMachine.takeError();
  // ExecutionEngineOptions::transformer is a function_ref: keep the
  // std::function alive across create().
  std::function<llvm::Error(llvm::Module *)> transformer =
      makeOptimizingTransformer(std::min(opts.llvmOptLevel, 3u),
                                /*sizeLevel=*/0, targetMachine->get());
  SmallVector<StringRef, 1> sharedLibs;
  std::string runnerUtils = KILN_MLIR_LIB_DIR "/libmlir_c_runner_utils.so";
  if (llvm::sys::fs::exists(runnerUtils))
    sharedLibs.push_back(runnerUtils); // memrefCopy for strided copies.
  // The OpenMP runtime for the matmul kernels' thread tiles (__kmpc_*).
  std::string openmp = KILN_OPENMP_LIB;
  if (!openmp.empty() && llvm::sys::fs::exists(openmp))
    sharedLibs.push_back(openmp);
  ExecutionEngineOptions engineOptions;
  engineOptions.transformer = transformer;
  engineOptions.jitCodeGenOptLevel = codeGenOptLevel(opts.llvmOptLevel);
  engineOptions.sharedLibPaths = sharedLibs;
  auto engine = ExecutionEngine::create(lowered.get(), engineOptions,
                                        std::move(*targetMachine));
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

/// Appends the descriptor words of a dense row-major buffer at `data`.
static void appendDescriptor(SmallVectorImpl<int64_t> &words, void *data,
                             const std::vector<int64_t> &shape) {
  // A zero-sized tensor may have no storage; the code never dereferences it,
  // but give it a valid address anyway.
  alignas(64) static char emptyStorage[64];
  if (!data)
    data = emptyStorage;
  int64_t address = static_cast<int64_t>(reinterpret_cast<intptr_t>(data));
  words.push_back(address); // allocated
  words.push_back(address); // aligned
  words.push_back(0);       // offset
  words.append(shape.begin(), shape.end());
  size_t stridesAt = words.size();
  words.resize(stridesAt + shape.size());
  int64_t stride = 1;
  for (size_t d = shape.size(); d-- > 0;) {
    words[stridesAt + d] = stride;
    stride *= shape[d];
  }
}

llvm::Error JitExecutor::runInto(llvm::ArrayRef<rt::Tensor> inputs,
                                 llvm::MutableArrayRef<rt::Tensor> outputs,
                                 AllocationStats *stats) {
  auto mismatch = [&](StringRef what, size_t index, const TensorSpec &spec,
                      const rt::Tensor &tensor) {
    return makeError("@" + entry + ": " + what + " #" + llvm::Twine(index) +
                     ": expected " + spec.describe() + ", got " +
                     tensor.describe());
  };
  if (inputs.size() != inSpecs.size())
    return makeError("@" + entry + ": expected " +
                     llvm::Twine(inSpecs.size()) + " inputs, got " +
                     llvm::Twine(inputs.size()));
  if (outputs.size() != outSpecs.size())
    return makeError("@" + entry + ": expected " +
                     llvm::Twine(outSpecs.size()) + " outputs, got " +
                     llvm::Twine(outputs.size()));
  for (size_t i = 0; i < inputs.size(); ++i)
    if (!inSpecs[i].matches(inputs[i]))
      return mismatch("input", i, inSpecs[i], inputs[i]);
  for (size_t i = 0; i < outputs.size(); ++i)
    if (!outSpecs[i].matches(outputs[i]))
      return mismatch("output", i, outSpecs[i], outputs[i]);

  // Descriptors first (the word vector may reallocate while growing), then
  // the pointers to them, then the packed argument array.
  size_t numArgs = inputs.size() + outputs.size();
  SmallVector<int64_t, 64> words;
  SmallVector<size_t, 16> starts;
  starts.reserve(numArgs);
  for (const rt::Tensor &input : inputs) {
    starts.push_back(words.size());
    // The pipeline marks inputs non-writable; the code only reads them.
    appendDescriptor(words, const_cast<void *>(input.data()), input.shape());
  }
  for (rt::Tensor &output : outputs) {
    starts.push_back(words.size());
    appendDescriptor(words, output.data(), output.shape());
  }
  SmallVector<void *, 16> descriptors(numArgs);
  SmallVector<void *, 16> args(numArgs);
  for (size_t i = 0; i < numArgs; ++i) {
    descriptors[i] = &words[starts[i]];
    args[i] = &descriptors[i];
  }
  if (stats) {
    AllocationTrackingScope scope(*stats);
    packedEntry(args.data());
  } else {
    packedEntry(args.data());
  }
  return llvm::Error::success();
}

} // namespace cpu
} // namespace kiln
