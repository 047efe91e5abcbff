# -*- Python -*-
# lit configuration of Kiln's IR and execution tests.
import os

import lit.formats
from lit.llvm import llvm_config

config.name = "Kiln"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.kiln_obj_root, "test")
# unit/ has its own config (GoogleTest binaries); Inputs/ holds data files.
config.excludes = ["Inputs", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py"]

config.substitutions.append(("%onnx_data", config.onnx_test_data))
config.substitutions.append(("%kiln_src", config.kiln_src_root))
# MLIR's runner utilities (printMemrefF32) for mlir-runner tests.
config.substitutions.append(
    ("%mlir_runner_utils",
     os.path.join(os.path.dirname(config.llvm_tools_dir), "lib",
                  "libmlir_runner_utils.so")))
# The build tree (test/Install installs it).
config.substitutions.append(("%kiln_obj_root", config.kiln_obj_root))
# The interpreter with Debian's python3-onnx (pyenv's python3 lacks it).
config.substitutions.append(("%python", "/usr/bin/python3"))

llvm_config.with_system_environment(["HOME", "TMPDIR", "ASAN_OPTIONS", "UBSAN_OPTIONS"])
llvm_config.use_default_substitutions()
llvm_config.add_tool_substitutions(
    ["kiln-opt", "kiln-translate", "kiln-run", "kiln-remat-solve", "kiln-step",
     "kiln-capi-test"], [config.kiln_tools_dir])
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

if os.path.isdir(config.onnx_test_data):
    config.available_features.add("onnx-testdata")

# PyTorch (python3-torch, scripts/install-reference-deps.sh) is needed only
# to regenerate reference data, never to run the suite.
import subprocess
if subprocess.call(["/usr/bin/python3", "-c",
                    "import importlib.util, sys; "
                    "sys.exit(importlib.util.find_spec('torch') is None)"]) == 0:
    config.available_features.add("torch")

# CUDA's ptxas (not a build dependency): where present, the CUDA target's
# PTX is assembled by it (test/Codegen/CUDA); without it those tests are
# reported UNSUPPORTED, i.e. skipped, not passed.
import shutil
ptxas = shutil.which("ptxas") or "/usr/local/cuda/bin/ptxas"
if os.access(ptxas, os.X_OK):
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", ptxas))

# onnx >= 1.13 with its ReferenceEvaluator (not Debian's 1.12): the venv of
# scripts/install-reference-deps.sh --check-venv, or a python named by
# $KILN_ONNX_REFERENCE_PYTHON. test/Export/onnx-reference.test needs it.
_ref_python = os.environ.get("KILN_ONNX_REFERENCE_PYTHON") or os.path.join(
    config.kiln_src_root, ".venv-ref", "bin", "python")
if os.access(_ref_python, os.X_OK) and subprocess.call(
        [_ref_python, "-c", "import onnx.reference"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0:
    config.available_features.add("onnx-reference")
    config.substitutions.append(("%ref_python", _ref_python))

# Graphviz's dot renders kiln-fusion-graph's SVG.
if shutil.which("dot"):
    config.available_features.add("graphviz")

# The CUDA driver stand-in for --target cuda's host side without a GPU.
config.substitutions.append(
    ("%fake_cuda_driver",
     os.path.join(config.kiln_obj_root, "lib", "libkiln-fake-cuda.so")))

# The CUDA driver library (an NVIDIA GPU machine): tests of what happens
# without it are skipped there.
import ctypes
for _name in ("libcuda.so.1", "libcuda.so"):
    try:
        ctypes.CDLL(_name)
        config.available_features.add("cuda-driver")
        break
    except OSError:
        pass

# A sanitizer build (-DKILN_SANITIZE=...): tests that cap virtual memory
# (ASan reserves terabytes of shadow address space) are skipped there.
if "address" in getattr(config, "kiln_sanitize", ""):
    config.available_features.add("asan")
