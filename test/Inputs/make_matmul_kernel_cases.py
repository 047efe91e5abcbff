#!/usr/bin/python3
# ===- make_matmul_kernel_cases.py - Matmuls for kiln-cpu-matmul-kernels ---===#
#
# Part of the Kiln project: an MLIR compiler for training programs.
#
# ===-----------------------------------------------------------------------===#
#
#   make_matmul_kernel_cases.py OUT_DIR
#
# Writes ONNX cases OUT_DIR/<name>/{model.onnx,test_data_set_0/*.pb} whose
# matmuls take the kernel path of kiln-cpu-matmul-kernels, with references
# computed by numpy in float64: sizes that fill the register tile exactly,
# sizes with row and column remainders (split off), a depth larger than one
# cache block, transposed operands (Gemm transA/transB), and batch matmuls
# (rank 3 and rank 4).
#
# ===-----------------------------------------------------------------------===#

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def save(out, name, nodes, inputs, outputs, arrays, results):
    d = os.path.join(out, name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    vi = lambda n, a: helper.make_tensor_value_info(n, TensorProto.FLOAT,
                                                    list(a.shape))
    graph = helper.make_graph(nodes, name,
                              [vi(n, a) for n, a in zip(inputs, arrays)],
                              [vi(n, a) for n, a in zip(outputs, results)])
    model = helper.make_model(graph,
                              opset_imports=[helper.make_opsetid("", 17)])
    onnx.save(model, os.path.join(d, "model.onnx"))
    for i, (n, a) in enumerate(zip(inputs, arrays)):
        with open(os.path.join(d, "test_data_set_0", f"input_{i}.pb"),
                  "wb") as f:
            f.write(numpy_helper.from_array(a, n).SerializeToString())
    for i, (n, a) in enumerate(zip(outputs, results)):
        with open(os.path.join(d, "test_data_set_0", f"output_{i}.pb"),
                  "wb") as f:
            f.write(numpy_helper.from_array(a.astype(np.float32),
                                            n).SerializeToString())


def main():
    out = sys.argv[1]
    rng = np.random.default_rng(7)
    r = lambda *s: rng.standard_normal(s).astype(np.float32)

    def matmul(name, a, b):
        c = a.astype(np.float64) @ b.astype(np.float64)
        save(out, name, [helper.make_node("MatMul", ["A", "B"], ["C"])],
             ["A", "B"], ["C"], [a, b], [c])

    matmul("exact", r(64, 96), r(96, 128))       # 8 x 32 tiles, no remainder
    matmul("remainders", r(67, 45), r(45, 77))   # rows and columns left over
    matmul("deep", r(40, 600), r(600, 64))       # k > kc: several blocks
    matmul("batch3", r(3, 24, 50), r(3, 50, 96))
    matmul("batch4", r(2, 2, 17, 33), r(2, 2, 33, 40))
    # Few, odd columns: computed transposed (C^T = B^T A^T).
    matmul("narrow", r(32, 300), r(300, 27))     # a conv filter gradient
    matmul("narrow_batch", r(3, 40, 64), r(3, 64, 10))
    a, b, bias = r(64, 200), r(10, 200), r(64, 10)
    c = a.astype(np.float64) @ b.T.astype(np.float64) + bias
    save(out, "narrow_gemm_bias",
         [helper.make_node("Gemm", ["A", "B", "Cin"], ["C"], transB=1)],
         ["A", "B", "Cin"], ["C"], [a, b, bias], [c])
    for ta, tb in [(0, 1), (1, 0), (1, 1)]:
        a = r(50, 72) if ta else r(72, 50)       # M = 72, K = 50, N = 96
        b = r(96, 50) if tb else r(50, 96)
        am = a.T if ta else a
        bm = b.T if tb else b
        c = am.astype(np.float64) @ bm.astype(np.float64)
        node = helper.make_node("Gemm", ["A", "B"], ["C"], transA=ta,
                                transB=tb)
        save(out, f"gemm_t{ta}{tb}", [node], ["A", "B"], ["C"], [a, b], [c])

    # Elementwise readers of the product, computed on the kernel's register
    # tiles (fuse-epilogues): the reference applies them to the float64
    # product.
    def epilogue(name, a, b, extra, nodes, ref):
        p = a.astype(np.float64) @ b.astype(np.float64)
        names = ["A", "B"] + [n for n, _ in extra]
        save(out, name, [helper.make_node("MatMul", ["A", "B"], ["P"])] +
             nodes, names, ["C"], [a, b] + [v for _, v in extra],
             [ref(p, *[v.astype(np.float64) for _, v in extra])])

    bias_relu = [helper.make_node("Add", ["P", "bias"], ["Q"]),
                 helper.make_node("Relu", ["Q"], ["C"])]
    relu_ref = lambda p, bias: np.maximum(p + bias, 0)
    epilogue("epilogue_bias_relu", r(64, 96), r(96, 128),
             [("bias", r(128))], bias_relu, relu_ref)
    # k > kc: only the last k block applies it.
    epilogue("epilogue_deep", r(40, 600) / 4, r(600, 64) / 4,
             [("bias", r(64) / 16)],
             bias_relu, relu_ref)
    # A [1, N] bias (a broadcast unit dim) and a residual [M, N].
    epilogue("epilogue_residual", r(48, 64), r(64, 96),
             [("bias", r(1, 96)), ("res", r(48, 96))],
             [helper.make_node("Add", ["P", "bias"], ["Q"]),
              helper.make_node("Add", ["Q", "res"], ["C"])],
             lambda p, bias, res: p + bias + res)
    # An activation-gradient mask, and an SGD step on the product as the
    # gradient.
    epilogue("epilogue_mask", r(64, 50), r(50, 96), [("x", r(64, 96))],
             [helper.make_node("Constant", [], ["zero"],
                               value=numpy_helper.from_array(
                                   np.zeros((), np.float32))),
              helper.make_node("Greater", ["x", "zero"], ["m"]),
              helper.make_node("Where", ["m", "P", "zero"], ["C"])],
             lambda p, x: np.where(x > 0, p, 0))
    epilogue("epilogue_sgd", r(96, 64), r(64, 128), [("w", r(96, 128))],
             [helper.make_node("Constant", [], ["lr"],
                               value=numpy_helper.from_array(
                                   np.array(0.1, np.float32))),
              helper.make_node("Mul", ["P", "lr"], ["G"]),
              helper.make_node("Sub", ["w", "G"], ["C"])],
             lambda p, w: w - np.float32(0.1) * p)
    epilogue("epilogue_batch", r(3, 24, 50), r(3, 50, 96),
             [("s", r(3, 24, 96))],
             [helper.make_node("Mul", ["P", "s"], ["C"])],
             lambda p, s: p * s)
    # Read through a reshape of the rows ([B*S, N] -> [B, S, N], how a
    # linear layer on a sequence is imported), or of the batch.
    epilogue("epilogue_reshape", r(4, 32, 64), r(64, 96), [("bias", r(96))],
             bias_relu, relu_ref)
    epilogue("epilogue_batch4", r(2, 2, 16, 33), r(2, 2, 33, 64),
             [("s", r(2, 2, 16, 64))],
             [helper.make_node("Mul", ["P", "s"], ["C"])],
             lambda p, s: p * s)
    # Rows of 20: an 8-row tile would straddle two sequences, so the
    # epilogue stays a loop of its own.
    epilogue("epilogue_reshape_straddle", r(2, 20, 64), r(64, 96),
             [("bias", r(96))], bias_relu, relu_ref)
    # Remainders split off: the epilogue stays a loop of its own.
    epilogue("epilogue_remainders", r(67, 45), r(45, 77), [("bias", r(77))],
             bias_relu, relu_ref)

    # Epilogues with several results, written on the same register tiles:
    # an Adam step with the product as the gradient (the new weight, first
    # and second moments; K = 300 spans two k blocks), and an activation
    # with its saved mask (as bytes between the ops).
    a, b = r(64, 300) / 4, r(300, 96) / 4
    w, m, v = r(64, 96), r(64, 96) / 10, np.abs(r(64, 96)) / 10
    p = a.astype(np.float64) @ b.astype(np.float64)
    m1 = 0.9 * m + 0.1 * p
    v1 = 0.999 * v + 0.001 * p * p
    w1 = w - 0.01 * m1 / (np.sqrt(v1) + 1e-8)
    const = lambda name, x: helper.make_node(
        "Constant", [], [name],
        value=numpy_helper.from_array(np.array(x, np.float32)))
    save(out, "epilogue_adam",
         [helper.make_node("MatMul", ["A", "B"], ["P"]),
          const("b1", 0.9), const("c1", 0.1), const("b2", 0.999),
          const("c2", 0.001), const("lr", 0.01), const("eps", 1e-8),
          helper.make_node("Mul", ["m", "b1"], ["m_a"]),
          helper.make_node("Mul", ["P", "c1"], ["m_b"]),
          helper.make_node("Add", ["m_a", "m_b"], ["m_new"]),
          helper.make_node("Mul", ["v", "b2"], ["v_a"]),
          helper.make_node("Mul", ["P", "P"], ["g2"]),
          helper.make_node("Mul", ["g2", "c2"], ["v_b"]),
          helper.make_node("Add", ["v_a", "v_b"], ["v_new"]),
          helper.make_node("Sqrt", ["v_new"], ["s"]),
          helper.make_node("Add", ["s", "eps"], ["d"]),
          helper.make_node("Div", ["m_new", "d"], ["q"]),
          helper.make_node("Mul", ["q", "lr"], ["u"]),
          helper.make_node("Sub", ["w", "u"], ["w_new"])],
         ["A", "B", "w", "m", "v"], ["w_new", "m_new", "v_new"],
         [a, b, w, m, v], [w1, m1, v1])
    a, b, bias = r(2, 64, 64), r(64, 96), r(96)
    q = a.astype(np.float64) @ b.astype(np.float64) + bias
    save(out, "epilogue_relu_mask",
         [helper.make_node("MatMul", ["A", "B"], ["P"]),
          helper.make_node("Add", ["P", "bias"], ["Q"]),
          helper.make_node("Relu", ["Q"], ["C"]),
          const("zero", 0.0),
          helper.make_node("Greater", ["Q", "zero"], ["mask"]),
          helper.make_node("Cast", ["mask"], ["M"], to=TensorProto.FLOAT)],
         ["A", "B", "bias"], ["C", "M"], [a, b, bias],
         [np.maximum(q, 0), (q > 0).astype(np.float64)])

    # Convolutions that kiln-cpu-conv-to-gemm tiles per image: their bias,
    # ReLU (and mask) move into the tile loop, onto the GEMM's tiles.
    # (Per image, im2col is 72 x 256, under the result, 4 x 32 x 256.)
    def conv2d(x, w, pad):
        x = np.pad(x.astype(np.float64),
                   ((0, 0), (0, 0), (pad, pad), (pad, pad)))
        kh, kw = w.shape[2:]
        oh, ow = x.shape[2] - kh + 1, x.shape[3] - kw + 1
        y = np.zeros((x.shape[0], w.shape[0], oh, ow))
        for i in range(kh):
            for j in range(kw):
                y += np.einsum("nchw,fc->nfhw", x[:, :, i:i + oh, j:j + ow],
                               w[:, :, i, j].astype(np.float64))
        return y

    x, w, bias = r(4, 8, 16, 16), r(32, 8, 3, 3), r(32)
    q = conv2d(x, w, 1) + bias.astype(np.float64)[None, :, None, None]
    conv = helper.make_node("Conv", ["X", "W", "bias"], ["Q"],
                            pads=[1, 1, 1, 1])
    save(out, "conv_bias_relu", [conv, helper.make_node("Relu", ["Q"], ["C"])],
         ["X", "W", "bias"], ["C"], [x, w, bias], [np.maximum(q, 0)])
    save(out, "conv_relu_mask",
         [conv, helper.make_node("Relu", ["Q"], ["C"]),
          const("zero", 0.0),
          helper.make_node("Greater", ["Q", "zero"], ["mask"]),
          helper.make_node("Cast", ["mask"], ["M"], to=TensorProto.FLOAT)],
         ["X", "W", "bias"], ["C", "M"], [x, w, bias],
         [np.maximum(q, 0), (q > 0).astype(np.float64)])


if __name__ == "__main__":
    main()
