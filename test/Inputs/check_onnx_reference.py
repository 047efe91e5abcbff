#!/usr/bin/env python3
# ===- test/Inputs/check_onnx_reference.py - An export run by onnx itself --===#
#
# Part of the Kiln project: an MLIR compiler for training programs.
#
# ===-----------------------------------------------------------------------===#
#
#   python check_onnx_reference.py --kiln-run BIN --out DIR --rtol R
#                                  NAME PROGRAM.mlir EXPORTED.onnx
#
# Needs onnx >= 1.13 (its ReferenceEvaluator, a numpy implementation of the
# ONNX spec; the .venv-ref of scripts/install-reference-deps.sh
# --check-venv has it). Draws seeded inputs for the exported model's graph
# inputs, runs the kiln program with kiln-run on them (--test-data, as
# input_K.pb files) and the exported model with onnx's ReferenceEvaluator,
# and requires every output within R of the reference, relative to the
# output's largest magnitude (integers and booleans exactly). Prints
#   NAME: K outputs, max relative difference to onnx's reference D
# and exits 1 otherwise, naming the output.
#
# ===-----------------------------------------------------------------------===#

import argparse
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import numpy_helper
from onnx.reference import ReferenceEvaluator


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kiln-run", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--rtol", type=float, required=True)
    ap.add_argument("name")
    ap.add_argument("program")
    ap.add_argument("exported")
    a = ap.parse_args()
    model = onnx.load(a.exported)
    rng = np.random.default_rng(3)
    data = os.path.join(a.out, "inputs")
    os.makedirs(data, exist_ok=True)
    feeds = {}
    for k, graph_input in enumerate(model.graph.input):
        tensor = graph_input.type.tensor_type
        shape = [d.dim_value for d in tensor.shape.dim]
        dtype = onnx.helper.tensor_dtype_to_np_dtype(tensor.elem_type)
        if dtype == np.bool_:
            value = rng.integers(0, 2, size=shape).astype(dtype)
        elif np.issubdtype(dtype, np.integer):
            # Class labels and indices: small non-negative integers.
            value = rng.integers(0, 3, size=shape).astype(dtype)
        else:
            value = (rng.standard_normal(shape) * 0.5).astype(dtype)
        feeds[graph_input.name] = value
        onnx.save_tensor(numpy_helper.from_array(value, graph_input.name),
                         os.path.join(data, f"input_{k}.pb"))
    outputs = os.path.join(a.out, "kiln")
    run = subprocess.run([a.kiln_run, a.program, "--test-data", data,
                          "--write-outputs", outputs],
                         capture_output=True, text=True)
    if run.returncode not in (0, 1):  # 1: no expected outputs to match
        print(f"{a.name}: kiln-run failed:\n{run.stderr}")
        sys.exit(1)
    reference = ReferenceEvaluator(model).run(None, feeds)
    worst = 0.0
    for k, (graph_output, expected) in enumerate(zip(model.graph.output,
                                                     reference)):
        got = numpy_helper.to_array(
            onnx.load_tensor(os.path.join(outputs, f"output_{k}.pb")))
        expected = np.asarray(expected)
        if got.shape != expected.shape:
            print(f"{a.name}: {graph_output.name}: shape {got.shape}, "
                  f"onnx's reference {expected.shape}")
            sys.exit(1)
        if got.dtype == np.bool_ or np.issubdtype(got.dtype, np.integer):
            bad = not np.array_equal(got, expected)
            diff = float(bad)
        else:
            scale = max(float(np.abs(expected).max()), 1e-30) if got.size else 1.0
            diff = float(np.abs(got.astype(np.float64) -
                                expected.astype(np.float64)).max()) / scale \
                if got.size else 0.0
            bad = diff > a.rtol
        if bad:
            print(f"{a.name}: {graph_output.name} differs from onnx's "
                  f"reference by {diff:.2e} (relative)")
            sys.exit(1)
        worst = max(worst, diff)
    print(f"{a.name}: {len(model.graph.output)} outputs, max relative "
          f"difference to onnx's reference {worst:.1e}")


main()
