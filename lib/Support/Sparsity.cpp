//===- Sparsity.cpp - N:M structured sparsity: prune, compress, expand ---===//

#include "trellis/Support/Sparsity.h"

#include <algorithm>
#include <cmath>
#include <numeric>

using namespace trellis;
using namespace trellis::sparsity;

llvm::Expected<Pattern> sparsity::parsePattern(llvm::StringRef text) {
  auto [a, b] = text.split(':');
  Pattern p;
  if (a.getAsInteger(10, p.keep) || b.getAsInteger(10, p.group) || p.keep < 1 ||
      p.keep >= p.group || p.group > 16 || p.group % p.keep != 0)
    return llvm::createStringError(
        "'%s' is not a sparsity pattern N:M (N kept of every M, 1 <= N < M <= 16, N divides M)",
        text.str().c_str());
  return p;
}

bool sparsity::isSparse(const float *w, int64_t K, int64_t N, Pattern p) {
  if (K % p.group)
    return false;
  for (int64_t g = 0; g < K; g += p.group)
    for (int64_t c = 0; c < N; ++c) {
      int64_t nz = 0;
      for (int64_t i = 0; i < p.group; ++i)
        nz += w[(g + i) * N + c] != 0.0f;
      if (nz > p.keep)
        return false;
    }
  return true;
}

double sparsity::prune(float *w, int64_t K, int64_t N, Pattern p) {
  double total = 0, kept = 0;
  std::vector<int64_t> order(p.group);
  for (int64_t g = 0; g + p.group <= K; g += p.group)
    for (int64_t c = 0; c < N; ++c) {
      auto mag = [&](int64_t i) { return std::fabs(w[(g + i) * N + c]); };
      std::iota(order.begin(), order.end(), 0);
      // Largest magnitude first; equal magnitudes keep the lower position.
      std::stable_sort(order.begin(), order.end(),
                       [&](int64_t x, int64_t y) { return mag(x) > mag(y); });
      for (int64_t r = 0; r < p.group; ++r) {
        total += mag(order[r]);
        if (r < p.keep)
          kept += mag(order[r]);
        else
          w[(g + order[r]) * N + c] = 0.0f;
      }
    }
  return total > 0 ? kept / total : 1.0;
}

Compressed sparsity::compress(const float *w, int64_t K, int64_t N, Pattern p) {
  Compressed c;
  c.kc = K / p.group * p.keep;
  c.n = N;
  int64_t words = tagWords(N);
  c.values.assign(size_t(c.kc * N), 0.0f);
  c.tags.assign(size_t(c.kc * words), 0);
  for (int64_t g = 0; g < K / p.group; ++g)
    for (int64_t col = 0; col < N; ++col) {
      // Non-zeros in ascending position, then padding positions (zero
      // values) taken from the unused positions so tags stay increasing.
      std::vector<int64_t> pos;
      for (int64_t i = 0; i < p.group; ++i)
        if (w[(g * p.group + i) * N + col] != 0.0f)
          pos.push_back(i);
      for (int64_t i = 0; i < p.group && (int64_t)pos.size() < p.keep; ++i)
        if (std::find(pos.begin(), pos.end(), i) == pos.end())
          pos.push_back(i);
      std::sort(pos.begin(), pos.end());
      for (int64_t j = 0; j < p.keep; ++j) {
        int64_t row = g * p.keep + j;
        c.values[size_t(row * N + col)] = w[(g * p.group + pos[j]) * N + col];
        c.tags[size_t(row * words + col / kTagsPerWord)] |=
            uint16_t(pos[j] << (4 * (col % kTagsPerWord)));
      }
    }
  return c;
}

llvm::Expected<std::vector<float>> sparsity::decompress(const float *values,
                                                        const uint16_t *tags, int64_t kc,
                                                        int64_t n, Pattern p) {
  int64_t words = tagWords(n);
  std::vector<float> dense(size_t(kc / p.keep * p.group * n), 0.0f);
  for (int64_t row = 0; row < kc; ++row)
    for (int64_t col = 0; col < n; ++col) {
      unsigned t = tagAt(tags, words, row, col);
      if (t >= (unsigned)p.group)
        return llvm::createStringError("sparse tag %u at row %lld column %lld is outside the "
                                       "group of %lld",
                                       t, (long long)row, (long long)col, (long long)p.group);
      if (row % p.keep && t <= tagAt(tags, words, row - 1, col))
        return llvm::createStringError("sparse tags of column %lld are not increasing within "
                                       "the group at row %lld",
                                       (long long)col, (long long)row);
      int64_t g = row / p.keep;
      dense[size_t((g * p.group + t) * n + col)] = values[row * n + col];
    }
  return dense;
}
