//===- OnnxImporter.h - ONNX protobuf to the graph dialect ----------------===//
//
// Imports an ONNX model into a module holding `func.func @main` made of graph
// ops. Every problem is reported as an MLIR diagnostic located at the ONNX
// node (or graph input/output/initializer) it concerns.
//
//===----------------------------------------------------------------------===//

#ifndef TRELLIS_FRONTEND_ONNXIMPORTER_H
#define TRELLIS_FRONTEND_ONNXIMPORTER_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include <map>
#include <string>
#include <vector>

namespace mlir {
class MLIRContext;
} // namespace mlir

namespace trellis {

/// Imports the nodes of non-default domains that a client can implement
/// (trellis-cc: with hand-written kernels, --kernel / --kernel-lib).
class CustomOpImporter {
public:
  virtual ~CustomOpImporter() = default;
  /// Whether import() takes nodes of this domain and op type.
  virtual bool handles(llvm::StringRef domain, llvm::StringRef opType) const = 0;
  /// Builds the node's outputs from its inputs and its INT / FLOAT
  /// attributes (as IntegerAttr / FloatAttr) at the builder's insertion
  /// point; on failure, reports at `loc` (which names the node).
  virtual mlir::FailureOr<llvm::SmallVector<mlir::Value>>
  import(mlir::OpBuilder &b, mlir::Location loc, llvm::StringRef domain, llvm::StringRef opType,
         mlir::ValueRange inputs, llvm::ArrayRef<mlir::NamedAttribute> attrs) = 0;
};

struct OnnxImportOptions {
  /// --input-shape: static shapes for graph inputs, by name. Required for
  /// inputs with dynamic (dim_param) dimensions; must agree with the
  /// dimensions the model does fix.
  std::map<std::string, std::vector<int64_t>> inputShapes;
  /// --constant-input: graph inputs bound to compile-time values, by name:
  /// the path of an ONNX TensorProto (.pb) file. For inputs that a static
  /// compiler must know, such as a Reshape's target shape. A bound input is
  /// no longer an input of the compiled function.
  std::map<std::string, std::string> constantInputs;
  /// Nodes of other domains than ai.onnx; without it they are unsupported.
  CustomOpImporter *customOps = nullptr;
};

/// Imports the ONNX model file at `path`. The result is a module holding
/// `func.func @main`, whose arguments are the graph inputs that are not
/// initializers and whose results are the graph outputs, each carrying its
/// ONNX name in a `trellis.name` attribute.
///
/// Diagnostics are located at NameLoc(<node name, or "<op_type>#<index>" if
/// unnamed>, FileLineColLoc(path, 0, 0)) and their messages name the node
/// and its op type. Returns nullptr on failure, after reporting every
/// unsupported node (one error each), not just the first.
mlir::OwningOpRef<mlir::ModuleOp> importOnnxModel(llvm::StringRef path, mlir::MLIRContext &ctx,
                                                  const OnnxImportOptions &opts = {});

/// The default-domain ONNX op types the importer supports, sorted.
std::vector<std::string> supportedOnnxOps();

/// What docs/supported-ops.md says of one supported op type.
struct OnnxOpSupport {
  std::string opType;
  /// Element types, as users read them: "f32, bf16, f16".
  std::string types;
  /// Limitations beyond the ONNX spec; empty when there are none.
  std::string notes;
};

/// Every supported op type with its types and limitations, sorted by name.
std::vector<OnnxOpSupport> supportedOnnxOpTable();

/// The opsets whose default-domain models the importer accepts.
int64_t minSupportedOnnxOpset();
int64_t maxSupportedOnnxOpset();

/// One row of a model's op histogram.
struct OnnxOpStat {
  std::string domain, opType;
  int64_t count = 0;
  bool supported = false;
  std::vector<std::string> nodes; // node names ("<op_type>#<index>" if unnamed)
};

/// The op histogram of a model file, most frequent first, without importing
/// it (so it works on models the importer rejects).
llvm::Expected<std::vector<OnnxOpStat>> collectOnnxOpStats(llvm::StringRef path);

/// Same as importOnnxModel, for a serialised onnx.ModelProto held in memory;
/// `origin` names it in diagnostics and locations.
mlir::OwningOpRef<mlir::ModuleOp> importOnnxModelFromBytes(llvm::StringRef bytes,
                                                           llvm::StringRef origin,
                                                           mlir::MLIRContext &ctx,
                                                           const OnnxImportOptions &opts = {});

} // namespace trellis

#endif // TRELLIS_FRONTEND_ONNXIMPORTER_H
