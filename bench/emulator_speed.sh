#!/usr/bin/env bash
# Emulator speed against onnxruntime (bench/emulator_speed.py; bench/README.md).
# Runs with Debian's python3 (python3-onnx); needs node and npm.
set -euo pipefail
exec /usr/bin/python3 "$(dirname "$0")/emulator_speed.py" "$@"
