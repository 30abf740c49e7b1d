//===- Binding.cpp - Hand-written kernels implementing graph ops ----------===//
//
// The kernel library (--kernel / --kernel-lib), the binder that traces a
// kernel for a call's operand types and adds it to the module, the graph-op
// adapters (how each bindable op's operands map onto a kernel's
// parameters), and the --trellis-bind-kernels pass.
//
//===----------------------------------------------------------------------===//

#include "trellis/Kernel/Binding.h"
#include "trellis/Dialect/Graph.h"
#include "trellis/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include <cstdio>

namespace trellis {
#define GEN_PASS_DEF_BINDKERNELS
#include "trellis/Transforms/Passes.h.inc"
} // namespace trellis

using namespace mlir;
using namespace trellis;
using namespace trellis::kernel;

//===----------------------------------------------------------------------===//
// KernelLibrary
//===----------------------------------------------------------------------===//

llvm::Expected<KernelLibrary> KernelLibrary::create(ArrayRef<std::string> bindings,
                                                    StringRef libDir) {
  KernelLibrary lib;
  for (const std::string &binding : bindings) {
    size_t eq = binding.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == binding.size())
      return llvm::createStringError("--kernel '%s': expected OP=FILE.nki", binding.c_str());
    std::string op = binding.substr(0, eq), file = binding.substr(eq + 1);
    if (!llvm::sys::fs::is_regular_file(file))
      return llvm::createStringError("--kernel %s: no kernel file '%s'", op.c_str(), file.c_str());
    if (!lib.explicitFiles.emplace(op, file).second)
      return llvm::createStringError("--kernel binds '%s' twice", op.c_str());
  }
  if (!libDir.empty() && !llvm::sys::fs::is_directory(libDir))
    return llvm::createStringError("--kernel-lib '%s' is not a directory", libDir.str().c_str());
  lib.libDir = libDir.str();
  return lib;
}

std::string KernelLibrary::fileFor(StringRef op) const {
  auto it = explicitFiles.find(op.str());
  if (it != explicitFiles.end())
    return it->second;
  if (libDir.empty())
    return "";
  // DIR/layer_norm.nki, or DIR/layernorm.nki as kernels are often named.
  std::string squashed = op.str();
  llvm::erase(squashed, '_');
  for (StringRef name : {op, StringRef(squashed)}) {
    SmallString<256> path(libDir);
    llvm::sys::path::append(path, name + ".nki");
    if (llvm::sys::fs::is_regular_file(path))
      return std::string(path);
  }
  return "";
}

//===----------------------------------------------------------------------===//
// KernelBinder
//===----------------------------------------------------------------------===//

/// The kernel language's name of an element type; empty if kernels have none.
static std::string kernelDtype(Type t) {
  if (t.isF32())
    return "f32";
  if (t.isBF16())
    return "bf16";
  if (t.isF16())
    return "f16";
  if (mlir::isa<Float8E4M3FNType>(t))
    return "f8e4m3";
  if (mlir::isa<Float8E5M2Type>(t))
    return "f8e5m2";
  if (t.isSignlessInteger(32))
    return "i32";
  if (t.isSignlessInteger(16))
    return "i16";
  if (t.isSignlessInteger(8))
    return "i8";
  return "";
}

KernelBinder::KernelBinder(ModuleOp module, const ArchConfig &arch)
    : module(module), arch(arch) {}

FailureOr<Operation *> KernelBinder::call(OpBuilder &b, Location loc, StringRef file,
                                          StringRef what, ValueRange inputs,
                                          ArrayRef<KernelArg> scalars) {
  MLIRContext *ctx = b.getContext();
  std::vector<KernelArg> args;
  std::string key = file.str();
  for (auto [i, v] : llvm::enumerate(inputs)) {
    auto type = cast<RankedTensorType>(v.getType());
    KernelArg a;
    a.dtype = kernelDtype(type.getElementType());
    if (a.dtype.empty())
      return emitError(loc) << what << ": input " << i << " is " << type
                            << ", an element type kernels cannot take";
    a.shape.assign(type.getShape().begin(), type.getShape().end());
    key += "|" + a.dtype;
    for (int64_t d : a.shape)
      key += "x" + std::to_string(d);
    args.push_back(std::move(a));
  }
  for (const KernelArg &s : scalars) {
    args.push_back(s);
    // Exact (hex) floats: eps = 1e-7 and 1e-8 must not share a trace.
    char value[64];
    if (s.isFloat)
      std::snprintf(value, sizeof value, "%a", s.floatValue);
    else
      std::snprintf(value, sizeof value, "%lld", (long long)s.intValue);
    key += "|" + s.name + "=" + value;
  }

  func::FuncOp fn;
  SymbolTable symbols(module);
  if (auto it = traced.find(key); it != traced.end()) {
    fn = symbols.lookup<func::FuncOp>(it->second);
  } else {
    auto buffer = llvm::MemoryBuffer::getFile(file);
    if (!buffer)
      return emitError(loc) << what << ": cannot read kernel file '" << file
                            << "': " << buffer.getError().message();
    llvm::SourceMgr sourceMgr;
    unsigned id = sourceMgr.AddNewSourceBuffer(std::move(*buffer), llvm::SMLoc());
    KernelOptions opts;
    opts.args = std::move(args);
    opts.arch = &arch;
    opts.argSource = "the binding";
    // The kernel's own diagnostics become notes of one error at the node.
    SmallVector<std::pair<Location, std::string>> kernelDiags;
    OwningOpRef<ModuleOp> traced;
    {
      ScopedDiagnosticHandler capture(ctx, [&](Diagnostic &d) {
        kernelDiags.push_back({d.getLocation(), d.str()});
        for (const Diagnostic &note : d.getNotes())
          kernelDiags.push_back({note.getLocation(), note.str()});
        return success();
      });
      traced = compileKernel(sourceMgr, id, *ctx, opts);
    }
    if (!traced) {
      InFlightDiagnostic diag = emitError(loc) << what << ": kernel '" << file
                                               << "' cannot implement it";
      if (!kernelDiags.empty())
        diag << ": " << kernelDiags.front().second;
      for (auto &[l, msg] : kernelDiags)
        diag.attachNote(l) << msg;
      return failure();
    }
    auto fns = llvm::to_vector(traced->getOps<func::FuncOp>());
    if (fns.size() != 1)
      return emitError(loc) << what << ": kernel '" << file << "' traced to " << fns.size()
                            << " functions";
    fn = fns.front();
    unsigned nIn = inputs.size();
    for (unsigned i = 0; i < fn.getNumArguments(); ++i) {
      bool isInput = !!fn.getArgAttr(i, "trellis.input");
      if (isInput != (i < nIn))
        return emitError(loc) << what << ": kernel '" << file << "' must take the " << nIn
                              << " input tensors as its first parameters and return its "
                                 "outputs (it writes parameter "
                              << i << ")";
    }
    fn->remove();
    fn.setPrivate();
    fn->setAttr("trellis.kernel", b.getStringAttr(file + ":" + fn.getName()));
    // A symbol of its own; SymbolTable::insert renames on a clash.
    symbols.insert(fn);
    this->traced[key] = fn.getName().str();
  }

  SmallVector<Type> resultTypes;
  FunctionType type = fn.getFunctionType();
  for (unsigned i = inputs.size(); i < type.getNumInputs(); ++i) {
    auto buffer = cast<MemRefType>(type.getInput(i));
    resultTypes.push_back(RankedTensorType::get(buffer.getShape(), buffer.getElementType()));
  }
  auto callOp = graph::KernelCallOp::create(b, loc, resultTypes,
                                            FlatSymbolRefAttr::get(fn.getNameAttr()), inputs);
  return callOp.getOperation();
}

//===----------------------------------------------------------------------===//
// Graph-op adapters
//===----------------------------------------------------------------------===//

namespace {

/// Replaces bindable graph ops with kernel calls. Each adapter states the
/// kernel signature it expects (docs/kernel-language.md repeats them).
class GraphOpBinder {
public:
  GraphOpBinder(ModuleOp module, const KernelLibrary &library, const ArchConfig &arch)
      : library(library), binder(module, arch) {}

  LogicalResult bind(Operation *op) {
    return llvm::TypeSwitch<Operation *, LogicalResult>(op)
        .Case<graph::SoftmaxOp>([&](auto o) { return bindSoftmax(o); })
        .Case<graph::LayerNormOp>([&](auto o) { return bindLayerNorm(o); })
        .Case<graph::MatMulOp>([&](auto o) { return bindMatmul(o); })
        .Case<graph::LinearOp>([&](auto o) { return bindLinear(o); })
        .Case<graph::AttentionOp>([&](auto o) { return bindAttention(o); })
        .Default([](Operation *) { return success(); });
  }

private:
  const KernelLibrary &library;
  KernelBinder binder;

  static RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

  /// `v` as [prod(leading dims), last dim]; no op if it already is 2-D.
  static Value as2d(OpBuilder &b, Location loc, Value v) {
    RankedTensorType t = typeOf(v);
    if (t.getRank() == 2)
      return v;
    int64_t rows = 1;
    for (int64_t d : t.getShape().drop_back())
      rows *= d;
    auto type = RankedTensorType::get({rows, t.getShape().back()}, t.getElementType());
    return graph::ReshapeOp::create(b, loc, type, v);
  }
  static Value reshapeTo(OpBuilder &b, Location loc, Value v, RankedTensorType type) {
    return typeOf(v).getShape() == type.getShape() ? v : graph::ReshapeOp::create(b, loc, type, v);
  }
  static Value transpose2d(OpBuilder &b, Location loc, Value v) {
    return graph::TransposeOp::create(b, loc, v, b.getDenseI64ArrayAttr({1, 0}));
  }

  /// One kernel call with one result, or failure (reported).
  FailureOr<Value> callOne(OpBuilder &b, Operation *op, StringRef file, ValueRange inputs,
                           ArrayRef<KernelArg> scalars = {}) {
    std::string what = "'" + op->getName().getStringRef().str() + "'";
    FailureOr<Operation *> call = binder.call(b, op->getLoc(), file, what, inputs, scalars);
    if (failed(call))
      return failure();
    if ((*call)->getNumResults() != 1)
      return op->emitError() << what << ": kernel '" << file << "' has "
                             << (*call)->getNumResults() << " outputs; the op has one";
    return (*call)->getResult(0);
  }

  /// The result must come back with the op's type.
  static LogicalResult checkResult(Operation *op, StringRef file, Value got, Type want) {
    if (got.getType() == want)
      return success();
    return op->emitError() << "'" << op->getName() << "': kernel '" << file << "' returns "
                           << got.getType() << ", expected " << want;
  }

  /// softmax(x): x as [R, C] (leading dims flattened), over C.
  LogicalResult bindSoftmax(graph::SoftmaxOp op) {
    std::string file = library.fileFor("softmax");
    if (file.empty() || op.getLog())
      return success(); // log-softmax is a different function
    int64_t rank = typeOf(op.getInput()).getRank();
    if (op.getAxes().size() != 1 || op.getAxes()[0] != rank - 1)
      return op.emitError() << "'graph.softmax' over axes [" << op.getAxes()
                            << "]: a softmax kernel normalises the last axis only";
    OpBuilder b(op);
    Location loc = op.getLoc();
    FailureOr<Value> y = callOne(b, op, file, {as2d(b, loc, op.getInput())});
    if (failed(y))
      return failure();
    Value result = reshapeTo(b, loc, *y, typeOf(op.getResult()));
    if (failed(checkResult(op, file, result, op.getType())))
      return failure();
    op.replaceAllUsesWith(result);
    op.erase();
    return success();
  }

  /// layernorm(x, gamma, beta, eps=): x as [R, C], gamma and beta [C].
  LogicalResult bindLayerNorm(graph::LayerNormOp op) {
    std::string file = library.fileFor("layer_norm");
    if (file.empty())
      return success();
    RankedTensorType xt = typeOf(op.getInput());
    int64_t c = xt.getShape().back();
    if (op.getAxis() != xt.getRank() - 1)
      return op.emitError() << "'graph.layer_norm' from axis " << op.getAxis()
                            << ": a layer-norm kernel normalises the last axis only";
    if (!op.getMean().use_empty() || !op.getInvStdDev().use_empty())
      return op.emitError() << "'graph.layer_norm': its Mean / InvStdDev outputs are used, "
                               "which a layer-norm kernel does not produce";
    OpBuilder b(op);
    Location loc = op.getLoc();
    auto vecType = RankedTensorType::get({c}, xt.getElementType());
    auto affine = [&](Value v, float fill) -> FailureOr<Value> {
      if (!v)
        return Value(graph::ConstantOp::create(
            b, loc, DenseElementsAttr::get(vecType, b.getFloatAttr(xt.getElementType(), fill))));
      RankedTensorType t = typeOf(v);
      if (t.getNumElements() != c)
        return op.emitError() << "'graph.layer_norm': scale/bias of type " << t
                              << " do not have one value per normalised element (" << c << ")";
      return reshapeTo(b, loc, v, RankedTensorType::get({c}, t.getElementType()));
    };
    FailureOr<Value> gamma = affine(op.getScale(), 1.0f), beta = affine(op.getBias(), 0.0f);
    if (failed(gamma) || failed(beta))
      return failure();
    KernelArg eps;
    eps.name = "eps";
    eps.isTensor = false;
    eps.isFloat = true;
    eps.floatValue = op.getEpsilon().convertToFloat();
    FailureOr<Value> y = callOne(b, op, file, {as2d(b, loc, op.getInput()), *gamma, *beta}, {eps});
    if (failed(y))
      return failure();
    Value result = reshapeTo(b, loc, *y, xt);
    if (failed(checkResult(op, file, result, op.getResult().getType())))
      return failure();
    op.getResult().replaceAllUsesWith(result);
    op.erase();
    return success();
  }

  /// matmul(lhsT, rhs) -> lhsT.T @ rhs: the left operand arrives transposed,
  /// [K, M], as the PE array takes it; rhs is [K, N].
  FailureOr<Value> callMatmul(OpBuilder &b, Operation *op, StringRef file, Value x, Value w) {
    Location loc = op->getLoc();
    RankedTensorType xt = typeOf(x), wt = typeOf(w);
    if (wt.getRank() != 2)
      return op->emitError() << "'" << op->getName() << "' with a rank-" << wt.getRank()
                             << " right operand: a matmul kernel takes 2-D operands";
    Value lhsT = transpose2d(b, loc, as2d(b, loc, x));
    FailureOr<Value> y = callOne(b, op, file, {lhsT, w});
    if (failed(y))
      return failure();
    SmallVector<int64_t> shape(xt.getShape().drop_back());
    shape.push_back(wt.getShape().back());
    return reshapeTo(b, loc, *y, RankedTensorType::get(shape, typeOf(*y).getElementType()));
  }

  LogicalResult bindMatmul(graph::MatMulOp op) {
    std::string file = library.fileFor("matmul");
    if (file.empty())
      return success();
    OpBuilder b(op);
    FailureOr<Value> y = callMatmul(b, op, file, op.getLhs(), op.getRhs());
    if (failed(y) || failed(checkResult(op, file, *y, op.getType())))
      return failure();
    op.replaceAllUsesWith(*y);
    op.erase();
    return success();
  }

  /// linear = the matmul kernel, then bias and activation as graph ops.
  LogicalResult bindLinear(graph::LinearOp op) {
    std::string file = library.fileFor("linear");
    if (file.empty())
      file = library.fileFor("matmul");
    if (file.empty())
      return success();
    if (op.getAlpha().convertToFloat() != 1.0f || (op.getBias() && op.getBeta().convertToFloat() != 1.0f))
      return op.emitError() << "'graph.linear' with alpha " << op.getAlpha().convertToFloat()
                            << " and beta " << op.getBeta().convertToFloat()
                            << ": a matmul kernel implements alpha = beta = 1 only";
    OpBuilder b(op);
    Location loc = op.getLoc();
    FailureOr<Value> y = callMatmul(b, op, file, op.getX(), op.getW());
    if (failed(y))
      return failure();
    Value result = *y;
    if (op.getBias())
      result = graph::AddOp::create(b, loc, result, op.getBias());
    if (op.getActivation() == graph::Activation::relu)
      result = graph::ReluOp::create(b, loc, result);
    else if (op.getActivation() != graph::Activation::none)
      result = graph::GeluOp::create(b, loc, result,
                                     op.getActivation() == graph::Activation::gelu_tanh);
    if (failed(checkResult(op, file, result, op.getType())))
      return failure();
    op.replaceAllUsesWith(result);
    op.erase();
    return success();
  }

  /// attention(qT [D, S], kT [D, S], v [S, Dv], scale=, causal=) for one
  /// head, called once per head (the batch dims flattened); the heads'
  /// results are concatenated and cast to the op's type if the kernel's
  /// differs (kernels/attention.nki returns f32).
  LogicalResult bindAttention(graph::AttentionOp op) {
    std::string file = library.fileFor("attention");
    if (file.empty())
      return success();
    if (op.getMask())
      return op.emitError() << "'graph.attention' with an additive mask: an attention kernel "
                               "takes the causal flag only";
    RankedTensorType qt = typeOf(op.getQ()), kt = typeOf(op.getK()), vt = typeOf(op.getV());
    int64_t rank = qt.getRank();
    if (qt.getShape().drop_back(2) != kt.getShape().drop_back(2) ||
        qt.getShape().drop_back(2) != vt.getShape().drop_back(2))
      return op.emitError() << "'graph.attention' with broadcast batch dimensions: bind "
                               "attention kernels to ops whose q, k and v have the same heads";
    int64_t heads = 1;
    for (int64_t d : qt.getShape().drop_back(2))
      heads *= d;
    OpBuilder b(op);
    Location loc = op.getLoc();
    // [B..., S, D] -> [heads, S, D], then head h as [S, D].
    auto perHead = [&](Value v, int64_t h) {
      RankedTensorType t = typeOf(v);
      int64_t s = t.getDimSize(rank - 2), d = t.getDimSize(rank - 1);
      Value flat = reshapeTo(b, loc, v, RankedTensorType::get({heads, s, d}, t.getElementType()));
      Value one = graph::SliceOp::create(b, loc, RankedTensorType::get({1, s, d}, t.getElementType()),
                                         flat, b.getDenseI64ArrayAttr({h, 0, 0}),
                                         b.getDenseI64ArrayAttr({1, 1, 1}));
      return reshapeTo(b, loc, one, RankedTensorType::get({s, d}, t.getElementType()));
    };
    KernelArg scale, causal;
    scale.name = "scale";
    scale.isTensor = false;
    scale.isFloat = true;
    scale.floatValue = op.getScale().convertToFloat();
    causal.name = "causal";
    causal.isTensor = false;
    causal.intValue = op.getCausal() ? 1 : 0;
    SmallVector<Value> outs;
    for (int64_t h = 0; h < heads; ++h) {
      Value q = transpose2d(b, loc, perHead(op.getQ(), h));
      Value k = transpose2d(b, loc, perHead(op.getK(), h));
      FailureOr<Value> o = callOne(b, op, file, {q, k, perHead(op.getV(), h)}, {scale, causal});
      if (failed(o))
        return failure();
      RankedTensorType ot = typeOf(*o);
      outs.push_back(reshapeTo(b, loc, *o,
                               RankedTensorType::get({1, ot.getDimSize(0), ot.getDimSize(1)},
                                                     ot.getElementType())));
    }
    RankedTensorType ot = typeOf(outs.front());
    Value all = outs.size() == 1
                    ? outs.front()
                    : graph::ConcatOp::create(
                          b, loc,
                          RankedTensorType::get({heads, ot.getDimSize(1), ot.getDimSize(2)},
                                                ot.getElementType()),
                          outs, b.getI64IntegerAttr(0));
    RankedTensorType want = op.getType();
    Value result = reshapeTo(b, loc, all, RankedTensorType::get(want.getShape(), ot.getElementType()));
    if (ot.getElementType() != want.getElementType())
      result = graph::CastOp::create(b, loc, want, result);
    if (failed(checkResult(op, file, result, want)))
      return failure();
    op.replaceAllUsesWith(result);
    op.erase();
    return success();
  }
};

} // namespace

LogicalResult trellis::kernel::bindGraphOps(ModuleOp module, const KernelLibrary &library,
                                            const ArchConfig &arch) {
  if (library.empty())
    return success();
  SmallVector<Operation *> ops;
  for (auto fn : module.getOps<func::FuncOp>())
    if (!fn->hasAttr("trellis.kernel"))
      fn.walk([&](Operation *op) {
        if (mlir::isa<graph::SoftmaxOp, graph::LayerNormOp, graph::MatMulOp, graph::LinearOp,
                      graph::AttentionOp>(op))
          ops.push_back(op);
      });
  GraphOpBinder binder(module, library, arch);
  bool failed = false;
  for (Operation *op : ops)
    failed |= mlir::failed(binder.bind(op));
  return failure(failed);
}

//===----------------------------------------------------------------------===//
// Custom-domain ONNX nodes
//===----------------------------------------------------------------------===//

namespace {
class KernelCustomOps : public CustomOpImporter {
public:
  KernelCustomOps(const KernelLibrary &library, const ArchConfig &arch)
      : library(library), arch(arch) {}

  bool handles(StringRef, StringRef opType) const override {
    return !library.fileFor(opType).empty();
  }

  FailureOr<SmallVector<Value>> import(OpBuilder &b, Location loc, StringRef domain,
                                       StringRef opType, ValueRange inputs,
                                       ArrayRef<NamedAttribute> attrs) override {
    auto module = b.getInsertionBlock()->getParentOp()->getParentOfType<ModuleOp>();
    if (!module)
      return emitError(loc) << "custom node outside a module";
    if (!binder)
      binder = std::make_unique<KernelBinder>(module, arch);
    std::vector<KernelArg> scalars;
    for (NamedAttribute a : attrs) {
      KernelArg s;
      s.name = a.getName().str();
      s.isTensor = false;
      if (auto f = dyn_cast<FloatAttr>(a.getValue())) {
        s.isFloat = true;
        s.floatValue = f.getValueAsDouble();
      } else {
        s.intValue = cast<IntegerAttr>(a.getValue()).getInt();
      }
      scalars.push_back(std::move(s));
    }
    std::string node = "node";
    if (auto name = dyn_cast<NameLoc>(loc))
      node = "node '" + name.getName().str() + "'";
    std::string what = node + " (op type " + (domain + "." + opType).str() + ")";
    FailureOr<Operation *> call =
        binder->call(b, loc, library.fileFor(opType), what, inputs, scalars);
    if (failed(call))
      return failure();
    return SmallVector<Value>((*call)->getResults());
  }

private:
  const KernelLibrary &library;
  const ArchConfig &arch;
  std::unique_ptr<KernelBinder> binder;
};
} // namespace

std::unique_ptr<CustomOpImporter>
trellis::kernel::makeKernelCustomOpImporter(const KernelLibrary &library, const ArchConfig &arch) {
  return std::make_unique<KernelCustomOps>(library, arch);
}

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

namespace {
struct BindKernelsPass : public trellis::impl::BindKernelsBase<BindKernelsPass> {
  using BindKernelsBase::BindKernelsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto library = KernelLibrary::create(kernels, kernelLib);
    if (!library) {
      module.emitError(llvm::toString(library.takeError()));
      return signalPassFailure();
    }
    if (library->empty())
      return;
    auto arch = loadArchConfig(target);
    if (!arch) {
      module.emitError(llvm::toString(arch.takeError()));
      return signalPassFailure();
    }
    if (failed(bindGraphOps(module, *library, *arch)))
      signalPassFailure();
  }
};
} // namespace
