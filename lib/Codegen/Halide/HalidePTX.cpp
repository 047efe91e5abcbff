//===- HalidePTX.cpp - halide-cuda kernels as PTX, ahead of time ----------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Compiles a HalideProgram with the CUDA schedule to host LLVM assembly, in
// which Halide embeds the device code: the PTX text of all kernels as one
// constant string. That string is taken out and written as a .ptx file, so
// the kernels can be checked by ptxas on a machine without a GPU.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/Halide/HalideExecutor.h"

#include "HalideProgram.h"

#include "mlir/IR/BuiltinOps.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cctype>

namespace H = Halide;

namespace kiln {
namespace halide {

/// Decodes an LLVM IR string constant body (`c"..."`, `\XX` hex escapes).
static std::string decodeLLVMString(llvm::StringRef body) {
  std::string out;
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '\\' && i + 2 < body.size() &&
        std::isxdigit(static_cast<unsigned char>(body[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(body[i + 2]))) {
      out += static_cast<char>(std::stoi(body.substr(i + 1, 2).str(), nullptr,
                                         16));
      i += 2;
    } else if (body[i] == '\\' && i + 1 < body.size() && body[i + 1] == '\\') {
      out += '\\';
      ++i;
    } else {
      out += body[i];
    }
  }
  // The embedded source ends with its C string terminator.
  while (!out.empty() && out.back() == '\0')
    out.pop_back();
  return out;
}

/// The PTX modules embedded in LLVM assembly: every string constant that
/// holds a `.target sm_` directive.
static std::vector<std::string> embeddedPTX(llvm::StringRef assembly) {
  std::vector<std::string> modules;
  size_t at = 0;
  while ((at = assembly.find("c\"", at)) != llvm::StringRef::npos) {
    size_t end = assembly.find('"', at + 2);
    if (end == llvm::StringRef::npos)
      break;
    llvm::StringRef body = assembly.slice(at + 2, end);
    if (body.contains(".target sm_"))
      modules.push_back(decodeLLVMString(body));
    at = end + 1;
  }
  return modules;
}

llvm::Expected<std::string> writeHalidePTX(mlir::ModuleOp module,
                                           llvm::StringRef entry,
                                           const HalideOptions &options,
                                           llvm::StringRef dir) {
  HalideOptions cuda = options;
  cuda.device = "cuda";
  const std::string name = "halide-cuda";
  auto program = translateToHalide(module, entry, name);
  if (!program)
    return program.takeError();
  auto pipeline = schedule(*program, cuda);
  if (!pipeline)
    return pipeline.takeError();
  llvm::SmallString<128> assemblyPath;
  if (std::error_code ec = llvm::sys::fs::createTemporaryFile(
          "kiln-halide-cuda", "ll", assemblyPath))
    return llvm::createStringError(name + ": cannot create a temporary file: " +
                                   ec.message());
  try {
    std::vector<H::Argument> args(program->params.begin(),
                                  program->params.end());
    pipeline->compile_to_llvm_assembly(assemblyPath.str().str(), args,
                                       "kiln_" + entry.str(),
                                       halideTarget(cuda));
  } catch (const H::Error &e) {
    llvm::sys::fs::remove(assemblyPath);
    return llvm::createStringError(name + ": " + e.what());
  }
  auto assembly = llvm::MemoryBuffer::getFile(assemblyPath);
  llvm::sys::fs::remove(assemblyPath);
  if (!assembly)
    return llvm::createStringError(name + ": cannot read Halide's output");
  std::vector<std::string> modules = embeddedPTX((*assembly)->getBuffer());
  if (modules.size() != 1)
    return llvm::createStringError(
        name + ": expected one embedded PTX module in Halide's output, found " +
        std::to_string(modules.size()));
  if (std::error_code ec = llvm::sys::fs::create_directories(dir))
    return llvm::createStringError(name + ": cannot create '" + dir.str() +
                                   "': " + ec.message());
  llvm::SmallString<256> path(dir);
  llvm::sys::path::append(path, entry + ".halide.sm_" +
                                    std::to_string(cuda.cudaCapability) +
                                    ".ptx");
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return llvm::createStringError(name + ": cannot write '" +
                                   path.str().str() + "': " + ec.message());
  os << modules.front();
  return path.str().str();
}

} // namespace halide
} // namespace kiln
