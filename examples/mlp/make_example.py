#!/usr/bin/python3
# ===- examples/mlp/make_example.py - Build the bundled MLP example --------===#
#
# Part of the Kiln project: an MLIR compiler for training programs.
#
# ===-----------------------------------------------------------------------===#
#
# Writes, next to this script, a small MLP inference model in the ONNX
# backend-test layout:
#
#   model.onnx                    x[4,8] f32 -> Gemm(W1[8,16], b1) -> Relu
#                                 -> MatMul(W2[16,3]) -> Add(b2)
#                                 -> Softmax(axis=-1) -> probs[4,3] (opset 17)
#   test_data_set_0/input_0.pb    x
#   test_data_set_0/output_0.pb   probs, computed here with plain numpy
#                                 formulas (float64, rounded to f32), not by
#                                 any Kiln code, so it is an independent
#                                 reference for `kiln-run --test-data`.
#
# Weights and input come from a fixed seed, so reruns give identical files.
# Run with /usr/bin/python3 (Debian's python3-onnx and python3-numpy).
#
# ===-----------------------------------------------------------------------===#

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = Path(__file__).resolve().parent
BATCH, IN, HIDDEN, OUT = 4, 8, 16, 3
SEED = 20240601


def make_parameters(rng):
    """Weights scaled by 1/sqrt(fan_in) so the softmax is not saturated."""
    w1 = rng.standard_normal((IN, HIDDEN)) / np.sqrt(IN)
    b1 = 0.1 * rng.standard_normal(HIDDEN)
    w2 = rng.standard_normal((HIDDEN, OUT)) / np.sqrt(HIDDEN)
    b2 = 0.1 * rng.standard_normal(OUT)
    return [a.astype(np.float32) for a in (w1, b1, w2, b2)]


def make_model(w1, b1, w2, b2):
    nodes = [
        helper.make_node("Gemm", ["x", "W1", "b1"], ["h0"], name="fc1",
                         transB=0),
        helper.make_node("Relu", ["h0"], ["h1"], name="relu1"),
        helper.make_node("MatMul", ["h1", "W2"], ["z0"], name="fc2"),
        helper.make_node("Add", ["z0", "b2"], ["logits"], name="bias2"),
        helper.make_node("Softmax", ["logits"], ["probs"], name="softmax",
                         axis=-1),
    ]
    initializers = [numpy_helper.from_array(a, name) for a, name in
                    ((w1, "W1"), (b1, "b1"), (w2, "W2"), (b2, "b2"))]
    graph = helper.make_graph(
        nodes, "mlp",
        inputs=[helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                              [BATCH, IN])],
        outputs=[helper.make_tensor_value_info("probs", TensorProto.FLOAT,
                                               [BATCH, OUT])],
        initializer=initializers)
    model = helper.make_model(graph, producer_name="kiln-examples",
                              opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    return model


def reference_probs(x, w1, b1, w2, b2):
    """The model's function in plain numpy, in float64."""
    x, w1, b1, w2, b2 = (a.astype(np.float64) for a in (x, w1, b1, w2, b2))
    hidden = np.maximum(x @ w1 + b1, 0.0)
    logits = hidden @ w2 + b2
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return (shifted / shifted.sum(axis=-1, keepdims=True)).astype(np.float32)


def save_tensor(array, name, path):
    path.write_bytes(numpy_helper.from_array(array, name).SerializeToString())


def main():
    rng = np.random.default_rng(SEED)
    w1, b1, w2, b2 = make_parameters(rng)
    x = rng.standard_normal((BATCH, IN)).astype(np.float32)

    onnx.save(make_model(w1, b1, w2, b2), str(HERE / "model.onnx"))
    data = HERE / "test_data_set_0"
    data.mkdir(exist_ok=True)
    save_tensor(x, "x", data / "input_0.pb")
    probs = reference_probs(x, w1, b1, w2, b2)
    assert np.allclose(probs.sum(axis=-1), 1.0, atol=1e-6)
    save_tensor(probs, "probs", data / "output_0.pb")
    print("wrote %s (probs[0] = %s)" % (HERE, probs[0]))


if __name__ == "__main__":
    main()
