//===- OnnxImporter.cpp - ONNX protobuf to the graph dialect --------------===//
//
// Shaped after Toy's MLIRGen: one class holding an OpBuilder and a scoped
// symbol table from ONNX value names to SSA values, one import function per
// ONNX op (in the Import*.cpp family files), and a location for everything
// so each diagnostic names the node.
//
// Errors do not stop the walk: a node that fails "poisons" its outputs, and
// nodes reading a poisoned value are skipped silently. That way one import
// reports every unsupported node and every independent problem, without a
// cascade of follow-on errors.
//
//===----------------------------------------------------------------------===//

#include "trellis/Frontend/OnnxImporter.h"

#include "Importer.h"
#include "OnnxTypes.h"
#include "trellis/Dialect/Graph.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include "onnx/onnx_pb.h"

#include <climits>
#include <map>

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
/// ONNX 1.18's IR version. Later versions may give fields meanings this
/// importer would silently misread.
constexpr int64_t kMaxIrVersion = 11;

} // namespace

InFlightDiagnostic NodeContext::emitError() const {
  return mlir::emitError(loc) << "node '" << name << "' (op type " << node.op_type() << "): ";
}

Location OnnxImporter::fileLoc() { return FileLineColLoc::get(&ctx, origin, 0, 0); }
Location OnnxImporter::nameLoc(StringRef name) {
  return NameLoc::get(StringAttr::get(&ctx, name), fileLoc());
}

//===----------------------------------------------------------------------===//
// Model, inputs, outputs
//===----------------------------------------------------------------------===//

LogicalResult OnnxImporter::checkVersions(const onnx::ModelProto &model) {
  if (model.ir_version() < kMinIrVersion || model.ir_version() > kMaxIrVersion) {
    emitError(fileLoc()) << "unsupported ONNX IR version " << model.ir_version()
                         << " (supported: " << kMinIrVersion << " to " << kMaxIrVersion << ")";
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

void OnnxImporter::importInputs(
    const onnx::GraphProto &graph, SmallVectorImpl<Type> &argTypes,
    SmallVectorImpl<StringRef> &argNames,
    SmallVectorImpl<std::pair<StringRef, DenseElementsAttr>> &boundInputs) {
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
    auto error = [&] { return emitError(loc) << "graph input '" << name << "' "; };
    std::optional<ArrayRef<int64_t>> pinned;
    if (auto it = options.inputShapes.find(name); it != options.inputShapes.end())
      pinned = it->second;
    FailureOr<RankedTensorType> type = importStaticTensorType(input.type(), ctx, error, pinned);
    if (failed(type)) {
      poisoned.insert(name);
      continue;
    }
    if (auto it = options.constantInputs.find(name); it != options.constantInputs.end()) {
      FailureOr<DenseElementsAttr> value = readTensorFile(it->second, ctx, error);
      if (succeeded(value) && value->getType() != *type) {
        error() << "is declared as " << *type << " but --constant-input '" << it->second
                << "' holds " << value->getType();
        value = failure();
      }
      if (failed(value))
        poisoned.insert(name);
      else
        boundInputs.push_back({name, *value});
      continue;
    }
    argTypes.push_back(*type);
    argNames.push_back(name);
  }
}

void OnnxImporter::importOutputs(const onnx::GraphProto &graph, SmallVectorImpl<Value> &results,
                                 SmallVectorImpl<StringRef> &resultNames) {
  llvm::StringSet<> listed;
  for (const onnx::ValueInfoProto &output : graph.output()) {
    const std::string &name = output.name();
    Location loc = nameLoc(name);
    auto error = [&]() { return emitError(loc) << "graph output '" << name << "' "; };
    // Outputs are written to files and buffers by name: one name, one output.
    if (!listed.insert(name).second) {
      error() << "is listed twice";
      continue;
    }
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
  if (!model.has_graph()) {
    emitError(fileLoc()) << "model has no graph";
    return nullptr;
  }
  if (model.graph().output_size() == 0) {
    emitError(fileLoc()) << "graph '" << model.graph().name() << "' has no outputs";
    return nullptr;
  }

  const onnx::GraphProto &graph = model.graph();
  this->graph = &graph;
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
      producers.try_emplace(output, i);

  SmallVector<Type> argTypes;
  SmallVector<StringRef> argNames; // Into the ModelProto, like every name key.
  SmallVector<std::pair<StringRef, DenseElementsAttr>> boundInputs;
  importInputs(graph, argTypes, argNames, boundInputs);
  for (const auto &entry : options.inputShapes)
    if (!llvm::any_of(graph.input(), [&](const onnx::ValueInfoProto &input) {
          return input.name() == entry.first;
        }))
      emitError(fileLoc()) << "--input-shape names '" << entry.first
                           << "', which is not a graph input";
  for (const auto &entry : options.constantInputs)
    if (!llvm::any_of(graph.input(), [&](const onnx::ValueInfoProto &input) {
          return input.name() == entry.first;
        }))
      emitError(fileLoc()) << "--constant-input names '" << entry.first
                           << "', which is not a graph input";

  builder.setInsertionPointToEnd(module->getBody());
  auto func = func::FuncOp::create(builder, fileLoc(), "main", builder.getFunctionType(argTypes, {}));
  Block *entry = func.addEntryBlock();
  for (auto [arg, name] : llvm::zip_equal(entry->getArguments(), argNames)) {
    arg.setLoc(nameLoc(name));
    symbolTable.insert(name, arg);
  }
  builder.setInsertionPointToEnd(entry);
  for (auto [name, value] : boundInputs)
    symbolTable.insert(name, graph::ConstantOp::create(builder, nameLoc(name), value));

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
      importer = &it->second.import;
  }
  if (!importer && !defaultDomain && options.customOps &&
      options.customOps->handles(node.domain(), node.op_type())) {
    if (failed(importCustomNode(n)))
      poisonOutputs(node);
    return;
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


LogicalResult OnnxImporter::importCustomNode(const NodeContext &n) {
  SmallVector<Value> inputs;
  for (int i = 0; i < n.node.input_size(); ++i) {
    FailureOr<Value> v = getInput(n, i);
    if (failed(v))
      return failure();
    inputs.push_back(*v);
  }
  SmallVector<NamedAttribute> attrs;
  for (const onnx::AttributeProto &a : n.node.attribute()) {
    if (a.type() == onnx::AttributeProto::INT)
      attrs.push_back(builder.getNamedAttr(a.name(), builder.getI64IntegerAttr(a.i())));
    else if (a.type() == onnx::AttributeProto::FLOAT)
      attrs.push_back(builder.getNamedAttr(a.name(), builder.getF32FloatAttr(a.f())));
    else
      return emitError(n) << "attribute '" << a.name()
                          << "' is not an int or a float, which is all a kernel takes";
  }
  FailureOr<SmallVector<Value>> outputs =
      options.customOps->import(builder, n.loc, n.node.domain(), n.node.op_type(), inputs, attrs);
  if (failed(outputs)) {
    hadError = true;
    return failure();
  }
  if ((int)outputs->size() != n.node.output_size())
    return emitError(n) << "has " << n.node.output_size() << " outputs; its kernel produces "
                        << outputs->size();
  for (auto [i, v] : llvm::enumerate(*outputs))
    define(n, v, i);
  return success();
}

const ImporterTable &trellis::onnx_import::nodeImporters() {
  static const ImporterTable table = [] {
    ImporterTable t;
    registerElementwiseImporters(t);
    registerLinearImporters(t);
    registerShapeImporters(t);
    registerConvImporters(t);
    registerNormImporters(t);
    return t;
  }();
  return table;
}

void OnnxImporter::setInitializerData(const onnx::GraphProto &graph,
                                      ArrayRef<std::optional<StringRef>> raw) {
  for (auto [tensor, data] : llvm::zip_equal(graph.initializer(), raw))
    if (data)
      initializerData[&tensor] = *data;
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
  std::optional<StringRef> raw;
  if (auto data = initializerData.find(&tensor); data != initializerData.end())
    raw = data->second;
  FailureOr<DenseElementsAttr> value = importTensor(
      tensor, ctx, [&] { return emitError(loc) << "initializer '" << name << "' "; },
      &externalData, raw);
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
  if (producer != producers.end() && dependsOn(producer->second, n.node))
    diag << "is produced by node '" << nodeName(graph->node(producer->second), producer->second)
         << "', which depends on this node's output: the graph has a cycle";
  else if (producer != producers.end())
    diag << "is produced by a later node ('"
         << nodeName(graph->node(producer->second), producer->second)
         << "'); nodes must be in topological order";
  else
    diag << "is not defined by any graph input, initializer or node";
  return {};
}

bool OnnxImporter::dependsOn(int from, const onnx::NodeProto &node) const {
  llvm::StringSet<> outputs;
  for (const std::string &out : node.output())
    if (!out.empty())
      outputs.insert(out);
  std::vector<bool> seen(size_t(graph->node_size()), false);
  SmallVector<int> work = {from};
  while (!work.empty()) {
    int i = work.pop_back_val();
    if (seen[size_t(i)])
      continue;
    seen[size_t(i)] = true;
    for (const std::string &in : graph->node(i).input()) {
      if (outputs.contains(in))
        return true;
      auto it = producers.find(in);
      if (it != producers.end())
        work.push_back(it->second);
    }
  }
  return false;
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

void OnnxImporter::define(const NodeContext &n, Value value, int outputIndex) {
  const std::string &name = n.node.output(outputIndex);
  if (name.empty())
    return; // The result is unused.
  if (claimName(name, n.loc, "node '" + n.name + "' (op type " + n.node.op_type() + ")"))
    symbolTable.insert(name, value);
  else
    poisoned.insert(name);
}

LogicalResult OnnxImporter::checkArity(const NodeContext &n, int minInputs, int maxInputs,
                                       int minOutputs, int maxOutputs) {
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
  int numOutputs = n.node.output_size();
  if (numOutputs < minOutputs || numOutputs > maxOutputs) {
    auto diag = emitError(n) << "expected ";
    if (minOutputs == maxOutputs)
      diag << minOutputs;
    else
      diag << minOutputs << " to " << maxOutputs;
    diag << " output" << (maxOutputs == 1 ? "" : "s") << ", got " << numOutputs;
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

const onnx::AttributeProto *OnnxImporter::findAttr(const onnx::NodeProto &node, StringRef name) {
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

bool trellis::onnx_import::hasMachineNumericType(Type elt) {
  if (elt.isF32() || elt.isBF16() || elt.isF16())
    return true;
  auto i = dyn_cast<IntegerType>(elt);
  if (!i || i.isSigned())
    return false;
  if (i.isUnsigned())
    return i.getWidth() == 8 || i.getWidth() == 32;
  return i.getWidth() == 8 || i.getWidth() == 16 || i.getWidth() == 32 || i.getWidth() == 64;
}

LogicalResult OnnxImporter::requireNumeric(const NodeContext &n, Value value, int inputIndex,
                                           bool sameAsInput0) {
  auto type = cast<RankedTensorType>(value.getType());
  Type elt = type.getElementType();
  if (!hasMachineNumericType(elt)) {
    emitError(n) << "input " << inputIndex << " ('" << n.node.input(inputIndex) << "') has type "
                 << type << "; supported element types: " << kNumericTypes;
    return failure();
  }
  Value input0 = n.node.input_size() ? symbolTable.lookup(n.node.input(0)) : Value();
  Type first = input0 ? cast<RankedTensorType>(input0.getType()).getElementType() : Type();
  if (sameAsInput0 && first && first != elt) {
    emitError(n) << "input " << inputIndex << " ('" << n.node.input(inputIndex) << "') has type "
                 << type << " but input 0 has element type " << first;
    return failure();
  }
  return success();
}

/// Prints a shape as ONNX users read it: [2, 3, 4].
std::string trellis::onnx_import::shapeStr(RankedTensorType type) {
  std::string s = "[";
  llvm::raw_string_ostream os(s);
  llvm::interleaveComma(type.getShape(), os);
  os << "]";
  return s;
}

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
    return foldAtImport(builder, graph::AddOp::create(builder, n.loc, *type, a, b));
  }
  FailureOr<Type> type = inferResultType<graph::BinaryOp>(n, operands);
  if (failed(type))
    return failure();
  return foldAtImport(builder, graph::BinaryOp::create(builder, n.loc, *type, *kind, a, b));
}

FailureOr<SmallVector<int64_t>> OnnxImporter::getIntsAttr(const NodeContext &n, StringRef name,
                                                         ArrayRef<int64_t> defaultValue) {
  const onnx::AttributeProto *attr = findAttr(n.node, name);
  if (!attr)
    return SmallVector<int64_t>(defaultValue);
  if (attr->type() == onnx::AttributeProto::INTS ||
      (attr->type() == onnx::AttributeProto::UNDEFINED && attr->ints_size() > 0))
    return SmallVector<int64_t>(attr->ints().begin(), attr->ints().end());
  emitError(n) << "attribute '" << name << "' must be a list of ints";
  return failure();
}

FailureOr<std::string> OnnxImporter::getStringAttr(const NodeContext &n, StringRef name,
                                                   StringRef defaultValue) {
  const onnx::AttributeProto *attr = findAttr(n.node, name);
  if (!attr)
    return defaultValue.str();
  if (attr->type() == onnx::AttributeProto::STRING ||
      (attr->type() == onnx::AttributeProto::UNDEFINED && attr->has_s()))
    return attr->s();
  emitError(n) << "attribute '" << name << "' must be a string";
  return failure();
}

FailureOr<DenseElementsAttr> OnnxImporter::getConstantInput(const NodeContext &n, int index,
                                                            StringRef what) {
  FailureOr<Value> value = getInput(n, index);
  if (failed(value))
    return failure();
  DenseElementsAttr attr;
  if (auto constant = value->getDefiningOp<graph::ConstantOp>())
    attr = dyn_cast<DenseElementsAttr>(constant.getValue());
  if (!attr) {
    emitError(n) << "input " << index << " ('" << n.node.input(index) << "', " << what
                 << ") must be known at compile time; if it is a graph input, bind it with "
                    "--constant-input";
    return failure();
  }
  return attr;
}

//===----------------------------------------------------------------------===//
// Entry points
//===----------------------------------------------------------------------===//

OwningOpRef<ModuleOp> trellis::importOnnxModelFromBytes(StringRef bytes, StringRef origin,
                                                        MLIRContext &ctx,
                                                        const OnnxImportOptions &opts) {
  Location loc = FileLineColLoc::get(&ctx, origin, 0, 0);
  // protobuf reads at most INT_MAX bytes in one message.
  if (bytes.size() > size_t(INT_MAX)) {
    emitError(loc) << "'" << origin
                   << "' is larger than protobuf's 2 GiB limit; save the weights as external "
                      "data";
    return nullptr;
  }
  // An empty message parses fine but would only fail later, less clearly.
  if (bytes.empty()) {
    emitError(loc) << "'" << origin << "' is empty, not an ONNX model";
    return nullptr;
  }
  // The initializers' raw_data is cut out before parsing and imported
  // straight from `bytes` (which outlives the import).
  std::optional<StrippedModel> stripped = stripInitializerData(bytes);
  onnx::ModelProto model;
  if (!stripped || !model.ParseFromArray(stripped->bytes.data(), int(stripped->bytes.size())) ||
      size_t(model.graph().initializer_size()) != stripped->initializerData.size()) {
    stripped.reset();
    model.Clear();
    if (!model.ParseFromArray(bytes.data(), int(bytes.size()))) {
      emitError(loc) << "'" << origin << "' is not a valid ONNX model (protobuf parsing failed)";
      return nullptr;
    }
  }
  OnnxImporter importer(ctx, origin, opts);
  if (stripped)
    importer.setInitializerData(model.graph(), stripped->initializerData);
  return importer.importModel(model);
}

OwningOpRef<ModuleOp> trellis::importOnnxModel(StringRef path, MLIRContext &ctx,
                                               const OnnxImportOptions &options) {
  OnnxImportOptions opts = options;
  if (opts.externalDataDir.empty()) {
    StringRef dir = llvm::sys::path::parent_path(path);
    opts.externalDataDir = dir.empty() ? "." : dir.str();
  }
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
  for (const auto &entry : nodeImporters())
    ops.push_back(entry.getKey().str());
  llvm::sort(ops);
  return ops;
}

std::vector<OnnxOpSupport> trellis::supportedOnnxOpTable() {
  std::vector<OnnxOpSupport> ops;
  for (const auto &entry : nodeImporters())
    ops.push_back({entry.getKey().str(), entry.getValue().types, entry.getValue().notes});
  llvm::sort(ops, [](const OnnxOpSupport &a, const OnnxOpSupport &b) { return a.opType < b.opType; });
  return ops;
}

int64_t trellis::minSupportedOnnxOpset() { return kMinOpset; }
int64_t trellis::maxSupportedOnnxOpset() { return kMaxOpset; }

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
  const auto &importers = nodeImporters();
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

