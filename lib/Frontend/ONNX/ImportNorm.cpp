//===- ImportNorm.cpp - normalization, softmax and reductions ---===//
//
// Softmax and LogSoftmax, LayerNormalization, InstanceNormalization, the
// Reduce* family, ArgMax/ArgMin, Gelu and Einsum (its matmul-like forms, as
// graph.matmul between graph.transpose ops, or graph.reduce for one operand).
//
// Version differences handled here:
//  - Softmax/LogSoftmax before opset 13 flatten the input to 2-D at `axis`
//    (default 1): a softmax over every axis from `axis` on; from 13 they
//    normalise one axis (default -1).
//  - Reductions take `axes` as an attribute before opset 13 (ReduceSum) or
//    18 (the others), as an optional input after, with noop_with_empty_axes.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"

#include "mlir/IR/Builders.h"
#include "onnx/onnx_pb.h"
#include "llvm/ADT/StringExtras.h"

#include <climits>

using namespace mlir;
using namespace trellis;
using namespace trellis::onnx_import;

static RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

/// `axis` in [-rank, rank) made non-negative; an error naming `what` if it
/// is out of range.
static FailureOr<int64_t> normalizeAxis(OnnxImporter &im, const NodeContext &n, int64_t axis,
                                        int64_t rank, StringRef what = "axis") {
  if (axis < -rank || axis >= rank) {
    im.emitError(n) << what << " " << axis << " is out of range for an input of rank " << rank;
    return failure();
  }
  return axis < 0 ? axis + rank : axis;
}

//===----------------------------------------------------------------------===//
// Softmax, LogSoftmax
//===----------------------------------------------------------------------===//

static LogicalResult importSoftmax(OnnxImporter &im, const NodeContext &n) {
  OpBuilder &builder = im.getBuilder();
  if (failed(im.checkArity(n, 1, 1)) || failed(im.checkAttributes(n, {"axis"})))
    return failure();
  bool flattening = im.getOpset() < 13;
  FailureOr<int64_t> axisAttr = im.getIntAttr(n, "axis", flattening ? 1 : -1);
  FailureOr<Value> x = im.getInput(n, 0);
  if (failed(axisAttr) || failed(x) || failed(im.requireFloat(n, *x, 0)))
    return failure();
  int64_t rank = typeOf(*x).getRank();
  if (rank == 0) {
    im.emitError(n) << "input must have rank >= 1";
    return failure();
  }
  FailureOr<int64_t> axis = normalizeAxis(im, n, *axisAttr, rank);
  if (failed(axis))
    return failure();
  SmallVector<int64_t> axes = {*axis};
  if (flattening)
    axes = llvm::to_vector(llvm::seq<int64_t>(*axis, rank));
  bool log = n.node.op_type() == "LogSoftmax";
  im.define(n, graph::SoftmaxOp::create(builder, n.loc, x->getType(), *x,
                                        builder.getDenseI64ArrayAttr(axes), log));
  return success();
}

//===----------------------------------------------------------------------===//
// LayerNormalization, InstanceNormalization
//===----------------------------------------------------------------------===//

static LogicalResult importLayerNorm(OnnxImporter &im, const NodeContext &n) {
  OpBuilder &builder = im.getBuilder();
  if (failed(im.checkArity(n, 2, 3, 1, 3)) ||
      failed(im.checkAttributes(n, {"axis", "epsilon", "stash_type"})))
    return failure();
  FailureOr<int64_t> axisAttr = im.getIntAttr(n, "axis", -1);
  FailureOr<float> epsilon = im.getFloatAttr(n, "epsilon", 1e-5f);
  FailureOr<int64_t> stash = im.getIntAttr(n, "stash_type", 1);
  if (failed(axisAttr) || failed(epsilon) || failed(stash))
    return failure();
  if (*stash != 1) {
    im.emitError(n) << "stash_type " << *stash
                    << " is not supported; statistics are computed in f32 (stash_type 1)";
    return failure();
  }
  FailureOr<Value> x = im.getInput(n, 0), scale = im.getInput(n, 1),
                   bias = im.getOptionalInput(n, 2);
  if (failed(x) || failed(scale) || failed(bias) || failed(im.requireFloat(n, *x, 0)) ||
      failed(im.requireFloat(n, *scale, 1)) || (*bias && failed(im.requireFloat(n, *bias, 2))))
    return failure();
  auto xType = typeOf(*x);
  if (xType.getRank() == 0) {
    im.emitError(n) << "input must have rank >= 1";
    return failure();
  }
  FailureOr<int64_t> axis = normalizeAxis(im, n, *axisAttr, xType.getRank());
  if (failed(axis))
    return failure();
  ArrayRef<int64_t> normalized = xType.getShape().drop_front(*axis);
  Value affine[2] = {*scale, *bias};
  for (auto [i, v] : llvm::enumerate(affine)) {
    if (!v)
      continue;
    auto t = typeOf(v);
    auto shape = graph::broadcastShapes(t.getShape(), normalized);
    if (t.getRank() > (int64_t)normalized.size() || !shape ||
        ArrayRef<int64_t>(*shape) != normalized) {
      im.emitError(n) << (i == 0 ? "scale" : "bias") << " of shape " << shapeStr(t)
                      << " does not broadcast to the normalized shape "
                      << shapeStr(RankedTensorType::get(normalized, t.getElementType()));
      return failure();
    }
  }
  graph::LayerNormOp::Properties props;
  props.axis = builder.getI64IntegerAttr(*axis);
  SmallVector<Type, 3> types;
  if (failed(graph::LayerNormOp::inferReturnTypes(&im.getContext(), n.loc, ValueRange{*x}, {},
                                                  OpaqueProperties(&props), {}, types)))
    return failure();
  auto op = graph::LayerNormOp::create(builder, n.loc, types, *x, *scale, *bias, props.axis,
                                       builder.getF32FloatAttr(*epsilon));
  // Mean and InvStdDev are f32 (stash_type 1) whatever the input type.
  for (int i = 0; i < n.node.output_size(); ++i)
    im.define(n, op->getResult(i), i);
  return success();
}

static LogicalResult importInstanceNorm(OnnxImporter &im, const NodeContext &n) {
  OpBuilder &builder = im.getBuilder();
  if (failed(im.checkArity(n, 3, 3)) || failed(im.checkAttributes(n, {"epsilon"})))
    return failure();
  FailureOr<float> epsilon = im.getFloatAttr(n, "epsilon", 1e-5f);
  FailureOr<Value> x = im.getInput(n, 0), scale = im.getInput(n, 1), bias = im.getInput(n, 2);
  if (failed(epsilon) || failed(x) || failed(scale) || failed(bias) ||
      failed(im.requireFloat(n, *x, 0)) || failed(im.requireFloat(n, *scale, 1)) ||
      failed(im.requireFloat(n, *bias, 2)))
    return failure();
  auto xType = typeOf(*x);
  if (xType.getRank() < 3) {
    im.emitError(n) << "input of shape " << shapeStr(xType)
                    << " must have rank >= 3 ([N, C, D1, ...])";
    return failure();
  }
  Value affine[2] = {*scale, *bias};
  for (auto [i, v] : llvm::enumerate(affine)) {
    auto t = typeOf(v);
    if (t.getRank() != 1 || t.getDimSize(0) != xType.getDimSize(1)) {
      im.emitError(n) << (i == 0 ? "scale" : "B") << " of shape " << shapeStr(t) << " must be ["
                      << xType.getDimSize(1) << "] (the channel count)";
      return failure();
    }
  }
  im.define(n, graph::InstanceNormOp::create(builder, n.loc, xType, *x, *scale, *bias,
                                             builder.getF32FloatAttr(*epsilon)));
  return success();
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

/// The result of reducing `x` over `axes` (sorted, distinct), after the
/// graph op's own shape inference.
static FailureOr<Value> buildReduce(OnnxImporter &im, const NodeContext &n, graph::ReduceKind kind,
                                    Value x, ArrayRef<int64_t> axes, bool keepdims) {
  OpBuilder &builder = im.getBuilder();
  graph::ReduceOp::Properties props;
  props.kind = graph::ReduceKindAttr::get(&im.getContext(), kind);
  props.axes = builder.getDenseI64ArrayAttr(axes);
  props.keepdims = keepdims ? builder.getUnitAttr() : UnitAttr();
  FailureOr<Type> type = im.inferResultType<graph::ReduceOp>(n, x, OpaqueProperties(&props));
  if (failed(type))
    return failure();
  return graph::ReduceOp::create(builder, n.loc, *type, kind, x, props.axes, keepdims)
      .getResult();
}

static LogicalResult importReduce(OnnxImporter &im, const NodeContext &n, graph::ReduceKind kind,
                                  int64_t axesInputSince) {
  bool axesInput = im.getOpset() >= axesInputSince;
  if (failed(im.checkArity(n, 1, axesInput ? 2 : 1)) ||
      failed(im.checkAttributes(n, axesInput ? ArrayRef<StringRef>{"keepdims", "noop_with_empty_axes"}
                                             : ArrayRef<StringRef>{"keepdims", "axes"})))
    return failure();
  FailureOr<int64_t> keepdims = im.getIntAttr(n, "keepdims", 1);
  FailureOr<int64_t> noop = im.getIntAttr(n, "noop_with_empty_axes", 0);
  FailureOr<Value> x = im.getInput(n, 0);
  if (failed(keepdims) || failed(noop) || failed(x) || failed(im.requireFloat(n, *x, 0)))
    return failure();
  SmallVector<int64_t> rawAxes;
  if (axesInput) {
    if (n.node.input_size() > 1 && !n.node.input(1).empty()) {
      FailureOr<DenseElementsAttr> axes = im.getConstantInput(n, 1, "the axes");
      if (failed(axes))
        return failure();
      if (!axes->getElementType().isInteger() || axes->getType().getRank() > 1) {
        im.emitError(n) << "axes must be a 1-D integer tensor, got " << axes->getType();
        return failure();
      }
      for (const APInt &a : axes->getValues<APInt>())
        rawAxes.push_back(a.getSExtValue());
    }
  } else {
    FailureOr<SmallVector<int64_t>> axes = im.getIntsAttr(n, "axes");
    if (failed(axes))
      return failure();
    rawAxes = *axes;
  }
  int64_t rank = typeOf(*x).getRank();
  if (rawAxes.empty()) {
    // No axes: the identity with noop_with_empty_axes, otherwise every axis.
    if (*noop) {
      im.define(n, *x);
      return success();
    }
    rawAxes = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  }
  if (rank == 0) {
    im.emitError(n) << "reducing a scalar (rank 0) is not supported";
    return failure();
  }
  SmallVector<int64_t> axes;
  for (int64_t a : rawAxes) {
    FailureOr<int64_t> axis = normalizeAxis(im, n, a, rank);
    if (failed(axis))
      return failure();
    if (llvm::is_contained(axes, *axis)) {
      im.emitError(n) << "axis " << a << " is repeated in axes";
      return failure();
    }
    axes.push_back(*axis);
  }
  llvm::sort(axes);
  FailureOr<Value> result = buildReduce(im, n, kind, *x, axes, *keepdims != 0);
  if (failed(result))
    return failure();
  im.define(n, *result);
  return success();
}

static LogicalResult importArgReduce(OnnxImporter &im, const NodeContext &n) {
  OpBuilder &builder = im.getBuilder();
  if (failed(im.checkArity(n, 1, 1)) ||
      failed(im.checkAttributes(n, {"axis", "keepdims", "select_last_index"})))
    return failure();
  FailureOr<int64_t> axisAttr = im.getIntAttr(n, "axis", 0);
  FailureOr<int64_t> keepdims = im.getIntAttr(n, "keepdims", 1);
  FailureOr<int64_t> last = im.getIntAttr(n, "select_last_index", 0);
  FailureOr<Value> x = im.getInput(n, 0);
  if (failed(axisAttr) || failed(keepdims) || failed(last) || failed(x) ||
      failed(im.requireFloat(n, *x, 0)))
    return failure();
  auto xType = typeOf(*x);
  if (xType.getRank() == 0) {
    im.emitError(n) << "input must have rank >= 1";
    return failure();
  }
  FailureOr<int64_t> axis = normalizeAxis(im, n, *axisAttr, xType.getRank());
  if (failed(axis))
    return failure();
  auto kind = n.node.op_type() == "ArgMax" ? graph::ReduceKind::max : graph::ReduceKind::min;
  graph::ArgReduceOp::Properties props;
  props.kind = graph::ReduceKindAttr::get(&im.getContext(), kind);
  props.axis = builder.getI64IntegerAttr(*axis);
  props.keepdims = *keepdims ? builder.getUnitAttr() : UnitAttr();
  props.select_last_index = *last ? builder.getUnitAttr() : UnitAttr();
  FailureOr<Type> type = im.inferResultType<graph::ArgReduceOp>(n, *x, OpaqueProperties(&props));
  if (failed(type))
    return failure();
  im.define(n, graph::ArgReduceOp::create(builder, n.loc, *type, kind, *x, *axis, *keepdims != 0,
                                          *last != 0));
  return success();
}

//===----------------------------------------------------------------------===//
// Gelu
//===----------------------------------------------------------------------===//

static LogicalResult importGelu(OnnxImporter &im, const NodeContext &n) {
  OpBuilder &builder = im.getBuilder();
  if (failed(im.checkArity(n, 1, 1)) || failed(im.checkAttributes(n, {"approximate"})))
    return failure();
  FailureOr<std::string> approximate = im.getStringAttr(n, "approximate", "none");
  FailureOr<Value> x = im.getInput(n, 0);
  if (failed(approximate) || failed(x) || failed(im.requireFloat(n, *x, 0)))
    return failure();
  if (*approximate != "none" && *approximate != "tanh") {
    im.emitError(n) << "approximate must be 'none' or 'tanh', got '" << *approximate << "'";
    return failure();
  }
  im.define(n, graph::GeluOp::create(builder, n.loc, x->getType(), *x, *approximate == "tanh"));
  return success();
}

//===----------------------------------------------------------------------===//
// Einsum
//===----------------------------------------------------------------------===//

namespace {
/// One parsed einsum term: a label per axis. Ellipsis axes get labels above
/// 'z' so they never clash with letters.
using Term = SmallVector<char>;
} // namespace

/// Parses one operand's labels, expanding "..." to `rank` minus the letter
/// count labels shared by every operand (right-aligned, as numpy does).
static FailureOr<Term> parseTerm(OnnxImporter &im, const NodeContext &n, StringRef text,
                                 std::optional<int64_t> rank, int64_t &ellipsisRank) {
  Term term;
  size_t dots = text.find("...");
  StringRef before = dots == StringRef::npos ? text : text.take_front(dots);
  StringRef after = dots == StringRef::npos ? StringRef() : text.drop_front(dots + 3);
  for (StringRef part : {before, after})
    for (char c : part)
      if (!llvm::isAlpha(c)) {
        im.emitError(n) << "equation has an unexpected character '" << c << "'";
        return failure();
      }
  for (char c : before)
    term.push_back(c);
  if (dots != StringRef::npos) {
    int64_t count = rank ? *rank - int64_t(before.size() + after.size()) : ellipsisRank;
    if (count < 0) {
      im.emitError(n) << "term '" << text << "' has more labels than its operand has axes";
      return failure();
    }
    if (rank) {
      if (ellipsisRank >= 0 && ellipsisRank != count) {
        im.emitError(n) << "'...' stands for different axis counts in different operands";
        return failure();
      }
      ellipsisRank = count;
    }
    for (int64_t i = 0; i < count; ++i)
      term.push_back(char(0x7b + i)); // '{' and up: past 'z'
  }
  for (char c : after)
    term.push_back(c);
  if (rank && (int64_t)term.size() != *rank) {
    im.emitError(n) << "term '" << text << "' has " << term.size() << " labels but its operand has rank "
                    << *rank;
    return failure();
  }
  return term;
}

static LogicalResult importEinsum(OnnxImporter &im, const NodeContext &n) {
  OpBuilder &builder = im.getBuilder();
  if (failed(im.checkArity(n, 1, 2)) || failed(im.checkAttributes(n, {"equation"})))
    return failure();
  FailureOr<std::string> equation = im.getStringAttr(n, "equation", "");
  if (failed(equation))
    return failure();
  SmallVector<Value, 2> inputs;
  for (int i = 0; i < n.node.input_size(); ++i) {
    FailureOr<Value> v = im.getInput(n, i);
    if (failed(v) || failed(im.requireFloat(n, *v, i)))
      return failure();
    inputs.push_back(*v);
  }
  std::string eq;
  for (char c : *equation)
    if (!llvm::isSpace(c))
      eq.push_back(c);
  StringRef lhs = eq, rhs;
  bool explicitOutput = false;
  if (size_t arrow = lhs.find("->"); arrow != StringRef::npos) {
    rhs = lhs.drop_front(arrow + 2);
    lhs = lhs.take_front(arrow);
    explicitOutput = true;
  }
  SmallVector<StringRef, 2> termTexts;
  lhs.split(termTexts, ',');
  if (termTexts.size() != inputs.size()) {
    im.emitError(n) << "equation '" << *equation << "' has " << termTexts.size()
                    << " operand terms but the node has " << inputs.size() << " inputs";
    return failure();
  }
  int64_t ellipsisRank = -1;
  SmallVector<Term, 2> terms;
  for (auto [text, v] : llvm::zip(termTexts, inputs)) {
    FailureOr<Term> t = parseTerm(im, n, text, typeOf(v).getRank(), ellipsisRank);
    if (failed(t))
      return failure();
    for (auto [i, c] : llvm::enumerate(*t))
      if (llvm::is_contained(ArrayRef(*t).take_front(i), c)) {
        im.emitError(n) << "equation '" << *equation
                        << "': a label repeated within one operand (a diagonal) is not supported";
        return failure();
      }
    terms.push_back(*t);
  }
  Term out;
  if (explicitOutput) {
    FailureOr<Term> t = parseTerm(im, n, rhs, std::nullopt, ellipsisRank);
    if (failed(t))
      return failure();
    out = *t;
  } else {
    // Implicit output: the ellipsis axes, then the labels used once, sorted.
    for (int64_t i = 0; i < ellipsisRank; ++i)
      out.push_back(char(0x7b + i));
    SmallVector<char> once;
    for (const Term &t : terms)
      for (char c : t)
        if (llvm::isAlpha(c)) {
          int count = 0;
          for (const Term &u : terms)
            count += llvm::count(u, c);
          if (count == 1)
            once.push_back(c);
        }
    llvm::sort(once);
    out.append(once.begin(), once.end());
  }
  for (char c : out)
    if (llvm::count(out, c) != 1 || llvm::none_of(terms, [&](const Term &t) {
          return llvm::is_contained(t, c);
        })) {
      im.emitError(n) << "equation '" << *equation << "': output label '" << c
                      << "' is repeated or appears in no operand";
      return failure();
    }

  // Sums over labels that appear in one operand only and not in the output.
  for (auto [i, t] : llvm::enumerate(terms)) {
    SmallVector<int64_t> axes;
    Term kept;
    for (auto [d, c] : llvm::enumerate(t)) {
      bool elsewhere = llvm::is_contained(out, c) ||
                       llvm::any_of(llvm::enumerate(terms), [&](auto other) {
                         return other.index() != i && llvm::is_contained(other.value(), c);
                       });
      if (elsewhere)
        kept.push_back(c);
      else
        axes.push_back(d);
    }
    if (axes.empty())
      continue;
    if (kept.empty() && inputs.size() == 2) {
      im.emitError(n) << "equation '" << *equation
                      << "': an operand summed to a scalar is not supported";
      return failure();
    }
    FailureOr<Value> r = buildReduce(im, n, graph::ReduceKind::sum, inputs[i], axes, false);
    if (failed(r))
      return failure();
    inputs[i] = *r;
    t = kept;
  }

  auto transposeTo = [&](Value v, const Term &from, const Term &to) -> Value {
    SmallVector<int64_t> perm;
    for (char c : to)
      perm.push_back(llvm::find(from, c) - from.begin());
    if (llvm::equal(perm, llvm::seq<int64_t>(0, perm.size())))
      return v;
    SmallVector<int64_t> shape;
    for (int64_t p : perm)
      shape.push_back(typeOf(v).getDimSize(p));
    return graph::TransposeOp::create(builder, n.loc,
                                      RankedTensorType::get(shape, typeOf(v).getElementType()), v,
                                      builder.getDenseI64ArrayAttr(perm));
  };

  if (inputs.size() == 1) {
    im.define(n, transposeTo(inputs[0], terms[0], out));
    return success();
  }

  // Two operands: batch labels (in both and the output), one row label of
  // A, one contracted label, one column label of B: a batched matmul.
  const Term &a = terms[0], &b = terms[1];
  Term batch, rows, cols, contracted;
  for (char c : a) {
    bool inB = llvm::is_contained(b, c), inOut = llvm::is_contained(out, c);
    (inB ? (inOut ? batch : contracted) : rows).push_back(c);
  }
  for (char c : b)
    if (!llvm::is_contained(a, c))
      cols.push_back(c);
  if (rows.size() != 1 || cols.size() != 1 || contracted.size() != 1) {
    im.emitError(n) << "equation '" << *equation
                    << "' is not a matmul-like form (each operand needs exactly one label of "
                       "its own and they must share exactly one contracted label; batch labels "
                       "in both and the output)";
    return failure();
  }
  auto dimOf = [&](Value v, const Term &t, char c) {
    return typeOf(v).getDimSize(llvm::find(t, c) - t.begin());
  };
  for (char c : llvm::concat<char>(batch, contracted)) {
    int64_t da = dimOf(inputs[0], a, c), db = dimOf(inputs[1], b, c);
    if (da != db && (llvm::is_contained(contracted, c) || (da != 1 && db != 1))) {
      im.emitError(n) << "equation '" << *equation << "': the sizes of label '" << c << "' differ ("
                      << da << " vs " << db << ")";
      return failure();
    }
  }
  Term aOrder = batch, bOrder = batch, mmOut = batch;
  aOrder.append({rows[0], contracted[0]});
  bOrder.append({contracted[0], cols[0]});
  mmOut.append({rows[0], cols[0]});
  Value lhsV = transposeTo(inputs[0], a, aOrder), rhsV = transposeTo(inputs[1], b, bOrder);
  SmallVector<Value, 2> operands = {lhsV, rhsV};
  FailureOr<Type> type = im.inferResultType<graph::MatMulOp>(n, operands);
  if (failed(type))
    return failure();
  Value product = graph::MatMulOp::create(builder, n.loc, *type, lhsV, rhsV);
  im.define(n, transposeTo(product, mmOut, out));
  return success();
}

void trellis::onnx_import::registerNormImporters(ImporterTable &t) {
  auto add = [&](StringRef op, NodeImporter fn, std::string notes = "") {
    t[op] = OpSupport{std::move(fn), kFloatTypes, std::move(notes)};
  };
  add("Softmax", importSoftmax);
  add("LogSoftmax", importSoftmax);
  add("LayerNormalization", importLayerNorm,
      "stash_type 1 only (Mean and InvStdDev are f32)");
  add("InstanceNormalization", importInstanceNorm);
  auto reduce = [&](StringRef op, graph::ReduceKind kind, int64_t axesInputSince) {
    add(op,
        [kind, axesInputSince](OnnxImporter &im, const NodeContext &n) {
          return importReduce(im, n, kind, axesInputSince);
        },
        "axes input (opset " + std::to_string(axesInputSince) +
            "+) must be known at compile time");
  };
  reduce("ReduceSum", graph::ReduceKind::sum, 13);
  reduce("ReduceMean", graph::ReduceKind::mean, 18);
  reduce("ReduceMax", graph::ReduceKind::max, 18);
  reduce("ReduceMin", graph::ReduceKind::min, 18);
  reduce("ReduceProd", graph::ReduceKind::prod, 18);
  reduce("ReduceSumSquare", graph::ReduceKind::sum_square, 18);
  reduce("ReduceL1", graph::ReduceKind::l1, 18);
  reduce("ReduceL2", graph::ReduceKind::l2, 18);
  reduce("ReduceLogSum", graph::ReduceKind::log_sum, 18);
  reduce("ReduceLogSumExp", graph::ReduceKind::log_sum_exp, 18);
  t["ArgMax"] = OpSupport{importArgReduce, "f32, bf16, f16 (i64 result)", ""};
  t["ArgMin"] = OpSupport{importArgReduce, "f32, bf16, f16 (i64 result)", ""};
  add("Gelu", importGelu);
  add("Einsum", importEinsum,
      "matmul-like forms only (e.g. ij,jk->ik, bij,bjk->bik, bhid,bhjd->bhij), transposes "
      "and sums of one operand; no diagonals");
}
