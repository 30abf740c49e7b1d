//===- trellis-profile.cpp - Summarise a trellis-run --profile trace ------===//
//
//   trellis-profile summary TRACE.json [--json] [--top N] [--stalls N]
//
//===----------------------------------------------------------------------===//

#include "trellis/Profile/Summary.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

using namespace trellis;
namespace cl = llvm::cl;

static cl::OptionCategory category("trellis-profile options");
static cl::opt<std::string> command(cl::Positional, cl::desc("<command>"), cl::Required,
                                    cl::cat(category));
static cl::opt<std::string> traceFile(cl::Positional, cl::desc("<trace.json>"), cl::Required,
                                      cl::cat(category));
static cl::opt<bool> asJson("json",
                            cl::desc("Print the summary as one JSON object (device_time_us, "
                                     "roofline_time_us, roofline_ratio, pe_utilization, engines, "
                                     "stalls, nodes, ...) instead of text"),
                            cl::cat(category));
static cl::opt<unsigned> topNodes("top",
                                  cl::desc("Rows of the per-ONNX-node and per-graph-op tables "
                                           "(default 10)"),
                                  cl::init(10), cl::value_desc("N"), cl::cat(category));
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
      "op\n\n"
      "The trace itself opens in https://ui.perfetto.dev or chrome://tracing "
      "(docs/profiling.md).\n");
  if (command != "summary") {
    llvm::errs() << "trellis-profile: error: unknown command '" << command
                 << "' (expected 'summary')\n";
    return 1;
  }
  auto summary = profile::summarizeFile(traceFile);
  if (!summary) {
    llvm::errs() << "trellis-profile: error: " << llvm::toString(summary.takeError()) << "\n";
    return 1;
  }
  profile::PrintOptions options;
  options.topNodes = topNodes;
  options.topStalls = topStalls;
  if (asJson)
    profile::printSummaryJson(*summary, llvm::outs(), options);
  else
    profile::printSummaryText(*summary, llvm::outs(), options);
  return 0;
}
