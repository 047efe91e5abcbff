#!/usr/bin/python3
# ===- examples/train/make_example.py - Data and model of the training run -===#
#
# Part of the Kiln project: an MLIR compiler for training programs.
#
# ===-----------------------------------------------------------------------===#
#
# Writes, next to this script:
#
#   model.onnx          an inference MLP exported from PyTorch
#                       (torch.onnx.export, opset 17, symbolic batch):
#                       x[N,2] -> Linear(2,16) -> Tanh -> Linear(16,16) -> Tanh
#                       -> Linear(16,2) -> logits[N,2]; the initializers
#                       fc1.weight, fc1.bias, ... are the starting weights.
#   data/input_0.pb     x[256,2] f32: "two moons", 2 classes, Gaussian noise
#   data/input_1.pb     labels[256] int64
#
# Everything comes from fixed seeds (the data from numpy, the weights from
# torch.manual_seed), so reruns give the same files. train_reference.py
# trains the same network in PyTorch; Kiln trains model.onnx with
# `kiln-run --make-train-step` (see README.md, "A real training run").
# Needs python3-torch (scripts/install-reference-deps.sh).
#
# ===-----------------------------------------------------------------------===#

from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import numpy_helper

HERE = Path(__file__).resolve().parent
SAMPLES = 256
SEED = 20251124


class MLP(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(2, 16)
        self.fc2 = torch.nn.Linear(16, 16)
        self.fc3 = torch.nn.Linear(16, 2)

    def forward(self, x):
        return self.fc3(torch.tanh(self.fc2(torch.tanh(self.fc1(x)))))


def two_moons(rng, n, noise=0.3):
    """Two interleaved half circles, shuffled; labels 0 and 1."""
    half = n // 2
    t0 = rng.uniform(0, np.pi, half)
    t1 = rng.uniform(0, np.pi, n - half)
    upper = np.stack([np.cos(t0), np.sin(t0)], axis=1)
    lower = np.stack([1 - np.cos(t1), 0.5 - np.sin(t1)], axis=1)
    x = np.concatenate([upper, lower]) + noise * rng.standard_normal((n, 2))
    y = np.concatenate([np.zeros(half), np.ones(n - half)]).astype(np.int64)
    order = rng.permutation(n)
    # Centered and scaled so that tanh units start in their linear range.
    x = (x[order] - np.array([0.5, 0.25])) / np.array([0.9, 0.5])
    return x.astype(np.float32), y[order]


def main():
    rng = np.random.default_rng(SEED)
    x, y = two_moons(rng, SAMPLES)
    data = HERE / "data"
    data.mkdir(exist_ok=True)
    (data / "input_0.pb").write_bytes(
        numpy_helper.from_array(x, "x").SerializeToString())
    (data / "input_1.pb").write_bytes(
        numpy_helper.from_array(y, "labels").SerializeToString())

    torch.manual_seed(SEED)
    model = MLP()
    path = HERE / "model.onnx"
    torch.onnx.export(model, torch.from_numpy(x[:4]), str(path),
                      input_names=["x"], output_names=["logits"],
                      dynamic_axes={"x": {0: "N"}, "logits": {0: "N"}},
                      opset_version=17)
    m = onnx.load(str(path))
    m.producer_name = "kiln-examples (torch.onnx.export)"
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, str(path))
    names = [i.name for i in m.graph.initializer]
    print(f"wrote {path.name} (initializers {', '.join(names)}) and "
          f"data/ ({SAMPLES} samples, {int(y.sum())} of class 1)")


if __name__ == "__main__":
    main()
