//===- Builtins.cpp - nl / nisa builtins and tile-op emission -------------===//
//
// Each builtin checks NKI's tile rules with an NKI-worded error at the call
// (partition dim <= pmax, PSUM tiles within one bank, matmul operand
// limits, which buffer each operand may live in), then emits tile ops.
// Value-returning forms (`y = nl.exp(x)`) allocate a fresh SBUF tile (PSUM
// for matmul and tensor-engine transposes); dst forms
// (`nisa.activation(dst=y, ...)`, `y[...] = nl.exp(x)`) write the given view.
//
//===----------------------------------------------------------------------===//

#include "Tracer.h"

#include "mlir/IR/Verifier.h"
#include <cmath>

using namespace mlir;
using namespace trellis;
using namespace trellis::kernel;
using isa::Space;
using llvm::SMLoc;
using llvm::StringRef;

static int64_t elemBytes(Type t) { return std::max<int64_t>(1, t.getIntOrFloatBitWidth() / 8); }

//===----------------------------------------------------------------------===//
// Buffers and views
//===----------------------------------------------------------------------===//

FailureOr<std::shared_ptr<TensorVal>> Tracer::alloc(ArrayRef<int64_t> shapeIn, Type elem,
                                                    Space space, SMLoc at) {
  SmallVector<int64_t> shape(shapeIn);
  if (shape.empty())
    shape.push_back(1);
  for (int64_t d : shape)
    if (d <= 0) {
      error(at) << "tensor shape " << shapeString(shape) << " has a non-positive dimension";
      return failure();
    }
  const char *bufName = space == Space::sbuf ? "nl.sbuf" : space == Space::psum ? "nl.psum" : "nl.hbm";
  if (space != Space::hbm) {
    int64_t pmax = arch ? arch->partitions : 128;
    if (shape[0] > pmax) {
      error(at) << "partition dimension " << shape[0] << " of " << bufName << " tensor "
                << shapeString(shape) << " exceeds nl.tile_size.pmax (" << pmax << ")";
      return failure();
    }
    int64_t bytes = elemBytes(elem);
    for (size_t i = 1; i < shape.size(); ++i)
      bytes *= shape[i];
    int64_t bank = arch ? arch->psumBankBytes() : 2048;
    if (space == Space::psum && bytes > bank) {
      error(at) << "PSUM tile " << shapeString(shape) << " " << dtypeName(elem) << " needs "
                << bytes << " bytes per partition; one PSUM bank holds " << bank << " ("
                << bank / 4 << " fp32, nl.tile_size.psum_fmax)";
      return failure();
    }
    int64_t sbuf = arch ? arch->sbufBytesPerPartition : 224 * 1024;
    if (space == Space::sbuf && bytes > sbuf) {
      error(at) << "SBUF tile " << shapeString(shape) << " needs " << bytes
                << " bytes per partition; a partition holds " << sbuf;
      return failure();
    }
    if (shape.size() > 5) {
      error(at) << "an on-chip tile has at most 4 free dimensions";
      return failure();
    }
  }
  SmallVector<int64_t> memShape = shape;
  if (space != Space::hbm && memShape.size() == 1)
    memShape.push_back(1);
  auto type = tile::getBufferType(memShape, elem, space);
  auto op = tile::AllocOp::create(b, loc(at), type);
  auto t = std::make_shared<TensorVal>();
  t->buffer = op.getResult();
  t->space = space;
  t->elem = elem;
  t->sizes = shape;
  t->strides.assign(shape.size(), 1);
  int64_t last = space == Space::hbm ? 0 : 1;
  for (int64_t d = (int64_t)shape.size() - 2; d >= last; --d)
    t->strides[d] = t->strides[d + 1] * shape[d + 1];
  if (space != Space::hbm)
    t->strides[0] = 1;
  return t;
}

FailureOr<std::shared_ptr<TensorVal>> Tracer::result(ArrayRef<int64_t> shape, Type elem,
                                                     Dest *dest, SMLoc at) {
  if (dest && dest->dst && dest->dst->onChip() && !dest->accumulate) {
    TensorVal &d = *dest->dst;
    int64_t free = 1;
    for (size_t i = 1; i < shape.size(); ++i)
      free *= shape[i];
    if (d.partitions() == (shape.empty() ? 1 : shape[0]) && d.freeElements() == free &&
        d.space == Space::sbuf) {
      dest->used = true;
      return dest->dst;
    }
  }
  return alloc(shape, elem, Space::sbuf, at);
}

FailureOr<tile::ViewAttr> Tracer::view(const TensorVal &t, SMLoc at, StringRef what,
                                       std::optional<std::pair<int64_t, int64_t>> inner) {
  int64_t p0 = 0, pc = 1, ps = 0;
  size_t first = 0;
  if (t.onChip()) {
    pc = t.sizes.empty() ? 1 : t.sizes[0];
    if (pc > 1 && t.strides[0] != 1) {
      error(at) << what << " steps through partitions by " << t.strides[0]
                << "; on-chip tiles need consecutive partitions";
      return failure();
    }
    p0 = t.partStart;
    first = 1;
  } else if (!t.sizes.empty()) {
    pc = t.sizes[0];
    ps = t.strides[0];
    first = 1;
  } else {
    ps = 1;
  }
  SmallVector<std::pair<int64_t, int64_t>> dims;
  for (size_t i = first; i < t.sizes.size(); ++i)
    if (t.sizes[i] != 1)
      dims.push_back({t.sizes[i], t.strides[i]});
  // Merge axes that are contiguous in memory (outer stride = inner extent).
  SmallVector<std::pair<int64_t, int64_t>> merged;
  for (auto d : dims) {
    if (!merged.empty() && merged.back().second == d.first * d.second) {
      merged.back() = {merged.back().first * d.first, d.second};
      continue;
    }
    merged.push_back(d);
  }
  if (inner)
    merged.push_back(*inner);
  if (merged.empty())
    merged.push_back({1, 1});
  if (merged.size() > 4) {
    error(at) << what << " needs " << merged.size()
              << " free-axis access-pattern entries; the hardware has 4";
    return failure();
  }
  SmallVector<int64_t> sizes, strides;
  for (auto [s, st] : merged) {
    sizes.push_back(s);
    strides.push_back(st);
  }
  return tile::ViewAttr::get(ctx, p0, pc, ps, t.offset, sizes, strides);
}

LogicalResult Tracer::requireOnChip(const TensorVal &t, SMLoc at, StringRef what,
                                    bool allowPsum) {
  if (t.space == Space::hbm) {
    error(at) << what << " is in HBM; compute engines read SBUF and PSUM only: nl.load it first";
    return failure();
  }
  if (!allowPsum && t.space == Space::psum) {
    error(at) << what << " is in PSUM but must be in SBUF";
    return failure();
  }
  return success();
}

LogicalResult Tracer::sameShape(const TensorVal &a, StringRef an, const TensorVal &bt,
                                StringRef bn, SMLoc at) {
  if (a.partitions() == bt.partitions() && a.freeElements() == bt.freeElements())
    return success();
  error(at) << an << " " << shapeString(a.sizes) << " and " << bn << " " << shapeString(bt.sizes)
            << " differ in shape";
  return failure();
}

trellis::tile::EngineKindAttr Tracer::engineAttr(std::optional<isa::EngineKind> e) {
  return e ? tile::EngineKindAttr::get(ctx, *e) : tile::EngineKindAttr();
}

LogicalResult Tracer::finish(Operation *op, ArrayRef<Value> reads, ArrayRef<Value> writes) {
  if (++opCount > kMaxOps) {
    hadError = true;
    mlir::emitError(op->getLoc()) << "the kernel unrolls to more than " << kMaxOps
                                  << " operations";
    return failure();
  }
  for (Value v : reads) {
    openGroup.erase(v.getAsOpaquePointer());
    pendingZero.erase(v.getAsOpaquePointer());
    auto it = paramUse.find(v.getAsOpaquePointer());
    if (it != paramUse.end())
      it->second.read = true;
  }
  for (Value v : writes) {
    openGroup.erase(v.getAsOpaquePointer());
    pendingZero.erase(v.getAsOpaquePointer());
    auto it = paramUse.find(v.getAsOpaquePointer());
    if (it != paramUse.end())
      it->second.written = true;
  }
  if (failed(mlir::verify(op))) {
    hadError = true;
    return failure();
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Op emission
//===----------------------------------------------------------------------===//

LogicalResult Tracer::emitLoad(TensorVal &dst, const TensorVal &src, SMLoc at) {
  if (dst.space != Space::sbuf) {
    error(at) << "a load writes SBUF, not " << isa::stringifySpace(dst.space)
              << (dst.space == Space::psum ? "; DMA engines cannot reach PSUM" : "");
    return failure();
  }
  if (failed(sameShape(dst, "destination", src, "source", at)))
    return failure();
  auto dv = view(dst, at, "the destination");
  auto sv = view(src, at, "the source");
  if (failed(dv) || failed(sv))
    return failure();
  auto op = tile::LoadOp::create(b, loc(at), dst.buffer, *dv, src.buffer, *sv);
  return finish(op, {src.buffer}, {dst.buffer});
}

LogicalResult Tracer::emitStore(TensorVal &dst, const TensorVal &src, SMLoc at) {
  if (src.space == Space::psum) {
    error(at) << "the value to store is in PSUM; DMA engines reach HBM and SBUF only: copy it "
                 "to SBUF first (nl.copy or nisa.tensor_copy)";
    return failure();
  }
  if (src.space == Space::hbm) {
    error(at) << "the value to store is in HBM; HBM-to-HBM copies are not supported";
    return failure();
  }
  if (failed(sameShape(dst, "destination", src, "value", at)))
    return failure();
  auto dv = view(dst, at, "the destination");
  auto sv = view(src, at, "the value");
  if (failed(dv) || failed(sv))
    return failure();
  auto op = tile::StoreOp::create(b, loc(at), dst.buffer, *dv, src.buffer, *sv);
  return finish(op, {src.buffer}, {dst.buffer});
}

LogicalResult Tracer::emitCopy(TensorVal &dst, const TensorVal &src,
                               std::optional<isa::EngineKind> engine, SMLoc at) {
  if (failed(requireOnChip(dst, at, "the destination")) ||
      failed(requireOnChip(src, at, "the source")) ||
      failed(sameShape(dst, "destination", src, "source", at)))
    return failure();
  auto dv = view(dst, at, "the destination");
  auto sv = view(src, at, "the source");
  if (failed(dv) || failed(sv))
    return failure();
  auto op = tile::CopyOp::create(b, loc(at), dst.buffer, *dv, src.buffer, *sv, engineAttr(engine));
  return finish(op, {src.buffer}, {dst.buffer});
}

LogicalResult Tracer::emitMemset(TensorVal &dst, double value,
                                 std::optional<isa::EngineKind> engine, SMLoc at) {
  if (failed(requireOnChip(dst, at, "the destination")))
    return failure();
  auto dv = view(dst, at, "the destination");
  if (failed(dv))
    return failure();
  auto op = tile::MemsetOp::create(b, loc(at), dst.buffer, *dv, b.getF32FloatAttr(value),
                                   engineAttr(engine));
  if (failed(finish(op, {}, {dst.buffer})))
    return failure();
  auto type = cast<MemRefType>(dst.buffer.getType());
  if (value == 0 && dst.space == Space::psum && dst.offset == 0 && dst.partStart == 0 &&
      dst.partitions() == type.getDimSize(0) &&
      dst.freeElements() == tile::getPartitionElements(type))
    pendingZero[dst.buffer.getAsOpaquePointer()] = op;
  return success();
}

LogicalResult Tracer::emitActivation(isa::ActFunc func, TensorVal &dst, const TensorVal &src,
                                     const TensorVal *bias, double scale, const TensorVal *accum,
                                     SMLoc at) {
  if (failed(requireOnChip(dst, at, "the destination")) ||
      failed(requireOnChip(src, at, "the input")) ||
      failed(sameShape(dst, "destination", src, "input", at)))
    return failure();
  auto dv = view(dst, at, "the destination");
  auto sv = view(src, at, "the input");
  if (failed(dv) || failed(sv))
    return failure();
  Value biasBuf, accumBuf;
  tile::ViewAttr biasView, accumView;
  SmallVector<Value> reads{src.buffer}, writes{dst.buffer};
  if (bias) {
    if (failed(requireOnChip(*bias, at, "the bias", /*allowPsum=*/false)))
      return failure();
    if (bias->partitions() != dst.partitions() || bias->freeElements() != 1) {
      error(at) << "the bias must be one value per partition, shape (" << dst.partitions()
                << ", 1), not " << shapeString(bias->sizes);
      return failure();
    }
    auto v = view(*bias, at, "the bias");
    if (failed(v))
      return failure();
    biasBuf = bias->buffer;
    biasView = *v;
    reads.push_back(biasBuf);
  }
  if (accum) {
    if (failed(requireOnChip(*accum, at, "reduce_res")))
      return failure();
    if (accum->partitions() != dst.partitions() || accum->freeElements() != 1) {
      error(at) << "reduce_res must be one value per partition, shape (" << dst.partitions()
                << ", 1), not " << shapeString(accum->sizes);
      return failure();
    }
    auto v = view(*accum, at, "reduce_res");
    if (failed(v))
      return failure();
    accumBuf = accum->buffer;
    accumView = *v;
    writes.push_back(accumBuf);
  }
  auto op = tile::ActivationOp::create(b, loc(at), tile::ActFuncAttr::get(ctx, func), dst.buffer,
                                       *dv, src.buffer, *sv, biasBuf, biasView,
                                       b.getF32FloatAttr(scale), accumBuf, accumView);
  return finish(op, reads, writes);
}

LogicalResult Tracer::emitTensorTensor(isa::AluOp aluOp, TensorVal &dst, const TensorVal &lhs,
                                       const TensorVal &rhs,
                                       std::optional<isa::EngineKind> engine, SMLoc at) {
  if (failed(requireOnChip(dst, at, "the destination")) ||
      failed(requireOnChip(lhs, at, "the first operand")) ||
      failed(requireOnChip(rhs, at, "the second operand")) ||
      failed(sameShape(dst, "destination", lhs, "first operand", at)) ||
      failed(sameShape(dst, "destination", rhs, "second operand", at)))
    return failure();
  if (engine == isa::EngineKind::pool &&
      (dst.space == Space::psum || lhs.space == Space::psum || rhs.space == Space::psum)) {
    error(at) << "the GpSimd engine cannot access PSUM";
    return failure();
  }
  auto dv = view(dst, at, "the destination");
  auto lv = view(lhs, at, "the first operand");
  auto rv = view(rhs, at, "the second operand");
  if (failed(dv) || failed(lv) || failed(rv))
    return failure();
  auto op = tile::TensorTensorOp::create(b, loc(at), tile::AluOpAttr::get(ctx, aluOp), dst.buffer,
                                         *dv, lhs.buffer, *lv, rhs.buffer, *rv,
                                         engineAttr(engine));
  return finish(op, {lhs.buffer, rhs.buffer}, {dst.buffer});
}

LogicalResult Tracer::emitTensorScalar(TensorVal &dst, const TensorVal &src, isa::AluOp op0,
                                       double imm0, isa::AluOp op1, double imm1,
                                       std::optional<isa::EngineKind> engine, SMLoc at) {
  if (failed(requireOnChip(dst, at, "the destination")) ||
      failed(requireOnChip(src, at, "the input")) ||
      failed(sameShape(dst, "destination", src, "input", at)))
    return failure();
  auto dv = view(dst, at, "the destination");
  auto sv = view(src, at, "the input");
  if (failed(dv) || failed(sv))
    return failure();
  auto op = tile::TensorScalarOp::create(b, loc(at), tile::AluOpAttr::get(ctx, op0),
                                         b.getF32FloatAttr(imm0), tile::AluOpAttr::get(ctx, op1),
                                         b.getF32FloatAttr(imm1), dst.buffer, *dv, src.buffer,
                                         *sv, engineAttr(engine));
  return finish(op, {src.buffer}, {dst.buffer});
}

/// An SBUF identity matrix (pmax x pmax) in `elem`, built once per dtype:
/// iota gives p - f, and is_equal 0 turns it into 1 on the diagonal.
std::shared_ptr<TensorVal> Tracer::identity(Type elem, SMLoc at) {
  auto it = identities.find(elem);
  if (it != identities.end())
    return it->second;
  int64_t n = arch ? std::min(arch->partitions, arch->peCols) : 128;
  auto t = alloc({n, n}, elem, Space::sbuf, at);
  if (failed(t))
    return nullptr;
  auto v = view(**t, at, "the identity");
  if (failed(v))
    return nullptr;
  auto iota = tile::IotaOp::create(b, loc(at), (*t)->buffer, *v, b.getI64IntegerAttr(0),
                                   b.getI64IntegerAttr(1), b.getI64IntegerAttr(-1));
  if (failed(finish(iota, {}, {(*t)->buffer})))
    return nullptr;
  if (failed(emitTensorScalar(**t, **t, isa::AluOp::is_equal, 0.0, isa::AluOp::bypass, 0.0,
                              std::nullopt, at)))
    return nullptr;
  identities[elem] = *t;
  return *t;
}

//===----------------------------------------------------------------------===//
// Composite operations
//===----------------------------------------------------------------------===//

/// Broadcasts size-1 free dimensions (stride 0); `shape` has t's rank.
FailureOr<Val> Tracer::broadcastTo(const TensorVal &t, ArrayRef<int64_t> shapeIn, SMLoc at) {
  SmallVector<int64_t> shape(shapeIn);
  auto out = std::make_shared<TensorVal>(t);
  out->name.clear();
  // Missing leading dimensions: numpy-style, prepended with size 1.
  if ((int64_t)shape.size() < t.rank()) {
    error(at) << "cannot broadcast " << shapeString(t.sizes) << " to " << shapeString(shape);
    return failure();
  }
  while (out->rank() < (int64_t)shape.size()) {
    if (t.onChip()) {
      error(at) << "cannot broadcast the on-chip tile " << shapeString(t.sizes) << " to "
                << shapeString(shape) << ": its partition dimension must stay first";
      return failure();
    }
    out->sizes.insert(out->sizes.begin(), 1);
    out->strides.insert(out->strides.begin(), 0);
  }
  for (size_t d = 0; d < shape.size(); ++d) {
    if (out->sizes[d] == shape[d])
      continue;
    if (out->sizes[d] != 1) {
      error(at) << "cannot broadcast " << shapeString(t.sizes) << " to " << shapeString(shape);
      return failure();
    }
    if (d == 0 && t.onChip()) {
      // Views cannot repeat a partition: the PE array does it, a ones
      // column times the row (K = 1), 512 columns at a time.
      if (t.space != Space::sbuf || shape.size() != 2) {
        error(at) << "cannot broadcast the partition dimension of " << shapeString(t.sizes)
                  << " in " << isa::stringifySpace(t.space)
                  << "; only a [1, N] SBUF tile can be broadcast across partitions";
        return failure();
      }
      return broadcastPartitions(t, shape[0], at);
    }
    out->sizes[d] = shape[d];
    out->strides[d] = 0;
  }
  return Val::tensor(out);
}

FailureOr<Val> Tracer::broadcastPartitions(const TensorVal &row, int64_t parts, SMLoc at) {
  int64_t n = row.sizes[1];
  int64_t chunk = arch ? arch->psumBankBytes() / 4 : 512;
  auto out = alloc({parts, n}, row.elem, Space::sbuf, at);
  auto ones = alloc({1, parts}, b.getF32Type(), Space::sbuf, at);
  if (failed(out) || failed(ones) || failed(emitMemset(**ones, 1.0, std::nullopt, at)))
    return failure();
  for (int64_t c = 0; c < n; c += chunk) {
    int64_t w = std::min(chunk, n - c);
    auto cols = [&](const TensorVal &t) {
      auto v = std::make_shared<TensorVal>(t);
      v->offset += c * t.strides[1];
      v->sizes[1] = w;
      return v;
    };
    auto mv = cols(row);
    auto r = matmul(**ones, *mv, at, nullptr, false);
    if (failed(r) || failed(emitCopy(*cols(**out), *r->t, std::nullopt, at)))
      return failure();
  }
  return Val::tensor(*out);
}

FailureOr<Val> Tracer::reshape(const TensorVal &t, const Val &shapeVal, SMLoc at) {
  auto shape = toShape(shapeVal, at, "the new shape");
  if (failed(shape))
    return failure();
  int64_t n = 1, m = 1;
  for (int64_t d : t.sizes)
    n *= d;
  for (int64_t d : *shape)
    m *= d;
  size_t first = t.onChip() ? 1 : 0;
  if (t.onChip() && (*shape)[0] != t.sizes[0]) {
    error(at) << "reshaping an on-chip tile must keep its partition dimension ("
              << t.sizes[0] << ")";
    return failure();
  }
  if (n != m) {
    error(at) << "cannot reshape " << shapeString(t.sizes) << " (" << n << " elements) to "
              << shapeString(*shape) << " (" << m << " elements)";
    return failure();
  }
  // The reshaped dimensions must be contiguous (row-major, stride 1 inside).
  int64_t expect = 1;
  for (int64_t d = t.rank() - 1; d >= (int64_t)first; --d) {
    if (t.sizes[d] != 1 && t.strides[d] != expect) {
      error(at) << "only contiguous tensors can be reshaped";
      return failure();
    }
    expect *= t.sizes[d];
  }
  auto out = std::make_shared<TensorVal>(t);
  out->name.clear();
  out->sizes = *shape;
  out->strides.assign(shape->size(), 1);
  for (int64_t d = (int64_t)shape->size() - 2; d >= (int64_t)first; --d)
    out->strides[d] = out->strides[d + 1] * (*shape)[d + 1];
  if (t.onChip())
    out->strides[0] = t.strides[0];
  return Val::tensor(out);
}

FailureOr<Val> Tracer::unaryActivation(isa::ActFunc func, const Val &x, double scale, SMLoc at,
                                       Dest *dest, std::optional<Type> dtype) {
  auto t = toTensor(x, at, "the input");
  if (failed(t) || failed(requireOnChip(**t, at, "the input")))
    return failure();
  auto out = result((*t)->sizes, dtype ? *dtype : (*t)->elem, dest, at);
  if (failed(out) || failed(emitActivation(func, **out, **t, nullptr, scale, nullptr, at)))
    return failure();
  return Val::tensor(*out);
}

static std::optional<isa::AluOp> flipped(isa::AluOp op) {
  using isa::AluOp;
  if (commutative(op))
    return op;
  switch (op) {
  case AluOp::is_gt: return AluOp::is_lt;
  case AluOp::is_lt: return AluOp::is_gt;
  case AluOp::is_ge: return AluOp::is_le;
  case AluOp::is_le: return AluOp::is_ge;
  default: return std::nullopt;
  }
}

FailureOr<Val> Tracer::binaryAlu(isa::AluOp op, const Val &l, const Val &r,
                                 std::optional<Type> dtype, std::optional<isa::EngineKind> engine,
                                 SMLoc at, Dest *dest) {
  if (l.kind != VK::Tensor && r.kind != VK::Tensor) {
    error(at) << "an element-wise operation needs at least one tensor operand, got "
              << describe(l) << " and " << describe(r);
    return failure();
  }
  if (l.kind == VK::Tensor && r.kind == VK::Tensor) {
    const TensorVal &a = *l.t, &c = *r.t;
    if (failed(requireOnChip(a, at, "the first operand")) ||
        failed(requireOnChip(c, at, "the second operand")))
      return failure();
    if (a.rank() != c.rank()) {
      error(at) << "operand shapes " << shapeString(a.sizes) << " and " << shapeString(c.sizes)
                << " do not broadcast (tiles keep their partition dimension first)";
      return failure();
    }
    SmallVector<int64_t> shape;
    for (int64_t d = 0; d < a.rank(); ++d) {
      if (a.sizes[d] != c.sizes[d] && a.sizes[d] != 1 && c.sizes[d] != 1) {
        error(at) << "operand shapes " << shapeString(a.sizes) << " and " << shapeString(c.sizes)
                  << " do not broadcast";
        return failure();
      }
      shape.push_back(std::max(a.sizes[d], c.sizes[d]));
    }
    auto ba = broadcastTo(a, shape, at);
    auto bc = broadcastTo(c, shape, at);
    if (failed(ba) || failed(bc))
      return failure();
    auto out = result(shape, dtype ? *dtype : a.elem, dest, at);
    if (failed(out) || failed(emitTensorTensor(op, **out, *ba->t, *bc->t, engine, at)))
      return failure();
    return Val::tensor(*out);
  }
  bool tensorFirst = l.kind == VK::Tensor;
  const Val &tv = tensorFirst ? l : r;
  const Val &sv = tensorFirst ? r : l;
  if (!sv.isNumber()) {
    error(at) << "an element-wise operand must be a tensor or a number, got " << describe(sv);
    return failure();
  }
  const TensorVal &t = *tv.t;
  if (failed(requireOnChip(t, at, "the operand")))
    return failure();
  double s = sv.number();
  auto out = result(t.sizes, dtype ? *dtype : t.elem, dest, at);
  if (failed(out))
    return failure();
  if (tensorFirst) {
    if (failed(emitTensorScalar(**out, t, op, s, isa::AluOp::bypass, 0, engine, at)))
      return failure();
    return Val::tensor(*out);
  }
  if (auto f = flipped(op)) {
    if (failed(emitTensorScalar(**out, t, *f, s, isa::AluOp::bypass, 0, engine, at)))
      return failure();
    return Val::tensor(*out);
  }
  if (op == isa::AluOp::subtract) { // s - x = x * -1 + s
    if (failed(emitTensorScalar(**out, t, isa::AluOp::mult, -1.0, isa::AluOp::add, s, engine, at)))
      return failure();
    return Val::tensor(*out);
  }
  if (op == isa::AluOp::divide) { // s / x = reciprocal(x) * s
    if (failed(emitActivation(isa::ActFunc::reciprocal, **out, t, nullptr, 1.0, nullptr, at)) ||
        failed(emitTensorScalar(**out, **out, isa::AluOp::mult, s, isa::AluOp::bypass, 0, engine,
                                at)))
      return failure();
    return Val::tensor(*out);
  }
  error(at) << "'" << isa::stringifyAluOp(op) << "' with a number first and a tensor second is "
            << "not supported";
  return failure();
}

FailureOr<Val> Tracer::reduce(isa::AluOp op, const Val &x, const Val &axisVal, bool negate,
                              std::optional<Type> dtype, std::optional<isa::EngineKind> engine,
                              SMLoc at, Dest *dest, SMLoc axisAt) {
  auto tr = toTensor(x, at, "the input");
  if (failed(tr) || failed(requireOnChip(**tr, at, "the input")))
    return failure();
  const TensorVal &t = **tr;
  SmallVector<int64_t> axes;
  if (axisVal.kind == VK::Int) {
    axes.push_back(axisVal.i);
  } else if (axisVal.isSeq()) {
    for (const Val &a : *axisVal.items) {
      auto n = toInt(a, axisAt, "an axis");
      if (failed(n))
        return failure();
      axes.push_back(*n);
    }
  } else {
    error(axisAt) << "axis must be an integer or a tuple of integers, got " << describe(axisVal);
    return failure();
  }
  for (int64_t &a : axes) {
    if (a < 0)
      a += t.rank();
    if (a == 0) {
      error(axisAt) << "cannot reduce the partition axis (axis 0) on the vector engine; "
                       "transpose first (nisa.nc_transpose) or multiply by ones (nc_matmul)";
      return failure();
    }
    if (a < 0 || a >= t.rank()) {
      error(axisAt) << "axis out of range for a tensor of rank " << t.rank();
      return failure();
    }
  }
  llvm::sort(axes);
  axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
  int64_t k = axes.size();
  for (int64_t n = 0; n < k; ++n)
    if (axes[n] != t.rank() - k + n) {
      error(axisAt) << "only the innermost free axes can be reduced (here the last " << k
                    << " of " << t.rank() << ")";
      return failure();
    }
  // The reduced axes merge into one innermost access-pattern axis.
  int64_t innerSize = 1, innerStride = 1;
  bool firstInner = true;
  for (int64_t d = t.rank() - 1; d >= t.rank() - k; --d) {
    if (t.sizes[d] == 1)
      continue;
    if (firstInner) {
      innerStride = t.strides[d];
      firstInner = false;
    } else if (t.strides[d] != innerSize * innerStride) {
      error(at) << "the reduced axes must be contiguous in memory";
      return failure();
    }
    innerSize *= t.sizes[d];
  }
  TensorVal outer = t;
  outer.sizes.resize(t.rank() - k);
  outer.strides.resize(t.rank() - k);
  auto sv = view(outer, at, "the input", std::pair{innerSize, innerStride});
  if (failed(sv))
    return failure();
  SmallVector<int64_t> shape(outer.sizes);
  if (shape.size() == 1)
    shape.push_back(1);
  auto out = result(shape, dtype ? *dtype : t.elem, dest, at);
  if (failed(out))
    return failure();
  auto dv = view(**out, at, "the destination");
  if (failed(dv))
    return failure();
  if ((*out)->partitions() != t.partitions() ||
      (*out)->freeElements() * innerSize != t.freeElements()) {
    error(at) << "the destination " << shapeString((*out)->sizes) << " must have the input's shape "
              << shapeString(t.sizes) << " without the reduced axes";
    return failure();
  }
  auto red = tile::TensorReduceOp::create(b, loc(at), tile::AluOpAttr::get(ctx, op),
                                          (*out)->buffer, *dv, t.buffer, *sv, engineAttr(engine));
  if (failed(finish(red, {t.buffer}, {(*out)->buffer})))
    return failure();
  if (negate && failed(emitTensorScalar(**out, **out, isa::AluOp::mult, -1.0, isa::AluOp::bypass,
                                        0, engine, at)))
    return failure();
  return Val::tensor(*out);
}

FailureOr<Val> Tracer::matmul(TensorVal &st, TensorVal &mv, SMLoc at, Dest *dest,
                              bool explicitDst) {
  if (st.space != Space::sbuf || mv.space != Space::sbuf) {
    error(at) << "nc_matmul reads its stationary and moving tiles from SBUF; the "
              << (st.space != Space::sbuf ? "stationary" : "moving") << " tile is in "
              << isa::stringifySpace(st.space != Space::sbuf ? st.space : mv.space);
    return failure();
  }
  int64_t pmax = arch ? arch->partitions : 128;
  int64_t mmax = arch ? arch->peCols : 128;
  int64_t nmax = arch ? arch->psumBankBytes() / 4 : 512;
  int64_t kdim = st.partitions(), m = st.freeElements(), n = mv.freeElements();
  if (kdim != mv.partitions()) {
    error(at) << "nc_matmul contracts over the partition axis: the stationary tile has " << kdim
              << " partitions but the moving tile has " << mv.partitions();
    return failure();
  }
  if (kdim > pmax) {
    error(at) << "nc_matmul contraction (partition) size " << kdim << " exceeds pmax (" << pmax
              << ")";
    return failure();
  }
  if (m > mmax) {
    error(at) << "the stationary tile has " << m
              << " free elements; nl.tile_size.gemm_stationary_fmax is " << mmax;
    return failure();
  }
  if (n > nmax) {
    error(at) << "the moving tile has " << n
              << " free elements; nl.tile_size.gemm_moving_fmax is " << nmax;
    return failure();
  }
  std::shared_ptr<TensorVal> ps;
  bool start = true;
  if (dest && dest->dst && (explicitDst || dest->accumulate)) {
    ps = dest->dst;
    if (ps->space != Space::psum || !ps->elem.isF32()) {
      error(at) << "nc_matmul writes a float32 PSUM tile; the destination is "
                << isa::stringifySpace(ps->space) << " " << dtypeName(ps->elem)
                << (dest->accumulate ? " (accumulate into a PSUM tile, then copy it out)" : "");
      return failure();
    }
    if (ps->partitions() != m || ps->freeElements() != n) {
      error(at) << "nc_matmul result is (" << m << ", " << n << ") but the destination is "
                << shapeString(ps->sizes);
      return failure();
    }
    dest->used = true;
  } else {
    auto a = alloc({m, n}, b.getF32Type(), Space::psum, at);
    if (failed(a))
      return failure();
    ps = *a;
  }
  auto pv = view(*ps, at, "the PSUM tile");
  auto sv = view(st, at, "the stationary tile");
  auto mvv = view(mv, at, "the moving tile");
  if (failed(pv) || failed(sv) || failed(mvv))
    return failure();
  const void *key = ps->buffer.getAsOpaquePointer();
  if (dest && dest->accumulate) {
    // `psum += matmul`: accumulate; a pending zero-fill of the whole
    // buffer becomes the start of the group instead.
    start = false;
    auto z = pendingZero.find(key);
    auto type = cast<MemRefType>(ps->buffer.getType());
    if (z != pendingZero.end() && ps->partStart == 0 && ps->offset == 0 &&
        m == type.getDimSize(0) && n == tile::getPartitionElements(type)) {
      z->second->erase();
      pendingZero.erase(z);
      start = true;
    }
  } else if (explicitDst) {
    // dst form: matmuls into the same view with nothing in between form
    // one accumulation group; the first starts it.
    auto g = openGroup.find(key);
    start = !(g != openGroup.end() && g->second == Attribute(*pv));
  }
  auto op = tile::MatmulOp::create(b, loc(at), ps->buffer, *pv, st.buffer, *sv, mv.buffer, *mvv,
                                   start ? b.getUnitAttr() : UnitAttr());
  if (failed(finish(op, {st.buffer, mv.buffer}, {ps->buffer})))
    return failure();
  openGroup[key] = *pv;
  return Val::tensor(ps);
}

FailureOr<Val> Tracer::transposePE(TensorVal &x, SMLoc at, Dest *dest) {
  if (x.space != Space::sbuf) {
    error(at) << "a tensor-engine transpose reads SBUF; the input is in "
              << isa::stringifySpace(x.space);
    return failure();
  }
  int64_t p = x.partitions(), f = x.freeElements();
  int64_t mmax = arch ? arch->peCols : 128;
  if (f > mmax) {
    error(at) << "a tensor-engine transpose takes at most " << mmax << " free elements, got "
              << f;
    return failure();
  }
  auto id = identity(x.elem, at);
  if (!id)
    return failure();
  Val idx = Val::sequence(VK::Tuple, {});
  Val pr;
  pr.kind = VK::Slice;
  pr.s = "ds";
  pr.i = 0;
  pr.j = p;
  auto sq = indexTensor(*id, Val::sequence(VK::Tuple, {pr, pr}), at);
  if (failed(sq))
    return failure();
  Dest d;
  bool explicitDst = false;
  if (dest && dest->dst && dest->dst->space == Space::psum) {
    d.dst = dest->dst;
    explicitDst = true;
  }
  auto r = matmul(x, *sq->t, at, explicitDst ? &d : nullptr, explicitDst);
  if (failed(r))
    return failure();
  if (explicitDst)
    dest->used = true;
  // Keep the logical shape (F, P).
  return r;
}

//===----------------------------------------------------------------------===//
// Argument binding
//===----------------------------------------------------------------------===//

LogicalResult Tracer::bind(const CallArgs &args, StringRef fname, ArrayRef<StringRef> params,
                           size_t required, Bound &out) {
  out.v.assign(params.size(), std::nullopt);
  out.at.assign(params.size(), args.loc);
  if (args.pos.size() > params.size()) {
    error(args.loc) << fname << "() takes at most " << params.size() << " positional arguments ("
                    << args.pos.size() << " given)";
    return failure();
  }
  for (size_t i = 0; i < args.pos.size(); ++i) {
    out.v[i] = args.pos[i];
    out.at[i] = args.posLoc[i];
  }
  for (size_t k = 0; k < args.kw.size(); ++k) {
    auto &[name, v] = args.kw[k];
    auto it = llvm::find(params, name);
    if (it == params.end()) {
      std::string list;
      for (StringRef p : params)
        list += (list.empty() ? "" : ", ") + p.str();
      error(args.kwNameLoc[k]) << fname << "() got an unexpected keyword argument '" << name
                           << "' (it takes " << list << ")";
      return failure();
    }
    size_t i = it - params.begin();
    if (out.v[i]) {
      error(args.kwNameLoc[k]) << fname << "() got multiple values for argument '" << name
                               << "'";
      return failure();
    }
    out.v[i] = v;
    out.at[i] = args.kwLoc[k];
  }
  for (size_t i = 0; i < required; ++i)
    if (!out.v[i]) {
      error(args.loc) << fname << "() is missing argument '" << params[i] << "'";
      return failure();
    }
  for (size_t i = 0; i < params.size(); ++i)
    if (params[i] == "dtype" && out.has(i) && out.v[i]->kind != VK::DType) {
      error(out.at[i]) << fname << "(): dtype must be a dtype such as nl.float32, got "
                       << describe(*out.v[i]);
      return failure();
    }
  // Masks: None, or one known to hold everywhere (`i * 128 + ix < rows`
  // over whole tiles) is fine; anything else would need predication.
  for (size_t i = 0; i < params.size(); ++i)
    if (params[i] == "mask" && out.has(i) &&
        !(out.v[i]->kind == VK::Bool && out.v[i]->i)) {
      error(out.at[i]) << fname << "(): only masks that hold everywhere are supported (here "
                       << describe(*out.v[i]) << "); make shapes multiples of the tile size "
                       << "or slice the operands";
      return failure();
    }
  return success();
}
