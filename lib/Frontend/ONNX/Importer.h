//===- Importer.h - The ONNX importer's node-level interface ----*- C++ -*-===//
//
// Private to the ONNX frontend. OnnxImporter.cpp owns the model-level walk
// (versions, inputs, initializers, outputs, the symbol table); each op family
// lives in its own Import*.cpp and registers free functions in the one
// ImporterTable, which the dispatch, `trellis-cc --op-stats` and
// docs/supported-ops.md are all derived from.
//
//===----------------------------------------------------------------------===//

#ifndef TRELLIS_LIB_FRONTEND_ONNX_IMPORTER_H
#define TRELLIS_LIB_FRONTEND_ONNX_IMPORTER_H

#include "OnnxTypes.h"
#include "trellis/Dialect/Graph.h"
#include "trellis/Frontend/OnnxImporter.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/ScopedHashTable.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

#include <functional>
#include <string>

namespace onnx {
class AttributeProto;
class GraphProto;
class ModelProto;
class NodeProto;
} // namespace onnx

namespace trellis::onnx_import {

/// The node being imported, with what its diagnostics need.
struct NodeContext {
  const onnx::NodeProto &node;
  /// The node name, or "<op_type>#<index>" when the node is unnamed.
  std::string name;
  mlir::Location loc;

  /// An error at the node, prefixed with its name and op type.
  mlir::InFlightDiagnostic emitError() const;
};

/// Prints a shape as ONNX users read it: [2, 3, 4].
std::string shapeStr(mlir::RankedTensorType type);

class OnnxImporter {
public:
  OnnxImporter(mlir::MLIRContext &ctx, llvm::StringRef origin, const OnnxImportOptions &options)
      : ctx(ctx), builder(&ctx), origin(origin), options(options),
        externalData(options.externalDataDir) {}

  mlir::OwningOpRef<mlir::ModuleOp> importModel(const onnx::ModelProto &model);

  /// The raw_data of the main graph's initializers when it was cut out of the
  /// message before parsing (stripInitializerData): by initializer index,
  /// views into the model's bytes, which outlive the import.
  void setInitializerData(const onnx::GraphProto &graph,
                          llvm::ArrayRef<std::optional<llvm::StringRef>> raw);

  //===--------------------------------------------------------------------===//
  // What node importers use
  //===--------------------------------------------------------------------===//

  mlir::MLIRContext &getContext() { return ctx; }
  mlir::OpBuilder &getBuilder() { return builder; }
  /// The model's default-domain opset.
  int64_t getOpset() const { return opset; }

  /// An error at the node; marks the import as failed.
  mlir::InFlightDiagnostic emitError(const NodeContext &n) {
    hadError = true;
    return n.emitError();
  }

  /// Input `index`; an error if it is absent.
  mlir::FailureOr<mlir::Value> getInput(const NodeContext &n, int index);
  /// Input `index`, or a null Value when it is absent or named "".
  mlir::FailureOr<mlir::Value> getOptionalInput(const NodeContext &n, int index);
  /// The value of input `index` when it is known at compile time (a
  /// graph.constant, e.g. an initializer or a folded shape computation);
  /// an error naming `what` ("the shape", ...) otherwise.
  mlir::FailureOr<mlir::DenseElementsAttr> getConstantInput(const NodeContext &n, int index,
                                                            llvm::StringRef what);
  /// Binds output 0 (or `outputIndex`) of the node to `value`.
  void define(const NodeContext &n, mlir::Value value, int outputIndex = 0);

  /// The input count is in [minInputs, maxInputs] and the output count in
  /// [minOutputs, maxOutputs] (default: exactly one output).
  mlir::LogicalResult checkArity(const NodeContext &n, int minInputs, int maxInputs,
                                 int minOutputs = 1, int maxOutputs = 1);
  /// Rejects attributes the importer would otherwise silently ignore.
  mlir::LogicalResult checkAttributes(const NodeContext &n, llvm::ArrayRef<llvm::StringRef> known);
  static const onnx::AttributeProto *findAttr(const onnx::NodeProto &node, llvm::StringRef name);
  mlir::FailureOr<float> getFloatAttr(const NodeContext &n, llvm::StringRef name,
                                      float defaultValue);
  mlir::FailureOr<int64_t> getIntAttr(const NodeContext &n, llvm::StringRef name,
                                      int64_t defaultValue);
  /// An INTS attribute; `defaultValue` when absent.
  mlir::FailureOr<llvm::SmallVector<int64_t>>
  getIntsAttr(const NodeContext &n, llvm::StringRef name,
              llvm::ArrayRef<int64_t> defaultValue = {});
  mlir::FailureOr<std::string> getStringAttr(const NodeContext &n, llvm::StringRef name,
                                             llvm::StringRef defaultValue);
  /// `value` is f32, bf16 or f16, with the element type of input 0.
  mlir::LogicalResult requireFloat(const NodeContext &n, mlir::Value value, int inputIndex);
  /// `value` has an element type the engines compute on (kNumericTypes), and,
  /// unless !sameAsInput0, the element type of input 0.
  mlir::LogicalResult requireNumeric(const NodeContext &n, mlir::Value value, int inputIndex,
                                     bool sameAsInput0 = true);

  /// Runs the graph op's own shape inference before the op is built: its
  /// builders abort on an inference failure, and the model is untrusted. The
  /// importers check operands first to give ONNX-level messages; this is the
  /// backstop.
  template <typename OpT>
  mlir::FailureOr<mlir::Type> inferResultType(const NodeContext &n, mlir::ValueRange operands,
                                              mlir::OpaqueProperties properties = nullptr) {
    llvm::SmallVector<mlir::Type, 1> types;
    if (mlir::succeeded(OpT::inferReturnTypes(&ctx, std::nullopt, operands,
                                              mlir::DictionaryAttr(), properties,
                                              mlir::RegionRange(), types)) &&
        types.size() == 1)
      return types.front();
    auto diag = emitError(n) << "invalid operand types for " << OpT::getOperationName() << ": (";
    llvm::interleaveComma(operands.getTypes(), diag);
    diag << ")";
    return mlir::failure();
  }

  /// a + b (no kind) or `kind`(a, b), broadcasting, after checking the shapes.
  mlir::FailureOr<mlir::Value> buildBroadcast(const NodeContext &n, mlir::Value a, mlir::Value b,
                                              std::optional<graph::BinaryKind> kind);

private:
  /// A node of a custom domain, through OnnxImportOptions::customOps.
  mlir::LogicalResult importCustomNode(const NodeContext &n);

  mlir::MLIRContext &ctx;
  mlir::OpBuilder builder;
  std::string origin;
  const OnnxImportOptions &options;

  /// ONNX value name -> SSA value. Scoped so that subgraphs (If/Loop bodies)
  /// can see the values of the enclosing graph once they are supported. The
  /// keys point into the ModelProto, which outlives the import.
  llvm::ScopedHashTable<llvm::StringRef, mlir::Value> symbolTable;
  /// Initializers, turned into graph.constant on first use only: unused
  /// weights cost nothing.
  llvm::StringMap<const onnx::TensorProto *> initializers;
  /// Initializer -> its raw_data, for those setInitializerData was given.
  llvm::DenseMap<const onnx::TensorProto *, llvm::StringRef> initializerData;
  /// Every name defined so far (inputs, initializers, node outputs), to
  /// reject redefinitions: ONNX graphs are in SSA form.
  llvm::StringSet<> definedNames;
  /// Names whose definition failed and was already reported.
  llvm::StringSet<> poisoned;
  /// Node output name -> the index of the first node producing it, to tell
  /// a dangling input from one produced out of topological order or in a
  /// cycle.
  llvm::StringMap<int> producers;
  const onnx::GraphProto *graph = nullptr;
  /// Side files of initializers with external data.
  ExternalDataFiles externalData;
  bool hadError = false;
  int64_t opset = 0;

  mlir::Location fileLoc();
  mlir::Location nameLoc(llvm::StringRef name);
  mlir::InFlightDiagnostic emitError(mlir::Location loc) {
    hadError = true;
    return mlir::emitError(loc);
  }

  mlir::LogicalResult checkVersions(const onnx::ModelProto &model);
  void importInputs(const onnx::GraphProto &graph, llvm::SmallVectorImpl<mlir::Type> &argTypes,
                    llvm::SmallVectorImpl<llvm::StringRef> &argNames,
                    llvm::SmallVectorImpl<std::pair<llvm::StringRef, mlir::DenseElementsAttr>>
                        &boundInputs);
  void importNode(const onnx::NodeProto &node, int index);
  void importOutputs(const onnx::GraphProto &graph, llvm::SmallVectorImpl<mlir::Value> &results,
                     llvm::SmallVectorImpl<llvm::StringRef> &resultNames);

  mlir::Value lookup(const NodeContext &n, llvm::StringRef name, int inputIndex);
  mlir::Value lookupInitializer(llvm::StringRef name);
  bool claimName(llvm::StringRef name, mlir::Location loc, const llvm::Twine &what);
  /// Whether node `from` reads, directly or through other nodes, an output
  /// of `node`: a use before definition that is a cycle, not just a node
  /// out of order.
  bool dependsOn(int from, const onnx::NodeProto &node) const;
  void poisonOutputs(const onnx::NodeProto &node);
};

/// Replaces `op` by a graph.constant when its folder computes its result from
/// constant operands (or by the operand it forwards); returns the result.
/// Every importer offers the ops it builds, so that shape computations fold
/// away as they are imported.
mlir::Value foldAtImport(mlir::OpBuilder &builder, mlir::Operation *op);

/// Imports one node: reads inputs through the importer, builds graph ops and
/// defines the node's outputs. On failure it has reported why.
using NodeImporter = std::function<mlir::LogicalResult(OnnxImporter &, const NodeContext &)>;

/// One supported default-domain op type: its importer and what
/// docs/supported-ops.md says of it.
struct OpSupport {
  NodeImporter import;
  /// Element types, as users read them: "f32, bf16, f16".
  std::string types;
  /// Limitations beyond the ONNX spec; empty when there are none.
  std::string notes;
};

using ImporterTable = llvm::StringMap<OpSupport>;

/// The float element types every compute op takes.
inline constexpr const char *kFloatTypes = "f32, bf16, f16";
/// The element types the engines compute on: floats, and the integers the
/// ISA stores (arithmetic is fp32 on the engines, so integer results are
/// exact while they stay within +-2^24).
inline constexpr const char *kNumericTypes = "f32, bf16, f16, i8, i16, i32, i64, ui8, ui32";
/// True for the element types of kNumericTypes.
bool hasMachineNumericType(mlir::Type elt);

// One registration function per op family (Import<Family>.cpp).
void registerElementwiseImporters(ImporterTable &table);
void registerLinearImporters(ImporterTable &table);
void registerShapeImporters(ImporterTable &table);
void registerConvImporters(ImporterTable &table);
void registerNormImporters(ImporterTable &table);

/// Every importer, assembled once from the families above.
const ImporterTable &nodeImporters();

} // namespace trellis::onnx_import

#endif // TRELLIS_LIB_FRONTEND_ONNX_IMPORTER_H
