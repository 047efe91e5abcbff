#!/usr/bin/python3
# ===- test/Inputs/make_sparsity_models.py - Sparse-training test task ----===#
#
# Part of the Kiln project: an MLIR compiler for training programs.
#
# ===-----------------------------------------------------------------------===#
#
#   make_sparsity_models.py DIR
#
# A synthetic classification task (fixed seeds) on which kiln-sparsify's
# modes are judged against dense training of the same model: labels are
# the argmax of a random teacher (a linear map plus a 32 -> 64 -> tanh -> 4
# network) on Gaussian inputs, with 2% of the labels flipped at random.
# The student is an MLP 32 -> 128 -> ReLU -> 128 -> ReLU -> 4 (MatMul +
# Add, He-initialized: make_quantize_models.mlp); every weight dimension
# is a multiple of 4, so 2:4 transposable masks fit.
#
#   DIR/model.onnx (batch 256: train with kiln-run --batch-size 256)
#   DIR/data/input_0.pb (x[32768, 32]), DIR/data/input_1.pb (int64 labels)
#   DIR/test/input_0.pb, DIR/test/input_1.pb: 4096 held-out samples
#
# ===-----------------------------------------------------------------------===#

import argparse
import pathlib

import numpy as np
from onnx import numpy_helper

from make_quantize_models import mlp, save_model  # the same MLP builder

SIZES = [32, 128, 128, 4]
BATCH = 256  # the model's batch; kiln-run --batch-size 256 walks the data


def samples(rng, teacher, n):
    x = rng.standard_normal((n, SIZES[0])).astype(np.float32)
    a, w1, w2 = teacher
    label = np.argmax(x @ a + np.tanh(x @ w1) @ w2, axis=1).astype(np.int64)
    flip = rng.random(n) < 0.02
    label[flip] = rng.integers(0, SIZES[-1], flip.sum())
    return x, label


def write(folder, x, label):
    folder.mkdir(parents=True, exist_ok=True)
    for k, (array, name) in enumerate([(x, "x"), (label, "label")]):
        (folder / f"input_{k}.pb").write_bytes(
            numpy_helper.from_array(array, name).SerializeToString())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    args = ap.parse_args()
    rng = np.random.default_rng(11)
    teacher = (rng.standard_normal((SIZES[0], SIZES[-1])),
               rng.standard_normal((SIZES[0], 64)) / np.sqrt(SIZES[0]),
               rng.standard_normal((64, SIZES[-1])))
    x, label = samples(rng, teacher, 32768)
    test_x, test_label = samples(rng, teacher, 4096)
    nodes, inits = mlp(rng, SIZES)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    save_model(out / "model.onnx", "sparsity", nodes, inits,
               [BATCH, SIZES[0]], [BATCH, SIZES[-1]])
    write(out / "data", x, label)
    write(out / "test", test_x, test_label)


if __name__ == "__main__":
    main()
