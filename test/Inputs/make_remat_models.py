#!/usr/bin/python3
# ===- test/Inputs/make_remat_models.py - Remat acceptance models ---------===#
#
# Part of the Kiln project: an MLIR compiler for training programs.
#
# ===-----------------------------------------------------------------------===#
#
#   make_remat_models.py transformer|cnn DIR [--blocks N] [--depth K]
#
# Writes an ONNX inference model and one batch of training data for
# `kiln-run --make-train-step`, the models that kiln-remat is judged on:
#
#   transformer  N (default 8) stacked pre-norm blocks: LayerNormalization,
#                two-head attention (Q/K/V MatMuls, Softmax), residuals,
#                FFN with exact GELU (Erf); X[4,32,64] -> Y[4,32,64];
#                train with loss=mse against target[4,32,64].
#   cnn          Conv(3->8, 3x3) -> BatchNormalization -> Relu -> MaxPool
#                -> Conv(8->16, 3x3) -> Relu -> MaxPool -> Flatten -> Gemm;
#                X[8,3,16,16] -> logits[8,10]; train with
#                loss=cross-entropy against int64 labels[8]. --depth K
#                puts K more full-resolution Conv(3x3) -> Relu layers first.
#
#   DIR/model.onnx, DIR/test_data_set_0/input_0.pb (X),
#   DIR/test_data_set_0/input_1.pb (the label).
#
# Weights and data come from a fixed seed, so the files are reproducible.
#
# ===-----------------------------------------------------------------------===#

import argparse
import math
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


class Graph:
    def __init__(self, rng):
        self.rng = rng
        self.nodes, self.inits, self.count = [], [], 0

    def name(self, base):
        self.count += 1
        return f"{base}_{self.count}"

    def node(self, op, inputs, **attrs):
        out = self.name(op.lower())
        self.nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    def init(self, base, array):
        name = self.name(base)
        self.inits.append(numpy_helper.from_array(array, name))
        return name

    def weight(self, base, shape, scale):
        return self.init(base, (scale * self.rng.standard_normal(shape))
                         .astype(np.float32))

    def const(self, value, dtype=np.float32):
        return self.init("c", np.array(value, dtype=dtype))


def transformer(g, blocks, B=4, S=32, D=64, H=2, FF=128):
    dh = D // H
    heads = g.const([B, S, H, dh], np.int64)
    merged = g.const([B, S, D], np.int64)
    x = "X"
    for _ in range(blocks):
        def layer_norm(v):
            gamma = g.init("ln_g", np.ones(D, np.float32))
            beta = g.init("ln_b", np.zeros(D, np.float32))
            return g.node("LayerNormalization", [v, gamma, beta], axis=-1,
                          epsilon=1e-5)

        def linear(v, n_in, n_out):
            w = g.weight("W", (n_in, n_out), 1 / math.sqrt(n_in))
            b = g.weight("b", (n_out,), 0.02)
            return g.node("Add", [g.node("MatMul", [v, w]), b])

        ln1 = layer_norm(x)

        def proj(perm):
            return g.node("Transpose",
                          [g.node("Reshape", [linear(ln1, D, D), heads])],
                          perm=perm)

        q, kt, v = proj([0, 2, 1, 3]), proj([0, 2, 3, 1]), proj([0, 2, 1, 3])
        scores = g.node("Mul", [g.node("MatMul", [q, kt]),
                                g.const(1 / math.sqrt(dh))])
        att = g.node("Softmax", [scores], axis=-1)
        ctx = g.node("Transpose", [g.node("MatMul", [att, v])],
                     perm=[0, 2, 1, 3])
        ctx = g.node("Reshape", [ctx, merged])
        h1 = g.node("Add", [x, linear(ctx, D, D)])
        f = linear(layer_norm(h1), D, FF)
        erf = g.node("Erf", [g.node("Div", [f, g.const(math.sqrt(2.0))])])
        gelu = g.node("Mul", [g.node("Mul", [f, g.node("Add", [erf, g.const(1.0)])]),
                              g.const(0.5)])
        x = g.node("Add", [h1, linear(gelu, FF, D)])
    g.nodes.append(helper.make_node("Identity", [x], ["Y"], name="out"))
    x_data = g.rng.standard_normal((B, S, D)).astype(np.float32)
    target = g.rng.standard_normal((B, S, D)).astype(np.float32)
    inputs = [helper.make_tensor_value_info("X", TensorProto.FLOAT, [B, S, D])]
    outputs = [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [B, S, D])]
    return inputs, outputs, [x_data, target]


def cnn(g, depth, N=8, C=3, HW=16, classes=10):
    x = "X"
    for i in range(depth):
        # Extra full-resolution conv -> relu layers: they make the
        # activations, not one op's working set, dominate the peak.
        w = g.weight("convx_w", (8, C if i == 0 else 8, 3, 3),
                     1 / math.sqrt((C if i == 0 else 8) * 9))
        b = g.weight("convx_b", (8,), 0.02)
        x = g.node("Relu", [g.node("Conv", [x, w, b], pads=[1, 1, 1, 1])])
    cin = C if depth == 0 else 8
    w1 = g.weight("conv1_w", (8, cin, 3, 3), 1 / math.sqrt(cin * 9))
    b1 = g.weight("conv1_b", (8,), 0.02)
    c1 = g.node("Conv", [x, w1, b1], pads=[1, 1, 1, 1])
    bn = g.node("BatchNormalization",
                [c1, g.init("bn_g", np.ones(8, np.float32)),
                 g.init("bn_b", np.zeros(8, np.float32)),
                 g.init("bn_mean", np.zeros(8, np.float32)),
                 g.init("bn_var", np.ones(8, np.float32))], epsilon=1e-5)
    p1 = g.node("MaxPool", [g.node("Relu", [bn])], kernel_shape=[2, 2],
                strides=[2, 2])
    w2 = g.weight("conv2_w", (16, 8, 3, 3), 1 / math.sqrt(8 * 9))
    b2 = g.weight("conv2_b", (16,), 0.02)
    c2 = g.node("Relu", [g.node("Conv", [p1, w2, b2], pads=[1, 1, 1, 1])])
    p2 = g.node("MaxPool", [c2], kernel_shape=[2, 2], strides=[2, 2])
    flat = g.node("Flatten", [p2], axis=1)
    features = 16 * (HW // 4) * (HW // 4)
    w3 = g.weight("fc_w", (features, classes), 1 / math.sqrt(features))
    b3 = g.weight("fc_b", (classes,), 0.02)
    g.nodes.append(helper.make_node("Gemm", [flat, w3, b3], ["logits"],
                                    name="fc"))
    x_data = g.rng.standard_normal((N, C, HW, HW)).astype(np.float32)
    labels = g.rng.integers(0, classes, size=(N,)).astype(np.int64)
    inputs = [helper.make_tensor_value_info("X", TensorProto.FLOAT,
                                            [N, C, HW, HW])]
    outputs = [helper.make_tensor_value_info("logits", TensorProto.FLOAT,
                                             [N, classes])]
    return inputs, outputs, [x_data, labels]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["transformer", "cnn"])
    parser.add_argument("dir")
    parser.add_argument("--blocks", type=int, default=8,
                        help="transformer blocks")
    parser.add_argument("--depth", type=int, default=0,
                        help="extra full-resolution conv -> relu layers "
                        "before the CNN's first conv -> BN block")
    args = parser.parse_args()
    g = Graph(np.random.default_rng(2024))
    if args.kind == "transformer":
        inputs, outputs, data = transformer(g, args.blocks)
    else:
        inputs, outputs, data = cnn(g, args.depth)
    graph = helper.make_graph(g.nodes, args.kind, inputs, outputs,
                              initializer=g.inits)
    model = helper.make_model(graph, producer_name="kiln-tests",
                              opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    out = Path(args.dir)
    (out / "test_data_set_0").mkdir(parents=True, exist_ok=True)
    onnx.save(model, out / "model.onnx")
    for k, array in enumerate(data):
        tensor = numpy_helper.from_array(array, "X" if k == 0 else "label")
        (out / "test_data_set_0" / f"input_{k}.pb").write_bytes(
            tensor.SerializeToString())


if __name__ == "__main__":
    main()
