//===- InsertSemaphores.cpp - Order cross-queue dependencies --------------===//
//
// Queues are in order, and a queue's semaphore counts its completed
// signalling instructions, so waiting for the latest conflicting instruction
// of each other queue is enough. Memory is tracked in chunks: per memory and
// chunk, the latest reader and writer on each queue.
//
//===----------------------------------------------------------------------===//

#include "Accesses.h"
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
