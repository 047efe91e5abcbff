#!/usr/bin/python3
# ===- bench/sparse/run.py - Kiln dense vs sparse-compiled weight matmul ---===#
#
# Part of the Kiln project: an MLIR compiler for training programs.
#
# ===-----------------------------------------------------------------------===#
#
#   bench/sparse/run.py BUILD_DIR [--rows 256] [--size 1024]
#                       [--sparsities 50,80,90,95,99] [--runs N] [--rounds R]
#                       [--threads T]
#
# Y[M, N] = X[M, K] @ W[K, N] with W (K = N = --size) the given percentage
# of zeros. For each sparsity, three programs are JIT-compiled and timed by
# `kiln-run PROGRAM --test-data DIR --bench N` (median of N steps, after a
# warm-up step that also checks Y against numpy's float64 product):
#   dense    the plain linalg.matmul, W a dense input: Kiln's GEMM kernel
#            (kiln-cpu-matmul-kernels);
#   sparse   the same matmul marked kiln.sparse_weight, W a dense input
#            with zeros (as a trained weight arrives every step): W is
#            converted to CSC in the step (kiln-cpu-sparse-weights), the
#            product compiled by MLIR's sparse compiler (kiln-cpu-bufferize);
#   stored   the marked matmul on a W stored as CSC: its positions,
#            coordinates and values (built by numpy) are the inputs,
#            assembled into a sparse_tensor in the program, so the step is
#            the sparse product alone (a weight kept compressed).
# All run in this one process run, interleaved in R rounds (default 3) so
# that they see the same machine state; each program's best round counts
# (lowest median, lowest fastest step). The thread count goes to kiln-run
# through OMP_NUM_THREADS (default: all cores). Ratios are dense / sparse
# and dense / stored (> 1: sparse is faster).
#
# ===-----------------------------------------------------------------------===#

import argparse
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
from onnx import numpy_helper

# The programs are the ones the lit tests run (sparse-weights-run.test).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))), "test", "Inputs"))
from make_sparse_weight_cases import program as matmul_program  # noqa: E402
from make_sparse_weight_cases import stored_program  # noqa: E402

MIN_COLUMNS_ROWS = 16  # kiln-cpu-sparse-weights' default min-columns-rows


def csc(w):
    """W's CSC buffers: per column, the rows of its nonzeros, in order."""
    cols = [np.flatnonzero(w[:, j]) for j in range(w.shape[1])]
    pos = np.concatenate([[0], np.cumsum([len(c) for c in cols])])
    crd = np.concatenate(cols) if cols else np.zeros(0)
    val = np.concatenate([w[c, j] for j, c in enumerate(cols)])
    return pos.astype(np.int32), crd.astype(np.int32), val.astype(np.float32)


def write_pb(path, name, a):
    with open(path, "wb") as f:
        f.write(numpy_helper.from_array(a, name).SerializeToString())


def time_kiln(build, program, data, runs, env):
    out = subprocess.run([os.path.join(build, "bin", "kiln-run"), program,
                          "--test-data", data, "--bench", str(runs),
                          # 1024-long f32 sums against float64 references.
                          "--atol", "1e-3", "--rtol", "1e-3"],
                         capture_output=True, text=True, env=env)
    found = re.search(r"step_ms median=([0-9.]+) min=([0-9.]+)", out.stdout)
    if out.returncode != 0 or not found:
        sys.exit(f"kiln-run {program} failed (exit {out.returncode}):\n" +
                 out.stdout + out.stderr)
    return float(found.group(1)), float(found.group(2))


def main():
    p = argparse.ArgumentParser(
        description="Kiln dense vs sparse-compiled matmul on a mostly-zero "
        "weight")
    p.add_argument("build")
    p.add_argument("--rows", type=int, default=256, help="M (rows of X)")
    p.add_argument("--size", type=int, default=1024, help="K = N")
    p.add_argument("--sparsities", default="50,80,90,95,99",
                   help="percent of zeros in W")
    p.add_argument("--runs", type=int, default=50)
    p.add_argument("--rounds", type=int, default=3,
                   help="interleaved rounds; the best round counts")
    p.add_argument("--threads", type=int, default=0)
    args = p.parse_args()

    env = dict(os.environ)
    if args.threads > 0:
        env["OMP_NUM_THREADS"] = str(args.threads)
    m, k, n = args.rows, args.size, args.size
    rng = np.random.default_rng(0)
    form = "columns" if m >= MIN_COLUMNS_ROWS else "rows"
    print(f"Y[{m}x{n}] = X[{m}x{k}] @ W[{k}x{n}] f32, W dense input with "
          f"zeros; sparse form: {form}; threads: "
          f"{env.get('OMP_NUM_THREADS', 'all cores')}; {args.runs} steps "
          f"per run, best of {args.rounds} interleaved rounds (ms)")
    cols = (f"{'dense':>7} {'sparse':>7} {'stored':>7} {'d/s':>6} "
            f"{'d/st':>6}")
    print(f"{'':>17} {'---- median of the steps ----':^36}   "
          f"{'---- fastest step ----':^36}")
    print(f"{'sparsity':>8} {'nnz':>8} {cols}   {cols}")
    with tempfile.TemporaryDirectory() as tmp:
        progs = {}
        for kind, text in (("dense", matmul_program(m, k, n, False, False)),
                           ("sparse", matmul_program(m, k, n, True, False))):
            progs[kind] = os.path.join(tmp, kind + ".mlir")
            with open(progs[kind], "w") as f:
                f.write(text)
        for pct in [float(s) for s in args.sparsities.split(",")]:
            x = rng.standard_normal((m, k)).astype(np.float32)
            w = rng.standard_normal((k, n)).astype(np.float32)
            w[rng.random((k, n)) < pct / 100.0] = 0.0
            nnz = int(np.count_nonzero(w))
            y = (x.astype(np.float64) @ w.astype(np.float64)).astype(
                np.float32)
            data = os.path.join(tmp, f"data{pct:g}")
            os.makedirs(data)
            write_pb(os.path.join(data, "input_0.pb"), "x", x)
            write_pb(os.path.join(data, "input_1.pb"), "w", w)
            write_pb(os.path.join(data, "output_0.pb"), "y", y)
            sdata = os.path.join(tmp, f"sdata{pct:g}")
            os.makedirs(sdata)
            for i, (name, a) in enumerate(
                    (("x", x),) + tuple(zip(("pos", "crd", "val"), csc(w)))):
                write_pb(os.path.join(sdata, f"input_{i}.pb"), name, a)
            write_pb(os.path.join(sdata, "output_0.pb"), "y", y)
            stored = os.path.join(tmp, f"stored{pct:g}.mlir")
            with open(stored, "w") as f:
                f.write(stored_program(m, k, n, nnz))
            runs = {"dense": (progs["dense"], data),
                    "sparse": (progs["sparse"], data),
                    "stored": (stored, sdata)}
            # Rounds of the three, interleaved: a burst of load from
            # elsewhere hits one round, not one program; each keeps its best
            # round (lowest median, lowest min).
            times = {kind: [] for kind in runs}
            for _ in range(args.rounds):
                for kind, (program, d) in runs.items():
                    times[kind].append(time_kiln(args.build, program, d,
                                                 args.runs, env))
            best = {kind: (min(t[0] for t in ts), min(t[1] for t in ts))
                    for kind, ts in times.items()}
            dense, sparse, kept = best["dense"], best["sparse"], best["stored"]
            line = f"{pct:>7g}% {nnz:>8}"
            for i in (0, 1):  # median, min
                line += (f" {dense[i]:>7.3f} {sparse[i]:>7.3f} "
                         f"{kept[i]:>7.3f} {dense[i] / sparse[i]:>5.2f}x "
                         f"{dense[i] / kept[i]:>5.2f}x  ")
            print(line, flush=True)
    print("ms per step. sparse = W converted to CSC every step + sparse "
          "product; stored = W stored as CSC, the sparse product alone; "
          "d/s = dense / sparse, d/st = dense / stored (> 1: sparse faster)")


if __name__ == "__main__":
    main()
