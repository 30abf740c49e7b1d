//===- Emulator.cpp - Runs a program: scheduling, I/O, checks -------------===//
//
// The driver: loads constants and inputs into HBM, then repeatedly issues the
// queue head with the earliest start time among those whose semaphore waits
// are met (the timing model's event order), executing it functionally,
// checking it for hazards and recording its timing. Reads outputs back from
// HBM at the end.
//
//===----------------------------------------------------------------------===//

#include "trellis/Emulator/Emulator.h"
#include "Hazards.h"
#include "Memory.h"
#include "Semantics.h"
#include "trellis/Emulator/Timing.h"
#include "trellis/Support/Numerics.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include <algorithm>
#include <cstring>
#include <limits>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <optional>

using namespace trellis;
using namespace trellis::emu;
using isa::DType;
using isa::Inst;

namespace {

//===----------------------------------------------------------------------===//
// Host <-> HBM tensors
//===----------------------------------------------------------------------===//

/// The host type an HBM tensor of `t` is read back as (and may be given as).
HostDType hostTypeFor(DType t) {
  if (std::optional<HostDType> exact = toHostDType(t))
    return *exact;
  // No host type of its own: widen.
  switch (t) {
  case DType::i16:
    return HostDType::i32;
  case DType::u32:
    return HostDType::i64;
  default: // the fp8 types
    return HostDType::f32;
  }
}

std::string shapeString(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? "x" : "") + std::to_string(shape[i]);
  return s + "]";
}

int64_t numElementsOf(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

/// Checks that the tensor lies inside the program's HBM.
llvm::Error checkTensorPlacement(const TensorInfo &t, int64_t hbmSize, const char *kind) {
  int64_t n = 1;
  for (int64_t d : t.shape)
    if (d < 0 || __builtin_mul_overflow(n, d, &n))
      return llvm::createStringError("%s '%s' has a bad shape %s", kind, t.name.c_str(),
                                     shapeString(t.shape).c_str());
  int64_t bytes;
  if (__builtin_mul_overflow(n, isa::dtypeBytes(t.dtype), &bytes) || t.hbmOffset < 0 ||
      t.hbmOffset > hbmSize - bytes)
    return llvm::createStringError("%s '%s' at HBM offset %lld does not fit the program's "
                                   "%lld-byte HBM",
                                   kind, t.name.c_str(), (long long)t.hbmOffset,
                                   (long long)hbmSize);
  return llvm::Error::success();
}

/// Element `i` of a host tensor of f32 / i32 / i64 / raw u8 as float or
/// integer, for the inputs whose HBM type differs from the host type.
double hostElement(const HostTensor &h, int64_t i) {
  const uint8_t *p = h.data.data();
  switch (h.dtype) {
  case HostDType::f32: {
    float v;
    std::memcpy(&v, p + i * 4, 4);
    return v;
  }
  case HostDType::i32: {
    int32_t v;
    std::memcpy(&v, p + i * 4, 4);
    return v;
  }
  case HostDType::i64: {
    int64_t v;
    std::memcpy(&v, p + i * 8, 8);
    return double(v);
  }
  default:
    return p[i];
  }
}

llvm::Error writeInput(const TensorInfo &t, const HostTensor &h, uint8_t *hbm) {
  HostDType want = hostTypeFor(t.dtype);
  bool rawFp8 = (t.dtype == DType::f8e4m3 || t.dtype == DType::f8e5m2) && h.dtype == HostDType::u8;
  bool boolAsU8 = t.dtype == DType::u8 && h.dtype == HostDType::boolean;
  if (h.dtype != want && !rawFp8 && !boolAsU8)
    return llvm::createStringError("input '%s' has dtype %s but the program expects %s",
                                   t.name.c_str(), hostDTypeName(h.dtype),
                                   hostDTypeName(want));
  if (h.shape != t.shape)
    return llvm::createStringError("input '%s' has shape %s but the program expects %s",
                                   t.name.c_str(), shapeString(h.shape).c_str(),
                                   shapeString(t.shape).c_str());
  int64_t n = numElementsOf(t.shape);
  if (int64_t(h.data.size()) != n * hostDTypeBytes(h.dtype))
    return llvm::createStringError("input '%s' holds %zu bytes, expected %lld", t.name.c_str(),
                                   h.data.size(), (long long)(n * hostDTypeBytes(h.dtype)));
  uint8_t *dst = hbm + t.hbmOffset;
  int64_t eb = isa::dtypeBytes(t.dtype);
  if (eb == hostDTypeBytes(h.dtype)) { // same encoding: bytes as given
    if (!h.data.empty()) // an empty tensor's data() may be null
      std::memcpy(dst, h.data.data(), h.data.size());
    return llvm::Error::success();
  }
  for (int64_t i = 0; i < n; ++i) {
    double v = hostElement(h, i);
    if (isa::isFloat(t.dtype))
      storeElement(t.dtype, dst + i * eb, float(v));
    else
      storeInteger(t.dtype, dst + i * eb, int64_t(v));
  }
  return llvm::Error::success();
}

HostTensor readOutput(const TensorInfo &t, const uint8_t *hbm) {
  HostTensor h;
  h.dtype = hostTypeFor(t.dtype);
  h.shape = t.shape;
  int64_t n = numElementsOf(t.shape);
  int64_t hb = hostDTypeBytes(h.dtype), eb = isa::dtypeBytes(t.dtype);
  h.data.resize(size_t(n * hb));
  const uint8_t *src = hbm + t.hbmOffset;
  if (hb == eb) {
    if (n) // an empty tensor's data() may be null
      std::memcpy(h.data.data(), src, size_t(n * eb));
    return h;
  }
  for (int64_t i = 0; i < n; ++i) {
    float v = loadElement(t.dtype, src + i * eb);
    if (h.dtype == HostDType::f32) {
      std::memcpy(h.data.data() + i * 4, &v, 4);
    } else if (h.dtype == HostDType::i32) {
      int32_t x = int32_t(v); // i16 widened: exact
      std::memcpy(h.data.data() + i * 4, &x, 4);
    } else {
      uint32_t u; // u32 widened to i64: exact, unlike a trip through float
      std::memcpy(&u, src + i * eb, 4);
      int64_t x = u;
      std::memcpy(h.data.data() + i * 8, &x, 8);
    }
  }
  return h;
}

//===----------------------------------------------------------------------===//
// The run
//===----------------------------------------------------------------------===//

class Runner {
public:
  /// `releasable`, if set, is `program` itself: its constants' bytes are
  /// released once copied into HBM.
  Runner(const Program &program, const ArchConfig &arch, const RunOptions &options,
         Program *releasable = nullptr)
      : program(program), releasable(releasable), arch(arch), options(options),
        numQueues(isa::kFirstDmaQueue + arch.dmaQueues), timing(arch, numQueues) {}

  llvm::Expected<RunResult> run(const std::map<std::string, HostTensor> &inputs);

private:
  llvm::Error setUpMemories(const std::map<std::string, HostTensor> &inputs);
  llvm::Error step(uint32_t index, double start, int64_t waitedOn);
  /// When all of `inst`'s waits are met, or nullopt if one is not yet met.
  std::optional<double> waitsMetNs(const Inst &inst, int64_t *longest) const;
  std::string describe(uint32_t index) const;
  llvm::Error instError(uint32_t index, llvm::Error e) const;
  llvm::Error deadlockError() const;

  const Program &program;
  Program *releasable;
  const ArchConfig &arch;
  const RunOptions &options;
  int64_t numQueues;

  Memories mem;
  PEState pe;
  TimingModel timing;
  std::optional<HazardChecker> hazards;

  std::vector<std::vector<uint32_t>> streams; // per queue, program order
  std::vector<size_t> next;                   // per queue: next position in its stream
  std::vector<std::vector<double>> semReachedNs; // [q][v-1]: when q's semaphore reached v
  // [q][v]: vector clock of the signal that made q's semaphore reach v; kept
  // only for the values some instruction waits for.
  std::vector<llvm::DenseMap<int64_t, std::vector<uint32_t>>> semClock;
  std::vector<std::vector<uint32_t>> queueClock;           // vector clock of q's last inst
  RunResult result;
};

std::string Runner::describe(uint32_t index) const {
  const Inst &inst = program.instructions[index];
  std::string s = "instruction #" + std::to_string(index) + " (" +
                  isa::stringifyOpcode(inst.opcode).str() + " on " +
                  isa::queueName(inst.queue);
  if (inst.debugId < program.debug.size() && !program.debug[inst.debugId].node.empty())
    s += ", node '" + program.debug[inst.debugId].node + "'";
  return s + ")";
}

llvm::Error Runner::instError(uint32_t index, llvm::Error e) const {
  return llvm::createStringError(describe(index) + ": " + llvm::toString(std::move(e)));
}

llvm::Error Runner::setUpMemories(const std::map<std::string, HostTensor> &inputs) {
  if (program.hbmSize < 0 || (arch.hbmBytes > 0 && program.hbmSize > arch.hbmBytes))
    return llvm::createStringError("program needs %lld bytes of HBM; the target has %lld",
                                   (long long)program.hbmSize, (long long)arch.hbmBytes);
  for (const TensorInfo &t : program.inputs)
    if (auto e = checkTensorPlacement(t, program.hbmSize, "input"))
      return e;
  for (const TensorInfo &t : program.outputs)
    if (auto e = checkTensorPlacement(t, program.hbmSize, "output"))
      return e;
  for (const ConstantSegment &c : program.constants)
    if (c.hbmOffset < 0 || c.hbmOffset > program.hbmSize - int64_t(c.bytes.size()))
      return llvm::createStringError("constant '%s' at HBM offset %lld does not fit the "
                                     "program's %lld-byte HBM",
                                     c.name.c_str(), (long long)c.hbmOffset,
                                     (long long)program.hbmSize);

  // Inputs must match the program's table exactly (a timing-only run may
  // omit them: it never reads data).
  if (!options.timingOnly || !inputs.empty()) {
    for (const TensorInfo &t : program.inputs)
      if (!inputs.count(t.name))
        return llvm::createStringError("missing input '%s' (%s %s)", t.name.c_str(),
                                       isa::stringifyDType(t.dtype).str().c_str(),
                                       shapeString(t.shape).c_str());
    for (const auto &entry : inputs) {
      const std::string &name = entry.first; // not a structured binding: lambdas capture it
      if (llvm::none_of(program.inputs, [&](const TensorInfo &t) { return t.name == name; }))
        return llvm::createStringError("unexpected input '%s': the program has no such input",
                                       name.c_str());
    }
  }
  if (options.timingOnly)
    return llvm::Error::success();

  mem.sbufPartitionBytes = arch.sbufBytesPerPartition;
  mem.psumPartitionBytes = arch.psumBytesPerPartition;
  if (auto e = mem.hbm.allocate(program.hbmSize, "HBM"))
    return e;
  if (auto e = mem.sbuf.allocate(arch.partitions * arch.sbufBytesPerPartition, "SBUF"))
    return e;
  if (auto e = mem.psum.allocate(arch.partitions * arch.psumBytesPerPartition, "PSUM"))
    return e;
  for (size_t i = 0; i < program.constants.size(); ++i) {
    const ConstantSegment &c = program.constants[i];
    if (!c.bytes.empty())
      std::memcpy(mem.hbm.data() + c.hbmOffset, c.bytes.data(), c.bytes.size());
    if (releasable)
      std::vector<uint8_t>().swap(releasable->constants[i].bytes);
  }
#ifdef __GLIBC__
  if (releasable)
    malloc_trim(0); // hand the small segments' heap pages back too
#endif
  for (const TensorInfo &t : program.inputs)
    if (auto e = writeInput(t, inputs.at(t.name), mem.hbm.data()))
      return e;
  return llvm::Error::success();
}

std::optional<double> Runner::waitsMetNs(const Inst &inst, int64_t *longest) const {
  double met = 0;
  *longest = -1;
  for (const isa::SemWait &w : inst.waits) {
    if (w.value <= 0)
      continue;
    const std::vector<double> &reached = semReachedNs[w.queue];
    if (int64_t(reached.size()) < w.value)
      return std::nullopt;
    double t = reached[size_t(w.value - 1)];
    if (*longest < 0 || t > met) {
      met = std::max(met, t);
      *longest = w.queue;
    }
  }
  return met;
}

llvm::Error Runner::step(uint32_t index, double start, int64_t waitedOn) {
  const Inst &inst = program.instructions[index];
  MachineLimits limits{&arch, program.hbmSize, numQueues};
  if (auto e = verifyInst(inst, limits, pe))
    return instError(index, std::move(e));

  int64_t q = inst.queue;
  std::vector<uint32_t> &clock = queueClock[q];
  if (hazards) {
    // This instruction's vector clock: its queue's history joined with that
    // of every signal it waited for.
    for (const isa::SemWait &w : inst.waits)
      if (w.value > 0) {
        const std::vector<uint32_t> &other = semClock[w.queue].find(w.value)->second;
        for (int64_t i = 0; i < numQueues; ++i)
          clock[i] = std::max(clock[i], other[i]);
      }
    ++clock[q];
    Epoch self{index, clock[q], uint16_t(q)};
    for (const Access &a : accessesOf(inst))
      if (auto k = hazards->access(*a.ap, a.write, self, clock)) {
        std::string where = std::string(a.ap->space == isa::Space::hbm    ? "hbm"
                                         : a.ap->space == isa::Space::sbuf ? "sbuf"
                                                                           : "psum");
        if (a.ap->space != isa::Space::hbm)
          where += " partition " + std::to_string(k->partition);
        return llvm::createStringError(
            "hazard: %s %s %s bytes [%lld, %lld) that %s %s with no semaphore ordering them",
            describe(index).c_str(), a.write ? "writes" : "reads", where.c_str(),
            (long long)k->byteLo, (long long)k->byteHi, describe(k->otherInst).c_str(),
            k->otherWrites ? "writes" : "reads");
      }
  }

  if (auto e = executeInst(inst, options.timingOnly ? nullptr : &mem, pe))
    return instError(index, std::move(e));

  double ready = timing.readyNs(inst);
  double end = timing.issue(inst, start);
  InstTiming &t = result.timeline[index];
  t.index = index;
  t.startNs = start;
  t.endNs = end;
  t.readyNs = ready;
  t.waitedOnQueue = waitedOn;
  result.deviceTimeNs = std::max(result.deviceTimeNs, end);
  ++result.instructionsExecuted;

  if (inst.signal) {
    // Completion is in order within a queue: the semaphore reaches v no
    // earlier than it reached v - 1.
    std::vector<double> &reached = semReachedNs[q];
    reached.push_back(reached.empty() ? end : std::max(reached.back(), end));
    if (hazards) {
      auto it = semClock[q].find(int64_t(reached.size()));
      if (it != semClock[q].end())
        it->second = clock;
    }
  }
  return llvm::Error::success();
}

llvm::Error Runner::deadlockError() const {
  // Each blocked queue head waits on some queue; following those edges from
  // any blocked head ends in a cycle or at a queue that has finished.
  std::string msg = "deadlock: no queue can make progress;";
  std::vector<int64_t> blockedOn(size_t(numQueues), -1);
  int64_t firstBlocked = -1;
  for (int64_t q = 0; q < numQueues; ++q) {
    if (next[q] >= streams[q].size())
      continue;
    uint32_t index = streams[q][next[q]];
    const Inst &inst = program.instructions[index];
    for (const isa::SemWait &w : inst.waits) {
      int64_t have = int64_t(semReachedNs[w.queue].size());
      if (w.value <= have)
        continue;
      msg += " " + describe(index) + " waits for " + isa::queueName(w.queue) +
             " >= " + std::to_string(w.value) + " (it is at " + std::to_string(have);
      if (next[w.queue] >= streams[w.queue].size())
        msg += " and its queue has finished";
      msg += ");";
      if (blockedOn[q] < 0)
        blockedOn[q] = w.queue;
    }
    if (firstBlocked < 0)
      firstBlocked = q;
  }
  // Report the cycle of waits, if there is one.
  std::vector<int> seen(size_t(numQueues), -1);
  std::vector<int64_t> path;
  for (int64_t q = firstBlocked; q >= 0 && blockedOn[q] >= 0; q = blockedOn[q]) {
    if (seen[q] >= 0) {
      msg += " cycle:";
      for (size_t i = size_t(seen[q]); i < path.size(); ++i)
        msg += " " + isa::queueName(path[i]) + " ->";
      msg += " " + isa::queueName(q);
      return llvm::createStringError(msg);
    }
    seen[q] = int(path.size());
    path.push_back(q);
  }
  msg.pop_back();
  return llvm::createStringError(msg);
}

llvm::Expected<RunResult> Runner::run(const std::map<std::string, HostTensor> &inputs) {
  if (auto e = checkTimingConfig(arch))
    return std::move(e);
  if (auto e = setUpMemories(inputs))
    return std::move(e);
  if (options.checkHazards)
    hazards.emplace(arch);

  size_t n = program.instructions.size();
  if (n > std::numeric_limits<uint32_t>::max())
    return llvm::createStringError("program has too many instructions (%zu)", n);
  streams.assign(size_t(numQueues), {});
  for (uint32_t i = 0; i < n; ++i) {
    const Inst &inst = program.instructions[i];
    if (inst.queue < 0 || inst.queue >= numQueues)
      return instError(i, llvm::createStringError("queue %lld does not exist on this target "
                                                  "(%lld queues)",
                                                  (long long)inst.queue, (long long)numQueues));
    for (const isa::SemWait &w : inst.waits)
      if (w.queue < 0 || w.queue >= numQueues)
        return instError(i, llvm::createStringError("waits on the semaphore of queue %lld, "
                                                    "which does not exist on this target",
                                                    (long long)w.queue));
    streams[inst.queue].push_back(i);
  }
  semClock.clear();
  semClock.resize(size_t(numQueues));
  if (hazards)
    for (const Inst &inst : program.instructions)
      for (const isa::SemWait &w : inst.waits)
        if (w.value > 0)
          semClock[w.queue].try_emplace(w.value);
  next.assign(size_t(numQueues), 0);
  semReachedNs.assign(size_t(numQueues), {});
  queueClock.assign(size_t(numQueues), std::vector<uint32_t>(size_t(numQueues), 0));
  result.timeline.assign(n, InstTiming());

  for (size_t done = 0; done < n; ++done) {
    // The head that can start earliest goes next (ties: program order), so
    // functional execution follows simulated time.
    int64_t bestQueue = -1, bestWaited = -1;
    double bestStart = 0;
    uint32_t bestIndex = 0;
    for (int64_t q = 0; q < numQueues; ++q) {
      if (next[q] >= streams[q].size())
        continue;
      uint32_t index = streams[q][next[q]];
      const Inst &inst = program.instructions[index];
      int64_t waited;
      std::optional<double> met = waitsMetNs(inst, &waited);
      if (!met)
        continue;
      double ready = timing.readyNs(inst);
      double start = std::max(ready, *met);
      if (*met <= ready)
        waited = -1;
      if (bestQueue < 0 || start < bestStart || (start == bestStart && index < bestIndex)) {
        bestQueue = q;
        bestStart = start;
        bestIndex = index;
        bestWaited = waited;
      }
    }
    if (bestQueue < 0)
      return deadlockError();
    if (options.maxInstructions && done >= options.maxInstructions)
      return llvm::createStringError("stopped after the instruction limit of %llu; %zu "
                                     "instructions not run",
                                     (unsigned long long)options.maxInstructions, n - done);
    if (auto e = step(bestIndex, bestStart, bestWaited))
      return std::move(e);
    ++next[bestQueue];
    if (options.maxCycles) {
      // Checked at the end of each instruction: one instruction can be long
      // (a large DMA), and simulated time is what a runaway program burns.
      double endCycles = result.timeline[bestIndex].endNs * arch.peClockGHz;
      if (endCycles > double(options.maxCycles))
        return llvm::createStringError(
            "%s ends at cycle %.0f, past the cycle limit of %llu (%s clock, %g GHz); %zu "
            "instructions not run",
            describe(bestIndex).c_str(), endCycles, (unsigned long long)options.maxCycles,
            "tensor engine", arch.peClockGHz, n - done - 1);
    }
  }

  for (int64_t q = 0; q < numQueues; ++q)
    if (timing.used(q))
      result.busyNsPerQueue[q] = timing.busyNs(q);
  if (!options.timingOnly)
    for (const TensorInfo &t : program.outputs)
      result.outputs[t.name] = readOutput(t, mem.hbm.data());
  return std::move(result);
}

} // namespace

llvm::Expected<RunResult> emu::run(const Program &program, const ArchConfig &arch,
                                   const std::map<std::string, HostTensor> &inputs,
                                   const RunOptions &options) {
  Runner runner(program, arch, options);
  return runner.run(inputs);
}

llvm::Expected<RunResult> emu::runReleasingConstants(Program &program, const ArchConfig &arch,
                                                     const std::map<std::string, HostTensor> &inputs,
                                                     const RunOptions &options) {
  Runner runner(program, arch, options, &program);
  return runner.run(inputs);
}
