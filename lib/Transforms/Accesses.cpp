//===- Accesses.cpp - The memory an isa instruction reads and writes -----===//

#include "Accesses.h"
#include "trellis/Target/Inst.h"

using namespace mlir;
using namespace trellis;
using namespace trellis::isa;

/// More byte runs than this and an access is tracked by its extent instead
/// (conservative: false sharing only adds ordering).
static constexpr int64_t kMaxRuns = 1 << 14;

int64_t trellis::isa::chunkBytes(Space space) { return space == Space::hbm ? 256 : 64; }

void trellis::isa::chunksOf(AccessPatternAttr ap, SmallVectorImpl<int64_t> &chunks) {
  chunks.clear();
  int64_t eb = ap.getElementBytes();
  int64_t chunk = chunkBytes(ap.getSpace());
  SmallVector<int64_t> sizes(ap.getSizes()), strides(ap.getStrides());
  FootprintAxes footprint =
      footprintAxes(ap.getOffset(), eb, sizes, strides, ap.getSpace() == Space::hbm,
                    ap.getPartCount(), ap.getPartStride());
  int64_t base = footprint.base;
  auto &axes = footprint.axes; // (stride, size), inner first
  // The innermost axis, if contiguous, is one run of `run` elements.
  int64_t run = 1;
  size_t inner = 0;
  if (!axes.empty() && axes[0].first == 1)
    run = axes[inner++].second;
  int64_t runs = 1, extent = run;
  for (size_t d = inner; d < axes.size(); ++d) {
    runs = std::min(runs * axes[d].second, kMaxRuns + 1);
    extent += (axes[d].second - 1) * axes[d].first;
  }
  auto addRun = [&](int64_t lo, int64_t hi) {
    for (int64_t c = std::max(lo / chunk, chunks.empty() ? INT64_MIN : chunks.back() + 1);
         c <= (hi - 1) / chunk; ++c)
      chunks.push_back(c);
  };
  if (runs > kMaxRuns) {
    addRun(base, base + extent * eb);
    return;
  }
  // Walk the outer axes odometer-style (innermost fastest); runs arrive in
  // ascending order only when the outer strides nest, so sort at the end.
  SmallVector<int64_t> index(axes.size() - inner, 0);
  bool sorted = true;
  int64_t prevLo = INT64_MIN;
  for (int64_t r = 0; r < runs; ++r) {
    int64_t at = 0;
    for (size_t d = 0; d < index.size(); ++d)
      at += index[d] * axes[inner + d].first;
    int64_t lo = base + at * eb;
    sorted &= lo >= prevLo;
    prevLo = lo;
    if (sorted)
      addRun(lo, lo + run * eb);
    else
      for (int64_t c = lo / chunk; c <= (lo + run * eb - 1) / chunk; ++c)
        chunks.push_back(c);
    for (size_t d = 0; d < index.size() && ++index[d] == axes[inner + d].second; ++d)
      index[d] = 0;
  }
  if (!sorted) {
    llvm::sort(chunks);
    chunks.erase(std::unique(chunks.begin(), chunks.end()), chunks.end());
  }
}

SmallVector<Access> trellis::isa::accessesOf(Operation *op) {
  SmallVector<Access> out;
  for (StringAttr name : op->getName().getAttributeNames()) {
    auto ap = dyn_cast_or_null<AccessPatternAttr>(op->getInherentAttr(name).value_or(Attribute()));
    if (!ap)
      continue;
    out.push_back({ap, name == "dst" || name == "accum"});
  }
  // multiply_moving reads what load_stationary latched; PE order covers it.
  if (llvm::isa<MultiplyMovingOp, MultiplyMovingSparseOp>(op) && !op->hasAttr("start")) {
    SmallVector<Access> reads; // accumulating reads its destination
    for (const Access &a : out)
      if (a.write)
        reads.push_back({a.ap, false});
    out.append(reads.begin(), reads.end());
  }
  return out;
}

