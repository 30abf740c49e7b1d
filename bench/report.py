"""Renders bench/results.json as a markdown table and two hand-written SVG plots.

No plotting library: the SVG is a few rectangles and labels, so the plots
render anywhere (GitHub, a browser) and diff as text.
"""
import math
import os
from xml.sax.saxutils import escape

# The issue #5 targets (roofline ratio, -O2, bf16).
TARGETS = {"gemm-4096": 0.90, "bert-layer-512": 0.70, "resnet50": 0.60}


def _fmt_num(x, unit=""):
    if x is None:
        return "-"
    for div, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= div:
            return "%.2f %s%s" % (x / div, suffix, unit)
    return "%g %s" % (x, unit) if unit else "%g" % x


def _us(x):
    if x is None:
        return "-"
    return "%.0f" % x if x >= 100 else "%.1f" % x


def table(results):
    """The markdown table: one row per workload, -O2 figures and -O0 beside them."""
    head = ("| workload | precision | FLOPs | min HBM bytes | roofline (us) | device -O2 (us) "
            "| ratio -O2 | PE util -O2 | device -O0 (us) | ratio -O0 | compile -O2 (s) "
            "| emulate timing-only (s) | emulate full (s) | status |")
    lines = [head, "|" + "|".join(["---"] * (head.count("|") - 1)) + "|"]
    for row in results.get("rows", []):
        lv = row.get("levels", {})
        o2, o0 = lv.get("O2", {}), lv.get("O0", {})
        status = row.get("status") or ", ".join(
            "-%s %s%s" % (k, v.get("status"), ": " + v["error"] if v.get("error") else "")
            for k, v in sorted(lv.items(), reverse=True) if v.get("status") != "ok") or "ok"
        if o2.get("full_run_error"):
            status += "; full run: " + o2["full_run_error"]
        target = TARGETS.get(row["name"])
        ratio = o2.get("roofline_ratio")
        ratio_s = "-" if ratio is None else "%.3f" % ratio
        if target is not None and ratio is not None:
            ratio_s += " (target %.2f)" % target
        roof = o2.get("roofline_time_us", o0.get("roofline_time_us"))
        bound = o2.get("bound", o0.get("bound"))
        lines.append("| %s | %s | %s | %s | %s%s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            row["name"], o2.get("precision", o0.get("precision", "-")),
            _fmt_num(o2.get("total_flops", o0.get("total_flops"))),
            _fmt_num(o2.get("min_hbm_bytes", o0.get("min_hbm_bytes")), "B"),
            _us(roof), " (%s)" % bound if bound else "",
            _us(o2.get("device_time_us")), ratio_s,
            "-" if o2.get("pe_utilization") is None else "%.1f%%" % (100 * o2["pe_utilization"]),
            _us(o0.get("device_time_us")),
            "-" if o0.get("roofline_ratio") is None else "%.3f" % o0["roofline_ratio"],
            "-" if "compile_s" not in o2 else "%.1f" % o2["compile_s"],
            "-" if "emulate_timing_s" not in o2 else "%.1f" % o2["emulate_timing_s"],
            "-" if "emulate_full_s" not in o2 else "%.1f" % o2["emulate_full_s"],
            status.replace("|", "/")))
    return "\n".join(lines) + "\n"


def stalls(results):
    """Top stall reasons and graph ops of every row under its target."""
    out = []
    for row in results.get("rows", []):
        o2 = row.get("levels", {}).get("O2", {})
        target = TARGETS.get(row["name"])
        if target is None or o2.get("status") != "ok" or o2["roofline_ratio"] >= target:
            continue
        out.append("**%s**: ratio %.3f against %.2f; PE busy %.1f%%, DMA busy %.1f%%, engines %s."
                   % (row["name"], o2["roofline_ratio"], target, o2.get("pe_busy_pct", 0),
                      o2.get("dma_busy_pct", 0),
                      ", ".join("%s %.1f%%" % kv for kv in sorted(o2["engine_busy_pct"].items()))))
        out.append("")
        out.append("| waiting queue | waited on | waits | wait (us) |")
        out.append("|---|---|---|---|")
        for s in o2.get("stalls", []):
            out.append("| %s | %s | %d | %.1f |" % (s["waiter"], s["waited_on"], s["count"],
                                                    s["wait_us"]))
        out.append("")
        out.append("| graph op | instructions | time (us, summed over engines) | share |")
        out.append("|---|---|---|---|")
        for g in o2.get("top_graph_ops", []):
            out.append("| %s | %d | %.1f | %.1f%% |" % (g["name"], g["instructions"], g["time_us"],
                                                       g["pct"]))
        out.append("")
    return "\n".join(out) + "\n"


def _label(row):
    """The row's name, marked when its matmuls ran fp32 (not the suite's bf16)."""
    prec = next((lv.get("precision") for lv in row.get("levels", {}).values()
                 if lv.get("precision")), None)
    return row["name"] + (" (fp32)" if prec == "fp32" else "")


def _svg(width, height, body):
    return ('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
            'viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">\n'
            '<rect width="100%%" height="100%%" fill="white"/>\n%s</svg>\n'
            % (width, height, width, height, "\n".join(body)))


def _text(x, y, s, anchor="start", size=11, color="#222"):
    return '<text x="%.1f" y="%.1f" text-anchor="%s" font-size="%d" fill="%s">%s</text>' % (
        x, y, anchor, size, color, escape(s))


COLORS = {"roofline": "#9e9e9e", "O2": "#1f77b4", "O0": "#ff7f0e"}


def time_plot(results):
    """Per workload: roofline, -O2 and -O0 device time, log scale."""
    rows = [r for r in results.get("rows", []) if r.get("levels")]
    vals = []
    for r in rows:
        for lv in r["levels"].values():
            for k in ("device_time_us", "roofline_time_us"):
                if lv.get(k):
                    vals.append(lv[k])
    if not vals:
        return _svg(400, 40, [_text(10, 25, "no results")])
    lo = 10 ** math.floor(math.log10(min(vals)))
    hi = 10 ** math.ceil(math.log10(max(vals)))
    left, right, bar, gap, top = 190, 30, 6, 8, 40
    width = 900
    plot_w = width - left - right
    height = top + len(rows) * (3 * bar + gap) + 40

    def xpos(v):
        return left + plot_w * (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))

    body = [_text(width / 2, 16, "Simulated device time vs roofline (trn2, log scale, us)",
                  "middle", 13)]
    e = math.log10(lo)
    while e <= math.log10(hi) + 1e-9:
        x = xpos(10 ** e)
        body.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>' % (
            x, top - 4, x, height - 30))
        body.append(_text(x, height - 18, "%g" % 10 ** e, "middle"))
        e += 1
    y = top
    for r in rows:
        body.append(_text(left - 6, y + 1.5 * bar + 4, _label(r), "end"))
        roof = next((lv.get("roofline_time_us") for lv in r["levels"].values()
                     if lv.get("roofline_time_us")), None)
        for i, (key, v) in enumerate((("roofline", roof),
                                      ("O2", r["levels"].get("O2", {}).get("device_time_us")),
                                      ("O0", r["levels"].get("O0", {}).get("device_time_us")))):
            if v:
                body.append('<rect x="%d" y="%.1f" width="%.1f" height="%d" fill="%s">'
                            '<title>%s %s: %.1f us</title></rect>' % (
                                left, y + i * bar, max(1.0, xpos(v) - left), bar - 1, COLORS[key],
                                escape(r["name"]), key, v))
        y += 3 * bar + gap
    lx = left
    for key, label in (("roofline", "roofline"), ("O2", "device -O2"), ("O0", "device -O0")):
        body.append('<rect x="%d" y="24" width="10" height="8" fill="%s"/>' % (lx, COLORS[key]))
        body.append(_text(lx + 14, 32, label))
        lx += 110
    return _svg(width, height, body)


def ratio_plot(results):
    """Per workload: roofline / device time at -O2 and -O0, with the #5 targets."""
    rows = [r for r in results.get("rows", []) if r.get("levels")]
    left, right, bar, gap, top = 190, 60, 8, 8, 40
    width = 900
    plot_w = width - left - right
    height = top + len(rows) * (2 * bar + gap) + 40
    body = [_text(width / 2, 16, "Fraction of the roofline reached (roofline time / device time)",
                  "middle", 13)]
    for t in range(0, 11, 2):
        x = left + plot_w * t / 10
        body.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>' % (
            x, top - 4, x, height - 30))
        body.append(_text(x, height - 18, "%.1f" % (t / 10), "middle"))
    y = top
    for r in rows:
        body.append(_text(left - 6, y + bar + 4, _label(r), "end"))
        for i, key in enumerate(("O2", "O0")):
            v = r["levels"].get(key, {}).get("roofline_ratio")
            if v is not None:
                body.append('<rect x="%d" y="%.1f" width="%.1f" height="%d" fill="%s">'
                            '<title>%s %s: %.3f</title></rect>' % (
                                left, y + i * bar, max(1.0, plot_w * min(v, 1.0)), bar - 1,
                                COLORS[key], escape(r["name"]), key, v))
                if key == "O2":
                    body.append(_text(left + plot_w * min(v, 1.0) + 4, y + bar - 1, "%.3f" % v,
                                      size=9))
        t = TARGETS.get(r["name"])
        if t is not None:
            x = left + plot_w * t
            body.append('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#d62728" '
                        'stroke-width="2"><title>target %.2f</title></line>' % (
                            x, y - 2, x, y + 2 * bar + 1, t))
        y += 2 * bar + gap
    lx = left
    for key, label in (("O2", "-O2"), ("O0", "-O0")):
        body.append('<rect x="%d" y="24" width="10" height="8" fill="%s"/>' % (lx, COLORS[key]))
        body.append(_text(lx + 14, 32, label))
        lx += 80
    body.append('<line x1="%d" y1="28" x2="%d" y2="28" stroke="#d62728" stroke-width="2"/>' % (
        lx, lx + 12))
    body.append(_text(lx + 16, 32, "issue #5 target"))
    return _svg(width, height, body)


def render(results, bench_dir, plot_dir):
    os.makedirs(plot_dir, exist_ok=True)
    with open(os.path.join(bench_dir, "results.md"), "w") as f:
        f.write("<!-- generated by bench/run.py from bench/results.json -->\n\n")
        f.write(table(results))
        under = stalls(results)
        if under.strip():
            f.write("\n### Under the issue #5 targets: top stalls (-O2)\n\n" + under)
    with open(os.path.join(plot_dir, "time.svg"), "w") as f:
        f.write(time_plot(results))
    with open(os.path.join(plot_dir, "ratio.svg"), "w") as f:
        f.write(ratio_plot(results))
