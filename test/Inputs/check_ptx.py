#!/usr/bin/python3
# ===- test/Inputs/check_ptx.py - Compile training steps to PTX, assemble --===#
#
# Part of the Kiln project: an MLIR compiler for training programs.
#
# ===-----------------------------------------------------------------------===#
#
#   check_ptx.py --kiln-opt BIN --kiln-translate BIN --ptxas BIN --out DIR
#                [--make-train-step OPTIONS|@FILE] [--arch sm_90 --arch sm_80]
#                [--halide [--allow-refused]] MODEL.onnx|MODEL.mlir ...
#
# For each model: import it (kiln-opt, with --kiln-make-train-step=OPTIONS
# if given, or read from FILE with any extra options appended: an inference
# model becomes a training step), compile it for
# CUDA per architecture (kiln-translate --export-ptx --cuda-chip ARCH) and
# assemble every kernel module with `ptxas -arch=ARCH`. Prints one line per
# model and architecture, "MODEL ARCH: K kernel modules assembled", and
# exits 1 naming the first failure (a compile error, no kernels, or a
# module that ptxas rejects, with ptxas's message).
#
# --halide checks the halide-cuda target instead: one PTX module per model
# (kiln-translate --export-halide-ptx, compute capability 8.0, the newest
# Halide 14 knows besides 8.6), assembled by ptxas for every --arch; prints
# "MODEL halide ARCH: K kernels assembled". With --allow-refused, a model
# with an op Halide does not cover prints "MODEL halide: refused: <reason>"
# and the others go on.
#
# ===-----------------------------------------------------------------------===#

import argparse
import pathlib
import subprocess
import sys


def run(cmd):
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        print(f"FAILED: {' '.join(map(str, cmd))}\n{out.stderr}{out.stdout}")
        sys.exit(1)
    return out.stdout


def check_halide(a, name, mlir, ptx_dir):
    cmd = [a.kiln_translate, mlir, "--export-halide-ptx", "--ptx-dir",
           ptx_dir, "--cuda-chip", "sm_80", "-o", "/dev/null"]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        lines = [l for l in out.stderr.splitlines()
                 if "no Halide translation" in l]
        reason = lines[0] if lines else ""
        if a.allow_refused and reason:
            op = reason.split("halide-cuda: ", 1)[-1].split(" at ", 1)[0]
            print(f"{name} halide: refused: {op} has no Halide translation")
            return
        print(f"FAILED: {' '.join(map(str, cmd))}\n{out.stderr}{out.stdout}")
        sys.exit(1)
    files = sorted(ptx_dir.glob("*.ptx"))
    if len(files) != 1:
        print(f"{name} halide: expected one PTX module, found {len(files)}")
        sys.exit(1)
    kernels = files[0].read_text().count(".visible .entry")
    if kernels == 0:
        print(f"{name} halide: no kernels (everything ran on the host)")
        sys.exit(1)
    for arch in a.arch or ["sm_90", "sm_80"]:
        run([a.ptxas, f"-arch={arch}", files[0], "-o",
             files[0].with_suffix(f".{arch}.cubin")])
        print(f"{name} halide {arch}: {kernels} kernels assembled")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kiln-opt", required=True)
    ap.add_argument("--kiln-translate", required=True)
    ap.add_argument("--ptxas", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--make-train-step")
    ap.add_argument("--extra-options", default="",
                    help="appended to the --make-train-step options")
    ap.add_argument("--arch", action="append")
    ap.add_argument("--halide", action="store_true")
    ap.add_argument("--allow-refused", action="store_true")
    ap.add_argument("models", nargs="+")
    a = ap.parse_args()
    out = pathlib.Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    for k, model in enumerate(a.models):
        name = pathlib.Path(model).parent.name or pathlib.Path(model).stem
        mlir = out / f"{k}.mlir"
        cmd = [a.kiln_opt, model, "-o", mlir]
        if a.make_train_step:
            options = a.make_train_step
            if options.startswith("@"):
                options = pathlib.Path(options[1:]).read_text().strip()
            options = (options + " " + a.extra_options).strip()
            cmd.append(f"--kiln-make-train-step={options}")
        run(cmd)
        if a.halide:
            check_halide(a, name, mlir, out / f"{k}.halide")
            continue
        for arch in a.arch or ["sm_90", "sm_80"]:
            ptx = out / f"{k}.{arch}"
            run([a.kiln_translate, mlir, "--export-ptx", "--ptx-dir", ptx,
                 "--cuda-chip", arch, "-o", "/dev/null"])
            files = sorted(ptx.glob("*.ptx"))
            if not files:
                print(f"{name} {arch}: no kernel modules")
                sys.exit(1)
            for f in files:
                run([a.ptxas, f"-arch={arch}", f, "-o", f.with_suffix(".cubin")])
            print(f"{name} {arch}: {len(files)} kernel modules assembled")


if __name__ == "__main__":
    main()
