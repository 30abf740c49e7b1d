#!/usr/bin/python3
"""How the HTML profile report scales: a synthetic N-instruction trace.

Usage: bench/profile_report.py [--instructions 1000000] [--out build/bench/profile-report]

Profiles the bundled MLP (trellis-run --timing-only --profile) and repeats
its instructions back to back, shifted in time, until the trace holds N of
them (a synthetic trace: real events, repeated). Then times
`trellis-profile html` on it and opens the report in headless Chromium
(bench/profile_report.js, playwright-core from test/browser) to time the
first draw and redraws at full, 1/100 and 1/10000 zoom. Prints a markdown
table; docs/profiling.md quotes it.
"""
import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--instructions", type=int, default=1_000_000)
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "bench", "profile-report"))
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "bin"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    tnef, small = os.path.join(args.out, "mlp.tnef"), os.path.join(args.out, "mlp.json")
    run([f"{args.bin}/trellis-cc", "compile", os.path.join(ROOT, "examples/mlp/model.onnx"),
         "-o", tnef], stderr=subprocess.DEVNULL)
    run([f"{args.bin}/trellis-run", tnef, "--timing-only", "--quiet", "--profile", small])

    trace = json.load(open(small))
    meta = [e for e in trace["traceEvents"] if e["ph"] == "M"]
    insts = [e for e in trace["traceEvents"] if e["ph"] == "X"]
    period_us = max(e["ts"] + e["dur"] for e in insts)
    copies = -(-args.instructions // len(insts))
    big = os.path.join(args.out, "trace.json")
    with open(big, "w") as f:
        f.write('{"displayTimeUnit":"ns","traceEvents":[\n')
        f.write(",\n".join(json.dumps(e) for e in meta))
        n = 0
        for k in range(copies):
            for e in insts:
                if n == args.instructions:
                    break
                c = dict(e)
                c["ts"] = round(e["ts"] + k * period_us, 6)
                c["args"] = dict(e["args"], index=n)
                f.write(",\n" + json.dumps(c, separators=(",", ":")))
                n += 1
        other = dict(trace["otherData"])
        other["instructions"] = n
        other["device_time_ns"] = copies * period_us * 1000
        other["total_flops"] = trace["otherData"]["total_flops"] * copies
        f.write('\n],"otherData":' + json.dumps(other) + "}\n")
    trace_mb = os.path.getsize(big) / 1e6

    report = os.path.join(args.out, "report.html")
    t0 = time.monotonic()
    run([f"{args.bin}/trellis-profile", "html", big, "-o", report])
    html_s = time.monotonic() - t0
    report_mb = os.path.getsize(report) / 1e6

    env = dict(os.environ, NODE_PATH=os.path.join(ROOT, "test", "browser", "node_modules"))
    out = subprocess.run(["node", os.path.join(ROOT, "bench", "profile_report.js"), report],
                         check=True, capture_output=True, text=True, env=env).stdout
    browser = json.loads(out.strip().splitlines()[-1])

    print(f"| instructions | trace JSON | `trellis-profile html` | report | open + first draw | "
          f"redraw, whole run | redraw, 1/100 | redraw, 1/10000 |")
    print("|---|---|---|---|---|---|---|---|")
    print(f"| {n:,} | {trace_mb:.0f} MB | {html_s:.1f} s | {report_mb:.0f} MB | "
          f"{browser['load_ms'] / 1000:.1f} s | {browser['full_ms']:.0f} ms | "
          f"{browser['zoom100_ms']:.0f} ms | {browser['zoom10000_ms']:.0f} ms |")


if __name__ == "__main__":
    sys.exit(main())
