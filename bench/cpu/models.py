# ===- bench/cpu/models.py - The CPU benchmark's models, ONNX and PyTorch --===#
#
# Part of the Kiln project: an MLIR compiler for training programs.
#
# ===-----------------------------------------------------------------------===#
#
# Each benchmark model exists twice, built from the same numpy arrays (fixed
# seed): as an ONNX inference graph that `kiln-run --make-train-step` turns
# into a training step, and as the PyTorch eager training step that computes
# the same function, loss and optimizer update:
#
#   mlp          x[256,784] -> Gemm(784,1024) -> Relu -> Gemm(1024,10);
#                softmax cross-entropy, SGD lr 0.01.
#   transformer  one pre-norm block, x[8,128,256]: LayerNormalization ->
#                Q/K/V projections (4 heads of 64) -> scaled Softmax
#                attention -> output projection -> residual ->
#                LayerNormalization -> FFN 256->1024 (exact GELU, Erf)
#                ->256 -> residual; MSE against a target, Adam lr 1e-3.
#   cnn          x[32,3,32,32]: Conv 3->32 (3x3, pad 1, no bias) ->
#                BatchNormalization (training mode: batch statistics) ->
#                Relu -> MaxPool 2x2 -> Conv 32->64 (3x3, pad 1) -> Relu ->
#                GlobalAveragePool -> Flatten -> Gemm(64,10); softmax
#                cross-entropy, SGD with momentum 0.9 (no dampening), lr 0.01.
#
# Only this module imports torch lazily (make_torch_step), so the ONNX side
# works without PyTorch.
#
# ===-----------------------------------------------------------------------===#

import math
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


class Spec:
    """One benchmark model: the ONNX graph, its data, the training options."""

    def __init__(self, name, title, nodes, inputs, outputs, weights, data,
                 train_options, trainable):
        self.name, self.title = name, title
        self.nodes, self.inputs, self.outputs = nodes, inputs, outputs
        self.weights = weights          # name -> np.ndarray (initializers)
        self.data = data                # [x, label]
        self.train_options = train_options
        self.trainable = trainable      # names of the trained initializers

    def kiln_options(self):
        return (self.train_options + " trainable=" + ",".join(self.trainable))

    def write(self, out_dir):
        """OUT/model.onnx and OUT/data/input_K.pb (x, label)."""
        inits = [numpy_helper.from_array(a, n) for n, a in self.weights.items()]
        graph = helper.make_graph(self.nodes, self.name, self.inputs,
                                  self.outputs, initializer=inits)
        model = helper.make_model(graph, producer_name="kiln-bench",
                                  opset_imports=[helper.make_opsetid("", 17)])
        model.ir_version = 8
        onnx.checker.check_model(model, full_check=True)
        os.makedirs(os.path.join(out_dir, "data"), exist_ok=True)
        path = os.path.join(out_dir, "model.onnx")
        onnx.save(model, path)
        for k, array in enumerate(self.data):
            with open(os.path.join(out_dir, "data", f"input_{k}.pb"),
                      "wb") as f:
                f.write(numpy_helper.from_array(array).SerializeToString())
        return path


def _normal(rng, shape, scale):
    return (scale * rng.standard_normal(shape)).astype(np.float32)


def mlp(batch=256, n_in=784, hidden=1024, classes=10):
    rng = np.random.default_rng(1)
    w = {
        "W1": _normal(rng, (n_in, hidden), 1 / math.sqrt(n_in)),
        "b1": _normal(rng, (hidden,), 0.01),
        "W2": _normal(rng, (hidden, classes), 1 / math.sqrt(hidden)),
        "b2": _normal(rng, (classes,), 0.01),
    }
    nodes = [
        helper.make_node("Gemm", ["x", "W1", "b1"], ["h_pre"], name="fc1"),
        helper.make_node("Relu", ["h_pre"], ["h"], name="relu"),
        helper.make_node("Gemm", ["h", "W2", "b2"], ["logits"], name="fc2"),
    ]
    data = [rng.standard_normal((batch, n_in)).astype(np.float32),
            rng.integers(0, classes, batch).astype(np.int64)]
    return Spec(
        "mlp", f"MLP {n_in}-{hidden}-{classes}, batch {batch}, SGD", nodes,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, n_in])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT,
                                       [batch, classes])],
        w, data, "loss=cross-entropy optimizer=sgd lr=0.01", list(w))


def transformer(B=8, S=128, D=256, H=4, FF=1024):
    rng = np.random.default_rng(2)
    dh = D // H
    w = {}
    nodes = []

    def node(op, inputs, out, **attrs):
        nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    def const(name, value, dtype=np.float32):
        w[name] = np.array(value, dtype=dtype)
        return name

    def linear(v, prefix, n_in, n_out):
        w[prefix + "_w"] = _normal(rng, (n_in, n_out), 1 / math.sqrt(n_in))
        w[prefix + "_b"] = _normal(rng, (n_out,), 0.02)
        mm = node("MatMul", [v, prefix + "_w"], prefix + "_mm")
        return node("Add", [mm, prefix + "_b"], prefix)

    def layer_norm(v, prefix):
        w[prefix + "_g"] = np.ones(D, np.float32)
        w[prefix + "_beta"] = np.zeros(D, np.float32)
        return node("LayerNormalization", [v, prefix + "_g", prefix + "_beta"],
                    prefix, axis=-1, epsilon=1e-5)

    heads = const("heads_shape", [B, S, H, dh], np.int64)
    merged = const("merged_shape", [B, S, D], np.int64)
    ln1 = layer_norm("x", "ln1")

    def proj(prefix, perm):
        r = node("Reshape", [linear(ln1, prefix, D, D), heads], prefix + "_r")
        return node("Transpose", [r], prefix + "_t", perm=perm)

    q = proj("q", [0, 2, 1, 3])
    kt = proj("k", [0, 2, 3, 1])
    v = proj("v", [0, 2, 1, 3])
    scores = node("Mul", [node("MatMul", [q, kt], "qk"),
                          const("scale", 1 / math.sqrt(dh))], "scores")
    att = node("Softmax", [scores], "att", axis=-1)
    ctx = node("Transpose", [node("MatMul", [att, v], "ctx_h")], "ctx_t",
               perm=[0, 2, 1, 3])
    ctx = node("Reshape", [ctx, merged], "ctx")
    h1 = node("Add", ["x", linear(ctx, "o", D, D)], "h1")
    f = linear(layer_norm(h1, "ln2"), "ff1", D, FF)
    erf = node("Erf", [node("Div", [f, const("sqrt2", math.sqrt(2.0))],
                            "f_scaled")], "erf")
    gelu = node("Mul", [node("Mul", [f, node("Add", [erf, const("one", 1.0)],
                                             "erf1")], "f_erf1"),
                        const("half", 0.5)], "gelu")
    node("Add", [h1, linear(gelu, "ff2", FF, D)], "y")
    data = [rng.standard_normal((B, S, D)).astype(np.float32),
            rng.standard_normal((B, S, D)).astype(np.float32)]
    trainable = [n for n in w if n.endswith(("_w", "_b", "_g", "_beta"))]
    return Spec(
        "transformer",
        f"Transformer block {B}x{S}x{D}, FFN {FF}, {H} heads, Adam", nodes,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [B, S, D])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [B, S, D])],
        w, data, "loss=mse optimizer=adam lr=0.001", trainable)


def cnn(N=32, C=3, HW=32, C1=32, C2=64, classes=10):
    rng = np.random.default_rng(3)
    w = {
        "conv1_w": _normal(rng, (C1, C, 3, 3), 1 / math.sqrt(C * 9)),
        "bn_g": np.ones(C1, np.float32),
        "bn_b": np.zeros(C1, np.float32),
        "bn_mean": np.zeros(C1, np.float32),
        "bn_var": np.ones(C1, np.float32),
        "conv2_w": _normal(rng, (C2, C1, 3, 3), 1 / math.sqrt(C1 * 9)),
        "conv2_b": _normal(rng, (C2,), 0.02),
        "fc_w": _normal(rng, (C2, classes), 1 / math.sqrt(C2)),
        "fc_b": _normal(rng, (classes,), 0.02),
    }
    mk = helper.make_node
    nodes = [
        mk("Conv", ["x", "conv1_w"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
        # Training mode: normalizes with the batch statistics; the running
        # statistics it also computes feed nothing (PyTorch updates them).
        mk("BatchNormalization", ["c1", "bn_g", "bn_b", "bn_mean", "bn_var"],
           ["bn", "bn_running_mean", "bn_running_var"], name="bn",
           epsilon=1e-5, momentum=0.9, training_mode=1),
        mk("Relu", ["bn"], ["r1"], name="relu1"),
        mk("MaxPool", ["r1"], ["p1"], name="pool1", kernel_shape=[2, 2],
           strides=[2, 2]),
        mk("Conv", ["p1", "conv2_w", "conv2_b"], ["c2"], name="conv2",
           pads=[1, 1, 1, 1]),
        mk("Relu", ["c2"], ["r2"], name="relu2"),
        mk("GlobalAveragePool", ["r2"], ["gap"], name="gap"),
        mk("Flatten", ["gap"], ["flat"], name="flatten", axis=1),
        mk("Gemm", ["flat", "fc_w", "fc_b"], ["logits"], name="fc"),
    ]
    data = [rng.standard_normal((N, C, HW, HW)).astype(np.float32),
            rng.integers(0, classes, N).astype(np.int64)]
    trainable = ["conv1_w", "bn_g", "bn_b", "conv2_w", "conv2_b", "fc_w",
                 "fc_b"]
    return Spec(
        "cnn", f"CNN {N}x{C}x{HW}x{HW}, conv {C1}/{C2}, BN, SGD+momentum",
        nodes,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                       [N, C, HW, HW])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT,
                                       [N, classes])],
        w, data, "loss=cross-entropy optimizer=momentum lr=0.01 momentum=0.9",
        trainable)


MODELS = {"mlp": mlp, "transformer": transformer, "cnn": cnn}


def make_torch_step(spec):
    """A closure running one PyTorch eager training step of `spec` (zero
    the gradients, forward, loss, backward, optimizer step) and returning
    the loss as a 0-d tensor. Weights start from spec.weights, in the ONNX
    layout (Gemm/MatMul weights [in, out])."""
    import torch
    import torch.nn.functional as F

    p = {n: torch.nn.Parameter(torch.from_numpy(a.copy()))
         for n, a in spec.weights.items() if n in spec.trainable}
    x = torch.from_numpy(spec.data[0])
    label = torch.from_numpy(spec.data[1])

    if spec.name == "mlp":
        def forward():
            h = torch.relu(torch.addmm(p["b1"], x, p["W1"]))
            return F.cross_entropy(torch.addmm(p["b2"], h, p["W2"]), label)
        opt = torch.optim.SGD(p.values(), lr=0.01)
    elif spec.name == "transformer":
        B, S, D = x.shape
        H = 4
        dh = D // H
        scale = 1 / math.sqrt(dh)

        def lin(v, prefix):
            return torch.matmul(v, p[prefix + "_w"]) + p[prefix + "_b"]

        def forward():
            ln1 = F.layer_norm(x, (D,), p["ln1_g"], p["ln1_beta"], 1e-5)
            q = lin(ln1, "q").reshape(B, S, H, dh).permute(0, 2, 1, 3)
            kt = lin(ln1, "k").reshape(B, S, H, dh).permute(0, 2, 3, 1)
            v = lin(ln1, "v").reshape(B, S, H, dh).permute(0, 2, 1, 3)
            att = torch.softmax(torch.matmul(q, kt) * scale, dim=-1)
            ctx = torch.matmul(att, v).permute(0, 2, 1, 3).reshape(B, S, D)
            h1 = x + lin(ctx, "o")
            f = lin(F.layer_norm(h1, (D,), p["ln2_g"], p["ln2_beta"], 1e-5),
                    "ff1")
            y = h1 + lin(F.gelu(f), "ff2")
            return F.mse_loss(y, label)
        opt = torch.optim.Adam(p.values(), lr=1e-3, betas=(0.9, 0.999),
                               eps=1e-8)
    elif spec.name == "cnn":
        # PyTorch's running statistics (updated, unused by the step) start
        # where the ONNX initializers do.
        running_mean = torch.from_numpy(spec.weights["bn_mean"].copy())
        running_var = torch.from_numpy(spec.weights["bn_var"].copy())

        def forward():
            c1 = F.conv2d(x, p["conv1_w"], padding=1)
            bn = F.batch_norm(c1, running_mean, running_var, p["bn_g"],
                              p["bn_b"], training=True, momentum=0.1,
                              eps=1e-5)
            p1 = F.max_pool2d(torch.relu(bn), 2, 2)
            c2 = torch.relu(F.conv2d(p1, p["conv2_w"], p["conv2_b"],
                                     padding=1))
            gap = F.adaptive_avg_pool2d(c2, 1).flatten(1)
            return F.cross_entropy(torch.addmm(p["fc_b"], gap, p["fc_w"]),
                                   label)
        opt = torch.optim.SGD(p.values(), lr=0.01, momentum=0.9,
                              dampening=0)
    else:
        raise ValueError(spec.name)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = forward()
        loss.backward()
        opt.step()
        return loss.detach()

    return step


if __name__ == "__main__":
    # models.py OUT: each model as OUT/<name>/model.onnx, data/ and
    # kiln_options.txt (its --make-train-step options), for tests and tools.
    import sys
    for name, make in MODELS.items():
        spec = make()
        folder = os.path.join(sys.argv[1], name)
        spec.write(folder)
        with open(os.path.join(folder, "kiln_options.txt"), "w") as f:
            f.write(spec.kiln_options() + "\n")
