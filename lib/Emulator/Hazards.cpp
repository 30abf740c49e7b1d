//===- Hazards.cpp - Cross-queue data-race detector -----------------------===//

#include "Hazards.h"
#include "Memory.h"
#include <algorithm>

using namespace trellis;
using namespace trellis::emu;
using isa::Space;

HazardChecker::HazardChecker(const ArchConfig &arch) {
  sbufChunksPerPartition = (arch.sbufBytesPerPartition + kChunkBytes - 1) / kChunkBytes;
  psumChunksPerPartition = (arch.psumBytesPerPartition + kChunkBytes - 1) / kChunkBytes;
  sbufIndex.assign(size_t(arch.partitions * sbufChunksPerPartition), 0);
  psumIndex.assign(size_t(arch.partitions * psumChunksPerPartition), 0);
}

HazardChecker::Chunk &HazardChecker::chunk(Space space, int64_t partition, int64_t index) {
  uint32_t *slot;
  switch (space) {
  case Space::sbuf:
    slot = &sbufIndex[size_t(partition * sbufChunksPerPartition + index)];
    break;
  case Space::psum:
    slot = &psumIndex[size_t(partition * psumChunksPerPartition + index)];
    break;
  default: {
    std::unique_ptr<uint32_t[]> &page = hbmPages[index >> kPageShift];
    if (!page)
      page.reset(new uint32_t[size_t(1) << kPageShift]());
    slot = &page[size_t(index & ((int64_t(1) << kPageShift) - 1))];
    break;
  }
  }
  if (!*slot) {
    chunks.emplace_back();
    *slot = uint32_t(chunks.size());
  }
  return chunks[*slot - 1];
}

std::optional<Conflict> HazardChecker::markChunk(Chunk &c, uint64_t mask, bool write, Epoch self,
                                                 const std::vector<uint32_t> &vc) {
  for (const Entry &e : c) {
    if (!(e.mask & mask) || !(write || e.write) || e.who.queue == self.queue)
      continue;
    if (vc[e.who.queue] >= e.who.seq)
      continue; // e happens-before self
    Conflict k;
    k.otherInst = e.who.inst;
    k.otherWrites = e.write;
    uint64_t both = e.mask & mask;
    k.byteLo = __builtin_ctzll(both);
    k.byteHi = 64 - __builtin_clzll(both);
    return k;
  }
  if (write && mask == ~uint64_t(0)) { // common case: a whole chunk overwritten
    c.clear();
    c.push_back({mask, self, write});
    return std::nullopt;
  }
  // Update: a write supersedes every earlier access to its bytes (they all
  // happen-before it, or we reported above); a read supersedes earlier reads
  // of the same queue. Entries left with no bytes are dropped.
  for (Entry &e : c) {
    bool own = e.who.inst == self.inst && e.write == write;
    if (!own && (write || (!e.write && e.who.queue == self.queue)))
      e.mask &= ~mask;
  }
  c.erase(std::remove_if(c.begin(), c.end(), [](const Entry &e) { return e.mask == 0; }),
          c.end());
  for (Entry &e : c)
    if (e.who.inst == self.inst && e.write == write) {
      e.mask |= mask;
      return std::nullopt;
    }
  c.push_back({mask, self, write});
  return std::nullopt;
}

std::optional<Conflict> HazardChecker::markRange(Space space, int64_t partition, int64_t lo,
                                                 int64_t hi, bool write, Epoch self,
                                                 const std::vector<uint32_t> &vc) {
  for (int64_t c = lo / kChunkBytes; c * kChunkBytes < hi; ++c) {
    int64_t base = c * kChunkBytes;
    int64_t s = std::max(lo, base) - base, e = std::min(hi, base + kChunkBytes) - base;
    uint64_t mask = (e - s == 64) ? ~uint64_t(0) : ((uint64_t(1) << (e - s)) - 1) << s;
    if (auto k = markChunk(chunk(space, partition, c), mask, write, self, vc)) {
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
  int64_t eb = ap.elementBytes();
  for (int64_t p = 0; p < ap.partCount; ++p) {
    int64_t partition = 0, base = ap.offset;
    if (ap.space == Space::hbm)
      base += p * ap.partStride * eb;
    else
      partition = ap.partStart + p;
    std::optional<Conflict> found;
    forEachInnerRow(ap, [&](int64_t, int64_t off, int64_t count, int64_t stride) {
      if (found)
        return;
      int64_t start = base + off;
      if (stride == eb || count == 1) {
        found = markRange(ap.space, partition, start, start + count * eb, write, self, vc);
        return;
      }
      if (stride == 0) // broadcast: one element, read many times
        count = 1;
      for (int64_t k = 0; k < count && !found; ++k)
        found = markRange(ap.space, partition, start + k * stride, start + k * stride + eb, write,
                          self, vc);
    });
    if (found)
      return found;
  }
  return std::nullopt;
}
