//===- Numerics.h - Reduced-precision float conversions -------------------===//
//
// Bit-exact conversions between fp32 and bf16, fp16, fp8 e4m3 (fn: no
// infinities, 0x7f/0xff NaN, max 448) and fp8 e5m2, rounding to nearest even as
// the hardware does.
//
//===----------------------------------------------------------------------===//
#ifndef TRELLIS_SUPPORT_NUMERICS_H
#define TRELLIS_SUPPORT_NUMERICS_H

#include <cstdint>

namespace trellis::numerics {

uint16_t f32ToBf16(float f);
float bf16ToF32(uint16_t h);
uint16_t f32ToF16(float f);
float f16ToF32(uint16_t h);
uint8_t f32ToF8E4M3(float f); // saturates to +-448 (NaN stays NaN)
float f8E4M3ToF32(uint8_t v);
uint8_t f32ToF8E5M2(float f);
float f8E5M2ToF32(uint8_t v);

/// Rounds `f` to the nearest value representable in bf16 (and back).
inline float roundBf16(float f) { return bf16ToF32(f32ToBf16(f)); }

} // namespace trellis::numerics

#endif
