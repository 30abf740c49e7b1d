//===- Html.h - Self-contained HTML profile report ------------------------===//
//
// Turns a trace written by writeChromeTrace into one HTML file that opens
// offline: a canvas timeline (PE utilisation and HBM bandwidth over time,
// one lane per engine and DMA queue), the summary (summaryToJson) and a
// sortable table of time per ONNX node and graph op; or, for two traces,
// both timelines on one time axis and the diff of their summaries. The page's markup and script are lib/Profile/report.html and
// report.js, embedded at build time; the trace goes in as compact JSON.
//
//===----------------------------------------------------------------------===//
#ifndef TRELLIS_PROFILE_HTML_H
#define TRELLIS_PROFILE_HTML_H

#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"
#include <string>

namespace trellis::profile {

/// The report of a parsed trace. Errors (one line) are those of summarize.
llvm::Expected<std::string> renderHtmlReport(const llvm::json::Value &trace);

/// Reads the trace at `tracePath` and writes its report to `outPath`
/// atomically. Errors start with the file they concern.
llvm::Error writeHtmlReport(llvm::StringRef tracePath, llvm::StringRef outPath);

/// Two runs, A above B, with the figures of diffToJson (B - A).
llvm::Expected<std::string> renderHtmlDiff(const llvm::json::Value &traceA,
                                           const llvm::json::Value &traceB);
llvm::Error writeHtmlDiff(llvm::StringRef pathA, llvm::StringRef pathB, llvm::StringRef outPath);

} // namespace trellis::profile

#endif
