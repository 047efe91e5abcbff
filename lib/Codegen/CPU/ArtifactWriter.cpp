//===- ArtifactWriter.cpp - Compile an entry into an artifact -------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Lowers one entry for the host (EntryLowering.h), translates it to LLVM IR,
// optimizes it as the JIT does, adds the packed entry the runtime calls,
// emits an object file and links it into the artifact's shared library with
// the system C compiler driver (`cc`, or $KILN_CC).
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/CPU/ArtifactWriter.h"

#include "kiln/Codegen/CPU/EntryLowering.h"
#include "kiln/Runtime/DataFiles.h"
#include "kiln/Runtime/TensorProtoIO.h"

#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Verifier.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"

#include <cstdlib>

#ifndef KILN_ARTIFACT_SUPPORT_LIB
#define KILN_ARTIFACT_SUPPORT_LIB ""
#endif

using namespace mlir;

namespace kiln {
namespace cpu {

/// Adds `void kiln_artifact_entry(void **args)`, which calls
/// `_mlir_ciface_<entry>` with *(void **)args[i] as its i-th argument: the
/// packed form that the JIT's ExecutionEngine builds for itself.
static llvm::Error addPackedEntry(llvm::Module &module, StringRef entry) {
  llvm::Function *target = module.getFunction(("_mlir_ciface_" + entry).str());
  if (!target)
    return llvm::createStringError("the lowered module has no _mlir_ciface_" + entry);
  llvm::FunctionType *type = target->getFunctionType();
  if (!type->getReturnType()->isVoidTy() ||
      llvm::any_of(type->params(),
                   [](llvm::Type *t) { return !t->isPointerTy(); }))
    return llvm::createStringError("_mlir_ciface_" + entry +
                     " does not take memref descriptors only (results must "
                     "be out-params)");
  llvm::LLVMContext &context = module.getContext();
  auto *ptr = llvm::PointerType::getUnqual(context);
  auto *packedType =
      llvm::FunctionType::get(llvm::Type::getVoidTy(context), {ptr}, false);
  auto *packed = llvm::Function::Create(
      packedType, llvm::GlobalValue::ExternalLinkage,
      rt::ArtifactManifest::kEntrySymbol, module);
  llvm::IRBuilder<> builder(llvm::BasicBlock::Create(context, "", packed));
  llvm::SmallVector<llvm::Value *> args;
  for (unsigned i = 0; i < type->getNumParams(); ++i) {
    llvm::Value *slot = builder.CreateConstGEP1_64(ptr, packed->getArg(0), i);
    llvm::Value *toDescriptor = builder.CreateLoad(ptr, slot);
    args.push_back(builder.CreateLoad(ptr, toDescriptor));
  }
  builder.CreateCall(target, args);
  builder.CreateRetVoid();
  if (llvm::verifyModule(module, &llvm::errs()))
    return llvm::createStringError("the packed entry does not verify");
  return llvm::Error::success();
}

static llvm::Error emitObject(llvm::Module &module,
                              llvm::TargetMachine &machine,
                              StringRef path) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_None);
  if (ec)
    return llvm::createStringError("cannot write '" + path + "': " + ec.message());
  llvm::legacy::PassManager pm;
  if (machine.addPassesToEmitFile(pm, os, nullptr,
                                  llvm::CodeGenFileType::ObjectFile))
    return llvm::createStringError("the host target cannot emit object files");
  pm.run(module);
  return llvm::Error::success();
}

/// The artifact support library: $KILN_ARTIFACT_SUPPORT_LIB, else the one
/// this build made.
static std::string supportLibraryPath() {
  if (const char *env = std::getenv("KILN_ARTIFACT_SUPPORT_LIB"))
    return env;
  return KILN_ARTIFACT_SUPPORT_LIB;
}

/// Links `object` into the shared library `output`: no undefined symbol may
/// remain besides libc's and the OpenMP runtime's.
static llvm::Error linkSharedLibrary(StringRef object, StringRef output,
                                     ArrayRef<std::string> extraLinkArgs) {
  const char *ccEnv = std::getenv("KILN_CC");
  std::string ccName = ccEnv && *ccEnv ? ccEnv : "cc";
  auto cc = llvm::sys::findProgramByName(ccName);
  if (!cc)
    return llvm::createStringError("cannot find the C compiler driver '" + ccName +
                     "' to link the artifact (install gcc or clang, or set "
                     "KILN_CC)");
  std::string support = supportLibraryPath();
  if (support.empty() || !llvm::sys::fs::exists(support))
    return llvm::createStringError("the artifact support library '" + support +
                     "' is missing (set KILN_ARTIFACT_SUPPORT_LIB)");
  llvm::SmallVector<std::string> args = {
      *cc,           "-shared", "-o",     output.str(), object.str(),
      support,       "-Wl,--no-undefined", "-Wl,-z,now"};
  std::string openmp = openMPRuntimePath();
  if (!openmp.empty())
    args.push_back(openmp);
  args.append(extraLinkArgs.begin(), extraLinkArgs.end());
  args.push_back("-lm");
  llvm::SmallString<128> log;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("kiln-link", "log", log))
    return llvm::createStringError("cannot create a temporary file: " + ec.message());
  llvm::SmallVector<StringRef> argRefs(args.begin(), args.end());
  std::optional<StringRef> redirects[] = {std::nullopt, StringRef(log),
                                          StringRef(log)};
  std::string execError;
  int rc = llvm::sys::ExecuteAndWait(*cc, argRefs, std::nullopt, redirects, 0,
                                     0, &execError);
  std::string message;
  if (auto text = llvm::MemoryBuffer::getFile(log))
    message = (*text)->getBuffer().trim().str();
  llvm::sys::fs::remove(log);
  if (rc != 0)
    return llvm::createStringError("linking the artifact with '" + *cc + "' failed" +
                     (execError.empty() ? "" : " (" + execError + ")") +
                     (message.empty() ? "" : ":\n" + message));
  return llvm::Error::success();
}

llvm::Error
writeCPUArtifact(ModuleOp module, StringRef entry, rt::ArtifactManifest manifest,
                 const std::map<std::string, rt::Tensor> &initialState,
                 const CPUPipelineOptions &opts, StringRef dir) {
  CPUPipelineOptions loweringOpts = opts;
  loweringOpts.trackAllocations = false; // malloc/free from libc.
  auto lowered = lowerEntryForHost(module, entry, loweringOpts);
  if (!lowered)
    return lowered.takeError();
  manifest.target = "cpu";
  return writeLoweredArtifact(*lowered, std::move(manifest), initialState,
                              opts.llvmOptLevel, {}, dir);
}

llvm::Error writeLoweredArtifact(LoweredEntry &lowered,
                                 rt::ArtifactManifest manifest,
                                 const std::map<std::string, rt::Tensor> &initialState,
                                 unsigned llvmOptLevel,
                                 ArrayRef<std::string> extraLinkArgs,
                                 StringRef dir) {
  StringRef entry = lowered.entry;
  if (manifest.inputs.size() != lowered.inputs.size() ||
      manifest.outputs.size() != lowered.outputs.size())
    return llvm::createStringError("@" + entry + ": the manifest names " +
                     llvm::Twine(manifest.inputs.size()) + " inputs and " +
                     llvm::Twine(manifest.outputs.size()) +
                     " outputs, the function has " +
                     llvm::Twine(lowered.inputs.size()) + " and " +
                     llvm::Twine(lowered.outputs.size()));
  for (size_t i = 0; i < manifest.inputs.size(); ++i) {
    manifest.inputs[i].dtype = lowered.inputs[i].dtype;
    manifest.inputs[i].shape = lowered.inputs[i].shape;
  }
  for (size_t i = 0; i < manifest.outputs.size(); ++i) {
    manifest.outputs[i].dtype = lowered.outputs[i].dtype;
    manifest.outputs[i].shape = lowered.outputs[i].shape;
  }
  manifest.function = entry.str();

  // LLVM IR, optimized as the JIT optimizes it, plus the packed entry.
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule = translateModuleToLLVMIR(
      lowered.module.get(), llvmContext, "kiln_artifact");
  if (!llvmModule)
    return llvm::createStringError("@" + entry + ": translation to LLVM IR failed");
  auto machine = createHostTargetMachine(llvmOptLevel,
                                         /*sharedLibrary=*/true);
  if (!machine)
    return machine.takeError();
  llvmModule->setDataLayout((*machine)->createDataLayout());
  llvmModule->setTargetTriple((*machine)->getTargetTriple());
  auto optimize = makeOptimizingTransformer(std::min(llvmOptLevel, 3u),
                                            /*sizeLevel=*/0, machine->get());
  if (llvm::Error err = optimize(llvmModule.get()))
    return err;
  if (llvm::Error err = addPackedEntry(*llvmModule, entry))
    return err;

  if (std::error_code ec = llvm::sys::fs::create_directories(dir))
    return llvm::createStringError("cannot create '" + dir + "': " + ec.message());
  llvm::SmallString<256> object(dir), library(dir);
  llvm::sys::path::append(object, "kiln-step.o");
  llvm::sys::path::append(library, manifest.library);
  if (llvm::Error err = emitObject(*llvmModule, **machine, object))
    return err;
  llvm::Error linked = linkSharedLibrary(object, library, extraLinkArgs);
  llvm::sys::fs::remove(object);
  if (linked)
    return linked;

  // The initial state, one TensorProto per state input.
  llvm::SmallString<256> stateDir(dir);
  llvm::sys::path::append(stateDir, "state");
  manifest.stateFiles.clear();
  for (const rt::ArtifactTensor &input : manifest.inputs) {
    if (!input.isState)
      continue;
    auto it = initialState.find(input.name);
    if (it == initialState.end())
      return llvm::createStringError("@" + entry + ": no initial value for the state '" +
                       input.name + "'");
    if (std::error_code ec = llvm::sys::fs::create_directories(stateDir))
      return llvm::createStringError("cannot create '" + stateDir + "': " + ec.message());
    std::string file = "state/" + rt::tensorFileName(input.name);
    for (int k = 1; llvm::any_of(manifest.stateFiles, [&](auto &entry) {
           return entry.second == file + ".pb";
         });
         ++k)
      file = "state/" + rt::tensorFileName(input.name) + "_" +
             std::to_string(k);
    file += ".pb";
    llvm::SmallString<256> path(dir);
    llvm::sys::path::append(path, file);
    std::string error;
    if (!rt::writeTensorProtoFile(path.str().str(), it->second, input.name,
                                  error))
      return llvm::createStringError(error);
    manifest.stateFiles.emplace_back(input.name, file);
  }

  llvm::SmallString<256> manifestPath(dir);
  llvm::sys::path::append(manifestPath, rt::ArtifactManifest::kFileName);
  std::error_code ec;
  llvm::raw_fd_ostream os(manifestPath, ec, llvm::sys::fs::OF_Text);
  if (ec)
    return llvm::createStringError("cannot write '" + manifestPath + "': " + ec.message());
  os << "# A Kiln artifact: run it with kiln-step " << dir << "\n"
     << manifest.print();
  return llvm::Error::success();
}

} // namespace cpu
} // namespace kiln
