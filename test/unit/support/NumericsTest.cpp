//===- NumericsTest.cpp - bf16 / f16 / fp8 conversions --------------------===//
//
// Expected bit patterns are worked out by hand from the formats' definitions
// (sign | biased exponent | mantissa); the sampled tests compare against an
// independent brute-force "nearest representable value" oracle.
//
//===----------------------------------------------------------------------===//

#include "trellis/Support/Numerics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

using namespace trellis::numerics;

namespace {

float fromBits(uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}
uint32_t toBits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}
const float kInf = std::numeric_limits<float>::infinity();
const float kNaN = std::numeric_limits<float>::quiet_NaN();

TEST(Bf16, HandComputed) {
  EXPECT_EQ(f32ToBf16(1.0f), 0x3f80);
  EXPECT_EQ(f32ToBf16(-2.0f), 0xc000);
  EXPECT_EQ(f32ToBf16(0.0f), 0x0000);
  EXPECT_EQ(f32ToBf16(-0.0f), 0x8000);
  EXPECT_EQ(f32ToBf16(3.140625f), 0x4049); // exactly 0x40490000
  EXPECT_EQ(f32ToBf16(fromBits(0x40490fdb)), 0x4049); // pi: low half 0x0fdb < 0x8000
  // Halfway cases go to the even neighbour.
  EXPECT_EQ(f32ToBf16(fromBits(0x3f808000)), 0x3f80); // 1 + 2^-8: tie, 0x3f80 even
  EXPECT_EQ(f32ToBf16(fromBits(0x3f818000)), 0x3f82); // tie, 0x3f81 odd -> up
  EXPECT_EQ(f32ToBf16(fromBits(0x3f808001)), 0x3f81); // just above the tie
  EXPECT_EQ(f32ToBf16(fromBits(0x3f807fff)), 0x3f80); // just below
  // Largest finite bf16 and overflow to infinity.
  EXPECT_EQ(f32ToBf16(fromBits(0x7f7f0000)), 0x7f7f);
  EXPECT_EQ(f32ToBf16(fromBits(0x7f7fffff)), 0x7f80); // FLT_MAX rounds up to inf
  EXPECT_EQ(f32ToBf16(kInf), 0x7f80);
  EXPECT_EQ(f32ToBf16(-kInf), 0xff80);
  // Subnormals are kept (no flush to zero).
  EXPECT_EQ(f32ToBf16(fromBits(0x00010000)), 0x0001);
  EXPECT_EQ(f32ToBf16(fromBits(0x00018000)), 0x0002); // tie, 1 odd -> 2
  // NaN stays NaN, even a signalling NaN whose payload is in the low half.
  EXPECT_EQ(f32ToBf16(kNaN), 0x7fc0);
  EXPECT_EQ(f32ToBf16(fromBits(0x7f800001)), 0x7fc0);
  EXPECT_EQ(f32ToBf16(fromBits(0xffc00000)), 0xffc0);

  EXPECT_EQ(bf16ToF32(0x3f80), 1.0f);
  EXPECT_EQ(bf16ToF32(0x4049), 3.140625f);
  EXPECT_EQ(toBits(bf16ToF32(0x0001)), 0x00010000u);
  EXPECT_EQ(bf16ToF32(0x7f7f), fromBits(0x7f7f0000)); // 3.3895314e38
  EXPECT_TRUE(std::isinf(bf16ToF32(0xff80)));
  EXPECT_TRUE(std::isnan(bf16ToF32(0x7fc1)));
  EXPECT_EQ(roundBf16(fromBits(0x3f818000)), fromBits(0x3f820000));
}

TEST(F16, HandComputed) {
  EXPECT_EQ(f32ToF16(1.0f), 0x3c00);
  EXPECT_EQ(f32ToF16(-2.0f), 0xc000);
  EXPECT_EQ(f32ToF16(0.1f), 0x2e66);   // 1.6 * 2^-4: mantissa 0.6 * 1024 = 614.4 -> 614
  EXPECT_EQ(f32ToF16(65504.0f), 0x7bff); // max finite
  EXPECT_EQ(f32ToF16(65519.0f), 0x7bff); // below the tie with 65536
  EXPECT_EQ(f32ToF16(65520.0f), 0x7c00); // tie, 0x3ff odd -> up -> inf
  EXPECT_EQ(f32ToF16(1e6f), 0x7c00);
  EXPECT_EQ(f32ToF16(-1e6f), 0xfc00);
  EXPECT_EQ(f32ToF16(1.0f + 0x1p-11f), 0x3c00);     // tie -> even
  EXPECT_EQ(f32ToF16(1.0f + 3 * 0x1p-11f), 0x3c02); // tie, 0x3c01 odd -> up
  EXPECT_EQ(f32ToF16(0x1p-14f), 0x0400);            // min normal
  EXPECT_EQ(f32ToF16(0x1p-15f), 0x0200);            // subnormal
  EXPECT_EQ(f32ToF16(0x1p-24f), 0x0001);            // min subnormal
  EXPECT_EQ(f32ToF16(0x1p-25f), 0x0000);            // tie with 0 -> 0 (even)
  EXPECT_EQ(f32ToF16(1.5f * 0x1p-25f), 0x0001);
  EXPECT_EQ(f32ToF16(3 * 0x1p-25f), 0x0002);        // 1.5 units: tie -> 2
  EXPECT_EQ(f32ToF16(1023 * 0x1p-24f), 0x03ff);     // max subnormal
  EXPECT_EQ(f32ToF16(2047 * 0x1p-25f), 0x0400);     // rounds up into the normals
  EXPECT_EQ(f32ToF16(fromBits(0x00000001)), 0x0000); // fp32 subnormal underflows
  EXPECT_EQ(f32ToF16(-0.0f), 0x8000);
  EXPECT_EQ(f32ToF16(kInf), 0x7c00);
  EXPECT_EQ(f32ToF16(kNaN), 0x7e00);

  EXPECT_EQ(f16ToF32(0x3c00), 1.0f);
  EXPECT_EQ(f16ToF32(0x7bff), 65504.0f);
  EXPECT_EQ(f16ToF32(0x0001), 0x1p-24f);
  EXPECT_EQ(f16ToF32(0x03ff), 1023 * 0x1p-24f);
  EXPECT_EQ(f16ToF32(0x8000), 0.0f);
  EXPECT_TRUE(std::signbit(f16ToF32(0x8000)));
  EXPECT_EQ(f16ToF32(0xfc00), -kInf);
  EXPECT_TRUE(std::isnan(f16ToF32(0x7c01)));
}

TEST(F8E4M3, HandComputed) {
  // e4m3fn: bias 7, 3 mantissa bits, no infinities, S.1111.111 is NaN.
  EXPECT_EQ(f32ToF8E4M3(1.0f), 0x38);
  EXPECT_EQ(f32ToF8E4M3(-1.0f), 0xb8);
  EXPECT_EQ(f32ToF8E4M3(0.3f), 0x2a);   // 1.2 * 2^-2: 0.2 * 8 = 1.6 -> 2 => 0.3125
  EXPECT_EQ(f32ToF8E4M3(240.0f), 0x77); // 1.875 * 2^7
  EXPECT_EQ(f32ToF8E4M3(256.0f), 0x78); // exponent field 15 is finite in fn
  EXPECT_EQ(f32ToF8E4M3(448.0f), 0x7e); // max finite: 1.75 * 2^8
  EXPECT_EQ(f32ToF8E4M3(464.0f), 0x7e); // tie between 448 and (NaN-coded) 480 -> even
  EXPECT_EQ(f32ToF8E4M3(465.0f), 0x7e); // would round to 480: saturates
  EXPECT_EQ(f32ToF8E4M3(500.0f), 0x7e);
  EXPECT_EQ(f32ToF8E4M3(1e30f), 0x7e);
  EXPECT_EQ(f32ToF8E4M3(-1000.0f), 0xfe);
  EXPECT_EQ(f32ToF8E4M3(0x1p-6f), 0x08);     // min normal
  EXPECT_EQ(f32ToF8E4M3(0x1p-9f), 0x01);     // min subnormal
  EXPECT_EQ(f32ToF8E4M3(7 * 0x1p-9f), 0x07); // max subnormal
  EXPECT_EQ(f32ToF8E4M3(0x1p-10f), 0x00);    // tie with 0 -> 0
  EXPECT_EQ(f32ToF8E4M3(3 * 0x1p-10f), 0x02); // 1.5 units: tie -> 2
  EXPECT_EQ(f32ToF8E4M3(1.0625f), 0x38);     // 1 + 2^-4: tie -> even (1.0)
  EXPECT_EQ(f32ToF8E4M3(1.1875f), 0x3a);     // 1 + 3 * 2^-4: tie -> 1.25
  EXPECT_EQ(f32ToF8E4M3(-0.0f), 0x80);
  EXPECT_EQ(f32ToF8E4M3(kNaN), 0x7f);
  EXPECT_EQ(f32ToF8E4M3(-kNaN), 0xff);
  // No infinity to map to: infinity is not a finite out-of-range value, so
  // it becomes NaN rather than saturating.
  EXPECT_EQ(f32ToF8E4M3(kInf), 0x7f);
  EXPECT_EQ(f32ToF8E4M3(-kInf), 0xff);

  EXPECT_EQ(f8E4M3ToF32(0x38), 1.0f);
  EXPECT_EQ(f8E4M3ToF32(0x78), 256.0f);
  EXPECT_EQ(f8E4M3ToF32(0x7e), 448.0f);
  EXPECT_EQ(f8E4M3ToF32(0xfe), -448.0f);
  EXPECT_EQ(f8E4M3ToF32(0x01), 0x1p-9f);
  EXPECT_EQ(f8E4M3ToF32(0x08), 0x1p-6f);
  EXPECT_TRUE(std::isnan(f8E4M3ToF32(0x7f)));
  EXPECT_TRUE(std::isnan(f8E4M3ToF32(0xff)));
  EXPECT_TRUE(std::signbit(f8E4M3ToF32(0x80)));
}

TEST(F8E5M2, HandComputed) {
  // e5m2: bias 15, 2 mantissa bits, IEEE-like infinities and NaNs.
  EXPECT_EQ(f32ToF8E5M2(1.0f), 0x3c);
  EXPECT_EQ(f32ToF8E5M2(-1.0f), 0xbc);
  EXPECT_EQ(f32ToF8E5M2(0.1f), 0x2e);       // 1.6 * 2^-4: 0.6 * 4 = 2.4 -> 2
  EXPECT_EQ(f32ToF8E5M2(57344.0f), 0x7b);   // max finite: 1.75 * 2^15
  EXPECT_EQ(f32ToF8E5M2(61439.0f), 0x7b);   // below the tie with 65536
  EXPECT_EQ(f32ToF8E5M2(61440.0f), 0x7c);   // tie, 0x7b odd -> up -> inf
  EXPECT_EQ(f32ToF8E5M2(1e6f), 0x7c);
  EXPECT_EQ(f32ToF8E5M2(-1e6f), 0xfc);
  EXPECT_EQ(f32ToF8E5M2(0x1p-14f), 0x04);   // min normal
  EXPECT_EQ(f32ToF8E5M2(0x1p-16f), 0x01);   // min subnormal
  EXPECT_EQ(f32ToF8E5M2(0x1p-17f), 0x00);   // tie with 0 -> 0
  EXPECT_EQ(f32ToF8E5M2(3 * 0x1p-17f), 0x02);
  EXPECT_EQ(f32ToF8E5M2(1.125f), 0x3c);     // 1 + 2^-3: tie -> even (1.0)
  EXPECT_EQ(f32ToF8E5M2(1.375f), 0x3e);     // tie -> 1.5
  EXPECT_EQ(f32ToF8E5M2(kInf), 0x7c);
  EXPECT_EQ(f32ToF8E5M2(-kInf), 0xfc);
  EXPECT_EQ(f32ToF8E5M2(kNaN), 0x7e);

  EXPECT_EQ(f8E5M2ToF32(0x3c), 1.0f);
  EXPECT_EQ(f8E5M2ToF32(0x7b), 57344.0f);
  EXPECT_EQ(f8E5M2ToF32(0x01), 0x1p-16f);
  EXPECT_EQ(f8E5M2ToF32(0x7c), kInf);
  EXPECT_EQ(f8E5M2ToF32(0xfc), -kInf);
  EXPECT_TRUE(std::isnan(f8E5M2ToF32(0x7d)));
  EXPECT_TRUE(std::isnan(f8E5M2ToF32(0xff)));
}

/// A format described independently of the code under test.
struct Spec {
  int expBits, manBits;
  bool fn; // e4m3fn: no infinities, only all-ones is NaN
  int bias() const { return (1 << (expBits - 1)) - 1; }
  int bits() const { return 1 + expBits + manBits; }
  bool isNaN(uint32_t v) const {
    uint32_t e = (v >> manBits) & ((1u << expBits) - 1), m = v & ((1u << manBits) - 1);
    if (fn)
      return e == (1u << expBits) - 1 && m == (1u << manBits) - 1;
    return e == (1u << expBits) - 1 && m != 0;
  }
  bool isInf(uint32_t v) const {
    uint32_t e = (v >> manBits) & ((1u << expBits) - 1), m = v & ((1u << manBits) - 1);
    return !fn && e == (1u << expBits) - 1 && m == 0;
  }
  /// The value of a finite, non-NaN pattern, by the textbook formula.
  double value(uint32_t v) const {
    uint32_t s = v >> (expBits + manBits), e = (v >> manBits) & ((1u << expBits) - 1),
             m = v & ((1u << manBits) - 1);
    double mag = e == 0 ? std::ldexp(double(m), 1 - bias() - manBits)
                        : std::ldexp(1.0 + std::ldexp(double(m), -manBits), int(e) - bias());
    return s ? -mag : mag;
  }
};

/// Round-to-nearest-even by brute force over the sorted positive values.
uint32_t referenceRound(const Spec &spec, float x) {
  static thread_local std::vector<std::pair<double, uint32_t>> table;
  static thread_local const Spec *tableSpec = nullptr;
  if (tableSpec != &spec) {
    table.clear();
    for (uint32_t v = 0; v < (1u << (spec.bits() - 1)); ++v)
      if (!spec.isNaN(v) && !spec.isInf(v))
        table.push_back({spec.value(v), v});
    std::sort(table.begin(), table.end());
    tableSpec = &spec;
  }
  uint32_t sign = std::signbit(x) ? 1u << (spec.bits() - 1) : 0;
  double a = std::fabs(double(x));
  const auto &top = table.back();
  const auto &belowTop = table[table.size() - 2];
  double overflowAt = top.first + (top.first - belowTop.first) / 2; // tie with the next binade step
  if (a >= overflowAt && !(a == overflowAt && (top.second & 1) == 0)) {
    if (spec.fn)
      return sign | top.second; // saturate
    return sign | (((1u << spec.expBits) - 1) << spec.manBits);
  }
  auto it = std::lower_bound(table.begin(), table.end(), std::make_pair(a, 0u));
  if (it == table.end())
    return sign | top.second;
  if (it->first == a || it == table.begin())
    return sign | it->second;
  auto lo = it - 1;
  double dlo = a - lo->first, dhi = it->first - a;
  if (dlo < dhi || (dlo == dhi && (lo->second & 1) == 0))
    return sign | lo->second;
  return sign | it->second;
}

const Spec kBf16Spec{8, 7, false}, kF16Spec{5, 10, false}, kE4M3Spec{4, 3, true}, kE5M2Spec{5, 2, false};

template <typename Fn> void checkAgainstReference(const Spec &spec, Fn convert) {
  // Every 65521st fp32 pattern (prime stride: all mantissa residues), plus
  // every value near each representable value of the narrow format.
  std::vector<float> samples;
  for (uint64_t b = 0; b <= 0xffffffffull; b += 65521) {
    float f = fromBits(uint32_t(b));
    if (std::isfinite(f)) // NaN and infinity: see the hand-computed tests
      samples.push_back(f);
  }
  auto finite = [&](uint32_t v) { return !spec.isNaN(v) && !spec.isInf(v); };
  uint32_t positives = 1u << (spec.bits() - 1);
  for (uint32_t v = 0; v < positives; ++v) {
    if (!finite(v))
      continue;
    std::vector<float> points = {float(spec.value(v))};
    // The midpoint to the next value up (exact in fp32 for these formats).
    if (v + 1 < positives && finite(v + 1))
      points.push_back(float((spec.value(v) + spec.value(v + 1)) / 2));
    for (float p : points)
      for (float g : {p, std::nextafter(p, kInf), std::nextafter(p, -kInf)})
        for (float s : {g, -g})
          samples.push_back(s);
  }
  int failures = 0;
  for (float f : samples) {
    uint32_t want = referenceRound(spec, f), got = convert(f);
    if (want != got && ++failures <= 10)
      ADD_FAILURE() << "x = " << f << " (0x" << std::hex << toBits(f) << "): want 0x" << want << ", got 0x" << got;
  }
  EXPECT_EQ(failures, 0);
}

TEST(Bf16, MatchesBruteForceNearest) {
  checkAgainstReference(kBf16Spec, [](float f) { return uint32_t(f32ToBf16(f)); });
}
TEST(F16, MatchesBruteForceNearest) {
  checkAgainstReference(kF16Spec, [](float f) { return uint32_t(f32ToF16(f)); });
}
TEST(F8E4M3, MatchesBruteForceNearest) {
  checkAgainstReference(kE4M3Spec, [](float f) { return uint32_t(f32ToF8E4M3(f)); });
}
TEST(F8E5M2, MatchesBruteForceNearest) {
  checkAgainstReference(kE5M2Spec, [](float f) { return uint32_t(f32ToF8E5M2(f)); });
}

TEST(Decode, MatchesTextbookFormula) {
  for (uint32_t v = 0; v < 65536; ++v) {
    if (!kF16Spec.isNaN(v) && !kF16Spec.isInf(v)) {
      ASSERT_EQ(double(f16ToF32(uint16_t(v))), kF16Spec.value(v)) << std::hex << v;
    }
  }
  for (uint32_t v = 0; v < 256; ++v) {
    if (!kE4M3Spec.isNaN(v)) {
      ASSERT_EQ(double(f8E4M3ToF32(uint8_t(v))), kE4M3Spec.value(v)) << std::hex << v;
    }
    if (!kE5M2Spec.isNaN(v) && !kE5M2Spec.isInf(v)) {
      ASSERT_EQ(double(f8E5M2ToF32(uint8_t(v))), kE5M2Spec.value(v)) << std::hex << v;
    }
  }
}

// Every pattern survives narrow -> f32 -> narrow, except that a NaN only has
// to stay a NaN of the same sign.
TEST(RoundTrip, EveryBf16Pattern) {
  for (uint32_t v = 0; v < 65536; ++v) {
    uint16_t h = uint16_t(v), back = f32ToBf16(bf16ToF32(h));
    bool nan = (h & 0x7f80) == 0x7f80 && (h & 0x7f);
    if (nan)
      ASSERT_TRUE((back & 0x7f80) == 0x7f80 && (back & 0x7f) && (back & 0x8000) == (h & 0x8000)) << std::hex << v;
    else
      ASSERT_EQ(back, h) << std::hex << v;
  }
}

TEST(RoundTrip, EveryF16Pattern) {
  for (uint32_t v = 0; v < 65536; ++v) {
    uint16_t h = uint16_t(v), back = f32ToF16(f16ToF32(h));
    if (kF16Spec.isNaN(h))
      ASSERT_TRUE(kF16Spec.isNaN(back) && (back & 0x8000) == (h & 0x8000)) << std::hex << v;
    else
      ASSERT_EQ(back, h) << std::hex << v;
  }
}

TEST(RoundTrip, EveryFp8Pattern) {
  for (uint32_t v = 0; v < 256; ++v) {
    uint8_t b = uint8_t(v);
    uint8_t e4 = f32ToF8E4M3(f8E4M3ToF32(b)), e5 = f32ToF8E5M2(f8E5M2ToF32(b));
    EXPECT_EQ(e4, b) << std::hex << v; // e4m3fn has one NaN per sign: exact too
    if (kE5M2Spec.isNaN(b))
      EXPECT_TRUE(kE5M2Spec.isNaN(e5) && (e5 & 0x80) == (b & 0x80)) << std::hex << v;
    else
      EXPECT_EQ(e5, b) << std::hex << v;
  }
}

} // namespace
