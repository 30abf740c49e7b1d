//===- LowerElementwise.cpp - Element-wise graph ops onto DVE and ACT -----===//
//
// Binary ops run on the vector engine with broadcast operands read through
// zero-stride views; unary functions use one activation-engine instruction
// where the function table has them, otherwise a few vector-engine steps.
// Transposes are layout moves: a strided DMA read and a copy.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

#include "mlir/IR/BuiltinAttributes.h"

using namespace mlir;
using namespace trellis;
using namespace trellis::lowering;
using isa::Space;

namespace {

/// The vector-engine ALU op computing a graph.binary.
isa::AluOp aluFor(graph::BinaryKind kind) {
  switch (kind) {
  case graph::BinaryKind::sub:
    return isa::AluOp::subtract;
  case graph::BinaryKind::mul:
    return isa::AluOp::mult;
  case graph::BinaryKind::div:
    return isa::AluOp::divide;
  case graph::BinaryKind::max:
    return isa::AluOp::max;
  case graph::BinaryKind::min:
    return isa::AluOp::min;
  case graph::BinaryKind::pow:
    return isa::AluOp::pow;
  }
  llvm_unreachable("unknown binary kind");
}

/// One tile of a graph.unary: a single activation-engine function where the
/// engine has it, otherwise a few vector-engine steps.
static void emitUnary(GraphLowering &L, Location loc, graph::UnaryOp op, Value dst, Value src,
                      int64_t np, int64_t n, Type elt) {
  using graph::UnaryKind;
  using isa::ActFunc;
  using isa::AluOp;
  float alpha = op.getAlpha() ? op.getAlpha()->convertToFloat() : 0.0f;
  float beta = op.getBeta() ? op.getBeta()->convertToFloat() : 0.0f;
  if (op.getKind() == UnaryKind::neg)
    return L.emitActivation(loc, ActFunc::identity, dst, src, np, n, -1.0f);
  // Functions the activation engine's table has: one instruction.
  std::optional<ActFunc> direct;
  switch (op.getKind()) {
  case UnaryKind::abs: direct = ActFunc::abs; break;
  case UnaryKind::exp: direct = ActFunc::exp; break;
  case UnaryKind::log: direct = ActFunc::log; break;
  case UnaryKind::sqrt: direct = ActFunc::sqrt; break;
  case UnaryKind::reciprocal: direct = ActFunc::reciprocal; break;
  case UnaryKind::tanh: direct = ActFunc::tanh; break;
  case UnaryKind::sigmoid: direct = ActFunc::sigmoid; break;
  case UnaryKind::erf: direct = ActFunc::erf; break;
  case UnaryKind::softplus: direct = ActFunc::softplus; break;
  default: break;
  }
  if (direct)
    return L.emitActivation(loc, *direct, dst, src, np, n);
  switch (op.getKind()) {
  case UnaryKind::leaky_relu: {
    // relu(x) + alpha * min(x, 0): right for any alpha, unlike max(x, alpha x).
    Value neg = L.alloc(loc, {np, n}, elt, Space::sbuf);
    L.emitTensorScalar(loc, AluOp::min, 0.0f, AluOp::mult, alpha, neg, src, np, n);
    L.emitActivation(loc, ActFunc::relu, dst, src, np, n);
    tile::TensorTensorOp::create(L.b, loc, L.alu(AluOp::add), dst, L.full(np, n), dst, L.full(np, n),
                                 neg, L.full(np, n), nullptr);
    return;
  }
  case UnaryKind::elu: {
    // relu(x) + alpha * (exp(min(x, 0)) - 1).
    Value neg = L.alloc(loc, {np, n}, elt, Space::sbuf);
    L.emitTensorScalar(loc, AluOp::min, 0.0f, AluOp::bypass, 0.0f, neg, src, np, n);
    L.emitActivation(loc, ActFunc::exp, neg, neg, np, n);
    L.emitTensorScalar(loc, AluOp::add, -1.0f, AluOp::mult, alpha, neg, neg, np, n);
    L.emitActivation(loc, ActFunc::relu, dst, src, np, n);
    tile::TensorTensorOp::create(L.b, loc, L.alu(AluOp::add), dst, L.full(np, n), dst, L.full(np, n),
                                 neg, L.full(np, n), nullptr);
    return;
  }
  case UnaryKind::hard_sigmoid:
    L.emitTensorScalar(loc, AluOp::mult, alpha, AluOp::add, beta, dst, src, np, n);
    L.emitTensorScalar(loc, AluOp::max, 0.0f, AluOp::min, 1.0f, dst, dst, np, n);
    return;
  case UnaryKind::affine:
    return L.emitTensorScalar(loc, AluOp::mult, alpha, AluOp::add, beta, dst, src, np, n);
  default:
    llvm_unreachable("handled by the activation-engine cases above");
  }
}


/// The value of a splat float constant (exact in f32), else nothing.
std::optional<float> splatConstant(Value v) {
  auto c = v.getDefiningOp<graph::ConstantOp>();
  auto dense = c ? dyn_cast<DenseFPElementsAttr>(c.getValue()) : DenseFPElementsAttr();
  if (!dense || !dense.isSplat())
    return std::nullopt;
  APFloat f = dense.getSplatValue<APFloat>();
  bool lost = false;
  f.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven, &lost);
  if (lost)
    return std::nullopt;
  return f.convertToFloat();
}

/// `x op c` (or `c op x`) for a splat constant c as one tensor_scalar with c
/// as the immediate: one input tile instead of two, and no broadcast load of
/// c (attention's 1/sqrt(d) scale, a residual's 0.5, ...). The ALU computes
/// in fp32 exactly as tensor_tensor does, so results are bit-identical.
bool emitScalarBinary(GraphLowering &L, Operation *op, isa::AluOp alu) {
  Value lhs = op->getOperand(0), rhs = op->getOperand(1), result = op->getResult(0);
  if (!mlir::isa<FloatType>(L.eltOf(result)))
    return false;
  Value x = lhs;
  std::optional<float> c = splatConstant(rhs);
  isa::AluOp op0 = alu, op1 = isa::AluOp::bypass;
  float imm0 = c.value_or(0.0f), imm1 = 0.0f;
  if (!c) {
    c = splatConstant(lhs);
    x = rhs;
    if (!c)
      return false;
    switch (alu) {
    case isa::AluOp::add:
    case isa::AluOp::mult:
    case isa::AluOp::max:
    case isa::AluOp::min:
      imm0 = *c;
      break;
    case isa::AluOp::subtract: // c - x = (x * -1) + c, exactly.
      op0 = isa::AluOp::mult, imm0 = -1.0f, op1 = isa::AluOp::add, imm1 = *c;
      break;
    default:
      return false;
    }
  }
  Location loc = tagLoc(op);
  auto outShape = L.shapeOf(result);
  Strided out = L.defineResult(loc, result);
  L.emitElementwise(loc, outShape, {broadcastTo(L.buffer(x), L.shapeOf(x), outShape)}, out,
                    L.eltOf(result), [&](Value dst, ArrayRef<Value> s, int64_t np, int64_t n) {
                      L.emitTensorScalar(loc, op0, imm0, op1, imm1, dst, s[0], np, n);
                    });
  return true;
}

} // namespace

void trellis::lowering::registerElementwiseLowerings(LoweringTable &t) {
  auto binary = [](Operation *op, isa::AluOp alu, GraphLowering &L) -> LogicalResult {
    Value lhs = op->getOperand(0), rhs = op->getOperand(1), result = op->getResult(0);
    if (failed(L.requireMachineType(op, result)) || failed(L.requireMachineType(op, rhs)))
      return failure();
    if (emitScalarBinary(L, op, alu))
      return success();
    Location loc = tagLoc(op);
    auto outShape = L.shapeOf(result);
    Strided out = L.defineResult(loc, result);
    L.emitElementwise(loc, outShape,
                      {broadcastTo(L.buffer(lhs), L.shapeOf(lhs), outShape),
                       broadcastTo(L.buffer(rhs), L.shapeOf(rhs), outShape)},
                      out, L.eltOf(result), [&](Value dst, ArrayRef<Value> s, int64_t np, int64_t n) {
                        L.emitTensorTensor(loc, alu, dst, s[0], s[1], np, n);
                      });
    return success();
  };
  addLowering<graph::AddOp>(t, [binary](graph::AddOp op, GraphLowering &L) {
    if (foldsIntoLayerNorm(op)) {
      L.deferSum(op.getResult(), op.getLhs(), op.getRhs());
      return success();
    }
    return binary(op, isa::AluOp::add, L);
  });
  addLowering<graph::BinaryOp>(t, [binary](graph::BinaryOp op, GraphLowering &L) {
    return binary(op, aluFor(op.getKind()), L);
  });
  addLowering<graph::ReluOp>(t, [](graph::ReluOp op, GraphLowering &L) -> LogicalResult {
    if (failed(L.requireMachineType(op, op.getResult())))
      return failure();
    Location loc = tagLoc(op);
    Strided out = L.defineResult(loc, op.getResult());
    L.emitElementwise(loc, L.shapeOf(op.getResult()), {L.rowMajor(op.getInput())}, out,
                      L.eltOf(op.getResult()),
                      [&](Value dst, ArrayRef<Value> s, int64_t np, int64_t n) {
                        L.emitActivation(loc, isa::ActFunc::relu, dst, s[0], np, n);
                      });
    return success();
  });
  addLowering<graph::UnaryOp>(t, [](graph::UnaryOp op, GraphLowering &L) -> LogicalResult {
    if (failed(L.requireMachineType(op, op.getResult())))
      return failure();
    Location loc = tagLoc(op);
    Type elt = L.eltOf(op.getResult());
    Strided out = L.defineResult(loc, op.getResult());
    L.emitElementwise(loc, L.shapeOf(op.getResult()), {L.rowMajor(op.getInput())}, out, elt,
                      [&](Value dst, ArrayRef<Value> s, int64_t np, int64_t n) {
                        emitUnary(L, loc, op, dst, s[0], np, n, elt);
                      });
    return success();
  });
  addLowering<graph::TransposeOp>(t, [](graph::TransposeOp op, GraphLowering &L) -> LogicalResult {
    // The attention before it wrote the result already (LowerAttention.cpp).
    if (L.buffer(op.getResult()))
      return success();
    // Output dim d reads input dim perm[d]: permute the input's strides.
    Location loc = tagLoc(op);
    Strided in = L.layoutOf(op.getInput());
    Strided permuted{in.buffer, in.offset, {}};
    for (int64_t p : op.getPerm())
      permuted.strides.push_back(in.strides[p]);
    // Read only as an attention operand: no copy, the attention reads the
    // input through the permuted strides.
    if (foldsIntoAttention(op)) {
      L.setLayout(op.getResult(), permuted.buffer, permuted.strides);
      return success();
    }
    Strided out = L.defineResult(loc, op.getResult());
    L.emitCopy(loc, L.shapeOf(op.getResult()), permuted, out, L.eltOf(op.getResult()));
    return success();
  });
}
