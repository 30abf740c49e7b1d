//===- MemoryTest.cpp - Row gather/scatter fast paths vs a naive walk -----===//
//
// loadRow / storeRow / loadRowBytes / storeRowBytes take fast paths
// (memcpy, inline vectorised bf16 conversion, fixed-size strided copies).
// Each is compared with an independent element-by-element reference that
// computes every element's address from its multi-index and converts with
// trellis/Support/Numerics.h, over random patterns: odd sizes, strided,
// negative and zero strides, several axes, every dtype.
//
//===----------------------------------------------------------------------===//

#include "EmulatorTestUtil.h"
#include "Memory.h"
#include "trellis/Support/Numerics.h"
#include <cmath>
#include <cstring>
#include <random>

using namespace trellis;
using namespace trellis::emu;
using namespace trellis::emu::test;

namespace {

/// Byte offset of free element i of `ap` (row-major multi-index).
int64_t naiveOffset(const AccessPattern &ap, int64_t i) {
  int64_t off = 0;
  for (size_t d = ap.sizes.size(); d-- > 0;) {
    off += (i % ap.sizes[d]) * ap.strides[d];
    i /= ap.sizes[d];
  }
  return off * ap.elementBytes();
}

float naiveLoad(DType t, const uint8_t *p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  switch (t) {
  case DType::bf16:
    return numerics::bf16ToF32(h);
  case DType::f16:
    return numerics::f16ToF32(h);
  default:
    return loadElement(t, p);
  }
}

uint32_t bitsOf(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}

struct Case {
  AccessPattern ap;
  int64_t partBytes;
};

/// A random pattern over an 8 KiB partition whose elements all fit in it.
Case randomCase(std::mt19937 &rng, DType t) {
  auto pick = [&](int64_t lo, int64_t hi) { return lo + int64_t(rng() % uint64_t(hi - lo + 1)); };
  std::vector<std::pair<int64_t, int64_t>> dims;
  int rank = int(pick(1, 3));
  for (int d = 0; d < rank; ++d) {
    int64_t size = pick(1, 9), stride;
    switch (pick(0, 4)) {
    case 0:
      stride = 0;
      break;
    case 1:
      stride = -pick(1, 5);
      break;
    default:
      stride = pick(1, 13);
    }
    dims.push_back({size, stride});
  }
  if (pick(0, 2) == 0) // a long contiguous inner axis
    dims.back() = {pick(1, 300), 1};
  AccessPattern ap = test::ap(Space::sbuf, 0, 2, 0, t, {});
  for (auto [size, stride] : dims) {
    ap.sizes.push_back(size);
    ap.strides.push_back(stride);
  }
  int64_t lo, hi;
  freeOffsetRange(ap, lo, hi);
  ap.offset = -lo * ap.elementBytes() + pick(0, 7) * ap.elementBytes();
  return {ap, 8192};
}

TEST(Memory, Bf16ConversionsMatchNumerics) {
  for (uint32_t h = 0; h < 65536; ++h) {
    AccessPattern ap = sbuf(0, 1, 0, DType::bf16, 1);
    uint8_t mem[2];
    std::memcpy(mem, &h, 2);
    Operand op{&ap, mem, 2};
    float f;
    loadRow(op, 0, &f);
    ASSERT_EQ(bitsOf(f), bitsOf(numerics::bf16ToF32(uint16_t(h)))) << h;
  }
  // Narrowing: ties both ways, the largest finite values, inf, NaNs with
  // payloads, denormals, and random bit patterns.
  std::vector<uint32_t> bits = {0x00000000, 0x80000000, 0x3f808000, 0x3f818000, 0x3f80ffff,
                                0x3f817fff, 0x7f7fffff, 0xff7fffff, 0x7f7f8000, 0x7f800000,
                                0xff800000, 0x7f800001, 0xff800001, 0x7fc00000, 0x7fffffff,
                                0xffffffff, 0x00008000, 0x00018000, 0x807fffff, 0x7f808000};
  std::mt19937 rng(5);
  for (int i = 0; i < 200000; ++i)
    bits.push_back(uint32_t(rng()));
  std::vector<float> in(bits.size());
  for (size_t i = 0; i < bits.size(); ++i)
    std::memcpy(&in[i], &bits[i], 4);
  std::vector<uint8_t> mem(in.size() * 2);
  AccessPattern ap = sbuf(0, 1, 0, DType::bf16, int64_t(in.size()));
  Operand op{&ap, mem.data(), int64_t(mem.size())};
  storeRow(op, 0, in.data());
  for (size_t i = 0; i < in.size(); ++i) {
    uint16_t h;
    std::memcpy(&h, mem.data() + 2 * i, 2);
    ASSERT_EQ(h, numerics::f32ToBf16(in[i])) << std::hex << bits[i];
  }
}

TEST(Memory, RowFastPathsMatchNaiveWalk) {
  std::mt19937 rng(17);
  std::uniform_real_distribution<float> value(-300.0f, 300.0f);
  for (DType t : {DType::f32, DType::bf16, DType::f16, DType::f8e4m3, DType::f8e5m2,
                  DType::i32, DType::i16, DType::i8, DType::u8, DType::i64, DType::u32}) {
    for (int trial = 0; trial < 300; ++trial) {
      Case c = randomCase(rng, t);
      const AccessPattern &ap = c.ap;
      int64_t eb = ap.elementBytes(), n = freeCount(ap);
      std::vector<uint8_t> mem(size_t(2 * c.partBytes));
      for (uint8_t &b : mem)
        b = uint8_t(rng());
      Operand op{&ap, mem.data() + ap.offset, c.partBytes};

      // Loads: values and raw bytes, partition 1.
      std::vector<float> got(static_cast<size_t>(n));
      loadRow(op, 1, got.data());
      std::vector<uint8_t> bytes(size_t(n * eb));
      loadRowBytes(op, 1, bytes.data());
      for (int64_t i = 0; i < n; ++i) {
        const uint8_t *at = mem.data() + c.partBytes + ap.offset + naiveOffset(ap, i);
        float want = naiveLoad(t, at);
        ASSERT_TRUE(bitsOf(got[size_t(i)]) == bitsOf(want) ||
                    (std::isnan(got[size_t(i)]) && std::isnan(want)))
            << "dtype " << int(t) << " trial " << trial << " element " << i;
        ASSERT_EQ(std::memcmp(bytes.data() + i * eb, at, size_t(eb)), 0);
      }

      // Stores: the last write of each byte wins (zero strides revisit
      // elements), as in a naive in-order scatter.
      std::vector<float> in(static_cast<size_t>(n));
      for (float &x : in)
        x = value(rng);
      std::vector<uint8_t> want = mem, fast = mem;
      Operand fop{&ap, fast.data() + ap.offset, c.partBytes};
      storeRow(fop, 1, in.data());
      for (int64_t i = 0; i < n; ++i)
        storeElement(t, want.data() + c.partBytes + ap.offset + naiveOffset(ap, i),
                     in[size_t(i)]);
      ASSERT_EQ(fast, want) << "storeRow dtype " << int(t) << " trial " << trial;

      std::vector<uint8_t> raw(size_t(n * eb));
      for (uint8_t &b : raw)
        b = uint8_t(rng());
      want = mem;
      fast = mem;
      storeRowBytes(fop, 1, raw.data());
      for (int64_t i = 0; i < n; ++i)
        std::memcpy(want.data() + c.partBytes + ap.offset + naiveOffset(ap, i),
                    raw.data() + i * eb, size_t(eb));
      ASSERT_EQ(fast, want) << "storeRowBytes dtype " << int(t) << " trial " << trial;
    }
  }
}

TEST(Memory, DenseRowRecognisesOnlyInOrderRuns) {
  EXPECT_TRUE(isDenseRow(ap(Space::sbuf, 0, 1, 0, DType::f32, {{4, 8}, {8, 1}})));
  EXPECT_TRUE(isDenseRow(ap(Space::sbuf, 0, 1, 0, DType::f32, {{1, 99}, {8, 1}})));
  EXPECT_TRUE(isDenseRow(ap(Space::sbuf, 0, 1, 0, DType::f32, {})));
  EXPECT_FALSE(isDenseRow(ap(Space::sbuf, 0, 1, 0, DType::f32, {{4, 9}, {8, 1}})));
  EXPECT_FALSE(isDenseRow(ap(Space::sbuf, 0, 1, 0, DType::f32, {{8, 3}, {4, 1}}))); // overlapping rows
  EXPECT_FALSE(isDenseRow(ap(Space::sbuf, 0, 1, 0, DType::f32, {{8, -1}})));
  EXPECT_FALSE(isDenseRow(ap(Space::sbuf, 0, 1, 0, DType::f32, {{8, 0}})));
}

} // namespace
