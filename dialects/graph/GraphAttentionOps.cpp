//===- GraphAttentionOps.cpp - Graph dialect: attention -----------------===//
//
// Shape inference and the verifier of graph.attention.
//
//===----------------------------------------------------------------------===//

#include "trellis/Dialect/Graph.h"

#include "llvm/Support/InterleavedRange.h"

using namespace mlir;
using namespace trellis::graph;

static RankedTensorType rankedType(Value v) { return cast<RankedTensorType>(v.getType()); }

static LogicalResult fail(std::optional<Location> loc, const Twine &msg) {
  if (loc)
    return emitError(*loc, "graph.attention: " + msg);
  return failure();
}

LogicalResult AttentionOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            ValueRange operands, DictionaryAttr, OpaqueProperties,
                                            RegionRange, SmallVectorImpl<Type> &results) {
  auto q = rankedType(operands[0]), k = rankedType(operands[1]), v = rankedType(operands[2]);
  int64_t rank = q.getRank();
  if (rank < 2 || k.getRank() != rank || v.getRank() != rank)
    return fail(loc, "q, k and v must have one rank >= 2");
  if (q.getElementType() != k.getElementType() || q.getElementType() != v.getElementType())
    return fail(loc, "q, k and v element types differ");
  if (q.getShape().back() != k.getShape().back())
    return fail(loc, "q and k head sizes differ (" + Twine(q.getShape().back()) + " vs " +
                         Twine(k.getShape().back()) + ")");
  if (k.getDimSize(rank - 2) != v.getDimSize(rank - 2))
    return fail(loc, "k and v sequence lengths differ");
  auto batch = broadcastShapes(q.getShape().drop_back(2), k.getShape().drop_back(2));
  if (batch)
    batch = broadcastShapes(*batch, v.getShape().drop_back(2));
  if (!batch)
    return fail(loc, "batch dimensions do not broadcast");
  SmallVector<int64_t> shape = *batch;
  shape.push_back(q.getDimSize(rank - 2));
  shape.push_back(v.getShape().back());
  results.push_back(RankedTensorType::get(shape, q.getElementType()));
  return success();
}

bool AttentionOp::isCompatibleReturnTypes(TypeRange l, TypeRange r) {
  return peResultTypesCompatible(l, r);
}

LogicalResult AttentionOp::verify() {
  auto q = rankedType(getQ());
  Type elt = q.getElementType();
  if (!elt.isF32() && !isNarrowPEType(elt))
    return emitOpError("needs f32, bf16, f16 or f8E4M3FN operands, got ") << elt;
  if (!getMask())
    return success();
  auto m = rankedType(getMask());
  if (m.getElementType() != elt && !m.getElementType().isF32())
    return emitOpError("mask element type ") << m.getElementType() << " is neither f32 nor " << elt;
  // The scores' shape: the result's batch, [Sq, Sk].
  SmallVector<int64_t> scores(rankedType(getResult()).getShape().drop_back());
  scores.push_back(rankedType(getK()).getShape().drop_back().back());
  auto shape = broadcastShapes(m.getShape(), scores);
  if (m.getRank() > (int64_t)scores.size() || !shape || ArrayRef<int64_t>(*shape) != ArrayRef<int64_t>(scores))
    return emitOpError("mask of type ") << m << " does not broadcast to the scores ["
                                        << llvm::interleaved(scores) << "]";
  return success();
}
