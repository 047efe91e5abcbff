//===- ChainDP.cpp - Exact rematerialization on chains --------------------===//
//
// Part of the Kiln project.
//
//===----------------------------------------------------------------------===//
//
// A chain is a simple path v0 -> v1 -> ... -> vm. In this model computing vi
// needs v(i-1) resident, so every schedule peaks at least at
// max_i out(v(i-1)) + out(vi), the peak lower bound, and costs at least the
// sum of all costs. The forward sweep that frees each output after its one
// reader meets both bounds at once, so the dynamic program over chain
// positions collapses: the optimum is that sweep when the budget covers the
// bound and infeasible otherwise. Outputs kept at the end other than the last
// one would make rebuilding at the end pay off; those chains are left to the
// other methods.
//
//===----------------------------------------------------------------------===//

#include "RematInternal.h"

namespace kiln::solvers::detail {

bool isChain(const RematGraph &graph) {
  int n = graph.size();
  if (n == 0)
    return false;
  std::vector<int> readers(n, 0);
  int sources = 0;
  for (int v = 0; v < n; ++v) {
    if (graph.preds[v].size() > 1)
      return false;
    if (graph.preds[v].empty())
      ++sources;
    else if (++readers[graph.preds[v][0]] > 1)
      return false;
  }
  // In-degree and out-degree at most one with a single source and no cycle
  // means one connected path.
  return sources == 1;
}

/// The chain's nodes from its source to its end.
static std::vector<int> chainOrder(const RematGraph &graph) {
  int n = graph.size();
  std::vector<int> next(n, -1);
  int source = -1;
  for (int v = 0; v < n; ++v) {
    if (graph.preds[v].empty())
      source = v;
    else
      next[graph.preds[v][0]] = v;
  }
  std::vector<int> order;
  for (int v = source; v != -1; v = next[v])
    order.push_back(v);
  return order;
}

RematResult solveChain(const RematGraph &graph, uint64_t budgetBytes) {
  RematResult result;
  result.methodUsed = RematMethod::Chain;
  if (!isChain(graph)) {
    result.reason = "graph is not a chain";
    return result;
  }
  std::vector<int> order = chainOrder(graph);
  if (static_cast<int>(order.size()) != graph.size()) {
    result.reason = "graph is not a chain";
    return result;
  }
  for (int v : graph.keepAtEnd)
    if (v != order.back()) {
      result.reason = "chain method supports keeping only the chain's end";
      return result;
    }
  // Forward sweep along the chain: the optimum (see the file comment).
  RematSchedule schedule;
  for (size_t i = 0; i < order.size(); ++i) {
    schedule.steps.push_back({StepKind::Compute, order[i]});
    if (i > 0)
      schedule.steps.push_back({StepKind::Free, order[i - 1]});
  }
  if (graph.keepAtEnd.empty())
    schedule.steps.push_back({StepKind::Free, order.back()});
  std::string error = checkSchedule(graph, schedule);
  if (!error.empty()) {
    result.reason = "internal error: chain schedule invalid: " + error;
    return result;
  }
  if (schedule.peak > budgetBytes) {
    result.reason = "budget below lower bound";
    return result;
  }
  result.schedule = std::move(schedule);
  result.provenOptimal = true;
  return result;
}

} // namespace kiln::solvers::detail
