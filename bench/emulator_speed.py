#!/usr/bin/python3
"""Emulator speed against onnxruntime (issue #5 item 5).

    bench/emulator_speed.sh [--only resnet18,bert-layer-128] [--runs 5]

For each torch workload of bench/workloads.py whose model and -O2 artifact
bench/run.py has written (build/bench/NAME/model.onnx, model-O2.tnef), times

  - trellis-run model-O2.tnef --random-inputs: the full functional + timing
    emulation of the compiled model (wall time, the median of --emu-runs
    runs, and the largest peak RSS from /usr/bin/time against the
    artifact's HBM image: weights + activations);
  - trellis-run model-O2.tnef --timing-only --check-hazards=false: what the
    full run costs without any arithmetic or memory traffic (process start,
    decoding the artifact, the scheduling loop and timing model), the
    median of as many runs;
  - onnxruntime's CPU inference of the same ONNX model (fp32; onnxruntime-node
    from npm, installed once into build/bench/ort with --ignore-scripts: the
    package ships its native library), via bench/ort_run.js: session
    creation, the first run and the median of --runs runs.

Both run on this machine, one after the other. Writes
build/bench/emulator_speed.json and prints a markdown table. The GEMM rows
are bf16 models, which onnxruntime's CPU provider does not run; they are
skipped.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEFAULT = "resnet18,resnet50,bert-layer-128,bert-layer-512,gpt2-block-512,bert-base-128"


def ensure_ort(ort_dir):
    pkg = os.path.join(ort_dir, "node_modules", "onnxruntime-node")
    if os.path.isdir(pkg):
        return
    if not shutil.which("npm") or not shutil.which("node"):
        sys.exit("emulator_speed.py: node and npm are needed (apt-get install nodejs npm)")
    os.makedirs(ort_dir, exist_ok=True)
    subprocess.run(["npm", "install", "--ignore-scripts", "--no-audit", "--no-fund",
                    "--prefix", ort_dir, "onnxruntime-node"], check=True)


def input_shapes(model):
    import onnx
    m = onnx.load(model, load_external_data=False)
    inits = {i.name for i in m.graph.initializer}
    shapes = {}
    for i in m.graph.input:
        if i.name in inits:
            continue
        if i.type.tensor_type.elem_type != onnx.TensorProto.FLOAT:
            return None
        shapes[i.name] = [d.dim_value for d in i.type.tensor_type.shape.dim]
    return shapes


def hbm_bytes(bin_dir, tnef):
    out = subprocess.run([os.path.join(bin_dir, "trellis-objdump"), tnef], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True).stdout
    m = re.search(r"HBM (\d+) bytes", out)
    return int(m.group(1)) if m else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", default=DEFAULT, help="comma-separated workload names")
    ap.add_argument("--runs", type=int, default=5, help="timed onnxruntime runs (median)")
    ap.add_argument("--emu-runs", type=int, default=3,
                    help="emulator runs of each kind (median wall time, largest RSS)")
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "bin"))
    ap.add_argument("--work", default=os.path.join(ROOT, "build", "bench"),
                    help="bench/run.py's work directory")
    ap.add_argument("--out", default=None, help="JSON output (default WORK/emulator_speed.json)")
    args = ap.parse_args()
    ort_dir = os.path.join(args.work, "ort")
    ensure_ort(ort_dir)
    rows = []
    for name in [n for n in args.only.split(",") if n]:
        wdir = os.path.join(args.work, name)
        model, tnef = os.path.join(wdir, "model.onnx"), os.path.join(wdir, "model-O2.tnef")
        if not (os.path.isfile(model) and os.path.isfile(tnef)):
            print("== %s: no model; run bench/run.sh --only %s first" % (name, name),
                  file=sys.stderr)
            continue
        shapes = input_shapes(model)
        if shapes is None:
            print("== %s: not an fp32 model, skipped" % name, file=sys.stderr)
            continue
        print("== %s" % name, file=sys.stderr)
        def emulate(flags):
            run = [os.path.join(args.bin, "trellis-run"), tnef, "--quiet"] + flags
            if os.path.exists("/usr/bin/time"):  # Debian's `time`, for the peak RSS
                run = ["/usr/bin/time", "-f", "maxrss_kb %M"] + run
            times, rss_kb, res = [], 0, None
            for _ in range(max(1, args.emu_runs)):
                t0 = time.monotonic()
                res = subprocess.run(run, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True)
                times.append(time.monotonic() - t0)
                if res.returncode != 0:
                    break
                m = re.search(r"maxrss_kb (\d+)", res.stdout)
                rss_kb = max(rss_kb, int(m.group(1))) if m else rss_kb
            times.sort()
            return times[len(times) // 2], rss_kb, res

        emu_s, rss_kb, emu = emulate(["--random-inputs"])
        if emu.returncode != 0:
            print("   trellis-run failed: %s" % emu.stdout.strip().splitlines()[-1:], file=sys.stderr)
            continue
        timing_s, _, timing = emulate(["--timing-only", "--check-hazards=false"])
        if timing.returncode != 0:
            timing_s = None
        ort = subprocess.run(["node", os.path.join(HERE, "ort_run.js"), ort_dir, model,
                              json.dumps(shapes), str(args.runs)],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if ort.returncode != 0:
            print("   onnxruntime failed: %s" % ort.stdout.strip(), file=sys.stderr)
            continue
        o = json.loads(ort.stdout.strip().splitlines()[-1])
        hbm = hbm_bytes(args.bin, tnef)
        row = {"workload": name, "emulate_full_s": round(emu_s, 2),
               "emulate_timing_only_s": round(timing_s, 2) if timing_s is not None else None,
               "ort_session_s": round(o["session_ms"] / 1e3, 3),
               "ort_first_s": round(o["first_ms"] / 1e3, 3),
               "ort_median_s": round(o["median_ms"] / 1e3, 4),
               "ratio_to_ort_median": round(emu_s / (o["median_ms"] / 1e3), 1),
               "emulator_rss_mb": round(rss_kb / 1024, 1) if rss_kb else None,
               "hbm_image_mb": round(hbm / 2**20, 1) if hbm else None}
        if row["emulator_rss_mb"] and row["hbm_image_mb"]:
            row["rss_over_hbm"] = round(row["emulator_rss_mb"] / row["hbm_image_mb"], 2)
        rows.append(row)
        print("   emulator %.2f s, onnxruntime %.4f s (median), %.1fx" %
              (emu_s, o["median_ms"] / 1e3, row["ratio_to_ort_median"]), file=sys.stderr)
    out = args.out or os.path.join(args.work, "emulator_speed.json")
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"rows": rows}, f, indent=1)
    os.replace(tmp, out)
    print("| workload | emulator full run (s) | of which start + decode + timing (s) | "
          "onnxruntime median (s) | ratio (target <= 3) | onnxruntime first run (s) | "
          "emulator peak RSS (MB) | HBM image (MB) | RSS / HBM |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        t = r.get("emulate_timing_only_s")
        print("| %s | %.2f | %s | %.4f | %.1fx | %.3f | %s | %s | %s |" % (
            r["workload"], r["emulate_full_s"], "%.2f" % t if t is not None else "-",
            r["ort_median_s"], r["ratio_to_ort_median"], r["ort_first_s"],
            r["emulator_rss_mb"], r["hbm_image_mb"], r.get("rss_over_hbm", "-")))


if __name__ == "__main__":
    main()
