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

#include <algorithm>
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
/// SBUF bytes per partition the moving tiles of one row group may take when
/// hoisted out of the weight loop (under a third of trn2's 224 KiB: the rest
/// holds the next group's, and weight, bias and output tiles in flight).
constexpr int64_t kHoistBytesPerPartition = 64 * 1024;
/// Row blocks (PSUM banks) that share each weight tile load: at most half
/// of the 8 banks, so that the next column block's MMs start while this
/// one's banks are evicted.
constexpr int64_t kMaxGroupBlocks = 4;

/// Whether a dense linear computes y in rows (x^T stationary, 128 rows of
/// M at a time; w streaming 512 columns of N; y rows stored contiguously)
/// rather than y^T (w stationary, x^T streaming, y^T stored through a
/// transposing, half-rate DMA). Rows need all of x^T on chip at once, in
/// half the hoisting budget (the rest holds w blocks and output rows in
/// flight), and enough rows to fill the array's columns. Bigger products
/// keep the weight-stationary order: the 2048^3 GEMM runs 239 us that way
/// and 266 us in rows (bench, trn2).
inline bool linearInRows(int64_t M, int64_t K, int64_t eltBytes) {
  int64_t kTiles = (K + kPartitions - 1) / kPartitions;
  return M >= kPartitions && kTiles * M * eltBytes <= kHoistBytesPerPartition / 2;
}

/// The moving-tile bytes per partition of one row block of the blocked
/// matmul: `kTiles` K tiles of `ratio` x 512 rows (fewer when M is).
inline int64_t movingBlockBytes(int64_t M, int64_t kTiles, int64_t ratio, int64_t eltBytes) {
  return kTiles * ratio * std::min(kMovingMax, M) * eltBytes;
}
/// Whether the blocked matmul loads a row block's moving tiles once (they
/// fit kHoistBytesPerPartition) rather than next to each weight tile.
inline bool movingTilesHoisted(int64_t M, int64_t kTiles, int64_t ratio, int64_t eltBytes) {
  return movingBlockBytes(M, kTiles, ratio, eltBytes) <= kHoistBytesPerPartition;
}
/// Row blocks that share each weight tile load: for weights that would be
/// reloaded per block and are costly to (`reloadedCompressed`: compressed
/// weights not resident, whose DMA traffic bounds a sparse MM), as many
/// hoisted blocks as fit the budget, up to kMaxGroupBlocks; otherwise 1
/// (dense weight tiles come in coalesced DMAs that keep up with the PE, and
/// a group of one lets the next block's moving tiles be prefetched).
inline int64_t rowBlocksPerGroup(int64_t M, int64_t kTiles, int64_t ratio, int64_t eltBytes,
                                 bool reloadedCompressed) {
  if (!reloadedCompressed || !movingTilesHoisted(M, kTiles, ratio, eltBytes))
    return 1;
  return std::min(kMaxGroupBlocks,
                  kHoistBytesPerPartition / movingBlockBytes(M, kTiles, ratio, eltBytes));
}

/// Whether a sparse blocked matmul loads the next row group's hoisted
/// moving tiles while this group works: when both groups' fit twice the
/// hoisting budget, or the budget itself next to resident weights (which
/// take up to kSparseResidentBytes). Dense matmuls do not: their weight
/// tiles stream through the DMA queues the whole time, and measured, early
/// moving loads delay them more than they save.
inline bool nextGroupPrefetched(int64_t M, int64_t kTiles, int64_t ratio, int64_t eltBytes,
                                bool residentWeights) {
  if (!movingTilesHoisted(M, kTiles, ratio, eltBytes))
    return false;
  int64_t group = rowBlocksPerGroup(M, kTiles, ratio, eltBytes, !residentWeights);
  int64_t budget = residentWeights ? kHoistBytesPerPartition : 2 * kHoistBytesPerPartition;
  return 2 * group * movingBlockBytes(M, kTiles, ratio, eltBytes) <= budget;
}

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
