//===- OpcodeTest.cpp - Every instruction against hand-computed values ----===//

#include "EmulatorTestUtil.h"
#include "Semantics.h"
#include <cmath>

using namespace trellis;
using namespace trellis::emu;
using namespace trellis::emu::test;
using isa::ActFunc;
using isa::AluOp;

namespace {

/// One compute instruction between a load of its inputs and a store of its
/// result, all chained with semaphores.
struct OneOp {
  ChainBuilder cb;
  std::map<std::string, HostTensor> inputs;

  /// Input `name` (f32 [P, F]) into SBUF partitions 0..P-1 at byte `off`,
  /// stored there as `t`.
  void load(const std::string &name, int64_t P, int64_t F, int64_t off,
            const std::vector<float> &v, DType t = DType::f32) {
    int64_t h = cb.input(name, {P, F}, DType::f32);
    inputs[name] = f32Tensor({P, F}, v);
    Inst d = inst(Opcode::dma, kQ0);
    d.dst = sbuf(0, P, off, t, F);
    d.src0 = hbm(P, F, h, DType::f32);
    cb.add(d);
  }
  /// SBUF [P, F] of type `t` at `off` to output `name` of HBM type `out`.
  void store(const std::string &name, int64_t P, int64_t F, int64_t off, DType t = DType::f32,
             DType out = DType::f32) {
    int64_t h = cb.output(name, {P, F}, out);
    Inst d = inst(Opcode::dma, kQ1);
    d.dst = hbm(P, F, h, out);
    d.src0 = sbuf(0, P, off, t, F);
    cb.add(d);
  }
  RunResult run() { return runOk(cb.program, inputs); }
};

TEST(Dma, CastsThroughFp32WithRoundToNearestEven) {
  OneOp t;
  // 1 + 2^-8 is a tie between bf16 neighbours 1 and 1 + 2^-7: even is 1.
  // 1 + 3 * 2^-8 ties between 1 + 2^-7 and 1 + 2^-6: even is 1 + 2^-6.
  t.load("x", 1, 4, 0, {1.00390625f, 1.01171875f, -2.5f, 3.0f}, DType::bf16);
  t.store("y", 1, 4, 0, DType::bf16);
  t.store("z", 1, 4, 0, DType::bf16, DType::bf16);
  RunResult r = t.run();
  EXPECT_EQ(floats(r.outputs["y"]), (std::vector<float>{1.0f, 1.015625f, -2.5f, 3.0f}));
  const HostTensor &z = r.outputs["z"];
  ASSERT_EQ(z.dtype, HostDType::bf16);
  ASSERT_EQ(z.data.size(), 8u);
  uint16_t bits[4];
  std::memcpy(bits, z.data.data(), 8);
  EXPECT_EQ(bits[0], 0x3f80); // 1.0
  EXPECT_EQ(bits[1], 0x3f82); // 1.015625
  EXPECT_EQ(bits[2], 0xc020); // -2.5
  EXPECT_EQ(bits[3], 0x4040); // 3.0
}

TEST(Dma, StridedHbmGather) {
  OneOp t;
  std::vector<float> x(24);
  for (int i = 0; i < 24; ++i)
    x[i] = float(i); // [4, 6] row-major
  int64_t hx = t.cb.input("x", {4, 6}, DType::f32);
  t.inputs["x"] = f32Tensor({4, 6}, x);
  // Rows 0 and 2 (partition stride 12 elements), columns 1, 3, 5.
  Inst d = inst(Opcode::dma, kQ0);
  d.dst = sbuf(0, 2, 0, DType::f32, 3);
  d.src0 = ap(Space::hbm, 0, 2, hx + 4, DType::f32, {{3, 2}}, 12);
  t.cb.add(d);
  t.store("y", 2, 3, 0);
  EXPECT_EQ(floats(t.run().outputs["y"]), (std::vector<float>{1, 3, 5, 13, 15, 17}));
}

/// A [5, 3] f32 table (0 .. 14) gathered by i64 indices loaded into SBUF.
static Program gatherProgram(OneOp &t, const std::vector<int64_t> &rows) {
  std::vector<float> x(15);
  for (int i = 0; i < 15; ++i)
    x[i] = float(i);
  int64_t P = rows.size();
  int64_t hx = t.cb.input("x", {5, 3}, DType::f32);
  t.inputs["x"] = f32Tensor({5, 3}, x);
  int64_t hi = t.cb.input("i", {P, 1}, DType::i64);
  HostTensor idx;
  idx.dtype = HostDType::i64;
  idx.shape = {P, 1};
  idx.data.resize(P * 8);
  std::memcpy(idx.data.data(), rows.data(), P * 8);
  t.inputs["i"] = idx;
  Inst li = inst(Opcode::dma, kQ0);
  li.dst = sbuf(0, P, 64, DType::i64, 1);
  li.src0 = hbm(P, 1, hi, DType::i64);
  t.cb.add(li);
  Inst g = inst(Opcode::dma_gather, kQ1);
  g.dst = sbuf(0, P, 0, DType::f32, 3);
  g.src0 = hbm(5, 3, hx, DType::f32); // partitions = the table's rows
  g.src1 = sbuf(0, P, 64, DType::i64, 1);
  t.cb.add(g);
  t.store("y", P, 3, 0);
  return t.cb.program;
}

TEST(Dma, GatherFetchesOneTableRowPerPartition) {
  OneOp t;
  gatherProgram(t, {4, 0, 4});
  EXPECT_EQ(floats(t.run().outputs["y"]),
            (std::vector<float>{12, 13, 14, 0, 1, 2, 12, 13, 14}));
}

TEST(Dma, GatherIndexOutsideTheTableIsAnError) {
  OneOp t;
  Program p = gatherProgram(t, {1, 5});
  EXPECT_NE(runError(p, t.inputs).find("dma_gather index 5 (partition 1) is outside the table's 5 rows"),
            std::string::npos);
}

TEST(PE, TwoByTwoMatmulByHand) {
  OneOp t;
  t.load("w", 2, 2, 0, {1, 2, 3, 4}); // stationary [K=2, M=2]
  t.load("x", 2, 2, 64, {5, 6, 7, 8}); // moving [K=2, N=2]
  Inst ls = inst(Opcode::load_stationary, isa::kQueuePE);
  ls.src0 = sbuf(0, 2, 0, DType::f32, 2);
  t.cb.add(ls);
  Inst mm = inst(Opcode::multiply_moving, isa::kQueuePE);
  mm.dst = psum(0, 2, 0, 2);
  mm.src0 = sbuf(0, 2, 64, DType::f32, 2);
  mm.start = true;
  t.cb.add(mm);
  mm.start = false; // accumulate the same product again
  t.cb.add(mm);
  Inst cp = inst(Opcode::copy, isa::kQueueACT);
  cp.dst = sbuf(0, 2, 128, DType::f32, 2);
  cp.src0 = psum(0, 2, 0, 2);
  t.cb.add(cp);
  t.store("y", 2, 2, 128);
  // W^T X = [[1*5+3*7, 1*6+3*8], [2*5+4*7, 2*6+4*8]] = [[26, 30], [38, 44]]; twice.
  EXPECT_EQ(floats(t.run().outputs["y"]), (std::vector<float>{52, 60, 76, 88}));
}

TEST(Activation, ScaleAndPerPartitionBias) {
  OneOp t;
  t.load("x", 2, 2, 0, {1, 2, 3, 4});
  t.load("b", 2, 1, 64, {10, 20});
  Inst a = inst(Opcode::activation, isa::kQueueACT);
  a.func = ActFunc::identity;
  a.scale = 2.0f;
  a.dst = sbuf(0, 2, 128, DType::f32, 2);
  a.src0 = sbuf(0, 2, 0, DType::f32, 2);
  a.src1 = sbuf(0, 2, 64, DType::f32, 1);
  t.cb.add(a);
  a.func = ActFunc::relu;
  a.scale = -1.0f;
  a.src1 = AccessPattern(); // no bias
  a.dst = sbuf(0, 2, 192, DType::f32, 2);
  a.src0 = sbuf(0, 2, 128, DType::f32, 2);
  t.cb.add(a);
  t.store("y", 2, 2, 128);
  t.store("z", 2, 2, 192);
  RunResult r = t.run();
  EXPECT_EQ(floats(r.outputs["y"]), (std::vector<float>{12, 14, 26, 28}));
  EXPECT_EQ(floats(r.outputs["z"]), (std::vector<float>{0, 0, 0, 0}));
}

TEST(Activation, AccumSumsEachPartitionsResults) {
  OneOp t;
  t.load("x", 2, 3, 0, {1, -2, 3, -4, 5, -6});
  Inst a = inst(Opcode::activation, isa::kQueueACT);
  a.func = ActFunc::relu;
  a.scale = 2.0f;
  a.dst = sbuf(0, 2, 128, DType::f32, 3);
  a.src0 = sbuf(0, 2, 0, DType::f32, 3);
  a.accum = sbuf(0, 2, 256, DType::f32, 1);
  t.cb.add(a);
  t.store("y", 2, 3, 128);
  t.store("s", 2, 1, 256);
  RunResult r = t.run();
  // relu(2x): [2, 0, 6] and [0, 10, 0]; row sums 8 and 10.
  EXPECT_EQ(floats(r.outputs["y"]), (std::vector<float>{2, 0, 6, 0, 10, 0}));
  EXPECT_EQ(floats(r.outputs["s"]), (std::vector<float>{8, 10}));
}

TEST(Activation, FunctionTableMatchesKnownValues) {
  struct Case {
    ActFunc f;
    float x, y;
  } cases[] = {
      {ActFunc::identity, -1.5f, -1.5f},   {ActFunc::relu, -2.0f, 0.0f},
      {ActFunc::relu, 2.0f, 2.0f},         {ActFunc::gelu, 1.0f, 0.8413447f},
      {ActFunc::gelu, -1.0f, -0.1586553f}, {ActFunc::gelu_tanh, 1.0f, 0.8411920f},
      {ActFunc::sigmoid, 0.0f, 0.5f},      {ActFunc::sigmoid, 2.0f, 0.8807971f},
      {ActFunc::tanh, 0.5f, 0.4621172f},   {ActFunc::exp, 1.0f, 2.7182818f},
      {ActFunc::silu, 1.0f, 0.7310586f},   {ActFunc::rsqrt, 4.0f, 0.5f},
      {ActFunc::reciprocal, 8.0f, 0.125f}, {ActFunc::square, -3.0f, 9.0f},
      {ActFunc::sqrt, 16.0f, 4.0f},        {ActFunc::log, 1.0f, 0.0f},
      {ActFunc::abs, -3.5f, 3.5f},         {ActFunc::erf, 0.5f, 0.5204999f},
      {ActFunc::softplus, 0.0f, 0.6931472f}, {ActFunc::softplus, 100.0f, 100.0f},
  };
  for (const Case &c : cases)
    EXPECT_NEAR(applyActFunc(c.f, c.x), c.y, 1e-6f * std::max(1.0f, std::fabs(c.y)))
        << isa::stringifyActFunc(c.f).str() << "(" << c.x << ")";
}

TEST(TensorTensor, ElementwiseOps) {
  OneOp t;
  t.load("a", 2, 3, 0, {1, 5, -2, 4, 0, 9});
  t.load("b", 2, 3, 64, {3, 5, 1, 2, 7, 3});
  int64_t off = 128;
  for (AluOp op : {AluOp::subtract, AluOp::max, AluOp::is_gt, AluOp::divide}) {
    Inst i = inst(Opcode::tensor_tensor, isa::kQueueDVE);
    i.op0 = op;
    i.dst = sbuf(0, 2, off, DType::f32, 3);
    i.src0 = sbuf(0, 2, 0, DType::f32, 3);
    i.src1 = sbuf(0, 2, 64, DType::f32, 3);
    t.cb.add(i);
    t.store(isa::stringifyAluOp(op).str(), 2, 3, off);
    off += 64;
  }
  RunResult r = t.run();
  EXPECT_EQ(floats(r.outputs["subtract"]), (std::vector<float>{-2, 0, -3, 2, -7, 6}));
  EXPECT_EQ(floats(r.outputs["max"]), (std::vector<float>{3, 5, 1, 4, 7, 9}));
  EXPECT_EQ(floats(r.outputs["is_gt"]), (std::vector<float>{0, 0, 0, 1, 0, 1}));
  EXPECT_EQ(floats(r.outputs["divide"]), (std::vector<float>{1.0f / 3, 1, -2, 2, 0, 3}));
}

TEST(TensorTensor, AluTableMatchesHandValues) {
  struct Case {
    AluOp op;
    float a, b, y;
  } cases[] = {
      {AluOp::bypass, 7, 3, 7},       {AluOp::add, 7, 3, 10},
      {AluOp::subtract, 7, 3, 4},     {AluOp::mult, 7, 3, 21},
      {AluOp::divide, 6, 3, 2},       {AluOp::max, -7, 3, 3},
      {AluOp::min, -7, 3, -7},        {AluOp::pow, 2, 10, 1024},
      {AluOp::is_equal, 3, 3, 1},     {AluOp::is_equal, 3, 4, 0},
      {AluOp::not_equal, 3, 4, 1},    {AluOp::is_gt, 4, 3, 1},
      {AluOp::is_ge, 3, 3, 1},        {AluOp::is_lt, 3, 3, 0},
      {AluOp::is_le, 3, 3, 1},        {AluOp::logical_and, 2, 0, 0},
      {AluOp::logical_and, 2, -1, 1}, {AluOp::logical_or, 0, 0, 0},
      {AluOp::logical_or, 0, 5, 1},   {AluOp::abs_max, -9, 4, 9},
  };
  for (const Case &c : cases)
    EXPECT_EQ(applyAluOp(c.op, c.a, c.b), c.y) << isa::stringifyAluOp(c.op).str();
}

TEST(TensorScalar, TwoOpsAndBypass) {
  OneOp t;
  t.load("x", 1, 4, 0, {1, -3, 0.5f, 10});
  Inst i = inst(Opcode::tensor_scalar, isa::kQueuePOOL);
  i.op0 = AluOp::mult;
  i.imm0 = 2.0f;
  i.op1 = AluOp::add;
  i.imm1 = 1.0f;
  i.dst = sbuf(0, 1, 64, DType::f32, 4);
  i.src0 = sbuf(0, 1, 0, DType::f32, 4);
  t.cb.add(i);
  i.op0 = AluOp::max; // relu via max 0, op1 bypass leaves it alone
  i.imm0 = 0.0f;
  i.op1 = AluOp::bypass;
  i.imm1 = 100.0f;
  i.dst = sbuf(0, 1, 128, DType::f32, 4);
  t.cb.add(i);
  t.store("y", 1, 4, 64);
  t.store("z", 1, 4, 128);
  RunResult r = t.run();
  EXPECT_EQ(floats(r.outputs["y"]), (std::vector<float>{3, -5, 2, 21}));
  EXPECT_EQ(floats(r.outputs["z"]), (std::vector<float>{1, 0, 0.5f, 10}));
}

TEST(TensorReduce, InnermostAxis) {
  OneOp t;
  t.load("x", 2, 8, 0, {1, 2, 3, 4, 5, 6, 7, 8, -1, 9, 2, 2, 0, 0, 0, -4});
  Inst i = inst(Opcode::tensor_reduce, isa::kQueueDVE);
  i.op0 = AluOp::add;
  i.dst = sbuf(0, 2, 64, DType::f32, 2);
  i.src0 = ap(Space::sbuf, 0, 2, 0, DType::f32, {{2, 4}, {4, 1}});
  t.cb.add(i);
  i.op0 = AluOp::max;
  i.dst = sbuf(0, 2, 128, DType::f32, 2);
  t.cb.add(i);
  t.store("sum", 2, 2, 64);
  t.store("max", 2, 2, 128);
  RunResult r = t.run();
  EXPECT_EQ(floats(r.outputs["sum"]), (std::vector<float>{10, 26, 12, -4}));
  EXPECT_EQ(floats(r.outputs["max"]), (std::vector<float>{4, 8, 9, 0}));
}

TEST(Transpose, ThreeByFour) {
  OneOp t;
  t.load("x", 3, 4, 0, {0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23});
  Inst i = inst(Opcode::transpose, isa::kQueueDVE);
  i.dst = sbuf(0, 4, 64, DType::f32, 3);
  i.src0 = sbuf(0, 3, 0, DType::f32, 4);
  t.cb.add(i);
  t.store("y", 4, 3, 64);
  EXPECT_EQ(floats(t.run().outputs["y"]),
            (std::vector<float>{0, 10, 20, 1, 11, 21, 2, 12, 22, 3, 13, 23}));
}

TEST(Iota, IntegerRamp) {
  OneOp t;
  Inst i = inst(Opcode::iota, isa::kQueuePOOL);
  i.dst = sbuf(0, 3, 0, DType::i32, 4);
  i.base = 10;
  i.pstep = 100;
  i.fstep = 2;
  t.cb.add(i);
  t.store("y", 3, 4, 0, DType::i32, DType::i32);
  // The same ramp into an f32 destination converts exactly.
  i.dst = sbuf(0, 1, 64, DType::f32, 2);
  i.base = 257;
  i.pstep = 0;
  i.fstep = 1;
  t.cb.add(i);
  t.store("z", 1, 2, 64);
  RunResult r = t.run();
  EXPECT_EQ(ints(r.outputs["y"]),
            (std::vector<int32_t>{10, 12, 14, 16, 110, 112, 114, 116, 210, 212, 214, 216}));
  EXPECT_EQ(floats(r.outputs["z"]), (std::vector<float>{257, 258}));
}

TEST(Memset, FillsAndRounds) {
  OneOp t;
  Inst i = inst(Opcode::memset, isa::kQueueDVE);
  i.dst = sbuf(0, 2, 0, DType::f32, 3);
  i.imm0 = 2.5f;
  t.cb.add(i);
  i.dst = sbuf(0, 1, 64, DType::bf16, 2);
  i.imm0 = 1.00390625f; // ties to 1.0 in bf16
  t.cb.add(i);
  t.store("y", 2, 3, 0);
  t.store("z", 1, 2, 64, DType::bf16);
  RunResult r = t.run();
  EXPECT_EQ(floats(r.outputs["y"]), (std::vector<float>(6, 2.5f)));
  EXPECT_EQ(floats(r.outputs["z"]), (std::vector<float>{1.0f, 1.0f}));
}

TEST(Copy, PsumRoundTripWithCast) {
  OneOp t;
  t.load("x", 2, 2, 0, {1.5f, -0.25f, 1.00390625f, 300.0f});
  Inst c = inst(Opcode::copy, isa::kQueueACT);
  c.dst = psum(0, 2, 0, 2);
  c.src0 = sbuf(0, 2, 0, DType::f32, 2);
  t.cb.add(c);
  c.queue = isa::kQueueDVE;
  c.dst = sbuf(0, 2, 64, DType::bf16, 2);
  c.src0 = psum(0, 2, 0, 2);
  t.cb.add(c);
  Inst nop = inst(Opcode::nop, isa::kQueueSP); // only carries the semaphores
  t.cb.add(nop);
  t.store("y", 2, 2, 64, DType::bf16);
  EXPECT_EQ(floats(t.run().outputs["y"]), (std::vector<float>{1.5f, -0.25f, 1.0f, 300.0f}));
}

TEST(Copy, IntegerStoresRoundHalfToEvenAndSaturate) {
  OneOp t;
  t.load("x", 1, 5, 0, {2.5f, 3.5f, -2.5f, 1e10f, -7.4f});
  Inst c = inst(Opcode::copy, isa::kQueueDVE);
  c.dst = sbuf(0, 1, 64, DType::i32, 5);
  c.src0 = sbuf(0, 1, 0, DType::f32, 5);
  t.cb.add(c);
  t.store("y", 1, 5, 64, DType::i32, DType::i32);
  EXPECT_EQ(ints(t.run().outputs["y"]), (std::vector<int32_t>{2, 4, -2, 2147483647, -7}));
}

TEST(Outputs, TimingOnlyLeavesOutputsEmpty) {
  OneOp t;
  t.load("x", 1, 4, 0, {1, 2, 3, 4});
  t.store("y", 1, 4, 0);
  RunOptions o;
  o.timingOnly = true;
  RunResult r = runOk(t.cb.program, t.inputs, o);
  EXPECT_TRUE(r.outputs.empty());
  EXPECT_EQ(r.instructionsExecuted, 2u);
}

} // namespace

namespace {

TEST(Constants, ReleasedAfterLoadingGiveTheSameRun) {
  // y = c + x, with c a constant segment.
  ChainBuilder cb;
  int64_t hx = cb.input("x", {1, 8}, DType::f32);
  int64_t hy = cb.output("y", {1, 8}, DType::f32);
  int64_t hc = cb.place(32);
  ConstantSegment c;
  c.name = "c";
  c.hbmOffset = hc;
  for (float v : {1.f, 2.f, 3.f, 4.f, 5.f, 6.f, 7.f, 8.f}) {
    uint8_t b[4];
    std::memcpy(b, &v, 4);
    c.bytes.insert(c.bytes.end(), b, b + 4);
  }
  cb.program.constants.push_back(c);
  Inst d = inst(Opcode::dma, kQ0);
  d.dst = sbuf(0, 1, 0, DType::f32, 8);
  d.src0 = hbm(1, 8, hx, DType::f32);
  cb.add(d);
  d.dst = sbuf(0, 1, 64, DType::f32, 8);
  d.src0 = hbm(1, 8, hc, DType::f32);
  cb.add(d);
  Inst add = inst(Opcode::tensor_tensor, isa::kQueueDVE);
  add.op0 = isa::AluOp::add;
  add.dst = sbuf(0, 1, 128, DType::f32, 8);
  add.src0 = sbuf(0, 1, 0, DType::f32, 8);
  add.src1 = sbuf(0, 1, 64, DType::f32, 8);
  cb.add(add);
  d.dst = hbm(1, 8, hy, DType::f32);
  d.src0 = sbuf(0, 1, 128, DType::f32, 8);
  cb.add(d);

  std::map<std::string, HostTensor> in;
  in["x"] = f32Tensor({1, 8}, {10, 20, 30, 40, 50, 60, 70, 80});
  RunResult kept = runOk(cb.program, in);
  Program p = cb.program;
  auto released = runReleasingConstants(p, testArch(), in);
  ASSERT_TRUE(bool(released)) << llvm::toString(released.takeError());
  EXPECT_EQ(floats(released->outputs["y"]), floats(kept.outputs["y"]));
  EXPECT_EQ(floats(kept.outputs["y"]), (std::vector<float>{11, 22, 33, 44, 55, 66, 77, 88}));
  EXPECT_EQ(released->deviceTimeNs, kept.deviceTimeNs);
  ASSERT_EQ(p.constants.size(), 1u);
  EXPECT_TRUE(p.constants[0].bytes.empty());
  EXPECT_EQ(p.constants[0].hbmOffset, hc);
  // A timing-only run of the released program still works.
  RunOptions timing;
  timing.timingOnly = true;
  auto again = run(p, testArch(), {}, timing);
  ASSERT_TRUE(bool(again)) << llvm::toString(again.takeError());
  EXPECT_EQ(again->deviceTimeNs, kept.deviceTimeNs);
}

} // namespace

namespace {

TEST(Dma, TransposingCopiesInBlocksMatchANaiveTranspose) {
  // x [P, F] with odd sizes (not multiples of the 32 x 32 blocks): stored
  // transposed (partition axis contiguous in HBM), loaded transposed, and
  // stored transposed with a negative stride (rows reversed).
  for (DType t : {DType::f32, DType::bf16}) {
    const int64_t P = 37, F = 45;
    ChainBuilder cb;
    int64_t hx = cb.input("x", {P, F}, t);
    int64_t hy = cb.output("y", {F, P}, t), hy2 = cb.output("y2", {F, P}, t);
    int64_t hy3 = cb.output("y3", {F, P}, t);
    Inst d = inst(Opcode::dma, kQ0);
    d.dst = sbuf(0, P, 0, t, F);
    d.src0 = hbm(P, F, hx, t);
    cb.add(d);
    d.dst = ap(Space::hbm, 0, P, hy, t, {{F, P}}, 1); // y[f, p] = x[p, f]
    d.src0 = sbuf(0, P, 0, t, F);
    cb.add(d);
    d.dst = ap(Space::hbm, 0, P, hy3 + (F - 1) * P * isa::dtypeBytes(t), t, {{F, -P}}, 1);
    cb.add(d);
    d.dst = sbuf(0, F, 1024, t, P); // partition f, element p = x[p, f]
    d.src0 = ap(Space::hbm, 0, F, hx, t, {{P, F}}, 1);
    cb.add(d);
    d.dst = hbm(F, P, hy2, t);
    d.src0 = sbuf(0, F, 1024, t, P);
    cb.add(d);

    std::vector<float> x(size_t(P * F));
    for (size_t i = 0; i < x.size(); ++i)
      x[i] = float(i % 251) - 100.0f;
    std::map<std::string, HostTensor> in;
    in["x"] = t == DType::bf16 ? bf16Tensor({P, F}, x) : f32Tensor({P, F}, x);
    RunResult r = runOk(cb.program, in);
    auto values = [&](const HostTensor &h) {
      std::vector<float> v;
      for (int64_t i = 0; i < h.numElements(); ++i)
        v.push_back(float(h.getDouble(i)));
      return v;
    };
    std::vector<float> y = values(r.outputs["y"]), y2 = values(r.outputs["y2"]),
                       y3 = values(r.outputs["y3"]);
    for (int64_t f = 0; f < F; ++f)
      for (int64_t p = 0; p < P; ++p) {
        float want = x[size_t(p * F + f)];
        ASSERT_EQ(y[size_t(f * P + p)], want) << f << " " << p;
        ASSERT_EQ(y2[size_t(f * P + p)], want) << f << " " << p;
        ASSERT_EQ(y3[size_t((F - 1 - f) * P + p)], want) << f << " " << p;
      }
  }
}

} // namespace
