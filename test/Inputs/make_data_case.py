#!/usr/bin/python3
# ===- test/Inputs/make_data_case.py - Indexing cases for lit tests -------===#
#
# Part of the Kiln project: an MLIR compiler for training programs.
#
# ===-----------------------------------------------------------------------===#
#
# Writes one named ONNX case of a data-movement, indexing or index-reduction
# op in the backend-test layout, for corners that Debian's libonnx-testdata
# does not cover (NaN and ties in ArgMax/TopK, infinities, integer scatter
# reductions, duplicate indices, batch_dims with negative indices, Pad's
# wrap mode, three-operand and implicit Einsum, ...):
#
#   make_data_case.py NAME DIR
#     DIR/model.onnx
#     DIR/test_data_set_0/input_K.pb, output_K.pb
#
# References are computed here with plain numpy (loops where numpy has no
# single call), independent of Kiln. Run with /usr/bin/python3 (Debian's
# python3-onnx and python3-numpy): %python in lit.
#
# ===-----------------------------------------------------------------------===#

import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

NP_TO_ONNX = {
    np.dtype(np.float32): TensorProto.FLOAT,
    np.dtype(np.float64): TensorProto.DOUBLE,
    np.dtype(np.int32): TensorProto.INT32,
    np.dtype(np.int64): TensorProto.INT64,
    np.dtype(np.bool_): TensorProto.BOOL,
}


def single(op, inputs, outputs, opset=17, inits=None, **attrs):
    """A one-node model; `inputs`/`outputs` map names to numpy arrays;
    `inits` (name -> array) become initializers, after the inputs."""
    inits = inits or {}
    node = helper.make_node(op, list(inputs) + list(inits), list(outputs),
                            **attrs)

    def info(name, a):
        return helper.make_tensor_value_info(name, NP_TO_ONNX[a.dtype],
                                             list(a.shape))

    graph = helper.make_graph(
        [node], "case", [info(k, v) for k, v in inputs.items()],
        [info(k, v) for k, v in outputs.items()],
        initializer=[numpy_helper.from_array(v, k) for k, v in inits.items()])
    m = helper.make_model(graph,
                          opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m, list(inputs.values()), list(outputs.values())


nan, inf = np.nan, np.inf


def argmax_nan_ties():
    x = np.array([[1, nan, 3, nan], [2, 2, 1, 2], [-inf, -inf, -inf, -inf],
                  [0, -1, 5, 5]], np.float32)
    # numpy's argmax reports the first NaN; the last one is the first of
    # the reversed row.
    first = np.argmax(x, axis=1)
    return single("ArgMax", {"x": x}, {"y": first.astype(np.int64)},
                  axis=1, keepdims=0)


def argmax_select_last_nan():
    x = argmax_nan_ties()[1][0]
    last = x.shape[1] - 1 - np.argmax(x[:, ::-1], axis=1)
    return single("ArgMax", {"x": x},
                  {"y": last.astype(np.int64).reshape(4, 1)},
                  axis=1, keepdims=1, select_last_index=1)


def argmin_int_ties():
    x = np.array([[3, 1, 1, 2], [7, 7, 7, 7], [-5, 0, -5, 9]], np.int32)
    return single("ArgMin", {"x": x},
                  {"y": np.argmin(x, axis=0).astype(np.int64).reshape(1, 4)},
                  axis=0, keepdims=1)


def topk(x, k, largest):
    order = np.argsort(-x if largest else x, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(x, order, axis=1), order.astype(np.int64)


def topk_ties_inf():
    x = np.array([[1, 3, 3, -inf, 2, -inf], [0, 0, 0, 0, 0, 0],
                  [inf, -1, inf, 4, -inf, 4]], np.float32)
    k = np.array([4], np.int64)
    v, i = topk(x, 4, True)
    return single("TopK", {"x": x, "k": k}, {"values": v, "indices": i},
                  axis=-1)


def topk_smallest_int():
    x = np.array([[5, -2, 7, -2, 0], [1, 1, 1, 0, 9]], np.int32)
    k = np.array([3], np.int64)
    v, i = topk(x, 3, False)
    return single("TopK", {"x": x, "k": k}, {"values": v, "indices": i},
                  axis=1, largest=0)


def scatter_elements(data, indices, updates, axis, combine):
    out = data.copy()
    for pos in np.ndindex(*indices.shape):
        target = list(pos)
        j = indices[pos]
        target[axis] = j + data.shape[axis] if j < 0 else j
        out[tuple(target)] = combine(out[tuple(target)], updates[pos])
    return out


def scatter_elements_max_int():
    data = np.arange(12, dtype=np.int32).reshape(3, 4) - 4
    indices = np.array([[1, 0, 3], [1, 1, 0]], np.int64)
    updates = np.array([[9, -9, 2], [100, -7, 3]], np.int32)
    out = scatter_elements(data, indices, updates, 1, max)
    return single("ScatterElements",
                  {"data": data, "indices": indices, "updates": updates},
                  {"y": out}, opset=18, axis=1, reduction="max")


def scatter_elements_min_negative():
    rng = np.random.default_rng(7)
    data = rng.standard_normal((4, 3)).astype(np.float32)
    indices = np.array([[-1, 0, 2], [0, -4, -1]], np.int64)
    updates = rng.standard_normal((2, 3)).astype(np.float32)
    out = scatter_elements(data, indices, updates, 0, min)
    return single("ScatterElements",
                  {"data": data, "indices": indices, "updates": updates},
                  {"y": out}, opset=18, axis=0, reduction="min")


def scatternd_add_duplicates():
    rng = np.random.default_rng(3)
    data = rng.standard_normal((4, 3)).astype(np.float32)
    indices = np.array([[1], [3], [1], [-4]], np.int64)
    updates = rng.standard_normal((4, 3)).astype(np.float32)
    out = data.copy()
    for u in range(4):
        out[indices[u, 0]] += updates[u]
    return single("ScatterND",
                  {"data": data, "indices": indices, "updates": updates},
                  {"y": out}, opset=16, reduction="add")


def scatternd_none_elements():
    data = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    indices = np.array([[0, 2, 3], [1, 0, 0], [1, -1, -2]], np.int64)
    updates = np.array([-1, -2, -3], np.float32)
    out = data.copy()
    for u in range(3):
        out[tuple(indices[u])] = updates[u]
    return single("ScatterND",
                  {"data": data, "indices": indices, "updates": updates},
                  {"y": out}, opset=13)


def gathernd_batch_negative():
    data = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    indices = np.array([[[-1], [0]], [[2], [-2]]], np.int64)
    out = np.stack([data[b][indices[b, :, 0]] for b in range(2)])
    return single("GatherND", {"data": data, "indices": indices},
                  {"y": out}, batch_dims=1)


def pad_wrap():
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    pads = np.array([1, 2, 2, 1], np.int64)
    y = np.pad(x, ((1, 2), (2, 1)), mode="wrap")
    return single("Pad", {"x": x, "pads": pads}, {"y": y}, opset=19,
                  mode="wrap")


def pad_reflect_wide():
    # Pads wider than the extent reflect again (numpy's rule).
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    pads = np.array([0, 4, 1, 3], np.int64)
    y = np.pad(x, ((0, 1), (4, 3)), mode="reflect")
    return single("Pad", {"x": x, "pads": pads}, {"y": y}, opset=13,
                  mode="reflect")


def einsum_case(equation, *arrays):
    names = ["x%d" % i for i in range(len(arrays))]
    out = np.einsum(equation, *arrays)
    return single("Einsum", dict(zip(names, arrays)),
                  {"y": np.asarray(out, arrays[0].dtype)}, opset=12,
                  equation=equation)


def einsum_chain():
    rng = np.random.default_rng(1)
    return einsum_case("ij,jk,kl->li", rng.standard_normal((2, 3)),
                       rng.standard_normal((3, 4)), rng.standard_normal((4, 5)))


def einsum_implicit():
    rng = np.random.default_rng(2)
    return einsum_case("kj,ji", rng.standard_normal((2, 3)),
                       rng.standard_normal((3, 4)))


def einsum_trace_broadcast():
    rng = np.random.default_rng(4)
    return einsum_case("...ii,...i->...", rng.standard_normal((3, 4, 4)),
                       rng.standard_normal((1, 4)))


def cumsum_int_exclusive_reverse():
    x = np.arange(14, dtype=np.int32).reshape(2, 7) * 3 - 10
    axis = np.array(1, np.int64)
    rev = np.cumsum(x[:, ::-1], axis=1)[:, ::-1]
    y = np.concatenate([rev[:, 1:], np.zeros((2, 1), np.int32)], axis=1)
    return single("CumSum", {"x": x, "axis": axis}, {"y": y.astype(np.int32)},
                  opset=14, exclusive=1, reverse=1)


def split_num_outputs():
    x = np.arange(14, dtype=np.float32).reshape(2, 7)
    return single("Split", {"x": x},
                  {"a": x[:, 0:3], "b": x[:, 3:6], "c": x[:, 6:7]},
                  opset=18, axis=1, num_outputs=3)


def onehot_float_indices():
    indices = np.array([[1.7, -1.0, 12.0], [0.0, -10.0, 9.0]], np.float32)
    depth = np.array(10.0, np.float32)
    values = np.array([0, 5], np.int64)
    y = np.zeros((2, 10, 3), np.int64)
    for i in range(2):
        for j in range(3):
            k = int(np.trunc(indices[i, j]))
            k = k + 10 if k < 0 else k
            if 0 <= k < 10:
                y[i, k, j] = 5
    return single("OneHot", {"indices": indices, "depth": depth,
                             "values": values}, {"y": y}, opset=11, axis=1)


def range_negative_delta():
    start = np.array(5.0, np.float32)
    limit = np.array(1.0, np.float32)
    delta = np.array(-1.5, np.float32)
    y = np.arange(5.0, 1.0, -1.5).astype(np.float32)
    return single("Range", {"start": start, "limit": limit, "delta": delta},
                  {"y": y}, opset=11)


def hardmax_opset11():
    x = np.array([[[1, 5, 5, 0], [2, 2, 2, 2], [0, 0, 9, 1]],
                  [[3, 1, 4, 1], [5, 9, 2, 6], [5, 3, 5, 8]]], np.float32)
    flat = x.reshape(2, 12)
    y = np.zeros_like(flat)
    y[np.arange(2), np.argmax(flat, axis=1)] = 1
    return single("Hardmax", {"x": x}, {"y": y.reshape(x.shape)}, opset=11,
                  axis=1)


def tile_rows():
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    repeats = np.array([3, 1], np.int64)
    return single("Tile", {"x": x, "repeats": repeats},
                  {"y": np.tile(x, (3, 1))}, opset=13)


def tile_with_zero():
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    repeats = np.array([2, 0], np.int64)
    return single("Tile", {"x": x, "repeats": repeats},
                  {"y": np.tile(x, (2, 0))}, opset=13)


def hann_window_exact():
    # ONNX's definition with the exact pi (Debian's reference data for the
    # node tests was made with pi = 3.1415).
    size = np.array(10, np.int32)
    i = np.arange(10)
    y = (0.5 - 0.5 * np.cos(2 * np.pi * i / 10)).astype(np.float32)
    return single("HannWindow", {"size": size}, {"y": y})


def blackman_window_symmetric_f64():
    size = np.array(7, np.int64)
    i = np.arange(7)
    t = 2 * np.pi * i / 6
    y = 0.42 - 0.5 * np.cos(t) + 0.08 * np.cos(2 * t)
    return single("BlackmanWindow", {"size": size}, {"y": y}, periodic=0,
                  output_datatype=TensorProto.DOUBLE)


def maxunpool_duplicate_indices():
    # Overlapping 2x2 windows with stride 1 report the shared maximum twice;
    # the element appears once in the output.
    x = np.array([[[[4, 6, 9, 8, 7, 1], [0, 3, 2, 5, 1, 0], [1, 1, 8, 0, 2,
                                                           3]]]],
                 np.float32)
    # MaxPool(kernel 2x2, stride 1) of the top two rows: values and flat
    # indices into [2, 6] (the row dimension is kept at 2 below).
    top = x[0, 0, :2]
    vals, idx = [], []
    for w in range(5):
        win = top[:, w:w + 2]
        r, c = np.unravel_index(np.argmax(win), win.shape)
        vals.append(win[r, c])
        idx.append(r * 6 + w + c)
    xt = np.array(vals, np.float32).reshape(1, 1, 1, 5)
    xi = np.array(idx, np.int64).reshape(1, 1, 1, 5)
    y = np.zeros(12, np.float32)
    y[xi.ravel()] = xt.ravel()
    return single("MaxUnpool", {"x": xt, "i": xi}, {"y": y.reshape(1, 1, 2, 6)},
                  opset=11, kernel_shape=[2, 2], strides=[1, 1])


def pad_unknown_mode():
    # Invalid: ONNX has no 'mirror' mode (the importer must say so).
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    return single("Pad", {"x": x}, {"y": x},
                  inits={"pads": np.array([0, 1, 0, 1], np.int64)},
                  opset=13, mode="mirror")


CASES = {f.__name__: f for f in [
    argmax_nan_ties, argmax_select_last_nan, argmin_int_ties, topk_ties_inf,
    topk_smallest_int, scatter_elements_max_int, scatter_elements_min_negative,
    scatternd_add_duplicates, scatternd_none_elements, gathernd_batch_negative,
    pad_wrap, pad_reflect_wide, einsum_chain, einsum_implicit,
    einsum_trace_broadcast, cumsum_int_exclusive_reverse, split_num_outputs,
    onehot_float_indices, range_negative_delta, hardmax_opset11, tile_rows,
    tile_with_zero, hann_window_exact, blackman_window_symmetric_f64,
    maxunpool_duplicate_indices, pad_unknown_mode]}


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in CASES:
        sys.exit("usage: make_data_case.py {%s} DIR" % "|".join(CASES))
    model, inputs, outputs = CASES[sys.argv[1]]()
    out = Path(sys.argv[2])
    data = out / "test_data_set_0"
    data.mkdir(parents=True, exist_ok=True)
    onnx.save(model, out / "model.onnx")
    for k, (value, info) in enumerate(zip(inputs, model.graph.input)):
        (data / ("input_%d.pb" % k)).write_bytes(
            numpy_helper.from_array(value, info.name).SerializeToString())
    for k, (value, info) in enumerate(zip(outputs, model.graph.output)):
        (data / ("output_%d.pb" % k)).write_bytes(
            numpy_helper.from_array(value, info.name).SerializeToString())


if __name__ == "__main__":
    main()
