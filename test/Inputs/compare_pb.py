#!/usr/bin/python3
# ===- test/Inputs/compare_pb.py - Compare two ONNX TensorProto files -----===#
#
# Part of the Kiln project: an MLIR compiler for training programs.
#
# ===-----------------------------------------------------------------------===#
#
#   compare_pb.py ACTUAL.pb EXPECTED.pb [--atol A] [--rtol R]
#
# Reads both files with onnx's own parser and prints one line,
#   "<name> <dtype>[<shape>] <same|DIFFERENT> max_abs_err=<e>",
# where name, dtype and shape are ACTUAL's; exits 0 only if the element type
# and shape agree and |actual - expected| <= atol + rtol * |expected|
# everywhere (defaults 1e-5 and 1e-4). Independent of Kiln's own reader.
#
# ===-----------------------------------------------------------------------===#

import argparse
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def load(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return t, numpy_helper.to_array(t)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("actual")
    p.add_argument("expected")
    p.add_argument("--atol", type=float, default=1e-5)
    p.add_argument("--rtol", type=float, default=1e-4)
    args = p.parse_args()
    tensor, actual = load(args.actual)
    _, expected = load(args.expected)
    same = actual.dtype == expected.dtype and actual.shape == expected.shape
    err = 0.0
    if same and actual.size:
        a, e = actual.astype(np.float64), expected.astype(np.float64)
        err = float(np.max(np.abs(a - e)))
        same = bool(np.all(np.abs(a - e) <= args.atol + args.rtol * np.abs(e)))
    shape = "x".join(str(d) for d in actual.shape)
    print(f"{tensor.name} {actual.dtype}[{shape}] "
          f"{'same' if same else 'DIFFERENT'} max_abs_err={err:g}")
    sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
