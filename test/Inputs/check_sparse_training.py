#!/usr/bin/python3
# ===- test/Inputs/check_sparse_training.py - Sparse-training checks ------===#
#
# Part of the Kiln project: an MLIR compiler for training programs.
#
# ===-----------------------------------------------------------------------===#
#
# Checks of kiln-sparsify's results, computed in numpy from what kiln-run
# wrote (--write-initializers folders, logs), independently of Kiln:
#
#   accuracy TEST DENSE SPARSE --max-drop P --name N
#       Held-out accuracy of the MLP of make_sparsity_models.py with the
#       dense-trained and the sparse-trained weights; "ok" when the sparse
#       one is at most P points below.
#   masks STATE --weights W0,W1,... (--nm N:M [--transposable] |
#                                     --sparsity S)
#       For each weight W and its mask sparsity.mask.W: the mask is 0/1,
#       W is exactly 0 wherever the mask is 0; with --nm every group of M
#       consecutive mask entries along W's reduction dimension (axis 0 of a
#       MatMul weight [K, N]) keeps exactly N, and with --transposable also
#       along the other dimension (so the mask is N:M for W and W^T); with
#       --sparsity each mask prunes floor(S * size) entries (RigL keeps the
#       count exactly as it drops and grows; ties may prune more, so up to
#       size/1000 extra are allowed).
#   schedule LOG --sizes A,B,... --sparsity S --start T0 --end T1
#            --frequency F
#       Each "step N: ... sparsity=X" line of a kiln-run log (after N steps,
#       the steps being t = 0 .. N-1) against Zhu & Gupta's cubic schedule:
#       the last pruning step t <= N-1 (t0 + j F, or T1) sets
#       s_t = S (1 - (1 - (t - T0) / (T1 - T0))^3) and each weight of size n
#       prunes floor(s_t n); X must be their total fraction (within one
#       element per weight for float rounding at the floor).
#
# Exit 1 and "DIFFERENT"/"BAD" on a failed check.
#
# ===-----------------------------------------------------------------------===#

import argparse
import math
import pathlib
import re
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def load(path):
    t = onnx.TensorProto()
    t.ParseFromString(pathlib.Path(path).read_bytes())
    return numpy_helper.to_array(t)


def state(folder, name):
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", name)
    return load(pathlib.Path(folder) / f"{safe}.pb")


def accuracy(test, weights):
    x = load(pathlib.Path(test) / "input_0.pb").astype(np.float64)
    label = load(pathlib.Path(test) / "input_1.pb")
    h = x
    k = 0
    while (pathlib.Path(weights) / f"W{k}.pb").exists():
        h = h @ state(weights, f"W{k}") + state(weights, f"b{k}")
        k += 1
        if (pathlib.Path(weights) / f"W{k}.pb").exists():
            h = np.maximum(h, 0.0)
    return 100.0 * np.mean(np.argmax(h, axis=1) == label)


def cmd_accuracy(a):
    dense, sparse = accuracy(a.test, a.dense), accuracy(a.test, a.sparse)
    ok = sparse >= dense - a.max_drop
    print(f"{a.name}: dense accuracy {dense:.2f}%, sparse {sparse:.2f}% "
          f"(drop {dense - sparse:.2f} points, limit {a.max_drop}) "
          f"{'ok' if ok else 'DIFFERENT'}")
    return 0 if ok else 1


def groups_keep(mask, n, m):
    """Whether every m consecutive entries along axis 0 keep exactly n."""
    k, cols = mask.shape
    g = mask.reshape(k // m, m, cols).sum(axis=1)
    return bool(np.all(g == n))


def cmd_masks(a):
    bad = []
    for name in a.weights.split(","):
        w, mask = state(a.state, name), state(a.state, f"sparsity.mask.{name}")
        if not np.all((mask == 0) | (mask == 1)):
            bad.append(f"{name}: mask not 0/1")
        if np.any(w[mask == 0] != 0):
            bad.append(f"{name}: {np.count_nonzero(w[mask == 0])} masked "
                       "weights are non-zero")
        pruned = int(np.sum(mask == 0))
        if a.nm:
            n, m = map(int, a.nm.split(":"))
            if not groups_keep(mask, n, m):
                bad.append(f"{name}: a group along the reduction dim is not "
                           f"{n}:{m}")
            if a.transposable and not groups_keep(mask.T, n, m):
                bad.append(f"{name}: a group of W^T is not {n}:{m}")
        else:
            want = math.floor(a.sparsity * mask.size)
            if not want <= pruned <= want + mask.size // 1000:
                bad.append(f"{name}: {pruned} pruned, expected {want}")
        print(f"{name}: {mask.shape} pruned {pruned} of {mask.size} "
              f"({pruned / mask.size:.4f})")
    for b in bad:
        print("BAD", b)
    print("masks ok" if not bad else "masks BAD")
    return 0 if not bad else 1


def cmd_schedule(a):
    sizes = [int(s) for s in a.sizes.split(",")]
    lines = re.findall(r"^step (\d+): .*sparsity=(\S+)", open(a.log).read(),
                       re.M)
    bad = 0
    for n_steps, got in lines:
        last = int(n_steps) - 1
        points = [t for t in range(a.start, min(last, a.end) + 1)
                  if (t - a.start) % a.frequency == 0 or t == a.end]
        if points:
            t = points[-1]
            p = min(max((t - a.start) / max(a.end - a.start, 1), 0.0), 1.0)
            s = a.sparsity * (1.0 - (1.0 - p) ** 3)
            pruned = [math.floor(s * n) for n in sizes]
        else:
            pruned = [0 for _ in sizes]
        want = sum(pruned) / sum(sizes)
        slack = len(sizes) / sum(sizes)
        ok = abs(float(got) - want) <= slack + 1e-6
        bad += not ok
        print(f"after {n_steps} steps: sparsity {float(got):.5f}, schedule "
              f"{want:.5f} {'ok' if ok else 'BAD'}")
    if not lines:
        print("no sparsity lines BAD")
        return 1
    print("schedule ok" if not bad else "schedule BAD")
    return 0 if not bad else 1


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("accuracy")
    p.add_argument("test")
    p.add_argument("dense")
    p.add_argument("sparse")
    p.add_argument("--max-drop", type=float, required=True)
    p.add_argument("--name", default="sparse")
    p = sub.add_parser("masks")
    p.add_argument("state")
    p.add_argument("--weights", required=True)
    p.add_argument("--nm")
    p.add_argument("--transposable", action="store_true")
    p.add_argument("--sparsity", type=float)
    p = sub.add_parser("schedule")
    p.add_argument("log")
    p.add_argument("--sizes", required=True)
    p.add_argument("--sparsity", type=float, required=True)
    p.add_argument("--start", type=int, required=True)
    p.add_argument("--end", type=int, required=True)
    p.add_argument("--frequency", type=int, required=True)
    a = ap.parse_args()
    return {"accuracy": cmd_accuracy, "masks": cmd_masks,
            "schedule": cmd_schedule}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
