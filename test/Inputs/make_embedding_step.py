#!/usr/bin/env python3
# An embedding lookup trained one SGD step through kiln-run, and the same
# step in numpy (np.add.at for the rows several tokens share), for
# test/Execution/embedding-gradient.test.
#
#   make_embedding_step.py make OUT      model.onnx (y = Gather(E, ids) @ P),
#                                        data/ (ids, label)
#   make_embedding_step.py check OUT DIR compares DIR/E.pb (kiln-run
#                                        --write-initializers) with numpy
#
# The table is large (VOCAB x DIM) and the ids many, so a scatter lowering
# that visits every (token, row) pair is visibly slow here; the numbers are
# what the test checks.
import argparse
import pathlib
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

VOCAB, DIM, OUT_DIM = 50000, 32, 4
BATCH, SEQ = 64, 64
LR = 0.5


def tensors():
    rng = np.random.default_rng(11)
    table = (rng.standard_normal((VOCAB, DIM)) * 0.1).astype(np.float32)
    proj = (rng.standard_normal((DIM, OUT_DIM)) * 0.3).astype(np.float32)
    # Zipf-like ids: the frequent rows are hit by many tokens.
    ids = np.minimum(rng.zipf(1.3, (BATCH, SEQ)) - 1, VOCAB - 1).astype(np.int64)
    ids[0, :4] = [-1, -VOCAB, VOCAB - 1, 0]  # negatives count from the end
    label = rng.standard_normal((BATCH, SEQ, OUT_DIM)).astype(np.float32)
    return table, proj, ids, label


def make(out):
    table, proj, ids, label = tensors()
    nodes = [helper.make_node("Gather", ["E", "ids"], ["emb"], axis=0),
             helper.make_node("MatMul", ["emb", "P"], ["y"])]
    graph = helper.make_graph(
        nodes, "embedding",
        [helper.make_tensor_value_info("ids", TensorProto.INT64, [BATCH, SEQ])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT,
                                       [BATCH, SEQ, OUT_DIM])],
        initializer=[numpy_helper.from_array(table, "E"),
                     numpy_helper.from_array(proj, "P")])
    model = helper.make_model(graph, producer_name="kiln-test",
                              opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    (out / "data").mkdir(parents=True, exist_ok=True)
    onnx.save(model, out / "model.onnx")
    for k, (array, name) in enumerate([(ids, "ids"), (label, "label")]):
        (out / "data" / f"input_{k}.pb").write_bytes(
            numpy_helper.from_array(array, name).SerializeToString())


def check(out, trained):
    table, proj, ids, label = tensors()
    t = table.astype(np.float64)
    rows = np.where(ids < 0, ids + VOCAB, ids)
    emb = t[rows]
    y = emb @ proj.astype(np.float64)
    dy = 2.0 * (y - label) / y.size          # mean squared error
    demb = dy @ proj.astype(np.float64).T
    dtable = np.zeros_like(t)
    np.add.at(dtable, rows.reshape(-1), demb.reshape(-1, DIM))
    want = t - LR * dtable
    proto = onnx.TensorProto()
    proto.ParseFromString((trained / "E.pb").read_bytes())
    got = numpy_helper.to_array(proto).astype(np.float64)
    err = np.max(np.abs(got - want) / (1e-6 + np.abs(want)))
    touched = int(np.count_nonzero(np.any(dtable != 0, axis=1)))
    shared = int(np.max(np.bincount(rows.reshape(-1))))
    ok = err < 1e-4
    print(f"embedding step: {touched} rows updated, the most shared by "
          f"{shared} tokens, max rel. error {err:.2e} "
          f"{'ok' if ok else 'DIFFERENT'}")
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["make", "check"])
    ap.add_argument("out")
    ap.add_argument("trained", nargs="?")
    args = ap.parse_args()
    out = pathlib.Path(args.out)
    if args.what == "make":
        make(out)
        return 0
    return check(out, pathlib.Path(args.trained))


if __name__ == "__main__":
    sys.exit(main())
