//===- EntryLowering.cpp - One entry function lowered for the host --------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Reads an entry's signature as runtime tensor specs and lowers a clone of
// its module with the CPU pipeline, the entry exposed through a C interface.
// Shared by the JIT and the artifact writer.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/CPU/EntryLowering.h"

#include "kiln/Codegen/CPU/TypeMapping.h"
#include "kiln/Conversion/KilnToLinalg/KilnToLinalg.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"

#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"

#include <functional>
#include "llvm/Target/TargetMachine.h"

#ifndef KILN_MLIR_LIB_DIR
#define KILN_MLIR_LIB_DIR "/usr/lib/llvm-22/lib"
#endif
#ifndef KILN_OPENMP_LIB
#define KILN_OPENMP_LIB "/usr/lib/x86_64-linux-gnu/libomp.so.5"
#endif

using namespace mlir;

namespace kiln {
namespace cpu {

int64_t TensorSpec::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

std::string TensorSpec::describe() const {
  return rt::describeTensorType(dtype, shape);
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
    return llvm::createStringError("entry @" + entry + ": " + what + " #" +
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

/// Runs the pipeline `buildPipeline` fills on `module`; the error carries
/// its diagnostics.
static llvm::Error
lowerToLLVMDialect(ModuleOp module,
                   llvm::function_ref<void(OpPassManager &)> buildPipeline,
                   StringRef what, TimingScope *timing) {
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
  buildPipeline(pm);
  if (timing)
    pm.enableTiming(*timing);
  if (failed(pm.run(module)))
    return llvm::createStringError(what + " failed:\n" + diagnostics);
  return llvm::Error::success();
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

llvm::Expected<LoweredEntry> lowerEntryForHost(ModuleOp module, StringRef entry,
                                               const CPUPipelineOptions &opts) {
  auto lowered = lowerEntryForHost(
      module, entry,
      [&](OpPassManager &pm) { buildCPULoweringPipeline(pm, opts); },
      "CPU lowering pipeline", opts.timing);
  if (lowered)
    lowered->planned.planned = opts.planMemory;
  return lowered;
}

llvm::Expected<LoweredEntry>
lowerEntryForHost(ModuleOp module, StringRef entry,
                  llvm::function_ref<void(OpPassManager &)> buildPipeline,
                  StringRef what, TimingScope *timing) {
  auto func = dyn_cast_or_null<func::FuncOp>(
      SymbolTable::lookupSymbolIn(module, entry));
  if (!func)
    return llvm::createStringError("entry function @" + entry + " not found in the module");
  if (func.isExternal())
    return llvm::createStringError("entry function @" + entry + " has no body");

  LoweredEntry result;
  result.entry = entry.str();
  FunctionType type = func.getFunctionType();
  for (auto [i, argType] : llvm::enumerate(type.getInputs())) {
    bool isUnsigned = func.getArgAttr(i, kUnsignedAttrName) != nullptr;
    auto spec = specOf(argType, isUnsigned, entry, "input", i);
    if (!spec)
      return spec.takeError();
    result.inputs.push_back(std::move(*spec));
  }
  for (auto [i, resultType] : llvm::enumerate(type.getResults())) {
    bool isUnsigned = func.getResultAttr(i, kUnsignedAttrName) != nullptr;
    auto spec = specOf(resultType, isUnsigned, entry, "output", i);
    if (!spec)
      return spec.takeError();
    result.outputs.push_back(std::move(*spec));
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
  if (llvm::Error err =
          lowerToLLVMDialect(lowered.get(), buildPipeline, what, timing))
    return std::move(err);
  result.planned = readPlannedMemory(lowered.get());
  result.module = std::move(lowered);
  return std::move(result);
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

llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
createHostTargetMachine(unsigned optLevel, bool sharedLibrary) {
  static const bool initialized = [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    return true;
  }();
  (void)initialized;
  auto builder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!builder)
    return builder.takeError();
  builder->setCodeGenOptLevel(codeGenOptLevel(optLevel));
  if (sharedLibrary)
    builder->setRelocationModel(llvm::Reloc::PIC_);
  return builder->createTargetMachine();
}

llvm::Expected<std::unique_ptr<ExecutionEngine>>
createHostExecutionEngine(ModuleOp lowered, unsigned optLevel,
                          ArrayRef<std::string> extraLibraries) {
  auto targetMachine = createHostTargetMachine(optLevel);
  if (!targetMachine)
    return targetMachine.takeError();
  // ExecutionEngineOptions::transformer is a function_ref: keep the
  // std::function alive across create().
  std::function<llvm::Error(llvm::Module *)> transformer =
      makeOptimizingTransformer(std::min(optLevel, 3u), /*sizeLevel=*/0,
                                targetMachine->get());
  SmallVector<StringRef, 2> sharedLibs;
  std::string runnerUtils = KILN_MLIR_LIB_DIR "/libmlir_c_runner_utils.so";
  if (llvm::sys::fs::exists(runnerUtils))
    sharedLibs.push_back(runnerUtils); // memrefCopy for strided copies.
  for (const std::string &library : extraLibraries)
    sharedLibs.push_back(library);
  ExecutionEngineOptions engineOptions;
  engineOptions.transformer = transformer;
  engineOptions.jitCodeGenOptLevel = (*targetMachine)->getOptLevel();
  engineOptions.sharedLibPaths = sharedLibs;
  return ExecutionEngine::create(lowered, engineOptions,
                                 std::move(*targetMachine));
}

std::string openMPRuntimePath() {
  std::string path = KILN_OPENMP_LIB;
  return !path.empty() && llvm::sys::fs::exists(path) ? path : std::string();
}

} // namespace cpu
} // namespace kiln
