//===- ArchConfig.h - A target's numbers, read from targets/*.json --------===//
//
// Every machine number the compiler and the emulator use lives in one arch
// config file. This struct is its in-memory form; docs/targets.md documents
// each field and its public source.
//
//===----------------------------------------------------------------------===//
#ifndef TRELLIS_TARGET_ARCHCONFIG_H
#define TRELLIS_TARGET_ARCHCONFIG_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include <string>
#include <vector>

namespace trellis {

struct EngineTiming {
  double clockGHz = 1.0;
  int64_t lanes = 128;          // partitions processed per cycle
  int64_t elementsPerCycle = 1; // per lane
  int64_t fixedCycles = 60;     // per-instruction static overhead
  int64_t minIntervalCycles = 64;
};

struct ArchConfig {
  std::string name;
  std::string source; // the JSON text it was read from (stored in artifacts)

  // Tensor engine.
  int64_t peRows = 128, peCols = 128;
  double peClockGHz = 2.4;
  int64_t mmMinIntervalCycles = 64;  // MultiplyMoving issue interval floor
  int64_t mmFp32Slowdown = 4;
  int64_t lsSpeedup = 4;             // fast LoadStationary vs. MM of the same size
  int64_t peFillCycles = 128;        // pipeline fill/drain
  double peakTflopsBf16 = 79, peakTflopsFp8 = 158, peakTflopsFp32 = 20, peakTflopsSparse = 316;

  EngineTiming act, dve, pool, sp;

  // On-chip memories.
  int64_t partitions = 128;
  int64_t sbufBytesPerPartition = 224 * 1024;
  int64_t psumBytesPerPartition = 16 * 1024;
  int64_t psumBanks = 8;

  // HBM and DMA.
  int64_t hbmBytes = 0;        // per core
  double hbmGBps = 360;        // per core
  int64_t dmaEngines = 16;
  int64_t dmaQueues = 16;      // queues the compiler may use
  double dmaEngineGBps = 23;   // per DMA engine
  double dmaFixedLatencyNs = 1300;
  double dmaDescriptorNs = 600;
  int64_t dmaStridePenaltyBytes = 16; // innermost stride above this halves bandwidth
  int64_t dmaEfficientBytesPerPartition = 2048;

  std::vector<std::string> dtypes;           // supported element types
  std::vector<std::string> sparsityPatterns; // e.g. "2:4"

  int64_t sbufBytes() const { return partitions * sbufBytesPerPartition; }
  int64_t psumBankBytes() const { return psumBytesPerPartition / psumBanks; }
};

/// Parses an arch config from JSON text. Errors name the offending field.
llvm::Expected<ArchConfig> parseArchConfig(llvm::StringRef json, llvm::StringRef origin);
/// Loads "trn2" / "trn1" / "inf2" (from the installed targets/ directory) or
/// a path to a .json file.
llvm::Expected<ArchConfig> loadArchConfig(llvm::StringRef nameOrPath);
/// Directory holding the bundled targets/*.json.
std::string targetsDirectory();

} // namespace trellis

#endif
