#!/usr/bin/python3
# ===- test/Inputs/check_float8.py - f32 <-> f8 conversions, reference ----===#
#
# Part of the Kiln project: an MLIR compiler for training programs.
#
# ===-----------------------------------------------------------------------===#
#
#   check_float8.py inputs DIR     writes DIR/input_0.pb: f32 test values
#   check_float8.py check DIR OUT  compares OUT/output_0.pb (round trip
#                                  through f8E4M3FN) and output_1.pb
#                                  (f8E5M2) with the reference
#
# The reference is independent of Kiln's bit arithmetic: it decodes all 256
# codes of each format from the format's definition (sign, exponent with
# bias 7 / 15, 3 / 2 mantissa bits, subnormals; E4M3FN has no inf and NaN
# at S.1111.111, E5M2 is IEEE-like) and rounds each value to the nearest
# finite one, ties to the even code; values beyond the largest finite one
# saturate to it (ONNX Cast's saturate=1), inf gives E4M3FN's largest value
# and E5M2's inf, NaN stays NaN. Values: ties, subnormals, the largest
# values and beyond, signed zeros, inf, NaN and random ones.
#
# ===-----------------------------------------------------------------------===#

import math
import pathlib
import sys

import numpy as np
import onnx
from onnx import numpy_helper

FORMATS = {"E4M3FN": (3, 7, False), "E5M2": (2, 15, True)}


def decode(code, mant, bias, has_inf):
    sign = -1.0 if code & 0x80 else 1.0
    e, m = (code & 0x7F) >> mant, code & ((1 << mant) - 1)
    if has_inf and e == (1 << (7 - mant)) - 1:
        return sign * math.inf if m == 0 else math.nan
    if not has_inf and (code & 0x7F) == 0x7F:
        return math.nan
    if e == 0:
        return sign * m * 2.0 ** (1 - bias - mant)
    return sign * (1 + m / (1 << mant)) * 2.0 ** (e - bias)


def reference(x, name):
    mant, bias, has_inf = FORMATS[name]
    codes = [(c, decode(c, mant, bias, has_inf)) for c in range(256)]
    finite = [(c, v) for c, v in codes if math.isfinite(v)]
    largest = max(v for _, v in finite)
    if math.isnan(x):
        return math.nan
    if math.isinf(x):
        return x if has_inf else math.copysign(largest, x)
    if abs(x) >= largest:
        return math.copysign(largest, x)
    best = min(finite, key=lambda cv: (abs(cv[1] - x), cv[0] & 1))
    value = best[1]
    return math.copysign(value, x) if value == 0 else value


def inputs():
    rng = np.random.default_rng(3)
    v = [0.0, -0.0, 1.0, -1.0, 0.1, 1.1, 3.3, 100.0, 104.0, 500.0, 448.0,
         464.0, 57344.0, 61440.0, 1e9, math.inf, -math.inf, math.nan,
         2.0 ** -6, 2.0 ** -9, 1.5 * 2.0 ** -9, 2.5 * 2.0 ** -9,
         2.0 ** -10, 2.0 ** -14, 2.0 ** -16, 1.5 * 2.0 ** -16, 2.0 ** -17,
         1.0625, 1.1875, 1.125 + 2 ** -20, 3.0e-3, -3.0e-3, 1e-4, -7.0]
    v += list(rng.standard_normal(200) * 10.0 ** rng.uniform(-6, 5, 200))
    return np.array(v, np.float32)


def main():
    if sys.argv[1] == "inputs":
        out = pathlib.Path(sys.argv[2])
        out.mkdir(parents=True, exist_ok=True)
        (out / "input_0.pb").write_bytes(
            numpy_helper.from_array(inputs(), "x").SerializeToString())
        return 0
    out = pathlib.Path(sys.argv[3])
    x = inputs()
    bad = 0
    for k, name in enumerate(FORMATS):
        t = onnx.TensorProto()
        t.ParseFromString((out / f"output_{k}.pb").read_bytes())
        got = numpy_helper.to_array(t)
        for xi, gi in zip(x, got):
            want = reference(float(xi), name)
            same = (math.isnan(want) and math.isnan(gi)) or (
                want == gi and math.copysign(1, want) == math.copysign(1, gi))
            if not same:
                bad += 1
                if bad <= 10:
                    print(f"{name}: {xi!r} -> {gi!r}, reference {want!r}")
        print(f"{name}: {len(x)} values checked")
    print("float8 conversions match" if bad == 0 else f"{bad} MISMATCHES")
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
