#!/usr/bin/python3
# ===- test/Inputs/make_train_step_case.py - make-train-step references ---===#
#
# Part of the Kiln project: an MLIR compiler for training programs.
#
# ===-----------------------------------------------------------------------===#
#
#   make_train_step_case.py LOSS OPTIMIZER DIR STEPS
#
# Writes an inference model and what `kiln-run --make-train-step` must
# compute from it after STEPS steps on one batch, with the hyperparameters
#
#   lr=0.05 momentum=0.9 beta1=0.9 beta2=0.999 epsilon=1e-8 weight-decay=0.01
#
#   DIR/model.onnx      x[6,4] -> Gemm(W1[4,5], b1) -> Tanh -> Gemm(W2[5,3], b2)
#                       -> logits[6,3] (output 0), LogSoftmax -> logp (output
#                       1); opset 17. LOSS cross-entropy and mse use logits,
#                       nll uses logp (output=logp).
#   DIR/test_data_set_0/input_0.pb   x
#   DIR/test_data_set_0/input_1.pb   label: int64 classes [6], or f32 [6,3]
#                                    targets for mse
#   DIR/test_data_set_0/output_K.pb  the last step's outputs in the pass's
#                                    order: loss, W1_new, b1_new, W2_new,
#                                    b2_new, then the state (V of each
#                                    weight, then H), then step_count_new.
#
# The reference is plain numpy in float64: a hand-written backward pass and
# the optimizers with the pass's (PyTorch's) conventions — weight decay
# added to the gradient, momentum without dampening, Nesterov, Adam
# bias-corrected from the first step with epsilon added to sqrt(H) as in
# ONNX, Adagrad — independent of Kiln.
#
# ===-----------------------------------------------------------------------===#

import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

N, D, H, C = 6, 4, 5, 3
LR, MOMENTUM, BETA1, BETA2, EPS, DECAY = 0.05, 0.9, 0.9, 0.999, 1e-8, 0.01


def make_model(weights):
    nodes = [
        helper.make_node("Gemm", ["x", "W1", "b1"], ["h0"], name="fc1"),
        helper.make_node("Tanh", ["h0"], ["h"], name="tanh"),
        helper.make_node("Gemm", ["h", "W2", "b2"], ["logits"], name="fc2"),
        helper.make_node("LogSoftmax", ["logits"], ["logp"], name="logsm",
                         axis=1),
    ]
    graph = helper.make_graph(
        nodes, "mlp",
        inputs=[helper.make_tensor_value_info("x", TensorProto.FLOAT, [N, D])],
        outputs=[helper.make_tensor_value_info("logits", TensorProto.FLOAT,
                                               [N, C]),
                 helper.make_tensor_value_info("logp", TensorProto.FLOAT,
                                               [N, C])],
        initializer=[numpy_helper.from_array(v, k) for k, v in weights.items()])
    model = helper.make_model(graph, producer_name="kiln-tests",
                              opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    return model


def loss_and_grads(loss, w, x, label):
    """Forward and hand-written backward pass in float64."""
    h0 = x @ w["W1"] + w["b1"]
    h = np.tanh(h0)
    z = h @ w["W2"] + w["b2"]
    if loss == "mse":
        diff = z - label
        value = np.mean(diff * diff)
        dz = 2.0 * diff / diff.size
    else:  # cross-entropy on logits, or nll on log_softmax(logits): the same
        shifted = z - z.max(axis=1, keepdims=True)
        logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        value = -np.mean(logp[np.arange(N), label])
        dz = np.exp(logp)
        dz[np.arange(N), label] -= 1.0
        dz /= N
    grads = {"W2": h.T @ dz, "b2": dz.sum(axis=0)}
    dh0 = (dz @ w["W2"].T) * (1.0 - h * h)
    grads["W1"] = x.T @ dh0
    grads["b1"] = dh0.sum(axis=0)
    return value, grads


def main():
    loss, optimizer, out, steps = (sys.argv[1], sys.argv[2], Path(sys.argv[3]),
                                   int(sys.argv[4]))
    assert loss in ("cross-entropy", "nll", "mse")
    assert optimizer in ("sgd", "momentum", "nesterov", "adam", "adagrad")
    for seed in range(100, 200):
        rng = np.random.default_rng(seed)
        x = rng.standard_normal((N, D)).astype(np.float32)
        if loss == "mse":
            label = rng.standard_normal((N, C)).astype(np.float32)
        else:
            label = rng.integers(0, C, size=N).astype(np.int64)
        weights = {"W1": rng.standard_normal((D, H)) / np.sqrt(D),
                   "b1": 0.1 * rng.standard_normal(H),
                   "W2": rng.standard_normal((H, C)) / np.sqrt(H),
                   "b2": 0.1 * rng.standard_normal(C)}
        weights = {k: v.astype(np.float32) for k, v in weights.items()}
        # Adam's first steps divide by |gradient|: keep every gradient
        # element well away from 0, where float32 noise would dominate.
        _, g0 = loss_and_grads(loss, {k: v.astype(np.float64)
                                      for k, v in weights.items()},
                               x.astype(np.float64), label)
        if min(np.abs(g).min() for g in g0.values()) > 1e-3:
            break

    names = list(weights)
    w = {k: v.astype(np.float64) for k, v in weights.items()}
    lab = label.astype(np.float64) if loss == "mse" else label
    v = {k: np.zeros_like(w[k]) for k in names}
    h = {k: np.zeros_like(w[k]) for k in names}
    for t in range(1, steps + 1):
        value, grads = loss_and_grads(loss, w, x.astype(np.float64), lab)
        for k in names:
            g = grads[k] + DECAY * w[k]
            if optimizer == "sgd":
                w[k] = w[k] - LR * g
            elif optimizer in ("momentum", "nesterov"):
                v[k] = MOMENTUM * v[k] + g
                step = g + MOMENTUM * v[k] if optimizer == "nesterov" else v[k]
                w[k] = w[k] - LR * step
            elif optimizer == "adam":
                v[k] = BETA1 * v[k] + (1 - BETA1) * g
                h[k] = BETA2 * h[k] + (1 - BETA2) * g * g
                lr_t = LR * np.sqrt(1 - BETA2**t) / (1 - BETA1**t)
                w[k] = w[k] - lr_t * v[k] / (np.sqrt(h[k]) + EPS)
            else:  # adagrad
                h[k] = h[k] + g * g
                w[k] = w[k] - LR * g / (np.sqrt(h[k]) + EPS)

    outputs = [("loss", np.array(value))]
    outputs += [(f"{k}_new", w[k]) for k in names]
    state = {"sgd": [], "momentum": ["V"], "nesterov": ["V"],
             "adam": ["V", "H"], "adagrad": ["H"]}[optimizer]
    for kind in state:
        outputs += [(f"{k}.{kind}_new", (v if kind == "V" else h)[k])
                    for k in names]

    out.mkdir(parents=True, exist_ok=True)
    onnx.save(make_model(weights), str(out / "model.onnx"))
    data = out / "test_data_set_0"
    data.mkdir(exist_ok=True)
    for i, (name, arr) in enumerate((("x", x), ("label", label))):
        (data / f"input_{i}.pb").write_bytes(
            numpy_helper.from_array(arr, name).SerializeToString())
    for i, (name, arr) in enumerate(outputs):
        (data / f"output_{i}.pb").write_bytes(numpy_helper.from_array(
            arr.astype(np.float32), name).SerializeToString())
    if state:
        (data / f"output_{len(outputs)}.pb").write_bytes(
            numpy_helper.from_array(np.array(steps, np.int64),
                                    "step_count_new").SerializeToString())


if __name__ == "__main__":
    main()
