#!/usr/bin/python3
# ===- test/Inputs/print_pb.py - Print TensorProto files ---------------===#
#
# Part of the Kiln project: an MLIR compiler for training programs.
#
# ===-------------------------------------------------------------------===#
#
#   print_pb.py FILE.pb...
#
# One line per file: "NAME: v0 v1 ..." (the TensorProto's name, its values
# flattened, %.6g), for FileCheck to read state that kiln-run wrote.
import sys

import numpy as np
import onnx
from onnx import numpy_helper

for path in sys.argv[1:]:
    proto = onnx.TensorProto()
    with open(path, "rb") as f:
        proto.ParseFromString(f.read())
    values = np.asarray(numpy_helper.to_array(proto)).reshape(-1)
    print(f"{proto.name}: " + " ".join(f"{v:.6g}" for v in values))
