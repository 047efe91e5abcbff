//===- kiln-run.cpp - Compile and execute a model ---------------------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// kiln-run MODEL [options]: imports an ONNX model (or reads kiln MLIR),
// compiles it for the CPU, runs it on ONNX backend-test data and compares
// the outputs. Its flags, output lines and exit codes are a contract that
// scripts rely on (see DESIGN.md, "Tool contracts"):
//   exit 0  success / every output matched
//   exit 1  a numeric mismatch
//   exit 2  the model cannot be compiled or run, with a one-line reason
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/CPU/JitExecutor.h"
#include "kiln/Codegen/CPU/Pipeline.h"
#include "kiln/Codegen/CPU/TypeMapping.h"
#include "kiln/Conversion/Passes.h"
#include "kiln/Dialect/Kiln/KilnDialect.h"
#include "kiln/Import/ONNXImporter.h"
#include "kiln/Passes/Passes.h"
#include "kiln/Runtime/Compare.h"
#include "kiln/Runtime/TensorProtoIO.h"
#include "kiln/Support/Diagnostics.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"

#include <algorithm>
#include <chrono>
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
                      "'step_ms median=... min=... max=...'"),
    cl::init(0), cl::value_desc("N"), cl::cat(category));
cl::opt<std::string> targetOpt(
    "target", cl::desc("Code generation target: cpu (cuda, halide-cpu and "
                       "halide-cuda are not available yet)"),
    cl::init("cpu"), cl::cat(category));
cl::opt<std::string> pipelineOpt(
    "pipeline",
    cl::desc("Passes to run on the kiln program before lowering, in "
             "kiln-opt syntax, e.g. "
             "\"canonicalize,func.func(kiln-cost-report)\""),
    cl::init(""), cl::cat(category));
cl::opt<bool> printIR("print-ir",
                      cl::desc("Print the kiln program that is compiled"),
                      cl::cat(category));
cl::opt<unsigned> seedOpt(
    "seed", cl::desc("Seed of the random inputs used without --test-data"),
    cl::init(0), cl::cat(category));

/// Prints "kiln-run: error: <message>" and yields exit code 2.
int fail(const llvm::Twine &message) {
  llvm::errs() << "kiln-run: error: " << message << "\n";
  return 2;
}

int failWith(llvm::Error error) {
  return fail(llvm::toString(std::move(error)));
}

/// Paths DIR/<prefix>K.pb for K = 0, 1, ... while they exist.
std::vector<std::string> numberedFiles(StringRef dir, StringRef prefix) {
  std::vector<std::string> paths;
  for (int k = 0;; ++k) {
    llvm::SmallString<256> path(dir);
    llvm::sys::path::append(path, prefix + std::to_string(k) + ".pb");
    if (!llvm::sys::fs::exists(path))
      return paths;
    paths.push_back(path.str().str());
  }
}

bool readTensors(const std::vector<std::string> &paths,
                 std::vector<kiln::rt::Tensor> &out, std::string &error) {
  for (const std::string &path : paths) {
    kiln::rt::Tensor tensor;
    if (!kiln::rt::readTensorProtoFile(path, tensor, nullptr, error)) {
      error = path + ": " + error;
      return false;
    }
    out.push_back(std::move(tensor));
  }
  return true;
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

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
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

int runTool() {
  if (targetOpt != "cpu")
    return fail("target '" + targetOpt +
                "' is not available yet (supported: cpu)");

  DialectRegistry registry;
  registry.insert<kiln::KilnDialect, func::FuncDialect>();
  kiln::cpu::registerCPUPipelineDependencies(registry);
  MLIRContext context(registry);
  kiln::OneLineDiagnostics diagnostics(context, "kiln-run");

  // Test data first: its input shapes specialize the imported program.
  std::vector<kiln::rt::Tensor> inputs, expected;
  bool haveTestData = !testDataDir.empty();
  if (haveTestData) {
    if (!llvm::sys::fs::is_directory(testDataDir))
      return fail("test data folder '" + testDataDir + "' does not exist");
    std::string error;
    if (!readTensors(numberedFiles(testDataDir, "input_"), inputs, error) ||
        !readTensors(numberedFiles(testDataDir, "output_"), expected, error))
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
    for (const kiln::rt::Tensor &t : inputs) {
      options.inputShapes.push_back(t.shape());
      options.inputValues.push_back(shapeCarryingValue(t, context));
    }
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
  pm.addPass(kiln::createConvertKilnToLinalg());
  if (failed(pm.run(*module)))
    return 2;

  auto executor = kiln::cpu::JitExecutor::create(*module, entryName);
  if (!executor)
    return failWith(executor.takeError());

  if (!haveTestData) {
    std::mt19937 rng(seedOpt);
    for (const kiln::cpu::TensorSpec &spec : (*executor)->inputSpecs())
      inputs.push_back(randomTensor(spec, rng));
  }

  auto outputs = (*executor)->run(inputs);
  if (!outputs)
    return failWith(outputs.takeError());

  if (benchRuns > 0) {
    std::vector<double> ms;
    for (unsigned i = 0; i < benchRuns; ++i) {
      auto start = std::chrono::steady_clock::now();
      if (llvm::Error err = (*executor)->runInto(inputs, *outputs))
        return failWith(std::move(err));
      auto end = std::chrono::steady_clock::now();
      ms.push_back(std::chrono::duration<double, std::milli>(end - start).count());
    }
    llvm::outs() << llvm::format("step_ms median=%.4f min=%.4f max=%.4f\n",
                                 median(ms), *std::min_element(ms.begin(), ms.end()),
                                 *std::max_element(ms.begin(), ms.end()));
  }

  bool allMatch = true;
  for (size_t k = 0; k < outputs->size(); ++k) {
    const kiln::rt::Tensor &actual = (*outputs)[k];
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

  if (!writeOutputsDir.empty()) {
    if (std::error_code ec = llvm::sys::fs::create_directories(writeOutputsDir))
      return fail("cannot create '" + writeOutputsDir + "': " + ec.message());
    for (size_t k = 0; k < outputs->size(); ++k) {
      llvm::SmallString<256> path(writeOutputsDir.getValue());
      llvm::sys::path::append(path, "output_" + std::to_string(k) + ".pb");
      std::string error;
      if (!kiln::rt::writeTensorProtoFile(path.str().str(), (*outputs)[k],
                                          names[k], error))
        return fail(error);
    }
  }
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
  mlir::registerTransformsPasses(); // canonicalize, cse, ... for --pipeline
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "kiln-run: compile a model (.onnx or kiln .mlir) for the CPU, run it "
      "and compare its outputs.\n\n"
      "  kiln-run model.onnx --test-data test_data_set_0\n\n"
      "Exit codes: 0 success or all outputs match, 1 numeric mismatch, 2 the "
      "model cannot be compiled or run.\n");
  return runTool();
}
