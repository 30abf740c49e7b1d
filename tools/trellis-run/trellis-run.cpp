//===- trellis-run.cpp - Run a compiled artifact on the emulator ----------===//
//
//   trellis-run OUT.tnef --input NAME=FILE.npy ... --output-dir DIR
//               [--check NAME=FILE.npy ... --relTol R --absTol A]
//               [--profile TRACE.json]
//
//===----------------------------------------------------------------------===//

#include "trellis/Tools/Disassembler.h"
#include "trellis/Emulator/Emulator.h"
#include "trellis/Profile/ChromeTrace.h"
#include "trellis/Support/FileIO.h"
#include "trellis/Support/Npy.h"
#include "trellis/Support/Numerics.h"
#include "trellis/Support/OnnxTensor.h"
#include "trellis/Target/Program.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"
#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

using namespace trellis;
using llvm::StringRef;
namespace cl = llvm::cl;

static cl::OptionCategory category("trellis-run options");
static cl::opt<std::string> artifactFile(cl::Positional, cl::desc("<artifact.tnef>"),
                                         cl::Required, cl::cat(category));
static cl::list<std::string> inputs("input",
                                    cl::desc("NAME=FILE: a graph input by ONNX name, from a .npy "
                                             "file (or an ONNX TensorProto .pb)"),
                                    cl::value_desc("NAME=FILE"), cl::cat(category));
static cl::opt<std::string> outputDir("output-dir",
                                      cl::desc("Write each output to DIR/<name>.npy (characters "
                                               "outside [A-Za-z0-9_.-] become '_')"),
                                      cl::value_desc("DIR"), cl::cat(category));
static cl::list<std::string> checks("check",
                                    cl::desc("NAME=FILE: compare output NAME with a reference "
                                             "(.npy or .pb); exit 1 on mismatch"),
                                    cl::value_desc("NAME=FILE"), cl::cat(category));
static cl::opt<std::string> testData(
    "test-data",
    cl::desc("An ONNX backend-test data set directory: feed input_N.pb and check output_N.pb "
             "(matched by the tensors' names, else by position)"),
    cl::value_desc("DIR"), cl::cat(category));
static cl::opt<double> relTol("rtol", cl::desc("Relative tolerance of --check (default 1e-4)"),
                            cl::init(1e-4), cl::cat(category));
static cl::opt<double> absTol("atol", cl::desc("Absolute tolerance of --check (default 1e-5)"),
                            cl::init(1e-5), cl::cat(category));
static cl::opt<std::string> targetOverride(
    "target", cl::desc("Run on this target instead of the one compiled for (what-if timing)"),
    cl::cat(category));
static cl::opt<bool> timingOnly("timing-only", cl::desc("Skip arithmetic; report timing only"),
                                cl::cat(category));
static cl::opt<std::string> profileFile(
    "profile",
    cl::desc("Write the instruction-level timeline as a Chrome/Perfetto trace (JSON) for "
             "trellis-profile (summary, diff, html) or ui.perfetto.dev (docs/profiling.md)"),
    cl::value_desc("TRACE.json"), cl::cat(category));
static cl::opt<cl::boolOrDefault> checkHazards(
    "check-hazards",
    cl::desc("Report two engines touching the same bytes with no semaphore between them "
             "(default: on, except with --timing-only, where it costs more than the run)"),
    cl::cat(category));
static cl::opt<uint64_t> maxInstructions(
    "max-instructions",
    cl::desc("Stop with an error after executing this many instructions (0: no limit); a "
             "guard against runaway or hostile programs"),
    cl::init(0), cl::value_desc("N"), cl::cat(category));
static cl::opt<uint64_t> maxCycles(
    "max-cycles",
    cl::desc("Stop with an error when an instruction ends after this many cycles of simulated "
             "time, counted at the tensor engine's clock (0: no limit)"),
    cl::init(0), cl::value_desc("N"), cl::cat(category));
static cl::opt<bool> quiet("quiet", cl::desc("Print only errors and check results"),
                           cl::cat(category));
static cl::opt<bool> benchmark(
    "benchmark",
    cl::desc("Run the program --iterations times and report latency percentiles (p0 p1 p10 "
             "p25 p50 p90 p99 p100, as nki.benchmark) and per-engine utilisation"),
    cl::cat(category));
static cl::opt<unsigned> iterations("iterations",
                                    cl::desc("Timed runs of --benchmark (default 100)"),
                                    cl::init(100), cl::value_desc("N"), cl::cat(category));
static cl::opt<bool> randomInputs(
    "random-inputs",
    cl::desc("Feed every input not given with --input random values: floats uniform in "
             "[-1, 1), integers in [-8, 8) ([0, 16) unsigned); reproducible with --seed"),
    cl::cat(category));
static cl::opt<uint64_t> seed("seed", cl::desc("Seed of --random-inputs (default 0)"),
                              cl::init(0), cl::value_desc("N"), cl::cat(category));

static int fail(const llvm::Twine &msg) {
  llvm::errs() << "trellis-run: error: " << msg << "\n";
  return 1;
}

static std::string sanitize(llvm::StringRef name) {
  std::string s = name.str();
  for (char &c : s)
    if (!(std::isalnum((unsigned char)c) || c == '_' || c == '.' || c == '-'))
      c = '_';
  return s;
}

static bool splitAssignment(llvm::StringRef arg, std::string &name, std::string &file) {
  auto [n, f] = arg.split('=');
  if (n.empty() || f.empty() || !arg.contains('='))
    return false;
  name = n.str();
  file = f.str();
  return true;
}

/// numpy has no bf16: a float32 host tensor fed to a bf16 or f16 input is
/// rounded to nearest even, as the host side of a real device would.
static void narrowFloatInputs(const Program &program, std::map<std::string, HostTensor> &feeds) {
  for (const TensorInfo &info : program.inputs) {
    auto it = feeds.find(info.name);
    if (it == feeds.end() || it->second.dtype != HostDType::f32)
      continue;
    if (info.dtype != isa::DType::bf16 && info.dtype != isa::DType::f16)
      continue;
    HostTensor &t = it->second;
    std::vector<float> v = t.toFloat32();
    std::vector<uint8_t> bytes(v.size() * 2);
    for (size_t i = 0; i < v.size(); ++i) {
      uint16_t h = info.dtype == isa::DType::bf16 ? numerics::f32ToBf16(v[i])
                                                  : numerics::f32ToF16(v[i]);
      std::memcpy(bytes.data() + 2 * i, &h, 2);
    }
    t.dtype = info.dtype == isa::DType::bf16 ? HostDType::bf16 : HostDType::f16;
    t.data = std::move(bytes);
  }
}

/// --random-inputs: values for every input the command line left out, from
/// a 64-bit Mersenne Twister (the same numbers on every platform).
static llvm::Error addRandomInputs(const Program &program,
                                   std::map<std::string, HostTensor> &feeds) {
  std::mt19937_64 rng(seed);
  for (const TensorInfo &info : program.inputs) {
    if (feeds.count(info.name))
      continue;
    int64_t n = info.numElements();
    HostTensor t;
    t.shape = info.shape;
    switch (info.dtype) {
    case isa::DType::f32:
    case isa::DType::bf16:
    case isa::DType::f16: {
      // f32 here; narrowFloatInputs rounds it to bf16 / f16.
      std::vector<float> v(n);
      for (float &x : v)
        x = float(double(rng() >> 11) * 0x1.0p-53 * 2.0 - 1.0);
      t = HostTensor::fromFloat32(info.shape, v);
      break;
    }
    default: {
      std::optional<HostDType> host = toHostDType(info.dtype);
      if (!host || *host == HostDType::f64 || *host == HostDType::bf16 ||
          *host == HostDType::f16)
        return llvm::createStringError("--random-inputs: input '%s' has type %s, which has no "
                                       "random generator; pass it with --input",
                                       info.name.c_str(),
                                       isa::stringifyDType(info.dtype).str().c_str());
      t.dtype = *host;
      int64_t bytes = hostDTypeBytes(*host);
      t.data.assign(size_t(n * bytes), 0);
      bool isUnsigned = *host == HostDType::u8 || *host == HostDType::boolean;
      for (int64_t i = 0; i < n; ++i) {
        int64_t v = int64_t(rng() % 16) - (isUnsigned ? 0 : 8);
        if (*host == HostDType::boolean)
          v &= 1;
        std::memcpy(t.data.data() + i * bytes, &v, size_t(bytes)); // little-endian
      }
    }
    }
    feeds[info.name] = std::move(t);
  }
  return llvm::Error::success();
}

static std::string shapeString(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? "x" : "") + std::to_string(shape[i]);
  return s + "]";
}

/// --benchmark: like nki.benchmark, latency percentiles over repeated runs
/// and how busy each engine was. The timing model is deterministic, so
/// every run takes the same time; the percentiles say so rather than hide it.
static llvm::Error runBenchmark(const Program &program, const ArchConfig &arch,
                                const std::map<std::string, HostTensor> &feeds,
                                emu::RunOptions options, const emu::RunResult &first) {
  if (iterations == 0)
    return llvm::createStringError("--iterations must be at least 1");
  options.timingOnly = true; // same timing, no arithmetic
  options.checkHazards = false;
  std::vector<double> us;
  for (unsigned i = 0; i < iterations; ++i) {
    auto r = emu::run(program, arch, feeds, options);
    if (!r)
      return r.takeError();
    us.push_back(r->deviceTimeNs / 1000.0);
  }
  std::sort(us.begin(), us.end());
  auto pct = [&](double p) {
    size_t rank = size_t(std::ceil(p / 100.0 * us.size()));
    return us[std::min(us.size() - 1, rank == 0 ? 0 : rank - 1)];
  };
  double mean = 0;
  for (double x : us)
    mean += x / us.size();
  llvm::outs() << llvm::format("benchmark: %u iterations on %s (the timing model is "
                               "deterministic: every iteration takes the same time)\n",
                               (unsigned)iterations, arch.name.c_str());
  llvm::outs() << "  latency (us):";
  for (double p : {0.0, 1.0, 10.0, 25.0, 50.0, 90.0, 99.0, 100.0})
    llvm::outs() << llvm::format("  p%g %.3f", p, pct(p));
  llvm::outs() << llvm::format("  mean %.3f\n", mean);
  double device = first.deviceTimeNs;
  llvm::outs() << "  engine utilisation (busy / device time):";
  double dmaMax = 0;
  for (auto &[queue, busy] : first.busyNsPerQueue) {
    if (queue >= isa::kFirstDmaQueue) {
      dmaMax = std::max(dmaMax, busy);
      continue;
    }
    llvm::outs() << llvm::format("  %s %.1f%%", isa::queueName(queue).c_str(),
                                 device > 0 ? 100.0 * busy / device : 0.0);
  }
  llvm::outs() << llvm::format("  dma %.1f%% (busiest queue)\n",
                               device > 0 ? 100.0 * dmaMax / device : 0.0);
  return llvm::Error::success();
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv,
                              "trellis-run: run a compiled .tnef artifact on the Trellis "
                              "functional + timing emulator\n");
  // Decoded straight from the mapped file (readProgramFile would copy the
  // whole artifact into a string first); the mapping goes before the run.
  llvm::Expected<Program> program = [&]() -> llvm::Expected<Program> {
    llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> file = llvm::MemoryBuffer::getFile(
        artifactFile, /*IsText=*/false, /*RequiresNullTerminator=*/false);
    if (!file)
      return llvm::createStringError(file.getError(), "%s: cannot read: %s",
                                     artifactFile.c_str(), file.getError().message().c_str());
    return decodeProgram((*file)->getBuffer(), artifactFile);
  }();
  if (!program)
    return fail(llvm::toString(program.takeError()));
  auto arch = targetOverride.empty()
                  ? parseArchConfig(program->targetJson, artifactFile + ":target")
                  : loadArchConfig(targetOverride);
  if (!arch)
    return fail(llvm::toString(arch.takeError()));

  std::map<std::string, HostTensor> feeds;
  for (const std::string &arg : inputs) {
    std::string name, file;
    if (!splitAssignment(arg, name, file))
      return fail("--input '" + arg + "': expected NAME=FILE");
    if (feeds.count(name))
      return fail("input '" + name + "' given twice");
    auto t = readTensorFile(file);
    if (!t)
      return fail(llvm::toString(t.takeError()));
    feeds[name] = std::move(*t);
  }

  // ONNX test data: input_0.pb, input_1.pb, ... and output_0.pb, ...
  std::vector<std::pair<std::string, HostTensor>> expected;
  if (!testData.empty()) {
    // Reads DIR/<prefix>_0.pb, _1.pb, ... naming each tensor by its own name,
    // else by its position in `table`.
    auto readSet = [&](StringRef prefix, const std::vector<TensorInfo> &table,
                       auto &&add) -> llvm::Error {
      for (int i = 0;; ++i) {
        llvm::SmallString<256> path(testData);
        llvm::sys::path::append(path, prefix + "_" + std::to_string(i) + ".pb");
        if (!llvm::sys::fs::exists(path))
          return llvm::Error::success();
        std::string name;
        auto t = readOnnxTensorFile(path, &name);
        if (!t)
          return t.takeError();
        if (name.empty() && i < (int)table.size())
          name = table[i].name;
        add(name, std::move(*t));
      }
    };
    if (llvm::Error e = readSet("input", program->inputs, [&](std::string name, HostTensor t) {
          // An input compiled in with trellis-cc --constant-input is no
          // longer an input of the artifact: its test-data file is unused.
          if (llvm::none_of(program->inputs,
                            [&](const TensorInfo &info) { return info.name == name; })) {
            if (!quiet)
              llvm::errs() << "note: test-data input '" << name
                           << "' is not an input of the artifact (compiled in with "
                              "--constant-input?); not used\n";
            return;
          }
          feeds[name] = std::move(t);
        }))
      return fail(llvm::toString(std::move(e)));
    if (llvm::Error e = readSet("output", program->outputs, [&](std::string name, HostTensor t) {
          expected.push_back({name, std::move(t)});
        }))
      return fail(llvm::toString(std::move(e)));
    if (feeds.empty() && expected.empty())
      return fail("--test-data '" + testData + "': no input_N.pb or output_N.pb files");
  }

  if (randomInputs)
    if (llvm::Error e = addRandomInputs(*program, feeds))
      return fail(llvm::toString(std::move(e)));
  narrowFloatInputs(*program, feeds);

  emu::RunOptions options;
  options.timingOnly = timingOnly;
  options.maxInstructions = maxInstructions;
  options.maxCycles = maxCycles;
  options.checkHazards = checkHazards == cl::BOU_UNSET ? !timingOnly : checkHazards == cl::BOU_TRUE;
  // Without --profile nothing reads the constants' bytes after they are in
  // the emulated HBM (the profile's roofline counts them): release them, so
  // that the weights are held once during the run.
  auto result = profileFile.empty() ? emu::runReleasingConstants(*program, *arch, feeds, options)
                                    : emu::run(*program, *arch, feeds, options);
  if (!result)
    return fail(llvm::toString(result.takeError()));

  // Before the checks, so that a failing check still leaves its profile.
  if (!profileFile.empty()) {
    std::string trace;
    llvm::raw_string_ostream os(trace);
    // Each instruction's assembly, for the report's tooltips.
    std::optional<std::vector<std::string>> asmText = disassembleEach(*program);
    if (llvm::Error e = profile::writeChromeTrace(*program, *arch, *result, os,
                                                  llvm::sys::path::filename(artifactFile),
                                                  asmText ? &*asmText : nullptr))
      return fail("--profile: " + llvm::toString(std::move(e)));
    if (llvm::Error e = writeFileAtomically(profileFile, trace))
      return fail(llvm::toString(std::move(e)));
  }

  if (!outputDir.empty() && !timingOnly) {
    if (std::error_code ec = llvm::sys::fs::create_directories(outputDir))
      return fail("cannot create '" + outputDir + "': " + ec.message());
    for (auto &[name, t] : result->outputs) {
      llvm::SmallString<256> path(outputDir);
      llvm::sys::path::append(path, sanitize(name) + ".npy");
      if (llvm::Error e = writeNpyFile(t, path))
        return fail(llvm::toString(std::move(e)));
    }
  }

  for (const std::string &arg : checks) {
    std::string name, file;
    if (!splitAssignment(arg, name, file))
      return fail("--check '" + arg + "': expected NAME=FILE");
    auto ref = readTensorFile(file);
    if (!ref)
      return fail(llvm::toString(ref.takeError()));
    expected.push_back({name, std::move(*ref)});
  }
  bool ok = true;
  for (auto &[name, refTensor] : expected) {
    if (timingOnly)
      return fail("--check and --test-data need a full run, not --timing-only");
    auto it = result->outputs.find(name);
    if (it == result->outputs.end())
      return fail("--check: the program has no output '" + name + "'");
    const HostTensor *ref = &refTensor;
    const HostTensor &out = it->second;
    if (out.numElements() != ref->numElements() || out.shape != ref->shape)
      return fail("--check " + name + ": output shape " + shapeString(out.shape) +
                  " differs from reference " + shapeString(ref->shape));
    // Integer and boolean results are compared exactly, floats within
    // tolerance.
    auto isFloat = [](HostDType t) {
      return t == HostDType::f32 || t == HostDType::f16 || t == HostDType::bf16 ||
             t == HostDType::f64;
    };
    bool exact = !isFloat(ref->dtype);
    // Booleans live in memory as u8 (0 or 1), so a u8 output matches a
    // bool reference when the values do.
    bool boolAsU8 = ref->dtype == HostDType::boolean && out.dtype == HostDType::u8;
    if (exact && out.dtype != ref->dtype && !boolAsU8)
      return fail("--check " + name + ": output element type " + hostDTypeName(out.dtype) +
                  " differs from reference " + hostDTypeName(ref->dtype));
    double rtol = exact ? 0.0 : double(relTol), atol = exact ? 0.0 : double(absTol);
    double maxAbs = 0, maxRel = 0;
    int64_t bad = 0;
    for (int64_t i = 0, n = out.numElements(); i < n; ++i) {
      double a = out.getDouble(i), r = ref->getDouble(i);
      double err = std::fabs(a - r);
      if (std::isnan(a) != std::isnan(r))
        err = INFINITY;
      else if (std::isnan(a))
        err = 0;
      maxAbs = std::max(maxAbs, err);
      if (r != 0)
        maxRel = std::max(maxRel, err / std::fabs(r));
      if (err > atol + rtol * std::fabs(r))
        ++bad;
    }
    ok &= bad == 0;
    llvm::outs() << llvm::format("check %s: %s  max abs err %.3g  max rel err %.3g  (%lld of "
                                 "%lld elements outside rtol %g atol %g)\n",
                                 name.c_str(), bad ? "FAIL" : "ok", maxAbs, maxRel,
                                 (long long)bad, (long long)out.numElements(), rtol, atol);
  }

  if (!quiet) {
    for (auto &[name, t] : result->outputs) {
      llvm::outs() << "output " << name << " " << shapeString(t.shape) << " "
                   << hostDTypeName(t.dtype) << ":";
      int64_t n = std::min<int64_t>(t.numElements(), 8);
      for (int64_t i = 0; i < n; ++i)
        llvm::outs() << llvm::format(" %.6g", t.getDouble(i));
      llvm::outs() << (t.numElements() > n ? " ...\n" : "\n");
    }
    double device = result->deviceTimeNs;
    auto pct = [&](double busy) { return device > 0 ? 100.0 * busy / device : 0.0; };
    llvm::outs() << llvm::format("device time %.3f us on %s, %llu instructions\n", device / 1000.0,
                                 arch->name.c_str(),
                                 (unsigned long long)result->instructionsExecuted);
    // Compute engines one by one; the DMA queues as one line (busiest queue).
    int dmaQueues = 0;
    double dmaMax = 0, dmaSum = 0;
    int64_t dmaBusiest = -1;
    for (auto &[queue, busy] : result->busyNsPerQueue) {
      if (queue >= isa::kFirstDmaQueue) {
        ++dmaQueues;
        dmaSum += busy;
        if (busy > dmaMax) {
          dmaMax = busy;
          dmaBusiest = queue;
        }
        continue;
      }
      llvm::outs() << llvm::format("  %-5s busy %10.3f us  (%5.1f%%)\n",
                                   isa::queueName(queue).c_str(), busy / 1000.0, pct(busy));
    }
    if (dmaQueues)
      llvm::outs() << llvm::format("  dma   busy %10.3f us  (%5.1f%%) on the busiest of %d queues "
                                   "(%s); %.3f us in all\n",
                                   dmaMax / 1000.0, pct(dmaMax), dmaQueues,
                                   isa::queueName(dmaBusiest).c_str(), dmaSum / 1000.0);
  }
  if (benchmark)
    if (llvm::Error e = runBenchmark(*program, *arch, feeds, options, *result))
      return fail(llvm::toString(std::move(e)));
  return ok ? 0 : 1;
}
