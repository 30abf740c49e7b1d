//===- GraphConvOps.cpp - Graph dialect: Conv family ops ---------------===//
//
// Shape inference, verifiers and canonicalization of the ops in
// GraphConvOps.td. Shape inference checks everything the result shape
// depends on, so that an importer can call it on untrusted models before
// building an op; the verifiers add the checks of the remaining operands.
//
//===----------------------------------------------------------------------===//

#include "trellis/Dialect/Graph.h"

#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace trellis::graph;

static LogicalResult fail(std::optional<Location> loc, const Twine &msg) {
  if (loc)
    return emitError(*loc, msg);
  return failure();
}

static RankedTensorType ranked(Value v) { return cast<RankedTensorType>(v.getType()); }

static std::string list(ArrayRef<int64_t> v) {
  std::string s = "[";
  for (auto [i, x] : llvm::enumerate(v))
    s += (i ? ", " : "") + std::to_string(x);
  return s + "]";
}

/// Checks the 2-D window geometry: two positive strides and dilations, four
/// non-negative pads (when `allowNegativePads` is false).
static LogicalResult checkGeometry(StringRef op, std::optional<Location> loc,
                                   ArrayRef<int64_t> strides, ArrayRef<int64_t> pads,
                                   ArrayRef<int64_t> dilations) {
  if (strides.size() != 2 || dilations.size() != 2 || pads.size() != 4)
    return fail(loc, op + ": needs 2 strides, 2 dilations and 4 pads, got " + list(strides) +
                         ", " + list(dilations) + ", " + list(pads));
  for (int64_t v : llvm::concat<const int64_t>(strides, dilations))
    if (v <= 0)
      return fail(loc, op + ": strides and dilations must be positive, got " + list(strides) +
                           " and " + list(dilations));
  for (int64_t p : pads)
    if (p < 0)
      return fail(loc, op + ": pads must be non-negative, got " + list(pads));
  return success();
}

/// Every dimension of `t` is positive: an empty image, channel axis or
/// kernel has no convolution to tile.
static LogicalResult checkNonEmpty(StringRef op, std::optional<Location> loc, StringRef name,
                                   RankedTensorType t) {
  if (llvm::all_of(t.getShape(), [](int64_t d) { return d > 0; }))
    return success();
  return fail(loc, op + ": " + name + " has an empty dimension " + list(t.getShape()));
}

/// Output extent of a window walk; 0 or less when the window does not fit.
static int64_t windowCount(int64_t in, int64_t padBegin, int64_t padEnd, int64_t k,
                           int64_t stride, int64_t dilation, bool ceilMode) {
  int64_t span = in + padBegin + padEnd - ((k - 1) * dilation + 1);
  if (span < 0)
    return 0;
  int64_t out = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1;
  // A window must start inside the input or its leading padding.
  if (ceilMode && (out - 1) * stride >= in + padBegin)
    --out;
  return out;
}

//===----------------------------------------------------------------------===//
// Conv2DOp
//===----------------------------------------------------------------------===//

LogicalResult Conv2DOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location> loc,
                                         ValueRange operands, DictionaryAttr attrs,
                                         OpaqueProperties props, RegionRange regions,
                                         SmallVectorImpl<Type> &results) {
  if (!props)
    return fail(loc, "graph.conv2d: missing properties");
  Conv2DOp::Adaptor a(operands, attrs, props, regions);
  auto x = ranked(operands[0]), w = ranked(operands[1]);
  if (x.getRank() != 4 || w.getRank() != 4)
    return fail(loc, "graph.conv2d: x and w must be rank 4");
  if (x.getElementType() != w.getElementType())
    return fail(loc, "graph.conv2d: x and w element types differ");
  if (failed(checkNonEmpty("graph.conv2d", loc, "x", x)) ||
      failed(checkNonEmpty("graph.conv2d", loc, "w", w)))
    return failure();
  if (failed(checkGeometry("graph.conv2d", loc, a.getStrides(), a.getPads(), a.getDilations())))
    return failure();
  int64_t group = a.getGroup();
  int64_t c = x.getDimSize(1), f = w.getDimSize(0);
  if (group <= 0 || c % group != 0 || f % group != 0)
    return fail(loc, "graph.conv2d: group " + Twine(group) + " must divide the " + Twine(c) +
                         " input and " + Twine(f) + " output channels");
  if (w.getDimSize(1) * group != c)
    return fail(loc, "graph.conv2d: w has " + Twine(w.getDimSize(1)) +
                         " input channels per group, x has " + Twine(c) + " in " +
                         Twine(group) + " groups");
  ArrayRef<int64_t> s = a.getStrides(), p = a.getPads(), d = a.getDilations();
  int64_t oh = windowCount(x.getDimSize(2), p[0], p[2], w.getDimSize(2), s[0], d[0], false);
  int64_t ow = windowCount(x.getDimSize(3), p[1], p[3], w.getDimSize(3), s[1], d[1], false);
  if (oh <= 0 || ow <= 0)
    return fail(loc, "graph.conv2d: the dilated kernel is larger than the padded input");
  results.push_back(RankedTensorType::get({x.getDimSize(0), f, oh, ow}, x.getElementType()));
  return success();
}

/// A bias is [F] with the element type of the result, or f32 for narrow x
/// and w: the bias is added in fp32 on PSUM evacuation, before the result
/// is rounded to its type.
static LogicalResult verifyBias(Operation *op, Value bias, int64_t f) {
  if (!bias)
    return success();
  auto b = ranked(bias);
  if (b.getRank() != 1 || b.getDimSize(0) != f)
    return op->emitOpError("bias must be [") << f << "], got " << b;
  bool f32ForNarrow =
      b.getElementType().isF32() && isNarrowPEType(ranked(op->getOperand(0)).getElementType());
  if (!f32ForNarrow && b.getElementType() != ranked(op->getResult(0)).getElementType())
    return op->emitOpError("bias element type differs from the result's");
  return success();
}

bool Conv2DOp::isCompatibleReturnTypes(TypeRange l, TypeRange r) {
  return peResultTypesCompatible(l, r);
}

bool ConvTranspose2DOp::isCompatibleReturnTypes(TypeRange l, TypeRange r) {
  return peResultTypesCompatible(l, r);
}

LogicalResult Conv2DOp::verify() {
  if (failed(verifyBias(*this, getBias(), ranked(getW()).getDimSize(0))))
    return failure();
  if (Value r = getResidual()) {
    auto rt = ranked(r), out = ranked(getResult());
    if (rt.getShape() != out.getShape())
      return emitOpError("residual shape ") << rt << " differs from the result's " << out;
    if (!rt.getElementType().isF32() && rt.getElementType() != out.getElementType())
      return emitOpError("residual must be f32 or the result's element type, got ") << rt;
  }
  return success();
}

namespace {
/// relu(conv2d(...)) -> conv2d(...) {activation = relu}: the activation
/// then rides on the PSUM-evicting instruction.
struct ReluIntoConv : OpRewritePattern<ReluOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReluOp op, PatternRewriter &rewriter) const override {
    auto conv = op.getInput().getDefiningOp<Conv2DOp>();
    if (!conv || conv.getActivation() != Activation::none || !conv->hasOneUse())
      return failure();
    rewriter.modifyOpInPlace(conv, [&] { conv.setActivation(Activation::relu); });
    rewriter.replaceOp(op, conv.getResult());
    return success();
  }
};
} // namespace

void Conv2DOp::getCanonicalizationPatterns(RewritePatternSet &results, MLIRContext *ctx) {
  results.add<ReluIntoConv>(ctx);
}

//===----------------------------------------------------------------------===//
// ConvTranspose2DOp
//===----------------------------------------------------------------------===//

LogicalResult ConvTranspose2DOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                                  ValueRange operands, DictionaryAttr attrs,
                                                  OpaqueProperties props, RegionRange regions,
                                                  SmallVectorImpl<Type> &results) {
  if (!props)
    return fail(loc, "graph.conv_transpose2d: missing properties");
  ConvTranspose2DOp::Adaptor a(operands, attrs, props, regions);
  auto x = ranked(operands[0]), w = ranked(operands[1]);
  if (x.getRank() != 4 || w.getRank() != 4)
    return fail(loc, "graph.conv_transpose2d: x and w must be rank 4");
  if (x.getElementType() != w.getElementType())
    return fail(loc, "graph.conv_transpose2d: x and w element types differ");
  if (failed(checkNonEmpty("graph.conv_transpose2d", loc, "x", x)) ||
      failed(checkNonEmpty("graph.conv_transpose2d", loc, "w", w)))
    return failure();
  if (failed(checkGeometry("graph.conv_transpose2d", loc, a.getStrides(), a.getPads(),
                           a.getDilations())))
    return failure();
  ArrayRef<int64_t> s = a.getStrides(), p = a.getPads(), d = a.getDilations(),
                    op = a.getOutputPadding();
  if (op.size() != 2 || op[0] < 0 || op[1] < 0)
    return fail(loc, "graph.conv_transpose2d: output_padding must be 2 non-negative values, got " +
                         list(op));
  int64_t group = a.getGroup();
  int64_t c = x.getDimSize(1);
  if (group <= 0 || c % group != 0 || w.getDimSize(0) != c)
    return fail(loc, "graph.conv_transpose2d: w must be [" + Twine(c) +
                         ", F / group, KH, KW] with group dividing " + Twine(c));
  int64_t f = w.getDimSize(1) * group;
  int64_t oh = s[0] * (x.getDimSize(2) - 1) + op[0] + (w.getDimSize(2) - 1) * d[0] + 1 - p[0] - p[2];
  int64_t ow = s[1] * (x.getDimSize(3) - 1) + op[1] + (w.getDimSize(3) - 1) * d[1] + 1 - p[1] - p[3];
  if (oh <= 0 || ow <= 0)
    return fail(loc, "graph.conv_transpose2d: the pads leave no output");
  results.push_back(RankedTensorType::get({x.getDimSize(0), f, oh, ow}, x.getElementType()));
  return success();
}

LogicalResult ConvTranspose2DOp::verify() {
  ArrayRef<int64_t> s = getStrides(), d = getDilations(), op = getOutputPadding();
  // ONNX: output_padding must be smaller than the stride or the dilation.
  for (int i = 0; i < 2; ++i)
    if (op[i] >= std::max(s[i], d[i]))
      return emitOpError("output_padding ") << list(op) << " must be smaller than the strides "
                                            << list(s) << " or dilations " << list(d);
  return verifyBias(*this, getBias(), ranked(getResult()).getDimSize(1));
}

//===----------------------------------------------------------------------===//
// Pool2DOp
//===----------------------------------------------------------------------===//

LogicalResult Pool2DOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         ValueRange operands, DictionaryAttr attrs,
                                         OpaqueProperties props, RegionRange regions,
                                         SmallVectorImpl<Type> &results) {
  if (!props)
    return fail(loc, "graph.pool2d: missing properties");
  Pool2DOp::Adaptor a(operands, attrs, props, regions);
  auto x = ranked(operands[0]);
  if (x.getRank() != 4)
    return fail(loc, "graph.pool2d: x must be rank 4 [N, C, H, W]");
  if (failed(checkNonEmpty("graph.pool2d", loc, "x", x)))
    return failure();
  if (failed(checkGeometry("graph.pool2d", loc, a.getStrides(), a.getPads(), a.getDilations())))
    return failure();
  ArrayRef<int64_t> k = a.getKernel(), s = a.getStrides(), p = a.getPads(), d = a.getDilations();
  if (k.size() != 2 || k[0] <= 0 || k[1] <= 0)
    return fail(loc, "graph.pool2d: kernel must be 2 positive sizes, got " + list(k));
  bool ceilMode = a.getCeilMode();
  int64_t oh = windowCount(x.getDimSize(2), p[0], p[2], k[0], s[0], d[0], ceilMode);
  int64_t ow = windowCount(x.getDimSize(3), p[1], p[3], k[1], s[1], d[1], ceilMode);
  if (oh <= 0 || ow <= 0)
    return fail(loc, "graph.pool2d: the dilated window is larger than the padded input");
  results.push_back(RankedTensorType::get({x.getDimSize(0), x.getDimSize(1), oh, ow},
                                          x.getElementType()));
  return success();
}

LogicalResult Pool2DOp::verify() {
  ArrayRef<int64_t> k = getKernel(), p = getPads(), d = getDilations();
  // As in ONNX: a pad at least as wide as the window would make windows of
  // padding only.
  for (int i = 0; i < 2; ++i)
    if (p[i] >= (k[i] - 1) * d[i] + 1 || p[i + 2] >= (k[i] - 1) * d[i] + 1)
      return emitOpError("pads ") << list(p) << " must be smaller than the window "
                                  << list(k);
  if (getCountIncludePad() && getKind() != PoolKind::avg)
    return emitOpError("count_include_pad applies to average pooling only");
  return success();
}

//===----------------------------------------------------------------------===//
// BatchNormOp
//===----------------------------------------------------------------------===//

LogicalResult BatchNormOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            ValueRange operands, DictionaryAttr, OpaqueProperties,
                                            RegionRange, SmallVectorImpl<Type> &results) {
  auto x = ranked(operands[0]);
  if (x.getRank() < 2)
    return fail(loc, "graph.batch_norm: x must have rank >= 2 [N, C, ...]");
  results.push_back(x);
  return success();
}

LogicalResult BatchNormOp::verify() {
  auto x = ranked(getX());
  int64_t c = x.getDimSize(1);
  for (auto [name, v] : {std::pair{"scale", getScale()}, std::pair{"bias", getBias()},
                         std::pair{"mean", getMean()}, std::pair{"var", getVar()}}) {
    auto t = ranked(v);
    if (t.getRank() != 1 || t.getDimSize(0) != c)
      return emitOpError() << name << " must be [" << c << "], got " << t;
    if (t.getElementType() != x.getElementType())
      return emitOpError() << name << " element type differs from x";
  }
  if (getEpsilon().convertToFloat() < 0.0f)
    return emitOpError("epsilon must be non-negative");
  return success();
}
