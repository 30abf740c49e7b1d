//===- FoldBatchNorm.cpp - batch_norm into the preceding conv / linear ----===//
//
// Inference-mode batch norm is a per-channel affine map y = x * a + shift
// with a = scale / sqrt(var + eps) and shift = bias - mean * a. After a
// convolution or linear with constant weights it folds into them: the
// weights of output channel f are scaled by a[f] and the bias becomes
// bias * a + shift. See Passes.td.
//
//===----------------------------------------------------------------------===//

#include "trellis/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/Support/Debug.h"

#include <cmath>

#define DEBUG_TYPE "trellis-fold-batchnorm"

namespace trellis {
#define GEN_PASS_DEF_FOLDBATCHNORM
#include "trellis/Transforms/Passes.h.inc"
} // namespace trellis

using namespace mlir;
using namespace trellis;
using namespace trellis::graph;

namespace {

/// The f32 values of a constant, or nothing.
std::optional<SmallVector<float>> constantValues(Value v) {
  auto c = v.getDefiningOp<ConstantOp>();
  if (!c)
    return std::nullopt;
  auto dense = dyn_cast<DenseElementsAttr>(c.getValue());
  if (!dense || !dense.getElementType().isF32())
    return std::nullopt;
  auto values = dense.getValues<float>();
  return SmallVector<float>(values.begin(), values.end());
}

/// A batch norm's per-channel factor and shift, when its parameters are
/// constants.
struct Affine {
  SmallVector<float> a, shift;
};

std::optional<Affine> affineOf(BatchNormOp bn) {
  auto scale = constantValues(bn.getScale()), bias = constantValues(bn.getBias()),
       mean = constantValues(bn.getMean()), var = constantValues(bn.getVar());
  if (!scale || !bias || !mean || !var)
    return std::nullopt;
  float eps = bn.getEpsilon().convertToFloat();
  Affine f;
  for (size_t i = 0; i < scale->size(); ++i) {
    // In double, as the reference implementations do in effect.
    double a = double((*scale)[i]) / std::sqrt(double((*var)[i]) + double(eps));
    f.a.push_back(float(a));
    f.shift.push_back(float(double((*bias)[i]) - double((*mean)[i]) * a));
  }
  return f;
}

Value makeConstant(PatternRewriter &rewriter, Location loc, ArrayRef<int64_t> shape,
                   ArrayRef<float> values) {
  auto type = RankedTensorType::get(shape, rewriter.getF32Type());
  return ConstantOp::create(rewriter, loc, DenseElementsAttr::get(type, values));
}

/// batch_norm(conv2d(x, w, b)) -> conv2d(x, w * a, b * a + shift).
struct FoldIntoConv : OpRewritePattern<BatchNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BatchNormOp bn, PatternRewriter &rewriter) const override {
    auto conv = bn.getX().getDefiningOp<Conv2DOp>();
    if (!conv || !conv->hasOneUse() || conv.getActivation() != Activation::none ||
        conv.getResidual())
      return rewriter.notifyMatchFailure(
          bn, "input is not a single-use conv2d without activation or residual");
    auto w = constantValues(conv.getW());
    std::optional<SmallVector<float>> bias;
    if (conv.getBias() && !(bias = constantValues(conv.getBias())))
      return rewriter.notifyMatchFailure(bn, "conv2d bias is not an f32 constant");
    auto f = affineOf(bn);
    if (!w || !f)
      return rewriter.notifyMatchFailure(bn, "weights or parameters are not f32 constants");
    int64_t outCh = f->a.size(), perCh = int64_t(w->size()) / outCh;
    for (int64_t o = 0; o < outCh; ++o)
      for (int64_t i = 0; i < perCh; ++i)
        (*w)[o * perCh + i] *= f->a[o];
    SmallVector<float> newBias(outCh);
    for (int64_t o = 0; o < outCh; ++o)
      newBias[o] = (bias ? (*bias)[o] * f->a[o] : 0.0f) + f->shift[o];
    auto wType = cast<RankedTensorType>(conv.getW().getType());
    Value newW = makeConstant(rewriter, conv.getW().getLoc(), wType.getShape(), *w);
    Value newB = makeConstant(rewriter, bn.getLoc(), {outCh}, newBias);
    rewriter.replaceOpWithNewOp<Conv2DOp>(bn, bn.getType(), conv.getX(), newW, newB, Value(),
                                          conv.getStridesAttr(), conv.getPadsAttr(),
                                          conv.getDilationsAttr(), conv.getGroupAttr(),
                                          conv.getActivationAttr());
    rewriter.eraseOp(conv);
    return success();
  }
};

/// batch_norm(linear(x, w, bias)) and batch_norm(matmul(x, w)) of rank-2
/// operands -> linear(x, w * a, bias * a + shift): channel axis 1 is N.
struct FoldIntoLinear : OpRewritePattern<BatchNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BatchNormOp bn, PatternRewriter &rewriter) const override {
    Operation *def = bn.getX().getDefiningOp();
    if (!def || !def->hasOneUse() || cast<RankedTensorType>(bn.getType()).getRank() != 2)
      return rewriter.notifyMatchFailure(bn, "input is not a single-use rank-2 product");
    Value x, wv, biasV;
    float alpha = 1.0f, beta = 1.0f;
    if (auto lin = dyn_cast<LinearOp>(def)) {
      if (lin.getActivation() != Activation::none)
        return rewriter.notifyMatchFailure(bn, "linear has an activation");
      x = lin.getX(), wv = lin.getW(), biasV = lin.getBias();
      alpha = lin.getAlpha().convertToFloat(), beta = lin.getBeta().convertToFloat();
    } else if (auto mm = dyn_cast<MatMulOp>(def)) {
      x = mm.getLhs(), wv = mm.getRhs();
    } else {
      return rewriter.notifyMatchFailure(bn, "input is not a linear or matmul");
    }
    auto w = constantValues(wv);
    auto f = affineOf(bn);
    if (!w || !f)
      return rewriter.notifyMatchFailure(bn, "weights or parameters are not f32 constants");
    int64_t n = f->a.size(), k = int64_t(w->size()) / n;
    SmallVector<float> bias(n, 0.0f);
    if (biasV) {
      auto values = constantValues(biasV);
      auto shape = cast<RankedTensorType>(biasV.getType()).getShape();
      // Only a bias constant along M folds: [N], [1, N] or a scalar.
      if (!values || llvm::count_if(shape, [](int64_t d) { return d != 1; }) > 1 ||
          (!shape.empty() && shape.back() != n && values->size() != 1))
        return rewriter.notifyMatchFailure(bn, "bias varies along M");
      for (int64_t j = 0; j < n; ++j)
        bias[j] = beta * (*values)[values->size() == 1 ? 0 : j];
    }
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < n; ++j)
        (*w)[i * n + j] *= f->a[j];
    for (int64_t j = 0; j < n; ++j)
      bias[j] = bias[j] * f->a[j] + f->shift[j];
    auto wType = cast<RankedTensorType>(wv.getType());
    Value newW = makeConstant(rewriter, wv.getLoc(), wType.getShape(), *w);
    Value newB = makeConstant(rewriter, bn.getLoc(), {n}, bias);
    rewriter.replaceOpWithNewOp<LinearOp>(
        bn, bn.getType(), x, newW, newB, rewriter.getF32FloatAttr(alpha),
        rewriter.getF32FloatAttr(1.0f), ActivationAttr::get(bn.getContext(), Activation::none));
    rewriter.eraseOp(def);
    return success();
  }
};

struct FoldBatchNormPass : public trellis::impl::FoldBatchNormBase<FoldBatchNormPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FoldIntoConv, FoldIntoLinear>(&getContext());
    // A Relu that followed the batch norm now follows the conv: fuse it.
    Conv2DOp::getCanonicalizationPatterns(patterns, &getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
