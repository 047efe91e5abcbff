#!/usr/bin/python3
# ===- bench/fuse/make_mlp.py - An MLP for the fusion benchmark -----------===#
#
# Part of the Kiln project: an MLIR compiler for training programs.
#
# ===-----------------------------------------------------------------------===#
#
#   make_mlp.py OUT.onnx [--batch N] [--width W] [--depth D] [--classes C]
#               [--adam-inputs DIR]
#
# Writes an inference MLP with a static batch, x[N, W] -> D x (Gemm(W, W)
# + bias -> ReLU) -> Gemm(W, C) + bias -> logits[N, C], weights from a
# fixed seed. `kiln-opt --kiln-make-train-step` turns it into the training
# step that bench/fuse/run.sh times with and without kiln-fuse. With
# --adam-inputs, also writes DIR/input_K.pb for that step with Adam: x,
# labels, the weights, zero moments and step count 0, in the order of the
# step's arguments (random inputs would make the moments negative and the
# update NaN).
#
# ===-----------------------------------------------------------------------===#

import argparse

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--width", type=int, default=256)
    p.add_argument("--depth", type=int, default=2)
    p.add_argument("--classes", type=int, default=10)
    p.add_argument("--adam-inputs")
    a = p.parse_args()
    rng = np.random.default_rng(0)
    nodes, inits = [], []
    x = "x"
    for i in range(a.depth + 1):
        last = i == a.depth
        n_out = a.classes if last else a.width
        w = (rng.standard_normal((a.width, n_out)) / np.sqrt(a.width))
        inits.append(numpy_helper.from_array(w.astype(np.float32), f"W{i}"))
        inits.append(numpy_helper.from_array(
            np.zeros(n_out, np.float32), f"b{i}"))
        y = "logits" if last else f"h{i}"
        nodes.append(helper.make_node("Gemm", [x, f"W{i}", f"b{i}"],
                                      [y + "_pre" if not last else y]))
        if not last:
            nodes.append(helper.make_node("Relu", [y + "_pre"], [y]))
        x = y
    graph = helper.make_graph(
        nodes, "mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                       [a.batch, a.width])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT,
                                       [a.batch, a.classes])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.save(model, a.out)
    if a.adam_inputs:
        import os
        os.makedirs(a.adam_inputs, exist_ok=True)
        weights = [numpy_helper.to_array(t) for t in inits]
        tensors = [rng.standard_normal((a.batch, a.width)).astype(np.float32),
                   rng.integers(0, a.classes, a.batch).astype(np.int64)]
        tensors += weights
        tensors += [np.zeros_like(w) for w in weights]  # first moments
        tensors += [np.zeros_like(w) for w in weights]  # second moments
        tensors.append(np.array(0, np.int64))           # step count
        for k, t in enumerate(tensors):
            with open(os.path.join(a.adam_inputs, f"input_{k}.pb"), "wb") as f:
                f.write(numpy_helper.from_array(t).SerializeToString())


if __name__ == "__main__":
    main()
