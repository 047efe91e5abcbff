#!/usr/bin/python3
# ===- test/Inputs/make_resource_models.py - Models that test resource bounds ===#
#
# Part of the Kiln project: an MLIR compiler for training programs.
#
# ===-----------------------------------------------------------------------===#
#
#   make_resource_models.py OUT_DIR
#
# Writes small ONNX models (Y = X + W, X and W 2x2 f32) that exercise Kiln's
# resource bounds: W stored as external data (valid, at an offset, in a
# subfolder; and refused: absolute path, '..', missing file, range past the
# end, a symlink leaving the folder), an initializer declaring 2^40
# elements, a graph input declaring 2^62. OUT_DIR/expected_Y.npy holds the
# reference output for the valid external-data models with X = ones.
#
# ===-----------------------------------------------------------------------===#

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(os.path.join(out, "weights"), exist_ok=True)
X = helper.make_tensor_value_info("X", TensorProto.FLOAT, [2, 2])
Y = helper.make_tensor_value_info("Y", TensorProto.FLOAT, [2, 2])
w = np.array([[1.5, -2.0], [0.25, 4.0]], dtype=np.float32)


def save(name, init, x=X):
    graph = helper.make_graph([helper.make_node("Add", ["X", "W"], ["Y"])],
                              "g", [x], [Y], initializer=[init])
    model = helper.make_model(graph,
                              opset_imports=[helper.make_opsetid("", 17)])
    with open(os.path.join(out, name + ".onnx"), "wb") as f:
        f.write(model.SerializeToString())


def external(location, **keys):
    t = TensorProto()
    t.name = "W"
    t.data_type = TensorProto.FLOAT
    t.dims.extend([2, 2])
    t.data_location = TensorProto.EXTERNAL
    for key, value in [("location", location)] + list(keys.items()):
        entry = t.external_data.add()
        entry.key, entry.value = key, str(value)
    return t


# The weights file: 8 bytes of padding, then W.
with open(os.path.join(out, "weights", "w.bin"), "wb") as f:
    f.write(b"\x00" * 8 + w.tobytes())
with open(os.path.join(out, "w_plain.bin"), "wb") as f:
    f.write(w.tobytes())
save("ext_plain", external("w_plain.bin"))
save("ext_offset", external("weights/w.bin", offset=8, length=16))
save("ext_absolute", external("/etc/hostname"))
save("ext_dotdot", external("../w_plain.bin"))
save("ext_missing", external("weights/nope.bin"))
save("ext_past_end", external("weights/w.bin", offset=16, length=16))
save("ext_wrong_size", external("weights/w.bin"))
link = os.path.join(out, "weights", "escape.bin")
if not os.path.lexists(link):
    os.symlink("/etc/hostname", link)
save("ext_symlink", external("weights/escape.bin"))

huge = TensorProto()
huge.name = "W"
huge.data_type = TensorProto.FLOAT
huge.dims.extend([1 << 20, 1 << 20])
save("huge_initializer", huge)
save("huge_input", numpy_helper.from_array(w, "W"),
     helper.make_tensor_value_info("X", TensorProto.FLOAT, [1 << 31, 1 << 31]))
np.save(os.path.join(out, "expected_Y.npy"), w + 1.0)
