#!/usr/bin/python3
# ===- test/Inputs/check_ptx.py - Compile training steps to PTX, assemble --===#
#
# Part of the Kiln project: an MLIR compiler for training programs.
#
# ===-----------------------------------------------------------------------===#
#
#   check_ptx.py --kiln-opt BIN --kiln-translate BIN --ptxas BIN --out DIR
#                [--make-train-step OPTIONS|@FILE] [--arch sm_90 --arch sm_80]
#                MODEL.onnx|MODEL.mlir ...
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
