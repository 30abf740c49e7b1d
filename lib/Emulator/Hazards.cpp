//===- Hazards.cpp - Cross-queue data-race detector -----------------------===//

#include "Hazards.h"
#include "Memory.h"
#include <algorithm>

using namespace trellis;
using namespace trellis::emu;
using isa::Space;

HazardChecker::HazardChecker(const ArchConfig &arch, int64_t blockChunks)
    : blockChunks(std::clamp<int64_t>(blockChunks, 1, kMaxBlockChunks)),
      blockBytes(this->blockChunks * kChunkBytes) {
  sbufBlocksPerPartition = (arch.sbufBytesPerPartition + blockBytes - 1) / blockBytes;
  psumBlocksPerPartition = (arch.psumBytesPerPartition + blockBytes - 1) / blockBytes;
  sbufBlocks.resize(size_t(arch.partitions * sbufBlocksPerPartition));
  psumBlocks.resize(size_t(arch.partitions * psumBlocksPerPartition));
}

HazardChecker::Block &HazardChecker::block(Space space, int64_t partition, int64_t index) {
  switch (space) {
  case Space::sbuf:
    return sbufBlocks[size_t(partition * sbufBlocksPerPartition + index)];
  case Space::psum:
    return psumBlocks[size_t(partition * psumBlocksPerPartition + index)];
  default: {
    std::unique_ptr<Block[]> &page = hbmPages[index / kPageBlocks];
    if (!page)
      page.reset(new Block[kPageBlocks]());
    return page[size_t(index % kPageBlocks)];
  }
  }
}

uint32_t HazardChecker::newList() {
  if (!freeLists.empty()) {
    uint32_t l = freeLists.back();
    freeLists.pop_back();
    return l;
  }
  lists.emplace_back();
  return uint32_t(lists.size());
}

void HazardChecker::freeList(uint32_t &list) {
  if (!list)
    return;
  lists[list - 1].clear();
  freeLists.push_back(list);
  list = 0;
}

std::optional<Conflict> HazardChecker::markList(uint32_t &list, uint64_t mask, bool write,
                                                Epoch self, const std::vector<uint32_t> &vc) {
  if (!list)
    list = newList();
  List &c = lists[list - 1];
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
  if (write && mask == ~uint64_t(0)) { // everything here is overwritten
    c.clear();
    c.push_back({mask, self, write});
    return std::nullopt;
  }
  // A write supersedes every earlier access to its bytes (they all
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
  auto located = [&](std::optional<Conflict> k, int64_t base) {
    k->space = space;
    k->partition = partition;
    k->byteLo += base;
    k->byteHi += base;
    return k;
  };
  for (int64_t b = lo / blockBytes; b * blockBytes < hi; ++b) {
    Block &blk = block(space, partition, b);
    int64_t bs = b * blockBytes, s = std::max(lo, bs), e = std::min(hi, bs + blockBytes);
    bool whole = s == bs && e == bs + blockBytes;
    if (!blk.split) {
      if (whole) {
        if (auto k = markList(blk.whole, ~uint64_t(0), write, self, vc)) {
          // The list covers the whole block: the overlap is this access's part.
          k->space = space;
          k->partition = partition;
          k->byteLo = s;
          k->byteHi = e;
          return k;
        }
        continue;
      }
      // A partial access: give each chunk its own copy of the block's list.
      for (int64_t c = 0; c < blockChunks; ++c)
        if (blk.whole) {
          blk.chunk[c] = newList();
          lists[blk.chunk[c] - 1] = lists[blk.whole - 1];
        }
      freeList(blk.whole);
      blk.split = true;
    }
    int64_t c0 = (s - bs) / kChunkBytes, c1 = (e - 1 - bs) / kChunkBytes;
    for (int64_t c = c0; c <= c1; ++c) {
      int64_t cb = bs + c * kChunkBytes;
      int64_t cs = std::max(s, cb) - cb, ce = std::min(e, cb + kChunkBytes) - cb;
      uint64_t mask = (ce - cs == 64) ? ~uint64_t(0) : ((uint64_t(1) << (ce - cs)) - 1) << cs;
      if (auto k = markList(blk.chunk[c], mask, write, self, vc))
        return located(k, cb);
    }
    if (whole && write) {
      // Every chunk now holds just this write: merge the block again.
      for (int64_t c = 0; c < blockChunks; ++c)
        freeList(blk.chunk[c]);
      blk.split = false;
      blk.whole = newList();
      lists[blk.whole - 1].push_back({~uint64_t(0), self, true});
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
