//===- AutoCast.cpp - Mixed precision (--auto-cast) -----------------------===//
//
// Casts the PE operands of matrix products (mode=matmult), or every f32
// tensor (mode=all), to bf16, fp16 or fp8_e4m3; see Passes.td.
//
//===----------------------------------------------------------------------===//

#include "trellis/Support/Numerics.h"
#include "trellis/Transforms/Passes.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallPtrSet.h"

#include <cstring>

namespace trellis {
#define GEN_PASS_DEF_AUTOCAST
#include "trellis/Transforms/Passes.h.inc"
} // namespace trellis

#define DEBUG_TYPE "trellis-auto-cast"

using namespace mlir;
using namespace trellis;
using namespace trellis::graph;

namespace {

bool isF32Tensor(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && t.getElementType().isF32();
}

RankedTensorType withElement(Type t, Type elt) {
  return cast<RankedTensorType>(t).clone(elt);
}

/// Converts one f32 to the bytes of `elt`, as the engines round on a write.
void encode(Type elt, float f, char *out) {
  if (elt.isBF16()) {
    uint16_t h = numerics::f32ToBf16(f);
    std::memcpy(out, &h, 2);
  } else if (elt.isF16()) {
    uint16_t h = numerics::f32ToF16(f);
    std::memcpy(out, &h, 2);
  } else {
    *out = char(numerics::f32ToF8E4M3(f));
  }
}

/// Narrows values to `target` and widens them back to f32, one cast per
/// value; constants are converted at compile time.
class Caster {
public:
  Caster(MLIRContext *ctx, Type target) : b(ctx), target(target) {}

  Value narrow(Value v) { return convert(v, target, narrowed); }
  Value widen(Value v) { return convert(v, b.getF32Type(), widened); }

  /// Erases the f32 constants every user of which now reads the narrow
  /// copy, so that the artifact holds the weights once, narrow.
  void eraseDeadConstants() {
    for (auto [v, narrow] : narrowed)
      if (auto c = v.getDefiningOp<ConstantOp>(); c && c->use_empty())
        c.erase();
    narrowed.clear();
  }

private:
  Value convert(Value v, Type elt, DenseMap<Value, Value> &cache) {
    if (Value c = cache.lookup(v))
      return c;
    // Right after the definition, so the cast dominates every use.
    if (Operation *def = v.getDefiningOp())
      b.setInsertionPointAfter(def);
    else
      b.setInsertionPointToStart(cast<BlockArgument>(v).getOwner());
    auto type = withElement(v.getType(), elt);
    Value out;
    if (auto c = v.getDefiningOp<ConstantOp>())
      if (auto dense = dyn_cast<DenseElementsAttr>(c.getValue()); dense && elt == target)
        out = ConstantOp::create(b, v.getLoc(), convertConstant(dense, type));
    if (!out)
      out = CastOp::create(b, v.getLoc(), type, v);
    cache[v] = out;
    return out;
  }

  /// f32 elements -> `type`'s, rounded as the hardware rounds.
  DenseElementsAttr convertConstant(DenseElementsAttr dense, RankedTensorType type) {
    int64_t eb = std::max<unsigned>(1, type.getElementTypeBitWidth() / 8);
    // A splat stays a splat: one element of raw data.
    std::vector<char> raw(size_t(dense.isSplat() ? 1 : dense.getNumElements()) * eb);
    size_t i = 0;
    for (float f : dense.getValues<float>()) {
      encode(type.getElementType(), f, raw.data() + i * eb);
      if (++i * eb == raw.size())
        break;
    }
    return DenseElementsAttr::getFromRawBuffer(type, raw);
  }

  OpBuilder b;
  Type target;
  DenseMap<Value, Value> narrowed, widened;
};

/// The operands of a PE op that enter the PE array (not biases or masks).
SmallVector<unsigned> peOperands(Operation *op) {
  if (mlir::isa<MatMulOp, LinearOp, Conv2DOp, ConvTranspose2DOp>(op))
    return {0, 1};
  if (mlir::isa<AttentionOp>(op))
    return {0, 1, 2};
  return {};
}

struct AutoCastPass : trellis::impl::AutoCastBase<AutoCastPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    if (mode != "none" && mode != "matmult" && mode != "all") {
      fn.emitError() << "--auto-cast=" << mode << ": expected none, matmult or all";
      return signalPassFailure();
    }
    Builder b(&getContext());
    Type target = type == "bf16"       ? Type(b.getBF16Type())
                  : type == "fp16"     ? Type(b.getF16Type())
                  : type == "fp8_e4m3" ? Type(b.getType<Float8E4M3FNType>())
                                       : Type();
    if (!target) {
      fn.emitError() << "--auto-cast-type=" << type << ": expected bf16, fp16 or fp8_e4m3";
      return signalPassFailure();
    }
    if (mode == "all" && type == "fp8_e4m3") {
      fn.emitError() << "--auto-cast=all does not take --auto-cast-type=fp8_e4m3 (only the "
                        "matrix products run in fp8; use --auto-cast=matmult)";
      return signalPassFailure();
    }
    if (mode == "none")
      return;
    Caster caster(&getContext(), target);
    if (mode == "matmult")
      castMatmuls(fn, caster);
    else if (failed(castAll(fn, caster, target)))
      return signalPassFailure();
    caster.eraseDeadConstants();
    if (mode == "matmult")
      narrowCastResults(fn, target);
  }

  /// A matrix product whose f32 result only feeds a cast to `target` (the
  /// next product's operand) writes `target` itself: its PSUM evacuation
  /// rounds to nearest even exactly as the cast would, and the f32 tensor
  /// never goes through HBM. A cast behind reshapes and transposes (a
  /// projection split into attention heads, the heads merged back) first
  /// moves up through them: they only move elements, so they move half the
  /// bytes in `target`. So does a cast behind a slice (a fused QKV
  /// projection split into q, k and v); the casts of one value hoisted
  /// there become one, so that the product's result has it as its only
  /// user. Not for fp8, which the tiler keeps to PE operands (an fp8 result
  /// would have to be tiled as one).
  static void narrowCastResults(func::FuncOp fn, Type target) {
    if (!target.isBF16() && !target.isF16())
      return;
    SmallVector<CastOp> casts;
    fn.walk([&](CastOp c) { casts.push_back(c); });
    // Casts made redundant are unlinked here and erased at the end: a cast
    // reused by a later hoist may still be ahead in `casts`.
    llvm::SmallPtrSet<Operation *, 16> dead;
    auto retire = [&](CastOp c, Value replacement) {
      c.getResult().replaceAllUsesWith(replacement);
      c->dropAllReferences();
      dead.insert(c);
    };
    for (CastOp c : casts) {
      if (dead.contains(c) || !isF32Tensor(c.getInput()) ||
          withElement(c.getInput().getType(), target) != c.getType())
        continue;
      // cast(layout(x)) -> layout(cast(x)) while the layout op has no other
      // user; x's existing cast to `target` is reused.
      while (Operation *layout = c.getInput().getDefiningOp()) {
        if (!mlir::isa<ReshapeOp, TransposeOp, SliceOp>(layout) || !c.getInput().hasOneUse())
          break;
        Value src = layout->getOperand(0);
        RankedTensorType hoistedType = withElement(src.getType(), target);
        CastOp hoisted;
        for (Operation *user : src.getUsers())
          if (auto other = dyn_cast<CastOp>(user); other && other.getType() == hoistedType)
            hoisted = other;
        if (hoisted) {
          // Right after x, so that it comes before every layout op it feeds.
          if (Operation *srcDef = src.getDefiningOp())
            hoisted->moveAfter(srcDef);
          else
            hoisted->moveBefore(&src.getParentBlock()->front());
        } else {
          OpBuilder b(layout);
          hoisted = CastOp::create(b, c.getLoc(), hoistedType, src);
        }
        layout->setOperand(0, hoisted);
        layout->getResult(0).setType(c.getType());
        retire(c, layout->getResult(0));
        c = hoisted;
      }
      Operation *def = c.getInput().getDefiningOp();
      if (!def || !mlir::isa<MatMulOp, LinearOp, Conv2DOp, ConvTranspose2DOp, AttentionOp>(def) ||
          !c.getInput().hasOneUse() ||
          !llvm::all_of(peOperands(def), [&](unsigned i) {
            return getElementTypeOrSelf(def->getOperand(i).getType()) == target;
          }))
        continue;
      c.getInput().setType(c.getType());
      retire(c, c.getInput());
    }
    for (Operation *c : dead)
      c->erase();
  }

  /// PE operands to `target`; results (and so PSUM evacuation) stay f32
  /// unless only cast to `target` (narrowCastResults).
  static void castMatmuls(func::FuncOp fn, Caster &caster) {
    fn.walk([&](Operation *op) {
      SmallVector<unsigned> pe = peOperands(op);
      if (pe.empty() || !llvm::all_of(pe, [&](unsigned i) { return isF32Tensor(op->getOperand(i)); }))
        return;
      for (unsigned i : pe)
        op->setOperand(i, caster.narrow(op->getOperand(i)));
    });
  }

  /// Every graph op computes in `target`: f32 operands are narrowed and the
  /// result types re-inferred; function results are widened back.
  static LogicalResult castAll(func::FuncOp fn, Caster &caster, Type target) {
    SmallVector<Operation *> ops;
    for (Operation &op : fn.getBody().front())
      if (!mlir::isa<ConstantOp, CastOp>(op) && mlir::isa_and_nonnull<GraphDialect>(op.getDialect()))
        ops.push_back(&op);
    for (Operation *op : ops) {
      if (auto call = mlir::dyn_cast<KernelCallOp>(op)) {
        // A hand-written kernel was traced for its operand types: give it
        // back the f32 it takes; its results keep the kernel's types.
        auto callee = SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(call, call.getCalleeAttr());
        for (OpOperand &operand : op->getOpOperands()) {
          auto buffer = callee ? mlir::dyn_cast<MemRefType>(
                                     callee.getArgumentTypes()[operand.getOperandNumber()])
                               : MemRefType();
          if (buffer && buffer.getElementType().isF32() && !isF32Tensor(operand.get()))
            operand.set(caster.widen(operand.get()));
        }
        continue;
      }
      for (OpOperand &operand : op->getOpOperands())
        if (isF32Tensor(operand.get()))
          operand.set(caster.narrow(operand.get()));
      if (auto infer = dyn_cast<InferTypeOpInterface>(op)) {
        SmallVector<Type> types;
        if (failed(infer.inferReturnTypes(op->getContext(), op->getLoc(), op->getOperands(),
                                          op->getRawDictionaryAttrs(), op->getPropertiesStorage(),
                                          op->getRegions(), types)))
          return op->emitOpError("has no ") << target << " form (--auto-cast=all)";
        for (auto [r, t] : llvm::zip(op->getResults(), types))
          r.setType(t);
      } else {
        // reshape, expand, slice: the result has the operand's element type.
        for (Value r : op->getResults())
          if (isF32Tensor(r))
            r.setType(withElement(r.getType(), target));
      }
    }
    Operation *ret = fn.getBody().front().getTerminator();
    for (auto [operand, want] : llvm::zip(ret->getOpOperands(), fn.getResultTypes()))
      if (operand.get().getType() != want)
        operand.set(caster.widen(operand.get()));
    return success();
  }
};

} // namespace
