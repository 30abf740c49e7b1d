//===- OnnxImporter.cpp - ONNX protobuf to the graph dialect --------------===//
//
// Shaped after Toy's MLIRGen: one class holding an OpBuilder and a scoped
// symbol table from ONNX value names to SSA values, one import function per
// ONNX op, and a location for everything so each diagnostic names the node.
//
// Errors do not stop the walk: a node that fails "poisons" its outputs, and
// nodes reading a poisoned value are skipped silently. That way one import
// reports every unsupported node and every independent problem, without a
// cascade of follow-on errors.
//
//===----------------------------------------------------------------------===//

#include "trellis/Frontend/OnnxImporter.h"

#include "OnnxTypes.h"
#include "trellis/Dialect/Graph.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/ScopedHashTable.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSwitch.h"
#include <functional>
#include <map>
#include "llvm/Support/MemoryBuffer.h"

#include "onnx/onnx_pb.h"

#include <climits>

using namespace mlir;
using namespace trellis;
using namespace trellis::onnx_import;

namespace {

/// How diagnostics and locations name a node.
std::string nodeName(const onnx::NodeProto &node, int index) {
  return node.name().empty() ? node.op_type() + "#" + std::to_string(index) : node.name();
}

/// The default-domain opsets whose semantics of the supported ops we follow.
/// Old opsets are accepted because the op importers reject what changed
/// meaning since: legacy attributes (`consumed_inputs`, `broadcast`/`axis`)
/// fail checkAttributes, and what remains (e.g. same-shape element-wise ops)
/// is a subset of today's semantics. A new importer must keep that true.
constexpr int64_t kMinOpset = 1;
constexpr int64_t kMaxOpset = 22;
constexpr int64_t kMinIrVersion = 3;

/// The node being imported, with what its diagnostics need.
struct NodeContext {
  const onnx::NodeProto &node;
  /// The node name, or "<op_type>#<index>" when the node is unnamed.
  std::string name;
  Location loc;

  /// An error at the node, prefixed with its name and op type.
  InFlightDiagnostic emitError() const {
    return mlir::emitError(loc) << "node '" << name << "' (op type " << node.op_type() << "): ";
  }
};

class OnnxImporter {
public:
  OnnxImporter(MLIRContext &ctx, StringRef origin) : ctx(ctx), builder(&ctx), origin(origin) {}

  OwningOpRef<ModuleOp> importModel(const onnx::ModelProto &model);

private:
  MLIRContext &ctx;
  OpBuilder builder;
  std::string origin;

  /// ONNX value name -> SSA value. Scoped so that subgraphs (If/Loop bodies)
  /// can see the values of the enclosing graph once they are supported. The
  /// keys point into the ModelProto, which outlives the import.
  llvm::ScopedHashTable<StringRef, Value> symbolTable;
  /// Initializers, turned into graph.constant on first use only: unused
  /// weights cost nothing.
  llvm::StringMap<const onnx::TensorProto *> initializers;
  /// Every name defined so far (inputs, initializers, node outputs), to
  /// reject redefinitions: ONNX graphs are in SSA form.
  llvm::StringSet<> definedNames;
  /// Names whose definition failed and was already reported.
  llvm::StringSet<> poisoned;
  /// Node output name -> the first node producing it, to tell a dangling
  /// input from one produced out of topological order.
  llvm::StringMap<std::string> producers;
  bool hadError = false;
  /// The model's default-domain opset.
  int64_t opset = 0;

  Location fileLoc() { return FileLineColLoc::get(&ctx, origin, 0, 0); }
  Location nameLoc(StringRef name) {
    return NameLoc::get(StringAttr::get(&ctx, name), fileLoc());
  }
  InFlightDiagnostic emitError(Location loc) {
    hadError = true;
    return mlir::emitError(loc);
  }
  InFlightDiagnostic emitError(const NodeContext &n) {
    hadError = true;
    return n.emitError();
  }

  LogicalResult checkVersions(const onnx::ModelProto &model);
  void importInputs(const onnx::GraphProto &graph, SmallVectorImpl<Type> &argTypes,
                    SmallVectorImpl<StringRef> &argNames);
  void importNode(const onnx::NodeProto &node, int index);
  void importOutputs(const onnx::GraphProto &graph, SmallVectorImpl<Value> &results,
                     SmallVectorImpl<StringRef> &resultNames);

  // Value plumbing.
  Value lookup(const NodeContext &n, StringRef name, int inputIndex);
  Value lookupInitializer(StringRef name);
  FailureOr<Value> getInput(const NodeContext &n, int index);
  FailureOr<Value> getOptionalInput(const NodeContext &n, int index);
  bool claimName(StringRef name, Location loc, const Twine &what);
  void define(const NodeContext &n, Value value);
  void poisonOutputs(const onnx::NodeProto &node);

  // Node-shape checks shared by the op importers.
  LogicalResult checkArity(const NodeContext &n, int minInputs, int maxInputs);
  LogicalResult checkAttributes(const NodeContext &n, ArrayRef<StringRef> known);
  FailureOr<float> getFloatAttr(const NodeContext &n, StringRef name, float defaultValue);
  FailureOr<int64_t> getIntAttr(const NodeContext &n, StringRef name, int64_t defaultValue);
  LogicalResult requireFloat(const NodeContext &n, Value value, int inputIndex);
  template <typename OpT>
  FailureOr<Type> inferResultType(const NodeContext &n, ValueRange operands,
                                  OpaqueProperties properties = nullptr);

  // One importer per ONNX op.
  LogicalResult importMatMul(const NodeContext &n);
  LogicalResult importGemm(const NodeContext &n);
  LogicalResult importAdd(const NodeContext &n);
  LogicalResult importRelu(const NodeContext &n);
  LogicalResult importBinary(const NodeContext &n, graph::BinaryKind kind);
  LogicalResult importVariadic(const NodeContext &n);
  LogicalResult importUnary(const NodeContext &n, graph::UnaryKind kind);
  LogicalResult importParamUnary(const NodeContext &n);
  LogicalResult importClip(const NodeContext &n);
  FailureOr<Value> buildBroadcast(const NodeContext &n, Value a, Value b,
                                  std::optional<graph::BinaryKind> kind);
  LogicalResult importIdentity(const NodeContext &n);
  LogicalResult importConstant(const NodeContext &n);

public:
  using NodeImporter = std::function<LogicalResult(OnnxImporter &, const NodeContext &)>;
  /// Every supported default-domain op type and its importer: the one list
  /// the dispatch, `trellis-cc --op-stats` and the docs are derived from.
  static const llvm::StringMap<NodeImporter> &nodeImporters();
};

} // namespace

//===----------------------------------------------------------------------===//
// Model, inputs, outputs
//===----------------------------------------------------------------------===//

LogicalResult OnnxImporter::checkVersions(const onnx::ModelProto &model) {
  if (model.ir_version() < kMinIrVersion) {
    emitError(fileLoc()) << "unsupported ONNX IR version " << model.ir_version() << " (need >= "
                         << kMinIrVersion << ")";
    return failure();
  }
  std::optional<int64_t> opset;
  for (const onnx::OperatorSetIdProto &entry : model.opset_import()) {
    if (!entry.domain().empty() && entry.domain() != "ai.onnx")
      continue;
    if (opset && *opset != entry.version()) {
      emitError(fileLoc()) << "model imports the default-domain opset twice, as versions "
                           << *opset << " and " << entry.version();
      return failure();
    }
    opset = entry.version();
  }
  if (opset)
    this->opset = *opset;
  if (!opset) {
    emitError(fileLoc()) << "model imports no default-domain (ai.onnx) opset";
    return failure();
  }
  if (*opset < kMinOpset || *opset > kMaxOpset) {
    emitError(fileLoc()) << "unsupported default-domain opset " << *opset << " (supported: "
                         << kMinOpset << " to " << kMaxOpset << ")";
    return failure();
  }
  return success();
}

/// Records `name` as defined; false (after an error) if it already was.
bool OnnxImporter::claimName(StringRef name, Location loc, const Twine &what) {
  if (definedNames.insert(name).second)
    return true;
  emitError(loc) << what << ": value '" << name << "' is already defined";
  return false;
}

void OnnxImporter::importInputs(const onnx::GraphProto &graph, SmallVectorImpl<Type> &argTypes,
                                SmallVectorImpl<StringRef> &argNames) {
  for (const onnx::ValueInfoProto &input : graph.input()) {
    const std::string &name = input.name();
    // An initializer may also be listed as an input (pre-IR-4 style, or to
    // let runtimes override it): it stays a constant.
    if (initializers.count(name))
      continue;
    Location loc = nameLoc(name);
    if (name.empty()) {
      emitError(loc) << "graph input " << argTypes.size() << " has no name";
      continue;
    }
    if (!claimName(name, loc, "graph input '" + name + "'"))
      continue;
    FailureOr<RankedTensorType> type = importStaticTensorType(
        input.type(), ctx, [&] { return emitError(loc) << "graph input '" << name << "' "; });
    if (failed(type)) {
      poisoned.insert(name);
      continue;
    }
    argTypes.push_back(*type);
    argNames.push_back(name);
  }
}

void OnnxImporter::importOutputs(const onnx::GraphProto &graph, SmallVectorImpl<Value> &results,
                                 SmallVectorImpl<StringRef> &resultNames) {
  for (const onnx::ValueInfoProto &output : graph.output()) {
    const std::string &name = output.name();
    Location loc = nameLoc(name);
    auto error = [&]() { return emitError(loc) << "graph output '" << name << "' "; };
    if (poisoned.contains(name))
      continue;
    Value value = symbolTable.lookup(name);
    if (!value)
      value = lookupInitializer(name);
    if (!value) {
      if (!poisoned.contains(name))
        error() << "is not produced by any node, graph input or initializer";
      continue;
    }
    // Our inferred type is static, so a dynamic or missing declared shape is
    // simply filled in; what the model does declare must agree.
    auto actual = cast<RankedTensorType>(value.getType());
    if (output.type().has_tensor_type()) {
      const onnx::TypeProto::Tensor &declared = output.type().tensor_type();
      if (declared.elem_type() != onnx::TensorProto::UNDEFINED &&
          convertDataType(declared.elem_type(), ctx) != actual.getElementType()) {
        error() << "is declared with element type " << dataTypeName(declared.elem_type())
                << " but computes " << actual;
        continue;
      }
      if (declared.has_shape()) {
        const onnx::TensorShapeProto &shape = declared.shape();
        bool matches = shape.dim_size() == actual.getRank();
        for (int i = 0; matches && i < shape.dim_size(); ++i)
          matches = !shape.dim(i).has_dim_value() ||
                    shape.dim(i).dim_value() == actual.getDimSize(i);
        if (!matches) {
          auto diag = error() << "is declared with shape [";
          for (int i = 0; i < shape.dim_size(); ++i) {
            if (i)
              diag << ", ";
            if (shape.dim(i).has_dim_value())
              diag << shape.dim(i).dim_value();
            else if (shape.dim(i).has_dim_param())
              diag << shape.dim(i).dim_param();
            else
              diag << "?";
          }
          diag << "] but computes " << actual;
          continue;
        }
      }
    } else if (output.has_type()) {
      error() << "is not a tensor (sequence, map, optional and sparse types are not supported)";
      continue;
    }
    results.push_back(value);
    resultNames.push_back(name);
  }
}

OwningOpRef<ModuleOp> OnnxImporter::importModel(const onnx::ModelProto &model) {
  ctx.getOrLoadDialect<graph::GraphDialect>();
  ctx.getOrLoadDialect<func::FuncDialect>();
  if (failed(checkVersions(model)))
    return nullptr;

  const onnx::GraphProto &graph = model.graph();
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc());
  llvm::ScopedHashTableScope<StringRef, Value> scope(symbolTable);

  for (const onnx::TensorProto &init : graph.initializer()) {
    if (init.name().empty()) {
      emitError(fileLoc()) << "an initializer has no name";
      continue;
    }
    if (claimName(init.name(), nameLoc(init.name()), "initializer '" + init.name() + "'"))
      initializers[init.name()] = &init;
  }
  if (graph.sparse_initializer_size() != 0)
    emitError(fileLoc()) << "sparse initializers are not supported";
  for (int i = 0, e = graph.node_size(); i < e; ++i)
    for (const std::string &output : graph.node(i).output())
      producers.try_emplace(output, nodeName(graph.node(i), i));

  SmallVector<Type> argTypes;
  SmallVector<StringRef> argNames; // Into the ModelProto, like every name key.
  importInputs(graph, argTypes, argNames);

  builder.setInsertionPointToEnd(module->getBody());
  auto func = func::FuncOp::create(builder, fileLoc(), "main", builder.getFunctionType(argTypes, {}));
  Block *entry = func.addEntryBlock();
  for (auto [arg, name] : llvm::zip_equal(entry->getArguments(), argNames)) {
    arg.setLoc(nameLoc(name));
    symbolTable.insert(name, arg);
  }
  builder.setInsertionPointToEnd(entry);

  for (int i = 0, e = graph.node_size(); i < e; ++i)
    importNode(graph.node(i), i);

  SmallVector<Value> results;
  SmallVector<StringRef> resultNames;
  importOutputs(graph, results, resultNames);
  if (hadError)
    return nullptr;

  func::ReturnOp::create(builder, fileLoc(), results);
  func.setType(builder.getFunctionType(argTypes, ValueRange(results).getTypes()));
  auto nameAttr = [&](StringRef name) {
    return builder.getNamedAttr("trellis.name", builder.getStringAttr(name));
  };
  for (auto [i, name] : llvm::enumerate(argNames))
    func.setArgAttrs(i, builder.getDictionaryAttr(nameAttr(name)));
  for (auto [i, name] : llvm::enumerate(resultNames))
    func.setResultAttrs(i, builder.getDictionaryAttr(nameAttr(name)));

  if (failed(verify(*module)))
    return nullptr;
  return module;
}

//===----------------------------------------------------------------------===//
// Nodes
//===----------------------------------------------------------------------===//

void OnnxImporter::importNode(const onnx::NodeProto &node, int index) {
  std::string name = nodeName(node, index);
  NodeContext n{node, name, nameLoc(name)};

  const NodeImporter *importer = nullptr;
  bool defaultDomain = node.domain().empty() || node.domain() == "ai.onnx";
  if (defaultDomain) {
    auto it = nodeImporters().find(node.op_type());
    if (it != nodeImporters().end())
      importer = &it->second;
  }
  if (!importer) {
    // Reported whatever the state of the inputs, so that one run lists every
    // operator the model needs.
    auto diag = emitError(n) << "unsupported operator";
    if (!defaultDomain)
      diag << " (domain '" << node.domain() << "')";
    poisonOutputs(node);
    return;
  }
  if (failed((*importer)(*this, n)))
    poisonOutputs(node);
}

const llvm::StringMap<OnnxImporter::NodeImporter> &OnnxImporter::nodeImporters() {
  static const llvm::StringMap<NodeImporter> table = [] {
    llvm::StringMap<NodeImporter> t;
    auto member = [&](StringRef op, LogicalResult (OnnxImporter::*fn)(const NodeContext &)) {
      t[op] = [fn](OnnxImporter &self, const NodeContext &n) { return (self.*fn)(n); };
    };
    // Element-wise ops that map one to one onto a graph.binary / graph.unary kind.
    auto binary = [&](StringRef op, graph::BinaryKind kind) {
      t[op] = [kind](OnnxImporter &self, const NodeContext &n) {
        return self.importBinary(n, kind);
      };
    };
    auto unary = [&](StringRef op, graph::UnaryKind kind) {
      t[op] = [kind](OnnxImporter &self, const NodeContext &n) {
        return self.importUnary(n, kind);
      };
    };
    member("MatMul", &OnnxImporter::importMatMul);
    member("Gemm", &OnnxImporter::importGemm);
    member("Add", &OnnxImporter::importAdd);
    member("Relu", &OnnxImporter::importRelu);
    binary("Sub", graph::BinaryKind::sub);
    binary("Mul", graph::BinaryKind::mul);
    binary("Div", graph::BinaryKind::div);
    binary("Pow", graph::BinaryKind::pow);
    for (StringRef op : {"Max", "Min", "Sum", "Mean"})
      member(op, &OnnxImporter::importVariadic);
    unary("Neg", graph::UnaryKind::neg);
    unary("Abs", graph::UnaryKind::abs);
    unary("Exp", graph::UnaryKind::exp);
    unary("Log", graph::UnaryKind::log);
    unary("Sqrt", graph::UnaryKind::sqrt);
    unary("Reciprocal", graph::UnaryKind::reciprocal);
    unary("Tanh", graph::UnaryKind::tanh);
    unary("Sigmoid", graph::UnaryKind::sigmoid);
    unary("Erf", graph::UnaryKind::erf);
    unary("Softplus", graph::UnaryKind::softplus);
    for (StringRef op : {"LeakyRelu", "Elu", "HardSigmoid"})
      member(op, &OnnxImporter::importParamUnary);
    member("Clip", &OnnxImporter::importClip);
    member("Identity", &OnnxImporter::importIdentity);
    member("Constant", &OnnxImporter::importConstant);
    return t;
  }();
  return table;
}

void OnnxImporter::poisonOutputs(const onnx::NodeProto &node) {
  for (const std::string &output : node.output())
    if (!output.empty()) {
      definedNames.insert(output);
      poisoned.insert(output);
    }
}

Value OnnxImporter::lookupInitializer(StringRef name) {
  auto it = initializers.find(name);
  if (it == initializers.end())
    return {};
  const onnx::TensorProto &tensor = *it->second;
  Location loc = nameLoc(name);
  FailureOr<DenseElementsAttr> value = importTensor(
      tensor, ctx, [&] { return emitError(loc) << "initializer '" << name << "' "; });
  // Either way the initializer is done with: a failure is reported once.
  initializers.erase(it);
  if (failed(value)) {
    poisoned.insert(name);
    return {};
  }
  // The key must outlive the table: point it into the ModelProto.
  Value constant = graph::ConstantOp::create(builder, loc, *value);
  symbolTable.insert(tensor.name(), constant);
  return constant;
}

/// The value named `name`, input `inputIndex` of the node; null if there is
/// none, after reporting why unless the reason was already reported.
Value OnnxImporter::lookup(const NodeContext &n, StringRef name, int inputIndex) {
  if (Value value = symbolTable.lookup(name))
    return value;
  if (poisoned.contains(name))
    return {};
  if (Value value = lookupInitializer(name))
    return value;
  if (poisoned.contains(name))
    return {};
  auto diag = emitError(n) << "input " << inputIndex << " ('" << name << "') ";
  auto producer = producers.find(name);
  if (producer != producers.end())
    diag << "is produced by a later node ('" << producer->second
         << "'); nodes must be in topological order";
  else
    diag << "is not defined by any graph input, initializer or node";
  return {};
}

FailureOr<Value> OnnxImporter::getInput(const NodeContext &n, int index) {
  if (index >= n.node.input_size() || n.node.input(index).empty()) {
    emitError(n) << "required input " << index << " is missing";
    return failure();
  }
  Value value = lookup(n, n.node.input(index), index);
  if (!value)
    return failure();
  return value;
}

/// A null Value when the optional input is absent or named "".
FailureOr<Value> OnnxImporter::getOptionalInput(const NodeContext &n, int index) {
  if (index >= n.node.input_size() || n.node.input(index).empty())
    return Value();
  return getInput(n, index);
}

void OnnxImporter::define(const NodeContext &n, Value value) {
  const std::string &name = n.node.output(0);
  if (name.empty())
    return; // The result is unused.
  if (claimName(name, n.loc, "node '" + n.name + "' (op type " + n.node.op_type() + ")"))
    symbolTable.insert(name, value);
  else
    poisoned.insert(name);
}

LogicalResult OnnxImporter::checkArity(const NodeContext &n, int minInputs, int maxInputs) {
  int numInputs = n.node.input_size();
  if (numInputs < minInputs || numInputs > maxInputs) {
    auto diag = emitError(n) << "expected ";
    if (minInputs == maxInputs)
      diag << minInputs;
    else
      diag << minInputs << " to " << maxInputs;
    diag << " inputs, got " << numInputs;
    return failure();
  }
  // Every op here has exactly one output.
  if (n.node.output_size() != 1) {
    emitError(n) << "expected 1 output, got " << n.node.output_size();
    return failure();
  }
  return success();
}

/// Rejects attributes the importer would otherwise silently ignore.
LogicalResult OnnxImporter::checkAttributes(const NodeContext &n, ArrayRef<StringRef> known) {
  LogicalResult result = success();
  llvm::StringSet<> seen;
  for (const onnx::AttributeProto &attr : n.node.attribute()) {
    if (!llvm::is_contained(known, attr.name())) {
      emitError(n) << "unexpected attribute '" << attr.name() << "'";
      result = failure();
    } else if (!seen.insert(attr.name()).second) {
      emitError(n) << "attribute '" << attr.name() << "' is given twice";
      result = failure();
    }
  }
  return result;
}

static const onnx::AttributeProto *findAttr(const onnx::NodeProto &node, StringRef name) {
  for (const onnx::AttributeProto &attr : node.attribute())
    if (attr.name() == name)
      return &attr;
  return nullptr;
}

FailureOr<float> OnnxImporter::getFloatAttr(const NodeContext &n, StringRef name,
                                            float defaultValue) {
  const onnx::AttributeProto *attr = findAttr(n.node, name);
  if (!attr)
    return defaultValue;
  // Very old writers leave `type` unset.
  if (attr->type() == onnx::AttributeProto::FLOAT ||
      (attr->type() == onnx::AttributeProto::UNDEFINED && attr->has_f()))
    return attr->f();
  emitError(n) << "attribute '" << name << "' must be a float";
  return failure();
}

FailureOr<int64_t> OnnxImporter::getIntAttr(const NodeContext &n, StringRef name,
                                            int64_t defaultValue) {
  const onnx::AttributeProto *attr = findAttr(n.node, name);
  if (!attr)
    return defaultValue;
  if (attr->type() == onnx::AttributeProto::INT ||
      (attr->type() == onnx::AttributeProto::UNDEFINED && attr->has_i()))
    return attr->i();
  emitError(n) << "attribute '" << name << "' must be an int";
  return failure();
}

LogicalResult OnnxImporter::requireFloat(const NodeContext &n, Value value, int inputIndex) {
  auto type = cast<RankedTensorType>(value.getType());
  Type elt = type.getElementType();
  // Every input of a compute node has the element type of input 0.
  Value input0 = n.node.input_size() ? symbolTable.lookup(n.node.input(0)) : Value();
  Type first = input0 ? cast<RankedTensorType>(input0.getType()).getElementType() : Type();
  if (!(elt.isF32() || elt.isBF16() || elt.isF16())) {
    emitError(n) << "input " << inputIndex << " ('" << n.node.input(inputIndex) << "') has type "
                 << type << "; only f32, bf16 and f16 are supported for now";
    return failure();
  }
  if (first && first != elt) {
    emitError(n) << "input " << inputIndex << " ('" << n.node.input(inputIndex) << "') has type "
                 << type << " but input 0 has element type " << first;
    return failure();
  }
  return success();
}

/// Runs the graph op's own shape inference before the op is built: its
/// builders abort on an inference failure, and the model is untrusted. The
/// importers check operands first to give ONNX-level messages; this is the
/// backstop.
template <typename OpT>
FailureOr<Type> OnnxImporter::inferResultType(const NodeContext &n, ValueRange operands,
                                              OpaqueProperties properties) {
  SmallVector<Type, 1> types;
  if (succeeded(OpT::inferReturnTypes(&ctx, std::nullopt, operands, DictionaryAttr(), properties,
                                      RegionRange(), types)) &&
      types.size() == 1)
    return types.front();
  auto diag = emitError(n) << "invalid operand types for " << OpT::getOperationName() << ": (";
  llvm::interleaveComma(operands.getTypes(), diag);
  diag << ")";
  return failure();
}

/// Prints a shape as ONNX users read it: [2, 3, 4].
static std::string shapeStr(RankedTensorType type) {
  std::string s = "[";
  llvm::raw_string_ostream os(s);
  llvm::interleaveComma(type.getShape(), os);
  os << "]";
  return s;
}

//===----------------------------------------------------------------------===//
// Op importers
//===----------------------------------------------------------------------===//

LogicalResult OnnxImporter::importMatMul(const NodeContext &n) {
  if (failed(checkArity(n, 2, 2)) || failed(checkAttributes(n, {})))
    return failure();
  FailureOr<Value> a = getInput(n, 0), b = getInput(n, 1);
  if (failed(a) || failed(b) || failed(requireFloat(n, *a, 0)) || failed(requireFloat(n, *b, 1)))
    return failure();
  auto aType = cast<RankedTensorType>(a->getType()), bType = cast<RankedTensorType>(b->getType());
  if (aType.getRank() < 2 || bType.getRank() < 2) {
    emitError(n) << "operands of rank < 2 (shapes " << shapeStr(aType) << " and "
                 << shapeStr(bType) << ") are not supported yet";
    return failure();
  }
  int64_t k = aType.getShape().back(), k2 = bType.getShape().end()[-2];
  if (k != k2) {
    emitError(n) << "cannot multiply " << shapeStr(aType) << " by " << shapeStr(bType)
                 << ": inner dimensions differ (" << k << " vs " << k2 << ")";
    return failure();
  }
  if (!graph::broadcastShapes(aType.getShape().drop_back(2), bType.getShape().drop_back(2))) {
    emitError(n) << "batch dimensions of " << shapeStr(aType) << " and " << shapeStr(bType)
                 << " do not broadcast";
    return failure();
  }
  SmallVector<Value, 2> operands = {*a, *b};
  FailureOr<Type> type = inferResultType<graph::MatMulOp>(n, operands);
  if (failed(type))
    return failure();
  define(n, graph::MatMulOp::create(builder, n.loc, *type, *a, *b));
  return success();
}

LogicalResult OnnxImporter::importGemm(const NodeContext &n) {
  if (failed(checkArity(n, 2, 3)) ||
      failed(checkAttributes(n, {"alpha", "beta", "transA", "transB"})))
    return failure();
  FailureOr<float> alpha = getFloatAttr(n, "alpha", 1.0f), beta = getFloatAttr(n, "beta", 1.0f);
  FailureOr<int64_t> transA = getIntAttr(n, "transA", 0), transB = getIntAttr(n, "transB", 0);
  if (failed(alpha) || failed(beta) || failed(transA) || failed(transB))
    return failure();
  for (auto [attrName, value] : {std::pair{"transA", *transA}, std::pair{"transB", *transB}})
    if (value != 0 && value != 1) {
      emitError(n) << "attribute '" << attrName << "' must be 0 or 1, got " << value;
      return failure();
    }

  FailureOr<Value> a = getInput(n, 0), b = getInput(n, 1), c = getOptionalInput(n, 2);
  if (failed(a) || failed(b) || failed(c) || failed(requireFloat(n, *a, 0)) ||
      failed(requireFloat(n, *b, 1)) || (*c && failed(requireFloat(n, *c, 2))))
    return failure();
  auto aType = cast<RankedTensorType>(a->getType()), bType = cast<RankedTensorType>(b->getType());
  if (aType.getRank() != 2 || bType.getRank() != 2) {
    emitError(n) << "A and B must be rank 2, got shapes " << shapeStr(aType) << " and "
                 << shapeStr(bType);
    return failure();
  }

  // Transposes become explicit ops; on constant weights they fold away.
  auto transpose = [&](Value v) -> Value {
    auto type = cast<RankedTensorType>(v.getType());
    auto resultType = RankedTensorType::get({type.getDimSize(1), type.getDimSize(0)},
                                            type.getElementType());
    return graph::TransposeOp::create(builder, n.loc, resultType, v,
                                      builder.getDenseI64ArrayAttr({1, 0}));
  };
  int64_t m = aType.getDimSize(*transA ? 1 : 0), k = aType.getDimSize(*transA ? 0 : 1);
  int64_t k2 = bType.getDimSize(*transB ? 1 : 0), nDim = bType.getDimSize(*transB ? 0 : 1);
  if (k != k2) {
    emitError(n) << "cannot multiply A " << shapeStr(aType) << (*transA ? " (transposed)" : "")
                 << " by B " << shapeStr(bType) << (*transB ? " (transposed)" : "")
                 << ": inner dimensions differ (" << k << " vs " << k2 << ")";
    return failure();
  }
  if (*c) {
    // Gemm's C broadcasts one way only, to [M, N].
    auto cType = cast<RankedTensorType>(c->getType());
    SmallVector<int64_t> mn = {m, nDim};
    auto shape = graph::broadcastShapes(cType.getShape(), mn);
    if (cType.getRank() > 2 || !shape || ArrayRef<int64_t>(*shape) != ArrayRef<int64_t>(mn)) {
      emitError(n) << "C of shape " << shapeStr(cType) << " does not broadcast to [" << m << ", "
                   << nDim << "]";
      return failure();
    }
  }

  Value x = *transA ? transpose(*a) : *a;
  Value w = *transB ? transpose(*b) : *b;
  SmallVector<Value, 3> operands = {x, w};
  if (*c)
    operands.push_back(*c);
  FailureOr<Type> type = inferResultType<graph::LinearOp>(n, operands);
  if (failed(type))
    return failure();
  // Without C, beta multiplies nothing: keep the canonical default.
  float betaValue = *c ? *beta : 1.0f;
  define(n, graph::LinearOp::create(builder, n.loc, *type, x, w, *c, llvm::APFloat(*alpha),
                                    llvm::APFloat(betaValue), graph::Activation::none));
  return success();
}

/// a + b (no kind) or `kind`(a, b), broadcasting, after checking the shapes.
FailureOr<Value> OnnxImporter::buildBroadcast(const NodeContext &n, Value a, Value b,
                                              std::optional<graph::BinaryKind> kind) {
  auto aType = cast<RankedTensorType>(a.getType()), bType = cast<RankedTensorType>(b.getType());
  if (!graph::broadcastShapes(aType.getShape(), bType.getShape())) {
    emitError(n) << "shapes " << shapeStr(aType) << " and " << shapeStr(bType)
                 << " do not broadcast";
    return failure();
  }
  SmallVector<Value, 2> operands = {a, b};
  if (!kind) {
    FailureOr<Type> type = inferResultType<graph::AddOp>(n, operands);
    if (failed(type))
      return failure();
    return graph::AddOp::create(builder, n.loc, *type, a, b).getResult();
  }
  FailureOr<Type> type = inferResultType<graph::BinaryOp>(n, operands);
  if (failed(type))
    return failure();
  return graph::BinaryOp::create(builder, n.loc, *type, *kind, a, b).getResult();
}

LogicalResult OnnxImporter::importAdd(const NodeContext &n) {
  if (failed(checkArity(n, 2, 2)) || failed(checkAttributes(n, {})))
    return failure();
  FailureOr<Value> a = getInput(n, 0), b = getInput(n, 1);
  if (failed(a) || failed(b) || failed(requireFloat(n, *a, 0)) || failed(requireFloat(n, *b, 1)))
    return failure();
  FailureOr<Value> sum = buildBroadcast(n, *a, *b, std::nullopt);
  if (failed(sum))
    return failure();
  define(n, *sum);
  return success();
}

LogicalResult OnnxImporter::importBinary(const NodeContext &n, graph::BinaryKind kind) {
  if (failed(checkArity(n, 2, 2)) || failed(checkAttributes(n, {})))
    return failure();
  FailureOr<Value> a = getInput(n, 0), b = getInput(n, 1);
  if (failed(a) || failed(b) || failed(requireFloat(n, *a, 0)) || failed(requireFloat(n, *b, 1)))
    return failure();
  FailureOr<Value> result = buildBroadcast(n, *a, *b, kind);
  if (failed(result))
    return failure();
  define(n, *result);
  return success();
}

/// Max, Min, Sum and Mean take one or more inputs, all broadcast together:
/// a left fold of binary ops (Mean then scales by 1/count).
LogicalResult OnnxImporter::importVariadic(const NodeContext &n) {
  if (failed(checkArity(n, 1, INT_MAX)) || failed(checkAttributes(n, {})))
    return failure();
  StringRef opType = n.node.op_type();
  std::optional<graph::BinaryKind> kind;
  if (opType == "Max")
    kind = graph::BinaryKind::max;
  else if (opType == "Min")
    kind = graph::BinaryKind::min;
  SmallVector<Value> inputs;
  for (int i = 0, e = n.node.input_size(); i < e; ++i) {
    FailureOr<Value> v = getInput(n, i);
    if (failed(v) || failed(requireFloat(n, *v, i)))
      return failure();
    inputs.push_back(*v);
  }
  Value acc = inputs.front();
  for (Value v : ArrayRef(inputs).drop_front()) {
    FailureOr<Value> next = buildBroadcast(n, acc, v, kind);
    if (failed(next))
      return failure();
    acc = *next;
  }
  if (opType == "Mean" && inputs.size() > 1)
    acc = graph::UnaryOp::create(builder, n.loc, acc.getType(), graph::UnaryKind::affine, acc,
                                 builder.getF32FloatAttr(1.0f / float(inputs.size())),
                                 builder.getF32FloatAttr(0.0f));
  define(n, acc);
  return success();
}

LogicalResult OnnxImporter::importUnary(const NodeContext &n, graph::UnaryKind kind) {
  if (failed(checkArity(n, 1, 1)) || failed(checkAttributes(n, {})))
    return failure();
  FailureOr<Value> x = getInput(n, 0);
  if (failed(x) || failed(requireFloat(n, *x, 0)))
    return failure();
  define(n, graph::UnaryOp::create(builder, n.loc, x->getType(), kind, *x, FloatAttr(),
                                   FloatAttr()));
  return success();
}

/// LeakyRelu, Elu and HardSigmoid: unary functions with float attributes
/// (defaults from the ONNX spec).
LogicalResult OnnxImporter::importParamUnary(const NodeContext &n) {
  StringRef opType = n.node.op_type();
  bool hardSigmoid = opType == "HardSigmoid";
  if (failed(checkArity(n, 1, 1)) ||
      failed(checkAttributes(n, hardSigmoid ? ArrayRef<StringRef>{"alpha", "beta"}
                                            : ArrayRef<StringRef>{"alpha"})))
    return failure();
  graph::UnaryKind kind = hardSigmoid         ? graph::UnaryKind::hard_sigmoid
                          : opType == "Elu"   ? graph::UnaryKind::elu
                                              : graph::UnaryKind::leaky_relu;
  float defaultAlpha = hardSigmoid ? 0.2f : kind == graph::UnaryKind::elu ? 1.0f : 0.01f;
  FailureOr<float> alpha = getFloatAttr(n, "alpha", defaultAlpha);
  FailureOr<float> beta = getFloatAttr(n, "beta", 0.5f);
  FailureOr<Value> x = getInput(n, 0);
  if (failed(alpha) || failed(beta) || failed(x) || failed(requireFloat(n, *x, 0)))
    return failure();
  define(n, graph::UnaryOp::create(builder, n.loc, x->getType(), kind, *x,
                                   builder.getF32FloatAttr(*alpha),
                                   hardSigmoid ? builder.getF32FloatAttr(*beta) : FloatAttr()));
  return success();
}

/// Clip: max(x, min) then min(., max). From opset 11 the bounds are optional
/// scalar inputs (any tensor, broadcast like a scalar); before, attributes.
LogicalResult OnnxImporter::importClip(const NodeContext &n) {
  bool boundsAreInputs = opset >= 11;
  if (failed(checkArity(n, 1, boundsAreInputs ? 3 : 1)) ||
      failed(checkAttributes(n, boundsAreInputs ? ArrayRef<StringRef>{}
                                                : ArrayRef<StringRef>{"min", "max"})))
    return failure();
  FailureOr<Value> x = getInput(n, 0);
  if (failed(x) || failed(requireFloat(n, *x, 0)))
    return failure();
  Type elt = cast<RankedTensorType>(x->getType()).getElementType();
  Value bounds[2];
  for (int i = 0; i < 2; ++i) {
    if (boundsAreInputs) {
      FailureOr<Value> bound = getOptionalInput(n, i + 1);
      if (failed(bound) || (*bound && failed(requireFloat(n, *bound, i + 1))))
        return failure();
      auto boundType = *bound ? cast<RankedTensorType>(bound->getType()) : RankedTensorType();
      if (boundType && (boundType.getNumElements() != 1 ||
                        boundType.getRank() > cast<RankedTensorType>(x->getType()).getRank())) {
        emitError(n) << "input " << i + 1 << " ('" << n.node.input(i + 1)
                     << "') must be a scalar";
        return failure();
      }
      bounds[i] = *bound;
      continue;
    }
    if (!findAttr(n.node, i ? "max" : "min"))
      continue;
    FailureOr<float> value = getFloatAttr(n, i ? "max" : "min", 0.0f);
    if (failed(value))
      return failure();
    auto type = RankedTensorType::get({}, elt);
    bounds[i] = graph::ConstantOp::create(
        builder, n.loc, DenseElementsAttr::get(type, builder.getFloatAttr(elt, *value)));
  }
  Value result = *x;
  for (int i = 0; i < 2; ++i) {
    if (!bounds[i])
      continue;
    FailureOr<Value> next =
        buildBroadcast(n, result, bounds[i], i ? graph::BinaryKind::min : graph::BinaryKind::max);
    if (failed(next))
      return failure();
    result = *next;
  }
  define(n, result);
  return success();
}

LogicalResult OnnxImporter::importRelu(const NodeContext &n) {
  if (failed(checkArity(n, 1, 1)) || failed(checkAttributes(n, {})))
    return failure();
  FailureOr<Value> x = getInput(n, 0);
  if (failed(x) || failed(requireFloat(n, *x, 0)))
    return failure();
  define(n, graph::ReluOp::create(builder, n.loc, x->getType(), *x));
  return success();
}

LogicalResult OnnxImporter::importIdentity(const NodeContext &n) {
  if (failed(checkArity(n, 1, 1)) || failed(checkAttributes(n, {})))
    return failure();
  FailureOr<Value> x = getInput(n, 0);
  if (failed(x))
    return failure();
  define(n, *x);
  return success();
}

LogicalResult OnnxImporter::importConstant(const NodeContext &n) {
  if (failed(checkArity(n, 0, 0)) ||
      failed(checkAttributes(n, {"value", "value_float", "value_floats", "value_int", "value_ints",
                                 "sparse_value", "value_string", "value_strings"})))
    return failure();
  if (n.node.attribute_size() != 1) {
    emitError(n) << "expected exactly one value attribute, got " << n.node.attribute_size();
    return failure();
  }
  const onnx::AttributeProto &attr = n.node.attribute(0);
  auto wrongType = [&]() {
    emitError(n) << "attribute '" << attr.name() << "' has the wrong type";
    return failure();
  };
  DenseElementsAttr value;
  Type f32 = builder.getF32Type(), i64 = builder.getI64Type();
  if (attr.name() == "value") {
    if (!attr.has_t())
      return wrongType();
    FailureOr<DenseElementsAttr> tensor = importTensor(
        attr.t(), ctx, [&] { return emitError(n) << "attribute 'value' "; });
    if (failed(tensor))
      return failure();
    value = *tensor;
  } else if (attr.name() == "value_float") {
    if (attr.type() != onnx::AttributeProto::FLOAT)
      return wrongType();
    value = DenseElementsAttr::get(RankedTensorType::get({}, f32), attr.f());
  } else if (attr.name() == "value_floats") {
    if (attr.type() != onnx::AttributeProto::FLOATS)
      return wrongType();
    value = DenseElementsAttr::get(RankedTensorType::get({attr.floats_size()}, f32),
                                   ArrayRef<float>(attr.floats().data(), attr.floats_size()));
  } else if (attr.name() == "value_int") {
    if (attr.type() != onnx::AttributeProto::INT)
      return wrongType();
    value = DenseElementsAttr::get(RankedTensorType::get({}, i64), attr.i());
  } else if (attr.name() == "value_ints") {
    if (attr.type() != onnx::AttributeProto::INTS)
      return wrongType();
    value = DenseElementsAttr::get(RankedTensorType::get({attr.ints_size()}, i64),
                                   ArrayRef<int64_t>(attr.ints().data(), attr.ints_size()));
  } else {
    emitError(n) << "attribute '" << attr.name() << "' is not supported yet";
    return failure();
  }
  define(n, graph::ConstantOp::create(builder, n.loc, value));
  return success();
}

//===----------------------------------------------------------------------===//
// Entry points
//===----------------------------------------------------------------------===//

OwningOpRef<ModuleOp> trellis::importOnnxModelFromBytes(StringRef bytes, StringRef origin,
                                                        MLIRContext &ctx,
                                                        const OnnxImportOptions &) {
  Location loc = FileLineColLoc::get(&ctx, origin, 0, 0);
  // protobuf reads at most INT_MAX bytes in one message.
  if (bytes.size() > size_t(INT_MAX)) {
    emitError(loc) << "'" << origin
                   << "' is larger than 2 GiB; models with external data are not supported yet";
    return nullptr;
  }
  // An empty message parses fine but would only fail later, less clearly.
  if (bytes.empty()) {
    emitError(loc) << "'" << origin << "' is empty, not an ONNX model";
    return nullptr;
  }
  onnx::ModelProto model;
  if (!model.ParseFromArray(bytes.data(), int(bytes.size()))) {
    emitError(loc) << "'" << origin << "' is not a valid ONNX model (protobuf parsing failed)";
    return nullptr;
  }
  return OnnxImporter(ctx, origin).importModel(model);
}

OwningOpRef<ModuleOp> trellis::importOnnxModel(StringRef path, MLIRContext &ctx,
                                               const OnnxImportOptions &opts) {
  // No null terminator needed, so large models are mapped, not copied.
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer) {
    emitError(FileLineColLoc::get(&ctx, path, 0, 0))
        << "cannot read ONNX model '" << path << "': " << buffer.getError().message();
    return nullptr;
  }
  return importOnnxModelFromBytes((*buffer)->getBuffer(), path, ctx, opts);
}

std::vector<std::string> trellis::supportedOnnxOps() {
  std::vector<std::string> ops;
  for (const auto &entry : OnnxImporter::nodeImporters())
    ops.push_back(entry.getKey().str());
  llvm::sort(ops);
  return ops;
}

llvm::Expected<std::vector<OnnxOpStat>> trellis::collectOnnxOpStats(StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return llvm::createStringError(buffer.getError(), "cannot read ONNX model '%s': %s",
                                   path.str().c_str(), buffer.getError().message().c_str());
  StringRef bytes = (*buffer)->getBuffer();
  onnx::ModelProto model;
  if (bytes.empty() || bytes.size() > size_t(INT_MAX) ||
      !model.ParseFromArray(bytes.data(), int(bytes.size())))
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "'%s' is not a valid ONNX model", path.str().c_str());
  std::map<std::pair<std::string, std::string>, OnnxOpStat> stats;
  const auto &importers = OnnxImporter::nodeImporters();
  for (int i = 0; i < model.graph().node_size(); ++i) {
    const onnx::NodeProto &node = model.graph().node(i);
    bool defaultDomain = node.domain().empty() || node.domain() == "ai.onnx";
    OnnxOpStat &s = stats[{node.domain(), node.op_type()}];
    s.domain = node.domain();
    s.opType = node.op_type();
    s.supported = defaultDomain && importers.count(node.op_type());
    ++s.count;
    s.nodes.push_back(nodeName(node, i));
  }
  std::vector<OnnxOpStat> out;
  for (auto &entry : stats)
    out.push_back(std::move(entry.second));
  llvm::sort(out, [](const OnnxOpStat &a, const OnnxOpStat &b) {
    return a.count != b.count ? a.count > b.count : a.opType < b.opType;
  });
  return out;
}
