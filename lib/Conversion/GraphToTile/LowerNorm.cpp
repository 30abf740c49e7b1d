//===- LowerNorm.cpp - Softmax, normalisations and reductions -------------===//
//
// Every op of the family computes statistics along some axes of its input
// (the reduced axes) for each index of the others (the kept axes, a "row").
// They share one layout, RowWalk: the reduced axes always lie along a
// partition's free axis, chosen by the strided HBM view the tile is loaded
// through, so no reduction ever crosses partitions:
//
//   - adjacent axes of the same kind that are contiguous in every operand
//     are merged ([3, 4, 5] reduced over axis 2 is 12 rows of 5);
//   - the largest kept axis goes on the partitions (chunks of 128), the
//     other kept axes run along the free axis before the reduced ones, as
//     many as fit a tile, the rest are loops. A tile is [P, K rows x R].
//
// Per tile, statistics are DVE tensor_reduce ops along the innermost free
// axis ([P, K x R] -> [P, K]); exp/log/rsqrt/square are ACT instructions.
// With one row per partition (K = 1) the activation engine's per-partition
// bias and `accum` fuse a subtract and a sum into the function: softmax's
// exp(x - max) yields its denominator in the same instruction. With K > 1,
// per-row values are broadcast along the row with zero-stride views on DVE.
// docs/normalization.md has the instruction sequence of each op.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

#include <map>

using namespace mlir;
using namespace trellis;
using namespace trellis::lowering;
using isa::ActFunc;
using isa::AluOp;
using isa::Space;

namespace {

/// Elements of one row (the reduced extent) a tile may hold per partition:
/// a softmax or normalisation keeps about five tiles of this size live.
constexpr int64_t kMaxRow = 8192;
/// Elements per partition of a tile holding several rows.
constexpr int64_t kRowTileBudget = 4096;

/// A graph value's view indexed by the axes of the op's input: what each
/// operand of a row computation reads or writes.
struct RowView {
  Value buffer;
  int64_t offset = 0;
  /// One stride per input axis; 0 along reduced axes for per-row values.
  SmallVector<int64_t> strides;
};

/// One merged axis of the iteration space.
struct RowAxis {
  int64_t size;
  bool reduced;
  SmallVector<int64_t> strides; // per view
};

/// A tile of the walk: `np` partitions, each holding `kn` rows of `rn`
/// elements; `kSizes` / `rSizes` are the kept / reduced axes along the free
/// axis, and `offsets` each view's element offset of the tile's first element.
/// When rows are split (RowWalk::plan with `splitRows`), consecutive tiles
/// cover the same rows, from the `first` to the `last` piece.
struct RowTile {
  int64_t np = 1, kn = 1, rn = 1;
  SmallVector<int64_t> kSizes, rSizes;
  SmallVector<int64_t> offsets;
  bool first = true, last = true;
};

class RowWalk {
public:
  RowWalk(GraphLowering &L, Location loc, ArrayRef<int64_t> shape, ArrayRef<bool> reduced,
          ArrayRef<RowView> views)
      : L(L), loc(loc), views(views) {
    for (auto [d, size] : llvm::enumerate(shape)) {
      if (size == 1)
        continue;
      RowAxis axis{size, reduced[d], {}};
      for (const RowView &v : views)
        axis.strides.push_back(v.strides[d]);
      // Merge into the previous axis when it is of the same kind and the
      // pair is contiguous in every view.
      if (!axes.empty() && axes.back().reduced == axis.reduced &&
          llvm::all_of(llvm::seq<size_t>(0, views.size()), [&](size_t v) {
            return axes.back().strides[v] == axis.strides[v] * axis.size;
          })) {
        axes.back().size *= axis.size;
        axes.back().strides = axis.strides;
        continue;
      }
      axes.push_back(axis);
    }
  }

  /// The number of elements in a row.
  int64_t rowSize() const {
    int64_t rn = 1;
    for (const RowAxis &a : axes)
      if (a.reduced)
        rn *= a.size;
    return rn;
  }

  /// Chooses the layout. A row longer than a partition holds is an error
  /// at `op` unless `splitRows`: then it is walked in pieces.
  LogicalResult plan(Operation *op, bool splitRows = false) {
    int64_t rn = rowSize();
    if (rn > kMaxRow && !splitRows)
      return op->emitOpError("has rows of ")
             << rn << " elements; rows of more than " << kMaxRow
             << " elements do not fit a partition yet";
    if (rn > kMaxRow) {
      // Split the reduced axes: the innermost ones whole, one axis in
      // chunks, the outer ones one index at a time.
      int64_t inner = 1;
      for (int64_t i = (int64_t)axes.size() - 1; i >= 0; --i) {
        if (!axes[i].reduced)
          continue;
        if (rowChunkAxis >= 0) {
          rowLoopAxes.push_back(i);
          continue;
        }
        if (inner * axes[i].size <= kMaxRow) {
          inner *= axes[i].size;
          continue;
        }
        rowChunkAxis = i;
        rowChunk = std::max<int64_t>(1, kMaxRow / inner);
      }
      std::reverse(rowLoopAxes.begin(), rowLoopAxes.end());
      rn = std::min(rn, kMaxRow);
    }
    // The largest kept axis goes on the partitions.
    for (auto [i, a] : llvm::enumerate(axes))
      if (!a.reduced && (partAxis < 0 || a.size > axes[partAxis].size))
        partAxis = i;
    // Kept axes along the free axis, innermost first, while they fit.
    int64_t rows = 1;
    for (int64_t i = (int64_t)axes.size() - 1; i >= 0; --i) {
      if (axes[i].reduced || i == partAxis)
        continue;
      if (chunkAxis >= 0) {
        loopAxes.push_back(i);
        continue;
      }
      int64_t fit = std::max<int64_t>(1, kRowTileBudget / (rows * rn));
      if (fit >= axes[i].size) {
        rows *= axes[i].size;
        freeKept.push_back(i);
        continue;
      }
      chunkAxis = i;
      chunk = fit;
    }
    std::reverse(freeKept.begin(), freeKept.end());
    return success();
  }

  /// Calls `fn` for every tile, in order; the pieces of split rows are
  /// consecutive.
  void forEachTile(llvm::function_ref<void(const RowTile &)> fn) {
    SmallVector<int64_t> idx(axes.size(), 0);
    // Offsets of the tile's first element, per view, given the kept
    // position; the reduced pieces are added by `pieces`.
    auto baseOffsets = [&](int64_t c0, int64_t p0) {
      SmallVector<int64_t> offs;
      for (auto [v, view] : llvm::enumerate(views)) {
        int64_t off = view.offset;
        for (int64_t a : loopAxes)
          off += idx[a] * axes[a].strides[v];
        if (chunkAxis >= 0)
          off += c0 * axes[chunkAxis].strides[v];
        if (partAxis >= 0)
          off += p0 * axes[partAxis].strides[v];
        offs.push_back(off);
      }
      return offs;
    };
    // Walks the pieces of the rows of one kept position.
    SmallVector<int64_t> ridx(axes.size(), 0);
    std::function<void(size_t, RowTile &)> pieces = [&](size_t li, RowTile &t) {
      if (li < rowLoopAxes.size()) {
        int64_t a = rowLoopAxes[li];
        for (ridx[a] = 0; ridx[a] < axes[a].size; ++ridx[a])
          pieces(li + 1, t);
        ridx[a] = 0;
        return;
      }
      int64_t chunkSize = rowChunkAxis >= 0 ? axes[rowChunkAxis].size : 1;
      for (int64_t r0 = 0; r0 < chunkSize; r0 += rowChunk) {
        RowTile piece = t;
        piece.rSizes.clear();
        piece.rn = 1;
        for (auto [i, a] : llvm::enumerate(axes)) {
          if (!a.reduced || llvm::is_contained(rowLoopAxes, (int64_t)i))
            continue;
          int64_t size = (int64_t)i == rowChunkAxis ? std::min(rowChunk, a.size - r0) : a.size;
          piece.rSizes.push_back(size);
          piece.rn *= size;
        }
        bool atStart = r0 == 0, atEnd = r0 + rowChunk >= chunkSize;
        for (int64_t a : rowLoopAxes) {
          atStart &= ridx[a] == 0;
          atEnd &= ridx[a] == axes[a].size - 1;
        }
        piece.first = atStart;
        piece.last = atEnd;
        for (size_t v = 0; v < piece.offsets.size(); ++v) {
          for (int64_t a : rowLoopAxes)
            piece.offsets[v] += ridx[a] * axes[a].strides[v];
          if (rowChunkAxis >= 0)
            piece.offsets[v] += r0 * axes[rowChunkAxis].strides[v];
        }
        fn(piece);
      }
    };
    std::function<void(size_t)> rec = [&](size_t li) {
      if (li < loopAxes.size()) {
        int64_t a = loopAxes[li];
        for (idx[a] = 0; idx[a] < axes[a].size; ++idx[a])
          rec(li + 1);
        idx[a] = 0;
        return;
      }
      int64_t chunkSize = chunkAxis >= 0 ? axes[chunkAxis].size : 1;
      int64_t partSize = partAxis >= 0 ? axes[partAxis].size : 1;
      for (int64_t c0 = 0; c0 < chunkSize; c0 += chunk) {
        for (int64_t p0 = 0; p0 < partSize; p0 += kPartitions) {
          RowTile t;
          t.np = std::min(kPartitions, partSize - p0);
          if (chunkAxis >= 0)
            t.kSizes.push_back(std::min(chunk, chunkSize - c0));
          for (int64_t a : freeKept)
            t.kSizes.push_back(axes[a].size);
          for (int64_t s : t.kSizes)
            t.kn *= s;
          t.offsets = baseOffsets(c0, p0);
          pieces(0, t);
        }
      }
    };
    rec(0);
  }

  /// Loads view `v` of tile `t` into a new [np, kn * rn] SBUF tile.
  Value load(const RowTile &t, unsigned v, Type elt) {
    Value tile = L.alloc(loc, {t.np, t.kn * t.rn}, elt, Space::sbuf);
    transfer(t, v, tile, /*rowsOnly=*/false, /*load=*/true);
    return tile;
  }
  /// load(), or the rows the op that stored view `v` kept in SBUF
  /// (GraphLowering::rowsOnChip): when the view is a whole row-major value
  /// of `elt` and the tile is one 128-row block of whole rows. The tile is
  /// shared with other readers: only read it.
  Value loadForReading(const RowTile &t, unsigned v, Type elt) {
    auto type = cast<MemRefType>(views[v].buffer.getType());
    int64_t stride = 1;
    bool rowMajor = views[v].offset == 0;
    for (int64_t i = (int64_t)axes.size() - 1; i >= 0; --i) {
      rowMajor &= axes[i].strides[v] == stride;
      stride *= axes[i].size;
    }
    int64_t rn = t.rn, block = kPartitions * rn;
    if (rowMajor && t.kn == 1 && t.first && t.last && type.getElementType() == elt &&
        type.getNumElements() % rn == 0 && t.offsets[v] % block == 0) {
      int64_t M = type.getNumElements() / rn, i = t.offsets[v] / block;
      ArrayRef<Value> tiles = L.rowsOnChip(views[v].buffer, M, rn);
      if (!tiles.empty() && t.np == std::min(kPartitions, M - i * kPartitions))
        return tiles[i];
    }
    return load(t, v, elt);
  }
  /// Loads per-row view `v` (constant along the reduced axes) into [np, kn].
  Value loadRows(const RowTile &t, unsigned v, Type elt) {
    Value tile = L.alloc(loc, {t.np, t.kn}, elt, Space::sbuf);
    transfer(t, v, tile, /*rowsOnly=*/true, /*load=*/true);
    return tile;
  }
  void store(const RowTile &t, unsigned v, Value tile) { transfer(t, v, tile, false, false); }
  void storeRows(const RowTile &t, unsigned v, Value tile) { transfer(t, v, tile, true, false); }

  /// Whether view `v` is constant along the reduced axes (a per-row value).
  bool isPerRow(unsigned v) const {
    return llvm::all_of(axes, [&](const RowAxis &a) { return !a.reduced || a.strides[v] == 0; });
  }
  /// Whether view `v` is constant along the kept axes (per column, such as
  /// a layer norm's scale and bias).
  bool isPerColumn(unsigned v) const {
    return llvm::all_of(axes, [&](const RowAxis &a) { return a.reduced || a.strides[v] == 0; });
  }
  /// load(), except that a per-column view is loaded once for all the
  /// tiles that read the same elements of it (each tile's DMA would move
  /// the same bytes again), and the tile is shared.
  Value loadShared(const RowTile &t, unsigned v, Type elt) {
    if (!isPerColumn(v))
      return load(t, v, elt);
    SmallVector<int64_t> key{int64_t(v), t.np, t.offsets[v]};
    key.append(t.kSizes.begin(), t.kSizes.end());
    key.push_back(-1);
    key.append(t.rSizes.begin(), t.rSizes.end());
    Value &tile = shared[key];
    if (!tile)
      tile = load(t, v, elt);
    return tile;
  }

private:
  GraphLowering &L;
  Location loc;
  SmallVector<RowView> views;
  SmallVector<RowAxis> axes;
  std::map<SmallVector<int64_t>, Value> shared; // loadShared's tiles
  /// The kept axis on the partitions; the kept axis split in chunks of
  /// `chunk` rows; kept axes whole along the free axis; kept loop axes.
  int64_t partAxis = -1, chunkAxis = -1, chunk = 1;
  SmallVector<int64_t> freeKept, loopAxes;
  /// Split rows: the reduced axis walked in chunks of `rowChunk`, and the
  /// reduced axes outside it walked one index at a time.
  int64_t rowChunkAxis = -1, rowChunk = 1;
  SmallVector<int64_t> rowLoopAxes;

  void transfer(const RowTile &t, unsigned v, Value tile, bool rowsOnly, bool load) {
    SmallVector<int64_t> sizes(t.kSizes), strides;
    if (chunkAxis >= 0)
      strides.push_back(axes[chunkAxis].strides[v]);
    for (int64_t a : freeKept)
      strides.push_back(axes[a].strides[v]);
    if (!rowsOnly) {
      sizes.append(t.rSizes.begin(), t.rSizes.end());
      for (auto [i, a] : llvm::enumerate(axes))
        if (a.reduced && !llvm::is_contained(rowLoopAxes, (int64_t)i))
          strides.push_back(a.strides[v]);
    }
    int64_t partStride = partAxis >= 0 ? axes[partAxis].strides[v] : 0;
    dma(load, tile, 0, t.np, views[v].buffer, partStride, t.offsets[v], sizes, strides);
  }

  /// One DMA (or, beyond four free axes, several) between the contiguous
  /// SBUF rows of `tile` from element `tileOff` and a strided HBM view.
  void dma(bool load, Value tile, int64_t tileOff, int64_t np, Value hbm, int64_t partStride,
           int64_t off, ArrayRef<int64_t> sizesIn, ArrayRef<int64_t> stridesIn) {
    SmallVector<int64_t> sizes, strides;
    for (auto [s, st] : llvm::zip(sizesIn, stridesIn)) {
      if (s == 1)
        continue;
      if (!sizes.empty() && strides.back() == st * s) {
        sizes.back() *= s;
        strides.back() = st;
        continue;
      }
      sizes.push_back(s);
      strides.push_back(st);
    }
    if (sizes.empty()) {
      sizes.push_back(1);
      strides.push_back(1);
    }
    int64_t n = 1;
    for (int64_t s : sizes)
      n *= s;
    if (sizes.size() > 4) {
      int64_t inner = n / sizes[0];
      for (int64_t i = 0; i < sizes[0]; ++i)
        dma(load, tile, tileOff + i * inner, np, hbm, partStride, off + i * strides[0],
            ArrayRef(sizes).drop_front(), ArrayRef(strides).drop_front());
      return;
    }
    tile::ViewAttr sb = L.view(0, np, 0, tileOff, {n}, {1});
    tile::ViewAttr hv = L.view(0, np, partStride, off, sizes, strides);
    if (load)
      tile::LoadOp::create(L.b, loc, tile, sb, hbm, hv);
    else
      tile::StoreOp::create(L.b, loc, hbm, hv, tile, sb);
  }
};

/// The tile instructions of the family on [np, kn x rn] tiles.
struct RowOps {
  GraphLowering &L;
  Location loc;
  int64_t np, kn, rn;

  Type f32() { return L.b.getF32Type(); }
  /// A new f32 SBUF tile of `n` elements per partition.
  Value scratch(int64_t n) { return L.alloc(loc, {np, n}, f32(), Space::sbuf); }
  /// A [np, kn x rn] tile as kn rows of rn (one axis when kn = 1).
  tile::ViewAttr all() {
    return kn == 1 ? L.view(0, np, 0, 0, {rn}, {1}) : L.view(0, np, 0, 0, {kn, rn}, {rn, 1});
  }
  tile::ViewAttr rows() { return L.view(0, np, 0, 0, {kn}, {1}); }
  /// A [np, kn] tile read as [np, kn x rn]: each row value repeated.
  tile::ViewAttr spread() {
    return kn == 1 ? L.view(0, np, 0, 0, {rn}, {0}) : L.view(0, np, 0, 0, {kn, rn}, {1, 0});
  }
  /// A [np, rn] tile read as [np, kn x rn]: the same row for every row.
  tile::ViewAttr repeat() {
    return kn == 1 ? L.view(0, np, 0, 0, {rn}, {1}) : L.view(0, np, 0, 0, {kn, rn}, {0, 1});
  }
  tile::ViewAttr column() { return L.view(0, np, 0, 0, {1}, {1}); }

  /// dst[np, kn] = op-reduction of each row of src.
  void reduce(AluOp op, Value dst, Value src) {
    tile::TensorReduceOp::create(L.b, loc, L.alu(op), dst, rows(), src,
                                 L.view(0, np, 0, 0, {kn, rn}, {rn, 1}), nullptr);
  }
  void tt(AluOp op, Value dst, tile::ViewAttr dv, Value lhs, tile::ViewAttr lv, Value rhs,
          tile::ViewAttr rv) {
    tile::TensorTensorOp::create(L.b, loc, L.alu(op), dst, dv, lhs, lv, rhs, rv, nullptr);
  }
  void ts(Value dst, tile::ViewAttr dv, Value src, tile::ViewAttr sv, AluOp op0, float imm0,
          AluOp op1 = AluOp::bypass, float imm1 = 0.0f) {
    tile::TensorScalarOp::create(L.b, loc, L.alu(op0), L.b.getF32FloatAttr(imm0), L.alu(op1),
                                 L.b.getF32FloatAttr(imm1), dst, dv, src, sv, nullptr);
  }
  /// dst = func(scale * src + bias) with an optional per-partition bias
  /// column and accum column (one row per partition only).
  void act(ActFunc func, Value dst, tile::ViewAttr dv, Value src, tile::ViewAttr sv,
           Value bias = {}, Value accum = {}, float scale = 1.0f) {
    tile::ActivationOp::create(L.b, loc, L.actFunc(func), dst, dv, src, sv, bias,
                               bias ? column() : tile::ViewAttr(), L.b.getF32FloatAttr(scale),
                               accum, accum ? column() : tile::ViewAttr());
  }
};

/// The views of `shape` indexed by the input axes of an op reducing
/// `reduced`: a row-major view of a same-shape tensor.
RowView fullView(GraphLowering &L, Value v) { return RowView{L.buffer(v), 0, rowMajorStrides(L.shapeOf(v))}; }

} // namespace

bool trellis::lowering::foldsIntoLayerNorm(graph::AddOp op) {
  Value sum = op.getResult();
  if (!sum.hasOneUse())
    return false;
  auto norm = dyn_cast<graph::LayerNormOp>(*sum.getUsers().begin());
  auto type = cast<RankedTensorType>(sum.getType());
  return norm && norm.getInput() == sum && llvm::isa<FloatType>(type.getElementType()) &&
         op.getLhs().getType() == type && op.getRhs().getType() == type;
}

namespace {

/// A per-row result of shape `outShape` (the input's with the reduced axes
/// dropped or, with `keepdims`, kept as 1) viewed along the input's axes.
RowView rowsView(Value buffer, ArrayRef<int64_t> outShape, ArrayRef<bool> reduced, bool keepdims) {
  SmallVector<int64_t> own = rowMajorStrides(outShape);
  RowView v{buffer, 0, {}};
  size_t o = 0;
  for (bool r : reduced) {
    if (r) {
      v.strides.push_back(0);
      if (keepdims)
        ++o;
      continue;
    }
    v.strides.push_back(own[o++]);
  }
  return v;
}

SmallVector<bool> reducedMask(int64_t rank, ArrayRef<int64_t> axes) {
  SmallVector<bool> mask(rank, false);
  for (int64_t a : axes)
    mask[a] = true;
  return mask;
}

//===----------------------------------------------------------------------===//
// Softmax
//===----------------------------------------------------------------------===//

} // namespace

LogicalResult trellis::lowering::emitSoftmax(GraphLowering &L, Operation *op, Location loc,
                                             Value in, Value out, ArrayRef<int64_t> shape,
                                             ArrayRef<int64_t> axes, bool log) {
  auto bufferElt = [](Value buffer) { return cast<MemRefType>(buffer.getType()).getElementType(); };
  Type inElt = bufferElt(in), elt = bufferElt(out);
  SmallVector<bool> reduced = reducedMask(shape.size(), axes);
  SmallVector<int64_t> strides = rowMajorStrides(shape);
  RowWalk walk(L, loc, shape, reduced, {RowView{in, 0, strides}, RowView{out, 0, strides}});
  if (failed(walk.plan(op)))
    return failure();
  walk.forEachTile([&](const RowTile &t) {
    RowOps R{L, loc, t.np, t.kn, t.rn};
    Value x = walk.load(t, 0, inElt);
    Value y = L.alloc(loc, {t.np, t.kn * t.rn}, elt, Space::sbuf);
    Value mx = R.scratch(t.kn), sum = R.scratch(t.kn);
    Value e = R.scratch(t.kn * t.rn);
    R.reduce(AluOp::max, mx, x);
    if (t.kn == 1) {
      // One row per partition: exp(x - max) and its sum in one ACT
      // instruction, the max entering as the bias column.
      Value negMax = R.scratch(1);
      R.ts(negMax, R.column(), mx, R.column(), AluOp::mult, -1.0f);
      R.act(ActFunc::exp, e, R.all(), x, R.all(), negMax, sum);
      if (!log) {
        R.tt(AluOp::divide, y, R.all(), e, R.all(), sum, R.spread());
      } else {
        // y = (x - max) - log(sum), in this order: folding both into one
        // bias would round the large shift and lose the small result.
        Value d = R.scratch(t.rn);
        R.act(ActFunc::identity, d, R.all(), x, R.all(), negMax);
        R.act(ActFunc::log, sum, R.column(), sum, R.column());
        R.tt(AluOp::subtract, y, R.all(), d, R.all(), sum, R.spread());
      }
    } else {
      Value d = R.scratch(t.kn * t.rn);
      R.tt(AluOp::subtract, d, R.all(), x, R.all(), mx, R.spread());
      R.act(ActFunc::exp, e, R.all(), d, R.all());
      R.reduce(AluOp::add, sum, e);
      if (!log) {
        R.tt(AluOp::divide, y, R.all(), e, R.all(), sum, R.spread());
      } else {
        R.act(ActFunc::log, sum, R.rows(), sum, R.rows());
        R.tt(AluOp::subtract, y, R.all(), d, R.all(), sum, R.spread());
      }
    }
    walk.store(t, 1, y);
  });
  return success();
}

namespace {

LogicalResult lowerSoftmax(graph::SoftmaxOp op, GraphLowering &L) {
  if (failed(L.requireFloat(op, op.getResult())))
    return failure();
  Location loc = tagLoc(op);
  L.defineResult(loc, op.getResult());
  return emitSoftmax(L, op, loc, L.buffer(op.getInput()), L.buffer(op.getResult()),
                     L.shapeOf(op.getInput()), op.getAxes(), op.getLog());
}

//===----------------------------------------------------------------------===//
// LayerNorm, InstanceNorm
//===----------------------------------------------------------------------===//

/// The statistics and normalisation shared by layer_norm and instance_norm:
/// view 0 is x, view 1 y; `scaleView` / `biasView` index views (or -1),
/// either per-row or full; `meanView` / `rstdView` per-row outputs (or -1);
/// `castView` (or -1) receives y converted to `castElt` as well
/// (defineCastOfResult).
void emitNormalize(GraphLowering &L, Location loc, RowWalk &walk, Type elt, float epsilon,
                   int scaleView, int biasView, int meanView, int rstdView, int castView = -1,
                   Type castElt = Type(), int addendView = -1,
                   SmallVectorImpl<std::pair<RowTile, Value>> *castTiles = nullptr) {
  walk.forEachTile([&](const RowTile &t) {
    RowOps R{L, loc, t.np, t.kn, t.rn};
    Value x = walk.loadForReading(t, 0, elt);
    if (addendView >= 0) {
      // x is the deferred sum view 0 + addendView, added as the add op
      // would have (one vector-engine add, rounded to elt).
      Value addend = walk.loadForReading(t, addendView, elt);
      Value sum = L.alloc(loc, {t.np, t.kn * t.rn}, elt, Space::sbuf);
      R.tt(AluOp::add, sum, R.all(), x, R.all(), addend, R.all());
      x = sum;
    }
    Value y = L.alloc(loc, {t.np, t.kn * t.rn}, elt, Space::sbuf);
    Value negMean = R.scratch(t.kn), sq = R.scratch(t.kn), rstd = R.scratch(t.kn);
    Value xc = R.scratch(t.kn * t.rn), work = R.scratch(t.kn * t.rn);
    R.reduce(AluOp::add, negMean, x);
    R.ts(negMean, R.rows(), negMean, R.rows(), AluOp::mult, -1.0f / float(t.rn));
    if (t.kn == 1) {
      // x - mean and sum((x - mean)^2) on ACT, the mean as the bias column.
      R.act(ActFunc::identity, xc, R.all(), x, R.all(), negMean);
      R.act(ActFunc::square, work, R.all(), x, R.all(), negMean, sq);
    } else {
      R.tt(AluOp::add, xc, R.all(), x, R.all(), negMean, R.spread());
      R.tt(AluOp::mult, work, R.all(), xc, R.all(), xc, R.all());
      R.reduce(AluOp::add, sq, work);
    }
    // rstd = 1 / sqrt(sum / n + epsilon).
    R.ts(rstd, R.rows(), sq, R.rows(), AluOp::mult, 1.0f / float(t.rn), AluOp::add, epsilon);
    R.act(ActFunc::rsqrt, rstd, R.rows(), rstd, R.rows());
    if (meanView >= 0) {
      Value mean = R.scratch(t.kn);
      R.ts(mean, R.rows(), negMean, R.rows(), AluOp::mult, -1.0f);
      walk.storeRows(t, meanView, mean);
    }
    if (rstdView >= 0)
      walk.storeRows(t, rstdView, rstd);
    // y = xc * rstd (* scale) (+ bias); the last step writes y.
    auto apply = [&](AluOp op, int view, Value src, Value dst) {
      if (walk.isPerRow(view)) {
        Value v = walk.loadRows(t, view, elt);
        R.tt(op, dst, R.all(), src, R.all(), v, R.spread());
      } else {
        Value v = walk.loadShared(t, view, elt);
        R.tt(op, dst, R.all(), src, R.all(), v, R.all());
      }
    };
    bool last = scaleView < 0 && biasView < 0;
    R.tt(AluOp::mult, last ? y : work, R.all(), xc, R.all(), rstd, R.spread());
    if (scaleView >= 0)
      apply(AluOp::mult, scaleView, work, biasView < 0 ? y : work);
    if (biasView >= 0)
      apply(AluOp::add, biasView, work, y);
    walk.store(t, 1, y);
    if (castView >= 0) {
      // The converted copy on the GpSimd engine (SBUF to SBUF).
      Value c = L.alloc(loc, {t.np, t.kn * t.rn}, castElt, Space::sbuf);
      tile::CopyOp::create(L.b, loc, c, R.all(), y, R.all(),
                           tile::EngineKindAttr::get(L.b.getContext(), isa::EngineKind::pool));
      if (castTiles)
        castTiles->push_back({t, c});
      else
        walk.store(t, castView, c);
    }
  });
}

LogicalResult lowerLayerNorm(graph::LayerNormOp op, GraphLowering &L) {
  if (failed(L.requireFloat(op, op.getResult())))
    return failure();
  Location loc = tagLoc(op);
  Type elt = L.eltOf(op.getResult());
  ArrayRef<int64_t> shape = L.shapeOf(op.getInput());
  int64_t axis = op.getAxis();
  SmallVector<bool> reduced = reducedMask(shape.size(), llvm::to_vector(llvm::seq<int64_t>(axis, shape.size())));
  L.defineResult(loc, op.getResult());
  Strided mean = L.defineResult(loc, op.getMean());
  Strided rstd = L.defineResult(loc, op.getInvStdDev());
  // A residual add folded in (foldsIntoLayerNorm): x is its first operand,
  // the second a view of its own.
  std::optional<std::pair<Value, Value>> sum = L.deferredSum(op.getInput());
  SmallVector<RowView> views = {fullView(L, sum ? sum->first : op.getInput()),
                                fullView(L, op.getResult())};
  int addendView = -1;
  if (sum) {
    views.push_back(fullView(L, sum->second));
    addendView = views.size() - 1;
  }
  auto addView = [&](Value v) -> int {
    if (!v)
      return -1;
    Strided s = broadcastTo(L.buffer(v), L.shapeOf(v), shape);
    views.push_back(RowView{s.buffer, 0, s.strides});
    return views.size() - 1;
  };
  auto addStat = [&](Value result, const Strided &s) -> int {
    if (result.use_empty())
      return -1;
    views.push_back(rowsView(s.buffer, L.shapeOf(result), reduced, /*keepdims=*/true));
    return views.size() - 1;
  };
  int scaleView = addView(op.getScale()), biasView = addView(op.getBias());
  int meanView = addStat(op.getMean(), mean), rstdView = addStat(op.getInvStdDev(), rstd);
  int castView = -1;
  Type castElt;
  Value yCast = defineCastOfResult(L, loc, op.getResult());
  // A 16-bit cast read only as the x of row-form linears (the next
  // layer's input under auto-cast) may stay on chip, transposed.
  bool castToLinears = false;
  if (yCast) {
    views.push_back(RowView{yCast, 0, rowMajorStrides(shape)});
    castView = views.size() - 1;
    castElt = cast<MemRefType>(yCast.getType()).getElementType();
    for (Operation *user : op.getResult().getUsers())
      if (auto c = dyn_cast<graph::CastOp>(user); c && L.buffer(c.getResult()) == yCast)
        castToLinears = (castElt.isBF16() || castElt.isF16()) &&
                        L.readOnlyAsRowLinearX(c.getResult());
  }
  RowWalk walk(L, loc, shape, reduced, views);
  if (failed(walk.plan(op)))
    return failure();
  SmallVector<std::pair<RowTile, Value>> castTiles;
  emitNormalize(L, loc, walk, elt, op.getEpsilon().convertToFloat(), scaleView, biasView, meanView,
                rstdView, castView, castElt, addendView, castToLinears ? &castTiles : nullptr);
  if (castToLinears) {
    // Whole rows, 128 to a tile, in order: the converted tiles are the
    // row blocks keepRowsTransposed takes. Otherwise they are stored.
    int64_t K = shape.back(), M = 1;
    for (int64_t d : shape.drop_back())
      M *= d;
    bool rowBlocks = llvm::all_of(llvm::enumerate(castTiles), [&](auto it) {
      const RowTile &t = it.value().first;
      int64_t m0 = int64_t(it.index()) * kPartitions;
      return t.kn == 1 && t.rn == K && t.offsets[castView] == m0 * K &&
             t.np == std::min(kPartitions, M - m0);
    });
    if (rowBlocks && int64_t(castTiles.size()) * kPartitions >= M) {
      SmallVector<Value> rows;
      for (auto &[t, c] : castTiles)
        rows.push_back(c);
      L.keepRowsTransposed(loc, Strided{yCast, 0, {K, 1}}, rows, M, K);
      L.markOnChipOnly(yCast);
    } else {
      for (auto &[t, c] : castTiles)
        walk.store(t, castView, c);
    }
  }
  return success();
}

LogicalResult lowerInstanceNorm(graph::InstanceNormOp op, GraphLowering &L) {
  if (failed(L.requireFloat(op, op.getResult())))
    return failure();
  Location loc = tagLoc(op);
  Type elt = L.eltOf(op.getResult());
  ArrayRef<int64_t> shape = L.shapeOf(op.getInput());
  SmallVector<bool> reduced(shape.size(), true);
  reduced[0] = reduced[1] = false;
  L.defineResult(loc, op.getResult());
  // scale[c] and bias[c]: stride 1 along the channel axis, 0 elsewhere.
  auto channelView = [&](Value v) {
    RowView r{L.buffer(v), 0, SmallVector<int64_t>(shape.size(), 0)};
    r.strides[1] = 1;
    return r;
  };
  RowWalk walk(L, loc, shape, reduced,
               {fullView(L, op.getInput()), fullView(L, op.getResult()),
                channelView(op.getScale()), channelView(op.getBias())});
  if (failed(walk.plan(op)))
    return failure();
  emitNormalize(L, loc, walk, elt, op.getEpsilon().convertToFloat(), 2, 3, -1, -1);
  return success();
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

LogicalResult lowerReduce(graph::ReduceOp op, GraphLowering &L) {
  if (failed(L.requireFloat(op, op.getResult())))
    return failure();
  Location loc = tagLoc(op);
  Type elt = L.eltOf(op.getResult());
  ArrayRef<int64_t> shape = L.shapeOf(op.getInput());
  SmallVector<bool> reduced = reducedMask(shape.size(), op.getAxes());
  Strided out = L.defineResult(loc, op.getResult());
  RowWalk walk(L, loc, shape, reduced,
               {fullView(L, op.getInput()),
                rowsView(out.buffer, L.shapeOf(op.getResult()), reduced, op.getKeepdims())});
  // Every kind combines partial results, so long rows are reduced in pieces.
  if (failed(walk.plan(op, /*splitRows=*/true)))
    return failure();
  using graph::ReduceKind;
  ReduceKind kind = op.getKind();
  float count = float(walk.rowSize());
  // The running result of split rows, [np, kn] f32, across their pieces.
  Value acc;
  walk.forEachTile([&](const RowTile &t) {
    RowOps R{L, loc, t.np, t.kn, t.rn};
    Value x = walk.load(t, 0, elt);
    bool whole = t.first && t.last;
    // What the piece contributes: written straight into y when the row is
    // whole and nothing is left to do.
    bool direct = whole && kind != ReduceKind::mean && kind != ReduceKind::l2 &&
                  kind != ReduceKind::log_sum;
    Value y = L.alloc(loc, {t.np, t.kn}, elt, Space::sbuf);
    Value part = direct ? y : R.scratch(t.kn);
    // Sum of func(x) along each row: ACT's accum with one row per
    // partition, otherwise ACT then a DVE reduction.
    auto sumOf = [&](ActFunc func, Value dst, Value bias = {}) {
      Value work = R.scratch(t.kn * t.rn);
      if (t.kn == 1) {
        R.act(func, work, R.all(), x, R.all(), bias, dst);
        return;
      }
      R.act(func, work, R.all(), x, R.all());
      R.reduce(AluOp::add, dst, work);
    };
    AluOp combine = AluOp::add;
    switch (kind) {
    case ReduceKind::sum:
    case ReduceKind::mean:
    case ReduceKind::log_sum:
      R.reduce(AluOp::add, part, x);
      break;
    case ReduceKind::max:
      R.reduce(AluOp::max, part, x);
      combine = AluOp::max;
      break;
    case ReduceKind::min:
      R.reduce(AluOp::min, part, x);
      combine = AluOp::min;
      break;
    case ReduceKind::prod:
      R.reduce(AluOp::mult, part, x);
      combine = AluOp::mult;
      break;
    case ReduceKind::sum_square:
    case ReduceKind::l2:
      sumOf(ActFunc::square, part);
      break;
    case ReduceKind::l1:
      sumOf(ActFunc::abs, part);
      break;
    case ReduceKind::log_sum_exp: {
      // max + log(sum(exp(x - max))).
      Value mx = R.scratch(t.kn), sum = R.scratch(t.kn);
      R.reduce(AluOp::max, mx, x);
      if (t.kn == 1) {
        Value negMax = R.scratch(1);
        R.ts(negMax, R.column(), mx, R.column(), AluOp::mult, -1.0f);
        sumOf(ActFunc::exp, sum, negMax);
      } else {
        Value d = R.scratch(t.kn * t.rn);
        R.tt(AluOp::subtract, d, R.all(), x, R.all(), mx, R.spread());
        R.act(ActFunc::exp, d, R.all(), d, R.all());
        R.reduce(AluOp::add, sum, d);
      }
      R.act(ActFunc::log, sum, R.rows(), sum, R.rows());
      R.tt(AluOp::add, part, R.rows(), sum, R.rows(), mx, R.rows());
      break;
    }
    }
    if (t.first) {
      acc = part;
    } else if (kind == ReduceKind::log_sum_exp) {
      // acc = m + log(exp(acc - m) + exp(part - m)), m = max(acc, part).
      Value m = R.scratch(t.kn), a = R.scratch(t.kn);
      R.tt(AluOp::max, m, R.rows(), acc, R.rows(), part, R.rows());
      R.tt(AluOp::subtract, a, R.rows(), acc, R.rows(), m, R.rows());
      R.act(ActFunc::exp, a, R.rows(), a, R.rows());
      R.tt(AluOp::subtract, part, R.rows(), part, R.rows(), m, R.rows());
      R.act(ActFunc::exp, part, R.rows(), part, R.rows());
      R.tt(AluOp::add, a, R.rows(), a, R.rows(), part, R.rows());
      R.act(ActFunc::log, a, R.rows(), a, R.rows());
      R.tt(AluOp::add, acc, R.rows(), a, R.rows(), m, R.rows());
    } else {
      R.tt(combine, acc, R.rows(), acc, R.rows(), part, R.rows());
    }
    if (!t.last)
      return;
    switch (kind) {
    case ReduceKind::mean:
      R.ts(y, R.rows(), acc, R.rows(), AluOp::mult, 1.0f / count);
      break;
    case ReduceKind::l2:
      R.act(ActFunc::sqrt, y, R.rows(), acc, R.rows());
      break;
    case ReduceKind::log_sum:
      R.act(ActFunc::log, y, R.rows(), acc, R.rows());
      break;
    default:
      if (!direct)
        R.ts(y, R.rows(), acc, R.rows(), AluOp::bypass, 0.0f);
      break;
    }
    walk.storeRows(t, 1, y);
  });
  return success();
}

LogicalResult lowerArgReduce(graph::ArgReduceOp op, GraphLowering &L) {
  if (failed(L.requireFloat(op, op.getInput())))
    return failure();
  Location loc = tagLoc(op);
  Type elt = L.eltOf(op.getInput());
  ArrayRef<int64_t> shape = L.shapeOf(op.getInput());
  int64_t axis = op.getAxis();
  SmallVector<bool> reduced = reducedMask(shape.size(), {axis});
  Strided out = L.defineResult(loc, op.getResult());
  RowWalk walk(L, loc, shape, reduced,
               {fullView(L, op.getInput()),
                rowsView(out.buffer, L.shapeOf(op.getResult()), reduced, op.getKeepdims())});
  if (failed(walk.plan(op)))
    return failure();
  bool isMax = op.getKind() == graph::ReduceKind::max;
  bool last = op.getSelectLastIndex();
  int64_t n = shape[axis];
  // Index weights along a row, the same for every tile: the first match has
  // the largest weight n - i, or the last match i + 1. Built once by GpSimd.
  Value weights = L.alloc(loc, {kPartitions, n}, L.b.getF32Type(), Space::sbuf);
  tile::IotaOp::create(L.b, loc, weights, L.full(kPartitions, n),
                       L.b.getI64IntegerAttr(last ? 1 : n), L.b.getI64IntegerAttr(0),
                       L.b.getI64IntegerAttr(last ? 1 : -1));
  walk.forEachTile([&](const RowTile &t) {
    RowOps R{L, loc, t.np, t.kn, t.rn};
    Value x = walk.load(t, 0, elt);
    Value best = R.scratch(t.kn), hits = R.scratch(t.kn * t.rn);
    Value y = L.alloc(loc, {t.np, t.kn}, L.eltOf(op.getResult()), Space::sbuf);
    // hits = (x == best) * weight; its maximum names the chosen index.
    R.reduce(isMax ? AluOp::max : AluOp::min, best, x);
    R.tt(AluOp::is_equal, hits, R.all(), x, R.all(), best, R.spread());
    R.tt(AluOp::mult, hits, R.all(), hits, R.all(), weights, R.repeat());
    R.reduce(AluOp::max, best, hits);
    // index = n - w (first) or w - 1 (last), written as i64.
    if (last)
      R.ts(y, R.rows(), best, R.rows(), AluOp::add, -1.0f);
    else
      R.ts(y, R.rows(), best, R.rows(), AluOp::mult, -1.0f, AluOp::add, float(n));
    walk.storeRows(t, 1, y);
  });
  return success();
}

//===----------------------------------------------------------------------===//
// GELU
//===----------------------------------------------------------------------===//

LogicalResult lowerGelu(graph::GeluOp op, GraphLowering &L) {
  if (failed(L.requireFloat(op, op.getResult())))
    return failure();
  Location loc = tagLoc(op);
  Strided out = L.defineResult(loc, op.getResult());
  ActFunc func = op.getTanh() ? ActFunc::gelu_tanh : ActFunc::gelu;
  L.emitElementwise(loc, L.shapeOf(op.getResult()), {L.rowMajor(op.getInput())}, out,
                    L.eltOf(op.getResult()),
                    [&](Value dst, ArrayRef<Value> s, int64_t np, int64_t n) {
                      L.emitActivation(loc, func, dst, s[0], np, n);
                    });
  return success();
}

} // namespace

void trellis::lowering::registerNormLowerings(LoweringTable &t) {
  addLowering<graph::SoftmaxOp>(t, lowerSoftmax);
  addLowering<graph::LayerNormOp>(t, lowerLayerNorm);
  addLowering<graph::InstanceNormOp>(t, lowerInstanceNorm);
  addLowering<graph::ReduceOp>(t, lowerReduce);
  addLowering<graph::ArgReduceOp>(t, lowerArgReduce);
  addLowering<graph::GeluOp>(t, lowerGelu);
}
