//===- Inst.cpp - A decoded hardware instruction --------------------------===//

#include "trellis/Target/Inst.h"

#include "llvm/ADT/StringSwitch.h"

#include <cassert>
#include <cstring>

using namespace trellis;
using namespace trellis::isa;

EngineKind isa::queueKind(int64_t q) {
  assert(q >= 0 && "negative queue number");
  switch (q) {
  case kQueuePE:
    return EngineKind::pe;
  case kQueueACT:
    return EngineKind::act;
  case kQueueDVE:
    return EngineKind::dve;
  case kQueuePOOL:
    return EngineKind::pool;
  case kQueueSP:
    return EngineKind::sp;
  default:
    return EngineKind::dma;
  }
}

std::string isa::queueName(int64_t q) {
  switch (q) {
  case kQueuePE:
    return "pe";
  case kQueueACT:
    return "act";
  case kQueueDVE:
    return "dve";
  case kQueuePOOL:
    return "pool";
  case kQueueSP:
    return "sp";
  default:
    if (q < 0)
      return "<invalid queue " + std::to_string(q) + ">";
    return "q" + std::to_string(q - kFirstDmaQueue);
  }
}

std::optional<int64_t> isa::parseQueueName(llvm::StringRef name) {
  std::optional<int64_t> engine = llvm::StringSwitch<std::optional<int64_t>>(name)
                                      .Case("pe", kQueuePE)
                                      .Case("act", kQueueACT)
                                      .Case("dve", kQueueDVE)
                                      .Case("pool", kQueuePOOL)
                                      .Case("sp", kQueueSP)
                                      .Default(std::nullopt);
  if (engine)
    return engine;
  // "qN": decimal digits only, no sign and no leading zeros, so that each
  // queue has exactly one spelling.
  if (!name.consume_front("q") || name.empty() || name.size() > 9 ||
      name.find_first_not_of("0123456789") != llvm::StringRef::npos || (name.size() > 1 && name.front() == '0'))
    return std::nullopt;
  int64_t n = 0;
  if (name.getAsInteger(10, n))
    return std::nullopt;
  return kFirstDmaQueue + n;
}

FootprintAxes isa::footprintAxes(int64_t offset, int64_t elementBytes,
                                 llvm::ArrayRef<int64_t> sizes, llvm::ArrayRef<int64_t> strides,
                                 bool partitionIsAxis, int64_t partCount, int64_t partStride) {
  FootprintAxes f;
  f.base = offset;
  llvm::SmallVector<std::pair<int64_t, int64_t>, 6> dims;
  auto add = [&](int64_t size, int64_t stride) {
    if (size <= 1 || stride == 0)
      return;
    if (stride < 0) {
      f.base += (size - 1) * stride * elementBytes;
      stride = -stride;
    }
    dims.push_back({stride, size});
  };
  for (size_t d = 0; d < sizes.size(); ++d)
    add(sizes[d], strides[d]);
  if (partitionIsAxis)
    add(partCount, partStride);
  std::stable_sort(dims.begin(), dims.end(), [](auto &a, auto &b) { return a.first < b.first; });
  for (auto [stride, size] : dims) {
    if (!f.axes.empty() && f.axes.back().first * f.axes.back().second == stride)
      f.axes.back().second *= size;
    else
      f.axes.push_back({stride, size});
  }
  return f;
}

int64_t AccessPattern::freeElements() const {
  int64_t n = 1;
  for (int64_t s : sizes)
    n *= s;
  return n;
}

int64_t AccessPattern::freeByteOffset(int64_t i) const {
  // Row-major over `sizes`: the innermost (last) axis varies fastest.
  int64_t elems = 0;
  for (size_t k = sizes.size(); k-- > 0;) {
    if (sizes[k] <= 0)
      return 0;
    int64_t stride = k < strides.size() ? strides[k] : 0; // decoder rejects the mismatch
    elems += (i % sizes[k]) * stride;
    i /= sizes[k];
  }
  return elems * elementBytes();
}

bool AccessPattern::operator==(const AccessPattern &o) const {
  return space == o.space && partStart == o.partStart && partCount == o.partCount && partStride == o.partStride &&
         offset == o.offset && dtype == o.dtype && sizes == o.sizes && strides == o.strides;
}

namespace {
/// Bitwise, so that -0.0 != 0.0 and a NaN immediate equals itself: two
/// instructions are equal when they encode the same.
bool sameBits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }
} // namespace

bool Inst::operator==(const Inst &o) const {
  return opcode == o.opcode && queue == o.queue && waits == o.waits && signal == o.signal && dst == o.dst &&
         src0 == o.src0 && src1 == o.src1 && accum == o.accum && func == o.func && op0 == o.op0 && op1 == o.op1 &&
         sameBits(scale, o.scale) && sameBits(imm0, o.imm0) && sameBits(imm1, o.imm1) && start == o.start &&
         base == o.base && pstep == o.pstep && fstep == o.fstep &&
         keep == o.keep && group == o.group && debugId == o.debugId;
}
