#!/usr/bin/python3
# ===- bench/cpu/run.py - Kiln against PyTorch eager, CPU training steps ---===#
#
# Part of the Kiln project: an MLIR compiler for training programs.
#
# ===-----------------------------------------------------------------------===#
#
#   bench/cpu/run.py BUILD_DIR [--runs N] [--repeat R] [--warmup W]
#                    [--threads T] [--models mlp,transformer,cnn]
#                    [--no-single-thread] [--keep DIR]
#
# Times one training step of each model in bench/cpu/models.py (MLP + SGD,
# transformer block + Adam, CNN with BatchNormalization + SGD with momentum)
# in one run, side by side:
#
#   - PyTorch eager (Debian's python3-torch; scripts/install-bench-deps.sh)
#     with torch.set_num_threads(T), T = the core count unless --threads,
#     and, for reference, with one thread;
#   - Kiln, with OMP_NUM_THREADS=T (its GEMM kernels and vector loops run
#     on OpenMP): `kiln-run model.onnx --make-train-step "<same loss, optimizer>"
#     --train-steps 2 --bench N` in three variants: no fusion at all
#     (--fuse-elementwise=false: every op its own loop nest), the default
#     pipeline (linalg's elementwise producer-consumer fusion), and kiln-fuse
#     on top (--pipeline "func.func(kiln-fuse)": fusion groups for epilogues,
#     reductions, the optimizer). kiln-run times each step's compiled call
#     alone (compilation excluded) after the two warm-up steps.
#
# This machine's timings drift by tens of percent from one run to the next
# (a shared VM): a two-thread process runs in a fast or a slow mode for its
# whole life (the MLP step with kiln-fuse at 4.2-4.6 or 5.7-6.0 ms; one
# thread a steady 7.5 ms; with ASLR off or without mmap'd blocks too, so
# not the buffers' addresses). Every measurement is therefore repeated R
# times (--repeat, default 6), PyTorch and the Kiln variants interleaved,
# and the table shows each side's best median over the repeats: the same
# estimator for both, and with 6 processes a slow mode on all of them is
# unlikely.
#
# Both sides start from the same weights and data. Before any number is
# trusted, the losses of the first two steps (the forward pass, then the
# forward pass after one optimizer update) are compared between PyTorch and
# each Kiln variant (rtol 1e-3); a mismatch is printed in the table and makes
# the exit status 1.
#
# Prints a Markdown table: per-step times (ms), ratios PyTorch / Kiln
# (> 1: Kiln is faster) and the fusion speedup (Kiln without fusion / with
# kiln-fuse), and their geometric means. A benchmark, never part of the
# test suite.
#
# ===-----------------------------------------------------------------------===#

import argparse
import datetime
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
import models  # noqa: E402
from openblas import tune_openblas  # noqa: E402

FUSE = "func.func(kiln-fuse)"
# (key, column title, extra kiln-run arguments)
VARIANTS = (("nofuse", "Kiln no fusion", ["--fuse-elementwise=false"]),
            ("default", "Kiln linalg fusion", []),
            ("fused", "Kiln kiln-fuse", ["--pipeline", FUSE]))
LOSS_RTOL = 1e-3
KILN_WARMUP = 2  # --train-steps: the steps whose losses are checked


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            info = f.read()
    except OSError:
        return platform.processor() or "unknown CPU"
    name = re.search(r"^model name\s*:\s*(.*)$", info, re.M)
    flags = re.search(r"^flags\s*:\s*(.*)$", info, re.M)
    isa = ""
    if flags:
        f = flags.group(1).split()
        isa = ("AVX-512" if "avx512f" in f else "AVX2" if "avx2" in f
               else "SSE")
    return f"{name.group(1).strip() if name else 'unknown CPU'}, {isa}"


def time_torch(step, runs, warmup):
    """Per-step wall times (ms) of `runs` steps after `warmup` steps."""
    for _ in range(warmup):
        step()
    ms = []
    for _ in range(runs):
        start = time.perf_counter()
        step()
        ms.append((time.perf_counter() - start) * 1e3)
    return ms


def run_kiln(build, model_dir, spec, runs, extra):
    """(median, min, max) ms and the warm-up losses of one Kiln variant, or
    an error string."""
    cmd = [os.path.join(build, "bin", "kiln-run"),
           os.path.join(model_dir, "model.onnx"),
           "--make-train-step", spec.kiln_options(),
           "--data", os.path.join(model_dir, "data"),
           "--train-steps", str(KILN_WARMUP), "--bench", str(runs)] + extra
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        err = (proc.stderr.strip().splitlines() or ["exit %d" %
                                                    proc.returncode])[-1]
        return None, err
    timing = re.search(r"^step_ms median=(\S+) min=(\S+) max=(\S+)$",
                       proc.stdout, re.M)
    losses = {int(s): float(v) for s, v in
              re.findall(r"^step (\d+): loss=(\S+)$", proc.stdout, re.M)}
    if not timing:
        return None, "no step_ms line in kiln-run's output"
    median, lo, hi = (float(v) for v in timing.groups())
    return {"median": median, "min": lo, "max": hi,
            "losses": [losses.get(s + 1) for s in range(KILN_WARMUP)],
            "wall_s": wall}, None


def losses_match(kiln, ref):
    return all(k is not None and abs(k - r) <= LOSS_RTOL * abs(r) + 1e-6
               for k, r in zip(kiln, ref))


def fmt_ms(v):
    return "—" if v is None else (f"{v:.1f}" if v >= 10 else f"{v:.2f}")


def fmt_ratio(a, b):
    return "—" if a is None or b is None else f"{a / b:.2f}x"


def geomean(values):
    values = [v for v in values if v]
    if not values:
        return None
    return math.exp(sum(math.log(v) for v in values) / len(values))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("build", help="Kiln build folder (with bin/kiln-run)")
    ap.add_argument("--runs", type=int, default=20,
                    help="timed steps per measurement (default 20)")
    ap.add_argument("--repeat", type=int, default=6,
                    help="measurements per side, interleaved; the best "
                    "median is reported (default 6)")
    ap.add_argument("--warmup", type=int, default=3,
                    help="PyTorch warm-up steps (default 3; Kiln: 2)")
    ap.add_argument("--threads", type=int, default=os.cpu_count(),
                    help="threads of both sides (default: the core count)")
    ap.add_argument("--models", default="mlp,transformer,cnn")
    ap.add_argument("--no-single-thread", action="store_true",
                    help="skip the one-thread PyTorch column")
    ap.add_argument("--keep", help="write the models and data here")
    args = ap.parse_args()
    # Kiln's OpenMP kernels (kiln-run inherits it) and PyTorch's intra-op
    # pool get the same thread count.
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    blas_core = tune_openblas()  # Before torch loads its BLAS.

    try:
        import torch
    except ImportError:
        sys.exit("run.py: PyTorch is missing (scripts/install-bench-deps.sh)")
    kiln_run = os.path.join(args.build, "bin", "kiln-run")
    if not os.access(kiln_run, os.X_OK):
        sys.exit(f"run.py: no {kiln_run}")

    names = [n for n in args.models.split(",") if n]
    for n in names:
        if n not in models.MODELS:
            sys.exit(f"run.py: unknown model '{n}' "
                     f"(known: {', '.join(models.MODELS)})")
    tmp = None
    if args.keep:
        root = args.keep
    else:
        tmp = tempfile.TemporaryDirectory(prefix="kiln-bench-cpu-")
        root = tmp.name

    rows, failed = [], False
    for name in names:
        spec = models.MODELS[name]()
        model_dir = os.path.join(root, name)
        spec.write(model_dir)
        print(f"[{name}] {spec.title}", file=sys.stderr, flush=True)

        torch.manual_seed(0)
        torch.set_num_threads(args.threads)
        step = models.make_torch_step(spec)
        ref = [float(step()) for _ in range(KILN_WARMUP)]
        row = {"name": name, "title": spec.title, "pt": None, "pt1": None,
               "ref": ref, "check": {}}
        best = lambda old, new: new if old is None else min(old, new)
        for round_ in range(args.repeat):
            pt = statistics.median(time_torch(
                step, args.runs, max(0, args.warmup - KILN_WARMUP)))
            row["pt"] = best(row["pt"], pt)
            if not args.no_single_thread and args.threads != 1:
                torch.set_num_threads(1)
                row["pt1"] = best(row["pt1"], statistics.median(
                    time_torch(step, args.runs, 1)))
                torch.set_num_threads(args.threads)
            print(f"[{name}] round {round_ + 1}: pytorch {pt:.2f} ms "
                  f"(losses {ref[0]:.6g}, {ref[1]:.6g})", file=sys.stderr,
                  flush=True)
            for key, title, extra in VARIANTS:
                result, err = run_kiln(args.build, model_dir, spec,
                                       args.runs, extra)
                if err:
                    print(f"[{name}] {title}: FAILED: {err}",
                          file=sys.stderr, flush=True)
                    row["check"][key] = f"{key}: cannot run"
                    failed = True
                    continue
                row[key] = best(row.get(key), result["median"])
                ok = losses_match(result["losses"], ref)
                failed |= not ok
                if key not in row["check"] or not ok:
                    row["check"][key] = (
                        f"{key} ok" if ok else
                        f"{key} MISMATCH {result['losses']} vs {ref}")
                print(f"[{name}] round {round_ + 1}: {title} "
                      f"{result['median']:.2f} ms (min {result['min']:.2f}, "
                      f"max {result['max']:.2f}; losses {result['losses']}; "
                      f"kiln-run wall {result['wall_s']:.1f} s)",
                      file=sys.stderr, flush=True)
        rows.append(row)

    single = any(r["pt1"] for r in rows)
    print()
    print(f"Training step, CPU — {datetime.date.today().isoformat()}, "
          f"{cpu_name()}, {os.cpu_count()} cores; PyTorch "
          f"{torch.__version__} eager with {args.threads} threads "
          f"(OPENBLAS_CORETYPE={blas_core}); per-step median of "
          f"{args.runs} steps after warm-up, best of {args.repeat} "
          f"interleaved repeats (ms)")
    print()
    head = ["model", f"PyTorch {args.threads}T"]
    if single:
        head.append("PyTorch 1T")
    head += [title for _, title, _ in VARIANTS]
    head += ["PyTorch/Kiln (linalg fusion)", "PyTorch/Kiln (kiln-fuse)",
             "fusion speedup", "same loss"]
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join(["---"] + ["---:"] * (len(head) - 2) + [":---"])
          + "|")
    for r in rows:
        cells = [r["title"], fmt_ms(r["pt"])]
        if single:
            cells.append(fmt_ms(r["pt1"]))
        cells += [fmt_ms(r.get(key)) for key, _, _ in VARIANTS]
        cells += [fmt_ratio(r["pt"], r.get("default")),
                  fmt_ratio(r["pt"], r.get("fused")),
                  fmt_ratio(r.get("nofuse"), r.get("fused")),
                  "; ".join(r["check"].values())]
        print("| " + " | ".join(cells) + " |")

    def gm(f):
        g = geomean([f(r) for r in rows if all(
            r.get(k) for k in ("pt", "nofuse", "default", "fused"))])
        return fmt_ratio(g, 1) if g else "—"
    cells = ["**geomean**", "", *([""] if single else []),
             *([""] * len(VARIANTS)),
             gm(lambda r: r["pt"] / r["default"]),
             gm(lambda r: r["pt"] / r["fused"]),
             gm(lambda r: r["nofuse"] / r["fused"]), ""]
    print("| " + " | ".join(cells) + " |")
    print()
    print("Ratios are PyTorch time / Kiln time (> 1: Kiln is faster). The "
          "fusion speedup is Kiln without any fusion (--fuse-elementwise="
          "false) / Kiln with kiln-fuse (--pipeline \"" + FUSE + "\", on "
          "top of the default linalg elementwise fusion). Kiln's kernels "
          f"run on OMP_NUM_THREADS={args.threads} threads, PyTorch on "
          f"torch.set_num_threads({args.threads})"
          + ("; the PyTorch 1T column is PyTorch on one thread, for "
             "reference." if single else "."))
    print("Kiln times the compiled step call alone (kiln-run --bench after "
          f"{KILN_WARMUP} warm-up steps, state fed back by buffer swap); "
          "PyTorch times zero_grad + forward + loss + backward + "
          "optimizer.step in Python. The first two steps' losses agree "
          f"between the two sides within rtol {LOSS_RTOL:g} ('same loss').")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
