//===- GraphNormOps.cpp - Graph dialect: Norm family ops ---------------===//
//
// Shape inference and verifiers of the ops in GraphNormOps.td.
//
//===----------------------------------------------------------------------===//

#include "trellis/Dialect/Graph.h"

#include "llvm/Support/InterleavedRange.h"

using namespace mlir;
using namespace trellis::graph;

static RankedTensorType rankedType(Value v) { return cast<RankedTensorType>(v.getType()); }

/// Checks that `axes` are sorted, distinct and in [0, rank); `what` names the
/// op in the message.
static LogicalResult checkAxes(std::optional<Location> loc, StringRef what, ArrayRef<int64_t> axes,
                               int64_t rank) {
  if (axes.empty())
    return emitOptionalError(loc, what + ": axes must not be empty");
  for (auto [i, a] : llvm::enumerate(axes)) {
    if (a < 0 || a >= rank)
      return emitOptionalError(loc, what + ": axis " + Twine(a) + " is out of range for rank " +
                                        Twine(rank));
    if (i > 0 && axes[i - 1] >= a)
      return emitOptionalError(loc, what + ": axes must be sorted and distinct");
  }
  return success();
}

static bool isFloat(Type t) { return t.isF32() || t.isBF16() || t.isF16(); }

//===----------------------------------------------------------------------===//
// SoftmaxOp
//===----------------------------------------------------------------------===//

LogicalResult SoftmaxOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                          ValueRange operands, DictionaryAttr, OpaqueProperties,
                                          RegionRange, SmallVectorImpl<Type> &results) {
  results.push_back(operands[0].getType());
  return success();
}

LogicalResult SoftmaxOp::verify() {
  if (!isFloat(rankedType(getInput()).getElementType()))
    return emitOpError("needs a float input, got ") << getInput().getType();
  return checkAxes(getLoc(), "graph.softmax", getAxes(), rankedType(getInput()).getRank());
}

//===----------------------------------------------------------------------===//
// ReduceOp
//===----------------------------------------------------------------------===//

LogicalResult ReduceOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         ValueRange operands, DictionaryAttr, OpaqueProperties props,
                                         RegionRange, SmallVectorImpl<Type> &results) {
  auto in = rankedType(operands[0]);
  const Properties *p = props.as<Properties *>();
  ArrayRef<int64_t> axes = p->axes ? p->axes.asArrayRef() : ArrayRef<int64_t>();
  if (failed(checkAxes(loc, "graph.reduce", axes, in.getRank())))
    return failure();
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < in.getRank(); ++d) {
    if (!llvm::is_contained(axes, d))
      shape.push_back(in.getDimSize(d));
    else if (p->keepdims)
      shape.push_back(1);
  }
  results.push_back(RankedTensorType::get(shape, in.getElementType()));
  return success();
}

LogicalResult ReduceOp::verify() {
  if (!isFloat(rankedType(getInput()).getElementType()))
    return emitOpError("needs a float input, got ") << getInput().getType();
  return success();
}

//===----------------------------------------------------------------------===//
// ArgReduceOp
//===----------------------------------------------------------------------===//

LogicalResult ArgReduceOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                                            ValueRange operands, DictionaryAttr,
                                            OpaqueProperties props, RegionRange,
                                            SmallVectorImpl<Type> &results) {
  auto in = rankedType(operands[0]);
  const Properties *p = props.as<Properties *>();
  int64_t axis = p->axis ? p->axis.getInt() : 0;
  if (axis < 0 || axis >= in.getRank())
    return emitOptionalError(loc, "graph.arg_reduce: axis " + Twine(axis) +
                                      " is out of range for rank " + Twine(in.getRank()));
  SmallVector<int64_t> shape(in.getShape());
  if (p->keepdims)
    shape[axis] = 1;
  else
    shape.erase(shape.begin() + axis);
  results.push_back(RankedTensorType::get(shape, IntegerType::get(ctx, 64)));
  return success();
}

LogicalResult ArgReduceOp::verify() {
  if (getKind() != ReduceKind::max && getKind() != ReduceKind::min)
    return emitOpError("kind must be max or min, got ") << stringifyReduceKind(getKind());
  if (!isFloat(rankedType(getInput()).getElementType()))
    return emitOpError("needs a float input, got ") << getInput().getType();
  return success();
}

//===----------------------------------------------------------------------===//
// LayerNormOp
//===----------------------------------------------------------------------===//

LogicalResult LayerNormOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                                            ValueRange operands, DictionaryAttr,
                                            OpaqueProperties props, RegionRange,
                                            SmallVectorImpl<Type> &results) {
  auto in = rankedType(operands[0]);
  const Properties *p = props.as<Properties *>();
  int64_t axis = p->axis ? p->axis.getInt() : 0;
  if (axis < 0 || axis >= in.getRank())
    return emitOptionalError(loc, "graph.layer_norm: axis ", axis,
                             " is out of range for rank ", in.getRank());
  SmallVector<int64_t> statShape(in.getShape());
  for (int64_t d = axis; d < in.getRank(); ++d)
    statShape[d] = 1;
  auto stat = RankedTensorType::get(statShape, Float32Type::get(ctx));
  results.append({in, stat, stat});
  return success();
}

LogicalResult LayerNormOp::verify() {
  auto in = rankedType(getInput());
  if (!isFloat(in.getElementType()))
    return emitOpError("needs a float input, got ") << in;
  int64_t axis = getAxis();
  ArrayRef<int64_t> normalized = in.getShape().drop_front(axis);
  for (auto [name, v] : {std::pair{"scale", getScale()}, std::pair{"bias", getBias()}}) {
    if (!v)
      continue;
    auto t = rankedType(v);
    if (t.getElementType() != in.getElementType())
      return emitOpError(name) << " element type " << t.getElementType() << " differs from "
                               << in.getElementType();
    auto shape = broadcastShapes(t.getShape(), normalized);
    if (t.getRank() > (int64_t)normalized.size() || !shape ||
        ArrayRef<int64_t>(*shape) != normalized)
      return emitOpError(name) << " of type " << t
                               << " does not broadcast to the normalised axes ["
                               << llvm::interleaved(normalized) << "]";
  }
  return success();
}

//===----------------------------------------------------------------------===//
// InstanceNormOp
//===----------------------------------------------------------------------===//

LogicalResult InstanceNormOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                               ValueRange operands, DictionaryAttr,
                                               OpaqueProperties, RegionRange,
                                               SmallVectorImpl<Type> &results) {
  results.push_back(operands[0].getType());
  return success();
}

LogicalResult InstanceNormOp::verify() {
  auto in = rankedType(getInput());
  if (!isFloat(in.getElementType()))
    return emitOpError("needs a float input, got ") << in;
  if (in.getRank() < 3)
    return emitOpError("input must have rank >= 3 ([N, C, D1, ...]), got ") << in;
  for (auto [name, v] : {std::pair{"scale", getScale()}, std::pair{"bias", getBias()}}) {
    auto t = rankedType(v);
    if (t.getRank() != 1 || t.getDimSize(0) != in.getDimSize(1) ||
        t.getElementType() != in.getElementType())
      return emitOpError(name) << " must be a " << in.getDimSize(1) << "-element vector of "
                               << in.getElementType() << ", got " << t;
  }
  return success();
}

//===----------------------------------------------------------------------===//
// GeluOp
//===----------------------------------------------------------------------===//

LogicalResult GeluOp::inferReturnTypes(MLIRContext *, std::optional<Location>, ValueRange operands,
                                       DictionaryAttr, OpaqueProperties, RegionRange,
                                       SmallVectorImpl<Type> &results) {
  results.push_back(operands[0].getType());
  return success();
}
