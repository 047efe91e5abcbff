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
# unknown ops, bad external-data references, huge and deeply nested graphs.
# Models are built with onnx.helper (raw bytes for the truncated and garbage
# ones) without the checker, from fixed seeds, so the corpus is the same on
# every run. The external-data cases point into OUT_DIR/weights.bin (16
# bytes), past it, out of OUT_DIR, at the folder OUT_DIR/subdir and at
# OUT_DIR/outside.bin, a symbolic link to /etc/passwd.
# Run with /usr/bin/python3 (Debian's python3-onnx): %python in lit.
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
    for cut in range(max(1, int(len(data) * fraction)), len(data)):
        try:
            onnx.ModelProto.FromString(data[:cut])
        except Exception:
            return data[:cut]
    raise AssertionError(f"every cut after {fraction} of the model parses")


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

@case("not a valid ONNX model (the protobuf does not parse)")
def truncated_1_byte():
    return mlp().SerializeToString()[:1]


@case("not a valid ONNX model (the protobuf does not parse)")
def truncated_quarter():
    return truncated(0.25)


@case("not a valid ONNX model (the protobuf does not parse)")
def truncated_half():
    return truncated(0.5)


@case("not a valid ONNX model (the protobuf does not parse)")
def truncated_three_quarters():
    return truncated(0.75)


@case("not a valid ONNX model (the protobuf does not parse)")
def truncated_last_byte():
    return mlp().SerializeToString()[:-1]


@case("not a valid ONNX model (the protobuf does not parse)")
def garbage_random():
    return np.random.default_rng(1).integers(0, 256, 4096,
                                             dtype=np.uint8).tobytes()


@case("not a valid ONNX model (the protobuf does not parse)")
def garbage_text():
    return b"this is not an ONNX model\n\x01\x02\xff"


@case("not a valid ONNX model (the protobuf does not parse)")
def garbage_zeros():
    return bytes(1024)


@case("not a valid ONNX model (the protobuf does not parse)")
def garbage_huge_length_prefix():
    # Field 7 (graph), length-delimited, claiming ~2 GiB of content.
    return b"\x3a\xff\xff\xff\xff\x07" + bytes(16)


@case("model has no graph")
def empty_file():
    return b""


# --- Element types ----------------------------------------------------------

@case("node 'n' (Add): 'kiln.add' op requires the same type for all operands")
def add_float_int64():
    return binary("Add", [2, 3], [2, 3], [2, 3], F32, I64)


@case("graph value 'a': element type STRING is not supported")
def matmul_strings():
    return binary("MatMul", [2, 3], [3, 2], [2, 2],
                  TensorProto.STRING, TensorProto.STRING)


@case("initializer 'W': element type UNDEFINED is not supported")
def init_dtype_undefined():
    t = const_init("W", [1, 2, 3, 4])
    t.data_type = TensorProto.UNDEFINED
    return with_init(t)


@case("initializer 'W': element type <99> is not supported")
def init_dtype_nonexistent_enum():
    t = const_init("W", [1, 2, 3, 4])
    t.data_type = 99
    return with_init(t)


@case("initializer 'W': tensor 'W' of type FLOAT with dims [4] expects 4 "
      "elements (16 bytes) but raw_data holds 12 bytes")
def init_raw_data_short():
    t = const_init("W", [1, 2, 3, 4])
    t.raw_data = t.raw_data[:12]
    return with_init(t)


@case("initializer 'W': tensor 'W' of type FLOAT with dims [4] expects 4 "
      "elements (16 bytes) but raw_data holds 20 bytes")
def init_raw_data_long():
    t = const_init("W", [1, 2, 3, 4])
    t.raw_data = t.raw_data + bytes(4)
    return with_init(t)


@case("initializer 'W': tensor 'W' of type FLOAT with dims [4] expects 4 "
      "elements but float_data holds 3")
def init_float_data_short():
    t = helper.make_tensor("W", F32, [3], [1.0, 2.0, 3.0])
    t.dims[0] = 4
    return with_init(t)


@case("graph value 'x': element type UNDEFINED is not supported")
def input_elem_type_undefined():
    return model([helper.make_node("Relu", ["x"], ["y"], name="n")],
                 [vinfo("x", [2, 3], TensorProto.UNDEFINED)],
                 [vinfo("y", [2, 3])])


@case("node 'n' (Cast): Cast 'to': element type <99> is not supported")
def cast_to_nonexistent_enum():
    return unary("Cast", to=99)


@case("node 'n' (Where): 'kiln.select' op operand #0 must be ranked tensor "
      "of 1-bit")
def where_float_condition():
    return model([helper.make_node("Where", ["c", "a", "b"], ["y"],
                                   name="n")],
                 [vinfo("c", [2, 3]), vinfo("a", [2, 3]),
                  vinfo("b", [2, 3])], [vinfo("y", [2, 3])])


@case("node 'add' (Add): 'kiln.add' op requires the same type for all "
      "operands")
def add_initializer_int64_to_float():
    return with_init(const_init("W", [1, 2, 3, 4], np.int64))


# --- Dims -------------------------------------------------------------------

@case("initializer 'W': tensor 'W' of type FLOAT with dims "
      "[1048576,1048576] expects 1099511627776 elements")
def init_2_pow_40_elements_no_data():
    t = TensorProto()
    t.name = "W"
    t.data_type = F32
    t.dims.extend([1 << 20, 1 << 20])
    return with_init(t)


@case("initializer 'W': tensor 'W' has invalid dims [-4]")
def init_negative_dim():
    t = const_init("W", [1, 2, 3, 4])
    t.dims[0] = -4
    return with_init(t)


@case("initializer 'W': tensor 'W' has invalid dims "
      "[4294967296,4294967296,4294967296]")
def init_dims_overflow_int64():
    t = TensorProto()
    t.name = "W"
    t.data_type = F32
    t.dims.extend([1 << 32, 1 << 32, 1 << 32])
    return with_init(t, shape=(4,))


@case("graph value 'x'")
def input_2_pow_62_elements():
    return unary("Relu", shape=(1 << 31, 1 << 31))


@case("graph value 'x'")
def input_dims_overflow_int64():
    return unary("Relu", shape=(1 << 40, 1 << 40))


@case("node 'n' (ConstantOfShape): ")
def constant_of_shape_overflow_int64():
    # 2^93 elements.
    shape = const_init("shape", [1 << 31, 1 << 31, 1 << 31], np.int64)
    return model([helper.make_node("ConstantOfShape", ["shape"], ["y"],
                                   name="n")],
                 [], [vinfo("y", [1 << 31, 1 << 31, 1 << 31])], [shape])


@case("node 'n' (Expand): input shape does not broadcast to the requested "
      "shape")
def expand_to_negative_shape():
    shape = const_init("shape", [2, -3], np.int64)
    return model([helper.make_node("Expand", ["x", "shape"], ["y"],
                                   name="n")],
                 [vinfo("x", [2, 3])], [vinfo("y", [2, 3])], [shape])


# --- Missing names ----------------------------------------------------------

@case("node 'add' (Add): input 'nowhere' is not defined before use")
def node_input_undefined():
    return model([helper.make_node("Add", ["x", "nowhere"], ["y"],
                                   name="add")],
                 [vinfo("x", [2, 3])], [vinfo("y", [2, 3])])


@case("node 'mul' (Mul): input 'nowhere' is not defined before use")
def second_node_input_undefined():
    return model([helper.make_node("Relu", ["x"], ["r"], name="relu"),
                  helper.make_node("Mul", ["r", "nowhere"], ["y"],
                                   name="mul")],
                 [vinfo("x", [2, 3])], [vinfo("y", [2, 3])])


@case("node 'relu' (Relu): input 'x' is not defined before use")
def missing_graph_input():
    return model([helper.make_node("Relu", ["x"], ["y"], name="relu")],
                 [], [vinfo("y", [2, 3])])


@case("graph output 'z' is not produced by any node")
def graph_output_not_produced():
    return model([helper.make_node("Relu", ["x"], ["y"], name="relu")],
                 [vinfo("x", [2, 3])], [vinfo("z", [2, 3])])


@case("graph output '' is not produced by any node")
def graph_output_empty_name():
    return model([helper.make_node("Relu", ["x"], ["y"], name="relu")],
                 [vinfo("x", [2, 3])], [vinfo("", [2, 3])])


# --- Duplicate names --------------------------------------------------------

@case("node 'second' (Neg): output 'y' is already defined")
def duplicate_node_outputs():
    return model([helper.make_node("Relu", ["x"], ["y"], name="first"),
                  helper.make_node("Neg", ["x"], ["y"], name="second")],
                 [vinfo("x", [2, 3])], [vinfo("y", [2, 3])])


@case("initializer 'W' is defined twice")
def duplicate_initializer_names():
    return model([helper.make_node("Add", ["x", "W"], ["y"], name="add")],
                 [vinfo("x", [4])], [vinfo("y", [4])],
                 [const_init("W", [1, 2, 3, 4]),
                  const_init("W", [5, 6, 7, 8])])


@case("graph input 'x' is defined twice")
def duplicate_graph_input_names():
    return model([helper.make_node("Relu", ["x"], ["y"], name="relu")],
                 [vinfo("x", [2, 3]), vinfo("x", [2, 3])],
                 [vinfo("y", [2, 3])])


@case("node 'relu' (Relu): output 'x' is already defined")
def node_output_shadows_graph_input():
    return model([helper.make_node("Relu", ["x"], ["x"], name="relu"),
                  helper.make_node("Neg", ["x"], ["y"], name="neg")],
                 [vinfo("x", [2, 3])], [vinfo("y", [2, 3])])


@case("node 'relu' (Relu): output 'W' is already defined")
def node_output_shadows_initializer():
    return model([helper.make_node("Relu", ["x"], ["W"], name="relu"),
                  helper.make_node("Add", ["x", "W"], ["y"], name="add")],
                 [vinfo("x", [4])], [vinfo("y", [4])],
                 [const_init("W", [1, 2, 3, 4])])


@case("graph input 'W'")
def input_initializer_type_mismatch():
    # W is a graph input declared [2,3] and an initializer of shape [4]: the
    # initializer is the input's default value, so it must have its type.
    return model([helper.make_node("Add", ["x", "W"], ["y"], name="add")],
                 [vinfo("x", [4]), vinfo("W", [2, 3])], [vinfo("y", [4])],
                 [const_init("W", [1, 2, 3, 4])])


# --- Cycles -----------------------------------------------------------------

@case("node 'A' (Add): input 'b' is not defined before use")
def cycle_two_nodes():
    return model([helper.make_node("Add", ["x", "b"], ["a"], name="A"),
                  helper.make_node("Relu", ["a"], ["b"], name="B")],
                 [vinfo("x", [2, 3])], [vinfo("b", [2, 3])])


@case("node 'self' (Add): input 'y' is not defined before use")
def cycle_self_loop():
    return model([helper.make_node("Add", ["x", "y"], ["y"], name="self")],
                 [vinfo("x", [2, 3])], [vinfo("y", [2, 3])])


@case("node 'A' (Add): input 'c' is not defined before use")
def cycle_three_nodes():
    return model([helper.make_node("Add", ["x", "c"], ["a"], name="A"),
                  helper.make_node("Relu", ["a"], ["b"], name="B"),
                  helper.make_node("Neg", ["b"], ["c"], name="C")],
                 [vinfo("x", [2, 3])], [vinfo("c", [2, 3])])


# --- Shapes -----------------------------------------------------------------

@case("node 'n' (MatMul): contracted dimensions differ: [2,3] x [4,5]")
def matmul_2x3_4x5():
    return binary("MatMul", [2, 3], [4, 5], [2, 5])


@case("node 'n' (Add): operand shapes [2, 3] and [4, 5] are not "
      "broadcast-compatible")
def add_not_broadcastable():
    return binary("Add", [2, 3], [4, 5], [4, 5])


@case("node 'n' (Reshape): 'kiln.reshape' op cannot reshape [2,3] (6 "
      "elements) to [4,2] (8 elements)")
def reshape_incompatible():
    shape = const_init("shape", [4, 2], np.int64)
    return model([helper.make_node("Reshape", ["x", "shape"], ["y"],
                                   name="n")],
                 [vinfo("x", [2, 3])], [vinfo("y", [4, 2])], [shape])


@case("node 'n' (Reshape): shape has more than one -1")
def reshape_two_minus_ones():
    shape = const_init("shape", [-1, -1], np.int64)
    return model([helper.make_node("Reshape", ["x", "shape"], ["y"],
                                   name="n")],
                 [vinfo("x", [2, 3])], [vinfo("y", [6])], [shape])


@case("node 'n' (Conv): filter has 4 input channels, expected 3")
def conv_channel_mismatch():
    w = const_init("w", np.ones((2, 4, 3, 3)))
    return model([helper.make_node("Conv", ["x", "w"], ["y"], name="n")],
                 [vinfo("x", [1, 3, 5, 5])], [vinfo("y", [1, 2, 3, 3])], [w])


@case("node 'n' (Gemm): contracted dimensions differ: [2,3] x [4,5]")
def gemm_bad_dims():
    return model([helper.make_node("Gemm", ["a", "b"], ["y"], name="n")],
                 [vinfo("a", [2, 3]), vinfo("b", [4, 5])],
                 [vinfo("y", [2, 5])])


@case("node 'n' (Concat): input 1 has type 'tensor<2x3x4xf32>', expected "
      "rank 2")
def concat_rank_mismatch():
    return model([helper.make_node("Concat", ["a", "b"], ["y"], name="n",
                                   axis=0)],
                 [vinfo("a", [2, 3]), vinfo("b", [2, 3, 4])],
                 [vinfo("y", [4, 3])])


@case("graph output 'y' is computed as tensor<2x3xf32>, which contradicts "
      "its declared type")
def output_declared_shape_mismatch():
    return unary("Relu", shape=(2, 3), out_shape=(3, 3))


@case("node 'n' (BatchNormalization): scale")
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


@case("node 'n' (Conv): strides and dilations must be >= 1")
def conv_negative_strides():
    return conv(strides=[-1, -1])


@case("node 'n' (Conv): strides and dilations must be >= 1")
def conv_zero_strides():
    return conv(strides=[0, 0])


@case("node 'n' (Conv): kernel sizes must be >= 1")
def conv_zero_kernel():
    return conv(w_shape=(1, 1, 0, 0), kernel_shape=[0, 0])


@case("node 'n' (Conv): kernel_shape differs from the weight's spatial size")
def conv_kernel_shape_contradicts_weight():
    return conv(kernel_shape=[2, 2])


@case("node 'n' (Conv): attribute 'pads' has 100000 entries, expected 4")
def conv_huge_pads_list():
    return conv(pads=[1] * 100000)


@case("node 'n' (Conv): strides and dilations must be >= 1")
def conv_negative_dilations():
    return conv(dilations=[-2, -2])


@case("node 'n' (Transpose): permutation is not a permutation of [0, 2)")
def transpose_perm_repeated_axis():
    return unary("Transpose", shape=(2, 3), out_shape=(2, 2), perm=[0, 0])


@case("node 'n' (Transpose): permutation is not a permutation of [0, 2)")
def transpose_perm_out_of_range():
    return unary("Transpose", shape=(2, 3), out_shape=(3, 2), perm=[0, 5])


@case("node 'n' (Transpose): permutation has 3 entries for rank 2")
def transpose_perm_wrong_length():
    return unary("Transpose", shape=(2, 3), out_shape=(3, 2), perm=[1, 0, 2])


@case("node 'n' (Softmax): axis 7 is out of range for rank 2")
def softmax_axis_out_of_range():
    return unary("Softmax", axis=7)


@case("node 'n' (Softmax): attribute 'axis'")
def softmax_axis_string():
    m = unary("Softmax")
    m.graph.node[0].attribute.append(attr("axis", AttributeProto.STRING,
                                          s=b"one"))
    return m


@case("node 'n' (Softmax): attribute 'axis'")
def softmax_axis_ints():
    m = unary("Softmax")
    m.graph.node[0].attribute.append(attr("axis", AttributeProto.INTS,
                                          ints=[1, 1]))
    return m


@case("node 'n' (Concat): axis 3 is out of range for rank 2")
def concat_axis_out_of_range():
    return model([helper.make_node("Concat", ["a", "b"], ["y"], name="n",
                                   axis=3)],
                 [vinfo("a", [2, 3]), vinfo("b", [2, 3])],
                 [vinfo("y", [4, 3])])


@case("node 'n' (Concat): attribute 'axis'")
def concat_missing_axis():
    return model([helper.make_node("Concat", ["a", "b"], ["y"], name="n")],
                 [vinfo("a", [2, 3]), vinfo("b", [2, 3])],
                 [vinfo("y", [4, 3])])


@case("node 'n' (Gather): axis -5 is out of range for rank 2")
def gather_axis_out_of_range():
    idx = const_init("i", [0, 1], np.int64)
    return model([helper.make_node("Gather", ["x", "i"], ["y"], name="n",
                                   axis=-5)],
                 [vinfo("x", [2, 3])], [vinfo("y", [2, 3])], [idx])


@case("node 'n' (LeakyRelu): attribute 'alpha'")
def leakyrelu_alpha_string():
    m = unary("LeakyRelu")
    m.graph.node[0].attribute.append(attr("alpha", AttributeProto.STRING,
                                          s=b"0.1"))
    return m


@case("node 'n' (Cast): Cast 'to'")
def cast_missing_to():
    return unary("Cast")


@case("node 'n' (MaxPool): pads must be non-negative")
def maxpool_negative_pads():
    return unary("MaxPool", shape=(1, 1, 5, 5), out_shape=(1, 1, 3, 3),
                 kernel_shape=[3, 3], pads=[-1, -1, -1, -1])


@case("node 'n' (Split): split sizes add up to 4, not 3")
def split_sizes_do_not_sum():
    sizes = const_init("s", [2, 2], np.int64)
    return model([helper.make_node("Split", ["x", "s"], ["y0", "y1"],
                                   name="n", axis=1)],
                 [vinfo("x", [2, 3])], [vinfo("y0", [2, 2]),
                                        vinfo("y1", [2, 2])], [sizes])


@case("node 'n' (Relu): unsupported attribute 'bogus'")
def attribute_unknown_name():
    return unary("Relu", bogus=3)


@case("node 'n' (Constant): no value attribute")
def constant_without_value():
    return model([helper.make_node("Constant", [], ["y"], name="n")],
                 [], [vinfo("y", [2])])


@case("node 'n' (Constant): tensor 'c' of type FLOAT with dims [4] expects "
      "4 elements (16 bytes) but raw_data holds 5 bytes")
def constant_value_raw_data_short():
    t = const_init("c", [1, 2, 3, 4])
    t.raw_data = t.raw_data[:5]
    return model([helper.make_node("Constant", [], ["y"], name="n",
                                   value=t)],
                 [], [vinfo("y", [4])])


@case("node 'n' (Conv): groups must be >= 1")
def conv_group_zero():
    return conv(group=0)


@case("node 'n' (Conv): the window is larger than the padded input")
def conv_output_size_negative():
    # A 3x3 kernel over a 2x2 input without padding.
    return conv(x_shape=(1, 1, 2, 2), y_shape=(1, 1, 1, 1))


@case("node 'n' (MaxPool): the window is larger than the padded input")
def maxpool_kernel_larger_than_input():
    return unary("MaxPool", shape=(1, 1, 2, 2), out_shape=(1, 1, 1, 1),
                 kernel_shape=[5, 5])


@case("node 'n' (AveragePool): strides and dilations must be >= 1")
def averagepool_zero_strides():
    return unary("AveragePool", shape=(1, 1, 4, 4), out_shape=(1, 1, 2, 2),
                 kernel_shape=[2, 2], strides=[0, 0])


@case("node 'n' (Softmax): axis -9223372036854775808 is out of range for "
      "rank 2")
def softmax_axis_int64_min():
    return unary("Softmax", axis=-(1 << 63))


@case("node 'n' (Flatten): axis 9 is out of range for rank 2")
def flatten_axis_out_of_range():
    return unary("Flatten", shape=(2, 3), out_shape=(6, 1), axis=9)


@case("node 'n' (ReduceSum): axis 4 is out of range for rank 2")
def reducesum_axis_out_of_range():
    axes = const_init("axes", [4], np.int64)
    return model([helper.make_node("ReduceSum", ["x", "axes"], ["y"],
                                   name="n")],
                 [vinfo("x", [2, 3])], [vinfo("y", [2, 3])], [axes])


@case("node 'n' (Unsqueeze): axes contain a duplicate")
def unsqueeze_duplicate_axes():
    axes = const_init("axes", [0, 0], np.int64)
    return model([helper.make_node("Unsqueeze", ["x", "axes"], ["y"],
                                   name="n")],
                 [vinfo("x", [2, 3])], [vinfo("y", [1, 1, 2, 3])], [axes])


@case("node 'n' (Squeeze): cannot squeeze dimension 0 of size 2")
def squeeze_non_unit_axis():
    axes = const_init("axes", [0], np.int64)
    return model([helper.make_node("Squeeze", ["x", "axes"], ["y"],
                                   name="n")],
                 [vinfo("x", [2, 3])], [vinfo("y", [3])], [axes])


@case("node 'n' (Slice): slice step must not be 0")
def slice_step_zero():
    inits = [const_init("st", [0], np.int64), const_init("en", [2], np.int64),
             const_init("ax", [0], np.int64), const_init("sp", [0], np.int64)]
    return model([helper.make_node("Slice", ["x", "st", "en", "ax", "sp"],
                                   ["y"], name="n")],
                 [vinfo("x", [4, 3])], [vinfo("y", [2, 3])], inits)


@case("node 'n' (Range): delta must not be 0")
def range_delta_zero():
    inits = [const_init("start", 0.0), const_init("limit", 10.0),
             const_init("delta", 0.0)]
    return model([helper.make_node("Range", ["start", "limit", "delta"],
                                   ["y"], name="n")],
                 [], [vinfo("y", [10])], inits)


@case("node 'n' (Tile): repeats must be non-negative")
def tile_negative_repeats():
    reps = const_init("r", [-2, 1], np.int64)
    return model([helper.make_node("Tile", ["x", "r"], ["y"], name="n")],
                 [vinfo("x", [2, 3])], [vinfo("y", [4, 3])], [reps])


@case("node 'n' (Pad): negative pads remove more than the dimension holds")
def pad_negative_beyond_size():
    pads = const_init("p", [-5, 0, -5, 0], np.int64)
    return model([helper.make_node("Pad", ["x", "p"], ["y"], name="n")],
                 [vinfo("x", [2, 3])], [vinfo("y", [2, 3])], [pads])


@case("node 'n' (OneHot): depth must be between 1 and 2^24, got -3")
def onehot_negative_depth():
    inits = [const_init("i", [0, 1], np.int64),
             const_init("d", [-3], np.int64),
             const_init("v", [0.0, 1.0])]
    return model([helper.make_node("OneHot", ["i", "d", "v"], ["y"],
                                   name="n")],
                 [], [vinfo("y", [2, 3])], inits)


@case("node 'n' (TopK): K = 7 is out of range [0, 3]")
def topk_k_larger_than_axis():
    k = const_init("k", [7], np.int64)
    return model([helper.make_node("TopK", ["x", "k"], ["v", "i"],
                                   name="n")],
                 [vinfo("x", [2, 3])],
                 [vinfo("v", [2, 7]), vinfo("i", [2, 7], I64)], [k])


@case("node 'n' (Einsum): output label 'z' is not in any input")
def einsum_bad_equation():
    return binary("Einsum", [2, 3], [3, 4], [2, 4], equation="ij,jk->ikz")


@case("node 'n' (Gather): index 5 is out of range")
def gather_constant_index_out_of_range():
    data = const_init("d", np.arange(6).reshape(2, 3))
    idx = const_init("i", [5], np.int64)
    return model([helper.make_node("Gather", ["d", "i"], ["y"], name="n")],
                 [], [vinfo("y", [1, 3])], [data, idx])


@case("node 'n' (Split): num_outputs 0 does not match the 1 outputs")
def split_num_outputs_zero():
    return model([helper.make_node("Split", ["x"], ["y0"], name="n", axis=1,
                                   num_outputs=0)],
                 [vinfo("x", [2, 3])], [vinfo("y0", [2, 3])], opset=18)


@case("node 'n' (Resize): scales must be positive")
def resize_zero_scales():
    scales = const_init("s", [1.0, 1.0, 0.0, 0.0])
    return model([helper.make_node("Resize", ["x", "", "s"], ["y"],
                                   name="n")],
                 [vinfo("x", [1, 1, 4, 4])], [vinfo("y", [1, 1, 0, 0])],
                 [scales])


@case("node 'n' (DepthToSpace): blocksize must be positive")
def depth_to_space_blocksize_zero():
    return unary("DepthToSpace", shape=(1, 4, 2, 2), out_shape=(1, 4, 2, 2),
                 blocksize=0)


@case("node 'n' (LSTM): W must have shape [1, 28, 3]")
def lstm_hidden_size_mismatch():
    w = const_init("W", np.ones((1, 4 * 5, 3)))
    r = const_init("R", np.ones((1, 4 * 5, 5)))
    return model([helper.make_node("LSTM", ["x", "W", "R"], ["y"], name="n",
                                   hidden_size=7)],
                 [vinfo("x", [2, 1, 3])], [vinfo("y", [2, 1, 1, 7])], [w, r])


@case("node 'n' (ConstantOfShape): shape entries must be non-negative")
def constant_of_shape_negative():
    shape = const_init("shape", [2, -1], np.int64)
    return model([helper.make_node("ConstantOfShape", ["shape"], ["y"],
                                   name="n")],
                 [], [vinfo("y", [2, 1])], [shape])


# --- Opsets -----------------------------------------------------------------

@case("version 0 of the default ONNX domain (supported: 1 to")
def opset_version_0():
    return model([helper.make_node("Relu", ["x"], ["y"], name="n")],
                 [vinfo("x", [2, 3])], [vinfo("y", [2, 3])], opset=0)


@case("version 999 of the default ONNX domain")
def opset_version_999():
    return model([helper.make_node("Relu", ["x"], ["y"], name="n")],
                 [vinfo("x", [2, 3])], [vinfo("y", [2, 3])], opset=999)


@case("version -3 of the default ONNX domain")
def opset_version_negative():
    return model([helper.make_node("Relu", ["x"], ["y"], name="n")],
                 [vinfo("x", [2, 3])], [vinfo("y", [2, 3])], opset=-3)


@case("node 'n' (Relu): unknown opset domain 'com.example.nope'")
def opset_unknown_domain_node():
    return model([helper.make_node("Relu", ["x"], ["y"], name="n",
                                   domain="com.example.nope")],
                 [vinfo("x", [2, 3])], [vinfo("y", [2, 3])],
                 opsets=[helper.make_opsetid("", 17),
                         helper.make_opsetid("com.example.nope", 1)])


@case("model imports no version of the default ONNX domain")
def opset_missing_default_domain():
    return model([helper.make_node("Relu", ["x"], ["y"], name="n")],
                 [vinfo("x", [2, 3])], [vinfo("y", [2, 3])],
                 opsets=[helper.make_opsetid("com.example.nope", 1)])


@case("imports the default ONNX domain twice")
def opset_default_domain_twice():
    return model([helper.make_node("Relu", ["x"], ["y"], name="n")],
                 [vinfo("x", [2, 3])], [vinfo("y", [2, 3])],
                 opsets=[helper.make_opsetid("", 17),
                         helper.make_opsetid("ai.onnx", 9)])


@case("node 'n' (LayerNormalization): 'LayerNormalization' exists from opset 17 on; the model imports opset 13")
def op_newer_than_opset():
    # LayerNormalization is in the default domain from opset 17 on.
    inits = [const_init("s", np.ones(3)), const_init("b", np.zeros(3))]
    return model([helper.make_node("LayerNormalization", ["x", "s", "b"],
                                   ["y"], name="n")],
                 [vinfo("x", [2, 3])], [vinfo("y", [2, 3])], inits,
                 opset=13)


# --- Unknown ops ------------------------------------------------------------

@case("node 'n' (FooBar): unsupported op 'FooBar'")
def unknown_op_type():
    return unary("FooBar")


@case("node 'n' (): unsupported op ''")
def empty_op_type():
    return unary("")


@case("node 'n' (relu): unsupported op 'relu'")
def op_type_wrong_case():
    return unary("relu")


# --- External data ----------------------------------------------------------

@case("tensor 'W': external data location '/etc/passwd' must be a relative "
      "path inside the model's folder")
def external_data_etc_passwd():
    return with_init(external_init("/etc/passwd"))


@case("tensor 'W': external data location '../secret.bin' must be a "
      "relative path inside the model's folder")
def external_data_parent_dir():
    return with_init(external_init("../secret.bin"))


@case("tensor 'W': external data file 'no_such_weights.bin' does not exist")
def external_data_missing_file():
    return with_init(external_init("no_such_weights.bin"))


@case("tensor 'W': external data range [1000, +16) lies past the end of "
      "'weights.bin'")
def external_data_offset_beyond_file():
    return with_init(external_init("weights.bin", offset=1000, length=16))


@case("tensor 'W': external data range [0, +1099511627776) lies past the "
      "end of 'weights.bin'")
def external_data_length_beyond_file():
    return with_init(external_init("weights.bin", offset=0, length=1 << 40))


@case("tensor 'W': external data without a location")
def external_data_no_location():
    t = external_init("weights.bin")
    del t.external_data[:]
    return with_init(t)


@case("tensor 'W': external data location 'outside.bin' leaves the model's "
      "folder")
def external_data_symlink_outside():
    # OUT_DIR/outside.bin is a symbolic link to /etc/passwd (main() makes it).
    return with_init(external_init("outside.bin", offset=0, length=16))


@case("tensor 'W': external data file 'subdir' is not a regular file")
def external_data_location_is_folder():
    # OUT_DIR/subdir is a folder (main() makes it).
    return with_init(external_init("subdir"))


@case("tensor 'W': external data in 'weights.bin' holds 16 bytes, the "
      "tensor needs 32")
def external_data_length_contradicts_dims():
    # 8 floats are 32 bytes; the reference says 16.
    return with_init(external_init("weights.bin", offset=0, length=16,
                                   dims=(8,)), shape=(8,))


# --- Huge and deeply nested graphs ------------------------------------------

@case("node 'last' (MatMul): contracted dimensions differ: [2,3] x [2,3]")
def chain_100000_relu_then_bad_matmul():
    n = 100000
    nodes = [helper.make_node("Relu", [f"t{i}"], [f"t{i + 1}"])
             for i in range(n)]
    nodes.append(helper.make_node("MatMul", [f"t{n}", "t0"], ["y"],
                                  name="last"))
    return model(nodes, [vinfo("t0", [2, 3])], [vinfo("y", [2, 2])])


@case("node 'head' (Add): input '30d40' is not defined before use")
def nodes_200000_neg_then_cycle():
    # Short (hexadecimal) names keep the file near 4 MB.
    n = 200000
    nodes = [helper.make_node("Neg", [f"{i:x}"], [f"{i + 1:x}"])
             for i in range(n)]
    nodes.insert(0, helper.make_node("Add", ["x", f"{n:x}"], ["0"],
                                     name="head"))
    return model(nodes, [vinfo("x", [2])], [vinfo(f"{n:x}", [2])])


@case("not a valid ONNX model (the protobuf does not parse)")
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


@case("node 'n' (If): unsupported op 'If'")
def if_then_branch_undefined_input():
    then = helper.make_graph([helper.make_node("Relu", ["nowhere"], ["t"])],
                             "then", [], [vinfo("t", [2])])
    other = helper.make_graph([helper.make_node("Neg", ["x"], ["e"])],
                              "else", [], [vinfo("e", [2])])
    return model([helper.make_node("If", ["c"], ["y"], name="n",
                                   then_branch=then, else_branch=other)],
                 [vinfo("c", [], TensorProto.BOOL), vinfo("x", [2])],
                 [vinfo("y", [2])])


@case("node 'n' (If): unsupported op 'If'")
def if_missing_else_branch():
    then = helper.make_graph([helper.make_node("Relu", ["x"], ["t"])],
                             "then", [], [vinfo("t", [2])])
    return model([helper.make_node("If", ["c"], ["y"], name="n",
                                   then_branch=then)],
                 [vinfo("c", [], TensorProto.BOOL), vinfo("x", [2])],
                 [vinfo("y", [2])])


@case("node 'n' (Loop): unsupported op 'Loop'")
def loop_body_wrong_arity():
    body = helper.make_graph([helper.make_node("Relu", ["v"], ["v2"])],
                             "body", [vinfo("v", [2])], [vinfo("v2", [2])])
    trip = const_init("n", 3, np.int64)
    return model([helper.make_node("Loop", ["n", "", "x"], ["y"], name="n",
                                   body=body)],
                 [vinfo("x", [2])], [vinfo("y", [2])], [trip])


# --- Value infos ------------------------------------------------------------

@case("graph output 'y' has no type")
def graph_output_without_type():
    m = unary("Relu")
    m.graph.output[0].ClearField("type")
    return m


@case("graph value 'x' is not a tensor")
def graph_input_without_type():
    m = unary("Relu")
    m.graph.input[0].ClearField("type")
    return m


@case("graph value 'x' is not a tensor (sequence, map and optional values "
      "are not supported)")
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


@case("node 'n' (Relu): the node has no outputs")
def node_without_outputs():
    return model([helper.make_node("Relu", ["x"], [], name="n"),
                  helper.make_node("Neg", ["x"], ["y"], name="neg")],
                 [vinfo("x", [2, 3])], [vinfo("y", [2, 3])])


@case("node 'n' (Relu): expects 1 inputs, got 0")
def node_without_inputs():
    return model([helper.make_node("Relu", [], ["y"], name="n")],
                 [], [vinfo("y", [2, 3])])


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_malformed_models.py OUT_DIR")
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    (out / "weights.bin").write_bytes(bytes(range(16)))
    (out / "subdir").mkdir(exist_ok=True)
    link = out / "outside.bin"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to("/etc/passwd")
    lines = []
    for name, (fn, expected) in CASES.items():
        made = fn()
        data = made if isinstance(made, bytes) else made.SerializeToString()
        (out / f"{name}.onnx").write_bytes(data)
        lines.append(f"{name}\t{expected}\n")
    (out / "expected.txt").write_text("".join(lines))


if __name__ == "__main__":
    main()
