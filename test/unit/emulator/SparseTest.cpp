//===- SparseTest.cpp - load_stationary_sparse / multiply_moving_sparse ---===//
//
// Functional: for every N:M pattern of trn2, random sparse weights are built
// here (random kept positions per group, compressed by hand into values and
// tag words) and the emulator's sparse MM must equal, bit for bit, a naive
// k-ascending fp32 loop over the dense weights (the dense MM's order).
// Timing: the cycle counts of docs/timing.md, worked out by hand.
//
//===----------------------------------------------------------------------===//

#include "EmulatorTestUtil.h"
#include "trellis/Emulator/CostModel.h"

#include <algorithm>
#include <random>

using namespace trellis;
using namespace trellis::emu;
using namespace trellis::emu::test;

namespace {

struct Pat {
  int64_t keep, group;
};
const Pat kPatterns[] = {{4, 16}, {4, 12}, {4, 8}, {2, 8}, {2, 4}, {1, 4}, {1, 2}};

struct SparseCase {
  int64_t kc, M, N;
  std::vector<float> dense;   // [kc / keep * group, M]
  std::vector<float> values;  // [kc, M]
  std::vector<uint16_t> tags; // [kc, ceil(M / 4)]
};

SparseCase randomSparse(Pat p, int64_t kc, int64_t M, int64_t N, std::mt19937 &rng) {
  SparseCase c{kc, M, N, {}, {}, {}};
  int64_t K = kc / p.keep * p.group, words = (M + 3) / 4;
  c.dense.assign(size_t(K * M), 0.0f);
  c.values.assign(size_t(kc * M), 0.0f);
  c.tags.assign(size_t(kc * words), 0);
  std::uniform_real_distribution<float> dist(-2.0f, 2.0f);
  std::vector<int64_t> pos(p.group);
  for (int64_t g = 0; g < K / p.group; ++g)
    for (int64_t m = 0; m < M; ++m) {
      for (int64_t i = 0; i < p.group; ++i)
        pos[i] = i;
      std::shuffle(pos.begin(), pos.end(), rng);
      std::sort(pos.begin(), pos.begin() + p.keep);
      for (int64_t j = 0; j < p.keep; ++j) {
        float v = dist(rng);
        int64_t row = g * p.keep + j;
        c.dense[size_t((g * p.group + pos[j]) * M + m)] = v;
        c.values[size_t(row * M + m)] = v;
        c.tags[size_t(row * words + m / 4)] |= uint16_t(pos[j] << (4 * (m % 4)));
      }
    }
  return c;
}

/// DMA values, tags and moving into SBUF; sparse LS + MM; evict; store.
Program sparseProgram(const SparseCase &c, Pat p, std::vector<Inst> *pe = nullptr) {
  int64_t ratio = p.group / p.keep, words = (c.M + 3) / 4;
  ChainBuilder cb;
  int64_t hv = cb.constant("values", c.values);
  ConstantSegment tags;
  tags.name = "tags";
  tags.bytes.resize(c.tags.size() * 2);
  std::memcpy(tags.bytes.data(), c.tags.data(), tags.bytes.size());
  tags.hbmOffset = cb.place(int64_t(tags.bytes.size()));
  cb.program.constants.push_back(tags);
  int64_t hx = cb.input("x", {c.kc * ratio, c.N}, DType::f32);
  int64_t hy = cb.output("y", {c.M, c.N}, DType::f32);
  int64_t sv = 0, st = sv + c.M * 4, sx = st + 256, sy = sx + ratio * c.N * 4;
  Inst d = inst(Opcode::dma, kQ0);
  d.dst = sbuf(0, c.kc, sv, DType::f32, c.M);
  d.src0 = hbm(c.kc, c.M, hv, DType::f32);
  cb.add(d);
  d.dst = sbuf(0, c.kc, st, DType::i16, words);
  d.src0 = hbm(c.kc, words, tags.hbmOffset, DType::i16);
  cb.add(d);
  // The row-major [K, N] moving matrix is [kc, ratio * N]: no reshuffle.
  d.dst = sbuf(0, c.kc, sx, DType::f32, ratio * c.N);
  d.src0 = hbm(c.kc, ratio * c.N, hx, DType::f32);
  cb.add(d);
  Inst ls = inst(Opcode::load_stationary_sparse, isa::kQueuePE);
  ls.src0 = sbuf(0, c.kc, sv, DType::f32, c.M);
  ls.src1 = sbuf(0, c.kc, st, DType::i16, words);
  ls.keep = p.keep;
  ls.group = p.group;
  cb.add(ls);
  Inst mm = inst(Opcode::multiply_moving_sparse, isa::kQueuePE);
  mm.dst = psum(0, c.M, 0, c.N);
  mm.src0 = sbuf(0, c.kc, sx, DType::f32, ratio * c.N);
  mm.keep = p.keep;
  mm.group = p.group;
  mm.start = true;
  cb.add(mm);
  if (pe)
    *pe = {ls, mm};
  Inst cp = inst(Opcode::copy, isa::kQueueDVE);
  cp.dst = sbuf(0, c.M, sy, DType::f32, c.N);
  cp.src0 = psum(0, c.M, 0, c.N);
  cb.add(cp);
  d.dst = hbm(c.M, c.N, hy, DType::f32);
  d.src0 = sbuf(0, c.M, sy, DType::f32, c.N);
  cb.add(d);
  return cb.program;
}

ArchConfig sparseArch() {
  ArchConfig a = testArch();
  a.sparsityPatterns = {"4:16", "4:12", "4:8", "2:8", "2:4", "1:4", "1:2"};
  a.peakTflopsBf16 = 64;
  a.peakTflopsSparse = 256;
  return a;
}

TEST(SparseMatmul, BitIdenticalToDenseLoopOverEveryPattern) {
  std::mt19937 rng(6);
  for (Pat p : kPatterns) {
    int64_t ratio = p.group / p.keep;
    // kc must be whole groups of keep; N * ratio within the SBUF budget.
    for (auto [kc, M, N] : {std::tuple<int64_t, int64_t, int64_t>{128, 128, 128},
                            {p.keep * 3, 13, 37}}) {
      SparseCase c = randomSparse(p, kc, M, N, rng);
      int64_t K = kc * ratio;
      std::vector<float> x(size_t(K * N));
      std::uniform_real_distribution<float> dist(-2.0f, 2.0f);
      for (float &v : x)
        v = dist(rng);
      RunResult r = runOk(sparseProgram(c, p), {{"x", f32Tensor({K, N}, x)}}, {}, sparseArch());
      std::vector<float> y = floats(r.outputs["y"]);
      ASSERT_EQ(int64_t(y.size()), M * N);
      for (int64_t m = 0; m < M; ++m)
        for (int64_t n = 0; n < N; ++n) {
          float acc = 0.0f; // the dense MM: products and sums in fp32, k ascending
          for (int64_t k = 0; k < K; ++k)
            acc += c.dense[size_t(k * M + m)] * x[size_t(k * N + n)];
          ASSERT_EQ(std::memcmp(&acc, &y[size_t(m * N + n)], 4), 0)
              << p.keep << ":" << p.group << " kc=" << kc << " m=" << m << " n=" << n << " "
              << acc << " vs " << y[size_t(m * N + n)];
        }
    }
  }
}

TEST(SparseMatmul, CyclesFollowTheSparsePeak) {
  // trn2: sparse peak 316 = 4 x 79, so every pattern (ratio <= 4) streams one
  // moving column per cycle: N = 512 bf16 -> 512 cycles, ratio x the work.
  ArchConfig trn = trn2();
  for (Pat p : kPatterns) {
    Inst mm = inst(Opcode::multiply_moving_sparse, isa::kQueuePE);
    int64_t ratio = p.group / p.keep;
    mm.src0 = sbuf(0, 128, 0, DType::bf16, ratio * 512);
    mm.dst = psum(0, 128, 0, 512);
    mm.keep = p.keep;
    mm.group = p.group;
    EXPECT_EQ(multiplyMovingCycles(mm, trn), 512) << p.keep << ":" << p.group;
    EXPECT_NEAR(isolatedCostNs(mm, trn), (512 + 128) / 2.4, 1e-9);
    mm.src0.dtype = DType::f32; // the fp32 slowdown applies as to a dense MM
    EXPECT_EQ(multiplyMovingCycles(mm, trn), 4 * 512);
  }
  // A target whose sparse peak is only 2x the dense one: a ratio-4 pattern
  // is limited by the moving read to 2 rows per cycle -> 1024 cycles;
  // ratio 2 still runs at 512; N = 32 hits the 64-cycle floor.
  ArchConfig half = sparseArch();
  half.peakTflopsSparse = 2 * half.peakTflopsBf16;
  EXPECT_EQ(sparseMaxRatio(half), 2);
  Inst mm = inst(Opcode::multiply_moving_sparse, isa::kQueuePE);
  mm.keep = 1;
  mm.group = 4;
  mm.src0 = sbuf(0, 128, 0, DType::bf16, 4 * 512);
  EXPECT_EQ(multiplyMovingCycles(mm, half), 1024);
  mm.keep = 2;
  mm.src0 = sbuf(0, 128, 0, DType::bf16, 2 * 512);
  EXPECT_EQ(multiplyMovingCycles(mm, half), 512);
  mm.src0 = sbuf(0, 128, 0, DType::bf16, 2 * 32);
  EXPECT_EQ(multiplyMovingCycles(mm, half), 64);
  // The load: ceil(max(128, 64) / 4) = 32 cycles, as a dense LS.
  Inst ls = inst(Opcode::load_stationary_sparse, isa::kQueuePE);
  ls.src0 = sbuf(0, 128, 0, DType::bf16, 128);
  EXPECT_EQ(loadStationaryCycles(ls, trn), 32);
}

TEST(SparseMatmul, TimelineOfLoadAndMultiply) {
  // testArch at 2 GHz: LS 128 x 128 f32 = ceil(128 / 4) x 4 = 128 cycles;
  // MM N = 128 f32 = 128 x 4 = 512 cycles + 128 fill.
  std::mt19937 rng(1);
  Pat p{2, 4};
  SparseCase c = randomSparse(p, 128, 128, 128, rng);
  std::vector<Inst> pe;
  Program prog = sparseProgram(c, p, &pe);
  RunOptions o;
  o.timingOnly = true;
  RunResult r = runOk(prog, {}, o, sparseArch());
  ASSERT_EQ(r.timeline.size(), prog.instructions.size());
  const auto &ls = r.timeline[3], &mm = r.timeline[4];
  EXPECT_NEAR(ls.endNs - ls.startNs, 128 / 2.0, 1e-9);
  EXPECT_NEAR(mm.endNs - mm.startNs, (512 + 128) / 2.0, 1e-9);
}

TEST(SparseMatmul, Errors) {
  std::mt19937 rng(2);
  Pat p{2, 4};
  SparseCase c = randomSparse(p, 8, 4, 4, rng);
  std::map<std::string, HostTensor> in{{"x", f32Tensor({16, 4}, std::vector<float>(64, 1.0f))}};
  // A target without sparsity.
  EXPECT_THAT(runError(sparseProgram(c, p), in), ::testing::HasSubstr(
                                                     "target test has no 2:4 structured sparsity"));
  // MM pattern differing from the latched stationary's.
  Program prog = sparseProgram(c, p);
  prog.instructions[4].keep = 1;
  prog.instructions[4].src0.sizes = {16};
  EXPECT_THAT(runError(prog, in, {}, sparseArch()),
              ::testing::HasSubstr("pattern 1:4 but the stationary is 2:4"));
  // A dense MM after a sparse load.
  prog = sparseProgram(c, p);
  prog.instructions[4].opcode = Opcode::multiply_moving;
  EXPECT_THAT(runError(prog, in, {}, sparseArch()),
              ::testing::HasSubstr("multiply_moving after load_stationary_sparse"));
  // A tag outside the group (data, found when the load runs).
  SparseCase bad = c;
  bad.tags[0] = uint16_t((bad.tags[0] & ~0xF) | 7);
  EXPECT_THAT(runError(sparseProgram(bad, p), in, {}, sparseArch()),
              ::testing::HasSubstr("sparse tag 7 at row 0 column 0 is outside the group of 4"));
}

} // namespace
