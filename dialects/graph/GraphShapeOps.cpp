//===- GraphShapeOps.cpp - Graph dialect: Shape family ops ---------------===//
//
// Shape inference, verifiers and folders of the ops in GraphShapeOps.td.
//
// The folders are the compile-time evaluator of the family: given constant
// operands (DenseElementsAttr of f32/f16/bf16, i1, i32, i64, ...) they
// compute the result as a constant, which is how the ONNX importer folds
// shape arithmetic away. Layout ops move element bytes (i1, which MLIR stores
// bit-packed, is unpacked to one byte per element first); arithmetic ops
// widen elements to int64 or double, compute, and narrow back.
//
//===----------------------------------------------------------------------===//

#include "trellis/Dialect/Graph.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/APFloat.h"

#include <cmath>
#include <cstring>

using namespace mlir;
using namespace trellis::graph;

static LogicalResult emitOptionalError(std::optional<Location> loc, const Twine &msg) {
  if (loc)
    return emitError(*loc, msg);
  return failure();
}

static RankedTensorType rankedType(Value v) { return cast<RankedTensorType>(v.getType()); }

static SmallVector<int64_t> rowMajorStrides(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t i = (int64_t)shape.size() - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

//===----------------------------------------------------------------------===//
// The constant evaluator
//===----------------------------------------------------------------------===//

namespace {

/// Element bytes of a constant, unpacked: one byte per i1, and a splat
/// expanded to every element.
struct ElementBytes {
  int64_t width = 0; // bytes per element
  std::vector<char> data;
};

/// Elements widened for arithmetic: int64 for integers and i1, double for
/// floats.
struct Numbers {
  bool isFloat = false;
  std::vector<int64_t> ints;
  std::vector<double> floats;
  double get(int64_t i) const { return isFloat ? floats[i] : double(ints[i]); }
};

} // namespace

static bool isBool(Type t) { return t.isInteger(1); }

/// Results larger than this are left to run time: folding keeps a few index
/// and value arrays of the result's size in memory.
static constexpr int64_t kMaxFoldElements = int64_t(1) << 25;

static bool withinFoldLimit(Type t) {
  return cast<ShapedType>(t).getNumElements() <= kMaxFoldElements;
}

/// Whether the evaluator handles constants of this element type.
static bool foldableType(Type t) {
  if (auto i = dyn_cast<IntegerType>(t))
    return i.getWidth() == 1 || i.getWidth() % 8 == 0;
  return isa<Float32Type, Float16Type, BFloat16Type, Float64Type>(t);
}

static DenseElementsAttr asDense(Attribute a) {
  auto d = dyn_cast_or_null<DenseElementsAttr>(a);
  return d && foldableType(d.getElementType()) ? d : DenseElementsAttr();
}

static ElementBytes toBytes(DenseElementsAttr a) {
  ElementBytes out;
  int64_t n = a.getNumElements();
  if (isBool(a.getElementType())) {
    out.width = 1;
    for (bool b : a.getValues<bool>())
      out.data.push_back(b ? 1 : 0);
    return out;
  }
  out.width = a.getElementType().getIntOrFloatBitWidth() / 8;
  ArrayRef<char> raw = a.getRawData();
  if (a.isSplat()) {
    out.data.resize(size_t(n * out.width));
    for (int64_t i = 0; i < n; ++i)
      std::memcpy(out.data.data() + i * out.width, raw.data(), out.width);
  } else {
    out.data.assign(raw.begin(), raw.end());
  }
  return out;
}

static DenseElementsAttr fromBytes(RankedTensorType type, const std::vector<char> &data) {
  if (isBool(type.getElementType())) {
    SmallVector<bool> bits;
    for (char c : data)
      bits.push_back(c != 0);
    return DenseElementsAttr::get(type, bits);
  }
  return DenseElementsAttr::getFromRawBuffer(type, ArrayRef<char>(data.data(), data.size()));
}

static Numbers toNumbers(DenseElementsAttr a) {
  Numbers out;
  Type elt = a.getElementType();
  if (isa<FloatType>(elt)) {
    out.isFloat = true;
    for (APFloat v : a.getValues<APFloat>()) {
      bool lost;
      v.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven, &lost);
      out.floats.push_back(v.convertToDouble());
    }
    return out;
  }
  bool zext = elt.isUnsignedInteger() || isBool(elt);
  for (APInt v : a.getValues<APInt>())
    out.ints.push_back(zext ? int64_t(v.getZExtValue()) : v.getSExtValue());
  return out;
}

/// One element of type `elt` holding `v`, converted as numpy's astype would
/// (floats round to nearest even, float -> int truncates, ints wrap, i1 is
/// v != 0).
static Attribute numberAttr(Type elt, bool isFloat, int64_t i, double f) {
  if (auto ft = dyn_cast<FloatType>(elt)) {
    APFloat v(isFloat ? f : double(i));
    bool lost;
    v.convert(ft.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
    return FloatAttr::get(elt, v);
  }
  auto it = cast<IntegerType>(elt);
  if (it.getWidth() == 1)
    return IntegerAttr::get(elt, APInt(1, isFloat ? f != 0.0 : i != 0));
  int64_t value = i;
  if (isFloat) {
    // Truncation toward zero; out of range (undefined in ONNX) saturates.
    double t = std::trunc(f);
    value = std::isnan(t)                 ? 0
            : t >= 9.2233720368547758e18  ? INT64_MAX
            : t <= -9.2233720368547758e18 ? INT64_MIN
                                          : int64_t(t);
  }
  return IntegerAttr::get(elt, APInt(it.getWidth(), uint64_t(value), /*isSigned=*/true,
                                     /*implicitTrunc=*/true));
}

static DenseElementsAttr fromNumbers(RankedTensorType type, const Numbers &n) {
  SmallVector<Attribute> attrs;
  int64_t count = type.getNumElements();
  attrs.reserve(count);
  for (int64_t k = 0; k < count; ++k)
    attrs.push_back(numberAttr(type.getElementType(), n.isFloat, n.isFloat ? 0 : n.ints[k],
                               n.isFloat ? n.floats[k] : 0.0));
  return DenseElementsAttr::get(type, attrs);
}

/// For each element of `outShape` (row-major), the linear index it reads in
/// an operand viewed through `strides` (numpy broadcasting: stride 0).
static std::vector<int64_t> stridedIndices(ArrayRef<int64_t> outShape, int64_t offset,
                                           ArrayRef<int64_t> strides) {
  int64_t n = 1;
  for (int64_t d : outShape)
    n *= d;
  std::vector<int64_t> out;
  out.reserve(n);
  int64_t rank = outShape.size();
  SmallVector<int64_t> idx(rank, 0);
  int64_t src = offset;
  for (int64_t k = 0; k < n; ++k) {
    out.push_back(src);
    for (int64_t d = rank - 1; d >= 0; --d) {
      src += strides[d];
      if (++idx[d] < outShape[d])
        break;
      src -= strides[d] * idx[d];
      idx[d] = 0;
    }
  }
  return out;
}

/// The strides reading an operand of shape `from` broadcast to `to`.
static SmallVector<int64_t> broadcastStrides(ArrayRef<int64_t> from, ArrayRef<int64_t> to) {
  SmallVector<int64_t> own = rowMajorStrides(from), strides(to.size(), 0);
  size_t lead = to.size() - from.size();
  for (size_t i = 0; i < from.size(); ++i)
    strides[lead + i] = from[i] == 1 ? 0 : own[i];
  return strides;
}

/// The constant whose element k is element indices[k] of `in`.
static DenseElementsAttr gatherBytes(DenseElementsAttr in, RankedTensorType outType,
                                     ArrayRef<int64_t> indices) {
  if (in.isSplat())
    return DenseElementsAttr::get(outType, in.getSplatValue<Attribute>());
  ElementBytes bytes = toBytes(in);
  std::vector<char> out(indices.size() * bytes.width);
  for (size_t k = 0; k < indices.size(); ++k)
    std::memcpy(out.data() + k * bytes.width, bytes.data.data() + indices[k] * bytes.width,
                bytes.width);
  return fromBytes(outType, out);
}

/// Applies `fn` element-wise to operands broadcast to `outType`'s shape.
static DenseElementsAttr
evalElementwise(RankedTensorType outType, ArrayRef<DenseElementsAttr> operands,
                llvm::function_ref<Attribute(ArrayRef<const Numbers *>, ArrayRef<int64_t>)> fn) {
  SmallVector<Numbers> numbers;
  SmallVector<std::vector<int64_t>> index;
  for (DenseElementsAttr a : operands) {
    numbers.push_back(toNumbers(a));
    auto shape = cast<RankedTensorType>(a.getType()).getShape();
    index.push_back(
        stridedIndices(outType.getShape(), 0, broadcastStrides(shape, outType.getShape())));
  }
  SmallVector<const Numbers *> ptrs;
  for (Numbers &n : numbers)
    ptrs.push_back(&n);
  SmallVector<Attribute> attrs;
  SmallVector<int64_t> at(operands.size());
  for (int64_t k = 0, e = outType.getNumElements(); k < e; ++k) {
    for (size_t i = 0; i < operands.size(); ++i)
      at[i] = index[i][k];
    attrs.push_back(fn(ptrs, at));
  }
  return DenseElementsAttr::get(outType, attrs);
}

//===----------------------------------------------------------------------===//
// ReshapeOp
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::verify() {
  auto in = rankedType(getInput()), out = rankedType(getResult());
  if (in.getElementType() != out.getElementType())
    return emitOpError("element type changes from ")
           << in.getElementType() << " to " << out.getElementType();
  if (in.getNumElements() != out.getNumElements())
    return emitOpError("has ") << in.getNumElements() << " elements in but " << out.getNumElements()
                               << " out";
  return success();
}

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  if (auto dense = dyn_cast_or_null<DenseElementsAttr>(adaptor.getInput()))
    return dense.reshape(cast<ShapedType>(getType()));
  // reshape(reshape(x)) is one reshape of x.
  if (auto inner = getInput().getDefiningOp<ReshapeOp>()) {
    getInputMutable().assign(inner.getInput());
    return getResult();
  }
  return {};
}

//===----------------------------------------------------------------------===//
// ExpandOp
//===----------------------------------------------------------------------===//

LogicalResult ExpandOp::verify() {
  auto in = rankedType(getInput()), out = rankedType(getResult());
  if (in.getElementType() != out.getElementType())
    return emitOpError("element type changes from ")
           << in.getElementType() << " to " << out.getElementType();
  auto shape = broadcastShapes(in.getShape(), out.getShape());
  if (!shape || ArrayRef<int64_t>(*shape) != out.getShape())
    return emitOpError("operand of type ") << in << " does not broadcast to " << out;
  return success();
}

OpFoldResult ExpandOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  DenseElementsAttr dense = asDense(adaptor.getInput());
  if (!dense)
    return {};
  auto out = cast<RankedTensorType>(getType());
  if (dense.isSplat())
    return DenseElementsAttr::get(out, dense.getSplatValue<Attribute>());
  if (!withinFoldLimit(out))
    return {};
  ArrayRef<int64_t> from = rankedType(getInput()).getShape();
  return gatherBytes(dense, out,
                     stridedIndices(out.getShape(), 0, broadcastStrides(from, out.getShape())));
}

//===----------------------------------------------------------------------===//
// SliceOp
//===----------------------------------------------------------------------===//

LogicalResult SliceOp::verify() {
  auto in = rankedType(getInput()), out = rankedType(getResult());
  if (in.getElementType() != out.getElementType())
    return emitOpError("element type changes from ")
           << in.getElementType() << " to " << out.getElementType();
  int64_t rank = in.getRank();
  if (out.getRank() != rank || (int64_t)getStarts().size() != rank ||
      (int64_t)getSteps().size() != rank)
    return emitOpError("needs one start and one step per dimension and a result of rank ") << rank;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t start = getStarts()[d], step = getSteps()[d], size = out.getDimSize(d);
    if (step == 0)
      return emitOpError("step of dimension ") << d << " is zero";
    if (size == 0)
      continue;
    int64_t last = start + (size - 1) * step;
    if (start < 0 || start >= in.getDimSize(d) || last < 0 || last >= in.getDimSize(d))
      return emitOpError("dimension ")
             << d << " reads elements " << start << " to " << last << " of " << in.getDimSize(d);
  }
  return success();
}

OpFoldResult SliceOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType() &&
      llvm::all_of(getStarts(), [](int64_t s) { return s == 0; }) &&
      llvm::all_of(getSteps(), [](int64_t s) { return s == 1; }))
    return getInput();
  DenseElementsAttr dense = asDense(adaptor.getInput());
  if (!dense)
    return {};
  auto out = cast<RankedTensorType>(getType());
  if (dense.isSplat())
    return DenseElementsAttr::get(out, dense.getSplatValue<Attribute>());
  if (!withinFoldLimit(out))
    return {};
  SmallVector<int64_t> own = rowMajorStrides(rankedType(getInput()).getShape()), strides;
  int64_t offset = 0;
  for (size_t d = 0; d < own.size(); ++d) {
    offset += getStarts()[d] * own[d];
    strides.push_back(getSteps()[d] * own[d]);
  }
  return gatherBytes(dense, out, stridedIndices(out.getShape(), offset, strides));
}

//===----------------------------------------------------------------------===//
// ConcatOp
//===----------------------------------------------------------------------===//

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         ValueRange operands, DictionaryAttr,
                                         OpaqueProperties props, RegionRange,
                                         SmallVectorImpl<Type> &results) {
  if (operands.empty())
    return emitOptionalError(loc, "graph.concat: needs at least one operand");
  int64_t axis = props.as<Properties *>()->axis.getInt();
  auto first = rankedType(operands[0]);
  if (axis < 0 || axis >= first.getRank())
    return emitOptionalError(loc, "graph.concat: axis " + Twine(axis) +
                                      " is out of range for rank " + Twine(first.getRank()));
  SmallVector<int64_t> shape(first.getShape());
  for (Value v : operands.drop_front()) {
    auto t = rankedType(v);
    if (t.getElementType() != first.getElementType())
      return emitOptionalError(loc, "graph.concat: operand element types differ");
    if (t.getRank() != first.getRank())
      return emitOptionalError(loc, "graph.concat: operand ranks differ");
    for (int64_t d = 0; d < t.getRank(); ++d)
      if (d != axis && t.getDimSize(d) != shape[d])
        return emitOptionalError(loc, "graph.concat: operands differ in dimension " + Twine(d) +
                                          " (" + Twine(shape[d]) + " vs " + Twine(t.getDimSize(d)) +
                                          ")");
    shape[axis] += t.getDimSize(axis);
  }
  results.push_back(RankedTensorType::get(shape, first.getElementType()));
  return success();
}

OpFoldResult ConcatOp::fold(FoldAdaptor adaptor) {
  if (getInputs().size() == 1)
    return getInputs().front();
  SmallVector<DenseElementsAttr> parts;
  for (Attribute a : adaptor.getInputs()) {
    parts.push_back(asDense(a));
    if (!parts.back())
      return {};
  }
  auto out = cast<RankedTensorType>(getType());
  if (!withinFoldLimit(out))
    return {};
  int64_t axis = getAxis();
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= out.getDimSize(d);
  for (int64_t d = axis + 1; d < out.getRank(); ++d)
    inner *= out.getDimSize(d);
  SmallVector<ElementBytes> bytes;
  for (DenseElementsAttr p : parts)
    bytes.push_back(toBytes(p));
  int64_t width = bytes.front().width;
  std::vector<char> data;
  data.reserve(out.getNumElements() * width);
  for (int64_t o = 0; o < outer; ++o)
    for (auto [p, b] : llvm::zip(parts, bytes)) {
      int64_t chunk = cast<RankedTensorType>(p.getType()).getDimSize(axis) * inner * width;
      data.insert(data.end(), b.data.begin() + o * chunk, b.data.begin() + (o + 1) * chunk);
    }
  return fromBytes(out, data);
}

//===----------------------------------------------------------------------===//
// GatherOp
//===----------------------------------------------------------------------===//

LogicalResult GatherOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         ValueRange operands, DictionaryAttr,
                                         OpaqueProperties props, RegionRange,
                                         SmallVectorImpl<Type> &results) {
  auto data = rankedType(operands[0]), indices = rankedType(operands[1]);
  int64_t axis = props.as<Properties *>()->axis.getInt();
  if (axis < 0 || axis >= data.getRank())
    return emitOptionalError(loc, "graph.gather: axis " + Twine(axis) +
                                      " is out of range for rank " + Twine(data.getRank()));
  SmallVector<int64_t> shape(data.getShape().take_front(axis));
  llvm::append_range(shape, indices.getShape());
  llvm::append_range(shape, data.getShape().drop_front(axis + 1));
  results.push_back(RankedTensorType::get(shape, data.getElementType()));
  return success();
}

OpFoldResult GatherOp::fold(FoldAdaptor adaptor) {
  DenseElementsAttr data = asDense(adaptor.getData()), indices = asDense(adaptor.getIndices());
  if (!data || !indices || !withinFoldLimit(getType()))
    return {};
  auto dataType = rankedType(getData());
  int64_t axis = getAxis(), dim = dataType.getDimSize(axis);
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= dataType.getDimSize(d);
  for (int64_t d = axis + 1; d < dataType.getRank(); ++d)
    inner *= dataType.getDimSize(d);
  Numbers idx = toNumbers(indices);
  std::vector<int64_t> src;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i : idx.ints) {
      if (i < -dim || i >= dim)
        return {}; // Out of range: left for the verifier of whoever built it.
      int64_t k = i < 0 ? i + dim : i;
      for (int64_t j = 0; j < inner; ++j)
        src.push_back((o * dim + k) * inner + j);
    }
  return gatherBytes(data, cast<RankedTensorType>(getType()), src);
}

//===----------------------------------------------------------------------===//
// PadOp
//===----------------------------------------------------------------------===//

LogicalResult PadOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                      ValueRange operands, DictionaryAttr, OpaqueProperties props,
                                      RegionRange, SmallVectorImpl<Type> &results) {
  auto in = rankedType(operands[0]);
  auto *p = props.as<Properties *>();
  ArrayRef<int64_t> low = p->low.asArrayRef(), high = p->high.asArrayRef();
  if ((int64_t)low.size() != in.getRank() || (int64_t)high.size() != in.getRank())
    return emitOptionalError(loc, "graph.pad: needs one low and one high pad per dimension");
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < in.getRank(); ++d) {
    if (low[d] < 0 || high[d] < 0)
      return emitOptionalError(loc, "graph.pad: pads must not be negative");
    shape.push_back(in.getDimSize(d) + low[d] + high[d]);
  }
  results.push_back(RankedTensorType::get(shape, in.getElementType()));
  return success();
}

OpFoldResult PadOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  DenseElementsAttr dense = asDense(adaptor.getInput());
  if (!dense || !withinFoldLimit(getType()))
    return {};
  auto out = cast<RankedTensorType>(getType());
  Type elt = out.getElementType();
  double value = getValue().convertToDouble();
  // The fill value as element bytes.
  auto fillType = RankedTensorType::get({1}, elt);
  Attribute fillAttr = numberAttr(elt, true, 0, value);
  ElementBytes fill = toBytes(DenseElementsAttr::get(fillType, fillAttr));
  ElementBytes in = toBytes(dense);
  ArrayRef<int64_t> inShape = rankedType(getInput()).getShape();
  SmallVector<int64_t> inStrides = rowMajorStrides(inShape);
  int64_t width = in.width, rank = out.getRank();
  std::vector<char> data(out.getNumElements() * width);
  SmallVector<int64_t> idx(rank, 0);
  for (int64_t k = 0, e = out.getNumElements(); k < e; ++k) {
    int64_t src = 0;
    bool inside = true;
    for (int64_t d = 0; d < rank; ++d) {
      int64_t i = idx[d] - getLow()[d];
      inside &= i >= 0 && i < inShape[d];
      src += i * inStrides[d];
    }
    std::memcpy(data.data() + k * width, inside ? in.data.data() + src * width : fill.data.data(),
                width);
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++idx[d] < out.getDimSize(d))
        break;
      idx[d] = 0;
    }
  }
  return fromBytes(out, data);
}

//===----------------------------------------------------------------------===//
// CastOp
//===----------------------------------------------------------------------===//

LogicalResult CastOp::verify() {
  auto in = rankedType(getInput()), out = rankedType(getResult());
  if (in.getShape() != out.getShape())
    return emitOpError("changes the shape from ") << in << " to " << out;
  return success();
}

OpFoldResult CastOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  DenseElementsAttr dense = asDense(adaptor.getInput());
  auto out = cast<RankedTensorType>(getType());
  if (!dense || !foldableType(out.getElementType()) || !withinFoldLimit(out))
    return {};
  return fromNumbers(out, toNumbers(dense));
}

//===----------------------------------------------------------------------===//
// CompareOp, LogicalOp, NotOp, SelectOp
//===----------------------------------------------------------------------===//

/// The broadcast shape of `values`, with element type `elt`.
static LogicalResult inferBroadcastN(StringRef opName, std::optional<Location> loc,
                                     ValueRange values, Type elt, SmallVectorImpl<Type> &results) {
  SmallVector<int64_t> shape;
  for (Value v : values) {
    auto s = broadcastShapes(shape, rankedType(v).getShape());
    if (!s)
      return emitOptionalError(loc, opName + ": shapes do not broadcast");
    shape = *s;
  }
  results.push_back(RankedTensorType::get(shape, elt));
  return success();
}

LogicalResult CompareOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                                          ValueRange operands, DictionaryAttr, OpaqueProperties,
                                          RegionRange, SmallVectorImpl<Type> &results) {
  if (rankedType(operands[0]).getElementType() != rankedType(operands[1]).getElementType())
    return emitOptionalError(loc, "graph.compare: operand element types differ");
  return inferBroadcastN("graph.compare", loc, operands, IntegerType::get(ctx, 1), results);
}

OpFoldResult CompareOp::fold(FoldAdaptor adaptor) {
  DenseElementsAttr lhs = asDense(adaptor.getLhs()), rhs = asDense(adaptor.getRhs());
  if (!lhs || !rhs || !withinFoldLimit(getType()))
    return {};
  auto out = cast<RankedTensorType>(getType());
  Type i1 = out.getElementType();
  CompareKind kind = getKind();
  return evalElementwise(out, {lhs, rhs}, [&](ArrayRef<const Numbers *> n, ArrayRef<int64_t> at) {
    const Numbers &a = *n[0], &b = *n[1];
    int c; // -1, 0, 1; 2 if unordered (NaN)
    if (a.isFloat) {
      double x = a.floats[at[0]], y = b.floats[at[1]];
      c = x < y ? -1 : x > y ? 1 : x == y ? 0 : 2;
    } else {
      int64_t x = a.ints[at[0]], y = b.ints[at[1]];
      c = x < y ? -1 : x > y ? 1 : 0;
    }
    bool r = false;
    switch (kind) {
    case CompareKind::eq:
      r = c == 0;
      break;
    case CompareKind::lt:
      r = c == -1;
      break;
    case CompareKind::le:
      r = c == -1 || c == 0;
      break;
    case CompareKind::gt:
      r = c == 1;
      break;
    case CompareKind::ge:
      r = c == 1 || c == 0;
      break;
    }
    return IntegerAttr::get(i1, APInt(1, r));
  });
}

LogicalResult LogicalOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                                          ValueRange operands, DictionaryAttr, OpaqueProperties,
                                          RegionRange, SmallVectorImpl<Type> &results) {
  return inferBroadcastN("graph.logical", loc, operands, IntegerType::get(ctx, 1), results);
}

OpFoldResult LogicalOp::fold(FoldAdaptor adaptor) {
  DenseElementsAttr lhs = asDense(adaptor.getLhs()), rhs = asDense(adaptor.getRhs());
  if (!lhs || !rhs || !withinFoldLimit(getType()))
    return {};
  auto out = cast<RankedTensorType>(getType());
  Type i1 = out.getElementType();
  LogicalKind kind = getKind();
  return evalElementwise(out, {lhs, rhs}, [&](ArrayRef<const Numbers *> n, ArrayRef<int64_t> at) {
    bool x = n[0]->ints[at[0]] != 0, y = n[1]->ints[at[1]] != 0;
    bool r = kind == LogicalKind::And ? x && y : kind == LogicalKind::Or ? x || y : x != y;
    return IntegerAttr::get(i1, APInt(1, r));
  });
}

LogicalResult NotOp::inferReturnTypes(MLIRContext *, std::optional<Location>, ValueRange operands,
                                      DictionaryAttr, OpaqueProperties, RegionRange,
                                      SmallVectorImpl<Type> &results) {
  results.push_back(operands[0].getType());
  return success();
}

OpFoldResult NotOp::fold(FoldAdaptor adaptor) {
  DenseElementsAttr in = asDense(adaptor.getInput());
  if (!in || !withinFoldLimit(getType()))
    return {};
  auto out = cast<RankedTensorType>(getType());
  return evalElementwise(out, {in}, [&](ArrayRef<const Numbers *> n, ArrayRef<int64_t> at) {
    return IntegerAttr::get(out.getElementType(), APInt(1, n[0]->ints[at[0]] == 0));
  });
}

LogicalResult SelectOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         ValueRange operands, DictionaryAttr, OpaqueProperties,
                                         RegionRange, SmallVectorImpl<Type> &results) {
  Type elt = rankedType(operands[1]).getElementType();
  if (elt != rankedType(operands[2]).getElementType())
    return emitOptionalError(loc, "graph.select: x and y element types differ");
  return inferBroadcastN("graph.select", loc, operands, elt, results);
}

OpFoldResult SelectOp::fold(FoldAdaptor adaptor) {
  if (getX() == getY() && getX().getType() == getType())
    return getX();
  DenseElementsAttr c = asDense(adaptor.getCondition()), x = asDense(adaptor.getX()),
                    y = asDense(adaptor.getY());
  if (!c || !x || !y || !withinFoldLimit(getType()))
    return {};
  auto out = cast<RankedTensorType>(getType());
  // Pick element bytes: exact for every element type.
  ElementBytes xb = toBytes(x), yb = toBytes(y);
  Numbers cn = toNumbers(c);
  auto shape = out.getShape();
  auto ci =
      stridedIndices(shape, 0, broadcastStrides(rankedType(getCondition()).getShape(), shape));
  auto xi = stridedIndices(shape, 0, broadcastStrides(rankedType(getX()).getShape(), shape));
  auto yi = stridedIndices(shape, 0, broadcastStrides(rankedType(getY()).getShape(), shape));
  int64_t width = xb.width;
  std::vector<char> data(out.getNumElements() * width);
  for (int64_t k = 0, e = out.getNumElements(); k < e; ++k) {
    const char *src =
        cn.ints[ci[k]] ? xb.data.data() + xi[k] * width : yb.data.data() + yi[k] * width;
    std::memcpy(data.data() + k * width, src, width);
  }
  return fromBytes(out, data);
}

//===----------------------------------------------------------------------===//
// Arithmetic on constants (graph.add, graph.binary)
//===----------------------------------------------------------------------===//

/// Arithmetic folds serve shape computations (torch exports compute sizes
/// with Mul/Div/Sub on int64 scalars), so they are kept to small tensors.
static constexpr int64_t kMaxArithmeticFoldElements = int64_t(1) << 16;

/// lhs `kind` rhs on constants; add when `kind` is empty. Integers follow
/// numpy/onnxruntime: wrap-around add/sub/mul, division truncating toward
/// zero (not folded when dividing by zero), non-negative integer powers.
static OpFoldResult foldArithmetic(RankedTensorType out, Attribute lhsAttr, Attribute rhsAttr,
                                   std::optional<BinaryKind> kind) {
  DenseElementsAttr lhs = asDense(lhsAttr), rhs = asDense(rhsAttr);
  if (!lhs || !rhs || out.getNumElements() > kMaxArithmeticFoldElements ||
      !foldableType(lhs.getElementType()) || !foldableType(rhs.getElementType()))
    return {};
  bool failed = false;
  Type elt = out.getElementType();
  DenseElementsAttr result = evalElementwise(
      out, {lhs, rhs}, [&](ArrayRef<const Numbers *> n, ArrayRef<int64_t> at) -> Attribute {
        const Numbers &a = *n[0], &b = *n[1];
        if (a.isFloat || b.isFloat) {
          double x = a.get(at[0]), y = b.get(at[1]), r = 0;
          switch (kind.value_or(BinaryKind::sub)) {
          case BinaryKind::sub: r = kind ? x - y : x + y; break;
          case BinaryKind::mul: r = x * y; break;
          case BinaryKind::div: r = x / y; break;
          case BinaryKind::max: r = std::isnan(x) || std::isnan(y) ? NAN : std::max(x, y); break;
          case BinaryKind::min: r = std::isnan(x) || std::isnan(y) ? NAN : std::min(x, y); break;
          case BinaryKind::pow: r = std::pow(x, y); break;
          }
          return numberAttr(elt, true, 0, r);
        }
        uint64_t x = uint64_t(a.ints[at[0]]), y = uint64_t(b.ints[at[1]]);
        int64_t r = 0;
        switch (kind.value_or(BinaryKind::sub)) {
        case BinaryKind::sub: r = int64_t(kind ? x - y : x + y); break;
        case BinaryKind::mul: r = int64_t(x * y); break;
        case BinaryKind::div:
          if (y == 0 || (int64_t(x) == INT64_MIN && int64_t(y) == -1)) {
            failed = true;
            return numberAttr(elt, false, 0, 0);
          }
          r = int64_t(x) / int64_t(y);
          break;
        case BinaryKind::max: r = std::max(int64_t(x), int64_t(y)); break;
        case BinaryKind::min: r = std::min(int64_t(x), int64_t(y)); break;
        case BinaryKind::pow: {
          if (int64_t(y) < 0) {
            failed = true;
            return numberAttr(elt, false, 0, 0);
          }
          uint64_t p = 1, base = x; // by squaring, wrapping like numpy
          for (uint64_t e = y; e; e >>= 1, base *= base)
            if (e & 1)
              p *= base;
          r = int64_t(p);
          break;
        }
        }
        return numberAttr(elt, false, r, 0);
      });
  if (failed)
    return {};
  return result;
}

OpFoldResult AddOp::fold(FoldAdaptor adaptor) {
  return foldArithmetic(cast<RankedTensorType>(getType()), adaptor.getLhs(), adaptor.getRhs(),
                        std::nullopt);
}

OpFoldResult BinaryOp::fold(FoldAdaptor adaptor) {
  return foldArithmetic(cast<RankedTensorType>(getType()), adaptor.getLhs(), adaptor.getRhs(),
                        getKind());
}

/// Neg and Abs of constants (shape math such as Neg(axis)); the other
/// functions are left to the engines, whose results they define.
OpFoldResult UnaryOp::fold(FoldAdaptor adaptor) {
  UnaryKind kind = getKind();
  DenseElementsAttr in = asDense(adaptor.getInput());
  auto out = cast<RankedTensorType>(getType());
  if (!in || (kind != UnaryKind::neg && kind != UnaryKind::abs) ||
      out.getNumElements() > kMaxArithmeticFoldElements || !foldableType(in.getElementType()))
    return {};
  Type elt = out.getElementType();
  return evalElementwise(out, {in}, [&](ArrayRef<const Numbers *> n, ArrayRef<int64_t> at) {
    const Numbers &a = *n[0];
    if (a.isFloat) {
      double x = a.floats[at[0]];
      return numberAttr(elt, true, 0, kind == UnaryKind::neg ? -x : std::fabs(x));
    }
    uint64_t x = uint64_t(a.ints[at[0]]); // wrapping, like numpy
    uint64_t neg = ~x + 1;
    bool negate = kind == UnaryKind::neg || int64_t(x) < 0;
    return numberAttr(elt, false, int64_t(negate ? neg : x), 0);
  });
}
