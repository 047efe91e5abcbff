# Copied from /work/shared/bench/remat-graphs/check_schedule.py (the benchmark's reference checker) so that CI, which has only the repository, can verify schedules.
#!/usr/bin/env python3
"""Reference checker for rematerialization (activation checkpointing) schedules.

Usage:
  check_schedule.py GRAPH.json SCHEDULE.json [--budget-fraction f]
  check_schedule.py GRAPH.json --baseline

Graph: networkx node-link JSON. Node i is the i-th entry of "nodes"; its "id"
(Checkmate graphs) or "name" (random layered graphs) must equal i, and links
refer to nodes by that number ("source"/"target", or "0"/"1").
  out(i)  = bytes of node i's output: "cost_ram" (Checkmate) or "out_cost"
  cost(i) = compute cost of node i:    "cost_cpu" (Checkmate) or "duration"
  ("param_cost" and "backward" are ignored.)

Model (this file is the definition):
  A schedule is {"steps": [...]}, each step ["compute", i] or ["free", i].
  Memory M is a set of node outputs, initially empty.
  ["compute", i] is valid only if every predecessor of i is in M and i is not
    in M; then i joins M. After each compute, usage = sum of out() over M;
    peak = max usage over the schedule.
  ["free", i] is valid only if i is in M; i leaves M.
  A schedule is valid if every step is valid and every node is computed at
  least once. Cost = sum of cost() over all compute steps (recomputations
  count again).
  Baseline: compute every node once in the topological order that always
  picks the smallest ready node id (Kahn's algorithm; this is
  ascending id when ids are already topological, as in the Checkmate graphs),
  freeing each output right after its last successor has been computed (a
  node with no successors is freed right after it is computed).
  Baseline peak P0 and cost C0.
  For budget fraction f the budget is floor(f * P0) bytes (f is read as an
  exact decimal). Overhead = cost / C0 - 1.
  Lower bound on any feasible peak: max over i of out(i) + sum of out(p) over
  the predecessors p of i.

Output: `valid peak=... peak_fraction=... cost=... overhead=...% within_budget=
yes|no|n/a` (n/a without --budget-fraction); exit 0 only if valid and, when
--budget-fraction is given, peak <= budget. An invalid schedule prints the step
index and reason and exits 1.
"""
import json
import sys


def load_graph(path):
    """Return (out bytes, costs, predecessor lists, successor lists)."""
    g = json.load(open(path))
    nodes, out, cost = g["nodes"], [], []
    for i, nd in enumerate(nodes):
        if nd.get("id", nd.get("name")) != i:
            sys.exit("node %d has id/name %r; expected %d" % (i, nd.get("id", nd.get("name")), i))
        out.append(nd["cost_ram"] if "cost_ram" in nd else nd["out_cost"])
        cost.append(nd["cost_cpu"] if "cost_cpu" in nd else nd["duration"])
    preds, succs = [[] for _ in nodes], [[] for _ in nodes]
    for ln in g["links"]:
        s, t = (ln["source"], ln["target"]) if "source" in ln else (ln["0"], ln["1"])
        if t not in succs[s]:
            succs[s].append(t)
            preds[t].append(s)
    return out, cost, preds, succs


def topo_order(preds, succs):
    """Kahn's algorithm, always taking the smallest ready id."""
    indeg = [len(p) for p in preds]
    ready = {i for i, d in enumerate(indeg) if d == 0}
    order = []
    while ready:
        v = min(ready)
        ready.remove(v)
        order.append(v)
        for w in succs[v]:
            indeg[w] -= 1
            if indeg[w] == 0:
                ready.add(w)
    if len(order) != len(preds):
        sys.exit("graph has a cycle")
    return order


def baseline_steps(preds, succs):
    order = topo_order(preds, succs)
    pos = {v: k for k, v in enumerate(order)}
    last_use = [max((pos[s] for s in succs[i]), default=None) for i in range(len(preds))]
    steps = []
    for k, v in enumerate(order):
        steps.append(["compute", v])
        steps += [["free", p] for p in preds[v] if last_use[p] == k]
        if not succs[v]:
            steps.append(["free", v])
    return steps


def simulate(steps, out, cost, preds):
    """Return (peak, cost) or raise ValueError('step k: reason')."""
    mem, usage, peak, total, seen = set(), 0, 0, 0, set()
    for k, step in enumerate(steps):
        if not (isinstance(step, list) and len(step) == 2 and step[0] in ("compute", "free")
                and type(step[1]) is int and 0 <= step[1] < len(out)):
            raise ValueError("step %d: malformed step %r" % (k, step))
        op, i = step
        if op == "compute":
            if i in mem:
                raise ValueError("step %d: compute %d but %d is already in memory" % (k, i, i))
            missing = [p for p in preds[i] if p not in mem]
            if missing:
                raise ValueError("step %d: compute %d but predecessors %s are not in memory" % (k, i, missing))
            mem.add(i)
            usage += out[i]
            peak = max(peak, usage)
            total += cost[i]
            seen.add(i)
        else:
            if i not in mem:
                raise ValueError("step %d: free %d but %d is not in memory" % (k, i, i))
            mem.remove(i)
            usage -= out[i]
    if len(seen) != len(out):
        never = sorted(set(range(len(out))) - seen)
        raise ValueError("after the last step: %d nodes never computed, e.g. %s" % (len(never), never[:10]))
    return peak, total


def budget_of(f, p0):
    """floor(f * p0) with f given as a decimal string such as '0.6'."""
    whole, _, frac = f.partition(".")
    if not (whole + frac).isdigit():
        sys.exit("bad budget fraction %r" % f)
    return p0 * int(whole + frac) // 10 ** len(frac)


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    out, cost, preds, succs = load_graph(argv[1])
    p0, c0 = simulate(baseline_steps(preds, succs), out, cost, preds)
    if argv[2] == "--baseline":
        lb = max(out[i] + sum(out[p] for p in preds[i]) for i in range(len(out)))
        order = topo_order(preds, succs)
        kind = "ascending id" if order == sorted(order) else "min-id topological order (ids not topological)"
        print("nodes=%d P0=%d C0=%d lower_bound=%d lower_bound_fraction=%.4f order=%s"
              % (len(out), p0, c0, lb, lb / p0, kind))
        return 0
    budget = None
    if len(argv) == 5 and argv[3] == "--budget-fraction":
        budget = budget_of(argv[4], p0)
    elif len(argv) != 3:
        sys.exit(__doc__)
    steps = json.load(open(argv[2]))["steps"]
    try:
        peak, total = simulate(steps, out, cost, preds)
    except ValueError as e:
        print("invalid %s" % e)
        return 1
    ok = budget is None or peak <= budget
    print("valid peak=%d peak_fraction=%.4f cost=%d overhead=%.3f%% within_budget=%s"
          % (peak, peak / p0, total, 100.0 * (total / c0 - 1),
             "n/a" if budget is None else ("yes" if ok else "no")))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
