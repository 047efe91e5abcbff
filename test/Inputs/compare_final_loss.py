#!/usr/bin/python3
# ===- test/Inputs/compare_final_loss.py - Final losses of two runs -------===#
#
# Part of the Kiln project: an MLIR compiler for training programs.
#
# ===-----------------------------------------------------------------------===#
#
#   compare_final_loss.py REF_LOG LOG --rtol R [--name NAME]
#
# Reads the last "step N: loss=L" line of two kiln-run logs (the same
# number of steps of the same task) and prints "NAME: final loss L vs REF
# (rel. diff D) ok" when |L - REF| <= R * |REF|, else "... DIFFERENT"
# (exit 1).
#
# ===-----------------------------------------------------------------------===#

import argparse
import re
import sys


def final(path):
    lines = re.findall(r"^step (\d+): loss=(\S+)", open(path).read(), re.M)
    return (int(lines[-1][0]), float(lines[-1][1])) if lines else (None, None)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ref")
    ap.add_argument("log")
    ap.add_argument("--rtol", type=float, required=True)
    ap.add_argument("--name", default="run")
    args = ap.parse_args()
    (n_ref, ref), (n, loss) = final(args.ref), final(args.log)
    if ref is None or loss is None or n != n_ref:
        print(f"{args.name}: missing or mismatched step lines "
              f"({n_ref} vs {n}) DIFFERENT")
        return 1
    rel = abs(loss - ref) / abs(ref)
    verdict = "ok" if rel <= args.rtol else "DIFFERENT"
    print(f"{args.name}: final loss {loss:.6g} vs {ref:.6g} after {n} steps "
          f"(rel. diff {rel:.4f}) {verdict}")
    return 0 if verdict == "ok" else 1


if __name__ == "__main__":
    sys.exit(main())
