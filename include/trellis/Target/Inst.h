//===- Inst.h - A decoded hardware instruction ----------------------------===//
//
// `Inst` is the in-memory form of one instruction: what the encoder writes,
// the decoder reads and the emulator executes. Its field names are the
// attribute names of the isa dialect's ops (dialects/isa/IsaOps.td), which
// is what lets one generic codec translate between the two.
//
//===----------------------------------------------------------------------===//
#ifndef TRELLIS_TARGET_INST_H
#define TRELLIS_TARGET_INST_H

#include "trellis/Target/IsaEnums.h"
#include "llvm/ADT/SmallVector.h"
#include <cstdint>
#include <string>

namespace trellis::isa {

/// Queue numbering: compute engines first, then the DMA queues.
enum : int64_t { kQueuePE = 0, kQueueACT = 1, kQueueDVE = 2, kQueuePOOL = 3, kQueueSP = 4, kFirstDmaQueue = 5 };

/// The engine kind of queue `q`.
EngineKind queueKind(int64_t q);
/// "pe", "act", "dve", "pool", "sp", or "qN" for DMA queue N.
std::string queueName(int64_t q);
/// Inverse of queueName; std::nullopt when `name` is not a queue name.
std::optional<int64_t> parseQueueName(llvm::StringRef name);

/// One tensor operand. See #isa.ap in IsaOps.td.
struct AccessPattern {
  Space space = Space::sbuf;
  int64_t partStart = 0;
  int64_t partCount = 0;  // 0 means "operand absent"
  int64_t partStride = 0; // elements; HBM only
  int64_t offset = 0;     // bytes: within a partition (SBUF/PSUM), absolute (HBM)
  DType dtype = DType::f32;
  llvm::SmallVector<int64_t, 4> sizes;   // free axes, outermost first
  llvm::SmallVector<int64_t, 4> strides; // in elements

  bool present() const { return partCount > 0; }
  int64_t freeElements() const;
  int64_t elementBytes() const { return dtypeBytes(dtype); }
  /// Byte offset (from `offset`) of free-axis element with linear index `i`.
  int64_t freeByteOffset(int64_t i) const;
  bool operator==(const AccessPattern &o) const;
};

/// The axes of an access that reach distinct bytes, in the one canonical
/// form that everything reasoning about an access's footprint shares (the
/// compiler's semaphore insertion, the emulator's hazard checker): unit and
/// broadcast (stride 0) axes dropped, negative strides flipped (`base`
/// moves to the lowest element), sorted by stride, and an axis merged into
/// the inner one when it continues it exactly. The partition axis counts
/// only where it is an address axis (HBM).
struct FootprintAxes {
  int64_t base = 0; // byte offset of the lowest element
  llvm::SmallVector<std::pair<int64_t, int64_t>, 6> axes; // (stride, size) in elements, inner first
};
FootprintAxes footprintAxes(int64_t offset, int64_t elementBytes, llvm::ArrayRef<int64_t> sizes,
                            llvm::ArrayRef<int64_t> strides, bool partitionIsAxis,
                            int64_t partCount, int64_t partStride);
inline FootprintAxes footprintAxes(const AccessPattern &ap) {
  return footprintAxes(ap.offset, ap.elementBytes(), ap.sizes, ap.strides,
                       ap.space == Space::hbm, ap.partCount, ap.partStride);
}

struct SemWait {
  int64_t queue = 0; // whose semaphore
  int64_t value = 0; // wait until it is >= value
  bool operator==(const SemWait &o) const { return queue == o.queue && value == o.value; }
};

struct Inst {
  Opcode opcode = Opcode::nop;
  int64_t queue = kQueueSP;
  llvm::SmallVector<SemWait, 2> waits;
  bool signal = false;

  AccessPattern dst, src0, src1;
  AccessPattern accum; // activation: per-partition sum of the result ([P, 1])
  ActFunc func = ActFunc::identity;
  AluOp op0 = AluOp::bypass, op1 = AluOp::bypass;
  float scale = 1.0f, imm0 = 0.0f, imm1 = 0.0f;
  bool start = false;                  // multiply_moving: overwrite PSUM
  int64_t base = 0, pstep = 0, fstep = 0; // iota
  int64_t keep = 0, group = 0;            // *_sparse: the N:M pattern (keep N of M)

  uint32_t debugId = 0; // index into the artifact's debug table

  bool operator==(const Inst &o) const;
};

} // namespace trellis::isa

#endif
