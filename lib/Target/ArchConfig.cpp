//===- ArchConfig.cpp - A target's numbers, read from targets/*.json ------===//
//
// The schema is strict: every field of ArchConfig must be present with the
// right type and range, and unknown keys are errors, so that a typo in a
// user's config cannot silently fall back to a default. The one key that
// carries no data is the top-level "sources" object (field group -> public
// document), which is checked for shape and otherwise ignored.
//
//===----------------------------------------------------------------------===//

#include "trellis/Target/ArchConfig.h"
#include "trellis/Support/FileIO.h"
#include "trellis/Target/IsaEnums.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"

#include <cmath>
#include <cstdlib>

using namespace llvm;
using namespace trellis;

#ifndef TRELLIS_TARGETS_DIR
#error "TRELLIS_TARGETS_DIR must be defined by the build (the bundled targets/ directory)"
#endif

namespace {

/// Reads typed fields out of nested JSON objects, remembering the first
/// error with the dotted path of the field it concerns.
class ConfigReader {
public:
  explicit ConfigReader(StringRef origin) : origin(origin) {}

  /// Reports `path` with `msg` unless an error is already recorded.
  void fail(StringRef path, const Twine &msg) {
    if (error.empty())
      error = (origin + ": field \"" + path + "\": " + msg).str();
  }
  bool failed() const { return !error.empty(); }
  Error takeError() {
    if (error.empty())
      return Error::success();
    return createStringError(inconvertibleErrorCode(), error);
  }

  /// Rejects keys of `obj` not in `allowed`.
  void checkKeys(const json::Object &obj, StringRef path, ArrayRef<StringRef> allowed) {
    // Sorted so that the reported key does not depend on hash order.
    SmallVector<StringRef> keys;
    for (const auto &kv : obj)
      keys.push_back(kv.first);
    llvm::sort(keys);
    for (StringRef key : keys)
      if (!llvm::is_contained(allowed, key))
        fail(fieldPath(path, key), "unknown key (expected one of: " + llvm::join(allowed, ", ") + ")");
  }

  const json::Value *get(const json::Object &obj, StringRef path, StringRef key) {
    const json::Value *v = obj.get(key);
    if (!v)
      fail(fieldPath(path, key), "missing");
    return v;
  }

  /// The object at `path.key`, with its keys checked; nullptr on error.
  const json::Object *object(const json::Object &obj, StringRef path, StringRef key, ArrayRef<StringRef> allowed) {
    const json::Value *v = get(obj, path, key);
    if (!v)
      return nullptr;
    const json::Object *o = v->getAsObject();
    if (!o) {
      fail(fieldPath(path, key), "expected an object");
      return nullptr;
    }
    checkKeys(*o, fieldPath(path, key), allowed);
    return o;
  }

  /// A number; `allowZero` admits 0, otherwise it must be positive.
  double number(const json::Object &obj, StringRef path, StringRef key, bool allowZero = false) {
    const json::Value *v = get(obj, path, key);
    if (!v)
      return 0;
    std::optional<double> d = v->getAsNumber();
    if (!d || !std::isfinite(*d) || *d < 0 || (!allowZero && *d == 0)) {
      fail(fieldPath(path, key), allowZero ? "expected a non-negative number" : "expected a positive number");
      return 0;
    }
    return *d;
  }

  /// An integer in [lo, hi].
  int64_t integer(const json::Object &obj, StringRef path, StringRef key, int64_t lo, int64_t hi) {
    const json::Value *v = get(obj, path, key);
    if (!v)
      return 0;
    std::optional<int64_t> i = v->getAsInteger();
    if (!i) {
      fail(fieldPath(path, key), "expected an integer");
      return 0;
    }
    if (*i < lo || *i > hi) {
      fail(fieldPath(path, key), "expected an integer in [" + Twine(lo) + ", " + Twine(hi) + "], got " + Twine(*i));
      return 0;
    }
    return *i;
  }

  std::vector<std::string> strings(const json::Object &obj, StringRef path, StringRef key) {
    std::vector<std::string> out;
    const json::Value *v = get(obj, path, key);
    if (!v)
      return out;
    const json::Array *a = v->getAsArray();
    if (!a) {
      fail(fieldPath(path, key), "expected an array of strings");
      return out;
    }
    for (auto [i, e] : llvm::enumerate(*a)) {
      std::optional<StringRef> s = e.getAsString();
      if (!s) {
        fail((fieldPath(path, key) + "[" + Twine(i) + "]").str(), "expected a string");
        return out;
      }
      out.push_back(s->str());
    }
    return out;
  }

  static std::string fieldPath(StringRef path, StringRef key) {
    return path.empty() ? key.str() : (path + "." + key).str();
  }

private:
  std::string origin;
  std::string error;
};

// Generous bounds that keep products such as partitions * bytes far from
// overflow; the real limits are checked for consistency below.
constexpr int64_t kMaxCount = int64_t(1) << 20;
constexpr int64_t kMaxBytes = int64_t(1) << 40;
constexpr int64_t kMaxHbmBytes = int64_t(1) << 50;
constexpr int64_t kMaxCycles = int64_t(1) << 32;

void readEngine(ConfigReader &r, const json::Object &engines, StringRef name, EngineTiming &e) {
  std::string path = ConfigReader::fieldPath("engines", name);
  const json::Object *o =
      r.object(engines, "engines", name,
               {"clock_ghz", "lanes", "elements_per_cycle", "fixed_cycles", "min_interval_cycles"});
  if (!o)
    return;
  e.clockGHz = r.number(*o, path, "clock_ghz");
  e.lanes = r.integer(*o, path, "lanes", 1, kMaxCount);
  e.elementsPerCycle = r.integer(*o, path, "elements_per_cycle", 1, kMaxCount);
  e.fixedCycles = r.integer(*o, path, "fixed_cycles", 0, kMaxCycles);
  e.minIntervalCycles = r.integer(*o, path, "min_interval_cycles", 0, kMaxCycles);
}

/// Parses "M:N" with 1 <= M < N <= 16 (the tag is a 4-bit position).
bool validSparsityPattern(StringRef s) {
  auto [m, n] = s.split(':');
  unsigned mv, nv;
  if (m.empty() || n.empty() || m.getAsInteger(10, mv) || n.getAsInteger(10, nv))
    return false;
  return mv >= 1 && mv < nv && nv <= 16;
}

/// Cross-field rules; only run once every field read cleanly.
void checkConsistency(ConfigReader &r, const ArchConfig &c) {
  // The ISA, the tiling rules and the access-pattern encoding all assume
  // 128 partitions; the PE array contracts over them.
  if (c.partitions != 128)
    r.fail("partitions", "must be 128 (the ISA addresses 128 partitions), got " + Twine(c.partitions));
  else if (c.peRows != c.partitions)
    r.fail("tensor_engine.rows", "must equal partitions (" + Twine(c.partitions) + "): the array contracts over "
                                 "the partition axis, got " + Twine(c.peRows));
  else if (c.peCols > c.partitions)
    r.fail("tensor_engine.cols", "must not exceed partitions (" + Twine(c.partitions) +
                                     "): each column writes one PSUM partition, got " + Twine(c.peCols));
  for (auto [name, e] : {std::pair<StringRef, const EngineTiming *>{"act", &c.act}, {"dve", &c.dve},
                         {"pool", &c.pool}, {"sp", &c.sp}})
    if (e->lanes > c.partitions)
      r.fail(("engines." + name + ".lanes").str(),
             "must not exceed partitions (" + Twine(c.partitions) + "), got " + Twine(e->lanes));
  if (c.psumBytesPerPartition % c.psumBanks != 0)
    r.fail("psum.banks", Twine(c.psumBytesPerPartition) + " bytes per partition do not divide into " +
                             Twine(c.psumBanks) + " banks");
  else if (c.psumBankBytes() % 4 != 0)
    r.fail("psum.banks", "a bank of " + Twine(c.psumBankBytes()) + " bytes does not hold whole fp32 values");
  if ((c.peakTflopsSparse > 0) != !c.sparsityPatterns.empty())
    r.fail("tensor_engine.peak_tflops.sparse",
           c.sparsityPatterns.empty() ? "must be 0 when \"sparsity\" is empty"
                                      : "must be positive when \"sparsity\" lists patterns");

  StringSet<> seen;
  for (auto [i, d] : llvm::enumerate(c.dtypes)) {
    std::string path = "dtypes[" + std::to_string(i) + "]";
    if (!isa::symbolizeDType(d))
      r.fail(path, "unknown element type \"" + d + "\"");
    else if (!seen.insert(d).second)
      r.fail(path, "duplicate element type \"" + d + "\"");
  }
  if (c.dtypes.empty() || !seen.contains("f32"))
    r.fail("dtypes", "must include \"f32\" (PSUM accumulates in fp32)");
  seen.clear();
  for (auto [i, p] : llvm::enumerate(c.sparsityPatterns)) {
    std::string path = "sparsity[" + std::to_string(i) + "]";
    if (!validSparsityPattern(p))
      r.fail(path, "expected \"M:N\" with 1 <= M < N <= 16, got \"" + p + "\"");
    else if (!seen.insert(p).second)
      r.fail(path, "duplicate pattern \"" + p + "\"");
  }
}

} // namespace

Expected<ArchConfig> trellis::parseArchConfig(StringRef json, StringRef origin) {
  Expected<json::Value> parsed = json::parse(json);
  if (!parsed)
    return createStringError(inconvertibleErrorCode(),
                             (origin + ": invalid JSON: " + toString(parsed.takeError())).str());
  const json::Object *root = parsed->getAsObject();
  if (!root)
    return createStringError(inconvertibleErrorCode(), (origin + ": expected a JSON object at the top level").str());

  ConfigReader r(origin);
  ArchConfig c;
  c.source = json.str();
  r.checkKeys(*root, "",
              {"name", "partitions", "tensor_engine", "engines", "sbuf", "psum", "hbm", "dma", "dtypes", "sparsity",
               "sources"});

  if (const json::Value *v = r.get(*root, "", "name")) {
    std::optional<StringRef> s = v->getAsString();
    if (!s || s->empty() || s->find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-.") != StringRef::npos)
      r.fail("name", "expected a non-empty string of [a-z0-9_.-]");
    else
      c.name = s->str();
  }
  c.partitions = r.integer(*root, "", "partitions", 1, kMaxCount);

  if (const json::Object *te =
          r.object(*root, "", "tensor_engine",
                   {"rows", "cols", "clock_ghz", "mm_min_interval_cycles", "mm_fp32_slowdown", "ls_speedup",
                    "fill_cycles", "peak_tflops"})) {
    StringRef p = "tensor_engine";
    c.peRows = r.integer(*te, p, "rows", 1, kMaxCount);
    c.peCols = r.integer(*te, p, "cols", 1, kMaxCount);
    c.peClockGHz = r.number(*te, p, "clock_ghz");
    c.mmMinIntervalCycles = r.integer(*te, p, "mm_min_interval_cycles", 0, kMaxCycles);
    c.mmFp32Slowdown = r.integer(*te, p, "mm_fp32_slowdown", 1, kMaxCount);
    c.lsSpeedup = r.integer(*te, p, "ls_speedup", 1, kMaxCount);
    c.peFillCycles = r.integer(*te, p, "fill_cycles", 0, kMaxCycles);
    if (const json::Object *pk = r.object(*te, p, "peak_tflops", {"bf16", "fp8", "fp32", "sparse"})) {
      StringRef pp = "tensor_engine.peak_tflops";
      c.peakTflopsBf16 = r.number(*pk, pp, "bf16");
      c.peakTflopsFp8 = r.number(*pk, pp, "fp8");
      c.peakTflopsFp32 = r.number(*pk, pp, "fp32");
      c.peakTflopsSparse = r.number(*pk, pp, "sparse", /*allowZero=*/true);
    }
  }

  if (const json::Object *engines = r.object(*root, "", "engines", {"act", "dve", "pool", "sp"})) {
    readEngine(r, *engines, "act", c.act);
    readEngine(r, *engines, "dve", c.dve);
    readEngine(r, *engines, "pool", c.pool);
    readEngine(r, *engines, "sp", c.sp);
  }

  if (const json::Object *sbuf = r.object(*root, "", "sbuf", {"bytes_per_partition"}))
    c.sbufBytesPerPartition = r.integer(*sbuf, "sbuf", "bytes_per_partition", 1, kMaxBytes);
  if (const json::Object *psum = r.object(*root, "", "psum", {"bytes_per_partition", "banks"})) {
    c.psumBytesPerPartition = r.integer(*psum, "psum", "bytes_per_partition", 1, kMaxBytes);
    c.psumBanks = r.integer(*psum, "psum", "banks", 1, kMaxCount);
  }
  if (const json::Object *hbm = r.object(*root, "", "hbm", {"bytes", "gbps"})) {
    c.hbmBytes = r.integer(*hbm, "hbm", "bytes", 1, kMaxHbmBytes);
    c.hbmGBps = r.number(*hbm, "hbm", "gbps");
  }
  if (const json::Object *dma =
          r.object(*root, "", "dma",
                   {"engines", "queues", "engine_gbps", "fixed_latency_ns", "descriptor_ns", "stride_penalty_bytes",
                    "efficient_bytes_per_partition"})) {
    c.dmaEngines = r.integer(*dma, "dma", "engines", 1, kMaxCount);
    c.dmaQueues = r.integer(*dma, "dma", "queues", 1, kMaxCount);
    c.dmaEngineGBps = r.number(*dma, "dma", "engine_gbps");
    c.dmaFixedLatencyNs = r.number(*dma, "dma", "fixed_latency_ns", /*allowZero=*/true);
    c.dmaDescriptorNs = r.number(*dma, "dma", "descriptor_ns", /*allowZero=*/true);
    c.dmaStridePenaltyBytes = r.integer(*dma, "dma", "stride_penalty_bytes", 1, kMaxBytes);
    c.dmaEfficientBytesPerPartition = r.integer(*dma, "dma", "efficient_bytes_per_partition", 1, kMaxBytes);
  }
  c.dtypes = r.strings(*root, "", "dtypes");
  c.sparsityPatterns = r.strings(*root, "", "sparsity");

  // Documentation only: an object of strings, not otherwise read.
  if (const json::Value *src = root->get("sources")) {
    const json::Object *o = src->getAsObject();
    if (!o)
      r.fail("sources", "expected an object mapping a field group to its public source");
    else
      for (const auto &kv : *o)
        if (!kv.second.getAsString())
          r.fail(("sources." + kv.first).str(), "expected a string");
  }

  if (!r.failed())
    checkConsistency(r, c);
  if (Error e = r.takeError())
    return std::move(e);
  return c;
}

std::string trellis::targetsDirectory() {
  if (const char *env = std::getenv("TRELLIS_TARGETS_DIR"); env && *env)
    return env;
  return TRELLIS_TARGETS_DIR;
}

Expected<ArchConfig> trellis::loadArchConfig(StringRef nameOrPath) {
  std::string path;
  bool bareName = !nameOrPath.contains('/') && !nameOrPath.ends_with(".json");
  if (bareName) {
    SmallString<256> p(targetsDirectory());
    sys::path::append(p, nameOrPath + ".json");
    path = p.str().str();
    if (!sys::fs::exists(path)) {
      // List what is there: the likely mistake is a misspelt target name.
      std::vector<std::string> known;
      std::error_code ec;
      for (sys::fs::directory_iterator it(targetsDirectory(), ec), end; it != end && !ec; it.increment(ec))
        if (sys::path::extension(it->path()) == ".json")
          known.push_back(sys::path::stem(it->path()).str());
      llvm::sort(known);
      return createStringError(inconvertibleErrorCode(),
                               "unknown target '" + nameOrPath.str() + "': no " + path +
                                   (known.empty() ? std::string() : " (known targets: " + llvm::join(known, ", ") + ")"));
    }
  } else {
    path = nameOrPath.str();
  }
  Expected<std::string> text = readFile(path);
  if (!text)
    return text.takeError();
  return parseArchConfig(*text, path);
}
