//===- Heuristic.cpp - Fast rematerialization heuristic -------------------===//
//
// Part of the Kiln project.
//
//===----------------------------------------------------------------------===//
//
// The heuristic has three parts:
//
// 1. Orders. The first computations follow a topological order; besides the
//    min-id order it tries memory-aware ones (greedy list scheduling on the
//    net memory change, depth-first from the sinks), because on graphs with
//    freedom in the order a better order lowers the peak without any
//    recomputation at all.
// 2. A budgeted simulation. It walks the order and computes each node; a
//    missing input is recomputed recursively; when the next output does not
//    fit, it evicts the resident output that is cheapest to lose: smallest
//    weight * recompute cost / (bytes * distance to its next use), with
//    future uses known exactly (a static schedule sees the whole program,
//    so Belady-style look-ahead is available, unlike in dynamic remat).
//    Outputs that nothing can read again are freed at once. Missing inputs
//    are rebuilt in Sethi-Ullman order of their recursive memory need.
//    When no starting point fits, the pebble-game search of Pebbling.cpp
//    supplies a (costly) schedule if it finds one.
// 3. Local search until the deadline: per-node weights (which tensors to
//    favour keeping), the exponents of the eviction score, and moves of a
//    node inside the order, each judged by re-running the simulation.
//    Four independent chains share the time, each annealed (a slightly
//    costlier schedule is sometimes accepted early on) so one bad start
//    does not decide the result.
//
//===----------------------------------------------------------------------===//

#include "RematInternal.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <queue>
#include <random>

namespace kiln::solvers::detail {
namespace {

constexpr int kNever = std::numeric_limits<int>::max();

/// Share of the time (or work) left that the pebble-game search may take
/// when no starting point fits the budget; the rest goes to local search.
constexpr double kPebblingShare = 0.15;

/// Independent local searches, alternating between the two starting points,
/// when one of them fits the budget; each gets an equal share of what is
/// left. One long climb got stuck at
/// 17% overhead on a deep CNN step for some seeds where others reached 12%.
constexpr int kSearchChains = 4;

/// Starting temperature of the local search, as a relative cost increase
/// (cools linearly to 0 over the search).
constexpr double kAnnealStart = 0.01;

/// The knobs the local search tunes; the simulation is a pure function of
/// them, the graph and the budget.
struct Params {
  std::vector<int> order;     ///< first-computation order (topological)
  std::vector<double> weight; ///< per-node factor on the eviction score
  double costExp = 1.0;       ///< exponent of the recompute cost
  double distExp = 1.0;       ///< exponent of the next-use distance
  bool deepCost = true;       ///< recompute cost over all evicted ancestors
};

struct Problem {
  const RematGraph &graph;
  uint64_t budget;
  const Deadline &deadline;
  std::vector<std::vector<int>> succs;
  std::vector<char> keep;
};

/// One budgeted run over an order; see the file comment, part 2.
class Simulation {
public:
  Simulation(const Problem &problem, const Params &params)
      : problem(problem), graph(problem.graph), params(params),
        n(graph.size()), pos(n), resident(n, 0), computed(n, 0), pin(n, 0),
        succPtr(n, 0), memo(n, 0), memoStamp(n, 0), costStamp(n, 0),
        costMemo(n, 0), needStamp(n, 0), needMemo(n, 0) {
    for (int k = 0; k < n; ++k)
      pos[params.order[k]] = k;
    succsByPos = problem.succs;
    for (auto &list : succsByPos)
      std::sort(list.begin(), list.end(),
                [&](int a, int b) { return pos[a] < pos[b]; });
    // Recursive recomputation can blow up on adversarial graphs; past this
    // many steps the run counts as failed rather than taking forever.
    stepCap = static_cast<size_t>(n) * 40 + 1000;
  }

  /// Runs the whole order; false when the budget could not be kept.
  bool run() {
    for (now = 0; now < n && !failed; ++now) {
      int v = params.order[now];
      materialize(v);
      if (failed)
        return false;
      releaseIfDead(v);
    }
    now = n;
    for (int v : graph.keepAtEnd)
      if (!failed && !resident[v])
        materialize(v);
    return !failed;
  }

  /// How many first computations the run completed (n when it succeeded).
  int progress() const { return now; }

  RematSchedule takeSchedule() {
    RematSchedule schedule;
    schedule.steps = std::move(steps);
    schedule.peak = peak;
    schedule.cost = cost;
    return schedule;
  }

private:
  /// Recomputes missing inputs of v (recursively), makes room, computes v.
  void materialize(int v) {
    // A long recursive run on a large graph must not overrun the deadline:
    // look at the clock every 256 steps.
    if (steps.size() > stepCap ||
        ((steps.size() & 255) == 0 && problem.deadline.expired())) {
      failed = true;
      return;
    }
    std::vector<int> missing;
    for (int p : graph.preds[v]) {
      if (resident[p])
        ++pin[p];
      else
        missing.push_back(p);
    }
    // Sethi-Ullman: rebuild first the input whose rebuild needs the most
    // memory beyond its own output, while fewer finished inputs are pinned.
    std::sort(missing.begin(), missing.end(), [&](int a, int b) {
      return scratchNeed(a) - graph.bytes[a] > scratchNeed(b) - graph.bytes[b];
    });
    for (int p : missing) {
      if (!resident[p])
        materialize(p);
      if (failed)
        return;
      ++pin[p];
    }
    makeRoom(graph.bytes[v]);
    if (failed)
      return;
    steps.push_back({StepKind::Compute, v});
    resident[v] = 1;
    computed[v] = 1;
    usage += graph.bytes[v];
    peak = std::max(peak, usage);
    cost += graph.cost[v];
    ++epoch;
    for (int p : graph.preds[v])
      --pin[p];
    for (int p : graph.preds[v])
      releaseIfDead(p);
  }

  /// Extra memory that rebuilding v needs with what is resident now and
  /// nothing evicted: its missing inputs rebuilt one after another in the
  /// Sethi-Ullman order (largest need minus output first), each held while
  /// the next is rebuilt. Recursive, so that an input whose own rebuild
  /// goes deep is started while few siblings are pinned; a one-level
  /// estimate pinned long chains of siblings on random layered graphs.
  uint64_t scratchNeed(int v) {
    if (needStamp[v] == epoch)
      return needMemo[v];
    std::vector<int> missing;
    for (int p : graph.preds[v])
      if (!resident[p])
        missing.push_back(p);
    for (int p : missing)
      scratchNeed(p);
    std::sort(missing.begin(), missing.end(), [&](int a, int b) {
      return needMemo[a] - graph.bytes[a] > needMemo[b] - graph.bytes[b];
    });
    uint64_t held = 0, need = 0;
    for (int p : missing) {
      need = std::max(need, held + needMemo[p]);
      held += graph.bytes[p];
    }
    need = std::max(need, held + graph.bytes[v]);
    needStamp[v] = epoch;
    needMemo[v] = need;
    return need;
  }

  /// Position of the next compute that may read u: the first consumer not yet
  /// computed, or (through a consumer that was evicted and may be rebuilt)
  /// that consumer's next use. kNever when nothing can read u again.
  int nextUse(int u) {
    if (memoStamp[u] == epoch)
      return memo[u];
    memoStamp[u] = epoch;
    memo[u] = kNever; // breaks cycles through the memo (DAG, so none)
    const std::vector<int> &list = succsByPos[u];
    int &ptr = succPtr[u];
    while (ptr < static_cast<int>(list.size()) && computed[list[ptr]])
      ++ptr;
    int best = ptr < static_cast<int>(list.size()) ? pos[list[ptr]] : kNever;
    for (int i = 0; i < ptr; ++i) {
      int s = list[i];
      if (!resident[s])
        best = std::min(best, nextUse(s));
    }
    if (problem.keep[u])
      best = std::min(best, n);
    memo[u] = best;
    return best;
  }

  void release(int u) {
    steps.push_back({StepKind::Free, u});
    resident[u] = 0;
    usage -= graph.bytes[u];
    ++epoch;
  }

  void releaseIfDead(int u) {
    if (resident[u] && pin[u] == 0 && nextUse(u) == kNever)
      release(u);
  }

  /// The estimated cost of losing u: its own cost plus, recursively, the
  /// inputs that are already gone and would have to be rebuilt with it
  /// (the evicted neighbourhood of dynamic tensor rematerialization). Deep
  /// chains of evicted values thus look expensive, which keeps the
  /// recursion, and the memory it pins, shallow.
  double recomputeCost(int u) {
    if (costStamp[u] == epoch)
      return costMemo[u];
    double c = static_cast<double>(graph.cost[u]);
    for (int p : graph.preds[u])
      if (!resident[p])
        c += params.deepCost ? recomputeCost(p)
                             : static_cast<double>(graph.cost[p]);
    costStamp[u] = epoch;
    costMemo[u] = std::min(c, 1e30);
    return costMemo[u];
  }

  /// Evicts until `need` more bytes fit in the budget.
  void makeRoom(uint64_t need) {
    while (usage + need > problem.budget) {
      int victim = -1;
      double bestScore = std::numeric_limits<double>::infinity();
      for (int u = 0; u < n; ++u) {
        if (!resident[u] || pin[u] > 0 || graph.bytes[u] == 0)
          continue;
        int use = nextUse(u);
        double score;
        if (use == kNever) {
          score = -1.0;
        } else {
          double dist = std::max(1, use - now);
          double rc = recomputeCost(u) + 1.0;
          score = params.weight[u] * std::pow(rc, params.costExp) /
                  (static_cast<double>(graph.bytes[u]) *
                   std::pow(dist, params.distExp));
        }
        if (score < bestScore) {
          bestScore = score;
          victim = u;
        }
      }
      if (victim == -1) {
        failed = true;
        return;
      }
      release(victim);
    }
  }

  const Problem &problem;
  const RematGraph &graph;
  const Params &params;
  int n;
  std::vector<int> pos;
  std::vector<std::vector<int>> succsByPos;
  std::vector<char> resident, computed;
  std::vector<int> pin, succPtr, memo;
  std::vector<uint64_t> memoStamp, costStamp;
  std::vector<double> costMemo;
  std::vector<uint64_t> needStamp, needMemo;
  uint64_t epoch = 1;
  uint64_t usage = 0, peak = 0, cost = 0;
  std::vector<RematStep> steps;
  size_t stepCap;
  int now = 0;
  bool failed = false;
};

/// Greedy list scheduling: among ready nodes take the one whose computation
/// changes resident memory the least (its output minus the inputs it is the
/// last reader of); ties go to the smaller id.
std::vector<int> memoryGreedyOrder(const Problem &problem) {
  const RematGraph &graph = problem.graph;
  int n = graph.size();
  std::vector<int> indegree(n), remainingReaders(n);
  std::vector<int> ready;
  for (int v = 0; v < n; ++v) {
    indegree[v] = static_cast<int>(graph.preds[v].size());
    remainingReaders[v] = static_cast<int>(problem.succs[v].size());
    if (indegree[v] == 0)
      ready.push_back(v);
  }
  std::vector<int> order;
  while (!ready.empty()) {
    size_t bestIdx = 0;
    long double bestDelta = 0;
    for (size_t i = 0; i < ready.size(); ++i) {
      int v = ready[i];
      long double delta = 0;
      if (!problem.succs[v].empty() || problem.keep[v])
        delta += graph.bytes[v];
      for (int p : graph.preds[v])
        if (remainingReaders[p] == 1 && !problem.keep[p])
          delta -= graph.bytes[p];
      if (i == 0 || delta < bestDelta ||
          (delta == bestDelta && v < ready[bestIdx])) {
        bestDelta = delta;
        bestIdx = i;
      }
    }
    int v = ready[bestIdx];
    ready.erase(ready.begin() + bestIdx);
    order.push_back(v);
    for (int p : graph.preds[v])
      --remainingReaders[p];
    for (int s : problem.succs[v])
      if (--indegree[s] == 0)
        ready.push_back(s);
  }
  return order;
}

/// Depth-first from the sinks: each node after its inputs, the input with
/// the largest subgraph first, so that one branch is finished and its
/// intermediates freed before the next starts (Sethi-Ullman for trees).
std::vector<int> depthFirstOrder(const Problem &problem) {
  const RematGraph &graph = problem.graph;
  int n = graph.size();
  // Ancestor-count estimate (sum over inputs, capped) ranks the branches.
  std::vector<int> topo = minIdTopologicalOrder(graph);
  std::vector<double> weight(n, 0);
  for (int v : topo) {
    double w = static_cast<double>(graph.bytes[v]);
    for (int p : graph.preds[v])
      w += weight[p];
    weight[v] = std::min(w, 1e30);
  }
  std::vector<char> done(n, 0);
  std::vector<int> order;
  // Iterative DFS so that deep graphs do not overflow the stack.
  std::vector<std::pair<int, size_t>> stack;
  std::vector<std::vector<int>> sortedPreds(n);
  for (int v = 0; v < n; ++v) {
    sortedPreds[v] = graph.preds[v];
    std::sort(sortedPreds[v].begin(), sortedPreds[v].end(),
              [&](int a, int b) { return weight[a] > weight[b]; });
  }
  auto visitRoot = [&](int root) {
    if (done[root])
      return;
    stack.push_back({root, 0});
    while (!stack.empty()) {
      auto &[v, next] = stack.back();
      if (next < sortedPreds[v].size()) {
        int p = sortedPreds[v][next++];
        if (!done[p])
          stack.push_back({p, 0});
        continue;
      }
      if (!done[v]) {
        done[v] = 1;
        order.push_back(v);
      }
      stack.pop_back();
    }
  };
  for (int v : topo)
    if (problem.succs[v].empty())
      visitRoot(v);
  return order;
}

/// The outcome of one simulation. Failed runs still rank by how far they
/// got, so the search can walk towards feasibility on tight budgets.
/// As late as possible: built backwards from the sinks, always placing the
/// ready node that comes last in the min-id order, so every node runs close
/// before its first consumer and its output is held briefly.
std::vector<int> asLateAsPossibleOrder(const Problem &problem) {
  const RematGraph &graph = problem.graph;
  int n = graph.size();
  std::vector<int> base = minIdTopologicalOrder(graph);
  std::vector<int> rank(n);
  for (int k = 0; k < n; ++k)
    rank[base[k]] = k;
  std::vector<int> unplacedReaders(n);
  std::priority_queue<std::pair<int, int>> ready; // (rank, node)
  for (int v = 0; v < n; ++v) {
    unplacedReaders[v] = static_cast<int>(problem.succs[v].size());
    if (unplacedReaders[v] == 0)
      ready.push({rank[v], v});
  }
  std::vector<int> order;
  while (!ready.empty()) {
    int v = ready.top().second;
    ready.pop();
    order.push_back(v);
    for (int p : graph.preds[v])
      if (--unplacedReaders[p] == 0)
        ready.push({rank[p], p});
  }
  std::reverse(order.begin(), order.end());
  return order;
}

struct Outcome {
  std::optional<RematSchedule> schedule;
  int progress = -1;
};

struct Candidate {
  Params params;
  Outcome outcome;
};

/// Strictly better: feasible beats infeasible, then lower cost, then lower
/// peak; among failures, more progress.
bool better(const Outcome &a, const Outcome &b) {
  if (a.schedule && b.schedule) {
    if (a.schedule->cost != b.schedule->cost)
      return a.schedule->cost < b.schedule->cost;
    return a.schedule->peak < b.schedule->peak;
  }
  if (a.schedule || b.schedule)
    return a.schedule.has_value();
  return a.progress > b.progress;
}

/// Neither is better than the other (a plateau move).
bool tied(const Outcome &a, const Outcome &b) {
  if (a.schedule && b.schedule)
    return a.schedule->cost == b.schedule->cost;
  if (a.schedule || b.schedule)
    return false;
  return a.progress == b.progress;
}

/// Simulated annealing: a feasible schedule that costs more than the
/// current one is still taken with probability exp(-relative increase /
/// temperature), so the search can leave a local optimum (on a deep CNN's
/// step plain hill climbing sat at 17% overhead where 12% exists).
bool acceptsWorse(const Outcome &next, const Outcome &current,
                  double temperature, std::mt19937_64 &rng) {
  if (!next.schedule || !current.schedule || temperature <= 0)
    return false;
  double increase = double(next.schedule->cost) / current.schedule->cost - 1;
  return std::uniform_real_distribution<double>(0, 1)(rng) <
         std::exp(-increase / temperature);
}

Outcome simulate(const Problem &problem, const Params &params) {
  Simulation sim(problem, params);
  Outcome outcome;
  if (sim.run())
    outcome.schedule = sim.takeSchedule();
  outcome.progress = sim.progress();
  return outcome;
}

/// Moves one node to a random position between its last input and its first
/// consumer, which keeps the order topological.
void moveInOrder(const Problem &problem, std::vector<int> &order,
                 std::mt19937_64 &rng) {
  int n = static_cast<int>(order.size());
  std::vector<int> pos(n);
  for (int k = 0; k < n; ++k)
    pos[order[k]] = k;
  int k = std::uniform_int_distribution<int>(0, n - 1)(rng);
  int v = order[k];
  int lo = 0, hi = n - 1;
  for (int p : problem.graph.preds[v])
    lo = std::max(lo, pos[p] + 1);
  for (int s : problem.succs[v])
    hi = std::min(hi, pos[s] - 1);
  if (lo >= hi)
    return;
  int target = std::uniform_int_distribution<int>(lo, hi)(rng);
  order.erase(order.begin() + k);
  order.insert(order.begin() + target, v);
}

/// One random change of the knobs; see the file comment, part 3.
Params mutate(const Problem &problem, const Params &base,
              std::mt19937_64 &rng) {
  Params p = base;
  int n = problem.graph.size();
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  double r = unit(rng);
  if (r < 0.15) {
    moveInOrder(problem, p.order, rng);
  } else if (r < 0.17) {
    p.deepCost = !p.deepCost;
  } else if (r < 0.24) {
    std::normal_distribution<double> step(0.0, 0.25);
    p.costExp = std::clamp(p.costExp + step(rng), 0.0, 3.0);
    p.distExp = std::clamp(p.distExp + step(rng), 0.0, 3.0);
  } else {
    // Re-weight one node, sometimes a few; big jumps make a node a hard
    // checkpoint or a free-to-drop value, small ones fine-tune.
    int count = unit(rng) < 0.7 ? 1 : 1 + static_cast<int>(unit(rng) * 4);
    for (int i = 0; i < count; ++i) {
      int u = std::uniform_int_distribution<int>(0, n - 1)(rng);
      double s = unit(rng);
      if (s < 0.2)
        p.weight[u] = 1e6;
      else if (s < 0.4)
        p.weight[u] = 1e-6;
      else
        p.weight[u] *= std::exp(std::normal_distribution<double>(0, 1.5)(rng));
    }
  }
  return p;
}

} // namespace

std::optional<RematSchedule> solveHeuristic(const RematGraph &graph,
                                            uint64_t budgetBytes,
                                            const Deadline &deadline) {
  int n = graph.size();
  Problem problem{graph, budgetBytes, deadline, successorsOf(graph),
                  keepAtEndMask(graph)};
  uint64_t floorCost = totalCost(graph);

  // Part 1: starting points from every order and a few score shapes.
  std::vector<std::vector<int>> orders = {minIdTopologicalOrder(graph),
                                          memoryGreedyOrder(problem),
                                          depthFirstOrder(problem),
                                          asLateAsPossibleOrder(problem)};
  const std::pair<double, double> shapes[] = {
      {1.0, 1.0}, {1.0, 0.0}, {0.0, 1.0}, {1.0, 2.0}, {0.5, 1.0}};
  // One starting point per recompute-cost estimate: neither wins on every
  // graph (deep suits tight budgets on deep graphs, shallow the others), so
  // each gets its own share of the local search below.
  Candidate starts[2];
  auto solved = [&](const Candidate &c) {
    return c.outcome.schedule && c.outcome.schedule->cost == floorCost;
  };
  bool done = false;
  for (const std::vector<int> &order : orders) {
    if (!isTopologicalOrder(graph, order) || done)
      continue;
    for (int deep = 0; deep < 2 && !done; ++deep)
      for (auto [costExp, distExp] : shapes) {
        Params params{order, std::vector<double>(n, 1.0), costExp, distExp,
                      deep == 1};
        Outcome outcome = simulate(problem, params);
        Candidate &start = starts[deep];
        if (start.outcome.progress < 0 || better(outcome, start.outcome))
          start = {params, std::move(outcome)};
        done = solved(start) || (deadline.expired() && start.outcome.schedule);
        if (done)
          break;
      }
  }
  Candidate best =
      better(starts[0].outcome, starts[1].outcome) || starts[1].outcome.progress < 0
          ? starts[0]
          : starts[1];

  // Part 2b: when no starting point fits, the backward pebble-game search
  // (Pebbling.cpp) looks for any schedule within the budget; it succeeds
  // where rebuilding one value needs a long chain of inputs at once. Its
  // cost is not optimised, so the local search below still runs and its
  // schedule wins whenever it finds a cheaper one.
  std::optional<RematSchedule> fallback;
  if (!best.outcome.schedule)
    fallback = pebblingSearch(graph, budgetBytes, orders[1],
                              deadline.portion(kPebblingShare));

  // Part 3: local search from each start. Equal moves are accepted so the
  // search can drift across plateaus; worse ones never are.
  std::mt19937_64 rng(0x6b696c6e);
  // Several chains when a start fits already (they improve its cost); when
  // none fits, one long walk per start towards feasibility does better.
  int chains = best.outcome.schedule ? kSearchChains : 2;
  for (int round = 0; round < chains && !solved(best); ++round) {
    const Candidate &start = starts[round % 2];
    if (start.outcome.progress < 0)
      continue;
    Deadline share = deadline.portion(1.0 / (chains - round));
    double total = std::max(share.remaining(), 1e-9);
    Candidate current = start;
    while (!share.expired() && !deadline.expired() && !solved(best)) {
      Params next = mutate(problem, current.params, rng);
      Outcome outcome = simulate(problem, next);
      double temperature =
          kAnnealStart * std::max(0.0, share.remaining()) / total;
      if (better(outcome, current.outcome) || tied(outcome, current.outcome) ||
          acceptsWorse(outcome, current.outcome, temperature, rng)) {
        current = {std::move(next), std::move(outcome)};
        if (better(current.outcome, best.outcome))
          best = current;
      }
    }
  }
  std::optional<RematSchedule> &result = best.outcome.schedule;
  if (result) {
    tightenFrees(graph, *result);
    if (!checkSchedule(graph, *result).empty() || result->peak > budgetBytes)
      result.reset();
  }
  if (fallback && (!result || fallback->cost < result->cost))
    return fallback;
  return result;
}

} // namespace kiln::solvers::detail
