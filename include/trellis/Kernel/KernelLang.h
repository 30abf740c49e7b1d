//===- KernelLang.h - NKI-style kernels -> tile dialect -------------------===//
//
// Hand-written kernels in a Python-syntax subset of NKI (`.nki` files),
// parsed in C++ and traced into the `tile` dialect: loops are unrolled and
// every value except tiles is known at compile time. Every op carries the
// FileLineColLoc of the expression it came from; every error is an MLIR
// diagnostic at the offending file:line:col (the SourceMgr diagnostic
// handler prints the source line and a caret). docs/kernel-language.md
// describes the language and every builtin.
//
//===----------------------------------------------------------------------===//
#ifndef TRELLIS_KERNEL_KERNELLANG_H
#define TRELLIS_KERNEL_KERNELLANG_H

#include "trellis/Target/ArchConfig.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/SourceMgr.h"
#include <string>
#include <vector>

namespace trellis::kernel {

/// One `--args` binding: a tensor (`a=bf16[128,512]`) or a compile-time
/// scalar (`TILES=4`, `eps=1e-5`).
struct KernelArg {
  std::string name;
  bool isTensor = true;
  std::string dtype;           // canonical short name: f32, bf16, f16, f8e4m3, f8e5m2, i32, i16, i8
  std::vector<int64_t> shape;  // tensors
  bool isFloat = false;        // scalars
  int64_t intValue = 0;
  double floatValue = 0;
};

/// Parses "a=bf16[128,512],b=f32[512],TILES=4". Errors name the bad part.
llvm::Expected<std::vector<KernelArg>> parseKernelArgs(llvm::StringRef spec);

struct KernelOptions {
  /// The function to compile; empty: the only @kernel / @nki.jit function.
  std::string kernelName;
  /// Tensors and scalars by name; tensors without a name bind to the
  /// kernel's parameters in order (how a graph op's operands are passed).
  std::vector<KernelArg> args;
  /// Where the arguments came from, for messages: "--args", or a binding.
  std::string argSource = "--args";
  /// Supplies nl.tile_size and the memory limits the tile rules check.
  const ArchConfig *arch = nullptr;
};

/// Traces the kernel in buffer `bufferId` of `sourceMgr` into a module with
/// one `func.func` over HBM buffers (inputs, then outputs, named by
/// trellis.input / trellis.output), ready for --convert-tile-to-isa.
/// Returns null after emitting diagnostics on `ctx`.
mlir::OwningOpRef<mlir::ModuleOp> compileKernel(llvm::SourceMgr &sourceMgr, unsigned bufferId,
                                                mlir::MLIRContext &ctx,
                                                const KernelOptions &options);

} // namespace trellis::kernel

#endif
