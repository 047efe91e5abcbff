//===- Pebbling.cpp - Remat as a backward black-pebble game ---------------===//
//
// Part of the Kiln project.
//
//===----------------------------------------------------------------------===//
//
// Feasibility under a budget is a (weighted) black-pebble game: a node can be
// computed when its inputs are resident, anything can be freed at any time.
// Played backwards from a target it becomes a search over sets S of values
// that must be resident together: the value x of S computed last had, at its
// compute, S minus x plus its inputs resident, so
//
//   need(S) = min over x in S of max(bytes(S + preds(x)),
//                                    need(S - x + preds(x))),  need({}) = 0,
//
// where need(S) is the least peak of any schedule that at some moment holds
// all of S. A path from {target} to {} whose steps stay within the budget is
// a schedule, read in reverse. Two uses:
//
// - pebblingSearch: a depth-first search for such a path (latest node of the
//   baseline order first, visited sets remembered). It finds schedules that
//   the forward simulation misses when recomputing one value needs a long
//   chain of inputs rebuilt at once; its cost is not optimised.
// - pebblingLowerBound: the recursion above cut off at a small depth (a cut
//   leaf counts only bytes(S)); every step of it only weakens the exact
//   value, so it is a proven lower bound on the peak, often well above
//   peakLowerBound (e.g. 0.495 against 0.396 of the baseline peak on
//   random_layered_n100).
//
// A value x whose inputs are all in S is removed at once (S - x): then
// S - x + preds(x) = S - x, so that move can only help, and taking it
// without branching shrinks the search.
//
//===----------------------------------------------------------------------===//

#include "RematInternal.h"

#include <algorithm>
#include <unordered_set>

namespace kiln::solvers {
namespace detail {
namespace {

using NodeSet = std::vector<int>; ///< sorted node ids

/// Sets the search expands at most (over all targets); see pebblingSearch.
constexpr uint64_t kMaxExpanded = 50000;

struct NodeSetHash {
  size_t operator()(const NodeSet &set) const {
    uint64_t h = 1469598103934665603ull;
    for (int v : set)
      h = (h ^ static_cast<uint64_t>(v)) * 1099511628211ull;
    return static_cast<size_t>(h);
  }
};

/// The graph with what every game step looks up: positions in the min-id
/// order (the move order) and a scratch membership mask.
struct Game {
  Game(const RematGraph &graph, const std::vector<int> &order)
      : graph(graph), pos(graph.size()), member(graph.size(), 0) {
    for (int k = 0; k < static_cast<int>(order.size()); ++k)
      pos[order[k]] = k;
  }

  uint64_t bytesOf(const NodeSet &set) const {
    uint64_t sum = 0;
    for (int v : set)
      sum += graph.bytes[v];
    return sum;
  }

  /// Removes, latest first, every value whose inputs are all in the set;
  /// appends the removed values to `removed` when given.
  void reduce(NodeSet &set, std::vector<int> *removed) {
    for (int v : set)
      member[v] = 1;
    bool changed = true;
    while (changed) {
      changed = false;
      int best = -1;
      for (int v : set) {
        bool covered = true;
        for (int p : graph.preds[v])
          covered = covered && member[p];
        if (covered && (best == -1 || pos[v] > pos[best]))
          best = v;
      }
      if (best != -1) {
        member[best] = 0;
        set.erase(std::find(set.begin(), set.end(), best));
        if (removed)
          removed->push_back(best);
        changed = true;
      }
    }
    for (int v : set)
      member[v] = 0;
  }

  /// The set S - x + preds(x), and in `added` the inputs of x not in S.
  NodeSet uncompute(const NodeSet &set, int x, std::vector<int> &added) {
    for (int v : set)
      member[v] = 1;
    added.clear();
    for (int p : graph.preds[x])
      if (!member[p])
        added.push_back(p);
    for (int v : set)
      member[v] = 0;
    NodeSet next;
    next.reserve(set.size() + added.size());
    for (int v : set)
      if (v != x)
        next.push_back(v);
    next.insert(next.end(), added.begin(), added.end());
    std::sort(next.begin(), next.end());
    return next;
  }

  const RematGraph &graph;
  std::vector<int> pos;
  std::vector<char> member;
};

/// One backward step: `node` computed, then `frees` released.
struct Op {
  int node;
  std::vector<int> frees;
};

/// Searches a path from `target` to the empty set within the budget; on
/// success appends the forward steps (ending with `target` resident) to
/// `steps`. Calls `tick` once per expanded set; it returns false to stop.
template <typename Tick>
bool searchFrom(Game &game, NodeSet target, uint64_t budget,
                std::vector<RematStep> &steps, Tick tick) {
  struct Frame {
    NodeSet set;
    std::vector<std::pair<uint64_t, int>> moves; ///< (order key, node)
    size_t next = 0;
    std::vector<Op> ops; ///< the step that led here and its forced removals
  };
  std::unordered_set<NodeSet, NodeSetHash> visited;
  std::vector<Frame> stack;
  auto push = [&](NodeSet set, std::vector<Op> ops) -> bool {
    std::vector<int> forced;
    game.reduce(set, &forced);
    for (int y : forced)
      ops.push_back({y, {}});
    if (!visited.insert(set).second)
      return false;
    Frame frame;
    frame.set = std::move(set);
    frame.ops = std::move(ops);
    stack.push_back(std::move(frame));
    return true;
  };
  push(std::move(target), {});
  std::vector<int> added;
  while (!stack.empty()) {
    Frame &top = stack.back();
    if (top.set.empty())
      break;
    if (top.next == 0 && top.moves.empty()) {
      if (!tick())
        return false;
      // Latest in the baseline order first: with no memory pressure this
      // replays the baseline backwards; earlier values are moved later
      // (recomputed near their use) only when the budget forces it.
      uint64_t held = game.bytesOf(top.set);
      for (int x : top.set) {
        game.uncompute(top.set, x, added);
        uint64_t peak = held + game.bytesOf(added);
        if (peak <= budget)
          top.moves.push_back({~static_cast<uint64_t>(game.pos[x]), x});
      }
      std::sort(top.moves.begin(), top.moves.end());
    }
    if (top.next == top.moves.size()) {
      stack.pop_back();
      continue;
    }
    int x = top.moves[top.next++].second;
    NodeSet next = game.uncompute(top.set, x, added);
    push(std::move(next), {{x, added}});
  }
  if (stack.empty())
    return false;
  // Backward ops, outermost first; the forward schedule runs them reversed.
  std::vector<const Op *> backward;
  for (const Frame &frame : stack)
    for (const Op &op : frame.ops)
      backward.push_back(&op);
  for (auto it = backward.rbegin(); it != backward.rend(); ++it) {
    steps.push_back({StepKind::Compute, (*it)->node});
    for (int p : (*it)->frees)
      steps.push_back({StepKind::Free, p});
  }
  return true;
}

/// The cut-off recursion of the file comment, with the branch-and-bound cut
/// that a move whose own step already reaches the best so far cannot win.
uint64_t boundOf(Game &game, NodeSet set, int depth, uint64_t &work) {
  game.reduce(set, nullptr);
  uint64_t held = game.bytesOf(set);
  if (set.empty() || depth == 0 || work == 0)
    return held;
  --work;
  uint64_t best = UINT64_MAX;
  std::vector<int> added;
  for (int x : NodeSet(set)) {
    NodeSet next = game.uncompute(set, x, added);
    uint64_t step = held + game.bytesOf(added);
    if (step >= best)
      continue;
    best = std::min(best, std::max(step, boundOf(game, next, depth - 1, work)));
  }
  return best;
}

} // namespace

std::optional<RematSchedule> pebblingSearch(const RematGraph &graph,
                                            uint64_t budgetBytes,
                                            const std::vector<int> &order,
                                            const Deadline &deadline) {
  Game game(graph, order);
  std::vector<char> keep = keepAtEndMask(graph);
  std::vector<std::vector<int>> succs = successorsOf(graph);
  // Every node is an ancestor of a sink, so pebbling each sink once (from
  // empty memory, freeing it after) computes everything; the kept outputs
  // are pebbled together last and stay.
  std::vector<NodeSet> targets;
  for (int v : minIdTopologicalOrder(graph))
    if (succs[v].empty() && !keep[v])
      targets.push_back({v});
  if (!graph.keepAtEnd.empty()) {
    NodeSet kept = graph.keepAtEnd;
    std::sort(kept.begin(), kept.end());
    kept.erase(std::unique(kept.begin(), kept.end()), kept.end());
    targets.push_back(std::move(kept));
  }
  uint64_t expanded = 0;
  bool stopped = false;
  auto tick = [&] {
    // The clock (or the work count) is read every 256 sets, as in the
    // simulation: deterministic in work mode. Past kMaxExpanded sets the
    // search is lost in a space it will not cover (random_layered_n500
    // at F=0.6 and 0.5: no path in 2*10^5 sets in a prototype, while
    // n100 at F=0.5 needs under 200); the time is better left to the
    // simulation's local search.
    if (++expanded > kMaxExpanded ||
        ((expanded & 255) == 0 && deadline.expired()))
      stopped = true;
    return !stopped;
  };
  RematSchedule schedule;
  for (const NodeSet &target : targets) {
    if (!searchFrom(game, target, budgetBytes, schedule.steps, tick))
      return std::nullopt;
    for (int v : target)
      if (!keep[v])
        schedule.steps.push_back({StepKind::Free, v});
  }
  tightenFrees(graph, schedule);
  if (!checkSchedule(graph, schedule).empty() ||
      schedule.peak > budgetBytes)
    return std::nullopt;
  return schedule;
}

} // namespace detail

uint64_t pebblingLowerBound(const RematGraph &graph, int depth) {
  if (!validateGraph(graph).empty())
    return 0;
  detail::Game game(graph, detail::minIdTopologicalOrder(graph));
  uint64_t bound = peakLowerBound(graph);
  // Work cap per node, so that dense graphs stay fast; a cut-off branch
  // counts only its own bytes, which keeps the result a lower bound.
  for (int v = 0; v < graph.size(); ++v) {
    uint64_t work = 20000;
    bound = std::max(bound, detail::boundOf(game, {v}, depth, work));
  }
  return bound;
}

} // namespace kiln::solvers
