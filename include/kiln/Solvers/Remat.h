//===- Remat.h - Rematerialization on a plain compute graph -----*- C++ -*-===//
//
// Part of the Kiln project.
//
//===----------------------------------------------------------------------===//
//
// The rematerialization problem on a plain graph: nodes with a compute cost
// and the bytes of their output, edges from producers to consumers. A
// schedule is a sequence of compute/free steps; its peak is the largest sum
// of resident outputs right after a compute, its cost the sum of the costs of
// all computes (recomputations included). This is the model that
// ../shared/bench/remat-graphs/check_schedule.py defines. No MLIR types here:
// the remat pass adapts IR to this graph and back.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_SOLVERS_REMAT_H
#define KILN_SOLVERS_REMAT_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kiln::solvers {

/// A compute graph. Node ids are 0..size()-1; the graph must be acyclic but
/// ids need not be topological.
struct RematGraph {
  std::vector<uint64_t> cost;              ///< compute cost of each node
  std::vector<uint64_t> bytes;             ///< bytes of each node's output
  std::vector<std::vector<int>> preds;     ///< producers each node reads
  /// Nodes whose output must be resident at the end of the schedule (the
  /// program's results); empty means none.
  std::vector<int> keepAtEnd;

  int size() const { return static_cast<int>(cost.size()); }
};

enum class StepKind { Compute, Free };

struct RematStep {
  StepKind kind;
  int node;
};

struct RematSchedule {
  std::vector<RematStep> steps;
  uint64_t peak = 0; ///< checked peak bytes
  uint64_t cost = 0; ///< checked total compute cost
};

enum class RematMethod {
  Auto,      ///< pick by graph shape and size
  Chain,     ///< dynamic program; only for graphs that are chains
  Exact,     ///< MILP with a time limit (falls back to the best heuristic)
  Heuristic, ///< fast heuristic plus local improvement
};

struct RematOptions {
  RematMethod method = RematMethod::Auto;
  double timeLimitSeconds = 1.0; ///< wall-clock limit for the whole solve
  /// When non-zero, the search stops after this much work instead of at
  /// the time limit, so that the result is the same on every run and
  /// machine (what a compiler pass needs); Auto then skips the MILP, whose
  /// limit is wall-clock. A step is one candidate schedule evaluated (or
  /// 256 steps of a long simulation).
  uint64_t searchSteps = 0;
};

struct RematResult {
  /// Empty when no schedule within the budget was found; `reason` says why
  /// (e.g. the budget is below the lower bound).
  std::optional<RematSchedule> schedule;
  RematMethod methodUsed = RematMethod::Auto;
  std::string reason;
  /// True when the schedule is proven optimal (chain DP, closed MILP, or the
  /// cost equals the sum of all node costs).
  bool provenOptimal = false;
};

/// The baseline: every node computed once in the topological order that
/// always picks the smallest ready id, each output freed right after its
/// last consumer (outputs in keepAtEnd are never freed).
RematSchedule baselineSchedule(const RematGraph &graph);

/// max over nodes of its output plus the outputs of its predecessors; no
/// schedule can peak below it.
uint64_t peakLowerBound(const RematGraph &graph);

/// A stronger lower bound on the peak: for every node, the backward
/// pebble-game recursion of lib/Solvers/Pebbling.cpp cut off after `depth`
/// levels (the value computed last among a set that must be resident
/// together had its inputs resident beside the rest of the set). Never
/// below peakLowerBound; equal to it at depth 1.
uint64_t pebblingLowerBound(const RematGraph &graph, int depth = 4);

/// Checks a schedule against the model; on success fills peak and cost and
/// returns an empty string, otherwise the reason (step index and cause).
std::string checkSchedule(const RematGraph &graph, RematSchedule &schedule);

/// Checks that the graph is well formed: equal vector sizes, predecessor
/// and keepAtEnd ids in range, no self-loops or repeated predecessors, no
/// cycle. Returns an empty string when it is, otherwise the reason.
std::string validateGraph(const RematGraph &graph);

/// The name of a method as the tools spell it ("auto", "chain", ...).
const char *methodName(RematMethod method);

/// Finds a schedule with peak <= budgetBytes at the least cost it can.
/// The returned schedule has always passed checkSchedule. When the budget is
/// below peakLowerBound the reason is "budget below lower bound"; when no
/// schedule is found and the budget is below pebblingLowerBound, it is
/// "budget below the pebbling lower bound N (...)". Reasons starting with
/// "budget below" are proofs that no schedule exists; any other reason only
/// says that none was found.
RematResult solveRemat(const RematGraph &graph, uint64_t budgetBytes,
                       const RematOptions &options = {});

} // namespace kiln::solvers

#endif // KILN_SOLVERS_REMAT_H
