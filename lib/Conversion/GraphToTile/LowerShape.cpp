//===- LowerShape.cpp - Layout, cast, comparison and boolean graph ops ----===//
//
// A reshape of a row-major tensor is the same bytes: its result shares the
// operand's buffer and costs nothing. The other layout ops are DMA work:
// expand, slice, concat and gather read their operand through a strided HBM
// view (zero strides broadcast, slice steps scale the strides) into SBUF
// and store the same tile to the result: two DMAs per tile,
// no engine instruction, so every element type moves bit-exactly. Dimensions
// walked backwards (negative slice steps) are unrolled, since access patterns
// have non-negative strides. Pad fills the border regions with memset tiles
// and moves the operand into the interior; the regions are disjoint, so no
// two DMAs write the same bytes.
//
// Cast, the comparisons, the boolean ops and select run on the vector engine
// (DVE), whose ALU computes in fp32 and converts on load and store: i1
// tensors are stored as u8 (0 or 1), comparisons write 1.0 / 0.0 into them.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

#include <limits>

#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace trellis;
using namespace trellis::lowering;
using isa::Space;

namespace {

/// A strided HBM view with the element type stored there.
struct TypedView {
  Strided view;
  Type elt;
};

/// Builds one on-chip result tile from the loaded operand tiles.
using Body = llvm::function_ref<void(Value dst, ArrayRef<Value> srcs, int64_t np, int64_t n)>;

/// GraphLowering::emitElementwise over typed views; without a body, the
/// single operand's tile is stored as it was loaded (a move).
void emitTiles(GraphLowering &L, Location loc, ArrayRef<int64_t> shape, ArrayRef<TypedView> inputs,
               TypedView out, std::optional<Body> body) {
  SmallVector<Strided> views;
  for (const TypedView &t : inputs)
    views.push_back(t.view);
  L.emitElementwise(loc, shape, views, out.view, out.elt, body ? *body : Body());
}

/// emitTiles for views that may have negative strides (slices stepping
/// backwards): such dimensions are unrolled, one index at a time.
void emitTilesAnyStride(GraphLowering &L, Location loc, ArrayRef<int64_t> shape,
                        ArrayRef<TypedView> inputs, TypedView out, std::optional<Body> body) {
  for (int64_t d : shape)
    if (d == 0)
      return; // Nothing to move.
  for (size_t d = 0; d < shape.size(); ++d) {
    auto negative = [&](const TypedView &t) { return t.view.strides[d] < 0; };
    if (!negative(out) && llvm::none_of(inputs, negative))
      continue;
    SmallVector<int64_t> one(shape);
    one[d] = 1;
    for (int64_t i = 0; i < shape[d]; ++i) {
      SmallVector<TypedView> ins(inputs);
      TypedView o = out;
      for (TypedView &t : ins) {
        t.view.offset += i * t.view.strides[d];
        t.view.strides[d] = 0;
      }
      o.view.offset += i * o.view.strides[d];
      o.view.strides[d] = 0;
      emitTilesAnyStride(L, loc, one, ins, o, body);
    }
    return;
  }
  emitTiles(L, loc, shape, inputs, out, body);
}

/// Moves `src` (a view with `shape`) into `dst`, bit-exactly.
void emitMove(GraphLowering &L, Location loc, ArrayRef<int64_t> shape, Strided src, Strided dst,
              Type elt) {
  emitTilesAnyStride(L, loc, shape, {TypedView{src, elt}}, TypedView{dst, elt}, std::nullopt);
}

TypedView typed(GraphLowering &L, Value v, Strided s) { return {s, L.eltOf(v)}; }

/// An operand broadcast to `shape`, with its element type.
TypedView broadcastOperand(GraphLowering &L, Value v, ArrayRef<int64_t> shape) {
  return {broadcastTo(L.buffer(v), L.shapeOf(v), shape), L.eltOf(v)};
}

bool isZeroSized(ArrayRef<int64_t> shape) { return llvm::is_contained(shape, 0); }

isa::AluOp aluFor(graph::CompareKind kind) {
  switch (kind) {
  case graph::CompareKind::eq:
    return isa::AluOp::is_equal;
  case graph::CompareKind::lt:
    return isa::AluOp::is_lt;
  case graph::CompareKind::le:
    return isa::AluOp::is_le;
  case graph::CompareKind::gt:
    return isa::AluOp::is_gt;
  case graph::CompareKind::ge:
    return isa::AluOp::is_ge;
  }
  llvm_unreachable("unknown compare kind");
}

isa::AluOp aluFor(graph::LogicalKind kind) {
  switch (kind) {
  case graph::LogicalKind::And:
    return isa::AluOp::logical_and;
  case graph::LogicalKind::Or:
    return isa::AluOp::logical_or;
  case graph::LogicalKind::Xor:
    return isa::AluOp::not_equal;
  }
  llvm_unreachable("unknown logical kind");
}

//===----------------------------------------------------------------------===//
// Layout ops
//===----------------------------------------------------------------------===//

LogicalResult lowerReshape(graph::ReshapeOp op, GraphLowering &L) {
  // A reshape of a row-major tensor is the same bytes in the same order:
  // the result is the operand's buffer, viewed with the result's shape
  // (HBM views are flat), and no DMA moves. Nothing writes an op's operand,
  // so sharing the buffer is safe.
  L.setBuffer(op.getResult(), L.buffer(op.getInput()));
  return success();
}

LogicalResult lowerExpand(graph::ExpandOp op, GraphLowering &L) {
  Location loc = tagLoc(op);
  Strided out = L.defineResult(loc, op.getResult());
  ArrayRef<int64_t> shape = L.shapeOf(op.getResult());
  emitMove(L, loc, shape, broadcastTo(L.buffer(op.getInput()), L.shapeOf(op.getInput()), shape),
           out, L.eltOf(op.getResult()));
  return success();
}

LogicalResult lowerSlice(graph::SliceOp op, GraphLowering &L) {
  Location loc = tagLoc(op);
  Strided out = L.defineResult(loc, op.getResult());
  Strided in = L.rowMajor(op.getInput());
  Strided view{in.buffer, 0, {}};
  for (auto [stride, start, step] : llvm::zip(in.strides, op.getStarts(), op.getSteps())) {
    view.offset += start * stride;
    view.strides.push_back(step * stride);
  }
  emitMove(L, loc, L.shapeOf(op.getResult()), view, out, L.eltOf(op.getResult()));
  return success();
}

LogicalResult lowerConcat(graph::ConcatOp op, GraphLowering &L) {
  Location loc = tagLoc(op);
  Strided out = L.defineResult(loc, op.getResult());
  int64_t axis = op.getAxis(), at = 0;
  for (Value in : op.getInputs()) {
    Strided part = out;
    part.offset += at * out.strides[axis];
    emitMove(L, loc, L.shapeOf(in), L.rowMajor(in), part, L.eltOf(in));
    at += L.shapeOf(in)[axis];
  }
  return success();
}

/// Gather at run-time indices: per block of 128 indices, load them as a
/// column, wrap negative ones (idx + dim * (idx < 0) on the vector engine)
/// and fetch one table row per partition with an indirect DMA.
LogicalResult lowerRuntimeGather(graph::GatherOp op, GraphLowering &L) {
  Location loc = tagLoc(op);
  Strided out = L.defineResult(loc, op.getResult());
  ArrayRef<int64_t> shape = L.shapeOf(op.getData());
  int64_t axis = op.getAxis(), dim = shape[axis], outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= shape[d];
  for (int64_t d = axis + 1; d < (int64_t)shape.size(); ++d)
    inner *= shape[d];
  int64_t count = 1;
  for (int64_t d : L.shapeOf(op.getIndices()))
    count *= d;
  if (outer == 0 || inner == 0 || count == 0)
    return success();
  Type elt = L.eltOf(op.getResult()), idxElt = L.eltOf(op.getIndices());
  Value indices = L.buffer(op.getIndices()), data = L.buffer(op.getData());
  for (int64_t j0 = 0; j0 < count; j0 += kPartitions) {
    int64_t np = std::min(kPartitions, count - j0);
    Value idx = L.alloc(loc, {np, 1}, idxElt, Space::sbuf);
    tile::LoadOp::create(L.b, loc, idx, L.full(np, 1), indices, L.view(0, np, 1, j0, {1}, {1}));
    Value wrap = L.alloc(loc, {np, 1}, idxElt, Space::sbuf);
    L.emitTensorScalar(loc, isa::AluOp::is_lt, 0.0f, isa::AluOp::mult, float(dim), wrap, idx, np,
                       1);
    L.emitTensorTensor(loc, isa::AluOp::add, idx, idx, wrap, np, 1);
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t c0 = 0; c0 < inner; c0 += kFreeChunk) {
        int64_t cn = std::min(kFreeChunk, inner - c0);
        Value rows = L.alloc(loc, {np, cn}, elt, Space::sbuf);
        tile::LoadGatherOp::create(L.b, loc, rows, L.full(np, cn), data,
                                   L.view(0, dim, inner, o * dim * inner + c0, {cn}, {1}), idx,
                                   L.full(np, 1));
        tile::StoreOp::create(L.b, loc, out.buffer,
                              L.view(0, np, inner, (o * count + j0) * inner + c0, {cn}, {1}), rows,
                              L.full(np, cn));
      }
  }
  return success();
}

LogicalResult lowerGather(graph::GatherOp op, GraphLowering &L) {
  DenseElementsAttr indices;
  if (!matchPattern(op.getIndices(), m_Constant(&indices)))
    return lowerRuntimeGather(op, L);
  Location loc = tagLoc(op);
  Strided out = L.defineResult(loc, op.getResult());
  ArrayRef<int64_t> shape = L.shapeOf(op.getData());
  int64_t axis = op.getAxis(), dim = shape[axis], outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= shape[d];
  for (int64_t d = axis + 1; d < (int64_t)shape.size(); ++d)
    inner *= shape[d];
  SmallVector<int64_t> idx;
  for (APInt v : indices.getValues<APInt>())
    idx.push_back(v.getSExtValue() < 0 ? v.getSExtValue() + dim : v.getSExtValue());
  int64_t count = idx.size();
  // data viewed as [outer, dim, inner], the result as [outer, count, inner]:
  // one move per run of consecutive indices.
  for (int64_t j = 0; j < count;) {
    int64_t run = 1;
    while (j + run < count && idx[j + run] == idx[j] + run)
      ++run;
    Strided src{L.buffer(op.getData()), idx[j] * inner, {dim * inner, inner, 1}};
    Strided dst{out.buffer, j * inner, {count * inner, inner, 1}};
    emitMove(L, loc, {outer, run, inner}, src, dst, L.eltOf(op.getResult()));
    j += run;
  }
  return success();
}

LogicalResult lowerPad(graph::PadOp op, GraphLowering &L) {
  Location loc = tagLoc(op);
  Strided out = L.defineResult(loc, op.getResult());
  ArrayRef<int64_t> outShape = L.shapeOf(op.getResult()), inShape = L.shapeOf(op.getInput());
  Type elt = L.eltOf(op.getResult());
  float value = float(op.getValue().convertToDouble());
  int64_t rank = outShape.size();
  auto fill = [&](ArrayRef<int64_t> shape, int64_t offset) {
    if (isZeroSized(shape))
      return;
    emitTiles(L, loc, shape, {}, TypedView{Strided{out.buffer, offset, out.strides}, elt},
              [&](Value dst, ArrayRef<Value>, int64_t np, int64_t n) {
                tile::MemsetOp::create(L.b, loc, dst, L.full(np, n), L.b.getF32FloatAttr(value),
                                       nullptr);
              });
  };
  // The border as 2 * rank disjoint boxes: box d has the interior range on
  // dimensions < d, one pad on dimension d, everything on dimensions > d.
  for (int64_t d = 0; d < rank; ++d) {
    SmallVector<int64_t> shape, start;
    for (int64_t e = 0; e < rank; ++e) {
      shape.push_back(e < d ? inShape[e] : outShape[e]);
      start.push_back(e < d ? op.getLow()[e] : 0);
    }
    auto offsetOf = [&](ArrayRef<int64_t> s) {
      int64_t off = 0;
      for (int64_t e = 0; e < rank; ++e)
        off += s[e] * out.strides[e];
      return off;
    };
    shape[d] = op.getLow()[d];
    fill(shape, offsetOf(start));
    shape[d] = op.getHigh()[d];
    start[d] = op.getLow()[d] + inShape[d];
    fill(shape, offsetOf(start));
  }
  Strided interior = out;
  for (int64_t d = 0; d < rank; ++d)
    interior.offset += op.getLow()[d] * out.strides[d];
  emitMove(L, loc, inShape, L.rowMajor(op.getInput()), interior, elt);
  return success();
}

//===----------------------------------------------------------------------===//
// Cast, comparisons, boolean ops, select
//===----------------------------------------------------------------------===//

} // namespace

Value trellis::lowering::defineCastOfResult(GraphLowering &L, Location loc, Value result) {
  if (!llvm::isa<FloatType>(L.eltOf(result)))
    return Value();
  for (Operation *user : result.getUsers()) {
    auto c = dyn_cast<graph::CastOp>(user);
    if (c && llvm::isa<FloatType>(L.eltOf(c.getResult())) && !L.buffer(c.getResult()))
      return L.defineResult(loc, c.getResult()).buffer;
  }
  return Value();
}

namespace {

LogicalResult lowerCast(graph::CastOp op, GraphLowering &L) {
  // Its producer wrote it already (defineCastOfResult).
  if (L.buffer(op.getResult()))
    return success();
  Type from = L.eltOf(op.getInput()), to = L.eltOf(op.getResult());
  if (llvm::isa<FloatType>(from) && llvm::isa<IntegerType>(to) && !to.isInteger(1))
    return op.emitOpError("casting ") << from << " to " << to
                                      << " at run time is not supported yet (the engines "
                                         "round to nearest; ONNX truncates)";
  Location loc = tagLoc(op);
  Strided out = L.defineResult(loc, op.getResult());
  ArrayRef<int64_t> shape = L.shapeOf(op.getResult());
  if (isZeroSized(shape))
    return success();
  // Read only as the x of row-form linears (under auto-cast, the bf16
  // input of q, k and v): rows come in contiguously, are converted in
  // SBUF and transposed on the PE into the linears' x^T; the result never
  // reaches HBM.
  Strided in = L.layoutOf(op.getInput());
  if (llvm::isa<FloatType>(from) && (to.isBF16() || to.isF16()) &&
      in.strides == rowMajorStrides(shape) && L.readOnlyAsRowLinearX(op.getResult())) {
    int64_t K = shape.back(), M = 1;
    for (int64_t d : shape.drop_back())
      M *= d;
    SmallVector<Value> rows;
    for (int64_t m0 = 0; m0 < M; m0 += kPartitions) {
      int64_t mt = std::min(kPartitions, M - m0);
      Value x = L.alloc(loc, {mt, K}, from, isa::Space::sbuf);
      tile::LoadOp::create(L.b, loc, x, L.full(mt, K), in.buffer,
                           L.view(0, mt, K, in.offset + m0 * K, {K}, {1}));
      rows.push_back(L.alloc(loc, {mt, K}, to, isa::Space::sbuf));
      tile::CopyOp::create(L.b, loc, rows.back(), L.full(mt, K), x, L.full(mt, K), nullptr);
    }
    L.keepRowsTransposed(loc, Strided{out.buffer, 0, {K, 1}}, rows, M, K);
    L.markOnChipOnly(out.buffer);
    return success();
  }
  emitTiles(L, loc, shape, {typed(L, op.getInput(), L.rowMajor(op.getInput()))}, TypedView{out, to},
            [&](Value dst, ArrayRef<Value> s, int64_t np, int64_t n) {
              if (to.isInteger(1)) // x != 0
                L.emitTensorScalar(loc, isa::AluOp::not_equal, 0.0f, isa::AluOp::bypass, 0.0f, dst,
                                   s[0], np, n);
              else // the engine converts on load and store
                tile::CopyOp::create(L.b, loc, dst, L.full(np, n), s[0], L.full(np, n), nullptr);
            });
  return success();
}

/// An element-wise op of broadcast operands computed by `body`.
LogicalResult lowerBroadcasting(Operation *op, GraphLowering &L, Body body) {
  Location loc = tagLoc(op);
  Value result = op->getResult(0);
  Strided out = L.defineResult(loc, result);
  ArrayRef<int64_t> shape = L.shapeOf(result);
  if (isZeroSized(shape))
    return success();
  SmallVector<TypedView> ins;
  for (Value v : op->getOperands())
    ins.push_back(broadcastOperand(L, v, shape));
  emitTiles(L, loc, shape, ins, TypedView{out, L.eltOf(result)}, body);
  return success();
}

LogicalResult lowerCompare(graph::CompareOp op, GraphLowering &L) {
  isa::AluOp alu = aluFor(op.getKind());
  return lowerBroadcasting(op, L, [&](Value dst, ArrayRef<Value> s, int64_t np, int64_t n) {
    L.emitTensorTensor(tagLoc(op), alu, dst, s[0], s[1], np, n);
  });
}

LogicalResult lowerLogical(graph::LogicalOp op, GraphLowering &L) {
  isa::AluOp alu = aluFor(op.getKind());
  return lowerBroadcasting(op, L, [&](Value dst, ArrayRef<Value> s, int64_t np, int64_t n) {
    L.emitTensorTensor(tagLoc(op), alu, dst, s[0], s[1], np, n);
  });
}

LogicalResult lowerNot(graph::NotOp op, GraphLowering &L) {
  return lowerBroadcasting(op, L, [&](Value dst, ArrayRef<Value> s, int64_t np, int64_t n) {
    L.emitTensorScalar(tagLoc(op), isa::AluOp::is_equal, 0.0f, isa::AluOp::bypass, 0.0f, dst, s[0],
                       np, n);
  });
}

/// Floats: max(min(x, P), min(y, -P)) with P = +inf where c holds and -inf
/// elsewhere (made by overflowing (2c - 1) * FLT_MAX * 2), so every value,
/// infinities included, is selected unchanged; a causal mask's -inf stays
/// -inf. (The engines' min and max ignore a NaN operand, so a NaN in the
/// selected branch comes out as +-inf.) Integers: c * x + (1 - c) * y,
/// exact for them.
LogicalResult lowerSelect(graph::SelectOp op, GraphLowering &L) {
  Location loc = tagLoc(op);
  Type elt = L.eltOf(op.getResult());
  using isa::AluOp;
  if (mlir::isa<FloatType>(elt)) {
    Type f32 = L.b.getF32Type();
    return lowerBroadcasting(op, L, [&](Value dst, ArrayRef<Value> s, int64_t np, int64_t n) {
      Value p = L.alloc(loc, {np, n}, f32, Space::sbuf);
      Value q = L.alloc(loc, {np, n}, f32, Space::sbuf);
      L.emitTensorScalar(loc, AluOp::mult, 2.0f, AluOp::add, -1.0f, p, s[0], np, n);
      L.emitTensorScalar(loc, AluOp::mult, std::numeric_limits<float>::max(), AluOp::mult, 2.0f,
                         p, p, np, n);
      L.emitTensorScalar(loc, AluOp::mult, -1.0f, AluOp::bypass, 0.0f, q, p, np, n);
      L.emitTensorTensor(loc, AluOp::min, p, s[1], p, np, n);
      L.emitTensorTensor(loc, AluOp::min, q, s[2], q, np, n);
      L.emitTensorTensor(loc, AluOp::max, dst, p, q, np, n);
    });
  }
  return lowerBroadcasting(op, L, [&](Value dst, ArrayRef<Value> s, int64_t np, int64_t n) {
    Value notC = L.alloc(loc, {np, n}, elt, Space::sbuf);
    L.emitTensorScalar(loc, AluOp::mult, -1.0f, AluOp::add, 1.0f, notC, s[0], np, n);
    L.emitTensorTensor(loc, AluOp::mult, notC, notC, s[2], np, n);
    L.emitTensorTensor(loc, AluOp::mult, dst, s[0], s[1], np, n);
    L.emitTensorTensor(loc, AluOp::add, dst, dst, notC, np, n);
  });
}

} // namespace

void trellis::lowering::registerShapeLowerings(LoweringTable &t) {
  addLowering<graph::ReshapeOp>(t, lowerReshape);
  addLowering<graph::ExpandOp>(t, lowerExpand);
  addLowering<graph::SliceOp>(t, lowerSlice);
  addLowering<graph::ConcatOp>(t, lowerConcat);
  addLowering<graph::GatherOp>(t, lowerGather);
  addLowering<graph::PadOp>(t, lowerPad);
  addLowering<graph::CastOp>(t, lowerCast);
  addLowering<graph::CompareOp>(t, lowerCompare);
  addLowering<graph::LogicalOp>(t, lowerLogical);
  addLowering<graph::NotOp>(t, lowerNot);
  addLowering<graph::SelectOp>(t, lowerSelect);
}
