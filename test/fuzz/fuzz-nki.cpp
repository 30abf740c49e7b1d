//===- fuzz-nki.cpp - libFuzzer target: the NKI-style kernel language -----===//
//
// bytes -> compileKernel: parse, trace into the tile dialect (loops
// unrolled, tile rules checked against trn2) and verify. Diagnostics are
// swallowed; errors are fine, crashes, hangs and leaks are not. The tile ->
// isa pipeline after it is fuzz-onnx's territory (the same passes), so it
// is left out here, which keeps this fuzzer's build to the kernel library.
//
// An input whose first line is "# args: SPEC" is compiled with
// `--args SPEC` (parseKernelArgs), so seeds can be the shipped kernels,
// whose parameters carry no type annotations.
//
//===----------------------------------------------------------------------===//

#include "FuzzTarget.h"
#include "trellis/Dialect/Tile.h"
#include "trellis/Kernel/KernelLang.h"
#include "trellis/Target/ArchConfig.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

#include <cstdint>
#include <cstdlib>

using namespace mlir;
using namespace trellis;

/// As in fuzz-onnx: MLIR's inline BumpPtrAllocator poisons slabs that the
/// uninstrumented libMLIR.so then allocates from, a false use-after-poison.
extern "C" const char *__asan_default_options() { return "allow_user_poisoning=0"; }

namespace {
const DialectRegistry &registry() {
  static DialectRegistry *r = [] {
    auto *reg = new DialectRegistry;
    reg->insert<tile::TileDialect, func::FuncDialect, arith::ArithDialect>();
    return reg;
  }();
  return *r;
}

const ArchConfig &trn2() { return fuzzTargetTrn2("fuzz-nki"); }
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef source(reinterpret_cast<const char *>(data), size);
  kernel::KernelOptions opts;
  opts.arch = &trn2();
  if (source.consume_front("# args: ")) {
    auto [spec, rest] = source.split('\n');
    llvm::Expected<std::vector<kernel::KernelArg>> args = kernel::parseKernelArgs(spec.trim());
    if (!args) {
      llvm::consumeError(args.takeError());
      return 0;
    }
    opts.args = std::move(*args);
  }

  MLIRContext ctx(registry(), MLIRContext::Threading::DISABLED);
  ctx.loadAllAvailableDialects();
  ScopedDiagnosticHandler swallow(&ctx, [](Diagnostic &) { return success(); });
  llvm::SourceMgr sourceMgr;
  // The whole input (args line included) keeps line numbers honest.
  unsigned id = sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(
          llvm::StringRef(reinterpret_cast<const char *>(data), size), "fuzz.nki"),
      llvm::SMLoc());
  OwningOpRef<ModuleOp> module = kernel::compileKernel(sourceMgr, id, ctx, opts);
  (void)module;
  return 0;
}
