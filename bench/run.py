#!/usr/bin/python3
"""Runs the bench suite: generate, compile, emulate, profile, report.

Usage: bench/run.py [--only NAME[,NAME..]] [--quick] [--opt 2,0] [--timeout S]
                    [--no-full] [--render-only] [--list]

For every workload of bench/workloads.py and every -O level: writes the ONNX
model (build/bench/NAME/model.onnx, generated once), compiles it with
trellis-cc (wall time), runs `trellis-run --timing-only --profile` (wall
time), the full functional run with random inputs where affordable (wall
time; -O2 only), and reads `trellis-profile summary --json`. Results are
merged into bench/results.json (rows of workloads not run are kept), then
bench/results.md (the table) and docs/performance/*.svg (the plots) are
rewritten from it. A step that fails or exceeds --timeout is recorded with
its error line. Runs with Debian's /usr/bin/python3 (torch, torchvision,
onnx, numpy); TRELLIS_BUILD_DIR picks the build (default build/).
"""
import argparse
import datetime
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import workloads  # noqa: E402
import report  # noqa: E402


def last_error_line(text):
    """The line a user would want to see: the first 'error:' line, else the last one."""
    lines = [l for l in text.splitlines() if l.strip()]
    for l in lines:
        if "error" in l.lower():
            return l.strip()[:300]
    return lines[-1].strip()[:300] if lines else ""


def timed(cmd, timeout, log):
    """Runs cmd; returns (seconds, None) or (seconds, error line)."""
    start = time.monotonic()
    with open(log, "w") as f:
        f.write("$ " + " ".join(cmd) + "\n")
        f.flush()
        try:
            p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               timeout=timeout, text=True)
        except subprocess.TimeoutExpired:
            return time.monotonic() - start, "timeout after %d s" % timeout
        f.write(p.stdout)
    secs = time.monotonic() - start
    if p.returncode != 0:
        return secs, last_error_line(p.stdout) or "exit %d" % p.returncode
    return secs, None


def has_auto_cast(bin_dir):
    out = subprocess.run([os.path.join(bin_dir, "trellis-cc"), "compile", "--help"],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True).stdout
    return "auto-cast" in out


def git_commit():
    try:
        return subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                              stdout=subprocess.PIPE, text=True).stdout.strip()
    except OSError:
        return ""


def model_flops(path):
    """The model's multiply-add FLOPs (2 per MAC) of MatMul, Gemm and Conv
    nodes, from the ONNX graph and its inferred shapes: independent of the
    program the compiler emits (whose PE work includes, e.g., the PE
    transposes of on-chip attention)."""
    import onnx
    from onnx import shape_inference
    m = shape_inference.infer_shapes(onnx.load(path, load_external_data=False))
    g = m.graph
    shapes = {}
    for v in list(g.input) + list(g.value_info) + list(g.output):
        dims = [d.dim_value for d in v.type.tensor_type.shape.dim]
        if dims and all(d > 0 for d in dims):
            shapes[v.name] = dims
    for t in g.initializer:
        shapes[t.name] = list(t.dims)
    prod = lambda xs: int(__import__("math").prod(xs))
    total = 0
    for n in g.node:
        if n.op_type not in ("MatMul", "Gemm", "Conv"):
            continue
        a, b = shapes.get(n.input[0]), shapes.get(n.input[1])
        y = shapes.get(n.output[0])
        if a is None or b is None or y is None:
            return None  # a shape inference could not give: no model count
        if n.op_type == "Conv":
            # y [N, F, OH, OW] from w [F, C/group, KH, KW]: C/group * KH * KW MACs each.
            total += 2 * prod(y) * prod(b[1:])
        elif n.op_type == "Gemm":
            trans_a = next((at.i for at in n.attribute if at.name == "transA"), 0)
            k = a[0] if trans_a else a[1]
            total += 2 * prod(y) * k
        else:
            total += 2 * prod(y) * a[-1]
    return total


def run_level(w, opt, wdir, bin_dir, args, auto_cast):
    """Compile + timing-only run (+ full run) of one workload at one -O level."""
    r = {"opt": opt}
    model = os.path.join(wdir, "model.onnx")
    tnef = os.path.join(wdir, "model-O%d.tnef" % opt)
    trace = os.path.join(wdir, "trace-O%d.json" % opt)
    cc = [os.path.join(bin_dir, "trellis-cc"), "compile", model, "-O%d" % opt, "-o", tnef]
    # GEMMs are bf16 models already; the torch models are fp32 and get bf16
    # matmuls from --auto-cast=matmult when this build has it.
    if w["group"] != "gemm" and auto_cast:
        cc.append("--auto-cast=matmult")
    r["precision"] = "bf16" if (w["group"] == "gemm" or auto_cast) else "fp32"
    secs, err = timed(cc, args.timeout, os.path.join(wdir, "compile-O%d.log" % opt))
    r["compile_s"] = round(secs, 2)
    if err:
        r["status"], r["error"] = "compile failed", err
        return r
    with open(os.path.join(wdir, "compile-O%d.log" % opt)) as f:
        m = re.search(r"SBUF peak (\d+)", f.read())
        if m:
            r["sbuf_peak_bytes"] = int(m.group(1))
    run = [os.path.join(bin_dir, "trellis-run"), tnef, "--quiet"]
    secs, err = timed(run + ["--timing-only", "--profile", trace], args.timeout,
                      os.path.join(wdir, "run-timing-O%d.log" % opt))
    r["emulate_timing_s"] = round(secs, 2)
    if err:
        r["status"], r["error"] = "timing run failed", err
        return r
    out = subprocess.run([os.path.join(bin_dir, "trellis-profile"), "summary", trace, "--json",
                          "--stalls", "5", "--top", "5"],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if out.returncode != 0:
        r["status"], r["error"] = "profile failed", last_error_line(out.stdout)
        return r
    s = json.loads(out.stdout)
    for key in ("device_time_us", "roofline_time_us", "roofline_ratio", "pe_utilization",
                "pe_busy_pct", "total_flops", "min_hbm_bytes", "bound", "matmul_dtype",
                "instructions", "achieved_tflops"):
        r[key] = s.get(key)
    # The roofline counts the model's FLOPs, not the program's PE work.
    flops = w.get("model_flops")
    if flops and s.get("peak_tflops") and s.get("device_time_us"):
        r["program_flops"] = s.get("total_flops")
        r["total_flops"] = flops
        compute_us = flops / (s["peak_tflops"] * 1e6)
        memory_us = s.get("memory_bound_us", 0.0)
        r["roofline_time_us"] = max(compute_us, memory_us)
        r["bound"] = "compute" if compute_us >= memory_us else "memory"
        r["roofline_ratio"] = r["roofline_time_us"] / s["device_time_us"]
        r["achieved_tflops"] = flops / (s["device_time_us"] * 1e6)
        r["pe_utilization"] = r["achieved_tflops"] / s["peak_tflops"]
    r["engine_busy_pct"] = {k: round(v, 1) for k, v in s.get("engine_busy_pct", {}).items()
                            if not k.startswith("q")}
    r["dma_busy_pct"] = round(s.get("dma", {}).get("busy_pct", 0.0), 1)
    r["stalls"] = s.get("stalls", [])[:5]
    r["top_graph_ops"] = [{k: g[k] for k in ("name", "pct", "time_us", "instructions")}
                          for g in s.get("graph_ops", [])[:5]]
    r["top_nodes"] = [{k: g[k] for k in ("name", "graph_op", "pct", "time_us")}
                      for g in s.get("nodes", [])[:5]]
    r["status"] = "ok"
    if opt == args.opt[0] and w["full_run"] and not args.no_full:
        secs, err = timed(run + ["--random-inputs"], args.timeout,
                          os.path.join(wdir, "run-full-O%d.log" % opt))
        r["emulate_full_s"] = round(secs, 2)
        if err:
            r["full_run_error"] = err
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="", help="comma-separated workload names (or groups)")
    ap.add_argument("--quick", action="store_true", help="a small subset")
    ap.add_argument("--opt", default="2,0", help="-O levels, first one gets the full run")
    ap.add_argument("--timeout", type=int, default=900, help="seconds per step")
    ap.add_argument("--no-full", action="store_true", help="skip the full functional runs")
    ap.add_argument("--render-only", action="store_true",
                    help="only rewrite the table and plots from bench/results.json")
    ap.add_argument("--list", action="store_true", help="list the workloads")
    ap.add_argument("--results", default=os.path.join(HERE, "results.json"))
    ap.add_argument("--bin", help="directory of the trellis binaries (default: the build's bin/)")
    ap.add_argument("--work", help="where models and traces go (default: the build's bench/)")
    args = ap.parse_args()
    args.opt = [int(o) for o in args.opt.split(",")]

    all_w = workloads.workloads()
    if args.list:
        for w in all_w:
            print("%-28s %-14s %s%s" % (w["name"], w["group"], w["note"],
                                        "  [quick]" if w["quick"] else ""))
        return 0
    results = {"rows": []}
    if os.path.exists(args.results):
        with open(args.results) as f:
            results = json.load(f)
    if not args.render_only:
        only = set(filter(None, args.only.split(",")))
        sel = [w for w in all_w
               if (not only or w["name"] in only or w["group"] in only)
               and (not args.quick or w["quick"])]
        unknown = only - {w["name"] for w in all_w} - {w["group"] for w in all_w}
        if unknown:
            print("unknown workload(s): %s (see --list)" % ", ".join(sorted(unknown)))
            return 2
        build = os.environ.get("TRELLIS_BUILD_DIR", os.path.join(ROOT, "build"))
        bin_dir = args.bin or os.path.join(build, "bin")
        auto_cast = has_auto_cast(bin_dir)
        print("build %s, --auto-cast=matmult %s" % (build, "yes" if auto_cast else
                                                     "not available: torch models run fp32"))
        rows = {r["name"]: r for r in results["rows"]}
        for w in sel:
            wdir = os.path.join(args.work or os.path.join(build, "bench"), w["name"])
            os.makedirs(wdir, exist_ok=True)
            model = os.path.join(wdir, "model.onnx")
            row = {"name": w["name"], "group": w["group"], "note": w["note"],
                   "commit": git_commit(),
                   "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")}
            print("== %s (%s)" % (w["name"], w["note"]), flush=True)
            if not os.path.exists(model):
                start = time.monotonic()
                try:
                    w["build"](model + ".tmp")
                    os.replace(model + ".tmp", model)
                except Exception as e:  # recorded, not fatal: the next workload runs
                    row["levels"] = {}
                    row["status"] = "generation failed"
                    row["error"] = ("%s: %s" % (type(e).__name__, e))[:300]
                    rows[w["name"]] = row
                    print("   generation failed: %s" % row["error"], flush=True)
                    continue
                print("   generated in %.1f s" % (time.monotonic() - start), flush=True)
            row["levels"] = {}
            try:
                w["model_flops"] = model_flops(model)
            except Exception as e:  # the profile's program count stands in
                print("   model FLOPs not counted: %s" % e, flush=True)
                w["model_flops"] = None
            row["model_flops"] = w["model_flops"]
            for opt in args.opt:
                r = run_level(w, opt, wdir, bin_dir, args, auto_cast)
                row["levels"]["O%d" % opt] = r
                if r["status"] == "ok":
                    print("   -O%d: compile %.1f s, timing run %.1f s%s, device %.1f us, "
                          "roofline %.1f us, ratio %.3f, PE %.1f%%" % (
                              opt, r["compile_s"], r["emulate_timing_s"],
                              ", full run %.1f s" % r["emulate_full_s"]
                              if "emulate_full_s" in r else "",
                              r["device_time_us"], r["roofline_time_us"], r["roofline_ratio"],
                              100 * r["pe_utilization"]), flush=True)
                else:
                    print("   -O%d: %s: %s" % (opt, r["status"], r.get("error", "")), flush=True)
            rows[w["name"]] = row
            # Keep the suite's order; save after every workload so that a
            # partial run leaves its results.
            order = {w["name"]: i for i, w in enumerate(all_w)}
            results["rows"] = sorted(rows.values(), key=lambda r: order.get(r["name"], 1 << 30))
            results["machine"] = "shared, loaded 2-core machine; wall times are indicative"
            with open(args.results + ".tmp", "w") as f:
                json.dump(results, f, indent=1, sort_keys=True)
            os.replace(args.results + ".tmp", args.results)
    report.render(results, HERE, os.path.join(ROOT, "docs", "performance"))
    print("wrote %s, bench/results.md and docs/performance/*.svg" % args.results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
