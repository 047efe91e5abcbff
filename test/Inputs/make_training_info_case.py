#!/usr/bin/python3
# ===- test/Inputs/make_training_info_case.py - A TrainingInfoProto case --===#
#
# Part of the Kiln project: an MLIR compiler for training programs.
#
# ===-----------------------------------------------------------------------===#
#
#   make_training_info_case.py VARIANT DIR STEPS
#
# Writes a linear-regression model whose training program is an ONNX
# TrainingInfoProto, and the expected state after STEPS steps:
#
#   inference graph    Y = X @ W + B      (W "fc/weight" [3,2], B "fc.bias" [2]
#                                          initializers, X [6,3] input)
#   initialization     Constant nodes: fc.bias <- zeros, iter <- 0
#                      (fc/weight keeps its initializer value)
#   algorithm          inputs: target [6,2]; initializers lr = 0.1 and
#                      iter (int64 step counter, mutable)
#                      loss = mean((Y - target)^2)
#                      VARIANT "manual": the gradients written out as
#                        dW = 2/(6*2) X^T (Y - target), dB = 2/12 sum_0(Y-target)
#                      VARIANT "gradient": an ONNX Gradient node
#                        (ai.onnx.preview.training, xs = [fc/weight, fc.bias])
#                      VARIANTs "bad-key" / "bad-value": "manual" with an
#                        update_binding key that is no initializer / a
#                        value that is no output (import must fail)
#                      W_new = W - lr dW, B_new = B - lr dB, iter_new = iter + 1
#                      outputs: loss, W_new, B_new, iter_new
#   update_binding     fc/weight <- W_new, fc.bias <- B_new, iter <- iter_new
#
#   DIR/model.onnx
#   DIR/test_data_set_0/input_{0,1}.pb     X, target
#   DIR/test_data_set_0/output_K.pb        Y, loss, W_new, B_new, iter_new of
#                                          the last (STEPS-th) step
#   DIR/initializers/<file>.pb             the state after STEPS steps, named
#                                          as kiln-run --write-initializers
#                                          names its files
#
# The reference is plain numpy in float64 (rounded to f32), independent of
# Kiln. Inputs come from a fixed seed.
#
# ===-----------------------------------------------------------------------===#

import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

N, D, M = 6, 3, 2
LR = 0.1
W_NAME, B_NAME = "fc/weight", "fc.bias"
TRAINING_DOMAIN = "ai.onnx.preview.training"


def const_node(name, array):
    return helper.make_node("Constant", [], [name], name=f"const_{name}",
                            value=numpy_helper.from_array(array, name))


def make_model(variant, w0, b_initial):
    inference = helper.make_graph(
        [helper.make_node("MatMul", ["X", W_NAME], ["XW"], name="matmul"),
         helper.make_node("Add", ["XW", B_NAME], ["Y"], name="bias")],
        "linreg",
        inputs=[helper.make_tensor_value_info("X", TensorProto.FLOAT, [N, D])],
        outputs=[helper.make_tensor_value_info("Y", TensorProto.FLOAT, [N, M])],
        initializer=[numpy_helper.from_array(w0, W_NAME),
                     numpy_helper.from_array(b_initial, B_NAME)])

    nodes = [
        helper.make_node("Sub", ["Y", "target"], ["diff"], name="diff"),
        helper.make_node("Mul", ["diff", "diff"], ["sq"], name="square"),
        helper.make_node("ReduceMean", ["sq"], ["loss"], name="mse",
                         keepdims=0),
    ]
    if variant == "manual":
        scale = np.array(2.0 / (N * M), np.float32)
        nodes += [
            const_node("scale", scale),
            const_node("axes0", np.array([0], np.int64)),
            helper.make_node("Transpose", ["X"], ["Xt"], name="xt",
                             perm=[1, 0]),
            helper.make_node("MatMul", ["Xt", "diff"], ["XtD"], name="xtd"),
            helper.make_node("Mul", ["XtD", "scale"], ["dW"], name="dw"),
            helper.make_node("ReduceSum", ["diff", "axes0"], ["sumD"],
                             name="sumd", keepdims=0),
            helper.make_node("Mul", ["sumD", "scale"], ["dB"], name="db"),
        ]
    else:
        nodes.append(helper.make_node(
            "Gradient", [W_NAME, B_NAME], ["dW", "dB"], name="gradient",
            domain=TRAINING_DOMAIN, xs=[W_NAME, B_NAME], y="loss"))
    nodes += [
        helper.make_node("Mul", ["lr", "dW"], ["stepW"], name="step_w"),
        helper.make_node("Sub", [W_NAME, "stepW"], ["W_new"], name="update_w"),
        helper.make_node("Mul", ["lr", "dB"], ["stepB"], name="step_b"),
        helper.make_node("Sub", [B_NAME, "stepB"], ["B_new"], name="update_b"),
        const_node("one", np.array(1, np.int64)),
        helper.make_node("Add", ["iter", "one"], ["iter_new"], name="count"),
    ]
    algorithm = helper.make_graph(
        nodes, "linreg_sgd",
        inputs=[helper.make_tensor_value_info("target", TensorProto.FLOAT,
                                              [N, M])],
        outputs=[helper.make_tensor_value_info("loss", TensorProto.FLOAT, []),
                 helper.make_tensor_value_info("W_new", TensorProto.FLOAT,
                                               [D, M]),
                 helper.make_tensor_value_info("B_new", TensorProto.FLOAT, [M]),
                 helper.make_tensor_value_info("iter_new", TensorProto.INT64,
                                               [])],
        initializer=[numpy_helper.from_array(np.array(LR, np.float32), "lr"),
                     numpy_helper.from_array(np.array(7, np.int64), "iter")])
    initialization = helper.make_graph(
        [const_node("B_zero", np.zeros(M, np.float32)),
         const_node("iter_zero", np.array(0, np.int64))],
        "linreg_init", inputs=[],
        outputs=[helper.make_tensor_value_info("B_zero", TensorProto.FLOAT, [M]),
                 helper.make_tensor_value_info("iter_zero", TensorProto.INT64,
                                               [])])
    info = onnx.TrainingInfoProto()
    info.algorithm.CopyFrom(algorithm)
    info.initialization.CopyFrom(initialization)
    bindings = [(W_NAME, "W_new"), (B_NAME, "B_new"), ("iter", "iter_new")]
    if variant == "bad-key":
        bindings.append(("momentum", "W_new"))
    if variant == "bad-value":
        bindings[0] = (W_NAME, "W_next")
    for key, value in bindings:
        info.update_binding.add(key=key, value=value)
    for key, value in ((B_NAME, "B_zero"), ("iter", "iter_zero")):
        info.initialization_binding.add(key=key, value=value)

    opsets = [helper.make_opsetid("", 17)]
    if variant == "gradient":
        opsets.append(helper.make_opsetid(TRAINING_DOMAIN, 1))
    model = helper.make_model(inference, producer_name="kiln-tests",
                              opset_imports=opsets)
    model.ir_version = 8
    model.training_info.append(info)
    if not variant.startswith("bad"):
        onnx.checker.check_model(model, full_check=True)
    return model


def main():
    variant, out, steps = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    assert variant in ("manual", "gradient", "bad-key", "bad-value")
    rng = np.random.default_rng(20251)
    x = rng.standard_normal((N, D)).astype(np.float32)
    target = rng.standard_normal((N, M)).astype(np.float32)
    w0 = (0.5 * rng.standard_normal((D, M))).astype(np.float32)
    # The initializer's value is replaced by the initialization graph.
    b_initial = np.full(M, 3.0, np.float32)
    model = make_model(variant, w0, b_initial)

    # Reference: float64 numpy, from the initialized state.
    x64, t64 = x.astype(np.float64), target.astype(np.float64)
    w, b, it = w0.astype(np.float64), np.zeros(M), 0
    for _ in range(steps):
        y = x64 @ w + b
        diff = y - t64
        loss = np.mean(diff * diff)
        dw = 2.0 / (N * M) * x64.T @ diff
        db = 2.0 / (N * M) * diff.sum(axis=0)
        w, b, it = w - LR * dw, b - LR * db, it + 1

    out.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(out / "model.onnx"))
    data = out / "test_data_set_0"
    data.mkdir(exist_ok=True)
    for i, (name, arr) in enumerate((("X", x), ("target", target))):
        (data / f"input_{i}.pb").write_bytes(
            numpy_helper.from_array(arr, name).SerializeToString())
    outputs = [("Y", y), ("loss", np.array(loss)), ("W_new", w),
               ("B_new", b)]
    for i, (name, arr) in enumerate(outputs):
        (data / f"output_{i}.pb").write_bytes(numpy_helper.from_array(
            arr.astype(np.float32), name).SerializeToString())
    (data / "output_4.pb").write_bytes(numpy_helper.from_array(
        np.array(it, np.int64), "iter_new").SerializeToString())
    inits = out / "initializers"
    inits.mkdir(exist_ok=True)
    for file, name, arr in (("fc_weight", W_NAME, w.astype(np.float32)),
                            ("fc.bias", B_NAME, b.astype(np.float32)),
                            ("iter", "iter", np.array(it, np.int64))):
        (inits / f"{file}.pb").write_bytes(
            numpy_helper.from_array(arr, name).SerializeToString())


if __name__ == "__main__":
    main()
