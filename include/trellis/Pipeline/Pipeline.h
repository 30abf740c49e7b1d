//===- Pipeline.h - The compile pipeline as library code ------------------===//
#ifndef TRELLIS_PIPELINE_PIPELINE_H
#define TRELLIS_PIPELINE_PIPELINE_H

#include "mlir/Pass/PassManager.h"
#include <string>
#include <vector>

namespace trellis {

/// How far to lower.
enum class EmitStage { Graph, Tile, Isa };

struct PipelineOptions {
  std::string target = "trn2";
  int optLevel = 2;
  EmitStage stopAfter = EmitStage::Isa;
  /// Hand-written kernels implementing graph ops: OP=FILE.nki bindings and
  /// a directory of OP.nki files (--trellis-bind-kernels).
  std::vector<std::string> kernels;
  std::string kernelLib;
  /// Mixed precision (--auto-cast, --auto-cast-type): none, matmult or all;
  /// bf16, fp16 or fp8_e4m3 (docs/mixed-precision.md).
  std::string autoCast = "none";
  std::string autoCastType = "bf16";
};

/// graph -> (fusion) -> tile -> isa -> semaphores, stopping after
/// `opts.stopAfter`. Each stage is followed by verification.
void populateCompilePipeline(mlir::OpPassManager &pm, const PipelineOptions &opts);

/// The pipeline from the tile stage on (tile -> isa -> semaphores), for
/// modules that start as tile IR, such as traced NKI-style kernels.
void populateTileToIsaPipeline(mlir::OpPassManager &pm, const PipelineOptions &opts);

/// Registers the pipeline as `--trellis-compile` for trellis-opt.
void registerCompilePipeline();

} // namespace trellis

#endif
