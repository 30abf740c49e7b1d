#!/usr/bin/env bash
# Compiles a model, profiles it, makes the HTML report and checks it in
# headless Chromium (report_test.js); then the same at -O0 and the diff
# report of the two runs (diff_test.js). Exits 77 (ctest: skipped) when
# Chromium or playwright-core is not installed.
#   report_test.sh BIN_DIR MODEL.onnx OUT_DIR
set -euo pipefail
bin=$1 model=$2 out=$3
here=$(cd "$(dirname "$0")" && pwd)
chromium=${TRELLIS_CHROMIUM:-/usr/bin/chromium}

if [ ! -x "$chromium" ]; then
  echo "SKIP: no Chromium at $chromium (apt-get install chromium, or set TRELLIS_CHROMIUM)"
  exit 77
fi
if ! command -v node >/dev/null; then
  echo "SKIP: no node (apt-get install nodejs npm)"
  exit 77
fi
if [ ! -d "$here/node_modules/playwright-core" ]; then
  echo "SKIP: playwright-core is not installed (cd test/browser && npm install --ignore-scripts)"
  exit 77
fi

rm -rf "$out"
mkdir -p "$out"
"$bin/trellis-cc" compile "$model" -o "$out/model.tnef"
"$bin/trellis-run" "$out/model.tnef" --timing-only --profile "$out/trace.json" >/dev/null
"$bin/trellis-profile" html "$out/trace.json" -o "$out/report.html"
TRELLIS_CHROMIUM=$chromium node "$here/report_test.js" "$out/trace.json" "$out/report.html" \
  "$out/report.png"

# The diff report: the same model at -O0 (A) against the default -O2 (B).
"$bin/trellis-cc" compile "$model" -O0 -o "$out/model-O0.tnef"
"$bin/trellis-run" "$out/model-O0.tnef" --timing-only --profile "$out/trace-O0.json" >/dev/null
"$bin/trellis-profile" diff "$out/trace-O0.json" "$out/trace.json" --html -o "$out/diff.html"
TRELLIS_CHROMIUM=$chromium node "$here/diff_test.js" "$out/trace-O0.json" "$out/trace.json" \
  "$out/diff.html" "$out/diff.png"
