#!/usr/bin/python3
# ===- test/Inputs/make_quantize_models.py - Mixed-precision test tasks ---===#
#
# Part of the Kiln project: an MLIR compiler for training programs.
#
# ===-----------------------------------------------------------------------===#
#
#   make_quantize_models.py regression|regression-wide|classification|overflow DIR
#
# Synthetic training tasks (fixed seeds) on which kiln-quantize's modes are
# judged against f32 training of the same model:
#
#   regression      y = sin(x . a) + 0.5 x . b + noise (sigma 0.3), x[2048,16];
#                   MLP 16 -> 32 -> ReLU -> 32 -> ReLU -> 1; train with
#                   loss=mse. The noise keeps the loss above a floor, so
#                   "final loss within 2%" compares fits, not rounding noise
#                   of a loss near zero.
#   regression-wide the same data, MLP 16 -> 128 -> ReLU -> 128 -> ReLU -> 1:
#                   its 128x128 weight's Adam moments (16384 elements) are
#                   large enough for adam-8bit's 8-bit blocks.
#   classification  three overlapping Gaussian blobs in 8 dims, x[2048,8],
#                   int64 labels; MLP 8 -> 32 -> ReLU -> 3; loss=cross-entropy.
#   overflow        the regression model with targets of magnitude 1e3, so
#                   that f16 gradients of loss * 65536 overflow at first.
#
#   DIR/model.onnx, DIR/data/input_0.pb (x), DIR/data/input_1.pb (label).
#
# ===-----------------------------------------------------------------------===#

import argparse
import pathlib

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def mlp(rng, sizes):
    """An ONNX MLP (MatMul + Add, ReLU between) with He-initialized weights."""
    nodes, inits = [], []
    prev = "x"
    for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        w = (rng.standard_normal((n_in, n_out)) *
             np.sqrt(2.0 / n_in)).astype(np.float32)
        b = np.zeros(n_out, np.float32)
        inits += [numpy_helper.from_array(w, f"W{i}"),
                  numpy_helper.from_array(b, f"b{i}")]
        nodes.append(helper.make_node("MatMul", [prev, f"W{i}"], [f"m{i}"]))
        last = i == len(sizes) - 2
        out = "y" if last else f"a{i}"
        nodes.append(helper.make_node("Add", [f"m{i}", f"b{i}"], [out]))
        if not last:
            nodes.append(helper.make_node("Relu", [out], [f"h{i}"]))
            out = f"h{i}"
        prev = out
    return nodes, inits


def save_model(path, name, nodes, inits, x_shape, y_shape):
    """The graph x -> y as a checked opset-17 ONNX model at `path`."""
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, y_shape)],
        initializer=inits)
    model = helper.make_model(graph, producer_name="kiln-test",
                              opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("task", choices=["regression", "regression-wide",
                                     "classification", "overflow"])
    ap.add_argument("out")
    args = ap.parse_args()
    rng = np.random.default_rng(7)
    n = 2048
    if args.task in ("regression", "regression-wide", "overflow"):
        d = 16
        x = rng.standard_normal((n, d)).astype(np.float32)
        a = rng.standard_normal(d) / np.sqrt(d)
        b = rng.standard_normal(d) / np.sqrt(d)
        y = np.sin(x @ a) + 0.5 * (x @ b) + 0.3 * rng.standard_normal(n)
        if args.task == "overflow":
            y = y * 1000.0
        label = y.reshape(n, 1).astype(np.float32)
        sizes = [d, 128, 128, 1] if args.task == "regression-wide" else \
            [d, 32, 32, 1]
        label_info = helper.make_tensor_value_info("label", TensorProto.FLOAT,
                                                   [n, 1])
    else:
        d, classes = 8, 3
        centers = rng.standard_normal((classes, d)) * 1.2
        label = rng.integers(0, classes, n).astype(np.int64)
        x = (centers[label] + rng.standard_normal((n, d))).astype(np.float32)
        sizes = [d, 32, classes]
    nodes, inits = mlp(rng, sizes)
    out = pathlib.Path(args.out)
    (out / "data").mkdir(parents=True, exist_ok=True)
    save_model(out / "model.onnx", args.task, nodes, inits, [n, d],
               [n, sizes[-1]])
    for k, (array, name) in enumerate([(x, "x"), (label, "label")]):
        (out / "data" / f"input_{k}.pb").write_bytes(
            numpy_helper.from_array(array, name).SerializeToString())


if __name__ == "__main__":
    main()
