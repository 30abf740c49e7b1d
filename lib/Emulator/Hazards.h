//===- Hazards.h - Cross-queue data-race detector ----------------*- C++ -*-===//
//
// Reports two instructions on different queues that touch the same bytes (at
// least one writing) with no happens-before path between them. Happens-before
// is program order within a queue plus semaphore edges, tracked with one
// vector clock per queue (FastTrack-style epochs per access).
//
// Granularity: memory is split into 64-byte chunks (per partition for SBUF
// and PSUM, flat for HBM); each chunk keeps the recent accesses that still
// own some of its bytes as (epoch, 64-bit byte mask, read/write). Conflicts
// are therefore byte-exact, and the cost of an access is proportional to the
// chunks it touches, not to the number of earlier instructions.
//
//===----------------------------------------------------------------------===//
#ifndef TRELLIS_LIB_EMULATOR_HAZARDS_H
#define TRELLIS_LIB_EMULATOR_HAZARDS_H

#include "trellis/Target/ArchConfig.h"
#include "trellis/Target/Inst.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"
#include <deque>
#include <memory>
#include <optional>
#include <vector>

namespace trellis::emu {

/// Position of an instruction in the happens-before order.
struct Epoch {
  uint32_t inst = 0;  // index into Program::instructions
  uint32_t seq = 0;   // 1-based position within its queue
  uint16_t queue = 0;
};

/// The earlier access a new access races with.
struct Conflict {
  uint32_t otherInst = 0;
  bool otherWrites = false;
  isa::Space space = isa::Space::sbuf;
  int64_t partition = 0; // SBUF/PSUM only
  int64_t byteLo = 0, byteHi = 0;
};

class HazardChecker {
public:
  explicit HazardChecker(const ArchConfig &arch);

  /// Records that the instruction at `self` (whose vector clock is `vc`,
  /// one entry per queue) reads or writes `ap`; returns the first earlier
  /// access it races with, if any.
  std::optional<Conflict> access(const isa::AccessPattern &ap, bool write, Epoch self,
                                 const std::vector<uint32_t> &vc);

private:
  struct Entry {
    uint64_t mask;
    Epoch who;
    bool write;
  };
  using Chunk = llvm::SmallVector<Entry, 2>;
  static constexpr int64_t kChunkBytes = 64;

  Chunk &chunk(isa::Space space, int64_t partition, int64_t index);
  std::optional<Conflict> markRange(isa::Space space, int64_t partition, int64_t lo, int64_t hi,
                                    bool write, Epoch self, const std::vector<uint32_t> &vc);
  std::optional<Conflict> markChunk(Chunk &c, uint64_t mask, bool write, Epoch self,
                                    const std::vector<uint32_t> &vc);

  int64_t sbufChunksPerPartition, psumChunksPerPartition;
  std::vector<uint32_t> sbufIndex, psumIndex; // 1-based into `chunks`, 0 = none
  // HBM is sparse: a hash map of 4096-chunk (256 KiB) pages of indices.
  static constexpr int64_t kPageShift = 12;
  llvm::DenseMap<int64_t, std::unique_ptr<uint32_t[]>> hbmPages;
  std::deque<Chunk> chunks; // stable, never relocated
};

} // namespace trellis::emu

#endif
