//===- Diff.h - Compare two profile summaries -----------------------------===//
//
// `trellis-profile diff a.json b.json`: what changed between two runs, row by
// row (device time, roofline, busy time per engine, time per ONNX node and
// graph op, stall reasons), with deltas.
//
//===----------------------------------------------------------------------===//
#ifndef TRELLIS_PROFILE_DIFF_H
#define TRELLIS_PROFILE_DIFF_H

#include "trellis/Profile/Summary.h"

namespace trellis::profile {

/// One row present in either run (0 where absent), in ns.
struct DiffRow {
  std::string name;
  double a = 0, b = 0;
  double delta() const { return b - a; }
};

struct SummaryDiff {
  Summary a, b;
  std::vector<DiffRow> engines;  // queue order of a, then queues only in b
  std::vector<DiffRow> nodes;    // largest |delta| first
  std::vector<DiffRow> graphOps; // largest |delta| first
  std::vector<DiffRow> stalls;   // "waiter <- waited-on", largest |delta| first
};

SummaryDiff diffSummaries(const Summary &a, const Summary &b);

void printDiffText(const SummaryDiff &d, llvm::raw_ostream &os, unsigned top = 10);
llvm::json::Value diffToJson(const SummaryDiff &d, unsigned top = 10);

} // namespace trellis::profile

#endif
