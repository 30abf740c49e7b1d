//===- Tiling.h - The graph-to-tile tiler's budgets and decisions -*- C++ -*-===//
//
// The tile sizes and SBUF budgets --convert-graph-to-tile lowers with, and
// the decisions that follow from them which other code must predict the
// same way (the sparsity pass's cost prediction). One definition, so the
// prediction cannot drift from what the tiler does.
//
//===----------------------------------------------------------------------===//
#ifndef TRELLIS_CONVERSION_TILING_H
#define TRELLIS_CONVERSION_TILING_H

#include <cstdint>

namespace trellis::tiling {

constexpr int64_t kPartitions = 128;
constexpr int64_t kMovingMax = 512; // one PSUM bank of fp32
/// SBUF bytes per partition compressed (sparse) weights of a matmul may keep
/// resident across its 512-row blocks.
constexpr int64_t kSparseResidentBytes = 96 * 1024;
/// SBUF bytes per partition a convolution's weight tiles may keep resident
/// across its output tiles; beyond that they are reloaded per output tile.
constexpr int64_t kConvResidentWeightBytes = 64 * 1024;
/// Bytes per partition from which a DMA runs near its peak rate (its fixed
/// latency amortised): the tiler coalesces smaller weight tiles up to this
/// (trn2.json dma.efficient_bytes_per_partition, nki-dma-bandwidth-guide).
constexpr int64_t kEfficientDmaBytes = 2048;
/// Tag words per 128-column weight tile (4-bit tags, four per i16 word).
constexpr int64_t kTagWordsPerTile = kPartitions / 4;

/// Whether the blocked matmul keeps the compressed weight of an [M, K] x
/// [K, N] product with `kRows` compressed rows (K padded to whole groups,
/// over the ratio) resident in SBUF across row blocks instead of reloading
/// it per block: more than one block, whole 128-row tiles, and values (of
/// `eltBytes`) plus tag words within kSparseResidentBytes per partition.
inline bool sparseWeightsResident(int64_t M, int64_t kRows, int64_t N, int64_t eltBytes) {
  int64_t kTiles = (kRows + kPartitions - 1) / kPartitions;
  int64_t nTiles = (N + kPartitions - 1) / kPartitions;
  return M > kMovingMax && kRows % kPartitions == 0 &&
         nTiles * kTiles * (kPartitions * eltBytes + kTagWordsPerTile * 2) <=
             kSparseResidentBytes;
}

} // namespace trellis::tiling

#endif
