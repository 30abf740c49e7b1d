//===- InsertSemaphores.cpp - Order cross-queue dependencies --------------===//
//
// Queues are in order, and a queue's semaphore counts its completed
// signalling instructions, so waiting for the latest conflicting instruction
// of each other queue is enough. Memory is tracked in chunks: per memory and
// chunk, the latest reader and writer on each queue.
//
//===----------------------------------------------------------------------===//

#include "trellis/Target/Inst.h"
#include "trellis/Transforms/Passes.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseMap.h"

#include <memory>

namespace trellis {
#define GEN_PASS_DEF_INSERTSEMAPHORES
#include "trellis/Transforms/Passes.h.inc"
} // namespace trellis

using namespace mlir;
using namespace trellis;
using namespace trellis::isa;

namespace {

/// Tracking granularity: on-chip buffers are 64-byte aligned, so distinct
/// buffers never share a chunk. HBM chunks are 256 bytes, the row of a
/// 128-column bf16 tile, so the tiles of a strided (transposed) store of one
/// tensor fall into different chunks; coarser chunks would serialise them.
int64_t chunkBytes(Space space) { return space == Space::hbm ? 256 : 64; }

/// More byte runs than this and an access is tracked by its extent instead
/// (conservative: false sharing only adds waits).
constexpr int64_t kMaxRuns = 1 << 14;

struct Access {
  AccessPatternAttr ap;
  bool write;
};

/// The chunks an access pattern touches within a partition (or in HBM), in
/// ascending order without repeats: its footprint's outer axes walked over
/// the contiguous innermost run (isa::footprintAxes), so a transposed tile
/// is its rows rather than its whole extent.
void chunksOf(AccessPatternAttr ap, SmallVectorImpl<int64_t> &chunks) {
  chunks.clear();
  int64_t eb = ap.getElementBytes();
  int64_t chunk = chunkBytes(ap.getSpace());
  SmallVector<int64_t> sizes(ap.getSizes()), strides(ap.getStrides());
  FootprintAxes footprint =
      footprintAxes(ap.getOffset(), eb, sizes, strides, ap.getSpace() == Space::hbm,
                    ap.getPartCount(), ap.getPartStride());
  int64_t base = footprint.base;
  auto &axes = footprint.axes; // (stride, size), inner first
  // The innermost axis, if contiguous, is one run of `run` elements.
  int64_t run = 1;
  size_t inner = 0;
  if (!axes.empty() && axes[0].first == 1)
    run = axes[inner++].second;
  int64_t runs = 1, extent = run;
  for (size_t d = inner; d < axes.size(); ++d) {
    runs = std::min(runs * axes[d].second, kMaxRuns + 1);
    extent += (axes[d].second - 1) * axes[d].first;
  }
  auto addRun = [&](int64_t lo, int64_t hi) {
    for (int64_t c = std::max(lo / chunk, chunks.empty() ? INT64_MIN : chunks.back() + 1);
         c <= (hi - 1) / chunk; ++c)
      chunks.push_back(c);
  };
  if (runs > kMaxRuns) {
    addRun(base, base + extent * eb);
    return;
  }
  // Walk the outer axes odometer-style (innermost fastest); runs arrive in
  // ascending order only when the outer strides nest, so sort at the end.
  SmallVector<int64_t> index(axes.size() - inner, 0);
  bool sorted = true;
  int64_t prevLo = INT64_MIN;
  for (int64_t r = 0; r < runs; ++r) {
    int64_t at = 0;
    for (size_t d = 0; d < index.size(); ++d)
      at += index[d] * axes[inner + d].first;
    int64_t lo = base + at * eb;
    sorted &= lo >= prevLo;
    prevLo = lo;
    if (sorted)
      addRun(lo, lo + run * eb);
    else
      for (int64_t c = lo / chunk; c <= (lo + run * eb - 1) / chunk; ++c)
        chunks.push_back(c);
    for (size_t d = 0; d < index.size() && ++index[d] == axes[inner + d].second; ++d)
      index[d] = 0;
  }
  if (!sorted) {
    llvm::sort(chunks);
    chunks.erase(std::unique(chunks.begin(), chunks.end()), chunks.end());
  }
}

SmallVector<Access> accessesOf(Operation *op) {
  SmallVector<Access> out;
  for (StringAttr name : op->getName().getAttributeNames()) {
    auto ap = dyn_cast_or_null<AccessPatternAttr>(op->getInherentAttr(name).value_or(Attribute()));
    if (!ap)
      continue;
    out.push_back({ap, name == "dst" || name == "accum"});
  }
  // multiply_moving reads what load_stationary latched; PE order covers it.
  if (llvm::isa<MultiplyMovingOp, MultiplyMovingSparseOp>(op) && !op->hasAttr("start")) {
    SmallVector<Access> reads; // accumulating reads its destination
    for (const Access &a : out)
      if (a.write)
        reads.push_back({a.ap, false});
    out.append(reads.begin(), reads.end());
  }
  return out;
}

struct InsertSemaphoresPass
    : public trellis::impl::InsertSemaphoresBase<InsertSemaphoresPass> {
  void runOnOperation() override {
    ProgramOp program = getOperation();
    SmallVector<Operation *> insts;
    SmallVector<unsigned> queueOf; // dense queue index of each instruction
    SmallVector<int64_t> queueIds; // dense index -> queue id
    DenseMap<int64_t, unsigned> queueIndex;
    for (Operation &op : program.getBody().front()) {
      auto inst = dyn_cast<InstructionOp>(op);
      if (!inst)
        continue;
      auto [it, added] = queueIndex.try_emplace(inst.getQueueId(), queueIds.size());
      if (added)
        queueIds.push_back(inst.getQueueId());
      insts.push_back(&op);
      queueOf.push_back(it->second);
    }
    // Everything below is linear in the instructions times the queues (a
    // handful), plus the chunks each access covers; per-instruction state
    // lives in flat arrays, not in one hash map per instruction.
    const unsigned numQueues = queueIds.size();

    // Per (space, chunk): per queue, the latest writer then the latest
    // reader, as instruction index + 1 (0 = none).
    // numQueues writers, then numQueues readers, per chunk: flat pages per
    // memory, allocated when first touched (no rehashing or regrowing).
    constexpr int kPageBits = 12;
    const size_t width = 2 * numQueues;
    std::vector<std::unique_ptr<unsigned[]>> pages[3]; // hbm, sbuf, psum
    auto slotOf = [&](Space space, int64_t c) -> unsigned * {
      auto &table = pages[space == Space::hbm ? 0 : space == Space::sbuf ? 1 : 2];
      size_t page = size_t(c) >> kPageBits;
      if (page >= table.size())
        table.resize(page + 1);
      if (!table[page])
        table[page].reset(new unsigned[(size_t(1) << kPageBits) * width]());
      return &table[page][(size_t(c) & ((size_t(1) << kPageBits) - 1)) * width];
    };

    // deps: per instruction, its producers (queue, index + 1), as one flat
    // list with offsets.
    SmallVector<std::pair<unsigned, unsigned>> deps;
    SmallVector<unsigned> depsBegin{0};
    SmallVector<unsigned> need(numQueues, 0); // this instruction's producers
    SmallVector<SmallVector<int64_t>> chunkLists; // per access of one instruction
    for (auto [i, op] : llvm::enumerate(insts)) {
      unsigned queue = queueOf[i];
      SmallVector<Access> accesses = accessesOf(op);
      chunkLists.resize(accesses.size());
      for (auto [a, chunks] : llvm::zip(accesses, chunkLists)) {
        chunksOf(a.ap, chunks);
        for (int64_t c : chunks) {
          const unsigned *slot = slotOf(a.ap.getSpace(), c);
          // Writers always order this access; readers only a write.
          for (unsigned q = 0, e = a.write ? 2 * numQueues : numQueues; q < e; ++q) {
            unsigned qq = q < numQueues ? q : q - numQueues;
            if (qq != queue)
              need[qq] = std::max(need[qq], slot[q]);
          }
        }
      }
      for (auto [a, chunks] : llvm::zip(accesses, chunkLists))
        for (int64_t c : chunks)
          slotOf(a.ap.getSpace(), c)[queue + (a.write ? 0 : numQueues)] = i + 1;
      for (unsigned q = 0; q < numQueues; ++q)
        if (need[q]) {
          deps.push_back({q, need[q]});
          need[q] = 0;
        }
      depsBegin.push_back(deps.size());
    }
    // Producers signal; a wait names the producer's count on its queue.
    SmallVector<bool> signals(insts.size(), false);
    for (auto [q, j] : deps)
      signals[j - 1] = true;
    SmallVector<int64_t> countAfter(insts.size());
    SmallVector<int64_t> count(numQueues, 0);
    for (auto [i, op] : llvm::enumerate(insts)) {
      unsigned queue = queueOf[i];
      if (signals[i]) {
        ++count[queue];
        op->setAttr("signal", UnitAttr::get(op->getContext()));
      }
      countAfter[i] = count[queue];
    }
    // Vector clocks: what each queue already knows it is ordered after. A
    // wait implied by an earlier wait (transitively) is dropped. Only
    // producers' clocks are ever read back, so only theirs are kept.
    SmallVector<int64_t> known(size_t(numQueues) * numQueues, 0); // per queue, its clock
    SmallVector<unsigned> clockOf(insts.size(), ~0u);            // producer -> row of clocks
    SmallVector<int64_t> clocks;
    for (auto [i, op] : llvm::enumerate(insts)) {
      unsigned queue = queueOf[i];
      int64_t *mine = &known[size_t(queue) * numQueues];
      SmallVector<std::pair<int64_t, int64_t>> waits;
      SmallVector<std::pair<unsigned, unsigned>> sorted;
      for (unsigned d = depsBegin[i]; d < depsBegin[i + 1]; ++d)
        sorted.push_back({deps[d].first, deps[d].second - 1});
      // Latest producers first: their clocks cover the most. (Producers are
      // distinct instructions, so the order is total.)
      llvm::sort(sorted, [](auto a, auto b) { return a.second > b.second; });
      for (auto [q, j] : sorted) {
        if (mine[q] >= countAfter[j])
          continue;
        waits.push_back({queueIds[q], countAfter[j]});
        const int64_t *theirs = &clocks[size_t(clockOf[j]) * numQueues];
        for (unsigned k = 0; k < numQueues; ++k)
          mine[k] = std::max(mine[k], theirs[k]);
      }
      mine[queue] = countAfter[i];
      if (signals[i]) {
        clockOf[i] = clocks.size() / numQueues;
        clocks.append(mine, mine + numQueues);
      }
      if (waits.empty())
        continue;
      llvm::sort(waits);
      SmallVector<Attribute> attrs;
      for (auto [q, v] : waits)
        attrs.push_back(WaitAttr::get(op->getContext(), q, v));
      op->setAttr("waits", ArrayAttr::get(op->getContext(), attrs));
    }
  }
};

} // namespace
