#!/usr/bin/python3
# ===- scripts/make_training_references.py - PyTorch training references --===#
#
# Part of the Kiln project: an MLIR compiler for training programs.
#
# ===-----------------------------------------------------------------------===#
#
# Writes ONNX training-step cases in the ONNX backend-test layout:
#
#   test/Inputs/training/<case>/model.onnx
#   test/Inputs/training/<case>/test_data_set_0/input_K.pb   (graph inputs)
#   test/Inputs/training/<case>/test_data_set_0/output_K.pb  (expected)
#
# Each model is one training step written in plain ONNX: the weights are
# graph inputs (no initializers), the forward ops compute a scalar `loss`,
# an ONNX `Gradient` node (domain ai.onnx.preview.training, attributes `xs` =
# the weights, `y` = "loss") yields the gradients, and either SGD arithmetic
# (W - lr * dW as Mul/Sub) or ONNX optimizer nodes (Adam, Adagrad, Momentum
# standard/nesterov, single- or multi-tensor forms) update them. Outputs: the
# loss, other training-mode outputs (BatchNormalization's running
# statistics), the updated weights and the updated optimizer state.
#
# Expected values: the loss and the gradients come from PyTorch autograd
# (torch.nn.functional, not the ONNX graph) in float64 on the same float32
# inputs, cross-checked against a float32 PyTorch run and against central
# finite differences; the optimizer step follows the formulas of the ONNX
# operator specification (onnx/backend/test/case/node/{adam,adagrad,
# momentum}.py), BatchNormalization's running statistics its spec
# (population variance). Everything is rounded to float32 at the end.
#
# Inputs are drawn from fixed seeds, and a draw is rejected (next seed) when
# a ReLU input or a max-pool window is within 1e-3 of a kink, so that a
# float32 implementation cannot fall on the other side of one.
#
# With --check, each written case is also run through onnx's
# ReferenceEvaluator (onnx >= 1.13; Debian 12 ships 1.12, see
# scripts/install-reference-deps.sh for a virtual environment that has it)
# with the Gradient node replaced by the PyTorch gradients: the graph's loss,
# running statistics and optimizer outputs must match the stored ones, which
# shows that the ONNX graph computes the same function as the PyTorch code.
#
# Usage: /usr/bin/python3 scripts/make_training_references.py [--out DIR]
#        [--check] [CASE...]
# Requires python3-torch, python3-onnx, python3-numpy (Debian).
#
# ===-----------------------------------------------------------------------===#

import argparse
import math
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # pragma: no cover - a clear message instead of a trace
    sys.exit("make_training_references: PyTorch is missing; run "
             "scripts/install-reference-deps.sh (Debian's python3-torch)")

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "test" / "Inputs" / "training"
TRAINING_DOMAIN = "ai.onnx.preview.training"
KINK_MARGIN = 1e-3


class KinkError(Exception):
    """A draw put a ReLU input or a max-pool window too close to a kink."""


class Kinks:
    """Collects the distance of the reference forward pass to kinks."""

    def __init__(self):
        self.enabled = True

    def relu(self, pre):
        if self.enabled:
            margin = pre.detach().abs().min().item()
            if margin < KINK_MARGIN:
                raise KinkError(f"ReLU input {margin:.2e} from 0")
        return F.relu(pre)

    def max_pool2x2(self, x):
        if self.enabled:
            n, c, h, w = x.shape
            win = (x.detach().reshape(n, c, h // 2, 2, w // 2, 2)
                   .permute(0, 1, 2, 4, 3, 5).reshape(-1, 4))
            top = torch.topk(win, 2, dim=1).values
            live = top[:, 0] > 0  # windows of zeros have no gradient anyway
            if live.any():
                gap = (top[live, 0] - top[live, 1]).min().item()
                if gap < KINK_MARGIN:
                    raise KinkError(f"max-pool tie within {gap:.2e}")
        return F.max_pool2d(x, 2, 2)


# ===--- ONNX graph helpers ------------------------------------------------===#

class GraphBuilder:
    def __init__(self):
        self.nodes = []
        self.counter = 0

    def node(self, op, inputs, outputs=None, domain="", **attrs):
        if outputs is None:
            self.counter += 1
            outputs = [f"{op.lower()}_{self.counter}"]
        self.nodes.append(helper.make_node(
            op, inputs, outputs, name=f"{op}_{len(self.nodes)}",
            domain=domain, **attrs))
        return outputs[0] if len(outputs) == 1 else outputs

    def const(self, value, dtype=np.float32):
        self.counter += 1
        name = f"const_{self.counter}"
        array = np.array(value, dtype=dtype)
        self.nodes.append(helper.make_node(
            "Constant", [], [name], name=f"Constant_{len(self.nodes)}",
            value=numpy_helper.from_array(array, name)))
        return name


def layer_norm_nodes(g, opset, x, gamma, beta, eps=1e-5):
    """LayerNormalization at opset 17, its decomposition before."""
    if opset >= 17:
        return g.node("LayerNormalization", [x, gamma, beta], axis=-1,
                      epsilon=eps)
    mean = g.node("ReduceMean", [x], axes=[-1], keepdims=1)
    centered = g.node("Sub", [x, mean])
    var = g.node("ReduceMean", [g.node("Mul", [centered, centered])],
                 axes=[-1], keepdims=1)
    std = g.node("Sqrt", [g.node("Add", [var, g.const(eps)])])
    normed = g.node("Div", [centered, std])
    return g.node("Add", [g.node("Mul", [normed, gamma]), beta])


def value_info(name, array):
    elem = {np.dtype(np.float32): TensorProto.FLOAT,
            np.dtype(np.int64): TensorProto.INT64}[array.dtype]
    return helper.make_tensor_value_info(name, elem, list(array.shape))


# ===--- Cases -------------------------------------------------------------===#
#
# A case provides: data (ordered name -> array, not trained), weights
# (ordered name -> float32 array), onnx_forward(g) writing nodes that define
# "loss" (and any extra outputs, returned as names), torch_loss(data,
# weights, kinks) returning the loss as a torch scalar, extra_expected(data,
# weights) for the extra outputs, and an optimizer description.


def rand(rng, *shape, scale=1.0):
    return (scale * rng.standard_normal(shape)).astype(np.float32)


class MLP:
    """Gemm-Relu-Gemm, softmax cross-entropy (SoftmaxCrossEntropyLoss), SGD."""

    def __init__(self, opset):
        self.opset = opset
        self.name = f"mlp_softmax_ce_sgd_opset{opset}"

    def draw(self, rng):
        n, d, h, c = 6, 5, 8, 3
        self.data = {"X": rand(rng, n, d),
                     "labels": rng.integers(0, c, size=n).astype(np.int64)}
        self.weights = {"W1": rand(rng, h, d, scale=1 / math.sqrt(d)),
                        "b1": rand(rng, h, scale=0.1),
                        "W2": rand(rng, h, c, scale=1 / math.sqrt(h)),
                        "b2": rand(rng, c, scale=0.1)}
        # opset 15 takes the learning rate as a Constant node, opset 17 as a
        # graph input.
        self.optimizer = {"kind": "sgd", "lr": 0.1,
                          "lr_input": self.opset >= 17}

    def onnx_forward(self, g):
        h0 = g.node("Gemm", ["X", "W1", "b1"], transB=1)
        h1 = g.node("Relu", [h0])
        logits = g.node("Gemm", [h1, "W2", "b2"])
        g.node("SoftmaxCrossEntropyLoss", [logits, "labels"], ["loss"],
               reduction="mean")
        return []

    def torch_loss(self, d, w, kinks):
        h = kinks.relu(d["X"] @ w["W1"].T + w["b1"])
        logits = h @ w["W2"] + w["b2"]
        return F.cross_entropy(logits, d["labels"])


class CNN:
    """Conv, training-mode BatchNormalization, Relu, MaxPool, global mean,
    Gemm; LogSoftmax + NegativeLogLikelihoodLoss; Momentum (opset 15:
    standard, one multi-tensor node; opset 17: nesterov, one node per
    weight)."""

    def __init__(self, opset):
        self.opset = opset
        mode = "momentum" if opset < 17 else "nesterov"
        self.name = f"cnn_bn_nll_{mode}_opset{opset}"

    def draw(self, rng):
        n, cin, hw, cout, classes = 4, 3, 6, 4, 3
        self.data = {
            "X": rand(rng, n, cin, hw, hw),
            "labels": rng.integers(0, classes, size=n).astype(np.int64),
            "bn_mean": rand(rng, cout, scale=0.1),
            "bn_var": (1.0 + 0.2 * rng.random(cout)).astype(np.float32)}
        self.weights = {
            "conv_W": rand(rng, cout, cin, 3, 3, scale=1 / math.sqrt(cin * 9)),
            "conv_b": rand(rng, cout, scale=0.1),
            "bn_scale": (1.0 + 0.1 * rng.standard_normal(cout)).astype(np.float32),
            "bn_B": rand(rng, cout, scale=0.1),
            "fc_W": rand(rng, classes, cout, scale=1 / math.sqrt(cout)),
            "fc_b": rand(rng, classes, scale=0.1)}
        self.optimizer = {
            "kind": "momentum",
            "mode": "standard" if self.opset < 17 else "nesterov",
            "alpha": 0.9, "beta": 0.95 if self.opset < 17 else 1.0,
            "norm_coefficient": 0.001 if self.opset < 17 else 0.0,
            "lr": 0.05, "t": 2, "multi": self.opset < 17}
        self.bn_momentum = 0.9
        self.bn_eps = 1e-5

    def onnx_forward(self, g):
        conv = g.node("Conv", ["X", "conv_W", "conv_b"], kernel_shape=[3, 3],
                      pads=[1, 1, 1, 1])
        bn, mean, var = g.node(
            "BatchNormalization",
            [conv, "bn_scale", "bn_B", "bn_mean", "bn_var"],
            ["bn_out", "bn_running_mean", "bn_running_var"],
            epsilon=self.bn_eps, momentum=self.bn_momentum, training_mode=1)
        act = g.node("Relu", [bn])
        pooled = g.node("MaxPool", [act], kernel_shape=[2, 2], strides=[2, 2])
        if self.opset >= 17:
            gap = g.node("GlobalAveragePool", [pooled])
            feat = g.node("Flatten", [gap], axis=1)
        else:
            feat = g.node("ReduceMean", [pooled], axes=[2, 3], keepdims=0)
        logits = g.node("Gemm", [feat, "fc_W", "fc_b"], transB=1)
        logp = g.node("LogSoftmax", [logits], axis=1)
        g.node("NegativeLogLikelihoodLoss", [logp, "labels"], ["loss"],
               reduction="mean")
        return [mean, var]

    def torch_loss(self, d, w, kinks):
        conv = F.conv2d(d["X"], w["conv_W"], w["conv_b"], padding=1)
        # PyTorch's running variance is unbiased, ONNX's is not: the running
        # statistics are computed in extra_expected; here only the output.
        bn = F.batch_norm(conv, None, None, w["bn_scale"], w["bn_B"],
                          training=True, eps=self.bn_eps)
        pooled = kinks.max_pool2x2(kinks.relu(bn))
        feat = pooled.mean(dim=(2, 3))
        logits = feat @ w["fc_W"].T + w["fc_b"]
        return F.nll_loss(F.log_softmax(logits, dim=1), d["labels"])

    def extra_expected(self, d, w):
        """ONNX BatchNormalization (training_mode=1): running statistics
        with the population variance of the batch."""
        conv = F.conv2d(d["X"], w["conv_W"], w["conv_b"], padding=1)
        mean = conv.mean(dim=(0, 2, 3))
        var = conv.var(dim=(0, 2, 3), unbiased=False)
        m = self.bn_momentum
        return [d["bn_mean"] * m + mean * (1 - m),
                d["bn_var"] * m + var * (1 - m)]


class Transformer:
    """Pre-norm transformer block: LayerNormalization (opset 17) or its
    decomposition (opset 15), two-head attention with Q/K/V MatMuls and
    Softmax, exact GELU through Erf, residuals; MSE; one multi-tensor Adam."""

    B, S, D, H, FF = 2, 4, 8, 2, 16

    def __init__(self, opset):
        self.opset = opset
        self.name = f"transformer_mse_adam_opset{opset}"

    def draw(self, rng):
        B, S, D, FF = self.B, self.S, self.D, self.FF
        self.data = {"X": rand(rng, B, S, D), "target": rand(rng, B, S, D)}
        w = {}
        for ln in ("ln1", "ln2"):
            w[f"{ln}_g"] = (1.0 + 0.1 * rng.standard_normal(D)).astype(np.float32)
            w[f"{ln}_b"] = rand(rng, D, scale=0.1)
        for p in ("q", "k", "v", "o"):
            w[f"W{p}"] = rand(rng, D, D, scale=1 / math.sqrt(D))
            w[f"b{p}"] = rand(rng, D, scale=0.1)
        w["W_ff1"] = rand(rng, D, FF, scale=1 / math.sqrt(D))
        w["b_ff1"] = rand(rng, FF, scale=0.1)
        w["W_ff2"] = rand(rng, FF, D, scale=1 / math.sqrt(FF))
        w["b_ff2"] = rand(rng, D, scale=0.1)
        self.weights = w
        self.optimizer = {
            "kind": "adam", "alpha": 0.9, "beta": 0.999, "epsilon": 1e-8,
            "norm_coefficient": 0.01 if self.opset < 17 else 0.0,
            "norm_coefficient_post": 0.0 if self.opset < 17 else 0.001,
            "lr": 0.01, "t": 5, "multi": True}

    def onnx_forward(self, g):
        B, S, D, H = self.B, self.S, self.D, self.H
        dh = D // H
        x = "X"
        ln1 = layer_norm_nodes(g, self.opset, x, "ln1_g", "ln1_b")
        heads = g.const([B, S, H, dh], np.int64)

        def proj(p, perm):
            lin = g.node("Add", [g.node("MatMul", [ln1, f"W{p}"]), f"b{p}"])
            return g.node("Transpose", [g.node("Reshape", [lin, heads])],
                          perm=perm)

        q = proj("q", [0, 2, 1, 3])
        kt = proj("k", [0, 2, 3, 1])
        v = proj("v", [0, 2, 1, 3])
        scores = g.node("Mul", [g.node("MatMul", [q, kt]),
                                g.const(1 / math.sqrt(dh))])
        att = g.node("Softmax", [scores], axis=-1)
        ctx = g.node("Transpose", [g.node("MatMul", [att, v])],
                     perm=[0, 2, 1, 3])
        ctx = g.node("Reshape", [ctx, g.const([B, S, D], np.int64)])
        out = g.node("Add", [g.node("MatMul", [ctx, "Wo"]), "bo"])
        h1 = g.node("Add", [x, out])
        ln2 = layer_norm_nodes(g, self.opset, h1, "ln2_g", "ln2_b")
        f = g.node("Add", [g.node("MatMul", [ln2, "W_ff1"]), "b_ff1"])
        erf = g.node("Erf", [g.node("Div", [f, g.const(math.sqrt(2.0))])])
        gelu = g.node("Mul", [g.node("Mul", [f, g.node("Add", [erf, g.const(1.0)])]),
                              g.const(0.5)])
        f2 = g.node("Add", [g.node("MatMul", [gelu, "W_ff2"]), "b_ff2"])
        y = g.node("Add", [h1, f2])
        diff = g.node("Sub", [y, "target"])
        sq = (g.node("Pow", [diff, g.const(2.0)]) if self.opset >= 17
              else g.node("Mul", [diff, diff]))
        g.node("ReduceMean", [sq], ["loss"], keepdims=0)
        return []

    def torch_loss(self, d, w, kinks):
        B, S, D, H = self.B, self.S, self.D, self.H
        dh = D // H
        x = d["X"]
        ln1 = F.layer_norm(x, (D,), w["ln1_g"], w["ln1_b"], eps=1e-5)

        def proj(p):
            return (ln1 @ w[f"W{p}"] + w[f"b{p}"]).reshape(B, S, H, dh) \
                .transpose(1, 2)

        q, k, v = proj("q"), proj("k"), proj("v")
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(dh), dim=-1)
        ctx = (att @ v).transpose(1, 2).reshape(B, S, D)
        h1 = x + ctx @ w["Wo"] + w["bo"]
        ln2 = F.layer_norm(h1, (D,), w["ln2_g"], w["ln2_b"], eps=1e-5)
        f = F.gelu(ln2 @ w["W_ff1"] + w["b_ff1"])  # exact (erf) GELU
        y = h1 + f @ w["W_ff2"] + w["b_ff2"]
        return F.mse_loss(y, d["target"])


class Regression:
    """tanh hidden layer, sigmoid output, MSE; Adagrad (opset 15: one node
    per weight; opset 17: one multi-tensor node, and the Gradient node also
    names the data input in `zs`)."""

    def __init__(self, opset):
        self.opset = opset
        self.name = f"tanh_sigmoid_mse_adagrad_opset{opset}"

    def draw(self, rng):
        n, d, h, o = 8, 4, 6, 2
        self.data = {"X": rand(rng, n, d),
                     "target": rng.random((n, o)).astype(np.float32)}
        self.weights = {"W1": rand(rng, d, h, scale=1 / math.sqrt(d)),
                        "b1": rand(rng, h, scale=0.1),
                        "W2": rand(rng, h, o, scale=1 / math.sqrt(h)),
                        "b2": rand(rng, o, scale=0.1)}
        self.optimizer = {
            "kind": "adagrad", "decay_factor": 0.1, "epsilon": 1e-6,
            "norm_coefficient": 0.001 if self.opset < 17 else 0.0,
            "lr": 0.1, "t": 3, "multi": self.opset >= 17}
        self.zs = ["X"] if self.opset >= 17 else []

    def onnx_forward(self, g):
        h = g.node("Tanh", [g.node("Add", [g.node("MatMul", ["X", "W1"]), "b1"])])
        y = g.node("Sigmoid", [g.node("Gemm", [h, "W2", "b2"])])
        diff = g.node("Sub", [y, "target"])
        g.node("ReduceMean", [g.node("Mul", [diff, diff])], ["loss"],
               keepdims=0)
        return []

    def torch_loss(self, d, w, kinks):
        h = torch.tanh(d["X"] @ w["W1"] + w["b1"])
        y = torch.sigmoid(h @ w["W2"] + w["b2"])
        return F.mse_loss(y, d["target"])


CASES = [cls(opset) for cls in (MLP, CNN, Transformer, Regression)
         for opset in (15, 17)]


# ===--- Optimizers: the ONNX specification's formulas --------------------===#

def apply_adam(r, t, x, g, v, h, norm_coefficient, norm_coefficient_post,
               alpha, beta, epsilon):
    g_regularized = norm_coefficient * x + g
    v_new = alpha * v + (1 - alpha) * g_regularized
    h_new = beta * h + (1 - beta) * (g_regularized * g_regularized)
    h_sqrt = np.sqrt(h_new) + epsilon
    if t > 0:
        r_adjusted = r * np.sqrt(1 - beta**t) / (1 - alpha**t)
    else:
        r_adjusted = r
    x_new = x - r_adjusted * (v_new / h_sqrt)
    return (1 - norm_coefficient_post) * x_new, v_new, h_new


def apply_adagrad(r, t, x, g, h, norm_coefficient, epsilon, decay_factor):
    r_ = r / (1 + t * decay_factor)
    g_regularized = norm_coefficient * x + g
    h_new = h + g_regularized * g_regularized
    h_sqrt = np.sqrt(h_new) + epsilon
    return x - r_ * g_regularized / h_sqrt, h_new


def apply_momentum(r, t, x, g, v, norm_coefficient, alpha, beta, mode):
    g_regularized = norm_coefficient * x + g
    beta_adjusted = beta if t > 0 else 1
    v_new = alpha * v + beta_adjusted * g_regularized
    if mode == "nesterov":
        return x - r * (g_regularized + alpha * v_new), v_new
    return x - r * v_new, v_new


# ===--- Assembling a case -------------------------------------------------===#

def torch_gradients(case, dtype, kinks):
    data = {k: torch.tensor(v.astype(dtype) if v.dtype == np.float32 else v)
            for k, v in case.data.items()}
    weights = {k: torch.tensor(v.astype(dtype), requires_grad=True)
               for k, v in case.weights.items()}
    loss = case.torch_loss(data, weights, kinks)
    grads = torch.autograd.grad(loss, list(weights.values()))
    return loss.item(), [gr.detach().numpy() for gr in grads]


def finite_difference_check(case, grads):
    """Directional central differences in float64 against autograd."""
    rng = np.random.default_rng(7)
    directions = {k: rng.standard_normal(v.shape) for k, v in case.weights.items()}
    kinks = Kinks()
    kinks.enabled = False
    eps = 1e-6

    def loss_at(sign):
        data = {k: torch.tensor(v.astype(np.float64) if v.dtype == np.float32 else v)
                for k, v in case.data.items()}
        w = {k: torch.tensor(v.astype(np.float64) + sign * eps * directions[k])
             for k, v in case.weights.items()}
        return case.torch_loss(data, w, kinks).item()

    numeric = (loss_at(1) - loss_at(-1)) / (2 * eps)
    analytic = sum(float((g * directions[k]).sum())
                   for g, k in zip(grads, case.weights))
    if abs(numeric - analytic) > 1e-6 * max(1.0, abs(analytic)):
        raise RuntimeError(f"{case.name}: finite differences {numeric} vs "
                           f"autograd {analytic}")


def optimizer_step(case, grads, rng):
    """Returns (extra graph inputs, their arrays, nodes, output names,
    expected outputs) for the case's optimizer."""
    opt = case.optimizer
    names = list(case.weights)
    ws = [case.weights[k].astype(np.float64) for k in names]
    gs = [g.astype(np.float64) for g in grads]
    grad_names = [f"{k}_grad" for k in names]
    inputs, nodes, outs, expected = {}, [], [], []

    if opt["kind"] == "sgd":
        if opt["lr_input"]:
            inputs["lr"] = np.array(opt["lr"], dtype=np.float32)
            lr_name = "lr"
        else:
            lr_name = "lr"
            nodes.append(helper.make_node(
                "Constant", [], [lr_name], name="Constant_lr",
                value=numpy_helper.from_array(np.array(opt["lr"], np.float32),
                                              lr_name)))
        lr = float(np.float32(opt["lr"]))
        for k, w, g, gn in zip(names, ws, gs, grad_names):
            step = f"{k}_step"
            nodes.append(helper.make_node("Mul", [lr_name, gn], [step],
                                          name=f"Mul_{k}_step"))
            nodes.append(helper.make_node("Sub", [k, step], [f"{k}_new"],
                                          name=f"Sub_{k}_update"))
            outs.append(f"{k}_new")
            expected.append(w - lr * g)
        return inputs, nodes, outs, expected

    inputs["R"] = np.array(opt["lr"], dtype=np.float32)
    inputs["T"] = np.array(opt["t"], dtype=np.int64)
    r = float(inputs["R"])
    t = int(inputs["T"])
    kind = opt["kind"]
    state_kinds = {"adam": ["V", "H"], "adagrad": ["H"],
                   "momentum": ["V"]}[kind]
    # Optimizer state: V (first moment / velocity) any sign, H (second
    # moment / accumulated squares) positive, so the step is well
    # conditioned at float32.
    states = {}
    for s in state_kinds:
        for k in names:
            shape = case.weights[k].shape
            if s == "V":
                arr = (0.01 * rng.standard_normal(shape)).astype(np.float32)
            else:
                arr = (0.01 + 0.05 * rng.random(shape)).astype(np.float32)
            states[(s, k)] = arr
            inputs[f"{k}_{s}"] = arr

    attrs = {"adam": lambda: dict(alpha=opt["alpha"], beta=opt["beta"],
                                  epsilon=opt["epsilon"],
                                  norm_coefficient=opt["norm_coefficient"],
                                  norm_coefficient_post=opt["norm_coefficient_post"]),
             "adagrad": lambda: dict(decay_factor=opt["decay_factor"],
                                     epsilon=opt["epsilon"],
                                     norm_coefficient=opt["norm_coefficient"]),
             "momentum": lambda: dict(alpha=opt["alpha"], beta=opt["beta"],
                                      mode=opt["mode"],
                                      norm_coefficient=opt["norm_coefficient"])}[kind]()
    op_type = {"adam": "Adam", "adagrad": "Adagrad", "momentum": "Momentum"}[kind]
    # Attributes are float32 in ONNX: compute with the stored values.
    f32 = {k: (float(np.float32(v)) if isinstance(v, float) else v)
           for k, v in attrs.items()}

    def step(i):
        x, g = ws[i], gs[i]
        st = [states[(s, names[i])].astype(np.float64) for s in state_kinds]
        if kind == "adam":
            return apply_adam(r, t, x, g, st[0], st[1], f32["norm_coefficient"],
                              f32["norm_coefficient_post"], f32["alpha"],
                              f32["beta"], f32["epsilon"])
        if kind == "adagrad":
            return apply_adagrad(r, t, x, g, st[0], f32["norm_coefficient"],
                                 f32["epsilon"], f32["decay_factor"])
        return apply_momentum(r, t, x, g, st[0], f32["norm_coefficient"],
                              f32["alpha"], f32["beta"], f32["mode"])

    results = [step(i) for i in range(len(names))]
    groups = [list(range(len(names)))] if opt["multi"] else \
        [[i] for i in range(len(names))]
    for group in groups:
        node_inputs = ["R", "T"] + [names[i] for i in group] + \
            [grad_names[i] for i in group]
        node_outputs = [f"{names[i]}_new" for i in group]
        for s in state_kinds:
            node_inputs += [f"{names[i]}_{s}" for i in group]
            node_outputs += [f"{names[i]}_{s}_new" for i in group]
        nodes.append(helper.make_node(
            op_type, node_inputs, node_outputs, domain=TRAINING_DOMAIN,
            name=f"{op_type}_{group[0]}", **attrs))
    # Graph outputs: all new weights, then the new states kind by kind.
    for i, k in enumerate(names):
        outs.append(f"{k}_new")
        expected.append(results[i][0])
    for j, s in enumerate(state_kinds):
        for i, k in enumerate(names):
            outs.append(f"{k}_{s}_new")
            expected.append(results[i][1 + j])
    return inputs, nodes, outs, expected


def build_case(case, seed):
    """Draws inputs (rejecting draws near kinks) and assembles the model and
    its expected outputs."""
    for attempt in range(100):
        rng = np.random.default_rng(seed + attempt)
        case.draw(rng)
        try:
            loss64, grads64 = torch_gradients(case, np.float64, Kinks())
            break
        except KinkError:
            continue
    else:
        raise RuntimeError(f"{case.name}: no draw away from kinks")
    loss32, grads32 = torch_gradients(case, np.float32, Kinks())
    finite_difference_check(case, grads64)
    for a, b in zip([np.array(loss32)] + grads32, [np.array(loss64)] + grads64):
        if not np.allclose(a, b, rtol=1e-4, atol=1e-6):
            raise RuntimeError(f"{case.name}: float32 and float64 PyTorch "
                               f"disagree by {np.abs(a - b).max():.3g}")

    g = GraphBuilder()
    extra_names = case.onnx_forward(g)
    names = list(case.weights)
    zs = getattr(case, "zs", [])
    grad_attrs = dict(xs=names, y="loss")
    if zs:
        grad_attrs["zs"] = zs
    g.nodes.append(helper.make_node(
        "Gradient", names + zs, [f"{k}_grad" for k in names],
        name="Gradient_loss", domain=TRAINING_DOMAIN, **grad_attrs))
    opt_inputs, opt_nodes, opt_outs, opt_expected = optimizer_step(
        case, grads64, np.random.default_rng(seed + 1000))
    g.nodes.extend(opt_nodes)

    inputs = dict(case.data)
    inputs.update(case.weights)
    inputs.update(opt_inputs)
    extra_expected = []
    if extra_names:
        d64 = {k: torch.tensor(v.astype(np.float64) if v.dtype == np.float32 else v)
               for k, v in case.data.items()}
        w64 = {k: torch.tensor(v.astype(np.float64)) for k, v in case.weights.items()}
        extra_expected = [e.numpy() for e in case.extra_expected(d64, w64)]
    outputs = {"loss": np.array(loss64)}
    outputs.update(zip(extra_names, extra_expected))
    outputs.update(zip(opt_outs, opt_expected))
    outputs = {k: v.astype(np.float32) for k, v in outputs.items()}

    graph = helper.make_graph(
        g.nodes, case.name,
        inputs=[value_info(k, v) for k, v in inputs.items()],
        outputs=[value_info(k, v) for k, v in outputs.items()])
    model = helper.make_model(
        graph, producer_name="kiln-training-references",
        opset_imports=[helper.make_opsetid("", case.opset),
                       helper.make_opsetid(TRAINING_DOMAIN, 1)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    grads_f32 = {f"{k}_grad": gr.astype(np.float32)
                 for k, gr in zip(names, grads64)}
    return model, inputs, outputs, grads_f32


def write_case(out_dir, model, inputs, outputs):
    out_dir.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(out_dir / "model.onnx"))
    data = out_dir / "test_data_set_0"
    data.mkdir(exist_ok=True)
    for stale in data.glob("*.pb"):
        stale.unlink()
    for i, (k, v) in enumerate(inputs.items()):
        (data / f"input_{i}.pb").write_bytes(
            numpy_helper.from_array(v, k).SerializeToString())
    for i, (k, v) in enumerate(outputs.items()):
        (data / f"output_{i}.pb").write_bytes(
            numpy_helper.from_array(v, k).SerializeToString())


def reference_check(model, inputs, outputs, grads):
    """Runs the graph with onnx's ReferenceEvaluator, the Gradient node
    replaced by the PyTorch gradients as inputs."""
    try:
        from onnx.reference import ReferenceEvaluator
    except ImportError:
        sys.exit(f"--check needs onnx >= 1.13 (this is {onnx.__version__}); "
                 "see scripts/install-reference-deps.sh")

    m = onnx.ModelProto()
    m.CopyFrom(model)
    keep = [n for n in m.graph.node if n.op_type != "Gradient"]
    del m.graph.node[:]
    m.graph.node.extend(keep)
    for k, v in grads.items():
        m.graph.input.append(value_info(k, v))
    feeds = dict(inputs)
    feeds.update(grads)
    got = ReferenceEvaluator(m).run(None, feeds)
    worst = 0.0
    for (k, want), have in zip(outputs.items(), got):
        err = np.abs(have.astype(np.float64) - want) / (1e-6 + np.abs(want))
        worst = max(worst, float(err.max()))
        if not np.allclose(have, want, rtol=1e-5, atol=1e-6):
            raise RuntimeError(f"reference evaluator disagrees on '{k}': max "
                               f"abs error {np.abs(have - want).max():.3g}")
    return worst


def main():
    parser = argparse.ArgumentParser(
        description="Writes ONNX training-step cases with PyTorch references")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--check", action="store_true",
                        help="also check each case with onnx's "
                             "ReferenceEvaluator (onnx >= 1.13)")
    parser.add_argument("cases", nargs="*", help="case names (default: all)")
    args = parser.parse_args()
    torch.manual_seed(0)
    selected = [c for c in CASES if not args.cases or c.name in args.cases]
    if args.cases and len(selected) != len(args.cases):
        known = ", ".join(c.name for c in CASES)
        sys.exit(f"unknown case; known: {known}")
    for index, case in enumerate(CASES):
        if case not in selected:
            continue
        model, inputs, outputs, grads = build_case(case, 20250 + 97 * index)
        write_case(args.out / case.name, model, inputs, outputs)
        line = (f"{case.name}: {len(model.graph.node)} nodes, "
                f"{len(inputs)} inputs, {len(outputs)} outputs, "
                f"loss {float(outputs['loss']):.6f}")
        if args.check:
            worst = reference_check(model, inputs, outputs, grads)
            line += f", ReferenceEvaluator max rel diff {worst:.1e}"
        print(line)


if __name__ == "__main__":
    main()
