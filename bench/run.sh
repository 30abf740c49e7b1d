#!/usr/bin/env bash
# The bench suite (bench/README.md): bench/run.sh [--quick] [--only NAME] ...
# Runs bench/run.py with Debian's python3, which has torch, torchvision and onnx.
set -euo pipefail
exec /usr/bin/python3 "$(dirname "$0")/run.py" "$@"
