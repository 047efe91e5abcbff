//===- Schedule.cpp - Remat model: baseline, lower bound, checker ---------===//
//
// Part of the Kiln project.
//
//===----------------------------------------------------------------------===//
//
// The evaluation model of rematerialization schedules, as
// bench/remat-graphs/check_schedule.py defines it: the min-id baseline, the
// peak lower bound, the step-by-step checker, plus graph validation and the
// schedule clean-up that every solver runs before checking its result.
//
//===----------------------------------------------------------------------===//

#include "RematInternal.h"

#include <algorithm>
#include <functional>
#include <queue>

namespace kiln::solvers {
namespace detail {

std::vector<std::vector<int>> successorsOf(const RematGraph &graph) {
  std::vector<std::vector<int>> succs(graph.size());
  for (int v = 0; v < graph.size(); ++v)
    for (int p : graph.preds[v])
      succs[p].push_back(v);
  return succs;
}

std::vector<int> minIdTopologicalOrder(const RematGraph &graph) {
  int n = graph.size();
  std::vector<std::vector<int>> succs = successorsOf(graph);
  std::vector<int> indegree(n);
  std::priority_queue<int, std::vector<int>, std::greater<int>> ready;
  for (int v = 0; v < n; ++v) {
    indegree[v] = static_cast<int>(graph.preds[v].size());
    if (indegree[v] == 0)
      ready.push(v);
  }
  std::vector<int> order;
  order.reserve(n);
  while (!ready.empty()) {
    int v = ready.top();
    ready.pop();
    order.push_back(v);
    for (int s : succs[v])
      if (--indegree[s] == 0)
        ready.push(s);
  }
  if (static_cast<int>(order.size()) != n)
    return {};
  return order;
}

bool isTopologicalOrder(const RematGraph &graph,
                        const std::vector<int> &order) {
  int n = graph.size();
  if (static_cast<int>(order.size()) != n)
    return false;
  std::vector<int> pos(n, -1);
  for (int k = 0; k < n; ++k) {
    if (order[k] < 0 || order[k] >= n || pos[order[k]] != -1)
      return false;
    pos[order[k]] = k;
  }
  for (int v = 0; v < n; ++v)
    for (int p : graph.preds[v])
      if (pos[p] > pos[v])
        return false;
  return true;
}

std::vector<char> keepAtEndMask(const RematGraph &graph) {
  std::vector<char> keep(graph.size(), 0);
  for (int v : graph.keepAtEnd)
    keep[v] = 1;
  return keep;
}

uint64_t totalCost(const RematGraph &graph) {
  uint64_t sum = 0;
  for (uint64_t c : graph.cost)
    sum += c;
  return sum;
}

namespace {
/// One computation of a node inside a schedule and the reads it serves.
struct Instance {
  int node;
  int step;          ///< index of the compute step
  int lastRead = -1; ///< index of the last compute step that reads it
  bool first = false;
  bool lastOfNode = false;
};

/// Finds the instances of a valid schedule's computes and their last reads.
std::vector<Instance> findInstances(const RematGraph &graph,
                                    const std::vector<RematStep> &steps) {
  std::vector<Instance> instances;
  std::vector<int> current(graph.size(), -1);
  for (int j = 0, e = static_cast<int>(steps.size()); j < e; ++j) {
    const RematStep &step = steps[j];
    if (step.kind != StepKind::Compute)
      continue;
    for (int p : graph.preds[step.node])
      instances[current[p]].lastRead = j;
    Instance inst{step.node, j};
    inst.first = current[step.node] == -1;
    current[step.node] = static_cast<int>(instances.size());
    instances.push_back(inst);
  }
  for (int v = 0; v < graph.size(); ++v)
    if (current[v] != -1)
      instances[current[v]].lastOfNode = true;
  return instances;
}
} // namespace

void tightenFrees(const RematGraph &graph, RematSchedule &schedule) {
  std::vector<char> keep = keepAtEndMask(graph);
  // Dropping an unread recomputation can leave its inputs unread too, so
  // repeat until nothing changes; each round removes at least one compute.
  while (true) {
    std::vector<Instance> instances = findInstances(graph, schedule.steps);
    std::vector<std::vector<int>> freesAfter(schedule.steps.size());
    std::vector<char> dropStep(schedule.steps.size(), 0);
    bool dropped = false;
    for (const Instance &inst : instances) {
      bool kept = inst.lastOfNode && keep[inst.node];
      if (inst.lastRead == -1 && !inst.first && !kept) {
        dropStep[inst.step] = 1;
        dropped = true;
        continue;
      }
      if (kept)
        continue;
      int at = inst.lastRead == -1 ? inst.step : inst.lastRead;
      freesAfter[at].push_back(inst.node);
    }
    std::vector<RematStep> steps;
    for (size_t j = 0; j < schedule.steps.size(); ++j) {
      const RematStep &step = schedule.steps[j];
      if (step.kind != StepKind::Compute || dropStep[j])
        continue;
      steps.push_back(step);
      for (int v : freesAfter[j])
        steps.push_back({StepKind::Free, v});
    }
    schedule.steps = std::move(steps);
    if (!dropped)
      return;
    // A dropped compute read values that may now be unread; the schedule
    // stays valid without the compute, so the next round tightens again.
  }
}

} // namespace detail

std::string validateGraph(const RematGraph &graph) {
  size_t n = graph.cost.size();
  if (graph.bytes.size() != n || graph.preds.size() != n)
    return "cost, bytes and preds have different sizes";
  for (size_t v = 0; v < n; ++v) {
    std::vector<int> seen;
    for (int p : graph.preds[v]) {
      if (p < 0 || static_cast<size_t>(p) >= n)
        return "node " + std::to_string(v) + " has predecessor " +
               std::to_string(p) + " out of range";
      if (static_cast<size_t>(p) == v)
        return "node " + std::to_string(v) + " reads itself";
      seen.push_back(p);
    }
    std::sort(seen.begin(), seen.end());
    if (std::adjacent_find(seen.begin(), seen.end()) != seen.end())
      return "node " + std::to_string(v) + " lists a predecessor twice";
  }
  for (int v : graph.keepAtEnd)
    if (v < 0 || static_cast<size_t>(v) >= n)
      return "keepAtEnd node " + std::to_string(v) + " out of range";
  if (n > 0 && detail::minIdTopologicalOrder(graph).empty())
    return "graph has a cycle";
  return "";
}

const char *methodName(RematMethod method) {
  switch (method) {
  case RematMethod::Auto:
    return "auto";
  case RematMethod::Chain:
    return "chain";
  case RematMethod::Exact:
    return "exact";
  case RematMethod::Heuristic:
    return "heuristic";
  }
  return "unknown";
}

RematSchedule baselineSchedule(const RematGraph &graph) {
  int n = graph.size();
  std::vector<int> order = detail::minIdTopologicalOrder(graph);
  std::vector<std::vector<int>> succs = detail::successorsOf(graph);
  std::vector<char> keep = detail::keepAtEndMask(graph);
  std::vector<int> pos(n);
  for (int k = 0; k < static_cast<int>(order.size()); ++k)
    pos[order[k]] = k;
  std::vector<int> lastUse(n, -1);
  for (int v = 0; v < n; ++v)
    for (int s : succs[v])
      lastUse[v] = std::max(lastUse[v], pos[s]);

  RematSchedule schedule;
  for (int k = 0; k < static_cast<int>(order.size()); ++k) {
    int v = order[k];
    schedule.steps.push_back({StepKind::Compute, v});
    for (int p : graph.preds[v])
      if (lastUse[p] == k && !keep[p])
        schedule.steps.push_back({StepKind::Free, p});
    if (succs[v].empty() && !keep[v])
      schedule.steps.push_back({StepKind::Free, v});
  }
  checkSchedule(graph, schedule);
  return schedule;
}

uint64_t peakLowerBound(const RematGraph &graph) {
  uint64_t bound = 0;
  for (int v = 0; v < graph.size(); ++v) {
    uint64_t need = graph.bytes[v];
    for (int p : graph.preds[v])
      need += graph.bytes[p];
    bound = std::max(bound, need);
  }
  return bound;
}

std::string checkSchedule(const RematGraph &graph, RematSchedule &schedule) {
  int n = graph.size();
  std::vector<char> resident(n, 0), computed(n, 0);
  uint64_t usage = 0, peak = 0, cost = 0;
  int numComputed = 0;
  for (size_t k = 0; k < schedule.steps.size(); ++k) {
    const RematStep &step = schedule.steps[k];
    std::string where = "step " + std::to_string(k) + ": ";
    int v = step.node;
    if (v < 0 || v >= n)
      return where + "node " + std::to_string(v) + " out of range";
    if (step.kind == StepKind::Compute) {
      if (resident[v])
        return where + "compute " + std::to_string(v) + " but " +
               std::to_string(v) + " is already in memory";
      for (int p : graph.preds[v])
        if (!resident[p])
          return where + "compute " + std::to_string(v) + " but predecessor " +
                 std::to_string(p) + " is not in memory";
      resident[v] = 1;
      usage += graph.bytes[v];
      peak = std::max(peak, usage);
      cost += graph.cost[v];
      if (!computed[v]) {
        computed[v] = 1;
        ++numComputed;
      }
    } else {
      if (!resident[v])
        return where + "free " + std::to_string(v) + " but " +
               std::to_string(v) + " is not in memory";
      resident[v] = 0;
      usage -= graph.bytes[v];
    }
  }
  if (numComputed != n)
    return "after the last step: " + std::to_string(n - numComputed) +
           " nodes never computed";
  for (int v : graph.keepAtEnd)
    if (!resident[v])
      return "after the last step: kept node " + std::to_string(v) +
             " is not in memory";
  schedule.peak = peak;
  schedule.cost = cost;
  return "";
}

} // namespace kiln::solvers
