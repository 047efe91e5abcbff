//===- kiln-step.cpp - Run a compiled artifact without LLVM or MLIR -------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// kiln-step ARTIFACT [options]: loads an artifact written by
// `kiln-run ... --emit-artifact ARTIFACT` and runs it with the Kiln runtime
// alone (this program links KilnRuntime, protobuf and libc: no LLVM, no
// MLIR). A training step runs --train-steps times with its state fed back,
// printing the scalar outputs as kiln-run does ("step 3: loss=0.25"); an
// inference graph runs once. --test-data compares the outputs of the last
// run with output_K.pb. Exit codes as kiln-run's: 0 success or match,
// 1 numeric mismatch, 2 the artifact or data cannot be loaded or run.
//
//===----------------------------------------------------------------------===//

#include "kiln/Runtime/Artifact.h"
#include "kiln/Runtime/Compare.h"
#include "kiln/Runtime/DataFiles.h"
#include "kiln/Runtime/Progress.h"
#include "kiln/Runtime/TensorProtoIO.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

using kiln::rt::Tensor;

namespace {

const char *kUsage =
    "usage: kiln-step ARTIFACT [options]\n"
    "\n"
    "Runs a Kiln artifact (written by kiln-run --emit-artifact) with the\n"
    "LLVM-free runtime.\n"
    "\n"
    "  --data DIR              input_K.pb for the data inputs, in order\n"
    "  --test-data DIR         as --data, and compare the last run's outputs\n"
    "                          with DIR/output_K.pb\n"
    "  --train-steps N         run a training step N times, state fed back\n"
    "                          (default 1)\n"
    "  --batch-size B          step s uses rows [s*B, (s+1)*B) mod rows of\n"
    "                          every data input\n"
    "  --log-every K           print the scalar outputs every K steps\n"
    "                          (0: the last step only; default 1)\n"
    "  --bench N               time N more runs, print 'step_ms median=...'\n"
    "  --write-outputs DIR     write the last outputs as output_K.pb\n"
    "  --write-initializers DIR  write the final state as <name>.pb\n"
    "  --rtol X, --atol X      comparison tolerances\n"
    "  --progress on|off|auto  a progress line (step, steps/s, ETA) on\n"
    "                          stderr; auto (default): when stderr is a\n"
    "                          terminal\n"
    "\n"
    "Exit codes: 0 success or all outputs match, 1 numeric mismatch, 2 the\n"
    "artifact or the data cannot be loaded or run.\n";

struct Options {
  std::string artifact;
  std::string data, testData, writeOutputs, writeInitializers;
  unsigned trainSteps = 1, batchSize = 0, logEvery = 1, bench = 0;
  std::optional<double> rtol, atol;
  std::string progress = "auto";
};

int fail(const std::string &message) {
  std::cerr << "kiln-step: error: " << message << "\n";
  return 2;
}

bool parseUnsigned(const char *text, unsigned &out) {
  char *end = nullptr;
  unsigned long value = std::strtoul(text, &end, 10);
  if (!*text || *end || value > 100000000ul)
    return false;
  out = static_cast<unsigned>(value);
  return true;
}

/// Parses argv into `opts`; a message on error.
std::optional<std::string> parseArgs(int argc, char **argv, Options &opts) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::cout << kUsage;
      std::exit(0);
    }
    if (arg.rfind("--", 0) != 0) {
      if (!opts.artifact.empty())
        return "more than one artifact given ('" + opts.artifact + "', '" +
               arg + "')";
      opts.artifact = arg;
      continue;
    }
    // --flag=value or --flag value.
    std::string value;
    size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return "option " + arg + " needs a value";
    }
    auto number = [&](unsigned &out) -> std::optional<std::string> {
      if (!parseUnsigned(value.c_str(), out))
        return "option " + arg + " needs a non-negative integer, not '" +
               value + "'";
      return std::nullopt;
    };
    auto real = [&](std::optional<double> &out) -> std::optional<std::string> {
      char *end = nullptr;
      double v = std::strtod(value.c_str(), &end);
      if (value.empty() || *end || !(v >= 0))
        return "option " + arg + " needs a non-negative number, not '" +
               value + "'";
      out = v;
      return std::nullopt;
    };
    std::optional<std::string> error;
    if (arg == "--data")
      opts.data = value;
    else if (arg == "--test-data")
      opts.testData = value;
    else if (arg == "--write-outputs")
      opts.writeOutputs = value;
    else if (arg == "--write-initializers")
      opts.writeInitializers = value;
    else if (arg == "--train-steps")
      error = number(opts.trainSteps);
    else if (arg == "--batch-size")
      error = number(opts.batchSize);
    else if (arg == "--log-every")
      error = number(opts.logEvery);
    else if (arg == "--bench")
      error = number(opts.bench);
    else if (arg == "--progress") {
      if (value != "on" && value != "off" && value != "auto")
        return "option --progress takes on, off or auto, not '" + value + "'";
      opts.progress = value;
    } else if (arg == "--rtol")
      error = real(opts.rtol);
    else if (arg == "--atol")
      error = real(opts.atol);
    else
      return "unknown option '" + arg + "' (see --help)";
    if (error)
      return error;
  }
  if (opts.artifact.empty())
    return std::string("no artifact folder given (see --help)");
  if (!opts.data.empty() && !opts.testData.empty())
    return std::string("give --data or --test-data, not both");
  return std::nullopt;
}

std::string formatScalar(double v) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.8g", v);
  return buffer;
}

int run(const Options &opts) {
  std::string error;
  std::unique_ptr<kiln::rt::Artifact> artifact =
      kiln::rt::Artifact::load(opts.artifact, error);
  if (!artifact)
    return fail(error);
  const kiln::rt::ArtifactManifest &manifest = artifact->manifest();

  std::map<std::string, Tensor> state;
  if (!artifact->readInitialState(state, error))
    return fail(error);
  std::vector<size_t> dataArgs;
  for (size_t i = 0; i < manifest.inputs.size(); ++i) {
    const kiln::rt::ArtifactTensor &input = manifest.inputs[i];
    if (!input.isState)
      dataArgs.push_back(i);
    else if (!state.count(input.name))
      return fail("the artifact has no initial value for the state '" +
                  input.name + "'");
  }

  std::string dir = !opts.testData.empty() ? opts.testData : opts.data;
  std::vector<Tensor> data, expected;
  if (!dir.empty()) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec))
      return fail("data folder '" + dir + "' does not exist");
    if (!kiln::rt::readTensorFiles(kiln::rt::numberedFiles(dir, "input_"),
                                   data, error))
      return fail(error);
    if (!opts.testData.empty() &&
        !kiln::rt::readTensorFiles(kiln::rt::numberedFiles(dir, "output_"),
                                   expected, error))
      return fail(error);
  }
  if (data.size() != dataArgs.size())
    return fail("@" + manifest.function + " takes " +
                std::to_string(dataArgs.size()) + " data inputs but " +
                std::to_string(data.size()) + " were given");
  if (expected.size() > manifest.outputs.size())
    return fail("test data has " + std::to_string(expected.size()) +
                " outputs but @" + manifest.function + " produces " +
                std::to_string(manifest.outputs.size()));
  int64_t numBatches = 1;
  if (opts.batchSize > 0) {
    int64_t rows = -1;
    for (const Tensor &t : data) {
      if (t.rank() == 0 || (rows >= 0 && t.shape()[0] != rows))
        return fail("--batch-size: every data input needs the same number "
                    "of rows (dimension 0)");
      rows = t.shape()[0];
    }
    if (rows <= 0 || rows % opts.batchSize != 0)
      return fail("--batch-size " + std::to_string(opts.batchSize) +
                  " does not divide the " + std::to_string(rows) +
                  " data rows");
    numBatches = rows / opts.batchSize;
  }
  auto batch = [&](unsigned step) {
    if (opts.batchSize == 0)
      return data;
    std::vector<Tensor> out;
    int64_t begin = (step % numBatches) * opts.batchSize;
    for (const Tensor &t : data)
      out.push_back(kiln::rt::sliceRows(t, begin, opts.batchSize));
    return out;
  };

  // Scalars to print: one-element float results that are not fed back.
  std::vector<size_t> logged;
  for (size_t k = 0; k < manifest.outputs.size(); ++k) {
    const kiln::rt::ArtifactTensor &out = manifest.outputs[k];
    int64_t n = 1;
    for (int64_t d : out.shape)
      n *= d;
    bool fedBack = std::any_of(manifest.updates.begin(),
                               manifest.updates.end(),
                               [&](auto &u) { return u.second == k; });
    if (!fedBack && n == 1 &&
        (out.dtype == kiln::rt::DType::F32 || out.dtype == kiln::rt::DType::F64))
      logged.push_back(k);
  }
  bool training = !manifest.updates.empty();
  auto printLogged = [&](unsigned step, const std::vector<Tensor> &outputs) {
    if (!training || logged.empty())
      return;
    std::cout << "step " << step << ":";
    for (size_t k : logged)
      std::cout << " " << manifest.outputs[k].name << "="
                << formatScalar(outputs[k].elementAsDouble(0));
    std::cout << "\n";
  };

  unsigned steps = training ? std::max(1u, opts.trainSteps) : 1;
  std::vector<Tensor> outputs;
  std::vector<const Tensor *> inputs(manifest.inputs.size());
  std::vector<Tensor> current;
  auto bind = [&](unsigned s) {
    current = batch(s);
    for (size_t j = 0; j < dataArgs.size(); ++j)
      inputs[dataArgs[j]] = &current[j];
    for (size_t i = 0; i < manifest.inputs.size(); ++i)
      if (manifest.inputs[i].isState)
        inputs[i] = &state[manifest.inputs[i].name];
  };
  // The new state takes the output's buffer and the old state becomes the
  // next run's output buffer (no copy), unless two states share a result.
  std::vector<int> resultUses(manifest.outputs.size(), 0);
  for (const auto &update : manifest.updates)
    ++resultUses[update.second];
  auto feedBack = [&]() {
    for (const auto &[name, index] : manifest.updates) {
      if (resultUses[index] == 1)
        std::swap(state[name], outputs[index]);
      else
        state[name] = outputs[index];
    }
  };
  bool showProgress =
      opts.progress == "on" ||
      (opts.progress == "auto" && kiln::ProgressLine::isTerminal(stderr));
  kiln::ProgressLine progress("kiln-step", "step", steps + opts.bench,
                              showProgress && (training || opts.bench));
  for (unsigned s = 0; s < steps; ++s) {
    bind(s);
    if (!artifact->run(inputs, outputs, error))
      return fail(error);
    feedBack();
    progress.update(s + 1);
    bool last = s + 1 == steps;
    if (last || (opts.logEvery > 0 && (s + 1) % opts.logEvery == 0))
      printLogged(s + 1, outputs);
  }
  if (opts.bench == 0)
    progress.finish();
  if (opts.bench > 0) {
    std::vector<double> ms;
    for (unsigned t = 0; t < opts.bench; ++t) {
      bind(steps + t);
      auto start = std::chrono::steady_clock::now();
      if (!artifact->run(inputs, outputs, error))
        return fail(error);
      auto end = std::chrono::steady_clock::now();
      ms.push_back(
          std::chrono::duration<double, std::milli>(end - start).count());
      feedBack();
      progress.update(steps + t + 1);
    }
    progress.finish();
    std::vector<double> sorted = ms;
    std::sort(sorted.begin(), sorted.end());
    size_t n = sorted.size();
    double median =
        n % 2 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
    char line[160];
    std::snprintf(line, sizeof(line), "step_ms median=%.4f min=%.4f max=%.4f",
                  median, sorted.front(), sorted.back());
    std::cout << line << "\n";
    printLogged(steps + opts.bench, outputs);
  }

  // The fed-back outputs of the last run now sit in the state.
  for (const auto &[name, index] : manifest.updates)
    outputs[index] = state[name];

  bool allMatch = true;
  for (size_t k = 0; k < outputs.size(); ++k) {
    const std::string &name = manifest.outputs[k].name;
    if (k < expected.size()) {
      kiln::rt::CompareOptions tol =
          kiln::rt::defaultCompareOptions(expected[k].dtype());
      if (opts.rtol)
        tol.rtol = *opts.rtol;
      if (opts.atol)
        tol.atol = *opts.atol;
      kiln::rt::CompareResult result =
          kiln::rt::compareTensors(outputs[k], expected[k], tol);
      allMatch &= result.ok;
      std::cout << kiln::rt::formatCompareLine(name, result) << "\n";
    } else if (!training) {
      std::cout << "output '" << name << "': " << outputs[k].describe()
                << "\n";
    }
  }
  auto writeAll = [&](const std::string &outDir,
                      const std::vector<std::pair<std::string, const Tensor *>>
                          &named,
                      bool numbered) -> int {
    std::error_code ec;
    std::filesystem::create_directories(outDir, ec);
    if (ec)
      return fail("cannot create '" + outDir + "': " + ec.message());
    for (size_t k = 0; k < named.size(); ++k) {
      std::string file = numbered ? "output_" + std::to_string(k)
                                  : kiln::rt::tensorFileName(named[k].first);
      std::string path = (std::filesystem::path(outDir) / (file + ".pb"));
      if (!kiln::rt::writeTensorProtoFile(path, *named[k].second,
                                          named[k].first, error))
        return fail(error);
    }
    return 0;
  };
  if (!opts.writeOutputs.empty()) {
    std::vector<std::pair<std::string, const Tensor *>> named;
    for (size_t k = 0; k < outputs.size(); ++k)
      named.emplace_back(manifest.outputs[k].name, &outputs[k]);
    if (int rc = writeAll(opts.writeOutputs, named, true))
      return rc;
  }
  if (!opts.writeInitializers.empty()) {
    std::vector<std::pair<std::string, const Tensor *>> named;
    for (const auto &[name, tensor] : state)
      named.emplace_back(name, &tensor);
    if (int rc = writeAll(opts.writeInitializers, named, false))
      return rc;
  }
  return allMatch ? 0 : 1;
}

} // namespace

int main(int argc, char **argv) {
  Options opts;
  if (std::optional<std::string> error = parseArgs(argc, argv, opts))
    return fail(*error);
  return run(opts);
}
