#!/usr/bin/python3
# ===- test/Inputs/make_nn_case.py - Neural-network ONNX cases for lit ----===#
#
# Part of the Kiln project: an MLIR compiler for training programs.
#
# ===-----------------------------------------------------------------------===#
#
# Writes one named ONNX case in the backend-test layout for the forms of the
# neural-network ops that Debian's libonnx-testdata does not cover (3-D
# windows with padding, strides, dilations and groups; ConvTranspose with
# groups, dilations and output_padding; ceil_mode with count_include_pad;
# LpPool; bidirectional, reverse and length-masked recurrent ops; GroupNorm;
# opset 18-20 activations; N-d Resize):
#
#   make_nn_case.py NAME DIR
#     DIR/model.onnx
#     DIR/test_data_set_0/input_K.pb, output_K.pb   (valid cases only)
#
# References are plain numpy loops in float64 that follow the ONNX operator
# specifications, independent of Kiln (and checked against PyTorch where it
# has the op). Inputs come from a fixed seed. Run with /usr/bin/python3
# (Debian's python3-onnx and python3-numpy): %python in lit.
#
# ===-----------------------------------------------------------------------===#

import itertools
import math
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F32 = TensorProto.FLOAT


def rand(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


def vinfo(name, shape, elem=F32):
    return helper.make_tensor_value_info(name, elem, list(shape))


def model(nodes, inputs, outputs, inits=(), opset=17):
    graph = helper.make_graph(nodes, "case", inputs, outputs,
                              initializer=list(inits))
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


def f64(*arrays):
    return [a.astype(np.float64) for a in arrays]


# ===--- Windows ----------------------------------------------------------===#

def window_slices(o_sizes, k, strides, dils):
    """Per spatial dim: the slice that tap k reads for every output."""
    return tuple(slice(ki * d, ki * d + (o - 1) * s + 1, s)
                 for ki, o, s, d in zip(k, o_sizes, strides, dils))


def conv_nd(x, w, b, strides, pads, dils, groups):
    """ONNX Conv: x [N, C, *], w [F, C/g, *k], pads [begins..., ends...]."""
    r = x.ndim - 2
    xp = np.pad(x, [(0, 0), (0, 0)] + [(pads[i], pads[r + i]) for i in range(r)])
    ks = w.shape[2:]
    out = [(xp.shape[2 + i] - dils[i] * (ks[i] - 1) - 1) // strides[i] + 1
           for i in range(r)]
    f, cg = w.shape[0], w.shape[1]
    fg = f // groups
    y = np.zeros([x.shape[0], f] + out)
    for k in itertools.product(*[range(kk) for kk in ks]):
        patch = xp[(slice(None), slice(None)) +
                   window_slices(out, k, strides, dils)]
        for g in range(groups):
            y[:, g * fg:(g + 1) * fg] += np.einsum(
                "nc...,fc->nf...", patch[:, g * cg:(g + 1) * cg],
                w[(slice(g * fg, (g + 1) * fg), slice(None)) + k])
    if b is not None:
        y += b.reshape([1, f] + [1] * r)
    return y


def conv_transpose_nd(x, w, b, strides, pads, dils, groups, output_padding):
    """ONNX ConvTranspose: x [N, C, *], w [C, M/g, *k]; every input position
    i adds x * w at output position i * stride + k * dilation - pad."""
    r = x.ndim - 2
    ks, ins = w.shape[2:], x.shape[2:]
    full = [strides[i] * (ins[i] - 1) + dils[i] * (ks[i] - 1) + 1 +
            output_padding[i] for i in range(r)]
    c, mg = w.shape[0], w.shape[1]
    cg = c // groups
    y = np.zeros([x.shape[0], mg * groups] + full)
    for k in itertools.product(*[range(kk) for kk in ks]):
        target = (slice(None), slice(None)) + window_slices(ins, k, strides,
                                                             dils)
        for g in range(groups):
            contrib = np.einsum("nc...,cm->nm...", x[:, g * cg:(g + 1) * cg],
                                w[(slice(g * cg, (g + 1) * cg), slice(None)) + k])
            view = y[(slice(None), slice(g * mg, (g + 1) * mg)) + target[2:]]
            view += contrib
    crop = tuple(slice(pads[i], full[i] - pads[r + i]) for i in range(r))
    y = y[(slice(None), slice(None)) + crop]
    if b is not None:
        y += b.reshape([1, mg * groups] + [1] * r)
    return y


def pool_nd(x, kind, ks, strides, pads, dils=None, ceil=False,
            count_include_pad=False, p=2):
    """ONNX MaxPool/AveragePool/LpPool with explicit pads and ceil_mode."""
    r = x.ndim - 2
    dils = dils or [1] * r
    out, extra = [], []
    for i in range(r):
        eff = dils[i] * (ks[i] - 1) + 1
        span = x.shape[2 + i] + pads[i] + pads[r + i] - eff
        o = (span + strides[i] - 1) // strides[i] + 1 if ceil else \
            span // strides[i] + 1
        if ceil and (o - 1) * strides[i] >= x.shape[2 + i] + pads[i]:
            o -= 1
        out.append(o)
        extra.append(max(0, (o - 1) * strides[i] + eff -
                         (x.shape[2 + i] + pads[i] + pads[r + i])))
    width = [(0, 0), (0, 0)] + [(pads[i], pads[r + i] + extra[i])
                                for i in range(r)]
    fill = -np.inf if kind == "max" else 0.0
    xp = np.pad(x, width, constant_values=fill)
    # Which padded positions count: the input, or also the declared pads.
    inside = np.pad(np.ones(x.shape), width)
    declared = np.pad(np.ones(x.shape),
                      [(0, 0), (0, 0)] + [(pads[i], pads[r + i]) for i in range(r)],
                      constant_values=1)
    declared = np.pad(declared, [(0, 0), (0, 0)] + [(0, e) for e in extra])
    counted = declared if count_include_pad else inside
    acc = np.full([x.shape[0], x.shape[1]] + out,
                  -np.inf if kind == "max" else 0.0)
    count = np.zeros_like(acc)
    for k in itertools.product(*[range(kk) for kk in ks]):
        sl = (slice(None), slice(None)) + window_slices(out, k, strides, dils)
        v = xp[sl]
        if kind == "max":
            acc = np.maximum(acc, v)
        elif kind == "avg":
            acc += v
            count += counted[sl]
        else:
            acc += np.abs(v) ** p
    if kind == "avg":
        return acc / count
    if kind == "lp":
        return acc ** (1.0 / p)
    return acc


# ===--- Recurrent --------------------------------------------------------===#

def sigmoid(v):
    return 1 / (1 + np.exp(-v))


def recurrent(cell, x, w, r, b, seq_lens, h0, c0, p, direction, layout,
              acts, clip=None, lbr=0):
    """ONNX RNN/GRU/LSTM. Time-major internally; entries past their length
    keep their state and output zeros. Returns Y, Y_h (, Y_c)."""
    if layout:
        x = x.swapaxes(0, 1)
        h0 = None if h0 is None else h0.swapaxes(0, 1)
        c0 = None if c0 is None else c0.swapaxes(0, 1)
    seq, batch, _ = x.shape
    dirs, gh, _ = w.shape
    hid = r.shape[2]
    gates = gh // hid
    lens = np.full(batch, seq) if seq_lens is None else seq_lens
    ys = np.zeros((seq, dirs, batch, hid))
    yh = np.zeros((dirs, batch, hid))
    yc = np.zeros((dirs, batch, hid))
    per = len(acts) // dirs
    for d in range(dirs):
        f = acts[d * per:(d + 1) * per]

        def act(i, v):
            if clip is not None:
                v = np.clip(v, -clip, clip)
            return f[i](v)
        wb = b[d, :gh] if b is not None else np.zeros(gh)
        rb = b[d, gh:] if b is not None else np.zeros(gh)
        h = h0[d] if h0 is not None else np.zeros((batch, hid))
        c = c0[d] if c0 is not None else np.zeros((batch, hid))
        reverse = direction == "reverse" or d == 1
        for t in (range(seq - 1, -1, -1) if reverse else range(seq)):
            xt = x[t] @ w[d].T + wb
            if cell == "RNN":
                hn = act(0, xt + h @ r[d].T + rb)
                cn = c
            elif cell == "GRU":
                rz = h @ r[d].T + rb
                z = act(0, xt[:, :hid] + rz[:, :hid])
                rr = act(0, xt[:, hid:2 * hid] + rz[:, hid:2 * hid])
                rh = r[d][2 * hid:]
                if lbr:
                    hh = act(1, xt[:, 2 * hid:] +
                             rr * (h @ rh.T + rb[2 * hid:]))
                else:
                    hh = act(1, xt[:, 2 * hid:] + (rr * h) @ rh.T +
                             rb[2 * hid:])
                hn = (1 - z) * hh + z * h
                cn = c
            else:
                g = xt + h @ r[d].T + rb
                pi, po, pf = (np.zeros(hid),) * 3 if p is None else \
                    (p[d, :hid], p[d, hid:2 * hid], p[d, 2 * hid:])
                i = act(0, g[:, :hid] + pi * c)
                fg = act(0, g[:, 2 * hid:3 * hid] + pf * c)
                cc = act(1, g[:, 3 * hid:])
                cn = fg * c + i * cc
                o = act(0, g[:, hid:2 * hid] + po * cn)
                hn = o * act(2, cn)
            valid = (t < lens)[:, None]
            h = np.where(valid, hn, h)
            c = np.where(valid, cn, c)
            ys[t, d] = np.where(valid, hn, 0)
        yh[d], yc[d] = h, c
    if layout:
        ys = ys.transpose(2, 0, 1, 3)
        yh, yc = yh.swapaxes(0, 1), yc.swapaxes(0, 1)
    return ys, yh, yc


# ===--- Cases ------------------------------------------------------------===#
# Each returns (model, [inputs], [outputs]).

def conv3d_groups(rng):
    """3-D Conv: groups 2, strides, asymmetric pads, dilations, bias."""
    x, w, b = rand(rng, 2, 4, 5, 6, 5), rand(rng, 6, 2, 2, 3, 2), rand(rng, 6)
    attrs = dict(group=2, strides=[2, 1, 2], pads=[1, 0, 1, 0, 2, 1],
                 dilations=[2, 1, 1])
    y = conv_nd(*f64(x, w, b), attrs["strides"], attrs["pads"],
                attrs["dilations"], 2)
    m = model([helper.make_node("Conv", ["x", "w", "b"], ["y"], name="c3",
                                **attrs)],
              [vinfo("x", x.shape), vinfo("w", w.shape), vinfo("b", b.shape)],
              [vinfo("y", y.shape)])
    return m, [x, w, b], [y]


def convtranspose_groups(rng):
    """2-D ConvTranspose: groups, strides, dilations, pads and an
    output_padding >= stride (allowed below the dilation)."""
    x, w, b = rand(rng, 2, 4, 3, 4), rand(rng, 4, 3, 3, 2), rand(rng, 6)
    attrs = dict(group=2, strides=[1, 3], dilations=[2, 1],
                 pads=[1, 0, 2, 1], output_padding=[1, 2])
    y = conv_transpose_nd(*f64(x, w, b), attrs["strides"], attrs["pads"],
                          attrs["dilations"], 2, attrs["output_padding"])
    m = model([helper.make_node("ConvTranspose", ["x", "w", "b"], ["y"],
                                name="ct", **attrs)],
              [vinfo("x", x.shape), vinfo("w", w.shape), vinfo("b", b.shape)],
              [vinfo("y", y.shape)])
    return m, [x, w, b], [y]


def convtranspose_3d(rng):
    """3-D ConvTranspose with strides, pads, output_padding and groups."""
    x, w = rand(rng, 1, 2, 3, 2, 3), rand(rng, 2, 2, 2, 3, 2)
    attrs = dict(group=2, strides=[2, 1, 2], pads=[1, 0, 0, 0, 1, 1],
                 output_padding=[1, 0, 1])
    y = conv_transpose_nd(*f64(x, w), None, attrs["strides"], attrs["pads"],
                          [1, 1, 1], 2, attrs["output_padding"])
    m = model([helper.make_node("ConvTranspose", ["x", "w"], ["y"],
                                name="ct3", **attrs)],
              [vinfo("x", x.shape), vinfo("w", w.shape)],
              [vinfo("y", y.shape)])
    return m, [x, w], [y]


def convtranspose_1d_output_shape(rng):
    """1-D ConvTranspose whose output_shape asks for one more position than
    the full result: the extra one is zero (pads come out negative)."""
    x, w = rand(rng, 1, 2, 4), rand(rng, 2, 3, 3)
    full = conv_transpose_nd(*f64(x, w), None, [2], [0, 0], [1], 1, [0])
    y = np.concatenate([full, np.zeros((1, 3, 1))], axis=2)
    m = model([helper.make_node("ConvTranspose", ["x", "w"], ["y"],
                                name="ct1", strides=[2], output_shape=[10])],
              [vinfo("x", x.shape), vinfo("w", w.shape)],
              [vinfo("y", y.shape)])
    return m, [x, w], [y]


def maxpool3d_ceil(rng):
    x = rand(rng, 1, 2, 5, 6, 7)
    attrs = dict(kernel_shape=[2, 3, 2], strides=[2, 2, 3],
                 pads=[1, 0, 1, 0, 1, 0], ceil_mode=1)
    y = pool_nd(x.astype(np.float64), "max", attrs["kernel_shape"],
                attrs["strides"], attrs["pads"], ceil=True)
    m = model([helper.make_node("MaxPool", ["x"], ["y"], name="mp3", **attrs)],
              [vinfo("x", x.shape)], [vinfo("y", y.shape)])
    return m, [x], [y]


def avgpool3d_pads(rng):
    """3-D AveragePool that excludes its padding (divisors vary)."""
    x = rand(rng, 1, 2, 4, 5, 6)
    attrs = dict(kernel_shape=[3, 2, 3], strides=[1, 2, 2],
                 pads=[1, 1, 0, 1, 0, 1])
    y = pool_nd(x.astype(np.float64), "avg", attrs["kernel_shape"],
                attrs["strides"], attrs["pads"])
    m = model([helper.make_node("AveragePool", ["x"], ["y"], name="ap3",
                                **attrs)],
              [vinfo("x", x.shape)], [vinfo("y", y.shape)])
    return m, [x], [y]


def avgpool2d_ceil_count_pad(rng):
    """ceil_mode with count_include_pad: the ceil extension is not counted."""
    x = rand(rng, 1, 2, 6, 7)
    attrs = dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1],
                 ceil_mode=1, count_include_pad=1)
    y = pool_nd(x.astype(np.float64), "avg", attrs["kernel_shape"],
                attrs["strides"], attrs["pads"], ceil=True,
                count_include_pad=True)
    m = model([helper.make_node("AveragePool", ["x"], ["y"], name="apc",
                                **attrs)],
              [vinfo("x", x.shape)], [vinfo("y", y.shape)])
    return m, [x], [y]


def lppool(rng):
    """LpPool p = 3 (2-D) and GlobalLpPool p = 1."""
    x = rand(rng, 2, 3, 5, 4)
    attrs = dict(kernel_shape=[2, 3], strides=[1, 2], pads=[1, 1, 0, 1], p=3)
    y = pool_nd(x.astype(np.float64), "lp", attrs["kernel_shape"],
                attrs["strides"], attrs["pads"], p=3)
    g = np.abs(x.astype(np.float64)).sum(axis=(2, 3), keepdims=True)
    m = model([helper.make_node("LpPool", ["x"], ["y"], name="lp", **attrs),
               helper.make_node("GlobalLpPool", ["x"], ["g"], name="glp", p=1)],
              [vinfo("x", x.shape)], [vinfo("y", y.shape), vinfo("g", g.shape)])
    return m, [x], [y, g]


def lstm_bidirectional(rng):
    """Bidirectional LSTM, batch-major (layout 1), with sequence lengths,
    initial states, peepholes and biases: outputs Y, Y_h and Y_c."""
    batch, seq, inp, hid = 3, 4, 2, 3
    x = rand(rng, batch, seq, inp)
    w, r = rand(rng, 2, 4 * hid, inp), rand(rng, 2, 4 * hid, hid)
    b, p = rand(rng, 2, 8 * hid), rand(rng, 2, 3 * hid)
    h0, c0 = rand(rng, batch, 2, hid), rand(rng, batch, 2, hid)
    lens = np.array([4, 2, 1], np.int32)
    acts = [sigmoid, np.tanh, np.tanh] * 2
    y, yh, yc = recurrent("LSTM", *f64(x, w, r, b), lens, *f64(h0, c0, p),
                          "bidirectional", 1, acts)
    node = helper.make_node(
        "LSTM", ["x", "w", "r", "b", "lens", "h0", "c0", "p"],
        ["y", "yh", "yc"], name="lstm", hidden_size=hid,
        direction="bidirectional", layout=1)
    m = model([node],
              [vinfo("x", x.shape), vinfo("w", w.shape), vinfo("r", r.shape),
               vinfo("b", b.shape), vinfo("lens", lens.shape, TensorProto.INT32),
               vinfo("h0", h0.shape), vinfo("c0", c0.shape),
               vinfo("p", p.shape)],
              [vinfo("y", y.shape), vinfo("yh", yh.shape),
               vinfo("yc", yc.shape)])
    return m, [x, w, r, b, lens, h0, c0, p], [y, yh, yc]


def gru_reverse(rng):
    """Reverse GRU with linear_before_reset, an initial state and biases."""
    seq, batch, inp, hid = 3, 2, 3, 4
    x = rand(rng, seq, batch, inp)
    w, r = rand(rng, 1, 3 * hid, inp), rand(rng, 1, 3 * hid, hid)
    b, h0 = rand(rng, 1, 6 * hid), rand(rng, 1, batch, hid)
    y, yh, _ = recurrent("GRU", *f64(x, w, r, b), None, h0.astype(np.float64),
                         None, None, "reverse", 0, [sigmoid, np.tanh], lbr=1)
    node = helper.make_node("GRU", ["x", "w", "r", "b", "", "h0"], ["y", "yh"],
                            name="gru", hidden_size=hid, direction="reverse",
                            linear_before_reset=1)
    m = model([node],
              [vinfo("x", x.shape), vinfo("w", w.shape), vinfo("r", r.shape),
               vinfo("b", b.shape), vinfo("h0", h0.shape)],
              [vinfo("y", y.shape), vinfo("yh", yh.shape)])
    return m, [x, w, r, b, h0], [y, yh]


def rnn_activations(rng):
    """Bidirectional RNN with per-direction activations (LeakyRelu with an
    alpha, ScaledTanh with alpha and beta) and a clip."""
    seq, batch, inp, hid = 3, 2, 2, 3
    x = rand(rng, seq, batch, inp)
    w, r = rand(rng, 2, hid, inp), rand(rng, 2, hid, hid)
    acts = [lambda v: np.where(v < 0, 0.2 * v, v),
            lambda v: 0.7 * np.tanh(1.5 * v)]
    y, yh, _ = recurrent("RNN", *f64(x, w, r), None, None, None, None, None,
                         "bidirectional", 0, acts, clip=1.25)
    node = helper.make_node("RNN", ["x", "w", "r"], ["y", "yh"], name="rnn",
                            hidden_size=hid, direction="bidirectional",
                            activations=["LeakyRelu", "ScaledTanh"],
                            activation_alpha=[0.2, 0.7],
                            activation_beta=[1.5], clip=1.25)
    m = model([node],
              [vinfo("x", x.shape), vinfo("w", w.shape), vinfo("r", r.shape)],
              [vinfo("y", y.shape), vinfo("yh", yh.shape)])
    return m, [x, w, r], [y, yh]


def group_norm(rng):
    """GroupNormalization (opset 18: scale and bias per group)."""
    x = rand(rng, 2, 6, 3, 2)
    s, b = rand(rng, 3), rand(rng, 3)
    xg = x.astype(np.float64).reshape(2, 3, -1)
    mean = xg.mean(axis=2, keepdims=True)
    var = ((xg - mean) ** 2).mean(axis=2, keepdims=True)
    y = (xg - mean) / np.sqrt(var + 1e-3)
    y = (y * s.reshape(1, 3, 1) + b.reshape(1, 3, 1)).reshape(x.shape)
    m = model([helper.make_node("GroupNormalization", ["x", "s", "b"], ["y"],
                                name="gn", num_groups=3, epsilon=1e-3)],
              [vinfo("x", x.shape), vinfo("s", s.shape), vinfo("b", b.shape)],
              [vinfo("y", y.shape)], opset=18)
    return m, [x, s, b], [y]


def lp_normalization(rng):
    """LpNormalization p = 1 on axis 1 and p = 2 on the last axis."""
    x = rand(rng, 3, 4, 2).astype(np.float64)
    y1 = x / np.abs(x).sum(axis=1, keepdims=True)
    y2 = x / np.sqrt((x * x).sum(axis=-1, keepdims=True))
    m = model([helper.make_node("LpNormalization", ["x"], ["y1"], name="l1",
                                axis=1, p=1),
               helper.make_node("LpNormalization", ["x"], ["y2"], name="l2")],
              [vinfo("x", x.shape)], [vinfo("y1", x.shape), vinfo("y2", x.shape)])
    return m, [x.astype(np.float32)], [y1, y2]


def activations_opset20(rng):
    """Gelu (exact and tanh), Mish, and Swish-like compositions."""
    x = (3 * rand(rng, 4, 5)).astype(np.float32)
    v = x.astype(np.float64)
    erf = np.vectorize(math.erf)
    gelu = 0.5 * v * (1 + erf(v / math.sqrt(2)))
    gelu_tanh = 0.5 * v * (1 + np.tanh(math.sqrt(2 / math.pi) *
                                       (v + 0.044715 * v ** 3)))
    mish = v * np.tanh(np.log1p(np.exp(v)))
    m = model([helper.make_node("Gelu", ["x"], ["g"], name="gelu"),
               helper.make_node("Gelu", ["x"], ["t"], name="gelu_tanh",
                                approximate="tanh"),
               helper.make_node("Mish", ["x"], ["m"], name="mish")],
              [vinfo("x", x.shape)],
              [vinfo("g", x.shape), vinfo("t", x.shape), vinfo("m", x.shape)],
              opset=20)
    return m, [x], [gelu, gelu_tanh, mish]


def resize_trilinear(rng):
    """Linear Resize of the three trailing axes of a 5-D tensor with
    align_corners, scales from an initializer (sizes differ per axis)."""
    x = rand(rng, 1, 2, 3, 4, 2)
    scales = np.array([1, 1, 2, 0.5, 2.5], np.float32)
    v = x.astype(np.float64)
    for axis in (4, 3, 2):
        n_in = v.shape[axis]
        n_out = int(scales[axis] * n_in)
        width = float(scales[axis]) * n_in
        pos = np.array([0.0 if width == 1 else o * (n_in - 1) / (width - 1)
                        for o in range(n_out)])
        lo = np.clip(np.floor(pos).astype(int), 0, n_in - 1)
        hi = np.clip(lo + 1, 0, n_in - 1)
        frac = pos - np.floor(pos)
        shape = [1] * v.ndim
        shape[axis] = n_out
        v = (np.take(v, lo, axis) * (1 - frac).reshape(shape) +
             np.take(v, hi, axis) * frac.reshape(shape))
    m = model([helper.make_node("Resize", ["x", "", "scales"], ["y"],
                                name="rs", mode="linear",
                                coordinate_transformation_mode="align_corners")],
              [vinfo("x", x.shape)], [vinfo("y", v.shape)],
              [numpy_helper.from_array(scales, "scales")])
    return m, [x], [v]


def maxpool_4d_unsupported(rng):
    """A window over four spatial dimensions: not imported (exit 2)."""
    m = model([helper.make_node("MaxPool", ["x"], ["y"], name="pool4d",
                                kernel_shape=[2, 2, 2, 2])],
              [vinfo("x", [1, 1, 3, 3, 3, 3])],
              [vinfo("y", [1, 1, 2, 2, 2, 2])])
    return m, None, None


CASES = {f.__name__: f for f in [
    conv3d_groups, convtranspose_groups, convtranspose_3d,
    convtranspose_1d_output_shape, maxpool3d_ceil, avgpool3d_pads,
    avgpool2d_ceil_count_pad, lppool, lstm_bidirectional, gru_reverse,
    rnn_activations, group_norm, lp_normalization, activations_opset20,
    resize_trilinear, maxpool_4d_unsupported]}


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in CASES:
        sys.exit("usage: make_nn_case.py {%s} DIR" % ",".join(CASES))
    out = Path(sys.argv[2])
    rng = np.random.default_rng(4321)
    m, inputs, outputs = CASES[sys.argv[1]](rng)
    out.mkdir(parents=True, exist_ok=True)
    onnx.save(m, str(out / "model.onnx"))
    if inputs is None:
        return
    data = out / "test_data_set_0"
    data.mkdir(exist_ok=True)
    names = [i.name for i in m.graph.input
             if i.name not in {t.name for t in m.graph.initializer}]
    for k, (name, value) in enumerate(zip(names, inputs)):
        value = np.asarray(value)
        if value.dtype == np.float64:
            value = value.astype(np.float32)
        t = numpy_helper.from_array(value, name)
        (data / f"input_{k}.pb").write_bytes(t.SerializeToString())
    for k, (info, value) in enumerate(zip(m.graph.output, outputs)):
        t = numpy_helper.from_array(np.asarray(value, np.float32), info.name)
        (data / f"output_{k}.pb").write_bytes(t.SerializeToString())


if __name__ == "__main__":
    main()
