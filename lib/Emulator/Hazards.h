//===- Hazards.h - Cross-queue data-race detector ----------------*- C++ -*-===//
//
// Reports two instructions on different queues that touch the same bytes (at
// least one writing) with no happens-before path between them. Happens-before
// is program order within a queue plus semaphore edges, tracked with one
// vector clock per queue (FastTrack-style epochs per access).
//
// Per byte, the checker keeps the last write and, since it, the last read of
// each queue (a later read of a queue supersedes its earlier ones; a write
// supersedes everything, since everything before it either happens before it
// or was reported). Conflicts are byte-exact.
//
// Representation: each memory line (an SBUF or PSUM partition, or flat HBM)
// is cut into 4 KiB pages; a page is a sorted list of segments [lo, next lo)
// that each name one immutable shadow state (last write + reads), states
// being shared by every byte and partition they describe, and pages being
// shared (copy on write) by the partitions whose pages are equal. An access maps the
// segments it covers to new states (a write: one new state for the whole
// access; a read: one new state per distinct old state, memoised) and merges
// equal neighbours, so a tile costs one step per partition and page, whatever
// its size, and memory grows with the number of distinct regions, not bytes.
// The verdict for a state is also memoised per access, so the 128 partitions
// of a tile that share their history are checked once.
//
// An access is first checked, then recorded, each over its bytes in
// whatever order is cheapest: the pattern's axes (and HBM's partition axis)
// sorted by stride and merged where contiguous, so a transposed HBM tile is
// a few hundred rows rather than one step per element, and a strided row is
// one pass over a page's segments. Recording is idempotent per byte and a
// race-free access cannot race with itself, so the order does not change
// the result; only when the check finds a race is the access walked again
// in pattern order, checking and recording as it goes, to report the first
// racing byte exactly.
//
//===----------------------------------------------------------------------===//
#ifndef TRELLIS_LIB_EMULATOR_HAZARDS_H
#define TRELLIS_LIB_EMULATOR_HAZARDS_H

#include "trellis/Target/ArchConfig.h"
#include "trellis/Target/Inst.h"
#include "llvm/ADT/SmallVector.h"
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
  explicit HazardChecker(const ArchConfig &arch);

  /// Records that the instruction at `self` (whose vector clock is `vc`,
  /// one entry per queue) reads or writes `ap`; returns the first earlier
  /// access it races with, if any. Order of the search: partitions
  /// ascending, the pattern's rows in walk order, bytes ascending within a
  /// contiguous row; at one byte the last write is reported before reads,
  /// reads by queue. The reported range is the overlap of the access's row
  /// with the racing region, at least the first racing byte.
  std::optional<Conflict> access(const isa::AccessPattern &ap, bool write, Epoch self,
                                 const std::vector<uint32_t> &vc);

  /// Shadow states created so far (for tests and statistics).
  size_t numStates() const { return states.size(); }

  struct Seg {
    uint32_t lo;    // first byte within the page
    uint32_t state; // index into states; 0 = never touched
  };

private:
  static constexpr int64_t kPageBytes = 4096;
  static constexpr uint32_t kNone = ~uint32_t(0);
  /// A shadow state: the last write (if any) and the reads since, at most
  /// one per queue, sorted by queue. Immutable once created.
  struct State {
    Epoch write;
    bool hasWrite = false;
    uint32_t readBegin = 0; // into readPool
    uint32_t readCount = 0;
  };
  using Page = llvm::SmallVector<Seg, 2>; // empty: one untouched segment

  /// Elements [start + k * stride, + len) for k < count, in bytes; stride
  /// >= len, so they are disjoint and ascending.
  struct Run {
    int64_t start, count, stride, len;
  };

  /// The slot naming page `index` of a line (0: never touched).
  uint32_t &slot(isa::Space space, int64_t partition, int64_t index);
  /// The page in `slot`, made private to it first (copy on write).
  Page &writable(uint32_t &slot);
  void ref(uint32_t id) {
    if (id)
      ++pages[id].refs;
  }
  void unref(uint32_t id) {
    if (id && --pages[id].refs == 0)
      unreferenced.push_back(id);
  }
  /// The access as runs over canonical axes (order-free: for the check and
  /// the update of an access that does not race).
  void collectRuns(const isa::AccessPattern &ap);
  /// Calls fn(pageIndex, first, count, len) for the elements of `run` in
  /// each page (first relative to the page); stops when fn returns true.
  template <typename Fn> bool forEachPieceOfRun(const Run &run, Fn fn);
  bool racesInPage(const Page &page, int64_t first, int64_t count, int64_t stride,
                   int64_t len);
  void updatePage(Page &page, int64_t first, int64_t count, int64_t stride, int64_t len);
  /// Check-and-mark in walk order, for the exact report of a race.
  std::optional<Conflict> accessInWalkOrder(const isa::AccessPattern &ap);
  std::optional<Conflict> markRun(isa::Space space, int64_t partition, int64_t lo, int64_t hi);
  std::optional<Conflict> markPage(Page &page, int64_t lo, int64_t hi);
  /// The conflicting earlier access of `state` for the current access, if any.
  std::optional<Conflict> check(uint32_t state);
  /// The state after the current access of a byte in `state`.
  uint32_t next(uint32_t state);

  /// Pages are shared, copy on write, by every line (partition) whose page
  /// holds the same segments: the partitions of a tile usually do, and an
  /// access then updates one page for all of them.
  struct SharedPage {
    Page segs;
    uint32_t refs = 0;
  };
  int64_t sbufPagesPerPartition, psumPagesPerPartition;
  std::vector<uint32_t> sbufSlots, psumSlots, hbmSlots;
  std::vector<SharedPage> pages;       // [0]: the untouched page
  std::vector<uint32_t> freePages;     // ids to reuse
  std::vector<uint32_t> unreferenced;  // freed at the end of an access

  std::vector<State> states;
  std::vector<Epoch> readPool;
  // Per-state memos, valid while their generation equals `generation`.
  std::vector<uint32_t> okGen, nextGen, nextState;
  uint32_t generation = 0;

  // The current access.
  bool curWrite = false;
  Epoch curSelf;
  const std::vector<uint32_t> *curVc = nullptr;
  uint32_t curWriteState = kNone;
  std::vector<Run> runs;  // collectRuns' result
  Page built; // updatePage's scratch
};

} // namespace trellis::emu

#endif
