//===- ChromeTrace.h - The instruction-level profile as a Chrome trace ----===//
//
// Writes one emulator run as a Chrome / Perfetto "Trace Event Format" JSON
// file: a track per engine and DMA queue, a slice per instruction, a flow
// arrow per semaphore edge, and in "otherData" the numbers the summary needs
// (peaks, bandwidth, FLOPs, minimum HBM bytes, roofline), so that
// trellis-profile works from the file alone. docs/profiling.md describes the
// format.
//
//===----------------------------------------------------------------------===//
#ifndef TRELLIS_PROFILE_CHROMETRACE_H
#define TRELLIS_PROFILE_CHROMETRACE_H

#include "trellis/Emulator/Emulator.h"
#include "trellis/Target/ArchConfig.h"
#include "trellis/Target/Program.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"
#include <cstdint>
#include <map>
#include <string>

#include <string>
#include <vector>

namespace trellis::profile {

/// Version of the trace's "otherData" schema; the reader rejects others.
constexpr int64_t kTraceFormatVersion = 1;

/// Thread id of the track holding the PE's load_stationary instructions.
/// They run in the background of the previous multiply_moving, so on the pe
/// track they would overlap it; trace viewers drop slices that partially
/// overlap a neighbour, hence a track of their own.
constexpr int64_t kLoadStationaryTid = 1000;

/// 2*K*M*N for a multiply_moving (K = src0.partCount, N = src0's free
/// elements, M = dst.partCount); 0 for every other instruction.
uint64_t instFlops(const isa::Inst &inst);

/// The peak class of a matmul input dtype: "bf16" (bf16, f16), "fp8"
/// (f8e4m3, f8e5m2) or "fp32" (f32). Other dtypes count as "bf16".
llvm::StringRef peakClassOf(isa::DType moving);

/// Peak TFLOPS of a peak class on `arch` (0 for an unknown class).
double peakTflopsOf(const ArchConfig &arch, llvm::StringRef peakClass);

/// The bound a program cannot beat on `arch`.
struct Roofline {
  uint64_t totalFlops = 0;
  std::map<std::string, uint64_t> flopsByClass; // "bf16"/"fp8"/"fp32" -> FLOPs
  std::string matmulClass = "none";             // the class with most FLOPs
  int64_t minHbmBytes = 0;                      // inputs + outputs + constants
  double computeNs = 0;                         // sum over classes of FLOPs / peak
  double memoryNs = 0;                          // minHbmBytes / hbmGBps
  double timeNs() const { return computeNs > memoryNs ? computeNs : memoryNs; }
  /// totalFlops / computeNs: the peak of the mix actually run (the class's
  /// peak when there is one class; the bf16 peak without matmuls).
  double effectivePeakTflops = 0;
};

Roofline computeRoofline(const Program &program, const ArchConfig &arch);

/// Writes the trace of `result` (a run of `program` on `arch`) to `os`.
/// `artifactName` is recorded in otherData ("" if unknown). Fails, writing
/// nothing, when the result does not belong to the program (a timeline
/// index out of range). With `asmText` (one line per instruction, e.g. from
/// trellis::disassembleEach), each event's args carry its assembly as "asm".
llvm::Error writeChromeTrace(const Program &program, const ArchConfig &arch,
                             const emu::RunResult &result, llvm::raw_ostream &os,
                             llvm::StringRef artifactName = "",
                             const std::vector<std::string> *asmText = nullptr);

} // namespace trellis::profile

#endif
