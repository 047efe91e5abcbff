#!/usr/bin/python3
# ===- test/Inputs/eval_qat_accuracy.py - int8 accuracy after QAT ---------===#
#
# Part of the Kiln project: an MLIR compiler for training programs.
#
# ===-----------------------------------------------------------------------===#
#
#   eval_qat_accuracy.py DATA F32_WEIGHTS QAT_WEIGHTS [QDQ_MODEL QDQ_LOGITS]
#
# The classification MLP of make_quantize_models.py (x -> W0, b0 -> ReLU ->
# W1, b1 -> logits). DATA holds input_0.pb (x) and input_1.pb (labels); the
# weight folders are kiln-run --write-initializers outputs of an f32 and a
# qat-int8 training run. Computes, in numpy and independently of Kiln:
#
#   - the f32 model's accuracy with the f32-trained weights;
#   - the int8 model's accuracy with the QAT-trained weights, as an int8
#     deployment computes it: weights quantized per output channel
#     (s = max |w[:, c]| / 127, round half to even), each matmul's input
#     quantized per tensor with the observer's range (qat.amax_K / 127,
#     clamped to [-128, 127]), biases in f32.
#
# Prints both and "ok" when the int8 accuracy is within 1 point of f32's,
# else "DIFFERENT" (exit 1). With QDQ_MODEL (kiln-translate
# --export-qat-qdq's output) and QDQ_LOGITS (its output_0.pb from kiln-run
# on x), also checks that ONNX's checker accepts the model and that its
# accuracy is the int8 evaluation's (within 0.1 point).
#
# ===-----------------------------------------------------------------------===#

import pathlib
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def load(path):
    t = onnx.TensorProto()
    t.ParseFromString(pathlib.Path(path).read_bytes())
    return numpy_helper.to_array(t)


def quant(x, scale, lo, hi):
    return np.clip(np.round(x / scale), lo, hi) * scale


def main():
    data, f32_dir, qat_dir = (pathlib.Path(p) for p in sys.argv[1:4])
    x, labels = load(data / "input_0.pb"), load(data / "input_1.pb")

    w = {n: load(f32_dir / f"{n}.pb") for n in ("W0", "b0", "W1", "b1")}
    h = np.maximum(x @ w["W0"] + w["b0"], 0)
    acc_f32 = np.mean(np.argmax(h @ w["W1"] + w["b1"], 1) == labels) * 100

    q = {n: load(qat_dir / f"{n}.pb") for n in ("W0", "b0", "W1", "b1")}
    amax = [float(load(qat_dir / f"qat.amax_{k}.pb")) for k in (0, 1)]

    def weight(m):
        return quant(m, np.maximum(np.abs(m).max(0), 1e-30) / 127, -127, 127)

    xq = quant(x, max(amax[0], 1e-30) / 127, -128, 127)
    hq = np.maximum(xq @ weight(q["W0"]) + q["b0"], 0)
    hq = quant(hq, max(amax[1], 1e-30) / 127, -128, 127)
    acc_int8 = np.mean(np.argmax(hq @ weight(q["W1"]) + q["b1"], 1) ==
                       labels) * 100
    diff = acc_f32 - acc_int8
    verdict = "ok" if diff <= 1.0 else "DIFFERENT"
    print(f"f32 accuracy {acc_f32:.2f}%, int8 accuracy after QAT "
          f"{acc_int8:.2f}% ({diff:+.2f} points) {verdict}")
    if len(sys.argv) > 5:
        model = onnx.load(sys.argv[4])
        onnx.checker.check_model(model, full_check=True)
        ops = sorted({n.op_type for n in model.graph.node})
        logits = load(sys.argv[5])
        acc_qdq = np.mean(np.argmax(logits, 1) == labels) * 100
        same = abs(acc_qdq - acc_int8) <= 0.1
        print(f"QDQ model: checker ok, ops {' '.join(ops)}; accuracy run by "
              f"kiln-run {acc_qdq:.2f}% "
              f"{'ok' if same else 'DIFFERENT'}")
        verdict = verdict if same else "DIFFERENT"
    return 0 if verdict == "ok" else 1


if __name__ == "__main__":
    sys.exit(main())
