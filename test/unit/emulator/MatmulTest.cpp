//===- MatmulTest.cpp - Tensor-engine numerics vs a naive reference -------===//

#include "EmulatorTestUtil.h"
#include "Semantics.h"
#include <cmath>
#include <cstring>
#include <tuple>
#include <random>

using namespace trellis;
using namespace trellis::emu;
using namespace trellis::emu::test;

namespace {

struct MatmulCase {
  int64_t K, M, N;
  DType dtype;
  unsigned seed;
};

std::vector<float> randomValues(size_t n, std::mt19937 &rng) {
  std::uniform_real_distribution<float> dist(-2.0f, 2.0f);
  std::vector<float> v(n);
  for (float &x : v)
    x = dist(rng);
  return v;
}

/// psum[M,N] = w1^T a + w2^T b, then PSUM -> SBUF -> HBM output.
void runAccumulatingMatmul(const MatmulCase &c) {
  std::mt19937 rng(c.seed);
  int64_t K = c.K, M = c.M, N = c.N;
  std::vector<float> w1 = randomValues(size_t(K * M), rng), w2 = randomValues(size_t(K * M), rng);
  std::vector<float> a = randomValues(size_t(K * N), rng), b = randomValues(size_t(K * N), rng);

  ChainBuilder cb;
  int64_t hw1 = cb.input("w1", {K, M}, c.dtype), hw2 = cb.input("w2", {K, M}, c.dtype);
  int64_t ha = cb.input("a", {K, N}, c.dtype), hb = cb.input("b", {K, N}, c.dtype);
  int64_t hy = cb.output("y", {M, N}, DType::f32);
  int64_t eb = isa::dtypeBytes(c.dtype);
  // SBUF layout per partition: w1 | w2 | a | b | y.
  int64_t sw1 = 0, sw2 = 128 * eb, sa = 256 * eb, sb = sa + 512 * eb, sy = sb + 512 * eb;

  Inst d = inst(Opcode::dma, kQ0);
  for (auto [s, h, cols] : {std::tuple{sw1, hw1, M}, std::tuple{sw2, hw2, M},
                            std::tuple{sa, ha, N}, std::tuple{sb, hb, N}}) {
    d.dst = sbuf(0, K, s, c.dtype, cols);
    d.src0 = hbm(K, cols, h, c.dtype);
    cb.add(d);
  }
  Inst ls = inst(Opcode::load_stationary, isa::kQueuePE);
  Inst mm = inst(Opcode::multiply_moving, isa::kQueuePE);
  ls.src0 = sbuf(0, K, sw1, c.dtype, M);
  cb.add(ls);
  mm.dst = psum(0, M, 2048, N); // bank 1
  mm.src0 = sbuf(0, K, sa, c.dtype, N);
  mm.start = true;
  cb.add(mm);
  ls.src0 = sbuf(0, K, sw2, c.dtype, M);
  cb.add(ls);
  mm.src0 = sbuf(0, K, sb, c.dtype, N);
  mm.start = false;
  cb.add(mm);
  Inst cp = inst(Opcode::copy, isa::kQueueDVE);
  cp.dst = sbuf(0, M, sy, DType::f32, N);
  cp.src0 = psum(0, M, 2048, N);
  cb.add(cp);
  d.dst = hbm(M, N, hy, DType::f32);
  d.src0 = sbuf(0, M, sy, DType::f32, N);
  cb.add(d);

  std::map<std::string, HostTensor> in;
  auto tensor = c.dtype == DType::bf16 ? bf16Tensor : f32Tensor;
  in["w1"] = tensor({K, M}, w1);
  in["w2"] = tensor({K, M}, w2);
  in["a"] = tensor({K, N}, a);
  in["b"] = tensor({K, N}, b);
  RunResult r = runOk(cb.program, in);
  ASSERT_EQ(r.outputs.count("y"), 1u);
  std::vector<float> y = floats(r.outputs["y"]);
  ASSERT_EQ(int64_t(y.size()), M * N);

  // Naive double-precision reference over the inputs as the device sees them.
  auto q = [&](float v) { return c.dtype == DType::bf16 ? numerics::roundBf16(v) : v; };
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      double ref = 0, mag = 0;
      for (int64_t k = 0; k < K; ++k) {
        double p1 = double(q(w1[k * M + m])) * q(a[k * N + n]);
        double p2 = double(q(w2[k * M + m])) * q(b[k * N + n]);
        ref += p1 + p2;
        mag += std::fabs(p1) + std::fabs(p2);
      }
      // fp32 accumulation of 2K products: error well under 2K ulps of the
      // magnitude sum.
      double tol = 2.0 * double(K) * 1.2e-7 * mag + 1e-30;
      ASSERT_NEAR(y[size_t(m * N + n)], ref, tol) << "m=" << m << " n=" << n;
    }
}

class MatmulNumerics : public ::testing::TestWithParam<MatmulCase> {};

TEST_P(MatmulNumerics, AccumulatesTwoMatmulsInFp32) { runAccumulatingMatmul(GetParam()); }

INSTANTIATE_TEST_SUITE_P(Shapes, MatmulNumerics,
                         ::testing::Values(MatmulCase{128, 128, 512, DType::f32, 1},
                                           MatmulCase{128, 128, 512, DType::bf16, 2},
                                           MatmulCase{37, 101, 300, DType::f32, 3},
                                           MatmulCase{77, 5, 511, DType::bf16, 4},
                                           MatmulCase{1, 1, 1, DType::f32, 5},
                                           MatmulCase{128, 3, 64, DType::bf16, 6}));

/// Random shapes, checked against the naive loop directly on the kernel.
TEST(MatmulKernel, MatchesNaiveLoopOnRandomShapes) {
  std::mt19937 rng(42);
  for (int trial = 0; trial < 20; ++trial) {
    int64_t K = 1 + rng() % 128, M = 1 + rng() % 128, N = 1 + rng() % 512;
    std::vector<float> statT = randomValues(size_t(M * K), rng);
    std::vector<float> mov = randomValues(size_t(K * N), rng);
    std::vector<float> out = randomValues(size_t(M * N), rng), init = out;
    matmulAccumulate(statT.data(), mov.data(), out.data(), M, K, N);
    for (int64_t m = 0; m < M; ++m)
      for (int64_t n = 0; n < N; ++n) {
        double ref = init[size_t(m * N + n)], mag = std::fabs(ref);
        for (int64_t k = 0; k < K; ++k) {
          double p = double(statT[size_t(m * K + k)]) * mov[size_t(k * N + n)];
          ref += p;
          mag += std::fabs(p);
        }
        ASSERT_NEAR(out[size_t(m * N + n)], ref, double(K + 1) * 1.2e-7 * mag + 1e-30);
      }
  }
}

/// The row split between two threads is bit-identical to one thread
/// (shapes above the threading threshold, ragged M included).
TEST(MatmulKernel, ThreadedSplitIsBitIdentical) {
  std::mt19937 rng(7);
  for (auto [M, K, N] : {std::tuple<int64_t, int64_t, int64_t>{128, 128, 512}, {127, 128, 200},
                         {9, 128, 2048}, {66, 97, 511}, {3, 128, 512}}) {
    std::vector<float> statT = randomValues(size_t(M * K), rng);
    std::vector<float> mov = randomValues(size_t(K * N), rng);
    std::vector<float> one = randomValues(size_t(M * N), rng), two = one;
    matmulAccumulate(statT.data(), mov.data(), one.data(), M, K, N);
    matmulAccumulateThreaded(statT.data(), mov.data(), two.data(), M, K, N);
    ASSERT_EQ(std::memcmp(one.data(), two.data(), one.size() * 4), 0) << M << "x" << K << "x" << N;
  }
}

/// Full graph: y = relu(W^T x + bias), W a constant in HBM, through HBM.
TEST(EndToEnd, LoadMatmulBiasReluStore) {
  const int64_t K = 64, M = 48, N = 200;
  std::mt19937 rng(7);
  std::vector<float> w = randomValues(K * M, rng), x = randomValues(K * N, rng),
                     bias = randomValues(M, rng);
  ChainBuilder cb;
  int64_t hx = cb.input("x", {K, N}, DType::f32);
  int64_t hbias = cb.input("bias", {M, 1}, DType::f32);
  int64_t hw = cb.constant("w", w);
  int64_t hy = cb.output("y", {M, N}, DType::f32);

  Inst d = inst(Opcode::dma, kQ0);
  d.dst = sbuf(0, K, 0, DType::f32, M);
  d.src0 = hbm(K, M, hw, DType::f32);
  cb.add(d);
  d.queue = kQ1;
  d.dst = sbuf(0, K, 1024, DType::f32, N);
  d.src0 = hbm(K, N, hx, DType::f32);
  cb.add(d);
  d.dst = sbuf(0, M, 4096, DType::f32, 1);
  d.src0 = hbm(M, 1, hbias, DType::f32);
  cb.add(d);
  Inst ls = inst(Opcode::load_stationary, isa::kQueuePE);
  ls.src0 = sbuf(0, K, 0, DType::f32, M);
  cb.add(ls);
  Inst mm = inst(Opcode::multiply_moving, isa::kQueuePE);
  mm.dst = psum(0, M, 0, N);
  mm.src0 = sbuf(0, K, 1024, DType::f32, N);
  mm.start = true;
  cb.add(mm);
  Inst act = inst(Opcode::activation, isa::kQueueACT);
  act.func = isa::ActFunc::relu;
  act.dst = sbuf(0, M, 8192, DType::f32, N);
  act.src0 = psum(0, M, 0, N);
  act.src1 = sbuf(0, M, 4096, DType::f32, 1);
  cb.add(act);
  d.queue = kQ0;
  d.dst = hbm(M, N, hy, DType::f32);
  d.src0 = sbuf(0, M, 8192, DType::f32, N);
  cb.add(d);

  RunResult r = runOk(cb.program, {{"x", f32Tensor({K, N}, x)}, {"bias", f32Tensor({M, 1}, bias)}});
  std::vector<float> y = floats(r.outputs["y"]);
  ASSERT_EQ(int64_t(y.size()), M * N);
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      double acc = bias[m], mag = std::fabs(bias[m]);
      for (int64_t k = 0; k < K; ++k) {
        acc += double(w[k * M + m]) * x[k * N + n];
        mag += std::fabs(double(w[k * M + m]) * x[k * N + n]);
      }
      double ref = acc > 0 ? acc : 0;
      ASSERT_NEAR(y[m * N + n], ref, double(K + 1) * 1.2e-7 * mag + 1e-30);
    }
  EXPECT_EQ(r.instructionsExecuted, cb.program.instructions.size());
}

} // namespace
