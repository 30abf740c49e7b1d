//===- LowerLinear.cpp - Matrix products onto the PE array ----------------===//
//
// graph.linear and graph.matmul (batched, broadcasting) through the blocked
// weight-stationary GraphLowering::emitLinear; see Passes.td.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

using namespace mlir;
using namespace trellis;
using namespace trellis::lowering;

static LogicalResult lowerLinear(graph::LinearOp lin, GraphLowering &L) {
  if (failed(L.requireFloat(lin, lin.getResult())))
    return failure();
  Location loc = tagLoc(lin);
  auto outShape = L.shapeOf(lin.getResult());
  auto xs = L.shapeOf(lin.getX()), ws = L.shapeOf(lin.getW());
  std::optional<Strided> bias;
  if (lin.getBias())
    bias = broadcastTo(L.buffer(lin.getBias()), L.shapeOf(lin.getBias()), outShape);
  Strided out = L.defineResult(loc, lin.getResult());
  L.emitLinear(loc, L.rowMajor(lin.getX()), L.rowMajor(lin.getW()), bias ? &*bias : nullptr, out,
               xs[0], xs[1], ws[1], lin.getAlpha().convertToFloat(),
               lin.getBeta().convertToFloat(), lin.getActivation(), L.eltOf(lin.getResult()));
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
                 L.eltOf(mm.getResult()));
  }
  return success();
}

void trellis::lowering::registerLinearLowerings(LoweringTable &t) {
  addLowering<graph::LinearOp>(t, lowerLinear);
  addLowering<graph::MatMulOp>(t, lowerMatMul);
}
