#!/usr/bin/python3
# ===- examples/train/train_reference.py - The PyTorch reference curve -----===#
#
# Part of the Kiln project: an MLIR compiler for training programs.
#
# ===-----------------------------------------------------------------------===#
#
# Trains the network of model.onnx in PyTorch exactly as the README's Kiln
# command does —
#
#   kiln-run model.onnx --make-train-step "loss=cross-entropy optimizer=adam
#       lr=0.01" --train-steps 200 --data data --batch-size 64
#
# that is: the starting weights are model.onnx's initializers, the loss is
# the mean softmax cross-entropy of the logits, the optimizer is
# torch.optim.Adam(lr=0.01) (betas 0.9/0.999, eps 1e-8), and step s (from 0)
# uses rows [64 (s mod 4), 64 (s mod 4) + 64) of data/ — and writes the loss
# of every step (computed before that step's update, as kiln-run prints it)
# to reference_loss.csv. float32 throughout.
# Needs python3-torch (scripts/install-reference-deps.sh).
#
# ===-----------------------------------------------------------------------===#

import argparse
from pathlib import Path

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper

HERE = Path(__file__).resolve().parent


def load_tensor(path):
    t = onnx.TensorProto()
    t.ParseFromString(Path(path).read_bytes())
    return numpy_helper.to_array(t)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--out", type=Path, default=HERE / "reference_loss.csv")
    args = p.parse_args()

    model = onnx.load(str(HERE / "model.onnx"))
    weights = {i.name: torch.tensor(numpy_helper.to_array(i).copy(),
                                    requires_grad=True)
               for i in model.graph.initializer}
    x = torch.from_numpy(load_tensor(HERE / "data" / "input_0.pb").copy())
    y = torch.from_numpy(load_tensor(HERE / "data" / "input_1.pb").copy())
    batches = x.shape[0] // args.batch_size

    def forward(xb):
        h = torch.tanh(F.linear(xb, weights["fc1.weight"], weights["fc1.bias"]))
        h = torch.tanh(F.linear(h, weights["fc2.weight"], weights["fc2.bias"]))
        return F.linear(h, weights["fc3.weight"], weights["fc3.bias"])

    opt = torch.optim.Adam(weights.values(), lr=args.lr)
    lines = ["step,loss"]
    for s in range(args.steps):
        rows = slice((s % batches) * args.batch_size,
                     (s % batches + 1) * args.batch_size)
        opt.zero_grad()
        loss = F.cross_entropy(forward(x[rows]), y[rows])
        loss.backward()
        opt.step()
        lines.append(f"{s + 1},{loss.item():.8g}")
    with torch.no_grad():
        accuracy = (forward(x).argmax(dim=1) == y).float().mean().item()
    args.out.write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out.name}: loss {lines[1].split(',')[1]} -> "
          f"{lines[-1].split(',')[1]}, accuracy after training "
          f"{100 * accuracy:.1f}%")


if __name__ == "__main__":
    main()
