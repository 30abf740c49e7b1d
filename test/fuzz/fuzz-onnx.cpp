//===- fuzz-onnx.cpp - libFuzzer target: ONNX import and compile ----------===//
//
// bytes -> importOnnxModelFromBytes -> (if it imports) the compile pipeline
// for trn2 -> (if it compiles) encode the artifact and decode it again.
// Diagnostics are swallowed; errors are fine, crashes, hangs and leaks are
// not. Each input gets a fresh single-threaded MLIRContext, so nothing one
// input interns is kept for the next.
//
//===----------------------------------------------------------------------===//

#include "FuzzTarget.h"
#include "trellis/Conversion/IsaCodec.h"
#include "trellis/Frontend/OnnxImporter.h"
#include "trellis/Pipeline/Pipeline.h"
#include "trellis/Pipeline/Registration.h"
#include "trellis/Target/ArchConfig.h"
#include "trellis/Target/Program.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/STLExtras.h"

#include <cstdint>
#include <cstdlib>

using namespace mlir;
using namespace trellis;

/// MLIR's inline BumpPtrAllocator code poisons a slab under ASan and
/// unpoisons each allocation it makes; the uninstrumented libMLIR.so
/// allocates from the same slabs without unpoisoning, a false
/// use-after-poison. Manual poisoning is therefore off; ASan's own checks
/// (heap, stack, globals, leaks) stay on.
extern "C" const char *__asan_default_options() { return "allow_user_poisoning=0"; }

namespace {
const DialectRegistry &registry() {
  static DialectRegistry *r = [] {
    auto *reg = new DialectRegistry;
    registerDialects(*reg);
    return reg;
  }();
  return *r;
}

const ArchConfig &trn2() { return fuzzTargetTrn2("fuzz-onnx"); }
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  MLIRContext ctx(registry(), MLIRContext::Threading::DISABLED);
  ctx.loadAllAvailableDialects();
  ScopedDiagnosticHandler swallow(&ctx, [](Diagnostic &) { return success(); });

  OwningOpRef<ModuleOp> module = importOnnxModelFromBytes(bytes, "fuzz.onnx", ctx);
  if (!module)
    return 0;

  PassManager pm(&ctx);
  PipelineOptions opts;
  opts.target = "trn2";
  populateCompilePipeline(pm, opts);
  if (failed(pm.run(*module)))
    return 0;

  auto programs = llvm::to_vector(module->getOps<isa::ProgramOp>());
  if (programs.size() != 1)
    return 0;
  FailureOr<Program> program = encodeIsaProgram(programs.front(), trn2(), "fuzz");
  if (failed(program))
    return 0;
  std::string tnef = encodeProgram(*program);
  if (!tnef.empty()) {
    llvm::Expected<Program> back = decodeProgram(tnef, "fuzz.tnef");
    if (!back)
      llvm::consumeError(back.takeError());
  }
  return 0;
}
