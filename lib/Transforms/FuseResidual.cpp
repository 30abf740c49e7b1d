//===- FuseResidual.cpp - conv2d + skip add (+ relu) -> one conv2d --------===//
//
// ResNet's skip connection, relu(conv(x) + identity), otherwise costs two
// element-wise ops that each read and write the whole activation in HBM.
// As the convolution's residual operand it is added while PSUM is evacuated.
//
//===----------------------------------------------------------------------===//

#include "trellis/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace trellis {
#define GEN_PASS_DEF_FUSERESIDUAL
#include "trellis/Transforms/Passes.h.inc"
} // namespace trellis

using namespace mlir;
using namespace trellis;
using namespace trellis::graph;

namespace {

/// add(conv2d(...), r) or add(r, conv2d(...)) -> conv2d(...) residual r,
/// when the convolution has no activation yet and no other user, and r has
/// the result's type (no broadcast). Addition is commutative in fp32, and
/// the tiler adds r after the bias, so the rounding is the add's.
struct AddIntoConv : OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AddOp add, PatternRewriter &rewriter) const override {
    for (unsigned i = 0; i < 2; ++i) {
      auto conv = add->getOperand(i).getDefiningOp<Conv2DOp>();
      Value other = add->getOperand(1 - i);
      if (!conv || conv.getResidual() || conv.getActivation() != Activation::none ||
          !conv->hasOneUse() || other.getType() != conv.getType() ||
          add.getType() != conv.getType())
        continue;
      // The residual must exist where the convolution is evaluated.
      if (Operation *def = other.getDefiningOp();
          def && def->getBlock() == conv->getBlock() && !def->isBeforeInBlock(conv))
        rewriter.moveOpAfter(conv, def);
      rewriter.modifyOpInPlace(conv, [&] { conv.getResidualMutable().assign(other); });
      rewriter.replaceOp(add, conv.getResult());
      return success();
    }
    return rewriter.notifyMatchFailure(add, "no single-use conv2d operand to absorb it");
  }
};

struct FuseResidualPass : public trellis::impl::FuseResidualBase<FuseResidualPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<AddIntoConv>(&getContext());
    // relu(conv2d(...) residual r) then fuses as the activation.
    Conv2DOp::getCanonicalizationPatterns(patterns, &getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
