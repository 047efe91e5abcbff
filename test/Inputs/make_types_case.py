#!/usr/bin/python3
# ===- test/Inputs/make_types_case.py - Element-type cases for lit tests ---===#
#
# Part of the Kiln project: an MLIR compiler for training programs.
#
# ===-----------------------------------------------------------------------===#
#
# Writes one named ONNX case in the backend-test layout for the element-type
# corners that Debian's libonnx-testdata does not reach: unsigned values
# above the signed range (200 must not act as -56), integer division and
# remainder by zero (ONNX leaves them undefined; Kiln gives 0 and never
# traps), shifts by the whole width, the bitwise ops of opset 18, rounding
# ties, casts between every integer width and signedness.
#
#   make_types_case.py NAME DIR
#     DIR/model.onnx
#     DIR/test_data_set_0/input_K.pb, output_K.pb
#
# References come from numpy with the inputs' own dtypes, independent of
# Kiln. Run with /usr/bin/python3 (Debian's python3-onnx): %python in lit.
#
# ===-----------------------------------------------------------------------===#

import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import helper, numpy_helper
from onnx.mapping import NP_TYPE_TO_TENSOR_TYPE


def vinfo(name, array):
    return helper.make_tensor_value_info(
        name, NP_TYPE_TO_TENSOR_TYPE[np.asarray(array).dtype],
        list(np.shape(array)))


def case(nodes, inputs, outputs, opset=17):
    """inputs/outputs: lists of (name, numpy array)."""
    graph = helper.make_graph(nodes, "case",
                              [vinfo(n, a) for n, a in inputs],
                              [vinfo(n, a) for n, a in outputs])
    m = helper.make_model(graph,
                          opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m, inputs, outputs


U8_A = np.array([200, 255, 7, 0, 128, 127], np.uint8)
U8_B = np.array([3, 2, 0, 5, 127, 128], np.uint8)


def uint8_arith(rng):
    """Div (by zero: 0), Max, Less and Mod on uint8 values above 127."""
    b_safe = np.where(U8_B == 0, 1, U8_B)
    div = np.where(U8_B == 0, 0, U8_A // b_safe).astype(np.uint8)
    mod = np.where(U8_B == 0, 0, U8_A % b_safe).astype(np.uint8)
    return case(
        [helper.make_node("Div", ["a", "b"], ["div"]),
         helper.make_node("Max", ["a", "b"], ["max"]),
         helper.make_node("Less", ["a", "b"], ["less"]),
         helper.make_node("Mod", ["a", "b"], ["mod"])],
        [("a", U8_A), ("b", U8_B)],
        [("div", div), ("max", np.maximum(U8_A, U8_B)),
         ("less", U8_A < U8_B), ("mod", mod)])


def int_div_mod_edges(rng):
    """int32 Div and Mod (both sign rules) by 0 and INT_MIN / -1. Rank 2, so
    that kiln-run does not specialize the inputs as shape-carrying values:
    the division runs in compiled code."""
    a = np.array([[7, -7, 7, -7, 5, -2147483648, -2147483648]], np.int32)
    b = np.array([[2, 2, -2, -2, 0, -1, 3]], np.int32)
    div = np.array([[3, -3, -3, 3, 0, -2147483648, -715827882]], np.int32)
    fmod = np.array([[1, -1, 1, -1, 0, 0, -2]], np.int32)
    pymod = np.array([[1, 1, -1, -1, 0, 0, 1]], np.int32)
    return case(
        [helper.make_node("Div", ["a", "b"], ["div"]),
         helper.make_node("Mod", ["a", "b"], ["fmod"], fmod=1),
         helper.make_node("Mod", ["a", "b"], ["mod"])],
        [("a", a), ("b", b)],
        [("div", div), ("fmod", fmod), ("mod", pymod)])


def shifts_and_bitwise(rng):
    """BitShift by 0..width and the opset-18 bitwise ops on uint16/int32."""
    x = np.array([0x8001, 0xffff, 1, 0x1234], np.uint16)
    s = np.array([1, 15, 16, 40], np.uint16)
    left = np.where(s < 16, (x.astype(np.uint64) << np.minimum(s, 15)) & 0xffff,
                    0).astype(np.uint16)
    right = np.where(s < 16, x >> np.minimum(s, 15), 0).astype(np.uint16)
    i = np.array([-8, 12, 0x7fffffff, -1], np.int32)
    j = np.array([3, -5, 0x0f0f0f0f, 6], np.int32)
    return case(
        [helper.make_node("BitShift", ["x", "s"], ["left"], direction="LEFT"),
         helper.make_node("BitShift", ["x", "s"], ["right"],
                          direction="RIGHT"),
         helper.make_node("BitwiseAnd", ["i", "j"], ["and"]),
         helper.make_node("BitwiseOr", ["i", "j"], ["or"]),
         helper.make_node("BitwiseXor", ["i", "j"], ["xor"]),
         helper.make_node("BitwiseNot", ["x"], ["not"])],
        [("x", x), ("s", s), ("i", i), ("j", j)],
        [("left", left), ("right", right), ("and", i & j), ("or", i | j),
         ("xor", i ^ j), ("not", ~x)],
        opset=18)


def casts_and_rounding(rng):
    """Integer casts across widths and signedness, float -> uint8, Round's
    ties, Sign of int8/uint8, IsInf of one sign."""
    u = np.array([200, 255, 7, 0], np.uint8)
    i = np.array([-1, -128, 127, 5], np.int8)
    f = np.array([0.5, 1.5, 2.5, -0.5, -1.5, 2.4999, 254.7, 3.0], np.float32)
    inf = np.array([np.inf, -np.inf, 1.0, np.nan], np.float32)
    return case(
        [helper.make_node("Cast", ["u"], ["u_i64"], to=onnx.TensorProto.INT64),
         helper.make_node("Cast", ["u"], ["u_i8"], to=onnx.TensorProto.INT8),
         helper.make_node("Cast", ["i"], ["i_u32"],
                          to=onnx.TensorProto.UINT32),
         helper.make_node("Cast", ["i"], ["i_f32"],
                          to=onnx.TensorProto.FLOAT),
         helper.make_node("Cast", ["u"], ["u_f16"],
                          to=onnx.TensorProto.FLOAT16),
         helper.make_node("Round", ["f"], ["round"]),
         helper.make_node("Sign", ["i"], ["sign_i"]),
         helper.make_node("Sign", ["u"], ["sign_u"]),
         helper.make_node("IsInf", ["inf"], ["pos_inf"], detect_negative=0)],
        [("u", u), ("i", i), ("f", f), ("inf", inf)],
        [("u_i64", u.astype(np.int64)), ("u_i8", u.astype(np.int8)),
         ("i_u32", i.astype(np.uint32)), ("i_f32", i.astype(np.float32)),
         ("u_f16", u.astype(np.float16)), ("round", np.round(f)),
         ("sign_i", np.sign(i)), ("sign_u", np.sign(u).astype(np.uint8)),
         ("pos_inf", np.isposinf(inf))])


def uint_reductions(rng):
    """ReduceMax/Min/Sum and Where on uint16 values above the signed range."""
    x = np.array([[40000, 3, 65535], [7, 32768, 1]], np.uint16)
    c = np.array([[True, False, True], [False, True, False]])
    y = np.full((2, 3), 9, np.uint16)
    return case(
        [helper.make_node("ReduceMax", ["x"], ["max"], axes=[1], keepdims=0),
         helper.make_node("ReduceMin", ["x"], ["min"], axes=[1], keepdims=0),
         helper.make_node("ReduceSum", ["x", "axes"], ["sum"], keepdims=1),
         helper.make_node("Where", ["c", "x", "y"], ["where"])],
        [("x", x), ("axes", np.array([0], np.int64)), ("c", c), ("y", y)],
        [("max", x.max(axis=1)), ("min", x.min(axis=1)),
         ("sum", x.sum(axis=0, keepdims=True, dtype=np.uint16)),
         ("where", np.where(c, x, y))],
        opset=13)


def omitted_required_input(rng):
    """A malformed node: Pow's base (required) given as the empty name."""
    y = np.array([1.0, 2.0], np.float32)
    return case([helper.make_node("Pow", ["", "y"], ["z"])], [("y", y)],
                [("z", y)])


CASES = {f.__name__: f for f in [
    uint8_arith, int_div_mod_edges, shifts_and_bitwise, casts_and_rounding,
    uint_reductions, omitted_required_input]}


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in CASES:
        sys.exit("usage: make_types_case.py {%s} DIR" % ",".join(CASES))
    out = Path(sys.argv[2])
    m, inputs, outputs = CASES[sys.argv[1]](np.random.default_rng(1234))
    out.mkdir(parents=True, exist_ok=True)
    onnx.save(m, str(out / "model.onnx"))
    data = out / "test_data_set_0"
    data.mkdir(exist_ok=True)
    for prefix, values in (("input", inputs), ("output", outputs)):
        for k, (name, value) in enumerate(values):
            t = numpy_helper.from_array(np.asarray(value), name)
            (data / f"{prefix}_{k}.pb").write_bytes(t.SerializeToString())


if __name__ == "__main__":
    main()
