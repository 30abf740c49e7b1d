//===- ImportElementwise.cpp - element-wise ONNX ops ---===//
//
// Element-wise arithmetic and activations, Clip, Identity and Constant.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"

#include "mlir/IR/Builders.h"
#include "onnx/onnx_pb.h"

#include <climits>

using namespace mlir;
using namespace trellis;
using namespace trellis::onnx_import;

static LogicalResult importAdd(OnnxImporter &im, const NodeContext &n) {
  if (failed(im.checkArity(n, 2, 2)) || failed(im.checkAttributes(n, {})))
    return failure();
  FailureOr<Value> a = im.getInput(n, 0), b = im.getInput(n, 1);
  if (failed(a) || failed(b) || failed(im.requireNumeric(n, *a, 0)) ||
      failed(im.requireNumeric(n, *b, 1)))
    return failure();
  FailureOr<Value> sum = im.buildBroadcast(n, *a, *b, std::nullopt);
  if (failed(sum))
    return failure();
  im.define(n, *sum);
  return success();
}

static LogicalResult importBinary(OnnxImporter &im, const NodeContext &n, graph::BinaryKind kind) {
  if (failed(im.checkArity(n, 2, 2)) || failed(im.checkAttributes(n, {})))
    return failure();
  FailureOr<Value> a = im.getInput(n, 0), b = im.getInput(n, 1);
  if (failed(a) || failed(b))
    return failure();
  // Integer division needs truncation, which the engines' fp32 arithmetic
  // does not give: integer Div only folds at compile time (shape math).
  auto isConstant = [](Value v) { return bool(v.getDefiningOp<graph::ConstantOp>()); };
  bool integerDiv = kind == graph::BinaryKind::div &&
                    !isa<FloatType>(cast<RankedTensorType>(a->getType()).getElementType());
  if (integerDiv && (!isConstant(*a) || !isConstant(*b))) {
    im.emitError(n) << "integer Div is only supported on compile-time constants (the engines "
                       "divide in fp32); got "
                    << a->getType() << " and " << b->getType();
    return failure();
  }
  if (kind == graph::BinaryKind::div && !integerDiv) {
    if (failed(im.requireFloat(n, *a, 0)) || failed(im.requireFloat(n, *b, 1)))
      return failure();
  } else if (failed(im.requireNumeric(n, *a, 0)) ||
             failed(im.requireNumeric(n, *b, 1, /*sameAsInput0=*/kind != graph::BinaryKind::pow))) {
    return failure();
  }
  FailureOr<Value> result = im.buildBroadcast(n, *a, *b, kind);
  if (failed(result))
    return failure();
  if (integerDiv && !isConstant(*result)) {
    im.emitError(n) << "integer division by zero";
    return failure();
  }
  im.define(n, *result);
  return success();
}

/// Max, Min, Sum and Mean take one or more inputs, all broadcast together:
/// a left fold of binary ops (Mean then scales by 1/count).
static LogicalResult importVariadic(OnnxImporter &im, const NodeContext &n) {
  OpBuilder &builder = im.getBuilder();
  if (failed(im.checkArity(n, 1, INT_MAX)) || failed(im.checkAttributes(n, {})))
    return failure();
  StringRef opType = n.node.op_type();
  std::optional<graph::BinaryKind> kind;
  if (opType == "Max")
    kind = graph::BinaryKind::max;
  else if (opType == "Min")
    kind = graph::BinaryKind::min;
  SmallVector<Value> inputs;
  for (int i = 0, e = n.node.input_size(); i < e; ++i) {
    FailureOr<Value> v = im.getInput(n, i);
    // Mean divides: float only.
    if (failed(v) || failed(opType == "Mean" ? im.requireFloat(n, *v, i)
                                             : im.requireNumeric(n, *v, i)))
      return failure();
    inputs.push_back(*v);
  }
  Value acc = inputs.front();
  for (Value v : ArrayRef(inputs).drop_front()) {
    FailureOr<Value> next = im.buildBroadcast(n, acc, v, kind);
    if (failed(next))
      return failure();
    acc = *next;
  }
  if (opType == "Mean" && inputs.size() > 1)
    acc = graph::UnaryOp::create(builder, n.loc, acc.getType(), graph::UnaryKind::affine, acc,
                                 builder.getF32FloatAttr(1.0f / float(inputs.size())),
                                 builder.getF32FloatAttr(0.0f));
  im.define(n, acc);
  return success();
}

static LogicalResult importUnary(OnnxImporter &im, const NodeContext &n, graph::UnaryKind kind) {
  OpBuilder &builder = im.getBuilder();
  if (failed(im.checkArity(n, 1, 1)) || failed(im.checkAttributes(n, {})))
    return failure();
  FailureOr<Value> x = im.getInput(n, 0);
  // Neg and Abs are exact on integers too; the other functions are float.
  bool integerToo = kind == graph::UnaryKind::neg || kind == graph::UnaryKind::abs;
  if (failed(x) || failed(integerToo ? im.requireNumeric(n, *x, 0) : im.requireFloat(n, *x, 0)))
    return failure();
  im.define(n, foldAtImport(builder, graph::UnaryOp::create(builder, n.loc, x->getType(), kind,
                                                            *x, FloatAttr(), FloatAttr())));
  return success();
}

/// LeakyRelu, Elu and HardSigmoid: unary functions with float attributes
/// (defaults from the ONNX spec).
static LogicalResult importParamUnary(OnnxImporter &im, const NodeContext &n) {
  OpBuilder &builder = im.getBuilder();
  StringRef opType = n.node.op_type();
  bool hardSigmoid = opType == "HardSigmoid";
  if (failed(im.checkArity(n, 1, 1)) ||
      failed(im.checkAttributes(n, hardSigmoid ? ArrayRef<StringRef>{"alpha", "beta"}
                                            : ArrayRef<StringRef>{"alpha"})))
    return failure();
  graph::UnaryKind kind = hardSigmoid         ? graph::UnaryKind::hard_sigmoid
                          : opType == "Elu"   ? graph::UnaryKind::elu
                                              : graph::UnaryKind::leaky_relu;
  float defaultAlpha = hardSigmoid ? 0.2f : kind == graph::UnaryKind::elu ? 1.0f : 0.01f;
  FailureOr<float> alpha = im.getFloatAttr(n, "alpha", defaultAlpha);
  FailureOr<float> beta = im.getFloatAttr(n, "beta", 0.5f);
  FailureOr<Value> x = im.getInput(n, 0);
  if (failed(alpha) || failed(beta) || failed(x) || failed(im.requireFloat(n, *x, 0)))
    return failure();
  im.define(n, graph::UnaryOp::create(builder, n.loc, x->getType(), kind, *x,
                                   builder.getF32FloatAttr(*alpha),
                                   hardSigmoid ? builder.getF32FloatAttr(*beta) : FloatAttr()));
  return success();
}

/// Clip: max(x, min) then min(., max). From opset 11 the bounds are optional
/// scalar inputs (any tensor, broadcast like a scalar); before, attributes.
static LogicalResult importClip(OnnxImporter &im, const NodeContext &n) {
  OpBuilder &builder = im.getBuilder();
  bool boundsAreInputs = im.getOpset() >= 11;
  if (failed(im.checkArity(n, 1, boundsAreInputs ? 3 : 1)) ||
      failed(im.checkAttributes(n, boundsAreInputs ? ArrayRef<StringRef>{}
                                                : ArrayRef<StringRef>{"min", "max"})))
    return failure();
  FailureOr<Value> x = im.getInput(n, 0);
  // The attribute bounds of old opsets are floats.
  if (failed(x) ||
      failed(boundsAreInputs ? im.requireNumeric(n, *x, 0) : im.requireFloat(n, *x, 0)))
    return failure();
  Type elt = cast<RankedTensorType>(x->getType()).getElementType();
  Value bounds[2];
  for (int i = 0; i < 2; ++i) {
    if (boundsAreInputs) {
      FailureOr<Value> bound = im.getOptionalInput(n, i + 1);
      if (failed(bound) || (*bound && failed(im.requireNumeric(n, *bound, i + 1))))
        return failure();
      auto boundType = *bound ? cast<RankedTensorType>(bound->getType()) : RankedTensorType();
      if (boundType && (boundType.getNumElements() != 1 ||
                        boundType.getRank() > cast<RankedTensorType>(x->getType()).getRank())) {
        im.emitError(n) << "input " << i + 1 << " ('" << n.node.input(i + 1)
                     << "') must be a scalar";
        return failure();
      }
      bounds[i] = *bound;
      continue;
    }
    if (!OnnxImporter::findAttr(n.node, i ? "max" : "min"))
      continue;
    FailureOr<float> value = im.getFloatAttr(n, i ? "max" : "min", 0.0f);
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
        im.buildBroadcast(n, result, bounds[i], i ? graph::BinaryKind::min : graph::BinaryKind::max);
    if (failed(next))
      return failure();
    result = *next;
  }
  im.define(n, result);
  return success();
}

static LogicalResult importRelu(OnnxImporter &im, const NodeContext &n) {
  OpBuilder &builder = im.getBuilder();
  if (failed(im.checkArity(n, 1, 1)) || failed(im.checkAttributes(n, {})))
    return failure();
  FailureOr<Value> x = im.getInput(n, 0);
  if (failed(x) || failed(im.requireNumeric(n, *x, 0)))
    return failure();
  im.define(n, graph::ReluOp::create(builder, n.loc, x->getType(), *x));
  return success();
}

static LogicalResult importIdentity(OnnxImporter &im, const NodeContext &n) {
  if (failed(im.checkArity(n, 1, 1)) || failed(im.checkAttributes(n, {})))
    return failure();
  FailureOr<Value> x = im.getInput(n, 0);
  if (failed(x))
    return failure();
  im.define(n, *x);
  return success();
}

static LogicalResult importConstant(OnnxImporter &im, const NodeContext &n) {
  OpBuilder &builder = im.getBuilder();
  if (failed(im.checkArity(n, 0, 0)) ||
      failed(im.checkAttributes(n, {"value", "value_float", "value_floats", "value_int", "value_ints",
                                 "sparse_value", "value_string", "value_strings"})))
    return failure();
  if (n.node.attribute_size() != 1) {
    im.emitError(n) << "expected exactly one value attribute, got " << n.node.attribute_size();
    return failure();
  }
  const onnx::AttributeProto &attr = n.node.attribute(0);
  auto wrongType = [&]() {
    im.emitError(n) << "attribute '" << attr.name() << "' has the wrong type";
    return failure();
  };
  DenseElementsAttr value;
  Type f32 = builder.getF32Type(), i64 = builder.getI64Type();
  if (attr.name() == "value") {
    if (!attr.has_t())
      return wrongType();
    FailureOr<DenseElementsAttr> tensor = importTensor(
        attr.t(), im.getContext(), [&] { return im.emitError(n) << "attribute 'value' "; });
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
    im.emitError(n) << "attribute '" << attr.name() << "' is not supported yet";
    return failure();
  }
  im.define(n, graph::ConstantOp::create(builder, n.loc, value));
  return success();
}
void trellis::onnx_import::registerElementwiseImporters(ImporterTable &t) {
  auto add = [&](StringRef op, NodeImporter fn, std::string types = kFloatTypes,
                 std::string notes = "") {
    t[op] = OpSupport{std::move(fn), std::move(types), std::move(notes)};
  };
  // Element-wise ops that map one to one onto a graph.binary / graph.unary kind.
  auto binary = [&](StringRef op, graph::BinaryKind kind, std::string types = kNumericTypes,
                    std::string notes = "") {
    add(
        op, [kind](OnnxImporter &im, const NodeContext &n) { return importBinary(im, n, kind); },
        std::move(types), std::move(notes));
  };
  auto unary = [&](StringRef op, graph::UnaryKind kind, std::string types = kFloatTypes) {
    add(
        op, [kind](OnnxImporter &im, const NodeContext &n) { return importUnary(im, n, kind); },
        std::move(types));
  };
  add("Add", importAdd, kNumericTypes);
  add("Relu", importRelu, kNumericTypes);
  binary("Sub", graph::BinaryKind::sub);
  binary("Mul", graph::BinaryKind::mul);
  binary("Div", graph::BinaryKind::div, kNumericTypes,
         "integer Div only on compile-time constants (folded; the engines divide in fp32)");
  binary("Pow", graph::BinaryKind::pow, kNumericTypes,
         "the exponent may have another element type; integer results computed in fp32");
  for (StringRef op : {"Max", "Min", "Sum"})
    add(op, importVariadic, kNumericTypes);
  add("Mean", importVariadic);
  unary("Neg", graph::UnaryKind::neg, kNumericTypes);
  unary("Abs", graph::UnaryKind::abs, kNumericTypes);
  unary("Exp", graph::UnaryKind::exp);
  unary("Log", graph::UnaryKind::log);
  unary("Sqrt", graph::UnaryKind::sqrt);
  unary("Reciprocal", graph::UnaryKind::reciprocal);
  unary("Tanh", graph::UnaryKind::tanh);
  unary("Sigmoid", graph::UnaryKind::sigmoid);
  unary("Erf", graph::UnaryKind::erf);
  unary("Softplus", graph::UnaryKind::softplus);
  for (StringRef op : {"LeakyRelu", "Elu", "HardSigmoid"})
    add(op, importParamUnary);
  add("Clip", importClip, kNumericTypes,
      "bounds must be scalars; integer types from opset 11 (bounds as inputs)");
  t["Identity"] = OpSupport{importIdentity, "any", ""};
  t["Constant"] = OpSupport{importConstant, "f32, bf16, f16, i32, i64",
                            "value, value_float(s), value_int(s); not sparse_value or strings"};
}
