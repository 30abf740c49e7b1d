//===- FuseNorm.cpp - decomposed layer norm, GELU, softmax -> graph ops ---===//
//
// Exporters spell these ops as chains of element-wise ops and reductions
// (torch.onnx.export before opset 17 for nn.LayerNorm, always for GELU);
// each chain becomes the one graph op the tiler maps onto a few ACT / DVE
// instructions per tile. Patterns are matched from the chain's last op and
// accept commuted operands; constants must match to float tolerance.
//
//===----------------------------------------------------------------------===//

#include "GraphMatchers.h"
#include "trellis/Transforms/Passes.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace trellis {
#define GEN_PASS_DEF_FUSENORM
#include "trellis/Transforms/Passes.h.inc"
} // namespace trellis

using namespace mlir;
using namespace trellis;
using namespace trellis::graph;

namespace {

ArrayRef<int64_t> shapeOf(Value v) { return cast<RankedTensorType>(v.getType()).getShape(); }

bool isScalar(Value v, float expected, float tol = 1e-4f) {
  std::optional<float> value = scalarValue(v);
  return value && std::fabs(*value - expected) <= tol * std::max(1.0f, std::fabs(expected));
}

template <typename OpT> OpT defOf(Value v) { return v ? v.getDefiningOp<OpT>() : OpT(); }

/// `v` as graph.binary `kind`.
BinaryOp binaryOf(Value v, BinaryKind kind) {
  auto op = defOf<BinaryOp>(v);
  return op && op.getKind() == kind ? op : BinaryOp();
}
UnaryOp unaryOf(Value v, UnaryKind kind) {
  auto op = defOf<UnaryOp>(v);
  return op && op.getKind() == kind ? op : UnaryOp();
}
ReduceOp reduceOf(Value v, ReduceKind kind) {
  auto op = defOf<ReduceOp>(v);
  return op && op.getKind() == kind && op.getKeepdims() ? op : ReduceOp();
}

/// Whether `v` and `w` have the same type: the fused op must not change it.
bool sameType(Value v, Value w) { return v.getType() == w.getType(); }

//===----------------------------------------------------------------------===//
// Layer norm
//===----------------------------------------------------------------------===//

/// (x - mean(x)) / sqrt(mean((x - mean(x))^2) + eps), the means over the
/// trailing axes [a, rank) with keepdims -> layer_norm(x) {axis = a}.
/// The squared deviation may be pow(d, 2) or d * d, and the division a
/// multiplication by the reciprocal of the square root.
struct FuseLayerNorm : OpRewritePattern<BinaryOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BinaryOp op, PatternRewriter &rewriter) const override {
    Value d, denom;
    if (op.getKind() == BinaryKind::div) {
      d = op.getLhs();
      denom = op.getRhs();
    } else if (op.getKind() == BinaryKind::mul) {
      for (int i = 0; i < 2 && !denom; ++i)
        if (UnaryOp r = unaryOf(op->getOperand(1 - i), UnaryKind::reciprocal)) {
          d = op->getOperand(i);
          denom = r.getInput();
        }
      if (!denom)
        return failure();
    } else {
      return failure();
    }
    // d = x - mean(x).
    BinaryOp sub = binaryOf(d, BinaryKind::sub);
    if (!sub)
      return failure();
    Value x = sub.getLhs();
    ReduceOp mean = reduceOf(sub.getRhs(), ReduceKind::mean);
    if (!mean || mean.getInput() != x || !sameType(x, op.getResult()))
      return failure();
    ArrayRef<int64_t> axes = mean.getAxes();
    int64_t rank = shapeOf(x).size();
    int64_t axis = axes.front();
    if (!llvm::equal(axes, llvm::seq<int64_t>(axis, rank)))
      return failure();
    // denom = sqrt(mean(d^2) + eps).
    UnaryOp sqrt = unaryOf(denom, UnaryKind::sqrt);
    auto add = defOf<AddOp>(sqrt ? sqrt.getInput() : Value());
    if (!add)
      return failure();
    ReduceOp var;
    std::optional<float> eps;
    for (int i = 0; i < 2 && !var; ++i) {
      var = reduceOf(add->getOperand(i), ReduceKind::mean);
      eps = scalarValue(add->getOperand(1 - i));
      if (!eps)
        var = ReduceOp();
    }
    if (!var || var.getAxes() != axes)
      return failure();
    Value sq = var.getInput();
    BinaryOp pow = binaryOf(sq, BinaryKind::pow), mul = binaryOf(sq, BinaryKind::mul);
    bool squares = (pow && pow.getLhs() == d && isScalar(pow.getRhs(), 2.0f, 0.0f)) ||
                   (mul && mul.getLhs() == d && mul.getRhs() == d);
    if (!squares)
      return failure();
    auto ln = LayerNormOp::create(rewriter, op.getLoc(), x, Value(), Value(), rewriter.getI64IntegerAttr(axis),
                                  rewriter.getF32FloatAttr(*eps));
    rewriter.replaceOp(op, ln.getResult());
    return success();
  }
};

/// layer_norm(x) * g -> layer_norm(x) scale g, and layer_norm(..) + b ->
/// layer_norm(..) bias b, when g, b broadcast to the normalised axes and the
/// norm has no other use.
struct FuseLayerNormAffine : OpRewritePattern<LayerNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LayerNormOp ln, PatternRewriter &rewriter) const override {
    if (ln.getBias() || !ln.getResult().hasOneUse() || !ln.getMean().use_empty() ||
        !ln.getInvStdDev().use_empty())
      return failure();
    Operation *user = *ln.getResult().getUsers().begin();
    bool isMul = false;
    if (auto b = dyn_cast<BinaryOp>(user); b && b.getKind() == BinaryKind::mul && !ln.getScale())
      isMul = true;
    else if (!llvm::isa<AddOp>(user))
      return failure();
    Value other = user->getOperand(0) == ln.getResult() ? user->getOperand(1) : user->getOperand(0);
    ArrayRef<int64_t> normalized = shapeOf(ln.getInput()).drop_front(ln.getAxis());
    auto shape = broadcastShapes(shapeOf(other), normalized);
    if (shapeOf(other).size() > normalized.size() || !shape ||
        ArrayRef<int64_t>(*shape) != normalized || !sameType(user->getResult(0), ln.getResult()) ||
        cast<RankedTensorType>(other.getType()).getElementType() !=
            cast<RankedTensorType>(ln.getResult().getType()).getElementType())
      return failure();
    Value scale = isMul ? other : ln.getScale();
    Value bias = isMul ? Value() : other;
    rewriter.setInsertionPoint(user);
    auto fused = LayerNormOp::create(rewriter, ln.getLoc(), ln.getInput(), scale, bias,
                                     ln.getAxisAttr(), ln.getEpsilonAttr());
    rewriter.replaceOp(user, fused.getResult());
    rewriter.eraseOp(ln);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// GELU
//===----------------------------------------------------------------------===//

/// Whether `v` is x * x * x (or pow(x, 3)).
bool isCube(Value v, Value x) {
  if (BinaryOp p = binaryOf(v, BinaryKind::pow))
    return p.getLhs() == x && isScalar(p.getRhs(), 3.0f, 0.0f);
  BinaryOp m = binaryOf(v, BinaryKind::mul);
  if (!m)
    return false;
  for (int i = 0; i < 2; ++i) {
    BinaryOp sq = binaryOf(m->getOperand(i), BinaryKind::mul);
    if (m->getOperand(1 - i) == x && sq && sq.getLhs() == x && sq.getRhs() == x)
      return true;
  }
  return false;
}

/// The x of erf(x / sqrt(2)) (or erf(x * 1/sqrt(2))).
Value erfArgument(Value v) {
  UnaryOp erf = unaryOf(v, UnaryKind::erf);
  if (!erf)
    return {};
  Value in = erf.getInput();
  if (BinaryOp d = binaryOf(in, BinaryKind::div); d && isScalar(d.getRhs(), float(M_SQRT2)))
    return d.getLhs();
  if (BinaryOp m = binaryOf(in, BinaryKind::mul))
    for (int i = 0; i < 2; ++i)
      if (isScalar(m->getOperand(1 - i), float(M_SQRT1_2)))
        return m->getOperand(i);
  return {};
}

/// The x of tanh(sqrt(2/pi) * (x + 0.044715 * x^3)).
Value tanhArgument(Value v) {
  UnaryOp tanh = unaryOf(v, UnaryKind::tanh);
  BinaryOp outer = tanh ? binaryOf(tanh.getInput(), BinaryKind::mul) : BinaryOp();
  if (!outer)
    return {};
  const float kBeta = 0.7978845608f, kKappa = 0.044715f;
  for (int i = 0; i < 2; ++i) {
    auto inner = defOf<AddOp>(outer->getOperand(i));
    if (!inner || !isScalar(outer->getOperand(1 - i), kBeta))
      continue;
    for (int j = 0; j < 2; ++j) {
      Value x = inner->getOperand(j);
      BinaryOp scaled = binaryOf(inner->getOperand(1 - j), BinaryKind::mul);
      if (!scaled)
        continue;
      for (int k = 0; k < 2; ++k)
        if (isScalar(scaled->getOperand(k), kKappa) && isCube(scaled->getOperand(1 - k), x))
          return x;
    }
  }
  return {};
}

/// 0.5 * x * (1 + f), f = erf(x / sqrt(2)) or tanh(sqrt(2/pi) * (x +
/// 0.044715 x^3)), the three factors multiplied in any order ->
/// graph.gelu x (tanh).
struct FuseGelu : OpRewritePattern<BinaryOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BinaryOp op, PatternRewriter &rewriter) const override {
    if (op.getKind() != BinaryKind::mul)
      return failure();
    // The leaves of a product of at most three factors.
    SmallVector<Value, 3> leaves;
    for (Value operand : op->getOperands()) {
      BinaryOp inner = binaryOf(operand, BinaryKind::mul);
      if (inner && inner->hasOneUse() && !scalarValue(operand)) {
        leaves.push_back(inner.getLhs());
        leaves.push_back(inner.getRhs());
      } else {
        leaves.push_back(operand);
      }
    }
    if (leaves.size() != 3)
      return failure();
    // One leaf is 0.5, one is 1 + f(x), and one is x.
    for (int h = 0; h < 3; ++h) {
      if (!isScalar(leaves[h], 0.5f))
        continue;
      for (int a = 0; a < 3; ++a) {
        auto add = defOf<AddOp>(leaves[a]);
        if (a == h || !add)
          continue;
        Value x = leaves[3 - h - a];
        for (int i = 0; i < 2; ++i) {
          if (!isScalar(add->getOperand(1 - i), 1.0f))
            continue;
          Value f = add->getOperand(i);
          bool tanh = false;
          if (erfArgument(f) != x) {
            if (tanhArgument(f) != x)
              continue;
            tanh = true;
          }
          if (!sameType(x, op.getResult()))
            return failure();
          rewriter.replaceOpWithNewOp<GeluOp>(op, x, tanh);
          return success();
        }
      }
    }
    return failure();
  }
};

//===----------------------------------------------------------------------===//
// Softmax
//===----------------------------------------------------------------------===//

/// e / sum(e) with e = exp(x - max(x)) (or exp(x)), the reductions over the
/// same axes with keepdims -> softmax(x); (x - max(x)) - log(sum(exp(x -
/// max(x)))) -> softmax(x) log.
struct FuseSoftmax : OpRewritePattern<BinaryOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BinaryOp op, PatternRewriter &rewriter) const override {
    bool log = op.getKind() == BinaryKind::sub;
    if (op.getKind() != BinaryKind::div && !log)
      return failure();
    if (!log) {
      ReduceOp sum = reduceOf(op.getRhs(), ReduceKind::sum);
      UnaryOp exp = unaryOf(op.getLhs(), UnaryKind::exp);
      if (!sum || !exp || sum.getInput() != op.getLhs())
        return failure();
      return rewrite(op, exp.getInput(), sum.getAxes(), false, rewriter);
    }
    // log-softmax: z - log(sum(exp(z))).
    UnaryOp logOp = unaryOf(op.getRhs(), UnaryKind::log);
    ReduceOp sum = logOp ? reduceOf(logOp.getInput(), ReduceKind::sum) : ReduceOp();
    UnaryOp exp = sum ? unaryOf(sum.getInput(), UnaryKind::exp) : UnaryOp();
    if (!exp || exp.getInput() != op.getLhs())
      return failure();
    return rewrite(op, op.getLhs(), sum.getAxes(), true, rewriter);
  }

  /// Replaces `op` by the softmax whose exponent is `z` (x - max(x) or x).
  LogicalResult rewrite(BinaryOp op, Value z, ArrayRef<int64_t> axes, bool log,
                        PatternRewriter &rewriter) const {
    Value x = z;
    if (BinaryOp sub = binaryOf(z, BinaryKind::sub)) {
      ReduceOp max = reduceOf(sub.getRhs(), ReduceKind::max);
      if (max && max.getInput() == sub.getLhs() && max.getAxes() == axes)
        x = sub.getLhs();
    }
    // log-softmax needs the shift: log(sum(exp(x))) alone is not x's.
    if (log && x == z)
      return failure();
    if (!sameType(x, op.getResult()))
      return failure();
    rewriter.replaceOpWithNewOp<SoftmaxOp>(op, x, rewriter.getDenseI64ArrayAttr(axes), log);
    return success();
  }
};

struct FuseNormPass : public trellis::impl::FuseNormBase<FuseNormPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseLayerNorm, FuseLayerNormAffine, FuseGelu, FuseSoftmax>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
