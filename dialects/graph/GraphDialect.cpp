//===- GraphDialect.cpp - graph dialect: shape inference, verifiers -------===//

#include "trellis/Dialect/Graph.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"
#include <cstring>

using namespace mlir;
using namespace trellis::graph;

#include "graph/GraphDialect.cpp.inc"
#include "graph/GraphEnums.cpp.inc"
#define GET_ATTRDEF_CLASSES
#include "graph/GraphAttrs.cpp.inc"

void GraphDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "graph/GraphAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "graph/GraphOps.cpp.inc"
      >();
}

Operation *GraphDialect::materializeConstant(OpBuilder &builder, Attribute value, Type type,
                                             Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return ConstantOp::create(builder, loc, elements);
}

std::optional<SmallVector<int64_t>> trellis::graph::broadcastShapes(ArrayRef<int64_t> a,
                                                                    ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  SmallVector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      return std::nullopt;
    out[i] = da == 1 ? db : da;
  }
  return out;
}

bool trellis::graph::isNarrowPEType(Type t) {
  return t.isBF16() || t.isF16() || llvm::isa<Float8E4M3FNType>(t);
}

bool trellis::graph::peResultTypesCompatible(TypeRange inferred, TypeRange actual) {
  if (inferred.size() != actual.size())
    return false;
  for (auto [i, a] : llvm::zip(inferred, actual)) {
    if (i == a)
      continue;
    auto it = dyn_cast<RankedTensorType>(i), at = dyn_cast<RankedTensorType>(a);
    if (!it || !at || it.getShape() != at.getShape() || !isNarrowPEType(it.getElementType()) ||
        !at.getElementType().isF32())
      return false;
  }
  return true;
}

bool MatMulOp::isCompatibleReturnTypes(TypeRange l, TypeRange r) {
  return peResultTypesCompatible(l, r);
}

bool LinearOp::isCompatibleReturnTypes(TypeRange l, TypeRange r) {
  return peResultTypesCompatible(l, r);
}

[[maybe_unused]] static LogicalResult emitOptionalError(std::optional<Location> loc, const Twine &msg) {
  if (loc)
    return emitError(*loc, msg);
  return failure();
}

static RankedTensorType rankedType(Value v) { return cast<RankedTensorType>(v.getType()); }

//===----------------------------------------------------------------------===//
// ConstantOp
//===----------------------------------------------------------------------===//

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

//===----------------------------------------------------------------------===//
// MatMulOp
//===----------------------------------------------------------------------===//

LogicalResult MatMulOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         ValueRange operands, DictionaryAttr, OpaqueProperties,
                                         RegionRange, SmallVectorImpl<Type> &results) {
  auto a = rankedType(operands[0]), b = rankedType(operands[1]);
  if (a.getRank() < 2 || b.getRank() < 2)
    return emitOptionalError(loc, "graph.matmul: rank-1 operands are not supported");
  if (a.getElementType() != b.getElementType())
    return emitOptionalError(loc, "graph.matmul: operand element types differ");
  ArrayRef<int64_t> as = a.getShape(), bs = b.getShape();
  int64_t m = as[as.size() - 2], k = as.back(), k2 = bs[bs.size() - 2], n = bs.back();
  if (k != k2)
    return emitOptionalError(loc, "graph.matmul: contraction sizes differ (" + Twine(k) +
                                      " vs " + Twine(k2) + ")");
  auto batch = broadcastShapes(as.drop_back(2), bs.drop_back(2));
  if (!batch)
    return emitOptionalError(loc, "graph.matmul: batch dimensions do not broadcast");
  SmallVector<int64_t> shape = *batch;
  shape.push_back(m);
  shape.push_back(n);
  results.push_back(RankedTensorType::get(shape, a.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// LinearOp
//===----------------------------------------------------------------------===//

LogicalResult LinearOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         ValueRange operands, DictionaryAttr, OpaqueProperties,
                                         RegionRange, SmallVectorImpl<Type> &results) {
  auto x = rankedType(operands[0]), w = rankedType(operands[1]);
  if (x.getRank() < 2 || w.getRank() != 2)
    return emitOptionalError(loc, "graph.linear: x must be rank 2 or more and w rank 2");
  if (x.getShape().back() != w.getDimSize(0))
    return emitOptionalError(loc, "graph.linear: contraction sizes differ");
  SmallVector<int64_t> shape(x.getShape().drop_back());
  shape.push_back(w.getDimSize(1));
  results.push_back(RankedTensorType::get(shape, x.getElementType()));
  return success();
}

LogicalResult LinearOp::verify() {
  if (!getBias())
    return success();
  auto out = rankedType(getResult());
  auto b = rankedType(getBias());
  auto shape = broadcastShapes(b.getShape(), out.getShape());
  if (b.getRank() > 2 || !shape || ArrayRef<int64_t>(*shape) != out.getShape())
    return emitOpError("bias of shape ") << b << " does not broadcast to " << out;
  // With the leading dims of x flattened into M, only a bias that varies
  // along N alone (or not at all) stays a 2-D broadcast.
  if (out.getRank() > 2 && b.getRank() == 2 && b.getDimSize(0) != 1)
    return emitOpError("bias of shape ")
           << b << " varies along M; a rank-" << out.getRank() << " linear takes [N] or [1, N]";
  return success();
}

//===----------------------------------------------------------------------===//
// TransposeOp
//===----------------------------------------------------------------------===//

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            ValueRange operands, DictionaryAttr attrs,
                                            OpaqueProperties props, RegionRange,
                                            SmallVectorImpl<Type> &results) {
  auto in = rankedType(operands[0]);
  ArrayRef<int64_t> perm = props.as<Properties *>()->perm.asArrayRef();
  if ((int64_t)perm.size() != in.getRank())
    return emitOptionalError(loc, "graph.transpose: perm size differs from rank");
  SmallVector<int64_t> shape;
  for (int64_t p : perm) {
    if (p < 0 || p >= in.getRank())
      return emitOptionalError(loc, "graph.transpose: perm entry out of range");
    shape.push_back(in.getDimSize(p));
  }
  results.push_back(RankedTensorType::get(shape, in.getElementType()));
  return success();
}

LogicalResult TransposeOp::verify() {
  SmallVector<bool> seen(getPerm().size(), false);
  for (int64_t p : getPerm()) {
    if (p < 0 || p >= (int64_t)seen.size() || seen[p])
      return emitOpError("perm is not a permutation");
    seen[p] = true;
  }
  return success();
}

OpFoldResult TransposeOp::fold(FoldAdaptor adaptor) {
  if (llvm::equal(getPerm(), llvm::seq<int64_t>(0, getPerm().size())))
    return getInput();
  // Constant operand: permute the elements at compile time, moving raw bytes
  // (weights are often hundreds of MB; going through Attribute is too slow).
  auto dense = dyn_cast_or_null<DenseElementsAttr>(adaptor.getInput());
  if (!dense)
    return {};
  auto outType = cast<RankedTensorType>(getResult().getType());
  if (dense.isSplat())
    return dense.reshape(outType);
  unsigned bits = dense.getElementType().isIntOrFloat() ? dense.getElementType().getIntOrFloatBitWidth() : 0;
  if (!dense.getElementType().isIntOrFloat() || bits % 8 != 0)
    return {};
  int64_t eb = bits / 8;
  ArrayRef<int64_t> inShape = cast<RankedTensorType>(getInput().getType()).getShape();
  int64_t rank = inShape.size();
  SmallVector<int64_t> inStrides(rank, 1);
  for (int64_t i = rank - 2; i >= 0; --i)
    inStrides[i] = inStrides[i + 1] * inShape[i + 1];
  // Output dim d walks input dim perm[d].
  SmallVector<int64_t> srcStride(rank);
  for (int64_t d = 0; d < rank; ++d)
    srcStride[d] = inStrides[getPerm()[d]];
  ArrayRef<char> in = dense.getRawData();
  std::vector<char> out(in.size());
  SmallVector<int64_t> idx(rank, 0);
  int64_t src = 0;
  for (int64_t linear = 0, n = outType.getNumElements(); linear < n; ++linear) {
    std::memcpy(out.data() + linear * eb, in.data() + src * eb, eb);
    for (int64_t d = rank - 1; d >= 0; --d) {
      src += srcStride[d];
      if (++idx[d] < outType.getDimSize(d))
        break;
      src -= srcStride[d] * idx[d];
      idx[d] = 0;
    }
  }
  return DenseElementsAttr::getFromRawBuffer(outType, out);
}

//===----------------------------------------------------------------------===//
// Element-wise ops
//===----------------------------------------------------------------------===//

/// The result type of a broadcasting element-wise op on `lhs` and `rhs`.
/// With `mixedTypes`, the operands' element types may differ and the result
/// has lhs's.
static LogicalResult inferBroadcast(StringRef opName, std::optional<Location> loc, Value lhs,
                                    Value rhs, SmallVectorImpl<Type> &results,
                                    bool mixedTypes = false) {
  auto a = rankedType(lhs), b = rankedType(rhs);
  if (!mixedTypes && a.getElementType() != b.getElementType())
    return emitOptionalError(loc, opName + ": operand element types differ");
  auto shape = broadcastShapes(a.getShape(), b.getShape());
  if (!shape)
    return emitOptionalError(loc, opName + ": shapes do not broadcast");
  results.push_back(RankedTensorType::get(*shape, a.getElementType()));
  return success();
}

LogicalResult AddOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                      ValueRange operands, DictionaryAttr, OpaqueProperties,
                                      RegionRange, SmallVectorImpl<Type> &results) {
  return inferBroadcast("graph.add", loc, operands[0], operands[1], results);
}

LogicalResult BinaryOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         ValueRange operands, DictionaryAttr, OpaqueProperties,
                                         RegionRange, SmallVectorImpl<Type> &results) {
  // Only pow may mix element types (checked by the verifier, which sees the
  // kind): the result has the base's type, as ONNX Pow.
  return inferBroadcast("graph.binary", loc, operands[0], operands[1], results,
                        /*mixedTypes=*/true);
}

LogicalResult BinaryOp::verify() {
  if (getKind() != BinaryKind::pow &&
      getLhs().getType().getElementType() != getRhs().getType().getElementType())
    return emitOpError("operand element types differ (only pow may mix them)");
  return success();
}

LogicalResult UnaryOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                        ValueRange operands, DictionaryAttr, OpaqueProperties,
                                        RegionRange, SmallVectorImpl<Type> &results) {
  results.push_back(operands[0].getType());
  return success();
}

unsigned UnaryOp::getNumParams(UnaryKind kind) {
  switch (kind) {
  case UnaryKind::leaky_relu:
  case UnaryKind::elu:
    return 1;
  case UnaryKind::hard_sigmoid:
  case UnaryKind::affine:
    return 2;
  default:
    return 0;
  }
}

LogicalResult UnaryOp::verify() {
  unsigned n = getNumParams(getKind());
  if (getAlpha().has_value() != (n >= 1))
    return emitOpError("'") << stringifyUnaryKind(getKind()) << "' "
                            << (n >= 1 ? "needs" : "takes no") << " alpha";
  if (getBeta().has_value() != (n >= 2))
    return emitOpError("'") << stringifyUnaryKind(getKind()) << "' "
                            << (n >= 2 ? "needs" : "takes no") << " beta";
  return success();
}

LogicalResult ReluOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                       ValueRange operands, DictionaryAttr, OpaqueProperties,
                                       RegionRange, SmallVectorImpl<Type> &results) {
  results.push_back(operands[0].getType());
  return success();
}

#define GET_OP_CLASSES
#include "graph/GraphOps.cpp.inc"
