//===- FuseLinear.cpp - matmul + bias + relu -> graph.linear --------------===//

#include "trellis/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace trellis {
#define GEN_PASS_DEF_FUSELINEAR
#include "trellis/Transforms/Passes.h.inc"
} // namespace trellis

using namespace mlir;
using namespace trellis;
using namespace trellis::graph;

namespace {

static ArrayRef<int64_t> shapeOf(Value v) { return cast<RankedTensorType>(v.getType()).getShape(); }

/// matmul(x[..., M, K], w[K, N]) -> linear(x, w): a batched x against one
/// 2-D weight is a single [prod(...) * M, K] product.
struct MatMulToLinear : OpRewritePattern<MatMulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MatMulOp op, PatternRewriter &rewriter) const override {
    if (shapeOf(op.getLhs()).size() < 2 || shapeOf(op.getRhs()).size() != 2)
      return failure();
    rewriter.replaceOpWithNewOp<LinearOp>(
        op, op.getType(), op.getLhs(), op.getRhs(), Value(), rewriter.getF32FloatAttr(1.0f),
        rewriter.getF32FloatAttr(1.0f), ActivationAttr::get(op.getContext(), Activation::none));
    return success();
  }
};

/// add(linear(x, w), b) -> linear(x, w, b) when b broadcasts to the result
/// (and, for a linear of rank > 2, varies along N only).
struct AddIntoLinear : OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AddOp op, PatternRewriter &rewriter) const override {
    for (int i = 0; i < 2; ++i) {
      auto lin = op->getOperand(i).getDefiningOp<LinearOp>();
      Value bias = op->getOperand(1 - i);
      if (!lin || lin.getBias() || lin.getActivation() != Activation::none ||
          !lin->hasOneUse() || shapeOf(bias).size() > 2)
        continue;
      auto shape = broadcastShapes(shapeOf(bias), shapeOf(lin));
      if (!shape || ArrayRef<int64_t>(*shape) != shapeOf(lin))
        continue;
      if (shapeOf(lin).size() > 2 && shapeOf(bias).size() == 2 && shapeOf(bias)[0] != 1)
        continue;
      rewriter.replaceOpWithNewOp<LinearOp>(
          op, op.getType(), lin.getX(), lin.getW(), bias, lin.getAlphaAttr(),
          rewriter.getF32FloatAttr(1.0f), ActivationAttr::get(op.getContext(), Activation::none));
      rewriter.eraseOp(lin);
      return success();
    }
    return failure();
  }
};

/// relu(linear(...)) -> linear(...) {activation = relu}.
struct ReluIntoLinear : OpRewritePattern<ReluOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReluOp op, PatternRewriter &rewriter) const override {
    auto lin = op.getInput().getDefiningOp<LinearOp>();
    if (!lin || lin.getActivation() != Activation::none || !lin->hasOneUse())
      return failure();
    rewriter.modifyOpInPlace(lin, [&] { lin.setActivation(Activation::relu); });
    rewriter.replaceOp(op, lin.getResult());
    return success();
  }
};

/// gelu(linear(...)) -> linear(...) {activation = gelu | gelu_tanh}: the
/// evacuating activation applies it to the biased value, exactly what the
/// separate op would read back.
struct GeluIntoLinear : OpRewritePattern<GeluOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(GeluOp op, PatternRewriter &rewriter) const override {
    auto lin = op.getInput().getDefiningOp<LinearOp>();
    if (!lin || lin.getActivation() != Activation::none || !lin->hasOneUse() ||
        lin.getType() != op.getType())
      return failure();
    rewriter.modifyOpInPlace(
        lin, [&] { lin.setActivation(op.getTanh() ? Activation::gelu_tanh : Activation::gelu); });
    rewriter.replaceOp(op, lin.getResult());
    return success();
  }
};

struct FuseLinearPass : public trellis::impl::FuseLinearBase<FuseLinearPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<MatMulToLinear, AddIntoLinear, ReluIntoLinear, GeluIntoLinear>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
