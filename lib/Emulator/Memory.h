//===- Memory.h - Memory images and access-pattern walking -------*- C++ -*-===//
//
// The functional model's three memories (HBM, SBUF, PSUM) as flat byte
// images, and the helpers that walk an access pattern and convert elements to
// and from fp32. Internal to lib/Emulator.
//
//===----------------------------------------------------------------------===//
#ifndef TRELLIS_LIB_EMULATOR_MEMORY_H
#define TRELLIS_LIB_EMULATOR_MEMORY_H

#include "trellis/Target/ArchConfig.h"
#include "trellis/Target/Inst.h"
#include "llvm/Support/Error.h"
#include <cstdint>
#include <cstdlib>
#include <memory>

namespace trellis::emu {

/// Calls `f` with a value of the unsigned word type of `eb` bytes (1, 2, 4,
/// else 8), so that a byte-moving loop can copy whole elements of a size
/// the compiler knows.
template <typename F>
decltype(auto) withElementWord(int64_t eb, F &&f) {
  switch (eb) {
  case 1:
    return f(uint8_t());
  case 2:
    return f(uint16_t());
  case 4:
    return f(uint32_t());
  default:
    return f(uint64_t());
  }
}

/// A zero-filled byte buffer. Large images are anonymous mappings that ask
/// for transparent huge pages (first touches are most of the cost of
/// filling a fresh image: one fault per 2 MiB instead of per 4 KiB), so a
/// large, mostly untouched HBM image still costs only the memory it uses
/// (in 2 MiB steps), and an allocation failure is an error rather than an
/// abort.
class ByteImage {
public:
  ByteImage() = default;
  ByteImage(const ByteImage &) = delete;
  ByteImage &operator=(const ByteImage &) = delete;
  ~ByteImage() { release(); }
  llvm::Error allocate(int64_t bytes, llvm::StringRef what);
  uint8_t *data() const { return bytes; }
  int64_t size() const { return numBytes; }

private:
  void release();
  uint8_t *bytes = nullptr;
  int64_t numBytes = 0;
  size_t mappedBytes = 0; // 0: from calloc
};

struct Memories {
  ByteImage hbm, sbuf, psum;
  int64_t sbufPartitionBytes = 0, psumPartitionBytes = 0;
};

/// Number of elements one partition of `ap` touches (1 for no free axes).
int64_t freeCount(const isa::AccessPattern &ap);

/// Smallest and largest element offset (in elements, relative to `offset`)
/// reached by the free axes; false on overflow.
bool freeOffsetRange(const isa::AccessPattern &ap, int64_t &lo, int64_t &hi);

/// Calls fn(firstIndex, byteOffset, count, strideBytes) once per innermost
/// row of the free pattern: elements firstIndex .. firstIndex+count-1 live at
/// byteOffset + k * strideBytes (relative to the operand's partition base).
template <typename Fn> void forEachInnerRow(const isa::AccessPattern &ap, Fn fn) {
  int64_t eb = isa::dtypeBytes(ap.dtype);
  size_t rank = ap.sizes.size();
  if (rank == 0) {
    fn(int64_t(0), int64_t(0), int64_t(1), eb);
    return;
  }
  int64_t inner = ap.sizes[rank - 1];
  int64_t innerStride = ap.strides[rank - 1] * eb;
  int64_t outer = 1;
  for (size_t d = 0; d + 1 < rank; ++d)
    outer *= ap.sizes[d];
  llvm::SmallVector<int64_t, 4> counter(rank, 0);
  int64_t byteOff = 0, first = 0;
  for (int64_t o = 0; o < outer; ++o) {
    fn(first, byteOff, inner, innerStride);
    first += inner;
    // Advance the outer multi-index (odometer), keeping byteOff in step.
    for (size_t d = rank - 1; d-- > 0;) {
      byteOff += ap.strides[d] * eb;
      if (++counter[d] < ap.sizes[d])
        break;
      byteOff -= ap.strides[d] * eb * ap.sizes[d];
      counter[d] = 0;
    }
  }
}

/// Where element (p, i) of an operand lives in a memory image.
struct Operand {
  const isa::AccessPattern *ap = nullptr;
  uint8_t *base = nullptr; // element (0, 0)
  int64_t partBytes = 0;   // distance between consecutive partitions
  uint8_t *row(int64_t p) const { return base + p * partBytes; }
};

/// Resolves `ap` against `mem`; the pattern must already be bounds-checked.
Operand resolve(Memories &mem, const isa::AccessPattern &ap);

/// Element conversions: fp32 math everywhere, RNE on narrowing float stores,
/// round-to-nearest-even and saturation on integer stores (NaN -> 0).
float loadElement(isa::DType t, const uint8_t *p);
void storeElement(isa::DType t, uint8_t *p, float v);
/// Exact integer store (iota): integers saturate, floats round once.
void storeInteger(isa::DType t, uint8_t *p, int64_t v);

/// Gathers partition `p` of `op` into `out[freeCount]` as floats.
void loadRow(const Operand &op, int64_t p, float *out);
/// Scatters `in[freeCount]` into partition `p` of `op`.
void storeRow(const Operand &op, int64_t p, const float *in);
/// Raw element bytes of partition `p`, packed (freeCount * elementBytes).
void loadRowBytes(const Operand &op, int64_t p, uint8_t *out);
void storeRowBytes(const Operand &op, int64_t p, const uint8_t *in);
/// Whether each partition's elements of `ap` are one dense run in order
/// (element i at byte i * elementBytes).
bool isDenseRow(const isa::AccessPattern &ap);

} // namespace trellis::emu

#endif
