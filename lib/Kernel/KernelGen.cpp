//===- KernelGen.cpp - Trace an NKI-style kernel into the tile dialect ----===//
//
// The tracer walks the syntax tree of the chosen kernel with compile-time
// values (Values.h), unrolling every loop, and emits one `tile` op per
// engine operation, each at the FileLineColLoc of the expression it came
// from. The statements and expressions live here; the nl / nisa builtins
// live in Builtins.cpp.
//
//===----------------------------------------------------------------------===//

#include "Tracer.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringExtras.h"
#include <cmath>
#include <cstdio>
#include <cstdlib>

using namespace mlir;
using namespace trellis;
using namespace trellis::kernel;
using llvm::SMLoc;
using llvm::StringRef;

const char *trellis::kernel::kindName(VK kind) {
  switch (kind) {
  case VK::None: return "None";
  case VK::Bool: return "bool";
  case VK::Int: return "int";
  case VK::Float: return "float";
  case VK::Str: return "str";
  case VK::Tuple: return "tuple";
  case VK::List: return "list";
  case VK::DType: return "dtype";
  case VK::Buffer: return "buffer";
  case VK::Module: return "module";
  case VK::Builtin: return "builtin function";
  case VK::Function: return "function";
  case VK::Tensor: return "tensor";
  case VK::Slice: return "slice";
  case VK::Range: return "range";
  case VK::Engine: return "engine";
  case VK::Index: return "index range (nl.arange)";
  }
  return "value";
}

//===----------------------------------------------------------------------===//
// Diagnostics and locations
//===----------------------------------------------------------------------===//

Location Tracer::loc(SMLoc at) {
  auto [line, col] = sourceMgr.getLineAndColumn(at, bufferId);
  return FileLineColLoc::get(ctx, filename, line, col);
}

InFlightDiagnostic Tracer::error(SMLoc at) {
  hadError = true;
  return mlir::emitError(loc(at));
}

//===----------------------------------------------------------------------===//
// Types and names
//===----------------------------------------------------------------------===//

Type Tracer::dtypeNamed(StringRef name) {
  Builder b(ctx);
  if (name == "float32" || name == "f32" || name == "fp32" || name == "tfloat32")
    return b.getF32Type();
  if (name == "bfloat16" || name == "bf16")
    return b.getBF16Type();
  if (name == "float16" || name == "f16" || name == "fp16" || name == "half")
    return b.getF16Type();
  if (name == "float8_e4m3" || name == "float8_e4m3fn" || name == "f8e4m3" || name == "fp8_e4m3")
    return Float8E4M3FNType::get(ctx);
  if (name == "float8_e5m2" || name == "f8e5m2" || name == "fp8_e5m2")
    return Float8E5M2Type::get(ctx);
  if (name == "int32" || name == "i32")
    return b.getI32Type();
  if (name == "int16" || name == "i16")
    return b.getI16Type();
  if (name == "int8" || name == "i8")
    return b.getI8Type();
  return {};
}

std::string Tracer::dtypeName(Type t) {
  if (!t)
    return "?";
  if (t.isF32()) return "float32";
  if (t.isBF16()) return "bfloat16";
  if (t.isF16()) return "float16";
  if (llvm::isa<Float8E4M3FNType>(t)) return "float8_e4m3";
  if (llvm::isa<Float8E5M2Type>(t)) return "float8_e5m2";
  if (t.isInteger(32)) return "int32";
  if (t.isInteger(16)) return "int16";
  if (t.isInteger(8)) return "int8";
  std::string s;
  llvm::raw_string_ostream os(s);
  t.print(os);
  return s;
}

std::string Tracer::shapeString(ArrayRef<int64_t> shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

std::string Tracer::describe(const Val &v) {
  switch (v.kind) {
  case VK::Int: return std::to_string(v.i);
  case VK::Bool: return v.i ? "True" : "False";
  case VK::Float: {
    // Python's repr: the shortest form that reads back as the same double.
    char buf[32];
    for (int prec = 1; prec <= 17; ++prec) {
      std::snprintf(buf, sizeof buf, "%.*g", prec, v.f);
      if (std::strtod(buf, nullptr) == v.f)
        break;
    }
    std::string text = buf;
    if (text.find_first_of(".einn") == std::string::npos)
      text += ".0";
    return text;
  }
  case VK::Str: return "'" + v.s + "'";
  case VK::Tensor:
    return std::string(isa::stringifySpace(v.t->space)) + " tensor " + shapeString(v.t->sizes) +
           " " + dtypeName(v.t->elem);
  case VK::Builtin: return v.s;
  case VK::Module: return "module " + v.s;
  case VK::DType: return dtypeName(v.type);
  case VK::None: return "None";
  case VK::Tuple:
  case VK::List: {
    std::string text = v.kind == VK::Tuple ? "(" : "[";
    for (size_t k = 0; k < v.items->size(); ++k)
      text += (k ? ", " : "") + describe((*v.items)[k]);
    if (v.kind == VK::Tuple && v.items->size() == 1)
      text += ",";
    return text + (v.kind == VK::Tuple ? ")" : "]");
  }
  default: return kindName(v.kind);
  }
}

//===----------------------------------------------------------------------===//
// Environment
//===----------------------------------------------------------------------===//

Val *Tracer::lookup(StringRef name) {
  if (!frames.empty()) {
    auto it = frames.back().find(name.str());
    if (it != frames.back().end())
      return &it->second;
  }
  auto it = globals.find(name.str());
  return it == globals.end() ? nullptr : &it->second;
}

void Tracer::bindName(StringRef name, Val v) {
  if (v.kind == VK::Tensor && v.t->name.empty())
    v.t->name = name.str();
  (frames.empty() ? globals : frames.back())[name.str()] = std::move(v);
}

//===----------------------------------------------------------------------===//
// Python-level helpers
//===----------------------------------------------------------------------===//

FailureOr<bool> Tracer::truthy(const Val &v, SMLoc at) {
  switch (v.kind) {
  case VK::None: return false;
  case VK::Bool:
  case VK::Int: return v.i != 0;
  case VK::Float: return v.f != 0;
  case VK::Str: return !v.s.empty();
  case VK::Tuple:
  case VK::List: return !v.items->empty();
  case VK::Tensor:
    error(at) << "the truth value of a tensor is not known at compile time; `if` needs a "
                 "compile-time value";
    return failure();
  default: return true;
  }
}

FailureOr<int64_t> Tracer::toInt(const Val &v, SMLoc at, StringRef what) {
  if (v.kind == VK::Int || v.kind == VK::Bool)
    return v.i;
  if (v.kind == VK::Float && v.f == std::floor(v.f) && std::fabs(v.f) < 9e15)
    return int64_t(v.f);
  error(at) << what << " must be an integer, got " << describe(v);
  return failure();
}

FailureOr<double> Tracer::toFloat(const Val &v, SMLoc at, StringRef what) {
  if (v.isNumber())
    return v.number();
  error(at) << what << " must be a number, got " << describe(v);
  return failure();
}

FailureOr<SmallVector<int64_t>> Tracer::toShape(const Val &v, SMLoc at, StringRef what) {
  SmallVector<int64_t> shape;
  if (v.kind == VK::Int) {
    shape.push_back(v.i);
  } else if (v.isSeq()) {
    for (const Val &x : *v.items) {
      auto d = toInt(x, at, what);
      if (failed(d))
        return failure();
      shape.push_back(*d);
    }
  } else {
    error(at) << what << " must be a tuple of integers, got " << describe(v);
    return failure();
  }
  for (int64_t d : shape)
    if (d <= 0) {
      error(at) << what << " " << shapeString(shape) << " has a non-positive dimension";
      return failure();
    }
  return shape;
}

FailureOr<std::shared_ptr<TensorVal>> Tracer::toTensor(const Val &v, SMLoc at, StringRef what) {
  if (v.kind == VK::Tensor)
    return v.t;
  error(at) << what << " must be a tensor, got " << describe(v);
  return failure();
}

//===----------------------------------------------------------------------===//
// Statements
//===----------------------------------------------------------------------===//

Tracer::Flow Tracer::execBlock(const ast::Block &block) {
  for (const ast::StmtPtr &s : block) {
    Flow f = exec(*s);
    if (f != Flow::Normal)
      return f;
  }
  return Flow::Normal;
}

Tracer::Flow Tracer::exec(const ast::Stmt &s) {
  using ast::StmtKind;
  switch (s.kind) {
  case StmtKind::Pass:
    return Flow::Normal;
  case StmtKind::Break:
    if (loopDepth == 0) {
      error(s.loc) << "'break' outside a loop";
      return Flow::Error;
    }
    return Flow::Break;
  case StmtKind::Continue:
    if (loopDepth == 0) {
      error(s.loc) << "'continue' outside a loop";
      return Flow::Error;
    }
    return Flow::Continue;
  case StmtKind::Expr: {
    if (s.a->kind == ast::ExprKind::Str) // docstring
      return Flow::Normal;
    return succeeded(eval(*s.a)) ? Flow::Normal : Flow::Error;
  }
  case StmtKind::Import:
    return execImport(s) ? Flow::Normal : Flow::Error;
  case StmtKind::FunctionDef: {
    Val f;
    f.kind = VK::Function;
    f.func = &s;
    f.s = s.name;
    bindName(s.name, f);
    return Flow::Normal;
  }
  case StmtKind::Assert: {
    auto v = eval(*s.a);
    if (failed(v))
      return Flow::Error;
    auto t = truthy(*v, s.a->loc);
    if (failed(t))
      return Flow::Error;
    if (*t)
      return Flow::Normal;
    std::string msg = "assertion failed";
    if (s.b) {
      auto m = eval(*s.b);
      if (failed(m))
        return Flow::Error;
      msg += ": " + (m->kind == VK::Str ? m->s : describe(*m));
    }
    error(s.loc) << msg;
    return Flow::Error;
  }
  case StmtKind::Return: {
    if (frames.empty()) {
      error(s.loc) << "'return' outside a function";
      return Flow::Error;
    }
    if (s.a) {
      auto v = eval(*s.a);
      if (failed(v))
        return Flow::Error;
      returnValue = *v;
    } else {
      returnValue = Val::none();
    }
    returnLoc = s.loc;
    return Flow::Return;
  }
  case StmtKind::If: {
    auto c = eval(*s.a);
    if (failed(c))
      return Flow::Error;
    auto t = truthy(*c, s.a->loc);
    if (failed(t))
      return Flow::Error;
    return execBlock(*t ? s.body : s.orelse);
  }
  case StmtKind::For:
    return execFor(s);
  case StmtKind::Assign: {
    // `t[...] = op(...)` writes the op's result straight into the view.
    Dest dest;
    if (s.targets.size() == 1 && s.targets[0]->kind == ast::ExprKind::Subscript) {
      auto target = evalSubscriptTarget(*s.targets[0]);
      if (failed(target))
        return Flow::Error;
      if (target->kind == VK::Tensor) {
        dest.dst = target->t;
        auto v = eval(*s.a, &dest);
        if (failed(v))
          return Flow::Error;
        return succeeded(storeInto(*target->t, *v, s.targets[0]->loc)) ? Flow::Normal
                                                                          : Flow::Error;
      }
    }
    auto v = eval(*s.a);
    if (failed(v))
      return Flow::Error;
    for (const ast::ExprPtr &t : s.targets)
      if (failed(assign(*t, *v)))
        return Flow::Error;
    return Flow::Normal;
  }
  case StmtKind::AugAssign:
    return execAugAssign(s);
  }
  return Flow::Normal;
}

bool Tracer::execImport(const ast::Stmt &s) {
  auto canonical = [](StringRef path) -> std::string {
    (void)path.consume_front("neuronxcc."); // the legacy package path
    if (path == "nki.language")
      return "nl";
    if (path == "nki.isa")
      return "nisa";
    if (path == "nki")
      return "nki";
    if (path == "numpy")
      return "np";
    if (path == "math")
      return "math";
    if (path == "neuronxcc")
      return "neuronxcc";
    return "";
  };
  if (s.imported.empty()) {
    std::string c = canonical(s.name);
    if (c.empty()) {
      error(s.loc) << "cannot import '" << s.name
                   << "': kernels may import nki, nki.language, nki.isa, numpy and math";
      return false;
    }
    if (!s.alias.empty()) {
      bindName(s.alias, Val::module(c));
    } else {
      // `import nki.language` binds `nki`.
      StringRef head = StringRef(s.name).split('.').first;
      std::string hc = canonical(head);
      bindName(head, Val::module(hc.empty() ? c : hc));
    }
    return true;
  }
  std::string base = canonical(s.name);
  for (auto &[name, alias] : s.imported) {
    std::string sub = canonical(s.name + "." + name);
    if (!sub.empty()) {
      bindName(alias, Val::module(sub));
      continue;
    }
    if (base.empty()) {
      error(s.loc) << "cannot import from '" << s.name << "'";
      return false;
    }
    auto v = moduleAttr(base, name, s.loc);
    if (failed(v))
      return false;
    bindName(alias, *v);
  }
  return true;
}

Tracer::Flow Tracer::execFor(const ast::Stmt &s) {
  auto it = eval(*s.b);
  if (failed(it))
    return Flow::Error;
  ValList items;
  if (it->kind == VK::Range) {
    int64_t count = it->k > 0 ? (it->j - it->i + it->k - 1) / it->k
                              : (it->i - it->j - it->k - 1) / -it->k;
    if (count > kMaxIterations) {
      error(s.b->loc) << "loop of " << count << " iterations; loops are unrolled at compile time "
                      << "and at most " << kMaxIterations << " are allowed";
      return Flow::Error;
    }
    for (int64_t n = 0; n < count; ++n)
      items.push_back(Val::integer(it->i + n * it->k));
  } else if (it->isSeq()) {
    items = *it->items;
  } else {
    error(s.b->loc) << "cannot iterate over " << describe(*it)
                    << "; use nl.affine_range, nl.sequential_range, range or a list";
    return Flow::Error;
  }
  ++loopDepth;
  for (Val &v : items) {
    if (failed(assign(*s.a, v))) {
      --loopDepth;
      return Flow::Error;
    }
    Flow f = execBlock(s.body);
    if (f == Flow::Break)
      break;
    if (f == Flow::Continue)
      continue;
    if (f != Flow::Normal) {
      --loopDepth;
      return f;
    }
  }
  --loopDepth;
  return Flow::Normal;
}

Tracer::Flow Tracer::execAugAssign(const ast::Stmt &s) {
  static const std::map<std::string, std::string> pyOp = {
      {"+", "+"}, {"-", "-"}, {"*", "*"}, {"/", "/"}, {"//", "//"}, {"%", "%"}, {"**", "**"}};
  // The current value of the target.
  FailureOr<Val> cur = s.a->kind == ast::ExprKind::Subscript ? evalSubscriptTarget(*s.a)
                                                              : eval(*s.a);
  if (failed(cur))
    return Flow::Error;
  if (cur->kind == VK::Tensor) {
    if (s.op != "+" && s.op != "-" && s.op != "*" && s.op != "/") {
      error(s.loc) << "'" << s.op << "=' is not defined for tensors";
      return Flow::Error;
    }
    // `psum += nisa.nc_matmul(...)` accumulates in PSUM.
    Dest dest;
    dest.dst = cur->t;
    dest.accumulate = s.op == "+";
    auto rhs = eval(*s.b, &dest);
    if (failed(rhs))
      return Flow::Error;
    if (dest.used)
      return Flow::Normal;
    // Otherwise an element-wise op in place: cur = cur op rhs.
    Dest inPlace;
    inPlace.dst = cur->t;
    auto r = binaryOperator(s.op, *cur, *rhs, s.loc, &inPlace);
    if (failed(r))
      return Flow::Error;
    if (r->kind == VK::Tensor && r->t.get() == cur->t.get())
      return Flow::Normal;
    return succeeded(storeInto(*cur->t, *r, s.loc)) ? Flow::Normal : Flow::Error;
  }
  auto rhs = eval(*s.b);
  if (failed(rhs))
    return Flow::Error;
  auto r = binaryOperator(s.op, *cur, *rhs, s.loc, nullptr);
  if (failed(r))
    return Flow::Error;
  if (s.a->kind == ast::ExprKind::Subscript) {
    error(s.loc) << "cannot assign into a " << kindName(cur->kind) << " element";
    return Flow::Error;
  }
  return succeeded(assign(*s.a, *r)) ? Flow::Normal : Flow::Error;
}

LogicalResult Tracer::assign(const ast::Expr &target, const Val &v) {
  switch (target.kind) {
  case ast::ExprKind::Name:
    bindName(target.name, v);
    return success();
  case ast::ExprKind::Tuple:
  case ast::ExprKind::List: {
    if (!v.isSeq()) {
      error(target.loc) << "cannot unpack " << describe(v);
      return failure();
    }
    if (v.items->size() != target.elts.size()) {
      error(target.loc) << "cannot unpack " << v.items->size() << " values into "
                        << target.elts.size();
      return failure();
    }
    for (size_t i = 0; i < target.elts.size(); ++i)
      if (failed(assign(*target.elts[i], (*v.items)[i])))
        return failure();
    return success();
  }
  case ast::ExprKind::Subscript: {
    auto base = eval(*target.a);
    if (failed(base))
      return failure();
    if (base->kind == VK::List) {
      auto idx = eval(*target.b);
      if (failed(idx))
        return failure();
      auto n = toInt(*idx, target.b->loc, "a list index");
      if (failed(n))
        return failure();
      int64_t k = *n < 0 ? *n + base->items->size() : *n;
      if (k < 0 || k >= (int64_t)base->items->size()) {
        error(target.loc) << "list index " << *n << " out of range";
        return failure();
      }
      (*base->items)[k] = v;
      return success();
    }
    auto view = evalSubscriptTarget(target);
    if (failed(view))
      return failure();
    return storeInto(*view->t, v, target.loc);
  }
  default:
    error(target.loc) << "cannot assign to this expression";
    return failure();
  }
}

FailureOr<Val> Tracer::evalSubscriptTarget(const ast::Expr &target) {
  auto base = eval(*target.a);
  if (failed(base))
    return failure();
  if (base->kind != VK::Tensor) {
    if (base->kind == VK::List)
      return eval(target);
    error(target.loc) << "cannot assign into " << describe(*base);
    return failure();
  }
  auto idx = eval(*target.b);
  if (failed(idx))
    return failure();
  return indexTensor(*base->t, *idx, target.b->loc);
}

LogicalResult Tracer::storeInto(TensorVal &dst, const Val &v, SMLoc at) {
  if (v.kind == VK::Tensor) {
    if (v.t.get() == &dst)
      return success();
    const TensorVal &src = *v.t;
    if (src.buffer == dst.buffer && src.offset == dst.offset && src.partStart == dst.partStart &&
        src.sizes == dst.sizes && src.strides == dst.strides)
      return success();
    if (!dst.onChip())
      return emitStore(dst, src, at);
    if (!src.onChip())
      return emitLoad(dst, src, at);
    return emitCopy(dst, src, std::nullopt, at);
  }
  if (v.isNumber()) {
    if (!dst.onChip()) {
      error(at) << "cannot fill an HBM tensor with a constant; memset a tile and store it";
      return failure();
    }
    return emitMemset(dst, v.number(), std::nullopt, at);
  }
  error(at) << "cannot assign " << describe(v) << " into a tensor";
  return failure();
}

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

FailureOr<Val> Tracer::eval(const ast::Expr &e, Dest *dest) {
  using ast::ExprKind;
  switch (e.kind) {
  case ExprKind::Int:
    return Val::integer(e.intValue);
  case ExprKind::Float:
    return Val::real(e.floatValue);
  case ExprKind::Str:
    return Val::str(e.name);
  case ExprKind::Bool:
    return Val::boolean(e.intValue);
  case ExprKind::None:
    return Val::none();
  case ExprKind::FString: {
    std::string text;
    for (const ast::ExprPtr &piece : e.elts) {
      auto v = eval(*piece);
      if (failed(v))
        return failure();
      text += v->kind == VK::Str ? v->s : describe(*v);
    }
    return Val::str(text);
  }
  case ExprKind::Ellipsis: {
    Val v;
    v.kind = VK::Slice;
    v.s = "...";
    return v;
  }
  case ExprKind::Name: {
    if (Val *v = lookup(e.name))
      return *v;
    error(e.loc) << "name '" << e.name << "' is not defined";
    return failure();
  }
  case ExprKind::Tuple:
  case ExprKind::List: {
    ValList items;
    for (const ast::ExprPtr &x : e.elts) {
      auto v = eval(*x);
      if (failed(v))
        return failure();
      items.push_back(*v);
    }
    return Val::sequence(e.kind == ExprKind::Tuple ? VK::Tuple : VK::List, std::move(items));
  }
  case ExprKind::Attribute: {
    auto base = eval(*e.a);
    if (failed(base))
      return failure();
    return attribute(*base, e.name, e.loc);
  }
  case ExprKind::Subscript: {
    auto base = eval(*e.a);
    if (failed(base))
      return failure();
    auto idx = eval(*e.b);
    if (failed(idx))
      return failure();
    return subscript(*base, *idx, e.b->loc);
  }
  case ExprKind::Slice: {
    // Only inside subscripts: python slice start:stop:step (None = open).
    Val v;
    v.kind = VK::Slice;
    v.s = "slice";
    auto part = [&](const ast::ExprPtr &p, int64_t &out, bool &given) -> LogicalResult {
      given = false;
      if (!p)
        return success();
      auto x = eval(*p);
      if (failed(x))
        return failure();
      if (x->kind == VK::None)
        return success();
      auto n = toInt(*x, p->loc, "a slice bound");
      if (failed(n))
        return failure();
      out = *n;
      given = true;
      return success();
    };
    bool g0, g1, g2;
    int64_t lo = 0, hi = 0, step = 1;
    if (failed(part(e.a, lo, g0)) || failed(part(e.b, hi, g1)) || failed(part(e.c, step, g2)))
      return failure();
    v.i = lo;
    v.j = hi;
    v.k = step;
    // Bit 0: start given, bit 1: stop given.
    v.engineAuto = false;
    v.f = double((g0 ? 1 : 0) | (g1 ? 2 : 0));
    return v;
  }
  case ExprKind::Call:
    return evalCall(e, dest);
  case ExprKind::Unary: {
    auto v = eval(*e.a);
    if (failed(v))
      return failure();
    if (e.name == "not") {
      auto t = truthy(*v, e.a->loc);
      if (failed(t))
        return failure();
      return Val::boolean(!*t);
    }
    if (e.name == "+" && v->isNumber())
      return *v;
    if (e.name == "-") {
      if (v->kind == VK::Int || v->kind == VK::Bool)
        return Val::integer(-v->i);
      if (v->kind == VK::Float)
        return Val::real(-v->f);
      if (v->kind == VK::Tensor)
        return unaryActivation(isa::ActFunc::identity, *v, -1.0, e.loc, dest);
    }
    if (e.name == "~" && (v->kind == VK::Int || v->kind == VK::Bool))
      return Val::integer(~v->i);
    error(e.loc) << "bad operand " << describe(*v) << " for unary '" << e.name << "'";
    return failure();
  }
  case ExprKind::Binary: {
    auto l = eval(*e.a);
    if (failed(l))
      return failure();
    auto r = eval(*e.b);
    if (failed(r))
      return failure();
    return binaryOperator(e.name, *l, *r, e.loc, dest);
  }
  case ExprKind::BoolOp: {
    auto l = eval(*e.a);
    if (failed(l))
      return failure();
    auto t = truthy(*l, e.a->loc);
    if (failed(t))
      return failure();
    if ((e.name == "and") != *t)
      return *l;
    return eval(*e.b);
  }
  case ExprKind::IfExp: {
    auto c = eval(*e.a);
    if (failed(c))
      return failure();
    auto t = truthy(*c, e.a->loc);
    if (failed(t))
      return failure();
    return eval(*t ? *e.b : *e.c, dest);
  }
  case ExprKind::Compare: {
    auto lhs = eval(*e.elts[0]);
    if (failed(lhs))
      return failure();
    Val result = Val::boolean(true);
    for (size_t k = 0; k < e.ops.size(); ++k) {
      auto rhs = eval(*e.elts[k + 1]);
      if (failed(rhs))
        return failure();
      auto r = compare(e.ops[k], *lhs, *rhs, e.loc, e.ops.size() == 1 ? dest : nullptr);
      if (failed(r))
        return failure();
      if (r->kind == VK::Tensor) {
        if (e.ops.size() != 1) {
          error(e.loc) << "chained comparisons of tensors are not supported";
          return failure();
        }
        return *r;
      }
      if (!r->i)
        return Val::boolean(false);
      lhs = rhs;
    }
    return result;
  }
  }
  error(e.loc) << "unsupported expression";
  return failure();
}

static bool valuesEqual(const Val &a, const Val &b) {
  if (a.isNumber() && b.isNumber())
    return a.number() == b.number();
  if (a.kind != b.kind)
    return false;
  switch (a.kind) {
  case VK::None: return true;
  case VK::Str: case VK::Module: case VK::Builtin: return a.s == b.s;
  case VK::DType: return a.type == b.type;
  case VK::Buffer: return a.space == b.space;
  case VK::Tuple:
  case VK::List:
    if (a.items->size() != b.items->size())
      return false;
    for (size_t i = 0; i < a.items->size(); ++i)
      if (!valuesEqual((*a.items)[i], (*b.items)[i]))
        return false;
    return true;
  case VK::Tensor: return a.t.get() == b.t.get();
  default: return false;
  }
}

FailureOr<Val> Tracer::compare(StringRef op, const Val &l, const Val &r, SMLoc at, Dest *dest) {
  if (l.kind == VK::Index || r.kind == VK::Index) {
    // A mask such as `i * 128 + ix < rows`: fine when it holds for every
    // element (or none), known at compile time; partial masks need
    // predication, which is not supported.
    bool first = l.kind == VK::Index;
    const Val &ix = first ? l : r, &n = first ? r : l;
    if (n.kind != VK::Int || (op != "<" && op != "<=" && op != ">" && op != ">=")) {
      error(at) << "an nl.arange range can only be compared (<, <=, >, >=) with an integer";
      return failure();
    }
    std::string o = op.str();
    if (!first)
      o = o == "<" ? ">" : o == "<=" ? ">=" : o == ">" ? "<" : "<=";
    int64_t lo = ix.i, hi = ix.i + (ix.j - 1) * ix.k;
    auto holds = [&](int64_t v) {
      return o == "<" ? v < n.i : o == "<=" ? v <= n.i : o == ">" ? v > n.i : v >= n.i;
    };
    if (holds(lo) && holds(hi))
      return Val::boolean(true);
    if (!holds(lo) && !holds(hi))
      return Val::boolean(false);
    error(at) << "this mask is true for part of the range [" << lo << ", " << hi
              << "] only; partial masks (predication) are not supported: make the shape a "
                 "multiple of the tile size";
    return failure();
  }
  if (l.kind == VK::Tensor || r.kind == VK::Tensor) {
    isa::AluOp alu = op == "<"    ? isa::AluOp::is_lt
                     : op == "<=" ? isa::AluOp::is_le
                     : op == ">"  ? isa::AluOp::is_gt
                     : op == ">=" ? isa::AluOp::is_ge
                     : op == "==" ? isa::AluOp::is_equal
                                  : isa::AluOp::not_equal;
    if (op == "in" || op == "not in" || op == "is" || op == "is not") {
      error(at) << "'" << op << "' is not defined for tensors";
      return failure();
    }
    return binaryAlu(alu, l, r, std::nullopt, std::nullopt, at, dest);
  }
  if (op == "is" || op == "is not") {
    bool same = valuesEqual(l, r);
    return Val::boolean(op == "is" ? same : !same);
  }
  if (op == "in" || op == "not in") {
    if (!r.isSeq()) {
      error(at) << "'in' needs a tuple or list on the right, got " << describe(r);
      return failure();
    }
    bool found = llvm::any_of(*r.items, [&](const Val &x) { return valuesEqual(l, x); });
    return Val::boolean(op == "in" ? found : !found);
  }
  if (op == "==" || op == "!=") {
    bool eq = valuesEqual(l, r);
    return Val::boolean(op == "==" ? eq : !eq);
  }
  if (l.isNumber() && r.isNumber()) {
    double a = l.number(), b = r.number();
    bool res = op == "<" ? a < b : op == "<=" ? a <= b : op == ">" ? a > b : a >= b;
    if (l.kind != VK::Float && r.kind != VK::Float)
      res = op == "<" ? l.i < r.i : op == "<=" ? l.i <= r.i : op == ">" ? l.i > r.i : l.i >= r.i;
    return Val::boolean(res);
  }
  error(at) << "cannot compare " << describe(l) << " and " << describe(r) << " with '" << op
            << "'";
  return failure();
}

static int64_t floorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0)))
    --q;
  return q;
}

FailureOr<Val> Tracer::binaryOperator(StringRef op, const Val &l, const Val &r, SMLoc at,
                                      Dest *dest) {
  if (l.kind == VK::Index || r.kind == VK::Index) {
    // Affine arithmetic on an nl.arange range with an integer.
    bool first = l.kind == VK::Index;
    const Val &ix = first ? l : r, &n = first ? r : l;
    if (n.kind == VK::Int || n.kind == VK::Bool) {
      Val out = ix;
      if (op == "+") {
        out.i += n.i;
        return out;
      }
      if (op == "-" && first) {
        out.i -= n.i;
        return out;
      }
      if (op == "*" && n.i > 0) {
        out.i *= n.i;
        out.k *= n.i;
        return out;
      }
    }
    error(at) << "an nl.arange range supports + and - an integer and * a positive integer; got '"
              << op << "' with " << describe(n);
    return failure();
  }
  if (l.kind == VK::Tensor || r.kind == VK::Tensor) {
    static const std::map<std::string, isa::AluOp> ops = {{"+", isa::AluOp::add},
                                                          {"-", isa::AluOp::subtract},
                                                          {"*", isa::AluOp::mult},
                                                          {"/", isa::AluOp::divide},
                                                          {"**", isa::AluOp::pow},
                                                          {"&", isa::AluOp::logical_and},
                                                          {"|", isa::AluOp::logical_or}};
    auto it = ops.find(op.str());
    if (it == ops.end()) {
      error(at) << "operator '" << op << "' is not defined for tensors"
                << (op == "@" ? "; use nisa.nc_matmul or nl.matmul" : "");
      return failure();
    }
    return binaryAlu(it->second, l, r, std::nullopt, std::nullopt, at, dest);
  }
  if (l.isSeq() && r.isSeq() && op == "+" && l.kind == r.kind) {
    ValList items = *l.items;
    items.insert(items.end(), r.items->begin(), r.items->end());
    return Val::sequence(l.kind, std::move(items));
  }
  if (l.isSeq() && (r.kind == VK::Int) && op == "*") {
    ValList items;
    for (int64_t n = 0; n < r.i; ++n)
      items.insert(items.end(), l.items->begin(), l.items->end());
    return Val::sequence(l.kind, std::move(items));
  }
  if (l.kind == VK::Str && r.kind == VK::Str && op == "+")
    return Val::str(l.s + r.s);
  if (!l.isNumber() || !r.isNumber()) {
    error(at) << "unsupported operand types for '" << op << "': " << describe(l) << " and "
              << describe(r);
    return failure();
  }
  bool ints = l.kind != VK::Float && r.kind != VK::Float;
  if (ints) {
    int64_t a = l.i, b = r.i;
    if (op == "+") return Val::integer(a + b);
    if (op == "-") return Val::integer(a - b);
    if (op == "*") return Val::integer(a * b);
    if (op == "&") return Val::integer(a & b);
    if (op == "|") return Val::integer(a | b);
    if (op == "//" || op == "%") {
      if (b == 0) {
        error(at) << "integer division by zero";
        return failure();
      }
      int64_t q = floorDiv(a, b);
      return Val::integer(op == "//" ? q : a - q * b);
    }
    if (op == "**" && b >= 0) {
      int64_t p = 1;
      for (int64_t n = 0; n < b; ++n)
        p *= a;
      return Val::integer(p);
    }
  }
  double a = l.number(), b = r.number();
  if (op == "+") return Val::real(a + b);
  if (op == "-") return Val::real(a - b);
  if (op == "*") return Val::real(a * b);
  if (op == "**") return Val::real(std::pow(a, b));
  if (op == "/" || op == "//" || op == "%") {
    if (b == 0) {
      error(at) << "division by zero";
      return failure();
    }
    if (op == "/") return Val::real(a / b);
    double q = std::floor(a / b);
    return Val::real(op == "//" ? q : a - q * b);
  }
  error(at) << "unsupported operator '" << op << "' for " << describe(l) << " and "
            << describe(r);
  return failure();
}

FailureOr<Val> Tracer::subscript(const Val &base, const Val &idx, SMLoc at) {
  if (base.kind == VK::Tensor)
    return indexTensor(*base.t, idx, at);
  if (base.kind == VK::Index) {
    // nl.arange(n)[:, None] / [None, :]: the axis it indexes is its position
    // in the tensor subscript, so the expansion only needs checking.
    ValList parts = idx.kind == VK::Tuple ? *idx.items : ValList{idx};
    int full = 0;
    for (const Val &p : parts) {
      bool isFull = p.kind == VK::Slice && p.s == "slice" && p.f == 0 && p.k == 1;
      if (isFull)
        ++full;
      else if (p.kind != VK::None) {
        error(at) << "an nl.arange range can only be expanded with [:, None] or [None, :]";
        return failure();
      }
    }
    if (full != 1) {
      error(at) << "an nl.arange range can only be expanded with [:, None] or [None, :]";
      return failure();
    }
    return base;
  }
  if (base.isSeq()) {
    int64_t n = base.items->size();
    if (idx.kind == VK::Slice && idx.s == "slice") {
      int64_t step = idx.k;
      if (step != 1) {
        error(at) << "only step-1 slices of tuples and lists are supported";
        return failure();
      }
      int64_t flags = int64_t(idx.f);
      int64_t lo = (flags & 1) ? idx.i : 0, hi = (flags & 2) ? idx.j : n;
      if (lo < 0) lo += n;
      if (hi < 0) hi += n;
      lo = std::clamp<int64_t>(lo, 0, n);
      hi = std::clamp<int64_t>(hi, lo, n);
      return Val::sequence(base.kind, ValList(base.items->begin() + lo, base.items->begin() + hi));
    }
    auto k = toInt(idx, at, "a tuple index");
    if (failed(k))
      return failure();
    int64_t i = *k < 0 ? *k + n : *k;
    if (i < 0 || i >= n) {
      error(at) << "index " << *k << " out of range for a " << kindName(base.kind) << " of "
                << n;
      return failure();
    }
    return (*base.items)[i];
  }
  error(at) << describe(base) << " cannot be indexed";
  return failure();
}

FailureOr<Val> Tracer::indexTensor(const TensorVal &t, const Val &idx, SMLoc at) {
  ValList parts = idx.kind == VK::Tuple ? *idx.items : ValList{idx};
  // Expand `...` into full slices.
  int64_t explicitCount = 0;
  bool sawEllipsis = false;
  for (const Val &p : parts) {
    if (p.kind == VK::Slice && p.s == "...") {
      if (sawEllipsis) {
        error(at) << "an index can hold only one '...'";
        return failure();
      }
      sawEllipsis = true;
    } else {
      ++explicitCount;
    }
  }
  if (explicitCount > t.rank()) {
    error(at) << "too many indices (" << explicitCount << ") for a tensor of rank " << t.rank();
    return failure();
  }
  auto out = std::make_shared<TensorVal>(t);
  out->name.clear();
  out->sizes.clear();
  out->strides.clear();
  int64_t dim = 0;
  auto full = [&](int64_t d) {
    out->sizes.push_back(t.sizes[d]);
    out->strides.push_back(t.strides[d]);
  };
  for (const Val &p : parts) {
    if (p.kind == VK::Slice && p.s == "...") {
      int64_t fill = t.rank() - explicitCount;
      for (int64_t n = 0; n < fill; ++n)
        full(dim++);
      continue;
    }
    int64_t size = t.sizes[dim], stride = t.strides[dim];
    int64_t start = 0, count = 0, step = 1;
    if (p.kind == VK::Slice && p.s == "ds") {
      start = p.i;
      count = p.j;
    } else if (p.kind == VK::Slice) {
      step = p.k;
      if (step <= 0) {
        error(at) << "slice steps must be positive";
        return failure();
      }
      int64_t flags = int64_t(p.f);
      int64_t lo = (flags & 1) ? p.i : 0, hi = (flags & 2) ? p.j : size;
      if (lo < 0) lo += size;
      if (hi < 0) hi += size;
      if (lo < 0 || hi > size || lo > hi) {
        error(at) << "slice " << lo << ":" << hi << " is outside dimension " << dim
                  << " of size " << size;
        return failure();
      }
      start = lo;
      count = (hi - lo + step - 1) / step;
      if (count == 0) {
        error(at) << "slice " << lo << ":" << hi << " of dimension " << dim << " is empty";
        return failure();
      }
    } else if (p.kind == VK::Int || p.kind == VK::Bool) {
      start = p.i < 0 ? p.i + size : p.i;
      count = 1;
      if (start < 0 || start >= size) {
        error(at) << "index " << p.i << " is out of bounds for dimension " << dim << " of size "
                  << size;
        return failure();
      }
      // An integer drops the dimension, except the partition axis of an
      // on-chip tile, which stays (with one partition).
      if (!(t.onChip() && dim == 0)) {
        if (t.onChip())
          out->offset += start * stride;
        else
          out->offset += start * stride;
        ++dim;
        continue;
      }
    } else if (p.kind == VK::Index) {
      start = p.i;
      count = p.j;
      step = p.k;
    } else if (p.kind == VK::Tensor) {
      error(at) << "indexing with a tensor (advanced indexing) is not supported; use slices, "
                   "nl.ds(start, size) or nl.arange ranges";
      return failure();
    } else {
      error(at) << "bad index " << describe(p) << "; use integers, slices or nl.ds(start, size)";
      return failure();
    }
    if (start < 0 || start + (count - 1) * step >= size) {
      error(at) << "index range [" << start << ", " << start + (count - 1) * step + 1
                << ") is outside dimension " << dim << " of size " << size;
      return failure();
    }
    if (t.onChip() && dim == 0)
      out->partStart += start * stride;
    else
      out->offset += start * stride;
    out->sizes.push_back(count);
    out->strides.push_back(stride * step);
    ++dim;
  }
  while (dim < t.rank())
    full(dim++);
  return Val::tensor(out);
}

FailureOr<Val> Tracer::attribute(const Val &base, StringRef name, SMLoc at) {
  if (base.kind == VK::Module)
    return moduleAttr(base.s, name, at);
  if (base.kind == VK::Tensor) {
    const TensorVal &t = *base.t;
    if (name == "shape") {
      ValList dims;
      for (int64_t d : t.sizes)
        dims.push_back(Val::integer(d));
      return Val::sequence(VK::Tuple, std::move(dims));
    }
    if (name == "dtype")
      return Val::dtype(t.elem);
    if (name == "ndim")
      return Val::integer(t.rank());
    if (name == "buffer") {
      Val v;
      v.kind = VK::Buffer;
      v.space = t.space;
      return v;
    }
    if (name == "reshape" || name == "broadcast_to" || name == "view") {
      Val m = Val::builtin("tensor." + name.str());
      m.self = std::make_shared<Val>(base);
      return m;
    }
    error(at) << "tensors have no attribute '" << name << "'";
    return failure();
  }
  if (base.kind == VK::List && name == "append") {
    Val m = Val::builtin("list.append");
    m.self = std::make_shared<Val>(base);
    return m;
  }
  if (base.kind == VK::DType && name == "itemsize")
    return Val::integer(std::max<int64_t>(1, base.type.getIntOrFloatBitWidth() / 8));
  error(at) << describe(base) << " has no attribute '" << name << "'";
  return failure();
}

FailureOr<Val> Tracer::evalCall(const ast::Expr &e, Dest *dest) {
  auto fn = eval(*e.a);
  if (failed(fn))
    return failure();
  CallArgs args;
  args.loc = e.loc;
  for (const ast::ExprPtr &x : e.elts) {
    auto v = eval(*x);
    if (failed(v))
      return failure();
    args.pos.push_back(*v);
    args.posLoc.push_back(x->loc);
  }
  for (const ast::Keyword &kw : e.keywords) {
    auto v = eval(*kw.value);
    if (failed(v))
      return failure();
    args.kw.push_back({kw.name, *v});
    args.kwLoc.push_back(kw.value->loc);
    args.kwNameLoc.push_back(kw.loc);
  }
  if (fn->kind == VK::Builtin)
    return callBuiltin(*fn, args, dest);
  if (fn->kind == VK::Function)
    return callFunction(*fn->func, args);
  error(e.loc) << describe(*fn) << " is not callable";
  return failure();
}

FailureOr<Val> Tracer::callFunction(const ast::Stmt &def, CallArgs &args) {
  if (frames.size() >= kMaxCallDepth) {
    error(args.loc) << "calls nested deeper than " << kMaxCallDepth;
    return failure();
  }
  std::map<std::string, Val> frame;
  if (args.pos.size() > def.params.size()) {
    error(args.loc) << def.name << "() takes " << def.params.size() << " arguments but "
                    << args.pos.size() << " were given";
    return failure();
  }
  for (size_t i = 0; i < args.pos.size(); ++i)
    frame[def.params[i].name] = args.pos[i];
  for (auto &[name, v] : args.kw) {
    bool known = llvm::any_of(def.params, [&](const ast::Param &p) { return p.name == name; });
    if (!known) {
      error(args.loc) << def.name << "() got an unexpected keyword argument '" << name << "'";
      return failure();
    }
    if (frame.count(name)) {
      error(args.loc) << def.name << "() got multiple values for argument '" << name << "'";
      return failure();
    }
    frame[name] = v;
  }
  for (const ast::Param &p : def.params) {
    if (frame.count(p.name))
      continue;
    if (!p.defaultValue) {
      error(args.loc) << def.name << "() is missing argument '" << p.name << "'";
      return failure();
    }
    auto v = eval(*p.defaultValue);
    if (failed(v))
      return failure();
    frame[p.name] = *v;
  }
  frames.push_back(std::move(frame));
  int savedLoops = loopDepth;
  loopDepth = 0;
  Flow f = execBlock(def.body);
  loopDepth = savedLoops;
  frames.pop_back();
  if (f == Flow::Error)
    return failure();
  if (f == Flow::Return) {
    Val v = returnValue;
    returnValue = Val::none();
    return v;
  }
  return Val::none();
}

//===----------------------------------------------------------------------===//
// The kernel: parameters, outputs, the function
//===----------------------------------------------------------------------===//

OwningOpRef<ModuleOp> Tracer::run(const ast::Module &module, const KernelOptions &options) {
  OpBuilder mb(ctx);
  SMLoc fileStart = SMLoc::getFromPointer(sourceMgr.getMemoryBuffer(bufferId)->getBufferStart());
  OwningOpRef<ModuleOp> m = ModuleOp::create(loc(fileStart));
  installGlobals();

  // Module level: imports, constants and function definitions.
  for (const ast::StmtPtr &s : module.body) {
    if (s->kind == ast::StmtKind::FunctionDef || s->kind == ast::StmtKind::Import) {
      if (exec(*s) == Flow::Error)
        return nullptr;
      continue;
    }
    if (s->kind == ast::StmtKind::Assign || s->kind == ast::StmtKind::Pass ||
        (s->kind == ast::StmtKind::Expr && s->a->kind == ast::ExprKind::Str)) {
      if (exec(*s) == Flow::Error)
        return nullptr;
      continue;
    }
    error(s->loc) << "only imports, constants and function definitions may appear at the top "
                     "level of a kernel file";
    return nullptr;
  }

  // Pick the kernel.
  const ast::Stmt *kernel = nullptr;
  std::vector<const ast::Stmt *> decorated, all;
  for (const ast::StmtPtr &s : module.body) {
    if (s->kind != ast::StmtKind::FunctionDef)
      continue;
    all.push_back(s.get());
    if (!s->decorators.empty())
      decorated.push_back(s.get());
    if (s->name == options.kernelName)
      kernel = s.get();
  }
  if (!options.kernelName.empty() && !kernel) {
    std::string names;
    for (const ast::Stmt *s : all)
      names += (names.empty() ? "" : ", ") + s->name;
    error(fileStart) << "no function '" << options.kernelName << "' in this file"
                     << (names.empty() ? "" : " (it defines " + names + ")");
    return nullptr;
  }
  if (!kernel) {
    const auto &pool = decorated.empty() ? all : decorated;
    if (pool.size() != 1) {
      std::string names;
      for (const ast::Stmt *s : pool)
        names += (names.empty() ? "" : ", ") + s->name;
      error(fileStart) << (pool.empty() ? "no kernel function in this file"
                                        : "several kernels in this file (" + names +
                                              "); pick one with --kernel NAME");
      return nullptr;
    }
    kernel = pool.front();
  }

  // Arguments: unnamed ones (a graph binding's tensors) take the parameters
  // in order; then the named ones, then annotations.
  std::vector<KernelArg> args = options.args;
  size_t nextParam = 0;
  for (KernelArg &a : args) {
    if (!a.name.empty())
      continue;
    if (nextParam == kernel->params.size()) {
      error(kernel->loc) << options.argSource << " passes more tensors than kernel '"
                         << kernel->name << "' has parameters (" << kernel->params.size() << ")";
      return nullptr;
    }
    a.name = kernel->params[nextParam++].name;
  }
  std::map<std::string, const KernelArg *> given;
  for (const KernelArg &a : args) {
    bool known = llvm::any_of(kernel->params, [&](const ast::Param &p) { return p.name == a.name; });
    if (!known) {
      error(kernel->loc) << options.argSource << " names '" << a.name
                         << "', which is not a parameter of " << kernel->name;
      return nullptr;
    }
    if (!given.emplace(a.name, &a).second) {
      error(kernel->loc) << options.argSource << " gives parameter '" << a.name << "' twice";
      return nullptr;
    }
  }
  b.setInsertionPointToEnd(m->getBody());
  struct Param {
    std::string name;
    SmallVector<int64_t> shape;
    Type elem;
    SMLoc at;
  };
  std::vector<Param> tensorParams;
  std::map<std::string, Val> frame;
  for (const ast::Param &p : kernel->params) {
    auto it = given.find(p.name);
    if (it != given.end() && !it->second->isTensor) {
      const KernelArg &a = *it->second;
      frame[p.name] = a.isFloat ? Val::real(a.floatValue) : Val::integer(a.intValue);
      continue;
    }
    std::optional<std::pair<SmallVector<int64_t>, Type>> annotated;
    if (p.annotation) {
      auto ann = parseAnnotation(*p.annotation);
      if (failed(ann))
        return nullptr;
      annotated = *ann;
    }
    if (it != given.end()) {
      const KernelArg &a = *it->second;
      Type elem = dtypeNamed(a.dtype);
      SmallVector<int64_t> shape(a.shape.begin(), a.shape.end());
      if (annotated && (annotated->first != shape || annotated->second != elem)) {
        error(p.loc) << options.argSource << " gives " << p.name << " as " << dtypeName(elem)
                     << shapeString(shape) << " but the annotation says "
                     << dtypeName(annotated->second) << shapeString(annotated->first);
        return nullptr;
      }
      tensorParams.push_back({p.name, shape, elem, p.loc});
      continue;
    }
    if (annotated) {
      tensorParams.push_back({p.name, annotated->first, annotated->second, p.loc});
      continue;
    }
    if (p.defaultValue) {
      auto v = eval(*p.defaultValue);
      if (failed(v))
        return nullptr;
      frame[p.name] = *v;
      continue;
    }
    if (options.argSource != "--args") {
      error(p.loc) << "parameter '" << p.name << "' gets no value from " << options.argSource;
      return nullptr;
    }
    error(p.loc) << "parameter '" << p.name << "' has no type: pass --args " << p.name
                 << "=f32[128,512] (dtype and shape) or annotate it, e.g. " << p.name
                 << ": f32[128, 512]";
    return nullptr;
  }

  SmallVector<Type> argTypes;
  for (const Param &p : tensorParams)
    argTypes.push_back(tile::getBufferType(p.shape, p.elem, isa::Space::hbm));
  auto func = func::FuncOp::create(b, loc(kernel->loc), kernel->name,
                                   b.getFunctionType(argTypes, {}));
  Block *body = func.addEntryBlock();
  b.setInsertionPointToStart(body);
  auto ret = func::ReturnOp::create(b, loc(kernel->loc));
  b.setInsertionPoint(ret);
  for (auto [idx, p] : llvm::enumerate(tensorParams)) {
    auto t = std::make_shared<TensorVal>();
    t->buffer = body->getArgument(idx);
    t->space = isa::Space::hbm;
    t->elem = p.elem;
    t->sizes = p.shape;
    t->strides.assign(p.shape.size(), 1);
    for (int64_t d = (int64_t)p.shape.size() - 2; d >= 0; --d)
      t->strides[d] = t->strides[d + 1] * p.shape[d + 1];
    t->name = p.name;
    frame[p.name] = Val::tensor(t);
    paramUse[t->buffer.getAsOpaquePointer()] = {};
  }

  frames.push_back(std::move(frame));
  Flow f = execBlock(kernel->body);
  frames.pop_back();
  if (f == Flow::Error || hadError)
    return nullptr;

  // Outputs: parameters the kernel writes, and the HBM tensors it returns.
  for (auto [idx, p] : llvm::enumerate(tensorParams)) {
    Value arg = body->getArgument(idx);
    ParamUse use = paramUse[arg.getAsOpaquePointer()];
    if (use.written && use.read) {
      error(p.at) << "parameter '" << p.name
                  << "' is both read and written; kernels may not update a tensor in place";
      return nullptr;
    }
    func.setArgAttr(idx, use.written ? "trellis.output" : "trellis.input",
                    b.getStringAttr(p.name));
  }
  ValList returned;
  if (returnValue.kind == VK::Tuple || returnValue.kind == VK::List)
    returned = *returnValue.items;
  else if (returnValue.kind != VK::None)
    returned.push_back(returnValue);
  std::set<std::string> outNames;
  for (auto [idx, p] : llvm::enumerate(tensorParams))
    outNames.insert(p.name);
  for (size_t k = 0; k < returned.size(); ++k) {
    const Val &v = returned[k];
    auto alloc = v.kind == VK::Tensor ? v.t->buffer.getDefiningOp<tile::AllocOp>() : nullptr;
    if (!alloc || v.t->space != isa::Space::hbm) {
      error(returnLoc) << "a kernel returns the HBM tensors it creates with nl.ndarray(..., "
                          "buffer=nl.shared_hbm); got "
                       << describe(v);
      return nullptr;
    }
    auto type = cast<MemRefType>(alloc.getType());
    if (v.t->offset != 0 || SmallVector<int64_t>(type.getShape()) != v.t->sizes) {
      error(returnLoc) << "a kernel must return whole HBM tensors, not views of them";
      return nullptr;
    }
    std::string name = v.t->name.empty() ? "out" + std::to_string(k) : v.t->name;
    if (!outNames.insert(name).second)
      name += "_" + std::to_string(k);
    unsigned argNo = func.getNumArguments();
    if (failed(func.insertArgument(argNo, type,
                                   b.getDictionaryAttr(b.getNamedAttr(
                                       "trellis.output", b.getStringAttr(name))),
                                   alloc.getLoc())))
      return nullptr;
    alloc.getResult().replaceAllUsesWith(func.getArgument(argNo));
    alloc.erase();
  }
  bool anyOutput = false;
  for (unsigned a = 0; a < func.getNumArguments(); ++a)
    anyOutput |= !!func.getArgAttr(a, "trellis.output");
  if (!anyOutput) {
    error(kernel->loc) << "kernel '" << kernel->name
                       << "' has no outputs: return an HBM tensor or store into a parameter";
    return nullptr;
  }
  if (failed(mlir::verify(*m)))
    return nullptr;
  return m;
}

FailureOr<std::pair<SmallVector<int64_t>, Type>> Tracer::parseAnnotation(const ast::Expr &e) {
  // DTYPE[d0, d1, ...], where DTYPE is a dtype name or nl.<dtype>.
  if (e.kind == ast::ExprKind::Subscript) {
    Type elem;
    if (e.a->kind == ast::ExprKind::Name)
      elem = dtypeNamed(e.a->name);
    if (!elem) {
      auto v = eval(*e.a);
      if (failed(v))
        return failure();
      if (v->kind == VK::DType)
        elem = v->type;
    }
    if (elem) {
      auto dims = eval(*e.b);
      if (failed(dims))
        return failure();
      auto shape = toShape(*dims, e.b->loc, "a tensor shape");
      if (failed(shape))
        return failure();
      return std::pair{*shape, elem};
    }
  }
  error(e.loc) << "a parameter annotation must be DTYPE[d0, d1, ...], e.g. bf16[128, 512]";
  return failure();
}

//===----------------------------------------------------------------------===//
// Entry points
//===----------------------------------------------------------------------===//

llvm::Expected<std::vector<KernelArg>> trellis::kernel::parseKernelArgs(StringRef spec) {
  std::vector<KernelArg> out;
  // Split at commas outside brackets.
  SmallVector<std::string> parts;
  std::string cur;
  int depth = 0;
  for (char c : spec) {
    if (c == '[')
      ++depth;
    if (c == ']')
      --depth;
    if (c == ',' && depth == 0) {
      parts.push_back(cur);
      cur.clear();
      continue;
    }
    cur += c;
  }
  if (!cur.empty() || !parts.empty())
    parts.push_back(cur);
  for (const std::string &part : parts) {
    StringRef p = StringRef(part).trim();
    auto [name, value] = p.split('=');
    name = name.trim();
    value = value.trim();
    if (name.empty() || value.empty() || !p.contains('='))
      return llvm::createStringError("--args '%s': expected NAME=DTYPE[d0,d1,...] or NAME=NUMBER",
                                     part.c_str());
    for (const KernelArg &a : out)
      if (a.name == name)
        return llvm::createStringError("--args names '%s' twice", name.str().c_str());
    KernelArg a;
    a.name = name.str();
    size_t lb = value.find('[');
    if (lb == StringRef::npos) {
      a.isTensor = false;
      int64_t iv;
      double fv;
      if (!value.getAsInteger(0, iv)) {
        a.intValue = iv;
      } else if (!value.getAsDouble(fv)) {
        a.isFloat = true;
        a.floatValue = fv;
      } else {
        return llvm::createStringError(
            "--args '%s': '%s' is neither DTYPE[d0,d1,...] nor a number", part.c_str(),
            value.str().c_str());
      }
      out.push_back(a);
      continue;
    }
    StringRef dtype = value.take_front(lb).trim();
    if (!value.ends_with("]"))
      return llvm::createStringError("--args '%s': missing ']'", part.c_str());
    static const std::map<std::string, std::string> names = {
        {"f32", "f32"},       {"float32", "f32"},    {"fp32", "f32"},     {"bf16", "bf16"},
        {"bfloat16", "bf16"}, {"f16", "f16"},        {"float16", "f16"},  {"fp16", "f16"},
        {"f8e4m3", "f8e4m3"}, {"float8_e4m3", "f8e4m3"}, {"fp8_e4m3", "f8e4m3"},
        {"f8e5m2", "f8e5m2"}, {"float8_e5m2", "f8e5m2"}, {"fp8_e5m2", "f8e5m2"},
        {"i32", "i32"},       {"int32", "i32"},      {"i16", "i16"},      {"int16", "i16"},
        {"i8", "i8"},         {"int8", "i8"}};
    auto it = names.find(dtype.str());
    if (it == names.end())
      return llvm::createStringError(
          "--args '%s': unknown dtype '%s' (f32, bf16, f16, f8e4m3, f8e5m2, i32, i16, i8)",
          part.c_str(), dtype.str().c_str());
    a.dtype = it->second;
    StringRef dims = value.drop_front(lb + 1).drop_back();
    SmallVector<StringRef> ds;
    dims.split(ds, ',', -1, false);
    if (ds.empty())
      return llvm::createStringError("--args '%s': a tensor needs at least one dimension",
                                     part.c_str());
    for (StringRef d : ds) {
      int64_t n;
      if (d.trim().getAsInteger(10, n) || n <= 0 || n > (int64_t(1) << 32))
        return llvm::createStringError("--args '%s': '%s' is not a dimension", part.c_str(),
                                       d.trim().str().c_str());
      a.shape.push_back(n);
    }
    out.push_back(a);
  }
  return out;
}

OwningOpRef<ModuleOp> trellis::kernel::compileKernel(llvm::SourceMgr &sourceMgr,
                                                      unsigned bufferId, MLIRContext &ctx,
                                                      const KernelOptions &options) {
  ctx.getOrLoadDialect<tile::TileDialect>();
  ctx.getOrLoadDialect<func::FuncDialect>();
  const llvm::MemoryBuffer *buffer = sourceMgr.getMemoryBuffer(bufferId);
  ast::Module module;
  ast::SyntaxError err;
  Tracer tracer(sourceMgr, bufferId, ctx, options.arch);
  if (!ast::parseModule(buffer->getBuffer(), module, err)) {
    tracer.error(err.loc) << err.message;
    return nullptr;
  }
  return tracer.run(module, options);
}
