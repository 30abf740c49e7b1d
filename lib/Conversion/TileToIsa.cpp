//===- TileToIsa.cpp - Place buffers and emit hardware instructions -------===//

#include "trellis/Target/ArchConfig.h"
#include "trellis/Target/Inst.h"
#include "trellis/Transforms/Passes.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/MapVector.h"

namespace trellis {
#define GEN_PASS_DEF_CONVERTTILETOISA
#include "trellis/Transforms/Passes.h.inc"
} // namespace trellis

using namespace mlir;
using namespace trellis;
using isa::Space;

namespace {

constexpr int64_t kAlign = 64;
int64_t alignUp(int64_t v, int64_t a) { return (v + a - 1) / a * a; }

int64_t eltBytes(Type t) { return std::max<int64_t>(1, t.getIntOrFloatBitWidth() / 8); }


/// Next-fit allocator of byte ranges within one partition: the search starts
/// where the last allocation ended and wraps around, so a buffer that just
/// died is reused as late as possible. Consecutive tiles then land in
/// different places, and the load of tile i+1 need not wait for the engine
/// still reading tile i: multi-buffering falls out of the allocation order.
struct RangeAllocator {
  int64_t capacity;
  std::map<int64_t, int64_t> used; // start -> size
  int64_t cursor = 0;
  int64_t peak = 0; // highest byte ever allocated, per partition

  std::optional<int64_t> allocate(int64_t size, int64_t align) {
    if (auto at = firstFitFrom(cursor, capacity, size, align))
      return take(*at, size);
    if (auto at = firstFitFrom(0, capacity, size, align))
      return take(*at, size);
    return std::nullopt;
  }
  void release(int64_t start) { used.erase(start); }

private:
  int64_t take(int64_t at, int64_t size) {
    used[at] = size;
    cursor = at + size;
    peak = std::max(peak, cursor);
    return at;
  }
  /// The first aligned gap of `size` bytes in [from, end).
  std::optional<int64_t> firstFitFrom(int64_t from, int64_t end, int64_t size, int64_t align) {
    int64_t at = alignUp(from, align);
    auto it = used.upper_bound(at);
    if (it != used.begin()) {
      auto prev = std::prev(it);
      at = std::max(at, alignUp(prev->first + prev->second, align));
    }
    for (; it != used.end(); ++it) {
      if (at + size <= it->first)
        break;
      at = std::max(at, alignUp(it->first + it->second, align));
    }
    if (at + size > end)
      return std::nullopt;
    return at;
  }
};

struct ConvertTileToIsaPass : public trellis::impl::ConvertTileToIsaBase<ConvertTileToIsaPass> {
  using Base::Base;

  void runOnOperation() override {
    auto arch = loadArchConfig(target);
    if (!arch) {
      getOperation().emitError() << llvm::toString(arch.takeError());
      return signalPassFailure();
    }
    SmallVector<func::FuncOp> funcs(getOperation().getOps<func::FuncOp>());
    for (func::FuncOp f : funcs)
      if (failed(convert(f, *arch)))
        return signalPassFailure();
  }

  LogicalResult convert(func::FuncOp f, const ArchConfig &arch) {
    MLIRContext *ctx = f.getContext();
    OpBuilder b(ctx);
    b.setInsertionPoint(f);
    auto program = isa::ProgramOp::create(b, f.getLoc(), b.getStringAttr(f.getName()), b.getI64IntegerAttr(0));
    Block *body = &program.getBody().emplaceBlock();
    b.setInsertionPointToStart(body);

    // 1. HBM placement: inputs, outputs, constants, then scratch.
    DenseMap<Value, int64_t> address; // byte address (HBM) or in-partition offset
    int64_t hbm = 0;
    auto placeHbm = [&](Value v) {
      auto t = cast<MemRefType>(v.getType());
      address[v] = hbm;
      hbm = alignUp(hbm + t.getNumElements() * eltBytes(t.getElementType()), kAlign);
    };
    for (BlockArgument arg : f.getArguments()) {
      auto t = dyn_cast<MemRefType>(arg.getType());
      if (!t || tile::getMemorySpace(t) != Space::hbm)
        return f.emitOpError("arguments must be HBM buffers");
      bool isInput = !!f.getArgAttr(arg.getArgNumber(), "trellis.input");
      auto name = f.getArgAttrOfType<StringAttr>(
          arg.getArgNumber(), isInput ? "trellis.input" : "trellis.output");
      if (!name)
        return f.emitOpError("argument ") << arg.getArgNumber()
                                          << " needs a trellis.input or trellis.output name";
      placeHbm(arg);
      isa::TensorOp::create(b, f.getLoc(), b.getStringAttr("arg" + Twine(arg.getArgNumber())),
                            isInput ? isa::TensorKind::input : isa::TensorKind::output,
                            address[arg],
                            RankedTensorType::get(t.getShape(), t.getElementType()), name,
                            nullptr);
    }
    unsigned constants = 0;
    for (auto c : f.getOps<tile::ConstantOp>()) {
      // A weight replaced by its compressed form (sparsity) is not stored.
      if (c->use_empty())
        continue;
      placeHbm(c);
      auto t = c.getType();
      isa::TensorOp::create(b, c.getLoc(), b.getStringAttr("cst" + Twine(constants++)),
                            isa::TensorKind::constant, address[c],
                            RankedTensorType::get(t.getShape(), t.getElementType()), nullptr,
                            c.getValue());
    }
    for (auto a : f.getOps<tile::AllocOp>())
      if (tile::getMemorySpace(a.getType()) == Space::hbm)
        placeHbm(a);
    program.setHbmSize(hbm);

    // 2. On-chip allocation by liveness over the op order.
    SmallVector<Operation *> ops;
    DenseMap<Value, unsigned> lastUse;
    for (Operation &op : f.getBody().front()) {
      ops.push_back(&op);
      for (Value v : op.getOperands())
        lastUse[v] = ops.size() - 1;
    }
    RangeAllocator sbuf{arch.sbufBytesPerPartition, {}};
    RangeAllocator psum{arch.psumBytesPerPartition, {}};
    DenseMap<unsigned, SmallVector<Value>> dying;
    for (auto [v, idx] : lastUse)
      dying[idx].push_back(v);

    int64_t nextDma = 0;
    for (auto [idx, op] : llvm::enumerate(ops)) {
      if (auto a = dyn_cast<tile::AllocOp>(op)) {
        MemRefType t = a.getType();
        Space space = tile::getMemorySpace(t);
        if (space == Space::hbm)
          continue;
        int64_t bytes = tile::getPartitionElements(t) * eltBytes(t.getElementType());
        // A PSUM tile gets a whole bank so accumulation groups never share one.
        std::optional<int64_t> at =
            space == Space::psum ? psum.allocate(arch.psumBankBytes(), arch.psumBankBytes())
                                 : sbuf.allocate(bytes, kAlign);
        if (!at)
          return a.emitOpError("does not fit in ")
                 << isa::stringifySpace(space) << " (" << bytes
                 << " bytes per partition); spilling is not implemented yet";
        address[a] = *at;
        if (!lastUse.count(a))
          (space == Space::psum ? psum : sbuf).release(*at);
        continue;
      }
      if (failed(lower(op, b, address, arch, nextDma)))
        return failure();
      for (Value v : dying[idx])
        if (auto a = v.getDefiningOp<tile::AllocOp>()) {
          Space space = tile::getMemorySpace(a.getType());
          if (space == Space::sbuf)
            sbuf.release(address[a]);
          else if (space == Space::psum)
            psum.release(address[a]);
        }
    }
    // Reported by trellis-cc's summary line.
    program->setAttr("trellis.sbuf_peak_bytes", b.getI64IntegerAttr(sbuf.peak));
    program->setAttr("trellis.psum_peak_bytes", b.getI64IntegerAttr(psum.peak));
    f.erase();
    return success();
  }

  /// The access pattern of `view` on `buffer`.
  isa::AccessPatternAttr ap(Value buffer, tile::ViewAttr view, DenseMap<Value, int64_t> &address) {
    auto t = cast<MemRefType>(buffer.getType());
    Space space = tile::getMemorySpace(t);
    int64_t eb = eltBytes(t.getElementType());
    isa::DType dtype = *isa::dtypeFromType(t.getElementType());
    if (space == Space::hbm)
      return isa::AccessPatternAttr::get(
          buffer.getContext(), space, 0, view.getPartCount(), view.getPartStride(),
          address[buffer] + (view.getOffset() + view.getPartStart() * view.getPartStride()) * eb,
          dtype, view.getSizes(), view.getStrides());
    return isa::AccessPatternAttr::get(buffer.getContext(), space, view.getPartStart(),
                                       view.getPartCount(), 0,
                                       address[buffer] + view.getOffset() * eb, dtype,
                                       view.getSizes(), view.getStrides());
  }

  LogicalResult lower(Operation *op, OpBuilder &b, DenseMap<Value, int64_t> &address,
                      const ArchConfig &arch, int64_t &nextDma) {
    for (Value v : op->getOperands())
      if (auto t = dyn_cast<MemRefType>(v.getType()); t && !isa::dtypeFromType(t.getElementType()))
        return op->emitOpError("element type ") << t.getElementType() << " has no hardware type";
    MLIRContext *ctx = op->getContext();
    // Each instruction remembers the tile op it came from.
    Location loc = FusedLoc::get(ctx, {op->getLoc()}, StringAttr::get(ctx, op->getName().getStringRef()));
    auto q = [&](int64_t queue) { return b.getI64IntegerAttr(queue); };
    auto noWaits = b.getArrayAttr({});
    auto engineOr = [&](std::optional<isa::EngineKind> e, int64_t dflt) -> int64_t {
      return e ? (int64_t)*e : dflt;
    };
    auto dmaQueue = [&] {
      int64_t n = std::max<int64_t>(1, arch.dmaQueues);
      return isa::kFirstDmaQueue + (nextDma++ % n);
    };
    if (llvm::isa<tile::ConstantOp, func::ReturnOp>(op))
      return success();
    if (auto o = dyn_cast<tile::LoadOp>(op)) {
      isa::DmaOp::create(b, loc, q(dmaQueue()), noWaits, UnitAttr(), ap(o.getDst(), o.getDstView(), address),
                         ap(o.getSrc(), o.getSrcView(), address));
    } else if (auto o = dyn_cast<tile::LoadGatherOp>(op)) {
      isa::DmaGatherOp::create(b, loc, q(dmaQueue()), noWaits, UnitAttr(),
                               ap(o.getDst(), o.getDstView(), address),
                               ap(o.getTable(), o.getTableView(), address),
                               ap(o.getIndices(), o.getIndicesView(), address));
    } else if (auto o = dyn_cast<tile::StoreOp>(op)) {
      isa::DmaOp::create(b, loc, q(dmaQueue()), noWaits, UnitAttr(), ap(o.getDst(), o.getDstView(), address),
                         ap(o.getSrc(), o.getSrcView(), address));
    } else if (auto o = dyn_cast<tile::MatmulOp>(op)) {
      isa::LoadStationaryOp::create(b, loc, q(isa::kQueuePE), noWaits, UnitAttr(),
                                    ap(o.getStationary(), o.getStationaryView(), address));
      isa::MultiplyMovingOp::create(b, loc, q(isa::kQueuePE), noWaits, UnitAttr(),
                                    ap(o.getPsum(), o.getPsumView(), address),
                                    ap(o.getMoving(), o.getMovingView(), address), o.getStartAttr());
    } else if (auto o = dyn_cast<tile::SparseMatmulOp>(op)) {
      isa::LoadStationarySparseOp::create(b, loc, q(isa::kQueuePE), noWaits, UnitAttr(),
                                          ap(o.getValues(), o.getValuesView(), address),
                                          ap(o.getTags(), o.getTagsView(), address),
                                          o.getKeepAttr(), o.getGroupAttr());
      isa::MultiplyMovingSparseOp::create(b, loc, q(isa::kQueuePE), noWaits, UnitAttr(),
                                          ap(o.getPsum(), o.getPsumView(), address),
                                          ap(o.getMoving(), o.getMovingView(), address),
                                          o.getKeepAttr(), o.getGroupAttr(), o.getStartAttr());
    } else if (auto o = dyn_cast<tile::ActivationOp>(op)) {
      isa::AccessPatternAttr bias, accum;
      if (o.getBias())
        bias = ap(o.getBias(), *o.getBiasView(), address);
      if (o.getAccum())
        accum = ap(o.getAccum(), *o.getAccumView(), address);
      isa::ActivationOp::create(b, loc, q(isa::kQueueACT), noWaits, UnitAttr(),
                                ap(o.getDst(), o.getDstView(), address),
                                ap(o.getSrc(), o.getSrcView(), address), bias,
                                isa::ActFuncAttr::get(ctx, o.getFunc()), o.getScaleAttr(),
                                accum);
    } else if (auto o = dyn_cast<tile::TensorTensorOp>(op)) {
      isa::TensorTensorOp::create(b, loc, q(engineOr(o.getEngine(), isa::kQueueDVE)), noWaits, UnitAttr(),
                                  ap(o.getDst(), o.getDstView(), address),
                                  ap(o.getLhs(), o.getLhsView(), address),
                                  ap(o.getRhs(), o.getRhsView(), address),
                                  isa::AluOpAttr::get(ctx, o.getOp()));
    } else if (auto o = dyn_cast<tile::TensorScalarOp>(op)) {
      isa::TensorScalarOp::create(b, loc, q(engineOr(o.getEngine(), isa::kQueueDVE)), noWaits, UnitAttr(),
                                  ap(o.getDst(), o.getDstView(), address),
                                  ap(o.getSrc(), o.getSrcView(), address),
                                  isa::AluOpAttr::get(ctx, o.getOp0()), o.getImm0Attr(),
                                  isa::AluOpAttr::get(ctx, o.getOp1()), o.getImm1Attr());
    } else if (auto o = dyn_cast<tile::TensorReduceOp>(op)) {
      isa::TensorReduceOp::create(b, loc, q(engineOr(o.getEngine(), isa::kQueueDVE)), noWaits, UnitAttr(),
                                  ap(o.getDst(), o.getDstView(), address),
                                  ap(o.getSrc(), o.getSrcView(), address),
                                  isa::AluOpAttr::get(ctx, o.getOp()));
    } else if (auto o = dyn_cast<tile::TransposeOp>(op)) {
      isa::TransposeOp::create(b, loc, q(isa::kQueueDVE), noWaits, UnitAttr(),
                               ap(o.getDst(), o.getDstView(), address),
                               ap(o.getSrc(), o.getSrcView(), address));
    } else if (auto o = dyn_cast<tile::IotaOp>(op)) {
      isa::IotaOp::create(b, loc, q(isa::kQueuePOOL), noWaits, UnitAttr(),
                          ap(o.getDst(), o.getDstView(), address), o.getBaseAttr(),
                          o.getPstepAttr(), o.getFstepAttr());
    } else if (auto o = dyn_cast<tile::MemsetOp>(op)) {
      isa::MemsetOp::create(b, loc, q(engineOr(o.getEngine(), isa::kQueueDVE)), noWaits, UnitAttr(),
                            ap(o.getDst(), o.getDstView(), address), o.getValueAttr());
    } else if (auto o = dyn_cast<tile::CopyOp>(op)) {
      isa::CopyOp::create(b, loc, q(engineOr(o.getEngine(), isa::kQueueDVE)), noWaits, UnitAttr(),
                          ap(o.getDst(), o.getDstView(), address),
                          ap(o.getSrc(), o.getSrcView(), address));
    } else {
      return op->emitOpError("has no lowering to the isa dialect");
    }
    return success();
  }
};

} // namespace
