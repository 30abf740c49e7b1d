//===- FuseAttention.cpp - MatMul/scale/mask/Softmax/MatMul -> attention --===//
//
// torch.onnx.export spells attention as
//   softmax(mask(scale * (Q @ K^T))) @ V
// with the scale a Mul or Div by a constant (after the product, or applied
// to Q or K^T before it), the mask an Add or a Where against a constant
// condition (masked_fill), and K^T a Transpose. The chain, matched from its
// last MatMul, becomes one graph.attention with K in [B..., S, D] layout.
//
//===----------------------------------------------------------------------===//

#include "GraphMatchers.h"
#include "trellis/Transforms/Passes.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>
#include <limits>

namespace trellis {
#define GEN_PASS_DEF_FUSEATTENTION
#include "trellis/Transforms/Passes.h.inc"
} // namespace trellis

#define DEBUG_TYPE "trellis-fuse-attention"

using namespace mlir;
using namespace trellis;
using namespace trellis::graph;

namespace {

RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

/// A fill that zeroes a softmax probability: -inf, or finite but so
/// negative that exp underflows whatever the scores (-1e9, float's min).
bool isMaskingFill(float f) { return f <= -1e9f; }

/// `v` = `x` * c or `x` / c with a scalar constant c (the op having one
/// use): multiplies `scale` by c (or 1/c) and returns x; otherwise v.
Value stripScale(Value v, float &scale) {
  auto bin = v.getDefiningOp<BinaryOp>();
  if (!bin || !bin->hasOneUse() || bin.getType() != bin.getLhs().getType())
    return v;
  if (bin.getKind() == BinaryKind::div) {
    if (auto c = scalarValue(bin.getRhs()); c && *c != 0.0f) {
      scale /= *c;
      return bin.getLhs();
    }
  } else if (bin.getKind() == BinaryKind::mul) {
    for (int i = 0; i < 2; ++i)
      if (auto c = scalarValue(bin->getOperand(i));
          c && bin->getOperand(1 - i).getType() == bin.getType()) {
        scale *= *c;
        return bin->getOperand(1 - i);
      }
  }
  return v;
}

/// Whether every [Sq, Sk] slice of `cond` is true exactly where key j >
/// query i (torch.tril's complement): a causal mask.
bool isCausal(DenseElementsAttr cond) {
  auto shape = cast<ShapedType>(cond.getType()).getShape();
  if (shape.size() < 2)
    return false;
  int64_t sq = shape[shape.size() - 2], sk = shape.back();
  int64_t idx = 0;
  for (bool c : cond.getValues<bool>()) {
    int64_t j = idx % sk, i = (idx / sk) % sq;
    if (c != (j > i))
      return false;
    ++idx;
  }
  return true;
}

struct FuseAttentionPattern : OpRewritePattern<MatMulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MatMulOp pv, PatternRewriter &rewriter) const override {
    auto softmax = pv.getLhs().getDefiningOp<SoftmaxOp>();
    if (!softmax || softmax.getLog() || !softmax->hasOneUse())
      return rewriter.notifyMatchFailure(pv, "lhs is not a softmax used once");
    int64_t rank = typeOf(softmax).getRank();
    if (softmax.getAxes().size() != 1 || softmax.getAxes()[0] != rank - 1)
      return rewriter.notifyMatchFailure(pv, "softmax is not over the last axis");
    Value s = softmax.getInput();
    Type scoresType = s.getType();

    // The mask, outermost: Add of any broadcasting value, or a Where
    // against a constant condition with a masking fill.
    Value mask;
    bool causal = false;
    // A constant Where condition that is not causal, as an additive mask
    // of 0 / fill, built once the whole chain has matched.
    std::optional<std::pair<RankedTensorType, SmallVector<float>>> constantMask;
    Location maskLoc = pv.getLoc();
    if (auto add = s.getDefiningOp<AddOp>(); add && add->hasOneUse()) {
      for (int i = 0; i < 2 && !mask; ++i)
        if (add->getOperand(i).getType() == scoresType &&
            mlir::isa_and_nonnull<MatMulOp, BinaryOp>(add->getOperand(i).getDefiningOp()) &&
            typeOf(add->getOperand(1 - i)).getRank() <= rank) {
          mask = add->getOperand(1 - i);
          s = add->getOperand(i);
        }
      if (!mask)
        return rewriter.notifyMatchFailure(pv, "add is not scores + mask");
    } else if (auto sel = s.getDefiningOp<SelectOp>(); sel && sel->hasOneUse()) {
      DenseElementsAttr cond;
      if (!matchPattern(sel.getCondition(), m_Constant(&cond)))
        return rewriter.notifyMatchFailure(pv, "where's condition is not a constant");
      // masked_fill: where(c, fill, s); or where(c, s, fill) keeping c.
      std::optional<float> fill = scalarValue(sel.getX());
      bool maskedWhereTrue = fill.has_value();
      if (!fill)
        fill = scalarValue(sel.getY());
      Value kept = maskedWhereTrue ? sel.getY() : sel.getX();
      if (!fill || !isMaskingFill(*fill) || kept.getType() != scoresType)
        return rewriter.notifyMatchFailure(pv, "where is not a masked_fill with -inf");
      if (!maskedWhereTrue) {
        SmallVector<bool> inverted;
        for (bool c : cond.getValues<bool>())
          inverted.push_back(!c);
        cond = DenseElementsAttr::get(cast<ShapedType>(cond.getType()), inverted);
      }
      auto condShape = cast<ShapedType>(cond.getType()).getShape();
      auto scoresShape = typeOf(kept).getShape();
      if ((int64_t)condShape.size() > rank)
        return rewriter.notifyMatchFailure(pv, "where's condition has a higher rank");
      if (condShape.size() >= 2 && condShape.take_back(2) == scoresShape.take_back(2) &&
          isCausal(cond)) {
        causal = true;
      } else {
        // Any other constant condition: an additive mask of 0 / fill.
        SmallVector<float> values;
        for (bool c : cond.getValues<bool>())
          values.push_back(c ? *fill : 0.0f);
        constantMask = {RankedTensorType::get(condShape, rewriter.getF32Type()), values};
        maskLoc = sel.getLoc();
      }
      s = kept;
    }

    // The scale: after the product, and on Q and K^T before it.
    float scale = 1.0f;
    s = stripScale(s, scale);
    auto qk = s.getDefiningOp<MatMulOp>();
    if (!qk || !qk->hasOneUse())
      return rewriter.notifyMatchFailure(pv, "no Q @ K^T product used once");
    Value q = stripScale(qk.getLhs(), scale);
    Value kt = stripScale(qk.getRhs(), scale);
    Value v = pv.getRhs();
    if (typeOf(q).getRank() != rank || typeOf(kt).getRank() != rank ||
        typeOf(v).getRank() != rank)
      return rewriter.notifyMatchFailure(pv, "q, k and v ranks differ");
    if (!typeOf(q).getElementType().isF32() || typeOf(q).getElementType() != typeOf(pv).getElementType())
      return rewriter.notifyMatchFailure(pv, "not f32");
    if (mask && typeOf(mask).getElementType() != typeOf(q).getElementType())
      return rewriter.notifyMatchFailure(pv, "mask element type differs");

    // Matched: from here on the IR changes.
    if (constantMask)
      mask = ConstantOp::create(rewriter, maskLoc,
                                DenseElementsAttr::get(constantMask->first,
                                                       ArrayRef<float>(constantMask->second)));

    // K in [B..., Sk, D]: undo K^T's transpose (or transpose it back).
    SmallVector<int64_t> swapLast = llvm::to_vector(llvm::seq<int64_t>(0, rank));
    std::swap(swapLast[rank - 1], swapLast[rank - 2]);
    Value k;
    Value ktSource = kt;
    SmallVector<int64_t> perm = swapLast;
    if (auto t = kt.getDefiningOp<TransposeOp>()) {
      ktSource = t.getInput();
      for (int64_t d = 0; d < rank; ++d)
        perm[d] = t.getPerm()[swapLast[d]];
    }
    if (llvm::equal(perm, llvm::seq<int64_t>(0, rank)))
      k = ktSource;
    else
      k = TransposeOp::create(rewriter, qk.getLoc(), ktSource, rewriter.getDenseI64ArrayAttr(perm));

    auto attention = AttentionOp::create(rewriter, pv.getLoc(), pv.getType(), q, k, v, mask,
                                         rewriter.getF32FloatAttr(scale),
                                         causal ? rewriter.getUnitAttr() : UnitAttr());
    rewriter.replaceOp(pv, attention.getResult());
    return success();
  }
};

struct FuseAttentionPass : trellis::impl::FuseAttentionBase<FuseAttentionPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseAttentionPattern>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
