//===- LowerLinear.cpp - Matrix products onto the PE array ----------------===//
//
// graph.linear and graph.matmul (batched, broadcasting) through the blocked
// weight-stationary GraphLowering::emitLinear; see Passes.td.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

#include "trellis/Support/Sparsity.h"

using namespace mlir;
using namespace trellis;
using namespace trellis::lowering;

/// The attribute --trellis-sparsity puts on a linear / matmul whose constant
/// weight it made N:M sparse.
static constexpr llvm::StringLiteral kSparsityAttr = "trellis.sparsity";

/// Compresses the constant weight [K, N] of an op marked by the sparsity
/// pass into HBM constants (values + tags). std::nullopt, with no error,
/// when the op is not marked; failure (reported) when the mark is invalid.
static FailureOr<std::optional<SparseWeight>> sparseWeight(Operation *op, Value w,
                                                           GraphLowering &L) {
  auto mark = op->getAttrOfType<StringAttr>(kSparsityAttr);
  if (!mark)
    return std::optional<SparseWeight>();
  auto pattern = sparsity::parsePattern(mark.getValue());
  if (!pattern)
    return op->emitOpError(kSparsityAttr) << ": " << llvm::toString(pattern.takeError());
  auto cst = w.getDefiningOp<graph::ConstantOp>();
  auto dense = cst ? dyn_cast<DenseElementsAttr>(cst.getValue()) : DenseElementsAttr();
  auto type = cast<RankedTensorType>(w.getType());
  if (!dense || type.getRank() != 2 || !mlir::isa<FloatType>(type.getElementType()))
    return op->emitOpError(kSparsityAttr) << " needs a constant 2-D float weight";
  int64_t K = type.getDimSize(0), N = type.getDimSize(1);
  std::vector<float> values;
  values.reserve(size_t(K * N));
  for (APFloat v : dense.getValues<APFloat>())
    values.push_back(v.convertToFloat());
  // K is padded with zero rows to whole groups (emitLinear zero-fills the
  // moving rows past K).
  int64_t kp = llvm::alignTo(K, pattern->group);
  values.resize(size_t(kp * N), 0.0f);
  if (!sparsity::isSparse(values.data(), kp, N, *pattern))
    return op->emitOpError("weight is not ") << pattern->str() << " sparse along K";
  sparsity::Compressed c = sparsity::compress(values.data(), kp, N, *pattern);
  // Values keep the weight's element type; the conversion back is exact
  // (they are the weight's own elements).
  Type elt = type.getElementType();
  auto &fs = cast<FloatType>(elt).getFloatSemantics();
  SmallVector<APFloat> vals;
  vals.reserve(c.values.size());
  for (float f : c.values) {
    APFloat a(f);
    bool lost;
    a.convert(fs, APFloat::rmNearestTiesToEven, &lost);
    vals.push_back(a);
  }
  auto valType = RankedTensorType::get({c.kc, N}, elt);
  SmallVector<APInt> tagWords;
  for (uint16_t t : c.tags)
    tagWords.push_back(APInt(16, t));
  auto tagType = RankedTensorType::get({c.kc, sparsity::tagWords(N)}, L.b.getIntegerType(16));
  Location loc = op->getLoc();
  SparseWeight sw;
  sw.values = tile::ConstantOp::create(L.b, loc, L.hbmType(valType.getShape(), elt),
                                       DenseElementsAttr::get(valType, vals));
  sw.tags = tile::ConstantOp::create(L.b, loc,
                                     L.hbmType(tagType.getShape(), tagType.getElementType()),
                                     DenseElementsAttr::get(tagType, tagWords));
  sw.keep = pattern->keep;
  sw.group = pattern->group;
  return std::optional<SparseWeight>(sw);
}

bool GraphLowering::readOnlyAsRowLinearX(Value result) const {
  auto shape = shapeOf(result);
  int64_t M = 1, K = shape.back();
  for (int64_t d : shape.drop_back())
    M *= d;
  int64_t eltBytes = std::max<int64_t>(1, eltOf(result).getIntOrFloatBitWidth() / 8);
  if (result.use_empty() || !tiling::linearInRows(M, K, eltBytes))
    return false;
  // lowerLinear reads x as the row-major [M, K] view the tiles are kept for.
  return llvm::all_of(result.getUsers(), [&](Operation *user) {
    auto lin = dyn_cast<graph::LinearOp>(user);
    return lin && lin.getX() == result && lin.getW() != result && lin.getBias() != result &&
           !lin->hasAttr(kSparsityAttr) && lin.getAlpha().convertToFloat() == 1.0f &&
           lin.getBeta().convertToFloat() == 1.0f;
  });
}

bool GraphLowering::readByLayerNorm(Value result) {
  return llvm::any_of(result.getUsers(), [&](Operation *user) {
    if (auto norm = dyn_cast<graph::LayerNormOp>(user))
      return norm.getInput() == result;
    auto add = dyn_cast<graph::AddOp>(user);
    return add && foldsIntoLayerNorm(add);
  });
}

static LogicalResult lowerLinear(graph::LinearOp lin, GraphLowering &L) {
  if (failed(L.requireFloat(lin, lin.getResult())))
    return failure();
  Location loc = tagLoc(lin);
  // x [..., M, K] is the row-major [M', K], M' the product of its leading
  // dims; the verifier allows such an x only a bias along N.
  auto xs = L.shapeOf(lin.getX()), ws = L.shapeOf(lin.getW());
  int64_t M = 1, K = xs.back(), N = ws[1];
  for (int64_t d : xs.drop_back())
    M *= d;
  std::optional<Strided> bias;
  if (lin.getBias()) {
    ArrayRef<int64_t> bs = L.shapeOf(lin.getBias());
    SmallVector<int64_t> bias2d{bs.size() == 2 ? bs[0] : 1, bs.empty() ? 1 : bs.back()};
    if (xs.size() > 2)
      bias2d[0] = 1;
    bias = broadcastTo(L.buffer(lin.getBias()), bias2d, {M, N});
  }
  auto sparse = sparseWeight(lin, lin.getW(), L);
  if (failed(sparse))
    return failure();
  Value out = L.defineResult(loc, lin.getResult()).buffer;
  // A result read only by row-form linears (an MLP's hidden layer) is
  // computed as y^T, which is their x^T, and never leaves SBUF.
  bool yOnChip = !*sparse && M <= kMovingMax && L.readOnlyAsRowLinearX(lin.getResult());
  L.emitLinear(loc, Strided{L.buffer(lin.getX()), 0, {K, 1}}, L.rowMajor(lin.getW()),
               bias ? &*bias : nullptr, Strided{out, 0, {N, 1}}, M, K, N,
               lin.getAlpha().convertToFloat(),
               lin.getBeta().convertToFloat(), lin.getActivation(), L.eltOf(lin.getResult()),
               *sparse ? &**sparse : nullptr, yOnChip,
               /*rowBlocksFirst=*/GraphLowering::readByLayerNorm(lin.getResult()));
  return success();
}

static LogicalResult lowerMatMul(graph::MatMulOp mm, GraphLowering &L) {
  if (failed(L.requireFloat(mm, mm.getResult())))
    return failure();
  Location loc = tagLoc(mm);
  auto outShape = L.shapeOf(mm.getResult());
  auto as = L.shapeOf(mm.getLhs()), bs = L.shapeOf(mm.getRhs());
  int64_t M = as[as.size() - 2], K = as.back(), N = bs.back();
  ArrayRef<int64_t> batch = outShape.drop_back(2);
  // Batch strides of each operand (0 where broadcast).
  auto batchStrides = [&](ArrayRef<int64_t> shape) {
    SmallVector<int64_t> own = rowMajorStrides(shape);
    SmallVector<int64_t> s(batch.size(), 0);
    size_t lead = batch.size() - (shape.size() - 2);
    for (size_t i = 0; i + 2 < shape.size(); ++i)
      s[lead + i] = shape[i] == 1 && batch[lead + i] != 1 ? 0 : own[i];
    return s;
  };
  SmallVector<int64_t> sa = batchStrides(as), sb = batchStrides(bs);
  auto sparse = sparseWeight(mm, mm.getRhs(), L);
  if (failed(sparse))
    return failure();
  SmallVector<int64_t> so = rowMajorStrides(outShape);
  Value out = L.defineResult(loc, mm.getResult()).buffer;
  int64_t numBatches = 1;
  for (int64_t d : batch)
    numBatches *= d;
  for (int64_t bi = 0; bi < numBatches; ++bi) {
    int64_t offA = 0, offB = 0, offO = 0, rem = bi;
    for (int64_t d = (int64_t)batch.size() - 1; d >= 0; --d) {
      int64_t i = rem % batch[d];
      rem /= batch[d];
      offA += i * sa[d];
      offB += i * sb[d];
      offO += i * so[d];
    }
    L.emitLinear(loc, Strided{L.buffer(mm.getLhs()), offA, {K, 1}},
                 Strided{L.buffer(mm.getRhs()), offB, {N, 1}}, nullptr,
                 Strided{out, offO, {N, 1}}, M, K, N, 1.0f, 1.0f, graph::Activation::none,
                 L.eltOf(mm.getResult()), *sparse ? &**sparse : nullptr);
  }
  return success();
}

void trellis::lowering::registerLinearLowerings(LoweringTable &t) {
  addLowering<graph::LinearOp>(t, lowerLinear);
  addLowering<graph::MatMulOp>(t, lowerMatMul);
}
