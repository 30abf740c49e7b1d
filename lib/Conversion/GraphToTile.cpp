//===- GraphToTile.cpp - Tile graph ops onto the machine ------------------===//
//
// A direct walk rather than a DialectConversion: every graph value becomes an
// HBM buffer, and each op emits the tile ops that compute its buffer from its
// operands' buffers (destination-passing style). See Passes.td for the
// mapping of matmuls onto the PE array.
//
//===----------------------------------------------------------------------===//

#include "trellis/Transforms/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/STLExtras.h"
#include <functional>

namespace trellis {
#define GEN_PASS_DEF_CONVERTGRAPHTOTILE
#include "trellis/Transforms/Passes.h.inc"
} // namespace trellis

using namespace mlir;
using namespace trellis;
using isa::Space;

namespace {

constexpr int64_t kPartitions = 128;
constexpr int64_t kMovingMax = 512;      // one PSUM bank of fp32
constexpr int64_t kFreeChunk = 2048;     // element-wise tile width per partition
/// SBUF bytes per partition the moving tiles of one row block may take when
/// hoisted out of the weight loop (a quarter of trn2's 224 KiB: the rest
/// holds weight, bias and output tiles in flight).
constexpr int64_t kHoistBytesPerPartition = 56 * 1024;

/// A strided view of an HBM buffer as an N-D array: element (i0, ..) lives at
/// offset + sum(i_d * strides[d]) (elements). Broadcast dims have stride 0.
struct Strided {
  Value buffer;
  int64_t offset = 0;
  SmallVector<int64_t> strides;
};

SmallVector<int64_t> rowMajorStrides(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t i = (int64_t)shape.size() - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

/// `buffer` (of shape `from`) broadcast to `to`, numpy style.
Strided broadcastTo(Value buffer, ArrayRef<int64_t> from, ArrayRef<int64_t> to) {
  Strided s{buffer, 0, SmallVector<int64_t>(to.size(), 0)};
  SmallVector<int64_t> own = rowMajorStrides(from);
  size_t lead = to.size() - from.size();
  for (size_t i = 0; i < from.size(); ++i)
    s.strides[lead + i] = from[i] == 1 && to[lead + i] != 1 ? 0 : own[i];
  return s;
}

class Lowering {
public:
  Lowering(OpBuilder &b) : b(b) {}

  MemRefType hbmType(ArrayRef<int64_t> shape, Type elt) {
    return tile::getBufferType(shape, elt, Space::hbm);
  }
  Value alloc(Location loc, ArrayRef<int64_t> shape, Type elt, Space space) {
    return tile::AllocOp::create(b, loc, tile::getBufferType(shape, elt, space));
  }
  tile::ViewAttr view(int64_t p0, int64_t np, int64_t ps, int64_t off, ArrayRef<int64_t> sizes,
                      ArrayRef<int64_t> strides) {
    return tile::ViewAttr::get(b.getContext(), p0, np, ps, off, sizes, strides);
  }
  tile::AluOpAttr alu(isa::AluOp op) { return tile::AluOpAttr::get(b.getContext(), op); }
  tile::ActFuncAttr actFunc(isa::ActFunc f) { return tile::ActFuncAttr::get(b.getContext(), f); }
  /// A whole [np, n] on-chip tile, contiguous per partition.
  tile::ViewAttr full(int64_t np, int64_t n) { return view(0, np, 0, 0, {n}, {1}); }

  /// y[M,N] = act(alpha * x[M,K] @ w[K,N] + beta * bias) with all operands
  /// given as strided 2-D views of HBM buffers. `bias` may be null.
  void emitLinear(Location loc, Strided x, Strided w, Strided *bias, Strided y, int64_t M,
                  int64_t K, int64_t N, float alpha, float beta, graph::Activation act,
                  Type elt) {
    Type f32 = b.getF32Type();
    // A bias that varies only along N is a per-partition column in the
    // transposed output: it rides on the PSUM-evicting activation.
    bool columnBias = bias && bias->strides[0] == 0;
    int64_t eltBytes = std::max<int64_t>(1, elt.getIntOrFloatBitWidth() / 8);
    int64_t kTiles = (K + kPartitions - 1) / kPartitions;
    for (int64_t m0 = 0; m0 < M; m0 += kMovingMax) {
      int64_t mt = std::min(kMovingMax, M - m0);
      // The moving tiles x[m0:m0+mt, :]^T are loaded once per row block and
      // reused by every weight tile, when they fit the budget; otherwise they
      // are reloaded next to each weight tile.
      bool hoist = kTiles * mt * eltBytes <= kHoistBytesPerPartition;
      auto loadMoving = [&](int64_t k0, int64_t kt) {
        Value xt = alloc(loc, {kt, mt}, elt, Space::sbuf);
        tile::LoadOp::create(b, loc, xt, full(kt, mt), x.buffer,
                             view(0, kt, x.strides[1],
                                  x.offset + m0 * x.strides[0] + k0 * x.strides[1], {mt},
                                  {x.strides[0]}));
        return xt;
      };
      SmallVector<Value> movingTiles;
      if (hoist)
        for (int64_t k0 = 0; k0 < K; k0 += kPartitions)
          movingTiles.push_back(loadMoving(k0, std::min(kPartitions, K - k0)));

      for (int64_t n0 = 0; n0 < N; n0 += kPartitions) {
        int64_t nt = std::min(kPartitions, N - n0);
        Value biasCol;
        if (columnBias) {
          biasCol = alloc(loc, {nt, 1}, elt, Space::sbuf);
          tile::LoadOp::create(b, loc, biasCol, full(nt, 1), bias->buffer,
                               view(0, nt, bias->strides[1], bias->offset + n0 * bias->strides[1],
                                    {1}, {1}));
          if (beta != 1.0f)
            tile::TensorScalarOp::create(b, loc, alu(isa::AluOp::mult), b.getF32FloatAttr(beta),
                                         alu(isa::AluOp::bypass), b.getF32FloatAttr(0), biasCol,
                                         full(nt, 1), biasCol, full(nt, 1), nullptr);
        }
        Value psum = alloc(loc, {nt, mt}, f32, Space::psum);
        for (int64_t k0 = 0, ki = 0; k0 < K; k0 += kPartitions, ++ki) {
          int64_t kt = std::min(kPartitions, K - k0);
          // Stationary: w[k0:k0+kt, n0:n0+nt], K on partitions.
          Value wt = alloc(loc, {kt, nt}, elt, Space::sbuf);
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
          Value bt = alloc(loc, {nt, mt}, elt, Space::sbuf);
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

  /// How an element-wise op produces one tile from its loaded inputs.
  using TileBody = function_ref<void(Value dst, ArrayRef<Value> srcs, int64_t np, int64_t n)>;

  /// Walks `shape` in tiles (partition axis: dim 0 of rank >= 2, chunks of
  /// 128; free axes: the rest, innermost in chunks of kFreeChunk), loads
  /// every input through its strided view, runs `body` and stores the result.
  void emitElementwise(Location loc, ArrayRef<int64_t> shape, ArrayRef<Strided> inputs,
                       Strided out, Type elt, TileBody body) {
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
            Value t = alloc(loc, {np, n}, elt, Space::sbuf);
            tile::LoadOp::create(b, loc, t, full(np, n), s.buffer, hbmView(s));
            srcs.push_back(t);
          }
          Value dst = alloc(loc, {np, n}, elt, Space::sbuf);
          body(dst, srcs, np, n);
          tile::StoreOp::create(b, loc, o.buffer, hbmView(o), dst, full(np, n));
        }
      }
    };
    rec(0);
  }

  /// dst = func(scale * src) on the activation engine, whole [np, n] tiles.
  void emitActivation(Location loc, isa::ActFunc func, Value dst, Value src, int64_t np,
                      int64_t n, float scale = 1.0f) {
    tile::ActivationOp::create(b, loc, actFunc(func), dst, full(np, n), src, full(np, n),
                               Value(), tile::ViewAttr(), b.getF32FloatAttr(scale), Value(),
                               tile::ViewAttr());
  }
  /// dst = (src op0 imm0) op1 imm1 on the vector engine.
  void emitTensorScalar(Location loc, isa::AluOp op0, float imm0, isa::AluOp op1, float imm1,
                        Value dst, Value src, int64_t np, int64_t n) {
    tile::TensorScalarOp::create(b, loc, alu(op0), b.getF32FloatAttr(imm0), alu(op1),
                                 b.getF32FloatAttr(imm1), dst, full(np, n), src, full(np, n),
                                 nullptr);
  }

  /// One tile of a graph.unary: a single activation-engine function where the
  /// engine has it, otherwise a few vector-engine steps.
  void emitUnary(Location loc, graph::UnaryOp op, Value dst, Value src, int64_t np, int64_t n,
                 Type elt) {
    using graph::UnaryKind;
    using isa::ActFunc;
    using isa::AluOp;
    float alpha = op.getAlpha() ? op.getAlpha()->convertToFloat() : 0.0f;
    float beta = op.getBeta() ? op.getBeta()->convertToFloat() : 0.0f;
    if (op.getKind() == UnaryKind::neg)
      return emitActivation(loc, ActFunc::identity, dst, src, np, n, -1.0f);
    // Functions the activation engine's table has: one instruction.
    std::optional<ActFunc> direct;
    switch (op.getKind()) {
    case UnaryKind::abs: direct = ActFunc::abs; break;
    case UnaryKind::exp: direct = ActFunc::exp; break;
    case UnaryKind::log: direct = ActFunc::log; break;
    case UnaryKind::sqrt: direct = ActFunc::sqrt; break;
    case UnaryKind::reciprocal: direct = ActFunc::reciprocal; break;
    case UnaryKind::tanh: direct = ActFunc::tanh; break;
    case UnaryKind::sigmoid: direct = ActFunc::sigmoid; break;
    case UnaryKind::erf: direct = ActFunc::erf; break;
    case UnaryKind::softplus: direct = ActFunc::softplus; break;
    default: break;
    }
    if (direct)
      return emitActivation(loc, *direct, dst, src, np, n);
    switch (op.getKind()) {
    case UnaryKind::leaky_relu: {
      // relu(x) + alpha * min(x, 0): right for any alpha, unlike max(x, alpha x).
      Value neg = alloc(loc, {np, n}, elt, Space::sbuf);
      emitTensorScalar(loc, AluOp::min, 0.0f, AluOp::mult, alpha, neg, src, np, n);
      emitActivation(loc, ActFunc::relu, dst, src, np, n);
      tile::TensorTensorOp::create(b, loc, alu(AluOp::add), dst, full(np, n), dst, full(np, n),
                                   neg, full(np, n), nullptr);
      return;
    }
    case UnaryKind::elu: {
      // relu(x) + alpha * (exp(min(x, 0)) - 1).
      Value neg = alloc(loc, {np, n}, elt, Space::sbuf);
      emitTensorScalar(loc, AluOp::min, 0.0f, AluOp::bypass, 0.0f, neg, src, np, n);
      emitActivation(loc, ActFunc::exp, neg, neg, np, n);
      emitTensorScalar(loc, AluOp::add, -1.0f, AluOp::mult, alpha, neg, neg, np, n);
      emitActivation(loc, ActFunc::relu, dst, src, np, n);
      tile::TensorTensorOp::create(b, loc, alu(AluOp::add), dst, full(np, n), dst, full(np, n),
                                   neg, full(np, n), nullptr);
      return;
    }
    case UnaryKind::hard_sigmoid:
      emitTensorScalar(loc, AluOp::mult, alpha, AluOp::add, beta, dst, src, np, n);
      emitTensorScalar(loc, AluOp::max, 0.0f, AluOp::min, 1.0f, dst, dst, np, n);
      return;
    case UnaryKind::affine:
      return emitTensorScalar(loc, AluOp::mult, alpha, AluOp::add, beta, dst, src, np, n);
    default:
      llvm_unreachable("handled by the activation-engine cases above");
    }
  }

  OpBuilder &b;
};

/// The vector-engine ALU op computing a graph.binary.
isa::AluOp aluFor(graph::BinaryKind kind) {
  switch (kind) {
  case graph::BinaryKind::sub:
    return isa::AluOp::subtract;
  case graph::BinaryKind::mul:
    return isa::AluOp::mult;
  case graph::BinaryKind::div:
    return isa::AluOp::divide;
  case graph::BinaryKind::max:
    return isa::AluOp::max;
  case graph::BinaryKind::min:
    return isa::AluOp::min;
  case graph::BinaryKind::pow:
    return isa::AluOp::pow;
  }
  llvm_unreachable("unknown binary kind");
}

/// Location of a tile op: the graph op's location, tagged with its name, so
/// that the artifact's debug table can name graph op and ONNX node.
Location tagLoc(Operation *op) {
  return FusedLoc::get(op->getContext(), {op->getLoc()},
                       StringAttr::get(op->getContext(), op->getName().getStringRef()));
}

struct ConvertGraphToTilePass
    : public trellis::impl::ConvertGraphToTileBase<ConvertGraphToTilePass> {
  void runOnOperation() override {
    SmallVector<func::FuncOp> funcs(getOperation().getOps<func::FuncOp>());
    for (func::FuncOp f : funcs)
      if (failed(convertFunc(f)))
        return signalPassFailure();
  }

  LogicalResult convertFunc(func::FuncOp f) {
    MLIRContext *ctx = f.getContext();
    OpBuilder b(ctx);
    Lowering L(b);
    FunctionType type = f.getFunctionType();
    SmallVector<Type> argTypes;
    for (Type t : llvm::concat<const Type>(type.getInputs(), type.getResults())) {
      auto rt = dyn_cast<RankedTensorType>(t);
      if (!rt || !rt.hasStaticShape())
        return f.emitOpError("needs statically shaped tensors, got ") << t;
      argTypes.push_back(L.hbmType(rt.getShape(), rt.getElementType()));
    }
    auto newFunc = func::FuncOp::create(b, f.getLoc(), f.getName(),
                                        FunctionType::get(ctx, argTypes, {}));
    Block *entry = newFunc.addEntryBlock();
    unsigned nIn = type.getNumInputs();
    for (unsigned i = 0; i < nIn; ++i) {
      auto name = f.getArgAttrOfType<StringAttr>(i, "trellis.name");
      newFunc.setArgAttr(i, "trellis.input", name ? name : b.getStringAttr("input" + Twine(i)));
    }
    for (unsigned i = 0; i < type.getNumResults(); ++i) {
      auto name = f.getResultAttrOfType<StringAttr>(i, "trellis.name");
      newFunc.setArgAttr(nIn + i, "trellis.output",
                         name ? name : b.getStringAttr("output" + Twine(i)));
    }
    b.setInsertionPointToStart(entry);

    DenseMap<Value, Value> buf;
    for (unsigned i = 0; i < nIn; ++i)
      buf[f.getArgument(i)] = entry->getArgument(i);
    auto shapeOf = [](Value v) { return cast<RankedTensorType>(v.getType()).getShape(); };
    auto eltOf = [](Value v) { return cast<RankedTensorType>(v.getType()).getElementType(); };
    auto rowMajor = [&](Value tensor) {
      return Strided{buf[tensor], 0, rowMajorStrides(shapeOf(tensor))};
    };

    bool failed = false;
    for (Operation &op : f.getBody().front()) {
      if (auto ret = dyn_cast<func::ReturnOp>(op)) {
        for (auto [i, v] : llvm::enumerate(ret.getOperands())) {
          Value outArg = entry->getArgument(nIn + i);
          Value src = buf[v];
          auto srcAlloc = src.getDefiningOp<tile::AllocOp>();
          if (srcAlloc && !llvm::is_contained(ret.getOperands().take_front(i), v)) {
            // Compute the result directly into the output buffer.
            srcAlloc.getResult().replaceAllUsesWith(outArg);
            srcAlloc.erase();
            buf[v] = outArg;
            continue;
          }
          // An input, a constant or a repeated result: copy it out.
          L.emitElementwise(tagLoc(&op), shapeOf(v), {rowMajor(v)},
                            Strided{outArg, 0, rowMajorStrides(shapeOf(v))}, eltOf(v),
                            [&](Value dst, ArrayRef<Value> srcs, int64_t np, int64_t n) {
                              tile::CopyOp::create(b, tagLoc(&op), dst, L.full(np, n), srcs[0],
                                                   L.full(np, n), nullptr);
                            });
        }
        continue;
      }
      Location loc = tagLoc(&op);
      if (auto c = dyn_cast<graph::ConstantOp>(op)) {
        auto t = cast<RankedTensorType>(c.getType());
        buf[c] = tile::ConstantOp::create(b, loc, L.hbmType(t.getShape(), t.getElementType()),
                                          c.getValue());
        continue;
      }
      if (op.getNumResults() != 1) {
        op.emitOpError("cannot be tiled yet");
        failed = true;
        continue;
      }
      Value result = op.getResult(0);
      for (Value operand : op.getOperands())
        if (!buf.count(operand)) {
          op.emitOpError("operand is not available in HBM");
          return failure();
        }
      auto outShape = shapeOf(result);
      Type elt = eltOf(result);
      if (!(elt.isF32() || elt.isBF16() || elt.isF16())) {
        op.emitOpError("only f32, bf16 and f16 tensors can be tiled yet, got ") << elt;
        failed = true;
        continue;
      }
      Value out = L.alloc(loc, outShape, elt, Space::hbm);
      buf[result] = out;
      Strided outS{out, 0, rowMajorStrides(outShape)};

      if (auto lin = dyn_cast<graph::LinearOp>(op)) {
        auto xs = shapeOf(lin.getX()), ws = shapeOf(lin.getW());
        std::optional<Strided> bias;
        if (lin.getBias())
          bias = broadcastTo(buf[lin.getBias()], shapeOf(lin.getBias()), outShape);
        L.emitLinear(loc, rowMajor(lin.getX()), rowMajor(lin.getW()), bias ? &*bias : nullptr,
                     outS, xs[0], xs[1], ws[1], lin.getAlpha().convertToFloat(),
                     lin.getBeta().convertToFloat(), lin.getActivation(), elt);
      } else if (auto mm = dyn_cast<graph::MatMulOp>(op)) {
        auto as = shapeOf(mm.getLhs()), bs = shapeOf(mm.getRhs());
        int64_t M = as[as.size() - 2], K = as.back(), N = bs.back();
        ArrayRef<int64_t> batch = outShape.drop_back(2);
        // Batch strides of each operand (0 where broadcast).
        auto batchStrides = [&](ArrayRef<int64_t> shape) {
          SmallVector<int64_t> own = rowMajorStrides(shape);
          SmallVector<int64_t> s(batch.size(), 0);
          size_t lead = batch.size() - (shape.size() - 2);
          for (size_t i = 0; i + 2 < shape.size(); ++i)
            s[lead + i] = shape[i] == 1 && batch[lead + i] != 1 ? 0 : own[i];
          return s;
        };
        SmallVector<int64_t> sa = batchStrides(as), sb = batchStrides(bs);
        SmallVector<int64_t> so = rowMajorStrides(outShape);
        int64_t numBatches = 1;
        for (int64_t d : batch)
          numBatches *= d;
        for (int64_t bi = 0; bi < numBatches; ++bi) {
          int64_t offA = 0, offB = 0, offO = 0, rem = bi;
          for (int64_t d = (int64_t)batch.size() - 1; d >= 0; --d) {
            int64_t i = rem % batch[d];
            rem /= batch[d];
            offA += i * sa[d];
            offB += i * sb[d];
            offO += i * so[d];
          }
          L.emitLinear(loc, Strided{buf[mm.getLhs()], offA, {K, 1}},
                       Strided{buf[mm.getRhs()], offB, {N, 1}}, nullptr,
                       Strided{out, offO, {N, 1}}, M, K, N, 1.0f, 1.0f, graph::Activation::none,
                       elt);
        }
      } else if (llvm::isa<graph::AddOp, graph::BinaryOp>(op)) {
        // Binary ops run on the vector engine; broadcast operands are read
        // through zero-stride views.
        isa::AluOp alu = isa::AluOp::add;
        if (auto bin = dyn_cast<graph::BinaryOp>(op))
          alu = aluFor(bin.getKind());
        Value lhs = op.getOperand(0), rhs = op.getOperand(1);
        L.emitElementwise(loc, outShape,
                          {broadcastTo(buf[lhs], shapeOf(lhs), outShape),
                           broadcastTo(buf[rhs], shapeOf(rhs), outShape)},
                          outS, elt, [&](Value dst, ArrayRef<Value> s, int64_t np, int64_t n) {
                            tile::TensorTensorOp::create(b, loc, L.alu(alu), dst, L.full(np, n),
                                                         s[0], L.full(np, n), s[1],
                                                         L.full(np, n), nullptr);
                          });
      } else if (auto relu = dyn_cast<graph::ReluOp>(op)) {
        L.emitElementwise(loc, outShape, {rowMajor(relu.getInput())}, outS, elt,
                          [&](Value dst, ArrayRef<Value> s, int64_t np, int64_t n) {
                            L.emitActivation(loc, isa::ActFunc::relu, dst, s[0], np, n);
                          });
      } else if (auto un = dyn_cast<graph::UnaryOp>(op)) {
        L.emitElementwise(loc, outShape, {rowMajor(un.getInput())}, outS, elt,
                          [&](Value dst, ArrayRef<Value> s, int64_t np, int64_t n) {
                            L.emitUnary(loc, un, dst, s[0], np, n, elt);
                          });
      } else if (auto tr = dyn_cast<graph::TransposeOp>(op)) {
        // out[i] = in[perm^-1 applied]: out dim d reads input dim perm[d].
        Strided in = rowMajor(tr.getInput());
        Strided permuted{in.buffer, 0, {}};
        for (int64_t p : tr.getPerm())
          permuted.strides.push_back(in.strides[p]);
        L.emitElementwise(loc, outShape, {permuted}, outS, elt,
                          [&](Value dst, ArrayRef<Value> s, int64_t np, int64_t n) {
                            tile::CopyOp::create(b, loc, dst, L.full(np, n), s[0], L.full(np, n),
                                                 nullptr);
                          });
      } else {
        op.emitOpError("cannot be tiled yet");
        failed = true;
      }
    }
    if (failed)
      return failure();
    func::ReturnOp::create(b, f.getLoc());
    f->getBlock()->getOperations().insert(Block::iterator(f), newFunc.getOperation());
    f.erase();
    return success();
  }
};

} // namespace
