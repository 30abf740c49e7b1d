//===- Html.cpp - Self-contained HTML profile report ----------------------===//
//
// The page (report.html + report.js, embedded by EmbedFile.cmake) reads one
// JSON object from <script id="trellis-data">:
//   title            the page title
//   runs             one run (`html`) or two (`diff --html`), each:
//     label, title   "A"/"B" and what was profiled
//     summary        summaryToJson of the trace, with every node and op row
//     tracks         [{tid, name, sort}] in display order
//     strings        string table for the columns below
//     inst           columns, one entry per instruction ("ph":"X" event):
//                    ts, dur, wait (picoseconds, integers); track (index into
//                    tracks); flops, bytes (integers), hbm (0/1: a DMA that
//                    reads or writes HBM); name, node, isa, tile, graph,
//                    waitedOn, waits, dtype, asm (indices into strings); index
//                    (artifact position)
//   diff             (two runs) diffToJson of their summaries
// Columns instead of one object per instruction keep a 1M-instruction report
// tens of MB instead of hundreds, and let the script use typed arrays.
//
//===----------------------------------------------------------------------===//

#include "trellis/Profile/Html.h"
#include "trellis/Profile/Diff.h"
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

/// One run of the page: its summary, tracks and instruction columns.
static llvm::Expected<Object> buildRun(const Value &trace, llvm::StringRef label,
                                       Summary *summaryOut) {
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
  Array ts, dur, wait, track, flops, bytes, hbm, name, node, isa, tile, graph, waitedOn, waits,
      dtype, asmText, index;
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
    flops.push_back(std::max<int64_t>(0, args->getInteger("flops").value_or(0)));
    bytes.push_back(std::max<int64_t>(0, args->getInteger("bytes").value_or(0)));
    hbm.push_back(args->getBoolean("hbm").value_or(false) ? 1 : 0);
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
    dtype.push_back(str(args, "dtype"));
    asmText.push_back(str(args, "asm"));
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
  std::string title = summary->artifact + " on " + summary->target;
  Object run{
      {"label", label},
      {"title", title},
      {"summary", summaryToJson(*summary, all)},
      {"tracks", std::move(trackJson)},
      {"strings", strings.take()},
      {"inst", Object{{"ts", std::move(ts)},
                      {"dur", std::move(dur)},
                      {"wait", std::move(wait)},
                      {"track", std::move(track)},
                      {"flops", std::move(flops)},
                      {"bytes", std::move(bytes)},
                      {"hbm", std::move(hbm)},
                      {"name", std::move(name)},
                      {"node", std::move(node)},
                      {"isa", std::move(isa)},
                      {"tile", std::move(tile)},
                      {"graph", std::move(graph)},
                      {"waitedOn", std::move(waitedOn)},
                      {"waits", std::move(waits)},
                      {"dtype", std::move(dtype)},
                      {"asm", std::move(asmText)},
                      {"index", std::move(index)}}},
  };
  if (summaryOut)
    *summaryOut = std::move(*summary);
  return run;
}

/// The page around `data` (which holds "title").
static std::string renderPage(Object data) {
  std::string title = data.getString("title").value_or("").str();
  std::string json;
  llvm::raw_string_ostream(json) << Value(std::move(data));
  return fillTemplate(kReportHtml, {{"TITLE", escapeHtml(title)},
                                    {"DATA", escapeJsonForScript(json)},
                                    {"SCRIPT", escapeJsForScript(kReportJs)}});
}

llvm::Expected<std::string> profile::renderHtmlReport(const Value &trace) {
  llvm::Expected<Object> run = buildRun(trace, "", nullptr);
  if (!run)
    return run.takeError();
  std::string title = "trellis profile of " + run->getString("title").value_or("").str();
  return renderPage(Object{{"title", title}, {"runs", Array{std::move(*run)}}});
}

llvm::Expected<std::string> profile::renderHtmlDiff(const Value &traceA, const Value &traceB) {
  Summary a, b;
  llvm::Expected<Object> runA = buildRun(traceA, "A", &a);
  if (!runA)
    return runA.takeError();
  llvm::Expected<Object> runB = buildRun(traceB, "B", &b);
  if (!runB)
    return runB.takeError();
  std::string title = "trellis profile diff: A " + runA->getString("title").value_or("").str() +
                      ", B " + runB->getString("title").value_or("").str();
  return renderPage(Object{{"title", title},
                           {"runs", Array{std::move(*runA), std::move(*runB)}},
                           {"diff", diffToJson(diffSummaries(a, b), 25)}});
}

/// The parsed JSON of a trace file; errors name the file.
static llvm::Expected<Value> readTrace(llvm::StringRef path) {
  llvm::Expected<std::string> text = readFile(path);
  if (!text)
    return text.takeError(); // already names the file
  llvm::Expected<Value> json = llvm::json::parse(*text);
  if (!json)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   path + ": not valid JSON: " + llvm::toString(json.takeError()));
  return json;
}

static llvm::Error named(llvm::StringRef path, llvm::Error e) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 path + ": " + llvm::toString(std::move(e)));
}

llvm::Error profile::writeHtmlReport(llvm::StringRef tracePath, llvm::StringRef outPath) {
  llvm::Expected<Value> trace = readTrace(tracePath);
  if (!trace)
    return trace.takeError();
  llvm::Expected<std::string> page = renderHtmlReport(*trace);
  if (!page)
    return named(tracePath, page.takeError());
  return writeFileAtomically(outPath, *page);
}

llvm::Error profile::writeHtmlDiff(llvm::StringRef pathA, llvm::StringRef pathB,
                                   llvm::StringRef outPath) {
  llvm::Expected<Value> a = readTrace(pathA);
  if (!a)
    return a.takeError();
  llvm::Expected<Value> b = readTrace(pathB);
  if (!b)
    return b.takeError();
  // Name the file whose trace is bad.
  if (llvm::Expected<Summary> s = summarize(*a); !s)
    return named(pathA, s.takeError());
  if (llvm::Expected<Summary> s = summarize(*b); !s)
    return named(pathB, s.takeError());
  llvm::Expected<std::string> page = renderHtmlDiff(*a, *b);
  if (!page)
    return page.takeError();
  return writeFileAtomically(outPath, *page);
}
