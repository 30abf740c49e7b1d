//===- HazardCheckerTest.cpp - The checker against a byte-level reference -===//
//
// The checker's segments, shared states and memos are optimisations: random
// access streams (dense tiles, ragged and page-crossing rows, positive,
// negative and zero strides, several free axes, HBM rows back to back or
// apart) must get the same verdicts as a naive reference that keeps, for
// every byte, its last write and each queue's last read since.
//
//===----------------------------------------------------------------------===//

#include "EmulatorTestUtil.h"
#include "Hazards.h"
#include "Memory.h"
#include <map>
#include <unordered_map>
#include <cstdio>
#include <random>

using namespace trellis;
using namespace trellis::emu;
using namespace trellis::emu::test;

namespace {

/// One byte at a time, marking as it goes; the first racing byte in walk
/// order wins (its last write before its reads, reads by queue).
class ReferenceChecker {
public:
  struct Found {
    uint32_t otherInst;
    bool otherWrites;
    int64_t partition, byte;
  };

  /// Whether `self` reading / writing (`write`) byte `key` races, and which
  /// access it races with.
  std::optional<Found> racesAt(uint64_t key, int64_t partition, int64_t byte, bool write,
                               Epoch self, const std::vector<uint32_t> &vc) const {
    auto it = bytes.find(key);
    if (it == bytes.end())
      return std::nullopt;
    const Byte &b = it->second;
    auto races = [&](const Epoch &e) { return e.queue != self.queue && vc[e.queue] < e.seq; };
    if (b.hasWrite && races(b.write))
      return Found{b.write.inst, true, partition, byte};
    if (write)
      for (auto &[q, e] : b.reads)
        if (races(e))
          return Found{e.inst, false, partition, byte};
    return std::nullopt;
  }

  std::optional<Found> access(const AccessPattern &ap, bool write, Epoch self,
                              const std::vector<uint32_t> &vc) {
    int64_t eb = ap.elementBytes();
    for (int64_t p = 0; p < ap.partCount; ++p) {
      bool hbm = ap.space == Space::hbm;
      int64_t partition = hbm ? 0 : ap.partStart + p;
      int64_t base = ap.offset + (hbm ? p * ap.partStride * eb : 0);
      std::optional<Found> found;
      forEachInnerRow(ap, [&](int64_t, int64_t off, int64_t count, int64_t stride) {
        for (int64_t k = 0; k < count && !found; ++k)
          for (int64_t i = 0; i < eb && !found; ++i) {
            int64_t byte = base + off + k * stride + i;
            uint64_t key = uint64_t(ap.space) << 60 | uint64_t(partition) << 40 | uint64_t(byte);
            if ((found = racesAt(key, partition, byte, write, self, vc)))
              return;
            Byte &b = bytes[key];
            if (write) {
              b.hasWrite = true;
              b.write = self;
              b.reads.clear();
            } else {
              b.reads[self.queue] = self;
            }
          }
      });
      if (found)
        return found;
    }
    return std::nullopt;
  }

private:
  struct Byte {
    bool hasWrite = false;
    Epoch write;
    std::map<uint16_t, Epoch> reads;
  };
  std::unordered_map<uint64_t, Byte> bytes;
};

TEST(HazardChecker, MatchesByteLevelReference) {
  std::mt19937 rng(99);
  auto pick = [&](int64_t lo, int64_t hi) { return lo + int64_t(rng() % uint64_t(hi - lo + 1)); };
  ArchConfig arch = testArch();
  const int64_t Q = 4;
  int conflicts = 0, clean = 0;
  for (int trial = 0; trial < 150; ++trial) {
    HazardChecker fast(arch);
    ReferenceChecker ref;
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
        DType t = pick(0, 2) ? DType::f32 : DType::bf16;
        // Mostly KiB-aligned tiles, sometimes ragged, page-crossing or
        // strided ones (negative and zero strides too), sometimes two axes.
        int64_t off = pick(0, 1) ? pick(0, 31) * 1024 : pick(0, 16000) * 2;
        int64_t n = pick(0, 1) ? pick(1, 4) * 256 : pick(1, 700);
        int64_t stride = pick(0, 5) ? 1 : pick(-3, 3);
        std::initializer_list<std::pair<int64_t, int64_t>> one = {{n, stride}};
        std::vector<std::pair<int64_t, int64_t>> dims(one);
        if (pick(0, 4) == 0) // [outer, inner] with a gap or a transpose
          dims = {{pick(1, 8), pick(-64, 300)}, {pick(1, 64), pick(0, 3) ? 1 : pick(2, 9)}};
        int64_t lo = 0, span = 0;
        AccessPattern a0 = test::ap(Space::sbuf, 0, 1, 0, t, {});
        for (auto [size, str] : dims) {
          a0.sizes.push_back(size);
          a0.strides.push_back(str);
        }
        int64_t hi;
        freeOffsetRange(a0, lo, hi);
        span = (hi - lo + 1) * isa::dtypeBytes(t);
        bool hbm = pick(0, 3) == 0;
        int64_t np = pick(1, 4);
        // HBM rows: back to back (one run), apart, overlapping or reversed.
        int64_t elems = 1;
        for (auto [size, str] : dims)
          elems *= size;
        int64_t partStride = hbm ? (pick(0, 1) ? elems : pick(-2000, 4000)) : 0;
        int64_t start = off - lo * isa::dtypeBytes(t);
        if (hbm && partStride < 0)
          start += -partStride * (np - 1) * isa::dtypeBytes(t);
        AccessPattern ap = a0;
        ap.space = hbm ? Space::hbm : Space::sbuf;
        ap.partStart = hbm ? 0 : pick(0, 7);
        ap.partCount = np;
        ap.partStride = partStride;
        ap.offset = start;
        if (!hbm && start + span > arch.sbufBytesPerPartition)
          continue;
        bool write = pick(0, 1);
        auto x = fast.access(ap, write, self, clock[q]);
        auto y = ref.access(ap, write, self, clock[q]);
        ASSERT_EQ(x.has_value(), y.has_value()) << "trial " << trial << " inst " << inst;
        if (x) {
          EXPECT_EQ(x->partition, y->partition) << "trial " << trial;
          EXPECT_EQ(x->byteLo, y->byte) << "trial " << trial;
          EXPECT_EQ(x->otherInst, y->otherInst) << "trial " << trial;
          EXPECT_EQ(x->otherWrites, y->otherWrites) << "trial " << trial;
          EXPECT_GT(x->byteHi, x->byteLo);
          ++conflicts;
          stop = true;
        } else {
          ++clean;
        }
      }
    }
  }
  // The streams exercise both outcomes.
  std::printf("%d conflicts, %d clean accesses\n", conflicts, clean);
  EXPECT_GT(conflicts, 20);
  EXPECT_GT(clean, 1000);
}

TEST(HazardChecker, TileHistorySharedAcrossPartitions) {
  // 128 partitions written by one instruction and read by another share
  // their states: the checker's memory does not grow with the tile.
  ArchConfig arch = testArch();
  HazardChecker c(arch);
  std::vector<uint32_t> vc(4, 0);
  vc[0] = 1;
  AccessPattern tile = sbuf(0, 128, 0, DType::f32, 4096);
  EXPECT_FALSE(c.access(tile, true, Epoch{0, 1, 0}, vc));
  vc[1] = 1;
  vc[0] = 1;
  EXPECT_FALSE(c.access(tile, false, Epoch{1, 1, 1}, vc));
  EXPECT_EQ(c.numStates(), 3u); // untouched, written, written + read
  // An unordered write by a third queue races with the read.
  std::vector<uint32_t> vc2 = {1, 0, 1, 0};
  auto k = c.access(sbuf(5, 1, 100, DType::f32, 1), true, Epoch{2, 1, 2}, vc2);
  ASSERT_TRUE(k);
  EXPECT_EQ(k->otherInst, 1u);
  EXPECT_FALSE(k->otherWrites);
  EXPECT_EQ(k->partition, 5);
  EXPECT_EQ(k->byteLo, 100);
  EXPECT_EQ(k->byteHi, 104);
}

} // namespace
