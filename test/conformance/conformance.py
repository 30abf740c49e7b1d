#!/usr/bin/env python3
"""Runs the ONNX backend node tests (Debian's libonnx-testdata) through
trellis-cc and trellis-run, classifies each one and writes a report.

Every test directory holds model.onnx and test_data_set_*/{input,output}_N.pb.
A test passes when every data set's outputs match the shipped ones (rtol 1e-3,
atol 1e-5 for floats; integer and boolean outputs exactly).

Classes:
  pass         every data set matched
  wrong        compiled and ran, but an output differs
  unsupported  an op type the importer does not know
  rejected     a clear compile or run error (unsupported attribute, element
               type, shape, ...): the message is in the report
  crash        a signal, a timeout, or an exit without an error message

Some inputs must be known at compile time (a Reshape's shape, Slice's starts,
...). When the compiler says so ("must be known at compile time"), the harness
binds those inputs with --constant-input to each data set's value and
compiles once per data set; the report marks such tests "(bound: NAME)".

Only the standard library is needed, so any python3 runs it.

usage: conformance.py --bin BUILD/bin [--node-dir DIR] [--work DIR]
                      [--report report.md] [--json results.json]
                      [--filter REGEX] [--jobs N]
                      [--check-passlist FILE] [--write-passlist FILE]
"""

import argparse
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

DEFAULT_NODE_DIR = "/usr/share/libonnx-testdata/data/node"
RTOL, ATOL = "1e-3", "1e-5"
TIMEOUT_S = 120

# The op types issue #4 asks for: a test is "in scope" when all its ops are.
IN_SCOPE_OPS = set("""
Add Sub Mul Div Pow Sqrt Reciprocal Neg Abs Exp Log Erf Tanh Sigmoid Relu LeakyRelu Elu
HardSigmoid Softplus Clip Max Min Mean Sum Where Equal Less Greater LessOrEqual GreaterOrEqual
Not And Or Cast MatMul Gemm Conv ConvTranspose MaxPool AveragePool GlobalAveragePool
GlobalMaxPool BatchNormalization InstanceNormalization LayerNormalization Softmax LogSoftmax
ReduceMean ReduceSum ReduceMax ReduceMin ReduceProd ReduceL2 ReduceSumSquare ArgMax ArgMin
Transpose Reshape Flatten Squeeze Unsqueeze Concat Split Slice Gather Expand Tile Pad Shape
Size ConstantOfShape Constant Identity Dropout Range Einsum
""".split())

PASSLIST_HEADER = ("# ONNX node tests that pass (test/conformance); a regression test.\n"
                   "# Regenerate with `ninja -C build update-conformance`.\n")

CONSTANT_INPUT_RE = re.compile(r"input \d+ \('([^']+)', [^)]*\) must be known at compile time")


def tensor_proto_name(path):
    """The `name` field (8) of a serialised TensorProto, or ''."""
    with open(path, "rb") as f:
        data = f.read()
    i = 0

    def varint():
        nonlocal i
        shift = value = 0
        while True:
            b = data[i]
            i += 1
            value |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return value

    try:
        while i < len(data):
            key = varint()
            field, wire = key >> 3, key & 7
            if wire == 0:
                varint()
            elif wire == 1:
                i += 8
            elif wire == 5:
                i += 4
            elif wire == 2:
                size = varint()
                if field == 8:
                    return data[i:i + size].decode("utf-8", "replace")
                i += size
            else:
                return ""
    except IndexError:
        pass
    return ""


def input_files(ds_dir):
    """Input tensor name -> its .pb file in a test data set."""
    files = {}
    for f in os.listdir(ds_dir):
        if f.startswith("input_") and f.endswith(".pb"):
            files[tensor_proto_name(os.path.join(ds_dir, f))] = os.path.join(ds_dir, f)
    return files


def op_types(bin_dir, model):
    """The model's op types, from trellis-cc --op-stats (no onnx module needed)."""
    proc = subprocess.run([os.path.join(bin_dir, "trellis-cc"), "compile", "--op-stats", model],
                          capture_output=True, text=True, timeout=TIMEOUT_S)
    ops = []
    for line in proc.stdout.splitlines()[1:]:
        m = re.match(r"\s+\d+\s+(\S+)", line)
        if m:
            ops.append(m.group(1))
    return ops


def first_error(text):
    for line in text.splitlines():
        if "error:" in line:
            return line.split("error:", 1)[1].strip()
    lines = [l for l in text.splitlines() if l.strip()]
    return lines[-1].strip() if lines else ""


def run(cmd):
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return None, "timeout after %d s" % TIMEOUT_S
    return proc.returncode, proc.stdout + proc.stderr


def crashed(rc, text):
    return rc is None or rc < 0 or rc >= 128 or "error" not in text.lower()


def run_test(bin_dir, test_dir, work_root):
    name = os.path.basename(test_dir)
    result = {"name": name, "ops": [], "class": None, "detail": "", "bound": []}
    model = os.path.join(test_dir, "model.onnx")
    try:
        result["ops"] = op_types(bin_dir, model)
    except subprocess.TimeoutExpired:
        result.update({"class": "crash", "detail": "--op-stats timed out"})
        return result
    result["in_scope"] = bool(result["ops"]) and all(o in IN_SCOPE_OPS for o in result["ops"])
    data_sets = sorted(d for d in os.listdir(test_dir) if d.startswith("test_data_set_"))
    work = tempfile.mkdtemp(prefix=name + ".", dir=work_root)
    try:
        cc = os.path.join(bin_dir, "trellis-cc")
        tnef = os.path.join(work, "model.tnef")
        # Bind what the compiler asks for, again until it asks for nothing new
        # (an importer may stop at the first such input of a node).
        bound = []
        ds0 = os.path.join(test_dir, data_sets[0]) if data_sets else None
        while True:
            args = [cc, "compile", model, "-o", tnef]
            files = input_files(ds0) if ds0 and bound else {}
            for b in bound:
                if b in files:
                    args += ["--constant-input", "%s=%s" % (b, files[b])]
            rc, out = run(args)
            asked = sorted(set(CONSTANT_INPUT_RE.findall(out))) if rc not in (0, None) else []
            new = [b for b in asked if b not in bound]
            if not new or not ds0 or len(bound) > 16:
                break
            bound += new
        if rc != 0 and not bound:
            if crashed(rc, out):
                result.update({"class": "crash", "detail": first_error(out) or "exit %s" % rc})
            elif "unsupported operator" in out:
                result.update({"class": "unsupported", "detail": first_error(out)})
            else:
                result.update({"class": "rejected", "detail": first_error(out)})
            return result
        result["bound"] = bound
        for ds in data_sets:
            ds_dir = os.path.join(test_dir, ds)
            if bound:
                # Compile once per data set with its values of the bound inputs.
                files = input_files(ds_dir)
                missing = [b for b in bound if b not in files]
                if missing:
                    result.update({"class": "rejected",
                                   "detail": "input %s must be known at compile time and is "
                                             "not in the test data" % missing[0]})
                    return result
                args = [cc, "compile", model, "-o", tnef]
                for b in bound:
                    args += ["--constant-input", "%s=%s" % (b, files[b])]
                rc, out = run(args)
                if rc != 0:
                    cls = "crash" if crashed(rc, out) else "rejected"
                    result.update({"class": cls, "detail": first_error(out)})
                    return result
            rc, out = run([os.path.join(bin_dir, "trellis-run"), tnef, "--test-data", ds_dir,
                           "--quiet", "--rtol", RTOL, "--atol", ATOL])
            if rc == 0:
                continue
            if crashed(rc, out):
                result.update({"class": "crash", "detail": first_error(out) or "exit %s" % rc})
            elif re.search(r"^check .*: FAIL", out, re.M):
                fails = [l for l in out.splitlines() if ": FAIL" in l]
                result.update({"class": "wrong", "detail": "%s: %s" % (ds, fails[0])})
            else:
                result.update({"class": "rejected", "detail": first_error(out)})
            return result
        result["class"] = "pass"
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def write_report(results, path, node_dir):
    classes = ["pass", "wrong", "unsupported", "rejected", "crash"]
    scope = [r for r in results if r.get("in_scope")]

    def counts(rs):
        return {c: sum(1 for r in rs if r["class"] == c) for c in classes}

    allc, scopec = counts(results), counts(scope)
    pct = 100.0 * scopec["pass"] / len(scope) if scope else 0.0
    lines = ["# ONNX backend node-test conformance", "",
             "Generated by `test/conformance/conformance.py` from `%s`: every test compiled "
             "with trellis-cc and run on the emulator with trellis-run (rtol %s, atol %s for "
             "floats; integers and booleans exact)." % (node_dir, RTOL, ATOL), "",
             "| | tests | pass | wrong | unsupported op | rejected | crash |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for label, rs, c in [("all node tests", results, allc),
                         ("in scope (every op in issue #4's list)", scope, scopec)]:
        lines.append("| %s | %d | %d | %d | %d | %d | %d |" % (
            label, len(rs), c["pass"], c["wrong"], c["unsupported"], c["rejected"], c["crash"]))
    lines += ["", "In scope: **%d of %d pass (%.1f%%)**." % (scopec["pass"], len(scope), pct), ""]
    lines += ["## In-scope tests that do not pass", "", "| test | ops | class | reason |",
              "|---|---|---|---|"]
    for r in sorted(scope, key=lambda r: (r["class"], r["name"])):
        if r["class"] != "pass":
            lines.append("| %s | %s | %s | %s |" % (r["name"], " ".join(sorted(set(r["ops"]))),
                                                    r["class"], r["detail"].replace("|", "\\|")))
    lines += ["", "## Passing tests", ""]
    for r in sorted(results, key=lambda r: r["name"]):
        if r["class"] == "pass":
            lines.append("- %s%s" % (r["name"], " (bound: %s)" % ", ".join(r["bound"])
                                     if r["bound"] else ""))
    lines += ["", "## Out-of-scope tests that do not pass", "", "| test | ops | class | reason |",
              "|---|---|---|---|"]
    for r in sorted(results, key=lambda r: (r["class"], r["name"])):
        if r["class"] != "pass" and not r.get("in_scope"):
            lines.append("| %s | %s | %s | %s |" % (r["name"], " ".join(sorted(set(r["ops"]))),
                                                    r["class"], r["detail"].replace("|", "\\|")))
    write_atomically(path, "\n".join(lines) + "\n")
    return scopec["pass"], len(scope)


def write_atomically(path, text):
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".tmp.")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True, help="directory with trellis-cc and trellis-run")
    ap.add_argument("--node-dir", default=DEFAULT_NODE_DIR)
    ap.add_argument("--work", default=None, help="scratch directory (default: a temp dir)")
    ap.add_argument("--report", help="write the markdown report here")
    ap.add_argument("--json", help="write per-test results as JSON here")
    ap.add_argument("--filter", help="only tests whose name matches this regex")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--check-passlist", help="fail if a test listed in this file does not pass")
    ap.add_argument("--write-passlist", help="write the names of the passing tests here")
    args = ap.parse_args()

    if not os.path.isdir(args.node_dir):
        print("SKIP: %s not found (install libonnx-testdata)" % args.node_dir)
        return 77
    tests = sorted(d for d in os.listdir(args.node_dir)
                   if os.path.isfile(os.path.join(args.node_dir, d, "model.onnx")))
    if args.filter:
        tests = [t for t in tests if re.search(args.filter, t)]
    work_root = args.work or tempfile.mkdtemp(prefix="trellis-conformance.")
    os.makedirs(work_root, exist_ok=True)
    results = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [pool.submit(run_test, args.bin, os.path.join(args.node_dir, t), work_root)
                   for t in tests]
        for f in futures:
            results.append(f.result())
    if not args.work:
        shutil.rmtree(work_root, ignore_errors=True)

    by_class = {}
    for r in results:
        by_class[r["class"]] = by_class.get(r["class"], 0) + 1
    scope = [r for r in results if r.get("in_scope")]
    scope_pass = sum(1 for r in scope if r["class"] == "pass")
    print("%d node tests: %s" % (len(results), ", ".join(
        "%s %d" % (c, by_class.get(c, 0))
        for c in ["pass", "wrong", "unsupported", "rejected", "crash"])))
    print("in scope: %d of %d pass (%.1f%%)" % (scope_pass, len(scope),
                                                100.0 * scope_pass / max(1, len(scope))))
    if args.report:
        write_report(results, args.report, args.node_dir)
    if args.json:
        write_atomically(args.json, json.dumps(results, indent=1, sort_keys=True) + "\n")
    if args.write_passlist:
        write_atomically(args.write_passlist, PASSLIST_HEADER + "".join(
            r["name"] + "\n" for r in sorted(results, key=lambda r: r["name"])
            if r["class"] == "pass"))
    status = 0
    if args.check_passlist:
        with open(args.check_passlist) as f:
            expected = [l.strip() for l in f if l.strip() and not l.startswith("#")]
        got = {r["name"]: r for r in results}
        regressed = [t for t in expected if t in got and got[t]["class"] != "pass"]
        missing = [t for t in expected if t not in got and not args.filter]
        for t in regressed:
            print("REGRESSION: %s: %s: %s" % (t, got[t]["class"], got[t]["detail"]))
        for t in missing:
            print("REGRESSION: %s: no such test in %s" % (t, args.node_dir))
        if regressed or missing:
            status = 1
        else:
            print("all %d tests of the pass list pass" % len(expected))
    return status


if __name__ == "__main__":
    sys.exit(main())
