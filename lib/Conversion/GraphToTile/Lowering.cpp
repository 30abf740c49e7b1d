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
                               graph::Activation act, Type elt, const SparseWeight *sparse) {
  Type f32 = b.getF32Type();
  // Tiles have their buffer's element type (a DMA copies bytes): x and w
  // may be narrower than the result (bf16 / fp16 / fp8 in, fp32 out).
  auto bufferElt = [](Value buffer) { return cast<MemRefType>(buffer.getType()).getElementType(); };
  Type xElt = bufferElt(x.buffer), wElt = bufferElt(w.buffer);
  Type biasElt = bias ? bufferElt(bias->buffer) : elt;
  Type valuesElt = sparse ? bufferElt(sparse->values) : wElt;
  // A bias that varies only along N is a per-partition column in the
  // transposed output: it rides on the PSUM-evicting activation.
  bool columnBias = bias && bias->strides[0] == 0;
  int64_t eltBytes = std::max<int64_t>(1, xElt.getIntOrFloatBitWidth() / 8);
  // Sparse: a tile contracts 128 compressed rows, i.e. `ratio` times as many
  // original rows, and the moving tile is [kt, ratio, mt].
  int64_t ratio = sparse ? sparse->group / sparse->keep : 1;
  int64_t kRows = sparse ? K / ratio : K; // partitions' worth of contraction rows
  int64_t kTiles = (kRows + kPartitions - 1) / kPartitions;
  // Compressed weights small enough stay in SBUF across row blocks instead
  // of being reloaded for each (a dense weight of the same shape is `ratio`
  // times larger): column block n0 -> its values and tags tiles.
  int64_t nTiles = (N + kPartitions - 1) / kPartitions;
  bool resident = sparse && M > kMovingMax && kRows % kPartitions == 0 &&
                  nTiles * kTiles * (kPartitions * eltBytes + 32 * 2) <= kResidentWeightBytes;
  std::map<int64_t, std::pair<Value, Value>> residentBlocks;
  for (int64_t m0 = 0; m0 < M; m0 += kMovingMax) {
    int64_t mt = std::min(kMovingMax, M - m0);
    // The moving tiles x[m0:m0+mt, :]^T are loaded once per row block and
    // reused by every weight tile, when they fit the budget; otherwise they
    // are reloaded next to each weight tile.
    bool hoist = kTiles * ratio * mt * eltBytes <= kHoistBytesPerPartition;
    // Tile rows [p0, p0 + kt): x^T rows [p0 * ratio, (p0 + kt) * ratio),
    // partition p holding rows p * ratio .. p * ratio + ratio - 1.
    auto loadMoving = [&](int64_t p0, int64_t kt) {
      Value xt = alloc(loc, {kt, ratio * mt}, xElt, Space::sbuf);
      SmallVector<int64_t> sizes{mt}, strides{x.strides[0]};
      if (sparse) {
        sizes.insert(sizes.begin(), ratio);
        strides.insert(strides.begin(), x.strides[1]);
      }
      tile::LoadOp::create(b, loc, xt, full(kt, ratio * mt), x.buffer,
                           view(0, kt, ratio * x.strides[1],
                                x.offset + m0 * x.strides[0] + p0 * ratio * x.strides[1], sizes,
                                strides));
      return xt;
    };
    SmallVector<Value> movingTiles;
    if (hoist)
      for (int64_t p0 = 0; p0 < kRows; p0 += kPartitions)
        movingTiles.push_back(loadMoving(p0, std::min(kPartitions, kRows - p0)));

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
      Value psum = alloc(loc, {nt, mt}, f32, Space::psum);
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
          Value xt = hoist ? movingTiles[ki] : loadMoving(k0, kt);
          tile::SparseMatmulOp::create(b, loc, psum, full(nt, mt), wt, wv, tt, tv, xt,
                                       full(kt, ratio * mt), sparse->keep, sparse->group,
                                       /*start=*/k0 == 0);
          continue;
        }
        // Stationary: w[k0:k0+kt, n0:n0+nt], K on partitions.
        Value wt = alloc(loc, {kt, nt}, wElt, Space::sbuf);
        tile::LoadOp::create(b, loc, wt, full(kt, nt), w.buffer,
                             view(0, kt, w.strides[0],
                                  w.offset + k0 * w.strides[0] + n0 * w.strides[1], {nt},
                                  {w.strides[1]}));
        Value xt = hoist ? movingTiles[ki] : loadMoving(k0, kt);
        tile::MatmulOp::create(b, loc, psum, full(nt, mt), wt, full(kt, nt), xt, full(kt, mt),
                               /*start=*/k0 == 0);
      }
      Value out = alloc(loc, {nt, mt}, elt, Space::sbuf);
      isa::ActFunc func = act == graph::Activation::relu && (!bias || columnBias)
                              ? isa::ActFunc::relu
                              : isa::ActFunc::identity;
      tile::ActivationOp::create(b, loc, actFunc(func), out, full(nt, mt), psum, full(nt, mt),
                                 biasCol, biasCol ? full(nt, 1) : tile::ViewAttr(),
                                 b.getF32FloatAttr(alpha), Value(), tile::ViewAttr());
      if (bias && !columnBias) {
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
        tile::TensorTensorOp::create(b, loc, alu(isa::AluOp::add), out, full(nt, mt), out,
                                     full(nt, mt), bt, full(nt, mt), nullptr);
        if (act == graph::Activation::relu)
          tile::TensorScalarOp::create(b, loc, alu(isa::AluOp::max), b.getF32FloatAttr(0),
                                       alu(isa::AluOp::bypass), b.getF32FloatAttr(0), out,
                                       full(nt, mt), out, full(nt, mt), nullptr);
      }
      // out holds y^T[n0:n0+nt, m0:m0+mt]; store it transposed.
      tile::StoreOp::create(b, loc, y.buffer,
                            view(0, nt, y.strides[1],
                                 y.offset + m0 * y.strides[0] + n0 * y.strides[1], {mt},
                                 {y.strides[0]}),
                            out, full(nt, mt));
    }
  }
}


void GraphLowering::emitElementwise(Location loc, ArrayRef<int64_t> shape,
                                    ArrayRef<Strided> inputs, Strided out, Type elt,
                                    TileBody body) {
  SmallVector<int64_t> dims(shape);
  SmallVector<Strided> ins(inputs);
  Strided o = out;
  // View rank 0 / 1 as [1, n].
  while (dims.size() < 2) {
    dims.insert(dims.begin(), 1);
    for (Strided &s : llvm::concat<Strided>(MutableArrayRef(ins), MutableArrayRef(&o, 1)))
      s.strides.insert(s.strides.begin(), 0);
  }
  int64_t rank = dims.size();
  // Loop dims: the free axes beyond the innermost three plus, when the
  // free extent is too large, every free axis but the innermost.
  int64_t freeElems = 1;
  for (int64_t d = 1; d < rank; ++d)
    freeElems *= dims[d];
  int64_t firstTileFree = freeElems <= kFreeChunk ? std::max<int64_t>(1, rank - 4) : rank - 1;
  SmallVector<int64_t> loopDims;
  for (int64_t d = 1; d < firstTileFree; ++d)
    loopDims.push_back(d);
  int64_t inner = rank - 1;
  int64_t innerChunk = firstTileFree == rank - 1 ? kFreeChunk : dims[inner];

  SmallVector<int64_t> idx(rank, 0);
  std::function<void(size_t)> rec = [&](size_t li) {
    if (li < loopDims.size()) {
      for (idx[loopDims[li]] = 0; idx[loopDims[li]] < dims[loopDims[li]]; ++idx[loopDims[li]])
        rec(li + 1);
      idx[loopDims[li]] = 0;
      return;
    }
    for (int64_t p0 = 0; p0 < dims[0]; p0 += kPartitions) {
      int64_t np = std::min(kPartitions, dims[0] - p0);
      for (int64_t c0 = 0; c0 < dims[inner]; c0 += innerChunk) {
        int64_t cn = std::min(innerChunk, dims[inner] - c0);
        SmallVector<int64_t> sizes;
        for (int64_t d = firstTileFree; d < inner; ++d)
          sizes.push_back(dims[d]);
        sizes.push_back(cn);
        int64_t n = 1;
        for (int64_t s : sizes)
          n *= s;
        auto hbmView = [&](const Strided &s) {
          int64_t off = s.offset + p0 * s.strides[0] + c0 * s.strides[inner];
          for (int64_t d : loopDims)
            off += idx[d] * s.strides[d];
          SmallVector<int64_t> strides;
          for (int64_t d = firstTileFree; d <= inner; ++d)
            strides.push_back(s.strides[d]);
          return view(0, np, s.strides[0], off, sizes, strides);
        };
        SmallVector<Value> srcs;
        for (const Strided &s : ins) {
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
        tile::StoreOp::create(b, loc, o.buffer, hbmView(o), dst, full(np, n));
      }
    }
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
