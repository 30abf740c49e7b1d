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
// are therefore byte-exact. Chunks are grouped in 1 KiB blocks: while every
// access to a block covers all of it (the common case for tiles), the block
// keeps one shared access list, so a large contiguous access costs one step
// per KiB; the first partial access splits the block into its chunks and a
// whole-block write merges them again. Cost is proportional to the blocks and
// chunks touched, never to the number of earlier instructions.
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
  uint32_t inst = 0; // index into Program::instructions
  uint32_t seq = 0;  // 1-based position within its queue
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
  /// `blockChunks` (a power of two <= 16) chunks form a block; 1 disables
  /// the block level (tests compare both).
  explicit HazardChecker(const ArchConfig &arch, int64_t blockChunks = 16);

  /// Records that the instruction at `self` (whose vector clock is `vc`,
  /// one entry per queue) reads or writes `ap`; returns the first earlier
  /// access it races with, if any.
  std::optional<Conflict> access(const isa::AccessPattern &ap, bool write, Epoch self,
                                 const std::vector<uint32_t> &vc);

private:
  struct Entry {
    uint64_t mask; // bytes of the chunk (all ones in a whole-block list)
    Epoch who;
    bool write;
  };
  using List = llvm::SmallVector<Entry, 2>;
  static constexpr int64_t kChunkBytes = 64;
  static constexpr int64_t kMaxBlockChunks = 16;
  /// Lists are 1-based indices into `lists`; 0 is the empty list.
  struct Block {
    bool split = false;
    uint32_t whole = 0;                   // while !split
    uint32_t chunk[kMaxBlockChunks] = {}; // while split
  };
  static constexpr int64_t kPageBlocks = 256;

  Block &block(isa::Space space, int64_t partition, int64_t index);
  uint32_t newList();
  void freeList(uint32_t &list);
  std::optional<Conflict> markRange(isa::Space space, int64_t partition, int64_t lo, int64_t hi,
                                    bool write, Epoch self, const std::vector<uint32_t> &vc);
  std::optional<Conflict> markList(uint32_t &list, uint64_t mask, bool write, Epoch self,
                                   const std::vector<uint32_t> &vc);

  int64_t blockChunks, blockBytes;
  int64_t sbufBlocksPerPartition, psumBlocksPerPartition;
  std::vector<Block> sbufBlocks, psumBlocks;
  llvm::DenseMap<int64_t, std::unique_ptr<Block[]>> hbmPages; // HBM is sparse
  std::deque<List> lists; // stable, never relocated
  std::vector<uint32_t> freeLists;
};

} // namespace trellis::emu

#endif
