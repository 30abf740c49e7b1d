//===- LowerAttention.cpp - graph.attention as matmul, softmax, matmul ----===//
//
// A decomposition into the shared blocks, per batch:
//   scores = scale * Q @ K^T + mask    (emitLinear: K^T read through a
//                                       transposed view, scale and a
//                                       per-key mask ride on PSUM evacuation)
//   probs  = softmax(scores)           (emitSoftmax, rounded to V's type)
//   out    = probs @ V                 (emitLinear)
// Scores and probabilities round-trip through HBM scratch; a flash-style
// lowering would keep them in SBUF/PSUM (docs/normalization.md).
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

#include <limits>

using namespace mlir;
using namespace trellis;
using namespace trellis::lowering;
using isa::Space;

/// Element offsets of each batch index of `batch` in a row-major operand of
/// `shape` (rank = batch rank + 2), 0 stride along broadcast dimensions.
static SmallVector<int64_t> batchOffsets(ArrayRef<int64_t> batch, ArrayRef<int64_t> shape) {
  SmallVector<int64_t> own = rowMajorStrides(shape), strides(batch.size(), 0);
  size_t lead = batch.size() - (shape.size() - 2);
  for (size_t i = 0; i + 2 < shape.size(); ++i)
    strides[lead + i] = shape[i] == 1 && batch[lead + i] != 1 ? 0 : own[i];
  int64_t n = 1;
  for (int64_t d : batch)
    n *= d;
  SmallVector<int64_t> offsets;
  for (int64_t bi = 0; bi < n; ++bi) {
    int64_t off = 0, rem = bi;
    for (int64_t d = (int64_t)batch.size() - 1; d >= 0; --d) {
      off += (rem % batch[d]) * strides[d];
      rem /= batch[d];
    }
    offsets.push_back(off);
  }
  return offsets;
}

static LogicalResult lowerAttention(graph::AttentionOp op, GraphLowering &L) {
  if (failed(L.requireFloat(op, op.getResult())))
    return failure();
  if (op.getMask() && op.getCausal())
    return op.emitOpError("with both a mask and causal cannot be tiled yet");
  Location loc = tagLoc(op);
  OpBuilder &b = L.b;
  ArrayRef<int64_t> qs = L.shapeOf(op.getQ()), ks = L.shapeOf(op.getK()),
                    vs = L.shapeOf(op.getV()), os = L.shapeOf(op.getResult());
  int64_t rank = qs.size();
  int64_t sq = qs[rank - 2], d = qs[rank - 1], sk = ks[rank - 2], dv = vs[rank - 1];
  ArrayRef<int64_t> batch = os.drop_back(2);
  SmallVector<int64_t> scoresShape(batch);
  scoresShape.append({sq, sk});
  Type f32 = b.getF32Type();

  // Scores in fp32; probabilities in V's type, the second product's input.
  Value scores = L.alloc(loc, scoresShape, f32, Space::hbm);
  Value probs = L.alloc(loc, scoresShape, L.eltOf(op.getV()), Space::hbm);
  Value out = L.defineResult(loc, op.getResult()).buffer;

  // The mask as the first product's bias, broadcast to the scores.
  std::optional<Strided> mask;
  if (op.getMask()) {
    mask = broadcastTo(L.buffer(op.getMask()), L.shapeOf(op.getMask()), scoresShape);
  } else if (op.getCausal()) {
    // -inf above the diagonal, one [Sq, Sk] constant for every batch.
    SmallVector<float> values(sq * sk, 0.0f);
    for (int64_t i = 0; i < sq; ++i)
      for (int64_t j = i + 1; j < sk; ++j)
        values[i * sk + j] = -std::numeric_limits<float>::infinity();
    auto type = RankedTensorType::get({sq, sk}, f32);
    Value c = tile::ConstantOp::create(b, loc, L.hbmType(type.getShape(), f32),
                                       DenseElementsAttr::get(type, ArrayRef<float>(values)));
    mask = Strided{c, 0, SmallVector<int64_t>(scoresShape.size(), 0)};
    mask->strides[rank - 2] = sk;
    mask->strides[rank - 1] = 1;
  }

  SmallVector<int64_t> offQ = batchOffsets(batch, qs), offK = batchOffsets(batch, ks),
                       offV = batchOffsets(batch, vs), offS = batchOffsets(batch, scoresShape),
                       offO = batchOffsets(batch, os);
  SmallVector<int64_t> offM;
  if (mask) {
    // The mask's batch offsets from its broadcast strides.
    offM.assign(offS.size(), 0);
    for (size_t bi = 0; bi < offS.size(); ++bi) {
      int64_t rem = bi;
      for (int64_t dim = (int64_t)batch.size() - 1; dim >= 0; --dim) {
        offM[bi] += (rem % batch[dim]) * mask->strides[dim];
        rem /= batch[dim];
      }
    }
  }
  for (size_t bi = 0; bi < offS.size(); ++bi) {
    // K^T[d, j] = K[j, d]: the stationary operand read through a transposed view.
    std::optional<Strided> m;
    if (mask)
      m = Strided{mask->buffer, mask->offset + offM[bi],
                  {mask->strides[rank - 2], mask->strides[rank - 1]}};
    L.emitLinear(loc, Strided{L.buffer(op.getQ()), offQ[bi], {d, 1}},
                 Strided{L.buffer(op.getK()), offK[bi], {1, d}}, m ? &*m : nullptr,
                 Strided{scores, offS[bi], {sk, 1}}, sq, d, sk, op.getScale().convertToFloat(),
                 1.0f, graph::Activation::none, f32);
  }
  if (failed(emitSoftmax(L, op, loc, scores, probs, scoresShape, {rank - 1}, /*log=*/false)))
    return failure();
  for (size_t bi = 0; bi < offS.size(); ++bi)
    L.emitLinear(loc, Strided{probs, offS[bi], {sk, 1}},
                 Strided{L.buffer(op.getV()), offV[bi], {dv, 1}}, nullptr,
                 Strided{out, offO[bi], {dv, 1}}, sq, sk, dv, 1.0f, 1.0f,
                 graph::Activation::none, L.eltOf(op.getResult()));
  return success();
}

void trellis::lowering::registerAttentionLowerings(LoweringTable &t) {
  addLowering<graph::AttentionOp>(t, lowerAttention);
}
