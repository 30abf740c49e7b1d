//===- Lowering.cpp - Building blocks of --convert-graph-to-tile ----------===//
//
// The tile-emitting building blocks every op family uses.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

#include "llvm/ADT/STLExtras.h"

#include <map>
#include <tuple>

using namespace mlir;
using namespace trellis;
using namespace trellis::lowering;
using isa::Space;

SmallVector<int64_t> trellis::lowering::rowMajorStrides(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t i = (int64_t)shape.size() - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

Strided trellis::lowering::broadcastTo(Value buffer, ArrayRef<int64_t> from,
                                       ArrayRef<int64_t> to) {
  Strided s{buffer, 0, SmallVector<int64_t>(to.size(), 0)};
  SmallVector<int64_t> own = rowMajorStrides(from);
  size_t lead = to.size() - from.size();
  for (size_t i = 0; i < from.size(); ++i)
    s.strides[lead + i] = from[i] == 1 && to[lead + i] != 1 ? 0 : own[i];
  return s;
}

Location trellis::lowering::tagLoc(Operation *op) {
  return FusedLoc::get(op->getContext(), {op->getLoc()},
                       StringAttr::get(op->getContext(), op->getName().getStringRef()));
}

static bool sameView(const Strided &a, const Strided &b) {
  return a.buffer == b.buffer && a.offset == b.offset && a.strides == b.strides;
}

ArrayRef<Value> GraphLowering::transposedOnChip(const Strided &x, int64_t M, int64_t K) const {
  auto it = transposed.find(x.buffer);
  if (it != transposed.end())
    for (const TransposedTiles &t : it->second)
      if (sameView(t.view, x) && t.M == M && t.K == K)
        return t.tiles;
  return {};
}

void GraphLowering::keepTransposedOnChip(const Strided &x, int64_t M, int64_t K,
                                         ArrayRef<Value> tiles) {
  if (transposedOnChip(x, M, K).empty())
    transposed[x.buffer].push_back({x, M, K, SmallVector<Value>(tiles)});
}

ArrayRef<Value> GraphLowering::rowsOnChip(Value buffer, int64_t M, int64_t N) const {
  auto it = rows.find(buffer);
  if (it == rows.end() || it->second.M != M || it->second.N != N)
    return {};
  return it->second.tiles;
}

void GraphLowering::keepRowsOnChip(Value buffer, int64_t M, int64_t N, ArrayRef<Value> tiles) {
  rows[buffer] = RowTiles{M, N, SmallVector<Value>(tiles)};
}

Value GraphLowering::identity(Location loc, Type elt, int64_t n) {
  Value &t = identities[{elt, n}];
  if (t)
    return t;
  auto type = RankedTensorType::get({n, n}, elt);
  const llvm::fltSemantics &sem = cast<FloatType>(elt).getFloatSemantics();
  APFloat zero = APFloat::getZero(sem), one(1.0f);
  bool lost;
  one.convert(sem, APFloat::rmNearestTiesToEven, &lost);
  SmallVector<APFloat> values(n * n, zero);
  for (int64_t i = 0; i < n; ++i)
    values[i * n + i] = one;
  Value c = tile::ConstantOp::create(b, loc, hbmType(type.getShape(), elt),
                                     DenseElementsAttr::get(type, values));
  t = alloc(loc, {n, n}, elt, Space::sbuf);
  tile::LoadOp::create(b, loc, t, full(n, n), c, view(0, n, n, 0, {n}, {1}));
  return t;
}

void GraphLowering::keepRowsTransposed(Location loc, const Strided &x, ArrayRef<Value> rowTiles,
                                       int64_t M, int64_t K) {
  Type f32 = b.getF32Type();
  Type elt = cast<MemRefType>(rowTiles.front().getType()).getElementType();
  Value ident = identity(loc, elt, kPartitions);
  auto act = tile::EngineKindAttr::get(b.getContext(), isa::EngineKind::act);
  int64_t kTiles = llvm::divideCeil(K, kPartitions);
  SmallVector<Value> xT;
  for (int64_t ki = 0; ki < kTiles; ++ki)
    xT.push_back(alloc(loc, {std::min(kPartitions, K - ki * kPartitions), M}, elt, Space::sbuf));
  // Row block by row block, so that a reader of the first rows' columns
  // (a linear walking its row blocks) can start before the last rows come:
  // up to four K tiles of a block side by side in one PSUM bank, each
  // copied into its x^T tile by DVE and ACT in turn.
  constexpr int64_t kTilesPerBank = kMovingMax / kPartitions;
  int64_t copies = 0;
  for (int64_t m0 = 0; m0 < M; m0 += kPartitions) {
    int64_t mt = std::min(kPartitions, M - m0);
    for (int64_t g0 = 0; g0 < kTiles; g0 += kTilesPerBank) {
      int64_t gn = std::min(kTilesPerBank, kTiles - g0);
      Value ps = alloc(loc, {kPartitions, gn * mt}, f32, Space::psum);
      for (int64_t ki = g0; ki < g0 + gn; ++ki) {
        int64_t k0 = ki * kPartitions, kt = std::min(kPartitions, K - k0);
        tile::MatmulOp::create(b, loc, ps, view(0, kt, 0, (ki - g0) * mt, {mt}, {1}),
                               rowTiles[m0 / kPartitions], view(0, mt, 0, k0, {kt}, {1}), ident,
                               full(mt, mt), /*start=*/true);
      }
      for (int64_t ki = g0; ki < g0 + gn; ++ki) {
        int64_t kt = std::min(kPartitions, K - ki * kPartitions);
        tile::CopyOp::create(b, loc, xT[ki], view(0, kt, 0, m0, {mt}, {1}), ps,
                             view(0, kt, 0, (ki - g0) * mt, {mt}, {1}),
                             copies++ % 2 ? act : nullptr);
      }
    }
  }
  keepTransposedOnChip(x, M, K, xT);
}

Strided GraphLowering::defineResult(Location loc, Value result) {
  Value out = alloc(loc, shapeOf(result), eltOf(result), Space::hbm);
  setBuffer(result, out);
  return Strided{out, 0, rowMajorStrides(shapeOf(result))};
}

LogicalResult GraphLowering::requireMachineType(Operation *op, Value value) {
  Type elt = eltOf(value);
  if (isa::dtypeFromType(elt))
    return success();
  return op->emitOpError("element type ") << elt << " has no machine type";
}

LogicalResult GraphLowering::requireFloat(Operation *op, Value value) {
  Type elt = eltOf(value);
  if (elt.isF32() || elt.isBF16() || elt.isF16())
    return success();
  return op->emitOpError("only f32, bf16 and f16 tensors can be tiled yet, got ") << elt;
}

void GraphLowering::emitLinear(Location loc, Strided x, Strided w, Strided *bias, Strided y,
                               int64_t M, int64_t K, int64_t N, float alpha, float beta,
                               graph::Activation act, Type elt, const SparseWeight *sparse,
                               bool yOnChip, bool rowBlocksFirst) {
  Type f32 = b.getF32Type();
  // Tiles have their buffer's element type (a DMA copies bytes): x and w
  // may be narrower than the result (bf16 / fp16 / fp8 in, fp32 out).
  auto bufferElt = [](Value buffer) { return cast<MemRefType>(buffer.getType()).getElementType(); };
  Type xElt = bufferElt(x.buffer), wElt = bufferElt(w.buffer);
  if (yOnChip && beta == 1.0f && (!bias || bias->strides[0] == 0) &&
      llvm::divideCeil(K, kPartitions) * N *
              std::max<int64_t>(1, wElt.getIntOrFloatBitWidth() / 8) <=
          tiling::kHoistBytesPerPartition)
    return emitLinearTransposedOnChip(loc, x, w, bias, y, M, K, N, alpha, act, elt);
  if (!sparse && !yOnChip && alpha == 1.0f && beta == 1.0f && y.strides[1] == 1 &&
      tiling::linearInRows(M, K, std::max<int64_t>(1, xElt.getIntOrFloatBitWidth() / 8)))
    return emitLinearRows(loc, x, w, bias, y, M, K, N, act, elt, rowBlocksFirst);
  Type biasElt = bias ? bufferElt(bias->buffer) : elt;
  Type valuesElt = sparse ? bufferElt(sparse->values) : wElt;
  // A bias that varies only along N is a per-partition column in the
  // transposed output: it rides on the PSUM-evicting activation.
  bool columnBias = bias && bias->strides[0] == 0;
  int64_t eltBytes = std::max<int64_t>(1, xElt.getIntOrFloatBitWidth() / 8);
  // Sparse: a tile contracts 128 compressed rows, i.e. `ratio` times as many
  // original rows, and the moving tile is [kt, ratio, mt].
  int64_t ratio = sparse ? sparse->group / sparse->keep : 1;
  // Partitions' worth of contraction rows (sparse: K padded to whole groups).
  int64_t kRows = sparse ? llvm::alignTo(K, sparse->group) / ratio : K;
  int64_t kTiles = (kRows + kPartitions - 1) / kPartitions;
  // Compressed weights small enough stay in SBUF across row blocks instead
  // of being reloaded for each (a dense weight of the same shape is `ratio`
  // times larger): column block n0 -> its values and tags tiles.
  bool resident = sparse && tiling::sparseWeightsResident(M, kRows, N, eltBytes);
  std::map<int64_t, std::pair<Value, Value>> residentBlocks;
  // Row blocks of up to 512 rows (one PSUM bank each) go in groups that
  // share every weight tile: each stationary load serves one MM per block
  // of the group (tiling::rowBlocksPerGroup: only compressed weights that
  // are reloaded per group gain from it). The moving tiles x[m0:m0+mt, :]^T
  // of a group are loaded once and reused by every weight tile when they
  // fit the budget. A sparse MM also loads the next group's moving tiles
  // while this group works (tiling::nextGroupPrefetched), queued behind the
  // first column block's weights, which the PE needs first. Otherwise a
  // group is one block and its moving tiles are reloaded next to each
  // weight tile.
  bool hoist = tiling::movingTilesHoisted(M, kTiles, ratio, eltBytes);
  int64_t groupBlocks = tiling::rowBlocksPerGroup(M, kTiles, ratio, eltBytes, sparse && !resident);
  bool prefetch = sparse && tiling::nextGroupPrefetched(M, kTiles, ratio, eltBytes, resident);
  auto blocksAt = [&](int64_t g0) {
    SmallVector<std::pair<int64_t, int64_t>> blocks; // (first row, rows)
    for (int64_t m0 = g0; m0 < std::min(M, g0 + groupBlocks * kMovingMax); m0 += kMovingMax)
      blocks.push_back({m0, std::min(kMovingMax, M - m0)});
    return blocks;
  };
  // Tile rows [p0, p0 + kt): x^T rows [p0 * ratio, (p0 + kt) * ratio),
  // partition p holding rows p * ratio .. p * ratio + ratio - 1.
  // Rows past K (a sparse K padded to whole groups) are zero.
  auto loadMoving = [&](int64_t m0, int64_t mt, int64_t p0, int64_t kt) {
    Value xt = alloc(loc, {kt, ratio * mt}, xElt, Space::sbuf);
    int64_t rows = std::min(kt * ratio, K - p0 * ratio);
    if (rows < kt * ratio)
      tile::MemsetOp::create(b, loc, xt, full(kt, ratio * mt), b.getF32FloatAttr(0.0f), nullptr);
    // Partitions [q0, q0 + nq), their first `slots` rows each.
    auto loadRows = [&](int64_t q0, int64_t nq, int64_t slots) {
      SmallVector<int64_t> sizes{mt}, strides{x.strides[0]};
      if (sparse) {
        sizes.insert(sizes.begin(), slots);
        strides.insert(strides.begin(), x.strides[1]);
      }
      tile::LoadOp::create(b, loc, xt, view(q0, nq, 0, 0, {slots * mt}, {1}), x.buffer,
                           view(0, nq, ratio * x.strides[1],
                                x.offset + m0 * x.strides[0] + (p0 + q0) * ratio * x.strides[1],
                                sizes, strides));
    };
    if (rows / ratio)
      loadRows(0, rows / ratio, ratio);
    if (rows % ratio)
      loadRows(rows / ratio, 1, rows % ratio);
    return xt;
  };
  // All moving tiles of a group's blocks. A dense single block of all M
  // rows is x^T itself: taken from, or left for, other ops on chip.
  auto loadGroup = [&](ArrayRef<std::pair<int64_t, int64_t>> blocks) {
    SmallVector<SmallVector<Value>> tiles(blocks.size());
    bool wholeX = !sparse && blocks.size() == 1 && blocks[0].second == M;
    if (wholeX)
      if (ArrayRef<Value> onChip = transposedOnChip(x, M, K); !onChip.empty()) {
        tiles[0].assign(onChip.begin(), onChip.end());
        return tiles;
      }
    for (auto [bi, blk] : llvm::enumerate(blocks))
      for (int64_t p0 = 0; p0 < kRows; p0 += kPartitions)
        tiles[bi].push_back(loadMoving(blk.first, blk.second, p0, std::min(kPartitions, kRows - p0)));
    if (wholeX)
      keepTransposedOnChip(x, M, K, tiles[0]);
    return tiles;
  };
  assert((!yOnChip || (!sparse && M <= kMovingMax)) && "y^T on chip needs one dense row block");
  SmallVector<Value> yTiles; // with yOnChip: y^T, one tile per 128 columns
  SmallVector<SmallVector<Value>> prefetched;
  for (int64_t g0 = 0; g0 < M; g0 += groupBlocks * kMovingMax) {
    SmallVector<std::pair<int64_t, int64_t>> blocks = blocksAt(g0);
    SmallVector<SmallVector<Value>> movingTiles;
    if (hoist)
      movingTiles = prefetched.empty() ? loadGroup(blocks) : std::move(prefetched);
    prefetched.clear();
    bool prefetchNext = prefetch && g0 + groupBlocks * kMovingMax < M;
    auto moving = [&](size_t bi, int64_t ki, int64_t k0, int64_t kt) {
      return hoist ? movingTiles[bi][ki] : loadMoving(blocks[bi].first, blocks[bi].second, k0, kt);
    };

    for (int64_t n0 = 0; n0 < N; n0 += kPartitions) {
      int64_t nt = std::min(kPartitions, N - n0);
      Value biasCol;
      if (columnBias) {
        biasCol = alloc(loc, {nt, 1}, biasElt, Space::sbuf);
        tile::LoadOp::create(b, loc, biasCol, full(nt, 1), bias->buffer,
                             view(0, nt, bias->strides[1], bias->offset + n0 * bias->strides[1],
                                  {1}, {1}));
        if (beta != 1.0f)
          tile::TensorScalarOp::create(b, loc, alu(isa::AluOp::mult), b.getF32FloatAttr(beta),
                                       alu(isa::AluOp::bypass), b.getF32FloatAttr(0), biasCol,
                                       full(nt, 1), biasCol, full(nt, 1), nullptr);
      }
      SmallVector<Value> psums;
      for (auto [m0, mt] : blocks)
        psums.push_back(alloc(loc, {nt, mt}, f32, Space::psum));
      // Sparse: the compressed values and tag words of all full 128-row K
      // tiles of this column block come in one DMA each ([128, tiles, nt]):
      // a sparse MM does up to 4x the work of a dense one in the same time,
      // and per-tile DMAs, each paying the fixed DMA latency on its queue,
      // would not keep up (docs/sparsity.md).
      int64_t words = (N + 3) / 4, tw = (nt + 3) / 4, fullTiles = kRows / kPartitions;
      Value valuesBlock, tagsBlock;
      if (auto it = residentBlocks.find(n0); it != residentBlocks.end()) {
        std::tie(valuesBlock, tagsBlock) = it->second;
      } else if (sparse && (fullTiles > 1 || resident)) {
        valuesBlock = alloc(loc, {kPartitions, fullTiles * nt}, valuesElt, Space::sbuf);
        tile::LoadOp::create(b, loc, valuesBlock, full(kPartitions, fullTiles * nt),
                             sparse->values,
                             view(0, kPartitions, N, n0, {fullTiles, nt}, {kPartitions * N, 1}));
        tagsBlock = alloc(loc, {kPartitions, fullTiles * tw}, b.getIntegerType(16), Space::sbuf);
        tile::LoadOp::create(b, loc, tagsBlock, full(kPartitions, fullTiles * tw), sparse->tags,
                             view(0, kPartitions, words, n0 / 4, {fullTiles, tw},
                                  {kPartitions * words, 1}));
        if (resident)
          residentBlocks[n0] = {valuesBlock, tagsBlock};
      }
      if (prefetchNext && n0 == 0)
        prefetched = loadGroup(blocksAt(g0 + groupBlocks * kMovingMax));
      int64_t wEltBytes = std::max<int64_t>(1, wElt.getIntOrFloatBitWidth() / 8);
      int64_t chunk = fullTiles > 1 ? std::max<int64_t>(1, tiling::kEfficientDmaBytes /
                                                                (nt * wEltBytes))
                                    : 1;
      Value chunkTiles;
      for (int64_t k0 = 0, ki = 0; k0 < kRows; k0 += kPartitions, ++ki) {
        int64_t kt = std::min(kPartitions, kRows - k0);
        if (sparse) {
          // Compressed values[k0:k0+kt, n0:n0+nt] and their tag words.
          Value wt = valuesBlock, tt = tagsBlock;
          tile::ViewAttr wv = view(0, kt, 0, ki * nt, {nt}, {1});
          tile::ViewAttr tv = view(0, kt, 0, ki * tw, {tw}, {1});
          if (!valuesBlock || ki >= fullTiles) {
            wt = alloc(loc, {kt, nt}, valuesElt, Space::sbuf);
            tile::LoadOp::create(b, loc, wt, full(kt, nt), sparse->values,
                                 view(0, kt, N, k0 * N + n0, {nt}, {1}));
            tt = alloc(loc, {kt, tw}, b.getIntegerType(16), Space::sbuf);
            tile::LoadOp::create(b, loc, tt, full(kt, tw), sparse->tags,
                                 view(0, kt, words, k0 * words + n0 / 4, {tw}, {1}));
            wv = full(kt, nt);
            tv = full(kt, tw);
          }
          for (auto [bi, blk] : llvm::enumerate(blocks)) {
            int64_t mt = blk.second;
            tile::SparseMatmulOp::create(b, loc, psums[bi], full(nt, mt), wt, wv, tt, tv,
                                         moving(bi, ki, k0, kt), full(kt, ratio * mt),
                                         sparse->keep, sparse->group, /*start=*/k0 == 0);
          }
          continue;
        }
        // Stationary: w[k0:k0+kt, n0:n0+nt], K on partitions. Full K tiles
        // come `chunk` at a time in one DMA ([128, chunk, nt]): a single
        // 128 x 128 bf16 tile is 256 bytes a partition, where the DMA's fixed
        // latency would dominate (tiling::kEfficientDmaBytes).
        Value wt;
        tile::ViewAttr wv = full(kt, nt);
        if (ki < fullTiles && chunk > 1) {
          int64_t c0 = ki / chunk * chunk;
          if (ki == c0) {
            int64_t cn = std::min(chunk, fullTiles - c0);
            chunkTiles = alloc(loc, {kPartitions, cn * nt}, wElt, Space::sbuf);
            tile::LoadOp::create(b, loc, chunkTiles, full(kPartitions, cn * nt), w.buffer,
                                 view(0, kPartitions, w.strides[0],
                                      w.offset + k0 * w.strides[0] + n0 * w.strides[1],
                                      {cn, nt}, {kPartitions * w.strides[0], w.strides[1]}));
          }
          wt = chunkTiles;
          wv = view(0, kt, 0, (ki - c0) * nt, {nt}, {1});
        } else {
          wt = alloc(loc, {kt, nt}, wElt, Space::sbuf);
          tile::LoadOp::create(b, loc, wt, full(kt, nt), w.buffer,
                               view(0, kt, w.strides[0],
                                    w.offset + k0 * w.strides[0] + n0 * w.strides[1], {nt},
                                    {w.strides[1]}));
        }
        for (auto [bi, blk] : llvm::enumerate(blocks)) {
          int64_t mt = blk.second;
          tile::MatmulOp::create(b, loc, psums[bi], full(nt, mt), wt, wv,
                                 moving(bi, ki, k0, kt), full(kt, mt), /*start=*/k0 == 0);
        }
      }
      for (auto [bi, blk] : llvm::enumerate(blocks)) {
        auto [m0, mt] = blk;
        Value psum = psums[bi];
        Value out = alloc(loc, {nt, mt}, elt, Space::sbuf);
        // A general bias is added after the evacuation, in fp32 (an f32
        // tile when the result is narrower), rounding once into `out`.
        bool generalBias = bias && !columnBias;
        Value acc = generalBias && !elt.isF32() ? alloc(loc, {nt, mt}, f32, Space::sbuf) : out;
        isa::ActFunc func = generalBias ? isa::ActFunc::identity : actFuncOf(act);
        tile::ActivationOp::create(b, loc, actFunc(func), acc, full(nt, mt), psum, full(nt, mt),
                                   biasCol, biasCol ? full(nt, 1) : tile::ViewAttr(),
                                   b.getF32FloatAttr(alpha), Value(), tile::ViewAttr());
        if (generalBias) {
          // General bias: add it element-wise (broadcast through the view),
          // then apply the activation.
          Value bt = alloc(loc, {nt, mt}, biasElt, Space::sbuf);
          tile::LoadOp::create(b, loc, bt, full(nt, mt), bias->buffer,
                               view(0, nt, bias->strides[1],
                                    bias->offset + m0 * bias->strides[0] + n0 * bias->strides[1],
                                    {mt}, {bias->strides[0]}));
          if (beta != 1.0f)
            tile::TensorScalarOp::create(b, loc, alu(isa::AluOp::mult), b.getF32FloatAttr(beta),
                                         alu(isa::AluOp::bypass), b.getF32FloatAttr(0), bt,
                                         full(nt, mt), bt, full(nt, mt), nullptr);
          Value sum = act == graph::Activation::none ? out : acc;
          tile::TensorTensorOp::create(b, loc, alu(isa::AluOp::add), sum, full(nt, mt), acc,
                                       full(nt, mt), bt, full(nt, mt), nullptr);
          if (act == graph::Activation::relu)
            tile::TensorScalarOp::create(b, loc, alu(isa::AluOp::max), b.getF32FloatAttr(0),
                                         alu(isa::AluOp::bypass), b.getF32FloatAttr(0), out,
                                         full(nt, mt), acc, full(nt, mt), nullptr);
          else if (act != graph::Activation::none)
            tile::ActivationOp::create(b, loc, actFunc(actFuncOf(act)), out, full(nt, mt), acc,
                                       full(nt, mt), Value(), tile::ViewAttr(),
                                       b.getF32FloatAttr(1.0f), Value(), tile::ViewAttr());
        }
        // out holds y^T[n0:n0+nt, m0:m0+mt]; keep it, or store it transposed.
        if (yOnChip) {
          yTiles.push_back(out);
          continue;
        }
        tile::StoreOp::create(b, loc, y.buffer,
                              view(0, nt, y.strides[1],
                                   y.offset + m0 * y.strides[0] + n0 * y.strides[1], {mt},
                                   {y.strides[0]}),
                              out, full(nt, mt));
      }
    }
  }
  if (yOnChip) {
    keepTransposedOnChip(y, M, N, yTiles);
    markOnChipOnly(y.buffer);
  }
}


SmallVector<Value> GraphLowering::loadTransposed(Location loc, const Strided &x, int64_t M,
                                                 int64_t K) {
  ArrayRef<Value> onChip = transposedOnChip(x, M, K);
  if (!onChip.empty())
    return SmallVector<Value>(onChip.begin(), onChip.end());
  Type xElt = cast<MemRefType>(x.buffer.getType()).getElementType();
  SmallVector<Value> xT;
  for (int64_t k0 = 0; k0 < K; k0 += kPartitions) {
    int64_t kt = std::min(kPartitions, K - k0);
    xT.push_back(alloc(loc, {kt, M}, xElt, Space::sbuf));
    tile::LoadOp::create(b, loc, xT.back(), full(kt, M), x.buffer,
                         view(0, kt, x.strides[1], x.offset + k0 * x.strides[1], {M},
                              {x.strides[0]}));
  }
  keepTransposedOnChip(x, M, K, xT);
  return xT;
}

SmallVector<std::pair<Value, tile::ViewAttr>>
GraphLowering::loadWeightColumns(Location loc, const Strided &w, int64_t K, int64_t n0,
                                 int64_t nt) {
  Type wElt = cast<MemRefType>(w.buffer.getType()).getElementType();
  int64_t wEltBytes = std::max<int64_t>(1, wElt.getIntOrFloatBitWidth() / 8);
  int64_t fullTiles = K / kPartitions;
  int64_t chunk = std::max<int64_t>(1, tiling::kEfficientDmaBytes / (nt * wEltBytes));
  SmallVector<std::pair<Value, tile::ViewAttr>> tiles;
  for (int64_t c0 = 0; c0 < fullTiles; c0 += chunk) {
    int64_t cn = std::min(chunk, fullTiles - c0);
    Value t = alloc(loc, {kPartitions, cn * nt}, wElt, Space::sbuf);
    tile::LoadOp::create(b, loc, t, full(kPartitions, cn * nt), w.buffer,
                         view(0, kPartitions, w.strides[0],
                              w.offset + c0 * kPartitions * w.strides[0] + n0 * w.strides[1],
                              {cn, nt}, {kPartitions * w.strides[0], w.strides[1]}));
    for (int64_t c = 0; c < cn; ++c)
      tiles.push_back({t, view(0, kPartitions, 0, c * nt, {nt}, {1})});
  }
  if (int64_t kt = K - fullTiles * kPartitions) {
    Value t = alloc(loc, {kt, nt}, wElt, Space::sbuf);
    tile::LoadOp::create(b, loc, t, full(kt, nt), w.buffer,
                         view(0, kt, w.strides[0],
                              w.offset + fullTiles * kPartitions * w.strides[0] + n0 * w.strides[1],
                              {nt}, {w.strides[1]}));
    tiles.push_back({t, full(kt, nt)});
  }
  return tiles;
}

void GraphLowering::emitLinearTransposedOnChip(Location loc, Strided x, Strided w, Strided *bias,
                                               Strided y, int64_t M, int64_t K, int64_t N,
                                               float alpha, graph::Activation act, Type elt) {
  Type f32 = b.getF32Type();
  auto bufferElt = [](Value buffer) { return cast<MemRefType>(buffer.getType()).getElementType(); };
  int64_t kTiles = llvm::divideCeil(K, kPartitions);
  SmallVector<Value> xT = loadTransposed(loc, x, M, K);
  // All of w, resident: per 128 columns of N its K tiles, and the bias
  // column.
  struct ColumnBlock {
    int64_t n0, nt;
    SmallVector<std::pair<Value, tile::ViewAttr>> wTiles;
    Value biasCol, yT;
  };
  SmallVector<ColumnBlock> blocks;
  for (int64_t n0 = 0; n0 < N; n0 += kPartitions) {
    int64_t nt = std::min(kPartitions, N - n0);
    ColumnBlock cb{n0, nt, loadWeightColumns(loc, w, K, n0, nt), Value(), Value()};
    if (bias) {
      cb.biasCol = alloc(loc, {nt, 1}, bufferElt(bias->buffer), Space::sbuf);
      tile::LoadOp::create(b, loc, cb.biasCol, full(nt, 1), bias->buffer,
                           view(0, nt, bias->strides[1], bias->offset + n0 * bias->strides[1],
                                {1}, {1}));
    }
    cb.yT = alloc(loc, {nt, M}, elt, Space::sbuf);
    blocks.push_back(std::move(cb));
  }
  // 128 rows of M at a time: every column block's y^T for those rows, its
  // K tiles accumulated in PSUM, bias and activation on the evacuation.
  SmallVector<Value> yT;
  for (int64_t m0 = 0; m0 < M; m0 += kPartitions) {
    int64_t mt = std::min(kPartitions, M - m0);
    for (const ColumnBlock &cb : blocks) {
      Value psum = alloc(loc, {cb.nt, mt}, f32, Space::psum);
      for (int64_t ki = 0; ki < kTiles; ++ki) {
        int64_t kt = std::min(kPartitions, K - ki * kPartitions);
        auto [wt, wv] = cb.wTiles[ki];
        tile::MatmulOp::create(b, loc, psum, full(cb.nt, mt), wt, wv, xT[ki],
                               view(0, kt, 0, m0, {mt}, {1}), /*start=*/ki == 0);
      }
      tile::ActivationOp::create(b, loc, actFunc(actFuncOf(act)), cb.yT,
                                 view(0, cb.nt, 0, m0, {mt}, {1}), psum, full(cb.nt, mt),
                                 cb.biasCol, cb.biasCol ? full(cb.nt, 1) : tile::ViewAttr(),
                                 b.getF32FloatAttr(alpha), Value(), tile::ViewAttr());
    }
  }
  for (const ColumnBlock &cb : blocks)
    yT.push_back(cb.yT);
  keepTransposedOnChip(y, M, N, yT);
  markOnChipOnly(y.buffer);
}

void GraphLowering::emitLinearRows(Location loc, Strided x, Strided w, Strided *bias, Strided y,
                                   int64_t M, int64_t K, int64_t N, graph::Activation act,
                                   Type elt, bool rowBlocksFirst) {
  Type f32 = b.getF32Type();
  auto bufferElt = [](Value buffer) { return cast<MemRefType>(buffer.getType()).getElementType(); };
  Type wElt = bufferElt(w.buffer);
  int64_t kTiles = llvm::divideCeil(K, kPartitions);
  // x^T, all of it (tile ki holds x[:, k0:k0+kt]^T); every column block of
  // w reuses it.
  SmallVector<Value> xT = loadTransposed(loc, x, M, K);
  int64_t wEltBytes = std::max<int64_t>(1, wElt.getIntOrFloatBitWidth() / 8);
  // One column block of w: its K tiles and, for a bias constant along M,
  // one [128, nt] bias tile (partition stride 0) for every row block.
  struct ColumnBlock {
    int64_t n0, nt;
    SmallVector<std::pair<Value, tile::ViewAttr>> wTiles;
    Value rowBias;
  };
  bool rowBias = bias && bias->strides[0] == 0;
  auto loadColumnBlock = [&](int64_t n0) {
    int64_t nt = std::min(kMovingMax, N - n0);
    ColumnBlock cb{n0, nt, loadWeightColumns(loc, w, K, n0, nt), Value()};
    if (rowBias) {
      cb.rowBias = alloc(loc, {kPartitions, nt}, bufferElt(bias->buffer), Space::sbuf);
      tile::LoadOp::create(b, loc, cb.rowBias, full(kPartitions, nt), bias->buffer,
                           view(0, kPartitions, 0, bias->offset + n0 * bias->strides[1], {nt},
                                {bias->strides[1]}));
    }
    return cb;
  };
  // Each 128 rows of y are computed into one [mt, N] tile, stored block by
  // block and kept for a reader that walks y by rows (a layer norm), when
  // y is a whole row-major value and all its rows take at most
  // tiling::kHoistBytesPerPartition / 2 of each partition; otherwise each
  // block has a tile of its own.
  int64_t eltBytes = std::max<int64_t>(1, elt.getIntOrFloatBitWidth() / 8);
  bool keepRows = y.offset == 0 && y.strides[0] == N && y.strides[1] == 1 &&
                  llvm::divideCeil(M, kPartitions) * N * eltBytes <=
                      tiling::kHoistBytesPerPartition / 2;
  SmallVector<Value> rowTiles;
  if (keepRows)
    for (int64_t m0 = 0; m0 < M; m0 += kPartitions)
      rowTiles.push_back(alloc(loc, {std::min(kPartitions, M - m0), N}, elt, Space::sbuf));
  // y[m0:m0+mt, n0:n0+nt] = act(x w + bias), stored as rows.
  auto emitBlock = [&](const ColumnBlock &cb, int64_t m0) {
    int64_t n0 = cb.n0, nt = cb.nt, mt = std::min(kPartitions, M - m0);
    Value psum = alloc(loc, {mt, nt}, f32, Space::psum);
    for (int64_t ki = 0; ki < kTiles; ++ki) {
      int64_t kt = std::min(kPartitions, K - ki * kPartitions);
      auto [wt, wv] = cb.wTiles[ki];
      tile::MatmulOp::create(b, loc, psum, full(mt, nt), xT[ki], view(0, kt, 0, m0, {mt}, {1}),
                             wt, wv, /*start=*/ki == 0);
    }
    Value out = keepRows ? rowTiles[m0 / kPartitions] : alloc(loc, {mt, nt}, elt, Space::sbuf);
    tile::ViewAttr outView = keepRows ? view(0, mt, 0, n0, {nt}, {1}) : full(mt, nt);
    isa::ActFunc func = actFuncOf(act);
    Value src = psum;
    if (bias) {
      // y = act(x w + bias): the sum in fp32 (in `out` itself when it is
      // f32 and nothing follows), rounded once by the last instruction.
      Value bt = cb.rowBias;
      if (!rowBias) {
        bt = alloc(loc, {mt, nt}, bufferElt(bias->buffer), Space::sbuf);
        tile::LoadOp::create(b, loc, bt, full(mt, nt), bias->buffer,
                             view(0, mt, bias->strides[0],
                                  bias->offset + m0 * bias->strides[0] + n0 * bias->strides[1],
                                  {nt}, {bias->strides[1]}));
      }
      bool last = func == isa::ActFunc::identity;
      Value sum = last ? out : alloc(loc, {mt, nt}, f32, Space::sbuf);
      tile::TensorTensorOp::create(b, loc, alu(isa::AluOp::add), sum,
                                   last ? outView : full(mt, nt), psum, full(mt, nt), bt,
                                   full(mt, nt), nullptr);
      src = last ? Value() : sum;
    }
    if (src)
      tile::ActivationOp::create(b, loc, actFunc(func), out, outView, src, full(mt, nt),
                                 Value(), tile::ViewAttr(), b.getF32FloatAttr(1.0f), Value(),
                                 tile::ViewAttr());
    tile::StoreOp::create(b, loc, y.buffer,
                          view(0, mt, y.strides[0], y.offset + m0 * y.strides[0] + n0, {nt}, {1}),
                          out, outView);
  };
  // For a reader that walks y by rows (a layer norm), with all of w on
  // chip: row blocks outermost, so that the first rows of y are complete,
  // and the reader busy, while the rest are computed.
  if (rowBlocksFirst && kTiles * N * wEltBytes <= tiling::kHoistBytesPerPartition) {
    SmallVector<ColumnBlock> cbs;
    for (int64_t n0 = 0; n0 < N; n0 += kMovingMax)
      cbs.push_back(loadColumnBlock(n0));
    for (int64_t m0 = 0; m0 < M; m0 += kPartitions)
      for (const ColumnBlock &cb : cbs)
        emitBlock(cb, m0);
    if (keepRows)
      keepRowsOnChip(y.buffer, M, N, rowTiles);
    return;
  }
  // Column blocks outermost, each of w's loaded once and reused by every
  // row block.
  for (int64_t n0 = 0; n0 < N; n0 += kMovingMax) {
    ColumnBlock cb = loadColumnBlock(n0);
    for (int64_t m0 = 0; m0 < M; m0 += kPartitions)
      emitBlock(cb, m0);
  }
  if (keepRows)
    keepRowsOnChip(y.buffer, M, N, rowTiles);
}

namespace {

/// What one tile costs beyond its elements, in per-partition elements: an
/// engine instruction's fixed cycles plus the DMAs' fixed latency spread over
/// the queues. Only used to compare layouts.
constexpr int64_t kTileOverhead = 256;

/// How an element-wise walk maps an iteration space onto tiles: `part` is the
/// partition axis (walked 128 at a time), `tileAxes` the free axes of a tile
/// (outermost first; the outermost walked `chunk` elements at a time), every
/// other axis a loop.
struct EltLayout {
  SmallVector<int64_t> dims;
  SmallVector<Strided> views; // the inputs', then the output's strides over dims
  int64_t part = 0;
  SmallVector<int64_t> tileAxes;
  int64_t chunk = 1;
  int64_t cost = 0;
};

/// Drops unit dims and merges neighbours that every view walks contiguously,
/// so that e.g. an [1, C, H, W] add becomes one flat axis.
void normalise(EltLayout &l) {
  SmallVector<int64_t> dims;
  SmallVector<SmallVector<int64_t>> strides(l.views.size());
  for (size_t d = 0; d < l.dims.size(); ++d) {
    if (l.dims[d] == 1)
      continue;
    bool merge = !dims.empty() && llvm::all_of(llvm::seq<size_t>(0, l.views.size()), [&](size_t v) {
      return strides[v].back() == l.views[v].strides[d] * l.dims[d];
    });
    if (merge)
      dims.back() *= l.dims[d];
    else
      dims.push_back(l.dims[d]);
    for (size_t v = 0; v < l.views.size(); ++v) {
      if (merge)
        strides[v].back() = l.views[v].strides[d];
      else
        strides[v].push_back(l.views[v].strides[d]);
    }
  }
  l.dims = dims;
  for (size_t v = 0; v < l.views.size(); ++v)
    l.views[v].strides = strides[v];
}

/// Picks the tile's free axes around partition axis `l.part` (innermost
/// first, up to kFreeChunk elements and four axes) and estimates the cost.
void tileFree(EltLayout &l) {
  int64_t n = 1;
  l.tileAxes.clear();
  for (int64_t d = (int64_t)l.dims.size() - 1; d >= 0 && l.tileAxes.size() < 4; --d) {
    if (d == l.part)
      continue;
    if (n * l.dims[d] <= kFreeChunk) {
      l.tileAxes.insert(l.tileAxes.begin(), d);
      n *= l.dims[d];
      continue;
    }
    if (kFreeChunk / n >= 2) {
      l.tileAxes.insert(l.tileAxes.begin(), d);
      n *= kFreeChunk / n;
    }
    break;
  }
  l.chunk = 1;
  if (!l.tileAxes.empty()) {
    int64_t inner = 1;
    for (int64_t d : ArrayRef(l.tileAxes).drop_front())
      inner *= l.dims[d];
    l.chunk = std::min(l.dims[l.tileAxes.front()], kFreeChunk / inner);
  }
  int64_t tiles = (l.dims[l.part] + kPartitions - 1) / kPartitions;
  for (int64_t d = 0; d < (int64_t)l.dims.size(); ++d)
    if (d != l.part && !llvm::is_contained(l.tileAxes, d))
      tiles *= l.dims[d];
  if (!l.tileAxes.empty())
    tiles *= (l.dims[l.tileAxes.front()] + l.chunk - 1) / l.chunk;
  l.cost = tiles * (kTileOverhead + n);
  // A strided innermost axis halves the DMA bandwidth (docs/timing.md).
  if (!l.tileAxes.empty() &&
      llvm::any_of(l.views, [&](const Strided &s) { return s.strides[l.tileAxes.back()] > 1; }))
    l.cost *= 2;
  // Short contiguous runs per partition make many small DMA descriptors
  // (the hardware wants >= 2 KiB); the timing model does not charge them, so
  // weigh them here, up to 4x below 512 bytes.
  const Strided &out = l.views.back();
  int64_t runElems = l.tileAxes.empty()       ? 1
                     : l.tileAxes.size() == 1 ? l.chunk
                                              : l.dims[l.tileAxes.back()];
  int64_t eltBytes = std::max<unsigned>(
      1, cast<MemRefType>(out.buffer.getType()).getElementTypeBitWidth() / 8);
  int64_t runBytes = runElems * eltBytes;
  if (runBytes < 512)
    l.cost *= std::min<int64_t>(4, (512 + runBytes - 1) / runBytes);
}

/// The cheapest layout of an element-wise walk over `base` (normalised):
/// every axis as the partition axis, every axis split into (p, rest) with p
/// the largest divisor <= 128 as the partition axis (so a flat [1, C, H, W]
/// tensor fills all 128 partitions with long contiguous runs), or no
/// partition axis at all. A layout must be 10% cheaper to beat an earlier one,
/// and the first is the plain one (dim 0 on partitions, as the shape is
/// given), so small and already well-shaped walks keep their layout.
EltLayout chooseLayout(EltLayout base) {
  SmallVector<EltLayout> candidates;
  EltLayout plain = base;
  while (plain.dims.size() < 2) {
    plain.dims.insert(plain.dims.begin(), 1);
    for (Strided &s : plain.views)
      s.strides.insert(s.strides.begin(), 0);
  }
  candidates.push_back(plain);
  normalise(base);
  for (int64_t d = 0; d < (int64_t)base.dims.size(); ++d) {
    EltLayout whole = base;
    whole.part = d;
    candidates.push_back(whole);
    int64_t p = 1;
    for (int64_t f = std::min(kPartitions, base.dims[d] / 2); f >= 2; --f)
      if (base.dims[d] % f == 0) {
        p = f;
        break;
      }
    if (p == 1)
      continue;
    EltLayout split = base;
    split.dims[d] = base.dims[d] / p;
    split.dims.insert(split.dims.begin() + d, p);
    for (Strided &s : split.views)
      s.strides.insert(s.strides.begin() + d, s.strides[d] * split.dims[d + 1]);
    split.part = d;
    candidates.push_back(split);
  }
  EltLayout none = base;
  none.dims.insert(none.dims.begin(), 1);
  for (Strided &s : none.views)
    s.strides.insert(s.strides.begin(), 0);
  none.part = 0;
  candidates.push_back(none);

  EltLayout *best = nullptr;
  for (EltLayout &c : candidates) {
    tileFree(c);
    if (!best || c.cost * 10 < best->cost * 9)
      best = &c;
  }
  return *best;
}

} // namespace

void GraphLowering::emitElementwise(Location loc, ArrayRef<int64_t> shape,
                                    ArrayRef<Strided> inputs, Strided out, Type elt,
                                    TileBody body) {
  if (llvm::is_contained(shape, 0))
    return; // Nothing to compute.
  EltLayout base;
  base.dims.assign(shape.begin(), shape.end());
  base.views.assign(inputs.begin(), inputs.end());
  base.views.push_back(out);
  EltLayout l = chooseLayout(base);
  int64_t rank = l.dims.size();

  // Loops: the axes outside the tile, the chunks of the outermost tile axis,
  // the 128-partition blocks of the partition axis.
  struct Loop {
    int64_t dim, step;
  };
  SmallVector<Loop> loops;
  for (int64_t d = 0; d < rank; ++d)
    if (d != l.part && !llvm::is_contained(l.tileAxes, d))
      loops.push_back({d, 1});
  loops.push_back({l.part, kPartitions});
  if (!l.tileAxes.empty())
    loops.push_back({l.tileAxes.front(), l.chunk});

  SmallVector<int64_t> idx(rank, 0);
  std::function<void(size_t)> rec = [&](size_t li) {
    if (li < loops.size()) {
      Loop lp = loops[li];
      for (idx[lp.dim] = 0; idx[lp.dim] < l.dims[lp.dim]; idx[lp.dim] += lp.step)
        rec(li + 1);
      idx[lp.dim] = 0;
      return;
    }
    int64_t np = std::min(kPartitions, l.dims[l.part] - idx[l.part]);
    SmallVector<int64_t> sizes;
    for (int64_t d : l.tileAxes)
      sizes.push_back(d == l.tileAxes.front() ? std::min(l.chunk, l.dims[d] - idx[d]) : l.dims[d]);
    if (sizes.empty())
      sizes.push_back(1);
    int64_t n = 1;
    for (int64_t s : sizes)
      n *= s;
    auto hbmView = [&](const Strided &s) {
      int64_t off = s.offset;
      for (int64_t d = 0; d < rank; ++d)
        off += idx[d] * s.strides[d];
      SmallVector<int64_t> strides;
      for (int64_t d : l.tileAxes)
        strides.push_back(s.strides[d]);
      if (strides.empty())
        strides.push_back(1);
      return view(0, np, s.strides[l.part], off, sizes, strides);
    };
    SmallVector<Value> srcs;
    for (const Strided &s : ArrayRef(l.views).drop_back()) {
      // The DMA copies bytes: the tile has the buffer's element type.
      Type inElt = cast<MemRefType>(s.buffer.getType()).getElementType();
      Value t = alloc(loc, {np, n}, inElt, Space::sbuf);
      tile::LoadOp::create(b, loc, t, full(np, n), s.buffer, hbmView(s));
      srcs.push_back(t);
    }
    // Without a body, the single input's tile is stored as loaded.
    Value dst = srcs.empty() ? Value() : srcs.front();
    if (body) {
      dst = alloc(loc, {np, n}, elt, Space::sbuf);
      body(dst, srcs, np, n);
    }
    const Strided &o = l.views.back();
    tile::StoreOp::create(b, loc, o.buffer, hbmView(o), dst, full(np, n));
  };
  rec(0);
}

void GraphLowering::emitActivation(Location loc, isa::ActFunc func, Value dst, Value src,
                                   int64_t np, int64_t n, float scale) {
  tile::ActivationOp::create(b, loc, actFunc(func), dst, full(np, n), src, full(np, n), Value(),
                             tile::ViewAttr(), b.getF32FloatAttr(scale), Value(),
                             tile::ViewAttr());
}

void GraphLowering::emitTensorScalar(Location loc, isa::AluOp op0, float imm0, isa::AluOp op1,
                                     float imm1, Value dst, Value src, int64_t np, int64_t n) {
  tile::TensorScalarOp::create(b, loc, alu(op0), b.getF32FloatAttr(imm0), alu(op1),
                               b.getF32FloatAttr(imm1), dst, full(np, n), src, full(np, n),
                               nullptr);
}

void GraphLowering::emitTensorTensor(Location loc, isa::AluOp op, Value dst, Value lhs, Value rhs,
                                     int64_t np, int64_t n) {
  tile::TensorTensorOp::create(b, loc, alu(op), dst, full(np, n), lhs, full(np, n), rhs,
                               full(np, n), nullptr);
}

void GraphLowering::emitCopy(Location loc, ArrayRef<int64_t> shape, Strided src, Strided out,
                             Type elt) {
  emitElementwise(loc, shape, {src}, out, elt,
                  [&](Value dst, ArrayRef<Value> s, int64_t np, int64_t n) {
                    tile::CopyOp::create(b, loc, dst, full(np, n), s[0], full(np, n), nullptr);
                  });
}
