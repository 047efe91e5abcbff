#!/usr/bin/python3
# ===- bench/gemm/run.py - Kiln's f32 GEMM against OpenBLAS sgemm ---------===#
#
# Part of the Kiln project: an MLIR compiler for training programs.
#
# ===-----------------------------------------------------------------------===#
#
#   bench/gemm/run.py BUILD_DIR [--sizes 1024,2048] [--runs N] [--threads T]
#                     [--pipeline-off]
#
# For each size S, writes an ONNX model C = MatMul(A[S,S], B[S,S]) (A and B
# are graph inputs, so kiln-run feeds random ones), times
# `kiln-run MODEL --bench N` (the JIT-compiled step alone, median of N) and
# numpy's A @ B (OpenBLAS sgemm when numpy is linked to it; see
# scripts/install-bench-deps.sh) with the same thread count, and prints
# GFLOP/s (2*S^3 / median) and Kiln's fraction of the BLAS throughput.
# Both run in this one process run, one after the other, so they see the same
# machine state. The thread count goes to both through OMP_NUM_THREADS and
# OPENBLAS_NUM_THREADS (default: all cores).
#
# ===-----------------------------------------------------------------------===#

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time


def make_model(path, m, k, n):
    import onnx
    from onnx import TensorProto, helper
    a = helper.make_tensor_value_info("A", TensorProto.FLOAT, [m, k])
    b = helper.make_tensor_value_info("B", TensorProto.FLOAT, [k, n])
    c = helper.make_tensor_value_info("C", TensorProto.FLOAT, [m, n])
    graph = helper.make_graph([helper.make_node("MatMul", ["A", "B"], ["C"])],
                              "gemm", [a, b], [c])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.save(model, path)


def blas_name(np):
    """The BLAS library numpy has loaded (Debian's numpy links libblas.so.3,
    an alternative that libopenblas0-pthread points at OpenBLAS)."""
    libs = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1]
            if "blas" in path.lower():
                libs.add(os.path.realpath(path))
    return ",".join(sorted(libs)) or "?"


def time_numpy(m, k, n, runs):
    import numpy as np
    rng = np.random.default_rng(0)
    a = rng.standard_normal((m, k), dtype=np.float32)
    b = rng.standard_normal((k, n), dtype=np.float32)
    c = a @ b  # Warm-up (threads start, pages touched).
    ms = []
    for _ in range(runs):
        t = time.perf_counter()
        np.matmul(a, b, out=c)
        ms.append((time.perf_counter() - t) * 1e3)
    ms.sort()
    return ms[len(ms) // 2], blas_name(np)


def time_kiln(build, model, runs, extra):
    out = subprocess.run([os.path.join(build, "bin", "kiln-run"), model,
                          "--bench", str(runs)] + extra,
                         capture_output=True, text=True)
    found = re.search(r"step_ms median=([0-9.]+)", out.stdout)
    if out.returncode not in (0, 1) or not found:
        sys.exit("kiln-run failed:\n" + out.stdout + out.stderr)
    return float(found.group(1))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("build")
    p.add_argument("--sizes", default="1024,2048")
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    a = p.parse_args()
    # Before numpy loads OpenBLAS and before kiln-run starts OpenMP.
    os.environ["OMP_NUM_THREADS"] = str(a.threads)
    os.environ["OPENBLAS_NUM_THREADS"] = str(a.threads)
    sys.path.insert(0, os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    from openblas import tune_openblas
    print(f"threads={a.threads} OPENBLAS_CORETYPE={tune_openblas()}")
    print(f"{'size':>6} {'kiln_ms':>9} {'kiln_gflops':>11} "
          f"{'blas_ms':>9} {'blas_gflops':>11} {'ratio':>6}")
    with tempfile.TemporaryDirectory() as tmp:
        for s in (int(x) for x in a.sizes.split(",")):
            model = os.path.join(tmp, f"gemm{s}.onnx")
            make_model(model, s, s, s)
            flops = 2.0 * s * s * s
            kiln_ms = time_kiln(a.build, model, a.runs, [])
            blas_ms, blas = time_numpy(s, s, s, a.runs)
            kg, bg = flops / kiln_ms / 1e6, flops / blas_ms / 1e6
            print(f"{s:>6} {kiln_ms:>9.3f} {kg:>11.1f} {blas_ms:>9.3f} "
                  f"{bg:>11.1f} {kg / bg:>6.2f}", flush=True)
    print(f"blas={blas}")


if __name__ == "__main__":
    main()
