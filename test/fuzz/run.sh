#!/usr/bin/env bash
# Runs one fuzzer for a given time on its corpus (docs/reliability.md).
#
#   test/fuzz/run.sh FUZZER SECONDS [extra libFuzzer flags...]
#
# FUZZER is tnef, onnx, npy or nki (or fuzz-tnef, ...). The binary comes from
# $FUZZ_BUILD (default build-fuzz), the seeds from $FUZZ_BUILD/corpus/<name>
# (test/fuzz/make-corpus.sh). New inputs go to $FUZZ_BUILD/fuzz-out/<name>/
# corpus, crash/leak/timeout reproducers to $FUZZ_BUILD/fuzz-out/<name>/, and
# libFuzzer's log to $FUZZ_BUILD/fuzz-out/<name>/fuzz.log. Prints the final
# statistics line; exits non-zero if the fuzzer found a problem.
set -euo pipefail

if [[ $# -lt 2 ]]; then
  echo "usage: $0 tnef|onnx|npy|nki SECONDS [libFuzzer flags...]" >&2
  exit 2
fi
root=$(cd "$(dirname "$0")/../.." && pwd)
name=${1#fuzz-}
seconds=$2
shift 2
build=${FUZZ_BUILD:-$root/build-fuzz}
exe=$build/bin/fuzz-$name
[[ -x $exe ]] || { echo "$exe not built (ninja -C $build fuzz-$name)" >&2; exit 2; }
seeds=$build/corpus/$name
[[ -d $seeds ]] || { echo "no seeds in $seeds (run test/fuzz/make-corpus.sh)" >&2; exit 2; }
work=$build/fuzz-out/$name
mkdir -p "$work/corpus"

# -timeout: one input taking longer than this is a hang; -rss_limit_mb and
# -malloc_limit_mb: a blow-up is a finding, not an OOM kill.
# detect_leaks stays on (the default); UBSan findings abort.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
status=0
"$exe" "$work/corpus" "$seeds" -max_total_time="$seconds" -timeout=25 \
  -rss_limit_mb=3072 -malloc_limit_mb=2048 -max_len=262144 -print_final_stats=1 \
  -artifact_prefix="$work/" "$@" >"$work/fuzz.log" 2>&1 || status=$?
grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|Done|SUMMARY|==[0-9]+==ERROR)' \
  "$work/fuzz.log" || true
ls "$work" | grep -E '^(crash|leak|timeout|oom|slow-unit)-' || true
exit $status
