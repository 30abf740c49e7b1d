//===- Hazards.cpp - Cross-queue data-race detector -----------------------===//

#include "Hazards.h"
#include "Memory.h"
#include <algorithm>

using namespace trellis;
using namespace trellis::emu;
using isa::Space;

HazardChecker::HazardChecker(const ArchConfig &arch) {
  sbufPagesPerPartition = (arch.sbufBytesPerPartition + kPageBytes - 1) / kPageBytes;
  psumPagesPerPartition = (arch.psumBytesPerPartition + kPageBytes - 1) / kPageBytes;
  sbufPages.resize(size_t(arch.partitions * sbufPagesPerPartition));
  psumPages.resize(size_t(arch.partitions * psumPagesPerPartition));
  states.emplace_back(); // 0: never touched
  okGen.push_back(0);
  nextGen.push_back(0);
  nextState.push_back(0);
}

HazardChecker::Page &HazardChecker::page(Space space, int64_t partition, int64_t index) {
  switch (space) {
  case Space::sbuf:
    return sbufPages[size_t(partition * sbufPagesPerPartition + index)];
  case Space::psum:
    return psumPages[size_t(partition * psumPagesPerPartition + index)];
  default:
    if (size_t(index) >= hbmPages.size())
      hbmPages.resize(size_t(index) + 1);
    return hbmPages[size_t(index)];
  }
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
    if (std::optional<Conflict> k = markPage(page(space, partition, pg), s, e)) {
      k->space = space;
      k->partition = partition;
      k->byteLo += base;
      k->byteHi += base;
      return k;
    }
  }
  return std::nullopt;
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
