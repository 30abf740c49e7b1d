//===- Binding.h - Hand-written kernels implementing graph ops ------------===//
//
// `trellis-cc compile --kernel OP=FILE.nki` / `--kernel-lib DIR` let a
// traced kernel implement a graph op (softmax, layer_norm, matmul, linear)
// or an ONNX node of a custom domain. Binding traces the kernel for the op's
// operand types, adds the traced tile function to the module (marked
// `trellis.kernel`) and replaces the op with a `graph.kernel_call`;
// --convert-graph-to-tile inlines the kernel at each call. Shapes and
// element types are checked when the kernel is traced (its own asserts and
// tile rules), so a mismatch is an error at the node, with the kernel line.
// docs/kernel-language.md ("Using a kernel in a model") states the contract
// for each op.
//
//===----------------------------------------------------------------------===//
#ifndef TRELLIS_KERNEL_BINDING_H
#define TRELLIS_KERNEL_BINDING_H

#include "trellis/Frontend/OnnxImporter.h"
#include "trellis/Kernel/KernelLang.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace trellis::kernel {

/// Which kernel file implements which op.
class KernelLibrary {
public:
  /// `bindings` are OP=FILE.nki (an explicit binding wins); `libDir`, if
  /// not empty, supplies DIR/OP.nki for any other op. Errors name the flag.
  static llvm::Expected<KernelLibrary> create(llvm::ArrayRef<std::string> bindings,
                                              llvm::StringRef libDir);
  /// The .nki file implementing `op` (a graph op name such as "softmax", or
  /// a custom ONNX op type), or "" if none does.
  std::string fileFor(llvm::StringRef op) const;
  bool empty() const { return explicitFiles.empty() && libDir.empty(); }

private:
  std::map<std::string, std::string> explicitFiles;
  std::string libDir;
};

/// The graph ops a kernel may implement, by the names --kernel uses.
llvm::ArrayRef<llvm::StringRef> bindableGraphOps();

/// Traces kernels and adds them to one module, once per distinct signature.
class KernelBinder {
public:
  KernelBinder(mlir::ModuleOp module, const ArchConfig &arch);

  /// Builds a graph.kernel_call of `file`'s kernel on `inputs` (bound to its
  /// parameters in order) and the compile-time `scalars` (by name), at the
  /// builder's insertion point. `what` names the op being implemented for
  /// messages. On failure, reports at `loc`, with the kernel's diagnostics
  /// as notes at their file:line:col.
  mlir::FailureOr<mlir::Operation *> call(mlir::OpBuilder &b, mlir::Location loc,
                                          llvm::StringRef file, llvm::StringRef what,
                                          mlir::ValueRange inputs,
                                          llvm::ArrayRef<KernelArg> scalars);

private:
  mlir::ModuleOp module;
  const ArchConfig &arch;
  /// Traced functions by signature (file, argument types, scalars).
  std::map<std::string, std::string> traced;
};

/// Imports ONNX nodes of custom domains whose op type has a kernel in
/// `library`: the node's inputs bind to the kernel's parameters in order,
/// its INT and FLOAT attributes to the parameters of the same names.
std::unique_ptr<CustomOpImporter> makeKernelCustomOpImporter(const KernelLibrary &library,
                                                             const ArchConfig &arch);

/// The graph-op adapters: replaces every graph op that `library` has a
/// kernel for with a call of it, in the functions of `module`. Fails after
/// reporting at the op if a kernel cannot implement it.
mlir::LogicalResult bindGraphOps(mlir::ModuleOp module, const KernelLibrary &library,
                                 const ArchConfig &arch);

} // namespace trellis::kernel

#endif
