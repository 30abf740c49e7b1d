//===- Html.cpp - Self-contained HTML profile report ----------------------===//
//
// The page (report.html + report.js, embedded by EmbedFile.cmake) reads one
// JSON object from <script id="trellis-data">:
//   title, summary   summaryToJson of the trace, with every node and op row
//   tracks           [{tid, name, sort}] in display order
//   strings          string table for the columns below
//   inst             columns, one entry per instruction ("ph":"X" event):
//                    ts, dur, wait (picoseconds, integers); track (index into
//                    tracks); name, node, isa, tile, graph, waitedOn, waits,
//                    detail (indices into strings); index (artifact position)
// Columns instead of one object per instruction keep a 1M-instruction report
// tens of MB instead of hundreds, and let the script use typed arrays.
//
//===----------------------------------------------------------------------===//

#include "trellis/Profile/Html.h"
#include "trellis/Profile/Summary.h"
#include "trellis/Support/FileIO.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/raw_ostream.h"
#include <algorithm>
#include <cmath>
#include <map>

#include "ReportHtml.inc"
#include "ReportJs.inc"

using namespace trellis;
using namespace trellis::profile;
using llvm::json::Array;
using llvm::json::Object;
using llvm::json::Value;

namespace {

/// Interns strings into one table; index 0 is "".
class StringTable {
public:
  StringTable() { intern(""); }
  int64_t intern(llvm::StringRef s) {
    auto [it, fresh] = index.try_emplace(s, strings.size());
    if (fresh)
      strings.push_back(s.str());
    return it->second;
  }
  Array take() {
    Array out;
    for (std::string &s : strings)
      out.push_back(std::move(s));
    return out;
  }

private:
  llvm::StringMap<int64_t> index;
  std::vector<std::string> strings;
};

int64_t toPs(double us) { return static_cast<int64_t>(std::llround(us * 1e6)); }

/// The data as the text of a <script> element: every '<' becomes \u003c
/// (the same JSON string), so no node name can end the element or open a
/// comment in it.
std::string escapeJsonForScript(llvm::StringRef json) {
  std::string out;
  out.reserve(json.size());
  for (char c : json) {
    if (c == '<')
      out += "\\u003c";
    else
      out += c;
  }
  return out;
}

/// The script as the text of a <script> element: "</" becomes "<\/" (the
/// same string in a JS string literal, where report.js has them).
std::string escapeJsForScript(llvm::StringRef js) {
  std::string out;
  out.reserve(js.size());
  for (size_t i = 0; i < js.size(); ++i) {
    out += js[i];
    if (js[i] == '<' && i + 1 < js.size() && js[i + 1] == '/')
      out += '\\';
  }
  return out;
}

std::string escapeHtml(llvm::StringRef s) {
  std::string out;
  for (char c : s) {
    switch (c) {
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '&':
      out += "&amp;";
      break;
    case '"':
      out += "&quot;";
      break;
    default:
      out += c;
    }
  }
  return out;
}

/// Replaces each {{NAME}} in `page` by values[NAME], in one pass, so that
/// substituted text is never searched for markers.
std::string fillTemplate(llvm::StringRef page, const std::map<std::string, std::string> &values) {
  std::string out;
  while (!page.empty()) {
    size_t open = page.find("{{");
    size_t close = open == llvm::StringRef::npos ? open : page.find("}}", open);
    auto it = close == llvm::StringRef::npos ? values.end()
                                             : values.find(page.slice(open + 2, close).str());
    if (it == values.end()) {
      size_t upto = open == llvm::StringRef::npos ? page.size() : open + 2;
      out += page.take_front(upto);
      page = page.drop_front(upto);
      continue;
    }
    out += page.take_front(open);
    out += it->second;
    page = page.drop_front(close + 2);
  }
  return out;
}

} // namespace

llvm::Expected<std::string> profile::renderHtmlReport(const Value &trace) {
  llvm::Expected<Summary> summary = summarize(trace);
  if (!summary)
    return summary.takeError();
  // summarize has validated every "X" event: ts, dur, args and args.queue.
  const Object *root = trace.getAsObject();
  const Array *events = root->getArray("traceEvents");

  struct Track {
    int64_t tid = 0;
    std::string name;
    int64_t sort = 0;
  };
  std::map<int64_t, Track> tracks; // by tid
  for (const Value &v : *events) {
    const Object *ev = v.getAsObject();
    if (ev->getString("ph") != llvm::StringRef("M"))
      continue;
    std::optional<int64_t> tid = ev->getInteger("tid");
    const Object *args = ev->getObject("args");
    if (!tid || !args)
      continue;
    Track &t = tracks[*tid];
    t.tid = *tid;
    if (ev->getString("name") == llvm::StringRef("thread_name"))
      t.name = args->getString("name").value_or("").str();
    else if (ev->getString("name") == llvm::StringRef("thread_sort_index"))
      t.sort = args->getInteger("sort_index").value_or(*tid);
  }

  StringTable strings;
  Array ts, dur, wait, track, name, node, isa, tile, graph, waitedOn, waits, detail, index;
  std::map<int64_t, int64_t> trackIndex; // tid -> position in the tracks array
  std::vector<int64_t> instTid;
  for (const Value &v : *events) {
    const Object *ev = v.getAsObject();
    if (ev->getString("ph") != llvm::StringRef("X"))
      continue;
    const Object *args = ev->getObject("args");
    int64_t tid = ev->getInteger("tid").value_or(0);
    Track &t = tracks[tid];
    t.tid = tid;
    if (t.name.empty())
      t.name = args->getString("queue").value_or("").str();
    instTid.push_back(tid);
    ts.push_back(toPs(*ev->getNumber("ts")));
    dur.push_back(toPs(*ev->getNumber("dur")));
    wait.push_back(
        static_cast<int64_t>(std::llround(args->getNumber("wait_ns").value_or(0) * 1000)));
    auto str = [&](const Object *o, llvm::StringRef key) {
      return strings.intern(o->getString(key).value_or(""));
    };
    name.push_back(str(ev, "name"));
    node.push_back(str(args, "node"));
    isa.push_back(str(args, "isa_op"));
    tile.push_back(str(args, "tile_op"));
    graph.push_back(str(args, "graph_op"));
    waitedOn.push_back(str(args, "waited_on"));
    waits.push_back(str(args, "waits"));
    std::string extra;
    llvm::raw_string_ostream os(extra);
    if (std::optional<int64_t> flops = args->getInteger("flops"))
      os << *flops << " FLOPs " << args->getString("dtype").value_or("");
    if (std::optional<int64_t> bytes = args->getInteger("bytes"))
      os << *bytes << " bytes";
    detail.push_back(strings.intern(extra));
    index.push_back(args->getInteger("index").value_or(-1));
  }

  std::vector<Track> ordered;
  for (auto &[tid, t] : tracks)
    ordered.push_back(t);
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const Track &a, const Track &b) { return a.sort < b.sort; });
  Array trackJson;
  for (const Track &t : ordered) {
    trackIndex[t.tid] = trackJson.size();
    trackJson.push_back(Object{{"tid", t.tid}, {"name", t.name}, {"sort", t.sort}});
  }
  for (int64_t tid : instTid)
    track.push_back(trackIndex[tid]);

  PrintOptions all;
  all.topNodes = ~0u;
  all.topStalls = 10;
  std::string title = "trellis profile of " + summary->artifact + " on " + summary->target;
  Object data{
      {"title", title},
      {"summary", summaryToJson(*summary, all)},
      {"tracks", std::move(trackJson)},
      {"strings", strings.take()},
      {"inst", Object{{"ts", std::move(ts)},
                      {"dur", std::move(dur)},
                      {"wait", std::move(wait)},
                      {"track", std::move(track)},
                      {"name", std::move(name)},
                      {"node", std::move(node)},
                      {"isa", std::move(isa)},
                      {"tile", std::move(tile)},
                      {"graph", std::move(graph)},
                      {"waitedOn", std::move(waitedOn)},
                      {"waits", std::move(waits)},
                      {"detail", std::move(detail)},
                      {"index", std::move(index)}}},
  };
  std::string json;
  llvm::raw_string_ostream(json) << Value(std::move(data));

  return fillTemplate(kReportHtml, {{"TITLE", escapeHtml(title)},
                                    {"DATA", escapeJsonForScript(json)},
                                    {"SCRIPT", escapeJsForScript(kReportJs)}});
}

llvm::Error profile::writeHtmlReport(llvm::StringRef tracePath, llvm::StringRef outPath) {
  auto bad = [](const llvm::Twine &msg) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
  };
  llvm::Expected<std::string> text = readFile(tracePath);
  if (!text)
    return text.takeError(); // already names the file
  llvm::Expected<Value> json = llvm::json::parse(*text);
  if (!json)
    return bad(tracePath + ": not valid JSON: " + llvm::toString(json.takeError()));
  llvm::Expected<std::string> page = renderHtmlReport(*json);
  if (!page)
    return bad(tracePath + ": " + llvm::toString(page.takeError()));
  if (llvm::Error e = writeFileAtomically(outPath, *page))
    return e;
  return llvm::Error::success();
}
