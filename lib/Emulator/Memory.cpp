//===- Memory.cpp - Memory images and element conversions -----------------===//

#include "Memory.h"
#include "trellis/Support/Numerics.h"
#include <cmath>
#include <cstring>
#include <limits>
#include <sys/mman.h>

using namespace trellis;
using namespace trellis::emu;
using isa::DType;

llvm::Error ByteImage::allocate(int64_t n, llvm::StringRef what) {
  release();
  if (n < 0)
    return llvm::createStringError("%s size %lld is negative", what.str().c_str(),
                                   (long long)n);
  constexpr size_t kHuge = size_t(2) << 20;
  if (size_t(n) >= kHuge) {
    size_t len = (size_t(n) + kHuge - 1) / kHuge * kHuge;
    void *p = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p != MAP_FAILED) {
#ifdef MADV_HUGEPAGE
      madvise(p, len, MADV_HUGEPAGE); // a hint: without it, 4 KiB pages
#endif
      bytes = static_cast<uint8_t *>(p);
      mappedBytes = len;
      numBytes = n;
      return llvm::Error::success();
    }
  }
  // calloc(0) may return null; keep one byte so data() is always valid.
  uint8_t *p = static_cast<uint8_t *>(std::calloc(n ? size_t(n) : 1, 1));
  if (!p)
    return llvm::createStringError("cannot allocate %lld bytes for %s", (long long)n,
                                   what.str().c_str());
  bytes = p;
  numBytes = n;
  return llvm::Error::success();
}

void ByteImage::release() {
  if (mappedBytes)
    munmap(bytes, mappedBytes);
  else
    std::free(bytes);
  bytes = nullptr;
  numBytes = 0;
  mappedBytes = 0;
}

int64_t emu::freeCount(const isa::AccessPattern &ap) {
  int64_t n = 1;
  for (int64_t s : ap.sizes)
    n *= s;
  return n;
}

bool emu::freeOffsetRange(const isa::AccessPattern &ap, int64_t &lo, int64_t &hi) {
  lo = hi = 0;
  for (size_t d = 0; d < ap.sizes.size(); ++d) {
    int64_t span;
    if (__builtin_mul_overflow(ap.sizes[d] - 1, ap.strides[d], &span))
      return false;
    if (__builtin_add_overflow(span < 0 ? lo : hi, span, span < 0 ? &lo : &hi))
      return false;
  }
  return true;
}

Operand emu::resolve(Memories &mem, const isa::AccessPattern &ap) {
  Operand op;
  op.ap = &ap;
  switch (ap.space) {
  case isa::Space::hbm:
    op.partBytes = ap.partStride * isa::dtypeBytes(ap.dtype);
    op.base = mem.hbm.data() + ap.offset;
    break;
  case isa::Space::sbuf:
    op.partBytes = mem.sbufPartitionBytes;
    op.base = mem.sbuf.data() + ap.partStart * op.partBytes + ap.offset;
    break;
  case isa::Space::psum:
    op.partBytes = mem.psumPartitionBytes;
    op.base = mem.psum.data() + ap.partStart * op.partBytes + ap.offset;
    break;
  }
  return op;
}

//===----------------------------------------------------------------------===//
// Element conversions
//===----------------------------------------------------------------------===//

template <typename T> static T loadAs(const uint8_t *p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}
template <typename T> static void storeAs(uint8_t *p, T v) { std::memcpy(p, &v, sizeof(T)); }

/// Float -> integer: round half to even, saturate, NaN -> 0.
template <typename T> static T toInt(float v) {
  if (std::isnan(v))
    return 0;
  double r = std::nearbyint(double(v));
  if (r <= double(std::numeric_limits<T>::min()))
    return std::numeric_limits<T>::min();
  if (r >= double(std::numeric_limits<T>::max()))
    return std::numeric_limits<T>::max();
  return T(r);
}

template <typename T> static T satInt(int64_t v) {
  if (v < int64_t(std::numeric_limits<T>::min()))
    return std::numeric_limits<T>::min();
  if (std::is_same<T, int64_t>::value)
    return T(v);
  if (v > int64_t(std::numeric_limits<T>::max()))
    return std::numeric_limits<T>::max();
  return T(v);
}

float emu::loadElement(DType t, const uint8_t *p) {
  switch (t) {
  case DType::f32:
    return loadAs<float>(p);
  case DType::bf16:
    return numerics::bf16ToF32(loadAs<uint16_t>(p));
  case DType::f16:
    return numerics::f16ToF32(loadAs<uint16_t>(p));
  case DType::f8e4m3:
    return numerics::f8E4M3ToF32(*p);
  case DType::f8e5m2:
    return numerics::f8E5M2ToF32(*p);
  case DType::i32:
    return float(loadAs<int32_t>(p));
  case DType::i16:
    return float(loadAs<int16_t>(p));
  case DType::i8:
    return float(loadAs<int8_t>(p));
  case DType::u8:
    return float(*p);
  case DType::u32:
    return float(loadAs<uint32_t>(p));
  case DType::i64:
    return float(loadAs<int64_t>(p));
  }
  return 0.0f;
}

void emu::storeElement(DType t, uint8_t *p, float v) {
  switch (t) {
  case DType::f32:
    return storeAs<float>(p, v);
  case DType::bf16:
    return storeAs<uint16_t>(p, numerics::f32ToBf16(v));
  case DType::f16:
    return storeAs<uint16_t>(p, numerics::f32ToF16(v));
  case DType::f8e4m3:
    *p = numerics::f32ToF8E4M3(v);
    return;
  case DType::f8e5m2:
    *p = numerics::f32ToF8E5M2(v);
    return;
  case DType::i32:
    return storeAs<int32_t>(p, toInt<int32_t>(v));
  case DType::i16:
    return storeAs<int16_t>(p, toInt<int16_t>(v));
  case DType::i8:
    return storeAs<int8_t>(p, toInt<int8_t>(v));
  case DType::u8:
    *p = toInt<uint8_t>(v);
    return;
  case DType::u32:
    return storeAs<uint32_t>(p, toInt<uint32_t>(v));
  case DType::i64:
    return storeAs<int64_t>(p, toInt<int64_t>(v));
  }
}

void emu::storeInteger(DType t, uint8_t *p, int64_t v) {
  switch (t) {
  case DType::i32:
    return storeAs<int32_t>(p, satInt<int32_t>(v));
  case DType::i16:
    return storeAs<int16_t>(p, satInt<int16_t>(v));
  case DType::i8:
    return storeAs<int8_t>(p, satInt<int8_t>(v));
  case DType::u8:
    *p = satInt<uint8_t>(v);
    return;
  case DType::u32:
    return storeAs<uint32_t>(p, satInt<uint32_t>(v));
  case DType::i64:
    return storeAs<int64_t>(p, v);
  default:
    return storeElement(t, p, float(v));
  }
}

//===----------------------------------------------------------------------===//
// Row gather / scatter
//===----------------------------------------------------------------------===//

/// bf16 <-> fp32 inline and branch-free, so that the loops over rows
/// vectorise; bit-identical to numerics::bf16ToF32 / f32ToBf16 (a unit test
/// compares every bf16 pattern and rounding case).
static inline float bf16Bits(uint16_t h) {
  uint32_t b = uint32_t(h) << 16;
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}
static inline uint16_t toBf16Bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  uint32_t rounded = (b + 0x7fffu + ((b >> 16) & 1u)) >> 16; // nearest even
  uint32_t nan = (b >> 16) | 0x0040u;                        // quiet NaN, payload kept
  return uint16_t((b & 0x7fffffffu) > 0x7f800000u ? nan : rounded);
}

/// The dtype switch sits outside the element loop so that each loop body is a
/// simple, vectorisable conversion.
template <typename Conv>
static void loadRun(const uint8_t *src, int64_t count, int64_t stride, float *out, Conv conv) {
  for (int64_t k = 0; k < count; ++k)
    out[k] = conv(src + k * stride);
}

template <typename Conv>
static void storeRun(uint8_t *dst, int64_t count, int64_t stride, const float *in, Conv conv) {
  for (int64_t k = 0; k < count; ++k)
    conv(dst + k * stride, in[k]);
}

void emu::loadRow(const Operand &op, int64_t p, float *out) {
  const uint8_t *base = op.row(p);
  DType t = op.ap->dtype;
  forEachInnerRow(*op.ap, [&](int64_t first, int64_t off, int64_t count, int64_t stride) {
    const uint8_t *src = base + off;
    float *dst = out + first;
    if (t == DType::f32 && stride == 4) {
      std::memcpy(dst, src, size_t(count) * 4);
      return;
    }
    switch (t) {
    case DType::f32:
      return loadRun(src, count, stride, dst, [](const uint8_t *q) { return loadAs<float>(q); });
    case DType::bf16:
      if (stride == 2) // contiguous: a vectorised widening
        return loadRun(src, count, 2, dst,
                       [](const uint8_t *q) { return bf16Bits(loadAs<uint16_t>(q)); });
      return loadRun(src, count, stride, dst,
                     [](const uint8_t *q) { return bf16Bits(loadAs<uint16_t>(q)); });
    default:
      return loadRun(src, count, stride, dst,
                     [t](const uint8_t *q) { return loadElement(t, q); });
    }
  });
}

void emu::storeRow(const Operand &op, int64_t p, const float *in) {
  uint8_t *base = op.row(p);
  DType t = op.ap->dtype;
  forEachInnerRow(*op.ap, [&](int64_t first, int64_t off, int64_t count, int64_t stride) {
    uint8_t *dst = base + off;
    const float *src = in + first;
    if (t == DType::f32 && stride == 4) {
      std::memcpy(dst, src, size_t(count) * 4);
      return;
    }
    switch (t) {
    case DType::f32:
      return storeRun(dst, count, stride, src, [](uint8_t *q, float v) { storeAs<float>(q, v); });
    case DType::bf16:
      if (stride == 2) // contiguous: a vectorised narrowing
        return storeRun(dst, count, 2, src,
                        [](uint8_t *q, float v) { storeAs<uint16_t>(q, toBf16Bits(v)); });
      return storeRun(dst, count, stride, src,
                      [](uint8_t *q, float v) { storeAs<uint16_t>(q, toBf16Bits(v)); });
    default:
      return storeRun(dst, count, stride, src,
                      [t](uint8_t *q, float v) { storeElement(t, q, v); });
    }
  });
}

/// Copies `count` elements of `eb` bytes between strided runs (strides in
/// bytes), with a fixed-size copy per element.
static void copyElements(uint8_t *dst, int64_t dstStride, const uint8_t *src, int64_t srcStride,
                         int64_t count, int64_t eb) {
  if (dstStride == eb && srcStride == eb) {
    std::memcpy(dst, src, size_t(count * eb));
    return;
  }
  auto run = [&](auto tag) {
    constexpr size_t n = sizeof(tag);
    for (int64_t k = 0; k < count; ++k)
      std::memcpy(dst + k * dstStride, src + k * srcStride, n);
  };
  withElementWord(eb, run);
}

void emu::loadRowBytes(const Operand &op, int64_t p, uint8_t *out) {
  const uint8_t *base = op.row(p);
  int64_t eb = isa::dtypeBytes(op.ap->dtype);
  forEachInnerRow(*op.ap, [&](int64_t first, int64_t off, int64_t count, int64_t stride) {
    copyElements(out + first * eb, eb, base + off, stride, count, eb);
  });
}

void emu::storeRowBytes(const Operand &op, int64_t p, const uint8_t *in) {
  uint8_t *base = op.row(p);
  int64_t eb = isa::dtypeBytes(op.ap->dtype);
  forEachInnerRow(*op.ap, [&](int64_t first, int64_t off, int64_t count, int64_t stride) {
    copyElements(base + off, stride, in + first * eb, eb, count, eb);
  });
}

bool emu::isDenseRow(const isa::AccessPattern &ap) {
  int64_t n = 1;
  for (size_t d = ap.sizes.size(); d-- > 0;) {
    if (ap.sizes[d] != 1 && ap.strides[d] != n)
      return false;
    n *= ap.sizes[d];
  }
  return true;
}
