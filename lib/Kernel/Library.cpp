//===- Library.cpp - The names a kernel can use: nl, nisa, math, builtins --===//
//
// Module attributes (nl.float32, nl.sbuf, nl.tile_size.pmax, nisa.engine
// ...), the Python builtins (range, len, min, ...), and the dispatch of
// every nl.* and nisa.* call to the operations in Builtins.cpp.
//
//===----------------------------------------------------------------------===//

#include "Tracer.h"

#include "llvm/ADT/StringSwitch.h"
#include <cmath>

using namespace mlir;
using namespace trellis;
using namespace trellis::kernel;
using isa::Space;
using llvm::SMLoc;
using llvm::StringRef;

/// nl functions the activation engine computes (op= of nisa.activation too).
static std::optional<isa::ActFunc> actFuncOf(StringRef name) {
  using isa::ActFunc;
  return llvm::StringSwitch<std::optional<ActFunc>>(name)
      .Case("exp", ActFunc::exp)
      .Case("log", ActFunc::log)
      .Case("tanh", ActFunc::tanh)
      .Case("sigmoid", ActFunc::sigmoid)
      .Case("relu", ActFunc::relu)
      .Case("gelu", ActFunc::gelu)
      .Case("gelu_apprx_tanh", ActFunc::gelu_tanh)
      .Case("silu", ActFunc::silu)
      .Case("rsqrt", ActFunc::rsqrt)
      .Case("sqrt", ActFunc::sqrt)
      .Case("square", ActFunc::square)
      .Case("abs", ActFunc::abs)
      .Case("erf", ActFunc::erf)
      .Case("softplus", ActFunc::softplus)
      .Case("reciprocal", ActFunc::reciprocal)
      .Case("copy", ActFunc::identity)
      .Case("identity", ActFunc::identity)
      .Default(std::nullopt);
}

/// nl functions the vector engine's ALU computes (op= of nisa.tensor_*).
static std::optional<isa::AluOp> aluOpOf(StringRef name) {
  using isa::AluOp;
  return llvm::StringSwitch<std::optional<AluOp>>(name)
      .Case("add", AluOp::add)
      .Case("subtract", AluOp::subtract)
      .Case("multiply", AluOp::mult)
      .Case("divide", AluOp::divide)
      .Case("maximum", AluOp::max)
      .Case("minimum", AluOp::min)
      .Case("max", AluOp::max)
      .Case("min", AluOp::min)
      .Case("power", AluOp::pow)
      .Case("equal", AluOp::is_equal)
      .Case("not_equal", AluOp::not_equal)
      .Case("greater", AluOp::is_gt)
      .Case("greater_equal", AluOp::is_ge)
      .Case("less", AluOp::is_lt)
      .Case("less_equal", AluOp::is_le)
      .Case("logical_and", AluOp::logical_and)
      .Case("logical_or", AluOp::logical_or)
      .Case("bypass", AluOp::bypass)
      .Default(std::nullopt);
}

static const char *const kLanguageFunctions[] = {
    "ndarray", "zeros", "ones", "full", "zeros_like", "ones_like", "empty_like", "load", "store",
    "copy", "matmul", "transpose", "ds", "affine_range", "sequential_range", "static_range",
    "sum", "max", "min", "mean", "broadcast_to", "par_dim", "negative", "arange", "softmax"};

static const char *const kIsaFunctions[] = {
    "nc_matmul", "nc_transpose", "activation", "activation_reduce", "tensor_tensor",
    "tensor_scalar", "tensor_reduce", "tensor_copy", "iota", "memset", "dma_copy", "reciprocal",
    "scalar_tensor_tensor"};

void Tracer::installGlobals() {
  for (const char *m : {"nl", "nisa", "nki", "np", "math"})
    globals[m] = Val::module(m);
  for (const char *f : {"range", "len", "min", "max", "abs", "int", "float", "bool", "print",
                        "enumerate", "zip", "list", "tuple", "sum", "isinstance"})
    globals[f] = Val::builtin(std::string("py.") + f);
}

FailureOr<Val> Tracer::moduleAttr(StringRef module, StringRef name, SMLoc at) {
  auto dtypeOrNull = [&]() -> std::optional<Val> {
    if (Type t = dtypeNamed(name); t && (name.contains("float") || name.contains("int") ||
                                         name == "bfloat16" || name == "tfloat32"))
      return Val::dtype(t);
    return std::nullopt;
  };
  if (module == "nki") {
    if (name == "language")
      return Val::module("nl");
    if (name == "isa")
      return Val::module("nisa");
    if (name == "jit" || name == "baremetal" || name == "benchmark" || name == "simulate_kernel" ||
        name == "profile")
      return Val::builtin("nki.decorator");
  } else if (module == "neuronxcc") {
    if (name == "nki")
      return Val::module("nki");
  } else if (module == "nl" || module == "np") {
    if (auto d = dtypeOrNull())
      return *d;
    if (module == "nl" && (name == "sbuf" || name == "psum" || name == "hbm" ||
                           name == "shared_hbm" || name == "private_hbm")) {
      Val v;
      v.kind = VK::Buffer;
      v.space = name == "sbuf" ? Space::sbuf : name == "psum" ? Space::psum : Space::hbm;
      return v;
    }
    if (module == "nl" && name == "tile_size")
      return Val::module("nl.tile_size");
    if (name == "bool_")
      return Val::dtype(b.getI8Type());
    if (actFuncOf(name) || aluOpOf(name))
      return Val::builtin("nl." + name.str());
    if (module == "nl")
      for (const char *f : kLanguageFunctions)
        if (name == f)
          return Val::builtin("nl." + name.str());
    if (module == "np" && (name == "sum" || name == "max" || name == "min" || name == "mean"))
      return Val::builtin("nl." + name.str());
  } else if (module == "nl.tile_size") {
    int64_t bank = arch ? arch->psumBankBytes() : 2048;
    std::optional<int64_t> v =
        llvm::StringSwitch<std::optional<int64_t>>(name)
            .Case("pmax", arch ? arch->partitions : 128)
            .Case("psum_fmax", bank / 4)
            .Case("psum_bank_fmax", bank / 4)
            .Case("gemm_stationary_fmax", arch ? arch->peCols : 128)
            .Case("gemm_moving_fmax", bank / 4)
            .Case("psum_num_banks", arch ? arch->psumBanks : 8)
            .Case("bn_stats_fmax", 512)
            .Case("sbuf_size_bytes", arch ? arch->sbufBytesPerPartition : 224 * 1024)
            .Case("total_available_sbuf_size", arch ? arch->sbufBytesPerPartition : 224 * 1024)
            .Default(std::nullopt);
    if (v)
      return Val::integer(*v);
  } else if (module == "nisa") {
    for (const char *f : kIsaFunctions)
      if (name == f)
        return Val::builtin("nisa." + name.str());
    if (name == "engine")
      return Val::module("nisa.engine");
    if (name == "reduce_cmd")
      return Val::module("nisa.reduce_cmd");
  } else if (module == "nisa.engine") {
    std::optional<isa::EngineKind> e = llvm::StringSwitch<std::optional<isa::EngineKind>>(name)
                                           .Case("tensor", isa::EngineKind::pe)
                                           .Case("vector", isa::EngineKind::dve)
                                           .Case("scalar", isa::EngineKind::act)
                                           .Case("activation", isa::EngineKind::act)
                                           .Case("gpsimd", isa::EngineKind::pool)
                                           .Case("unknown", isa::EngineKind::dve)
                                           .Default(std::nullopt);
    if (e) {
      Val v;
      v.kind = VK::Engine;
      v.engine = *e;
      v.engineAuto = name == "unknown";
      return v;
    }
  } else if (module == "nisa.reduce_cmd") {
    if (name == "idle" || name == "reset" || name == "reduce" || name == "reset_reduce" ||
        name == "load_reduce")
      return Val::str(name.str());
  } else if (module == "math") {
    if (name == "pi")
      return Val::real(M_PI);
    if (name == "e")
      return Val::real(M_E);
    if (name == "inf")
      return Val::real(INFINITY);
    if (name == "ceil" || name == "floor" || name == "sqrt" || name == "log" || name == "exp" ||
        name == "prod" || name == "log2" || name == "isqrt")
      return Val::builtin("math." + name.str());
  }
  error(at) << "module '" << module << "' has no attribute '" << name
            << "' supported by the kernel language";
  return failure();
}

FailureOr<Val> Tracer::callBuiltin(const Val &fn, CallArgs &args, Dest *dest) {
  StringRef name = fn.s;
  if (name == "nki.decorator") {
    error(args.loc) << "nki.jit and friends are decorators; the kernel is compiled by trellis-cc";
    return failure();
  }
  if (name == "list.append") {
    if (args.pos.size() != 1 || !args.kw.empty()) {
      error(args.loc) << "append() takes exactly one argument";
      return failure();
    }
    fn.self->items->push_back(args.pos[0]);
    return Val::none();
  }
  if (name.starts_with("tensor.")) {
    const TensorVal &t = *fn.self->t;
    Val shape;
    if (args.pos.size() == 1)
      shape = args.pos[0];
    else
      shape = Val::sequence(VK::Tuple, args.pos);
    if (name == "tensor.reshape" || name == "tensor.view")
      return reshape(t, shape, args.loc);
    auto s = toShape(shape, args.loc, "the shape");
    if (failed(s))
      return failure();
    return broadcastTo(t, *s, args.loc);
  }
  if (name.consume_front("py."))
    return callPython(name, args);
  if (name.consume_front("math.")) {
    if (args.pos.size() != 1 || !args.kw.empty()) {
      error(args.loc) << "math." << name << "() takes one argument";
      return failure();
    }
    if (name == "prod") {
      if (!args.pos[0].isSeq()) {
        error(args.loc) << "math.prod() takes a tuple";
        return failure();
      }
      int64_t p = 1;
      for (const Val &v : *args.pos[0].items) {
        auto n = toInt(v, args.loc, "an element");
        if (failed(n))
          return failure();
        p *= *n;
      }
      return Val::integer(p);
    }
    auto x = toFloat(args.pos[0], args.posLoc[0], "the argument");
    if (failed(x))
      return failure();
    if (name == "ceil")
      return Val::integer(int64_t(std::ceil(*x)));
    if (name == "floor")
      return Val::integer(int64_t(std::floor(*x)));
    if (name == "isqrt")
      return Val::integer(int64_t(std::floor(std::sqrt(*x))));
    if (name == "sqrt")
      return Val::real(std::sqrt(*x));
    if (name == "log")
      return Val::real(std::log(*x));
    if (name == "log2")
      return Val::real(std::log2(*x));
    return Val::real(std::exp(*x));
  }
  if (name.consume_front("nl."))
    return callLanguage(name, args, dest);
  if (name.consume_front("nisa."))
    return callIsa(name, args, dest);
  error(args.loc) << "unknown builtin " << fn.s;
  return failure();
}

FailureOr<Val> Tracer::callPython(StringRef name, CallArgs &args) {
  if (!args.kw.empty()) {
    error(args.kwNameLoc[0]) << name << "() takes no keyword arguments here";
    return failure();
  }
  auto &a = args.pos;
  if (name == "range") {
    if (a.empty() || a.size() > 3) {
      error(args.loc) << "range() takes 1 to 3 arguments";
      return failure();
    }
    SmallVector<int64_t, 3> n;
    for (size_t i = 0; i < a.size(); ++i) {
      auto v = toInt(a[i], args.posLoc[i], "a range bound");
      if (failed(v))
        return failure();
      n.push_back(*v);
    }
    Val r;
    r.kind = VK::Range;
    r.i = a.size() == 1 ? 0 : n[0];
    r.j = a.size() == 1 ? n[0] : n[1];
    r.k = a.size() == 3 ? n[2] : 1;
    if (r.k == 0) {
      error(args.loc) << "range() step must not be zero";
      return failure();
    }
    return r;
  }
  if (name == "print") {
    std::string line;
    for (const Val &v : a)
      line += (line.empty() ? "" : " ") + (v.kind == VK::Str ? v.s : describe(v));
    mlir::emitRemark(loc(args.loc)) << line;
    return Val::none();
  }
  if (a.size() != 1 && name != "min" && name != "max" && name != "zip" && name != "isinstance") {
    error(args.loc) << name << "() takes one argument";
    return failure();
  }
  if (name == "len") {
    if (a[0].isSeq())
      return Val::integer(a[0].items->size());
    if (a[0].kind == VK::Tensor)
      return Val::integer(a[0].t->partitions());
    if (a[0].kind == VK::Str)
      return Val::integer(a[0].s.size());
    if (a[0].kind == VK::Range)
      return Val::integer(rangeLength(a[0].i, a[0].j, a[0].k));
    error(args.loc) << "len() of " << describe(a[0]);
    return failure();
  }
  if (name == "abs") {
    if (a[0].kind == VK::Float)
      return Val::real(std::fabs(a[0].f));
    auto v = toInt(a[0], args.posLoc[0], "the argument");
    if (failed(v))
      return failure();
    if (*v == INT64_MIN) {
      error(args.loc) << "integer overflow: abs(" << *v << ") does not fit in 64 bits";
      return failure();
    }
    return Val::integer(std::llabs(*v));
  }
  if (name == "int") {
    if (a[0].kind == VK::Float) {
      double t = std::trunc(a[0].f);
      // 2^63 is exactly representable; anything from it up (and NaN) is not
      // an int64.
      if (!(t >= -9223372036854775808.0 && t < 9223372036854775808.0)) {
        error(args.loc) << "int(" << a[0].f << ") does not fit in 64 bits";
        return failure();
      }
      return Val::integer(int64_t(t));
    }
    auto v = toInt(a[0], args.posLoc[0], "the argument");
    if (failed(v))
      return failure();
    return Val::integer(*v);
  }
  if (name == "float") {
    auto v = toFloat(a[0], args.posLoc[0], "the argument");
    if (failed(v))
      return failure();
    return Val::real(*v);
  }
  if (name == "bool") {
    auto t = truthy(a[0], args.posLoc[0]);
    if (failed(t))
      return failure();
    return Val::boolean(*t);
  }
  auto asList = [&](const Val &v, SMLoc at) -> FailureOr<ValList> {
    if (v.isSeq())
      return *v.items;
    if (v.kind == VK::Range) {
      int64_t n = rangeLength(v.i, v.j, v.k);
      if (n > kMaxSeqItems) {
        error(at) << "a range of " << n << " elements; at most " << kMaxSeqItems
                  << " are allowed in a list";
        return failure();
      }
      ValList out;
      for (int64_t x = 0; x < n; ++x)
        out.push_back(Val::integer(v.i + x * v.k));
      return out;
    }
    error(at) << "expected a sequence, got " << describe(v);
    return failure();
  };
  if (name == "list" || name == "tuple") {
    auto l = asList(a[0], args.posLoc[0]);
    if (failed(l))
      return failure();
    return Val::sequence(name == "list" ? VK::List : VK::Tuple, *l);
  }
  if (name == "enumerate") {
    auto l = asList(a[0], args.posLoc[0]);
    if (failed(l))
      return failure();
    ValList out;
    for (size_t i = 0; i < l->size(); ++i)
      out.push_back(Val::sequence(VK::Tuple, {Val::integer(i), (*l)[i]}));
    return Val::sequence(VK::List, out);
  }
  if (name == "zip") {
    std::vector<ValList> lists;
    size_t n = SIZE_MAX;
    for (size_t i = 0; i < a.size(); ++i) {
      auto l = asList(a[i], args.posLoc[i]);
      if (failed(l))
        return failure();
      n = std::min(n, l->size());
      lists.push_back(*l);
    }
    ValList out;
    for (size_t i = 0; i < (lists.empty() ? 0 : n); ++i) {
      ValList row;
      for (auto &l : lists)
        row.push_back(l[i]);
      out.push_back(Val::sequence(VK::Tuple, row));
    }
    return Val::sequence(VK::List, out);
  }
  if (name == "sum" || name == "min" || name == "max") {
    ValList items;
    if (a.size() == 1) {
      auto l = asList(a[0], args.posLoc[0]);
      if (failed(l))
        return failure();
      items = *l;
    } else {
      items = a;
    }
    if (items.empty()) {
      if (name == "sum")
        return Val::integer(0);
      error(args.loc) << name << "() of an empty sequence";
      return failure();
    }
    Val acc = name == "sum" ? Val::integer(0) : items[0];
    for (size_t i = name == "sum" ? 0 : 1; i < items.size(); ++i) {
      const Val &x = items[i];
      if (!x.isNumber() || !acc.isNumber()) {
        error(args.loc) << name << "() needs numbers (for tensors use nl." << name << ")";
        return failure();
      }
      if (name == "sum") {
        auto r = binaryOperator("+", acc, x, args.loc, nullptr);
        if (failed(r))
          return failure();
        acc = *r;
      } else if ((name == "min") == (x.number() < acc.number())) {
        acc = x;
      }
    }
    return acc;
  }
  if (name == "isinstance") {
    error(args.loc) << "isinstance() is not part of the kernel language";
    return failure();
  }
  error(args.loc) << "unknown function " << name;
  return failure();
}

/// The dtype= argument, if any.
static std::optional<Type> dtypeArg(const Bound &b, size_t i) {
  if (b.has(i) && b.v[i]->kind == VK::DType)
    return b.v[i]->type;
  return std::nullopt;
}

FailureOr<Val> Tracer::callLanguage(StringRef name, CallArgs &args, Dest *dest) {
  std::string fname = ("nl." + name).str();
  Bound a;
  auto dtypeOf = [&](size_t i) -> FailureOr<std::optional<Type>> {
    if (!a.has(i))
      return std::optional<Type>();
    if (a.v[i]->kind != VK::DType) {
      error(a.at[i]) << "dtype must be a dtype such as nl.float32, got " << describe(*a.v[i]);
      return failure();
    }
    return std::optional<Type>(a.v[i]->type);
  };
  auto bufferOf = [&](size_t i, Space dflt) -> FailureOr<Space> {
    if (!a.has(i))
      return dflt;
    if (a.v[i]->kind != VK::Buffer) {
      error(a.at[i]) << "buffer must be nl.sbuf, nl.psum or nl.hbm, got " << describe(*a.v[i]);
      return failure();
    }
    return a.v[i]->space;
  };

  if (auto func = actFuncOf(name); func && name != "copy") {
    if (failed(bind(args, fname, {"x", "dtype", "mask"}, 1, a)))
      return failure();
    auto dt = dtypeOf(1);
    if (failed(dt))
      return failure();
    return unaryActivation(*func, *a.v[0], 1.0, args.loc, dest, *dt);
  }
  if (name == "negative") {
    if (failed(bind(args, fname, {"x", "dtype", "mask"}, 1, a)))
      return failure();
    auto dt = dtypeOf(1);
    if (failed(dt))
      return failure();
    return unaryActivation(isa::ActFunc::identity, *a.v[0], -1.0, args.loc, dest, *dt);
  }
  if (auto op = aluOpOf(name); op && name != "max" && name != "min" && name != "bypass") {
    if (failed(bind(args, fname, {"x", "y", "dtype", "mask"}, 2, a)))
      return failure();
    auto dt = dtypeOf(2);
    if (failed(dt))
      return failure();
    return binaryAlu(*op, *a.v[0], *a.v[1], *dt, std::nullopt, args.loc, dest);
  }
  if (name == "sum" || name == "max" || name == "min" || name == "mean") {
    if (failed(bind(args, fname, {"x", "axis", "dtype", "keepdims", "mask"}, 2, a)))
      return failure();
    auto dt = dtypeOf(2);
    if (failed(dt))
      return failure();
    isa::AluOp op = name == "max" ? isa::AluOp::max
                    : name == "min" ? isa::AluOp::min
                                    : isa::AluOp::add;
    auto r = reduce(op, *a.v[0], *a.v[1], false, *dt, std::nullopt, args.loc, dest, a.at[1]);
    if (failed(r) || name != "mean")
      return r;
    int64_t n = a.v[0]->t->freeElements() / std::max<int64_t>(1, r->t->freeElements());
    if (failed(emitTensorScalar(*r->t, *r->t, isa::AluOp::mult, 1.0 / double(n),
                                isa::AluOp::bypass, 0, std::nullopt, args.loc)))
      return failure();
    return r;
  }
  if (name == "softmax") {
    // exp(x - max) / sum over the free axes: max on DVE, exp and the row
    // sum in one ACT instruction, reciprocal on ACT, the multiply on DVE.
    if (failed(bind(args, fname, {"x", "axis", "dtype", "mask"}, 2, a)))
      return failure();
    auto dt = dtypeOf(2);
    auto x = toTensor(*a.v[0], a.at[0], "x");
    if (failed(dt) || failed(x) || failed(requireOnChip(**x, a.at[0], "x")))
      return failure();
    SmallVector<int64_t> axes;
    for (int64_t d = 1; d < (*x)->rank(); ++d)
      axes.push_back(d);
    ValList free;
    for (int64_t d : axes)
      free.push_back(Val::integer(d));
    auto given = a.v[1]->isSeq() ? *a.v[1]->items : ValList{*a.v[1]};
    SmallVector<int64_t> g;
    for (const Val &v : given) {
      auto n = toInt(v, a.at[1], "an axis");
      if (failed(n))
        return failure();
      g.push_back(*n < 0 ? *n + (*x)->rank() : *n);
    }
    llvm::sort(g);
    if (g != axes) {
      error(a.at[1]) << "nl.softmax normalises over all free axes (here axis=" << axes.front()
                     << (axes.size() > 1 ? "..." : "") << ")";
      return failure();
    }
    Val axisVal = Val::sequence(VK::Tuple, free);
    auto negMax = reduce(isa::AluOp::max, *a.v[0], axisVal, /*negate=*/true, b.getF32Type(),
                         std::nullopt, args.loc, nullptr, a.at[1]);
    if (failed(negMax))
      return failure();
    int64_t parts = (*x)->partitions();
    auto sum = alloc({parts, 1}, b.getF32Type(), Space::sbuf, args.loc);
    auto e = alloc((*x)->sizes, b.getF32Type(), Space::sbuf, args.loc);
    if (failed(sum) || failed(e) ||
        failed(emitActivation(isa::ActFunc::exp, **e, **x, negMax->t.get(), 1.0, sum->get(),
                              args.loc)))
      return failure();
    auto inv = unaryActivation(isa::ActFunc::reciprocal, Val::tensor(*sum), 1.0, args.loc,
                               nullptr);
    if (failed(inv))
      return failure();
    auto bc = broadcastTo(*inv->t, (*x)->sizes, args.loc);
    if (failed(bc))
      return failure();
    return binaryAlu(isa::AluOp::mult, Val::tensor(*e), *bc, *dt ? **dt : (*x)->elem,
                     std::nullopt, args.loc, dest);
  }
  if (name == "ndarray" || name == "zeros" || name == "ones" || name == "full") {
    bool isFull = name == "full";
    SmallVector<StringRef> params = {"shape"};
    if (isFull)
      params.push_back("fill_value");
    params.append({"dtype", "buffer", "name"});
    if (failed(bind(args, fname, params, isFull ? 3 : 2, a)))
      return failure();
    size_t off = isFull ? 1 : 0;
    auto shape = toShape(*a.v[0], a.at[0], "shape");
    auto dt = dtypeOf(1 + off);
    auto buf = bufferOf(2 + off, Space::sbuf);
    if (failed(shape) || failed(dt) || failed(buf))
      return failure();
    if (!*dt) {
      error(args.loc) << fname << "() needs a dtype";
      return failure();
    }
    auto t = alloc(*shape, **dt, *buf, args.loc);
    if (failed(t))
      return failure();
    if (a.has(3 + off) && a.v[3 + off]->kind == VK::Str)
      (*t)->name = a.v[3 + off]->s;
    if (name == "ndarray")
      return Val::tensor(*t);
    double value = name == "zeros" ? 0.0 : name == "ones" ? 1.0 : 0.0;
    if (isFull) {
      auto v = toFloat(*a.v[1], a.at[1], "fill_value");
      if (failed(v))
        return failure();
      value = *v;
    }
    if (*buf == Space::hbm) {
      error(args.loc) << fname << "() cannot fill an HBM tensor; fill a tile and store it";
      return failure();
    }
    if (failed(emitMemset(**t, value, std::nullopt, args.loc)))
      return failure();
    return Val::tensor(*t);
  }
  if (name == "zeros_like" || name == "ones_like" || name == "empty_like") {
    if (failed(bind(args, fname, {"a", "dtype", "buffer"}, 1, a)))
      return failure();
    auto t = toTensor(*a.v[0], a.at[0], "a");
    auto dt = dtypeOf(1);
    if (failed(t) || failed(dt))
      return failure();
    auto buf = bufferOf(2, (*t)->space);
    if (failed(buf))
      return failure();
    auto out = alloc((*t)->sizes, *dt ? **dt : (*t)->elem, *buf, args.loc);
    if (failed(out))
      return failure();
    if (name != "empty_like" &&
        failed(emitMemset(**out, name == "zeros_like" ? 0.0 : 1.0, std::nullopt, args.loc)))
      return failure();
    return Val::tensor(*out);
  }
  if (name == "load") {
    if (failed(bind(args, fname, {"src", "dtype", "mask"}, 1, a)))
      return failure();
    auto src = toTensor(*a.v[0], a.at[0], "src");
    auto dt = dtypeOf(1);
    if (failed(src) || failed(dt))
      return failure();
    if ((*src)->space != Space::hbm) {
      error(a.at[0]) << "nl.load reads HBM; src is in " << isa::stringifySpace((*src)->space);
      return failure();
    }
    SmallVector<int64_t> shape((*src)->sizes);
    if (shape.empty())
      shape.push_back(1);
    std::shared_ptr<TensorVal> dst;
    if (dest && dest->dst && dest->dst->space == Space::sbuf && !dest->accumulate &&
        dest->dst->partitions() == shape[0]) {
      dst = dest->dst;
      dest->used = true;
    } else {
      auto t = alloc(shape, *dt ? **dt : (*src)->elem, Space::sbuf, args.loc);
      if (failed(t))
        return failure();
      dst = *t;
    }
    if (failed(emitLoad(*dst, **src, args.loc)))
      return failure();
    return Val::tensor(dst);
  }
  if (name == "store") {
    if (failed(bind(args, fname, {"dst", "value", "mask"}, 2, a)))
      return failure();
    auto dst = toTensor(*a.v[0], a.at[0], "dst");
    auto value = toTensor(*a.v[1], a.at[1], "value");
    if (failed(dst) || failed(value))
      return failure();
    if ((*dst)->space != Space::hbm) {
      error(a.at[0]) << "nl.store writes HBM; dst is in " << isa::stringifySpace((*dst)->space);
      return failure();
    }
    if (failed(emitStore(**dst, **value, args.loc)))
      return failure();
    return Val::none();
  }
  if (name == "copy") {
    if (failed(bind(args, fname, {"x", "dtype", "mask"}, 1, a)))
      return failure();
    auto x = toTensor(*a.v[0], a.at[0], "x");
    auto dt = dtypeOf(1);
    if (failed(x) || failed(dt))
      return failure();
    if ((*x)->space == Space::hbm) {
      error(a.at[0]) << "nl.copy copies on-chip tiles; use nl.load for HBM";
      return failure();
    }
    auto out = result((*x)->sizes, *dt ? **dt : (*x)->elem, dest, args.loc);
    if (failed(out) || failed(emitCopy(**out, **x, std::nullopt, args.loc)))
      return failure();
    return Val::tensor(*out);
  }
  if (name == "matmul") {
    if (failed(bind(args, fname, {"x", "y", "transpose_x", "mask"}, 2, a)))
      return failure();
    auto x = toTensor(*a.v[0], a.at[0], "x");
    auto y = toTensor(*a.v[1], a.at[1], "y");
    if (failed(x) || failed(y))
      return failure();
    bool transposeX = false;
    if (a.has(2)) {
      auto t = truthy(*a.v[2], a.at[2]);
      if (failed(t))
        return failure();
      transposeX = *t;
    }
    std::shared_ptr<TensorVal> stationary = *x;
    if (!transposeX) {
      // x is [M, K]: bring K onto the partitions through the PE array.
      auto xt = transposePE(**x, args.loc, nullptr);
      if (failed(xt))
        return failure();
      auto sb = alloc({xt->t->partitions(), xt->t->freeElements()}, (*x)->elem, Space::sbuf,
                      args.loc);
      if (failed(sb) || failed(emitCopy(**sb, *xt->t, std::nullopt, args.loc)))
        return failure();
      stationary = *sb;
    }
    return matmul(*stationary, **y, args.loc, dest, false);
  }
  if (name == "transpose") {
    if (failed(bind(args, fname, {"x", "dtype", "mask"}, 1, a)))
      return failure();
    auto x = toTensor(*a.v[0], a.at[0], "x");
    if (failed(x))
      return failure();
    CallArgs inner = args;
    inner.kw.clear();
    inner.kwLoc.clear();
    inner.kwNameLoc.clear();
    inner.pos = {*a.v[0]};
    inner.posLoc = {a.at[0]};
    return callIsa("nc_transpose", inner, dest);
  }
  if (name == "ds") {
    if (failed(bind(args, fname, {"start", "size"}, 2, a)))
      return failure();
    auto s = toInt(*a.v[0], a.at[0], "start");
    auto n = toInt(*a.v[1], a.at[1], "size");
    if (failed(s) || failed(n))
      return failure();
    if (*n <= 0) {
      error(a.at[1]) << "nl.ds size must be positive";
      return failure();
    }
    Val v;
    v.kind = VK::Slice;
    v.s = "ds";
    v.i = *s;
    v.j = *n;
    return v;
  }
  if (name == "affine_range" || name == "sequential_range" || name == "static_range") {
    CallArgs py = args;
    py.kw.clear();
    py.kwLoc.clear();
    py.kwNameLoc.clear();
    return callPython("range", py);
  }
  if (name == "broadcast_to") {
    if (failed(bind(args, fname, {"src", "shape"}, 2, a)))
      return failure();
    auto t = toTensor(*a.v[0], a.at[0], "src");
    auto s = toShape(*a.v[1], a.at[1], "shape");
    if (failed(t) || failed(s))
      return failure();
    return broadcastTo(**t, *s, args.loc);
  }
  if (name == "arange") {
    if (args.pos.size() != 1 || !args.kw.empty()) {
      error(args.loc) << "nl.arange() takes one argument: the size";
      return failure();
    }
    auto n = toInt(args.pos[0], args.posLoc[0], "the size");
    if (failed(n))
      return failure();
    if (*n <= 0) {
      error(args.posLoc[0]) << "nl.arange size must be positive";
      return failure();
    }
    Val v;
    v.kind = VK::Index;
    v.i = 0;
    v.j = *n;
    v.k = 1;
    return v;
  }
  if (name == "par_dim") {
    if (args.pos.size() != 1) {
      error(args.loc) << "nl.par_dim() takes one argument";
      return failure();
    }
    return args.pos[0];
  }
  error(args.loc) << "nl." << name << " is not supported";
  return failure();
}

FailureOr<Val> Tracer::callIsa(StringRef name, CallArgs &args, Dest *dest) {
  std::string fname = ("nisa." + name).str();
  // dst forms (NKI 0.2+): `dst=` or one more leading tensor than the
  // value-returning form takes.
  int legacyLeading = llvm::StringSwitch<int>(name)
                          .Case("nc_matmul", 2)
                          .Case("tensor_tensor", 2)
                          .Cases({"nc_transpose", "tensor_copy", "tensor_scalar", "reciprocal",
                                  "scalar_tensor_tensor"},
                                 1)
                          .Default(0);
  std::shared_ptr<TensorVal> dst;
  SMLoc dstAt = args.loc;
  for (size_t k = 0; k < args.kw.size(); ++k)
    if (args.kw[k].first == "dst") {
      auto t = toTensor(args.kw[k].second, args.kwLoc[k], "dst");
      if (failed(t))
        return failure();
      dst = *t;
      dstAt = args.kwLoc[k];
      args.kw.erase(args.kw.begin() + k);
      args.kwLoc.erase(args.kwLoc.begin() + k);
      args.kwNameLoc.erase(args.kwNameLoc.begin() + k);
      break;
    }
  if (!dst) {
    int leading = 0;
    while (leading < (int)args.pos.size() && args.pos[leading].kind == VK::Tensor)
      ++leading;
    if (leading > legacyLeading || (name == "iota" || name == "dma_copy") ||
        (name == "memset" && !args.pos.empty() && args.pos[0].kind == VK::Tensor)) {
      if (args.pos.empty() || args.pos[0].kind != VK::Tensor) {
        error(args.loc) << fname << "() needs a dst tensor";
        return failure();
      }
      dst = args.pos[0].t;
      dstAt = args.posLoc[0];
      args.pos.erase(args.pos.begin());
      args.posLoc.erase(args.posLoc.begin());
    }
  }
  Dest own;
  Dest *d = dest;
  if (dst) {
    own.dst = dst;
    d = &own;
  }
  // After a dst-form op, `dst` is the result.
  auto done = [&](FailureOr<Val> r) -> FailureOr<Val> {
    if (failed(r))
      return failure();
    if (dst && !(r->kind == VK::Tensor && r->t.get() == dst.get()) && r->kind == VK::Tensor) {
      if (failed(storeInto(*dst, *r, args.loc)))
        return failure();
      return Val::tensor(dst);
    }
    return r;
  };
  Bound a;
  // engine=: the engine, or nullopt for the default; false on a bad value.
  auto engineOf = [&](size_t i, std::optional<isa::EngineKind> &engine) -> bool {
    engine.reset();
    if (!a.has(i))
      return true;
    if (a.v[i]->kind != VK::Engine) {
      error(a.at[i]) << "engine must be nisa.engine.vector, gpsimd, scalar or tensor";
      return false;
    }
    if (!a.v[i]->engineAuto)
      engine = a.v[i]->engine;
    return true;
  };

  auto aluOf = [&](size_t i) -> FailureOr<isa::AluOp> {
    if (a.has(i) && a.v[i]->kind == VK::Builtin && StringRef(a.v[i]->s).starts_with("nl."))
      if (auto op = aluOpOf(StringRef(a.v[i]->s).drop_front(3)))
        return *op;
    error(a.at[i]) << "op must be an nl arithmetic function such as nl.add or nl.maximum, got "
                   << (a.v[i] ? describe(*a.v[i]) : std::string("nothing"));
    return failure();
  };
  auto checkFalse = [&](size_t i, StringRef what) -> LogicalResult {
    if (!a.has(i))
      return success();
    auto t = truthy(*a.v[i], a.at[i]);
    if (failed(t))
      return failure();
    if (*t) {
      error(a.at[i]) << fname << "(): " << what << " is not supported";
      return failure();
    }
    return success();
  };

  if (name == "nc_matmul") {
    if (failed(bind(args, fname,
                    {"stationary", "moving", "is_stationary_onezero", "is_moving_onezero",
                     "is_transpose", "mask", "tile_position", "tile_size", "perf_mode", "name"},
                    2, a)))
      return failure();
    if (failed(checkFalse(4, "is_transpose (use nisa.nc_transpose)")))
      return failure();
    for (size_t i : {6, 7, 8})
      if (a.has(i) && !(a.v[i]->isSeq() && a.v[i]->items->empty())) {
        error(a.at[i]) << fname << "(): tile_position, tile_size and perf_mode are not supported";
        return failure();
      }
    auto st = toTensor(*a.v[0], a.at[0], "stationary");
    auto mv = toTensor(*a.v[1], a.at[1], "moving");
    if (failed(st) || failed(mv))
      return failure();
    return matmul(**st, **mv, args.loc, d, dst != nullptr);
  }
  if (name == "nc_transpose") {
    if (failed(bind(args, fname, {"data", "engine", "mask", "dtype", "name"}, 1, a)))
      return failure();
    auto x = toTensor(*a.v[0], a.at[0], "data");
    std::optional<isa::EngineKind> eng;
    bool engOk = engineOf(1, eng);
    if (failed(x) || !engOk || failed(requireOnChip(**x, a.at[0], "data")))
      return failure();
    int64_t p = (*x)->partitions(), f = (*x)->freeElements();
    bool vector = eng ? *eng != isa::EngineKind::pe
                       : (dst ? dst->space == Space::sbuf : (p <= 32 && f <= 32));
    if (vector) {
      if (p > 32 || f > 32) {
        error(args.loc) << "a vector-engine transpose takes at most 32x32, got (" << p << ", "
                        << f << "); use engine=nisa.engine.tensor";
        return failure();
      }
      auto out = result({f, p}, (*x)->elem, d, args.loc);
      if (failed(out))
        return failure();
      if ((*out)->partitions() != f || (*out)->freeElements() != p) {
        error(args.loc) << "the transpose of " << shapeString((*x)->sizes) << " is (" << f << ", "
                        << p << ")";
        return failure();
      }
      auto dv = view(**out, args.loc, "the destination");
      auto sv = view(**x, args.loc, "data");
      if (failed(dv) || failed(sv))
        return failure();
      auto op = tile::TransposeOp::create(b, loc(args.loc), (*out)->buffer, *dv, (*x)->buffer, *sv);
      if (failed(finish(op, {(*x)->buffer}, {(*out)->buffer})))
        return failure();
      return done(Val::tensor(*out));
    }
    Dest pd;
    if (dst && dst->space == Space::psum)
      pd.dst = dst;
    auto r = transposePE(**x, args.loc, pd.dst ? &pd : nullptr);
    return done(r);
  }
  if (name == "activation" || name == "activation_reduce") {
    bool isReduce = name == "activation_reduce";
    SmallVector<StringRef> params = {"op", "data"};
    if (isReduce)
      params.append({"reduce_op", "reduce_res"});
    params.append({"bias", "scale"});
    if (!isReduce)
      params.append({"reduce_op", "reduce_res", "reduce_cmd"});
    params.append({"mask", "dtype", "name"});
    if (failed(bind(args, fname, params, isReduce ? 4 : 2, a)))
      return failure();
    auto idx = [&](StringRef p) { return size_t(llvm::find(params, p) - params.begin()); };
    const Val &opv = *a.v[0];
    std::optional<isa::ActFunc> func;
    if (opv.kind == VK::Builtin && StringRef(opv.s).starts_with("nl."))
      func = actFuncOf(StringRef(opv.s).drop_front(3));
    if (!func) {
      error(a.at[0]) << "op must be an activation function such as nl.exp or nl.relu, got "
                     << describe(opv);
      return failure();
    }
    auto x = toTensor(*a.v[1], a.at[1], "data");
    if (failed(x) || failed(requireOnChip(**x, a.at[1], "data")))
      return failure();
    double scale = 1.0;
    if (a.has(idx("scale"))) {
      if (a.v[idx("scale")]->kind == VK::Tensor) {
        error(a.at[idx("scale")]) << "a per-partition scale tile is not supported; scale must "
                                     "be a number";
        return failure();
      }
      auto s = toFloat(*a.v[idx("scale")], a.at[idx("scale")], "scale");
      if (failed(s))
        return failure();
      scale = *s;
    }
    std::shared_ptr<TensorVal> bias, accum;
    if (a.has(idx("bias"))) {
      auto t = toTensor(*a.v[idx("bias")], a.at[idx("bias")], "bias");
      if (failed(t))
        return failure();
      bias = *t;
    }
    if (a.has(idx("reduce_res"))) {
      auto t = toTensor(*a.v[idx("reduce_res")], a.at[idx("reduce_res")], "reduce_res");
      if (failed(t))
        return failure();
      accum = *t;
      if (!a.has(idx("reduce_op")) || a.v[idx("reduce_op")]->kind != VK::Builtin ||
          a.v[idx("reduce_op")]->s != "nl.add") {
        error(a.at[idx("reduce_res")])
            << "the activation engine reduces with reduce_op=nl.add only";
        return failure();
      }
    }
    if (!isReduce && a.has(idx("reduce_cmd"))) {
      const Val &cmd = *a.v[idx("reduce_cmd")];
      if (cmd.kind != VK::Str || (cmd.s != "reset_reduce" && cmd.s != "idle")) {
        error(a.at[idx("reduce_cmd")])
            << "reduce_cmd: only nisa.reduce_cmd.reset_reduce (reduce_res receives this "
               "instruction's row sums) is supported";
        return failure();
      }
    }
    auto dt = dtypeArg(a, idx("dtype"));
    auto out = result((*x)->sizes, dt ? *dt : (*x)->elem, d, args.loc);
    if (failed(out) || failed(emitActivation(*func, **out, **x, bias.get(), scale, accum.get(),
                                             args.loc)))
      return failure();
    return done(Val::tensor(*out));
  }
  if (name == "tensor_tensor") {
    if (failed(bind(args, fname, {"data1", "data2", "op", "dtype", "mask", "engine", "name"}, 3,
                    a)))
      return failure();
    auto op = aluOf(2);
    std::optional<isa::EngineKind> eng;
    bool engOk = engineOf(5, eng);
    if (failed(op) || !engOk)
      return failure();
    if (a.v[0]->kind != VK::Tensor || a.v[1]->kind != VK::Tensor) {
      error(args.loc) << fname << "() takes two tensors; use nisa.tensor_scalar with a number";
      return failure();
    }
    return done(binaryAlu(*op, *a.v[0], *a.v[1], dtypeArg(a, 3), eng, args.loc, d));
  }
  if (name == "tensor_scalar") {
    if (failed(bind(args, fname,
                    {"data", "op0", "operand0", "reverse0", "op1", "operand1", "reverse1", "dtype",
                     "mask", "engine", "name"},
                    3, a)))
      return failure();
    auto x = toTensor(*a.v[0], a.at[0], "data");
    auto op0 = aluOf(1);
    std::optional<isa::EngineKind> eng;
    bool engOk = engineOf(9, eng);
    if (failed(x) || failed(op0) || !engOk)
      return failure();
    bool rev0 = false, rev1 = false;
    if (a.has(3)) {
      auto t = truthy(*a.v[3], a.at[3]);
      if (failed(t))
        return failure();
      rev0 = *t;
    }
    if (a.has(6)) {
      auto t = truthy(*a.v[6], a.at[6]);
      if (failed(t))
        return failure();
      rev1 = *t;
    }
    bool two = a.has(4);
    isa::AluOp op1 = isa::AluOp::bypass;
    if (two) {
      auto o = aluOf(4);
      if (failed(o))
        return failure();
      op1 = *o;
      if (!a.has(5)) {
        error(args.loc) << fname << "(): op1 needs operand1";
        return failure();
      }
    }
    auto dt = dtypeArg(a, 7);
    const Val &s0 = *a.v[2];
    bool scalars = s0.isNumber() && (!two || a.v[5]->isNumber());
    bool simpleRev0 = !rev0 || commutative(*op0), simpleRev1 = !rev1 || (two && commutative(op1));
    if (scalars && simpleRev0 && simpleRev1) {
      // One vector-engine instruction with two immediates.
      auto out = result((*x)->sizes, dt ? *dt : (*x)->elem, d, args.loc);
      if (failed(out) ||
          failed(emitTensorScalar(**out, **x, *op0, s0.number(), op1,
                                  two ? a.v[5]->number() : 0.0, eng, args.loc)))
        return failure();
      return done(Val::tensor(*out));
    }
    // A per-partition column operand (or a reversed operand): one
    // tensor_tensor per step, the column broadcast along the free axes.
    auto step = [&](const Val &cur, isa::AluOp op, const Val &operand, bool rev,
                    Dest *sd) -> FailureOr<Val> {
      if (operand.kind == VK::Tensor) {
        auto bc = broadcastTo(*operand.t, cur.t->sizes, args.loc);
        if (failed(bc))
          return failure();
        return rev ? binaryAlu(op, *bc, cur, dt, eng, args.loc, sd)
                   : binaryAlu(op, cur, *bc, dt, eng, args.loc, sd);
      }
      return rev ? binaryAlu(op, operand, cur, dt, eng, args.loc, sd)
                 : binaryAlu(op, cur, operand, dt, eng, args.loc, sd);
    };
    auto r = step(*a.v[0], *op0, s0, rev0, two ? nullptr : d);
    if (failed(r))
      return failure();
    if (two) {
      Dest inPlace;
      inPlace.dst = r->t;
      r = step(*r, op1, *a.v[5], rev1, d ? d : &inPlace);
      if (failed(r))
        return failure();
    }
    return done(*r);
  }
  if (name == "scalar_tensor_tensor") {
    // (data op0 operand0) op1 operand1: operand0 a number or a [P, 1]
    // column, operand1 a tile. Two vector-engine instructions here.
    if (failed(bind(args, fname,
                    {"data", "op0", "operand0", "op1", "operand1", "reverse0", "reverse1",
                     "dtype", "mask", "engine", "name"},
                    5, a)))
      return failure();
    auto x = toTensor(*a.v[0], a.at[0], "data");
    auto op0 = aluOf(1);
    auto op1 = aluOf(3);
    auto other = toTensor(*a.v[4], a.at[4], "operand1");
    std::optional<isa::EngineKind> eng;
    bool engOk = engineOf(9, eng);
    if (failed(x) || failed(op0) || failed(op1) || failed(other) || !engOk)
      return failure();
    bool rev[2] = {false, false};
    for (int r = 0; r < 2; ++r)
      if (a.has(5 + r)) {
        auto t = truthy(*a.v[5 + r], a.at[5 + r]);
        if (failed(t))
          return failure();
        rev[r] = *t;
      }
    auto dt = dtypeArg(a, 7);
    Val s0 = *a.v[2];
    if (s0.kind == VK::Tensor) {
      auto bc = broadcastTo(*s0.t, (*x)->sizes, args.loc);
      if (failed(bc))
        return failure();
      s0 = *bc;
    }
    auto r0 = rev[0] ? binaryAlu(*op0, s0, *a.v[0], std::nullopt, eng, args.loc, nullptr)
                     : binaryAlu(*op0, *a.v[0], s0, std::nullopt, eng, args.loc, nullptr);
    if (failed(r0))
      return failure();
    return done(rev[1] ? binaryAlu(*op1, *a.v[4], *r0, dt, eng, args.loc, d)
                       : binaryAlu(*op1, *r0, *a.v[4], dt, eng, args.loc, d));
  }
  if (name == "tensor_reduce") {
    if (failed(bind(args, fname,
                    {"op", "data", "axis", "mask", "dtype", "negate", "keepdims", "engine",
                     "name"},
                    3, a)))
      return failure();
    auto op = aluOf(0);
    std::optional<isa::EngineKind> eng;
    bool engOk = engineOf(7, eng);
    if (failed(op) || !engOk)
      return failure();
    bool negate = false;
    if (a.has(5)) {
      auto t = truthy(*a.v[5], a.at[5]);
      if (failed(t))
        return failure();
      negate = *t;
    }
    return done(reduce(*op, *a.v[1], *a.v[2], negate, dtypeArg(a, 4), eng, args.loc, d, a.at[2]));
  }
  if (name == "tensor_copy" || name == "reciprocal") {
    if (failed(bind(args, fname, {"src", "dtype", "mask", "engine", "name"}, 1, a)))
      return failure();
    auto x = toTensor(*a.v[0], a.at[0], "src");
    std::optional<isa::EngineKind> eng;
    bool engOk = engineOf(3, eng);
    if (failed(x) || !engOk || failed(requireOnChip(**x, a.at[0], "src")))
      return failure();
    auto dt = dtypeArg(a, 1);
    if (name == "reciprocal")
      return done(unaryActivation(isa::ActFunc::reciprocal, *a.v[0], 1.0, args.loc, d, dt));
    auto out = result((*x)->sizes, dt ? *dt : (*x)->elem, d, args.loc);
    if (failed(out) || failed(emitCopy(**out, **x, eng, args.loc)))
      return failure();
    return done(Val::tensor(*out));
  }
  if (name == "memset") {
    if (dst) {
      if (failed(bind(args, fname, {"value", "engine", "mask", "name"}, 1, a)))
        return failure();
      auto v = toFloat(*a.v[0], a.at[0], "value");
      std::optional<isa::EngineKind> eng;
      bool engOk = engineOf(1, eng);
      if (failed(v) || !engOk || failed(emitMemset(*dst, *v, eng, args.loc)))
        return failure();
      return Val::tensor(dst);
    }
    if (failed(bind(args, fname, {"shape", "value", "dtype", "engine", "mask", "name"}, 3, a)))
      return failure();
    auto shape = toShape(*a.v[0], a.at[0], "shape");
    auto v = toFloat(*a.v[1], a.at[1], "value");
    std::optional<isa::EngineKind> eng;
    bool engOk = engineOf(3, eng);
    if (failed(shape) || failed(v) || !engOk)
      return failure();
    if (a.v[2]->kind != VK::DType) {
      error(a.at[2]) << "dtype must be a dtype such as nl.float32";
      return failure();
    }
    auto out = result(*shape, a.v[2]->type, d, args.loc);
    if (failed(out) || failed(emitMemset(**out, *v, eng, args.loc)))
      return failure();
    return Val::tensor(*out);
  }
  if (name == "iota") {
    if (failed(bind(args, fname, {"pattern", "offset", "channel_multiplier", "mask", "name"}, 0,
                    a)))
      return failure();
    if (failed(requireOnChip(*dst, dstAt, "dst")))
      return failure();
    if (dst->space == Space::psum) {
      error(dstAt) << "iota runs on the GpSimd engine, which cannot write PSUM";
      return failure();
    }
    int64_t fstep = 1, base = 0, pstep = 0;
    if (a.has(0)) {
      // [[step, count]]: one free-axis step, over the whole free extent.
      const Val &p = *a.v[0];
      bool ok = p.isSeq() && p.items->size() == 1 && (*p.items)[0].isSeq() &&
                (*p.items)[0].items->size() == 2;
      if (!ok) {
        error(a.at[0]) << "pattern must be [[step, count]] (one free-axis step)";
        return failure();
      }
      auto st = toInt((*(*p.items)[0].items)[0], a.at[0], "the pattern step");
      auto n = toInt((*(*p.items)[0].items)[1], a.at[0], "the pattern count");
      if (failed(st) || failed(n))
        return failure();
      if (*n != dst->freeElements()) {
        error(a.at[0]) << "pattern count " << *n << " differs from dst's " << dst->freeElements()
                       << " free elements";
        return failure();
      }
      fstep = *st;
    }
    if (a.has(1)) {
      auto v = toInt(*a.v[1], a.at[1], "offset");
      if (failed(v))
        return failure();
      base = *v;
    }
    if (a.has(2)) {
      auto v = toInt(*a.v[2], a.at[2], "channel_multiplier");
      if (failed(v))
        return failure();
      pstep = *v;
    }
    auto dv = view(*dst, dstAt, "dst");
    if (failed(dv))
      return failure();
    auto op = tile::IotaOp::create(b, loc(args.loc), dst->buffer, *dv, b.getI64IntegerAttr(base),
                                   b.getI64IntegerAttr(pstep), b.getI64IntegerAttr(fstep));
    if (failed(finish(op, {}, {dst->buffer})))
      return failure();
    return Val::tensor(dst);
  }
  if (name == "dma_copy") {
    if (failed(bind(args, fname, {"src", "mask", "dge_mode", "engine", "name"}, 1, a)))
      return failure();
    auto src = toTensor(*a.v[0], a.at[0], "src");
    if (failed(src))
      return failure();
    if (dst->space == Space::hbm) {
      if (failed(emitStore(*dst, **src, args.loc)))
        return failure();
    } else if ((*src)->space == Space::hbm) {
      if (failed(emitLoad(*dst, **src, args.loc)))
        return failure();
    } else {
      error(args.loc) << "nisa.dma_copy moves data between HBM and SBUF; use nisa.tensor_copy "
                         "on chip";
      return failure();
    }
    return Val::tensor(dst);
  }
  error(args.loc) << fname << " is not supported";
  return failure();
}
