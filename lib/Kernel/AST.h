//===- AST.h - Syntax tree of the NKI-style kernel language --------------===//
//
// The Python subset the kernel language accepts (docs/kernel-language.md has
// the grammar). Every node records where it starts, as a pointer into the
// source buffer, so the tracer can build a FileLineColLoc for it.
//
//===----------------------------------------------------------------------===//
#ifndef TRELLIS_LIB_KERNEL_AST_H
#define TRELLIS_LIB_KERNEL_AST_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/SMLoc.h"
#include <memory>
#include <string>
#include <vector>

namespace trellis::kernel::ast {

struct Expr;
struct Stmt;
using ExprPtr = std::unique_ptr<Expr>;
using StmtPtr = std::unique_ptr<Stmt>;
using Block = std::vector<StmtPtr>;

enum class ExprKind {
  Name, Int, Float, Str, Bool, None, Ellipsis,
  Attribute, Subscript, Slice, Tuple, List, Call,
  Binary, Unary, Compare, BoolOp, IfExp,
  FString // elts: literal pieces (Str) and expressions to format
};

struct Keyword {
  std::string name;
  ExprPtr value;
  llvm::SMLoc loc;
};

struct Expr {
  ExprKind kind;
  llvm::SMLoc loc;
  std::string name;          // Name, Attribute (attribute name), Str, operator spelling
  int64_t intValue = 0;      // Int, Bool
  double floatValue = 0;     // Float
  ExprPtr a, b, c;           // operands: value/lhs/cond, index/rhs/then, else/step
  std::vector<ExprPtr> elts; // Tuple, List, Call args, Compare operands
  std::vector<std::string> ops; // Compare operators
  std::vector<Keyword> keywords; // Call
  int height = 1;                // longest chain of operands below (bounded by the parser)
  Expr(ExprKind kind, llvm::SMLoc loc) : kind(kind), loc(loc) {}
};

enum class StmtKind {
  Expr, Assign, AugAssign, For, If, Return, Pass, Assert, FunctionDef, Import, Break, Continue
};

struct Param {
  std::string name;
  llvm::SMLoc loc;
  ExprPtr annotation; // may be null
  ExprPtr defaultValue; // may be null
};

struct Stmt {
  StmtKind kind;
  llvm::SMLoc loc;
  // Expr/Return/Assert: value (+ msg in b); Assign: targets (elts) = value;
  // AugAssign: target a, op name, value b; For: target a, iterator b, body;
  // If: cond a, body, orelse; FunctionDef: name, params, decorators, body;
  // Import: module path in name, alias in alias.
  ExprPtr a, b;
  std::vector<ExprPtr> targets;
  std::string name, op, alias;
  std::vector<std::pair<std::string, std::string>> imported; // from-import: (name, alias)
  Block body, orelse;
  std::vector<Param> params;
  std::vector<ExprPtr> decorators;
  Stmt(StmtKind kind, llvm::SMLoc loc) : kind(kind), loc(loc) {}
};

struct Module {
  Block body;
};

/// A syntax error: where and what.
struct SyntaxError {
  llvm::SMLoc loc;
  std::string message;
};

/// Parses a whole file. On failure returns false and fills `error`.
bool parseModule(llvm::StringRef source, Module &module, SyntaxError &error);

} // namespace trellis::kernel::ast

#endif
