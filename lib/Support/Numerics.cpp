//===- Numerics.cpp - Reduced-precision float conversions -----------------===//
//
// All conversions work on bit patterns with integer arithmetic, so they are
// bit-exact and independent of the host FPU's rounding mode and of
// flush-to-zero settings.
//
//===----------------------------------------------------------------------===//

#include "trellis/Support/Numerics.h"

#include <cmath>
#include <cstring>

namespace trellis::numerics {
namespace {

uint32_t bitsOf(float f) {
  uint32_t b;
  std::memcpy(&b, &f, sizeof b);
  return b;
}

float floatOf(uint32_t b) {
  float f;
  std::memcpy(&f, &b, sizeof f);
  return f;
}

/// A binary floating-point format narrower than fp32.
struct Format {
  int expBits;
  int manBits;
  /// IEEE-like: the all-ones exponent encodes inf / NaN. Otherwise (e4m3fn)
  /// only the all-ones pattern is NaN and the rest are finite numbers.
  bool hasInf;

  int bias() const { return (1 << (expBits - 1)) - 1; }
  uint32_t expMask() const { return (1u << expBits) - 1; }
  uint32_t signBit() const { return 1u << (expBits + manBits); }
  uint32_t infBits() const { return expMask() << manBits; }
  uint32_t maxFiniteBits() const {
    // IEEE: exponent all-ones minus one, mantissa all ones. fn: all ones
    // except the last mantissa bit (all ones is NaN).
    return hasInf ? infBits() - 1 : (expMask() << manBits) | ((1u << manBits) - 2);
  }
  uint32_t quietNaNBits() const {
    return hasInf ? infBits() | (1u << (manBits - 1)) : (expMask() << manBits) | ((1u << manBits) - 1);
  }
};

constexpr Format kF16{5, 10, true};
constexpr Format kE4M3{4, 3, false};
constexpr Format kE5M2{5, 2, true};

/// Rounds `x` right by `shift` bits to nearest, ties to even.
uint64_t shiftRightRne(uint64_t x, int shift) {
  if (shift <= 0)
    return x << -shift;
  if (shift >= 64)
    return 0;
  uint64_t half = uint64_t(1) << (shift - 1);
  uint64_t rest = x & ((uint64_t(1) << shift) - 1);
  uint64_t q = x >> shift;
  if (rest > half || (rest == half && (q & 1)))
    ++q;
  return q;
}

uint32_t fromF32(float f, const Format &fmt) {
  uint32_t b = bitsOf(f);
  uint32_t sign = (b >> 31) ? fmt.signBit() : 0;
  uint32_t abs = b & 0x7fffffffu;
  if (abs > 0x7f800000u) { // NaN: keep the sign and the top payload bits, quiet.
    uint32_t payload = (abs & 0x7fffffu) >> (23 - fmt.manBits);
    if (!fmt.hasInf)
      return sign | fmt.quietNaNBits();
    return sign | fmt.infBits() | payload | (1u << (fmt.manBits - 1));
  }
  if (abs == 0x7f800000u) // e4m3fn has no infinity: an infinite input is NaN.
    return sign | (fmt.hasInf ? fmt.infBits() : fmt.quietNaNBits());

  int exp = int(abs >> 23);
  uint64_t sig = abs & 0x7fffffu;
  if (exp == 0)
    exp = 1; // fp32 subnormal: no implicit bit
  else
    sig |= 0x800000u;
  // Value = sig * 2^(exp - 127 - 23). The target encodes
  // (texp << manBits | man) with value man * 2^(1 - bias - manBits) for
  // texp == 0, which makes the encoding of any finite value monotonic: round
  // the significand at the target's resolution and let carries run into the
  // exponent field.
  int texp = exp - 127 + fmt.bias();
  uint32_t bits; // magnitude; > maxFiniteBits() means overflow
  if (texp >= 1) {
    // Normal range: drop the low mantissa bits. (texp << 23 | mantissa)
    // rounded as one integer carries correctly into the exponent.
    uint64_t v = (uint64_t(texp) << 23) | (sig & 0x7fffffu);
    uint64_t r = shiftRightRne(v, 23 - fmt.manBits);
    bits = r > fmt.maxFiniteBits() ? fmt.maxFiniteBits() + 1 : uint32_t(r);
  } else {
    // Subnormal range: value / 2^(1 - bias - manBits) = sig >> shift.
    int shift = (23 - fmt.manBits) + (1 - texp);
    bits = uint32_t(shiftRightRne(sig, shift));
  }
  if (bits > fmt.maxFiniteBits())
    bits = fmt.hasInf ? fmt.infBits() : fmt.maxFiniteBits(); // fn saturates
  return sign | bits;
}

float toF32(uint32_t v, const Format &fmt) {
  bool neg = v & fmt.signBit();
  uint32_t sign = neg ? 0x80000000u : 0;
  uint32_t exp = (v >> fmt.manBits) & fmt.expMask();
  uint32_t man = v & ((1u << fmt.manBits) - 1);
  if (exp == fmt.expMask()) {
    if (fmt.hasInf) {
      if (man == 0)
        return floatOf(sign | 0x7f800000u);
      return floatOf(sign | 0x7fc00000u | (man << (23 - fmt.manBits)));
    }
    if (man == (1u << fmt.manBits) - 1)
      return floatOf(sign | 0x7fc00000u);
  }
  if (exp == 0) {
    // Subnormal: exact in fp32 (ldexp of a small integer).
    float mag = std::ldexp(float(man), 1 - fmt.bias() - fmt.manBits);
    return neg ? -mag : mag;
  }
  uint32_t e32 = exp - fmt.bias() + 127;
  return floatOf(sign | (e32 << 23) | (man << (23 - fmt.manBits)));
}

} // namespace

uint16_t f32ToBf16(float f) {
  uint32_t b = bitsOf(f);
  if ((b & 0x7fffffffu) > 0x7f800000u)
    return uint16_t((b >> 16) | 0x0040u); // quiet NaN, sign and payload kept
  // Round to nearest even; overflow carries into the exponent and yields inf.
  return uint16_t(shiftRightRne(b, 16));
}

float bf16ToF32(uint16_t h) { return floatOf(uint32_t(h) << 16); }

uint16_t f32ToF16(float f) { return uint16_t(fromF32(f, kF16)); }
float f16ToF32(uint16_t h) { return toF32(h, kF16); }
uint8_t f32ToF8E4M3(float f) { return uint8_t(fromF32(f, kE4M3)); }
float f8E4M3ToF32(uint8_t v) { return toF32(v, kE4M3); }
uint8_t f32ToF8E5M2(float f) { return uint8_t(fromF32(f, kE5M2)); }
float f8E5M2ToF32(uint8_t v) { return toF32(v, kE5M2); }

} // namespace trellis::numerics
