#!/usr/bin/python3
# ===- test/Inputs/check_onnx_export.py - Export to ONNX and back ---------===#
#
# Part of the Kiln project: an MLIR compiler for training programs.
#
# ===-----------------------------------------------------------------------===#
#
#   check_onnx_export.py --bin DIR --out DIR [--make-train-step OPTIONS]
#                        [--pipeline PASSES] [--rtol R] NAME=MODEL ...
#
# For each model (.onnx or kiln .mlir): kiln-opt writes the kiln program
# (with --kiln-make-train-step=OPTIONS and then PASSES, e.g. kiln-remat,
# when given), kiln-translate --export-onnx writes it as ONNX, onnx's
# checker (full_check: types and shapes inferred by onnx itself) accepts it,
# and kiln-run runs the kiln program and the exported model on the same
# seeded random inputs: every output must be bit-identical, or with
# --rtol within R relative to the output's largest magnitude (an export
# whose re-import computes in another order). Prints
#   NAME: checker ok, N nodes, K outputs identical   (or "within R")
# and exits 1 at the first failure, saying which.
#
# ===-----------------------------------------------------------------------===#

import argparse
import glob
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def run(cmd):
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        print(f"FAILED ({out.returncode}): {' '.join(cmd)}\n{out.stderr}{out.stdout}")
        sys.exit(1)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--make-train-step")
    ap.add_argument("--pipeline")
    ap.add_argument("--rtol", type=float)
    ap.add_argument("models", nargs="+")
    a = ap.parse_args()
    tool = lambda name: os.path.join(a.bin, name)
    for spec in a.models:
        name, model = spec.split("=", 1)
        work = os.path.join(a.out, name)
        os.makedirs(work, exist_ok=True)
        program = os.path.join(work, "program.mlir")
        passes = []
        if a.make_train_step:
            passes.append(f"kiln-make-train-step{{{a.make_train_step}}}")
        if a.pipeline:
            passes.append(a.pipeline)
        cmd = [tool("kiln-opt"), model, "-o", program]
        if passes:
            cmd.insert(2, f"--pass-pipeline=builtin.module({','.join(passes)})")
        run(cmd)
        exported = os.path.join(work, "exported.onnx")
        run([tool("kiln-translate"), program, "--export-onnx", "-o", exported])
        m = onnx.load(exported)
        try:
            onnx.checker.check_model(m, full_check=True)
        except Exception as e:  # noqa: BLE001 - report any checker failure
            print(f"{name}: onnx.checker rejects the export: {e}")
            sys.exit(1)
        outputs = []
        for label, path in (("kiln", program), ("onnx", exported)):
            outdir = os.path.join(work, "out_" + label)
            run([tool("kiln-run"), path, "--seed", "11", "--write-outputs",
                 outdir])
            outputs.append(sorted(glob.glob(os.path.join(outdir, "*.pb"))))
        if len(outputs[0]) != len(outputs[1]) or not outputs[0]:
            print(f"{name}: {len(outputs[0])} outputs from the program, "
                  f"{len(outputs[1])} from the export")
            sys.exit(1)
        for f0, f1 in zip(*outputs):
            x = numpy_helper.to_array(onnx.load_tensor(f0))
            y = numpy_helper.to_array(onnx.load_tensor(f1))
            same = x.shape == y.shape and x.dtype == y.dtype
            if same and a.rtol is not None:
                scale = max(float(np.abs(x).max()), 1e-30) if x.size else 1.0
                same = bool(np.all(np.abs(x.astype(np.float64) -
                                          y.astype(np.float64)) <= a.rtol * scale))
            elif same:
                same = x.tobytes() == y.tobytes()
            if not same:
                diff = np.abs(x.astype(np.float64) - y.astype(np.float64)).max() \
                    if x.shape == y.shape else "shape"
                print(f"{name}: {os.path.basename(f0)} differs (max |d| {diff})")
                sys.exit(1)
        verdict = "identical" if a.rtol is None else f"within {a.rtol:g}"
        print(f"{name}: checker ok, {len(m.graph.node)} nodes, "
              f"{len(outputs[0])} outputs {verdict}")


main()
