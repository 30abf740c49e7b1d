//===- trellis-profile.cpp - Summarise a trellis-run --profile trace ------===//
//
//   trellis-profile summary TRACE.json [--json] [--top N] [--stalls N]
//   trellis-profile diff A.json B.json [--json] [--top N]
//   trellis-profile html TRACE.json -o REPORT.html
//
//===----------------------------------------------------------------------===//

#include "trellis/Profile/Diff.h"
#include "trellis/Profile/Html.h"
#include "trellis/Profile/Summary.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

using namespace trellis;
namespace cl = llvm::cl;

static cl::OptionCategory category("trellis-profile options");
static cl::list<std::string> positional(cl::Positional, cl::desc("<command> <trace.json>..."),
                                        cl::OneOrMore, cl::cat(category));
static cl::opt<bool> asJson("json",
                            cl::desc("Print the summary as one JSON object (device_time_us, "
                                     "roofline_time_us, roofline_ratio, pe_utilization, engines, "
                                     "stalls, nodes, ...) instead of text"),
                            cl::cat(category));
static cl::opt<unsigned> topNodes("top",
                                  cl::desc("Rows of the per-ONNX-node and per-graph-op tables "
                                           "(default 10)"),
                                  cl::init(10), cl::value_desc("N"), cl::cat(category));
static cl::opt<std::string> outputFile("o",
                                       cl::desc("'html' and 'diff --html': the report file to write"),
                                       cl::value_desc("report.html"), cl::cat(category));
static cl::opt<bool> diffHtml("html",
                              cl::desc("'diff': write an HTML report (-o) with the two timelines "
                                       "one above the other and the diff tables"),
                              cl::cat(category));
static cl::opt<unsigned> topStalls("stalls",
                                   cl::desc("Rows of the stall table: (waiting engine, awaited "
                                            "queue) pairs by total wait (default 5)"),
                                   cl::init(5), cl::value_desc("N"), cl::cat(category));

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "trellis-profile: summarise an instruction-level profile written by "
      "`trellis-run --profile trace.json`\n\n"
      "Commands:\n"
      "  summary <trace.json>   device time, busy time per engine and DMA queue, PE "
      "utilisation,\n"
      "                         achieved vs roofline, top stalls, time per ONNX node and graph "
      "op\n"
      "  diff <a.json> <b.json> the same figures of two runs side by side with deltas "
      "(B - A);\n"
      "                         rows of nodes, graph ops and stalls by largest change;\n"
      "                         --html -o <diff.html>: both timelines, A above B, on one axis\n"
      "  html <trace.json> -o <report.html>\n"
      "                         one self-contained HTML file: zoomable timeline per engine "
      "and\n"
      "                         DMA queue under PE utilisation and HBM bandwidth over time,\n"
      "                         summary, sortable time per ONNX node / graph op\n\n"
      "The trace itself opens in https://ui.perfetto.dev, or offline with `html` "
      "(docs/profiling.md).\n");
  auto error = [](const llvm::Twine &msg) {
    llvm::errs() << "trellis-profile: error: " << msg << "\n";
    return 1;
  };
  std::string command = positional[0];
  size_t files = positional.size() - 1;
  if (command != "summary" && command != "diff" && command != "html")
    return error("unknown command '" + command + "' (expected 'summary', 'diff' or 'html')");
  if (command == "summary" && files != 1)
    return error("'summary' takes one trace file, got " + llvm::Twine(files));
  if (command == "diff" && files != 2)
    return error("'diff' takes two trace files, got " + llvm::Twine(files));
  if (diffHtml && command != "diff")
    return error("--html applies to 'diff' ('html' writes the report of one trace)");
  if (command == "html") {
    if (files != 1)
      return error("'html' takes one trace file, got " + llvm::Twine(files));
    if (outputFile.empty())
      return error("'html' needs -o <report.html>");
    if (llvm::Error e = profile::writeHtmlReport(positional[1], outputFile))
      return error(llvm::toString(std::move(e)));
    return 0;
  }

  if (command == "diff" && diffHtml) {
    if (outputFile.empty())
      return error("'diff --html' needs -o <diff.html>");
    if (llvm::Error e = profile::writeHtmlDiff(positional[1], positional[2], outputFile))
      return error(llvm::toString(std::move(e)));
    return 0;
  }

  std::vector<profile::Summary> summaries;
  for (size_t i = 1; i < positional.size(); ++i) {
    auto summary = profile::summarizeFile(positional[i]);
    if (!summary)
      return error(llvm::toString(summary.takeError()));
    summaries.push_back(std::move(*summary));
  }
  if (command == "diff") {
    profile::SummaryDiff d = profile::diffSummaries(summaries[0], summaries[1]);
    if (asJson)
      llvm::outs() << llvm::formatv("{0:2}", profile::diffToJson(d, topNodes)) << "\n";
    else
      profile::printDiffText(d, llvm::outs(), topNodes);
    return 0;
  }
  profile::PrintOptions options;
  options.topNodes = topNodes;
  options.topStalls = topStalls;
  if (asJson)
    profile::printSummaryJson(summaries[0], llvm::outs(), options);
  else
    profile::printSummaryText(summaries[0], llvm::outs(), options);
  return 0;
}
