//===- GraphToTile.cpp - Tile graph ops onto the machine ------------------===//
//
// A direct walk rather than a DialectConversion: every graph value becomes an
// HBM buffer, and each op emits the tile ops that compute its buffer from its
// operands' buffers (destination-passing style). The per-op lowerings live
// in the Lower*.cpp family files; see Passes.td for the mapping of matmuls
// onto the PE array.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"
#include "trellis/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/STLExtras.h"

namespace trellis {
#define GEN_PASS_DEF_CONVERTGRAPHTOTILE
#include "trellis/Transforms/Passes.h.inc"
} // namespace trellis

using namespace mlir;
using namespace trellis;
using namespace trellis::lowering;

namespace {

const LoweringTable &loweringTable() {
  static const LoweringTable table = [] {
    LoweringTable t;
    registerLinearLowerings(t);
    registerElementwiseLowerings(t);
    registerShapeLowerings(t);
    registerConvLowerings(t);
    registerNormLowerings(t);
    registerKernelLowerings(t);
    registerAttentionLowerings(t);
    return t;
  }();
  return table;
}

struct ConvertGraphToTilePass
    : public trellis::impl::ConvertGraphToTileBase<ConvertGraphToTilePass> {
  void runOnOperation() override {
    // Traced kernels (graph.kernel_call callees) are tile IR already; they
    // are inlined at their calls and then dropped.
    SmallVector<func::FuncOp> funcs, kernels;
    for (func::FuncOp f : getOperation().getOps<func::FuncOp>())
      (f->hasAttr("trellis.kernel") ? kernels : funcs).push_back(f);
    for (func::FuncOp f : funcs)
      if (failed(convertFunc(f)))
        return signalPassFailure();
    for (func::FuncOp k : kernels)
      k.erase();
  }

  LogicalResult convertFunc(func::FuncOp f) {
    MLIRContext *ctx = f.getContext();
    OpBuilder b(ctx);
    GraphLowering L(b);
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
    // Detached until the whole function is lowered: freed on failure.
    OwningOpRef<func::FuncOp> owned(newFunc);
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

    for (unsigned i = 0; i < nIn; ++i)
      L.setBuffer(f.getArgument(i), entry->getArgument(i));

    bool failed = false;
    for (Operation &op : f.getBody().front()) {
      if (auto ret = dyn_cast<func::ReturnOp>(op)) {
        if (failed) // a failed lowering left its results without buffers
          break;
        for (auto [i, v] : llvm::enumerate(ret.getOperands())) {
          Value outArg = entry->getArgument(nIn + i);
          Value src = L.buffer(v);
          auto srcAlloc = src.getDefiningOp<tile::AllocOp>();
          if (srcAlloc && !llvm::is_contained(ret.getOperands().take_front(i), v)) {
            // Compute the result directly into the output buffer.
            // Every value sharing the buffer (reshapes) moves with it.
            L.replaceBuffer(srcAlloc.getResult(), outArg);
            srcAlloc.getResult().replaceAllUsesWith(outArg);
            srcAlloc.erase();
            continue;
          }
          // An input, a constant or a repeated result: copy it out.
          L.emitCopy(tagLoc(&op), L.shapeOf(v), L.rowMajor(v),
                     Strided{outArg, 0, rowMajorStrides(L.shapeOf(v))}, L.eltOf(v));
        }
        continue;
      }
      Location loc = tagLoc(&op);
      if (auto c = dyn_cast<graph::ConstantOp>(op)) {
        auto t = cast<RankedTensorType>(c.getType());
        L.setBuffer(c, tile::ConstantOp::create(b, loc, L.hbmType(t.getShape(), t.getElementType()),
                                                c.getValue()));
        continue;
      }
      for (Value operand : op.getOperands())
        if (!L.available(operand)) {
          op.emitOpError("operand is not available in HBM");
          return failure();
        }
      auto it = loweringTable().find(op.getName().getTypeID());
      if (it == loweringTable().end()) {
        op.emitOpError("cannot be tiled yet");
        failed = true;
        continue;
      }
      if (mlir::failed(it->second(&op, L))) {
        failed = true;
        continue;
      }
      for (OpResult result : op.getResults())
        if (!L.available(result)) {
          op.emitOpError("lowering left result ") << result.getResultNumber() << " without a buffer";
          return failure();
        }
    }
    if (failed)
      return failure();
    // Values kept on chip were never stored; their HBM buffers must be unread.
    for (Value buffer : L.onChipOnlyBuffers()) {
      if (!buffer.use_empty())
        return f.emitOpError("internal error: a value kept on chip is read from HBM");
      buffer.getDefiningOp()->erase();
    }
    // An intermediate that is stored but never read back (its readers took
    // the tiles it was stored from, GraphLowering::rowsOnChip) needs no
    // HBM: its stores and buffer go.
    SmallVector<tile::AllocOp> hbmAllocs;
    for (auto a : entry->getOps<tile::AllocOp>())
      if (tile::getMemorySpace(a.getType()) == isa::Space::hbm)
        hbmAllocs.push_back(a);
    for (tile::AllocOp a : hbmAllocs) {
      if (!llvm::all_of(a->getUsers(), [&](Operation *user) {
            auto store = dyn_cast<tile::StoreOp>(user);
            return store && store.getDst() == a.getResult();
          }))
        continue;
      for (Operation *user : llvm::make_early_inc_range(a->getUsers()))
        user->erase();
      a.erase();
    }
    func::ReturnOp::create(b, f.getLoc());
    f->getBlock()->getOperations().insert(Block::iterator(f), owned.release().getOperation());
    f.erase();
    return success();
  }
};

} // namespace
