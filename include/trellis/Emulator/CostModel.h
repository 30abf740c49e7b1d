//===- CostModel.h - Per-instruction costs of the timing model -------------===//
//
// The isolated cost of one instruction (no contention, no pipeline state),
// computed from the ArchConfig. The emulator's timing model adds the
// stateful parts (PE fill, background LoadStationary, shared DMA/HBM
// bandwidth, semaphores) on top; an instruction scheduler can call these to
// rank candidates with the same numbers. docs/timing.md gives the formulas.
//
//===----------------------------------------------------------------------===//
#ifndef TRELLIS_EMULATOR_COSTMODEL_H
#define TRELLIS_EMULATOR_COSTMODEL_H

#include "trellis/Target/ArchConfig.h"
#include "trellis/Target/Inst.h"

namespace trellis::emu {

/// Clock (GHz) of the engine behind queue `q`; 0 for DMA queues.
double queueClockGHz(const ArchConfig &arch, int64_t q);

/// Cycles of an act/dve/pool/sp instruction:
/// max(minIntervalCycles, fixedCycles + ceil(free * inputs / elementsPerCycle))
/// per ceil(partitions / lanes) pass. 0 for nop.
int64_t engineCycles(const isa::Inst &inst, const EngineTiming &engine);

/// Moving rows a PE row can take per cycle in a sparse MultiplyMoving: the
/// sparse peak over the dense one (trn2: 316 / 79 = 4); 1 without sparsity.
int64_t sparseMaxRatio(const ArchConfig &arch);

/// MultiplyMoving issue cycles without pipeline fill:
/// max(N, mmMinIntervalCycles), times mmFp32Slowdown for an f32 moving tensor.
/// multiply_moving_sparse (moving [Kc, ratio * N]): N becomes
/// ceil(ratio * N / min(ratio, sparseMaxRatio)).
int64_t multiplyMovingCycles(const isa::Inst &inst, const ArchConfig &arch);

/// LoadStationary cycles: ceil(max(M, mmMinIntervalCycles) / lsSpeedup),
/// times mmFp32Slowdown for an f32 stationary tensor (also the sparse load:
/// the compressed values, the tags riding along).
int64_t loadStationaryCycles(const isa::Inst &inst, const ArchConfig &arch);

/// Bytes a DMA moves (the larger of its two sides when it casts).
int64_t dmaBytes(const isa::Inst &inst);

/// Effective bandwidth of a DMA in GB/s (= bytes/ns): min(dmaEngineGBps *
/// dmaEngines, hbmGBps when a side is in HBM, hbmGBps / 2 when both are),
/// halved when either side's innermost stride exceeds dmaStridePenaltyBytes.
double dmaBandwidthGBps(const isa::Inst &inst, const ArchConfig &arch);

/// True when the operand's innermost non-unit axis is not contiguous enough
/// for full DMA bandwidth (stride above arch.dmaStridePenaltyBytes).
bool isStridePenalised(const isa::AccessPattern &ap, const ArchConfig &arch);

/// Duration of `inst` run alone on an idle machine, in ns (includes one PE
/// fill for a multiply_moving and the DMA fixed latency).
double isolatedCostNs(const isa::Inst &inst, const ArchConfig &arch);

} // namespace trellis::emu

#endif
