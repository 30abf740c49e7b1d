//===- Sparsity.h - N:M structured sparsity: prune, compress, expand -----===//
//
// The compressed weight layout of the sparse tensor engine (DESIGN.md §1,
// docs/sparsity.md). A pattern keep:group (written "N:M", e.g. 2:4) keeps at
// most `keep` non-zeros in every `group` consecutive elements along the
// contraction axis K of a weight W[K, N]. Compressed, W becomes
//
//   values[Kc, N]  Kc = K / group * keep; row g*keep + j holds the j-th kept
//                  element of group g in each column, kept elements in
//                  ascending position (padding entries are zero)
//   tags[Kc, ceil(N / 4)] uint16: the 4-bit position (0 .. group-1) within
//                  its group of each value, four per word along N, column
//                  4w + i in bits [4i, 4i + 4) of word w
//
// The sparse MultiplyMoving reads the moving tensor as [Kc, ratio, N'] with
// ratio = group / keep: partition p holds original rows p*ratio .. p*ratio +
// ratio - 1, i.e. the row-major [K, N'] moving matrix viewed as
// [Kc, ratio * N'], so a tag t of group g selects partition g*keep + t/ratio,
// slot t % ratio.
//
// Pure functions on host arrays: the compiler, the emulator and the tests use
// the same definition.
//
//===----------------------------------------------------------------------===//
#ifndef TRELLIS_SUPPORT_SPARSITY_H
#define TRELLIS_SUPPORT_SPARSITY_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include <cstdint>
#include <string>
#include <vector>

namespace trellis::sparsity {

struct Pattern {
  int64_t keep = 0, group = 0;
  int64_t ratio() const { return group / keep; }
  std::string str() const { return std::to_string(keep) + ":" + std::to_string(group); }
  bool operator==(const Pattern &o) const { return keep == o.keep && group == o.group; }
};

/// The patterns the compressed format can express: keep divides group
/// (whole partitions of the moving tensor per kept row), 1 <= keep < group
/// <= 16 (4-bit tags). "N:M" text, as the targets' "sparsity" lists use.
llvm::Expected<Pattern> parsePattern(llvm::StringRef text);

/// Tags per uint16 word.
constexpr int64_t kTagsPerWord = 4;
inline int64_t tagWords(int64_t n) { return (n + kTagsPerWord - 1) / kTagsPerWord; }

/// True when every group of `group` consecutive rows of each column of the
/// row-major w[K, N] has at most `keep` non-zeros (K must divide by group).
bool isSparse(const float *w, int64_t K, int64_t N, Pattern p);

/// Zeroes all but the `keep` largest magnitudes of every group of each
/// column of w[K, N] in place (ties: the lower position is kept). Returns
/// the kept fraction of the total magnitude sum(|w|) (1 when w is all zero).
double prune(float *w, int64_t K, int64_t N, Pattern p);

struct Compressed {
  int64_t kc = 0, n = 0;
  std::vector<float> values;   // [kc, n]
  std::vector<uint16_t> tags;  // [kc, tagWords(n)]
};

/// Compresses w[K, N], which must satisfy isSparse (K % group == 0).
Compressed compress(const float *w, int64_t K, int64_t N, Pattern p);

/// The 4-bit tag of compressed element (row, col).
inline unsigned tagAt(const uint16_t *tags, int64_t words, int64_t row, int64_t col) {
  return (tags[row * words + col / kTagsPerWord] >> (4 * (col % kTagsPerWord))) & 0xF;
}

/// Expands values[kc, n] + tags back to the dense [kc / keep * group, n].
/// Fails (naming row and column) when a tag is >= group or the tags of a
/// group's column are not strictly increasing.
llvm::Expected<std::vector<float>> decompress(const float *values, const uint16_t *tags,
                                              int64_t kc, int64_t n, Pattern p);

} // namespace trellis::sparsity

#endif
