#!/usr/bin/python3
# ===- test/Inputs/make_malformed_models.py - Malformed-model corpus ------===#
#
# Part of the Kiln project: an MLIR compiler for training programs.
#
# ===-----------------------------------------------------------------------===#
#
#   make_malformed_models.py OUT_DIR
#
# Writes a corpus of malformed ONNX models, OUT_DIR/<case>.onnx, and
# OUT_DIR/expected.txt with one line per case:
#
#   <case>\t<substring that the error message must contain>
#
# Every case must make kiln-run and kiln-opt exit with code 2 and a message
# that names the problem (check_malformed.py checks both): truncated and
# garbage bytes, wrong element types, absurd dims, missing and duplicate
# names, graph cycles, shape mismatches, invalid attributes, bad opsets,
# unknown ops, external-data references out of the model's folder, huge and
# deeply nested graphs. Models are built with onnx.helper (raw bytes for the
# truncated and garbage ones) without the checker, from fixed seeds, so the
# corpus is the same on every run. OUT_DIR/weights.bin is the (16-byte)
# external-data file that some cases point past. Run with /usr/bin/python3
# (Debian's python3-onnx): %python in lit.
#
# ===-----------------------------------------------------------------------===#

import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import AttributeProto, TensorProto, helper, numpy_helper

F32 = TensorProto.FLOAT
I64 = TensorProto.INT64

CASES = {}


def case(expected):
    """Registers a case function under its name with the expected message."""
    def register(fn):
        CASES[fn.__name__] = (fn, expected)
        return fn
    return register


def vinfo(name, shape, elem=F32):
    return helper.make_tensor_value_info(name, elem, list(shape))


def model(nodes, inputs, outputs, inits=(), opset=17, opsets=None):
    graph = helper.make_graph(nodes, "malformed", inputs, outputs,
                              initializer=list(inits))
    if opsets is None:
        opsets = [helper.make_opsetid("", opset)]
    m = helper.make_model(graph, opset_imports=opsets)
    m.ir_version = 8
    return m


def unary(op, shape=(2, 3), out_shape=None, **attrs):
    """y = op(x) for one float input x of `shape`."""
    return model([helper.make_node(op, ["x"], ["y"], name="n", **attrs)],
                 [vinfo("x", shape)],
                 [vinfo("y", shape if out_shape is None else out_shape)])


def binary(op, a_shape, b_shape, y_shape, a_type=F32, b_type=F32, **attrs):
    return model([helper.make_node(op, ["a", "b"], ["y"], name="n", **attrs)],
                 [vinfo("a", a_shape, a_type), vinfo("b", b_shape, b_type)],
                 [vinfo("y", y_shape)])


def mlp():
    """A small valid model (MatMul, Add, Relu with initializers)."""
    rng = np.random.default_rng(42)
    w = rng.standard_normal((8, 16)).astype(np.float32)
    b = rng.standard_normal(16).astype(np.float32)
    return model([helper.make_node("MatMul", ["x", "W"], ["m"], name="mm"),
                  helper.make_node("Add", ["m", "B"], ["s"], name="add"),
                  helper.make_node("Relu", ["s"], ["y"], name="relu")],
                 [vinfo("x", [4, 8])], [vinfo("y", [4, 16])],
                 [numpy_helper.from_array(w, "W"),
                  numpy_helper.from_array(b, "B")])


def truncated(fraction):
    """The valid model's bytes cut near `fraction` of their length, at an
    offset where the protobuf no longer parses."""
    data = mlp().SerializeToString()
    cut = max(1, int(len(data) * fraction))
    while True:
        try:
            onnx.ModelProto.FromString(data[:cut])
        except Exception:
            return data[:cut]
        cut += 1


def attr(name, kind, **fields):
    """An AttributeProto built by hand (helper.make_attribute infers its
    type from the value; these set a type that contradicts the op)."""
    a = AttributeProto()
    a.name = name
    a.type = kind
    for key, value in fields.items():
        if isinstance(value, list):
            getattr(a, key).extend(value)
        else:
            setattr(a, key, value)
    return a


def const_init(name, values, dtype=np.float32):
    return numpy_helper.from_array(np.asarray(values, dtype=dtype), name)


def external_init(location, offset=None, length=None, dims=(4,)):
    """A float initializer whose data lives in `location`."""
    t = TensorProto()
    t.name = "W"
    t.data_type = F32
    t.dims.extend(dims)
    t.data_location = TensorProto.EXTERNAL
    entries = [("location", location)]
    if offset is not None:
        entries.append(("offset", str(offset)))
    if length is not None:
        entries.append(("length", str(length)))
    for key, value in entries:
        e = t.external_data.add()
        e.key = key
        e.value = value
    return t


def with_init(t, shape=(4,)):
    """y = x + t, for an initializer t."""
    return model([helper.make_node("Add", ["x", t.name], ["y"], name="add")],
                 [vinfo("x", shape)], [vinfo("y", shape)], [t])


# --- Bytes that are not a model ---------------------------------------------

@case("not a valid ONNX model")
def truncated_1_byte():
    return mlp().SerializeToString()[:1]


@case("not a valid ONNX model")
def truncated_quarter():
    return truncated(0.25)


@case("not a valid ONNX model")
def truncated_half():
    return truncated(0.5)


@case("not a valid ONNX model")
def truncated_three_quarters():
    return truncated(0.75)


@case("not a valid ONNX model")
def truncated_last_byte():
    return mlp().SerializeToString()[:-1]


@case("not a valid ONNX model")
def garbage_random():
    return np.random.default_rng(1).integers(0, 256, 4096,
                                             dtype=np.uint8).tobytes()


@case("not a valid ONNX model")
def garbage_text():
    return b"this is not an ONNX model\n\x01\x02\xff"


@case("not a valid ONNX model")
def garbage_zeros():
    return bytes(1024)


@case("not a valid ONNX model")
def garbage_huge_length_prefix():
    # Field 7 (graph), length-delimited, claiming ~2 GiB of content.
    return b"\x3a\xff\xff\xff\xff\x07" + bytes(16)


@case("model has no graph")
def empty_file():
    return b""


# --- Element types ----------------------------------------------------------

@case("'Add'")
def add_float_int64():
    return binary("Add", [2, 3], [2, 3], [2, 3], F32, I64)


@case("element type STRING is not supported")
def matmul_strings():
    return binary("MatMul", [2, 3], [3, 2], [2, 2],
                  TensorProto.STRING, TensorProto.STRING)


@case("initializer 'W'")
def init_dtype_undefined():
    t = const_init("W", [1, 2, 3, 4])
    t.data_type = TensorProto.UNDEFINED
    return with_init(t)


@case("initializer 'W'")
def init_dtype_nonexistent_enum():
    t = const_init("W", [1, 2, 3, 4])
    t.data_type = 99
    return with_init(t)


@case("raw_data holds 12 bytes")
def init_raw_data_short():
    t = const_init("W", [1, 2, 3, 4])
    t.raw_data = t.raw_data[:12]
    return with_init(t)


@case("raw_data holds 20 bytes")
def init_raw_data_long():
    t = const_init("W", [1, 2, 3, 4])
    t.raw_data = t.raw_data + bytes(4)
    return with_init(t)


@case("float_data holds 3")
def init_float_data_short():
    t = helper.make_tensor("W", F32, [3], [1.0, 2.0, 3.0])
    t.dims[0] = 4
    return with_init(t)


@case("graph value 'x'")
def input_elem_type_undefined():
    return model([helper.make_node("Relu", ["x"], ["y"], name="n")],
                 [vinfo("x", [2, 3], TensorProto.UNDEFINED)],
                 [vinfo("y", [2, 3])])


@case("'Cast'")
def cast_to_nonexistent_enum():
    return unary("Cast", to=99)


@case("'Where'")
def where_float_condition():
    return model([helper.make_node("Where", ["c", "a", "b"], ["y"],
                                   name="n")],
                 [vinfo("c", [2, 3]), vinfo("a", [2, 3]),
                  vinfo("b", [2, 3])], [vinfo("y", [2, 3])])


@case("'Add'")
def add_initializer_int64_to_float():
    return with_init(const_init("W", [1, 2, 3, 4], np.int64))


# --- Dims -------------------------------------------------------------------

@case("initializer 'W'")
def init_2_pow_40_elements_no_data():
    t = TensorProto()
    t.name = "W"
    t.data_type = F32
    t.dims.extend([1 << 20, 1 << 20])
    return with_init(t, shape=(1 << 20, 1 << 20))


@case("initializer 'W'")
def init_negative_dim():
    t = const_init("W", [1, 2, 3, 4])
    t.dims[0] = -4
    return with_init(t)


@case("initializer 'W'")
def init_dims_overflow_int64():
    t = TensorProto()
    t.name = "W"
    t.data_type = F32
    t.dims.extend([1 << 32, 1 << 32, 1 << 32])
    return with_init(t, shape=(4,))


@case("'x'")
def input_2_pow_62_elements():
    return unary("Relu", shape=(1 << 31, 1 << 31))


@case("'x'")
def input_dims_overflow_int64():
    return unary("Relu", shape=(1 << 40, 1 << 40))


@case("'ConstantOfShape'")
def constant_of_shape_2_pow_40():
    shape = const_init("shape", [1 << 20, 1 << 20], np.int64)
    return model([helper.make_node("ConstantOfShape", ["shape"], ["y"],
                                   name="n")],
                 [], [vinfo("y", [1 << 20, 1 << 20])], [shape])


@case("'Expand'")
def expand_to_negative_shape():
    shape = const_init("shape", [2, -3], np.int64)
    return model([helper.make_node("Expand", ["x", "shape"], ["y"],
                                   name="n")],
                 [vinfo("x", [2, 3])], [vinfo("y", [2, 3])], [shape])


# --- Missing names ----------------------------------------------------------

@case("input 'nowhere' is not defined")
def node_input_undefined():
    return model([helper.make_node("Add", ["x", "nowhere"], ["y"],
                                   name="add")],
                 [vinfo("x", [2, 3])], [vinfo("y", [2, 3])])


@case("input 'nowhere' is not defined")
def second_node_input_undefined():
    return model([helper.make_node("Relu", ["x"], ["r"], name="relu"),
                  helper.make_node("Mul", ["r", "nowhere"], ["y"],
                                   name="mul")],
                 [vinfo("x", [2, 3])], [vinfo("y", [2, 3])])


@case("input 'x' is not defined")
def missing_graph_input():
    return model([helper.make_node("Relu", ["x"], ["y"], name="relu")],
                 [], [vinfo("y", [2, 3])])


@case("graph output 'z' is not produced by any node")
def graph_output_not_produced():
    return model([helper.make_node("Relu", ["x"], ["y"], name="relu")],
                 [vinfo("x", [2, 3])], [vinfo("z", [2, 3])])


@case("graph output '' is not produced")
def graph_output_empty_name():
    return model([helper.make_node("Relu", ["x"], ["y"], name="relu")],
                 [vinfo("x", [2, 3])], [vinfo("", [2, 3])])


# --- Duplicate names --------------------------------------------------------

@case("'y'")
def duplicate_node_outputs():
    return model([helper.make_node("Relu", ["x"], ["y"], name="first"),
                  helper.make_node("Neg", ["x"], ["y"], name="second")],
                 [vinfo("x", [2, 3])], [vinfo("y", [2, 3])])


@case("'W'")
def duplicate_initializer_names():
    return model([helper.make_node("Add", ["x", "W"], ["y"], name="add")],
                 [vinfo("x", [4])], [vinfo("y", [4])],
                 [const_init("W", [1, 2, 3, 4]),
                  const_init("W", [5, 6, 7, 8])])


@case("'x'")
def duplicate_graph_input_names():
    return model([helper.make_node("Relu", ["x"], ["y"], name="relu")],
                 [vinfo("x", [2, 3]), vinfo("x", [2, 3])],
                 [vinfo("y", [2, 3])])


@case("'x'")
def node_output_shadows_graph_input():
    return model([helper.make_node("Relu", ["x"], ["x"], name="relu"),
                  helper.make_node("Neg", ["x"], ["y"], name="neg")],
                 [vinfo("x", [2, 3])], [vinfo("y", [2, 3])])


@case("'W'")
def node_output_shadows_initializer():
    return model([helper.make_node("Relu", ["x"], ["W"], name="relu"),
                  helper.make_node("Add", ["x", "W"], ["y"], name="add")],
                 [vinfo("x", [4])], [vinfo("y", [4])],
                 [const_init("W", [1, 2, 3, 4])])


@case("'W'")
def input_initializer_type_mismatch():
    # Graph input W (the initializer's default may be overridden) declared
    # [2,3] while its initializer is [4].
    return model([helper.make_node("Add", ["x", "W"], ["y"], name="add")],
                 [vinfo("x", [4]), vinfo("W", [2, 3])], [vinfo("y", [4])],
                 [const_init("W", [1, 2, 3, 4])])


# --- Cycles -----------------------------------------------------------------

@case("is not defined before use")
def cycle_two_nodes():
    return model([helper.make_node("Add", ["x", "b"], ["a"], name="A"),
                  helper.make_node("Relu", ["a"], ["b"], name="B")],
                 [vinfo("x", [2, 3])], [vinfo("b", [2, 3])])


@case("is not defined before use")
def cycle_self_loop():
    return model([helper.make_node("Add", ["x", "y"], ["y"], name="self")],
                 [vinfo("x", [2, 3])], [vinfo("y", [2, 3])])


@case("is not defined before use")
def cycle_three_nodes():
    return model([helper.make_node("Add", ["x", "c"], ["a"], name="A"),
                  helper.make_node("Relu", ["a"], ["b"], name="B"),
                  helper.make_node("Neg", ["b"], ["c"], name="C")],
                 [vinfo("x", [2, 3])], [vinfo("c", [2, 3])])


# --- Shapes -----------------------------------------------------------------

@case("'MatMul'")
def matmul_2x3_4x5():
    return binary("MatMul", [2, 3], [4, 5], [2, 5])


@case("'Add'")
def add_not_broadcastable():
    return binary("Add", [2, 3], [4, 5], [4, 5])


@case("'Reshape'")
def reshape_incompatible():
    shape = const_init("shape", [4, 2], np.int64)
    return model([helper.make_node("Reshape", ["x", "shape"], ["y"],
                                   name="n")],
                 [vinfo("x", [2, 3])], [vinfo("y", [4, 2])], [shape])


@case("'Reshape'")
def reshape_two_minus_ones():
    shape = const_init("shape", [-1, -1], np.int64)
    return model([helper.make_node("Reshape", ["x", "shape"], ["y"],
                                   name="n")],
                 [vinfo("x", [2, 3])], [vinfo("y", [6])], [shape])


@case("'Conv'")
def conv_channel_mismatch():
    w = const_init("w", np.ones((2, 4, 3, 3)))
    return model([helper.make_node("Conv", ["x", "w"], ["y"], name="n")],
                 [vinfo("x", [1, 3, 5, 5])], [vinfo("y", [1, 2, 3, 3])], [w])


@case("'Gemm'")
def gemm_bad_dims():
    return model([helper.make_node("Gemm", ["a", "b"], ["y"], name="n")],
                 [vinfo("a", [2, 3]), vinfo("b", [4, 5])],
                 [vinfo("y", [2, 5])])


@case("'Concat'")
def concat_rank_mismatch():
    return model([helper.make_node("Concat", ["a", "b"], ["y"], name="n",
                                   axis=0)],
                 [vinfo("a", [2, 3]), vinfo("b", [2, 3, 4])],
                 [vinfo("y", [4, 3])])


@case("graph output 'y'")
def output_declared_shape_mismatch():
    return unary("Relu", shape=(2, 3), out_shape=(3, 3))


@case("'BatchNormalization'")
def batchnorm_scale_wrong_size():
    inits = [const_init(n, np.ones(5)) for n in ("s", "b", "m", "v")]
    return model([helper.make_node("BatchNormalization",
                                   ["x", "s", "b", "m", "v"], ["y"],
                                   name="n")],
                 [vinfo("x", [2, 3, 4, 4])], [vinfo("y", [2, 3, 4, 4])],
                 inits)


# --- Attributes -------------------------------------------------------------

def conv(x_shape=(1, 1, 5, 5), w_shape=(1, 1, 3, 3), y_shape=(1, 1, 3, 3),
         **attrs):
    w = const_init("w", np.ones(w_shape))
    return model([helper.make_node("Conv", ["x", "w"], ["y"], name="n",
                                   **attrs)],
                 [vinfo("x", x_shape)], [vinfo("y", y_shape)], [w])


@case("'Conv'")
def conv_negative_strides():
    return conv(strides=[-1, -1])


@case("'Conv'")
def conv_zero_strides():
    return conv(strides=[0, 0])


@case("'Conv'")
def conv_zero_kernel():
    return conv(w_shape=(1, 1, 0, 0), kernel_shape=[0, 0])


@case("'Conv'")
def conv_kernel_shape_contradicts_weight():
    return conv(kernel_shape=[2, 2])


@case("'Conv'")
def conv_huge_pads_list():
    return conv(pads=[1] * 100000)


@case("'Conv'")
def conv_negative_dilations():
    return conv(dilations=[-2, -2])


@case("'Transpose'")
def transpose_perm_repeated_axis():
    return unary("Transpose", shape=(2, 3), out_shape=(2, 2), perm=[0, 0])


@case("'Transpose'")
def transpose_perm_out_of_range():
    return unary("Transpose", shape=(2, 3), out_shape=(3, 2), perm=[0, 5])


@case("'Transpose'")
def transpose_perm_wrong_length():
    return unary("Transpose", shape=(2, 3), out_shape=(3, 2), perm=[1, 0, 2])


@case("'Softmax'")
def softmax_axis_out_of_range():
    return unary("Softmax", axis=7)


@case("'Softmax'")
def softmax_axis_string():
    m = unary("Softmax")
    m.graph.node[0].attribute.append(attr("axis", AttributeProto.STRING,
                                          s=b"one"))
    return m


@case("'Softmax'")
def softmax_axis_ints():
    m = unary("Softmax")
    m.graph.node[0].attribute.append(attr("axis", AttributeProto.INTS,
                                          ints=[1, 1]))
    return m


@case("'Concat'")
def concat_axis_out_of_range():
    return model([helper.make_node("Concat", ["a", "b"], ["y"], name="n",
                                   axis=3)],
                 [vinfo("a", [2, 3]), vinfo("b", [2, 3])],
                 [vinfo("y", [4, 3])])


@case("'Concat'")
def concat_missing_axis():
    return model([helper.make_node("Concat", ["a", "b"], ["y"], name="n")],
                 [vinfo("a", [2, 3]), vinfo("b", [2, 3])],
                 [vinfo("y", [4, 3])])


@case("'Gather'")
def gather_axis_out_of_range():
    idx = const_init("i", [0, 1], np.int64)
    return model([helper.make_node("Gather", ["x", "i"], ["y"], name="n",
                                   axis=-5)],
                 [vinfo("x", [2, 3])], [vinfo("y", [2, 3])], [idx])


@case("'LeakyRelu'")
def leakyrelu_alpha_string():
    m = unary("LeakyRelu")
    m.graph.node[0].attribute.append(attr("alpha", AttributeProto.STRING,
                                          s=b"0.1"))
    return m


@case("'Cast'")
def cast_missing_to():
    return unary("Cast")


@case("'MaxPool'")
def maxpool_negative_pads():
    return unary("MaxPool", shape=(1, 1, 5, 5), out_shape=(1, 1, 3, 3),
                 kernel_shape=[3, 3], pads=[-1, -1, -1, -1])


@case("'Split'")
def split_sizes_do_not_sum():
    sizes = const_init("s", [2, 2], np.int64)
    return model([helper.make_node("Split", ["x", "s"], ["y0", "y1"],
                                   name="n", axis=1)],
                 [vinfo("x", [2, 3])], [vinfo("y0", [2, 2]),
                                        vinfo("y1", [2, 2])], [sizes])


@case("'Relu'")
def attribute_unknown_name():
    return unary("Relu", bogus=3)


@case("'Constant'")
def constant_without_value():
    return model([helper.make_node("Constant", [], ["y"], name="n")],
                 [], [vinfo("y", [2])])


@case("'Constant'")
def constant_value_raw_data_short():
    t = const_init("c", [1, 2, 3, 4])
    t.raw_data = t.raw_data[:5]
    return model([helper.make_node("Constant", [], ["y"], name="n",
                                   value=t)],
                 [], [vinfo("y", [4])])


# --- Opsets -----------------------------------------------------------------

@case("opset")
def opset_version_0():
    return model([helper.make_node("Relu", ["x"], ["y"], name="n")],
                 [vinfo("x", [2, 3])], [vinfo("y", [2, 3])], opset=0)


@case("opset")
def opset_version_999():
    return model([helper.make_node("Relu", ["x"], ["y"], name="n")],
                 [vinfo("x", [2, 3])], [vinfo("y", [2, 3])], opset=999)


@case("opset")
def opset_version_negative():
    return model([helper.make_node("Relu", ["x"], ["y"], name="n")],
                 [vinfo("x", [2, 3])], [vinfo("y", [2, 3])], opset=-3)


@case("unknown opset domain 'com.example.nope'")
def opset_unknown_domain_node():
    return model([helper.make_node("Relu", ["x"], ["y"], name="n",
                                   domain="com.example.nope")],
                 [vinfo("x", [2, 3])], [vinfo("y", [2, 3])],
                 opsets=[helper.make_opsetid("", 17),
                         helper.make_opsetid("com.example.nope", 1)])


@case("default ONNX domain")
def opset_missing_default_domain():
    return model([helper.make_node("Relu", ["x"], ["y"], name="n")],
                 [vinfo("x", [2, 3])], [vinfo("y", [2, 3])],
                 opsets=[helper.make_opsetid("com.example.nope", 1)])


@case("opset")
def opset_default_domain_twice():
    return model([helper.make_node("Relu", ["x"], ["y"], name="n")],
                 [vinfo("x", [2, 3])], [vinfo("y", [2, 3])],
                 opsets=[helper.make_opsetid("", 17),
                         helper.make_opsetid("ai.onnx", 9)])


@case("'LayerNormalization'")
def op_newer_than_opset():
    # LayerNormalization is in the default domain from opset 17 on.
    inits = [const_init("s", np.ones(3)), const_init("b", np.zeros(3))]
    return model([helper.make_node("LayerNormalization", ["x", "s", "b"],
                                   ["y"], name="n")],
                 [vinfo("x", [2, 3])], [vinfo("y", [2, 3])], inits,
                 opset=13)


# --- Unknown ops ------------------------------------------------------------

@case("unsupported op 'FooBar'")
def unknown_op_type():
    return unary("FooBar")


@case("unsupported op ''")
def empty_op_type():
    return unary("")


@case("unsupported op 'relu'")
def op_type_wrong_case():
    return unary("relu")


# --- External data ----------------------------------------------------------

@case("external data")
def external_data_etc_passwd():
    return with_init(external_init("/etc/passwd"))


@case("external data")
def external_data_parent_dir():
    return with_init(external_init("../secret.bin"))


@case("external data")
def external_data_missing_file():
    return with_init(external_init("no_such_weights.bin"))


@case("external data")
def external_data_offset_beyond_file():
    return with_init(external_init("weights.bin", offset=1000, length=16))


@case("external data")
def external_data_length_beyond_file():
    return with_init(external_init("weights.bin", offset=0, length=1 << 40))


@case("external data")
def external_data_no_location():
    t = external_init("weights.bin")
    del t.external_data[:]
    return with_init(t)


# --- Huge and deeply nested graphs ------------------------------------------

@case("'MatMul'")
def chain_100000_relu_then_bad_matmul():
    n = 100000
    nodes = [helper.make_node("Relu", [f"t{i}"], [f"t{i + 1}"])
             for i in range(n)]
    nodes.append(helper.make_node("MatMul", [f"t{n}", "t0"], ["y"],
                                  name="last"))
    return model(nodes, [vinfo("t0", [2, 3])], [vinfo("y", [2, 2])])


@case("is not defined before use")
def nodes_200000_then_cycle():
    # Short (hexadecimal) names keep the file near 4 MB.
    n = 200000
    nodes = [helper.make_node("Identity", [f"{i:x}"], [f"{i + 1:x}"])
             for i in range(n)]
    nodes.insert(0, helper.make_node("Add", ["x", f"{n:x}"], ["0"],
                                     name="head"))
    return model(nodes, [vinfo("x", [2])], [vinfo(f"{n:x}", [2])])


@case("not a valid ONNX model")
def nested_if_500_deep():
    # Each level nests the previous one in its then-branch; the else-branch
    # is the shallow base graph, so the file grows linearly with depth.
    g = helper.make_graph([helper.make_node("Identity", ["x"], ["y0"])],
                          "g0", [], [vinfo("y0", [2])])
    shallow = g
    for depth in range(1, 500):
        node = helper.make_node("If", ["c"], [f"y{depth}"], then_branch=g,
                                else_branch=shallow)
        g = helper.make_graph([node], f"g{depth}", [],
                              [vinfo(f"y{depth}", [2])])
    node = helper.make_node("If", ["c"], ["y"], then_branch=g,
                            else_branch=shallow, name="outer")
    return model([node], [vinfo("c", [], TensorProto.BOOL),
                          vinfo("x", [2])], [vinfo("y", [2])])


@case("'If'")
def if_then_branch_undefined_input():
    then = helper.make_graph([helper.make_node("Relu", ["nowhere"], ["t"])],
                             "then", [], [vinfo("t", [2])])
    other = helper.make_graph([helper.make_node("Neg", ["x"], ["e"])],
                              "else", [], [vinfo("e", [2])])
    return model([helper.make_node("If", ["c"], ["y"], name="n",
                                   then_branch=then, else_branch=other)],
                 [vinfo("c", [], TensorProto.BOOL), vinfo("x", [2])],
                 [vinfo("y", [2])])


@case("'If'")
def if_missing_else_branch():
    then = helper.make_graph([helper.make_node("Relu", ["x"], ["t"])],
                             "then", [], [vinfo("t", [2])])
    return model([helper.make_node("If", ["c"], ["y"], name="n",
                                   then_branch=then)],
                 [vinfo("c", [], TensorProto.BOOL), vinfo("x", [2])],
                 [vinfo("y", [2])])


@case("'Loop'")
def loop_body_wrong_arity():
    body = helper.make_graph([helper.make_node("Relu", ["v"], ["v2"])],
                             "body", [vinfo("v", [2])], [vinfo("v2", [2])])
    trip = const_init("n", 3, np.int64)
    return model([helper.make_node("Loop", ["n", "", "x"], ["y"], name="n",
                                   body=body)],
                 [vinfo("x", [2])], [vinfo("y", [2])], [trip])


# --- Value infos ------------------------------------------------------------

@case("graph output 'y'")
def graph_output_without_type():
    m = unary("Relu")
    m.graph.output[0].ClearField("type")
    return m


@case("graph value 'x'")
def graph_input_without_type():
    m = unary("Relu")
    m.graph.input[0].ClearField("type")
    return m


@case("graph value 'x'")
def graph_input_sequence_type():
    m = unary("Relu")
    m.graph.input[0].CopyFrom(helper.make_tensor_sequence_value_info(
        "x", F32, [2, 3]))
    return m


@case("graph value 'x' has no shape")
def graph_input_without_shape():
    m = unary("Relu")
    m.graph.input[0].type.tensor_type.ClearField("shape")
    return m


@case("'Relu'")
def node_without_outputs():
    return model([helper.make_node("Relu", ["x"], [], name="n"),
                  helper.make_node("Neg", ["x"], ["y"], name="neg")],
                 [vinfo("x", [2, 3])], [vinfo("y", [2, 3])])


@case("'Relu'")
def node_without_inputs():
    return model([helper.make_node("Relu", [], ["y"], name="n")],
                 [], [vinfo("y", [2, 3])])


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_malformed_models.py OUT_DIR")
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    (out / "weights.bin").write_bytes(bytes(range(16)))
    lines = []
    for name, (fn, expected) in CASES.items():
        made = fn()
        data = made if isinstance(made, bytes) else made.SerializeToString()
        (out / f"{name}.onnx").write_bytes(data)
        lines.append(f"{name}\t{expected}\n")
    (out / "expected.txt").write_text("".join(lines))


if __name__ == "__main__":
    main()
