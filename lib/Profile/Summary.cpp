//===- Summary.cpp - Where the time went, from a trellis trace ------------===//

#include "trellis/Profile/Summary.h"
#include "trellis/Profile/ChromeTrace.h"
#include "trellis/Support/FileIO.h"
#include "trellis/Target/Inst.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cmath>

using namespace trellis;
using namespace trellis::profile;
using llvm::json::Array;
using llvm::json::Object;
using llvm::json::Value;

namespace {

llvm::Error bad(const llvm::Twine &msg) { return llvm::createStringError(msg.str()); }

/// A non-negative finite number, or an error naming `what`.
llvm::Expected<double> number(const Object &o, llvm::StringRef key, const llvm::Twine &what) {
  const Value *v = o.get(key);
  if (!v)
    return bad(what + " has no '" + key + "'");
  std::optional<double> d = v->getAsNumber();
  if (!d || !std::isfinite(*d) || *d < 0)
    return bad(what + " '" + key + "' is not a non-negative number");
  return *d;
}

llvm::Expected<std::string> string(const Object &o, llvm::StringRef key, const llvm::Twine &what) {
  const Value *v = o.get(key);
  if (!v)
    return bad(what + " has no '" + key + "'");
  std::optional<llvm::StringRef> s = v->getAsString();
  if (!s)
    return bad(what + " '" + key + "' is not a string");
  return s->str();
}

/// Length of the union of [start, end) intervals.
double unionLength(std::vector<std::pair<double, double>> intervals) {
  std::sort(intervals.begin(), intervals.end());
  double total = 0, coveredTo = -INFINITY;
  for (auto [lo, hi] : intervals) {
    lo = std::max(lo, coveredTo);
    if (hi > lo) {
      total += hi - lo;
      coveredTo = hi;
    }
  }
  return total;
}

} // namespace

llvm::Expected<Summary> profile::summarize(const Value &trace) {
  const Object *root = trace.getAsObject();
  if (!root)
    return bad("not a trace: the top level is not a JSON object");
  const Array *events = root->getArray("traceEvents");
  if (!events)
    return bad("not a trace: no 'traceEvents' array");
  const Object *other = root->getObject("otherData");
  if (!other)
    return bad("not a trellis profile: no 'otherData' object");
  std::optional<llvm::StringRef> format = other->getString("format");
  if (!format || *format != "trellis-profile")
    return bad("not a trellis profile: otherData.format is not \"trellis-profile\"");
  std::optional<int64_t> version = other->getInteger("format_version");
  if (!version || *version != kTraceFormatVersion)
    return bad("unsupported trellis profile version (this reader knows version " +
               llvm::Twine(kTraceFormatVersion) + ")");

  Summary s;
  auto take = [&](auto expected, auto &out) -> llvm::Error {
    if (!expected)
      return expected.takeError();
    out = *expected;
    return llvm::Error::success();
  };
  double flops = 0, minBytes = 0;
  const char *od = "otherData";
  if (auto e = take(string(*other, "artifact", od), s.artifact))
    return std::move(e);
  if (auto e = take(string(*other, "target", od), s.target))
    return std::move(e);
  if (auto e = take(string(*other, "matmul_dtype", od), s.matmulClass))
    return std::move(e);
  if (auto e = take(number(*other, "device_time_ns", od), s.deviceTimeNs))
    return std::move(e);
  if (auto e = take(number(*other, "total_flops", od), flops))
    return std::move(e);
  if (auto e = take(number(*other, "effective_peak_tflops", od), s.peakTflops))
    return std::move(e);
  if (auto e = take(number(*other, "min_hbm_bytes", od), minBytes))
    return std::move(e);
  if (auto e = take(number(*other, "hbm_gbps", od), s.hbmGBps))
    return std::move(e);
  if (auto e = take(number(*other, "compute_bound_ns", od), s.computeBoundNs))
    return std::move(e);
  if (auto e = take(number(*other, "memory_bound_ns", od), s.memoryBoundNs))
    return std::move(e);
  if (auto e = take(number(*other, "roofline_time_ns", od), s.rooflineNs))
    return std::move(e);
  s.totalFlops = uint64_t(flops);
  s.minHbmBytes = int64_t(minBytes);

  std::map<int64_t, std::vector<std::pair<double, double>>> intervals; // by queue
  std::map<int64_t, uint64_t> counts;
  std::map<std::pair<int64_t, int64_t>, Stall> stalls;
  llvm::StringMap<NodeTime> nodes, graphOps;
  std::vector<std::string> nodeOrder, opOrder; // first appearance, for stable ties
  for (size_t i = 0; i < events->size(); ++i) {
    std::string what = "traceEvents[" + std::to_string(i) + "]";
    const Object *ev = (*events)[i].getAsObject();
    if (!ev)
      return bad(what + " is not an object");
    std::optional<llvm::StringRef> ph = ev->getString("ph");
    if (!ph)
      return bad(what + " has no 'ph' string");
    if (*ph != "X")
      continue; // metadata and flow events carry nothing the summary needs
    double ts = 0, dur = 0;
    if (auto e = take(number(*ev, "ts", what), ts))
      return std::move(e);
    if (auto e = take(number(*ev, "dur", what), dur))
      return std::move(e);
    const Object *args = ev->getObject("args");
    if (!args)
      return bad(what + " has no 'args' object");
    std::string queueName;
    if (auto e = take(string(*args, "queue", what + ".args"), queueName))
      return std::move(e);
    std::optional<int64_t> queue = isa::parseQueueName(queueName);
    if (!queue)
      return bad(what + ".args 'queue' is not a queue name: '" + queueName + "'");

    double startNs = ts * 1000, durNs = dur * 1000;
    intervals[*queue].push_back({startNs, startNs + durNs});
    ++counts[*queue];
    ++s.instructions;
    s.instructionTimeNs += durNs;

    if (const Value *w = args->get("waited_on")) {
      std::optional<llvm::StringRef> name = w->getAsString();
      std::optional<int64_t> on = name ? isa::parseQueueName(*name) : std::nullopt;
      if (!on)
        return bad(what + ".args 'waited_on' is not a queue name");
      double waitNs = 0;
      if (auto e = take(number(*args, "wait_ns", what + ".args"), waitNs))
        return std::move(e);
      Stall &st = stalls[{*queue, *on}];
      st.waiter = queueName;
      st.waitedOn = name->str();
      st.waitedOnDma = isa::queueKind(*on) == isa::EngineKind::dma;
      st.waitNs += waitNs;
      ++st.count;
    }

    auto optString = [&](llvm::StringRef key) -> std::string {
      std::optional<llvm::StringRef> v = args->getString(key);
      return v && !v->empty() ? v->str() : "(none)";
    };
    std::string node = optString("node"), graphOp = optString("graph_op");
    auto add = [&](llvm::StringMap<NodeTime> &map, std::vector<std::string> &order,
                   const std::string &key) {
      auto [it, fresh] = map.try_emplace(key);
      if (fresh) {
        it->second.name = key;
        it->second.graphOp = graphOp;
        order.push_back(key);
      }
      it->second.timeNs += durNs;
      ++it->second.instructions;
    };
    add(nodes, nodeOrder, node);
    add(graphOps, opOrder, graphOp);
  }

  std::vector<std::pair<double, double>> dma;
  for (auto &[queue, list] : intervals) {
    QueueBusy b;
    b.queue = queue;
    b.name = isa::queueName(queue);
    b.isDma = isa::queueKind(queue) == isa::EngineKind::dma;
    b.busyNs = unionLength(list);
    b.instructions = counts[queue];
    if (b.isDma) {
      ++s.dmaQueues;
      s.dmaQueueSumNs += b.busyNs;
      dma.insert(dma.end(), list.begin(), list.end());
    }
    if (queue == isa::kQueuePE)
      s.peBusyNs = b.busyNs;
    s.queues.push_back(std::move(b));
  }
  s.dmaBusyNs = unionLength(std::move(dma));

  // 1 FLOP/ns = 1e-3 TFLOPS.
  s.achievedTflops = s.deviceTimeNs > 0 ? double(s.totalFlops) / s.deviceTimeNs * 1e-3 : 0;
  s.peUtilization = s.peakTflops > 0 ? s.achievedTflops / s.peakTflops : 0;
  s.rooflineRatio = s.deviceTimeNs > 0 ? s.rooflineNs / s.deviceTimeNs : 0;

  for (auto &[key, st] : stalls)
    s.stalls.push_back(st);
  std::stable_sort(s.stalls.begin(), s.stalls.end(),
                   [](const Stall &a, const Stall &b) { return a.waitNs > b.waitNs; });
  auto collect = [](llvm::StringMap<NodeTime> &map, const std::vector<std::string> &order) {
    std::vector<NodeTime> out;
    for (const std::string &k : order)
      out.push_back(map[k]);
    std::stable_sort(out.begin(), out.end(),
                     [](const NodeTime &a, const NodeTime &b) { return a.timeNs > b.timeNs; });
    return out;
  };
  s.nodes = collect(nodes, nodeOrder);
  s.graphOps = collect(graphOps, opOrder);
  return s;
}

llvm::Expected<Summary> profile::summarizeFile(llvm::StringRef path) {
  llvm::Expected<std::string> text = readFile(path);
  if (!text)
    return text.takeError(); // already names the file
  llvm::Expected<Value> json = llvm::json::parse(*text);
  if (!json)
    return bad(path + ": not valid JSON: " + llvm::toString(json.takeError()));
  llvm::Expected<Summary> s = summarize(*json);
  if (!s)
    return bad(path + ": " + llvm::toString(s.takeError()));
  return s;
}

//===----------------------------------------------------------------------===//
// Printing
//===----------------------------------------------------------------------===//

namespace {

double us(double ns) { return ns / 1000.0; }

std::string bytesText(double b) {
  const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (b >= 1024 && u < 4) {
    b /= 1024;
    ++u;
  }
  return llvm::formatv("{0}", llvm::format(u ? "%.2f %s" : "%.0f %s", b, units[u])).str();
}

std::string plural(uint64_t n, llvm::StringRef word) {
  return std::to_string(n) + " " + word.str() + (n == 1 ? "" : "s");
}

std::string waitedOnText(const Stall &st) { return st.waitedOn + (st.waitedOnDma ? " (DMA)" : ""); }

} // namespace

void profile::printSummaryText(const Summary &s, llvm::raw_ostream &os,
                               const PrintOptions &options) {
  os << "trellis profile";
  if (!s.artifact.empty())
    os << " of " << s.artifact;
  if (!s.target.empty())
    os << " on " << s.target;
  os << " (" << s.instructions << " instructions)\n";
  os << llvm::format("device time      %12.3f us\n", us(s.deviceTimeNs));
  llvm::StringRef bound = s.computeBoundNs >= s.memoryBoundNs ? "compute" : "memory";
  os << llvm::format("roofline         %12.3f us  (%s-bound: compute %.3f us = %llu FLOPs at "
                     "%.4g TFLOPS %s; memory %.3f us = %s at %.4g GB/s)\n",
                     us(s.rooflineNs), bound.str().c_str(), us(s.computeBoundNs),
                     (unsigned long long)s.totalFlops, s.peakTflops, s.matmulClass.c_str(),
                     us(s.memoryBoundNs), bytesText(double(s.minHbmBytes)).c_str(), s.hbmGBps);
  os << llvm::format(
      "roofline ratio   %12.4g     (roofline / device time; 1 = at the physical limit)\n",
      s.rooflineRatio);
  os << llvm::format("achieved         %12.4f TFLOPS of %.4g peak (%s)\n", s.achievedTflops,
                     s.peakTflops, s.matmulClass.c_str());
  os << llvm::format(
      "PE utilisation   %11.2f%%      (achieved / peak FLOP rate); PE busy %.1f%% of "
      "device time\n",
      100.0 * s.peUtilization, s.pct(s.peBusyNs));

  os << "engines (busy time, % of device time):\n";
  for (const QueueBusy &b : s.queues)
    if (!b.isDma)
      os << llvm::format("  %-6s %12.3f us  %5.1f%%  %s\n", b.name.c_str(), us(b.busyNs),
                         s.pct(b.busyNs), plural(b.instructions, "instruction").c_str());
  if (s.dmaQueues) {
    os << llvm::format(
        "  %-6s %12.3f us  %5.1f%%  while any of %lld DMA queues is busy; %.3f us summed "
        "over queues\n",
        "dma", us(s.dmaBusyNs), s.pct(s.dmaBusyNs), (long long)s.dmaQueues, us(s.dmaQueueSumNs));
    for (const QueueBusy &b : s.queues)
      if (b.isDma)
        os << llvm::format("    %-4s %12.3f us  %5.1f%%  %s\n", b.name.c_str(), us(b.busyNs),
                           s.pct(b.busyNs), plural(b.instructions, "transfer").c_str());
  }

  os << "top stalls (time an engine waited on a semaphore, by what it waited for):\n";
  if (s.stalls.empty())
    os << "  none\n";
  for (size_t i = 0; i < s.stalls.size() && i < options.topStalls; ++i) {
    const Stall &st = s.stalls[i];
    os << llvm::format("  %s waited %.3f us on %s, %s\n", st.waiter.c_str(), us(st.waitNs),
                       waitedOnText(st).c_str(), plural(st.count, "wait").c_str());
  }

  auto table = [&](const char *title, const std::vector<NodeTime> &rows, bool withOp) {
    os << llvm::format("%s (sum of instruction durations; %% of %.3f us in all):\n", title,
                       us(s.instructionTimeNs));
    for (size_t i = 0; i < rows.size() && i < options.topNodes; ++i) {
      const NodeTime &r = rows[i];
      double pct = s.instructionTimeNs > 0 ? 100.0 * r.timeNs / s.instructionTimeNs : 0.0;
      os << llvm::format("  %12.3f us  %5.1f%%  %6llu instr  ", us(r.timeNs), pct,
                         (unsigned long long)r.instructions)
         << r.name;
      if (withOp)
        os << "  [" << r.graphOp << "]";
      os << "\n";
    }
    if (rows.size() > options.topNodes)
      os << "  ... " << (rows.size() - options.topNodes) << " more\n";
  };
  table("time per ONNX node", s.nodes, true);
  table("time per graph op", s.graphOps, false);
}

namespace {

/// Like llvm::json's printer (sorted keys), but doubles get 10 significant
/// digits instead of 17, which would show binary noise such as
/// 0.15999999999999931.
void writeValue(llvm::json::OStream &j, const Value &v) {
  if (const Object *o = v.getAsObject()) {
    std::vector<llvm::StringRef> keys;
    for (const auto &kv : *o)
      keys.push_back(kv.first);
    llvm::sort(keys);
    j.object([&] {
      for (llvm::StringRef k : keys)
        j.attributeBegin(k), writeValue(j, *o->get(k)), j.attributeEnd();
    });
  } else if (const Array *a = v.getAsArray()) {
    j.array([&] {
      for (const Value &e : *a)
        writeValue(j, e);
    });
  } else if (v.kind() == Value::Number && !v.getAsInteger() && !v.getAsUINT64()) {
    double d = *v.getAsNumber();
    j.rawValue(std::isfinite(d) ? llvm::formatv("{0}", llvm::format("%.10g", d)).str() : "null");
  } else {
    j.value(v);
  }
}

} // namespace

void profile::printSummaryJson(const Summary &s, llvm::raw_ostream &os,
                               const PrintOptions &options) {
  llvm::json::OStream j(os, /*IndentSize=*/2);
  writeValue(j, summaryToJson(s, options));
  os << "\n";
}

Value profile::summaryToJson(const Summary &s, const PrintOptions &options) {
  Object engines, enginePct;
  for (const QueueBusy &b : s.queues) {
    engines[b.name] = us(b.busyNs);
    enginePct[b.name] = s.pct(b.busyNs);
  }
  Array stalls;
  for (size_t i = 0; i < s.stalls.size() && i < options.topStalls; ++i) {
    const Stall &st = s.stalls[i];
    stalls.push_back(Object{{"waiter", st.waiter},
                            {"waited_on", st.waitedOn},
                            {"waited_on_dma", st.waitedOnDma},
                            {"wait_us", us(st.waitNs)},
                            {"count", int64_t(st.count)}});
  }
  auto rows = [&](const std::vector<NodeTime> &list, bool withOp) {
    Array out;
    for (size_t i = 0; i < list.size() && i < options.topNodes; ++i) {
      const NodeTime &r = list[i];
      Object o{{"name", r.name},
               {"time_us", us(r.timeNs)},
               {"pct", s.instructionTimeNs > 0 ? 100.0 * r.timeNs / s.instructionTimeNs : 0.0},
               {"instructions", int64_t(r.instructions)}};
      if (withOp)
        o["graph_op"] = r.graphOp;
      out.push_back(std::move(o));
    }
    return out;
  };
  return Object{
      {"artifact", s.artifact},
      {"target", s.target},
      {"instructions", int64_t(s.instructions)},
      {"device_time_us", us(s.deviceTimeNs)},
      {"instruction_time_us", us(s.instructionTimeNs)},
      {"roofline_time_us", us(s.rooflineNs)},
      {"compute_bound_us", us(s.computeBoundNs)},
      {"memory_bound_us", us(s.memoryBoundNs)},
      {"bound", s.computeBoundNs >= s.memoryBoundNs ? "compute" : "memory"},
      {"roofline_ratio", s.rooflineRatio},
      {"total_flops", int64_t(s.totalFlops)},
      {"min_hbm_bytes", s.minHbmBytes},
      {"hbm_gbps", s.hbmGBps},
      {"matmul_dtype", s.matmulClass},
      {"peak_tflops", s.peakTflops},
      {"achieved_tflops", s.achievedTflops},
      {"pe_utilization", s.peUtilization},
      {"pe_busy_pct", s.pct(s.peBusyNs)},
      {"engines", std::move(engines)},
      {"engine_busy_pct", std::move(enginePct)},
      {"dma", Object{{"queues", s.dmaQueues},
                     {"busy_us", us(s.dmaBusyNs)},
                     {"busy_pct", s.pct(s.dmaBusyNs)},
                     {"queue_sum_us", us(s.dmaQueueSumNs)}}},
      {"stalls", std::move(stalls)},
      {"nodes", rows(s.nodes, true)},
      {"graph_ops", rows(s.graphOps, false)},
  };
}
