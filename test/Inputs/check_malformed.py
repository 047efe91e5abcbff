#!/usr/bin/python3
# ===- test/Inputs/check_malformed.py - Run the malformed-model corpus ----===#
#
# Part of the Kiln project: an MLIR compiler for training programs.
#
# ===-----------------------------------------------------------------------===#
#
#   check_malformed.py --kiln-run BIN --kiln-opt BIN DIR
#
# Runs `kiln-run DIR/<case>.onnx` and `kiln-opt DIR/<case>.onnx -o
# /dev/null` on every case of DIR/expected.txt (make_malformed_models.py
# writes both) and checks that each tool exits with exactly code 2 (not 0,
# 1, a signal or a hang) and prints the case's expected substring on stderr.
# Two runs at a time, each with 60 s and 8 GiB of address space (plus 256 MiB
# per CPU), so that a runaway allocation fails fast instead of starving the
# machine. Prints
#
#   malformed: N cases, M exit 2 with the expected message in kiln-run and kiln-opt
#
# (M counts the cases where both tools pass), then one line per failure:
#
#   FAILED <case> <tool>: exit <code>: <first 200 characters of stderr>
#
# (repeated on stderr) and exits 1 if any failed.
#
# ===-----------------------------------------------------------------------===#

import argparse
import os
import resource
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

TIMEOUT_S = 60
# Address space, not resident memory: thread stacks and per-thread buffers
# (OpenMP, OpenBLAS) count, hence the allowance per CPU.
MEMORY_LIMIT_BYTES = (8 << 30) + (os.cpu_count() or 1) * (256 << 20)


def run(tool, binary, model):
    """(exit code or how it ended, stderr) of one tool on one model."""
    cmd = [binary, str(model)]
    if tool == "kiln-opt":
        cmd += ["-o", "/dev/null"]
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired as e:
        err = (e.stderr or b"").decode(errors="replace")
        return f"timeout after {TIMEOUT_S} s", err
    except OSError as e:
        return "none (cannot start it)", str(e)
    err = p.stderr.decode(errors="replace")
    if p.returncode < 0:
        try:
            name = signal.Signals(-p.returncode).name
        except ValueError:
            name = f"signal {-p.returncode}"
        return f"{p.returncode} ({name})", err
    return str(p.returncode), err


def check(job):
    name, expected, tool, binary, model = job
    code, err = run(tool, binary, model)
    ok = code == "2" and expected in err
    return name, tool, ok, code, err


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kiln-run", required=True)
    ap.add_argument("--kiln-opt", required=True)
    ap.add_argument("dir")
    args = ap.parse_args()
    # Inherited by the tools (set here, not in a preexec_fn, which is unsafe
    # with the worker threads).
    # Not under AddressSanitizer (scripts/sanitize.sh sets ASAN_OPTIONS):
    # its shadow memory needs terabytes of address space.
    if "ASAN_OPTIONS" not in os.environ:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = MEMORY_LIMIT_BYTES
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    folder = Path(args.dir)
    cases = []
    for line in (folder / "expected.txt").read_text().splitlines():
        if line.strip():
            name, expected = line.split("\t", 1)
            cases.append((name, expected))
    tools = [("kiln-run", args.kiln_run), ("kiln-opt", args.kiln_opt)]
    jobs = [(name, expected, tool, binary, folder / f"{name}.onnx")
            for name, expected in cases for tool, binary in tools]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(check, jobs))
    failed_cases = {name for name, _, ok, _, _ in results if not ok}
    print(f"malformed: {len(cases)} cases, {len(cases) - len(failed_cases)} "
          f"exit 2 with the expected message in kiln-run and kiln-opt")
    for name, tool, ok, code, err in results:
        if not ok:
            first = err[:200].replace("\n", "\\n")
            line = f"FAILED {name} {tool}: exit {code}: {first}"
            print(line)
            # Also on stderr, where lit shows all of them (FileCheck's input
            # dump shows only the first few lines of stdout).
            print(line, file=sys.stderr)
    sys.exit(1 if failed_cases else 0)


if __name__ == "__main__":
    main()
