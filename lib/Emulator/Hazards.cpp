//===- Hazards.cpp - Cross-queue data-race detector -----------------------===//

#include "Hazards.h"
#include "Memory.h"
#include <algorithm>
#include <cstring>

using namespace trellis;
using namespace trellis::emu;
using isa::Space;

HazardChecker::HazardChecker(const ArchConfig &arch) {
  sbufPagesPerPartition = (arch.sbufBytesPerPartition + kPageBytes - 1) / kPageBytes;
  psumPagesPerPartition = (arch.psumBytesPerPartition + kPageBytes - 1) / kPageBytes;
  sbufSlots.resize(size_t(arch.partitions * sbufPagesPerPartition));
  psumSlots.resize(size_t(arch.partitions * psumPagesPerPartition));
  pages.emplace_back(); // 0: untouched, shared by everyone, never written
  pages[0].segs.push_back({0, 0});
  states.emplace_back(); // 0: never touched
  okGen.push_back(0);
  nextGen.push_back(0);
  nextState.push_back(0);
}

uint32_t &HazardChecker::slot(Space space, int64_t partition, int64_t index) {
  switch (space) {
  case Space::sbuf:
    return sbufSlots[size_t(partition * sbufPagesPerPartition + index)];
  case Space::psum:
    return psumSlots[size_t(partition * psumPagesPerPartition + index)];
  default:
    if (size_t(index) >= hbmSlots.size())
      hbmSlots.resize(size_t(index) + 1);
    return hbmSlots[size_t(index)];
  }
}

HazardChecker::Page &HazardChecker::writable(uint32_t &slotRef) {
  uint32_t old = slotRef;
  if (old && pages[old].refs == 1)
    return pages[old].segs;
  uint32_t id;
  if (!freePages.empty()) {
    id = freePages.back();
    freePages.pop_back();
  } else {
    id = uint32_t(pages.size());
    pages.emplace_back();
  }
  pages[id].segs = pages[old].segs;
  pages[id].refs = 1;
  unref(old);
  slotRef = id;
  return pages[id].segs;
}

std::optional<Conflict> HazardChecker::check(uint32_t id) {
  if (id == 0 || okGen[id] == generation)
    return std::nullopt;
  const State &st = states[id];
  const std::vector<uint32_t> &vc = *curVc;
  auto races = [&](const Epoch &e) {
    return e.queue != curSelf.queue && vc[e.queue] < e.seq; // not happens-before
  };
  if (st.hasWrite && races(st.write)) {
    Conflict k;
    k.otherInst = st.write.inst;
    k.otherWrites = true;
    return k;
  }
  if (curWrite) // reads race only with writes
    for (uint32_t r = 0; r < st.readCount; ++r) {
      const Epoch &e = readPool[st.readBegin + r];
      if (races(e)) {
        Conflict k;
        k.otherInst = e.inst;
        k.otherWrites = false;
        return k;
      }
    }
  okGen[id] = generation;
  return std::nullopt;
}

uint32_t HazardChecker::next(uint32_t id) {
  auto create = [&](const State &s) {
    states.push_back(s);
    okGen.push_back(0);
    nextGen.push_back(0);
    nextState.push_back(0);
    return uint32_t(states.size() - 1);
  };
  if (curWrite) {
    // A write supersedes every earlier access to its bytes.
    if (curWriteState == kNone) {
      State s;
      s.write = curSelf;
      s.hasWrite = true;
      curWriteState = create(s);
    }
    return curWriteState;
  }
  if (nextGen[id] == generation)
    return nextState[id];
  // A read supersedes the earlier reads of its queue.
  State old = states[id]; // a copy: create() may move `states`
  State s;
  s.write = old.write;
  s.hasWrite = old.hasWrite;
  s.readBegin = uint32_t(readPool.size());
  bool placed = false, same = false;
  for (uint32_t r = 0; r < old.readCount; ++r) {
    Epoch e = readPool[old.readBegin + r];
    if (!placed && e.queue >= curSelf.queue) {
      placed = true;
      if (e.queue == curSelf.queue) {
        same = e.inst == curSelf.inst;
        e = curSelf;
      } else {
        readPool.push_back(curSelf);
      }
    }
    readPool.push_back(e);
  }
  if (!placed)
    readPool.push_back(curSelf);
  uint32_t result;
  if (same) { // this access already read these bytes: nothing changes
    readPool.resize(s.readBegin);
    result = id;
  } else {
    s.readCount = uint32_t(readPool.size()) - s.readBegin;
    result = create(s);
  }
  nextGen[id] = generation;
  nextState[id] = result;
  return result;
}

std::optional<Conflict> HazardChecker::markPage(Page &P, int64_t s, int64_t e) {
  if (P.empty())
    P.push_back({0, 0});
  auto segEnd = [&](size_t j) { return j + 1 < P.size() ? int64_t(P[j + 1].lo) : kPageBytes; };
  size_t i = size_t(std::upper_bound(P.begin(), P.end(), s,
                                     [](int64_t v, const Seg &g) { return v < int64_t(g.lo); }) -
                    P.begin()) -
             1;
  // Check everything first: a conflict ends the run.
  for (size_t j = i; j < P.size() && int64_t(P[j].lo) < e; ++j)
    if (std::optional<Conflict> k = check(P[j].state)) {
      k->byteLo = std::max<int64_t>(s, P[j].lo);
      k->byteHi = std::min<int64_t>(e, segEnd(j));
      return k;
    }
  // Cut segments at s and e, map the states in between, merge equal
  // neighbours.
  if (int64_t(P[i].lo) < s) {
    P.insert(P.begin() + i + 1, Seg{uint32_t(s), P[i].state});
    ++i;
  }
  size_t j = i;
  while (j < P.size() && int64_t(P[j].lo) < e)
    ++j;
  if (e < kPageBytes && (j == P.size() || int64_t(P[j].lo) > e))
    P.insert(P.begin() + j, Seg{uint32_t(e), P[j - 1].state});
  for (size_t k = i; k < j; ++k)
    P[k].state = next(P[k].state);
  size_t a = i ? i - 1 : 0, b = std::min(j + 1, P.size());
  size_t w = a + 1;
  for (size_t r = a + 1; r < b; ++r)
    if (P[r].state != P[w - 1].state)
      P[w++] = P[r];
  P.erase(P.begin() + w, P.begin() + b);
  return std::nullopt;
}

std::optional<Conflict> HazardChecker::markRun(Space space, int64_t partition, int64_t lo,
                                               int64_t hi) {
  for (int64_t pg = lo / kPageBytes; pg * kPageBytes < hi; ++pg) {
    int64_t base = pg * kPageBytes;
    int64_t s = std::max(lo, base) - base, e = std::min(hi, base + kPageBytes) - base;
    if (std::optional<Conflict> k = markPage(writable(slot(space, partition, pg)), s, e)) {
      k->space = space;
      k->partition = partition;
      k->byteLo += base;
      k->byteHi += base;
      return k;
    }
  }
  return std::nullopt;
}

std::optional<Conflict> HazardChecker::accessInWalkOrder(const isa::AccessPattern &ap) {
  int64_t eb = ap.elementBytes();
  bool hbm = ap.space == Space::hbm;
  auto rowStart = [&](int64_t p, int64_t &partition) {
    partition = hbm ? 0 : ap.partStart + p;
    return ap.offset + (hbm ? p * ap.partStride * eb : 0);
  };

  // The usual tile: each partition's elements are one dense run.
  bool dense = true;
  int64_t n = 1;
  for (size_t d = ap.sizes.size(); d-- > 0;) {
    if (ap.sizes[d] != 1 && ap.strides[d] != n)
      dense = false;
    n *= ap.sizes[d];
  }
  if (dense) {
    if (hbm && ap.partCount > 1 && ap.partStride == n) // rows back to back: one run
      return markRun(Space::hbm, 0, ap.offset, ap.offset + ap.partCount * n * eb);
    for (int64_t p = 0; p < ap.partCount; ++p) {
      int64_t partition;
      int64_t start = rowStart(p, partition);
      if (auto k = markRun(ap.space, partition, start, start + n * eb))
        return k;
    }
    return std::nullopt;
  }

  for (int64_t p = 0; p < ap.partCount; ++p) {
    int64_t partition;
    int64_t base = rowStart(p, partition);
    std::optional<Conflict> found;
    forEachInnerRow(ap, [&](int64_t, int64_t off, int64_t count, int64_t stride) {
      if (found)
        return;
      int64_t start = base + off;
      if (stride == eb || count == 1) {
        found = markRun(ap.space, partition, start, start + count * eb);
        return;
      }
      if (stride == 0) // broadcast: one element, read many times
        count = 1;
      for (int64_t k = 0; k < count && !found; ++k)
        found = markRun(ap.space, partition, start + k * stride, start + k * stride + eb);
    });
    if (found)
      return found;
  }
  return std::nullopt;
}

void HazardChecker::collectRuns(const isa::AccessPattern &ap) {
  runs.clear();
  int64_t eb = ap.elementBytes();
  isa::FootprintAxes footprint = isa::footprintAxes(ap);
  int64_t base = footprint.base;
  const auto &merged = footprint.axes;
  Run inner{base, 1, eb, eb};
  size_t outerFrom = 0;
  if (!merged.empty()) {
    auto [stride, size] = merged[0];
    outerFrom = 1;
    if (stride == 1)
      inner = Run{base, 1, size * eb, size * eb};
    else if (base % eb == 0) // elements never straddle a page
      inner = Run{base, size, stride * eb, eb};
    else
      outerFrom = 0; // misaligned (not from a verified program): element by element
  }
  // Odometer over the outer axes.
  size_t rank = merged.size() - outerFrom;
  llvm::SmallVector<int64_t, 6> counter(rank, 0);
  int64_t off = 0;
  while (true) {
    Run r = inner;
    r.start += off;
    runs.push_back(r);
    size_t d = 0;
    for (; d < rank; ++d) {
      auto [stride, size] = merged[outerFrom + d];
      off += stride * eb;
      if (++counter[d] < size)
        break;
      off -= stride * eb * size;
      counter[d] = 0;
    }
    if (d == rank)
      break;
  }
}

template <typename Fn> bool HazardChecker::forEachPieceOfRun(const Run &run, Fn fn) {
  if (run.count == 1) { // one range, possibly across pages
    int64_t lo = run.start, hi = run.start + run.len;
    for (int64_t pg = lo / kPageBytes; pg * kPageBytes < hi; ++pg) {
      int64_t pb = pg * kPageBytes;
      int64_t s = std::max(lo, pb) - pb, e = std::min(hi, pb + kPageBytes) - pb;
      if (fn(pg, s, int64_t(1), e - s))
        return true;
    }
    return false;
  }
  // Aligned elements: each lies in one page.
  for (int64_t k = 0; k < run.count;) {
    int64_t at = run.start + k * run.stride;
    int64_t pg = at / kPageBytes, pb = pg * kPageBytes;
    int64_t inPage = (pb + kPageBytes - at + run.stride - 1) / run.stride;
    int64_t n = std::min(run.count - k, inPage);
    if (fn(pg, at - pb, n, run.len))
      return true;
    k += n;
  }
  return false;
}

/// Index of the segment of `P` that holds byte `at`.
static size_t segmentAt(const llvm::SmallVectorImpl<HazardChecker::Seg> &P, int64_t at) {
  return size_t(std::upper_bound(P.begin(), P.end(), at,
                                 [](int64_t v, const HazardChecker::Seg &g) {
                                   return v < int64_t(g.lo);
                                 }) -
                P.begin()) -
         1;
}

bool HazardChecker::racesInPage(const Page &P, int64_t first, int64_t count, int64_t stride,
                                int64_t len) {
  size_t j = segmentAt(P, first);
  for (int64_t k = 0; k < count; ++k) {
    int64_t a = first + k * stride, b = a + len;
    while (j + 1 < P.size() && int64_t(P[j + 1].lo) <= a)
      ++j;
    for (size_t i = j; i < P.size() && int64_t(P[i].lo) < b; ++i)
      if (check(P[i].state))
        return true;
  }
  return false;
}

void HazardChecker::updatePage(Page &P, int64_t first, int64_t count, int64_t stride,
                               int64_t len) {
  if (count == 1) {
    markPage(P, first, first + len); // no race: only records
    return;
  }
  if (P.empty())
    P.push_back({0, 0});
  // Rebuild the segments of [first, end) in one pass over the old segments
  // and the elements, then splice them in place of the old ones.
  int64_t end = first + (count - 1) * stride + len;
  auto segEnd = [&](size_t j) { return j + 1 < P.size() ? int64_t(P[j + 1].lo) : kPageBytes; };
  size_t j0 = segmentAt(P, first), j = j0;
  built.clear();
  auto emit = [&](int64_t lo, uint32_t st) {
    if (!built.empty() && built.back().state == st)
      return;
    built.push_back({uint32_t(lo), st});
  };
  int64_t pos = first;
  auto copyTo = [&](int64_t until, bool mapped) {
    while (pos < until) {
      while (segEnd(j) <= pos)
        ++j;
      emit(pos, mapped ? next(P[j].state) : P[j].state);
      pos = std::min(until, segEnd(j));
    }
  };
  for (int64_t k = 0; k < count; ++k) {
    int64_t a = first + k * stride;
    copyTo(a, false);
    copyTo(a + len, true);
  }
  // Old segments [j0, j1) start inside [first, end); the one holding `end`
  // continues after it.
  size_t j1 = j;
  while (j1 < P.size() && int64_t(P[j1].lo) < end)
    ++j1;
  uint32_t tail = P[j1 - 1].state;
  if (end < kPageBytes && (j1 == P.size() || int64_t(P[j1].lo) > end) &&
      built.back().state != tail)
    built.push_back({uint32_t(end), tail}); // re-cut at `end`
  // P[j0] keeps [its start, first) when it starts before; merge equal
  // neighbours at both ends.
  size_t from = int64_t(P[j0].lo) < first ? j0 + 1 : j0;
  if (from > 0 && P[from - 1].state == built.front().state)
    built.erase(built.begin());
  uint32_t last = built.empty() ? P[from - 1].state : built.back().state;
  if (j1 < P.size() && P[j1].state == last)
    ++j1;
  P.erase(P.begin() + from, P.begin() + j1);
  P.insert(P.begin() + from, built.begin(), built.end());
}

std::optional<Conflict> HazardChecker::access(const isa::AccessPattern &ap, bool write,
                                              Epoch self, const std::vector<uint32_t> &vc) {
  if (++generation == 0) { // wrapped: forget every memo
    std::fill(okGen.begin(), okGen.end(), 0);
    std::fill(nextGen.begin(), nextGen.end(), 0);
    generation = 1;
  }
  curWrite = write;
  curSelf = self;
  curVc = &vc;
  curWriteState = kNone;

  collectRuns(ap);
  // Partitions that share a page (usually all of a tile's) are checked and
  // updated once: the first computes the new page, the others take it.
  bool hbm = ap.space == Space::hbm;
  int64_t p0 = hbm ? 0 : ap.partStart, p1 = hbm ? 1 : ap.partStart + ap.partCount;
  for (const Run &r : runs)
    if (forEachPieceOfRun(r, [&](int64_t pg, int64_t first, int64_t count, int64_t len) {
          uint32_t checked = kNone;
          for (int64_t p = p0; p < p1; ++p) {
            uint32_t id = slot(ap.space, p, pg);
            if (id == checked)
              continue;
            if (racesInPage(pages[id].segs, first, count, r.stride, len))
              return true;
            checked = id;
          }
          return false;
        }))
      return accessInWalkOrder(ap);
  auto same = [](const Page &a, const Page &b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(Seg)) == 0;
  };
  for (const Run &r : runs)
    forEachPieceOfRun(r, [&](int64_t pg, int64_t first, int64_t count, int64_t len) {
      uint32_t lastOld = kNone, lastNew = kNone;
      for (int64_t p = p0; p < p1; ++p) {
        uint32_t &id = slot(ap.space, p, pg);
        if (id == lastOld) { // same page as the previous partition had
          ref(lastNew);
          unref(id);
          id = lastNew;
          continue;
        }
        uint32_t old = id;
        bool shared = old == 0 || pages[old].refs > 1;
        updatePage(writable(id), first, count, r.stride, len);
        // A different page before, but the same one after (a write over
        // all of it): share it again.
        if (lastNew != kNone && same(pages[id].segs, pages[lastNew].segs)) {
          ref(lastNew);
          unref(id);
          id = lastNew;
        }
        lastOld = shared ? old : kNone; // an unshared page was updated in place
        lastNew = id;
      }
      return false;
    });
  for (uint32_t id : unreferenced)
    if (pages[id].refs == 0) {
      pages[id].segs.clear();
      freePages.push_back(id);
    }
  unreferenced.clear();
  return std::nullopt;
}
