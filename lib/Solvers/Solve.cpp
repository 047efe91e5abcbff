//===- Solve.cpp - Method dispatch for rematerialization ------------------===//
//
// Part of the Kiln project.
//
//===----------------------------------------------------------------------===//
//
// solveRemat: validates the graph, rules out budgets below the lower bound,
// and picks a method. Auto takes the chain DP for chains, the MILP
// (warm-started from the heuristic) for graphs small enough to gain from it
// within the time limit, and the heuristic otherwise (it falls back to the
// pebble-game search when its simulation finds nothing). Whatever a method
// returns is checked again here before it leaves the library. When nothing
// is found, the pebble-game lower bound tells a proven infeasible budget
// from an unsolved one.
//
//===----------------------------------------------------------------------===//

#include "RematInternal.h"

#include <algorithm>
#include <string>

namespace kiln::solvers {
namespace {

/// Auto sends graphs up to this many nodes to the MILP. Its model has
/// O(n^2) variables and CBC needs seconds for its root LP beyond this size,
/// so on larger graphs the time is better spent on the heuristic's search.
constexpr int kAutoExactMaxNodes = 40;

/// Depth of the pebble-game lower bound computed when no schedule is
/// found (lib/Solvers/Pebbling.cpp); each level multiplies its work by
/// about the size of the sets, and the gain stops early on the benchmark
/// graphs (random_layered_n100: depth 3 and 10 give the same bound).
constexpr int kPebblingBoundDepth = 4;

/// Share of the time limit the heuristic gets before the MILP starts.
constexpr double kWarmStartShare = 0.3;

/// Checks a candidate and keeps it when it is valid, within budget and
/// cheaper than what `result` holds.
void keepIfBetter(const RematGraph &graph, uint64_t budget,
                  std::optional<RematSchedule> candidate, RematResult &result) {
  if (!candidate)
    return;
  if (!checkSchedule(graph, *candidate).empty() || candidate->peak > budget)
    return;
  if (!result.schedule || candidate->cost < result.schedule->cost ||
      (candidate->cost == result.schedule->cost &&
       candidate->peak < result.schedule->peak))
    result.schedule = std::move(candidate);
}

RematResult solveGeneral(const RematGraph &graph, uint64_t budget,
                         RematMethod method, const detail::Deadline &deadline) {
  RematResult result;
  // An explicit exact request on a graph whose MILP CBC cannot solve in a
  // time limit: the heuristic gets the whole time, and says so.
  if (method == RematMethod::Exact && !detail::milpFits(graph))
    method = RematMethod::Heuristic;
  result.methodUsed = method;
  if (method == RematMethod::Heuristic) {
    keepIfBetter(graph, budget,
                 detail::solveHeuristic(graph, budget, deadline), result);
  } else {
    // Exact: a short heuristic run gives the MILP its warm start and
    // cut-off, and stays the answer if CBC finds nothing better in time.
    detail::Deadline warmDeadline = deadline.portion(kWarmStartShare);
    keepIfBetter(graph, budget,
                 detail::solveHeuristic(graph, budget, warmDeadline), result);
    keepIfBetter(graph, budget,
                 detail::solveMILP(graph, budget, result.schedule, deadline),
                 result);
  }
  if (!result.schedule)
    result.reason = "no schedule within the budget found in the time limit";
  return result;
}

} // namespace

RematResult solveRemat(const RematGraph &graph, uint64_t budgetBytes,
                       const RematOptions &options) {
  detail::Deadline deadline =
      options.searchSteps ? detail::Deadline::ofWork(options.searchSteps)
                          : detail::Deadline(options.timeLimitSeconds);
  RematResult result;
  result.methodUsed = options.method;
  std::string invalid = validateGraph(graph);
  if (!invalid.empty()) {
    result.reason = "invalid graph: " + invalid;
    return result;
  }
  if (graph.size() == 0) {
    result.schedule = RematSchedule{};
    result.provenOptimal = true;
    return result;
  }
  if (peakLowerBound(graph) > budgetBytes) {
    result.reason = "budget below lower bound";
    return result;
  }

  RematMethod method = options.method;
  if (method == RematMethod::Chain ||
      (method == RematMethod::Auto && detail::isChain(graph))) {
    RematResult chain = detail::solveChain(graph, budgetBytes);
    if (chain.schedule || method == RematMethod::Chain)
      return chain;
  }

  // Every node computed once is the cheapest possible cost, so a baseline
  // that fits is optimal whatever method was asked for.
  uint64_t floorCost = detail::totalCost(graph);
  RematSchedule baseline = baselineSchedule(graph);
  if (baseline.peak <= budgetBytes) {
    result.schedule = std::move(baseline);
    result.provenOptimal = true;
    if (method == RematMethod::Auto)
      result.methodUsed = RematMethod::Heuristic;
    return result;
  }

  // CBC's time limit is wall-clock: a reproducible solve leaves it out.
  if (method == RematMethod::Auto)
    method = graph.size() <= kAutoExactMaxNodes && detail::haveMILP() &&
                     !options.searchSteps
                 ? RematMethod::Exact
                 : RematMethod::Heuristic;
  result = solveGeneral(graph, budgetBytes, method, deadline);
  if (result.schedule && result.schedule->cost == floorCost)
    result.provenOptimal = true;
  if (!result.schedule) {
    // Only now, when there is something to explain: a budget under the
    // pebble-game bound is proven infeasible, not merely unsolved.
    uint64_t bound = pebblingLowerBound(graph, kPebblingBoundDepth);
    if (bound > budgetBytes)
      result.reason = "budget below the pebbling lower bound " +
                      std::to_string(bound) +
                      " (a set of values that must be resident together)";
  }
  return result;
}

} // namespace kiln::solvers
