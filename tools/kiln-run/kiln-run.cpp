//===- kiln-run.cpp - Compile and execute a model ---------------------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// kiln-run MODEL [options]: imports an ONNX model (or reads kiln MLIR),
// compiles it for the CPU, runs it on ONNX backend-test data and compares
// the outputs. With --train-steps N (or --make-train-step) it runs a
// training step N times instead, feeding the updated state back (see
// kiln/Training/TrainStep.h); --bench M then times M more steps. Its flags,
// output lines and exit codes are a contract that scripts rely on (see
// DESIGN.md, "Tool contracts"):
//   exit 0  success / every output matched
//   exit 1  a numeric mismatch
//   exit 2  the model cannot be compiled or run, with a one-line reason
//
//===----------------------------------------------------------------------===//

#include "kiln/Analysis/RematGraph.h"
#include "kiln/Codegen/CPU/JitExecutor.h"
#include "kiln/Codegen/CUDA/CUDAArtifact.h"
#include "kiln/Codegen/CUDA/CUDAExecutor.h"
#include "kiln/Codegen/Halide/HalideExecutor.h"
#include "kiln/Codegen/CPU/Pipeline.h"
#include "kiln/Codegen/CPU/TypeMapping.h"
#include "kiln/Conversion/Passes.h"
#include "kiln/Dialect/Kiln/KilnDialect.h"
#include "kiln/Import/ONNXImporter.h"
#include "kiln/Passes/Passes.h"
#include "kiln/Codegen/CPU/ArtifactWriter.h"
#include "kiln/Runtime/Compare.h"
#include "kiln/Runtime/DataFiles.h"
#include "kiln/Runtime/Progress.h"
#include "kiln/Runtime/TensorProtoIO.h"
#include "kiln/Support/Diagnostics.h"
#include "kiln/Support/LineChart.h"
#include "kiln/Training/TrainStep.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Support/Timing.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <random>

using namespace mlir;
namespace cl = llvm::cl;

namespace {

cl::OptionCategory category("kiln-run options");

cl::opt<std::string> modelPath(cl::Positional, cl::Required,
                               cl::desc("<model.onnx | model.mlir>"),
                               cl::cat(category));
cl::opt<std::string> testDataDir(
    "test-data",
    cl::desc("Folder with input_K.pb (bound in order to the graph inputs "
             "without initializer) and, optionally, output_K.pb to compare "
             "against"),
    cl::value_desc("dir"), cl::cat(category));
cl::opt<std::string> writeOutputsDir(
    "write-outputs", cl::desc("Write the outputs as output_K.pb into <dir>"),
    cl::value_desc("dir"), cl::cat(category));
cl::opt<double> rtolOpt("rtol",
                        cl::desc("Relative tolerance (default 1e-4 for f32)"),
                        cl::cat(category));
cl::opt<double> atolOpt("atol",
                        cl::desc("Absolute tolerance (default 1e-5 for f32)"),
                        cl::cat(category));
cl::opt<unsigned> benchRuns(
    "bench", cl::desc("Time N runs after a warm-up run and print "
                      "'step_ms median=... min=... max=...'; with a "
                      "training step, N more steps after the --train-steps "
                      "ones (the warm-up), state fed back"),
    cl::init(0), cl::value_desc("N"), cl::cat(category));
cl::opt<std::string> halideScheduleOpt(
    "halide-schedule",
    cl::desc("--target halide-cpu: 'root' (each op its own vectorized, "
             "threaded loop nest) or 'mullapudi2016' (Halide's autoscheduler)"),
    cl::init("root"), cl::cat(category));
cl::opt<std::string> targetOpt(
    "target", cl::desc("Code generation target: cpu; cuda (MLIR's GPU "
                       "pipeline: kernels as PTX that the CUDA driver "
                       "compiles, host code JIT-compiled, the driver opened "
                       "at run time: libcuda.so.1 or $KILN_CUDA_DRIVER, "
                       "device 0 or $KILN_CUDA_DEVICE); halide-cpu or "
                       "halide-cuda (the kiln function translated into Halide "
                       "and JIT-compiled by Halide 14, the ops listed in "
                       "docs/targets.md). Without a CUDA driver or device, "
                       "the cuda targets exit 2 saying why"),
    cl::init("cpu"), cl::cat(category));
cl::opt<std::string> pipelineOpt(
    "pipeline",
    cl::desc("Passes to run on the kiln program before lowering, in "
             "kiln-opt syntax, e.g. "
             "\"canonicalize,func.func(kiln-cost-report)\""),
    cl::init(""), cl::cat(category));
cl::opt<bool> codegenKernelsOpt(
    "codegen-kernels",
    cl::desc("Compile with the CPU kernels: convolutions and matmuls as "
             "packed, vectorized, threaded GEMMs, other ops as threaded "
             "vector loops (false: scalar loops, the reference lowering)"),
    cl::init(true), cl::cat(category));
cl::opt<bool> fuseElementwiseOpt(
    "fuse-elementwise",
    cl::desc("Fuse elementwise linalg ops into their consumers before code "
             "generation (kiln-cpu-fuse-elementwise) and a matmul's "
             "elementwise reader into its GEMM kernel; false: every op its "
             "own loop nest, the unfused baseline of bench/cpu/run.py"),
    cl::init(true), cl::cat(category));
cl::opt<bool> tileFusionGroupsOpt(
    "tile-fusion-groups",
    cl::desc("Compute each kiln-fuse reduction group (softmax, layer norm, "
             "batch-norm statistics with their epilogues) as one threaded "
             "loop over tiles of rows (kiln-cpu-tile-fusion-groups); false: "
             "one loop nest per op of the group"),
    cl::init(true), cl::cat(category));
cl::opt<int64_t> kernelMinFlopsOpt(
    "kernel-min-flops",
    cl::desc("Smallest convolution or matmul (2 x the product of its loop "
             "extents) compiled as a GEMM kernel; smaller ones stay loops"),
    cl::init(65536), cl::value_desc("N"), cl::cat(category));
cl::opt<bool> showRemarks(
    "remarks",
    cl::desc("Print the remarks in which passes report what they did "
             "(e.g. autodiff's rule count)"),
    cl::cat(category));
cl::opt<bool> printIR("print-ir",
                      cl::desc("Print the kiln program that is compiled"),
                      cl::cat(category));
cl::opt<std::string> reportOpt(
    "report",
    cl::desc("After the run, print a report: 'memory' prints the planned "
             "transient peak (peak_bytes=), the weights and optimizer state "
             "(persistent_bytes=), the measured high-water mark of the "
             "compiled code's heap (measured_peak_bytes=) and "
             "memory_plan=ok when measured <= planned"),
    cl::value_desc("memory"), cl::cat(category));
cl::opt<bool> timingOpt(
    "timing",
    cl::desc("At the end, print a tree of wall and CPU time per phase to "
             "stderr: the ONNX import, every kiln-level pass (MLIR's pass "
             "timing), each function's lowering and JIT compilation, the "
             "run or the training loop"),
    cl::cat(category));
cl::opt<cl::boolOrDefault> progressOpt(
    "progress",
    cl::desc("A progress line on stderr during --train-steps and --bench "
             "(step, steps/s, ETA); default: when stderr is a terminal"),
    cl::cat(category));
cl::opt<std::string> plotOpt(
    "plot",
    cl::desc("With --report memory: draw the live activation bytes of the "
             "step (or inference graph) over its schedule as an SVG line "
             "chart, as compiled and after kiln-remat with "
             "--plot-remat-budget, to <file.svg>"),
    cl::value_desc("file.svg"), cl::cat(category));
cl::opt<double> plotRematBudget(
    "plot-remat-budget",
    cl::desc("--plot: the kiln-remat budget of the second line, as a "
             "fraction of the tensor-level peak (default 0.5)"),
    cl::init(0.5), cl::cat(category));
cl::opt<bool> planMemoryOpt(
    "plan-memory",
    cl::desc("Place each function's transient buffers in one arena by "
             "liveness (kiln-plan-memory; default on, --plan-memory=false "
             "allocates every buffer separately)"),
    cl::init(true), cl::cat(category));
cl::opt<std::string> emitArtifactDir(
    "emit-artifact",
    cl::desc("Compile ahead of time instead of running: write the training "
             "step (or the inference graph) as an artifact folder <dir> "
             "(a shared library, its manifest and the initial state) that "
             "kiln-step runs without LLVM or MLIR (docs/artifacts.md); "
             "--target cpu or cuda (no GPU needed to write it; see "
             "--cuda-chip)"),
    cl::value_desc("dir"), cl::cat(category));
cl::opt<std::string> cudaChipOpt(
    "cuda-chip",
    cl::desc("--target cuda --emit-artifact: the oldest GPU architecture the "
             "artifact's PTX is for (the driver compiles it for that one or "
             "any newer); sm_80 by default. A JIT run compiles for the "
             "device it finds"),
    cl::init("sm_80"), cl::cat(category));
cl::opt<std::string> memoryLimitOpt(
    "memory-limit",
    cl::desc("The most memory a run may plan to use: any one tensor the "
             "model declares, and the inputs, outputs, state and planned "
             "buffers of a step together (e.g. 512M, 8G; default: the "
             "machine's physical memory). Over it, the model is refused "
             "(exit 2) before anything is allocated"),
    cl::value_desc("bytes"), cl::cat(category));
cl::opt<unsigned> seedOpt(
    "seed", cl::desc("Seed of the random inputs used without --test-data"),
    cl::init(0), cl::cat(category));

cl::OptionCategory trainCategory(
    "kiln-run training options",
    "A training step is a function whose state (weights, optimizer state, "
    "step counters) is fed back after every step: @kiln_train_step, imported "
    "from the model's TrainingInfoProto, or the function that "
    "--make-train-step builds from an inference model. Its data arguments "
    "(inputs, labels) are bound in order from input_K.pb of --data or "
    "--test-data; --test-data also compares the outputs of the last step "
    "against output_K.pb.");
cl::opt<unsigned> trainSteps(
    "train-steps",
    cl::desc("Run the training step N times, applying its update binding "
             "(new values of the initializers) between steps; prints the "
             "scalar outputs (e.g. 'step 3: loss=0.25')"),
    cl::init(0), cl::value_desc("N"), cl::cat(trainCategory));
cl::opt<std::string> makeTrainStep(
    "make-train-step",
    cl::desc("Turn the inference model into a training step first "
             "(--kiln-make-train-step with these options, e.g. "
             "\"loss=cross-entropy optimizer=adam lr=1e-3\"; the label is "
             "the last data input; quantize=bf16|f16|qat-int8|adam-8bit, or "
             "e.g. bf16,adam-8bit, trains in low precision, see "
             "docs/passes/quantize.md); implies --train-steps 1 unless given"),
    cl::value_desc("options"), cl::cat(trainCategory));
cl::opt<std::string> dataDir(
    "data",
    cl::desc("Folder with input_K.pb for the training step's data arguments "
             "(no comparison)"),
    cl::value_desc("dir"), cl::cat(trainCategory));
cl::opt<unsigned> batchSize(
    "batch-size",
    cl::desc("Split the data along dimension 0 into batches of B rows; step "
             "s (from 0) uses batch s mod (rows / B), in order"),
    cl::init(0), cl::value_desc("B"), cl::cat(trainCategory));
cl::opt<unsigned> logEvery(
    "log-every",
    cl::desc("Print the scalar outputs every K steps (0: the last step "
             "only; the last step is always printed)"),
    cl::init(1), cl::value_desc("K"), cl::cat(trainCategory));
cl::opt<std::string> writeInitializersDir(
    "write-initializers",
    cl::desc("After training, write the state (every initializer the step "
             "updates or initializes) as ONNX TensorProto files "
             "<dir>/<name>.pb, with characters other than [A-Za-z0-9._-] "
             "of the name replaced by '_' (the TensorProto keeps the exact "
             "name)"),
    cl::value_desc("dir"), cl::cat(trainCategory));

/// Prints "kiln-run: error: <message>" and yields exit code 2.
int fail(const llvm::Twine &message) {
  llvm::errs() << "kiln-run: error: " << message << "\n";
  return 2;
}

int failWith(llvm::Error error) {
  return fail(llvm::toString(std::move(error)));
}

/// Deterministic inputs for runs without test data: floats uniform in
/// [-1, 1), integers in [0, 10), booleans fair.
kiln::rt::Tensor randomTensor(const kiln::cpu::TensorSpec &spec,
                              std::mt19937 &rng) {
  using kiln::rt::DType;
  kiln::rt::Tensor t(spec.dtype, spec.shape);
  std::uniform_real_distribution<double> real(-1.0, 1.0);
  std::uniform_int_distribution<int> small(0, 9);
  for (int64_t i = 0, e = t.numElements(); i < e; ++i) {
    switch (spec.dtype) {
    case DType::F32:
      t.dataAs<float>()[i] = static_cast<float>(real(rng));
      break;
    case DType::F64:
      t.dataAs<double>()[i] = real(rng);
      break;
    case DType::I64:
      t.dataAs<int64_t>()[i] = small(rng);
      break;
    case DType::I32:
      t.dataAs<int32_t>()[i] = small(rng);
      break;
    case DType::Bool:
    case DType::U8:
    case DType::I8:
      t.dataAs<uint8_t>()[i] = static_cast<uint8_t>(small(rng) % 2);
      break;
    default:
      break; // Other dtypes stay zero.
    }
  }
  return t;
}

/// The ONNX names of the entry's results (kiln.onnx_name), or output_K.
std::vector<std::string> outputNames(func::FuncOp func) {
  std::vector<std::string> names;
  for (unsigned i = 0; i < func.getNumResults(); ++i) {
    auto name = func.getResultAttrOfType<StringAttr>(i, kiln::kOnnxNameAttr);
    names.push_back(name ? name.str() : "output_" + std::to_string(i));
  }
  return names;
}

func::FuncOp findEntry(ModuleOp module) {
  if (auto main = module.lookupSymbol<func::FuncOp>("main"))
    return main;
  func::FuncOp only;
  for (auto func : module.getOps<func::FuncOp>()) {
    if (func.isPrivate() || func.isExternal())
      continue;
    if (only)
      return nullptr;
    only = func;
  }
  return only;
}

/// Small 1-D integer inputs usually carry shapes, axes or pads, and scalar
/// inputs carry values such as Pad's constant_value; both are specialized
/// into the program (see ImportOptions::inputValues).
ElementsAttr shapeCarryingValue(const kiln::rt::Tensor &t,
                                MLIRContext &context) {
  using kiln::rt::DType;
  bool isInt = t.dtype() == DType::I64 || t.dtype() == DType::I32;
  bool isFloat = t.dtype() == DType::F32 || t.dtype() == DType::F64;
  bool shapeLike = isInt && t.rank() <= 1 && t.numElements() <= 64;
  bool scalar = (isInt || isFloat) && t.rank() == 0;
  if (!shapeLike && !scalar)
    return {};
  Type element = kiln::cpu::toMLIRElementType(t.dtype(), &context);
  auto type = RankedTensorType::get(t.shape(), element);
  SmallVector<Attribute> values;
  for (int64_t i = 0; i < t.numElements(); ++i) {
    double v = t.elementAsDouble(i);
    values.push_back(isFloat ? Attribute(FloatAttr::get(element, v))
                             : Attribute(IntegerAttr::get(
                                   element, static_cast<int64_t>(v))));
  }
  return DenseElementsAttr::get(type, values);
}

/// The whole value of an input tensor as a literal (bools unpacked to i1),
/// for ops whose result shape depends on data (ImportOptions::inputData);
/// null for tensors larger than 1 MiB.
ElementsAttr inputDataValue(const kiln::rt::Tensor &t, MLIRContext &context) {
  if (t.numBytes() > (size_t(1) << 20))
    return {};
  Type element = kiln::cpu::toMLIRElementType(t.dtype(), &context);
  if (!element)
    return {};
  auto type = RankedTensorType::get(t.shape(), element);
  if (element.isInteger(1)) {
    SmallVector<bool> bits;
    for (int64_t i = 0; i < t.numElements(); ++i)
      bits.push_back(t.dataAs<uint8_t>()[i] != 0);
    return DenseElementsAttr::get(type, bits);
  }
  ArrayRef<char> bytes(static_cast<const char *>(t.data()), t.numBytes());
  bool splat = false;
  if (!DenseElementsAttr::isValidRawBuffer(type, bytes, splat))
    return {};
  return DenseElementsAttr::getFromRawBuffer(type, bytes);
}

/// ONNX releases before 1.14 wrote bfloat16 test tensors as their uint16 bit
/// patterns (TensorProto data type UINT16). Where the program expects bf16
/// and gets uint16 of the same shape, the data is read as the bf16 it holds.
void reinterpretBFloat16Data(std::vector<kiln::rt::Tensor> &tensors,
                             llvm::ArrayRef<kiln::cpu::TensorSpec> specs) {
  using kiln::rt::DType;
  for (size_t i = 0; i < tensors.size() && i < specs.size(); ++i) {
    kiln::rt::Tensor &t = tensors[i];
    if (t.dtype() != DType::U16 || specs[i].dtype != DType::BF16 ||
        t.shape() != specs[i].shape)
      continue;
    kiln::rt::Tensor bf16(DType::BF16, t.shape());
    std::memcpy(bf16.data(), t.data(), t.numBytes());
    t = std::move(bf16);
  }
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/// Prints "step_ms median=... min=... max=..." of step times in ms.
void printTimes(const std::vector<double> &ms) {
  llvm::outs() << llvm::format("step_ms median=%.4f min=%.4f max=%.4f\n",
                               median(ms),
                               *std::min_element(ms.begin(), ms.end()),
                               *std::max_element(ms.begin(), ms.end()));
}

std::string previewValues(const kiln::rt::Tensor &t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  int64_t n = std::min<int64_t>(t.numElements(), 6);
  for (int64_t i = 0; i < n; ++i)
    os << (i ? " " : "") << t.elementAsDouble(i);
  if (t.numElements() > n)
    os << " ...";
  return s;
}

/// Prints one line per output: the comparison with `expected[k]` where
/// present, else a preview. True when every comparison matched.
bool reportOutputs(const std::vector<kiln::rt::Tensor> &outputs,
                   const std::vector<kiln::rt::Tensor> &expected,
                   const std::vector<std::string> &names) {
  bool allMatch = true;
  for (size_t k = 0; k < outputs.size(); ++k) {
    const kiln::rt::Tensor &actual = outputs[k];
    if (k < expected.size()) {
      kiln::rt::CompareOptions tol =
          kiln::rt::defaultCompareOptions(expected[k].dtype());
      if (rtolOpt.getNumOccurrences())
        tol.rtol = rtolOpt;
      if (atolOpt.getNumOccurrences())
        tol.atol = atolOpt;
      kiln::rt::CompareResult result =
          kiln::rt::compareTensors(actual, expected[k], tol);
      allMatch &= result.ok;
      llvm::outs() << kiln::rt::formatCompareLine(names[k], result) << "\n";
    } else {
      llvm::outs() << "output '" << names[k] << "': " << actual.describe()
                   << " = " << previewValues(actual) << "\n";
    }
  }
  return allMatch;
}

/// --write-outputs: output_K.pb named as the outputs; 0 or exit code 2.
int writeOutputs(const std::vector<kiln::rt::Tensor> &outputs,
                 const std::vector<std::string> &names) {
  if (std::error_code ec = llvm::sys::fs::create_directories(writeOutputsDir))
    return fail("cannot create '" + writeOutputsDir + "': " + ec.message());
  for (size_t k = 0; k < outputs.size(); ++k) {
    llvm::SmallString<256> path(writeOutputsDir.getValue());
    llvm::sys::path::append(path, "output_" + std::to_string(k) + ".pb");
    std::string error;
    if (!kiln::rt::writeTensorProtoFile(path.str().str(), outputs[k], names[k],
                                        error))
      return fail(error);
  }
  return 0;
}

/// --timing: the root of MLIR's timing tree, else null; and the phase that
/// the CPU pipeline's passes nest under while a function compiles.
mlir::TimingScope *rootTiming = nullptr;
mlir::TimingScope *compileTiming = nullptr;

/// A timed phase under the root (a no-op scope without --timing).
mlir::TimingScope timePhase(StringRef name) {
  return rootTiming ? rootTiming->nest(name) : mlir::TimingScope();
}

/// Whether --progress (or a terminal) asks for progress lines.
bool showProgress() {
  if (progressOpt == cl::BOU_UNSET)
    return kiln::ProgressLine::isTerminal(stderr);
  return progressOpt == cl::BOU_TRUE;
}

bool isHalideTarget() {
  return targetOpt == "halide-cpu" || targetOpt == "halide-cuda";
}

/// --memory-limit in bytes (suffixes K, M, G, T of 1024), or the physical
/// memory; 0 when the flag does not parse.
int64_t memoryLimitBytes() {
  StringRef text = memoryLimitOpt;
  if (text.empty()) {
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGE_SIZE);
    return pages > 0 && size > 0 ? int64_t(pages) * size : int64_t(1) << 40;
  }
  int shift = 0;
  switch (llvm::toUpper(text.back())) {
  case 'K': shift = 10; break;
  case 'M': shift = 20; break;
  case 'G': shift = 30; break;
  case 'T': shift = 40; break;
  default: break;
  }
  if (shift)
    text = text.drop_back();
  uint64_t value = 0;
  if (text.getAsInteger(10, value) || value == 0 ||
      value > (uint64_t(INT64_MAX) >> shift))
    return 0;
  return int64_t(value << shift);
}

/// Bytes of tensors of these specs; INT64_MAX on overflow.
int64_t specBytes(llvm::ArrayRef<kiln::cpu::TensorSpec> specs) {
  int64_t total = 0;
  for (const kiln::cpu::TensorSpec &spec : specs) {
    int64_t bytes = 0;
    if (llvm::MulOverflow(spec.numElements(),
                          int64_t(kiln::rt::dtypeSize(spec.dtype)), bytes) ||
        llvm::AddOverflow(total, bytes, total))
      return INT64_MAX;
  }
  return total;
}

/// Refuses a run whose inputs, outputs and planned buffers (`planned`,
/// with `extra` bytes of state or data the caller holds) exceed
/// --memory-limit, before anything is allocated for it.
llvm::Error checkMemoryCeiling(llvm::ArrayRef<kiln::cpu::TensorSpec> inputs,
                               llvm::ArrayRef<kiln::cpu::TensorSpec> outputs,
                               const kiln::cpu::PlannedMemory &planned) {
  int64_t limit = memoryLimitBytes();
  int64_t need = 0;
  for (int64_t part : {specBytes(inputs), specBytes(outputs),
                       planned.peakBytes()})
    if (llvm::AddOverflow(need, part, need))
      need = INT64_MAX;
  if (need <= limit)
    return llvm::Error::success();
  return llvm::createStringError(
      "the run needs " + std::to_string(need) +
      " bytes (inputs, outputs and planned buffers), more than the memory "
      "limit of " + std::to_string(limit) + " bytes (--memory-limit)");
}

/// Options of the Halide targets that kiln-run's flags set.
kiln::halide::HalideOptions halideOptions() {
  kiln::halide::HalideOptions options;
  options.device = targetOpt == "halide-cuda" ? "cuda" : "cpu";
  options.schedule = halideScheduleOpt;
  return options;
}

/// Options of the CPU pipeline that kiln-run's flags set.
kiln::cpu::CPUPipelineOptions pipelineOptions() {
  kiln::cpu::CPUPipelineOptions opts;
  opts.timing = compileTiming;
  opts.planMemory = planMemoryOpt;
  opts.kernelMinFlops = kernelMinFlopsOpt;
  opts.matmulKernels = codegenKernelsOpt;
  opts.vectorize = codegenKernelsOpt;
  opts.fuseElementwise = fuseElementwiseOpt;
  opts.tileFusionGroups = tileFusionGroupsOpt;
  return opts;
}

/// Bytes of the initializers (ONNX weights the importer made constants
/// carrying kiln.onnx_name) that are left in `func`.
int64_t initializerBytes(func::FuncOp func) {
  int64_t bytes = 0;
  func.walk([&](Operation *op) {
    if (op->getNumResults() != 1 || !op->hasAttr(kiln::kOnnxNameAttr))
      return;
    auto type = dyn_cast<RankedTensorType>(op->getResult(0).getType());
    if (!type || !type.hasStaticShape() || !type.getElementType().isIntOrFloat())
      return;
    int64_t elementBytes =
        llvm::divideCeil(type.getElementType().getIntOrFloatBitWidth(), 8);
    bytes += type.getNumElements() * elementBytes;
  });
  return bytes;
}

int64_t totalBytes(llvm::ArrayRef<kiln::rt::Tensor> tensors) {
  int64_t bytes = 0;
  for (const kiln::rt::Tensor &t : tensors)
    bytes += static_cast<int64_t>(t.numBytes());
  return bytes;
}

/// --report memory. `planned` is what kiln-plan-memory recorded, `measured`
/// the compiled code's heap use in the run (the worst step when training);
/// `persistent` the weights and optimizer state, `io` the data inputs and
/// outputs (caller-owned, in neither peak).
void reportMemory(const kiln::cpu::PlannedMemory &planned,
                  const kiln::cpu::AllocationStats &measured,
                  int64_t persistent, int64_t io) {
  llvm::raw_ostream &os = llvm::outs();
  if (planned.planned)
    os << "peak_bytes=" << planned.peakBytes() << "\n";
  os << "persistent_bytes=" << persistent << "\n";
  os << "measured_peak_bytes=" << measured.peakBytes << "\n";
  os << "memory_detail: arena_bytes=" << planned.arenaBytes
     << " planned_buffers=" << planned.plannedBuffers
     << " unplanned_allocs=" << planned.unplannedAllocs
     << " unplanned_bytes=" << planned.unplannedBytes
     << " dynamic_allocs=" << planned.dynamicAllocs
     << " allocations=" << measured.numAllocations
     << " leaked_bytes=" << measured.leakedBytes << " io_bytes=" << io
     << "\n";
  StringRef verdict = "ok";
  if (!planned.planned)
    verdict = "off";
  else if (measured.leakedBytes != 0)
    verdict = "leak";
  else if (measured.peakBytes > planned.peakBytes())
    verdict = planned.dynamicAllocs ? "exceeded-dynamic" : "exceeded";
  os << "memory_plan=" << verdict << "\n";
}

/// Passes that every program needs before it is lowered: the expansion of
/// gradient requests (ONNX Gradient nodes) and the conversion of kiln to
/// linalg, which marks the fusion groups' ops where the CPU pipeline will
/// tile them (kiln-cpu-tile-fusion-groups).
void addLoweringPasses(PassManager &pm) {
  pm.addNestedPass<func::FuncOp>(kiln::createKilnAutodiff());
  kiln::ConvertKilnToLinalgOptions options;
  options.markFusionGroups =
      targetOpt == "cpu" && kiln::cpu::tilesFusionGroups(pipelineOptions());
  pm.addPass(kiln::createConvertKilnToLinalg(options));
}

/// A clone of `module` that keeps only the functions named in `keep`.
OwningOpRef<ModuleOp> moduleWithOnly(ModuleOp module,
                                     ArrayRef<std::string> keep) {
  OwningOpRef<ModuleOp> clone(module.clone());
  for (auto func : llvm::make_early_inc_range(clone->getOps<func::FuncOp>()))
    if (!llvm::is_contained(keep, func.getSymName().str()))
      func.erase();
  return clone;
}

/// The live-bytes timeline of `func`'s body in program order (MiB), one
/// point per computing op (constants and views, which allocate nothing,
/// are left out so that schedules of different lengths line up).
std::vector<double> liveMiBTimeline(func::FuncOp func) {
  Block &body = func.getBody().front();
  SmallVector<Operation *> order;
  for (Operation &op : body.without_terminator())
    order.push_back(&op);
  std::vector<uint64_t> bytes = kiln::tensorLiveTimeline(body, order);
  std::vector<double> mib;
  for (size_t i = 0; i < order.size(); ++i)
    if (kiln::classifyTensorOp(order[i]) == kiln::TensorOpKind::Node)
      mib.push_back(double(bytes[i]) / (1 << 20));
  return mib;
}

/// --plot: @`name` of `module` (a copy, after --pipeline and autodiff),
/// its live activation bytes over the schedule as compiled and after
/// kiln-remat{budget-fraction=--plot-remat-budget}, as an SVG chart.
int writeMemoryPlot(ModuleOp module, StringRef name) {
  OwningOpRef<ModuleOp> work = moduleWithOnly(module, {name.str()});
  MLIRContext *context = module.getContext();
  PassManager pm(context, ModuleOp::getOperationName(),
                 OpPassManager::Nesting::Implicit);
  if (!pipelineOpt.empty()) {
    std::string error;
    llvm::raw_string_ostream os(error);
    if (failed(parsePassPipeline(pipelineOpt, pm, os)))
      return fail("bad --pipeline: " + error);
  }
  pm.addNestedPass<func::FuncOp>(kiln::createKilnAutodiff());
  if (failed(pm.run(*work)))
    return 2;
  auto func = work->lookupSymbol<func::FuncOp>(name);
  if (!func || !func.getBody().hasOneBlock())
    return fail("--plot: @" + name.str() + " is not one block of ops");
  kiln::LineChart chart;
  chart.title = "@" + name.str() + ": live activation memory over the schedule";
  chart.xLabel = "computing op (program order; recomputed copies count)";
  chart.yLabel = "live activation MiB";
  std::vector<double> before = liveMiBTimeline(func);
  chart.series.push_back({"as compiled", before, "#1f77b4"});

  // The same function after rematerialization (tensor-level budget).
  OwningOpRef<ModuleOp> remat(work->clone());
  PassManager rematPm(context, ModuleOp::getOperationName());
  kiln::KilnRematOptions rematOpts;
  rematOpts.budgetFraction = plotRematBudget;
  rematOpts.measureArena = false;
  rematOpts.measureScratch = false;
  rematPm.addNestedPass<func::FuncOp>(kiln::createKilnRemat(rematOpts));
  double peakBefore = before.empty() ? 0 : *llvm::max_element(before);
  std::string afterNote;
  {
    // A step kiln-remat cannot take (e.g. side effects) still gets its line.
    ScopedDiagnosticHandler quiet(context, [&](Diagnostic &diag) {
      if (diag.getSeverity() == DiagnosticSeverity::Error)
        afterNote = diag.str();
      return success();
    });
    if (succeeded(rematPm.run(*remat))) {
      std::vector<double> after =
          liveMiBTimeline(remat->lookupSymbol<func::FuncOp>(name));
      double peakAfter = after.empty() ? 0 : *llvm::max_element(after);
      chart.series.push_back(
          {llvm::formatv("after kiln-remat (budget {0}%)",
                         int(plotRematBudget * 100 + 0.5))
               .str(),
           after, "#d62728"});
      afterNote = llvm::formatv("{0:F2} MiB after kiln-remat", peakAfter);
    } else {
      afterNote = "kiln-remat not applicable: " + afterNote;
    }
  }
  std::error_code ec;
  llvm::raw_fd_ostream file(plotOpt, ec);
  if (ec)
    return fail("cannot write '" + plotOpt + "': " + ec.message());
  file << kiln::renderLineChartSVG(chart);
  llvm::outs() << "memory_plot: " << plotOpt << " ("
               << llvm::formatv("{0:F2}", peakBefore)
               << " MiB peak as compiled, " << afterNote << ")\n";
  return 0;
}


/// The training step of the module: with --make-train-step the entry that
/// the pass rewrote, else @kiln_train_step, else the one function with an
/// update binding.
func::FuncOp findTrainStep(ModuleOp module) {
  if (makeTrainStep.getNumOccurrences())
    return findEntry(module);
  if (auto step = module.lookupSymbol<func::FuncOp>(kiln::kTrainStepFuncName))
    return step;
  func::FuncOp only;
  for (auto func : module.getOps<func::FuncOp>()) {
    if (!func->hasAttr(kiln::kUpdateBindingAttr))
      continue;
    if (only)
      return nullptr;
    only = func;
  }
  return only;
}

/// A compiled function of the training loop, on the cpu target (the MLIR
/// JIT on the lowered module) or on halide-cpu (Halide on the kiln one).
class CompiledFunction {
public:
  virtual ~CompiledFunction() = default;
  virtual llvm::Expected<std::vector<kiln::rt::Tensor>>
  run(const std::vector<kiln::rt::Tensor> &inputs,
      kiln::cpu::AllocationStats *stats) = 0;
  /// Runs into `outputs` (already shaped by a previous run).
  virtual llvm::Error runInto(const std::vector<kiln::rt::Tensor> &inputs,
                              std::vector<kiln::rt::Tensor> &outputs) = 0;
  virtual std::vector<kiln::cpu::TensorSpec> outputSpecs() const = 0;
  /// The planned arena (cpu only; none on halide-cpu).
  virtual kiln::cpu::PlannedMemory plannedMemory() const { return {}; }
};

class JitFunction final : public CompiledFunction {
public:
  explicit JitFunction(std::unique_ptr<kiln::cpu::JitExecutor> jit)
      : jit(std::move(jit)) {}
  llvm::Expected<std::vector<kiln::rt::Tensor>>
  run(const std::vector<kiln::rt::Tensor> &inputs,
      kiln::cpu::AllocationStats *stats) override {
    return jit->run(inputs, stats);
  }
  llvm::Error runInto(const std::vector<kiln::rt::Tensor> &inputs,
                      std::vector<kiln::rt::Tensor> &outputs) override {
    return jit->runInto(inputs, outputs);
  }
  std::vector<kiln::cpu::TensorSpec> outputSpecs() const override {
    return jit->outputSpecs();
  }
  kiln::cpu::PlannedMemory plannedMemory() const override {
    return jit->plannedMemory();
  }

private:
  std::unique_ptr<kiln::cpu::JitExecutor> jit;
};

/// An executor that returns new outputs on every run (Halide, CUDA):
/// runInto replaces `outputs`.
template <typename Executor>
class FreshOutputsFunction : public CompiledFunction {
public:
  explicit FreshOutputsFunction(std::unique_ptr<Executor> exec)
      : exec(std::move(exec)) {}
  llvm::Expected<std::vector<kiln::rt::Tensor>>
  run(const std::vector<kiln::rt::Tensor> &inputs,
      kiln::cpu::AllocationStats *) override {
    return exec->run(inputs);
  }
  llvm::Error runInto(const std::vector<kiln::rt::Tensor> &inputs,
                      std::vector<kiln::rt::Tensor> &outputs) override {
    auto result = exec->run(inputs);
    if (!result)
      return result.takeError();
    outputs = std::move(*result);
    return llvm::Error::success();
  }

protected:
  std::unique_ptr<Executor> exec;
};

class HalideFunction final
    : public FreshOutputsFunction<kiln::halide::HalideExecutor> {
public:
  using FreshOutputsFunction::FreshOutputsFunction;
  std::vector<kiln::cpu::TensorSpec> outputSpecs() const override {
    std::vector<kiln::cpu::TensorSpec> specs;
    for (const auto &[dtype, shape] : exec->outputSpecs())
      specs.push_back({dtype, shape});
    return specs;
  }
};

class CUDAFunction final
    : public FreshOutputsFunction<kiln::cuda::CUDAExecutor> {
public:
  using FreshOutputsFunction::FreshOutputsFunction;
  std::vector<kiln::cpu::TensorSpec> outputSpecs() const override {
    return exec->outputSpecs();
  }
};

/// --target cuda: @`name` alone, compiled for the GPU; prints the device
/// once.
llvm::Expected<std::unique_ptr<kiln::cuda::CUDAExecutor>>
compileForCUDA(ModuleOp module, StringRef name) {
  auto exec = kiln::cuda::CUDAExecutor::create(
      *moduleWithOnly(module, {name.str()}), name);
  static bool announced = false;
  if (exec && !announced) {
    llvm::errs() << "kiln-run: cuda device: " << (*exec)->deviceDescription()
                 << "\n";
    announced = true;
  }
  return exec;
}

/// @`name` of `module` compiled for --target (a module of that function
/// alone on cpu), or with `onHost` for the CPU whatever the target.
llvm::Expected<std::unique_ptr<CompiledFunction>>
compileFunction(ModuleOp module, StringRef name, bool onHost = false) {
  if (isHalideTarget() && !onHost) {
    kiln::halide::HalideOptions options = halideOptions();
    auto exec = kiln::halide::HalideExecutor::create(module, name, options);
    if (!exec)
      return exec.takeError();
    return std::make_unique<HalideFunction>(std::move(*exec));
  }
  if (targetOpt == "cuda" && !onHost) {
    auto exec = compileForCUDA(module, name);
    if (!exec)
      return exec.takeError();
    return std::make_unique<CUDAFunction>(std::move(*exec));
  }
  auto jit = kiln::cpu::JitExecutor::create(*moduleWithOnly(module, {name.str()}),
                                            name, pipelineOptions());
  if (!jit)
    return jit.takeError();
  return std::make_unique<JitFunction>(std::move(*jit));
}

/// --emit-artifact: compiles @`name` of the lowered `module` into an
/// artifact. Arguments named in `state` are state inputs (their values are
/// the initial state); `updates` pairs a state name with the result that is
/// its next value.
int emitArtifact(ModuleOp module, StringRef name,
                 const std::vector<std::string> &argNames,
                 const std::map<std::string, kiln::rt::Tensor> &state,
                 const std::vector<std::string> &resultNames,
                 const std::vector<std::pair<std::string, size_t>> &updates) {
  kiln::rt::ArtifactManifest manifest;
  for (const std::string &arg : argNames) {
    kiln::rt::ArtifactTensor input;
    input.name = arg;
    input.isState = state.count(arg) != 0;
    manifest.inputs.push_back(input);
  }
  for (const std::string &result : resultNames) {
    kiln::rt::ArtifactTensor output;
    output.name = result;
    manifest.outputs.push_back(output);
  }
  manifest.updates = updates;
  OwningOpRef<ModuleOp> only = moduleWithOnly(module, {name.str()});
  llvm::Error written = llvm::Error::success();
  if (targetOpt == "cuda") {
    kiln::cuda::CUDAPipelineOptions options;
    options.chip = cudaChipOpt;
    written = kiln::cuda::writeCUDAArtifact(*only, name, manifest, state,
                                            options, emitArtifactDir);
  } else {
    written = kiln::cpu::writeCPUArtifact(*only, name, manifest, state,
                                          pipelineOptions(), emitArtifactDir);
  }
  if (written)
    return failWith(std::move(written));
  llvm::outs() << "artifact: " << emitArtifactDir << " (@" << name << ", "
               << argNames.size() << " inputs, " << resultNames.size()
               << " outputs, " << updates.size() << " state updates)\n";
  return 0;
}

/// The ONNX names of `func`'s arguments (kiln.onnx_name), or "" each.
std::vector<std::string> argumentNames(func::FuncOp func) {
  std::vector<std::string> names;
  for (unsigned i = 0; i < func.getNumArguments(); ++i) {
    auto name = func.getArgAttrOfType<StringAttr>(i, kiln::kOnnxNameAttr);
    names.push_back(name ? name.str() : "");
  }
  return names;
}

/// --train-steps / --make-train-step: runs a training step repeatedly,
/// feeding its state back (kiln/Training/TrainStep.h).
int runTraining(MLIRContext &context) {
  using kiln::rt::Tensor;
  if (!testDataDir.empty() && !dataDir.empty())
    return fail("give --data or --test-data, not both");
  std::string dir = !testDataDir.empty() ? testDataDir : dataDir;
  std::vector<Tensor> data, expected;
  if (!dir.empty()) {
    if (!llvm::sys::fs::is_directory(dir))
      return fail("data folder '" + dir + "' does not exist");
    std::string error;
    if (!kiln::rt::readTensorFiles(kiln::rt::numberedFiles(dir, "input_"), data, error))
      return fail(error);
    if (!testDataDir.empty() &&
        !kiln::rt::readTensorFiles(kiln::rt::numberedFiles(dir, "output_"), expected, error))
      return fail(error);
  }
  // Batches: the data's rows, B at a time, in order.
  int64_t numBatches = 1;
  if (batchSize > 0) {
    if (data.empty())
      return fail("--batch-size needs --data or --test-data");
    int64_t rows = data[0].rank() ? data[0].shape()[0] : 0;
    for (const Tensor &t : data)
      if (t.rank() == 0 || t.shape()[0] != rows)
        return fail("--batch-size: every data input needs the same number "
                    "of rows (dimension 0)");
    if (rows % batchSize != 0)
      return fail("--batch-size " + llvm::Twine(batchSize.getValue()) +
                  " does not divide the " + llvm::Twine(rows) + " data rows");
    numBatches = rows / batchSize;
  }
  auto batch = [&](unsigned step) {
    if (batchSize == 0)
      return data;
    std::vector<Tensor> out;
    int64_t begin = (step % numBatches) * batchSize;
    for (const Tensor &t : data)
      out.push_back(kiln::rt::sliceRows(t, begin, batchSize));
    return out;
  };
  std::vector<Tensor> first = batch(0);

  auto file = llvm::MemoryBuffer::getFile(modelPath, /*IsText=*/false,
                                          /*RequiresNullTerminator=*/false);
  if (!file)
    return fail("cannot read '" + modelPath + "': " + file.getError().message());
  OwningOpRef<ModuleOp> module;
  if (StringRef(modelPath).ends_with(".mlir")) {
    llvm::SourceMgr sourceMgr;
    sourceMgr.AddNewSourceBuffer(std::move(*file), llvm::SMLoc());
    module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  } else {
    // The inference graph's inputs come first among the data arguments; a
    // model with symbolic dimensions is specialized to the (batch) shapes
    // of as many data inputs as it has runtime inputs. Values are never
    // specialized: they change from step to step.
    kiln::ImportOptions options;
    options.importTrainingInfo = !makeTrainStep.getNumOccurrences();
    options.maxTensorBytes = memoryLimitBytes();
    mlir::TimingScope importTime = timePhase("import ONNX");
    module = kiln::importONNXBytes((*file)->getBuffer(), modelPath, &context,
                                   options);
    func::FuncOp entry = module ? findEntry(*module) : nullptr;
    if (entry && !first.empty()) {
      size_t n = std::min<size_t>(entry.getNumArguments(), first.size());
      for (size_t i = 0; i < n; ++i)
        options.inputShapes.push_back(first[i].shape());
      module = kiln::importONNXBytes((*file)->getBuffer(), modelPath,
                                     &context, options);
    }
  }
  if (!module)
    return 2;

  if (makeTrainStep.getNumOccurrences()) {
    PassManager pm(&context, ModuleOp::getOperationName(),
                   OpPassManager::Nesting::Implicit);
    std::string error;
    llvm::raw_string_ostream os(error);
    if (failed(parsePassPipeline("kiln-make-train-step{" +
                                     makeTrainStep + "}",
                                 pm, os)))
      return fail("bad --make-train-step: " + error);
    mlir::TimingScope passTime = timePhase("kiln-make-train-step");
    if (rootTiming)
      pm.enableTiming(passTime);
    if (failed(pm.run(*module)))
      return 2;
  }

  func::FuncOp step = findTrainStep(*module);
  if (!step)
    return fail("no training step: the model has no TrainingInfoProto "
                "algorithm (use --make-train-step to build one from an "
                "inference model)");
  std::string stepName = step.getSymName().str();
  std::string initName;
  if (auto init = step->getAttrOfType<FlatSymbolRefAttr>(
          kiln::kInitFunctionAttr)) {
    initName = init.getValue().str();
    auto initFunc = module->lookupSymbol<func::FuncOp>(initName);
    if (!initFunc || initFunc.getNumArguments() != 0)
      return fail("@" + stepName + ": its init function @" + initName +
                  " is missing or takes arguments");
  }
  if (!plotOpt.empty())
    if (int rc = writeMemoryPlot(*module, stepName))
      return rc;

  // Compile the step (and its init function) only.
  std::vector<std::string> keep = {stepName};
  if (!initName.empty())
    keep.push_back(initName);
  module = moduleWithOnly(*module, keep);
  // Initializers left as constants in the step (non-trainable weights), as
  // imported: lowering drops their names.
  int64_t stepInitializerBytes =
      initializerBytes(module->lookupSymbol<func::FuncOp>(stepName));
  PassManager pm(&context, ModuleOp::getOperationName(),
                 OpPassManager::Nesting::Implicit);
  if (!pipelineOpt.empty()) {
    std::string error;
    llvm::raw_string_ostream os(error);
    if (failed(parsePassPipeline(pipelineOpt, pm, os)))
      return fail("bad --pipeline: " + error);
  }
  if (printIR) {
    if (failed(pm.run(*module)))
      return 2;
    module->print(llvm::outs());
    llvm::outs() << "\n";
    pm.clear();
  }
  // The Halide targets translate the kiln program itself.
  if (isHalideTarget())
    pm.addNestedPass<func::FuncOp>(kiln::createKilnAutodiff());
  else
    addLoweringPasses(pm);
  {
    mlir::TimingScope passTime = timePhase("kiln passes and lowering to linalg");
    if (rootTiming)
      pm.enableTiming(passTime);
    if (failed(pm.run(*module)))
      return 2;
  }

  // What the step feeds back: state name -> result index. Read after
  // --pipeline, whose passes may add state (kiln-quantize's loss scale and
  // amax histories, kiln-sparsify's masks) or replace it (8-bit moments).
  step = module->lookupSymbol<func::FuncOp>(stepName);
  auto bindingAttr = step->getAttrOfType<DictionaryAttr>(
      kiln::kUpdateBindingAttr);
  std::vector<std::string> resultNames = outputNames(step);
  std::vector<std::pair<std::string, size_t>> updates;
  if (bindingAttr) {
    for (NamedAttribute entry : bindingAttr) {
      auto value = dyn_cast<StringAttr>(entry.getValue());
      auto it = value ? llvm::find(resultNames, value.str()) : resultNames.end();
      if (it == resultNames.end())
        return fail("@" + stepName + ": update binding of '" +
                    entry.getName().str() + "' names no result");
      updates.emplace_back(entry.getName().str(), it - resultNames.begin());
    }
  }

  // The initial state.
  std::map<std::string, Tensor> state;
  if (!initName.empty()) {
    auto initFunc = module->lookupSymbol<func::FuncOp>(initName);
    std::vector<std::string> stateNames = outputNames(initFunc);
    // An artifact is written without its target's device: the initial
    // state (the same arithmetic) comes from the CPU.
    mlir::TimingScope initTime = timePhase("compile and run @" + initName);
    auto initExec =
        compileFunction(*module, initName, !emitArtifactDir.empty());
    if (!initExec)
      return failWith(initExec.takeError());
    auto initial = (*initExec)->run({}, nullptr);
    if (!initial)
      return failWith(initial.takeError());
    for (size_t i = 0; i < initial->size(); ++i)
      state[stateNames[i]] = std::move((*initial)[i]);
  }
  for (const auto &[name, index] : updates)
    if (!state.count(name))
      return fail("@" + stepName + ": no initial value for the state '" +
                  name + "'");

  // Arguments: state by name, data in order.
  step = module->lookupSymbol<func::FuncOp>(stepName);
  std::vector<std::string> argNames = argumentNames(step);
  std::vector<size_t> dataArgs;
  for (unsigned i = 0; i < step.getNumArguments(); ++i)
    if (!state.count(argNames[i]))
      dataArgs.push_back(i);
  if (!emitArtifactDir.empty())
    return emitArtifact(*module, stepName, argNames, state, resultNames,
                        updates);
  if (dataArgs.size() != first.size())
    return fail("the training step @" + stepName + " takes " +
                llvm::Twine(dataArgs.size()) + " data inputs but " +
                llvm::Twine(first.size()) + " were given");
  if (expected.size() > step.getNumResults())
    return fail("test data has " + llvm::Twine(expected.size()) +
                " outputs but the training step produces " +
                llvm::Twine(step.getNumResults()));
  mlir::TimingScope compileTime = timePhase("compile @" + stepName);
  compileTiming = rootTiming ? &compileTime : nullptr;
  auto stepExec = compileFunction(*module, stepName);
  compileTiming = nullptr;
  compileTime.stop();
  if (!stepExec)
    return failWith(stepExec.takeError());
  std::vector<kiln::cpu::TensorSpec> stepOutputs = (*stepExec)->outputSpecs();
  if (llvm::Error err = checkMemoryCeiling({}, stepOutputs,
                                           (*stepExec)->plannedMemory()))
    return failWith(std::move(err));

  // Scalars to print: one-element float results that are not fed back.
  std::vector<size_t> logged;
  for (size_t k = 0; k < resultNames.size(); ++k) {
    const kiln::cpu::TensorSpec &spec = stepOutputs[k];
    bool fedBack = llvm::any_of(updates, [&](auto &u) { return u.second == k; });
    if (!fedBack && spec.numElements() == 1 &&
        (spec.dtype == kiln::rt::DType::F32 ||
         spec.dtype == kiln::rt::DType::F64))
      logged.push_back(k);
  }

  unsigned steps = std::max(1u, trainSteps.getValue());
  // A loss-scaled step (kiln-quantize) reports whether it was skipped.
  auto skippedIt = llvm::find(resultNames, "skipped");
  std::optional<size_t> skippedResult;
  if (skippedIt != resultNames.end() &&
      llvm::is_contained(logged, size_t(skippedIt - resultNames.begin())))
    skippedResult = skippedIt - resultNames.begin();
  unsigned skippedSteps = 0;
  std::vector<Tensor> inputs(step.getNumArguments()), outputs;
  kiln::cpu::AllocationStats worstStep; // The step with the highest peak.
  mlir::TimingScope loopTime = timePhase("training loop");
  kiln::ProgressLine progress("kiln-run", "step", steps + benchRuns,
                              showProgress());
  for (unsigned s = 0; s < steps; ++s) {
    std::vector<Tensor> current = s == 0 ? first : batch(s);
    for (size_t j = 0; j < dataArgs.size(); ++j)
      inputs[dataArgs[j]] = std::move(current[j]);
    for (unsigned i = 0; i < step.getNumArguments(); ++i)
      if (state.count(argNames[i]))
        inputs[i] = state[argNames[i]];
    kiln::cpu::AllocationStats stepStats;
    auto result = (*stepExec)->run(inputs, &stepStats);
    if (!result)
      return failWith(result.takeError());
    if (s == 0 || stepStats.peakBytes > worstStep.peakBytes ||
        stepStats.leakedBytes > worstStep.leakedBytes)
      worstStep = stepStats;
    outputs = std::move(*result);
    for (const auto &[name, index] : updates)
      state[name] = outputs[index];
    if (skippedResult && outputs[*skippedResult].elementAsDouble(0) != 0)
      ++skippedSteps;
    progress.update(s + 1);
    bool last = s + 1 == steps;
    if (!logged.empty() &&
        (last || (logEvery > 0 && (s + 1) % logEvery == 0))) {
      llvm::outs() << "step " << (s + 1) << ":";
      for (size_t k : logged)
        llvm::outs() << " " << resultNames[k] << "="
                     << llvm::format("%.8g", outputs[k].elementAsDouble(0));
      llvm::outs() << "\n";
    }
  }
  if (skippedResult)
    llvm::outs() << "loss_scaling: " << skippedSteps << " of " << steps
                 << " steps skipped (overflow)\n";

  // --bench: N more steps, each timed alone (the executor's call only;
  // compilation, data slicing and the state hand-over are outside). The
  // state is handed over by swapping buffers: the new state becomes the next
  // step's input and the old one the buffer of its output, as an in-place
  // update would.
  if (benchRuns > 0) {
    std::vector<std::pair<size_t, size_t>> feedBack; // (argument, result)
    std::vector<size_t> resultUses(outputs.size(), 0);
    for (const auto &[name, index] : updates) {
      for (unsigned i = 0; i < step.getNumArguments(); ++i) {
        if (argNames[i] != name)
          continue;
        inputs[i] = state[name];
        feedBack.emplace_back(i, index);
        ++resultUses[index];
      }
    }
    std::vector<Tensor> next = outputs;
    std::vector<double> ms;
    for (unsigned t = 0; t < benchRuns; ++t) {
      if (batchSize > 0) {
        std::vector<Tensor> current = batch(steps + t);
        for (size_t j = 0; j < dataArgs.size(); ++j)
          inputs[dataArgs[j]] = std::move(current[j]);
      }
      auto start = std::chrono::steady_clock::now();
      if (llvm::Error err = (*stepExec)->runInto(inputs, next))
        return failWith(std::move(err));
      auto end = std::chrono::steady_clock::now();
      ms.push_back(
          std::chrono::duration<double, std::milli>(end - start).count());
      for (const auto &[arg, index] : feedBack) {
        if (resultUses[index] == 1)
          std::swap(inputs[arg], next[index]);
        else
          inputs[arg] = next[index];
      }
      progress.update(steps + t + 1);
    }
    // The outputs of the last step: the fed-back ones now sit in `inputs`.
    outputs = std::move(next);
    for (const auto &[arg, index] : feedBack)
      outputs[index] = inputs[arg];
    for (const auto &[name, index] : updates)
      state[name] = outputs[index];
    printTimes(ms);
    if (!logged.empty()) {
      llvm::outs() << "step " << (steps + benchRuns) << ":";
      for (size_t k : logged)
        llvm::outs() << " " << resultNames[k] << "="
                     << llvm::format("%.8g", outputs[k].elementAsDouble(0));
      llvm::outs() << "\n";
    }
  }

  progress.finish();
  loopTime.stop();
  bool allMatch = true;
  if (!expected.empty())
    allMatch = reportOutputs(outputs, expected, resultNames);
  if (reportOpt == "memory") {
    // Persistent: the state fed back between steps (weights, optimizer
    // state, counters) and the initializers left as constants in the step.
    int64_t stateBytes = 0, dataBytes = totalBytes(outputs);
    for (unsigned i = 0; i < step.getNumArguments(); ++i) {
      if (state.count(argNames[i]))
        stateBytes += static_cast<int64_t>(inputs[i].numBytes());
      else
        dataBytes += static_cast<int64_t>(inputs[i].numBytes());
    }
    reportMemory((*stepExec)->plannedMemory(), worstStep,
                 stateBytes + stepInitializerBytes, dataBytes);
  }
  if (!writeOutputsDir.empty())
    if (int rc = writeOutputs(outputs, resultNames))
      return rc;
  if (!writeInitializersDir.empty()) {
    if (std::error_code ec =
            llvm::sys::fs::create_directories(writeInitializersDir))
      return fail("cannot create '" + writeInitializersDir +
                  "': " + ec.message());
    llvm::StringSet<> used;
    for (const auto &[name, tensor] : state) {
      std::string base = kiln::rt::tensorFileName(name), file = base;
      for (int k = 1; !used.insert(file).second; ++k)
        file = base + "_" + std::to_string(k);
      llvm::SmallString<256> path(writeInitializersDir.getValue());
      llvm::sys::path::append(path, file + ".pb");
      std::string error;
      if (!kiln::rt::writeTensorProtoFile(path.str().str(), tensor, name,
                                          error))
        return fail(error);
    }
  }
  return allMatch ? 0 : 1;
}

/// --bench: times `benchRuns` calls of `step` and prints
/// "step_ms median=... min=... max=...".
llvm::Error printStepTimes(llvm::function_ref<llvm::Error()> step) {
  std::vector<double> ms;
  for (unsigned i = 0; i < benchRuns; ++i) {
    auto start = std::chrono::steady_clock::now();
    if (llvm::Error err = step())
      return err;
    auto end = std::chrono::steady_clock::now();
    ms.push_back(std::chrono::duration<double, std::milli>(end - start).count());
  }
  printTimes(ms);
  return llvm::Error::success();
}

kiln::cpu::TensorSpec asTensorSpec(const kiln::cpu::TensorSpec &spec) {
  return spec;
}
kiln::cpu::TensorSpec
asTensorSpec(const std::pair<kiln::rt::DType, std::vector<int64_t>> &spec) {
  return {spec.first, spec.second};
}

/// What every target other than the CPU JIT does with its compiled
/// `executor`: random inputs where no test data was given, one run,
/// --bench, the comparison report and --write-outputs.
template <typename Executor>
int runAndReport(Executor &executor, std::vector<kiln::rt::Tensor> &inputs,
                 const std::vector<kiln::rt::Tensor> &expected,
                 const std::vector<std::string> &names, bool haveTestData) {
  if (!haveTestData) {
    std::mt19937 rng(seedOpt);
    for (const auto &spec : executor.inputSpecs())
      inputs.push_back(randomTensor(asTensorSpec(spec), rng));
  }
  auto outputs = executor.run(inputs);
  if (!outputs)
    return failWith(outputs.takeError());
  if (benchRuns > 0)
    if (llvm::Error err = printStepTimes([&]() -> llvm::Error {
          auto again = executor.run(inputs);
          return again ? llvm::Error::success() : again.takeError();
        }))
      return failWith(std::move(err));
  bool allMatch = reportOutputs(*outputs, expected, names);
  if (!writeOutputsDir.empty())
    if (int rc = writeOutputs(*outputs, names))
      return rc;
  return allMatch ? 0 : 1;
}

/// --target cuda: the lowered module's entry compiled for the GPU, run and
/// compared as on the CPU.
int runWithCUDA(ModuleOp module, StringRef entryName,
                std::vector<kiln::rt::Tensor> &inputs,
                std::vector<kiln::rt::Tensor> &expected,
                const std::vector<std::string> &names, bool haveTestData) {
  auto executor = compileForCUDA(module, entryName);
  if (!executor)
    return failWith(executor.takeError());
  reinterpretBFloat16Data(inputs, (*executor)->inputSpecs());
  reinterpretBFloat16Data(expected, (*executor)->outputSpecs());
  return runAndReport(**executor, inputs, expected, names, haveTestData);
}

/// --target halide-cpu: the kiln function (after --pipeline) translated into
/// Halide and JIT-compiled by Halide, then run and compared as on the CPU.
int runWithHalide(ModuleOp module, PassManager &pm, StringRef entryName,
                  std::vector<kiln::rt::Tensor> &inputs,
                  const std::vector<kiln::rt::Tensor> &expected,
                  const std::vector<std::string> &names, bool haveTestData) {
  pm.addNestedPass<func::FuncOp>(kiln::createKilnAutodiff());
  if (failed(pm.run(module)))
    return 2;
  auto executor =
      kiln::halide::HalideExecutor::create(module, entryName, halideOptions());
  if (!executor)
    return failWith(executor.takeError());
  return runAndReport(**executor, inputs, expected, names, haveTestData);
}

int runTool() {
  if (targetOpt != "cpu" && targetOpt != "cuda" && !isHalideTarget())
    return fail("unknown target '" + targetOpt +
                "' (supported: cpu, cuda, halide-cpu, halide-cuda)");
  if (!emitArtifactDir.empty() && targetOpt != "cpu" && targetOpt != "cuda")
    return fail("--emit-artifact compiles for --target cpu or cuda only");
  if (cudaChipOpt.getNumOccurrences() &&
      !llvm::is_contained({"sm_80", "sm_86", "sm_89", "sm_90"},
                          StringRef(cudaChipOpt)))
    return fail("bad --cuda-chip '" + cudaChipOpt +
                "' (supported: sm_80, sm_86, sm_89, sm_90)");
  if (memoryLimitBytes() == 0)
    return fail("bad --memory-limit '" + memoryLimitOpt +
                "' (a positive number of bytes, optionally with K, M, G or T)");
  if (!reportOpt.empty() && reportOpt != "memory")
    return fail("unknown --report '" + reportOpt + "' (supported: memory)");
  if (!plotOpt.empty() && reportOpt != "memory")
    return fail("--plot draws the memory report: add --report memory");
  if (plotRematBudget <= 0 || plotRematBudget > 1)
    return fail("--plot-remat-budget must be in (0, 1]");

  DialectRegistry registry;
  registry.insert<kiln::KilnDialect, func::FuncDialect>();
  kiln::cpu::registerCPUPipelineDependencies(registry);
  if (targetOpt == "cuda")
    kiln::cuda::registerCUDAPipelineDependencies(registry);
  MLIRContext context(registry);
  kiln::OneLineDiagnostics diagnostics(context, "kiln-run", showRemarks);
  if (trainSteps > 0 || makeTrainStep.getNumOccurrences())
    return runTraining(context);
  if (!dataDir.empty() || batchSize > 0 || !writeInitializersDir.empty())
    return fail("--data, --batch-size and --write-initializers need "
                "--train-steps or --make-train-step");

  // Test data first: its input shapes specialize the imported program.
  std::vector<kiln::rt::Tensor> inputs, expected;
  bool haveTestData = !testDataDir.empty();
  if (haveTestData) {
    if (!llvm::sys::fs::is_directory(testDataDir))
      return fail("test data folder '" + testDataDir + "' does not exist");
    std::string error;
    if (!kiln::rt::readTensorFiles(kiln::rt::numberedFiles(testDataDir, "input_"), inputs, error) ||
        !kiln::rt::readTensorFiles(kiln::rt::numberedFiles(testDataDir, "output_"), expected, error))
      return fail(error);
  }

  auto file = llvm::MemoryBuffer::getFile(modelPath, /*IsText=*/false,
                                          /*RequiresNullTerminator=*/false);
  if (!file)
    return fail("cannot read '" + modelPath + "': " + file.getError().message());

  OwningOpRef<ModuleOp> module;
  if (StringRef(modelPath).ends_with(".mlir")) {
    llvm::SourceMgr sourceMgr;
    sourceMgr.AddNewSourceBuffer(std::move(*file), llvm::SMLoc());
    module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  } else {
    kiln::ImportOptions options;
    options.importTrainingInfo = false; // Inference only.
    options.maxTensorBytes = memoryLimitBytes();
    for (const kiln::rt::Tensor &t : inputs) {
      options.inputShapes.push_back(t.shape());
      options.inputValues.push_back(shapeCarryingValue(t, context));
    }
    options.inputData = [&](size_t i) -> ElementsAttr {
      return i < inputs.size() ? inputDataValue(inputs[i], context)
                               : ElementsAttr();
    };
    mlir::TimingScope importTime = timePhase("import ONNX");
    module = kiln::importONNXBytes((*file)->getBuffer(), modelPath, &context,
                                   options);
  }
  if (!module)
    return 2;

  func::FuncOp entry = findEntry(*module);
  if (!entry)
    return fail("no entry function: expected @main or a single public func");
  std::vector<std::string> names = outputNames(entry);
  std::string entryName = entry.getSymName().str();
  // Persistent memory of an inference run: the weights (initializers), as
  // imported, before any pass folds or duplicates them.
  int64_t persistentBytes = initializerBytes(entry);
  if (!plotOpt.empty())
    if (int rc = writeMemoryPlot(*module, entryName))
      return rc;
  if (haveTestData && inputs.size() != entry.getNumArguments())
    return fail("test data has " + llvm::Twine(inputs.size()) +
                " inputs but the model takes " +
                llvm::Twine(entry.getNumArguments()));
  if (expected.size() > entry.getNumResults())
    return fail("test data has " + llvm::Twine(expected.size()) +
                " outputs but the model produces " +
                llvm::Twine(entry.getNumResults()));

  // Implicit nesting makes the pipeline parser reject a pass anchored on
  // another op (e.g. a bare function pass) with a one-line reason, instead of
  // failing at run time with a dump of the whole module.
  PassManager pm(&context, ModuleOp::getOperationName(),
                 OpPassManager::Nesting::Implicit);
  if (!pipelineOpt.empty()) {
    std::string error;
    llvm::raw_string_ostream os(error);
    if (failed(parsePassPipeline(pipelineOpt, pm, os)))
      return fail("bad --pipeline: " + error);
  }
  if (printIR && failed(pm.run(*module)))
    return 2;
  if (printIR) {
    module->print(llvm::outs());
    llvm::outs() << "\n";
    pm.clear();
  }
  if (isHalideTarget())
    return runWithHalide(*module, pm, entryName, inputs, expected, names,
                         haveTestData);
  addLoweringPasses(pm);
  {
    mlir::TimingScope passTime = timePhase("kiln passes and lowering to linalg");
    if (rootTiming)
      pm.enableTiming(passTime);
    if (failed(pm.run(*module)))
      return 2;
  }
  if (!emitArtifactDir.empty())
    return emitArtifact(*module, entryName,
                        argumentNames(module->lookupSymbol<func::FuncOp>(
                            entryName)),
                        {}, names, {});

  if (targetOpt == "cuda")
    return runWithCUDA(*module, entryName, inputs, expected, names,
                       haveTestData);

  mlir::TimingScope compileTime =
      timePhase("compile @" + entryName + " (CPU pipeline, LLVM JIT)");
  compileTiming = rootTiming ? &compileTime : nullptr;
  auto executor =
      kiln::cpu::JitExecutor::create(*module, entryName, pipelineOptions());
  compileTiming = nullptr;
  compileTime.stop();
  if (!executor)
    return failWith(executor.takeError());

  reinterpretBFloat16Data(inputs, (*executor)->inputSpecs());
  reinterpretBFloat16Data(expected, (*executor)->outputSpecs());
  if (llvm::Error err = checkMemoryCeiling((*executor)->inputSpecs(),
                                           (*executor)->outputSpecs(),
                                           (*executor)->plannedMemory()))
    return failWith(std::move(err));

  if (!haveTestData) {
    std::mt19937 rng(seedOpt);
    for (const kiln::cpu::TensorSpec &spec : (*executor)->inputSpecs())
      inputs.push_back(randomTensor(spec, rng));
  }

  kiln::cpu::AllocationStats memoryStats;
  mlir::TimingScope runTime = timePhase("run");
  auto outputs = (*executor)->run(inputs, &memoryStats);
  runTime.stop();
  if (!outputs)
    return failWith(outputs.takeError());

  if (benchRuns > 0)
    if (llvm::Error err = printStepTimes(
            [&] { return (*executor)->runInto(inputs, *outputs); }))
      return failWith(std::move(err));

  bool allMatch = reportOutputs(*outputs, expected, names);
  if (reportOpt == "memory")
    reportMemory((*executor)->plannedMemory(), memoryStats, persistentBytes,
                 totalBytes(inputs) + totalBytes(*outputs));
  if (!writeOutputsDir.empty())
    if (int rc = writeOutputs(*outputs, names))
      return rc;
  return allMatch ? 0 : 1;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  mlir::registerPassManagerCLOptions();
  kiln::registerKilnPasses();
  kiln::registerKilnConversionPasses();
  // kiln-remat measures planned arenas with the CPU pipeline's first stages.
  kiln::cpu::registerCPUPipelines();
  mlir::registerTransformsPasses(); // canonicalize, cse, ... for --pipeline
  cl::HideUnrelatedOptions({&category, &trainCategory});
  cl::ParseCommandLineOptions(
      argc, argv,
      "kiln-run: compile a model (.onnx or kiln .mlir) for the CPU, run it "
      "and compare its outputs.\n\n"
      "  kiln-run model.onnx --test-data test_data_set_0\n"
      "  kiln-run model.onnx --train-steps 100 --data DIR "
      "--write-initializers OUT\n"
      "  kiln-run model.onnx --make-train-step \"loss=mse optimizer=adam "
      "lr=1e-3\" --train-steps 200 --data DIR\n"
      "  kiln-run model.onnx --make-train-step \"loss=cross-entropy "
      "optimizer=sgd\" --data DIR --bench 20\n\n"
      "Exit codes: 0 success or all outputs match, 1 numeric mismatch, 2 the "
      "model cannot be compiled or run.\n");
  mlir::DefaultTimingManager timing;
  timing.setEnabled(timingOpt);
  timing.setDisplayMode(mlir::DefaultTimingManager::DisplayMode::Tree);
  mlir::TimingScope root = timing.getRootScope();
  if (timingOpt)
    rootTiming = &root;
  int rc = runTool();
  rootTiming = nullptr;
  root.stop(); // The manager prints the report when it goes away.
  return rc;
}
