//===- HazardCheckerTest.cpp - Block-level tracking agrees with chunks ----===//
//
// The checker's 1 KiB block level is an optimisation: random access streams
// must get the same verdicts with it (16 chunks per block) as without (1).
//
//===----------------------------------------------------------------------===//

#include "EmulatorTestUtil.h"
#include "Hazards.h"
#include <random>

using namespace trellis;
using namespace trellis::emu;
using namespace trellis::emu::test;

namespace {

TEST(HazardChecker, BlockLevelMatchesChunkLevel) {
  std::mt19937 rng(99);
  auto pick = [&](int64_t lo, int64_t hi) { return lo + int64_t(rng() % uint64_t(hi - lo + 1)); };
  ArchConfig arch = testArch();
  const int64_t Q = 4;
  int conflicts = 0, clean = 0;
  for (int trial = 0; trial < 300; ++trial) {
    HazardChecker blocks(arch, 16), chunks(arch, 1);
    std::vector<std::vector<uint32_t>> clock(Q, std::vector<uint32_t>(Q, 0));
    bool stop = false;
    for (uint32_t inst = 0; inst < 40 && !stop; ++inst) {
      int64_t q = pick(0, Q - 1);
      // Semaphore waits: join other queues' clocks (mostly all of them, so
      // that streams run a while before they race).
      for (int64_t other = 0; other < Q; ++other)
        if (pick(0, 9) < 8)
          for (int64_t i = 0; i < Q; ++i)
            clock[q][i] = std::max(clock[q][i], clock[other][i]);
      ++clock[q][q];
      Epoch self{inst, clock[q][q], uint16_t(q)};
      for (int a = pick(1, 3); a > 0 && !stop; --a) {
        // Mostly KiB-aligned tiles, sometimes ragged or strided ones.
        int64_t off = pick(0, 1) ? pick(0, 31) * 1024 : pick(0, 32000);
        int64_t n = pick(0, 1) ? pick(1, 4) * 256 : pick(1, 700);
        int64_t stride = pick(0, 5) ? 1 : pick(0, 3);
        int64_t p0 = pick(0, 7), np = pick(1, 4);
        AccessPattern ap = test::ap(pick(0, 4) ? Space::sbuf : Space::hbm, p0, np, off,
                                    DType::f32, {{n, stride}}, 4096);
        bool write = pick(0, 1);
        auto x = blocks.access(ap, write, self, clock[q]);
        auto y = chunks.access(ap, write, self, clock[q]);
        ASSERT_EQ(x.has_value(), y.has_value()) << "trial " << trial << " inst " << inst;
        if (x) {
          EXPECT_EQ(x->partition, y->partition);
          ++conflicts;
          stop = true;
        } else {
          ++clean;
        }
      }
    }
  }
  // The streams exercise both outcomes.
  EXPECT_GT(conflicts, 30);
  EXPECT_GT(clean, 3000);
}

} // namespace
