#!/usr/bin/python3
# ===- test/Inputs/make_onnx_case.py - Small ONNX cases for lit tests -----===#
#
# Part of the Kiln project: an MLIR compiler for training programs.
#
# ===-----------------------------------------------------------------------===#
#
# Writes one named ONNX case in the backend-test layout, for forms that
# Debian's libonnx-testdata does not cover (or covers only with
# shape-carrying graph inputs, which `kiln-opt model.onnx` cannot fold):
#
#   make_onnx_case.py NAME DIR
#     DIR/model.onnx
#     DIR/test_data_set_0/input_K.pb, output_K.pb   (valid cases only)
#
# References are computed here with plain numpy formulas (float64, rounded
# to f32), independent of Kiln. Inputs come from a fixed seed. Run with
# /usr/bin/python3 (Debian's python3-onnx and python3-numpy): %python in lit.
#
# ===-----------------------------------------------------------------------===#

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


def softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def coerced(fn, x, axis):
    """Opset < 13 Softmax/LogSoftmax: flatten to 2-D at axis, normalize rows."""
    outer = int(np.prod(x.shape[:axis], dtype=np.int64))
    return fn(x.reshape(outer, -1)).reshape(x.shape)


def conv2d(x, w, b, pads, strides):
    """NCHW x FCHW cross-correlation; pads = [top, left, bottom, right]."""
    x = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    n, c, h, wd = x.shape
    f, _, kh, kw = w.shape
    oh = (h - kh) // strides[0] + 1
    ow = (wd - kw) // strides[1] + 1
    y = np.zeros((n, f, oh, ow))
    for i in range(oh):
        for j in range(ow):
            patch = x[:, :, i * strides[0]:i * strides[0] + kh,
                      j * strides[1]:j * strides[1] + kw]
            y[:, :, i, j] = np.einsum("nchw,fchw->nf", patch, w)
    return y + b.reshape(1, f, 1, 1)


# Each case returns (model, [inputs], [outputs]); outputs None for models
# that are meant not to import.
def matmul_1d_lhs(rng):
    a, b = rand(rng, 4), rand(rng, 2, 4, 3)
    m = model([helper.make_node("MatMul", ["a", "b"], ["y"], name="mm")],
              [vinfo("a", a.shape), vinfo("b", b.shape)], [vinfo("y", [2, 3])])
    return m, [a, b], [np.matmul(a.astype(np.float64), b)]


def matmul_1d_rhs(rng):
    a, b = rand(rng, 2, 3, 4), rand(rng, 4)
    m = model([helper.make_node("MatMul", ["a", "b"], ["y"], name="mm")],
              [vinfo("a", a.shape), vinfo("b", b.shape)], [vinfo("y", [2, 3])])
    return m, [a, b], [np.matmul(a.astype(np.float64), b)]


def matmul_1d_both(rng):
    a, b = rand(rng, 4), rand(rng, 4)
    m = model([helper.make_node("MatMul", ["a", "b"], ["y"], name="dot")],
              [vinfo("a", a.shape), vinfo("b", b.shape)], [vinfo("y", [])])
    return m, [a, b], [np.array(np.matmul(a.astype(np.float64), b))]


def matmul_linear(rng):
    a, b = rand(rng, 2, 3, 4), rand(rng, 4, 5)
    m = model([helper.make_node("MatMul", ["a", "b"], ["y"], name="linear")],
              [vinfo("a", a.shape), vinfo("b", b.shape)], [vinfo("y", [2, 3, 5])])
    return m, [a, b], [np.matmul(a.astype(np.float64), b)]


def matmul_batch_broadcast(rng):
    a, b = rand(rng, 2, 1, 3, 4), rand(rng, 5, 4, 6)
    m = model([helper.make_node("MatMul", ["a", "b"], ["y"], name="bmm")],
              [vinfo("a", a.shape), vinfo("b", b.shape)],
              [vinfo("y", [2, 5, 3, 6])])
    return m, [a, b], [np.matmul(a.astype(np.float64), b)]


def softmax_opset11(rng):
    """Softmax(axis=1) of [2,3,4] at opset 11 normalizes over 3*4 = 12."""
    x = rand(rng, 2, 3, 4)
    m = model([helper.make_node("Softmax", ["x"], ["y"], name="sm", axis=1)],
              [vinfo("x", x.shape)], [vinfo("y", x.shape)], opset=11)
    return m, [x], [coerced(lambda v: softmax(v, 1), x.astype(np.float64), 1)]


def logsoftmax_opset11_axis0(rng):
    """LogSoftmax(axis=0) at opset 11 normalizes over every element."""
    x = rand(rng, 2, 3, 4)
    m = model([helper.make_node("LogSoftmax", ["x"], ["y"], name="lsm",
                                axis=0)],
              [vinfo("x", x.shape)], [vinfo("y", x.shape)], opset=11)
    ref = coerced(lambda v: np.log(softmax(v, 1)), x.astype(np.float64), 0)
    return m, [x], [ref]


def slice_negative_steps(rng):
    """x[::-2, 1:3] with constant (initializer) starts/ends/axes/steps."""
    x = rand(rng, 5, 4)
    inits = [numpy_helper.from_array(np.array(v, np.int64), name)
             for name, v in [("starts", [-1, 1]), ("ends", [-100, 3]),
                             ("axes", [0, 1]), ("steps", [-2, 1])]]
    m = model([helper.make_node("Slice", ["x", "starts", "ends", "axes",
                                          "steps"], ["y"], name="sl")],
              [vinfo("x", x.shape)], [vinfo("y", [3, 2])], inits)
    return m, [x], [x[::-2, 1:3]]


def conv_bias_same_lower(rng):
    """Conv with a bias and auto_pad SAME_LOWER: the odd pad goes first."""
    x = rand(rng, 1, 2, 4, 4)
    w, b = rand(rng, 3, 2, 2, 2), rand(rng, 3)
    inits = [numpy_helper.from_array(w, "W"), numpy_helper.from_array(b, "B")]
    m = model([helper.make_node("Conv", ["x", "W", "B"], ["y"], name="conv",
                                auto_pad="SAME_LOWER", kernel_shape=[2, 2])],
              [vinfo("x", x.shape)], [vinfo("y", [1, 3, 4, 4])], inits)
    ref = conv2d(x.astype(np.float64), w.astype(np.float64), b, [1, 1, 0, 0],
                 [1, 1])
    return m, [x], [ref]


# Models that must not import: each error names the node and the reason.
def bad_matmul_shapes(rng):
    m = model([helper.make_node("MatMul", ["a", "b"], ["y"], name="proj")],
              [vinfo("a", [3, 4]), vinfo("b", [5, 6])], [vinfo("y", [3, 6])])
    return m, None, None


def unsupported_third_node(rng):
    """The third node (unnamed, so 'node #2') is an op Kiln lacks."""
    nodes = [helper.make_node("Relu", ["x"], ["h1"]),
             helper.make_node("Neg", ["h1"], ["h2"]),
             helper.make_node("Det", ["h2"], ["y"])]
    m = model(nodes, [vinfo("x", [3, 3])], [vinfo("y", [])])
    return m, None, None


def undefined_input(rng):
    m = model([helper.make_node("Add", ["x", "nowhere"], ["y"], name="add")],
              [vinfo("x", [2])], [vinfo("y", [2])])
    return m, None, None


def bad_conv_groups(rng):
    w = numpy_helper.from_array(np.zeros((4, 2, 3, 3), np.float32), "W")
    m = model([helper.make_node("Conv", ["x", "W"], ["y"], name="conv1",
                                group=2)],
              [vinfo("x", [1, 3, 8, 8])], [vinfo("y", [1, 4, 6, 6])], [w])
    return m, None, None


CASES = {f.__name__: f for f in [
    matmul_1d_lhs, matmul_1d_rhs, matmul_1d_both, matmul_linear,
    matmul_batch_broadcast,
    softmax_opset11, logsoftmax_opset11_axis0, slice_negative_steps,
    conv_bias_same_lower, bad_matmul_shapes, unsupported_third_node,
    undefined_input, bad_conv_groups]}


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in CASES:
        sys.exit("usage: make_onnx_case.py {%s} DIR" % ",".join(CASES))
    out = Path(sys.argv[2])
    rng = np.random.default_rng(1234)
    m, inputs, outputs = CASES[sys.argv[1]](rng)
    out.mkdir(parents=True, exist_ok=True)
    onnx.save(m, str(out / "model.onnx"))
    if inputs is None:
        return
    onnx.checker.check_model(m)
    data = out / "test_data_set_0"
    data.mkdir(exist_ok=True)
    names = [i.name for i in m.graph.input
             if i.name not in {t.name for t in m.graph.initializer}]
    for k, (name, value) in enumerate(zip(names, inputs)):
        t = numpy_helper.from_array(np.asarray(value, np.float32), name)
        (data / f"input_{k}.pb").write_bytes(t.SerializeToString())
    for k, (info, value) in enumerate(zip(m.graph.output, outputs)):
        t = numpy_helper.from_array(np.asarray(value, np.float32), info.name)
        (data / f"output_{k}.pb").write_bytes(t.SerializeToString())


if __name__ == "__main__":
    main()
