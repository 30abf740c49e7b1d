//===- PEArrayTest.cpp - Cycle-level PE array vs the fast models ----------===//
//
// The cycle-level array (PEArray.h) against (1) the emulator's fast matmul
// kernel, bit for bit, and (2) the fast timing model's LoadStationary +
// MultiplyMoving costs, within the tolerance docs/timing.md derives.
//
//===----------------------------------------------------------------------===//

#include "trellis/Emulator/PEArray.h"
#include "EmulatorTestUtil.h"
#include "Semantics.h"
#include "trellis/Emulator/CostModel.h"
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <random>

using namespace trellis;
using namespace trellis::emu;
using namespace trellis::emu::test;

namespace {

struct Shape {
  int64_t K, M, N;
};

// Ragged and degenerate shapes, the array's corners, and the canonical tile.
const Shape kShapes[] = {{1, 1, 1},    {1, 7, 3},   {5, 1, 9},    {3, 5, 7},
                         {17, 29, 63}, {31, 7, 64}, {32, 32, 64}, {20, 33, 65},
                         {64, 64, 64}, {128, 1, 1}, {1, 128, 5},  {128, 128, 512}};

/// Values spanning several binades, so that fp32 additions really round.
std::vector<float> randomValues(size_t n, std::mt19937 &rng, bool bf16) {
  std::uniform_real_distribution<float> mant(-1.0f, 1.0f);
  std::uniform_int_distribution<int> exp(-6, 6);
  std::vector<float> v(n);
  for (float &x : v) {
    x = std::ldexp(mant(rng), exp(rng));
    if (bf16)
      x = numerics::roundBf16(x);
  }
  return v;
}

/// out[m][n] = acc[m][n] + sum over k ascending of s[k][m] * x[k][n], one
/// fp32 rounding per product and per addition.
std::vector<float> naive(const std::vector<float> &s, const std::vector<float> &x,
                         const std::vector<float> &acc, Shape sh) {
  std::vector<float> out = acc;
  for (int64_t m = 0; m < sh.M; ++m)
    for (int64_t n = 0; n < sh.N; ++n) {
      float a = out[size_t(m * sh.N + n)];
      for (int64_t k = 0; k < sh.K; ++k) {
        float prod = s[size_t(k * sh.M + m)] * x[size_t(k * sh.N + n)];
        a = a + prod;
      }
      out[size_t(m * sh.N + n)] = a;
    }
  return out;
}

/// The emulator's kernel, fed the way execMultiplyMoving feeds it.
std::vector<float> fastKernel(const std::vector<float> &s, const std::vector<float> &x,
                              const std::vector<float> &acc, Shape sh) {
  std::vector<float> statT(size_t(sh.M * sh.K));
  for (int64_t k = 0; k < sh.K; ++k)
    for (int64_t m = 0; m < sh.M; ++m)
      statT[size_t(m * sh.K + k)] = s[size_t(k * sh.M + m)];
  std::vector<float> out = acc;
  matmulAccumulate(statT.data(), x.data(), out.data(), sh.M, sh.K, sh.N);
  return out;
}

bool sameBits(const std::vector<float> &a, const std::vector<float> &b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

PEArrayResult runOrFail(const std::vector<float> &s, const std::vector<float> &x,
                        const std::vector<float> &acc, Shape sh, int64_t loadWidth) {
  auto r = runPEArray(s, x, acc, sh.K, sh.M, sh.N, loadWidth);
  if (!r) {
    ADD_FAILURE() << llvm::toString(r.takeError());
    return PEArrayResult();
  }
  return std::move(*r);
}

void checkBitIdentical(bool bf16) {
  std::mt19937 rng(bf16 ? 7 : 3);
  for (Shape sh : kShapes) {
    SCOPED_TRACE(testing::Message() << "K=" << sh.K << " M=" << sh.M << " N=" << sh.N);
    std::vector<float> s = randomValues(size_t(sh.K * sh.M), rng, bf16);
    std::vector<float> x = randomValues(size_t(sh.K * sh.N), rng, bf16);
    // A fresh accumulation (start) and one onto existing fp32 PSUM values.
    std::vector<float> zero(size_t(sh.M * sh.N), 0.0f);
    std::vector<float> acc = randomValues(size_t(sh.M * sh.N), rng, false);
    for (const std::vector<float> *init : {&zero, &acc}) {
      std::vector<float> ref = naive(s, x, *init, sh);
      ASSERT_TRUE(sameBits(fastKernel(s, x, *init, sh), ref));
      PEArrayResult r = runOrFail(s, x, init == &zero ? std::vector<float>() : *init, sh, 4);
      EXPECT_TRUE(sameBits(r.out, ref));
    }
  }
}

TEST(PEArray, BitIdenticalToFastKernelF32) { checkBitIdentical(false); }

TEST(PEArray, BitIdenticalToFastKernelBf16Inputs) { checkBitIdentical(true); }

TEST(PEArray, HandCheckedSmallProduct) {
  // [[1, 2], [3, 4]] (K=2 x M=2) against x = [[1, 10, 100], [2, 20, 200]]:
  // out[m][n] = s[0][m] x[0][n] + s[1][m] x[1][n].
  std::vector<float> s = {1, 2, 3, 4}, x = {1, 10, 100, 2, 20, 200};
  PEArrayResult r = runOrFail(s, x, {}, {2, 2, 3}, 1);
  EXPECT_EQ(r.out, (std::vector<float>{7, 70, 700, 10, 100, 1000}));
  // Load: 2 weights per row, one hop per cycle. Stream: the last column
  // enters row 0 at cycle 2, row 1 at cycle 3, reaches column 1 at cycle 4:
  // 5 cycles = N + K + M - 2.
  EXPECT_EQ(r.loadCycles, 2);
  EXPECT_EQ(r.streamCycles, 5);
}

TEST(PEArray, CycleCountsByHand) {
  for (Shape sh : kShapes)
    for (int64_t w : {1, 4, 5}) {
      SCOPED_TRACE(testing::Message()
                   << "K=" << sh.K << " M=" << sh.M << " N=" << sh.N << " w=" << w);
      std::vector<float> s(size_t(sh.K * sh.M), 1.0f), x(size_t(sh.K * sh.N), 1.0f);
      PEArrayResult r = runOrFail(s, x, {}, sh, w);
      EXPECT_EQ(r.loadCycles, (sh.M + w - 1) / w);
      EXPECT_EQ(r.streamCycles, sh.N + sh.K + sh.M - 2);
      EXPECT_EQ(r.out, std::vector<float>(size_t(sh.M * sh.N), float(sh.K)));
    }
}

TEST(PEArray, RejectsMismatchedOperands) {
  auto r = runPEArray(std::vector<float>(6), std::vector<float>(4), {}, 2, 3, 3);
  ASSERT_FALSE(bool(r));
  EXPECT_THAT(llvm::toString(r.takeError()), testing::HasSubstr("operand sizes do not match"));
}

/// The cycle model against a full emulator run: LS, MM (start), MM
/// (accumulate) through PSUM, evicted by an exact f32 copy.
TEST(PEArray, MatchesEmulatorRun) {
  Shape sh{19, 23, 37};
  std::mt19937 rng(11);
  std::vector<float> s = randomValues(size_t(sh.K * sh.M), rng, false);
  std::vector<float> a = randomValues(size_t(sh.K * sh.N), rng, false);
  std::vector<float> b = randomValues(size_t(sh.K * sh.N), rng, false);

  ChainBuilder cb;
  int64_t hs = cb.input("s", {sh.K, sh.M}, DType::f32);
  int64_t ha = cb.input("a", {sh.K, sh.N}, DType::f32);
  int64_t hb = cb.input("b", {sh.K, sh.N}, DType::f32);
  int64_t hy = cb.output("y", {sh.M, sh.N}, DType::f32);
  int64_t ss = 0, sa = 512, sb = 1024, sy = 2048; // SBUF bytes per partition
  Inst d = inst(Opcode::dma, kQ0);
  for (auto [dst, src, cols] :
       {std::tuple{ss, hs, sh.M}, std::tuple{sa, ha, sh.N}, std::tuple{sb, hb, sh.N}}) {
    d.dst = sbuf(0, sh.K, dst, DType::f32, cols);
    d.src0 = hbm(sh.K, cols, src, DType::f32);
    cb.add(d);
  }
  Inst ls = inst(Opcode::load_stationary, isa::kQueuePE);
  ls.src0 = sbuf(0, sh.K, ss, DType::f32, sh.M);
  cb.add(ls);
  Inst mm = inst(Opcode::multiply_moving, isa::kQueuePE);
  mm.dst = psum(0, sh.M, 0, sh.N);
  mm.src0 = sbuf(0, sh.K, sa, DType::f32, sh.N);
  mm.start = true;
  cb.add(mm);
  mm.src0 = sbuf(0, sh.K, sb, DType::f32, sh.N);
  mm.start = false;
  cb.add(mm);
  Inst ev = inst(Opcode::copy, isa::kQueueACT);
  ev.dst = sbuf(0, sh.M, sy, DType::f32, sh.N);
  ev.src0 = psum(0, sh.M, 0, sh.N);
  cb.add(ev);
  d.dst = hbm(sh.M, sh.N, hy, DType::f32);
  d.src0 = sbuf(0, sh.M, sy, DType::f32, sh.N);
  cb.add(d);
  RunResult run = runOk(cb.program, {{"s", f32Tensor({sh.K, sh.M}, s)},
                                     {"a", f32Tensor({sh.K, sh.N}, a)},
                                     {"b", f32Tensor({sh.K, sh.N}, b)}});

  PEArrayResult first = runOrFail(s, a, {}, sh, 4);
  PEArrayResult second = runOrFail(s, b, first.out, sh, 4);
  EXPECT_TRUE(sameBits(floats(run.outputs["y"]), second.out));
}

//===----------------------------------------------------------------------===//
// Timing cross-check
//===----------------------------------------------------------------------===//

/// The fast model's cost of one LoadStationary + MultiplyMoving (bf16) on an
/// idle array, in PE cycles: ceil(max(M, 64) / 4) + max(N, 64) + fill.
int64_t fastCycles(const ArchConfig &arch, Shape sh) {
  Inst ls = inst(Opcode::load_stationary, isa::kQueuePE);
  ls.src0 = sbuf(0, sh.K, 0, DType::bf16, sh.M);
  Inst mm = inst(Opcode::multiply_moving, isa::kQueuePE);
  mm.src0 = sbuf(0, sh.K, 1024, DType::bf16, sh.N);
  mm.dst = psum(0, sh.M, 0, sh.N);
  return loadStationaryCycles(ls, arch) + multiplyMovingCycles(mm, arch) + arch.peFillCycles;
}

int64_t cycleModelCycles(const ArchConfig &arch, Shape sh) {
  std::vector<float> s(size_t(sh.K * sh.M), 1.0f), x(size_t(sh.K * sh.N), 1.0f);
  return runOrFail(s, x, {}, sh, arch.lsSpeedup).totalCycles();
}

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

TEST(PEArray, TimingCrossCheckTrn2) {
  ArchConfig arch = trn2();
  ASSERT_EQ(arch.mmMinIntervalCycles, 64);
  ASSERT_EQ(arch.peFillCycles, 128);
  ASSERT_EQ(arch.lsSpeedup, 4);
  int64_t floor = arch.mmMinIntervalCycles, F = arch.peFillCycles, w = arch.lsSpeedup;
  // The tolerance docs/timing.md states: with M, N >= the 64-cycle floor
  // the two models differ only by the fill constant against the array's
  // skew + drain, |K + M - 2 - F| <= peRows + peCols - 2 - F = 126 cycles.
  int64_t tolerance = arch.peRows + arch.peCols - 2 - F;
  EXPECT_EQ(tolerance, 126);
  for (Shape sh : kShapes) {
    SCOPED_TRACE(testing::Message() << "K=" << sh.K << " M=" << sh.M << " N=" << sh.N);
    int64_t cycle = cycleModelCycles(arch, sh), fast = fastCycles(arch, sh);
    // Every difference is one of three named terms, each checked exactly:
    // the MM issue floor, the LS floor, and fill vs. skew + drain.
    int64_t mmFloor = sh.N - std::max(sh.N, floor);
    int64_t lsFloor = ceilDiv(sh.M, w) - ceilDiv(std::max(sh.M, floor), w);
    int64_t fill = (sh.K - 1) + (sh.M - 1) - F;
    EXPECT_EQ(cycle - fast, mmFloor + lsFloor + fill);
    if (sh.N >= floor && sh.M >= floor)
      EXPECT_LE(std::abs(cycle - fast), tolerance);
  }
  // The canonical tile by hand: cycle model 32 + 512 + 127 + 127 = 798,
  // fast model 32 + 512 + 128 = 672.
  EXPECT_EQ(cycleModelCycles(arch, {128, 128, 512}), 798);
  EXPECT_EQ(fastCycles(arch, {128, 128, 512}), 672);
}

TEST(PEArray, StreamingRateMatchesIssueInterval) {
  // Above the floor both models charge exactly one cycle per moving column:
  // the per-MM cost of a back-to-back burst, where the fill is paid once.
  ArchConfig arch = trn2();
  for (Shape sh : {Shape{128, 128, 64}, Shape{32, 32, 64}, Shape{17, 29, 100}}) {
    SCOPED_TRACE(testing::Message() << "K=" << sh.K << " M=" << sh.M << " N=" << sh.N);
    Shape more = sh;
    more.N += 37;
    EXPECT_EQ(cycleModelCycles(arch, more) - cycleModelCycles(arch, sh), 37);
    EXPECT_EQ(fastCycles(arch, more) - fastCycles(arch, sh), 37);
  }
  // Below it the array would take N cycles, the fast model the 64-cycle
  // instruction floor (MM_INIT_LATENCY), which the array does not model.
  EXPECT_EQ(cycleModelCycles(arch, {32, 32, 16}) - cycleModelCycles(arch, {32, 32, 8}), 8);
  EXPECT_EQ(fastCycles(arch, {32, 32, 16}) - fastCycles(arch, {32, 32, 8}), 0);
}

TEST(PEArray, PeakFollowsFromArrayAndClock) {
  // The roofline uses each target's quoted bf16 peak; the timing model runs
  // rows x cols MACs per PE cycle. They agree within 0.5% (trn2: 78.64 vs
  // 79; trn1 / inf2: 91.75 vs 92).
  for (const char *name : {"trn2", "trn1", "inf2"}) {
    auto arch = loadArchConfig(name);
    ASSERT_TRUE(bool(arch)) << llvm::toString(arch.takeError());
    double clockPeak = 2.0 * double(arch->peRows * arch->peCols) * arch->peClockGHz * 1e-3;
    EXPECT_NEAR(clockPeak / arch->peakTflopsBf16, 1.0, 0.005) << name;
    EXPECT_LE(clockPeak, arch->peakTflopsBf16) << name;
  }
}

} // namespace
