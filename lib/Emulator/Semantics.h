//===- Semantics.h - What each instruction does ------------------*- C++ -*-===//
//
// The single definition of each instruction's meaning: which engines may run
// it, which operands it reads and writes, the shape and bounds rules it must
// satisfy, and its effect on the memory images. The timing model never looks
// at data and the functional model never looks at time. Internal to
// lib/Emulator.
//
//===----------------------------------------------------------------------===//
#ifndef TRELLIS_LIB_EMULATOR_SEMANTICS_H
#define TRELLIS_LIB_EMULATOR_SEMANTICS_H

#include "Memory.h"
#include "llvm/ADT/SmallVector.h"
#include <vector>

namespace trellis::emu {

/// One operand an instruction touches.
struct Access {
  const isa::AccessPattern *ap;
  const char *role; // "dst", "src0", "src1"
  bool write;
};

/// The operands `inst` reads and writes (only those its opcode uses).
llvm::SmallVector<Access, 3> accessesOf(const isa::Inst &inst);

/// The tensor engine's latched stationary matrix.
struct PEState {
  bool loaded = false;
  int64_t rows = 0, cols = 0;     // K (partitions) x M (free); compressed K when sparse
  int64_t keep = 0, group = 0;    // the N:M pattern of a sparse stationary; 0 when dense
  std::vector<float> transposed; // [M][K], values as read (already in dtype); sparse:
                                 // decompressed, [M][rows / keep * group]
};

/// Everything the checks need to know about the machine.
struct MachineLimits {
  const ArchConfig *arch = nullptr;
  int64_t hbmSize = 0;
  int64_t numQueues = 0; // valid queues are [0, numQueues)
};

/// Checks engine, operand spaces, shapes and bounds of `inst` given the PE's
/// latched stationary shape. The message does not name the instruction (the
/// caller adds that).
llvm::Error verifyInst(const isa::Inst &inst, const MachineLimits &limits, const PEState &pe);

/// Applies `inst` to the memories (`mem` may be null in timing-only mode:
/// then only the PE's latched shape is updated). `inst` must have passed
/// verifyInst. Fails only on what depends on the data: a dma_gather index
/// outside its table.
llvm::Error executeInst(const isa::Inst &inst, Memories *mem, PEState &pe);

/// Scalar helpers, exposed for unit tests of the function tables.
float applyActFunc(isa::ActFunc f, float x);
float applyAluOp(isa::AluOp op, float a, float b);

/// out[M][N] (+)= statT[M][K] * mov[K][N] in fp32 (out must hold the
/// accumulator's initial value).
void matmulAccumulate(const float *statT, const float *mov, float *out, int64_t M, int64_t K,
                      int64_t N);
/// The same, with large products split by output rows between this thread
/// and one helper thread (bit-identical: each output element is computed
/// by one thread, in the same order).
void matmulAccumulateThreaded(const float *statT, const float *mov, float *out, int64_t M,
                              int64_t K, int64_t N);

} // namespace trellis::emu

#endif
