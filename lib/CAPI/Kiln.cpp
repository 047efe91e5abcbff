//===- Kiln.cpp - C API to Kiln's dialect, importer and targets -----------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Implements include/kiln-c/Kiln.h over the C++ API: the importer, the pass
// registry, and the CPU/CUDA executors behind one opaque executable.
//
//===----------------------------------------------------------------------===//

#include "kiln-c/Kiln.h"

#include "kiln/Codegen/CPU/JitExecutor.h"
#include "kiln/Codegen/CPU/Pipeline.h"
#include "kiln/Codegen/CUDA/CUDAExecutor.h"
#include "kiln/Codegen/CUDA/Pipeline.h"
#include "kiln/Conversion/Passes.h"
#include "kiln/Dialect/Kiln/KilnDialect.h"
#include "kiln/Import/ONNXImporter.h"
#include "kiln/Passes/Passes.h"

#include "mlir/CAPI/IR.h"
#include "mlir/CAPI/Registration.h"
#include "mlir/CAPI/Support.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>
#include <memory>
#include <vector>

using namespace mlir;

MLIR_DEFINE_CAPI_DIALECT_REGISTRATION(Kiln, kiln, kiln::KilnDialect)

namespace {

kiln::rt::Tensor *unwrap(KilnTensor tensor) {
  return static_cast<kiln::rt::Tensor *>(tensor.ptr);
}

/// One compiled function; `run` hides which executor.
struct Executable {
  MLIRContext *context = nullptr;
  std::unique_ptr<kiln::cpu::JitExecutor> cpu;
  std::unique_ptr<kiln::cuda::CUDAExecutor> cuda;

  size_t numInputs() const {
    return cpu ? cpu->inputSpecs().size() : cuda->inputSpecs().size();
  }
  size_t numOutputs() const {
    return cpu ? cpu->outputSpecs().size() : cuda->outputSpecs().size();
  }
  llvm::Expected<std::vector<kiln::rt::Tensor>>
  run(llvm::ArrayRef<kiln::rt::Tensor> inputs) {
    return cpu ? cpu->run(inputs) : cuda->run(inputs);
  }
};

Executable *unwrap(KilnExecutable executable) {
  return static_cast<Executable *>(executable.ptr);
}

/// Reports `err` as an error diagnostic on `context`.
void emitError(MLIRContext *context, llvm::Error err) {
  mlir::emitError(UnknownLoc::get(context)) << llvm::toString(std::move(err));
}

} // namespace

void kilnRegisterAllDialects(MlirDialectRegistry registry) {
  DialectRegistry &reg = *unwrap(registry);
  reg.insert<kiln::KilnDialect>();
  kiln::cpu::registerCPUPipelineDependencies(reg);
  kiln::cuda::registerCUDAPipelineDependencies(reg);
}

void kilnRegisterPasses(void) {
  static const bool registered = [] {
    mlir::registerAllPasses(); // canonicalize, cse, ... in pipeline strings
    kiln::registerKilnPasses();
    kiln::registerKilnConversionPasses();
    kiln::cpu::registerCPUPipelines();
    kiln::cuda::registerCUDAPipelines();
    return true;
  }();
  (void)registered;
}

MlirModule kilnImportONNXFile(MlirContext ctx, MlirStringRef path) {
  MLIRContext *context = unwrap(ctx);
  StringRef file = unwrap(path);
  auto buffer = llvm::MemoryBuffer::getFile(file);
  if (!buffer) {
    mlir::emitError(UnknownLoc::get(context))
        << "cannot read '" << file << "': " << buffer.getError().message();
    return MlirModule{nullptr};
  }
  kiln::registerImportDialects(*context);
  OwningOpRef<ModuleOp> module =
      kiln::importONNXBytes((*buffer)->getBuffer(), file, context);
  if (!module)
    return MlirModule{nullptr};
  return wrap(module.release());
}

MlirLogicalResult kilnRunPipeline(MlirModule module, MlirStringRef pipeline) {
  ModuleOp op = unwrap(module);
  PassManager pm(op.getContext(), ModuleOp::getOperationName(),
                 OpPassManager::Nesting::Implicit);
  std::string error;
  llvm::raw_string_ostream os(error);
  if (failed(parsePassPipeline(unwrap(pipeline), pm, os))) {
    op.emitError() << "bad pass pipeline: " << error;
    return mlirLogicalResultFailure();
  }
  return wrap(pm.run(op));
}

KilnTensor kilnTensorCreate(KilnDType dtype, intptr_t rank,
                            const int64_t *shape, const void *data) {
  auto type = static_cast<kiln::rt::DType>(dtype);
  if (kiln::rt::dtypeSize(type) == 0 || rank < 0)
    return KilnTensor{nullptr};
  std::vector<int64_t> dims(shape, shape + rank);
  for (int64_t d : dims)
    if (d < 0)
      return KilnTensor{nullptr};
  auto *tensor = new kiln::rt::Tensor(type, dims);
  if (data && tensor->numBytes())
    std::memcpy(tensor->data(), data, tensor->numBytes());
  return KilnTensor{tensor};
}

void kilnTensorDestroy(KilnTensor tensor) { delete unwrap(tensor); }

KilnDType kilnTensorGetDType(KilnTensor tensor) {
  return static_cast<KilnDType>(unwrap(tensor)->dtype());
}

intptr_t kilnTensorGetRank(KilnTensor tensor) { return unwrap(tensor)->rank(); }

int64_t kilnTensorGetDimSize(KilnTensor tensor, intptr_t dim) {
  return unwrap(tensor)->shape()[dim];
}

int64_t kilnTensorGetNumElements(KilnTensor tensor) {
  return unwrap(tensor)->numElements();
}

void *kilnTensorGetData(KilnTensor tensor) { return unwrap(tensor)->data(); }

KilnExecutable kilnExecutableCreate(MlirModule module, MlirStringRef entry,
                                    MlirStringRef target) {
  ModuleOp op = unwrap(module);
  MLIRContext *context = op.getContext();
  StringRef name = unwrap(entry), targetName = unwrap(target);
  if (targetName != "cpu" && targetName != "cuda") {
    op.emitError() << "unknown target '" << targetName
                   << "' (supported: cpu, cuda)";
    return KilnExecutable{nullptr};
  }
  if (!op.lookupSymbol<func::FuncOp>(name)) {
    op.emitError() << "no function @" << name << " in the module";
    return KilnExecutable{nullptr};
  }
  // A copy of the module at the tensor level, the entry alone.
  OwningOpRef<ModuleOp> lowered(op.clone());
  for (auto func :
       llvm::make_early_inc_range(lowered->getOps<func::FuncOp>()))
    if (func.getSymName() != name)
      func.erase();
  PassManager pm(context, ModuleOp::getOperationName());
  pm.addNestedPass<func::FuncOp>(kiln::createKilnAutodiff());
  // The CPU pipeline computes reduction fusion groups tile by tile.
  kiln::ConvertKilnToLinalgOptions lowering;
  lowering.markFusionGroups = targetName == "cpu";
  pm.addPass(kiln::createConvertKilnToLinalg(lowering));
  if (failed(pm.run(*lowered)))
    return KilnExecutable{nullptr};

  auto executable = std::make_unique<Executable>();
  executable->context = context;
  if (targetName == "cpu") {
    auto jit = kiln::cpu::JitExecutor::create(*lowered, name);
    if (!jit) {
      emitError(context, jit.takeError());
      return KilnExecutable{nullptr};
    }
    executable->cpu = std::move(*jit);
  } else {
    auto exec = kiln::cuda::CUDAExecutor::create(*lowered, name);
    if (!exec) {
      emitError(context, exec.takeError());
      return KilnExecutable{nullptr};
    }
    executable->cuda = std::move(*exec);
  }
  return KilnExecutable{executable.release()};
}

void kilnExecutableDestroy(KilnExecutable executable) {
  delete unwrap(executable);
}

intptr_t kilnExecutableGetNumInputs(KilnExecutable executable) {
  return unwrap(executable)->numInputs();
}

intptr_t kilnExecutableGetNumOutputs(KilnExecutable executable) {
  return unwrap(executable)->numOutputs();
}

MlirLogicalResult kilnExecutableRun(KilnExecutable executable,
                                    intptr_t numInputs,
                                    const KilnTensor *inputs,
                                    intptr_t numOutputs, KilnTensor *outputs) {
  Executable *exe = unwrap(executable);
  if (numOutputs != static_cast<intptr_t>(exe->numOutputs())) {
    mlir::emitError(UnknownLoc::get(exe->context))
        << "the function has " << exe->numOutputs() << " outputs, "
        << numOutputs << " were asked for";
    return mlirLogicalResultFailure();
  }
  std::vector<kiln::rt::Tensor> args;
  args.reserve(numInputs);
  for (intptr_t i = 0; i < numInputs; ++i) {
    if (!inputs[i].ptr) {
      mlir::emitError(UnknownLoc::get(exe->context))
          << "input #" << i << " is a null tensor";
      return mlirLogicalResultFailure();
    }
    args.push_back(*unwrap(inputs[i]));
  }
  auto results = exe->run(args);
  if (!results) {
    emitError(exe->context, results.takeError());
    return mlirLogicalResultFailure();
  }
  for (intptr_t i = 0; i < numOutputs; ++i)
    outputs[i] = KilnTensor{new kiln::rt::Tensor(std::move((*results)[i]))};
  return mlirLogicalResultSuccess();
}
