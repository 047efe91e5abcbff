#!/usr/bin/python3
# ===- test/Inputs/expect_exit.py - Check a command's exact exit code -----===#
#
# Part of the Kiln project: an MLIR compiler for training programs.
#
# ===-----------------------------------------------------------------------===#
#
#   expect_exit.py CODE COMMAND [ARGS...]
#
# Runs COMMAND with the caller's stdout and stderr and exits 0 if it exited
# with exactly CODE; otherwise prints "expect_exit: ..." to stderr and exits
# 1. lit's `not` only asks for a non-zero code; Kiln's tools promise exact
# ones (kiln-run: 0 match, 1 mismatch, 2 cannot compile or run).
#
# ===-----------------------------------------------------------------------===#

import subprocess
import sys

if len(sys.argv) < 3:
    sys.exit("usage: expect_exit.py CODE COMMAND [ARGS...]")
expected = int(sys.argv[1])
sys.stdout.flush()
code = subprocess.call(sys.argv[2:])
if code != expected:
    print(f"expect_exit: '{sys.argv[2]}' exited with {code}, expected "
          f"{expected}", file=sys.stderr)
    sys.exit(1)
