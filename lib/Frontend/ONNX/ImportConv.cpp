//===- ImportConv.cpp - convolution, pooling and batch norm ---===//
//
// Conv, ConvTranspose, MaxPool, AveragePool, GlobalAveragePool,
// GlobalMaxPool and (inference-mode) BatchNormalization. Only 2-D
// convolutions and pools (NCHW inputs) are supported; other ranks get a
// clear error. auto_pad and ConvTranspose's output_shape are resolved here
// into explicit pads, so the graph ops carry their whole geometry.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"

#include "mlir/IR/Builders.h"
#include "onnx/onnx_pb.h"

#include <climits>

using namespace mlir;
using namespace trellis;
using namespace trellis::onnx_import;

namespace {

/// The window attributes shared by Conv, ConvTranspose and the pools, read
/// and checked for a 2-D op.
struct Window {
  SmallVector<int64_t> kernel, strides, pads, dilations;
  std::string autoPad;
};

} // namespace

static RankedTensorType rankedType(Value v) { return cast<RankedTensorType>(v.getType()); }

/// Fails unless `x` is [N, C, H, W].
static LogicalResult requireRank4(OnnxImporter &im, const NodeContext &n, Value x) {
  auto t = rankedType(x);
  if (t.getRank() == 4)
    return success();
  im.emitError(n) << "only 2-D " << n.node.op_type() << " is supported (input 0 has shape "
                  << shapeStr(t) << ", " << std::max<int64_t>(t.getRank() - 2, 0)
                  << " spatial dimensions)";
  return failure();
}

/// Reads kernel_shape (defaulting to `kernelDefault` when non-empty),
/// strides, dilations, pads and auto_pad, and checks their lengths.
static FailureOr<Window> readWindow(OnnxImporter &im, const NodeContext &n,
                                    ArrayRef<int64_t> kernelDefault, bool hasDilations = true) {
  Window w;
  FailureOr<SmallVector<int64_t>> kernel = im.getIntsAttr(n, "kernel_shape", kernelDefault);
  FailureOr<SmallVector<int64_t>> strides = im.getIntsAttr(n, "strides", {1, 1});
  FailureOr<SmallVector<int64_t>> dilations =
      hasDilations ? im.getIntsAttr(n, "dilations", {1, 1}) : SmallVector<int64_t>{1, 1};
  FailureOr<SmallVector<int64_t>> pads = im.getIntsAttr(n, "pads", {0, 0, 0, 0});
  FailureOr<std::string> autoPad = im.getStringAttr(n, "auto_pad", "NOTSET");
  if (failed(kernel) || failed(strides) || failed(dilations) || failed(pads) || failed(autoPad))
    return failure();
  if (kernel->size() != 2) {
    im.emitError(n) << "kernel_shape must have 2 values for a 2-D " << n.node.op_type()
                    << ", got " << kernel->size();
    return failure();
  }
  for (auto [name, v, size] :
       {std::tuple{"strides", &*strides, 2u}, std::tuple{"dilations", &*dilations, 2u},
        std::tuple{"pads", &*pads, 4u}})
    if (v->size() != size) {
      im.emitError(n) << "attribute '" << name << "' must have " << size
                      << " values for a 2-D " << n.node.op_type() << ", got " << v->size();
      return failure();
    }
  for (int64_t v : llvm::concat<int64_t>(*kernel, *strides, *dilations))
    if (v <= 0) {
      im.emitError(n) << "kernel_shape, strides and dilations must be positive";
      return failure();
    }
  for (int64_t p : *pads)
    if (p < 0) {
      im.emitError(n) << "pads must be non-negative";
      return failure();
    }
  // Far beyond any tensor: keeps the window arithmetic from overflowing.
  for (int64_t v : llvm::concat<int64_t>(*kernel, *strides, *dilations, *pads))
    if (v > (int64_t(1) << 31)) {
      im.emitError(n) << "kernel_shape, strides, dilations and pads must be below 2^31, got " << v;
      return failure();
    }
  if (*autoPad != "NOTSET" && *autoPad != "SAME_UPPER" && *autoPad != "SAME_LOWER" &&
      *autoPad != "VALID") {
    im.emitError(n) << "unknown auto_pad '" << *autoPad << "'";
    return failure();
  }
  w.kernel = *kernel;
  w.strides = *strides;
  w.dilations = *dilations;
  w.pads = *pads;
  w.autoPad = *autoPad;
  return w;
}

/// Resolves auto_pad for a forward window walk over `inH` x `inW`: SAME_*
/// makes the output ceil(in / stride) and puts the odd pad at the end
/// (UPPER) or the beginning (LOWER); VALID pads nothing.
static void resolveAutoPad(Window &w, int64_t inH, int64_t inW) {
  if (w.autoPad == "NOTSET")
    return;
  if (w.autoPad == "VALID") {
    w.pads = {0, 0, 0, 0};
    return;
  }
  int64_t in[2] = {inH, inW};
  for (int i = 0; i < 2; ++i) {
    int64_t out = (in[i] + w.strides[i] - 1) / w.strides[i];
    int64_t total = std::max<int64_t>(
        0, (out - 1) * w.strides[i] + (w.kernel[i] - 1) * w.dilations[i] + 1 - in[i]);
    int64_t small = total / 2, large = total - small;
    w.pads[i] = w.autoPad == "SAME_UPPER" ? small : large;
    w.pads[i + 2] = w.autoPad == "SAME_UPPER" ? large : small;
  }
}

/// The dilated window fits the padded input on both spatial axes.
static LogicalResult requireWindowFits(OnnxImporter &im, const NodeContext &n,
                                       RankedTensorType x, const Window &w) {
  for (int i = 0; i < 2; ++i) {
    int64_t window = (w.kernel[i] - 1) * w.dilations[i] + 1;
    int64_t padded = x.getDimSize(2 + i) + w.pads[i] + w.pads[i + 2];
    if (window > padded) {
      im.emitError(n) << "the window (" << window << " with dilation) on spatial axis " << i
                      << " is larger than the padded input (" << padded << ")";
      return failure();
    }
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Conv
//===----------------------------------------------------------------------===//

static LogicalResult importConv(OnnxImporter &im, const NodeContext &n) {
  OpBuilder &builder = im.getBuilder();
  if (failed(im.checkArity(n, 2, 3)) ||
      failed(im.checkAttributes(n, {"auto_pad", "dilations", "group", "kernel_shape", "pads",
                                    "strides"})))
    return failure();
  FailureOr<Value> x = im.getInput(n, 0), w = im.getInput(n, 1), b = im.getOptionalInput(n, 2);
  if (failed(x) || failed(w) || failed(b) || failed(im.requireFloat(n, *x, 0)) ||
      failed(im.requireFloat(n, *w, 1)) || (*b && failed(im.requireFloat(n, *b, 2))) ||
      failed(requireRank4(im, n, *x)))
    return failure();
  auto xType = rankedType(*x), wType = rankedType(*w);
  if (wType.getRank() != 4) {
    im.emitError(n) << "W must be [M, C / group, KH, KW], got " << shapeStr(wType);
    return failure();
  }
  FailureOr<int64_t> group = im.getIntAttr(n, "group", 1);
  FailureOr<Window> win = readWindow(im, n, wType.getShape().drop_front(2));
  if (failed(group) || failed(win))
    return failure();
  if (ArrayRef<int64_t>(win->kernel) != wType.getShape().drop_front(2)) {
    im.emitError(n) << "kernel_shape [" << win->kernel[0] << ", " << win->kernel[1]
                    << "] differs from W's spatial shape " << shapeStr(wType);
    return failure();
  }
  int64_t c = xType.getDimSize(1), m = wType.getDimSize(0);
  if (*group <= 0 || c % *group || m % *group || wType.getDimSize(1) * *group != c) {
    im.emitError(n) << "group " << *group << " does not fit X " << shapeStr(xType) << " and W "
                    << shapeStr(wType) << " (W must be [M, C / group, KH, KW], group dividing M)";
    return failure();
  }
  if (*b && (rankedType(*b).getRank() != 1 || rankedType(*b).getDimSize(0) != m)) {
    im.emitError(n) << "B must be [" << m << "], got " << shapeStr(rankedType(*b));
    return failure();
  }
  resolveAutoPad(*win, xType.getDimSize(2), xType.getDimSize(3));
  if (failed(requireWindowFits(im, n, xType, *win)))
    return failure();

  graph::Conv2DOp::Properties props;
  props.strides = builder.getDenseI64ArrayAttr(win->strides);
  props.pads = builder.getDenseI64ArrayAttr(win->pads);
  props.dilations = builder.getDenseI64ArrayAttr(win->dilations);
  props.group = builder.getI64IntegerAttr(*group);
  props.activation = graph::ActivationAttr::get(&im.getContext(), graph::Activation::none);
  SmallVector<Value, 3> operands = {*x, *w};
  if (*b)
    operands.push_back(*b);
  props.operandSegmentSizes = {1, 1, *b ? 1 : 0, 0};
  FailureOr<Type> type = im.inferResultType<graph::Conv2DOp>(n, operands, OpaqueProperties(&props));
  if (failed(type))
    return failure();
  im.define(n, graph::Conv2DOp::create(builder, n.loc, *type, *x, *w, *b, Value(), props.strides,
                                       props.pads, props.dilations, props.group,
                                       props.activation));
  return success();
}

//===----------------------------------------------------------------------===//
// ConvTranspose
//===----------------------------------------------------------------------===//

static LogicalResult importConvTranspose(OnnxImporter &im, const NodeContext &n) {
  OpBuilder &builder = im.getBuilder();
  if (failed(im.checkArity(n, 2, 3)) ||
      failed(im.checkAttributes(n, {"auto_pad", "dilations", "group", "kernel_shape",
                                    "output_padding", "output_shape", "pads", "strides"})))
    return failure();
  FailureOr<Value> x = im.getInput(n, 0), w = im.getInput(n, 1), b = im.getOptionalInput(n, 2);
  if (failed(x) || failed(w) || failed(b) || failed(im.requireFloat(n, *x, 0)) ||
      failed(im.requireFloat(n, *w, 1)) || (*b && failed(im.requireFloat(n, *b, 2))) ||
      failed(requireRank4(im, n, *x)))
    return failure();
  auto xType = rankedType(*x), wType = rankedType(*w);
  if (wType.getRank() != 4) {
    im.emitError(n) << "W must be [C, M / group, KH, KW], got " << shapeStr(wType);
    return failure();
  }
  FailureOr<int64_t> group = im.getIntAttr(n, "group", 1);
  FailureOr<Window> win = readWindow(im, n, wType.getShape().drop_front(2));
  FailureOr<SmallVector<int64_t>> outPad = im.getIntsAttr(n, "output_padding", {0, 0});
  FailureOr<SmallVector<int64_t>> outShape = im.getIntsAttr(n, "output_shape", {});
  if (failed(group) || failed(win) || failed(outPad) || failed(outShape))
    return failure();
  if (ArrayRef<int64_t>(win->kernel) != wType.getShape().drop_front(2)) {
    im.emitError(n) << "kernel_shape [" << win->kernel[0] << ", " << win->kernel[1]
                    << "] differs from W's spatial shape " << shapeStr(wType);
    return failure();
  }
  int64_t c = xType.getDimSize(1);
  if (*group <= 0 || c % *group || wType.getDimSize(0) != c) {
    im.emitError(n) << "group " << *group << " does not fit X " << shapeStr(xType) << " and W "
                    << shapeStr(wType) << " (W must be [C, M / group, KH, KW])";
    return failure();
  }
  int64_t m = wType.getDimSize(1) * *group;
  if (*b && (rankedType(*b).getRank() != 1 || rankedType(*b).getDimSize(0) != m)) {
    im.emitError(n) << "B must be [" << m << "], got " << shapeStr(rankedType(*b));
    return failure();
  }
  if (outPad->size() != 2 || (*outPad)[0] < 0 || (*outPad)[1] < 0) {
    im.emitError(n) << "output_padding must be 2 non-negative values for a 2-D ConvTranspose";
    return failure();
  }
  if (!outShape->empty() && outShape->size() != 2 && outShape->size() != 4) {
    im.emitError(n) << "output_shape must have 2 values for a 2-D ConvTranspose, got "
                    << outShape->size();
    return failure();
  }

  // The full output of each spatial axis before padding is removed.
  int64_t in[2] = {xType.getDimSize(2), xType.getDimSize(3)};
  SmallVector<int64_t> pads = win->pads, outputPadding = *outPad;
  for (int i = 0; i < 2; ++i) {
    int64_t full = win->strides[i] * (in[i] - 1) + outputPadding[i] +
                   (win->kernel[i] - 1) * win->dilations[i] + 1;
    int64_t target = -1;
    if (!outShape->empty())
      target = (*outShape)[outShape->size() - 2 + i];
    else if (win->autoPad == "SAME_UPPER" || win->autoPad == "SAME_LOWER")
      target = in[i] * win->strides[i];
    else if (win->autoPad == "VALID")
      pads[i] = pads[i + 2] = 0;
    if (target < 0)
      continue;
    int64_t total = full - target;
    if (total < 0) {
      // Rows past the full output receive no input: extend the output
      // padding (bias only).
      outputPadding[i] -= total;
      pads[i] = pads[i + 2] = 0;
      continue;
    }
    // As onnx.reference: SAME_LOWER puts the larger half at the beginning,
    // everything else (SAME_UPPER, explicit output_shape) at the end.
    int64_t small = total / 2, large = total - small;
    pads[i] = win->autoPad == "SAME_LOWER" ? large : small;
    pads[i + 2] = win->autoPad == "SAME_LOWER" ? small : large;
  }
  for (int i = 0; i < 2; ++i)
    if (outputPadding[i] >= std::max(win->strides[i], win->dilations[i])) {
      im.emitError(n) << "output_padding (" << outputPadding[i]
                      << " on spatial axis " << i << ", implied by output_shape if given) must "
                      << "be smaller than the stride or the dilation";
      return failure();
    }

  for (int i = 0; i < 2; ++i) {
    int64_t out = win->strides[i] * (in[i] - 1) + outputPadding[i] +
                  (win->kernel[i] - 1) * win->dilations[i] + 1 - pads[i] - pads[i + 2];
    if (out <= 0) {
      im.emitError(n) << "the pads (" << pads[i] << ", " << pads[i + 2] << ") on spatial axis "
                      << i << " leave no output";
      return failure();
    }
  }

  graph::ConvTranspose2DOp::Properties props;
  props.strides = builder.getDenseI64ArrayAttr(win->strides);
  props.pads = builder.getDenseI64ArrayAttr(pads);
  props.dilations = builder.getDenseI64ArrayAttr(win->dilations);
  props.output_padding = builder.getDenseI64ArrayAttr(outputPadding);
  props.group = builder.getI64IntegerAttr(*group);
  SmallVector<Value, 3> operands = {*x, *w};
  if (*b)
    operands.push_back(*b);
  FailureOr<Type> type =
      im.inferResultType<graph::ConvTranspose2DOp>(n, operands, OpaqueProperties(&props));
  if (failed(type))
    return failure();
  im.define(n, graph::ConvTranspose2DOp::create(builder, n.loc, *type, *x, *w, *b, props.strides,
                                                props.pads, props.dilations,
                                                props.output_padding, props.group));
  return success();
}

//===----------------------------------------------------------------------===//
// Pools
//===----------------------------------------------------------------------===//

static LogicalResult buildPool(OnnxImporter &im, const NodeContext &n, graph::PoolKind kind,
                               Value x, const Window &win, bool ceilMode, bool countIncludePad) {
  OpBuilder &builder = im.getBuilder();
  graph::Pool2DOp::Properties props;
  props.kind = graph::PoolKindAttr::get(&im.getContext(), kind);
  props.kernel = builder.getDenseI64ArrayAttr(win.kernel);
  props.strides = builder.getDenseI64ArrayAttr(win.strides);
  props.pads = builder.getDenseI64ArrayAttr(win.pads);
  props.dilations = builder.getDenseI64ArrayAttr(win.dilations);
  if (ceilMode)
    props.ceil_mode = builder.getUnitAttr();
  if (countIncludePad)
    props.count_include_pad = builder.getUnitAttr();
  for (int i = 0; i < 2; ++i)
    if (win.pads[i] >= (win.kernel[i] - 1) * win.dilations[i] + 1 ||
        win.pads[i + 2] >= (win.kernel[i] - 1) * win.dilations[i] + 1) {
      im.emitError(n) << "pads must be smaller than the window";
      return failure();
    }
  FailureOr<Type> type = im.inferResultType<graph::Pool2DOp>(n, {x}, OpaqueProperties(&props));
  if (failed(type))
    return failure();
  im.define(n, graph::Pool2DOp::create(builder, n.loc, *type, props.kind, x, props.kernel,
                                       props.strides, props.pads, props.dilations,
                                       props.ceil_mode, props.count_include_pad));
  return success();
}

/// MaxPool also takes 8-bit integers, exact on the engines' fp32 datapath.
static LogicalResult requirePoolType(OnnxImporter &im, const NodeContext &n, Value x,
                                     bool isMax) {
  if (isMax && rankedType(x).getElementType().isInteger(8))
    return im.requireNumeric(n, x, 0);
  return im.requireFloat(n, x, 0);
}

static LogicalResult importPool(OnnxImporter &im, const NodeContext &n, graph::PoolKind kind) {
  bool isMax = kind == graph::PoolKind::max;
  SmallVector<StringRef> known = {"auto_pad", "ceil_mode", "kernel_shape", "pads", "strides"};
  if (isMax) {
    known.push_back("dilations");
    known.push_back("storage_order");
  } else {
    known.push_back("count_include_pad");
    if (im.getOpset() >= 19)
      known.push_back("dilations");
  }
  if (failed(im.checkArity(n, 1, 1, 1, 2)) || failed(im.checkAttributes(n, known)))
    return failure();
  if (n.node.output_size() == 2 && !n.node.output(1).empty()) {
    im.emitError(n) << "the Indices output (output 1, '" << n.node.output(1)
                    << "') is not supported; only the pooled values are";
    return failure();
  }
  FailureOr<Value> x = im.getInput(n, 0);
  if (failed(x) || failed(requirePoolType(im, n, *x, isMax)) || failed(requireRank4(im, n, *x)))
    return failure();
  if (!OnnxImporter::findAttr(n.node, "kernel_shape")) {
    im.emitError(n) << "attribute 'kernel_shape' is required";
    return failure();
  }
  FailureOr<Window> win = readWindow(im, n, {}, /*hasDilations=*/true);
  FailureOr<int64_t> ceilMode = im.getIntAttr(n, "ceil_mode", 0);
  FailureOr<int64_t> countIncludePad = im.getIntAttr(n, "count_include_pad", 0);
  if (failed(win) || failed(ceilMode) || failed(countIncludePad))
    return failure();
  auto xType = rankedType(*x);
  resolveAutoPad(*win, xType.getDimSize(2), xType.getDimSize(3));
  if (failed(requireWindowFits(im, n, xType, *win)))
    return failure();
  return buildPool(im, n, kind, *x, *win, *ceilMode != 0, !isMax && *countIncludePad != 0);
}

static LogicalResult importGlobalPool(OnnxImporter &im, const NodeContext &n,
                                      graph::PoolKind kind) {
  if (failed(im.checkArity(n, 1, 1)) || failed(im.checkAttributes(n, {})))
    return failure();
  FailureOr<Value> x = im.getInput(n, 0);
  if (failed(x) || failed(im.requireFloat(n, *x, 0)) || failed(requireRank4(im, n, *x)))
    return failure();
  auto xType = rankedType(*x);
  Window win;
  win.kernel = {xType.getDimSize(2), xType.getDimSize(3)};
  win.strides = {1, 1};
  win.dilations = {1, 1};
  win.pads = {0, 0, 0, 0};
  return buildPool(im, n, kind, *x, win, false, false);
}

//===----------------------------------------------------------------------===//
// BatchNormalization
//===----------------------------------------------------------------------===//

static LogicalResult importBatchNorm(OnnxImporter &im, const NodeContext &n) {
  OpBuilder &builder = im.getBuilder();
  if (failed(im.checkArity(n, 5, 5, 1, 5)) ||
      failed(im.checkAttributes(n, {"epsilon", "momentum", "training_mode", "spatial",
                                    "is_test", "consumed_inputs"})))
    return failure();
  FailureOr<int64_t> training = im.getIntAttr(n, "training_mode", 0);
  FailureOr<int64_t> spatial = im.getIntAttr(n, "spatial", 1);
  FailureOr<float> epsilon = im.getFloatAttr(n, "epsilon", 1e-5f);
  if (failed(training) || failed(spatial) || failed(epsilon))
    return failure();
  if (*training != 0) {
    im.emitError(n) << "training_mode=1 is not supported: only inference-mode "
                       "BatchNormalization (running mean and variance) is";
    return failure();
  }
  if (*spatial != 1) {
    im.emitError(n) << "spatial=0 (per-activation statistics) is not supported";
    return failure();
  }
  for (int i = 1; i < n.node.output_size(); ++i)
    if (!n.node.output(i).empty()) {
      im.emitError(n) << "output " << i << " ('" << n.node.output(i)
                      << "') exists in training mode only, which is not supported";
      return failure();
    }
  SmallVector<Value, 5> operands;
  for (int i = 0; i < 5; ++i) {
    FailureOr<Value> v = im.getInput(n, i);
    if (failed(v) || failed(im.requireFloat(n, *v, i)))
      return failure();
    operands.push_back(*v);
  }
  auto xType = rankedType(operands[0]);
  if (xType.getRank() < 2) {
    im.emitError(n) << "X must be [N, C, ...], got " << shapeStr(xType);
    return failure();
  }
  int64_t c = xType.getDimSize(1);
  static const char *names[] = {"X", "scale", "B", "input_mean", "input_var"};
  for (int i = 1; i < 5; ++i) {
    auto t = rankedType(operands[i]);
    if (t.getRank() != 1 || t.getDimSize(0) != c) {
      im.emitError(n) << names[i] << " must be [" << c << "], got " << shapeStr(t);
      return failure();
    }
  }
  if (*epsilon < 0.0f) {
    im.emitError(n) << "epsilon must be non-negative, got " << *epsilon;
    return failure();
  }
  im.define(n, graph::BatchNormOp::create(builder, n.loc, xType, operands[0], operands[1],
                                          operands[2], operands[3], operands[4],
                                          builder.getF32FloatAttr(*epsilon)));
  return success();
}

void trellis::onnx_import::registerConvImporters(ImporterTable &t) {
  t["Conv"] = OpSupport{importConv, kFloatTypes, "2-D only"};
  t["ConvTranspose"] =
      OpSupport{importConvTranspose, kFloatTypes,
                "2-D only; output_padding (also when implied by output_shape) below the stride "
                "or dilation"};
  t["MaxPool"] = OpSupport{[](OnnxImporter &im, const NodeContext &n) {
                             return importPool(im, n, graph::PoolKind::max);
                           },
                           "f32, bf16, f16, i8, ui8", "2-D only; no Indices output"};
  t["AveragePool"] = OpSupport{[](OnnxImporter &im, const NodeContext &n) {
                                 return importPool(im, n, graph::PoolKind::avg);
                               },
                               kFloatTypes, "2-D only"};
  t["GlobalAveragePool"] = OpSupport{[](OnnxImporter &im, const NodeContext &n) {
                                       return importGlobalPool(im, n, graph::PoolKind::avg);
                                     },
                                     kFloatTypes, "2-D only"};
  t["GlobalMaxPool"] = OpSupport{[](OnnxImporter &im, const NodeContext &n) {
                                   return importGlobalPool(im, n, graph::PoolKind::max);
                                 },
                                 kFloatTypes, "2-D only"};
  t["BatchNormalization"] =
      OpSupport{importBatchNorm, kFloatTypes, "inference mode only (training_mode=0)"};
}
