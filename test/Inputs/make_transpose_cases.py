#!/usr/bin/python3
# ===- make_transpose_cases.py - Transposing ops and numpy references ------===#
#
# Part of the Kiln project: an MLIR compiler for training programs.
#
# ===-----------------------------------------------------------------------===#
#
#   make_transpose_cases.py OUT_DIR
#
# Writes cases OUT_DIR/<name>/{main.mlir,test_data_set_0/*.pb}: linalg ops
# on tensors that read an input transposed (kiln-cpu-vectorize tiles them
# into 16 x 16 blocks transposed in registers where 16 divides both dims,
# into strided 1-D tiles elsewhere), with their results computed by numpy:
# a 2-D transpose, attention's K^T on 4-D heads, an elementwise add of a
# transposed input, a rotation of three dims whose innermost is 8 wide,
# sizes 16 does not divide, and f16 and i8 elements.
#
# ===-----------------------------------------------------------------------===#

import os
import sys

import numpy as np
from onnx import numpy_helper


def ty(shape, elt="f32"):
    return "tensor<" + "x".join(str(d) for d in shape) + f"x{elt}>"


def transpose_program(shape, perm, elt="f32"):
    out = [shape[p] for p in perm]
    a, r = ty(shape, elt), ty(out, elt)
    return f"""func.func @main(%a: {a}) -> {r} {{
  %e = tensor.empty() : {r}
  %t = linalg.transpose ins(%a : {a}) outs(%e : {r}) permutation = {list(perm)}
  return %t : {r}
}}
"""


def add_transposed_program(m, n):
    return f"""func.func @main(%a: {ty((n, m))}, %b: {ty((m, n))}) -> {ty((m, n))} {{
  %e = tensor.empty() : {ty((m, n))}
  %r = linalg.generic {{indexing_maps = [affine_map<(i, j) -> (j, i)>, affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>],
                       iterator_types = ["parallel", "parallel"]}}
      ins(%a, %b : {ty((n, m))}, {ty((m, n))}) outs(%e : {ty((m, n))}) {{
  ^bb0(%x: f32, %y: f32, %o: f32):
    %s = arith.addf %x, %y : f32
    linalg.yield %s : f32
  }} -> {ty((m, n))}
  return %r : {ty((m, n))}
}}
"""


def save(out, name, text, inputs, result):
    d = os.path.join(out, name, "test_data_set_0")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(out, name, "main.mlir"), "w") as f:
        f.write(text)
    arrays = [(f"input_{i}", a) for i, a in enumerate(inputs)]
    for fname, a in arrays + [("output_0", result)]:
        with open(os.path.join(d, fname + ".pb"), "wb") as f:
            f.write(numpy_helper.from_array(np.ascontiguousarray(a),
                                            fname).SerializeToString())


def main():
    out = sys.argv[1]
    rng = np.random.default_rng(5)
    rand = lambda *shape: rng.standard_normal(shape).astype(np.float32)

    for name, shape, perm in (("t2d", (48, 80), (1, 0)),
                              ("heads", (2, 3, 32, 48), (0, 1, 3, 2)),
                              ("rotate", (32, 8, 16), (2, 0, 1)),
                              ("odd", (24, 40), (1, 0))):
        a = rand(*shape)
        save(out, name, transpose_program(shape, perm), [a],
             np.transpose(a, perm))
    # 16 x 16 blocks of narrower elements (bf16/f16 training, byte masks):
    # transposed by the generic vector lowering, not the 32-bit shuffles.
    a = rand(32, 48).astype(np.float16)
    save(out, "f16", transpose_program((32, 48), (1, 0), "f16"), [a], a.T)
    a = rng.integers(-128, 128, (48, 64)).astype(np.int8)
    save(out, "i8", transpose_program((48, 64), (1, 0), "i8"), [a], a.T)
    a, b = rand(96, 64), rand(64, 96)
    save(out, "add_transposed", add_transposed_program(64, 96), [a, b],
         a.T + b)


if __name__ == "__main__":
    main()
