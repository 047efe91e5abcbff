# ===- bench/openblas.py - Let OpenBLAS use this CPU's kernels ------------===#
#
# Part of the Kiln project: an MLIR compiler for training programs.
#
# ===-----------------------------------------------------------------------===#
#
# OpenBLAS picks its kernels from the CPU model; on a VM that reports a
# generic "Intel Xeon Processor" it falls back to its SSE3 kernels
# ("Prescott", about a quarter of the speed). The baselines of the
# benchmarks (numpy's sgemm, PyTorch, which Debian links to the same BLAS)
# would then be handicapped, so before any BLAS is loaded this names the
# kernel family the CPU's flags support (SkylakeX with AVX-512, Haswell
# with AVX2), unless OPENBLAS_CORETYPE is set already.
#
# ===-----------------------------------------------------------------------===#

import os


def tune_openblas():
    """Sets OPENBLAS_CORETYPE from /proc/cpuinfo; returns its value."""
    if "OPENBLAS_CORETYPE" not in os.environ:
        try:
            with open("/proc/cpuinfo") as f:
                flags = f.read()
        except OSError:
            flags = ""
        if " avx512f" in flags:
            os.environ["OPENBLAS_CORETYPE"] = "SkylakeX"
        elif " avx2" in flags:
            os.environ["OPENBLAS_CORETYPE"] = "Haswell"
    return os.environ.get("OPENBLAS_CORETYPE", "auto")
