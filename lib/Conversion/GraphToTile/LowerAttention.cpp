//===- LowerAttention.cpp - graph.attention as matmul, softmax, matmul ----===//
//
// Per batch, scores = scale * Q @ K^T + mask, probs = softmax(scores)
// rounded to V's type, out = probs @ V. Two lowerings:
//   - on chip (Sk <= 512, d <= 128): per 128-query tile, the scores row
//     block is one PSUM bank, the softmax runs on it (read from PSUM
//     without a mask and with a power-of-two scale, else from a scaled
//     copy in SBUF; a mask block is loaded once for all batches that
//     share it, and a causal query block computes only the keys up to its
//     last query), the PE transposes the probabilities, and out
//     accumulates in PSUM; only Q, K, V and out touch HBM, and out not
//     even that when its heads, merged, are read only by row-form linears
//     (the output projection takes them transposed from SBUF);
//   - otherwise through HBM scratch, with the shared blocks (emitLinear,
//     emitSoftmax).
// Both compute the same fp32 operations in the same order as the unfused
// matmul, softmax and matmul ops (docs/normalization.md).
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace trellis;
using namespace trellis::lowering;
using isa::Space;

/// Element offsets of each batch index of `batch` in an operand of `shape`
/// (rank = batch rank + 2) laid out with `strides`, 0 along broadcast
/// dimensions.
static SmallVector<int64_t> batchOffsets(ArrayRef<int64_t> batch, ArrayRef<int64_t> shape,
                                         ArrayRef<int64_t> own) {
  SmallVector<int64_t> strides(batch.size(), 0);
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

bool trellis::lowering::foldsIntoAttention(graph::TransposeOp op) {
  Value result = op.getResult();
  return !result.use_empty() && llvm::all_of(result.getUses(), [](OpOperand &use) {
    auto attn = dyn_cast<graph::AttentionOp>(use.getOwner());
    return attn && use.get() != attn.getMask();
  });
}

namespace {

/// The on-chip lowering's limits: a [128, Sk] fp32 score block fills at
/// most one PSUM bank, d contracts on the partitions, and the output block
/// [128, dv] is one bank too.
bool fitsOnChip(int64_t sk, int64_t d, int64_t dv) {
  return sk <= tiling::kMovingMax && d <= kPartitions && dv <= tiling::kMovingMax;
}

/// One batch of the on-chip lowering. `q`, `k`, `v`, `out` are row-major
/// [Sq, d], [Sk, d], [Sk, dv], [Sq, dv] at their offsets; `mask` (if any) a
/// strided [Sq, Sk] view.
void emitOnChip(GraphLowering &L, Location loc, Strided q, Strided k, Strided v, Strided out,
                const Strided *mask, int64_t sq, int64_t sk, int64_t d, int64_t dv, float scale,
                Value ident, int64_t &blocksDone, bool causal,
                llvm::DenseMap<std::pair<Value, int64_t>, Value> &maskTiles,
                MutableArrayRef<Value> outRows = {}) {
  OpBuilder &b = L.b;
  Type f32 = b.getF32Type();
  auto eltOf = [](Value buffer) { return cast<MemRefType>(buffer.getType()).getElementType(); };
  Type qElt = eltOf(q.buffer), vElt = eltOf(v.buffer), outElt = eltOf(out.buffer);
  // Q^T and K^T: d on the partitions, the PE's contraction.
  Value qT = L.alloc(loc, {d, sq}, qElt, Space::sbuf);
  tile::LoadOp::create(b, loc, qT, L.full(d, sq), q.buffer,
                       L.view(0, d, q.strides[1], q.offset, {sq}, {q.strides[0]}));
  Value kT = L.alloc(loc, {d, sk}, eltOf(k.buffer), Space::sbuf);
  tile::LoadOp::create(b, loc, kT, L.full(d, sk), k.buffer,
                       L.view(0, d, k.strides[1], k.offset, {sk}, {k.strides[0]}));
  // V in 128-key tiles, keys on the partitions.
  SmallVector<Value> vTiles;
  for (int64_t k0 = 0; k0 < sk; k0 += kPartitions) {
    int64_t kt = std::min(kPartitions, sk - k0);
    vTiles.push_back(L.alloc(loc, {kt, dv}, vElt, Space::sbuf));
    tile::LoadOp::create(b, loc, vTiles.back(), L.full(kt, dv), v.buffer,
                         L.view(0, kt, v.strides[0], v.offset + k0 * v.strides[0], {dv},
                                {v.strides[1]}));
  }
  auto column = [&](int64_t np) { return L.view(0, np, 0, 0, {1}, {1}); };
  auto pool = tile::EngineKindAttr::get(b.getContext(), isa::EngineKind::pool);
  // Without a mask and with a power-of-two scale, the softmax reads the
  // scores straight from PSUM: scale * s is exact, so the row max of the
  // raw scores times the scale is the max of the scaled scores, and exp
  // applies the scale itself, computing the same fp32 values as from the
  // scaled copy in SBUF, without it (an ACT pass over every score).
  int scaleExp = 0;
  bool fromPsum = !mask && scale > 0 && std::frexp(scale, &scaleExp) == 0.5f;
  for (int64_t q0 = 0; q0 < sq; q0 += kPartitions, ++blocksDone) {
    int64_t nq = std::min(kPartitions, sq - q0);
    // Causal: keys past the block's last query are masked for all of its
    // rows (-inf scores, zero probabilities, nothing added to the sums), so
    // only the first kn keys are computed, and the mask is added on the
    // diagonal block alone; elsewhere it adds zeros.
    int64_t kn = causal ? std::min(sk, q0 + nq) : sk;
    int64_t m0 = causal ? std::min(q0, kn) : 0;
    // scores = scale * Q K^T (+ mask): queries on partitions, keys free.
    Value ps = L.alloc(loc, {nq, kn}, f32, Space::psum);
    tile::MatmulOp::create(b, loc, ps, L.full(nq, kn), qT, L.view(0, d, 0, q0, {nq}, {1}), kT,
                           L.full(d, kn), /*start=*/true);
    Value e = L.alloc(loc, {nq, kn}, f32, Space::sbuf), sum = L.alloc(loc, {nq, 1}, f32, Space::sbuf);
    Value mx = L.alloc(loc, {nq, 1}, f32, Space::sbuf);
    if (fromPsum) {
      // The max on the vector engine (GpSimd has no PSUM access), its
      // negation, scaled, on GpSimd; exp(scale * s - max) and its sum in
      // one ACT instruction from PSUM.
      tile::TensorReduceOp::create(b, loc, L.alu(isa::AluOp::max), mx, column(nq), ps,
                                   L.view(0, nq, 0, 0, {1, kn}, {kn, 1}), nullptr);
      tile::TensorScalarOp::create(b, loc, L.alu(isa::AluOp::mult), b.getF32FloatAttr(-scale),
                                   L.alu(isa::AluOp::bypass), b.getF32FloatAttr(0.0f), mx,
                                   column(nq), mx, column(nq), pool);
      tile::ActivationOp::create(b, loc, L.actFunc(isa::ActFunc::exp), e, L.full(nq, kn), ps,
                                 L.full(nq, kn), mx, column(nq), b.getF32FloatAttr(scale), sum,
                                 column(nq));
    }
    // softmax along the keys, as emitSoftmax does one row per partition:
    // exp(x - max) and its sum in one ACT instruction, then the division,
    // rounding to V's type. Otherwise the scaled scores (plus the mask)
    // are copied to SBUF, and the row max and its negation run on the
    // otherwise idle GpSimd engine (SBUF only), which leaves ACT and DVE
    // the PSUM evacuations, the exponentials and the division.
    if (!fromPsum) {
      Value scores = L.alloc(loc, {nq, kn}, f32, Space::sbuf);
      tile::ActivationOp::create(b, loc, L.actFunc(isa::ActFunc::identity), scores,
                                 L.full(nq, kn), ps, L.full(nq, kn), Value(), tile::ViewAttr(),
                                 b.getF32FloatAttr(scale), Value(), tile::ViewAttr());
      if (mask && kn > m0) {
        // Columns [m0, kn) of the mask rows; loaded once for all batches
        // that share them (a mask broadcast over the heads).
        int64_t mn = kn - m0;
        int64_t off = mask->offset + q0 * mask->strides[0] + m0 * mask->strides[1];
        Value &m = maskTiles[{mask->buffer, off}];
        if (!m) {
          m = L.alloc(loc, {nq, mn}, eltOf(mask->buffer), Space::sbuf);
          tile::LoadOp::create(b, loc, m, L.full(nq, mn), mask->buffer,
                               L.view(0, nq, mask->strides[0], off, {mn}, {mask->strides[1]}));
        }
        tile::TensorTensorOp::create(b, loc, L.alu(isa::AluOp::add), scores,
                                     L.view(0, nq, 0, m0, {mn}, {1}), scores,
                                     L.view(0, nq, 0, m0, {mn}, {1}), m, L.full(nq, mn), nullptr);
      }
      tile::TensorReduceOp::create(b, loc, L.alu(isa::AluOp::max), mx, column(nq), scores,
                                   L.view(0, nq, 0, 0, {1, kn}, {kn, 1}), pool);
      tile::TensorScalarOp::create(b, loc, L.alu(isa::AluOp::mult), b.getF32FloatAttr(-1.0f),
                                   L.alu(isa::AluOp::bypass), b.getF32FloatAttr(0.0f), mx,
                                   column(nq), mx, column(nq), pool);
      tile::ActivationOp::create(b, loc, L.actFunc(isa::ActFunc::exp), e, L.full(nq, kn), scores,
                                 L.full(nq, kn), mx, column(nq), b.getF32FloatAttr(1.0f), sum,
                                 column(nq));
    }
    // From PSUM, the vector engine has the max and the probabilities'
    // evacuation; GpSimd then takes three of four divisions (counting the
    // blocks of all batches), which balances the two: a two-input pass
    // over Sk elements costs GpSimd 1.5x what it costs DVE.
    Value probs = L.alloc(loc, {nq, kn}, vElt, Space::sbuf);
    tile::TensorTensorOp::create(b, loc, L.alu(isa::AluOp::divide), probs, L.full(nq, kn), e,
                                 L.full(nq, kn), sum, L.view(0, nq, 0, 0, {kn}, {0}),
                                 fromPsum && blocksDone % 4 != 0 ? pool : nullptr);
    // out = probs @ V over 128-key tiles: the PE transposes each probs
    // block (a product with the identity, exact), keys onto partitions.
    // The transposed blocks sit side by side in one PSUM bank ([128, Sk/128
    // * nq] fp32 fits: Sk <= 512) and leave it in one copy, so an iteration
    // holds three banks and the next one's scores can already be computed.
    int64_t fullBlocks = kn / kPartitions, tailRows = kn % kPartitions;
    int64_t keyTiles = llvm::divideCeil(kn, kPartitions);
    Value pt = L.alloc(loc, {kPartitions, keyTiles * nq}, f32, Space::psum);
    Value ptS = L.alloc(loc, {kPartitions, keyTiles * nq}, vElt, Space::sbuf);
    for (int64_t ki = 0; ki < keyTiles; ++ki) {
      int64_t k0 = ki * kPartitions, kt = std::min(kPartitions, kn - k0);
      tile::MatmulOp::create(b, loc, pt, L.view(0, kt, 0, ki * nq, {nq}, {1}), probs,
                             L.view(0, nq, 0, k0, {kt}, {1}), ident, L.full(nq, nq),
                             /*start=*/true);
    }
    if (fullBlocks)
      tile::CopyOp::create(b, loc, ptS, L.full(kPartitions, fullBlocks * nq), pt,
                           L.full(kPartitions, fullBlocks * nq), nullptr);
    if (tailRows)
      tile::CopyOp::create(b, loc, ptS, L.view(0, tailRows, 0, fullBlocks * nq, {nq}, {1}), pt,
                           L.view(0, tailRows, 0, fullBlocks * nq, {nq}, {1}), nullptr);
    Value po = L.alloc(loc, {nq, dv}, f32, Space::psum);
    for (auto [ki, vt] : llvm::enumerate(ArrayRef<Value>(vTiles).take_front(keyTiles))) {
      int64_t k0 = int64_t(ki) * kPartitions, kt = std::min(kPartitions, kn - k0);
      tile::MatmulOp::create(b, loc, po, L.full(nq, dv), ptS,
                             L.view(0, kt, 0, int64_t(ki) * nq, {nq}, {1}), vt, L.full(kt, dv),
                             /*start=*/ki == 0);
    }
    if (!outRows.empty()) {
      // Into the merged heads' row block on chip: rows q0.., the head's
      // columns (out is a [Sq, H * Dv] row-major view at the head's offset).
      tile::ActivationOp::create(b, loc, L.actFunc(isa::ActFunc::identity),
                                 outRows[q0 / kPartitions],
                                 L.view(0, nq, 0, out.offset % out.strides[0], {dv}, {1}), po,
                                 L.full(nq, dv), Value(), tile::ViewAttr(),
                                 b.getF32FloatAttr(1.0f), Value(), tile::ViewAttr());
      continue;
    }
    Value o = L.alloc(loc, {nq, dv}, outElt, Space::sbuf);
    tile::ActivationOp::create(b, loc, L.actFunc(isa::ActFunc::identity), o, L.full(nq, dv), po,
                               L.full(nq, dv), Value(), tile::ViewAttr(), b.getF32FloatAttr(1.0f),
                               Value(), tile::ViewAttr());
    tile::StoreOp::create(b, loc, out.buffer,
                          L.view(0, nq, out.strides[0], out.offset + q0 * out.strides[0], {dv},
                                 {out.strides[1]}),
                          o, L.full(nq, dv));
  }
}

} // namespace

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

  // Q, K and V as laid out: a head-splitting transpose before them is
  // folded into their strides (foldsIntoAttention).
  Strided lq = L.layoutOf(op.getQ()), lk = L.layoutOf(op.getK()), lv = L.layoutOf(op.getV());
  // A result read only by a transpose (heads merged back) is written
  // straight into the transpose's result, through the inverse permutation.
  Strided lo;
  auto merge = op.getResult().hasOneUse()
                   ? dyn_cast<graph::TransposeOp>(*op.getResult().getUsers().begin())
                   : graph::TransposeOp();
  if (merge) {
    Strided t = L.defineResult(loc, merge.getResult());
    lo = Strided{t.buffer, 0, SmallVector<int64_t>(rank, 0)};
    for (auto [i, p] : llvm::enumerate(merge.getPerm()))
      lo.strides[p] = t.strides[i];
    L.setLayout(op.getResult(), lo.buffer, lo.strides);
  } else {
    lo = L.defineResult(loc, op.getResult());
  }

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

  SmallVector<int64_t> offQ = batchOffsets(batch, qs, lq.strides),
                       offK = batchOffsets(batch, ks, lk.strides),
                       offV = batchOffsets(batch, vs, lv.strides),
                       offS = batchOffsets(batch, scoresShape, rowMajorStrides(scoresShape)),
                       offO = batchOffsets(batch, os, lo.strides);
  auto rows = [&](const Strided &s, int64_t off) {
    return Strided{s.buffer, s.offset + off, {s.strides[rank - 2], s.strides[rank - 1]}};
  };
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
  auto maskOf = [&](size_t bi) -> std::optional<Strided> {
    if (!mask)
      return std::nullopt;
    return Strided{mask->buffer, mask->offset + offM[bi],
                   {mask->strides[rank - 2], mask->strides[rank - 1]}};
  };
  if (fitsOnChip(sk, d, dv)) {
    Value ident = L.identity(loc, L.eltOf(op.getV()), std::min(kPartitions, sq));
    // Heads merged (one batch of Sq rows) into a [Sq, H * Dv] value read
    // only by row-form linears (the output projection), in a 16-bit type:
    // each query block's heads go into one row tile on chip, transposed on
    // the PE into the projection's x^T; the merged value never reaches HBM.
    auto reshape = merge && merge.getResult().hasOneUse()
                       ? dyn_cast<graph::ReshapeOp>(*merge.getResult().getUsers().begin())
                       : graph::ReshapeOp();
    Type outElt = L.eltOf(op.getResult());
    int64_t K = os.back() * (offO.size()), M = sq;
    SmallVector<Value> outRows;
    auto merged = reshape ? L.shapeOf(reshape.getResult()) : ArrayRef<int64_t>();
    if (reshape && (outElt.isBF16() || outElt.isF16()) && merged.back() == K &&
        llvm::product_of(merged.drop_back()) == M &&
        L.readOnlyAsRowLinearX(reshape.getResult()) &&
        llvm::all_of(offO, [&](int64_t off) { return off < K; }) && lo.strides[rank - 2] == K &&
        lo.strides[rank - 1] == 1)
      for (int64_t m0 = 0; m0 < M; m0 += kPartitions)
        outRows.push_back(L.alloc(loc, {std::min(kPartitions, M - m0), K}, outElt, Space::sbuf));
    int64_t blocksDone = 0;
    llvm::DenseMap<std::pair<Value, int64_t>, Value> maskTiles;
    for (size_t bi = 0; bi < offS.size(); ++bi) {
      std::optional<Strided> m = maskOf(bi);
      emitOnChip(L, loc, rows(lq, offQ[bi]), rows(lk, offK[bi]), rows(lv, offV[bi]),
                 rows(lo, offO[bi]), m ? &*m : nullptr, sq, sk, d, dv,
                 op.getScale().convertToFloat(), ident, blocksDone, op.getCausal(), maskTiles,
                 outRows);
    }
    if (!outRows.empty()) {
      L.keepRowsTransposed(loc, Strided{lo.buffer, 0, {K, 1}}, outRows, M, K);
      L.markOnChipOnly(lo.buffer);
    }
    return success();
  }
  // Scores in fp32; probabilities in V's type, the second product's input.
  Value scores = L.alloc(loc, scoresShape, f32, Space::hbm);
  Value probs = L.alloc(loc, scoresShape, L.eltOf(op.getV()), Space::hbm);
  for (size_t bi = 0; bi < offS.size(); ++bi) {
    // K^T[d, j] = K[j, d]: the stationary operand read through a transposed view.
    std::optional<Strided> m = maskOf(bi);
    Strided kr = rows(lk, offK[bi]);
    L.emitLinear(loc, rows(lq, offQ[bi]), Strided{kr.buffer, kr.offset, {kr.strides[1], kr.strides[0]}},
                 m ? &*m : nullptr,
                 Strided{scores, offS[bi], {sk, 1}}, sq, d, sk, op.getScale().convertToFloat(),
                 1.0f, graph::Activation::none, f32);
  }
  if (failed(emitSoftmax(L, op, loc, scores, probs, scoresShape, {rank - 1}, /*log=*/false)))
    return failure();
  for (size_t bi = 0; bi < offS.size(); ++bi)
    L.emitLinear(loc, Strided{probs, offS[bi], {sk, 1}}, rows(lv, offV[bi]), nullptr,
                 rows(lo, offO[bi]), sq, sk, dv, 1.0f, 1.0f,
                 graph::Activation::none, L.eltOf(op.getResult()));
  return success();
}

void trellis::lowering::registerAttentionLowerings(LoweringTable &t) {
  addLowering<graph::AttentionOp>(t, lowerAttention);
}
