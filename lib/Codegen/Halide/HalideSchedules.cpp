//===- HalideSchedules.cpp - Where and how a Halide program runs ----------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The schedules of the Halide targets (see HalideProgram.h):
//   root (cpu)          every op's Func at the root, vectorized 8-wide along
//                       its innermost dimension, threaded along its
//                       outermost: one loop nest per op
//   mullapudi2016 (cpu) Halide's autoscheduler plugin, given the shapes
//   root (cuda)         every op's Func at the root as one kernel: its two
//                       innermost dimensions tiled 16x16 onto threads, the
//                       tiles and a third dimension onto blocks; reductions
//                       stay loops inside a thread
//
//===----------------------------------------------------------------------===//

#include "HalideProgram.h"

namespace H = Halide;

namespace kiln {
namespace halide {

static const char *kPluginDir = "/usr/lib/x86_64-linux-gnu/halide14/";

H::Target halideTarget(const HalideOptions &options) {
  // IEEE semantics as on the MLIR path: NaN and inf compare as they should,
  // no reassociation (Halide otherwise compiles with fast math).
  H::Target target = H::get_host_target().with_feature(H::Target::StrictFloat);
  if (options.device == "cuda") {
    target = target.with_feature(H::Target::CUDA);
    target = target.with_feature(options.cudaCapability >= 86
                                     ? H::Target::CUDACapability86
                                     : H::Target::CUDACapability80);
  }
  return target;
}

/// One kernel per Func: up to three dimensions on blocks and threads.
static void scheduleOnGPU(H::Func f) {
  f.compute_root();
  std::vector<H::Var> v = f.args(); // Innermost first.
  auto g = H::TailStrategy::GuardWithIf;
  H::Var bx, by, bz, tx, ty, tz;
  if (v.empty())
    f.gpu_single_thread();
  else if (v.size() == 1)
    f.gpu_tile(v[0], bx, tx, 256, g);
  else if (v.size() == 2)
    f.gpu_tile(v[0], v[1], bx, by, tx, ty, 16, 16, g);
  else
    f.gpu_tile(v[0], v[1], v[2], bx, by, bz, tx, ty, tz, 16, 16, 1, g);
}

static void scheduleRootOnCPU(H::Func f) {
  f.compute_root();
  std::vector<H::Var> args = f.args();
  if (!args.empty() && f.output_types()[0].bits() >= 8)
    f.vectorize(args.front(), 8, H::TailStrategy::GuardWithIf);
  if (args.size() > 1)
    f.parallel(args.back());
}

static H::Region regionOf(const std::vector<int64_t> &shape) {
  H::Region r;
  for (auto it = shape.rbegin(); it != shape.rend(); ++it)
    r.push_back(H::Range(0, int(*it)));
  return r;
}

llvm::Expected<H::Pipeline> schedule(HalideProgram &program,
                                     const HalideOptions &options) {
  const std::string &name = program.target;
  bool gpu = options.device == "cuda";
  if (options.schedule != "root" && options.schedule != "mullapudi2016")
    return llvm::createStringError(name + ": unknown schedule '" +
                                   options.schedule +
                                   "' (root or mullapudi2016)");
  if (gpu && options.schedule != "root")
    return llvm::createStringError(
        name + ": schedule '" + options.schedule +
        "' is for the CPU (halide-cuda uses Kiln's root GPU schedule)");
  try {
    H::Pipeline pipeline(program.outputs);
    if (options.schedule == "mullapudi2016") {
      static bool loaded = [] {
        H::load_plugin(std::string(kPluginDir) +
                       "libautoschedule_mullapudi2016.so");
        return true;
      }();
      (void)loaded;
      for (size_t i = 0; i < program.params.size(); ++i)
        program.params[i].set_estimates(
            regionOf(program.inputSpecs[i].second));
      for (size_t k = 0; k < program.outputs.size(); ++k)
        program.outputs[k].set_estimates(
            regionOf(program.outputSpecs[k].second));
      pipeline.auto_schedule("Mullapudi2016", halideTarget(options));
      return pipeline;
    }
    for (H::Func &f : program.funcs)
      gpu ? scheduleOnGPU(f) : scheduleRootOnCPU(f);
    for (H::Func &out : program.outputs)
      gpu ? scheduleOnGPU(out) : (void)out.compute_root();
    return pipeline;
  } catch (const H::Error &e) {
    return llvm::createStringError(name + ": " + e.what());
  }
}

} // namespace halide
} // namespace kiln
