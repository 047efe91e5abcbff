#!/usr/bin/python3
# ===- bench/sparse/run.py - Kiln dense vs sparse-compiled weight matmul ---===#
#
# Part of the Kiln project: an MLIR compiler for training programs.
#
# ===-----------------------------------------------------------------------===#
#
#   bench/sparse/run.py BUILD_DIR [--rows 256] [--size 1024]
#                       [--sparsities 50,80,90,95,99] [--runs N] [--threads T]
#
# Y[M, N] = X[M, K] @ W[K, N] with W (K = N = --size) a dense input that is
# the given percentage of zeros (arrives dense every step, as a trained
# weight does). For each sparsity, three programs are JIT-compiled and timed
# by `kiln-run PROGRAM --test-data DIR --bench N` (median of N steps, after
# a warm-up step that also checks Y against numpy):
#   dense    the plain linalg.matmul: Kiln's GEMM kernel
#            (kiln-cpu-matmul-kernels);
#   sparse   the same matmul marked kiln.sparse_weight: W converted to CSR
#            in the step (kiln-cpu-sparse-weights), the product compiled by
#            MLIR's sparse compiler (kiln-cpu-bufferize); the conversion is
#            paid every step, as it must be for a weight that changes;
#   convert  the conversion alone (the transposes and sparse_tensor.convert
#            the sparse program runs for W, returning the nonzero count),
#            to estimate the product alone: sparse - convert.
# All run in this one process run, one after the other, so they see the same
# machine state. The thread count goes to kiln-run through OMP_NUM_THREADS
# (default: all cores). Ratios are dense / sparse (> 1: sparse is faster).
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

MIN_COLUMNS_ROWS = 16  # kiln-cpu-sparse-weights' default min-columns-rows


def matmul_program(m, k, n, marked):
    mark = " {kiln.sparse_weight}" if marked else ""
    return f"""func.func @main(%x: tensor<{m}x{k}xf32>, %w: tensor<{k}x{n}xf32>) -> tensor<{m}x{n}xf32> {{
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<{m}x{n}xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<{m}x{n}xf32>) -> tensor<{m}x{n}xf32>
  %y = linalg.matmul{mark} ins(%x, %w : tensor<{m}x{k}xf32>, tensor<{k}x{n}xf32>)
                     outs(%f : tensor<{m}x{n}xf32>) -> tensor<{m}x{n}xf32>
  return %y : tensor<{m}x{n}xf32>
}}
"""


def convert_program(m, k, n):
    """What kiln-cpu-sparse-weights emits for W alone (the columns form
    transposes W first), returning the number of stored entries."""
    enc = ("#sparse_tensor.encoding<{ map = (i, j) -> (i : dense, j : "
           "compressed), posWidth = 32, crdWidth = 32 }>")
    if m >= MIN_COLUMNS_ROWS:
        body = f"""  %e = tensor.empty() : tensor<{n}x{k}xf32>
  %wt = linalg.transpose ins(%w : tensor<{k}x{n}xf32>) outs(%e : tensor<{n}x{k}xf32>) permutation = [1, 0]
  %s = sparse_tensor.convert %wt : tensor<{n}x{k}xf32> to tensor<{n}x{k}xf32, #CSR>"""
    else:
        body = f"""  %s = sparse_tensor.convert %w : tensor<{k}x{n}xf32> to tensor<{k}x{n}xf32, #CSR>"""
    st = f"tensor<{n}x{k}xf32, #CSR>" if m >= MIN_COLUMNS_ROWS else \
        f"tensor<{k}x{n}xf32, #CSR>"
    return f"""#CSR = {enc}
func.func @main(%x: tensor<{m}x{k}xf32>, %w: tensor<{k}x{n}xf32>) -> tensor<1xi64> {{
{body}
  %nnz = sparse_tensor.number_of_entries %s : {st}
  %i = arith.index_cast %nnz : index to i64
  %r = tensor.from_elements %i : tensor<1xi64>
  return %r : tensor<1xi64>
}}
"""


def write_pb(path, name, a):
    with open(path, "wb") as f:
        f.write(numpy_helper.from_array(a, name).SerializeToString())


def time_kiln(build, program, data, runs, env):
    out = subprocess.run([os.path.join(build, "bin", "kiln-run"), program,
                          "--test-data", data, "--bench", str(runs)],
                         capture_output=True, text=True, env=env)
    found = re.search(r"step_ms median=([0-9.]+)", out.stdout)
    if out.returncode != 0 or not found:
        sys.exit(f"kiln-run {program} failed (exit {out.returncode}):\n" +
                 out.stdout + out.stderr)
    return float(found.group(1))


def main():
    p = argparse.ArgumentParser(
        description="Kiln dense vs sparse-compiled matmul on a mostly-zero "
        "weight")
    p.add_argument("build")
    p.add_argument("--rows", type=int, default=256, help="M (rows of X)")
    p.add_argument("--size", type=int, default=1024, help="K = N")
    p.add_argument("--sparsities", default="50,80,90,95,99",
                   help="percent of zeros in W")
    p.add_argument("--runs", type=int, default=20)
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
          f"{env.get('OMP_NUM_THREADS', 'all cores')}; median of "
          f"{args.runs} steps (ms)")
    print(f"{'sparsity':>8} {'nnz':>8} {'dense':>9} {'sparse':>9} "
          f"{'convert':>9} {'product~':>9} {'dense/sparse':>12} "
          f"{'dense/product~':>14}")
    with tempfile.TemporaryDirectory() as tmp:
        progs = {}
        for kind, text in (("dense", matmul_program(m, k, n, False)),
                           ("sparse", matmul_program(m, k, n, True)),
                           ("convert", convert_program(m, k, n))):
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
            # The conversion's reference is its count of stored entries.
            cdata = os.path.join(tmp, f"cdata{pct:g}")
            os.makedirs(cdata)
            write_pb(os.path.join(cdata, "input_0.pb"), "x", x)
            write_pb(os.path.join(cdata, "input_1.pb"), "w", w)
            write_pb(os.path.join(cdata, "output_0.pb"), "nnz",
                     np.array([nnz], dtype=np.int64))
            dense = time_kiln(args.build, progs["dense"], data, args.runs, env)
            sparse = time_kiln(args.build, progs["sparse"], data, args.runs,
                               env)
            conv = time_kiln(args.build, progs["convert"], cdata, args.runs,
                             env)
            product = max(sparse - conv, 1e-3)
            print(f"{pct:>7g}% {nnz:>8} {dense:>9.3f} {sparse:>9.3f} "
                  f"{conv:>9.3f} {product:>9.3f} {dense / sparse:>11.2f}x "
                  f"{dense / product:>13.2f}x", flush=True)
    print("sparse = conversion of W (every step) + sparse product; "
          "product~ = sparse - convert (an estimate)")


if __name__ == "__main__":
    main()
