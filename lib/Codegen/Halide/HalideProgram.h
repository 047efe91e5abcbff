//===- HalideProgram.h - A kiln function as a Halide pipeline ----*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Private to lib/Codegen/Halide (it exposes Halide's types, which the public
// headers keep out). A HalideProgram is a kiln function (static shapes)
// translated op by op into Halide Funcs, before any schedule; the Halide
// targets schedule it (HalideSchedules.cpp) and then JIT-compile it
// (HalideExecutor.cpp, halide-cpu and halide-cuda) or compile it ahead of
// time to PTX (HalidePTX.cpp). Halide reports errors by throwing
// Halide::Error: the files that include this one are built with exceptions
// and turn them into llvm::Error.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_LIB_CODEGEN_HALIDE_HALIDEPROGRAM_H
#define KILN_LIB_CODEGEN_HALIDE_HALIDEPROGRAM_H

#include "kiln/Codegen/Halide/HalideExecutor.h"
#include "kiln/Runtime/Tensor.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <Halide.h>

#include <string>
#include <utility>
#include <vector>

namespace mlir {
class ModuleOp;
} // namespace mlir

namespace kiln {
namespace halide {

using Spec = std::pair<rt::DType, std::vector<int64_t>>;

struct HalideProgram {
  /// One per argument, in order.
  std::vector<Halide::ImageParam> params;
  /// The Funcs a schedule stores (compute_root): reductions, contractions,
  /// values read more than once.
  std::vector<Halide::Func> funcs;
  /// The Funcs left inline (Halide's default), computed in their one
  /// consumer's loops: single-use elementwise ops and index remappings,
  /// splat constants, argument loads. Autoschedulers may still place them.
  std::vector<Halide::Func> inlined;
  /// One per result, in its storage type (bools as bytes): the pipeline's
  /// outputs, so shared work is computed once.
  std::vector<Halide::Func> outputs;
  std::vector<Spec> inputSpecs, outputSpecs;
  /// The message prefix: the target's name ("halide-cpu", "halide-cuda").
  std::string target;
};

/// Translates @`entry` of `module` (kiln ops, gradient requests expanded).
/// Errors start with `target` and name the first op Halide cannot express.
llvm::Expected<HalideProgram> translateToHalide(mlir::ModuleOp module,
                                                llvm::StringRef entry,
                                                llvm::StringRef target);

/// The Halide target: the host with strict IEEE float semantics (as the
/// MLIR path), plus CUDA at `options.cudaCapability` for halide-cuda.
Halide::Target halideTarget(const HalideOptions &options);

/// Places every Func of `program` by `options.schedule` (and the device):
/// the pipeline of its outputs, ready to compile for halideTarget(options).
/// Errors name an unknown or unavailable schedule.
llvm::Expected<Halide::Pipeline> schedule(HalideProgram &program,
                                          const HalideOptions &options);

} // namespace halide
} // namespace kiln

#endif // KILN_LIB_CODEGEN_HALIDE_HALIDEPROGRAM_H
