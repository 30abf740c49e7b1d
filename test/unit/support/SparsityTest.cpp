//===- SparsityTest.cpp - N:M prune / compress / decompress ---------------===//
//
// Hand-worked examples fix the layout (DESIGN.md §1: values plus 4-bit tags
// packed four per 16-bit word); for every pattern the hardware lists, random
// weights are pruned, checked against the definition of magnitude pruning
// (per group: the kept are the largest), compressed and expanded back.
//
//===----------------------------------------------------------------------===//

#include "trellis/Support/Sparsity.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

using namespace trellis::sparsity;

namespace {

const char *kPatterns[] = {"4:16", "4:12", "4:8", "2:8", "2:4", "1:4", "1:2"};

TEST(Sparsity, ParsesEveryHardwarePatternAndRejectsOthers) {
  for (const char *text : kPatterns) {
    auto p = parsePattern(text);
    ASSERT_TRUE(!!p) << text;
    EXPECT_EQ(p->str(), text);
  }
  auto p = parsePattern("4:16");
  ASSERT_TRUE(!!p);
  EXPECT_EQ(p->ratio(), 4);
  for (const char *bad : {"", "2", "2:", ":4", "0:2", "4:4", "5:4", "3:4", "2:32", "a:b", "2:4x"}) {
    auto q = parsePattern(bad);
    EXPECT_FALSE(!!q) << bad;
    if (!q)
      llvm::consumeError(q.takeError());
  }
}

// One column of a 2:4 weight: |-3| and |2| are the two largest of
// {0.1, -3, 2, 0.5}, at positions 1 and 2.
TEST(Sparsity, HandWorked24) {
  // w[8, 1]: two groups.
  float w[8] = {0.1f, -3.0f, 2.0f, 0.5f, /*group 1*/ 0.0f, 0.0f, 0.0f, 7.0f};
  double kept = prune(w, 8, 1, {2, 4});
  EXPECT_NEAR(kept, (3.0 + 2.0 + 7.0) / (0.1 + 3.0 + 2.0 + 0.5 + 7.0), 1e-7); // 0.1f is not 0.1
  float expect[8] = {0, -3, 2, 0, 0, 0, 0, 7};
  for (int i = 0; i < 8; ++i)
    EXPECT_EQ(w[i], expect[i]) << i;
  Compressed c = compress(w, 8, 1, {2, 4});
  ASSERT_EQ(c.kc, 4);
  EXPECT_EQ(c.values, (std::vector<float>{-3, 2, /*padding first*/ 0, 7}));
  // Group 1 has one non-zero (position 3); the padding takes position 0.
  EXPECT_EQ(c.tags, (std::vector<uint16_t>{1, 2, 0, 3}));
}

// Four columns share a tag word: column i in bits [4i, 4i + 4).
TEST(Sparsity, TagsPackFourPerWord) {
  // w[2, 5] with 1:2: column c keeps row c % 2.
  float w[10];
  for (int c = 0; c < 5; ++c) {
    w[c] = c % 2 == 0 ? 1.0f + c : 0.0f;
    w[5 + c] = c % 2 == 1 ? 1.0f + c : 0.0f;
  }
  Compressed c = compress(w, 2, 5, {1, 2});
  ASSERT_EQ(c.kc, 1);
  ASSERT_EQ(c.tags.size(), 2u); // ceil(5 / 4) words
  // Tags 0,1,0,1 | 0: 0x1010, then 0x0000.
  EXPECT_EQ(c.tags[0], 0x1010);
  EXPECT_EQ(c.tags[1], 0x0000);
  EXPECT_EQ(c.values, (std::vector<float>{1, 2, 3, 4, 5}));
}

TEST(Sparsity, RoundTripEveryPattern) {
  std::mt19937 rng(6);
  std::normal_distribution<float> normal;
  for (const char *text : kPatterns) {
    Pattern p = *parsePattern(text);
    for (int64_t N : {1, 4, 13, 130}) {
      int64_t K = p.group * 5;
      std::vector<float> w(size_t(K * N));
      for (float &v : w)
        v = normal(rng);
      std::vector<float> orig = w;
      EXPECT_FALSE(isSparse(w.data(), K, N, p)) << text;
      double kept = prune(w.data(), K, N, p);
      EXPECT_TRUE(isSparse(w.data(), K, N, p)) << text;
      // The definition: in each group, keep elements unchanged, and every
      // kept magnitude >= every dropped one; the kept fraction adds up.
      double sumAll = 0, sumKept = 0;
      for (int64_t g = 0; g < K; g += p.group)
        for (int64_t col = 0; col < N; ++col) {
          float minKept = INFINITY, maxDropped = 0;
          int64_t nKept = 0;
          for (int64_t i = 0; i < p.group; ++i) {
            size_t at = size_t((g + i) * N + col);
            sumAll += std::fabs(orig[at]);
            if (w[at] != 0) {
              EXPECT_EQ(w[at], orig[at]);
              minKept = std::min(minKept, std::fabs(orig[at]));
              sumKept += std::fabs(orig[at]);
              ++nKept;
            } else {
              maxDropped = std::max(maxDropped, std::fabs(orig[at]));
            }
          }
          EXPECT_EQ(nKept, p.keep) << text;
          EXPECT_GE(minKept, maxDropped) << text;
        }
      EXPECT_NEAR(kept, sumKept / sumAll, 1e-9) << text;

      Compressed c = compress(w.data(), K, N, p);
      ASSERT_EQ(c.kc, K / p.group * p.keep) << text;
      ASSERT_EQ((int64_t)c.values.size(), c.kc * N);
      ASSERT_EQ((int64_t)c.tags.size(), c.kc * ((N + 3) / 4));
      auto back = decompress(c.values.data(), c.tags.data(), c.kc, N, p);
      ASSERT_TRUE(!!back) << llvm::toString(back.takeError());
      EXPECT_EQ(*back, w) << text << " N=" << N;
    }
  }
}

TEST(Sparsity, DecompressRejectsBadTags) {
  float values[2] = {1, 2};
  uint16_t outside[2] = {0, 4}; // 2:4, tag 4 is outside the group
  auto r = decompress(values, outside, 2, 1, {2, 4});
  ASSERT_FALSE(!!r);
  EXPECT_NE(llvm::toString(r.takeError()).find("outside the group of 4"), std::string::npos);
  uint16_t unordered[2] = {2, 1};
  auto s = decompress(values, unordered, 2, 1, {2, 4});
  ASSERT_FALSE(!!s);
  EXPECT_NE(llvm::toString(s.takeError()).find("not increasing"), std::string::npos);
}

TEST(Sparsity, AlreadySparseWeightsNeedNoPruning) {
  float w[8] = {0, 1, 0, 0, 0, 0, 2, 0}; // 1:4 already
  EXPECT_TRUE(isSparse(w, 8, 1, {1, 4}));
  EXPECT_TRUE(isSparse(w, 8, 1, {2, 4}));
  EXPECT_FALSE(isSparse(w, 8, 1, {1, 8})); // two non-zeros in one group of 8
  EXPECT_FALSE(isSparse(w, 6, 1, {2, 4})); // K not a multiple of 4
}

} // namespace
