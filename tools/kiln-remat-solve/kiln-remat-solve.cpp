//===- kiln-remat-solve.cpp - Remat solver on a graph file ----------------===//
//
// Part of the Kiln project.
//
//===----------------------------------------------------------------------===//
//
// Reads a compute graph in networkx node-link JSON (the Checkmate and the
// random-layered flavours of bench/remat-graphs, read exactly as its
// check_schedule.py reads them; nodes marked "keep_at_end", as kiln-remat's
// graph-out writes them, must stay resident at the end), solves
// rematerialization under a budget and
// writes the schedule in the checker's format. Exit codes: 0 a schedule
// within the budget, 2 bad usage or input (unreadable JSON, missing fields,
// a cycle), 3 no schedule: status=infeasible with the bound that proves it
// ("budget below lower bound", or "budget below the pebbling lower bound X"),
// or status=unsolved when the search found nothing in its time.
//
//===----------------------------------------------------------------------===//

#include "kiln/Solvers/Remat.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cmath>
#include <set>

using namespace llvm;
namespace ks = kiln::solvers;

static cl::opt<std::string> graphPath(cl::Positional, cl::desc("GRAPH.json"),
                                      cl::Required);
static cl::opt<std::string>
    budgetFraction("budget-fraction",
                   cl::desc("budget = floor(F * P0), F read as an exact "
                            "decimal like check_schedule.py"),
                   cl::value_desc("F"));
static cl::opt<uint64_t> budgetBytes("budget-bytes",
                                     cl::desc("budget in bytes"),
                                     cl::value_desc("N"));
static cl::opt<std::string>
    methodName("method", cl::desc("auto|chain|exact|heuristic"),
               cl::init("auto"));
static cl::opt<double> timeLimit(
    "time-limit",
    cl::desc("wall-clock limit of the solve in seconds (default: 0.9 up to "
             "400 nodes, 8 above)"),
    cl::init(-1.0));
static cl::opt<uint64_t> searchSteps(
    "search-steps",
    cl::desc("stop the search after N steps instead of at the time limit: "
             "the same schedule on every run and machine"),
    cl::init(0), cl::value_desc("N"));
static cl::opt<std::string> outPath("out", cl::desc("write SCHEDULE.json"),
                                    cl::value_desc("SCHEDULE.json"));

/// Exit codes (documented in the file comment and in --help).
enum ExitCode { kOk = 0, kBadInput = 2, kNoSchedule = 3 };

[[noreturn]] static void fail(int code, const Twine &message) {
  errs() << "kiln-remat-solve: " << message << "\n";
  std::exit(code);
}

/// A non-negative integer field, which the JSON may spell as 12 or 12.0.
static std::optional<uint64_t> readCount(const json::Object &node,
                                         StringRef key) {
  const json::Value *value = node.get(key);
  if (!value)
    return std::nullopt;
  if (std::optional<uint64_t> u = value->getAsUINT64())
    return u;
  if (std::optional<double> d = value->getAsNumber())
    if (*d >= 0 && std::floor(*d) == *d && *d < 1.8e19)
      return static_cast<uint64_t>(*d);
  return std::nullopt;
}

/// The first of two fields that is present, as check_schedule.py does with
/// "cost_ram" / "out_cost" and "cost_cpu" / "duration".
static uint64_t readEither(const json::Object &node, StringRef first,
                           StringRef second, int index) {
  StringRef key = node.get(first) ? first : second;
  if (!node.get(key))
    fail(kBadInput, "node " + Twine(index) + " has neither \"" + first +
                        "\" nor \"" + second + "\"");
  std::optional<uint64_t> value = readCount(node, key);
  if (!value)
    fail(kBadInput, "node " + Twine(index) + " field \"" + key +
                        "\" is not a non-negative integer");
  return *value;
}

static int readEndpoint(const json::Object &link, StringRef key, int n,
                        size_t index) {
  const json::Value *value = link.get(key);
  std::optional<int64_t> id = value ? value->getAsInteger() : std::nullopt;
  if (!id)
    fail(kBadInput, "link " + Twine(index) + " has no integer \"" + key + "\"");
  if (*id < 0 || *id >= n)
    fail(kBadInput, "link " + Twine(index) + " refers to node " + Twine(*id) +
                        ", out of range");
  return static_cast<int>(*id);
}

static ks::RematGraph loadGraph(StringRef path) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> buffer = MemoryBuffer::getFile(path);
  if (!buffer)
    fail(kBadInput, "cannot read " + path + ": " + buffer.getError().message());
  Expected<json::Value> root = json::parse((*buffer)->getBuffer());
  if (!root)
    fail(kBadInput, path + ": bad JSON: " + toString(root.takeError()));
  const json::Object *object = root->getAsObject();
  const json::Array *nodes = object ? object->getArray("nodes") : nullptr;
  const json::Array *links = object ? object->getArray("links") : nullptr;
  if (!nodes || !links)
    fail(kBadInput, path + ": expected an object with arrays \"nodes\" and "
                           "\"links\" (networkx node-link JSON)");

  ks::RematGraph graph;
  int n = static_cast<int>(nodes->size());
  for (int i = 0; i < n; ++i) {
    const json::Object *node = (*nodes)[i].getAsObject();
    if (!node)
      fail(kBadInput, "node " + Twine(i) + " is not an object");
    // Node i is the i-th entry; its "id" (or "name") must say so.
    const json::Value *id = node->get("id") ? node->get("id") : node->get("name");
    std::optional<int64_t> idValue = id ? id->getAsInteger() : std::nullopt;
    if (!idValue || *idValue != i)
      fail(kBadInput, "node " + Twine(i) + " has no id/name equal to " +
                          Twine(i));
    graph.bytes.push_back(readEither(*node, "cost_ram", "out_cost", i));
    graph.cost.push_back(readEither(*node, "cost_cpu", "duration", i));
    // kiln-remat's graph-out marks the program's results.
    if (node->getBoolean("keep_at_end").value_or(false))
      graph.keepAtEnd.push_back(i);
  }
  graph.preds.assign(n, {});
  std::set<std::pair<int, int>> seen;
  for (size_t k = 0; k < links->size(); ++k) {
    const json::Object *link = (*links)[k].getAsObject();
    if (!link)
      fail(kBadInput, "link " + Twine(k) + " is not an object");
    bool named = link->get("source") != nullptr;
    int s = readEndpoint(*link, named ? "source" : "0", n, k);
    int t = readEndpoint(*link, named ? "target" : "1", n, k);
    if (seen.insert({s, t}).second)
      graph.preds[t].push_back(s);
  }
  std::string invalid = ks::validateGraph(graph);
  if (!invalid.empty())
    fail(kBadInput, path + ": " + invalid);
  return graph;
}

/// floor(F * p0) with F an exact decimal such as "0.6".
static uint64_t budgetOfFraction(StringRef fraction, uint64_t p0) {
  auto [whole, frac] = fraction.split('.');
  std::string digits = (whole + frac).str();
  if (digits.empty() || digits.size() > 30 ||
      !std::all_of(digits.begin(), digits.end(), ::isdigit))
    fail(kBadInput, "bad budget fraction '" + fraction + "'");
  unsigned __int128 numerator = 0, denominator = 1;
  for (char c : digits)
    numerator = numerator * 10 + (c - '0');
  for (size_t i = 0; i < frac.size(); ++i)
    denominator *= 10;
  unsigned __int128 budget = numerator * p0 / denominator;
  return budget > UINT64_MAX ? UINT64_MAX : static_cast<uint64_t>(budget);
}

static ks::RematMethod parseMethod(StringRef name) {
  if (name == "auto")
    return ks::RematMethod::Auto;
  if (name == "chain")
    return ks::RematMethod::Chain;
  if (name == "exact")
    return ks::RematMethod::Exact;
  if (name == "heuristic")
    return ks::RematMethod::Heuristic;
  fail(kBadInput, "unknown --method '" + name +
                      "' (expected auto, chain, exact or heuristic)");
}

static void writeSchedule(StringRef path, const ks::RematSchedule &schedule,
                          const ks::RematResult &result, uint64_t budget,
                          const ks::RematSchedule &baseline, double seconds) {
  std::error_code ec;
  raw_fd_ostream os(path, ec, sys::fs::OF_TextWithCRLF);
  if (ec)
    fail(kBadInput, "cannot write " + path + ": " + ec.message());
  json::OStream j(os);
  j.object([&] {
    j.attributeArray("steps", [&] {
      for (const ks::RematStep &step : schedule.steps) {
        j.array([&] {
          j.value(step.kind == ks::StepKind::Compute ? "compute" : "free");
          j.value(step.node);
        });
      }
    });
    j.attribute("method", ks::methodName(result.methodUsed));
    j.attribute("peak", static_cast<int64_t>(schedule.peak));
    j.attribute("cost", static_cast<int64_t>(schedule.cost));
    j.attribute("budget", static_cast<int64_t>(budget));
    j.attribute("P0", static_cast<int64_t>(baseline.peak));
    j.attribute("C0", static_cast<int64_t>(baseline.cost));
    j.attribute("proven_optimal", result.provenOptimal);
    j.attribute("solve_seconds", seconds);
  });
  os << "\n";
}

int main(int argc, char **argv) {
  cl::SetVersionPrinter(
      [](raw_ostream &os) { os << "kiln-remat-solve (Kiln)\n"; });
  cl::ParseCommandLineOptions(
      argc, argv,
      "Kiln rematerialization solver\n\n"
      "Exit codes: 0 schedule within budget, 2 bad usage or input, 3 no "
      "schedule (status=infeasible with the bound that proves it, or "
      "status=unsolved; reason printed).\n");
  bool haveFraction = budgetFraction.getNumOccurrences() > 0;
  bool haveBytes = budgetBytes.getNumOccurrences() > 0;
  if (haveFraction == haveBytes)
    fail(kBadInput, "give exactly one of --budget-fraction and --budget-bytes");
  ks::RematMethod method = parseMethod(methodName);

  ks::RematGraph graph = loadGraph(graphPath);
  ks::RematSchedule baseline = ks::baselineSchedule(graph);
  uint64_t budget = haveFraction ? budgetOfFraction(budgetFraction, baseline.peak)
                                 : budgetBytes.getValue();
  uint64_t lowerBound = ks::peakLowerBound(graph);

  ks::RematOptions options;
  options.method = method;
  options.timeLimitSeconds =
      timeLimit >= 0 ? timeLimit : (graph.size() <= 400 ? 0.9 : 8.0);
  options.searchSteps = searchSteps;
  auto start = std::chrono::steady_clock::now();
  ks::RematResult result = ks::solveRemat(graph, budget, options);
  double seconds = std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - start)
                       .count();

  outs() << "kiln-remat-solve: " << sys::path::filename(graphPath)
         << " nodes=" << graph.size() << " P0=" << baseline.peak
         << " C0=" << baseline.cost << " LB=" << lowerBound
         << " budget=" << budget;
  if (!result.schedule) {
    // "infeasible" only where a bound proves it; otherwise the search
    // merely found nothing in its time.
    bool proven = StringRef(result.reason).starts_with("budget below");
    outs() << (proven ? " status=infeasible" : " status=unsolved")
           << " reason=\"" << result.reason
           << "\" method=" << ks::methodName(result.methodUsed)
           << format(" time=%.3fs\n", seconds);
    outs().flush();
    errs() << "kiln-remat-solve: no schedule: " << result.reason << "\n";
    return kNoSchedule;
  }
  const ks::RematSchedule &schedule = *result.schedule;
  double overhead =
      baseline.cost ? 100.0 * (static_cast<double>(schedule.cost) /
                                   static_cast<double>(baseline.cost) -
                               1.0)
                    : 0.0;
  double fraction = baseline.peak ? static_cast<double>(schedule.peak) /
                                        static_cast<double>(baseline.peak)
                                  : 0.0;
  outs() << " status=ok peak=" << schedule.peak
         << format(" peak_fraction=%.4f", fraction) << " cost=" << schedule.cost
         << format(" overhead=%.3f%%", overhead)
         << " method=" << ks::methodName(result.methodUsed)
         << (result.provenOptimal ? " optimal=yes" : " optimal=unknown")
         << format(" time=%.3fs\n", seconds);
  if (!outPath.empty())
    writeSchedule(outPath, schedule, result, budget, baseline, seconds);
  return kOk;
}
