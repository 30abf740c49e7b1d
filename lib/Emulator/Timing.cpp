//===- Timing.cpp - Event-driven timing model -----------------------------===//

#include "trellis/Emulator/Timing.h"
#include "trellis/Emulator/CostModel.h"
#include <algorithm>

using namespace trellis;
using namespace trellis::emu;
using isa::EngineKind;
using isa::Inst;
using isa::Opcode;

llvm::Error emu::checkTimingConfig(const ArchConfig &arch) {
  auto positive = [](double v, const char *field) -> llvm::Error {
    if (!(v > 0))
      return llvm::createStringError("arch config '%s' must be positive for the emulator", field);
    return llvm::Error::success();
  };
  struct {
    double v;
    const char *name;
  } fields[] = {
      {arch.peClockGHz, "peClockGHz"},
      {arch.act.clockGHz, "act.clockGHz"},
      {arch.dve.clockGHz, "dve.clockGHz"},
      {arch.pool.clockGHz, "pool.clockGHz"},
      {arch.sp.clockGHz, "sp.clockGHz"},
      {double(arch.act.lanes), "act.lanes"},
      {double(arch.dve.lanes), "dve.lanes"},
      {double(arch.pool.lanes), "pool.lanes"},
      {double(arch.sp.lanes), "sp.lanes"},
      {double(arch.act.elementsPerCycle), "act.elementsPerCycle"},
      {double(arch.dve.elementsPerCycle), "dve.elementsPerCycle"},
      {double(arch.pool.elementsPerCycle), "pool.elementsPerCycle"},
      {double(arch.sp.elementsPerCycle), "sp.elementsPerCycle"},
      {double(arch.peRows), "peRows"},
      {double(arch.peCols), "peCols"},
      {double(arch.partitions), "partitions"},
      {double(arch.sbufBytesPerPartition), "sbufBytesPerPartition"},
      {double(arch.psumBytesPerPartition), "psumBytesPerPartition"},
      {double(arch.psumBanks), "psumBanks"},
      {arch.hbmGBps, "hbmGBps"},
      {double(arch.dmaEngines), "dmaEngines"},
      {double(arch.dmaQueues), "dmaQueues"},
      {arch.dmaEngineGBps, "dmaEngineGBps"},
  };
  for (auto &f : fields)
    if (auto e = positive(f.v, f.name))
      return e;
  return llvm::Error::success();
}

TimingModel::TimingModel(const ArchConfig &arch, int64_t numQueues)
    : arch(arch), queues(size_t(numQueues)) {}

double TimingModel::readyNs(const Inst &inst) const {
  if (isa::queueKind(inst.queue) != EngineKind::pe)
    return queues[inst.queue].freeNs;
  double r = std::max(lsEndNs, peOtherEndNs);
  // A LoadStationary may start as soon as the MM before it has issued
  // (background load); anything else waits for the array to finish.
  bool ls = inst.opcode == Opcode::load_stationary ||
            inst.opcode == Opcode::load_stationary_sparse;
  return std::max(r, ls ? mmStartNs : mmEndNs);
}

double TimingModel::issuePE(const Inst &inst, double start) {
  double ghz = arch.peClockGHz;
  switch (inst.opcode) {
  case Opcode::load_stationary:
  case Opcode::load_stationary_sparse:
    lsEndNs = start + double(loadStationaryCycles(inst, arch)) / ghz;
    return lsEndNs;
  case Opcode::multiply_moving:
  case Opcode::multiply_moving_sparse: {
    // Pipeline fill: a stream of back-to-back MMs pays it once. Data
    // entering an idle array always needs the full fill, however short the
    // gap (the drain of the previous MM does not prefill the next one).
    double fillNs = double(arch.peFillCycles) / ghz;
    if (anyMM && start <= mmEndNs)
      fillNs = 0;
    anyMM = true;
    mmStartNs = start;
    mmEndNs = start + double(multiplyMovingCycles(inst, arch)) / ghz + fillNs;
    return mmEndNs;
  }
  default:
    peOtherEndNs = start;
    return start;
  }
}

double TimingModel::issueDma(const Inst &inst, double start) {
  // Fixed latency first, then the transfer; the transfer waits for the DMA
  // engines (shared by every queue) and for HBM (shared by HBM DMAs). HBM
  // is held for the bytes it serves at full rate, the engines for the whole
  // transfer (a strided transfer keeps them busy longer).
  double bytes = double(dmaBytes(inst));
  double bw = dmaBandwidthGBps(inst, arch);
  int hbmSides = (inst.dst.space == isa::Space::hbm) + (inst.src0.space == isa::Space::hbm);
  double xferStart = std::max(start + arch.dmaFixedLatencyNs, dmaEnginesFreeNs);
  if (hbmSides)
    xferStart = std::max(xferStart, hbmFreeNs);
  double end = xferStart + bytes / bw;
  dmaEnginesFreeNs = end;
  if (hbmSides)
    hbmFreeNs = xferStart + bytes * hbmSides / arch.hbmGBps;
  return end;
}

double TimingModel::issue(const Inst &inst, double start) {
  QueueClock &q = queues[inst.queue];
  EngineKind kind = isa::queueKind(inst.queue);
  double end;
  if (kind == EngineKind::pe)
    end = issuePE(inst, start);
  else if (inst.opcode == Opcode::nop)
    end = start;
  else if (kind == EngineKind::dma)
    end = issueDma(inst, start);
  else
    end = start + isolatedCostNs(inst, arch);
  q.used = true;
  q.freeNs = std::max(q.freeNs, end);
  q.busyNs += std::max(0.0, end - std::max(start, q.coveredNs));
  q.coveredNs = std::max(q.coveredNs, end);
  return end;
}
