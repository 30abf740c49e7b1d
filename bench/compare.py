#!/usr/bin/python3
"""Prints a markdown table comparing two bench/run.py result files, row by row.

Usage: bench/compare.py BEFORE.json AFTER.json [--opt O2] [--label-a A --label-b B]

For an optimisation's before/after rows in docs/performance.md: device time,
roofline ratio, PE utilisation and instruction count of every workload both
files have at that -O level.
"""
import argparse
import json


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("before")
    ap.add_argument("after")
    ap.add_argument("--opt", default="O2")
    ap.add_argument("--label-a", default="before")
    ap.add_argument("--label-b", default="after")
    args = ap.parse_args()
    rows = []
    for path in (args.before, args.after):
        with open(path) as f:
            rows.append({r["name"]: r.get("levels", {}).get(args.opt, {})
                         for r in json.load(f)["rows"]})
    a, b = rows
    print("| workload | device %s (us) | device %s (us) | speed-up | ratio %s | ratio %s "
          "| PE util %s | instructions %s -> %s |" % ((args.label_a, args.label_b) * 2
                                                      + (args.label_b, args.label_a, args.label_b)))
    print("|---|---|---|---|---|---|---|---|")
    for name, x in a.items():
        y = b.get(name)
        if not y or x.get("status") != "ok" or y.get("status") != "ok":
            continue
        print("| %s | %.1f | %.1f | %.2fx | %.3f | %.3f | %.1f%% | %d -> %d |" % (
            name, x["device_time_us"], y["device_time_us"],
            x["device_time_us"] / y["device_time_us"], x["roofline_ratio"], y["roofline_ratio"],
            100 * y["pe_utilization"], x["instructions"], y["instructions"]))


if __name__ == "__main__":
    main()
