//===- EmulatorTestUtil.h - Hand-built programs for emulator tests --------===//
#ifndef TRELLIS_TEST_UNIT_EMULATOR_TESTUTIL_H
#define TRELLIS_TEST_UNIT_EMULATOR_TESTUTIL_H

#include "trellis/Emulator/Emulator.h"
#include "trellis/Support/Numerics.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include <cstring>
#include <map>
#include <utility>

namespace trellis::emu::test {

using isa::AccessPattern;
using isa::DType;
using isa::Inst;
using isa::Opcode;
using isa::Space;

inline constexpr int64_t kQ0 = isa::kFirstDmaQueue, kQ1 = isa::kFirstDmaQueue + 1;

/// A small machine with round numbers so that tests can compute times by hand.
inline ArchConfig testArch() {
  ArchConfig a;
  a.name = "test";
  a.peRows = a.peCols = 128;
  a.peClockGHz = 2.0;
  a.mmMinIntervalCycles = 64;
  a.mmFp32Slowdown = 4;
  a.lsSpeedup = 4;
  a.peFillCycles = 128;
  for (EngineTiming *e : {&a.act, &a.dve, &a.pool, &a.sp}) {
    e->clockGHz = 1.0;
    e->lanes = 128;
    e->elementsPerCycle = 1;
    e->fixedCycles = 60;
    e->minIntervalCycles = 64;
  }
  a.partitions = 128;
  a.sbufBytesPerPartition = 64 * 1024;
  a.psumBytesPerPartition = 16 * 1024;
  a.psumBanks = 8;
  a.hbmBytes = 1 << 30;
  a.hbmGBps = 100;
  a.dmaEngines = 16;
  a.dmaQueues = 4;
  a.dmaEngineGBps = 10; // 160 GB/s for a queue: HBM (100) is the bottleneck
  a.dmaFixedLatencyNs = 1000;
  a.dmaStridePenaltyBytes = 16;
  return a;
}

/// An operand with free axes given as {size, stride} pairs.
/// The bundled trn2 target (testArch() with a test failure if it cannot load).
inline ArchConfig trn2() {
  auto arch = loadArchConfig("trn2");
  if (!arch) {
    ADD_FAILURE() << llvm::toString(arch.takeError());
    return testArch();
  }
  return std::move(*arch);
}

inline AccessPattern ap(Space space, int64_t partStart, int64_t partCount, int64_t offset,
                        DType dtype, std::initializer_list<std::pair<int64_t, int64_t>> dims,
                        int64_t partStride = 0) {
  AccessPattern a;
  a.space = space;
  a.partStart = partStart;
  a.partCount = partCount;
  a.partStride = partStride;
  a.offset = offset;
  a.dtype = dtype;
  for (auto [size, stride] : dims) {
    a.sizes.push_back(size);
    a.strides.push_back(stride);
  }
  return a;
}
inline AccessPattern sbuf(int64_t p0, int64_t np, int64_t off, DType t, int64_t n) {
  return ap(Space::sbuf, p0, np, off, t, {{n, 1}});
}
inline AccessPattern psum(int64_t p0, int64_t np, int64_t off, int64_t n) {
  return ap(Space::psum, p0, np, off, DType::f32, {{n, 1}});
}
/// A row-major [rows, cols] HBM tensor at `off`.
inline AccessPattern hbm(int64_t rows, int64_t cols, int64_t off, DType t) {
  return ap(Space::hbm, 0, rows, off, t, {{cols, 1}}, cols);
}

inline Inst inst(Opcode op, int64_t queue) {
  Inst i;
  i.opcode = op;
  i.queue = queue;
  return i;
}

/// Builds a program whose instructions run one after another: each signals
/// and waits for the previous one when it is on another queue.
struct ChainBuilder {
  Program program;
  int64_t hbmTop = 0;
  std::map<int64_t, int64_t> signals;
  int64_t lastQueue = -1;

  int64_t place(int64_t bytes) {
    int64_t off = hbmTop;
    hbmTop += (bytes + 63) / 64 * 64;
    program.hbmSize = hbmTop;
    return off;
  }
  int64_t input(const std::string &name, std::vector<int64_t> shape, DType t) {
    TensorInfo info{name, t, shape, 0};
    info.hbmOffset = place(info.byteSize());
    program.inputs.push_back(info);
    return info.hbmOffset;
  }
  int64_t output(const std::string &name, std::vector<int64_t> shape, DType t) {
    TensorInfo info{name, t, shape, 0};
    info.hbmOffset = place(info.byteSize());
    program.outputs.push_back(info);
    return info.hbmOffset;
  }
  int64_t constant(const std::string &name, const std::vector<float> &values) {
    ConstantSegment c;
    c.name = name;
    c.bytes.resize(values.size() * 4);
    std::memcpy(c.bytes.data(), values.data(), c.bytes.size());
    c.hbmOffset = place(int64_t(c.bytes.size()));
    program.constants.push_back(c);
    return c.hbmOffset;
  }
  void add(Inst i) {
    i.signal = true;
    if (lastQueue >= 0 && lastQueue != i.queue)
      i.waits.push_back({lastQueue, signals[lastQueue]});
    ++signals[i.queue];
    lastQueue = i.queue;
    program.instructions.push_back(i);
  }
};

inline HostTensor f32Tensor(std::vector<int64_t> shape, const std::vector<float> &v) {
  HostTensor h;
  h.dtype = HostDType::f32;
  h.shape = std::move(shape);
  h.data.resize(v.size() * 4);
  std::memcpy(h.data.data(), v.data(), h.data.size());
  return h;
}

inline HostTensor bf16Tensor(std::vector<int64_t> shape, const std::vector<float> &v) {
  HostTensor h;
  h.dtype = HostDType::bf16;
  h.shape = std::move(shape);
  h.data.resize(v.size() * 2);
  for (size_t i = 0; i < v.size(); ++i) {
    uint16_t b = numerics::f32ToBf16(v[i]);
    std::memcpy(h.data.data() + 2 * i, &b, 2);
  }
  return h;
}

inline std::vector<float> floats(const HostTensor &h) {
  EXPECT_EQ(h.dtype, HostDType::f32);
  std::vector<float> v(h.data.size() / 4);
  std::memcpy(v.data(), h.data.data(), v.size() * 4);
  return v;
}

inline std::vector<int32_t> ints(const HostTensor &h) {
  EXPECT_EQ(h.dtype, HostDType::i32);
  std::vector<int32_t> v(h.data.size() / 4);
  std::memcpy(v.data(), h.data.data(), v.size() * 4);
  return v;
}

/// Runs and fails the test on error.
inline RunResult runOk(const Program &p, const std::map<std::string, HostTensor> &inputs,
                       RunOptions options = {}, const ArchConfig &arch = testArch()) {
  auto r = run(p, arch, inputs, options);
  if (!r) {
    ADD_FAILURE() << llvm::toString(r.takeError());
    return RunResult();
  }
  return std::move(*r);
}

/// Runs, expects an error, and returns its message.
inline std::string runError(const Program &p, const std::map<std::string, HostTensor> &inputs,
                            RunOptions options = {}, const ArchConfig &arch = testArch()) {
  auto r = run(p, arch, inputs, options);
  if (r) {
    ADD_FAILURE() << "expected an error";
    return "";
  }
  return llvm::toString(r.takeError());
}

} // namespace trellis::emu::test

#endif
