#!/usr/bin/python3
# ===- test/Inputs/compare_targets.py - Conformance of two targets -------===#
#
# Part of the Kiln project: an MLIR compiler for training programs.
#
# ===-----------------------------------------------------------------------===#
#
#   compare_targets.py REFERENCE.json OTHER.json --name NAME
#
# Two scripts/conformance.py --json results on the same cases (the cpu
# target and another one). Every case that passes on the reference must
# pass on the other target, unless the other target refuses it with an
# error that names an op or type it does not cover ("no Halide
# translation", "unsupported element type", "no runtime dtype"): a
# mismatch, a crash, a hang or any other error is a failure. Prints
# "NAME: P of R reference-passing cases pass, U refused (not covered),
# F failed" and each failure; exit 1 if F > 0.
#
# ===-----------------------------------------------------------------------===#

import argparse
import json
import sys

NOT_COVERED = ("no Halide translation", "unsupported element type",
               "no runtime dtype", "unsupported type")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("reference")
    ap.add_argument("other")
    ap.add_argument("--name", default="target")
    a = ap.parse_args()
    ref = json.load(open(a.reference))
    other = json.load(open(a.other))
    passed = refused = 0
    failures = []
    for case, r in sorted(ref.items()):
        if r["outcome"] != "pass":
            continue
        o = other.get(case, {"outcome": "missing", "reason": ""})
        if o["outcome"] == "pass":
            passed += 1
        elif o["outcome"] == "error" and any(s in o["reason"]
                                             for s in NOT_COVERED):
            refused += 1
        else:
            failures.append(f"{case}: {o['outcome']}: {o['reason']}")
    total = sum(1 for r in ref.values() if r["outcome"] == "pass")
    print(f"{a.name}: {passed} of {total} reference-passing cases pass, "
          f"{refused} refused (not covered), {len(failures)} failed")
    for f in failures:
        print("FAILED", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
