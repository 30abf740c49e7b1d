//===- Emulator.h - Functional + timing emulator of a compiled program ----===//
//
// One definition of each instruction's semantics (lib/Emulator/Semantics.cpp)
// serves two models: the functional model (SBUF/PSUM/HBM images, real
// numerics, bounds and hazard checks) and the timing model (event-driven
// per-queue execution with semaphores, costs from the ArchConfig).
//
//===----------------------------------------------------------------------===//
#ifndef TRELLIS_EMULATOR_EMULATOR_H
#define TRELLIS_EMULATOR_EMULATOR_H

#include "trellis/Support/HostTensor.h"
#include "trellis/Target/Program.h"
#include "llvm/Support/Error.h"
#include <map>
#include <string>
#include <vector>

namespace trellis::emu {

struct RunOptions {
  bool timingOnly = false;           // skip arithmetic; same timing
  uint64_t maxInstructions = 0;      // 0: no limit
  /// Simulated time budget in cycles of the tensor engine's clock
  /// (ArchConfig::peClockGHz); an instruction ending later stops the run
  /// with an error. 0: no limit.
  uint64_t maxCycles = 0;
  bool checkHazards = true;
};

/// What one instruction did in time.
struct InstTiming {
  uint32_t index = 0; // into Program::instructions
  double startNs = 0, endNs = 0;
  double readyNs = 0;          // when the queue could have issued it
  int64_t waitedOnQueue = -1;  // the semaphore that held it longest, or -1
};

struct RunResult {
  std::map<std::string, HostTensor> outputs; // by ONNX output name
  std::vector<InstTiming> timeline;
  double deviceTimeNs = 0;
  std::map<int64_t, double> busyNsPerQueue;
  uint64_t instructionsExecuted = 0;
};

/// Runs `program` on `inputs` (by ONNX input name; each must match the
/// program's input table in dtype and shape).
llvm::Expected<RunResult> run(const Program &program, const ArchConfig &arch,
                              const std::map<std::string, HostTensor> &inputs,
                              const RunOptions &options = {});

/// As run(), for a caller that is done with the constants' bytes (a tool
/// that runs a program once): each constant's bytes are released from
/// `program` as soon as they are in the emulated HBM, so the weights are
/// held once rather than twice. Afterwards `program.constants` keep their
/// names and offsets but hold no bytes; a timing-only run still works.
llvm::Expected<RunResult> runReleasingConstants(Program &program, const ArchConfig &arch,
                                                const std::map<std::string, HostTensor> &inputs,
                                                const RunOptions &options = {});

} // namespace trellis::emu

#endif
