//===- RematInternal.h - Shared helpers of the remat solvers ----*- C++ -*-===//
//
// Part of the Kiln project.
//
//===----------------------------------------------------------------------===//
//
// Pieces the remat solvers share but the public API does not expose: graph
// indexing, topological orders, a wall-clock deadline, schedule clean-up, and
// the entry points of the individual methods that solveRemat dispatches to.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_LIB_SOLVERS_REMATINTERNAL_H
#define KILN_LIB_SOLVERS_REMATINTERNAL_H

#include "kiln/Solvers/Remat.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace kiln::solvers::detail {

/// Successor lists of a graph (the inverse of RematGraph::preds).
std::vector<std::vector<int>> successorsOf(const RematGraph &graph);

/// Kahn's algorithm taking the smallest ready id; empty when cyclic.
std::vector<int> minIdTopologicalOrder(const RematGraph &graph);

/// True when `order` is a permutation that respects every edge.
bool isTopologicalOrder(const RematGraph &graph, const std::vector<int> &order);

/// Whether `node` is listed in graph.keepAtEnd, as a per-node mask.
std::vector<char> keepAtEndMask(const RematGraph &graph);

/// Sum of all compute costs: every schedule pays at least this.
uint64_t totalCost(const RematGraph &graph);

/// Rewrites the frees of a valid schedule so that every output leaves memory
/// right after its last read before its next (re)computation, or right after
/// it is computed when nothing reads it. Computes that nobody reads and that
/// are not needed (not a first computation, not kept at the end) are dropped.
/// Neither change can raise the peak or the cost.
void tightenFrees(const RematGraph &graph, RematSchedule &schedule);

/// When a search must stop: a wall-clock deadline measured from
/// construction, or (for reproducible results) a fixed amount of work,
/// counted in calls to expired(): the searches call it at deterministic
/// points, so the same graph and budget always give the same schedule.
class Deadline {
public:
  explicit Deadline(double seconds)
      : start(std::chrono::steady_clock::now()), limit(seconds) {}
  static Deadline ofWork(uint64_t checks) {
    Deadline d(0);
    d.workLimit = checks;
    return d;
  }

  bool countsWork() const { return workLimit != 0; }
  /// Seconds left, or checks left when counting work.
  double remaining() const {
    if (countsWork())
      return double(workLimit - std::min(workLimit, used));
    return limit - std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - start)
                       .count();
  }
  bool expired() const {
    if (countsWork())
      return ++used > workLimit;
    return remaining() <= 0;
  }
  /// A deadline of the same kind for `fraction` of what is left.
  Deadline portion(double fraction) const {
    if (countsWork())
      return ofWork(std::max<uint64_t>(1, uint64_t(fraction * remaining())));
    return Deadline(fraction * remaining());
  }

private:
  std::chrono::steady_clock::time_point start;
  double limit;
  uint64_t workLimit = 0;
  mutable uint64_t used = 0;
};

/// True when the graph is a simple path (every node has at most one
/// producer and one consumer, and the nodes form one connected line).
bool isChain(const RematGraph &graph);

/// Exact optimum for a chain (see ChainDP.cpp). Empty result with a reason
/// when the graph is not a chain or no schedule fits the budget.
RematResult solveChain(const RematGraph &graph, uint64_t budgetBytes);

/// The heuristic: memory-aware orders, budgeted simulation with
/// recompute-aware eviction, then local search until the deadline.
std::optional<RematSchedule> solveHeuristic(const RematGraph &graph,
                                            uint64_t budgetBytes,
                                            const Deadline &deadline);

/// Depth-first search of the backward pebble game (see Pebbling.cpp) for
/// any schedule within the budget, cost not optimised: the fallback when
/// the simulation finds none. `order` (topological) ranks the moves: with
/// no memory pressure the result computes each node once in that order.
/// Nothing when the deadline stops it first or no schedule exists.
std::optional<RematSchedule> pebblingSearch(const RematGraph &graph,
                                            uint64_t budgetBytes,
                                            const std::vector<int> &order,
                                            const Deadline &deadline);

/// Whether this build has the MILP solver (CBC).
bool haveMILP();
/// Whether the MILP of `graph` is small enough for CBC to solve within a
/// time limit (its limit does not cover the root LP of large models).
bool milpFits(const RematGraph &graph);

/// Checkmate-style MILP over the first-computation order of `warmStart`
/// (or the min-id order without one), warm-started from it. Returns the
/// best checked schedule within the budget, or nothing.
std::optional<RematSchedule>
solveMILP(const RematGraph &graph, uint64_t budgetBytes,
          const std::optional<RematSchedule> &warmStart,
          const Deadline &deadline);

} // namespace kiln::solvers::detail

#endif // KILN_LIB_SOLVERS_REMATINTERNAL_H
