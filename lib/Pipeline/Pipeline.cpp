//===- Pipeline.cpp - The compile pipeline and registration ---------------===//

#include "trellis/Pipeline/Pipeline.h"
#include "trellis/Pipeline/Registration.h"
#include "trellis/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void trellis::registerDialects(DialectRegistry &registry) {
  registry.insert<graph::GraphDialect, tile::TileDialect, isa::ISADialect, func::FuncDialect>();
}

void trellis::populateCompilePipeline(OpPassManager &pm, const PipelineOptions &opts) {
  // Graph level: fold constants (transposed weights) and fuse matmul chains.
  pm.addPass(createCanonicalizerPass());
  if (opts.optLevel > 0) {
    // Decomposed layer norm, GELU and softmax become single graph ops.
    pm.addNestedPass<func::FuncOp>(createFuseNorm());
    // MatMul/scale/mask/Softmax/MatMul chains (needing the fused softmax)
    // become graph.attention, before linear fusion claims 2-D matmuls.
    pm.addNestedPass<func::FuncOp>(createFuseAttention());
    // Batch norm folds into constant conv / linear weights before linear
    // fusion, so that a Relu after it still fuses.
    pm.addNestedPass<func::FuncOp>(createFoldBatchNorm());
  }
  // Kernels bind to the fused ops, and to matmuls before they fuse with
  // their bias into graph.linear.
  if (!opts.kernels.empty() || !opts.kernelLib.empty()) {
    BindKernelsOptions bindOpts;
    bindOpts.kernels.assign(opts.kernels.begin(), opts.kernels.end());
    bindOpts.kernelLib = opts.kernelLib;
    bindOpts.target = opts.target;
    pm.addPass(createBindKernels(bindOpts));
  }
  if (opts.optLevel > 0) {
    pm.addNestedPass<func::FuncOp>(createFuseLinear());
    // Skip connections into the convolution that produces one side.
    pm.addNestedPass<func::FuncOp>(createFuseResidual());
  }
  if (opts.autoCast != "none") {
    // After fusion, so each fused op's PE operands are cast once, and at
    // -O0 too: it changes the numbers, not just the speed.
    AutoCastOptions castOpts;
    castOpts.mode = opts.autoCast;
    castOpts.type = opts.autoCastType;
    pm.addNestedPass<func::FuncOp>(createAutoCast(castOpts));
  }
  if (!opts.sparsity.empty()) {
    // After fusion, so the marked ops are the ones the tiler sees.
    SparsityOptions sp;
    sp.sparsity = opts.sparsity;
    sp.layers = opts.sparsityLayers;
    sp.prune = opts.sparsityPrune;
    sp.report = opts.sparsityReport;
    sp.target = opts.target;
    pm.addPass(createSparsity(sp));
  }
  if (opts.stopAfter == EmitStage::Graph)
    return;
  // Tile onto the PE array, SBUF and PSUM.
  pm.addPass(createConvertGraphToTile());
  if (opts.stopAfter == EmitStage::Tile)
    return;
  populateTileToIsaPipeline(pm, opts);
}

void trellis::populateTileToIsaPipeline(OpPassManager &pm, const PipelineOptions &opts) {
  // Give buffers addresses, pick queues, order each queue by the timing
  // model, then order queues with semaphores.
  ConvertTileToIsaOptions isaOpts;
  isaOpts.target = opts.target;
  pm.addPass(createConvertTileToIsa(isaOpts));
  if (opts.optLevel > 0) {
    ScheduleInstructionsOptions schedOpts;
    schedOpts.target = opts.target;
    pm.addNestedPass<isa::ProgramOp>(createScheduleInstructions(schedOpts));
  }
  pm.addNestedPass<isa::ProgramOp>(createInsertSemaphores());
}

namespace {
struct CompilePipelineOptions : public PassPipelineOptions<CompilePipelineOptions> {
  Option<std::string> target{*this, "target", llvm::cl::desc("arch config name or .json path"),
                             llvm::cl::init("trn2")};
  Option<int> optLevel{*this, "opt-level", llvm::cl::desc("0..3"), llvm::cl::init(2)};
  Option<std::string> autoCast{*this, "auto-cast", llvm::cl::desc("none, matmult or all"),
                               llvm::cl::init("none")};
  Option<std::string> autoCastType{*this, "auto-cast-type",
                                   llvm::cl::desc("bf16, fp16 or fp8_e4m3"), llvm::cl::init("bf16")};
};
} // namespace

void trellis::registerCompilePipeline() {
  PassPipelineRegistration<CompilePipelineOptions>(
      "trellis-compile", "The full graph -> tile -> isa pipeline of trellis-cc",
      [](OpPassManager &pm, const CompilePipelineOptions &o) {
        PipelineOptions opts;
        opts.target = o.target;
        opts.optLevel = o.optLevel;
        opts.autoCast = o.autoCast;
        opts.autoCastType = o.autoCastType;
        populateCompilePipeline(pm, opts);
      });
}

void trellis::registerPasses() {
  registerTrellisPasses();
  registerCompilePipeline();
  registerCanonicalizerPass();
}
