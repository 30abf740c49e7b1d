//===- PEArray.h - Cycle-level model of the systolic PE array ----*- C++ -*-===//
//
// A weight-stationary systolic array in which every value really moves one
// PE per cycle. It exists to cross-check the emulator's fast matmul kernel
// (bit-exact results) and the timing model's tensor-engine costs (cycle
// counts) on small shapes; it is slow (K * M work per cycle) and is not used
// by the emulator itself. docs/timing.md describes the design and the
// tolerance of the cross-check.
//
// Orientation: PE (k, m) sits in row k (partition k, contraction index) and
// column m (output partition). It holds stationary[k][m]. Moving row k enters
// at the left edge k cycles late (skew) and moves right; partial sums enter
// at the top, move down and leave at the bottom edge, column m's outputs m
// cycles after column 0's (de-skewed by the PSUM writer).
//
//===----------------------------------------------------------------------===//
#ifndef TRELLIS_EMULATOR_PEARRAY_H
#define TRELLIS_EMULATOR_PEARRAY_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"
#include <cstdint>
#include <vector>

namespace trellis::emu {

/// One LoadStationary + MultiplyMoving through the array.
struct PEArrayResult {
  std::vector<float> out; // [M][N], row-major
  /// LoadStationary: weights shifted in from the left edge, `loadWidth` PEs
  /// per cycle: ceil(M / loadWidth).
  int64_t loadCycles = 0;
  /// First moving column entering until the last result leaving the bottom
  /// edge: N (stream) + (K - 1) (skew / fill) + (M - 1) (drain).
  int64_t streamCycles = 0;
  int64_t totalCycles() const { return loadCycles + streamCycles; }
};

/// Runs out[m][n] = acc[m][n] + sum_k stationary[k][m] * moving[k][n] through
/// a K x M array, cycle by cycle. Inputs are row-major: stationary [K][M],
/// moving [K][N], acc [M][N] (empty: zeros). The accumulator enters at the
/// top of each column, so every output accumulates in fp32 with k ascending,
/// exactly as emu::matmulAccumulate does. `loadWidth` is how many weights a
/// row takes per cycle during the load (the target's ls_speedup).
///
/// Each value carries the index of the moving column it belongs to; a PE
/// where a moving value meets the partial sum of another column, an output
/// produced twice, or an array that does not drain is an error (the model
/// checks its own skew).
llvm::Expected<PEArrayResult> runPEArray(llvm::ArrayRef<float> stationary,
                                         llvm::ArrayRef<float> moving, llvm::ArrayRef<float> acc,
                                         int64_t K, int64_t M, int64_t N, int64_t loadWidth = 1);

} // namespace trellis::emu

#endif
