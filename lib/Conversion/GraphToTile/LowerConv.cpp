//===- LowerConv.cpp - Convolutions, pools and batch norm onto the engines ===//
//
// graph.conv2d and graph.conv_transpose2d run on the PE array with a direct
// weight-stationary mapping (docs/conv.md): for every kernel tap (kh, kw)
// the weights W[:, :, kh, kw] sit in the array as a [Cin, Cout] stationary
// tile and a strided view of an input slab in SBUF streams through as the
// moving tensor [Cin, output pixels]; all taps and Cin tiles accumulate in
// one PSUM bank, and bias + activation ride on the PSUM-evicting activation
// instruction. Nothing like im2col is materialized. Groups are packed into
// block-diagonal weight tiles (so a depthwise convolution is one 128-channel
// matmul per tap). A transposed convolution is the stride-1 convolution of
// the zero-interleaved input with the flipped kernel: the slab load spreads
// the input rows and columns out by the stride.
//
// graph.pool2d runs on the vector engine with the (batch, channel) planes
// on partitions: max / add over shifted strided views of a padded slab, an
// average scaled by a reciprocal window-count map. Global pools are one
// tensor_reduce per plane tile. graph.batch_norm is a per-channel multiply
// (vector engine) and add (the activation engine's bias column), with the
// per-channel factors computed on chip from the four parameter vectors.
//
// A convolution marked N:M sparse by --trellis-sparsity (group 1) runs each
// tap as a tile.sparse_matmul: input-channel tiles of 128 * ratio channels,
// partition p of a slab holding channels p * ratio .. p * ratio + ratio - 1
// (the moving tensor's [Kc, ratio, pixels] layout), and each tap's [C, F]
// weights compressed along C (docs/sparsity.md).
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

#include "trellis/Support/Sparsity.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/APFloat.h"

#include <cstring>
#include <limits>

using namespace mlir;
using namespace trellis;
using namespace trellis::lowering;
using isa::Space;

namespace {

/// Per-partition SBUF bytes a convolution's input slabs may take (its
/// resident weights: tiling::kConvResidentWeightBytes).
constexpr int64_t kSlabBytes = 64 * 1024;
/// Free elements per vector-engine tile of a pool or batch norm.
constexpr int64_t kPoolTile = 2048;

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
/// floor(a / b) for b > 0 and any a.
int64_t floorDiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
int64_t eltBytes(Type t) { return std::max<int64_t>(1, t.getIntOrFloatBitWidth() / 8); }

/// A generalized 2-D convolution over an input that is first spread out by
/// `up` (the transposed convolution's stride) and padded by `pad` (which may
/// be negative: a crop). Output pixel (oh, ow), tap (kh, kw) reads spread
/// coordinate (oh * stride + kh * dil - pad) on each axis.
struct ConvGeom {
  int64_t n, c, h, w;       // input
  int64_t f, oh, ow;        // output
  int64_t kh, kw;           // kernel
  int64_t stride[2], dil[2], up[2], pad[2];
  int64_t group;
  /// Tap (i, j) uses w[.., kh-1-i, kw-1-j] (transposed convolution).
  bool flip;
  /// Element offset in w of (group g, input channel cl, output channel fl
  /// within the group, tap t = i * kw + j): g * gStride + cl * cStride +
  /// fl * fStride + t.
  int64_t gStride, cStride, fStride;
};

/// One set of channels computed together: the input channel tiles
/// contracted over and the output channel tiles produced, with the groups
/// they hold. Packed blocks hold several whole groups in one tile each
/// (block-diagonal weights); otherwise a block is one group.
struct ChannelBlock {
  int64_t g0, groups;                     // groups [g0, g0 + groups)
  SmallVector<std::pair<int64_t, int64_t>> cin, cout; // (first channel, count)
};

/// `cinTile`: input channels per tile (128, or 128 * ratio when sparse,
/// which never packs groups).
SmallVector<ChannelBlock> channelBlocks(const ConvGeom &g, int64_t cinTile) {
  int64_t cg = g.c / g.group, fg = g.f / g.group;
  SmallVector<ChannelBlock> blocks;
  if (cinTile == kPartitions && cg <= kPartitions && fg <= kPartitions) {
    int64_t per = std::min(kPartitions / cg, kPartitions / fg);
    for (int64_t g0 = 0; g0 < g.group; g0 += per) {
      int64_t k = std::min(per, g.group - g0);
      blocks.push_back({g0, k, {{g0 * cg, k * cg}}, {{g0 * fg, k * fg}}});
    }
    return blocks;
  }
  for (int64_t gi = 0; gi < g.group; ++gi) {
    ChannelBlock b{gi, 1, {}, {}};
    for (int64_t c0 = 0; c0 < cg; c0 += cinTile)
      b.cin.push_back({gi * cg + c0, std::min(cinTile, cg - c0)});
    for (int64_t f0 = 0; f0 < fg; f0 += kPartitions)
      b.cout.push_back({gi * fg + f0, std::min(kPartitions, fg - f0)});
    blocks.push_back(std::move(b));
  }
  return blocks;
}

/// Emits the tile ops of one convolution.
class ConvEmitter {
public:
  /// `outElt`: the result's element type; `inElt`: x's and w's (narrower
  /// under --auto-cast, the PE accumulating in fp32 all the same).
  /// `sparse`: the weights (constant, group 1) are N:M sparse along C.
  ConvEmitter(GraphLowering &L, Location loc, const ConvGeom &g, Type outElt, Type inElt,
              std::optional<sparsity::Pattern> sparse = std::nullopt)
      : L(L), b(L.b), loc(loc), g(g), outElt(outElt), inElt(inElt), sparse(sparse) {}

  /// `weightsHaveOneUse`: the graph op is the weights' only reader, so an
  /// HBM constant replaced by its packed copy may go. `residual` (optional,
  /// y's shape) is added after the bias, before the activation. `yCast`
  /// (optional, y's shape, another element type) receives y converted too.
  void emit(Value x, Value w, bool weightsHaveOneUse, Value bias, Value residual, Value y,
            graph::Activation act, Value yCast = Value());

private:
  GraphLowering &L;
  OpBuilder &b;
  Location loc;
  const ConvGeom &g;
  Type outElt, inElt;
  std::optional<sparsity::Pattern> sparse;
  /// Constant weights re-laid out as consecutive [cin, taps * cout] tiles,
  /// in channelBlocks order; null when the weights are computed. Sparse:
  /// compressed values [cin / ratio, taps * cout] and tag words
  /// [cin / ratio, taps * tagWords(cout)] per tile.
  Value packedWeights, packedTags;
  SmallVector<int64_t> packedOffsets, packedTagOffsets;
  /// Moving rows per slab partition (sparse: a group's worth of channels).
  int64_t ratio() const { return sparse ? sparse->ratio() : 1; }
  /// Kernel rows folded into the contraction: partition kh * Cin + c holds
  /// channel c shifted down by kh rows, so one matmul per kernel column
  /// contracts over KH * Cin partitions (few input channels, e.g. an
  /// image network's first layer). Weight tiles are then
  /// [KH * Cin, KW * Cout].
  bool rowPacked = false;
  /// Partitions and taps per weight tile.
  int64_t weightRows(int64_t cn) const { return rowPacked ? g.kh * cn : cn; }
  int64_t weightTaps() const { return rowPacked ? g.kw : taps(); }

  int64_t taps() const { return g.kh * g.kw; }
  int64_t groupOfIn(int64_t ci) const { return ci / (g.c / g.group); }
  int64_t groupOfOut(int64_t fi) const { return fi / (g.f / g.group); }
  /// Offset in w of the weight of (input channel ci, output channel fi,
  /// stored tap t); -1 when they are in different groups.
  int64_t weightOffset(int64_t ci, int64_t fi, int64_t t) const {
    int64_t gi = groupOfIn(ci);
    if (gi != groupOfOut(fi))
      return -1;
    return gi * g.gStride + (ci - gi * (g.c / g.group)) * g.cStride +
           (fi - gi * (g.f / g.group)) * g.fStride + t;
  }
  /// The stored tap a convolution tap reads.
  int64_t storedTap(int64_t i, int64_t j) const {
    return g.flip ? (g.kh - 1 - i) * g.kw + (g.kw - 1 - j) : i * g.kw + j;
  }

  void packConstantWeights(DenseElementsAttr dense, ArrayRef<ChannelBlock> blocks);
  void packSparseWeights(DenseElementsAttr dense, ArrayRef<ChannelBlock> blocks);
  /// A weight tile in SBUF: [cin, taps * cout], or sparse the compressed
  /// values and their tag words.
  struct WeightTile {
    Value values, tags;
  };
  WeightTile loadWeightTile(Value w, std::pair<int64_t, int64_t> ci,
                            std::pair<int64_t, int64_t> fo, int64_t packedIndex);
  Value loadSlab(Value x, int64_t n, std::pair<int64_t, int64_t> ci, int64_t oh0, int64_t rows,
                 int64_t ow0, int64_t cols, int64_t &slabCols);
  /// The row-packed slab: `kh` row-shifted copies of the window, one per
  /// partition block.
  Value loadRowPackedSlab(Value x, int64_t n, std::pair<int64_t, int64_t> ci, int64_t oh0,
                          int64_t rows, int64_t ow0, int64_t cols, int64_t &slabCols);
};

void ConvEmitter::packConstantWeights(DenseElementsAttr dense, ArrayRef<ChannelBlock> blocks) {
  int64_t eb = eltBytes(inElt);
  ArrayRef<char> raw = dense.getRawData();
  bool splat = dense.isSplat();
  std::vector<char> out;
  for (const ChannelBlock &blk : blocks)
    for (auto [c0, cn] : blk.cin)
      for (auto [f0, fn] : blk.cout) {
        packedOffsets.push_back(int64_t(out.size()) / eb);
        size_t base = out.size();
        out.resize(base + size_t(weightRows(cn) * weightTaps() * fn * eb), 0);
        for (int64_t ci = 0; ci < cn; ++ci)
          for (int64_t t = 0; t < taps(); ++t)
            for (int64_t fi = 0; fi < fn; ++fi) {
              int64_t off = weightOffset(c0 + ci, f0 + fi, t);
              if (off < 0)
                continue;
              // Row-packed: partition kh * cn + ci, tap column kw.
              int64_t row = rowPacked ? (t / g.kw) * cn + ci : ci;
              int64_t col = rowPacked ? t % g.kw : t;
              std::memcpy(out.data() + base + ((row * weightTaps() + col) * fn + fi) * eb,
                          raw.data() + (splat ? 0 : off * eb), eb);
            }
      }
  auto type = RankedTensorType::get({int64_t(out.size()) / eb}, inElt);
  packedWeights = tile::ConstantOp::create(b, loc, L.hbmType(type.getShape(), inElt),
                                           DenseElementsAttr::getFromRawBuffer(type, out));
}

/// Each tile's taps compressed one by one: tap t's [cn, fn] stationary
/// becomes values columns [t * fn, ...) and tag words [t * tagWords(fn), ...).
void ConvEmitter::packSparseWeights(DenseElementsAttr dense, ArrayRef<ChannelBlock> blocks) {
  std::vector<float> raw;
  raw.reserve(size_t(dense.getNumElements()));
  for (APFloat v : dense.getValues<APFloat>())
    raw.push_back(v.convertToFloat());
  auto &sem = cast<FloatType>(inElt).getFloatSemantics();
  SmallVector<APFloat> values;
  SmallVector<APInt> tags;
  std::vector<float> m;
  for (const ChannelBlock &blk : blocks)
    for (auto [c0, cn] : blk.cin)
      for (auto [f0, fn] : blk.cout) {
        int64_t kc = cn / ratio(), tw = sparsity::tagWords(fn);
        packedOffsets.push_back(int64_t(values.size()));
        packedTagOffsets.push_back(int64_t(tags.size()));
        size_t vBase = values.size(), tBase = tags.size();
        values.append(size_t(kc * taps() * fn), APFloat::getZero(sem));
        tags.append(size_t(kc * taps() * tw), APInt(16, 0));
        for (int64_t t = 0; t < taps(); ++t) {
          m.assign(size_t(cn * fn), 0.0f);
          for (int64_t ci = 0; ci < cn; ++ci)
            for (int64_t fi = 0; fi < fn; ++fi)
              m[ci * fn + fi] = raw[weightOffset(c0 + ci, f0 + fi, t)];
          // The pass checked the sparsity; the elements convert back exactly.
          sparsity::Compressed c = sparsity::compress(m.data(), cn, fn, *sparse);
          for (int64_t r = 0; r < kc; ++r) {
            for (int64_t fi = 0; fi < fn; ++fi) {
              APFloat a(c.values[r * fn + fi]);
              bool lost;
              a.convert(sem, APFloat::rmNearestTiesToEven, &lost);
              values[vBase + (r * taps() + t) * fn + fi] = a;
            }
            for (int64_t wi = 0; wi < tw; ++wi)
              tags[tBase + (r * taps() + t) * tw + wi] = APInt(16, c.tags[r * tw + wi]);
          }
        }
      }
  auto vType = RankedTensorType::get({int64_t(values.size())}, inElt);
  packedWeights = tile::ConstantOp::create(b, loc, L.hbmType(vType.getShape(), inElt),
                                           DenseElementsAttr::get(vType, values));
  Type i16 = b.getIntegerType(16);
  auto tType = RankedTensorType::get({int64_t(tags.size())}, i16);
  packedTags = tile::ConstantOp::create(b, loc, L.hbmType(tType.getShape(), i16),
                                        DenseElementsAttr::get(tType, tags));
}

/// The weights of input channels `ci` and output channels `fo` as an SBUF
/// tile [cin, taps * cout]: tap t's stationary is columns [t * cout, ...).
ConvEmitter::WeightTile ConvEmitter::loadWeightTile(Value w, std::pair<int64_t, int64_t> ci,
                                                    std::pair<int64_t, int64_t> fo,
                                                    int64_t packedIndex) {
  auto [c0, cn] = ci;
  auto [f0, fn] = fo;
  if (sparse) {
    int64_t kc = cn / ratio(), cols = taps() * fn, tw = taps() * sparsity::tagWords(fn);
    Value vals = L.alloc(loc, {kc, cols}, inElt, Space::sbuf);
    tile::LoadOp::create(b, loc, vals, L.full(kc, cols), packedWeights,
                         L.view(0, kc, cols, packedOffsets[packedIndex], {cols}, {1}));
    Value tags = L.alloc(loc, {kc, tw}, b.getIntegerType(16), Space::sbuf);
    tile::LoadOp::create(b, loc, tags, L.full(kc, tw), packedTags,
                         L.view(0, kc, tw, packedTagOffsets[packedIndex], {tw}, {1}));
    return {vals, tags};
  }
  if (packedWeights) {
    int64_t rows = weightRows(cn), cols = weightTaps() * fn;
    Value tileBuf = L.alloc(loc, {rows, cols}, inElt, Space::sbuf);
    tile::LoadOp::create(b, loc, tileBuf, L.full(rows, cols), packedWeights,
                         L.view(0, rows, cols, packedOffsets[packedIndex], {cols}, {1}));
    return {tileBuf, Value()};
  }
  Value tileBuf = L.alloc(loc, {cn, taps() * fn}, inElt, Space::sbuf);
  // Computed weights: one DMA per group in the tile; the rest is zero.
  int64_t cg = g.c / g.group, fg = g.f / g.group;
  bool blockDiagonal = groupOfIn(c0) != groupOfIn(c0 + cn - 1);
  if (blockDiagonal)
    tile::MemsetOp::create(b, loc, tileBuf, L.full(cn, taps() * fn), b.getF32FloatAttr(0.0f),
                           nullptr);
  for (int64_t gi = groupOfIn(c0); gi <= groupOfIn(c0 + cn - 1); ++gi) {
    int64_t cLo = std::max(c0, gi * cg), cHi = std::min(c0 + cn, (gi + 1) * cg);
    int64_t fLo = std::max(f0, gi * fg), fHi = std::min(f0 + fn, (gi + 1) * fg);
    if (cLo >= cHi || fLo >= fHi)
      continue;
    tile::LoadOp::create(b, loc, tileBuf,
                         L.view(cLo - c0, cHi - cLo, 0, fLo - f0, {taps(), fHi - fLo}, {fn, 1}),
                         w,
                         L.view(0, cHi - cLo, g.cStride, weightOffset(cLo, fLo, 0),
                                {taps(), fHi - fLo}, {1, g.fStride}));
  }
  return {tileBuf, Value()};
}

/// Loads the input window of output rows [oh0, oh0 + rows) x columns
/// [ow0, ow0 + cols) of image n, channels `ci`, into an SBUF slab in spread
/// coordinates, zero where there is padding or spreading. Sparse: partition
/// p holds channels c0 + p * ratio + s, s < ratio, plane after plane.
Value ConvEmitter::loadSlab(Value x, int64_t n, std::pair<int64_t, int64_t> ci, int64_t oh0,
                            int64_t rows, int64_t ow0, int64_t cols, int64_t &slabCols) {
  auto [c0, cn] = ci;
  int64_t first[2], extent[2], lo[2], hi[2];
  int64_t o0[2] = {oh0, ow0}, cnt[2] = {rows, cols}, k[2] = {g.kh, g.kw}, in[2] = {g.h, g.w};
  bool full = true;
  for (int a = 0; a < 2; ++a) {
    first[a] = o0[a] * g.stride[a] - g.pad[a];
    extent[a] = (cnt[a] - 1) * g.stride[a] + (k[a] - 1) * g.dil[a] + 1;
    int64_t last = first[a] + extent[a] - 1;
    lo[a] = std::max<int64_t>(0, ceilDiv(std::max<int64_t>(first[a], 0), g.up[a]));
    hi[a] = std::min(in[a] - 1, floorDiv(last, g.up[a]));
    full = full && g.up[a] == 1 && lo[a] == first[a] && hi[a] == last;
  }
  slabCols = extent[1];
  int64_t plane = extent[0] * extent[1], r = ratio(), parts = cn / r;
  Value slab = L.alloc(loc, {parts, r * plane}, inElt, Space::sbuf);
  if (!full)
    tile::MemsetOp::create(b, loc, slab, L.full(parts, r * plane), b.getF32FloatAttr(0.0f),
                           nullptr);
  if (lo[0] <= hi[0] && lo[1] <= hi[1]) {
    int64_t nr = hi[0] - lo[0] + 1, nc = hi[1] - lo[1] + 1;
    SmallVector<int64_t> dSizes{nr, nc}, dStrides{g.up[0] * extent[1], g.up[1]};
    SmallVector<int64_t> sSizes{nr, nc}, sStrides{g.w, 1};
    if (sparse) {
      dSizes.insert(dSizes.begin(), r);
      dStrides.insert(dStrides.begin(), plane);
      sSizes.insert(sSizes.begin(), r);
      sStrides.insert(sStrides.begin(), g.h * g.w);
    }
    tile::LoadOp::create(
        b, loc, slab,
        L.view(0, parts, 0, (lo[0] * g.up[0] - first[0]) * extent[1] + lo[1] * g.up[1] - first[1],
               dSizes, dStrides),
        x, L.view(0, parts, r * g.h * g.w, ((n * g.c + c0) * g.h + lo[0]) * g.w + lo[1], sSizes,
                  sStrides));
  }
  return slab;
}

Value ConvEmitter::loadRowPackedSlab(Value x, int64_t n, std::pair<int64_t, int64_t> ci,
                                     int64_t oh0, int64_t rows, int64_t ow0, int64_t cols,
                                     int64_t &slabCols) {
  auto [c0, cn] = ci;
  int64_t extRows = (rows - 1) * g.stride[0] + 1;
  int64_t firstCol = ow0 * g.stride[1] - g.pad[1];
  int64_t extCols = (cols - 1) * g.stride[1] + (g.kw - 1) * g.dil[1] + 1;
  int64_t loCol = std::max<int64_t>(0, firstCol);
  int64_t hiCol = std::min(g.w - 1, firstCol + extCols - 1);
  slabCols = extCols;
  Value slab = L.alloc(loc, {g.kh * cn, extRows * extCols}, inElt, Space::sbuf);
  bool full = loCol == firstCol && hiCol == firstCol + extCols - 1;
  for (int64_t i = 0; i < g.kh; ++i) {
    int64_t firstRow = oh0 * g.stride[0] - g.pad[0] + i * g.dil[0];
    full = full && firstRow >= 0 && firstRow + extRows - 1 <= g.h - 1;
  }
  if (!full)
    tile::MemsetOp::create(b, loc, slab, L.full(g.kh * cn, extRows * extCols),
                           b.getF32FloatAttr(0.0f), nullptr);
  for (int64_t i = 0; i < g.kh; ++i) {
    int64_t firstRow = oh0 * g.stride[0] - g.pad[0] + i * g.dil[0];
    int64_t loRow = std::max<int64_t>(0, firstRow);
    int64_t hiRow = std::min(g.h - 1, firstRow + extRows - 1);
    if (loRow > hiRow || loCol > hiCol)
      continue;
    int64_t nr = hiRow - loRow + 1, nc = hiCol - loCol + 1;
    tile::LoadOp::create(
        b, loc, slab,
        L.view(i * cn, cn, 0, (loRow - firstRow) * extCols + loCol - firstCol, {nr, nc},
               {extCols, 1}),
        x, L.view(0, cn, g.h * g.w, ((n * g.c + c0) * g.h + loRow) * g.w + loCol, {nr, nc},
                  {g.w, 1}));
  }
  return slab;
}

void ConvEmitter::emit(Value x, Value w, bool weightsHaveOneUse, Value bias, Value residual,
                       Value y, graph::Activation act, Value yCast) {
  Type f32 = b.getF32Type();
  SmallVector<ChannelBlock> blocks = channelBlocks(g, kPartitions * ratio());
  auto constant = w.getDefiningOp<tile::ConstantOp>();
  rowPacked = !sparse && constant && llvm::isa<DenseElementsAttr>(constant.getValue()) &&
              g.group == 1 && g.up[0] == 1 && g.up[1] == 1 && g.kh > 1 &&
              g.c * g.kh <= kPartitions;
  if (auto c = constant)
    if (auto dense = dyn_cast<DenseElementsAttr>(c.getValue())) {
      if (sparse)
        packSparseWeights(dense, blocks);
      else
        packConstantWeights(dense, blocks);
      // Keep one copy of the weights in HBM when no other op reads them.
      if (weightsHaveOneUse && c->use_empty())
        c.erase();
    }

  // Output tiles: rows x cols pixels, at most one PSUM bank, with input
  // slabs within the budget.
  int64_t cols = std::min(g.ow, kMovingMax);
  int64_t rows = std::max<int64_t>(1, std::min(g.oh, kMovingMax / cols));
  int64_t maxCinTiles = 0;
  for (const ChannelBlock &blk : blocks)
    maxCinTiles = std::max<int64_t>(maxCinTiles, blk.cin.size());
  auto slabBytes = [&](int64_t r, int64_t c) {
    int64_t er = (r - 1) * g.stride[0] + (rowPacked ? 0 : (g.kh - 1) * g.dil[0]) + 1;
    int64_t ec = (c - 1) * g.stride[1] + (g.kw - 1) * g.dil[1] + 1;
    return er * ec * eltBytes(inElt) * maxCinTiles * ratio();
  };
  while (rows > 1 && slabBytes(rows, cols) > kSlabBytes)
    --rows;
  while (cols > 1 && slabBytes(rows, cols) > kSlabBytes)
    cols = ceilDiv(cols, 2);

  int64_t packedIndex = 0;
  isa::ActFunc func = L.actFuncOf(act);
  for (const ChannelBlock &blk : blocks) {
    int64_t blockFirstPacked = packedIndex;
    packedIndex += blk.cin.size() * blk.cout.size();
    int64_t weightBytes = 0;
    for (auto [f0, fn] : blk.cout)
      weightBytes += blk.cin.size() * weightTaps() *
                     (fn * eltBytes(inElt) + (sparse ? sparsity::tagWords(fn) * 2 : 0));
    bool resident = weightBytes <= tiling::kConvResidentWeightBytes;
    auto weightTile = [&](size_t ii, size_t oi) {
      return loadWeightTile(w, blk.cin[ii], blk.cout[oi],
                            blockFirstPacked + ii * blk.cout.size() + oi);
    };
    SmallVector<SmallVector<WeightTile>> weights;
    if (resident)
      for (size_t ii = 0; ii < blk.cin.size(); ++ii) {
        weights.emplace_back();
        for (size_t oi = 0; oi < blk.cout.size(); ++oi)
          weights.back().push_back(weightTile(ii, oi));
      }
    SmallVector<Value> biasCols;
    if (bias)
      for (auto [f0, fn] : blk.cout) {
        // The bias column has the bias's type (a DMA copies bytes).
        Value col = L.alloc(loc, {fn, 1}, cast<MemRefType>(bias.getType()).getElementType(),
                            Space::sbuf);
        tile::LoadOp::create(b, loc, col, L.full(fn, 1), bias, L.view(0, fn, 1, f0, {1}, {1}));
        biasCols.push_back(col);
      }

    for (int64_t n = 0; n < g.n; ++n)
      for (int64_t oh0 = 0; oh0 < g.oh; oh0 += rows)
        for (int64_t ow0 = 0; ow0 < g.ow; ow0 += cols) {
          int64_t nr = std::min(rows, g.oh - oh0), nc = std::min(cols, g.ow - ow0);
          SmallVector<Value> slabs;
          int64_t slabCols = 0;
          for (auto ci : blk.cin)
            slabs.push_back(rowPacked
                                ? loadRowPackedSlab(x, n, ci, oh0, nr, ow0, nc, slabCols)
                                : loadSlab(x, n, ci, oh0, nr, ow0, nc, slabCols));
          for (auto [oi, fo] : llvm::enumerate(blk.cout)) {
            auto [f0, fn] = fo;
            Value psum = L.alloc(loc, {fn, nr * nc}, f32, Space::psum);
            bool start = true;
            for (auto [ii, ci] : llvm::enumerate(blk.cin)) {
              WeightTile wtile = resident ? weights[ii][oi] : weightTile(ii, oi);
              Value wt = wtile.values;
              if (sparse) {
                // Per tap: compressed [kc, fn] stationary, moving [kc, ratio,
                // pixels] (partition p, slot s: channel p * ratio + s).
                int64_t kc = ci.second / ratio(), tw = sparsity::tagWords(fn);
                int64_t plane = ((nr - 1) * g.stride[0] + (g.kh - 1) * g.dil[0] + 1) * slabCols;
                for (int64_t i = 0; i < g.kh; ++i)
                  for (int64_t j = 0; j < g.kw; ++j) {
                    int64_t t = storedTap(i, j);
                    tile::SparseMatmulOp::create(
                        b, loc, psum, L.full(fn, nr * nc), wt, L.view(0, kc, 0, t * fn, {fn}, {1}),
                        wtile.tags, L.view(0, kc, 0, t * tw, {tw}, {1}), slabs[ii],
                        L.view(0, kc, 0, i * g.dil[0] * slabCols + j * g.dil[1],
                               {ratio(), nr, nc}, {plane, g.stride[0] * slabCols, g.stride[1]}),
                        sparse->keep, sparse->group, start);
                    start = false;
                  }
                continue;
              }
              if (rowPacked) {
                // One matmul per kernel column over all kernel rows.
                int64_t k = weightRows(ci.second);
                for (int64_t j = 0; j < g.kw; ++j) {
                  tile::MatmulOp::create(
                      b, loc, psum, L.full(fn, nr * nc), wt, L.view(0, k, 0, j * fn, {fn}, {1}),
                      slabs[ii],
                      L.view(0, k, 0, j * g.dil[1], {nr, nc},
                             {g.stride[0] * slabCols, g.stride[1]}),
                      start);
                  start = false;
                }
                continue;
              }
              for (int64_t i = 0; i < g.kh; ++i)
                for (int64_t j = 0; j < g.kw; ++j) {
                  tile::MatmulOp::create(
                      b, loc, psum, L.full(fn, nr * nc), wt,
                      L.view(0, ci.second, 0, storedTap(i, j) * fn, {fn}, {1}), slabs[ii],
                      L.view(0, ci.second, 0, i * g.dil[0] * slabCols + j * g.dil[1],
                             {nr, nc}, {g.stride[0] * slabCols, g.stride[1]}),
                      start);
                  start = false;
                }
            }
            Value out = L.alloc(loc, {fn, nr * nc}, outElt, Space::sbuf);
            Value biasCol = bias ? biasCols[oi] : Value();
            // This tile's pixels of an [N, F, OH, OW] tensor.
            tile::ViewAttr pixels =
                L.view(0, fn, g.oh * g.ow, ((n * g.f + f0) * g.oh + oh0) * g.ow + ow0, {nr, nc},
                       {g.ow, 1});
            auto evict = [&](isa::ActFunc f, Value dst) {
              tile::ActivationOp::create(b, loc, L.actFunc(f), dst, L.full(fn, nr * nc), psum,
                                         L.full(fn, nr * nc), biasCol,
                                         biasCol ? L.full(fn, 1) : tile::ViewAttr(),
                                         b.getF32FloatAttr(1.0f), Value(), tile::ViewAttr());
            };
            if (!residual) {
              evict(func, out);
            } else {
              // ((conv + bias) + residual), then the activation: the
              // unfused ops' order and fp32 roundings.
              Value r = L.alloc(loc, {fn, nr * nc},
                                cast<MemRefType>(residual.getType()).getElementType(),
                                Space::sbuf);
              tile::LoadOp::create(b, loc, r, L.full(fn, nr * nc), residual, pixels);
              Value sum = func == isa::ActFunc::identity
                              ? out
                              : L.alloc(loc, {fn, nr * nc}, f32, Space::sbuf);
              Value t = L.alloc(loc, {fn, nr * nc}, f32, Space::sbuf);
              evict(isa::ActFunc::identity, t);
              tile::TensorTensorOp::create(b, loc, L.alu(isa::AluOp::add), sum,
                                           L.full(fn, nr * nc), t, L.full(fn, nr * nc), r,
                                           L.full(fn, nr * nc), nullptr);
              if (sum != out)
                tile::ActivationOp::create(b, loc, L.actFunc(func), out, L.full(fn, nr * nc), sum,
                                           L.full(fn, nr * nc), Value(), tile::ViewAttr(),
                                           b.getF32FloatAttr(1.0f), Value(), tile::ViewAttr());
            }
            tile::StoreOp::create(b, loc, y, pixels, out, L.full(fn, nr * nc));
            if (yCast) {
              // The converted copy, on the GpSimd engine (SBUF to SBUF),
              // which the convolution leaves idle.
              Value c = L.alloc(loc, {fn, nr * nc},
                                cast<MemRefType>(yCast.getType()).getElementType(), Space::sbuf);
              tile::CopyOp::create(b, loc, c, L.full(fn, nr * nc), out, L.full(fn, nr * nc),
                                   tile::EngineKindAttr::get(b.getContext(),
                                                             isa::EngineKind::pool));
              tile::StoreOp::create(b, loc, yCast, pixels, c, L.full(fn, nr * nc));
            }
          }
        }
  }
}

} // namespace

/// The N:M pattern --trellis-sparsity marked a convolution with, checked
/// against what the conv tiler runs sparse: group 1, a constant float
/// weight N:M sparse along C for every (output channel, tap), C whole
/// groups. std::nullopt when the op is not marked.
static FailureOr<std::optional<sparsity::Pattern>> sparsePattern(graph::Conv2DOp op,
                                                                 const ConvGeom &g) {
  auto mark = op->getAttrOfType<StringAttr>("trellis.sparsity");
  if (!mark)
    return std::optional<sparsity::Pattern>();
  auto p = sparsity::parsePattern(mark.getValue());
  if (!p)
    return op->emitOpError("trellis.sparsity: ") << llvm::toString(p.takeError());
  auto cst = op.getW().getDefiningOp<graph::ConstantOp>();
  auto dense = cst ? dyn_cast<DenseElementsAttr>(cst.getValue()) : DenseElementsAttr();
  if (!dense || !mlir::isa<FloatType>(dense.getElementType()))
    return op->emitOpError("trellis.sparsity needs a constant float weight");
  if (g.group != 1)
    return op->emitOpError("trellis.sparsity needs group 1, not ") << g.group;
  if (g.c % p->group)
    return op->emitOpError("trellis.sparsity: C = ")
           << g.c << " is not a multiple of " << p->group;
  std::vector<float> w;
  w.reserve(size_t(dense.getNumElements()));
  for (APFloat v : dense.getValues<APFloat>())
    w.push_back(v.convertToFloat());
  // Per output channel f, w[f] is the row-major [C, KH * KW].
  int64_t taps = g.kh * g.kw;
  for (int64_t f = 0; f < g.f; ++f)
    if (!sparsity::isSparse(w.data() + f * g.c * taps, g.c, taps, *p))
      return op->emitOpError("weight is not ")
             << p->str() << " sparse along C (output channel " << f << ")";
  return std::optional<sparsity::Pattern>(*p);
}

static LogicalResult lowerConv2D(graph::Conv2DOp op, GraphLowering &L) {
  if (failed(L.requireFloat(op, op.getResult())))
    return failure();
  Location loc = tagLoc(op);
  ArrayRef<int64_t> xs = L.shapeOf(op.getX()), ws = L.shapeOf(op.getW()),
                    ys = L.shapeOf(op.getResult());
  ConvGeom g{};
  g.n = xs[0], g.c = xs[1], g.h = xs[2], g.w = xs[3];
  g.f = ys[1], g.oh = ys[2], g.ow = ys[3];
  g.kh = ws[2], g.kw = ws[3];
  for (int a = 0; a < 2; ++a) {
    g.stride[a] = op.getStrides()[a];
    g.dil[a] = op.getDilations()[a];
    g.up[a] = 1;
    g.pad[a] = op.getPads()[a];
  }
  g.group = op.getGroup();
  g.flip = false;
  int64_t cg = g.c / g.group, fg = g.f / g.group, t = g.kh * g.kw;
  g.gStride = fg * cg * t;
  g.cStride = t;
  g.fStride = cg * t;
  auto sparse = sparsePattern(op, g);
  if (failed(sparse))
    return failure();
  Value y = L.defineResult(loc, op.getResult()).buffer;
  ConvEmitter(L, loc, g, L.eltOf(op.getResult()), L.eltOf(op.getX()), *sparse)
      .emit(L.buffer(op.getX()), L.buffer(op.getW()), op.getW().hasOneUse(),
            op.getBias() ? L.buffer(op.getBias()) : Value(),
            op.getResidual() ? L.buffer(op.getResidual()) : Value(), y, op.getActivation(),
            defineCastOfResult(L, loc, op.getResult()));
  return success();
}

static LogicalResult lowerConvTranspose2D(graph::ConvTranspose2DOp op, GraphLowering &L) {
  if (failed(L.requireFloat(op, op.getResult())))
    return failure();
  Location loc = tagLoc(op);
  ArrayRef<int64_t> xs = L.shapeOf(op.getX()), ws = L.shapeOf(op.getW()),
                    ys = L.shapeOf(op.getResult());
  ConvGeom g{};
  g.n = xs[0], g.c = xs[1], g.h = xs[2], g.w = xs[3];
  g.f = ys[1], g.oh = ys[2], g.ow = ys[3];
  g.kh = ws[2], g.kw = ws[3];
  int64_t k[2] = {g.kh, g.kw};
  for (int a = 0; a < 2; ++a) {
    g.stride[a] = 1;
    g.dil[a] = op.getDilations()[a];
    g.up[a] = op.getStrides()[a];
    g.pad[a] = (k[a] - 1) * g.dil[a] - op.getPads()[a];
  }
  g.group = op.getGroup();
  g.flip = true;
  int64_t cg = g.c / g.group, fg = g.f / g.group, t = g.kh * g.kw;
  g.gStride = cg * fg * t;
  g.cStride = fg * t;
  g.fStride = t;
  Value y = L.defineResult(loc, op.getResult()).buffer;
  ConvEmitter(L, loc, g, L.eltOf(op.getResult()), L.eltOf(op.getX()))
      .emit(L.buffer(op.getX()), L.buffer(op.getW()), op.getW().hasOneUse(),
            op.getBias() ? L.buffer(op.getBias()) : Value(), Value(), y,
            graph::Activation::none);
  return success();
}

//===----------------------------------------------------------------------===//
// Pools
//===----------------------------------------------------------------------===//

/// A constant of element type `elt` holding `values`.
static Value floatConstant(GraphLowering &L, Location loc, ArrayRef<float> values, Type elt) {
  auto type = RankedTensorType::get({int64_t(values.size())}, elt);
  auto &sem = cast<FloatType>(elt).getFloatSemantics();
  SmallVector<APFloat> apValues;
  for (float v : values) {
    APFloat ap(v);
    bool lost;
    ap.convert(sem, APFloat::rmNearestTiesToEven, &lost);
    apValues.push_back(ap);
  }
  return tile::ConstantOp::create(L.b, loc, L.hbmType(type.getShape(), elt),
                                  DenseElementsAttr::get(type, apValues));
}

/// Global pools: each plane reduced along its free axis.
static void lowerGlobalPool(graph::Pool2DOp op, GraphLowering &L, Location loc, Value x,
                            Value y, Type elt) {
  OpBuilder &b = L.b;
  ArrayRef<int64_t> xs = L.shapeOf(op.getX());
  int64_t planes = xs[0] * xs[1], hw = xs[2] * xs[3];
  bool isMax = op.getKind() == graph::PoolKind::max;
  isa::AluOp alu = isMax ? isa::AluOp::max : isa::AluOp::add;
  Type f32 = b.getF32Type();
  for (int64_t p0 = 0; p0 < planes; p0 += kPartitions) {
    int64_t np = std::min(kPartitions, planes - p0);
    Value acc = L.alloc(loc, {np, 1}, f32, Space::sbuf);
    for (int64_t s0 = 0; s0 < hw; s0 += kPoolTile) {
      int64_t ns = std::min(kPoolTile, hw - s0);
      Value t = L.alloc(loc, {np, ns}, elt, Space::sbuf);
      tile::LoadOp::create(b, loc, t, L.full(np, ns), x,
                           L.view(0, np, hw, p0 * hw + s0, {ns}, {1}));
      Value part = s0 == 0 ? acc : L.alloc(loc, {np, 1}, f32, Space::sbuf);
      tile::TensorReduceOp::create(b, loc, L.alu(alu), part, L.full(np, 1), t, L.full(np, ns),
                                   nullptr);
      if (s0 != 0)
        L.emitTensorTensor(loc, alu, acc, acc, part, np, 1);
    }
    Value out = L.alloc(loc, {np, 1}, elt, Space::sbuf);
    if (isMax)
      tile::CopyOp::create(b, loc, out, L.full(np, 1), acc, L.full(np, 1), nullptr);
    else
      L.emitTensorScalar(loc, isa::AluOp::mult, 1.0f / float(hw), isa::AluOp::bypass, 0.0f, out,
                         acc, np, 1);
    tile::StoreOp::create(b, loc, y, L.view(0, np, 1, p0, {1}, {1}), out, L.full(np, 1));
  }
}

static LogicalResult lowerPool2D(graph::Pool2DOp op, GraphLowering &L) {
  // A max of 8-bit integers is exact on the fp32 datapath.
  bool intMax = op.getKind() == graph::PoolKind::max && L.eltOf(op.getResult()).isInteger(8);
  if (failed(intMax ? L.requireMachineType(op, op.getResult())
                    : L.requireFloat(op, op.getResult())))
    return failure();
  OpBuilder &b = L.b;
  Location loc = tagLoc(op);
  Type elt = L.eltOf(op.getResult());
  ArrayRef<int64_t> xs = L.shapeOf(op.getX()), ys = L.shapeOf(op.getResult());
  ArrayRef<int64_t> k = op.getKernel(), s = op.getStrides(), p = op.getPads(),
                    d = op.getDilations();
  Value x = L.buffer(op.getX());
  Value y = L.defineResult(loc, op.getResult()).buffer;
  int64_t h = xs[2], w = xs[3], oh = ys[2], ow = ys[3];
  if (oh == 1 && ow == 1 && k[0] == h && k[1] == w && llvm::all_of(p, [](int64_t v) { return v == 0; })) {
    lowerGlobalPool(op, L, loc, x, y, elt);
    return success();
  }
  bool isMax = op.getKind() == graph::PoolKind::max;
  isa::AluOp alu = isMax ? isa::AluOp::max : isa::AluOp::add;

  // Reciprocal window counts of an average (they vary at the borders).
  Value recip;
  float uniform = 0.0f;
  if (!isMax) {
    SmallVector<float> counts;
    bool same = true;
    int64_t in[2] = {h, w}, o[2];
    for (int64_t i = 0; i < oh; ++i)
      for (int64_t j = 0; j < ow; ++j) {
        o[0] = i, o[1] = j;
        int64_t cnt = 1;
        for (int a = 0; a < 2; ++a) {
          int64_t lo = op.getCountIncludePad() ? -p[a] : 0;
          int64_t hi = op.getCountIncludePad() ? in[a] + p[a + 2] : in[a];
          int64_t inside = 0;
          for (int64_t t = 0; t < k[a]; ++t) {
            int64_t pos = o[a] * s[a] + t * d[a] - p[a];
            inside += pos >= lo && pos < hi;
          }
          cnt *= inside;
        }
        counts.push_back(1.0f / float(cnt));
        same = same && counts.back() == counts.front();
      }
    if (same)
      uniform = counts.front();
    else
      recip = floatConstant(L, loc, counts, elt);
  }

  int64_t planes = xs[0] * xs[1];
  int64_t cols = std::min(ow, kPoolTile);
  int64_t rows = std::max<int64_t>(1, std::min(oh, kPoolTile / cols));
  auto extentOf = [&](int a, int64_t n) { return (n - 1) * s[a] + (k[a] - 1) * d[a] + 1; };
  while (rows > 1 && extentOf(0, rows) * extentOf(1, cols) * eltBytes(elt) > kSlabBytes)
    --rows;
  while (cols > 1 && extentOf(0, rows) * extentOf(1, cols) * eltBytes(elt) > kSlabBytes)
    cols = ceilDiv(cols, 2);
  // Padding never wins a max: -inf, or the integer type's minimum.
  float padValue = !isMax   ? 0.0f
                   : !intMax ? -std::numeric_limits<float>::infinity()
                   : elt.isUnsignedInteger() ? 0.0f
                                             : -128.0f;
  // Fewer planes than partitions (a stem's 64 channels): the output rows
  // are cut into `bands` equal bands side by side on the partitions, so a
  // vector instruction covers up to 128 lanes instead of 64. Each element
  // still sees the same taps in the same order.
  int64_t bands = 1;
  for (int64_t nb = std::min<int64_t>(kPartitions / std::max<int64_t>(planes, 1), oh); nb > 1; --nb)
    if (oh % nb == 0) {
      bands = nb;
      break;
    }
  int64_t bandRows = oh / bands;
  rows = std::min(rows, bandRows);
  for (int64_t p0 = 0; p0 < planes; p0 += kPartitions) {
    int64_t np = std::min(kPartitions, planes - p0);
    int64_t lanes = np * bands;
    for (int64_t oh0 = 0; oh0 < bandRows; oh0 += rows)
      for (int64_t ow0 = 0; ow0 < ow; ow0 += cols) {
        int64_t nr = std::min(rows, bandRows - oh0), nc = std::min(cols, ow - ow0);
        int64_t ext[2] = {extentOf(0, nr), extentOf(1, nc)}, in[2] = {h, w};
        Value slab = L.alloc(loc, {lanes, ext[0] * ext[1]}, elt, Space::sbuf);
        // Each band's window of the input, clipped to it; the slab is
        // padded first if any band's window reaches past the input.
        struct Window {
          int64_t first[2], lo[2], hi[2];
        };
        SmallVector<Window> windows;
        bool full = true;
        for (int64_t band = 0; band < bands; ++band) {
          Window win;
          win.first[0] = (band * bandRows + oh0) * s[0] - p[0];
          win.first[1] = ow0 * s[1] - p[1];
          for (int a = 0; a < 2; ++a) {
            win.lo[a] = std::max<int64_t>(0, win.first[a]);
            win.hi[a] = std::min(in[a] - 1, win.first[a] + ext[a] - 1);
            full = full && win.lo[a] == win.first[a] && win.hi[a] == win.first[a] + ext[a] - 1;
          }
          windows.push_back(win);
        }
        if (!full)
          tile::MemsetOp::create(b, loc, slab, L.full(lanes, ext[0] * ext[1]),
                                 b.getF32FloatAttr(padValue), nullptr);
        for (auto [band, win] : llvm::enumerate(windows))
          tile::LoadOp::create(
              b, loc, slab,
              L.view(int64_t(band) * np, np, 0,
                     (win.lo[0] - win.first[0]) * ext[1] + win.lo[1] - win.first[1],
                     {win.hi[0] - win.lo[0] + 1, win.hi[1] - win.lo[1] + 1}, {ext[1], 1}),
              x,
              L.view(0, np, h * w, (p0 * h + win.lo[0]) * w + win.lo[1],
                     {win.hi[0] - win.lo[0] + 1, win.hi[1] - win.lo[1] + 1}, {w, 1}));
        Value acc = L.alloc(loc, {lanes, nr * nc}, elt, Space::sbuf);
        auto tapView = [&](int64_t i, int64_t j) {
          return L.view(0, lanes, 0, i * d[0] * ext[1] + j * d[1], {nr, nc},
                        {s[0] * ext[1], s[1]});
        };
        tile::CopyOp::create(b, loc, acc, L.full(lanes, nr * nc), slab, tapView(0, 0), nullptr);
        for (int64_t i = 0; i < k[0]; ++i)
          for (int64_t j = 0; j < k[1]; ++j)
            if (i || j)
              tile::TensorTensorOp::create(b, loc, L.alu(alu), acc, L.full(lanes, nr * nc), acc,
                                           L.full(lanes, nr * nc), slab, tapView(i, j), nullptr);
        if (!isMax && !recip)
          L.emitTensorScalar(loc, isa::AluOp::mult, uniform, isa::AluOp::bypass, 0.0f, acc, acc,
                             lanes, nr * nc);
        for (int64_t band = 0; band < bands; ++band) {
          int64_t r0 = band * bandRows + oh0;
          tile::ViewAttr accView = L.view(band * np, np, 0, 0, {nr * nc}, {1});
          if (recip) {
            // The reciprocal window counts of this band's output pixels.
            Value r = L.alloc(loc, {np, nr * nc}, elt, Space::sbuf);
            tile::LoadOp::create(b, loc, r, L.full(np, nr * nc), recip,
                                 L.view(0, np, 0, r0 * ow + ow0, {nr, nc}, {ow, 1}));
            tile::TensorTensorOp::create(b, loc, L.alu(isa::AluOp::mult), acc, accView, acc,
                                         accView, r, L.full(np, nr * nc), nullptr);
          }
          tile::StoreOp::create(b, loc, y,
                                L.view(0, np, oh * ow, (p0 * oh + r0) * ow + ow0, {nr, nc},
                                       {ow, 1}),
                                acc, accView);
        }
      }
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Batch norm
//===----------------------------------------------------------------------===//

static LogicalResult lowerBatchNorm(graph::BatchNormOp op, GraphLowering &L) {
  if (failed(L.requireFloat(op, op.getResult())))
    return failure();
  OpBuilder &b = L.b;
  Location loc = tagLoc(op);
  Type elt = L.eltOf(op.getResult()), f32 = b.getF32Type();
  ArrayRef<int64_t> xs = L.shapeOf(op.getX());
  int64_t n = xs[0], c = xs[1], spatial = 1;
  for (int64_t dim : xs.drop_front(2))
    spatial *= dim;
  Value x = L.buffer(op.getX());
  Value y = L.defineResult(loc, op.getResult()).buffer;
  float eps = op.getEpsilon().convertToFloat();
  for (int64_t c0 = 0; c0 < c; c0 += kPartitions) {
    int64_t cn = std::min(kPartitions, c - c0);
    auto column = [&](Value v) {
      Value col = L.alloc(loc, {cn, 1}, f32, Space::sbuf);
      tile::LoadOp::create(b, loc, col, L.full(cn, 1), L.buffer(v),
                           L.view(0, cn, 1, c0, {1}, {1}));
      return col;
    };
    // a = scale / sqrt(var + eps); shift = bias - mean * a.
    Value scale = column(op.getScale()), shift = column(op.getBias()),
          mean = column(op.getMean()), var = column(op.getVar());
    L.emitTensorScalar(loc, isa::AluOp::add, eps, isa::AluOp::bypass, 0.0f, var, var, cn, 1);
    Value a = L.alloc(loc, {cn, 1}, f32, Space::sbuf);
    L.emitActivation(loc, isa::ActFunc::rsqrt, a, var, cn, 1);
    L.emitTensorTensor(loc, isa::AluOp::mult, a, a, scale, cn, 1);
    L.emitTensorTensor(loc, isa::AluOp::mult, mean, mean, a, cn, 1);
    L.emitTensorTensor(loc, isa::AluOp::subtract, shift, shift, mean, cn, 1);
    for (int64_t ni = 0; ni < n; ++ni)
      for (int64_t s0 = 0; s0 < spatial; s0 += kPoolTile) {
        int64_t ns = std::min(kPoolTile, spatial - s0);
        int64_t off = (ni * c + c0) * spatial + s0;
        Value t = L.alloc(loc, {cn, ns}, elt, Space::sbuf);
        tile::LoadOp::create(b, loc, t, L.full(cn, ns), x, L.view(0, cn, spatial, off, {ns}, {1}));
        // x * a (a broadcast along the free axis), then + shift on the
        // activation engine's bias column.
        tile::TensorTensorOp::create(b, loc, L.alu(isa::AluOp::mult), t, L.full(cn, ns), t,
                                     L.full(cn, ns), a, L.view(0, cn, 0, 0, {ns}, {0}), nullptr);
        tile::ActivationOp::create(b, loc, L.actFunc(isa::ActFunc::identity), t, L.full(cn, ns), t,
                                   L.full(cn, ns), shift, L.full(cn, 1), b.getF32FloatAttr(1.0f),
                                   Value(), tile::ViewAttr());
        tile::StoreOp::create(b, loc, y, L.view(0, cn, spatial, off, {ns}, {1}), t,
                              L.full(cn, ns));
      }
  }
  return success();
}

void trellis::lowering::registerConvLowerings(LoweringTable &t) {
  addLowering<graph::Conv2DOp>(t, lowerConv2D);
  addLowering<graph::ConvTranspose2DOp>(t, lowerConvTranspose2D);
  addLowering<graph::Pool2DOp>(t, lowerPool2D);
  addLowering<graph::BatchNormOp>(t, lowerBatchNorm);
}
