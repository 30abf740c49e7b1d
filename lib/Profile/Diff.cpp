//===- Diff.cpp - Compare two profile summaries ---------------------------===//

#include "trellis/Profile/Diff.h"

#include "llvm/Support/Format.h"
#include <algorithm>
#include <cmath>

using namespace llvm;
using namespace trellis::profile;

namespace {

/// Rows of both runs matched by name, in first-seen order.
template <typename T, typename Key, typename Value>
std::vector<DiffRow> matchRows(const std::vector<T> &a, const std::vector<T> &b, Key key,
                               Value value) {
  std::vector<DiffRow> rows;
  std::map<std::string, size_t> index;
  auto add = [&](const T &x, bool isA) {
    auto [it, inserted] = index.try_emplace(key(x), rows.size());
    if (inserted)
      rows.push_back({key(x), 0, 0});
    (isA ? rows[it->second].a : rows[it->second].b) += value(x);
  };
  for (const T &x : a)
    add(x, true);
  for (const T &x : b)
    add(x, false);
  return rows;
}

void byLargestChange(std::vector<DiffRow> &rows) {
  std::stable_sort(rows.begin(), rows.end(), [](const DiffRow &x, const DiffRow &y) {
    return std::fabs(x.delta()) > std::fabs(y.delta());
  });
}

std::string pctChange(double a, double b) {
  if (a == 0)
    return b == 0 ? "" : "(new)";
  char buf[32];
  std::snprintf(buf, sizeof buf, "(%+.1f%%)", 100.0 * (b - a) / a);
  return buf;
}

void printRows(raw_ostream &os, StringRef title, const std::vector<DiffRow> &rows, unsigned top) {
  os << title << "\n";
  unsigned n = 0;
  for (const DiffRow &r : rows) {
    if (n++ == top)
      break;
    os << format("  %-32s %12.3f %12.3f %+12.3f us %s\n", r.name.c_str(), r.a / 1000, r.b / 1000,
                 r.delta() / 1000, pctChange(r.a, r.b).c_str());
  }
  if (rows.size() > top)
    os << "  ... " << rows.size() - top << " more\n";
}

json::Array rowsToJson(const std::vector<DiffRow> &rows, unsigned top) {
  json::Array out;
  for (size_t i = 0; i < rows.size() && i < top; ++i)
    out.push_back(json::Object{{"name", rows[i].name},
                               {"a_us", rows[i].a / 1000},
                               {"b_us", rows[i].b / 1000},
                               {"delta_us", rows[i].delta() / 1000}});
  return out;
}

} // namespace

SummaryDiff trellis::profile::diffSummaries(const Summary &a, const Summary &b) {
  SummaryDiff d{a, b, {}, {}, {}, {}};
  d.engines = matchRows(a.queues, b.queues, [](const QueueBusy &q) { return q.name; },
                        [](const QueueBusy &q) { return q.busyNs; });
  d.engines.push_back({"dma (any queue)", a.dmaBusyNs, b.dmaBusyNs});
  auto nodeName = [](const NodeTime &n) { return n.name; };
  auto nodeTime = [](const NodeTime &n) { return n.timeNs; };
  d.nodes = matchRows(a.nodes, b.nodes, nodeName, nodeTime);
  d.graphOps = matchRows(a.graphOps, b.graphOps, nodeName, nodeTime);
  d.stalls = matchRows(a.stalls, b.stalls,
                       [](const Stall &s) { return s.waiter + " <- " + s.waitedOn; },
                       [](const Stall &s) { return s.waitNs; });
  byLargestChange(d.nodes);
  byLargestChange(d.graphOps);
  byLargestChange(d.stalls);
  return d;
}

void trellis::profile::printDiffText(const SummaryDiff &d, raw_ostream &os, unsigned top) {
  const Summary &a = d.a, &b = d.b;
  os << "A: " << a.artifact << " on " << a.target << " (" << a.instructions << " instructions)\n"
     << "B: " << b.artifact << " on " << b.target << " (" << b.instructions << " instructions)\n";
  os << format("%-34s %12s %12s %15s\n", "", "A", "B", "B - A");
  os << format("%-34s %12.3f %12.3f %+12.3f us %s\n", "device time", a.deviceTimeNs / 1000,
               b.deviceTimeNs / 1000, (b.deviceTimeNs - a.deviceTimeNs) / 1000,
               pctChange(a.deviceTimeNs, b.deviceTimeNs).c_str());
  os << format("%-34s %12.3f %12.3f %+12.3f us\n", "roofline", a.rooflineNs / 1000,
               b.rooflineNs / 1000, (b.rooflineNs - a.rooflineNs) / 1000);
  os << format("%-34s %12.4f %12.4f %+12.4f\n", "roofline ratio", a.rooflineRatio,
               b.rooflineRatio, b.rooflineRatio - a.rooflineRatio);
  os << format("%-34s %11.2f%% %11.2f%% %+11.2f pts\n", "PE utilisation",
               100 * a.peUtilization, 100 * b.peUtilization,
               100 * (b.peUtilization - a.peUtilization));
  printRows(os, "busy time per engine (us):", d.engines, ~0u);
  printRows(os, "time per ONNX node (us), largest change first:", d.nodes, top);
  printRows(os, "time per graph op (us), largest change first:", d.graphOps, top);
  printRows(os, "stalls (us waited), largest change first:", d.stalls, top);
}

json::Value trellis::profile::diffToJson(const SummaryDiff &d, unsigned top) {
  auto pair = [](double a, double b) {
    return json::Object{{"a", a}, {"b", b}, {"delta", b - a}};
  };
  return json::Object{
      {"a", summaryToJson(d.a)},
      {"b", summaryToJson(d.b)},
      {"device_time_us", pair(d.a.deviceTimeNs / 1000, d.b.deviceTimeNs / 1000)},
      {"roofline_time_us", pair(d.a.rooflineNs / 1000, d.b.rooflineNs / 1000)},
      {"roofline_ratio", pair(d.a.rooflineRatio, d.b.rooflineRatio)},
      {"pe_utilization", pair(d.a.peUtilization, d.b.peUtilization)},
      {"engines", rowsToJson(d.engines, ~0u)},
      {"nodes", rowsToJson(d.nodes, top)},
      {"graph_ops", rowsToJson(d.graphOps, top)},
      {"stalls", rowsToJson(d.stalls, top)},
  };
}
