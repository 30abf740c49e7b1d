//===- ScheduleInstructions.cpp - List scheduling on the timing model -----===//
//
// Engines run their queues in order, so the order instructions are emitted
// in decides what overlaps. Lowering emits each op's tiles as a chain (load,
// PE, evacuate, store), and an engine then waits on one chain while another
// chain's work is ready. This pass reorders every queue by list scheduling:
// the dependencies are the memory conflicts (read after write, write after
// read or write, per chunk as InsertSemaphores sees them), a LoadStationary
// and its MultiplyMovings move as one unit (the PE array latches the
// stationary operand), and the clock is the emulator's own timing model
// (emu::TimingModel). At each step the ready instruction that can start
// earliest is issued, ties going to the longest path to the end. A DMA may
// move to whichever DMA queue frees first. Addresses are fixed already, so
// only the order changes: the program computes the same bits.
//
// The new order is kept only if the timing model says it finishes sooner
// than the old one, both timed the way the emulator runs them.
//
//===----------------------------------------------------------------------===//

#include "Accesses.h"
#include "trellis/Emulator/CostModel.h"
#include "trellis/Emulator/Timing.h"
#include "trellis/Target/ArchConfig.h"
#include "trellis/Transforms/Passes.h"

#include "mlir/IR/Builders.h"

#include <memory>
#include <queue>

namespace trellis {
#define GEN_PASS_DEF_SCHEDULEINSTRUCTIONS
#include "trellis/Transforms/Passes.h.inc"
} // namespace trellis

using namespace mlir;
using namespace trellis;
using namespace trellis::isa;

namespace {

/// A dependency graph in flat (CSR) arrays: predecessors and successors.
struct DepGraph {
  SmallVector<unsigned> predBegin{0}, preds;
  SmallVector<unsigned> succBegin, succs;

  size_t size() const { return predBegin.size() - 1; }
  ArrayRef<unsigned> predsOf(unsigned i) const {
    return ArrayRef<unsigned>(preds).slice(predBegin[i], predBegin[i + 1] - predBegin[i]);
  }
  ArrayRef<unsigned> succsOf(unsigned i) const {
    return ArrayRef<unsigned>(succs).slice(succBegin[i], succBegin[i + 1] - succBegin[i]);
  }
  /// Fills the successors from the predecessors.
  void finish() {
    size_t n = size();
    succBegin.assign(n + 1, 0);
    for (unsigned p : preds)
      ++succBegin[p + 1];
    for (size_t i = 0; i < n; ++i)
      succBegin[i + 1] += succBegin[i];
    succs.resize(preds.size());
    SmallVector<unsigned> fill(succBegin.begin(), succBegin.end() - 1);
    for (unsigned i = 0; i < n; ++i)
      for (unsigned p : predsOf(i))
        succs[fill[p]++] = i;
  }
};

/// Per chunk of memory: the last writer and the readers since (index + 1).
struct ChunkState {
  unsigned writer = 0;
  std::vector<unsigned> readers;
};

/// The memory conflicts of `insts` in program order. Linear in the chunks
/// the accesses touch: a reader is remembered until the next write.
DepGraph buildDeps(ArrayRef<Operation *> insts) {
  constexpr int kPageBits = 12;
  std::vector<std::unique_ptr<ChunkState[]>> pages[3]; // hbm, sbuf, psum
  auto stateOf = [&](Space space, int64_t c) -> ChunkState & {
    auto &table = pages[space == Space::hbm ? 0 : space == Space::sbuf ? 1 : 2];
    size_t page = size_t(c) >> kPageBits;
    if (page >= table.size())
      table.resize(page + 1);
    if (!table[page])
      table[page].reset(new ChunkState[size_t(1) << kPageBits]);
    return table[page][size_t(c) & ((size_t(1) << kPageBits) - 1)];
  };
  DepGraph g;
  SmallVector<unsigned> stamp(insts.size() + 1, 0); // dedups one instruction's preds
  SmallVector<int64_t> chunks;
  for (auto [i, op] : llvm::enumerate(insts)) {
    unsigned self = i + 1;
    auto addPred = [&](unsigned p) {
      if (p && p != self && stamp[p] != self) {
        stamp[p] = self;
        g.preds.push_back(p - 1);
      }
    };
    SmallVector<Access> accesses = accessesOf(op);
    // Reads first: an instruction reading and writing a chunk ends as its
    // writer.
    for (bool writes : {false, true})
      for (const Access &a : accesses) {
        if (a.write != writes)
          continue;
        chunksOf(a.ap, chunks);
        for (int64_t c : chunks) {
          ChunkState &s = stateOf(a.ap.getSpace(), c);
          addPred(s.writer);
          if (writes) {
            for (unsigned r : s.readers)
              addPred(r);
            s.readers.clear();
            s.writer = self;
          } else if (s.readers.empty() || s.readers.back() != self) {
            s.readers.push_back(self);
          }
        }
      }
    g.predBegin.push_back(g.preds.size());
  }
  g.finish();
  return g;
}

/// Scheduling units: runs of consecutive instructions that must stay
/// together. A MultiplyMoving reads the operand its LoadStationary latched
/// into the PE array, so a LoadStationary and the MultiplyMovings right
/// after it form one unit; every other instruction is a unit of its own.
struct Units {
  SmallVector<unsigned> begin; // first instruction of each unit, then n
  SmallVector<unsigned> of;    // unit of each instruction
  DepGraph deps;
};

/// Fails if a MultiplyMoving does not directly follow its LoadStationary
/// (or another MultiplyMoving of it): such a program keeps its order.
FailureOr<Units> buildUnits(ArrayRef<Inst> insts, const DepGraph &g) {
  Units u;
  for (unsigned i = 0; i < insts.size(); ++i) {
    Opcode op = insts[i].opcode;
    bool mm = op == Opcode::multiply_moving || op == Opcode::multiply_moving_sparse;
    if (mm) {
      if (i == 0)
        return failure();
      Opcode prev = insts[i - 1].opcode;
      if (prev != Opcode::load_stationary && prev != Opcode::load_stationary_sparse &&
          prev != Opcode::multiply_moving && prev != Opcode::multiply_moving_sparse)
        return failure();
    } else {
      u.begin.push_back(i);
    }
    u.of.push_back(u.begin.size() - 1);
  }
  size_t n = u.begin.size();
  u.begin.push_back(insts.size());
  SmallVector<unsigned> stamp(n + 1, 0);
  for (unsigned k = 0; k < n; ++k) {
    for (unsigned i = u.begin[k]; i < u.begin[k + 1]; ++i)
      for (unsigned p : g.predsOf(i)) {
        unsigned pu = u.of[p];
        if (pu != k && stamp[pu] != k + 1) {
          stamp[pu] = k + 1;
          u.deps.preds.push_back(pu);
        }
      }
    u.deps.predBegin.push_back(u.deps.preds.size());
  }
  u.deps.finish();
  return u;
}

/// Times a fixed per-queue order the way the emulator runs it: of the
/// queues' next instructions whose producers have issued, the one that can
/// start first goes next. Returns the end of the last instruction.
double timeInOrder(ArrayRef<Inst> insts, ArrayRef<unsigned> order, const DepGraph &g,
                   const ArchConfig &arch, int64_t numQueues) {
  emu::TimingModel timing(arch, numQueues);
  std::vector<std::vector<unsigned>> streams(numQueues);
  for (unsigned i : order)
    streams[insts[i].queue].push_back(i);
  std::vector<size_t> next(numQueues, 0);
  std::vector<double> end(insts.size(), -1.0);
  double makespan = 0;
  for (size_t done = 0; done < insts.size(); ++done) {
    int64_t best = -1;
    double bestStart = 0;
    for (int64_t q = 0; q < numQueues; ++q) {
      if (next[q] >= streams[q].size())
        continue;
      unsigned i = streams[q][next[q]];
      double at = timing.readyNs(insts[i]);
      bool issued = true;
      for (unsigned p : g.predsOf(i)) {
        issued &= end[p] >= 0;
        at = std::max(at, end[p]);
      }
      if (issued && (best < 0 || at < bestStart)) {
        best = q;
        bestStart = at;
      }
    }
    if (best < 0) // a queue order against the dependencies
      return std::numeric_limits<double>::infinity();
    unsigned i = streams[best][next[best]++];
    end[i] = timing.issue(insts[i], bestStart);
    makespan = std::max(makespan, end[i]);
  }
  return makespan;
}

/// List scheduling of the units: returns the new instruction order, or
/// failure on a cycle between units. `insts[i].queue` of a DMA becomes the
/// DMA queue it was given.
/// How the list scheduler breaks ties between units that can start at the
/// same time.
enum class Priority {
  /// The longest path to the end first (the critical path among equals).
  longestPath,
  /// The program's order: a chain emitted first (an op's first row block)
  /// runs to its end before the next starts, so its readers can start.
  programOrder,
};

FailureOr<SmallVector<unsigned>> listSchedule(MutableArrayRef<Inst> insts, const DepGraph &g,
                                              const Units &units, const ArchConfig &arch,
                                              int64_t numQueues, Priority rule) {
  size_t n = insts.size(), nu = units.begin.size() - 1;
  // Priority: the longest path from an instruction to the end, in isolated
  // costs; a unit's is its first instruction's (the critical path goes
  // first among equals). A unit issues in order, so each of its
  // instructions leads to the next: a LoadStationary's path goes on
  // through its MultiplyMovings.
  SmallVector<double> prio(n, 0.0), tail(n, 0.0);
  for (size_t i = n; i-- > 0;) {
    prio[i] = emu::isolatedCostNs(insts[i], arch) + tail[i];
    for (unsigned p : g.predsOf(i))
      tail[p] = std::max(tail[p], prio[i]);
    if (i > 0 && units.of[i] == units.of[i - 1])
      tail[i - 1] = std::max(tail[i - 1], prio[i]);
  }
  auto unitPrio = [&](unsigned u) { return prio[units.begin[u]]; };
  // Scheduling classes: each engine queue, and all DMA queues as one.
  const int64_t dmaClass = kFirstDmaQueue;
  auto classOf = [&](unsigned u) {
    int64_t q = insts[units.begin[u]].queue;
    return queueKind(q) == EngineKind::dma ? dmaClass : q;
  };
  auto byEst = [](const std::pair<double, unsigned> &a, const std::pair<double, unsigned> &b) {
    return a > b; // min-heap on (earliest start, unit)
  };
  auto byPrio = [&](unsigned a, unsigned b) {
    if (rule == Priority::longestPath && unitPrio(a) != unitPrio(b))
      return unitPrio(a) < unitPrio(b);
    return a > b;
  };
  using PendingHeap = std::priority_queue<std::pair<double, unsigned>,
                                          std::vector<std::pair<double, unsigned>>, decltype(byEst)>;
  using ReadyHeap = std::priority_queue<unsigned, std::vector<unsigned>, decltype(byPrio)>;
  std::vector<PendingHeap> pending(dmaClass + 1, PendingHeap(byEst));
  std::vector<ReadyHeap> available(dmaClass + 1, ReadyHeap(byPrio));

  emu::TimingModel timing(arch, numQueues);
  SmallVector<double> end(n, 0.0), unitEst(nu, 0.0);
  SmallVector<unsigned> remaining(nu);
  for (unsigned u = 0; u < nu; ++u) {
    remaining[u] = units.deps.predsOf(u).size();
    if (!remaining[u])
      pending[classOf(u)].push({0.0, u});
  }
  SmallVector<double> queueFree(numQueues, 0.0);
  auto dmaQueue = [&]() {
    int64_t best = kFirstDmaQueue;
    for (int64_t q = kFirstDmaQueue; q < numQueues; ++q)
      if (queueFree[q] < queueFree[best])
        best = q;
    return best;
  };

  SmallVector<unsigned> order;
  order.reserve(n);
  for (size_t scheduled = 0; scheduled < nu; ++scheduled) {
    int64_t bestClass = -1;
    unsigned best = 0;
    double bestStart = 0;
    for (int64_t c = 0; c <= dmaClass; ++c) {
      double free = queueFree[c == dmaClass ? dmaQueue() : c];
      while (!pending[c].empty() && pending[c].top().first <= free) {
        available[c].push(pending[c].top().second);
        pending[c].pop();
      }
      unsigned cand;
      double start;
      if (!available[c].empty()) {
        cand = available[c].top();
        start = free;
      } else if (!pending[c].empty()) {
        cand = pending[c].top().second;
        start = pending[c].top().first;
      } else {
        continue;
      }
      if (bestClass < 0 || start < bestStart ||
          (start == bestStart && byPrio(best, cand))) {
        bestClass = c;
        best = cand;
        bestStart = start;
      }
    }
    if (bestClass < 0) // units depend on each other both ways
      return failure();
    if (!available[bestClass].empty() && available[bestClass].top() == best)
      available[bestClass].pop();
    else
      pending[bestClass].pop();
    // Issue the unit's instructions in their order.
    for (unsigned i = units.begin[best]; i < units.begin[best + 1]; ++i) {
      Inst &inst = insts[i];
      if (bestClass == dmaClass)
        inst.queue = dmaQueue();
      double start = timing.readyNs(inst);
      for (unsigned p : g.predsOf(i))
        start = std::max(start, end[p]);
      end[i] = timing.issue(inst, start);
      queueFree[inst.queue] = std::max(queueFree[inst.queue], end[i]);
      order.push_back(i);
    }
    for (unsigned s : units.deps.succsOf(best)) {
      for (unsigned i = units.begin[best]; i < units.begin[best + 1]; ++i)
        unitEst[s] = std::max(unitEst[s], end[i]);
      if (--remaining[s] == 0)
        pending[classOf(s)].push({unitEst[s], s});
    }
  }
  return order;
}

struct ScheduleInstructionsPass
    : public trellis::impl::ScheduleInstructionsBase<ScheduleInstructionsPass> {
  using Base::Base;

  void runOnOperation() override {
    ProgramOp program = getOperation();
    auto arch = loadArchConfig(target);
    if (!arch) {
      program.emitError() << llvm::toString(arch.takeError());
      return signalPassFailure();
    }
    Block &body = program.getBody().front();
    SmallVector<Operation *> ops;
    std::vector<Inst> insts;
    for (Operation &op : body) {
      auto inst = dyn_cast<InstructionOp>(op);
      if (!inst) {
        // Tensors come first; anything else after an instruction would
        // have its place changed.
        if (!ops.empty())
          return;
        continue;
      }
      // Already ordered by hand (waits, signals) or a barrier: leave as is.
      auto waits = op.getAttrOfType<ArrayAttr>("waits");
      if (llvm::isa<NopOp>(op) || op.hasAttr("signal") || (waits && !waits.empty()))
        return;
      FailureOr<Inst> decoded = toInst(inst);
      if (failed(decoded))
        return signalPassFailure();
      ops.push_back(&op);
      insts.push_back(std::move(*decoded));
    }
    if (ops.size() < 2)
      return;
    int64_t numQueues = kFirstDmaQueue + arch->dmaQueues;
    for (const Inst &inst : insts)
      numQueues = std::max(numQueues, inst.queue + 1);

    DepGraph g = buildDeps(ops);
    FailureOr<Units> units = buildUnits(insts, g);
    if (failed(units))
      return;
    SmallVector<unsigned> programOrder(ops.size());
    for (unsigned i = 0; i < ops.size(); ++i)
      programOrder[i] = i;
    // Each tie-breaking rule wins on some programs (the longest path on
    // the GEMMs, the program order where ops hand row blocks on to the
    // next): both are tried, and the fastest order is kept, if it beats
    // the emitted one.
    double best = timeInOrder(insts, programOrder, g, *arch, numQueues);
    std::vector<Inst> scheduled;
    SmallVector<unsigned> order;
    for (Priority rule : {Priority::longestPath, Priority::programOrder}) {
      std::vector<Inst> candidate(insts);
      FailureOr<SmallVector<unsigned>> o =
          listSchedule(candidate, g, *units, *arch, numQueues, rule);
      if (failed(o))
        return;
      double t = timeInOrder(candidate, *o, g, *arch, numQueues);
      if (t < best) {
        best = t;
        scheduled = std::move(candidate);
        order = std::move(*o);
      }
    }
    if (order.empty())
      return;

    OpBuilder b(program.getContext());
    for (unsigned i : order) {
      Operation *op = ops[i];
      if (scheduled[i].queue != insts[i].queue)
        op->setAttr("queue", b.getI64IntegerAttr(scheduled[i].queue));
      op->moveBefore(&body, body.end());
    }
  }
};

} // namespace
