//===- TimingTest.cpp - Timing model against hand calculations ------------===//
//
// testArch(): DMA 16 engines x 10 GB/s = 160 GB/s per queue, HBM 100 GB/s,
// 1000 ns fixed latency; engines 1 GHz, 60 fixed cycles, 64-cycle floor;
// PE 2 GHz, fill 128 cycles, MM floor 64, fp32 x4, fast LS x4.
//
//===----------------------------------------------------------------------===//

#include "EmulatorTestUtil.h"
#include "trellis/Emulator/CostModel.h"

using namespace trellis;
using namespace trellis::emu;
using namespace trellis::emu::test;

namespace {

Inst hbmLoad(int64_t queue, int64_t rows, int64_t cols, int64_t hbmOff, int64_t sbufOff) {
  Inst d = inst(Opcode::dma, queue);
  d.dst = sbuf(0, rows, sbufOff, DType::f32, cols);
  d.src0 = hbm(rows, cols, hbmOff, DType::f32);
  return d;
}

Inst scale(int64_t queue, int64_t off, int64_t n) {
  Inst i = inst(Opcode::tensor_scalar, queue);
  i.op0 = isa::AluOp::mult;
  i.imm0 = 2;
  i.dst = i.src0 = sbuf(0, 128, off, DType::f32, n);
  return i;
}

Program program(std::vector<Inst> insts) {
  Program p;
  p.hbmSize = 1 << 20;
  p.instructions = std::move(insts);
  return p;
}

TEST(Timing, DmaIsFixedLatencyPlusBytesOverBandwidth) {
  // 128 x 512 f32 = 262144 bytes at min(160, 100) GB/s = 2621.44 ns.
  RunResult r = runOk(program({hbmLoad(kQ0, 128, 512, 0, 0)}), {});
  ASSERT_EQ(r.timeline.size(), 1u);
  EXPECT_DOUBLE_EQ(r.timeline[0].startNs, 0.0);
  EXPECT_NEAR(r.timeline[0].endNs, 1000.0 + 2621.44, 1e-6);
  EXPECT_NEAR(r.deviceTimeNs, 3621.44, 1e-6);
  EXPECT_NEAR(r.busyNsPerQueue[kQ0], 3621.44, 1e-6);
}

TEST(Timing, SbufDmaUsesQueueBandwidthAndStridePenalty) {
  // SBUF -> SBUF, 128 x 256 f32 = 131072 bytes at 160 GB/s = 819.2 ns.
  Inst d = inst(Opcode::dma, kQ0);
  d.dst = sbuf(0, 128, 0, DType::f32, 256);
  d.src0 = sbuf(0, 128, 4096, DType::f32, 256);
  EXPECT_NEAR(runOk(program({d}), {}).deviceTimeNs, 1000.0 + 819.2, 1e-6);
  // Innermost stride 8 elements = 32 bytes > 16: half bandwidth.
  d.src0 = ap(Space::sbuf, 0, 128, 4096, DType::f32, {{256, 8}});
  EXPECT_NEAR(runOk(program({d}), {}).deviceTimeNs, 1000.0 + 1638.4, 1e-6);
  // Stride 4 elements = 16 bytes is not above the threshold.
  d.src0 = ap(Space::sbuf, 0, 128, 4096, DType::f32, {{256, 4}});
  EXPECT_NEAR(runOk(program({d}), {}).deviceTimeNs, 1000.0 + 819.2, 1e-6);
}

TEST(Timing, IndependentQueuesOverlap) {
  // Each: 60 + 512 cycles at 1 GHz = 572 ns; on two engines they overlap.
  RunResult r = runOk(program({scale(isa::kQueueDVE, 0, 512), scale(isa::kQueuePOOL, 4096, 512)}),
                      {});
  EXPECT_NEAR(r.timeline[0].endNs, 572.0, 1e-9);
  EXPECT_NEAR(r.timeline[1].startNs, 0.0, 1e-9);
  EXPECT_NEAR(r.deviceTimeNs, 572.0, 1e-9);
  EXPECT_NEAR(r.busyNsPerQueue[isa::kQueueDVE], 572.0, 1e-9);
  EXPECT_NEAR(r.busyNsPerQueue[isa::kQueuePOOL], 572.0, 1e-9);
  // The same two on one engine run back to back.
  RunResult s = runOk(program({scale(isa::kQueueDVE, 0, 512), scale(isa::kQueueDVE, 4096, 512)}),
                      {});
  EXPECT_NEAR(s.deviceTimeNs, 1144.0, 1e-9);
  EXPECT_NEAR(s.timeline[1].readyNs, 572.0, 1e-9);
}

TEST(Timing, EngineFloorAndTwoInputs) {
  // 4 elements: max(64, 60 + 4) = 64 cycles.
  EXPECT_NEAR(runOk(program({scale(isa::kQueueDVE, 0, 4)}), {}).deviceTimeNs, 64.0, 1e-9);
  // tensor_tensor streams two inputs: 60 + 2 * 100 = 260 cycles.
  Inst tt = inst(Opcode::tensor_tensor, isa::kQueueDVE);
  tt.op0 = isa::AluOp::add;
  tt.dst = tt.src0 = tt.src1 = sbuf(0, 128, 0, DType::f32, 100);
  EXPECT_NEAR(runOk(program({tt}), {}).deviceTimeNs, 260.0, 1e-9);
}

TEST(Timing, DmaQueuesShareHbm) {
  // Two loads on different queues: latencies overlap, transfers share HBM.
  RunResult r =
      runOk(program({hbmLoad(kQ0, 128, 512, 0, 0), hbmLoad(kQ1, 128, 512, 262144, 4096)}), {});
  EXPECT_NEAR(r.timeline[0].endNs, 1000.0 + 2621.44, 1e-6);
  EXPECT_NEAR(r.timeline[1].startNs, 0.0, 1e-6);
  EXPECT_NEAR(r.deviceTimeNs, 1000.0 + 2 * 2621.44, 1e-6);
}

TEST(Timing, SemaphoreWaitDelaysTheWaiter) {
  Inst load = hbmLoad(kQ0, 128, 512, 0, 0);
  load.signal = true;
  Inst s = scale(isa::kQueueDVE, 0, 512);
  s.waits.push_back({kQ0, 1});
  Inst other = scale(isa::kQueueACT, 8192, 512); // independent: not delayed
  RunResult r = runOk(program({load, s, other}), {});
  EXPECT_NEAR(r.timeline[1].startNs, 3621.44, 1e-6);
  EXPECT_NEAR(r.timeline[1].endNs, 3621.44 + 572.0, 1e-6);
  EXPECT_NEAR(r.timeline[1].readyNs, 0.0, 1e-9);
  EXPECT_EQ(r.timeline[1].waitedOnQueue, kQ0);
  EXPECT_EQ(r.timeline[2].waitedOnQueue, -1);
  EXPECT_NEAR(r.timeline[2].startNs, 0.0, 1e-9);
  EXPECT_NEAR(r.deviceTimeNs, 3621.44 + 572.0, 1e-6);
}

Program peStream(DType moving) {
  Inst ls = inst(Opcode::load_stationary, isa::kQueuePE);
  ls.src0 = sbuf(0, 128, 0, DType::bf16, 128);
  Inst mm = inst(Opcode::multiply_moving, isa::kQueuePE);
  mm.dst = psum(0, 128, 0, 512);
  mm.src0 = sbuf(0, 128, 1024, moving, 512);
  mm.start = true;
  Inst ls2 = ls;
  ls2.src0.offset = 512;
  Inst mm2 = mm;
  mm2.dst.offset = 2048;
  return program({ls, mm, ls2, mm2});
}

TEST(Timing, TensorEngineFillAndBackgroundLoad) {
  // LS 128x128: ceil(128 / 4) = 32 cycles = 16 ns at 2 GHz. MM N=512: 512
  // cycles, the first plus 128 fill = 320 ns. The second LS loads during the
  // first MM, so the second MM follows at once without refill: 256 ns.
  RunResult r = runOk(peStream(DType::bf16), {});
  ASSERT_EQ(r.timeline.size(), 4u);
  EXPECT_NEAR(r.timeline[0].endNs, 16.0, 1e-9);
  EXPECT_NEAR(r.timeline[1].startNs, 16.0, 1e-9);
  EXPECT_NEAR(r.timeline[1].endNs, 336.0, 1e-9);
  EXPECT_NEAR(r.timeline[2].startNs, 16.0, 1e-9);
  EXPECT_NEAR(r.timeline[2].endNs, 32.0, 1e-9);
  EXPECT_NEAR(r.timeline[3].startNs, 336.0, 1e-9);
  EXPECT_NEAR(r.deviceTimeNs, 592.0, 1e-9);
  EXPECT_NEAR(r.busyNsPerQueue[isa::kQueuePE], 592.0, 1e-9);
  // fp32 moving: 4x the issue cycles: 16 + (2048 + 128) / 2 + 2048 / 2.
  EXPECT_NEAR(runOk(peStream(DType::f32), {}).deviceTimeNs, 16.0 + 1088.0 + 1024.0, 1e-9);
}

TEST(Timing, TimingOnlyMatchesFullRun) {
  // Loads, a matmul, an eviction and a store spread over five queues.
  ChainBuilder cb;
  int64_t hx = cb.input("x", {128, 512}, DType::f32);
  int64_t hw = cb.input("w", {128, 128}, DType::f32);
  int64_t hy = cb.output("y", {128, 512}, DType::f32);
  Inst lw = hbmLoad(kQ1, 128, 128, hw, 0);
  lw.signal = true;
  Inst lx = hbmLoad(kQ0, 128, 512, hx, 1024);
  lx.signal = true;
  Inst ls = inst(Opcode::load_stationary, isa::kQueuePE);
  ls.src0 = sbuf(0, 128, 0, DType::f32, 128);
  ls.waits = {{kQ1, 1}};
  Inst mm = inst(Opcode::multiply_moving, isa::kQueuePE);
  mm.dst = psum(0, 128, 0, 512);
  mm.src0 = sbuf(0, 128, 1024, DType::f32, 512);
  mm.start = true;
  mm.waits = {{kQ0, 1}};
  mm.signal = true;
  Inst ev = inst(Opcode::copy, isa::kQueueACT);
  ev.dst = sbuf(0, 128, 4096, DType::f32, 512);
  ev.src0 = psum(0, 128, 0, 512);
  ev.waits = {{isa::kQueuePE, 1}};
  ev.signal = true;
  Inst st = inst(Opcode::dma, kQ0);
  st.dst = hbm(128, 512, hy, DType::f32);
  st.src0 = sbuf(0, 128, 4096, DType::f32, 512);
  st.waits = {{isa::kQueueACT, 1}};
  cb.program.instructions = {lw, lx, ls, mm, ev, st};
  std::map<std::string, HostTensor> in = {
      {"x", f32Tensor({128, 512}, std::vector<float>(128 * 512, 1.0f))},
      {"w", f32Tensor({128, 128}, std::vector<float>(128 * 128, 0.5f))}};
  RunResult full = runOk(cb.program, in);
  RunOptions o;
  o.timingOnly = true;
  RunResult fast = runOk(cb.program, in, o);
  RunResult noInputs = runOk(cb.program, {}, o);
  EXPECT_GT(full.deviceTimeNs, 0.0);
  EXPECT_DOUBLE_EQ(fast.deviceTimeNs, full.deviceTimeNs);
  EXPECT_DOUBLE_EQ(noInputs.deviceTimeNs, full.deviceTimeNs);
  ASSERT_EQ(fast.timeline.size(), full.timeline.size());
  for (size_t i = 0; i < full.timeline.size(); ++i) {
    EXPECT_DOUBLE_EQ(fast.timeline[i].startNs, full.timeline[i].startNs);
    EXPECT_DOUBLE_EQ(fast.timeline[i].endNs, full.timeline[i].endNs);
  }
  EXPECT_EQ(floats(full.outputs["y"])[0], 64.0f); // 128 * 0.5 * 1
  EXPECT_TRUE(fast.outputs.empty());
  // The matmul waited for the x load: the longer of its two inputs.
  EXPECT_EQ(full.timeline[3].waitedOnQueue, kQ0);
}

TEST(CostModel, IsolatedCosts) {
  ArchConfig a = testArch();
  EXPECT_NEAR(isolatedCostNs(hbmLoad(kQ0, 128, 512, 0, 0), a), 3621.44, 1e-6);
  EXPECT_NEAR(isolatedCostNs(scale(isa::kQueueDVE, 0, 512), a), 572.0, 1e-9);
  Program pe = peStream(DType::bf16);
  EXPECT_EQ(loadStationaryCycles(pe.instructions[0], a), 32);
  EXPECT_EQ(multiplyMovingCycles(pe.instructions[1], a), 512);
  EXPECT_NEAR(isolatedCostNs(pe.instructions[1], a), 320.0, 1e-9);
}

} // namespace

namespace {

TEST(Timing, BundledTrn2Config) {
  // The shipped target passes the emulator's config checks, and its DMA
  // numbers give: 262144 bytes / min(16 x 23, 362.5) GB/s + 1300 ns.
  auto arch = loadArchConfig("trn2");
  ASSERT_TRUE(bool(arch)) << llvm::toString(arch.takeError());
  RunResult r = runOk(program({hbmLoad(kQ0, 128, 512, 0, 0)}), {}, {}, *arch);
  EXPECT_NEAR(r.deviceTimeNs, 1300.0 + 262144.0 / 362.5, 1e-6);
}

} // namespace
