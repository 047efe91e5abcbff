#!/usr/bin/python3
# ===- make_sparse_weight_cases.py - Matmuls on mostly-zero weights --------===#
#
# Part of the Kiln project: an MLIR compiler for training programs.
#
# ===-----------------------------------------------------------------------===#
#
#   make_sparse_weight_cases.py OUT_DIR
#
# Writes cases OUT_DIR/<name>/{sparse.mlir,dense.mlir,test_data_set_0/*.pb}:
# @main(X[M, K], W[K, N]) -> X @ W as a linalg.matmul on tensors, marked
# kiln.sparse_weight in sparse.mlir and not in dense.mlir, with W a random
# matrix of the given density (the rest exact zeros) and the reference
# computed by numpy in float64. Cases: few rows (kiln-cpu-sparse-weights'
# rows form), many rows (the columns form), a weight of zeros only (empty
# compressed levels), a weight with no zeros at all, and more rows than one
# tile of the columns form (into zeros, and into an accumulator input);
# and W given as its CSC buffers (stored*/sparse.mlir, no dense twin).
#
# ===-----------------------------------------------------------------------===#

import os
import sys

import numpy as np
from onnx import numpy_helper


def program(m, k, n, marked, acc):
    mark = " {kiln.sparse_weight}" if marked else ""
    if acc:  # Y = B + X W, into the input B.
        args, init = f", %b: tensor<{m}x{n}xf32>", "%b"
        fill = ""
    else:
        args, init = "", "%f"
        fill = f"""  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<{m}x{n}xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<{m}x{n}xf32>) -> tensor<{m}x{n}xf32>
"""
    return f"""func.func @main(%x: tensor<{m}x{k}xf32>, %w: tensor<{k}x{n}xf32>{args}) -> tensor<{m}x{n}xf32> {{
{fill}  %y = linalg.matmul{mark} ins(%x, %w : tensor<{m}x{k}xf32>, tensor<{k}x{n}xf32>)
                     outs({init} : tensor<{m}x{n}xf32>) -> tensor<{m}x{n}xf32>
  return %y : tensor<{m}x{n}xf32>
}}
"""


def stored_program(m, k, n, nnz):
    """@main(X, pos, crd, val): W stored as CSC, assembled in the program."""
    w = f"tensor<{k}x{n}xf32, #CSC>"
    p = n + 1
    return f"""#CSC = #sparse_tensor.encoding<{{ map = (i, j) -> (j : dense, i : compressed), posWidth = 32, crdWidth = 32 }}>
func.func @main(%x: tensor<{m}x{k}xf32>, %pos: tensor<{p}xi32>, %crd: tensor<{nnz}xi32>, %val: tensor<{nnz}xf32>) -> tensor<{m}x{n}xf32> {{
  %w = sparse_tensor.assemble (%pos, %crd), %val : (tensor<{p}xi32>, tensor<{nnz}xi32>), tensor<{nnz}xf32> to {w}
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<{m}x{n}xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<{m}x{n}xf32>) -> tensor<{m}x{n}xf32>
  %y = linalg.matmul {{kiln.sparse_weight}} ins(%x, %w : tensor<{m}x{k}xf32>, {w})
                     outs(%f : tensor<{m}x{n}xf32>) -> tensor<{m}x{n}xf32>
  return %y : tensor<{m}x{n}xf32>
}}
"""


def save_stored(out, name, x, w):
    """A case whose W is given as its CSC buffers: W's transpose read in
    row-major order lists each column's nonzero rows in order."""
    d = os.path.join(out, name, "test_data_set_0")
    os.makedirs(d, exist_ok=True)
    outer, inner = np.nonzero(w.T)
    pos = np.searchsorted(outer, np.arange(w.shape[1] + 1))
    values = w[inner, outer]
    y = (x.astype(np.float64) @ w.astype(np.float64)).astype(np.float32)
    arrays = [("input_0", x), ("input_1", pos.astype(np.int32)),
              ("input_2", inner.astype(np.int32)),
              ("input_3", values), ("output_0", y)]
    with open(os.path.join(out, name, "sparse.mlir"), "w") as f:
        f.write(stored_program(x.shape[0], w.shape[0], w.shape[1],
                               len(inner)))
    for fname, a in arrays:
        with open(os.path.join(d, fname + ".pb"), "wb") as f:
            f.write(numpy_helper.from_array(a, fname).SerializeToString())


def save(out, name, x, w, b=None):
    d = os.path.join(out, name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    (m, k), n = x.shape, w.shape[1]
    for kind, marked in (("sparse", True), ("dense", False)):
        with open(os.path.join(d, kind + ".mlir"), "w") as f:
            f.write(program(m, k, n, marked, b is not None))
    y = x.astype(np.float64) @ w.astype(np.float64)
    arrays = [("input_0", x), ("input_1", w)]
    if b is not None:
        y += b
        arrays.append(("input_2", b))
    y = y.astype(np.float32)
    for fname, a in arrays + [("output_0", y)]:
        with open(os.path.join(d, "test_data_set_0", fname + ".pb"),
                  "wb") as f:
            f.write(numpy_helper.from_array(a, fname).SerializeToString())


def main():
    out = sys.argv[1]
    rng = np.random.default_rng(11)

    def weight(k, n, density):
        w = rng.standard_normal((k, n)).astype(np.float32)
        w[rng.random((k, n)) >= density] = 0.0
        return w

    x = lambda m, k: rng.standard_normal((m, k)).astype(np.float32)
    save(out, "rows", x(4, 96), weight(96, 80, 0.1))          # rows form
    save(out, "columns", x(48, 128), weight(128, 72, 0.05))   # columns form
    save(out, "columns_odd", x(37, 61), weight(61, 29, 0.2))  # odd sizes
    save(out, "zeros", x(32, 64), weight(64, 48, 0.0))        # nnz = 0
    save(out, "full", x(20, 40), weight(40, 24, 1.0))         # no zeros
    # 256 columns: the fill in 64-column chunks, one per thread; X and Y
    # transposed in 16 x 16 blocks.
    save(out, "wide", x(64, 96), weight(96, 256, 0.05))
    # W stored as CSC (its buffers are the inputs): no conversion; the
    # columns and the rows form.
    save_stored(out, "stored", x(64, 96), weight(96, 256, 0.05))
    save_stored(out, "stored_rows", x(3, 40), weight(40, 24, 0.2))
    # Rows in tiles of 256 (256 + 44), into zeros and into an accumulator.
    save(out, "tiles", x(300, 64), weight(64, 48, 0.1))
    save(out, "tiles_acc", x(300, 64), weight(64, 48, 0.1), x(300, 48))


if __name__ == "__main__":
    main()
