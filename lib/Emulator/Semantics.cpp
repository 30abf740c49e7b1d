//===- Semantics.cpp - What each instruction does -------------------------===//
//
// For every opcode: a verify function (engine, spaces, shapes) and an execute
// function (its effect on the memory images). Generic operand checks (bounds,
// PSUM access from GpSimd) are shared. Dispatch is one switch per phase.
//
//===----------------------------------------------------------------------===//

#include "Semantics.h"
#include "trellis/Support/Sparsity.h"
#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <mutex>
#include <thread>

using namespace trellis;
using namespace trellis::emu;
using isa::AccessPattern;
using isa::EngineKind;
using isa::Inst;
using isa::Opcode;
using isa::Space;

// Limits that keep a malformed program from making the emulator run for
// hours or overflow: far above anything the hardware can express.
static constexpr int64_t kMaxElementsPerAccess = int64_t(1) << 31;
static constexpr int64_t kMaxAxisSize = int64_t(1) << 32;

template <typename... Ts> static llvm::Error fail(const char *fmt, const Ts &...vals) {
  return llvm::createStringError(fmt, vals...);
}

//===----------------------------------------------------------------------===//
// Operands
//===----------------------------------------------------------------------===//

llvm::SmallVector<Access, 3> emu::accessesOf(const Inst &inst) {
  llvm::SmallVector<Access, 3> a;
  auto read = [&](const AccessPattern &ap, const char *role) { a.push_back({&ap, role, false}); };
  auto write = [&](const AccessPattern &ap) { a.push_back({&ap, "dst", true}); };
  switch (inst.opcode) {
  case Opcode::dma:
  case Opcode::multiply_moving:
  case Opcode::multiply_moving_sparse:
  case Opcode::tensor_scalar:
  case Opcode::tensor_reduce:
  case Opcode::transpose:
  case Opcode::copy:
    read(inst.src0, "src0");
    write(inst.dst);
    break;
  case Opcode::activation:
    read(inst.src0, "src0");
    if (inst.src1.present())
      read(inst.src1, "src1");
    write(inst.dst);
    if (inst.accum.present())
      a.push_back({&inst.accum, "accum", true});
    break;
  case Opcode::tensor_tensor:
  case Opcode::dma_gather: // src0: the whole table, an over-approximation
    read(inst.src0, "src0");
    read(inst.src1, "src1");
    write(inst.dst);
    break;
  case Opcode::load_stationary:
    read(inst.src0, "src0");
    break;
  case Opcode::load_stationary_sparse:
    read(inst.src0, "src0");
    read(inst.src1, "src1");
    break;
  case Opcode::iota:
  case Opcode::memset:
    write(inst.dst);
    break;
  case Opcode::nop:
    break;
  }
  return a;
}

/// Shape sanity and bounds of one operand against its memory.
static llvm::Error checkOperand(const AccessPattern &ap, const char *role,
                                const MachineLimits &lim) {
  const ArchConfig &arch = *lim.arch;
  if (!ap.present())
    return fail("%s is missing (partition count %lld)", role, (long long)ap.partCount);
  if (ap.sizes.size() != ap.strides.size())
    return fail("%s has %zu sizes but %zu strides", role, ap.sizes.size(), ap.strides.size());
  int64_t elems = ap.partCount;
  for (int64_t s : ap.sizes) {
    if (s <= 0 || s > kMaxAxisSize)
      return fail("%s has free-axis size %lld", role, (long long)s);
    if (__builtin_mul_overflow(elems, s, &elems) || elems > kMaxElementsPerAccess)
      return fail("%s has more than %lld elements", role, (long long)kMaxElementsPerAccess);
  }
  // No operand may name more elements than its memory has bytes (only
  // broadcast patterns could): keeps a malformed pattern from allocating or
  // looping far beyond the machine.
  int64_t memBytes = ap.space == Space::hbm    ? lim.hbmSize
                     : ap.space == Space::sbuf ? arch.partitions * arch.sbufBytesPerPartition
                                               : arch.partitions * arch.psumBytesPerPartition;
  if (elems > std::max<int64_t>(memBytes, 1 << 16))
    return fail("%s names %lld elements, more than its memory has bytes", role,
                (long long)elems);
  int64_t lo, hi;
  int64_t eb = ap.elementBytes();
  if (!freeOffsetRange(ap, lo, hi) || __builtin_mul_overflow(lo, eb, &lo) ||
      __builtin_mul_overflow(hi, eb, &hi))
    return fail("%s free-axis strides overflow", role);
  std::string space = isa::stringifySpace(ap.space).str();
  // Elements are naturally aligned: strides count whole elements, so only
  // the start can be off. The compiler allocates at 64 bytes.
  if (ap.offset % eb != 0)
    return fail("%s %s byte offset %lld is not a multiple of its %lld-byte element", role,
                space.c_str(), (long long)ap.offset, (long long)eb);

  if (ap.space == Space::hbm) {
    int64_t span, plo = 0, phi = 0;
    if (__builtin_mul_overflow(ap.partCount - 1, ap.partStride, &span) ||
        __builtin_mul_overflow(span, eb, &span))
      return fail("%s partition stride overflows", role);
    (span < 0 ? plo : phi) = span;
    int64_t first = ap.offset + plo + lo, last = ap.offset + phi + hi + eb;
    if (first < 0 || last > lim.hbmSize)
      return fail("%s hbm bytes [%lld, %lld) outside the program's %lld-byte HBM", role,
                  (long long)first, (long long)last, (long long)lim.hbmSize);
    return llvm::Error::success();
  }

  int64_t partBytes =
      ap.space == Space::sbuf ? arch.sbufBytesPerPartition : arch.psumBytesPerPartition;
  if (ap.partStart < 0 || ap.partStart > arch.partitions - ap.partCount)
    return fail("%s %s partitions [%lld, %lld) outside the %lld partitions", role, space.c_str(),
                (long long)ap.partStart, (long long)(ap.partStart + ap.partCount),
                (long long)arch.partitions);
  int64_t first = ap.offset + lo, last = ap.offset + hi + eb;
  if (first < 0 || last > partBytes)
    return fail("%s %s bytes [%lld, %lld) outside the %lld-byte partition", role, space.c_str(),
                (long long)first, (long long)last, (long long)partBytes);
  return llvm::Error::success();
}

static llvm::Error requireSpace(const AccessPattern &ap, const char *role,
                                std::initializer_list<Space> allowed, const char *opname) {
  for (Space s : allowed)
    if (ap.space == s)
      return llvm::Error::success();
  return fail("%s may not have its %s in %s", opname, role,
              isa::stringifySpace(ap.space).str().c_str());
}

static llvm::Error requireSameShape(const AccessPattern &a, const char *ra,
                                    const AccessPattern &b, const char *rb) {
  if (a.partCount != b.partCount || freeCount(a) != freeCount(b))
    return fail("%s is %lld x %lld elements but %s is %lld x %lld", ra, (long long)a.partCount,
                (long long)freeCount(a), rb, (long long)b.partCount, (long long)freeCount(b));
  return llvm::Error::success();
}

//===----------------------------------------------------------------------===//
// Per-opcode verification
//===----------------------------------------------------------------------===//

static constexpr std::initializer_list<Space> kOnChip = {Space::sbuf, Space::psum};

static llvm::Error verifyDma(const Inst &I, const MachineLimits &) {
  // DMA moves data between HBM and SBUF (or within either); PSUM is reached
  // by the compute engines only.
  if (auto e = requireSpace(I.dst, "dst", {Space::hbm, Space::sbuf}, "dma"))
    return e;
  if (auto e = requireSpace(I.src0, "src0", {Space::hbm, Space::sbuf}, "dma"))
    return e;
  return requireSameShape(I.dst, "dst", I.src0, "src0");
}

static llvm::Error verifyDmaGather(const Inst &I, const MachineLimits &) {
  if (auto e = requireSpace(I.dst, "dst", {Space::sbuf}, "dma_gather"))
    return e;
  if (auto e = requireSpace(I.src0, "src0", {Space::hbm}, "dma_gather"))
    return e;
  if (auto e = requireSpace(I.src1, "src1", {Space::sbuf}, "dma_gather"))
    return e;
  if (I.src1.dtype != isa::DType::i32 && I.src1.dtype != isa::DType::i64)
    return fail("dma_gather indices must be i32 or i64, not %s",
                isa::stringifyDType(I.src1.dtype).str().c_str());
  if (I.src1.partCount != I.dst.partCount || freeCount(I.src1) != 1)
    return fail("dma_gather needs one index per dst partition: src1 is %lld x %lld, dst has "
                "%lld partitions",
                (long long)I.src1.partCount, (long long)freeCount(I.src1),
                (long long)I.dst.partCount);
  if (freeCount(I.src0) != freeCount(I.dst))
    return fail("dma_gather table rows have %lld elements but dst partitions %lld",
                (long long)freeCount(I.src0), (long long)freeCount(I.dst));
  return llvm::Error::success();
}

static llvm::Error verifyLoadStationary(const Inst &I, const MachineLimits &lim) {
  if (auto e = requireSpace(I.src0, "src0", {Space::sbuf}, "load_stationary"))
    return e;
  if (I.src0.partCount > lim.arch->peRows || freeCount(I.src0) > lim.arch->peCols)
    return fail("load_stationary of %lld x %lld exceeds the %lld x %lld PE array",
                (long long)I.src0.partCount, (long long)freeCount(I.src0),
                (long long)lim.arch->peRows, (long long)lim.arch->peCols);
  return llvm::Error::success();
}

/// Both multiplies: the moving tensor in SBUF, an f32 destination in PSUM.
static llvm::Error verifyMovingOperands(const Inst &I, const char *what) {
  if (auto e = requireSpace(I.src0, "src0", {Space::sbuf}, what))
    return e;
  if (auto e = requireSpace(I.dst, "dst", {Space::psum}, what))
    return e;
  if (I.dst.dtype != isa::DType::f32)
    return fail("%s accumulates in f32, not %s", what,
                isa::stringifyDType(I.dst.dtype).str().c_str());
  return llvm::Error::success();
}

/// Both multiplies: a destination of the stationary's M partitions and N
/// f32 columns inside one PSUM bank.
static llvm::Error verifyPsumDestination(const Inst &I, const MachineLimits &lim,
                                         const PEState &pe, int64_t n, const char *what) {
  if (I.dst.partCount != pe.cols)
    return fail("%s dst has %lld partitions but the stationary has M = %lld", what,
                (long long)I.dst.partCount, (long long)pe.cols);
  int64_t bank = lim.arch->psumBankBytes();
  if (n * 4 > bank)
    return fail("%s N = %lld exceeds one %lld-byte PSUM bank", what, (long long)n,
                (long long)bank);
  int64_t lo, hi;
  freeOffsetRange(I.dst, lo, hi);
  int64_t first = I.dst.offset + lo * 4, last = I.dst.offset + hi * 4 + 3;
  if (bank > 0 && first / bank != last / bank)
    return fail("%s dst bytes [%lld, %lld) cross a PSUM bank boundary", what,
                (long long)first, (long long)last + 1);
  return llvm::Error::success();
}

static llvm::Error verifyMultiplyMoving(const Inst &I, const MachineLimits &lim,
                                        const PEState &pe) {
  if (auto e = verifyMovingOperands(I, "multiply_moving"))
    return e;
  if (!pe.loaded)
    return fail("multiply_moving with no stationary matrix loaded");
  if (pe.keep)
    return fail("multiply_moving after load_stationary_sparse (use multiply_moving_sparse)");
  int64_t n = freeCount(I.src0);
  if (I.src0.partCount != pe.rows)
    return fail("multiply_moving moving K = %lld but the stationary has K = %lld",
                (long long)I.src0.partCount, (long long)pe.rows);
  if (freeCount(I.dst) != n)
    return fail("multiply_moving dst has %lld free elements but moving has N = %lld",
                (long long)freeCount(I.dst), (long long)n);
  return verifyPsumDestination(I, lim, pe, n, "multiply_moving");
}

static llvm::Error verifySparsePattern(const Inst &I, const MachineLimits &lim,
                                       const char *what) {
  std::string pat = std::to_string(I.keep) + ":" + std::to_string(I.group);
  for (const std::string &p : lim.arch->sparsityPatterns)
    if (p == pat)
      return llvm::Error::success();
  return fail("%s: target %s has no %s structured sparsity", what, lim.arch->name.c_str(),
              pat.c_str());
}

static llvm::Error verifyLoadStationarySparse(const Inst &I, const MachineLimits &lim) {
  if (auto e = verifySparsePattern(I, lim, "load_stationary_sparse"))
    return e;
  if (auto e = requireSpace(I.src0, "src0", {Space::sbuf}, "load_stationary_sparse"))
    return e;
  if (auto e = requireSpace(I.src1, "src1", {Space::sbuf}, "load_stationary_sparse"))
    return e;
  int64_t kc = I.src0.partCount, m = freeCount(I.src0);
  if (kc > lim.arch->peRows || m > lim.arch->peCols)
    return fail("load_stationary_sparse of %lld x %lld exceeds the %lld x %lld PE array",
                (long long)kc, (long long)m, (long long)lim.arch->peRows,
                (long long)lim.arch->peCols);
  if (kc % I.keep)
    return fail("load_stationary_sparse: %lld compressed rows are not whole groups of %lld",
                (long long)kc, (long long)I.keep);
  if (I.src1.dtype != isa::DType::i16 || I.src1.partCount != kc ||
      freeCount(I.src1) != (m + 3) / 4)
    return fail("load_stationary_sparse tags must be i16 [%lld, %lld]", (long long)kc,
                (long long)(m + 3) / 4);
  return llvm::Error::success();
}

static llvm::Error verifyMultiplyMovingSparse(const Inst &I, const MachineLimits &lim,
                                              const PEState &pe) {
  if (auto e = verifyMovingOperands(I, "multiply_moving_sparse"))
    return e;
  if (!pe.loaded || pe.keep == 0)
    return fail("multiply_moving_sparse with no sparse stationary matrix loaded");
  if (pe.keep != I.keep || pe.group != I.group)
    return fail("multiply_moving_sparse pattern %lld:%lld but the stationary is %lld:%lld",
                (long long)I.keep, (long long)I.group, (long long)pe.keep, (long long)pe.group);
  int64_t ratio = I.group / I.keep, free = freeCount(I.src0);
  if (I.src0.partCount != pe.rows)
    return fail("multiply_moving_sparse moving has %lld partitions but the stationary %lld "
                "compressed rows",
                (long long)I.src0.partCount, (long long)pe.rows);
  if (free % ratio || freeCount(I.dst) != free / ratio)
    return fail("multiply_moving_sparse moving has %lld elements per partition, not %lld x "
                "the %lld dst columns",
                (long long)free, (long long)ratio, (long long)freeCount(I.dst));
  return verifyPsumDestination(I, lim, pe, free / ratio, "multiply_moving_sparse");
}

static llvm::Error verifyActivation(const Inst &I, const MachineLimits &) {
  if (auto e = requireSameShape(I.dst, "dst", I.src0, "src0"))
    return e;
  if (I.src1.present() &&
      (I.src1.partCount != I.dst.partCount || freeCount(I.src1) != 1))
    return fail("activation bias must be a [%lld, 1] column, not [%lld, %lld]",
                (long long)I.dst.partCount, (long long)I.src1.partCount,
                (long long)freeCount(I.src1));
  if (I.accum.present() &&
      (I.accum.partCount != I.dst.partCount || freeCount(I.accum) != 1))
    return fail("activation accum must be a [%lld, 1] column, not [%lld, %lld]",
                (long long)I.dst.partCount, (long long)I.accum.partCount,
                (long long)freeCount(I.accum));
  return llvm::Error::success();
}

static llvm::Error verifyTensorTensor(const Inst &I, const MachineLimits &) {
  if (auto e = requireSameShape(I.dst, "dst", I.src0, "src0"))
    return e;
  return requireSameShape(I.dst, "dst", I.src1, "src1");
}

static llvm::Error verifyUnary(const Inst &I, const MachineLimits &) {
  return requireSameShape(I.dst, "dst", I.src0, "src0");
}

static llvm::Error verifyTensorReduce(const Inst &I, const MachineLimits &) {
  int64_t inner = I.src0.sizes.empty() ? 1 : I.src0.sizes.back();
  if (I.dst.partCount != I.src0.partCount || freeCount(I.dst) * inner != freeCount(I.src0))
    return fail("tensor_reduce dst is %lld x %lld but src0 %lld x %lld reduced over its "
                "innermost %lld gives %lld x %lld",
                (long long)I.dst.partCount, (long long)freeCount(I.dst),
                (long long)I.src0.partCount, (long long)freeCount(I.src0), (long long)inner,
                (long long)I.src0.partCount, (long long)(freeCount(I.src0) / inner));
  return llvm::Error::success();
}

static llvm::Error verifyTranspose(const Inst &I, const MachineLimits &) {
  int64_t p = I.src0.partCount, f = freeCount(I.src0);
  if (p > 32 || f > 32)
    return fail("transpose source %lld x %lld exceeds 32 x 32", (long long)p, (long long)f);
  if (I.dst.partCount != f || freeCount(I.dst) != p)
    return fail("transpose dst is %lld x %lld, expected %lld x %lld",
                (long long)I.dst.partCount, (long long)freeCount(I.dst), (long long)f,
                (long long)p);
  return llvm::Error::success();
}

/// The engines allowed to run an opcode (DESIGN.md §1, IsaOps.td).
static bool engineAllowed(Opcode op, EngineKind k) {
  switch (op) {
  case Opcode::dma:
  case Opcode::dma_gather:
    return k == EngineKind::dma;
  case Opcode::load_stationary:
  case Opcode::multiply_moving:
  case Opcode::load_stationary_sparse:
  case Opcode::multiply_moving_sparse:
    return k == EngineKind::pe;
  case Opcode::activation:
    return k == EngineKind::act;
  case Opcode::nop:
    return true;
  default: // element-wise work: any of the vector-style engines
    return k == EngineKind::act || k == EngineKind::dve || k == EngineKind::pool ||
           k == EngineKind::sp;
  }
}

static const char *engineList(Opcode op) {
  switch (op) {
  case Opcode::dma:
  case Opcode::dma_gather:
    return "a DMA queue";
  case Opcode::load_stationary:
  case Opcode::multiply_moving:
  case Opcode::load_stationary_sparse:
  case Opcode::multiply_moving_sparse:
    return "pe";
  case Opcode::activation:
    return "act";
  default:
    return "act, dve, pool or sp";
  }
}

llvm::Error emu::verifyInst(const Inst &I, const MachineLimits &lim, const PEState &pe) {
  if (I.queue < 0 || I.queue >= lim.numQueues)
    return fail("queue %lld does not exist on this target (%lld queues)", (long long)I.queue,
                (long long)lim.numQueues);
  for (const isa::SemWait &w : I.waits)
    if (w.queue < 0 || w.queue >= lim.numQueues)
      return fail("waits on semaphore of nonexistent queue %lld", (long long)w.queue);
  EngineKind kind = isa::queueKind(I.queue);
  auto opname = [&] { return isa::stringifyOpcode(I.opcode).str(); };
  if (!engineAllowed(I.opcode, kind))
    return fail("%s cannot run on %s (needs %s)", opname().c_str(),
                isa::queueName(I.queue).c_str(), engineList(I.opcode));

  for (const Access &a : accessesOf(I)) {
    if (auto e = checkOperand(*a.ap, a.role, lim))
      return e;
    if (kind != EngineKind::dma && a.ap->space == Space::hbm)
      return fail("%s %s is in hbm; compute engines reach SBUF and PSUM only", opname().c_str(),
                  a.role);
    if (kind == EngineKind::pool && a.ap->space == Space::psum)
      return fail("GpSimd (pool) cannot access PSUM (%s)", a.role);
  }

  switch (I.opcode) {
  case Opcode::dma:
    return verifyDma(I, lim);
  case Opcode::dma_gather:
    return verifyDmaGather(I, lim);
  case Opcode::load_stationary:
    return verifyLoadStationary(I, lim);
  case Opcode::multiply_moving:
    return verifyMultiplyMoving(I, lim, pe);
  case Opcode::load_stationary_sparse:
    return verifyLoadStationarySparse(I, lim);
  case Opcode::multiply_moving_sparse:
    return verifyMultiplyMovingSparse(I, lim, pe);
  case Opcode::activation:
    return verifyActivation(I, lim);
  case Opcode::tensor_tensor:
    return verifyTensorTensor(I, lim);
  case Opcode::tensor_scalar:
  case Opcode::copy:
    return verifyUnary(I, lim);
  case Opcode::tensor_reduce:
    return verifyTensorReduce(I, lim);
  case Opcode::transpose:
    return verifyTranspose(I, lim);
  case Opcode::iota:
  case Opcode::memset:
  case Opcode::nop:
    return llvm::Error::success();
  }
  return fail("unknown opcode %d", int(I.opcode));
}

//===----------------------------------------------------------------------===//
// Scalar function tables
//===----------------------------------------------------------------------===//

float emu::applyActFunc(isa::ActFunc f, float x) {
  using isa::ActFunc;
  switch (f) {
  case ActFunc::identity:
    return x;
  case ActFunc::relu:
    return x > 0.0f ? x : 0.0f;
  case ActFunc::gelu:
    return 0.5f * x * (1.0f + std::erf(x * 0.70710678118654752f));
  case ActFunc::gelu_tanh: {
    const float c = 0.79788456080286536f; // sqrt(2/pi)
    return 0.5f * x * (1.0f + std::tanh(c * (x + 0.044715f * x * x * x)));
  }
  case ActFunc::sigmoid:
    return 1.0f / (1.0f + std::exp(-x));
  case ActFunc::tanh:
    return std::tanh(x);
  case ActFunc::exp:
    return std::exp(x);
  case ActFunc::silu:
    return x / (1.0f + std::exp(-x));
  case ActFunc::rsqrt:
    return 1.0f / std::sqrt(x);
  case ActFunc::reciprocal:
    return 1.0f / x;
  case ActFunc::square:
    return x * x;
  case ActFunc::sqrt:
    return std::sqrt(x);
  case ActFunc::log:
    return std::log(x);
  case ActFunc::abs:
    return std::fabs(x);
  case ActFunc::erf:
    return std::erf(x);
  case ActFunc::softplus:
    // log(1 + e^x) without overflow for large x.
    return x > 20.0f ? x : std::log1p(std::exp(x));
  }
  return x;
}

float emu::applyAluOp(isa::AluOp op, float a, float b) {
  using isa::AluOp;
  switch (op) {
  case AluOp::bypass:
    return a;
  case AluOp::add:
    return a + b;
  case AluOp::subtract:
    return a - b;
  case AluOp::mult:
    return a * b;
  case AluOp::divide:
    return a / b;
  case AluOp::max:
    return std::fmax(a, b);
  case AluOp::min:
    return std::fmin(a, b);
  case AluOp::pow:
    return std::pow(a, b);
  case AluOp::is_equal:
    return a == b ? 1.0f : 0.0f;
  case AluOp::not_equal:
    return a != b ? 1.0f : 0.0f;
  case AluOp::is_gt:
    return a > b ? 1.0f : 0.0f;
  case AluOp::is_ge:
    return a >= b ? 1.0f : 0.0f;
  case AluOp::is_lt:
    return a < b ? 1.0f : 0.0f;
  case AluOp::is_le:
    return a <= b ? 1.0f : 0.0f;
  case AluOp::logical_and:
    return (a != 0.0f && b != 0.0f) ? 1.0f : 0.0f;
  case AluOp::logical_or:
    return (a != 0.0f || b != 0.0f) ? 1.0f : 0.0f;
  case AluOp::abs_max:
    return std::fmax(std::fabs(a), std::fabs(b));
  }
  return a;
}

//===----------------------------------------------------------------------===//
// Matmul kernel
//===----------------------------------------------------------------------===//

// Register-blocked: a 4 x 16 block of outputs lives in registers while k
// runs, and a 16-column strip of the moving tensor (K x 64 bytes) stays in L1
// across all output rows. Each output still accumulates over k in order, so
// the result is bit-identical to the naive loop whatever the vector width;
// the AVX2 clone (no FMA contraction) only changes speed.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define TRELLIS_MATMUL_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define TRELLIS_MATMUL_CLONES
#endif

/// The unblocked loop for the ragged edges: rows [m0, m1), columns [j0, j1).
static void matmulEdge(const float *__restrict statT, const float *__restrict mov,
                       float *__restrict out, int64_t K, int64_t N, int64_t m0, int64_t m1,
                       int64_t j0, int64_t j1) {
  for (int64_t m = m0; m < m1; ++m) {
    const float *w = statT + m * K;
    float *o = out + m * N;
    for (int64_t k = 0; k < K; ++k) {
      const float *r = mov + k * N;
      float a = w[k];
      for (int64_t j = j0; j < j1; ++j)
        o[j] += a * r[j];
    }
  }
}

namespace {
// Eight floats; GCC/Clang lower it to one AVX register or two SSE ones.
// Loads and stores go through memcpy (unaligned, no aliasing games).
typedef float V8 __attribute__((vector_size(32)));
} // namespace

TRELLIS_MATMUL_CLONES
void emu::matmulAccumulate(const float *__restrict statT, const float *__restrict mov,
                           float *__restrict out, int64_t M, int64_t K, int64_t N) {
  constexpr int64_t MR = 4, NR = 16;
  int64_t mMain = M / MR * MR, nMain = N / NR * NR;
  for (int64_t j0 = 0; j0 < nMain; j0 += NR)
    for (int64_t m = 0; m < mMain; m += MR) {
      V8 acc[MR][2];
      for (int64_t i = 0; i < MR; ++i) {
        std::memcpy(&acc[i][0], out + (m + i) * N + j0, sizeof(V8));
        std::memcpy(&acc[i][1], out + (m + i) * N + j0 + 8, sizeof(V8));
      }
      const float *w0 = statT + m * K;
      for (int64_t k = 0; k < K; ++k) {
        V8 r0, r1;
        std::memcpy(&r0, mov + k * N + j0, sizeof(V8));
        std::memcpy(&r1, mov + k * N + j0 + 8, sizeof(V8));
        for (int64_t i = 0; i < MR; ++i) {
          V8 a = V8{} + w0[i * K + k];
          acc[i][0] += a * r0;
          acc[i][1] += a * r1;
        }
      }
      for (int64_t i = 0; i < MR; ++i) {
        std::memcpy(out + (m + i) * N + j0, &acc[i][0], sizeof(V8));
        std::memcpy(out + (m + i) * N + j0 + 8, &acc[i][1], sizeof(V8));
      }
    }
  matmulEdge(statT, mov, out, K, N, 0, mMain, nMain, N);
  matmulEdge(statT, mov, out, K, N, mMain, M, 0, N);
}

namespace {
/// One helper thread that takes half of a large matmul's output rows. Each
/// output element is still computed by exactly one thread with the same
/// k-ascending accumulation, so results do not depend on the split.
class HelperThread {
public:
  HelperThread() : thread([this] { loop(); }) {}
  ~HelperThread() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      quit = true;
    }
    wake.notify_one();
    thread.join();
  }
  void start(std::function<void()> f) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      task = std::move(f);
      pending = true;
      finished = false;
    }
    wake.notify_one();
  }
  void wait() {
    std::unique_lock<std::mutex> lock(mutex);
    done.wait(lock, [&] { return finished; });
  }

private:
  void loop() {
    std::unique_lock<std::mutex> lock(mutex);
    while (true) {
      wake.wait(lock, [&] { return pending || quit; });
      if (!pending)
        return;
      std::function<void()> f = std::move(task);
      pending = false;
      lock.unlock();
      f();
      lock.lock();
      finished = true;
      done.notify_one();
    }
  }
  std::mutex mutex;
  std::condition_variable wake, done;
  std::function<void()> task;
  bool pending = false, finished = false, quit = false;
  std::thread thread;
};
} // namespace

void emu::matmulAccumulateThreaded(const float *statT, const float *mov, float *out, int64_t M,
                                   int64_t K, int64_t N) {
  // Worth a thread hand-off (some microseconds) from about 2M multiply-adds
  // (a 128 x 128 x 128 tile), and only with a second core.
  static const bool twoCores = std::thread::hardware_concurrency() > 1;
  if (!twoCores || M < 8 || M * K * N < (int64_t(1) << 21))
    return matmulAccumulate(statT, mov, out, M, K, N);
  static HelperThread helper;
  int64_t m1 = (M / 2 + 3) / 4 * 4; // whole 4-row blocks for the first half
  helper.start([=] { matmulAccumulate(statT + m1 * K, mov, out + m1 * N, M - m1, K, N); });
  matmulAccumulate(statT, mov, out, m1, K, N);
  helper.wait();
}

//===----------------------------------------------------------------------===//
// Per-opcode execution
//===----------------------------------------------------------------------===//

namespace {
/// Scratch rows reused across instructions of one run.
struct Rows {
  std::vector<float> a, b, c;
  std::vector<uint8_t> bytes;
};
} // namespace

static Rows &scratch() {
  static thread_local Rows rows;
  return rows;
}

static bool sameBytesMayOverlap(const AccessPattern &a, const AccessPattern &b) {
  // Distinct SBUF/PSUM partitions never alias; only HBM "partitions" can.
  return a.space == Space::hbm && b.space == Space::hbm;
}

/// The size and stride (elements) of `ap`'s one free axis, ignoring unit
/// axes; false when it has several.
static bool singleAxis(const AccessPattern &ap, int64_t &size, int64_t &stride) {
  size = 1;
  stride = 1;
  bool found = false;
  for (size_t d = 0; d < ap.sizes.size(); ++d) {
    if (ap.sizes[d] == 1)
      continue;
    if (found)
      return false;
    found = true;
    size = ap.sizes[d];
    stride = ap.strides[d];
  }
  return true;
}

/// Whether the [parts, n] elements of `ap` (one free axis of `stride`) are
/// pairwise distinct bytes, so that the order of writing them is free.
static bool distinctElements(const AccessPattern &ap, int64_t parts, int64_t n, int64_t stride) {
  if (n > 1 && stride == 0)
    return false;
  if (ap.space != Space::hbm || parts == 1)
    return true; // SBUF partitions are separate lines
  int64_t ps = std::abs(ap.partStride), fs = std::abs(stride);
  return ps != 0 && (n == 1 || fs >= parts * ps || ps >= n * fs);
}

/// dst[p, i] = src[p, i] for [parts, n] elements of `eb` bytes on single
/// strided axes (byte strides), in 32 x 32 blocks so that a transposing
/// copy (one side's partition axis contiguous in memory) keeps both sides'
/// lines in cache.
static void copyBlocked(const Operand &d, int64_t dStride, const Operand &s, int64_t sStride,
                        int64_t parts, int64_t n, int64_t eb) {
  constexpr int64_t B = 32;
  auto blocks = [&](auto tag) {
    constexpr size_t k = sizeof(tag);
    for (int64_t p0 = 0; p0 < parts; p0 += B)
      for (int64_t i0 = 0; i0 < n; i0 += B) {
        int64_t p1 = std::min(parts, p0 + B), i1 = std::min(n, i0 + B);
        for (int64_t i = i0; i < i1; ++i)
          for (int64_t p = p0; p < p1; ++p)
            std::memcpy(d.row(p) + i * dStride, s.row(p) + i * sStride, k);
      }
  };
  withElementWord(eb, blocks);
}

static void execDma(const Inst &I, Memories &mem) {
  Operand d = resolve(mem, I.dst), s = resolve(mem, I.src0);
  int64_t parts = I.dst.partCount, n = freeCount(I.dst);
  Rows &r = scratch();
  if (I.dst.dtype == I.src0.dtype) {
    int64_t rowBytes = n * I.dst.elementBytes();
    if (sameBytesMayOverlap(I.dst, I.src0)) {
      // Copy through a full buffer so overlapping HBM ranges behave as memmove.
      r.bytes.resize(size_t(parts * rowBytes));
      for (int64_t p = 0; p < parts; ++p)
        loadRowBytes(s, p, r.bytes.data() + p * rowBytes);
      for (int64_t p = 0; p < parts; ++p)
        storeRowBytes(d, p, r.bytes.data() + p * rowBytes);
      return;
    }
    if (isDenseRow(I.dst) && isDenseRow(I.src0)) { // row to row, no staging
      for (int64_t p = 0; p < parts; ++p)
        std::memmove(d.row(p), s.row(p), size_t(rowBytes));
      return;
    }
    // Between HBM and SBUF (no aliasing) with distinct destination bytes,
    // the order is free: a strided (e.g. transposing) copy goes in blocks.
    int64_t dn, dStride, sn, sStride;
    if (parts > 1 && I.dst.space != I.src0.space && singleAxis(I.dst, dn, dStride) &&
        singleAxis(I.src0, sn, sStride) && distinctElements(I.dst, parts, n, dStride)) {
      int64_t eb = I.dst.elementBytes();
      copyBlocked(d, dStride * eb, s, sStride * eb, parts, n, eb);
      return;
    }
    r.bytes.resize(size_t(rowBytes));
    for (int64_t p = 0; p < parts; ++p) {
      loadRowBytes(s, p, r.bytes.data());
      storeRowBytes(d, p, r.bytes.data());
    }
    return;
  }
  // Casting DMA: through fp32.
  bool whole = sameBytesMayOverlap(I.dst, I.src0);
  r.a.resize(size_t(whole ? parts * n : n));
  for (int64_t p = 0; p < parts; ++p) {
    float *row = r.a.data() + (whole ? p * n : 0);
    loadRow(s, p, row);
    if (!whole)
      storeRow(d, p, row);
  }
  if (whole)
    for (int64_t p = 0; p < parts; ++p)
      storeRow(d, p, r.a.data() + p * n);
}

static llvm::Error execDmaGather(const Inst &I, Memories &mem) {
  Operand d = resolve(mem, I.dst), table = resolve(mem, I.src0), idx = resolve(mem, I.src1);
  int64_t n = freeCount(I.dst), rows = I.src0.partCount;
  Rows &r = scratch();
  bool sameType = I.dst.dtype == I.src0.dtype;
  r.bytes.resize(size_t(n * I.dst.elementBytes()));
  r.a.resize(size_t(n));
  for (int64_t p = 0; p < I.dst.partCount; ++p) {
    int64_t row;
    if (I.src1.dtype == isa::DType::i64) {
      std::memcpy(&row, idx.row(p), 8);
    } else {
      int32_t v;
      std::memcpy(&v, idx.row(p), 4);
      row = v;
    }
    if (row < 0 || row >= rows)
      return fail("dma_gather index %lld (partition %lld) is outside the table's %lld rows",
                  (long long)row, (long long)p, (long long)rows);
    if (sameType) {
      loadRowBytes(table, row, r.bytes.data());
      storeRowBytes(d, p, r.bytes.data());
    } else {
      loadRow(table, row, r.a.data());
      storeRow(d, p, r.a.data());
    }
  }
  return llvm::Error::success();
}

static void execLoadStationary(const Inst &I, Memories *mem, PEState &pe) {
  int64_t K = I.src0.partCount, M = freeCount(I.src0);
  pe.loaded = true;
  pe.rows = K;
  pe.cols = M;
  if (!mem)
    return;
  Operand s = resolve(*mem, I.src0);
  pe.transposed.assign(size_t(M * K), 0.0f);
  std::vector<float> &row = scratch().a;
  row.resize(size_t(M));
  for (int64_t k = 0; k < K; ++k) {
    loadRow(s, k, row.data());
    for (int64_t m = 0; m < M; ++m)
      pe.transposed[size_t(m * K + k)] = row[size_t(m)];
  }
}

/// psum[M, N] (+)= the latched stationary^T @ the moving [K, N] in r.a
/// (dense and sparse MMs alike: same kernel, k ascending).
static void accumulateIntoPsum(const Inst &I, Memories &mem, const PEState &pe, Rows &r,
                               int64_t K, int64_t N) {
  int64_t M = pe.cols;
  Operand d = resolve(mem, I.dst);
  r.c.resize(size_t(M * N));
  if (I.start)
    std::fill(r.c.begin(), r.c.end(), 0.0f);
  else
    for (int64_t m = 0; m < M; ++m)
      loadRow(d, m, r.c.data() + m * N);
  matmulAccumulateThreaded(pe.transposed.data(), r.a.data(), r.c.data(), M, K, N);
  for (int64_t m = 0; m < M; ++m)
    storeRow(d, m, r.c.data() + m * N);
}

static void execMultiplyMoving(const Inst &I, Memories &mem, const PEState &pe) {
  int64_t K = pe.rows, N = freeCount(I.src0);
  Operand s = resolve(mem, I.src0);
  Rows &r = scratch();
  r.a.resize(size_t(K * N));
  for (int64_t k = 0; k < K; ++k)
    loadRow(s, k, r.a.data() + k * N);
  accumulateIntoPsum(I, mem, pe, r, K, N);
}

/// Latches the decompressed [M][Kc / keep * group] matrix, so the sparse
/// MM is exactly the dense MM over the pruned weights (same kernel, same
/// k-ascending accumulation; the zeros are multiplied too).
static llvm::Error execLoadStationarySparse(const Inst &I, Memories *mem, PEState &pe) {
  int64_t kc = I.src0.partCount, M = freeCount(I.src0);
  pe.loaded = true;
  pe.rows = kc;
  pe.cols = M;
  pe.keep = I.keep;
  pe.group = I.group;
  if (!mem)
    return llvm::Error::success();
  Operand s = resolve(*mem, I.src0), t = resolve(*mem, I.src1);
  int64_t words = freeCount(I.src1);
  std::vector<float> values(size_t(kc * M));
  std::vector<uint16_t> tags(size_t(kc * words));
  for (int64_t k = 0; k < kc; ++k) {
    loadRow(s, k, values.data() + k * M);
    loadRowBytes(t, k, reinterpret_cast<uint8_t *>(tags.data() + k * words));
  }
  auto dense = sparsity::decompress(values.data(), tags.data(), kc, M, {I.keep, I.group});
  if (!dense)
    return dense.takeError();
  int64_t K = kc / I.keep * I.group;
  pe.transposed.assign(size_t(M * K), 0.0f);
  for (int64_t k = 0; k < K; ++k)
    for (int64_t m = 0; m < M; ++m)
      pe.transposed[size_t(m * K + k)] = (*dense)[size_t(k * M + m)];
  return llvm::Error::success();
}

/// Partition p of the moving [Kc, ratio * N] holds rows p*ratio .. p*ratio +
/// ratio - 1: read row-major, it is the dense [Kc * ratio, N] moving matrix.
static void execMultiplyMovingSparse(const Inst &I, Memories &mem, const PEState &pe) {
  int64_t ratio = I.group / I.keep, K = pe.rows * ratio;
  int64_t N = freeCount(I.src0) / ratio;
  Operand s = resolve(mem, I.src0);
  Rows &r = scratch();
  r.a.resize(size_t(K * N));
  for (int64_t p = 0; p < pe.rows; ++p)
    loadRow(s, p, r.a.data() + p * ratio * N);
  accumulateIntoPsum(I, mem, pe, r, K, N);
}

static void execActivation(const Inst &I, Memories &mem) {
  Operand s = resolve(mem, I.src0), d = resolve(mem, I.dst);
  int64_t n = freeCount(I.dst);
  Operand b = I.src1.present() ? resolve(mem, I.src1) : Operand();
  Rows &r = scratch();
  r.a.resize(size_t(n));
  Operand acc = I.accum.present() ? resolve(mem, I.accum) : Operand();
  for (int64_t p = 0; p < I.dst.partCount; ++p) {
    float bias = 0.0f;
    if (b.ap)
      loadRow(b, p, &bias);
    loadRow(s, p, r.a.data());
    float sum = 0.0f; // fp32, in free-axis order
    for (float &x : r.a) {
      x = applyActFunc(I.func, x * I.scale + bias);
      sum += x;
    }
    storeRow(d, p, r.a.data());
    // The sum is of the fp32 results, before they are rounded to dst's type.
    if (acc.ap)
      storeRow(acc, p, &sum);
  }
}

static void execTensorTensor(const Inst &I, Memories &mem) {
  Operand s0 = resolve(mem, I.src0), s1 = resolve(mem, I.src1), d = resolve(mem, I.dst);
  int64_t n = freeCount(I.dst);
  Rows &r = scratch();
  r.a.resize(size_t(n));
  r.b.resize(size_t(n));
  for (int64_t p = 0; p < I.dst.partCount; ++p) {
    loadRow(s0, p, r.a.data());
    loadRow(s1, p, r.b.data());
    for (int64_t i = 0; i < n; ++i)
      r.a[size_t(i)] = applyAluOp(I.op0, r.a[size_t(i)], r.b[size_t(i)]);
    storeRow(d, p, r.a.data());
  }
}

static void execTensorScalar(const Inst &I, Memories &mem) {
  Operand s = resolve(mem, I.src0), d = resolve(mem, I.dst);
  int64_t n = freeCount(I.dst);
  std::vector<float> &row = scratch().a;
  row.resize(size_t(n));
  for (int64_t p = 0; p < I.dst.partCount; ++p) {
    loadRow(s, p, row.data());
    for (float &x : row) {
      x = applyAluOp(I.op0, x, I.imm0);
      if (I.op1 != isa::AluOp::bypass)
        x = applyAluOp(I.op1, x, I.imm1);
    }
    storeRow(d, p, row.data());
  }
}

static void execTensorReduce(const Inst &I, Memories &mem) {
  Operand s = resolve(mem, I.src0), d = resolve(mem, I.dst);
  int64_t inner = I.src0.sizes.empty() ? 1 : I.src0.sizes.back();
  int64_t outN = freeCount(I.dst);
  Rows &r = scratch();
  r.a.resize(size_t(outN * inner));
  r.b.resize(size_t(outN));
  for (int64_t p = 0; p < I.dst.partCount; ++p) {
    loadRow(s, p, r.a.data());
    for (int64_t j = 0; j < outN; ++j) {
      const float *x = r.a.data() + j * inner;
      float acc = x[0]; // a left fold in fp32, in index order
      for (int64_t i = 1; i < inner; ++i)
        acc = applyAluOp(I.op0, acc, x[i]);
      r.b[size_t(j)] = acc;
    }
    storeRow(d, p, r.b.data());
  }
}

static void execTranspose(const Inst &I, Memories &mem) {
  Operand s = resolve(mem, I.src0), d = resolve(mem, I.dst);
  int64_t P = I.src0.partCount, F = freeCount(I.src0);
  float in[32][32], out[32];
  for (int64_t p = 0; p < P; ++p)
    loadRow(s, p, in[p]);
  for (int64_t f = 0; f < F; ++f) {
    for (int64_t p = 0; p < P; ++p)
      out[p] = in[p][f];
    storeRow(d, f, out);
  }
}

static void execIota(const Inst &I, Memories &mem) {
  Operand d = resolve(mem, I.dst);
  for (int64_t p = 0; p < I.dst.partCount; ++p) {
    uint8_t *row = d.row(p);
    int64_t rowBase = I.base + p * I.pstep;
    forEachInnerRow(I.dst, [&](int64_t first, int64_t off, int64_t count, int64_t stride) {
      for (int64_t k = 0; k < count; ++k)
        storeInteger(I.dst.dtype, row + off + k * stride, rowBase + (first + k) * I.fstep);
    });
  }
}

static void execMemset(const Inst &I, Memories &mem) {
  Operand d = resolve(mem, I.dst);
  std::vector<float> &row = scratch().a;
  row.assign(size_t(freeCount(I.dst)), I.imm0);
  for (int64_t p = 0; p < I.dst.partCount; ++p)
    storeRow(d, p, row.data());
}

static void execCopy(const Inst &I, Memories &mem) {
  Operand s = resolve(mem, I.src0), d = resolve(mem, I.dst);
  if (I.dst.dtype == I.src0.dtype) {
    // Same type: the bits move unchanged (no trip through fp32, which would
    // round integers beyond 2^24).
    int64_t rowBytes = freeCount(I.dst) * I.dst.elementBytes();
    if (isDenseRow(I.dst) && isDenseRow(I.src0)) { // distinct partitions never overlap
      for (int64_t p = 0; p < I.dst.partCount; ++p)
        std::memmove(d.row(p), s.row(p), size_t(rowBytes));
      return;
    }
    std::vector<uint8_t> &bytes = scratch().bytes;
    bytes.resize(size_t(rowBytes));
    for (int64_t p = 0; p < I.dst.partCount; ++p) {
      loadRowBytes(s, p, bytes.data());
      storeRowBytes(d, p, bytes.data());
    }
    return;
  }
  std::vector<float> &row = scratch().a;
  row.resize(size_t(freeCount(I.dst)));
  for (int64_t p = 0; p < I.dst.partCount; ++p) {
    loadRow(s, p, row.data());
    storeRow(d, p, row.data());
  }
}

/// Every opcode that cannot fail at run time.
static void executeDirect(const Inst &I, Memories &mem, PEState &pe);

llvm::Error emu::executeInst(const Inst &I, Memories *mem, PEState &pe) {
  if (I.opcode == Opcode::load_stationary) {
    execLoadStationary(I, mem, pe);
    pe.keep = pe.group = 0;
    return llvm::Error::success();
  }
  if (I.opcode == Opcode::load_stationary_sparse)
    return execLoadStationarySparse(I, mem, pe);
  if (!mem)
    return llvm::Error::success();
  if (I.opcode == Opcode::dma_gather)
    return execDmaGather(I, *mem);
  executeDirect(I, *mem, pe);
  return llvm::Error::success();
}

static void executeDirect(const Inst &I, Memories &mem, PEState &pe) {
  switch (I.opcode) {
  case Opcode::dma:
    return execDma(I, mem);
  case Opcode::load_stationary:
  case Opcode::load_stationary_sparse:
  case Opcode::dma_gather:
    return; // handled by executeInst
  case Opcode::multiply_moving_sparse:
    return execMultiplyMovingSparse(I, mem, pe);
  case Opcode::multiply_moving:
    return execMultiplyMoving(I, mem, pe);
  case Opcode::activation:
    return execActivation(I, mem);
  case Opcode::tensor_tensor:
    return execTensorTensor(I, mem);
  case Opcode::tensor_scalar:
    return execTensorScalar(I, mem);
  case Opcode::tensor_reduce:
    return execTensorReduce(I, mem);
  case Opcode::transpose:
    return execTranspose(I, mem);
  case Opcode::iota:
    return execIota(I, mem);
  case Opcode::memset:
    return execMemset(I, mem);
  case Opcode::copy:
    return execCopy(I, mem);
  case Opcode::nop:
    return;
  }
}
