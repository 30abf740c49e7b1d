//===- InsertSemaphores.cpp - Order cross-queue dependencies --------------===//
//
// Queues are in order, and a queue's semaphore counts its completed
// signalling instructions, so waiting for the latest conflicting instruction
// of each other queue is enough. Memory is tracked in chunks: per memory and
// chunk, the latest reader and writer on each queue.
//
//===----------------------------------------------------------------------===//

#include "trellis/Transforms/Passes.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseMap.h"

namespace trellis {
#define GEN_PASS_DEF_INSERTSEMAPHORES
#include "trellis/Transforms/Passes.h.inc"
} // namespace trellis

using namespace mlir;
using namespace trellis;
using namespace trellis::isa;

namespace {

/// Tracking granularity: on-chip buffers are 64-byte aligned, so distinct
/// buffers never share a chunk; HBM uses coarser chunks to bound the work for
/// large tensors (false sharing there only adds waits).
int64_t chunkBytes(Space space) { return space == Space::hbm ? 4096 : 64; }

struct Access {
  AccessPatternAttr ap;
  bool write;
};

/// Byte range [lo, hi) an access pattern touches within a partition (or in
/// HBM), over-approximated by its extent.
std::pair<int64_t, int64_t> byteExtent(AccessPatternAttr ap) {
  int64_t eb = ap.getElementBytes();
  int64_t last = 0;
  for (auto [size, stride] : llvm::zip(ap.getSizes(), ap.getStrides()))
    last += (size - 1) * std::abs(stride);
  if (ap.getSpace() == Space::hbm)
    last += (ap.getPartCount() - 1) * std::abs(ap.getPartStride());
  return {ap.getOffset(), ap.getOffset() + (last + 1) * eb};
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
    for (Operation &op : program.getBody().front())
      if (llvm::isa<InstructionOp>(op))
        insts.push_back(&op);

    // Per (space, chunk): per queue, the index of the latest reader/writer.
    struct Last {
      DenseMap<int64_t, unsigned> reader, writer;
    };
    DenseMap<std::pair<int, int64_t>, Last> chunks;
    SmallVector<DenseMap<int64_t, unsigned>> deps(insts.size()); // queue -> producer index
    for (auto [i, op] : llvm::enumerate(insts)) {
      int64_t queue = cast<InstructionOp>(op).getQueueId();
      for (const Access &a : accessesOf(op)) {
        auto [lo, hi] = byteExtent(a.ap);
        int64_t chunk = chunkBytes(a.ap.getSpace());
        for (int64_t c = lo / chunk; c <= (hi - 1) / chunk; ++c) {
          Last &last = chunks[{(int)a.ap.getSpace(), c}];
          auto dependOn = [&](DenseMap<int64_t, unsigned> &m) {
            for (auto [q, j] : m)
              if (q != queue) {
                unsigned &d = deps[i][q];
                d = std::max(d, j + 1); // store index+1; 0 = none
              }
          };
          dependOn(last.writer);
          if (a.write)
            dependOn(last.reader);
        }
      }
      for (const Access &a : accessesOf(op)) {
        auto [lo, hi] = byteExtent(a.ap);
        int64_t chunk = chunkBytes(a.ap.getSpace());
        for (int64_t c = lo / chunk; c <= (hi - 1) / chunk; ++c) {
          Last &last = chunks[{(int)a.ap.getSpace(), c}];
          (a.write ? last.writer : last.reader)[queue] = i;
        }
      }
    }
    // Producers signal; a wait names the producer's count on its queue.
    SmallVector<bool> signals(insts.size(), false);
    for (auto &d : deps)
      for (auto [q, j] : d)
        if (j)
          signals[j - 1] = true;
    SmallVector<int64_t> countAfter(insts.size());
    DenseMap<int64_t, int64_t> count;
    for (auto [i, op] : llvm::enumerate(insts)) {
      int64_t queue = cast<InstructionOp>(op).getQueueId();
      if (signals[i]) {
        ++count[queue];
        op->setAttr("signal", UnitAttr::get(op->getContext()));
      }
      countAfter[i] = count[queue];
    }
    // Vector clocks: what each queue already knows it is ordered after. A
    // wait implied by an earlier wait (transitively) is dropped.
    using Clock = DenseMap<int64_t, int64_t>;
    DenseMap<int64_t, Clock> known;
    SmallVector<Clock> clockAfter(insts.size());
    for (auto [i, op] : llvm::enumerate(insts)) {
      int64_t queue = cast<InstructionOp>(op).getQueueId();
      Clock &mine = known[queue];
      SmallVector<std::pair<int64_t, int64_t>> waits;
      SmallVector<std::pair<int64_t, unsigned>> sorted;
      for (auto [q, j] : deps[i])
        if (j)
          sorted.push_back({q, j - 1});
      // Latest producers first: their clocks cover the most.
      llvm::sort(sorted, [](auto a, auto b) { return a.second > b.second; });
      for (auto [q, j] : sorted) {
        if (mine.lookup(q) >= countAfter[j])
          continue;
        waits.push_back({q, countAfter[j]});
        for (auto [kq, kv] : clockAfter[j])
          mine[kq] = std::max(mine[kq], kv);
      }
      mine[queue] = countAfter[i];
      clockAfter[i] = mine;
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
