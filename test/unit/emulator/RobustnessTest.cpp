//===- RobustnessTest.cpp - Random programs never crash or hang -----------===//
//
// Mostly-valid random programs (random opcodes, queues, operands, waits) must
// either run or fail with an error: never crash, assert or hang.
//
//===----------------------------------------------------------------------===//

#include "EmulatorTestUtil.h"
#include <random>

using namespace trellis;
using namespace trellis::emu;
using namespace trellis::emu::test;

namespace {

struct Gen {
  std::mt19937 rng;
  explicit Gen(unsigned seed) : rng(seed) {}
  int64_t pick(int64_t lo, int64_t hi) { // inclusive
    return lo + int64_t(rng() % uint64_t(hi - lo + 1));
  }
  bool chance(int percent) { return pick(1, 100) <= percent; }

  /// A well-formed operand of P x F elements.
  AccessPattern onChip(isa::Space space, int64_t P, int64_t F, isa::DType t) {
    return ap(space, 0, P, pick(0, 3) * 2048, t, {{F, 1}});
  }
  AccessPattern inHbm(int64_t P, int64_t F, isa::DType t) {
    return ap(isa::Space::hbm, 0, P, pick(0, 7) * 4096, t, {{F, 1}}, F);
  }
  isa::DType anyType() { return isa::DType(pick(0, 10)); }
  int64_t vectorQueue() { return pick(isa::kQueueACT, isa::kQueueSP); }

  /// One valid instruction (a load_stationary comes with each matmul).
  void valid(std::vector<Inst> &out) {
    using isa::Opcode;
    using isa::Space;
    int64_t P = pick(1, 32), F = pick(1, 40);
    isa::DType t = anyType();
    Space sp = chance(50) ? Space::sbuf : Space::psum;
    Inst i;
    i.opcode = Opcode(pick(1, 12));
    i.queue = vectorQueue();
    if (i.queue == isa::kQueuePOOL)
      sp = Space::sbuf;
    switch (i.opcode) {
    case Opcode::dma:
      i.queue = pick(isa::kFirstDmaQueue, isa::kFirstDmaQueue + 3);
      i.dst = chance(50) ? onChip(Space::sbuf, P, F, t) : inHbm(P, F, t);
      i.src0 = chance(50) ? onChip(Space::sbuf, P, F, anyType()) : inHbm(P, F, anyType());
      break;
    case Opcode::load_stationary:
    case Opcode::multiply_moving: {
      Inst ls;
      ls.opcode = Opcode::load_stationary;
      ls.queue = isa::kQueuePE;
      ls.src0 = onChip(Space::sbuf, P, F, t); // K = P, M = F
      out.push_back(ls);
      i.opcode = Opcode::multiply_moving;
      i.queue = isa::kQueuePE;
      i.dst = ap(Space::psum, 0, F, pick(0, 7) * 2048, isa::DType::f32, {{pick(1, 512), 1}});
      i.src0 = onChip(Space::sbuf, P, i.dst.sizes[0], anyType());
      i.start = chance(50);
      break;
    }
    case Opcode::activation:
      i.queue = isa::kQueueACT;
      i.dst = onChip(sp, P, F, t);
      i.src0 = onChip(chance(50) ? Space::sbuf : Space::psum, P, F, anyType());
      if (chance(50))
        i.src1 = onChip(Space::sbuf, P, 1, isa::DType::f32);
      i.func = isa::ActFunc(pick(0, 15));
      i.scale = float(pick(-2, 2));
      break;
    case Opcode::tensor_tensor:
      i.src1 = onChip(sp, P, F, anyType());
      [[fallthrough]];
    case Opcode::tensor_scalar:
    case Opcode::copy:
      i.dst = onChip(sp, P, F, t);
      i.src0 = onChip(Space::sbuf, P, F, anyType());
      i.op0 = isa::AluOp(pick(0, 16));
      i.op1 = isa::AluOp(pick(0, 16));
      i.imm0 = float(pick(-4, 4));
      i.imm1 = float(pick(-4, 4));
      break;
    case Opcode::tensor_reduce: {
      int64_t inner = pick(1, 8);
      i.dst = onChip(sp, P, F, t);
      i.src0 = ap(Space::sbuf, 0, P, 0, anyType(), {{F, inner}, {inner, 1}});
      i.op0 = isa::AluOp(pick(0, 16));
      break;
    }
    case Opcode::transpose:
      P = std::min<int64_t>(P, 32);
      F = std::min<int64_t>(F, 32);
      i.dst = onChip(sp, F, P, t);
      i.src0 = onChip(Space::sbuf, P, F, anyType());
      break;
    case Opcode::iota:
      i.base = pick(-100, 100);
      i.pstep = pick(-3, 3);
      i.fstep = pick(-3, 3);
      [[fallthrough]];
    case Opcode::memset:
      i.dst = onChip(sp, P, F, t);
      i.imm0 = float(pick(-4, 4));
      break;
    case Opcode::nop:
      break;
    }
    out.push_back(i);
  }

  /// Replaces one field of `i` with an arbitrary value.
  void mutate(Inst &i) {
    AccessPattern &a = chance(50) ? i.dst : (chance(50) ? i.src0 : i.src1);
    switch (pick(0, 9)) {
    case 0: a.partStart = pick(-2, 130); break;
    case 1: a.partCount = pick(-1, 200); break;
    case 2: a.offset = pick(-1000, 1 << 20); break;
    case 3: a.partStride = pick(-1000, 1 << 20); break;
    case 4: a.sizes.push_back(pick(-1, 1 << 20)); a.strides.push_back(pick(-50, 5000)); break;
    case 5: a.strides.push_back(1); break; // rank mismatch
    case 6: a.space = isa::Space(pick(0, 2)); break;
    case 7: i.queue = pick(-2, 40); break;
    case 8: i.opcode = isa::Opcode(pick(1, 12)); break;
    default: i.waits.push_back({pick(-3, 40), pick(-1, 9)}); break;
    }
  }

  Program program() {
    Program p;
    p.hbmSize = chance(97) ? 1 << 16 : pick(-5, 1 << 20);
    std::vector<Inst> insts;
    int64_t n = pick(1, 16);
    for (int64_t k = 0; k < n; ++k)
      valid(insts);
    // Waits on signals earlier in program order cannot deadlock.
    std::map<int64_t, int64_t> signals;
    for (Inst &i : insts) {
      if (!signals.empty() && chance(50)) {
        auto it = std::next(signals.begin(), pick(0, int64_t(signals.size()) - 1));
        if (it->first != i.queue)
          i.waits.push_back({it->first, pick(1, it->second)});
      }
      i.signal = chance(70);
      if (i.signal)
        ++signals[i.queue];
      i.debugId = uint32_t(pick(0, 2));
      if (chance(4))
        mutate(i);
    }
    p.instructions = std::move(insts);
    p.debug.push_back({"isa.x", "", "", "node0"});
    return p;
  }
};

TEST(Robustness, RandomProgramsRunOrFailCleanly) {
  Gen g(1234);
  ArchConfig arch = testArch();
  int ran = 0, failed = 0;
  for (int i = 0; i < 1000; ++i) {
    Program p = g.program();
    RunOptions o;
    o.checkHazards = g.chance(50);
    o.timingOnly = g.chance(20);
    o.maxInstructions = g.chance(10) ? uint64_t(g.pick(1, 5)) : 0;
    auto r = run(p, arch, {}, o);
    if (r) {
      ++ran;
      EXPECT_EQ(r->timeline.size(), p.instructions.size());
    } else {
      std::string msg = llvm::toString(r.takeError());
      EXPECT_FALSE(msg.empty());
      EXPECT_EQ(msg.find('\n'), std::string::npos) << msg; // one-line messages
      ++failed;
    }
  }
  // Both outcomes must be exercised for the test to mean anything.
  EXPECT_GT(ran, 10);
  EXPECT_GT(failed, 10);
}

} // namespace
