#!/usr/bin/python3
# ===- test/Inputs/make_training_case.py - Small training ONNX cases -----===#
#
# Part of the Kiln project: an MLIR compiler for training programs.
#
# ===-----------------------------------------------------------------------===#
#
# Writes one named ONNX case with training ops in the backend-test layout,
# for forms that Debian's libonnx-testdata does not cover (old-opset
# training BatchNormalization, literal Dropout ratios, MaxPool gradients
# with overlapping, padded, dilated and ceil_mode windows and ties, error
# cases):
#
#   make_training_case.py NAME DIR
#     DIR/model.onnx
#     DIR/test_data_set_0/input_K.pb, output_K.pb   (cases with references)
#
# References are computed here with the ONNX spec's formulas in numpy
# (float64, rounded to f32), independent of Kiln. Run with /usr/bin/python3
# (Debian's python3-onnx and python3-numpy): %python in lit.
#
# ===-----------------------------------------------------------------------===#

import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F32 = TensorProto.FLOAT
TRAINING = "ai.onnx.preview.training"


def vinfo(name, shape, elem=F32):
    return helper.make_tensor_value_info(name, elem, list(shape))


def model(nodes, inputs, outputs, inits=(), opsets=(("", 17),)):
    graph = helper.make_graph(nodes, "case", inputs, outputs, list(inits))
    return helper.make_model(
        graph, opset_imports=[helper.make_opsetid(d, v) for d, v in opsets])


def sce_bad_reduction():
    node = helper.make_node("SoftmaxCrossEntropyLoss", ["x", "t"], ["z"],
                            name="loss", reduction="average")
    return model([node], [vinfo("x", [2, 3]), vinfo("t", [2], TensorProto.INT64)],
                 [vinfo("z", [])]), None


def gradient_other_value():
    # dc/da asked at a2, which is not the tensor named 'a'.
    add = helper.make_node("Add", ["a", "b"], ["c"])
    grad = helper.make_node("Gradient", ["a2", "b"], ["da", "db"], name="grad",
                            domain=TRAINING, xs=["a", "b"], y="c")
    m = model([add, grad], [vinfo(n, [2]) for n in ("a", "b", "a2")],
              [vinfo("da", [2]), vinfo("db", [2])],
              opsets=(("", 17), (TRAINING, 1)))
    return m, None


def gradient_no_domain():
    add = helper.make_node("Add", ["a", "b"], ["c"])
    grad = helper.make_node("Gradient", ["a", "b"], ["da", "db"], name="grad",
                            domain=TRAINING, xs=["a", "b"], y="c")
    m = model([add, grad], [vinfo(n, [2]) for n in ("a", "b")],
              [vinfo("da", [2]), vinfo("db", [2])])
    return m, None


def batchnorm9_training():
    # Opset 9: training mode is marked by the extra outputs.
    rng = np.random.default_rng(9)
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    s = rng.standard_normal(3).astype(np.float32)
    bias = rng.standard_normal(3).astype(np.float32)
    mean = rng.standard_normal(3).astype(np.float32)
    var = rng.random(3).astype(np.float32)
    eps, momentum = 1e-3, 0.7
    node = helper.make_node(
        "BatchNormalization", ["x", "s", "bias", "mean", "var"],
        ["y", "running_mean", "running_var", "saved_mean", "saved_var"],
        epsilon=eps, momentum=momentum)
    x64 = x.astype(np.float64)
    bmean = x64.mean(axis=(0, 2))
    bvar = x64.var(axis=(0, 2))
    y = (x64 - bmean[None, :, None]) / np.sqrt(bvar[None, :, None] + eps) * \
        s[None, :, None] + bias[None, :, None]
    outs = [y, mean * momentum + bmean * (1 - momentum),
            var * momentum + bvar * (1 - momentum), bmean, bvar]
    m = model([node], [vinfo("x", x.shape)] +
              [vinfo(n, [3]) for n in ("s", "bias", "mean", "var")],
              [vinfo("y", x.shape)] +
              [vinfo(n, [3]) for n in ("running_mean", "running_var",
                                       "saved_mean", "saved_var")],
              opsets=(("", 9),))
    return m, ([x, s, bias, mean, var], [o.astype(np.float32) for o in outs])


def batchnorm15_outputs_without_training():
    node = helper.make_node(
        "BatchNormalization", ["x", "s", "bias", "mean", "var"],
        ["y", "running_mean", "running_var"])
    m = model([node], [vinfo("x", [2, 3, 4])] +
              [vinfo(n, [3]) for n in ("s", "bias", "mean", "var")],
              [vinfo("y", [2, 3, 4]), vinfo("running_mean", [3]),
               vinfo("running_var", [3])], opsets=(("", 15),))
    return m, None


def dropout_zero_ratio():
    inits = [numpy_helper.from_array(np.array(0.0, np.float32), "r"),
             numpy_helper.from_array(np.array(True), "t")]
    node = helper.make_node("Dropout", ["x", "r", "t"], ["y", "mask"], seed=3)
    m = model([node], [vinfo("x", [4, 6])],
              [vinfo("y", [4, 6]), vinfo("mask", [4, 6], TensorProto.BOOL)],
              inits)
    return m, None


def dropout_two_unseeded():
    inits = [numpy_helper.from_array(np.array(0.5, np.float32), "r"),
             numpy_helper.from_array(np.array(True), "t")]
    nodes = [helper.make_node("Dropout", ["x", "r", "t"], ["h"]),
             helper.make_node("Dropout", ["h", "r", "t"], ["y"])]
    return model(nodes, [vinfo("x", [4, 6])], [vinfo("y", [4, 6])], inits), None


def custom_domain_node():
    # A domain Kiln does not know, beside the two it does.
    node = helper.make_node("Frobnicate", ["x"], ["y"], name="my_custom",
                            domain="com.example")
    m = model([node], [vinfo("x", [2])], [vinfo("y", [2])],
              opsets=(("", 17), ("com.example", 1)))
    return m, None


def maxpool_grad_reference(x, dy, kernel, strides, pads, dils):
    """d sum(MaxPool(x) * dy) / dx by plain loops: each window's gradient
    goes to its first maximum in row-major tap order among the taps inside
    the input (padding never wins; a window of -inf goes to its first real
    tap), as PyTorch routes it; overlapping windows accumulate."""
    dx = np.zeros(x.shape, np.float64)
    n_, c_, oh_, ow_ = dy.shape
    for n in range(n_):
        for c in range(c_):
            for oh in range(oh_):
                for ow in range(ow_):
                    best = None
                    for kh in range(kernel[0]):
                        for kw in range(kernel[1]):
                            h = oh * strides[0] + kh * dils[0] - pads[0]
                            w = ow * strides[1] + kw * dils[1] - pads[1]
                            if not (0 <= h < x.shape[2] and 0 <= w < x.shape[3]):
                                continue
                            if best is None or x[n, c, h, w] > best[0]:
                                best = (x[n, c, h, w], h, w)
                    if best is not None:
                        dx[n, c, best[1], best[2]] += dy[n, c, oh, ow]
    return dx.astype(np.float32)


def maxpool_grad_case(x, out_hw, kernel, strides, pads, dils, ceil_mode=0,
                      seed=0):
    """Gradient(xs=[x], zs=[w]) of sum(MaxPool(x) * w); the reference is
    maxpool_grad_reference at dy = w. `pads` is ONNX's [top, left, bottom,
    right]; `out_hw` is the output size the ONNX shape rule gives (ceil_mode
    included), from which the extra end padding of ceil_mode follows."""
    rng = np.random.default_rng(seed)
    n, c = x.shape[:2]
    w = rng.standard_normal((n, c) + tuple(out_hw)).astype(np.float32)
    pool = helper.make_node("MaxPool", ["x"], ["y"], name="pool",
                            kernel_shape=list(kernel), strides=list(strides),
                            pads=list(pads), dilations=list(dils),
                            ceil_mode=ceil_mode)
    mul = helper.make_node("Mul", ["y", "w"], ["yw"])
    loss = helper.make_node("ReduceSum", ["yw"], ["loss"], keepdims=0)
    grad = helper.make_node("Gradient", ["x", "w"], ["dx"], name="grad",
                            domain=TRAINING, xs=["x"], zs=["w"], y="loss")
    m = model([pool, mul, loss, grad],
              [vinfo("x", x.shape), vinfo("w", w.shape)],
              [vinfo("dx", x.shape)], opsets=(("", 17), (TRAINING, 1)))
    return m, ([x, w], [maxpool_grad_reference(x, w, kernel, strides, pads,
                                               dils)])


def maxpool_grad_overlap():
    # stride 1 < kernel 3 in H, 2 < 3 in W, padding on three sides, and
    # small integers, so most windows hold ties that other windows share.
    # H: (6 + 2 - 3) / 1 + 1 = 6; W: (8 + 2 - 3) / 2 + 1 = 4.
    x = np.random.default_rng(1).integers(-2, 3, (2, 3, 6, 8))
    return maxpool_grad_case(x.astype(np.float32), (6, 4), (3, 3), (1, 2),
                             (1, 2, 1, 0), (1, 1), seed=11)


def maxpool_grad_dilated_ceil():
    # Dilations 2 and 3 whose taps meet those of the next window (strides 2
    # and 3), asymmetric padding and ceil_mode's extra partial windows
    # (4 x 4 instead of 3 x 3); ties.
    # H: ceil((9 + 1 + 0 - 5) / 2) + 1 = 4; W: ceil((11 + 1 + 0 - 4) / 3) + 1 = 4.
    x = np.random.default_rng(2).integers(0, 3, (1, 2, 9, 11))
    return maxpool_grad_case(x.astype(np.float32), (4, 4), (3, 2), (2, 3),
                             (1, 1, 0, 0), (2, 3), ceil_mode=1, seed=12)


def maxpool_grad_neg_inf():
    # -inf beside padding: a window whose real taps are all -inf routes to
    # its first real tap, never to the padding (also -inf when padded).
    x = np.full((1, 2, 4, 5), -np.inf, np.float32)
    x[0, 0, 2, 3] = 1.0
    x[0, 1, 0, 0] = x[0, 1, 3, 4] = 0.5
    x[0, 1, 1, 2] = 0.5
    # H, W: (4 + 2 - 2) / 1 + 1 = 5; (5 + 2 - 2) / 1 + 1 = 6.
    return maxpool_grad_case(x, (5, 6), (2, 2), (1, 1), (1, 1, 1, 1), (1, 1),
                             seed=13)


def maxpool_grad_tiling():
    # Windows that tile the input (stride = kernel, no padding): the
    # lowering's expanded-shape form. 2x2 windows over small integers
    # (ties everywhere), and a window of -inf (routes to its first tap).
    x = np.random.default_rng(3).integers(-1, 2, (2, 3, 6, 8))
    x = x.astype(np.float32)
    x[1, 2, 2:4, 4:6] = -np.inf
    return maxpool_grad_case(x, (3, 4), (2, 2), (2, 2), (0, 0, 0, 0), (1, 1),
                             seed=14)


def maxpool_grad_tiling_rect():
    # 3x2 windows with strides 3 and 2 tiling a 9 x 8 input, ties.
    x = np.random.default_rng(4).integers(0, 3, (1, 2, 9, 8))
    return maxpool_grad_case(x.astype(np.float32), (3, 4), (3, 2), (3, 2),
                             (0, 0, 0, 0), (1, 1), seed=15)


CASES = {f.__name__: f for f in (custom_domain_node, sce_bad_reduction, gradient_other_value,
                                 gradient_no_domain, batchnorm9_training,
                                 batchnorm15_outputs_without_training,
                                 dropout_zero_ratio, dropout_two_unseeded,
                                 maxpool_grad_overlap, maxpool_grad_dilated_ceil,
                                 maxpool_grad_neg_inf, maxpool_grad_tiling,
                                 maxpool_grad_tiling_rect)}


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in CASES:
        sys.exit("usage: make_training_case.py {%s} DIR" % ",".join(CASES))
    out = Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    m, data = CASES[sys.argv[1]]()
    onnx.save(m, str(out / "model.onnx"))
    if data is None:
        return
    inputs, outputs = data
    ds = out / "test_data_set_0"
    ds.mkdir(exist_ok=True)
    for k, a in enumerate(inputs):
        (ds / f"input_{k}.pb").write_bytes(
            numpy_helper.from_array(a).SerializeToString())
    for k, a in enumerate(outputs):
        (ds / f"output_{k}.pb").write_bytes(
            numpy_helper.from_array(a).SerializeToString())


if __name__ == "__main__":
    main()
