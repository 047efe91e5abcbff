#!/usr/bin/env bash
#===- scripts/install-reference-deps.sh - Deps of the reference generators -===#
#
# Part of the Kiln project: an MLIR compiler for training programs.
#
#===----------------------------------------------------------------------===#
#
# Installs what the training-reference generators need and the build and the
# test suite do not (they never need PyTorch: the generated cases are checked
# in):
#   - Debian's python3-torch (PyTorch 1.13, CPU), used by
#     scripts/make_training_references.py and examples/train/*.py;
#   - with --check-venv, also a virtual environment .venv-ref/ (system site
#     packages visible, so it sees Debian's torch) holding onnx from PyPI
#     (>= 1.13, for its ReferenceEvaluator), used by
#     `.venv-ref/bin/python scripts/make_training_references.py --check`.
# Idempotent and non-interactive.
#
#===----------------------------------------------------------------------===#
set -euo pipefail

PACKAGES=(python3 python3-onnx python3-numpy python3-torch)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  echo "install-reference-deps: installing ${missing[*]}"
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "install-reference-deps: all ${#PACKAGES[@]} packages present"
fi

if [ "${1:-}" = "--check-venv" ]; then
  root="$(cd "$(dirname "$0")/.." && pwd)"
  venv="$root/.venv-ref"
  if [ ! -x "$venv/bin/python" ]; then
    dpkg -s python3-venv >/dev/null 2>&1 || {
      SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
      DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q python3-venv; }
    /usr/bin/python3 -m venv --system-site-packages "$venv"
  fi
  "$venv/bin/pip" install -q "onnx==1.16.2"
  echo "install-reference-deps: $venv/bin/python has onnx $("$venv/bin/python" -c 'import onnx; print(onnx.__version__)')"
fi
