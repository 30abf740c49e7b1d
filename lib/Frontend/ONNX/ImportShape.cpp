//===- ImportShape.cpp - shape, layout, cast, comparison and boolean ops ---===//
//
// Shape, Size, ConstantOfShape, Range, Reshape, Flatten, Squeeze, Unsqueeze,
// Concat, Split, Slice, Gather, Expand, Tile, Pad, Cast, Dropout, Where, the
// comparisons and the boolean ops.
//
// Constant folding happens here, as nodes are imported: every graph op built
// is offered to its folder (GraphShapeOps.cpp) with the constants among its
// operands, and a folded op becomes a graph.constant. Shape, Size,
// ConstantOfShape and Range only ever produce constants (shapes are static).
// So torch.onnx.export's Shape -> Gather -> Unsqueeze -> Concat -> Reshape
// chains are gone before the graph passes run. Inputs that fix a result
// shape (Reshape's shape, Slice's starts, Pad's pads, ...) must be constants;
// getConstantInput's error tells users about --constant-input.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"
#include "onnx/onnx_pb.h"
#include "llvm/Support/MathExtras.h"

#include <climits>
#include <cmath>

using namespace mlir;
using namespace trellis;
using namespace trellis::onnx_import;

namespace {

/// Element types the layout ops take.
constexpr const char *kAnyTypes = "f32, bf16, f16, i64, i32, i16, i8, u8, bool";


RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

/// `axis` in [-rank, rank) made non-negative; an error naming `what` if not.
FailureOr<int64_t> normalizeAxis(OnnxImporter &im, const NodeContext &n, int64_t axis, int64_t rank,
                                 StringRef what = "axis") {
  if (axis < -rank || axis >= rank) {
    im.emitError(n) << what << " " << axis << " is out of range for rank " << rank;
    return failure();
  }
  return axis < 0 ? axis + rank : axis;
}

/// The integer entries of a constant (shape, axes, pads, ...).
FailureOr<SmallVector<int64_t>> intValues(OnnxImporter &im, const NodeContext &n,
                                          DenseElementsAttr attr, int index) {
  if (!attr.getElementType().isInteger(64) && !attr.getElementType().isInteger(32)) {
    im.emitError(n) << "input " << index << " ('" << n.node.input(index)
                    << "') must hold int64 values, not " << attr.getElementType();
    return failure();
  }
  SmallVector<int64_t> values;
  for (APInt v : attr.getValues<APInt>())
    values.push_back(v.getSExtValue());
  return values;
}

/// A constant input holding integers (a 1-D list or a scalar).
FailureOr<SmallVector<int64_t>> constantInts(OnnxImporter &im, const NodeContext &n, int index,
                                             StringRef what) {
  FailureOr<DenseElementsAttr> attr = im.getConstantInput(n, index, what);
  if (failed(attr))
    return failure();
  if (typeOf(im.getInput(n, index).value()).getRank() > 1) {
    im.emitError(n) << "input " << index << " ('" << n.node.input(index) << "', " << what
                    << ") must be a scalar or a 1-D tensor";
    return failure();
  }
  return intValues(im, n, *attr, index);
}

/// Results above this many elements are rejected: far beyond one core's HBM,
/// and ConstantOfShape or Expand would otherwise let a tiny model ask for
/// any amount of memory.
constexpr int64_t kMaxResultElements = int64_t(1) << 32;

/// A result shape with no negative dimension and a sane element count.
LogicalResult checkResultShape(OnnxImporter &im, const NodeContext &n, ArrayRef<int64_t> shape) {
  int64_t count = 1;
  for (int64_t d : shape) {
    if (d < 0) {
      im.emitError(n) << "result dimension " << d << " is negative";
      return failure();
    }
    if (llvm::MulOverflow(count, d, count) || count > kMaxResultElements) {
      auto diag = im.emitError(n) << "result shape [";
      llvm::interleaveComma(shape, diag);
      diag << "] has more than " << kMaxResultElements << " elements";
      return failure();
    }
  }
  return success();
}

Value reshape(OpBuilder &builder, Location loc, Value x, ArrayRef<int64_t> shape) {
  auto type = RankedTensorType::get(shape, typeOf(x).getElementType());
  return foldAtImport(builder, graph::ReshapeOp::create(builder, loc, type, x));
}

/// Elements types the hardware has storage for; f64 and strings are not.
LogicalResult requireSupportedElementType(OnnxImporter &im, const NodeContext &n, Value v,
                                          int index) {
  Type elt = typeOf(v).getElementType();
  if (elt.isF32() || elt.isBF16() || elt.isF16() || isa<IntegerType>(elt))
    return success();
  im.emitError(n) << "input " << index << " ('" << n.node.input(index) << "') has type "
                  << v.getType() << ", which is not supported";
  return failure();
}

//===----------------------------------------------------------------------===//
// Shape, Size, ConstantOfShape, Range: always constants
//===----------------------------------------------------------------------===//

LogicalResult importShape(OnnxImporter &im, const NodeContext &n) {
  OpBuilder &builder = im.getBuilder();
  if (failed(im.checkArity(n, 1, 1)) || failed(im.checkAttributes(n, {"start", "end"})))
    return failure();
  FailureOr<Value> x = im.getInput(n, 0);
  FailureOr<int64_t> start = im.getIntAttr(n, "start", 0);
  FailureOr<int64_t> end = im.getIntAttr(n, "end", INT64_MAX);
  if (failed(x) || failed(start) || failed(end))
    return failure();
  ArrayRef<int64_t> shape = typeOf(*x).getShape();
  int64_t rank = shape.size();
  // Negative bounds count from the end; both are clamped to [0, rank].
  auto clamp = [&](int64_t v) {
    if (v < 0)
      v += rank;
    return std::clamp<int64_t>(v, 0, rank);
  };
  int64_t lo = clamp(*start), hi = std::max(lo, clamp(*end));
  SmallVector<int64_t> dims(shape.begin() + lo, shape.begin() + hi);
  auto type = RankedTensorType::get({int64_t(dims.size())}, builder.getI64Type());
  im.define(n, graph::ConstantOp::create(builder, n.loc,
                                         DenseElementsAttr::get(type, ArrayRef<int64_t>(dims))));
  return success();
}

LogicalResult importSize(OnnxImporter &im, const NodeContext &n) {
  OpBuilder &builder = im.getBuilder();
  if (failed(im.checkArity(n, 1, 1)) || failed(im.checkAttributes(n, {})))
    return failure();
  FailureOr<Value> x = im.getInput(n, 0);
  if (failed(x))
    return failure();
  auto type = RankedTensorType::get({}, builder.getI64Type());
  im.define(n, graph::ConstantOp::create(
                   builder, n.loc, DenseElementsAttr::get(type, typeOf(*x).getNumElements())));
  return success();
}

LogicalResult importConstantOfShape(OnnxImporter &im, const NodeContext &n) {
  OpBuilder &builder = im.getBuilder();
  if (failed(im.checkArity(n, 1, 1)) || failed(im.checkAttributes(n, {"value"})))
    return failure();
  FailureOr<SmallVector<int64_t>> shape = constantInts(im, n, 0, "the shape");
  if (failed(shape))
    return failure();
  if (failed(checkResultShape(im, n, *shape)))
    return failure();
  // The fill value: a one-element tensor, default float 0.
  Attribute fill = builder.getF32FloatAttr(0.0f);
  if (const onnx::AttributeProto *attr = OnnxImporter::findAttr(n.node, "value")) {
    if (!attr->has_t()) {
      im.emitError(n) << "attribute 'value' must be a tensor";
      return failure();
    }
    FailureOr<DenseElementsAttr> value = importTensor(
        attr->t(), im.getContext(), [&] { return im.emitError(n) << "attribute 'value' "; });
    if (failed(value))
      return failure();
    if (value->getNumElements() != 1) {
      im.emitError(n) << "attribute 'value' must hold one element, not " << value->getNumElements();
      return failure();
    }
    fill = value->getValues<Attribute>()[0];
  }
  auto type = RankedTensorType::get(*shape, cast<TypedAttr>(fill).getType());
  im.define(n, graph::ConstantOp::create(builder, n.loc, DenseElementsAttr::get(type, fill)));
  return success();
}

LogicalResult importRange(OnnxImporter &im, const NodeContext &n) {
  OpBuilder &builder = im.getBuilder();
  if (failed(im.checkArity(n, 3, 3)) || failed(im.checkAttributes(n, {})))
    return failure();
  static const char *const what[] = {"start", "limit", "delta"};
  DenseElementsAttr bounds[3];
  for (int i = 0; i < 3; ++i) {
    FailureOr<DenseElementsAttr> attr = im.getConstantInput(n, i, what[i]);
    if (failed(attr))
      return failure();
    if (attr->getNumElements() != 1) {
      im.emitError(n) << what[i] << " must be a scalar";
      return failure();
    }
    if (i && attr->getElementType() != bounds[0].getElementType()) {
      im.emitError(n) << what[i] << " has element type " << attr->getElementType()
                      << " but start has " << bounds[0].getElementType();
      return failure();
    }
    bounds[i] = *attr;
  }
  Type elt = bounds[0].getElementType();
  SmallVector<Attribute> values;
  // number_of_elements = max(ceil((limit - start) / delta), 0), computed in
  // the input type as the spec's reference implementation does.
  auto tooMany = [&](double count) {
    if (count <= double(1 << 24))
      return false;
    im.emitError(n) << "would produce " << count << " elements";
    return true;
  };
  if (auto ft = dyn_cast<FloatType>(elt)) {
    double v[3];
    for (int i = 0; i < 3; ++i) {
      APFloat f = bounds[i].getSplatValue<APFloat>();
      bool lost;
      f.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven, &lost);
      v[i] = f.convertToDouble();
    }
    if (v[2] == 0.0) {
      im.emitError(n) << "delta is zero";
      return failure();
    }
    double count = std::max(std::ceil((v[1] - v[0]) / v[2]), 0.0);
    if (tooMany(count))
      return failure();
    for (int64_t k = 0; k < int64_t(count); ++k)
      values.push_back(FloatAttr::get(elt, v[0] + double(k) * v[2]));
  } else if (elt.isInteger(64) || elt.isInteger(32) || elt.isInteger(16)) {
    int64_t v[3];
    for (int i = 0; i < 3; ++i)
      v[i] = bounds[i].getSplatValue<APInt>().getSExtValue();
    if (v[2] == 0) {
      im.emitError(n) << "delta is zero";
      return failure();
    }
    double count = std::max(std::ceil(double(v[1] - v[0]) / double(v[2])), 0.0);
    if (tooMany(count))
      return failure();
    for (int64_t k = 0; k < int64_t(count); ++k)
      values.push_back(IntegerAttr::get(elt, v[0] + k * v[2]));
  } else {
    im.emitError(n) << "element type " << elt << " is not supported";
    return failure();
  }
  auto type = RankedTensorType::get({int64_t(values.size())}, elt);
  im.define(n, graph::ConstantOp::create(builder, n.loc, DenseElementsAttr::get(type, values)));
  return success();
}

//===----------------------------------------------------------------------===//
// Reshape, Flatten, Squeeze, Unsqueeze
//===----------------------------------------------------------------------===//

LogicalResult importReshape(OnnxImporter &im, const NodeContext &n) {
  // Reshape-1 and -4 took the shape as an attribute; from 5 it is input 1.
  bool attrForm = im.getOpset() < 5;
  if (failed(im.checkArity(n, attrForm ? 1 : 2, attrForm ? 1 : 2)) ||
      failed(im.checkAttributes(n, attrForm ? ArrayRef<StringRef>{"shape"}
                                            : ArrayRef<StringRef>{"allowzero"})))
    return failure();
  FailureOr<Value> x = im.getInput(n, 0);
  FailureOr<int64_t> allowZero = im.getIntAttr(n, "allowzero", 0);
  FailureOr<SmallVector<int64_t>> requested =
      attrForm ? im.getIntsAttr(n, "shape") : constantInts(im, n, 1, "the shape");
  if (failed(x) || failed(allowZero) || failed(requested))
    return failure();
  ArrayRef<int64_t> in = typeOf(*x).getShape();
  SmallVector<int64_t> shape;
  int64_t inferred = -1, known = 1;
  for (auto [i, d] : llvm::enumerate(*requested)) {
    if (d == 0 && !*allowZero) {
      // 0 copies the input's dimension.
      if (i >= in.size()) {
        im.emitError(n) << "shape entry " << i << " is 0 (copy the input dimension) but the input "
                        << shapeStr(typeOf(*x)) << " has rank " << in.size();
        return failure();
      }
      d = in[i];
    } else if (d == -1) {
      if (inferred >= 0) {
        im.emitError(n) << "shape has more than one -1";
        return failure();
      }
      inferred = i;
      shape.push_back(1);
      continue;
    } else if (d < 0) {
      im.emitError(n) << "shape entry " << i << " is " << d;
      return failure();
    }
    shape.push_back(d);
    if (llvm::MulOverflow(known, d, known)) {
      im.emitError(n) << "shape entries overflow the element count";
      return failure();
    }
  }
  int64_t total = typeOf(*x).getNumElements();
  if (inferred >= 0) {
    if (known == 0 || total % known != 0) {
      im.emitError(n) << "cannot reshape " << shapeStr(typeOf(*x)) << " (" << total
                      << " elements) with -1 into a multiple of " << known;
      return failure();
    }
    shape[inferred] = total / known;
    known = total;
  }
  if (known != total) {
    auto diag = im.emitError(n) << "cannot reshape " << shapeStr(typeOf(*x)) << " to [";
    llvm::interleaveComma(shape, diag);
    diag << "]: the element counts differ";
    return failure();
  }
  im.define(n, reshape(im.getBuilder(), n.loc, *x, shape));
  return success();
}

LogicalResult importFlatten(OnnxImporter &im, const NodeContext &n) {
  if (failed(im.checkArity(n, 1, 1)) || failed(im.checkAttributes(n, {"axis"})))
    return failure();
  FailureOr<Value> x = im.getInput(n, 0);
  FailureOr<int64_t> axis = im.getIntAttr(n, "axis", 1);
  if (failed(x) || failed(axis))
    return failure();
  ArrayRef<int64_t> in = typeOf(*x).getShape();
  int64_t rank = in.size();
  // axis is in [-rank, rank]: rank itself flattens everything into dim 0.
  if (*axis < -rank || *axis > rank) {
    im.emitError(n) << "axis " << *axis << " is out of range for rank " << rank;
    return failure();
  }
  int64_t a = *axis < 0 ? *axis + rank : *axis;
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < rank; ++d)
    (d < a ? outer : inner) *= in[d];
  im.define(n, reshape(im.getBuilder(), n.loc, *x, {outer, inner}));
  return success();
}

/// Squeeze and Unsqueeze axes: an attribute before opset 13, input 1 from 13.
FailureOr<std::optional<SmallVector<int64_t>>> squeezeAxes(OnnxImporter &im, const NodeContext &n) {
  if (im.getOpset() < 13) {
    if (!OnnxImporter::findAttr(n.node, "axes"))
      return std::optional<SmallVector<int64_t>>();
    FailureOr<SmallVector<int64_t>> axes = im.getIntsAttr(n, "axes");
    if (failed(axes))
      return failure();
    return std::optional<SmallVector<int64_t>>(*axes);
  }
  if (n.node.input_size() < 2 || n.node.input(1).empty())
    return std::optional<SmallVector<int64_t>>();
  FailureOr<SmallVector<int64_t>> axes = constantInts(im, n, 1, "the axes");
  if (failed(axes))
    return failure();
  return std::optional<SmallVector<int64_t>>(*axes);
}

LogicalResult importSqueeze(OnnxImporter &im, const NodeContext &n) {
  bool attrForm = im.getOpset() < 13;
  if (failed(im.checkArity(n, 1, attrForm ? 1 : 2)) ||
      failed(im.checkAttributes(n, attrForm ? ArrayRef<StringRef>{"axes"} : ArrayRef<StringRef>{})))
    return failure();
  FailureOr<Value> x = im.getInput(n, 0);
  FailureOr<std::optional<SmallVector<int64_t>>> axes = squeezeAxes(im, n);
  if (failed(x) || failed(axes))
    return failure();
  ArrayRef<int64_t> in = typeOf(*x).getShape();
  int64_t rank = in.size();
  SmallVector<bool> drop(rank, false);
  if (!*axes) {
    for (int64_t d = 0; d < rank; ++d)
      drop[d] = in[d] == 1;
  } else {
    for (int64_t axis : **axes) {
      FailureOr<int64_t> a = normalizeAxis(im, n, axis, rank);
      if (failed(a))
        return failure();
      if (in[*a] != 1) {
        im.emitError(n) << "cannot squeeze dimension " << *a << " of " << shapeStr(typeOf(*x))
                        << ": its size is not 1";
        return failure();
      }
      drop[*a] = true;
    }
  }
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d)
    if (!drop[d])
      shape.push_back(in[d]);
  im.define(n, reshape(im.getBuilder(), n.loc, *x, shape));
  return success();
}

LogicalResult importUnsqueeze(OnnxImporter &im, const NodeContext &n) {
  bool attrForm = im.getOpset() < 13;
  if (failed(im.checkArity(n, attrForm ? 1 : 2, attrForm ? 1 : 2)) ||
      failed(im.checkAttributes(n, attrForm ? ArrayRef<StringRef>{"axes"} : ArrayRef<StringRef>{})))
    return failure();
  FailureOr<Value> x = im.getInput(n, 0);
  FailureOr<std::optional<SmallVector<int64_t>>> axes = squeezeAxes(im, n);
  if (failed(x) || failed(axes))
    return failure();
  if (!*axes) {
    im.emitError(n) << "attribute 'axes' is missing";
    return failure();
  }
  ArrayRef<int64_t> in = typeOf(*x).getShape();
  int64_t outRank = in.size() + (*axes)->size();
  SmallVector<bool> inserted(outRank, false);
  for (int64_t axis : **axes) {
    FailureOr<int64_t> a = normalizeAxis(im, n, axis, outRank);
    if (failed(a))
      return failure();
    if (inserted[*a]) {
      im.emitError(n) << "axis " << axis << " is given twice";
      return failure();
    }
    inserted[*a] = true;
  }
  SmallVector<int64_t> shape;
  for (int64_t d = 0, next = 0; d < outRank; ++d)
    shape.push_back(inserted[d] ? 1 : in[next++]);
  im.define(n, reshape(im.getBuilder(), n.loc, *x, shape));
  return success();
}

//===----------------------------------------------------------------------===//
// Concat, Split, Slice, Gather
//===----------------------------------------------------------------------===//

LogicalResult importConcat(OnnxImporter &im, const NodeContext &n) {
  OpBuilder &builder = im.getBuilder();
  if (failed(im.checkArity(n, 1, INT_MAX)) || failed(im.checkAttributes(n, {"axis"})))
    return failure();
  SmallVector<Value> inputs;
  for (int i = 0, e = n.node.input_size(); i < e; ++i) {
    FailureOr<Value> v = im.getInput(n, i);
    if (failed(v) || failed(requireSupportedElementType(im, n, *v, i)))
      return failure();
    inputs.push_back(*v);
  }
  if (!OnnxImporter::findAttr(n.node, "axis") && im.getOpset() >= 4) {
    im.emitError(n) << "attribute 'axis' is missing";
    return failure();
  }
  FailureOr<int64_t> axis = im.getIntAttr(n, "axis", 1);
  if (failed(axis))
    return failure();
  RankedTensorType first = typeOf(inputs.front());
  FailureOr<int64_t> a = normalizeAxis(im, n, *axis, first.getRank());
  if (failed(a))
    return failure();
  for (auto [i, v] : llvm::enumerate(inputs)) {
    RankedTensorType t = typeOf(v);
    bool ok = t.getElementType() == first.getElementType() && t.getRank() == first.getRank();
    for (int64_t d = 0; ok && d < t.getRank(); ++d)
      ok = d == *a || t.getDimSize(d) == first.getDimSize(d);
    if (!ok) {
      im.emitError(n) << "input " << i << " ('" << n.node.input(i) << "') has type " << t
                      << ", which does not match input 0 (" << first << ") outside axis " << *a;
      return failure();
    }
  }
  // Zero-sized inputs contribute nothing.
  SmallVector<Value> nonEmpty;
  for (Value v : inputs)
    if (typeOf(v).getDimSize(*a) != 0)
      nonEmpty.push_back(v);
  if (nonEmpty.empty())
    nonEmpty.push_back(inputs.front());
  auto props = graph::ConcatOp::Properties();
  props.axis = builder.getI64IntegerAttr(*a);
  FailureOr<Type> type = im.inferResultType<graph::ConcatOp>(n, nonEmpty, &props);
  if (failed(type))
    return failure();
  im.define(n, foldAtImport(builder, graph::ConcatOp::create(builder, n.loc, *type, nonEmpty,
                                                             builder.getI64IntegerAttr(*a))));
  return success();
}

/// result = x[starts[d] + i * steps[d]] with `sizes` elements per dimension.
Value buildSlice(OpBuilder &builder, Location loc, Value x, ArrayRef<int64_t> starts,
                 ArrayRef<int64_t> steps, ArrayRef<int64_t> sizes) {
  auto type = RankedTensorType::get(sizes, typeOf(x).getElementType());
  // Zero-sized slices start anywhere: keep the verifier's in-bounds rule.
  SmallVector<int64_t> s(starts);
  for (auto [i, size] : llvm::enumerate(sizes))
    if (size == 0)
      s[i] = 0;
  return foldAtImport(builder,
                      graph::SliceOp::create(builder, loc, type, x, builder.getDenseI64ArrayAttr(s),
                                             builder.getDenseI64ArrayAttr(steps)));
}

LogicalResult importSplit(OnnxImporter &im, const NodeContext &n) {
  int64_t opset = im.getOpset();
  bool splitIsInput = opset >= 13;
  SmallVector<StringRef> attrs = {"axis"};
  if (!splitIsInput)
    attrs.push_back("split");
  if (opset >= 18)
    attrs.push_back("num_outputs");
  if (failed(im.checkArity(n, 1, splitIsInput ? 2 : 1, 1, INT_MAX)) ||
      failed(im.checkAttributes(n, attrs)))
    return failure();
  FailureOr<Value> x = im.getInput(n, 0);
  FailureOr<int64_t> axis = im.getIntAttr(n, "axis", 0);
  if (failed(x) || failed(axis))
    return failure();
  RankedTensorType type = typeOf(*x);
  FailureOr<int64_t> a = normalizeAxis(im, n, *axis, type.getRank());
  if (failed(a))
    return failure();
  int64_t dim = type.getDimSize(*a), outputs = n.node.output_size();
  SmallVector<int64_t> sizes;
  if (splitIsInput && n.node.input_size() > 1 && !n.node.input(1).empty()) {
    FailureOr<SmallVector<int64_t>> split = constantInts(im, n, 1, "the split sizes");
    if (failed(split))
      return failure();
    sizes = *split;
  } else if (!splitIsInput && OnnxImporter::findAttr(n.node, "split")) {
    FailureOr<SmallVector<int64_t>> split = im.getIntsAttr(n, "split");
    if (failed(split))
      return failure();
    sizes = *split;
  } else if (const onnx::AttributeProto *num = OnnxImporter::findAttr(n.node, "num_outputs")) {
    // Opset 18: ceil(dim / num_outputs) each, the last one smaller.
    int64_t count = num->i();
    if (count <= 0 || count != outputs) {
      im.emitError(n) << "num_outputs is " << count << " but the node has " << outputs
                      << " outputs";
      return failure();
    }
    int64_t chunk = (dim + count - 1) / count;
    for (int64_t i = 0, left = dim; i < count; ++i, left -= chunk)
      sizes.push_back(std::clamp<int64_t>(left, 0, chunk));
  } else {
    if (dim % outputs != 0) {
      im.emitError(n) << "dimension " << *a << " (" << dim << ") does not split into " << outputs
                      << " equal parts";
      return failure();
    }
    sizes.assign(outputs, dim / outputs);
  }
  int64_t total = 0;
  for (int64_t s : sizes) {
    if (s < 0 || s > dim) {
      im.emitError(n) << "split size " << s << " is out of range for dimension " << *a
                      << " of size " << dim;
      return failure();
    }
    total += s;
  }
  if (int64_t(sizes.size()) != outputs || total != dim) {
    im.emitError(n) << "split sizes (" << sizes.size() << " summing to " << total
                    << ") do not cut dimension " << *a << " (" << dim << ") into " << outputs
                    << " outputs";
    return failure();
  }
  SmallVector<int64_t> starts(type.getRank(), 0), steps(type.getRank(), 1);
  SmallVector<int64_t> shape(type.getShape());
  for (int64_t i = 0, offset = 0; i < outputs; offset += sizes[i], ++i) {
    starts[*a] = offset;
    shape[*a] = sizes[i];
    im.define(n, buildSlice(im.getBuilder(), n.loc, *x, starts, steps, shape), i);
  }
  return success();
}

LogicalResult importSlice(OnnxImporter &im, const NodeContext &n) {
  bool attrForm = im.getOpset() < 10;
  if (failed(im.checkArity(n, attrForm ? 1 : 3, attrForm ? 1 : 5)) ||
      failed(im.checkAttributes(n, attrForm ? ArrayRef<StringRef>{"starts", "ends", "axes"}
                                            : ArrayRef<StringRef>{})))
    return failure();
  FailureOr<Value> x = im.getInput(n, 0);
  if (failed(x))
    return failure();
  RankedTensorType type = typeOf(*x);
  int64_t rank = type.getRank();
  FailureOr<SmallVector<int64_t>> starts, ends, axes, steps;
  if (attrForm) {
    starts = im.getIntsAttr(n, "starts");
    ends = im.getIntsAttr(n, "ends");
    axes = im.getIntsAttr(n, "axes");
    steps = SmallVector<int64_t>();
  } else {
    starts = constantInts(im, n, 1, "the starts");
    ends = constantInts(im, n, 2, "the ends");
    bool hasAxes = n.node.input_size() > 3 && !n.node.input(3).empty();
    bool hasSteps = n.node.input_size() > 4 && !n.node.input(4).empty();
    axes = hasAxes ? constantInts(im, n, 3, "the axes") : SmallVector<int64_t>();
    steps = hasSteps ? constantInts(im, n, 4, "the steps") : SmallVector<int64_t>();
  }
  if (failed(starts) || failed(ends) || failed(axes) || failed(steps))
    return failure();
  if (axes->empty())
    for (int64_t i = 0; i < int64_t(starts->size()); ++i)
      axes->push_back(i);
  if (steps->empty())
    steps->assign(starts->size(), 1);
  if (ends->size() != starts->size() || axes->size() != starts->size() ||
      steps->size() != starts->size()) {
    im.emitError(n) << "starts, ends, axes and steps differ in length (" << starts->size() << ", "
                    << ends->size() << ", " << axes->size() << ", " << steps->size() << ")";
    return failure();
  }
  SmallVector<int64_t> outStarts(rank, 0), outSteps(rank, 1), sizes(type.getShape());
  SmallVector<bool> seen(rank, false);
  for (size_t i = 0; i < starts->size(); ++i) {
    FailureOr<int64_t> a = normalizeAxis(im, n, (*axes)[i], rank);
    if (failed(a))
      return failure();
    if (seen[*a]) {
      im.emitError(n) << "axis " << (*axes)[i] << " is sliced twice";
      return failure();
    }
    seen[*a] = true;
    int64_t dim = type.getDimSize(*a), step = (*steps)[i];
    if (step == 0) {
      im.emitError(n) << "step of axis " << *a << " is zero";
      return failure();
    }
    // The ONNX clamping rules: negative values count from the end; starts
    // clamp to [0, dim] (stepping forwards) or [0, dim - 1] (backwards),
    // ends to [0, dim] or [-1, dim - 1].
    int64_t start = (*starts)[i], end = (*ends)[i];
    if (start < 0)
      start += dim;
    if (end < 0 && end > INT64_MIN + dim)
      end += dim;
    else if (end < 0)
      end = -1;
    if (step > 0) {
      start = std::clamp<int64_t>(start, 0, dim);
      end = std::clamp<int64_t>(end, 0, dim);
    } else {
      start = std::clamp<int64_t>(start, 0, dim - 1);
      end = std::clamp<int64_t>(end, -1, dim - 1);
    }
    // A step longer than the axis takes at most one element: clamping it
    // keeps the arithmetic below from overflowing.
    int64_t longest = std::max<int64_t>(dim, 1);
    step = std::clamp(step, -longest, longest);
    int64_t count = step > 0 ? (end > start ? (end - start - 1) / step + 1 : 0)
                             : (start > end ? (start - end - 1) / -step + 1 : 0);
    outStarts[*a] = start;
    outSteps[*a] = step;
    sizes[*a] = std::max<int64_t>(count, 0);
  }
  im.define(n, buildSlice(im.getBuilder(), n.loc, *x, outStarts, outSteps, sizes));
  return success();
}

LogicalResult importGather(OnnxImporter &im, const NodeContext &n) {
  OpBuilder &builder = im.getBuilder();
  if (failed(im.checkArity(n, 2, 2)) || failed(im.checkAttributes(n, {"axis"})))
    return failure();
  FailureOr<Value> data = im.getInput(n, 0);
  FailureOr<int64_t> axis = im.getIntAttr(n, "axis", 0);
  if (failed(data) || failed(axis) || failed(requireSupportedElementType(im, n, *data, 0)))
    return failure();
  FailureOr<int64_t> a = normalizeAxis(im, n, *axis, typeOf(*data).getRank());
  if (failed(a))
    return failure();
  FailureOr<Value> indexInput = im.getInput(n, 1);
  if (failed(indexInput))
    return failure();
  Value idx = *indexInput;
  Type idxElt = typeOf(idx).getElementType();
  if (!idxElt.isInteger(64) && !idxElt.isInteger(32)) {
    im.emitError(n) << "input 1 ('" << n.node.input(1) << "') has type " << idx.getType()
                    << "; indices must be int64 or int32";
    return failure();
  }
  // Constant indices are checked now; run-time ones by the indirect DMA.
  int64_t dim = typeOf(*data).getDimSize(*a);
  DenseElementsAttr constant;
  if (matchPattern(idx, m_Constant(&constant)))
    for (APInt v : constant.getValues<APInt>())
      if (v.getSExtValue() < -dim || v.getSExtValue() >= dim) {
        im.emitError(n) << "index " << v.getSExtValue() << " is out of range for axis " << *a
                        << " of size " << dim;
        return failure();
      }
  auto props = graph::GatherOp::Properties();
  props.axis = builder.getI64IntegerAttr(*a);
  SmallVector<Value, 2> operands = {*data, idx};
  FailureOr<Type> type = im.inferResultType<graph::GatherOp>(n, operands, &props);
  if (failed(type))
    return failure();
  im.define(n, foldAtImport(builder, graph::GatherOp::create(builder, n.loc, *type, *data, idx,
                                                             builder.getI64IntegerAttr(*a))));
  return success();
}

//===----------------------------------------------------------------------===//
// Expand, Tile, Pad
//===----------------------------------------------------------------------===//

LogicalResult importExpand(OnnxImporter &im, const NodeContext &n) {
  OpBuilder &builder = im.getBuilder();
  if (failed(im.checkArity(n, 2, 2)) || failed(im.checkAttributes(n, {})))
    return failure();
  FailureOr<Value> x = im.getInput(n, 0);
  FailureOr<SmallVector<int64_t>> shape = constantInts(im, n, 1, "the shape");
  if (failed(x) || failed(shape))
    return failure();
  // Bidirectional: the result is the broadcast of both shapes.
  auto out = graph::broadcastShapes(typeOf(*x).getShape(), *shape);
  if (!out || llvm::any_of(*shape, [](int64_t d) { return d < 0; })) {
    auto diag = im.emitError(n) << "input shape " << shapeStr(typeOf(*x))
                                << " does not broadcast with [";
    llvm::interleaveComma(*shape, diag);
    diag << "]";
    return failure();
  }
  if (failed(checkResultShape(im, n, *out)))
    return failure();
  auto type = RankedTensorType::get(*out, typeOf(*x).getElementType());
  im.define(n, foldAtImport(builder, graph::ExpandOp::create(builder, n.loc, type, *x)));
  return success();
}

/// Tile as reshape [.., 1, d, ..] -> expand [.., r, d, ..] -> reshape [.., r*d, ..].
LogicalResult importTile(OnnxImporter &im, const NodeContext &n) {
  OpBuilder &builder = im.getBuilder();
  if (failed(im.checkArity(n, 2, 2)) || failed(im.checkAttributes(n, {})))
    return failure();
  FailureOr<Value> x = im.getInput(n, 0);
  FailureOr<SmallVector<int64_t>> repeats = constantInts(im, n, 1, "the repeats");
  if (failed(x) || failed(repeats))
    return failure();
  ArrayRef<int64_t> in = typeOf(*x).getShape();
  if (repeats->size() != in.size()) {
    im.emitError(n) << "has " << repeats->size() << " repeats for an input of rank " << in.size();
    return failure();
  }
  SmallVector<int64_t> split, expanded, out;
  for (auto [d, r] : llvm::zip(in, *repeats)) {
    if (r < 0) {
      im.emitError(n) << "repeat count " << r << " is negative";
      return failure();
    }
    int64_t size;
    if (llvm::MulOverflow(r, d, size)) {
      im.emitError(n) << "repeat count " << r << " overflows dimension " << d;
      return failure();
    }
    split.append({1, d});
    expanded.append({r, d});
    out.push_back(size);
  }
  if (failed(checkResultShape(im, n, out)))
    return failure();
  Value v = reshape(builder, n.loc, *x, split);
  auto type = RankedTensorType::get(expanded, typeOf(*x).getElementType());
  v = foldAtImport(builder, graph::ExpandOp::create(builder, n.loc, type, v));
  im.define(n, reshape(builder, n.loc, v, out));
  return success();
}

LogicalResult importPad(OnnxImporter &im, const NodeContext &n) {
  OpBuilder &builder = im.getBuilder();
  int64_t opset = im.getOpset();
  bool inputForm = opset >= 11;
  if (failed(im.checkArity(n, 1, inputForm ? 4 : 1)) ||
      failed(im.checkAttributes(n, inputForm
                                       ? ArrayRef<StringRef>{"mode"}
                                       : ArrayRef<StringRef>{"mode", "pads", "paddings", "value"})))
    return failure();
  FailureOr<Value> x = im.getInput(n, 0);
  FailureOr<std::string> mode = im.getStringAttr(n, "mode", "constant");
  if (failed(x) || failed(mode))
    return failure();
  if (*mode != "constant") {
    im.emitError(n) << "mode '" << *mode << "' is not supported (only 'constant')";
    return failure();
  }
  RankedTensorType type = typeOf(*x);
  int64_t rank = type.getRank();
  FailureOr<SmallVector<int64_t>> pads;
  double value = 0.0;
  SmallVector<int64_t> axes;
  if (inputForm) {
    pads = constantInts(im, n, 1, "the pads");
    if (failed(pads))
      return failure();
    if (n.node.input_size() > 2 && !n.node.input(2).empty()) {
      FailureOr<DenseElementsAttr> v = im.getConstantInput(n, 2, "the constant value");
      if (failed(v))
        return failure();
      if (v->getNumElements() != 1 || v->getElementType() != type.getElementType()) {
        im.emitError(n) << "constant_value must be one element of type " << type.getElementType();
        return failure();
      }
      Attribute e = v->getValues<Attribute>()[0];
      if (auto f = dyn_cast<FloatAttr>(e))
        value = f.getValueAsDouble();
      else
        value = double(cast<IntegerAttr>(e).getValue().getSExtValue());
    }
    if (n.node.input_size() > 3 && !n.node.input(3).empty()) {
      FailureOr<SmallVector<int64_t>> a = constantInts(im, n, 3, "the axes");
      if (failed(a))
        return failure();
      axes = *a;
    }
  } else {
    pads = im.getIntsAttr(n, OnnxImporter::findAttr(n.node, "paddings") ? "paddings" : "pads");
    FailureOr<float> v = im.getFloatAttr(n, "value", 0.0f);
    if (failed(pads) || failed(v))
      return failure();
    value = *v;
  }
  if (axes.empty())
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  if (pads->size() != 2 * axes.size()) {
    im.emitError(n) << "has " << pads->size() << " pads for " << axes.size() << " axes (need "
                    << 2 * axes.size() << ")";
    return failure();
  }
  // pads = [x1_begin, x2_begin, ..., x1_end, x2_end, ...]; negative ones crop.
  SmallVector<int64_t> low(rank, 0), high(rank, 0);
  for (auto [i, axis] : llvm::enumerate(axes)) {
    FailureOr<int64_t> a = normalizeAxis(im, n, axis, rank);
    if (failed(a))
      return failure();
    low[*a] = (*pads)[i];
    high[*a] = (*pads)[i + axes.size()];
  }
  Value v = *x;
  if (llvm::any_of(llvm::concat<int64_t>(low, high), [](int64_t p) { return p < 0; })) {
    SmallVector<int64_t> starts(rank, 0), steps(rank, 1), sizes(type.getShape());
    for (int64_t d = 0; d < rank; ++d) {
      if (low[d] < -sizes[d] || high[d] < -sizes[d]) {
        im.emitError(n) << "negative pads remove more than dimension " << d << " holds";
        return failure();
      }
      int64_t cropLow = std::max<int64_t>(0, -low[d]), cropHigh = std::max<int64_t>(0, -high[d]);
      if (cropLow + cropHigh > sizes[d]) {
        im.emitError(n) << "negative pads remove more than dimension " << d << " holds";
        return failure();
      }
      starts[d] = cropLow;
      sizes[d] -= cropLow + cropHigh;
      low[d] = std::max<int64_t>(0, low[d]);
      high[d] = std::max<int64_t>(0, high[d]);
    }
    v = buildSlice(builder, n.loc, v, starts, steps, sizes);
  }
  SmallVector<int64_t> padded;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t size = typeOf(v).getDimSize(d);
    if (llvm::AddOverflow(size, low[d], size) || llvm::AddOverflow(size, high[d], size)) {
      im.emitError(n) << "pads overflow dimension " << d;
      return failure();
    }
    padded.push_back(size);
  }
  if (failed(checkResultShape(im, n, padded)))
    return failure();
  auto props = graph::PadOp::Properties();
  props.low = builder.getDenseI64ArrayAttr(low);
  props.high = builder.getDenseI64ArrayAttr(high);
  props.value = builder.getF64FloatAttr(value);
  FailureOr<Type> outType = im.inferResultType<graph::PadOp>(n, v, &props);
  if (failed(outType))
    return failure();
  im.define(n, foldAtImport(builder, graph::PadOp::create(builder, n.loc, *outType, v, props.low,
                                                          props.high, props.value)));
  return success();
}

//===----------------------------------------------------------------------===//
// Cast, Dropout
//===----------------------------------------------------------------------===//

LogicalResult importCast(OnnxImporter &im, const NodeContext &n) {
  OpBuilder &builder = im.getBuilder();
  if (failed(im.checkArity(n, 1, 1)) || failed(im.checkAttributes(n, {"to", "saturate"})))
    return failure();
  FailureOr<Value> x = im.getInput(n, 0);
  const onnx::AttributeProto *to = OnnxImporter::findAttr(n.node, "to");
  if (failed(x))
    return failure();
  if (!to) {
    im.emitError(n) << "attribute 'to' is missing";
    return failure();
  }
  // Opset 1-5 named the type as a string ("FLOAT").
  int32_t dataType = onnx::TensorProto::UNDEFINED;
  if (to->type() == onnx::AttributeProto::STRING || (to->has_s() && !to->has_i())) {
    onnx::TensorProto::DataType parsed;
    if (onnx::TensorProto::DataType_Parse(to->s(), &parsed))
      dataType = parsed;
  } else {
    dataType = int32_t(to->i());
  }
  Type elt = convertDataType(dataType, im.getContext());
  if (!elt || elt.isF64()) {
    im.emitError(n) << "cast to " << dataTypeName(dataType)
                    << " is not supported (the hardware has no storage for it)";
    return failure();
  }
  if (failed(requireSupportedElementType(im, n, *x, 0)))
    return failure();
  auto type = RankedTensorType::get(typeOf(*x).getShape(), elt);
  im.define(n, foldAtImport(builder, graph::CastOp::create(builder, n.loc, type, *x)));
  return success();
}

/// Inference-mode Dropout: the identity, and an all-true mask.
LogicalResult importDropout(OnnxImporter &im, const NodeContext &n) {
  OpBuilder &builder = im.getBuilder();
  int64_t opset = im.getOpset();
  bool inputsForm = opset >= 12;
  SmallVector<StringRef> attrs = {"seed"};
  if (!inputsForm)
    attrs.push_back("ratio");
  if (opset < 7)
    attrs.push_back("is_test");
  if (failed(im.checkArity(n, 1, inputsForm ? 3 : 1, 1, 2)) || failed(im.checkAttributes(n, attrs)))
    return failure();
  FailureOr<Value> x = im.getInput(n, 0);
  if (failed(x))
    return failure();
  if (opset < 7) {
    FailureOr<int64_t> isTest = im.getIntAttr(n, "is_test", 0);
    if (failed(isTest))
      return failure();
    if (!*isTest) {
      im.emitError(n) << "training-mode dropout (is_test = 0) is not supported";
      return failure();
    }
  }
  if (inputsForm && n.node.input_size() > 2 && !n.node.input(2).empty()) {
    FailureOr<DenseElementsAttr> training = im.getConstantInput(n, 2, "training_mode");
    if (failed(training))
      return failure();
    if (!training->getElementType().isInteger(1) || training->getNumElements() != 1) {
      im.emitError(n) << "training_mode must be a boolean scalar";
      return failure();
    }
    if (training->getSplatValue<bool>()) {
      im.emitError(n) << "training-mode dropout is not supported";
      return failure();
    }
  }
  im.define(n, *x);
  if (n.node.output_size() > 1) {
    auto maskType = RankedTensorType::get(typeOf(*x).getShape(), builder.getI1Type());
    im.define(n, graph::ConstantOp::create(builder, n.loc, DenseElementsAttr::get(maskType, true)),
              1);
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Where, comparisons, boolean ops
//===----------------------------------------------------------------------===//

/// Both inputs have the same element type and broadcast together.
LogicalResult checkBinaryInputs(OnnxImporter &im, const NodeContext &n, Value a, Value b) {
  if (failed(requireSupportedElementType(im, n, a, 0)))
    return failure();
  if (typeOf(a).getElementType() != typeOf(b).getElementType()) {
    im.emitError(n) << "input 1 ('" << n.node.input(1) << "') has type " << b.getType()
                    << " but input 0 has element type " << typeOf(a).getElementType();
    return failure();
  }
  if (!graph::broadcastShapes(typeOf(a).getShape(), typeOf(b).getShape())) {
    im.emitError(n) << "shapes " << shapeStr(typeOf(a)) << " and " << shapeStr(typeOf(b))
                    << " do not broadcast";
    return failure();
  }
  return success();
}

LogicalResult requireBool(OnnxImporter &im, const NodeContext &n, Value v, int index) {
  if (typeOf(v).getElementType().isInteger(1))
    return success();
  im.emitError(n) << "input " << index << " ('" << n.node.input(index) << "') has type "
                  << v.getType() << "; expected a bool tensor";
  return failure();
}

LogicalResult importCompare(OnnxImporter &im, const NodeContext &n, graph::CompareKind kind) {
  OpBuilder &builder = im.getBuilder();
  if (failed(im.checkArity(n, 2, 2)) || failed(im.checkAttributes(n, {})))
    return failure();
  FailureOr<Value> a = im.getInput(n, 0), b = im.getInput(n, 1);
  if (failed(a) || failed(b) || failed(checkBinaryInputs(im, n, *a, *b)))
    return failure();
  SmallVector<Value, 2> operands = {*a, *b};
  FailureOr<Type> type = im.inferResultType<graph::CompareOp>(n, operands);
  if (failed(type))
    return failure();
  im.define(n,
            foldAtImport(builder, graph::CompareOp::create(builder, n.loc, *type, kind, *a, *b)));
  return success();
}

LogicalResult importLogical(OnnxImporter &im, const NodeContext &n, graph::LogicalKind kind) {
  OpBuilder &builder = im.getBuilder();
  if (failed(im.checkArity(n, 2, 2)) || failed(im.checkAttributes(n, {})))
    return failure();
  FailureOr<Value> a = im.getInput(n, 0), b = im.getInput(n, 1);
  if (failed(a) || failed(b) || failed(requireBool(im, n, *a, 0)) ||
      failed(requireBool(im, n, *b, 1)) || failed(checkBinaryInputs(im, n, *a, *b)))
    return failure();
  SmallVector<Value, 2> operands = {*a, *b};
  FailureOr<Type> type = im.inferResultType<graph::LogicalOp>(n, operands);
  if (failed(type))
    return failure();
  im.define(n,
            foldAtImport(builder, graph::LogicalOp::create(builder, n.loc, *type, kind, *a, *b)));
  return success();
}

LogicalResult importNot(OnnxImporter &im, const NodeContext &n) {
  OpBuilder &builder = im.getBuilder();
  if (failed(im.checkArity(n, 1, 1)) || failed(im.checkAttributes(n, {})))
    return failure();
  FailureOr<Value> x = im.getInput(n, 0);
  if (failed(x) || failed(requireBool(im, n, *x, 0)))
    return failure();
  im.define(n, foldAtImport(builder, graph::NotOp::create(builder, n.loc, x->getType(), *x)));
  return success();
}

LogicalResult importWhere(OnnxImporter &im, const NodeContext &n) {
  OpBuilder &builder = im.getBuilder();
  if (failed(im.checkArity(n, 3, 3)) || failed(im.checkAttributes(n, {})))
    return failure();
  FailureOr<Value> c = im.getInput(n, 0), x = im.getInput(n, 1), y = im.getInput(n, 2);
  if (failed(c) || failed(x) || failed(y) || failed(requireBool(im, n, *c, 0)) ||
      failed(requireSupportedElementType(im, n, *x, 1)))
    return failure();
  if (typeOf(*x).getElementType() != typeOf(*y).getElementType()) {
    im.emitError(n) << "input 2 ('" << n.node.input(2) << "') has type " << y->getType()
                    << " but input 1 has element type " << typeOf(*x).getElementType();
    return failure();
  }
  auto shape = graph::broadcastShapes(typeOf(*c).getShape(), typeOf(*x).getShape());
  if (shape)
    shape = graph::broadcastShapes(*shape, typeOf(*y).getShape());
  if (!shape) {
    im.emitError(n) << "shapes " << shapeStr(typeOf(*c)) << ", " << shapeStr(typeOf(*x)) << " and "
                    << shapeStr(typeOf(*y)) << " do not broadcast";
    return failure();
  }
  SmallVector<Value, 3> operands = {*c, *x, *y};
  FailureOr<Type> type = im.inferResultType<graph::SelectOp>(n, operands);
  if (failed(type))
    return failure();
  im.define(n, foldAtImport(builder, graph::SelectOp::create(builder, n.loc, *type, *c, *x, *y)));
  return success();
}

} // namespace

/// Replaces `op` by a graph.constant when its folder computes its result from
/// constant operands (or by the operand it forwards); returns the result.
Value trellis::onnx_import::foldAtImport(OpBuilder &builder, Operation *op) {
  SmallVector<Attribute> operands;
  for (Value v : op->getOperands()) {
    Attribute attr;
    operands.push_back(matchPattern(v, m_Constant(&attr)) ? attr : Attribute());
  }
  SmallVector<OpFoldResult, 1> results;
  if (op->getNumResults() != 1 || failed(op->fold(operands, results)) || results.size() != 1)
    return op->getResult(0);
  Value folded;
  if (auto attr = dyn_cast<Attribute>(results.front())) {
    auto elements = dyn_cast<ElementsAttr>(attr);
    if (!elements || elements.getType() != op->getResult(0).getType())
      return op->getResult(0);
    folded = graph::ConstantOp::create(builder, op->getLoc(), elements);
  } else {
    folded = cast<Value>(results.front());
    if (folded == op->getResult(0))
      return folded; // Updated in place.
  }
  op->erase();
  return folded;
}

void trellis::onnx_import::registerShapeImporters(ImporterTable &t) {
  auto add = [&](StringRef op, NodeImporter fn, std::string types, std::string notes = "") {
    t[op] = OpSupport{std::move(fn), std::move(types), std::move(notes)};
  };
  const std::string any = kAnyTypes;
  add("Shape", importShape, any, "folded to a constant (shapes are static)");
  add("Size", importSize, any, "folded to a constant (shapes are static)");
  add("ConstantOfShape", importConstantOfShape, any,
      "folded to a constant; the shape must be known at compile time");
  add("Range", importRange, "f32, bf16, f16, i64, i32, i16",
      "folded to a constant; start, limit and delta must be known at compile time");
  add("Reshape", importReshape, any, "the shape must be known at compile time");
  add("Flatten", importFlatten, any);
  add("Squeeze", importSqueeze, any, "the axes must be known at compile time");
  add("Unsqueeze", importUnsqueeze, any, "the axes must be known at compile time");
  add("Concat", importConcat, any);
  add("Split", importSplit, any, "the split sizes must be known at compile time");
  add("Slice", importSlice, any, "starts, ends, axes and steps must be known at compile time");
  add("Gather", importGather, any,
      "run-time indices use an indirect DMA (exact for indices up to 2^24)");
  add("Expand", importExpand, any, "the shape must be known at compile time");
  add("Tile", importTile, any, "the repeats must be known at compile time");
  add("Pad", importPad, any,
      "constant mode only; pads, constant_value and axes must be known at compile time");
  add("Cast", importCast, any,
      "not to or from DOUBLE, STRING or 8-bit floats; a float-to-integer cast at run time "
      "is not tiled yet");
  add("Dropout", importDropout, "f32, bf16, f16",
      "inference only (the identity, and an all-true mask)");
  add("Where", importWhere, any,
      "run-time selects compute c*x + (1-c)*y: exact for finite values, and integers up to 2^24");
  auto compare = [&](StringRef op, graph::CompareKind kind) {
    add(
        op, [kind](OnnxImporter &im, const NodeContext &n) { return importCompare(im, n, kind); },
        any, "run-time integer comparisons are exact up to 2^24");
  };
  compare("Equal", graph::CompareKind::eq);
  compare("Less", graph::CompareKind::lt);
  compare("LessOrEqual", graph::CompareKind::le);
  compare("Greater", graph::CompareKind::gt);
  compare("GreaterOrEqual", graph::CompareKind::ge);
  auto logical = [&](StringRef op, graph::LogicalKind kind) {
    add(
        op, [kind](OnnxImporter &im, const NodeContext &n) { return importLogical(im, n, kind); },
        "bool");
  };
  logical("And", graph::LogicalKind::And);
  logical("Or", graph::LogicalKind::Or);
  logical("Xor", graph::LogicalKind::Xor);
  add("Not", importNot, "bool");
}
