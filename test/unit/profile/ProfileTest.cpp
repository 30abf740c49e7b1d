//===- ProfileTest.cpp - Chrome trace and summary against hand calculations ===//
//
// The program and its RunResult are built by hand (no emulator run), so
// every expected number below follows from the numbers written here:
//
//   #0 dma   q0  HBM bf16 [128 x 64] -> SBUF, signals     0    .. 1500 ns
//   #1 ls    pe  waits q0>=1                              1500 .. 1520 (ready 0)
//   #2 mm    pe  K=128, N=64, M=32 bf16, signals          1520 .. 1600
//   #3 act   act waits pe>=1                              1600 .. 1700 (ready 0)
//   #4 dma   q1  SBUF f32 [128 x 32] -> HBM               0    .. 1000
//
// Arch: 100 TFLOPS bf16 (1e5 FLOP/ns), 200 fp8, 25 fp32, HBM 100 GB/s.
//
//===----------------------------------------------------------------------===//

#include "trellis/Profile/ChromeTrace.h"
#include "trellis/Profile/Summary.h"
#include "trellis/Support/FileIO.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "gtest/gtest.h"

#include <map>

using namespace trellis;
using namespace trellis::profile;
using isa::DType;
using isa::Opcode;
using isa::Space;
using llvm::json::Array;
using llvm::json::Object;
using llvm::json::Value;

namespace {

constexpr int64_t kQ0 = isa::kFirstDmaQueue, kQ1 = isa::kFirstDmaQueue + 1;

isa::AccessPattern ap(Space space, int64_t parts, int64_t free, DType dtype) {
  isa::AccessPattern a;
  a.space = space;
  a.partCount = parts;
  a.partStride = space == Space::hbm ? free : 0;
  a.dtype = dtype;
  a.sizes = {free};
  a.strides = {1};
  return a;
}

isa::Inst make(Opcode op, int64_t queue, uint32_t debugId, bool signal = false,
               llvm::SmallVector<isa::SemWait, 2> waits = {}) {
  isa::Inst i;
  i.opcode = op;
  i.queue = queue;
  i.debugId = debugId;
  i.signal = signal;
  i.waits = std::move(waits);
  return i;
}

ArchConfig testArch() {
  ArchConfig a;
  a.name = "handmade";
  a.peakTflopsBf16 = 100;
  a.peakTflopsFp8 = 200;
  a.peakTflopsFp32 = 25;
  a.peakTflopsSparse = 400;
  a.hbmGBps = 100;
  return a;
}

Program testProgram() {
  Program p;
  p.targetName = "handmade";
  isa::Inst load = make(Opcode::dma, kQ0, 0, /*signal=*/true);
  load.src0 = ap(Space::hbm, 128, 64, DType::bf16);
  load.dst = ap(Space::sbuf, 128, 64, DType::bf16);
  isa::Inst ls = make(Opcode::load_stationary, isa::kQueuePE, 1, false, {{kQ0, 1}});
  ls.src0 = ap(Space::sbuf, 128, 32, DType::bf16);
  isa::Inst mm = make(Opcode::multiply_moving, isa::kQueuePE, 1, /*signal=*/true);
  mm.src0 = ap(Space::sbuf, 128, 64, DType::bf16); // K = 128, N = 64
  mm.dst = ap(Space::psum, 32, 64, DType::f32);    // M = 32
  mm.start = true;
  isa::Inst act = make(Opcode::activation, isa::kQueueACT, 2, false, {{isa::kQueuePE, 1}});
  act.src0 = ap(Space::psum, 32, 64, DType::f32);
  act.dst = ap(Space::sbuf, 32, 64, DType::f32);
  isa::Inst store = make(Opcode::dma, kQ1, 3);
  store.src0 = ap(Space::sbuf, 128, 32, DType::f32);
  store.dst = ap(Space::hbm, 128, 32, DType::f32);
  p.instructions = {load, ls, mm, act, store};
  p.debug = {{"isa.dma", "tile.load", "graph.input", "load_x"},
             {"isa.matmul", "tile.matmul", "graph.linear", "Gemm_0"},
             {"isa.activation", "tile.activation", "graph.linear", "Gemm_0"},
             {"isa.dma", "tile.store", "", ""}};
  // Minimum HBM traffic: 16384 (x, bf16 128x64) + 8192 (y, f32 32x64) + 1000.
  p.inputs = {{"x", DType::bf16, {128, 64}, 0}};
  p.outputs = {{"y", DType::f32, {32, 64}, 16384}};
  p.constants = {{"w", 32768, std::vector<uint8_t>(1000, 0)}};
  return p;
}

emu::InstTiming timing(uint32_t index, double start, double end, double ready,
                       int64_t waitedOn = -1) {
  emu::InstTiming t;
  t.index = index;
  t.startNs = start;
  t.endNs = end;
  t.readyNs = ready;
  t.waitedOnQueue = waitedOn;
  return t;
}

emu::RunResult testResult() {
  emu::RunResult r;
  r.timeline = {timing(0, 0, 1500, 0), timing(1, 1500, 1520, 0, kQ0), timing(2, 1520, 1600, 1520),
                timing(3, 1600, 1700, 0, isa::kQueuePE), timing(4, 0, 1000, 0)};
  r.deviceTimeNs = 1700;
  return r;
}

std::string traceText(const Program &p, const emu::RunResult &r) {
  std::string s;
  llvm::raw_string_ostream os(s);
  llvm::Error e = writeChromeTrace(p, testArch(), r, os, "handmade.tnef");
  EXPECT_FALSE(bool(e)) << llvm::toString(std::move(e));
  return s;
}

Value parseTrace(const std::string &text) {
  llvm::Expected<Value> v = llvm::json::parse(text);
  if (!v) {
    ADD_FAILURE() << llvm::toString(v.takeError());
    return Value(nullptr);
  }
  return std::move(*v);
}

std::vector<const Object *> eventsWithPh(const Value &trace, llvm::StringRef ph) {
  std::vector<const Object *> out;
  for (const Value &e : *trace.getAsObject()->getArray("traceEvents"))
    if (e.getAsObject()->getString("ph") == ph)
      out.push_back(e.getAsObject());
  return out;
}

const Object *sliceOf(const Value &trace, int64_t index) {
  for (const Object *e : eventsWithPh(trace, "X"))
    if (e->getObject("args")->getInteger("index") == index)
      return e;
  return nullptr;
}

double num(const Object *o, llvm::StringRef key) { return o->getNumber(key).value_or(-1); }

TEST(ChromeTrace, OneCompleteEventPerInstructionWithHandTimes) {
  Value trace = parseTrace(traceText(testProgram(), testResult()));
  const Object &root = *trace.getAsObject();
  EXPECT_EQ(root.getString("displayTimeUnit"), "ns");
  ASSERT_EQ(eventsWithPh(trace, "X").size(), 5u);

  // ts and dur in microseconds: ns / 1000.
  struct {
    int64_t index;
    double ts, dur;
    int64_t tid;
    const char *name, *cat;
  } expected[] = {{0, 0.0, 1.5, kQ0, "dma", "dma"},
                  {1, 1.5, 0.02, kLoadStationaryTid, "load_stationary", "pe"},
                  {2, 1.52, 0.08, isa::kQueuePE, "multiply_moving", "pe"},
                  {3, 1.6, 0.1, isa::kQueueACT, "activation", "act"},
                  {4, 0.0, 1.0, kQ1, "dma", "dma"}};
  for (auto &x : expected) {
    const Object *e = sliceOf(trace, x.index);
    ASSERT_TRUE(e) << "no slice for #" << x.index;
    EXPECT_DOUBLE_EQ(num(e, "ts"), x.ts) << x.index;
    EXPECT_DOUBLE_EQ(num(e, "dur"), x.dur) << x.index;
    EXPECT_EQ(e->getInteger("tid"), x.tid) << x.index;
    EXPECT_EQ(e->getString("name"), x.name) << x.index;
    EXPECT_EQ(e->getString("cat"), x.cat) << x.index;
  }
}

TEST(ChromeTrace, ArgsNameTheSourceWaitsFlopsAndBytes) {
  Value trace = parseTrace(traceText(testProgram(), testResult()));
  const Object *load = sliceOf(trace, 0), *ls = sliceOf(trace, 1), *mm = sliceOf(trace, 2),
               *act = sliceOf(trace, 3), *store = sliceOf(trace, 4);
  ASSERT_TRUE(load && ls && mm && act && store);

  const Object *a = mm->getObject("args");
  EXPECT_EQ(a->getString("queue"), "pe");
  EXPECT_EQ(a->getString("isa_op"), "isa.matmul");
  EXPECT_EQ(a->getString("tile_op"), "tile.matmul");
  EXPECT_EQ(a->getString("graph_op"), "graph.linear");
  EXPECT_EQ(a->getString("node"), "Gemm_0");
  EXPECT_EQ(a->getInteger("flops"), 2 * 128 * 32 * 64); // 2*K*M*N
  EXPECT_FALSE(a->get("waited_on")) << "issued when ready";

  // The LS was ready at 0 and started at 1500: 1500 ns on q0.
  EXPECT_EQ(ls->getObject("args")->getString("waited_on"), "q0");
  EXPECT_DOUBLE_EQ(num(ls->getObject("args"), "wait_ns"), 1500.0);
  // The act was ready at 0 (an idle engine) and started at 1600.
  EXPECT_EQ(act->getObject("args")->getString("waited_on"), "pe");
  EXPECT_DOUBLE_EQ(num(act->getObject("args"), "wait_ns"), 1600.0);

  // DMA bytes: 128 x 64 bf16 and 128 x 32 f32.
  EXPECT_EQ(load->getObject("args")->getInteger("bytes"), 16384);
  EXPECT_EQ(store->getObject("args")->getInteger("bytes"), 16384);
  EXPECT_FALSE(load->getObject("args")->get("flops"));
  EXPECT_EQ(store->getObject("args")->getString("node"), "");
}

TEST(ChromeTrace, TracksAreNamedAndSorted) {
  Value trace = parseTrace(traceText(testProgram(), testResult()));
  std::map<int64_t, std::string> names;
  std::map<int64_t, int64_t> sortIndex;
  for (const Object *m : eventsWithPh(trace, "M")) {
    if (m->getString("name") == "thread_name")
      names[*m->getInteger("tid")] = m->getObject("args")->getString("name")->str();
    if (m->getString("name") == "thread_sort_index")
      sortIndex[*m->getInteger("tid")] = *m->getObject("args")->getInteger("sort_index");
  }
  std::map<int64_t, std::string> expected = {{isa::kQueuePE, "pe"},
                                             {isa::kQueueACT, "act"},
                                             {kQ0, "dma q0"},
                                             {kQ1, "dma q1"},
                                             {kLoadStationaryTid, "pe load_stationary"}};
  EXPECT_EQ(names, expected);
  // pe, its stationary loads, act, then the DMA queues in order.
  EXPECT_LT(sortIndex[isa::kQueuePE], sortIndex[kLoadStationaryTid]);
  EXPECT_LT(sortIndex[kLoadStationaryTid], sortIndex[isa::kQueueACT]);
  EXPECT_LT(sortIndex[isa::kQueueACT], sortIndex[kQ0]);
  EXPECT_LT(sortIndex[kQ0], sortIndex[kQ1]);
}

TEST(ChromeTrace, OneFlowPairPerSemaphoreEdgeFromProducerToWaiter) {
  Value trace = parseTrace(traceText(testProgram(), testResult()));
  std::vector<const Object *> starts = eventsWithPh(trace, "s"), ends = eventsWithPh(trace, "f");
  // Two waits with value >= 1: ls on q0>=1 and act on pe>=1.
  ASSERT_EQ(starts.size(), 2u);
  ASSERT_EQ(ends.size(), 2u);
  // Producer of pe>=1 is the first *signalling* pe instruction: the mm (#2),
  // not the ls (#1) before it.
  std::map<int64_t, std::pair<int64_t, int64_t>> expected = {{0, {kQ0, kLoadStationaryTid}},
                                                             {2, {isa::kQueuePE, isa::kQueueACT}}};
  std::map<int64_t, int64_t> waiterOf = {{0, 1}, {2, 3}};
  for (const Object *s : starts) {
    int64_t producer = *s->getObject("args")->getInteger("producer");
    ASSERT_TRUE(expected.count(producer)) << producer;
    EXPECT_EQ(s->getInteger("tid"), expected[producer].first);
    const Object *f = nullptr;
    for (const Object *e : ends)
      if (e->getInteger("id") == s->getInteger("id"))
        f = e;
    ASSERT_TRUE(f) << "no flow end for id " << *s->getInteger("id");
    EXPECT_EQ(f->getInteger("tid"), expected[producer].second);
    EXPECT_EQ(f->getString("bp"), "e");
    EXPECT_EQ(f->getString("name"), s->getString("name"));
    EXPECT_EQ(f->getString("cat"), s->getString("cat"));
    EXPECT_EQ(f->getObject("args")->getInteger("waiter"), waiterOf[producer]);
    // Each end of the arrow lies inside its slice.
    const Object *from = sliceOf(trace, producer), *to = sliceOf(trace, waiterOf[producer]);
    EXPECT_GE(num(s, "ts"), num(from, "ts"));
    EXPECT_LE(num(s, "ts"), num(from, "ts") + num(from, "dur"));
    EXPECT_GE(num(f, "ts"), num(to, "ts"));
    EXPECT_LE(num(f, "ts"), num(to, "ts") + num(to, "dur"));
  }
}

TEST(ChromeTrace, ProducerIsTheNthSignallerOfItsQueue) {
  // q0: #0 signals, #1 does not, #2 signals. A wait for q0 >= 2 is satisfied
  // by #2; a wait for q0 >= 3 has no producer (no arrow, no crash).
  Program p;
  for (int i = 0; i < 3; ++i) {
    isa::Inst d = make(Opcode::dma, kQ0, 0, /*signal=*/i != 1);
    d.src0 = ap(Space::hbm, 1, 16, DType::f32);
    d.dst = ap(Space::sbuf, 1, 16, DType::f32);
    p.instructions.push_back(d);
  }
  p.instructions.push_back(make(Opcode::nop, isa::kQueueDVE, 0, false, {{kQ0, 2}}));
  p.instructions.push_back(make(Opcode::nop, isa::kQueuePOOL, 0, false, {{kQ0, 3}}));
  emu::RunResult r;
  r.timeline = {timing(0, 0, 10, 0), timing(1, 10, 20, 10), timing(2, 20, 30, 20),
                timing(3, 30, 30, 0, kQ0), timing(4, 0, 0, 0)};
  r.deviceTimeNs = 30;
  Value trace = parseTrace(traceText(p, r));
  std::vector<const Object *> starts = eventsWithPh(trace, "s");
  ASSERT_EQ(starts.size(), 1u);
  EXPECT_EQ(starts[0]->getObject("args")->getInteger("producer"), 2);
  EXPECT_EQ(starts[0]->getObject("args")->getInteger("waiter"), 3);
}

TEST(ChromeTrace, FlowStartPrecedesItsEndForZeroLengthSlicesAtOneInstant) {
  // Two nops at t = 5, the second waiting on the first, listed waiter first
  // in program order: viewers bind flows in file order at equal times, so
  // the producer's slice and flow start must come first.
  Program p;
  p.instructions.push_back(make(Opcode::nop, isa::kQueueDVE, 0, false, {{isa::kQueueACT, 1}}));
  p.instructions.push_back(make(Opcode::nop, isa::kQueueACT, 0, /*signal=*/true));
  emu::RunResult r;
  r.timeline = {timing(0, 5, 5, 0, isa::kQueueACT), timing(1, 5, 5, 5)};
  r.deviceTimeNs = 5;
  std::string text = traceText(p, r);
  size_t producer = text.find("\"index\":1"), start = text.find("\"ph\":\"s\""),
         waiter = text.find("\"index\":0"), end = text.find("\"ph\":\"f\"");
  ASSERT_NE(end, std::string::npos);
  EXPECT_LT(producer, start);
  EXPECT_LT(start, waiter);
  EXPECT_LT(waiter, end);
}

TEST(ChromeTrace, OtherDataHoldsTheRoofline) {
  Value trace = parseTrace(traceText(testProgram(), testResult()));
  const Object *o = trace.getAsObject()->getObject("otherData");
  ASSERT_TRUE(o);
  EXPECT_EQ(o->getString("format"), "trellis-profile");
  EXPECT_EQ(o->getString("target"), "handmade");
  EXPECT_EQ(o->getString("artifact"), "handmade.tnef");
  EXPECT_EQ(o->getString("matmul_dtype"), "bf16");
  EXPECT_DOUBLE_EQ(num(o->getObject("peak_tflops"), "bf16"), 100.0);
  EXPECT_DOUBLE_EQ(num(o->getObject("peak_tflops"), "fp8"), 200.0);
  EXPECT_DOUBLE_EQ(num(o, "hbm_gbps"), 100.0);
  EXPECT_DOUBLE_EQ(num(o, "device_time_ns"), 1700.0);
  EXPECT_EQ(o->getInteger("total_flops"), 524288);
  EXPECT_EQ(o->getInteger("min_hbm_bytes"), 16384 + 8192 + 1000);
  // 524288 FLOPs / 1e5 FLOP/ns; 25576 B / 100 B/ns; the larger wins.
  EXPECT_NEAR(num(o, "compute_bound_ns"), 5.24288, 1e-9);
  EXPECT_NEAR(num(o, "memory_bound_ns"), 255.76, 1e-9);
  EXPECT_NEAR(num(o, "roofline_time_ns"), 255.76, 1e-9);
  EXPECT_NEAR(num(o, "roofline_ratio"), 255.76 / 1700.0, 1e-12);
}

TEST(ChromeTrace, MixedMatmulDtypesUseEachPeak) {
  // 524288 bf16 FLOPs at 1e5/ns + 2 x 524288 fp8 FLOPs at 2e5/ns = 10.48576 ns.
  Program p = testProgram();
  isa::Inst fp8 = p.instructions[2];
  fp8.src0.dtype = DType::f8e4m3;
  fp8.signal = false;
  p.instructions.push_back(fp8);
  p.instructions.push_back(fp8);
  Roofline r = computeRoofline(p, testArch());
  EXPECT_EQ(r.totalFlops, 3u * 524288u);
  EXPECT_EQ(r.matmulClass, "fp8");
  EXPECT_NEAR(r.computeNs, 10.48576, 1e-9);
  EXPECT_NEAR(r.effectivePeakTflops, 3 * 524288 / 10.48576 * 1e-3, 1e-9);
}

TEST(ChromeTrace, TimelineFromAnotherProgramIsAnError) {
  emu::RunResult r = testResult();
  r.timeline.push_back(timing(99, 0, 1, 0));
  std::string s;
  llvm::raw_string_ostream os(s);
  llvm::Error e = writeChromeTrace(testProgram(), testArch(), r, os);
  ASSERT_TRUE(bool(e));
  EXPECT_NE(llvm::toString(std::move(e)).find("#99"), std::string::npos);
  EXPECT_TRUE(s.empty()) << "nothing written on error";
}

TEST(Summary, HandComputedNumbers) {
  llvm::Expected<Summary> s = summarize(parseTrace(traceText(testProgram(), testResult())));
  ASSERT_TRUE(bool(s)) << llvm::toString(s.takeError());
  EXPECT_EQ(s->instructions, 5u);
  EXPECT_NEAR(s->deviceTimeNs, 1700, 1e-9);

  std::map<std::string, double> busy;
  for (const QueueBusy &q : s->queues)
    busy[q.name] = q.busyNs;
  // pe: ls [1500,1520) + mm [1520,1600) = 80 + 20.
  EXPECT_NEAR(busy["pe"], 100, 1e-9);
  EXPECT_NEAR(busy["act"], 100, 1e-9);
  EXPECT_NEAR(busy["q0"], 1500, 1e-9);
  EXPECT_NEAR(busy["q1"], 1000, 1e-9);
  EXPECT_EQ(s->dmaQueues, 2);
  EXPECT_NEAR(s->dmaBusyNs, 1500, 1e-9); // [0,1500) covers [0,1000)
  EXPECT_NEAR(s->dmaQueueSumNs, 2500, 1e-9);
  EXPECT_NEAR(s->pct(s->peBusyNs), 100.0 * 100 / 1700, 1e-9);

  // 524288 FLOPs in 1700 ns = 308.4 FLOP/ns = 0.3084 TFLOPS of 100.
  EXPECT_EQ(s->totalFlops, 524288u);
  EXPECT_NEAR(s->achievedTflops, 524288.0 / 1700 * 1e-3, 1e-12);
  EXPECT_NEAR(s->peUtilization, 524288.0 / 1700 * 1e-3 / 100, 1e-12);
  EXPECT_NEAR(s->rooflineNs, 255.76, 1e-9);
  EXPECT_NEAR(s->rooflineRatio, 255.76 / 1700, 1e-12);

  // Stalls, largest first: act 1600 ns on pe (ready 0, started 1600), then
  // pe (the ls) 1500 ns on q0.
  ASSERT_EQ(s->stalls.size(), 2u);
  EXPECT_EQ(s->stalls[0].waiter, "act");
  EXPECT_EQ(s->stalls[0].waitedOn, "pe");
  EXPECT_FALSE(s->stalls[0].waitedOnDma);
  EXPECT_NEAR(s->stalls[0].waitNs, 1600, 1e-9);
  EXPECT_EQ(s->stalls[1].waiter, "pe");
  EXPECT_EQ(s->stalls[1].waitedOn, "q0");
  EXPECT_TRUE(s->stalls[1].waitedOnDma);
  EXPECT_NEAR(s->stalls[1].waitNs, 1500, 1e-9);
  EXPECT_EQ(s->stalls[1].count, 1u);

  // Nodes: load_x 1500, (none) 1000, Gemm_0 20 + 80 + 100; of 2700 in all.
  EXPECT_NEAR(s->instructionTimeNs, 2700, 1e-9);
  ASSERT_EQ(s->nodes.size(), 3u);
  EXPECT_EQ(s->nodes[0].name, "load_x");
  EXPECT_NEAR(s->nodes[0].timeNs, 1500, 1e-9);
  EXPECT_EQ(s->nodes[1].name, "(none)");
  EXPECT_EQ(s->nodes[2].name, "Gemm_0");
  EXPECT_EQ(s->nodes[2].graphOp, "graph.linear");
  EXPECT_NEAR(s->nodes[2].timeNs, 200, 1e-9);
  EXPECT_EQ(s->nodes[2].instructions, 3u);
}

TEST(Summary, JsonHasTheDocumentedKeys) {
  llvm::Expected<Summary> s = summarize(parseTrace(traceText(testProgram(), testResult())));
  ASSERT_TRUE(bool(s)) << llvm::toString(s.takeError());
  PrintOptions options;
  options.topNodes = 2;
  Value v = summaryToJson(*s, options);
  const Object *o = v.getAsObject();
  ASSERT_TRUE(o);
  EXPECT_NEAR(num(o, "device_time_us"), 1.7, 1e-12);
  EXPECT_NEAR(num(o, "roofline_time_us"), 0.25576, 1e-12);
  EXPECT_NEAR(num(o, "roofline_ratio"), 255.76 / 1700, 1e-12);
  EXPECT_NEAR(num(o, "pe_utilization"), 524288.0 / 1700 * 1e-5, 1e-12);
  EXPECT_NEAR(num(o->getObject("engines"), "q0"), 1.5, 1e-12);
  EXPECT_NEAR(num(o->getObject("engines"), "pe"), 0.1, 1e-12);
  ASSERT_TRUE(o->getArray("stalls"));
  EXPECT_EQ(o->getArray("stalls")->size(), 2u);
  ASSERT_TRUE(o->getArray("nodes"));
  EXPECT_EQ(o->getArray("nodes")->size(), 2u) << "--top 2";
  const Object *first = (*o->getArray("nodes"))[0].getAsObject();
  EXPECT_EQ(first->getString("name"), "load_x");
  EXPECT_NEAR(num(first, "pct"), 100.0 * 1500 / 2700, 1e-9);
}

TEST(Summary, TextNamesEveryHeadline) {
  llvm::Expected<Summary> s = summarize(parseTrace(traceText(testProgram(), testResult())));
  ASSERT_TRUE(bool(s)) << llvm::toString(s.takeError());
  std::string text;
  llvm::raw_string_ostream os(text);
  printSummaryText(*s, os);
  for (const char *needle :
       {"device time", "1.700 us", "roofline", "PE utilisation", "pe waited 1.500 us on q0 (DMA)",
        "act waited 1.600 us on pe", "Gemm_0", "load_x", "88.2%"})
    EXPECT_NE(text.find(needle), std::string::npos) << needle << "\n" << text;
}

TEST(Summary, RejectsWhatIsNotATrellisTrace) {
  auto error = [](llvm::StringRef json) {
    llvm::Expected<Value> v = llvm::json::parse(json);
    EXPECT_TRUE(bool(v)) << json.str();
    if (!v) {
      llvm::consumeError(v.takeError());
      return std::string();
    }
    llvm::Expected<Summary> s = summarize(*v);
    if (s)
      return std::string("(accepted)");
    return llvm::toString(s.takeError());
  };
  EXPECT_NE(error("[1, 2]").find("not a JSON object"), std::string::npos);
  EXPECT_NE(error("{\"traceEvents\": []}").find("otherData"), std::string::npos);
  EXPECT_NE(error("{\"traceEvents\": [], \"otherData\": {\"format\": \"x\"}}")
                .find("not a trellis profile"),
            std::string::npos);
  // A well-formed trellis header, then a broken event.
  Value good = parseTrace(traceText(testProgram(), testResult()));
  Object root = *good.getAsObject();
  (*root.getArray("traceEvents"))
      .push_back(Object{{"ph", "X"}, {"ts", 1.0}, {"args", Object{{"queue", "pe"}}}});
  llvm::Expected<Summary> s = summarize(Value(std::move(root)));
  ASSERT_FALSE(bool(s));
  std::string msg = llvm::toString(s.takeError());
  EXPECT_NE(msg.find("'dur'"), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << "one line";
}

TEST(Summary, FileErrorsNameTheFile) {
  llvm::SmallString<128> path;
  ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("profile-bad", "json", path));
  ASSERT_FALSE(bool(writeFileAtomically(path, "{\"traceEvents\": [")));
  llvm::Expected<Summary> s = summarizeFile(path);
  ASSERT_FALSE(bool(s));
  std::string msg = llvm::toString(s.takeError());
  EXPECT_EQ(msg.rfind(path.str().str() + ": not valid JSON", 0), 0u) << msg;
  llvm::sys::fs::remove(path);
  llvm::Expected<Summary> missing = summarizeFile(path);
  ASSERT_FALSE(bool(missing));
  EXPECT_NE(llvm::toString(missing.takeError()).find(path.str().str()), std::string::npos);
}

} // namespace
