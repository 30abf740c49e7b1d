//===- ImportLinear.cpp - MatMul and Gemm ---===//
//
// Matrix products: MatMul (batched, broadcasting) and Gemm; Transpose.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"

#include "mlir/IR/Builders.h"
#include "onnx/onnx_pb.h"

#include <climits>

using namespace mlir;
using namespace trellis;
using namespace trellis::onnx_import;

static LogicalResult importMatMul(OnnxImporter &im, const NodeContext &n) {
  OpBuilder &builder = im.getBuilder();
  if (failed(im.checkArity(n, 2, 2)) || failed(im.checkAttributes(n, {})))
    return failure();
  FailureOr<Value> a = im.getInput(n, 0), b = im.getInput(n, 1);
  if (failed(a) || failed(b) || failed(im.requireFloat(n, *a, 0)) || failed(im.requireFloat(n, *b, 1)))
    return failure();
  auto aType = cast<RankedTensorType>(a->getType()), bType = cast<RankedTensorType>(b->getType());
  if (aType.getRank() < 2 || bType.getRank() < 2) {
    im.emitError(n) << "operands of rank < 2 (shapes " << shapeStr(aType) << " and "
                 << shapeStr(bType) << ") are not supported yet";
    return failure();
  }
  int64_t k = aType.getShape().back(), k2 = bType.getShape().end()[-2];
  if (k != k2) {
    im.emitError(n) << "cannot multiply " << shapeStr(aType) << " by " << shapeStr(bType)
                 << ": inner dimensions differ (" << k << " vs " << k2 << ")";
    return failure();
  }
  if (!graph::broadcastShapes(aType.getShape().drop_back(2), bType.getShape().drop_back(2))) {
    im.emitError(n) << "batch dimensions of " << shapeStr(aType) << " and " << shapeStr(bType)
                 << " do not broadcast";
    return failure();
  }
  SmallVector<Value, 2> operands = {*a, *b};
  FailureOr<Type> type = im.inferResultType<graph::MatMulOp>(n, operands);
  if (failed(type))
    return failure();
  im.define(n, graph::MatMulOp::create(builder, n.loc, *type, *a, *b));
  return success();
}

static LogicalResult importGemm(OnnxImporter &im, const NodeContext &n) {
  OpBuilder &builder = im.getBuilder();
  if (failed(im.checkArity(n, 2, 3)) ||
      failed(im.checkAttributes(n, {"alpha", "beta", "transA", "transB"})))
    return failure();
  FailureOr<float> alpha = im.getFloatAttr(n, "alpha", 1.0f), beta = im.getFloatAttr(n, "beta", 1.0f);
  FailureOr<int64_t> transA = im.getIntAttr(n, "transA", 0), transB = im.getIntAttr(n, "transB", 0);
  if (failed(alpha) || failed(beta) || failed(transA) || failed(transB))
    return failure();
  for (auto [attrName, value] : {std::pair{"transA", *transA}, std::pair{"transB", *transB}})
    if (value != 0 && value != 1) {
      im.emitError(n) << "attribute '" << attrName << "' must be 0 or 1, got " << value;
      return failure();
    }

  FailureOr<Value> a = im.getInput(n, 0), b = im.getInput(n, 1), c = im.getOptionalInput(n, 2);
  if (failed(a) || failed(b) || failed(c) || failed(im.requireFloat(n, *a, 0)) ||
      failed(im.requireFloat(n, *b, 1)) || (*c && failed(im.requireFloat(n, *c, 2))))
    return failure();
  auto aType = cast<RankedTensorType>(a->getType()), bType = cast<RankedTensorType>(b->getType());
  if (aType.getRank() != 2 || bType.getRank() != 2) {
    im.emitError(n) << "A and B must be rank 2, got shapes " << shapeStr(aType) << " and "
                 << shapeStr(bType);
    return failure();
  }

  // Transposes become explicit ops; on constant weights they fold away.
  auto transpose = [&](Value v) -> Value {
    auto type = cast<RankedTensorType>(v.getType());
    auto resultType = RankedTensorType::get({type.getDimSize(1), type.getDimSize(0)},
                                            type.getElementType());
    return graph::TransposeOp::create(builder, n.loc, resultType, v,
                                      builder.getDenseI64ArrayAttr({1, 0}));
  };
  int64_t m = aType.getDimSize(*transA ? 1 : 0), k = aType.getDimSize(*transA ? 0 : 1);
  int64_t k2 = bType.getDimSize(*transB ? 1 : 0), nDim = bType.getDimSize(*transB ? 0 : 1);
  if (k != k2) {
    im.emitError(n) << "cannot multiply A " << shapeStr(aType) << (*transA ? " (transposed)" : "")
                 << " by B " << shapeStr(bType) << (*transB ? " (transposed)" : "")
                 << ": inner dimensions differ (" << k << " vs " << k2 << ")";
    return failure();
  }
  if (*c) {
    // Gemm's C broadcasts one way only, to [M, N].
    auto cType = cast<RankedTensorType>(c->getType());
    SmallVector<int64_t> mn = {m, nDim};
    auto shape = graph::broadcastShapes(cType.getShape(), mn);
    if (cType.getRank() > 2 || !shape || ArrayRef<int64_t>(*shape) != ArrayRef<int64_t>(mn)) {
      im.emitError(n) << "C of shape " << shapeStr(cType) << " does not broadcast to [" << m << ", "
                   << nDim << "]";
      return failure();
    }
  }

  Value x = *transA ? transpose(*a) : *a;
  Value w = *transB ? transpose(*b) : *b;
  SmallVector<Value, 3> operands = {x, w};
  if (*c)
    operands.push_back(*c);
  FailureOr<Type> type = im.inferResultType<graph::LinearOp>(n, operands);
  if (failed(type))
    return failure();
  // Without C, beta multiplies nothing: keep the canonical default.
  float betaValue = *c ? *beta : 1.0f;
  im.define(n, graph::LinearOp::create(builder, n.loc, *type, x, w, *c, llvm::APFloat(*alpha),
                                    llvm::APFloat(betaValue), graph::Activation::none));
  return success();
}

/// Transpose: a permutation of the dimensions (default: reversed). A layout
/// move on the DMA engines; on constants it folds away.
static LogicalResult importTranspose(OnnxImporter &im, const NodeContext &n) {
  if (failed(im.checkArity(n, 1, 1)) || failed(im.checkAttributes(n, {"perm"})))
    return failure();
  FailureOr<Value> x = im.getInput(n, 0);
  if (failed(x))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  int64_t rank = type.getRank();
  SmallVector<int64_t> reversed;
  for (int64_t i = rank - 1; i >= 0; --i)
    reversed.push_back(i);
  FailureOr<SmallVector<int64_t>> perm = im.getIntsAttr(n, "perm", reversed);
  if (failed(perm))
    return failure();
  SmallVector<bool> seen(rank, false);
  bool valid = int64_t(perm->size()) == rank;
  for (int64_t p : *perm) {
    valid = valid && p >= 0 && p < rank && !seen[p];
    if (valid)
      seen[p] = true;
  }
  if (!valid) {
    auto diag = im.emitError(n) << "attribute 'perm' [";
    llvm::interleaveComma(*perm, diag);
    diag << "] is not a permutation of the " << rank << " dimensions of " << shapeStr(type);
    return failure();
  }
  SmallVector<int64_t> shape;
  for (int64_t p : *perm)
    shape.push_back(type.getDimSize(p));
  OpBuilder &builder = im.getBuilder();
  im.define(n, graph::TransposeOp::create(builder, n.loc,
                                          RankedTensorType::get(shape, type.getElementType()), *x,
                                          builder.getDenseI64ArrayAttr(*perm)));
  return success();
}

void trellis::onnx_import::registerLinearImporters(ImporterTable &t) {
  t["Transpose"] = OpSupport{importTranspose, "any", ""};
  t["MatMul"] = OpSupport{importMatMul, kFloatTypes, "operands of rank >= 2"};
  t["Gemm"] = OpSupport{importGemm, kFloatTypes, ""};
}
