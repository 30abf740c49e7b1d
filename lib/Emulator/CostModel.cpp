//===- CostModel.cpp - Per-instruction costs from the ArchConfig ----------===//

#include "trellis/Emulator/CostModel.h"
#include "Memory.h"
#include <algorithm>
#include <cmath>

using namespace trellis;
using namespace trellis::emu;
using isa::AccessPattern;
using isa::EngineKind;
using isa::Inst;
using isa::Opcode;

static int64_t ceilDiv(int64_t a, int64_t b) { return b <= 0 ? a : (a + b - 1) / b; }

static const EngineTiming *engineOf(const ArchConfig &arch, EngineKind k) {
  switch (k) {
  case EngineKind::act:
    return &arch.act;
  case EngineKind::dve:
    return &arch.dve;
  case EngineKind::pool:
    return &arch.pool;
  case EngineKind::sp:
    return &arch.sp;
  default:
    return nullptr;
  }
}

double emu::queueClockGHz(const ArchConfig &arch, int64_t q) {
  EngineKind k = isa::queueKind(q);
  if (k == EngineKind::pe)
    return arch.peClockGHz;
  if (const EngineTiming *e = engineOf(arch, k))
    return e->clockGHz;
  return 0.0;
}

int64_t emu::engineCycles(const Inst &inst, const EngineTiming &engine) {
  if (inst.opcode == Opcode::nop)
    return 0;
  int64_t free = 0, parts = 1;
  for (const AccessPattern *ap : {&inst.dst, &inst.src0})
    if (ap->present()) {
      free = std::max(free, freeCount(*ap));
      parts = std::max(parts, ap->partCount);
    }
  int64_t inputs = inst.opcode == Opcode::tensor_tensor ? 2 : 1;
  int64_t stream = ceilDiv(free * inputs, engine.elementsPerCycle);
  int64_t perPass = std::max(engine.minIntervalCycles, engine.fixedCycles + stream);
  return perPass * ceilDiv(parts, engine.lanes);
}

int64_t emu::sparseMaxRatio(const ArchConfig &arch) {
  if (arch.peakTflopsBf16 <= 0)
    return 1;
  return std::max<int64_t>(1, int64_t(arch.peakTflopsSparse / arch.peakTflopsBf16 + 1e-9));
}

int64_t emu::multiplyMovingCycles(const Inst &inst, const ArchConfig &arch) {
  int64_t columns = freeCount(inst.src0);
  if (inst.opcode == Opcode::multiply_moving_sparse && inst.keep > 0 &&
      inst.group >= inst.keep) {
    // One moving column per cycle, each PE row reading `ratio` moving rows
    // ([Kc, ratio, N]); beyond sparseMaxRatio rows per cycle the read, not
    // the array, sets the pace.
    int64_t ratio = inst.group / inst.keep;
    columns = ceilDiv(columns, std::min(ratio, sparseMaxRatio(arch)));
  }
  int64_t c = std::max(columns, arch.mmMinIntervalCycles);
  return inst.src0.dtype == isa::DType::f32 ? c * arch.mmFp32Slowdown : c;
}

int64_t emu::loadStationaryCycles(const Inst &inst, const ArchConfig &arch) {
  int64_t c = ceilDiv(std::max(freeCount(inst.src0), arch.mmMinIntervalCycles),
                      std::max<int64_t>(arch.lsSpeedup, 1));
  return inst.src0.dtype == isa::DType::f32 ? c * arch.mmFp32Slowdown : c;
}

int64_t emu::dmaBytes(const Inst &inst) {
  auto bytes = [](const AccessPattern &ap) {
    return ap.partCount * freeCount(ap) * ap.elementBytes();
  };
  // A gather reads one table row per dst partition, not the whole table.
  if (inst.opcode == Opcode::dma_gather)
    return bytes(inst.dst);
  return std::max(bytes(inst.dst), bytes(inst.src0));
}

bool emu::isStridePenalised(const AccessPattern &ap, const ArchConfig &arch) {
  // The innermost axis that actually moves decides contiguity; unit axes
  // are skipped. With no moving free axis, HBM rows are `partStride` apart
  // while SBUF partitions are separate lanes (contiguous each).
  int64_t eb = ap.elementBytes();
  for (size_t d = ap.sizes.size(); d-- > 0;)
    if (ap.sizes[d] > 1)
      return std::llabs(ap.strides[d]) * eb > arch.dmaStridePenaltyBytes;
  if (ap.space == isa::Space::hbm && ap.partCount > 1)
    return std::llabs(ap.partStride) * eb > arch.dmaStridePenaltyBytes;
  return false;
}

double emu::dmaBandwidthGBps(const Inst &inst, const ArchConfig &arch) {
  double bw = arch.dmaEngineGBps * double(arch.dmaEngines);
  int hbmSides = (inst.dst.space == isa::Space::hbm) + (inst.src0.space == isa::Space::hbm);
  if (hbmSides)
    bw = std::min(bw, arch.hbmGBps / hbmSides);
  if (isStridePenalised(inst.dst, arch) || isStridePenalised(inst.src0, arch))
    bw /= 2;
  return bw;
}

double emu::isolatedCostNs(const Inst &inst, const ArchConfig &arch) {
  EngineKind k = isa::queueKind(inst.queue);
  switch (inst.opcode) {
  case Opcode::nop:
    return 0.0;
  case Opcode::dma:
  case Opcode::dma_gather:
    return arch.dmaFixedLatencyNs + double(dmaBytes(inst)) / dmaBandwidthGBps(inst, arch);
  case Opcode::multiply_moving:
  case Opcode::multiply_moving_sparse:
    return double(multiplyMovingCycles(inst, arch) + arch.peFillCycles) / arch.peClockGHz;
  case Opcode::load_stationary:
  case Opcode::load_stationary_sparse:
    return double(loadStationaryCycles(inst, arch)) / arch.peClockGHz;
  default:
    if (const EngineTiming *e = engineOf(arch, k))
      return double(engineCycles(inst, *e)) / e->clockGHz;
    return 0.0;
  }
}
