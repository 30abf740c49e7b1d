//===- ErrorTest.cpp - Bad programs and inputs give clear errors ----------===//

#include "EmulatorTestUtil.h"

using namespace trellis;
using namespace trellis::emu;
using namespace trellis::emu::test;
using ::testing::HasSubstr;

namespace {

Inst memset(int64_t queue, AccessPattern dst, float v = 1.0f) {
  Inst i = inst(Opcode::memset, queue);
  i.dst = std::move(dst);
  i.imm0 = v;
  return i;
}

Program withDebug(std::vector<Inst> insts) {
  Program p;
  p.hbmSize = 4096;
  p.instructions = std::move(insts);
  p.debug.push_back({"isa.memset", "tile.memset", "graph.fill", "Fill_7"});
  return p;
}

TEST(Errors, OutOfBoundsSbufBytes) {
  // 4 f32 starting 8 bytes before the end of a 64 KiB partition.
  Program p = withDebug({memset(isa::kQueueDVE, sbuf(0, 4, 64 * 1024 - 8, DType::f32, 4))});
  std::string msg = runError(p, {});
  EXPECT_THAT(msg, HasSubstr("instruction #0"));
  EXPECT_THAT(msg, HasSubstr("memset on dve"));
  EXPECT_THAT(msg, HasSubstr("node 'Fill_7'"));
  EXPECT_THAT(msg, HasSubstr("sbuf bytes [65528, 65544) outside"));
}

TEST(Errors, OutOfBoundsPartitions) {
  Program p = withDebug({inst(Opcode::nop, isa::kQueueACT),
                         memset(isa::kQueueACT, sbuf(120, 16, 0, DType::f32, 4))});
  std::string msg = runError(p, {});
  EXPECT_THAT(msg, HasSubstr("instruction #1 (memset on act"));
  EXPECT_THAT(msg, HasSubstr("partitions [120, 136) outside the 128 partitions"));
}

TEST(Errors, OutOfBoundsHbm) {
  Program p;
  p.hbmSize = 1024;
  Inst d = inst(Opcode::dma, kQ1);
  d.dst = sbuf(0, 2, 0, DType::f32, 64);
  d.src0 = hbm(2, 64, 768, DType::f32); // 512 bytes from 768
  p.instructions.push_back(d);
  std::string msg = runError(p, {});
  EXPECT_THAT(msg, HasSubstr("dma on q1"));
  EXPECT_THAT(msg, HasSubstr("hbm bytes [768, 1280) outside the program's 1024-byte HBM"));
}

TEST(Errors, PoolMayNotTouchPsum) {
  Inst i = inst(Opcode::tensor_scalar, isa::kQueuePOOL);
  i.op0 = isa::AluOp::add;
  i.dst = sbuf(0, 8, 0, DType::f32, 8);
  i.src0 = psum(0, 8, 0, 8);
  Program p = withDebug({i});
  std::string msg = runError(p, {});
  EXPECT_THAT(msg, HasSubstr("tensor_scalar on pool"));
  EXPECT_THAT(msg, HasSubstr("cannot access PSUM"));
}

TEST(Errors, WrongEngineAndMissingStationary) {
  Inst mm = inst(Opcode::multiply_moving, isa::kQueuePE);
  mm.dst = psum(0, 4, 0, 8);
  mm.src0 = sbuf(0, 4, 0, DType::bf16, 8);
  EXPECT_THAT(runError(withDebug({mm}), {}), HasSubstr("no stationary matrix loaded"));
  Inst act = inst(Opcode::activation, isa::kQueueDVE);
  act.dst = act.src0 = sbuf(0, 4, 0, DType::f32, 8);
  EXPECT_THAT(runError(withDebug({act}), {}), HasSubstr("activation cannot run on dve"));
}

TEST(Errors, MatmulContractionMismatch) {
  Inst ls = inst(Opcode::load_stationary, isa::kQueuePE);
  ls.src0 = sbuf(0, 64, 0, DType::bf16, 32);
  Inst mm = inst(Opcode::multiply_moving, isa::kQueuePE);
  mm.dst = psum(0, 32, 0, 16);
  mm.src0 = sbuf(0, 48, 256, DType::bf16, 16);
  std::string msg = runError(withDebug({ls, mm}), {});
  EXPECT_THAT(msg, HasSubstr("instruction #1"));
  EXPECT_THAT(msg, HasSubstr("K = 48 but the stationary has K = 64"));
}

TEST(Errors, BadQueue) {
  Program p = withDebug({memset(100, sbuf(0, 1, 0, DType::f32, 1))});
  EXPECT_THAT(runError(p, {}), HasSubstr("queue 100 does not exist"));
  p.instructions[0].queue = -1;
  EXPECT_THAT(runError(p, {}), HasSubstr("queue -1 does not exist"));
  p.instructions[0].queue = isa::kQueueDVE;
  p.instructions[0].waits.push_back({-3, 1});
  EXPECT_THAT(runError(p, {}), HasSubstr("semaphore of queue -3, which does not exist"));
}

/// A program with one [2, 2] f32 input `x`.
Program oneInput() {
  ChainBuilder cb;
  int64_t h = cb.input("x", {2, 2}, DType::f32);
  Inst d = inst(Opcode::dma, kQ0);
  d.dst = sbuf(0, 2, 0, DType::f32, 2);
  d.src0 = hbm(2, 2, h, DType::f32);
  cb.add(d);
  return cb.program;
}

TEST(Errors, Inputs) {
  Program p = oneInput();
  EXPECT_THAT(runError(p, {}), HasSubstr("missing input 'x'"));
  EXPECT_THAT(runError(p, {{"x", f32Tensor({2, 3}, std::vector<float>(6))}}),
              HasSubstr("input 'x' has shape [2x3] but the program expects [2x2]"));
  EXPECT_THAT(runError(p, {{"x", bf16Tensor({2, 2}, std::vector<float>(4))}}),
              HasSubstr("input 'x' has dtype bf16"));
  EXPECT_THAT(runError(p, {{"x", f32Tensor({2, 2}, std::vector<float>(4))},
                           {"extra", f32Tensor({1}, {0})}}),
              HasSubstr("unexpected input 'extra'"));
  runOk(p, {{"x", f32Tensor({2, 2}, {1, 2, 3, 4})}});
}

TEST(Errors, DeadlockReportsTheCycle) {
  Inst a = inst(Opcode::nop, isa::kQueuePE);
  a.waits.push_back({isa::kQueueACT, 1});
  a.signal = true;
  Inst b = inst(Opcode::nop, isa::kQueueACT);
  b.waits.push_back({isa::kQueuePE, 1});
  b.signal = true;
  Inst fine = inst(Opcode::nop, isa::kQueueDVE);
  Program p; // no debug table: instructions are named by index alone
  p.instructions = {a, b, fine};
  std::string msg = runError(p, {});
  EXPECT_THAT(msg, HasSubstr("deadlock"));
  EXPECT_THAT(msg, HasSubstr("instruction #0 (nop on pe) waits for act >= 1 (it is at 0)"));
  EXPECT_THAT(msg, HasSubstr("instruction #1 (nop on act) waits for pe >= 1 (it is at 0)"));
  EXPECT_THAT(msg, HasSubstr("cycle: pe -> act -> pe"));
}

TEST(Errors, WaitOnAFinishedQueue) {
  Inst a = inst(Opcode::nop, isa::kQueueDVE);
  a.signal = true;
  Inst b = inst(Opcode::nop, isa::kQueueACT);
  b.waits.push_back({isa::kQueueDVE, 2});
  std::string msg = runError(withDebug({a, b}), {});
  EXPECT_THAT(msg, HasSubstr("waits for dve >= 2 (it is at 1 and its queue has finished)"));
}

TEST(Errors, InstructionLimit) {
  RunOptions o;
  o.maxInstructions = 2;
  Program p = withDebug({inst(Opcode::nop, isa::kQueueDVE), inst(Opcode::nop, isa::kQueueDVE),
                         inst(Opcode::nop, isa::kQueueDVE)});
  EXPECT_THAT(runError(p, {}, o), HasSubstr("instruction limit of 2"));
  o.maxInstructions = 3;
  runOk(p, {}, o);
}

TEST(Errors, CycleLimit) {
  // Three dependent memsets on one queue; the limit falls inside the run.
  Program p = withDebug({memset(isa::kQueueDVE, sbuf(0, 1, 0, DType::f32, 1)),
                         memset(isa::kQueueDVE, sbuf(0, 1, 64, DType::f32, 1)),
                         memset(isa::kQueueDVE, sbuf(0, 1, 128, DType::f32, 1))});
  RunResult full = runOk(p, {});
  ASSERT_EQ(full.timeline.size(), 3u);
  double peGHz = testArch().peClockGHz;
  RunOptions o;
  // Just below the end of the second instruction.
  o.maxCycles = uint64_t(full.timeline[1].endNs * peGHz) - 1;
  std::string msg = runError(p, {}, o);
  EXPECT_THAT(msg, HasSubstr("instruction #1 (memset on dve, node 'Fill_7') ends at cycle"));
  EXPECT_THAT(msg, HasSubstr("past the cycle limit of " + std::to_string(o.maxCycles)));
  EXPECT_THAT(msg, HasSubstr("1 instructions not run"));
  o.maxCycles = uint64_t(full.deviceTimeNs * peGHz) + 1;
  runOk(p, {}, o);
}

TEST(Errors, MisalignedAccess) {
  // An f32 starting at byte 2 of the partition.
  std::string msg =
      runError(withDebug({memset(isa::kQueueDVE, sbuf(0, 4, 2, DType::f32, 4))}), {});
  EXPECT_THAT(msg, HasSubstr("instruction #0 (memset on dve, node 'Fill_7')"));
  EXPECT_THAT(msg, HasSubstr("dst sbuf byte offset 2 is not a multiple of its 4-byte element"));
  // The same in HBM, through a DMA.
  Inst d = inst(Opcode::dma, kQ0);
  d.dst = sbuf(0, 2, 0, DType::bf16, 2);
  d.src0 = hbm(2, 2, 6, DType::f32);
  msg = runError(withDebug({d}), {});
  EXPECT_THAT(msg, HasSubstr("dma on q0"));
  EXPECT_THAT(msg, HasSubstr("src0 hbm byte offset 6 is not a multiple of its 4-byte element"));
}

TEST(Errors, PsumBankOverflow) {
  Inst ls = inst(Opcode::load_stationary, isa::kQueuePE);
  ls.src0 = sbuf(0, 32, 0, DType::bf16, 32);
  // N = 600 f32 = 2400 bytes: more than one 2 KiB bank.
  Inst wide = inst(Opcode::multiply_moving, isa::kQueuePE);
  wide.dst = psum(0, 32, 0, 600);
  wide.src0 = sbuf(0, 32, 1024, DType::bf16, 600);
  wide.start = true;
  std::string msg = runError(withDebug({ls, wide}), {});
  EXPECT_THAT(msg, HasSubstr("instruction #1 (multiply_moving on pe, node 'Fill_7')"));
  EXPECT_THAT(msg, HasSubstr("N = 600 exceeds one 2048-byte PSUM bank"));
  // N = 256 fits a bank but, starting at byte 1536, crosses into the next.
  Inst crossing = wide;
  crossing.dst = psum(0, 32, 1536, 256);
  crossing.src0 = sbuf(0, 32, 1024, DType::bf16, 256);
  msg = runError(withDebug({ls, crossing}), {});
  EXPECT_THAT(msg, HasSubstr("dst bytes [1536, 2560) cross a PSUM bank boundary"));
}

//===----------------------------------------------------------------------===//
// Hazards
//===----------------------------------------------------------------------===//

TEST(Hazards, TwoQueuesWritingTheSameBytes) {
  Program p = withDebug({memset(isa::kQueueDVE, sbuf(0, 4, 256, DType::f32, 8)),
                         memset(isa::kQueueACT, sbuf(2, 4, 240, DType::f32, 8))});
  p.instructions[1].debugId = 0;
  std::string msg = runError(p, {});
  EXPECT_THAT(msg, HasSubstr("hazard"));
  EXPECT_THAT(msg, HasSubstr("instruction #0 (memset on dve"));
  EXPECT_THAT(msg, HasSubstr("instruction #1 (memset on act, node 'Fill_7')"));
  // Partition 2 is the first both touch; bytes 256..271 overlap.
  EXPECT_THAT(msg, HasSubstr("sbuf partition 2 bytes [256, 272)"));

  RunOptions off;
  off.checkHazards = false;
  runOk(p, {}, off);
}

TEST(Hazards, SemaphoreOrdersThem) {
  Inst a = memset(isa::kQueueDVE, sbuf(0, 4, 256, DType::f32, 8));
  a.signal = true;
  Inst b = memset(isa::kQueueACT, sbuf(2, 4, 240, DType::f32, 8));
  b.waits.push_back({isa::kQueueDVE, 1});
  runOk(withDebug({a, b}), {});
}

TEST(Hazards, OrderingIsTransitive) {
  // dve writes; act waits for dve; pool waits for act, then overwrites.
  Inst a = memset(isa::kQueueDVE, sbuf(0, 1, 0, DType::f32, 4));
  a.signal = true;
  Inst b = inst(Opcode::nop, isa::kQueueACT);
  b.waits.push_back({isa::kQueueDVE, 1});
  b.signal = true;
  Inst c = memset(isa::kQueuePOOL, sbuf(0, 1, 0, DType::f32, 4));
  c.waits.push_back({isa::kQueueACT, 1});
  runOk(withDebug({a, b, c}), {});
}

TEST(Hazards, ByteExactWithinAChunk) {
  // Adjacent 32-byte halves of one 64-byte chunk: no overlap, no hazard.
  Program ok = withDebug({memset(isa::kQueueDVE, sbuf(0, 1, 0, DType::f32, 8)),
                          memset(isa::kQueueACT, sbuf(0, 1, 32, DType::f32, 8))});
  runOk(ok, {});
  // Interleaved (stride 2) writers of the same row: disjoint bytes.
  Program strided = withDebug(
      {memset(isa::kQueueDVE, ap(Space::sbuf, 0, 1, 0, DType::f32, {{8, 2}})),
       memset(isa::kQueueACT, ap(Space::sbuf, 0, 1, 4, DType::f32, {{8, 2}}))});
  runOk(strided, {});
}

TEST(Hazards, ReadAfterWriteAcrossDmaAndEngine) {
  // dve fills a tile that a DMA stores without waiting: a race.
  Program p;
  p.hbmSize = 4096;
  p.outputs.push_back({"y", DType::f32, {1, 8}, 0});
  p.instructions.push_back(memset(isa::kQueueDVE, sbuf(0, 1, 0, DType::f32, 8)));
  Inst d = inst(Opcode::dma, kQ0);
  d.dst = hbm(1, 8, 0, DType::f32);
  d.src0 = sbuf(0, 1, 0, DType::f32, 8);
  p.instructions.push_back(d);
  std::string msg = runError(p, {});
  EXPECT_THAT(msg, HasSubstr("dma on q0"));
  EXPECT_THAT(msg, HasSubstr("reads sbuf partition 0 bytes [0, 32) that instruction #0 "
                             "(memset on dve) writes"));
  // Two readers on different queues do not race.
  Program reads;
  reads.hbmSize = 4096;
  Inst r1 = inst(Opcode::copy, isa::kQueueDVE);
  r1.dst = sbuf(0, 1, 64, DType::f32, 8);
  r1.src0 = sbuf(0, 1, 0, DType::f32, 8);
  Inst r2 = r1;
  r2.queue = isa::kQueueACT;
  r2.dst.offset = 128;
  reads.instructions = {r1, r2};
  runOk(reads, {});
}

} // namespace
