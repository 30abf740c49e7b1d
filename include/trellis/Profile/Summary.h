//===- Summary.h - Where the time went, from a trellis trace --------------===//
//
// Reads a trace written by writeChromeTrace (only the JSON: no artifact or
// arch config needed) and condenses it: busy time per engine, PE
// utilisation, achieved vs roofline, top stalls, time per ONNX node.
//
//===----------------------------------------------------------------------===//
#ifndef TRELLIS_PROFILE_SUMMARY_H
#define TRELLIS_PROFILE_SUMMARY_H

#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace trellis::profile {

struct QueueBusy {
  std::string name;  // "pe", "act", ..., "q3"
  int64_t queue = 0; // isa queue number
  bool isDma = false;
  double busyNs = 0; // length of the union of its instructions' intervals
  uint64_t instructions = 0;
};

/// Wait time of one waiting queue on one awaited queue.
struct Stall {
  std::string waiter, waitedOn;
  bool waitedOnDma = false;
  double waitNs = 0;
  uint64_t count = 0;
};

/// Summed instruction time of one ONNX node (or one graph op).
struct NodeTime {
  std::string name;    // "(none)" for instructions without one
  std::string graphOp; // for nodes: the graph op of their first instruction
  double timeNs = 0;
  uint64_t instructions = 0;
};

struct Summary {
  std::string artifact, target;
  uint64_t instructions = 0;
  double deviceTimeNs = 0;
  double instructionTimeNs = 0; // sum of all instruction durations

  std::vector<QueueBusy> queues; // in queue order (engines, then DMA)
  int64_t dmaQueues = 0;
  double dmaBusyNs = 0;     // time at least one DMA queue was busy
  double dmaQueueSumNs = 0; // busy time summed over DMA queues

  uint64_t totalFlops = 0;
  std::string matmulClass; // "bf16", "fp8", "fp32" or "none"
  double peakTflops = 0;   // of the matmul mix (see Roofline)
  double achievedTflops = 0;
  double peUtilization = 0; // achievedTflops / peakTflops, 0..1
  double peBusyNs = 0;

  int64_t minHbmBytes = 0;
  double hbmGBps = 0;
  double computeBoundNs = 0, memoryBoundNs = 0, rooflineNs = 0;
  double rooflineRatio = 0; // rooflineNs / deviceTimeNs, 0..1

  std::vector<Stall> stalls;      // largest wait first
  std::vector<NodeTime> nodes;    // by ONNX node, largest first
  std::vector<NodeTime> graphOps; // by graph op, largest first

  double pct(double ns) const { return deviceTimeNs > 0 ? 100.0 * ns / deviceTimeNs : 0.0; }
};

/// Summarises a parsed trace. Errors (one line) say what is missing or
/// malformed, e.g. "not a trellis profile: no otherData.format".
llvm::Expected<Summary> summarize(const llvm::json::Value &trace);

/// Reads, parses and summarises the file at `path`; errors start with it.
llvm::Expected<Summary> summarizeFile(llvm::StringRef path);

struct PrintOptions {
  unsigned topNodes = 10; // rows of the node and graph-op tables
  unsigned topStalls = 5;
};

void printSummaryText(const Summary &s, llvm::raw_ostream &os, const PrintOptions &options = {});

/// The summary as JSON: device_time_us, roofline_time_us, roofline_ratio,
/// pe_utilization, engines (name -> busy_us), stalls, nodes, ...
llvm::json::Value summaryToJson(const Summary &s, const PrintOptions &options = {});

/// summaryToJson, printed with sorted keys and 10 significant digits.
void printSummaryJson(const Summary &s, llvm::raw_ostream &os, const PrintOptions &options = {});

} // namespace trellis::profile

#endif
