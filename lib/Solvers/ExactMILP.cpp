//===- ExactMILP.cpp - Checkmate-style MILP on CBC ------------------------===//
//
// Part of the Kiln project.
//
//===----------------------------------------------------------------------===//
//
// The MILP of Checkmate (Jain et al., MLSys 2020) adapted to this model and
// solved with COIN-OR CBC through its C interface. The first-computation
// order is fixed (the warm start's, else the min-id order); stage t computes
// position t for the first time and may recompute earlier positions, in
// ascending order:
//
//   R[t][i]  binary, position i is computed in stage t   (i <= t, R[t][t]=1)
//   S[t][i]  binary, position i is resident when stage t starts (i < t)
//   F[t][i][k] in [0,1], i (an input of k, or k itself) is freed right after
//            k is computed in stage t; bounded above by Checkmate's hazards
//   U[t][k]  memory right after computing k in stage t, <= budget
//
// minimising the cost of the recomputations. The restriction to stages means
// "optimal" is optimal among stage-structured schedules only, so the result
// is never reported as proven optimal. The solution is turned into steps,
// its frees are tightened and it is checked like any other schedule.
//
//===----------------------------------------------------------------------===//

#include "RematInternal.h"

#include <coin/Cbc_C_Interface.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace kiln::solvers::detail {
namespace {

/// Largest model (columns) handed to CBC, about an 80-node training graph:
/// CBC's time limit does not cover its root LP, which on a 120-node graph
/// (about 60000 columns) ran for more than ten minutes.
constexpr int64_t kMaxMILPColumns = 20000;

/// Column indices of the model, by stage and position; -1 where none.
struct Columns {
  std::vector<std::vector<int>> r, s, u;
  int count = 0;
};

/// Builds CBC rows one at a time.
class RowBuilder {
public:
  explicit RowBuilder(Cbc_Model *model) : model(model) {}
  RowBuilder &add(int col, double coef) {
    cols.push_back(col);
    coefs.push_back(coef);
    return *this;
  }
  void emit(char sense, double rhs) {
    Cbc_addRow(model, "", static_cast<int>(cols.size()), cols.data(),
               coefs.data(), sense, rhs);
    cols.clear();
    coefs.clear();
  }

private:
  Cbc_Model *model;
  std::vector<int> cols;
  std::vector<double> coefs;
};

int addColumn(Cbc_Model *model, Columns &columns, double lb, double ub,
              double obj, bool integer) {
  Cbc_addCol(model, "", lb, ub, obj, integer ? 1 : 0, 0, nullptr, nullptr);
  return columns.count++;
}

/// The first-computation order of a schedule.
std::vector<int> firstComputeOrder(const RematGraph &graph,
                                   const RematSchedule &schedule) {
  std::vector<char> seen(graph.size(), 0);
  std::vector<int> order;
  for (const RematStep &step : schedule.steps)
    if (step.kind == StepKind::Compute && !seen[step.node]) {
      seen[step.node] = 1;
      order.push_back(step.node);
    }
  return order;
}

/// Bytes divided by their gcd keep the memory rows well scaled.
uint64_t bytesGcd(const RematGraph &graph) {
  uint64_t g = 0;
  for (uint64_t b : graph.bytes)
    g = std::gcd(g, b);
  return g == 0 ? 1 : g;
}

/// Stage-form values of a schedule: R and S per stage, as the MIP start.
void stageForm(const RematGraph &graph, const RematSchedule &schedule,
               const std::vector<int> &pos, const Columns &columns,
               std::vector<int> &idx, std::vector<double> &val) {
  int n = graph.size();
  std::vector<char> resident(n, 0), seen(n, 0);
  int stage = 0;
  // S of a stage is what is resident right before its first compute, after
  // the frees that close the previous stage.
  bool stageOpen = false;
  for (const RematStep &step : schedule.steps) {
    int v = step.node;
    if (step.kind == StepKind::Free) {
      resident[v] = 0;
      continue;
    }
    if (!stageOpen) {
      stageOpen = true;
      for (int u = 0; u < n; ++u)
        if (resident[u] && pos[u] < stage) {
          idx.push_back(columns.s[stage][pos[u]]);
          val.push_back(1.0);
        }
    }
    if (stage < n && (pos[v] < stage || !seen[v])) {
      if (columns.r[stage][pos[v]] >= 0) {
        idx.push_back(columns.r[stage][pos[v]]);
        val.push_back(1.0);
      }
    }
    resident[v] = 1;
    if (!seen[v]) {
      seen[v] = 1;
      ++stage;
      stageOpen = false;
    }
  }
}

/// Turns a MILP solution into steps: before each stage drop what S does not
/// keep, then compute the stage's positions in ascending order. Frees are
/// tightened afterwards.
RematSchedule extractSchedule(const RematGraph &graph,
                              const std::vector<int> &order,
                              const Columns &columns, const double *x) {
  int n = graph.size();
  std::vector<char> resident(n, 0);
  RematSchedule schedule;
  for (int t = 0; t < n; ++t) {
    for (int i = 0; i < t; ++i)
      if (resident[order[i]] && x[columns.s[t][i]] < 0.5) {
        schedule.steps.push_back({StepKind::Free, order[i]});
        resident[order[i]] = 0;
      }
    for (int i = 0; i <= t; ++i)
      if (x[columns.r[t][i]] > 0.5 && !resident[order[i]]) {
        schedule.steps.push_back({StepKind::Compute, order[i]});
        resident[order[i]] = 1;
      }
  }
  return schedule;
}

} // namespace

bool haveMILP() { return true; }

bool milpFits(const RematGraph &graph) {
  // Columns: R, S and U per stage, and a free variable per (stage, op,
  // freeable value); the inputs' count does not depend on the order.
  int n = graph.size();
  int64_t columns = 0;
  for (int t = 0; t < n; ++t) {
    columns += 3 * int64_t(t) + 2;
    if (columns > kMaxMILPColumns)
      return false;
  }
  for (int k = 0; k < n; ++k)
    columns += int64_t(n - k) * (int64_t(graph.preds[k].size()) + 1);
  return columns <= kMaxMILPColumns;
}

std::optional<RematSchedule>
solveMILP(const RematGraph &graph, uint64_t budgetBytes,
          const std::optional<RematSchedule> &warmStart,
          const Deadline &deadline) {
  int n = graph.size();
  if (n == 0 || deadline.remaining() <= 0.05)
    return std::nullopt;
  std::vector<int> order = warmStart ? firstComputeOrder(graph, *warmStart)
                                     : minIdTopologicalOrder(graph);
  if (!isTopologicalOrder(graph, order))
    return std::nullopt;
  std::vector<int> pos(n);
  for (int k = 0; k < n; ++k)
    pos[order[k]] = k;
  std::vector<std::vector<int>> succs = successorsOf(graph);
  std::vector<char> keep = keepAtEndMask(graph);
  // Inputs and consumers by position.
  std::vector<std::vector<int>> inputs(n), users(n);
  for (int k = 0; k < n; ++k) {
    for (int p : graph.preds[order[k]])
      inputs[k].push_back(pos[p]);
    for (int s : succs[order[k]])
      users[k].push_back(pos[s]);
  }
  if (!milpFits(graph))
    return std::nullopt;
  double g = static_cast<double>(bytesGcd(graph));
  std::vector<double> mem(n);
  for (int k = 0; k < n; ++k)
    mem[k] = static_cast<double>(graph.bytes[order[k]]) / g;
  double budget = std::floor(static_cast<double>(budgetBytes) / g);

  Cbc_Model *model = Cbc_newModel();
  Cbc_setLogLevel(model, 0);
  Columns columns;
  columns.r.assign(n, std::vector<int>(n, -1));
  columns.s.assign(n, std::vector<int>(n, -1));
  columns.u.assign(n, std::vector<int>(n, -1));
  for (int t = 0; t < n; ++t) {
    for (int i = 0; i <= t; ++i) {
      double obj = i < t ? static_cast<double>(graph.cost[order[i]]) : 0.0;
      columns.r[t][i] =
          addColumn(model, columns, i == t ? 1.0 : 0.0, 1.0, obj, true);
    }
    for (int i = 0; i < t; ++i)
      columns.s[t][i] = addColumn(model, columns, 0.0, 1.0, 0.0, true);
    for (int k = 0; k <= t; ++k)
      columns.u[t][k] = addColumn(model, columns, 0.0, budget, 0.0, false);
  }
  RowBuilder row(model);
  for (int t = 0; t < n; ++t) {
    if (deadline.remaining() <= 0.05) { // Building alone used up the time.
      Cbc_deleteModel(model);
      return std::nullopt;
    }
    // Inputs are resident: R[t][k] <= R[t][i] + S[t][i].
    for (int k = 0; k <= t; ++k)
      for (int i : inputs[k])
        row.add(columns.r[t][k], 1)
            .add(columns.r[t][i], -1)
            .add(columns.s[t][i], -1)
            .emit('L', 0);
    // Residency carries over only for what was resident or computed, and a
    // resident value is never computed again in the model.
    if (t + 1 < n)
      for (int i = 0; i < t; ++i)
        row.add(columns.s[t + 1][i], 1)
            .add(columns.s[t][i], -1)
            .add(columns.r[t][i], -1)
            .emit('L', 0);
    for (int i = 0; i < t; ++i)
      row.add(columns.r[t][i], 1).add(columns.s[t][i], 1).emit('L', 1);
    // Memory: U[t][0] = sum S m + R[t][0] m0, then
    // U[t][k] = U[t][k-1] - freed after k-1 + R[t][k] mk.
    row.add(columns.u[t][0], 1);
    for (int i = 0; i < t; ++i)
      row.add(columns.s[t][i], -mem[i]);
    row.add(columns.r[t][0], -mem[0]).emit('E', 0);
    for (int k = 1; k <= t; ++k) {
      int prev = k - 1;
      std::vector<int> freeable = inputs[prev];
      freeable.push_back(prev);
      std::vector<std::pair<int, double>> frees;
      for (int i : freeable) {
        int f = addColumn(model, columns, 0.0, 1.0, 0.0, false);
        frees.push_back({f, mem[i]});
        // Hazards: only if prev was computed, i is not kept for the next
        // stage, and no later consumer of i runs in this stage.
        row.add(f, 1).add(columns.r[t][prev], -1).emit('L', 0);
        if (t + 1 < n && i <= t)
          row.add(f, 1).add(columns.s[t + 1][i], 1).emit('L', 1);
        else if (t + 1 == n && keep[order[i]])
          row.add(f, 1).emit('L', 0);
        for (int j : users[i])
          if (j > prev && j <= t)
            row.add(f, 1).add(columns.r[t][j], 1).emit('L', 1);
      }
      row.add(columns.u[t][k], 1).add(columns.u[t][prev], -1);
      for (auto [f, m] : frees)
        row.add(f, m);
      row.add(columns.r[t][k], -mem[k]).emit('E', 0);
    }
  }
  // Outputs kept at the end are resident after the last stage.
  for (int i = 0; i + 1 < n; ++i)
    if (keep[order[i]])
      row.add(columns.r[n - 1][i], 1).add(columns.s[n - 1][i], 1).emit('G', 1);

  if (warmStart) {
    std::vector<int> idx;
    std::vector<double> val;
    stageForm(graph, *warmStart, pos, columns, idx, val);
    Cbc_setMIPStartI(model, static_cast<int>(idx.size()), idx.data(),
                     val.data());
  }
  Cbc_setMaximumSeconds(model, std::max(0.05, deadline.remaining()));
  Cbc_setParameter(model, "threads", "1");
  Cbc_solve(model);

  std::optional<RematSchedule> result;
  const double *x = Cbc_bestSolution(model);
  if (x) {
    RematSchedule schedule = extractSchedule(graph, order, columns, x);
    if (checkSchedule(graph, schedule).empty()) {
      tightenFrees(graph, schedule);
      if (checkSchedule(graph, schedule).empty() &&
          schedule.peak <= budgetBytes)
        result = std::move(schedule);
    }
  }
  Cbc_deleteModel(model);
  return result;
}

} // namespace kiln::solvers::detail
