//===- Timing.h - Event-driven timing model ----------------------*- C++ -*-===//
//
// Per-queue clocks plus the shared state that couples queues: the tensor
// engine's pipeline (fill, background LoadStationary) and the DMA engines
// and HBM bandwidth every DMA queue shares. It sees only instruction shapes,
// never data, so timing-only runs time exactly like full runs. The emulator
// runs it, and the instruction scheduler (--trellis-schedule) plans with it;
// the formulas are in docs/timing.md.
//
//===----------------------------------------------------------------------===//
#ifndef TRELLIS_EMULATOR_TIMING_H
#define TRELLIS_EMULATOR_TIMING_H

#include "trellis/Target/ArchConfig.h"
#include "trellis/Target/Inst.h"
#include "llvm/Support/Error.h"
#include <vector>

namespace trellis::emu {

/// Rejects arch numbers the timing model would divide by or loop on.
llvm::Error checkTimingConfig(const ArchConfig &arch);

class TimingModel {
public:
  TimingModel(const ArchConfig &arch, int64_t numQueues);

  /// When `inst`'s queue could issue it, semaphores aside.
  double readyNs(const isa::Inst &inst) const;
  /// Runs `inst` from `startNs` (>= readyNs); returns its end time.
  double issue(const isa::Inst &inst, double startNs);
  /// Union of the queue's instruction intervals.
  double busyNs(int64_t q) const { return queues[q].busyNs; }
  bool used(int64_t q) const { return queues[q].used; }

private:
  struct QueueClock {
    double freeNs = 0;    // end of its last instruction
    double coveredNs = 0; // busy accounting: end of the covered prefix
    double busyNs = 0;
    bool used = false;
  };
  double issuePE(const isa::Inst &inst, double startNs);
  double issueDma(const isa::Inst &inst, double startNs);

  const ArchConfig &arch;
  std::vector<QueueClock> queues;
  // Tensor engine: the array streams one MultiplyMoving at a time; the next
  // LoadStationary loads in the background once the current MM has issued.
  bool anyMM = false;
  double mmStartNs = 0, mmEndNs = 0, lsEndNs = 0, peOtherEndNs = 0;
  // DMA: all queues share the DMA engines; HBM-touching DMAs share HBM.
  double dmaEnginesFreeNs = 0, hbmFreeNs = 0;
};

} // namespace trellis::emu

#endif
