//===- Parser.cpp - Lexer and recursive-descent parser for .nki files -----===//
//
// A hand-written Python tokenizer (indentation becomes INDENT / DEDENT
// tokens, newlines inside brackets are ignored) and a recursive-descent
// parser for the statement and expression subset in docs/kernel-language.md.
// Anything outside the subset is a syntax error at its first token.
//
//===----------------------------------------------------------------------===//

#include "AST.h"

#include "llvm/ADT/StringSwitch.h"
#include <cctype>
#include <cerrno>
#include <cstring>
#include <cstdlib>

using namespace trellis::kernel::ast;
using llvm::SMLoc;
using llvm::StringRef;

namespace {

enum class Tok { Name, Int, Float, Str, Op, Newline, Indent, Dedent, Eof };

struct Token {
  Tok kind;
  StringRef text; // spelling (Str: the decoded value lives in `str`)
  std::string str;
  const char *pos;
  StringRef raw = {};   // Str: the text between the quotes, undecoded
  bool fstring = false; // Str: f"..."
};

class Lexer {
public:
  Lexer(StringRef src) : src(src), p(src.begin()) {}

  bool run(std::vector<Token> &out, SyntaxError &err) {
    indents.push_back(0);
    bool atLineStart = true;
    while (true) {
      if (atLineStart && depth == 0) {
        // Measure indentation; skip blank and comment-only lines.
        const char *lineStart = p;
        int col = 0;
        while (p < src.end() && (*p == ' ' || *p == '\t')) {
          col = *p == '\t' ? (col / 8 + 1) * 8 : col + 1;
          ++p;
        }
        if (p < src.end() && (*p == '#' || *p == '\n' || *p == '\r')) {
          while (p < src.end() && *p != '\n')
            ++p;
          if (p < src.end())
            ++p;
          continue;
        }
        if (p >= src.end())
          break;
        if (col > indents.back()) {
          indents.push_back(col);
          out.push_back({Tok::Indent, {}, {}, p});
        } else {
          while (col < indents.back()) {
            indents.pop_back();
            out.push_back({Tok::Dedent, {}, {}, p});
          }
          if (col != indents.back()) {
            err = {SMLoc::getFromPointer(p), "unindent does not match any outer indentation level"};
            return false;
          }
        }
        (void)lineStart;
        atLineStart = false;
      }
      if (p >= src.end())
        break;
      char c = *p;
      if (c == ' ' || c == '\t' || c == '\r') {
        ++p;
        continue;
      }
      if (c == '#') {
        while (p < src.end() && *p != '\n')
          ++p;
        continue;
      }
      if (c == '\\' && p + 1 < src.end() && (p[1] == '\n' || p[1] == '\r')) {
        p += 2;
        if (p < src.end() && p[-1] == '\r' && *p == '\n')
          ++p;
        continue;
      }
      if (c == '\n') {
        if (depth == 0) {
          if (!out.empty() && out.back().kind != Tok::Newline)
            out.push_back({Tok::Newline, {}, {}, p});
          atLineStart = true;
        }
        ++p;
        continue;
      }
      const char *start = p;
      if (std::isalpha((unsigned char)c) || c == '_') {
        // String prefixes: r"..", f"..", b"..".
        if ((c == 'r' || c == 'f' || c == 'b' || c == 'R' || c == 'F') && p + 1 < src.end() &&
            (p[1] == '"' || p[1] == '\'')) {
          ++p;
          if (!lexString(out, err, start))
            return false;
          continue;
        }
        while (p < src.end() && (std::isalnum((unsigned char)*p) || *p == '_'))
          ++p;
        out.push_back({Tok::Name, StringRef(start, p - start), {}, start});
        continue;
      }
      if (std::isdigit((unsigned char)c) || (c == '.' && p + 1 < src.end() && std::isdigit((unsigned char)p[1]))) {
        bool isFloat = false;
        if (c == '0' && p + 1 < src.end() && (p[1] == 'x' || p[1] == 'X')) {
          p += 2;
          while (p < src.end() && (std::isxdigit((unsigned char)*p) || *p == '_'))
            ++p;
        } else {
          while (p < src.end() && (std::isdigit((unsigned char)*p) || *p == '_'))
            ++p;
          if (p < src.end() && *p == '.') {
            isFloat = true;
            ++p;
            while (p < src.end() && std::isdigit((unsigned char)*p))
              ++p;
          }
          if (p < src.end() && (*p == 'e' || *p == 'E')) {
            const char *q = p + 1;
            if (q < src.end() && (*q == '+' || *q == '-'))
              ++q;
            if (q < src.end() && std::isdigit((unsigned char)*q)) {
              isFloat = true;
              p = q;
              while (p < src.end() && std::isdigit((unsigned char)*p))
                ++p;
            }
          }
        }
        if (p < src.end() && (std::isalpha((unsigned char)*p) || *p == '_')) {
          err = {SMLoc::getFromPointer(start), "invalid number literal"};
          return false;
        }
        out.push_back({isFloat ? Tok::Float : Tok::Int, StringRef(start, p - start), {}, start});
        continue;
      }
      if (c == '"' || c == '\'') {
        if (!lexString(out, err, start))
          return false;
        continue;
      }
      static const char *ops3[] = {"**=", "//=", "...", ">>=", "<<="};
      static const char *ops2[] = {"**", "//", "==", "!=", "<=", ">=", "+=", "-=", "*=",
                                   "/=", "%=", "->", "<<", ">>", "&=", "|=", "@="};
      auto match = [&](const char *op) {
        size_t n = std::strlen(op);
        return (size_t)(src.end() - p) >= n && StringRef(p, n) == op;
      };
      const char *found = nullptr;
      for (const char *op : ops3)
        if (!found && match(op))
          found = op;
      for (const char *op : ops2)
        if (!found && match(op))
          found = op;
      if (!found && StringRef("+-*/%@<>=()[]{},:.;&|^~").contains(c))
        found = "x";
      if (!found) {
        err = {SMLoc::getFromPointer(p), std::string("unexpected character '") + c + "'"};
        return false;
      }
      size_t n = found[0] == 'x' && found[1] == 0 ? 1 : std::strlen(found);
      if (c == '(' || c == '[' || c == '{') {
        ++depth;
        open.push_back(p);
      }
      if (c == ')' || c == ']' || c == '}') {
        if (depth == 0) {
          err = {SMLoc::getFromPointer(p), std::string("unmatched '") + c + "'"};
          return false;
        }
        --depth;
        open.pop_back();
      }
      p += n;
      out.push_back({Tok::Op, StringRef(start, n), {}, start});
    }
    if (depth > 0) {
      err = {SMLoc::getFromPointer(open.back()),
             std::string("'") + *open.back() + "' was never closed"};
      return false;
    }
    if (!out.empty() && out.back().kind != Tok::Newline)
      out.push_back({Tok::Newline, {}, {}, src.end()});
    while (indents.size() > 1) {
      indents.pop_back();
      out.push_back({Tok::Dedent, {}, {}, src.end()});
    }
    out.push_back({Tok::Eof, {}, {}, src.end()});
    return true;
  }

private:
  bool lexString(std::vector<Token> &out, SyntaxError &err, const char *start) {
    char q = *p;
    bool triple = src.end() - p >= 3 && p[1] == q && p[2] == q;
    p += triple ? 3 : 1;
    const char *contentStart = p;
    const char *contentEnd = p;
    std::string value;
    while (true) {
      if (p >= src.end() || (!triple && *p == '\n')) {
        err = {SMLoc::getFromPointer(start), "unterminated string literal"};
        return false;
      }
      if (*p == '\\' && p + 1 < src.end()) {
        char e = p[1];
        value += e == 'n' ? '\n' : e == 't' ? '\t' : e;
        p += 2;
        continue;
      }
      if (*p == q && (!triple || (src.end() - p >= 3 && p[1] == q && p[2] == q))) {
        contentEnd = p;
        p += triple ? 3 : 1;
        break;
      }
      value += *p++;
    }
    Token t{Tok::Str, StringRef(start, p - start), value, start};
    t.raw = StringRef(contentStart, contentEnd - contentStart);
    t.fstring = *start == 'f' || *start == 'F';
    out.push_back(t);
    return true;
  }

  StringRef src;
  const char *p;
  int depth = 0;
  std::vector<const char *> open; // unclosed brackets
  std::vector<int> indents;
};

class Parser {
public:
  Parser(std::vector<Token> toks) : toks(std::move(toks)) {}

  bool parseFile(Module &m, SyntaxError &err) {
    while (peek().kind != Tok::Eof) {
      if (peek().kind == Tok::Newline) {
        ++i;
        continue;
      }
      if (!parseStatement(m.body))
        break;
    }
    if (failed) {
      err = error;
      return false;
    }
    return true;
  }

private:
  const Token &peek(int k = 0) const { return toks[std::min(i + k, toks.size() - 1)]; }
  SMLoc here() const { return SMLoc::getFromPointer(peek().pos); }
  bool isOp(StringRef s, int k = 0) const { return peek(k).kind == Tok::Op && peek(k).text == s; }
  bool isName(StringRef s, int k = 0) const {
    return peek(k).kind == Tok::Name && peek(k).text == s;
  }
  bool fail(SMLoc loc, const llvm::Twine &msg) {
    if (!failed) {
      failed = true;
      error = {loc, msg.str()};
    }
    return false;
  }
  std::string describe(const Token &t) const {
    switch (t.kind) {
    case Tok::Newline:
      return "end of line";
    case Tok::Indent:
      return "indent";
    case Tok::Dedent:
      return "dedent";
    case Tok::Eof:
      return "end of file";
    default:
      return "'" + t.text.str() + "'";
    }
  }
  bool expectOp(StringRef s) {
    if (isOp(s)) {
      ++i;
      return true;
    }
    return fail(here(), "expected '" + s + "', found " + describe(peek()));
  }
  bool expectNewline() {
    if (peek().kind == Tok::Newline) {
      ++i;
      return true;
    }
    if (peek().kind == Tok::Eof || peek().kind == Tok::Dedent)
      return true;
    return fail(here(), "expected end of line, found " + describe(peek()));
  }
  static bool isKeyword(StringRef s) {
    return llvm::StringSwitch<bool>(s)
        .Cases({"and", "or", "not", "if", "else", "elif", "for", "in", "def", "return"}, true)
        .Cases({"pass", "assert", "import", "from", "as", "while", "break", "continue", "lambda"},
               true)
        .Cases({"class", "with", "try", "except", "finally", "raise", "global", "nonlocal",
                "yield", "del"},
               true)
        .Case("is", true)
        .Default(false);
  }

  //===--- Statements ---------------------------------------------------===//

  bool parseBlock(Block &body) {
    DepthGuard guard(*this);
    if (!guard.ok)
      return false;
    if (!expectOp(":"))
      return false;
    if (peek().kind != Tok::Newline) {
      // One-line body: `if x: y = 1`.
      return parseSimpleStatements(body);
    }
    ++i;
    if (peek().kind != Tok::Indent)
      return fail(here(), "expected an indented block");
    ++i;
    while (peek().kind != Tok::Dedent && peek().kind != Tok::Eof) {
      if (peek().kind == Tok::Newline) {
        ++i;
        continue;
      }
      if (!parseStatement(body))
        return false;
    }
    if (peek().kind == Tok::Dedent)
      ++i;
    return true;
  }

  bool parseStatement(Block &out) {
    const Token &t = peek();
    if (t.kind == Tok::Indent)
      return fail(here(), "unexpected indent");
    if (t.kind == Tok::Op && t.text == "@")
      return parseDecorated(out);
    if (t.kind == Tok::Name) {
      if (t.text == "def")
        return parseDef(out, {});
      if (t.text == "for")
        return parseFor(out);
      if (t.text == "if")
        return parseIf(out);
      if (t.text == "while" || t.text == "class" || t.text == "with" || t.text == "try" ||
          t.text == "lambda" || t.text == "global" || t.text == "del" || t.text == "raise" ||
          t.text == "yield")
        return fail(here(), "'" + t.text + "' is not part of the kernel language");
    }
    return parseSimpleStatements(out);
  }

  bool parseSimpleStatements(Block &out) {
    while (true) {
      if (!parseSmall(out))
        return false;
      if (isOp(";")) {
        ++i;
        if (peek().kind == Tok::Newline)
          break;
        continue;
      }
      break;
    }
    return expectNewline();
  }

  bool parseSmall(Block &out) {
    SMLoc loc = here();
    const Token &t = peek();
    if (t.kind == Tok::Name) {
      if (t.text == "pass" || t.text == "break" || t.text == "continue") {
        ++i;
        out.push_back(std::make_unique<Stmt>(t.text == "pass"    ? StmtKind::Pass
                                             : t.text == "break" ? StmtKind::Break
                                                                 : StmtKind::Continue,
                                             loc));
        return true;
      }
      if (t.text == "return") {
        ++i;
        auto s = std::make_unique<Stmt>(StmtKind::Return, loc);
        if (peek().kind != Tok::Newline && !isOp(";") && peek().kind != Tok::Eof) {
          s->a = parseTestList();
          if (!s->a)
            return false;
        }
        out.push_back(std::move(s));
        return true;
      }
      if (t.text == "assert") {
        ++i;
        auto s = std::make_unique<Stmt>(StmtKind::Assert, loc);
        s->a = parseTest();
        if (!s->a)
          return false;
        if (isOp(",")) {
          ++i;
          s->b = parseTest();
          if (!s->b)
            return false;
        }
        out.push_back(std::move(s));
        return true;
      }
      if (t.text == "import")
        return parseImport(out);
      if (t.text == "from")
        return parseFromImport(out);
    }
    ExprPtr first = parseTestList();
    if (!first)
      return false;
    if (isOp("=")) {
      auto s = std::make_unique<Stmt>(StmtKind::Assign, loc);
      s->targets.push_back(std::move(first));
      while (isOp("=")) {
        ++i;
        ExprPtr next = parseTestList();
        if (!next)
          return false;
        s->targets.push_back(std::move(next));
      }
      s->a = std::move(s->targets.back());
      s->targets.pop_back();
      for (auto &target : s->targets)
        if (!checkTarget(*target))
          return false;
      out.push_back(std::move(s));
      return true;
    }
    static const char *augOps[] = {"+=", "-=", "*=", "/=", "//=", "%=", "**=", "@="};
    for (const char *op : augOps)
      if (isOp(op)) {
        ++i;
        auto s = std::make_unique<Stmt>(StmtKind::AugAssign, loc);
        if (first->kind != ExprKind::Name && first->kind != ExprKind::Subscript)
          return fail(first->loc, "augmented assignment needs a name or a subscript");
        s->a = std::move(first);
        s->op = StringRef(op).drop_back().str();
        s->b = parseTest();
        if (!s->b)
          return false;
        out.push_back(std::move(s));
        return true;
      }
    if (isOp(":"))
      return fail(here(), "variable annotations are not part of the kernel language");
    auto s = std::make_unique<Stmt>(StmtKind::Expr, loc);
    s->a = std::move(first);
    out.push_back(std::move(s));
    return true;
  }

  bool checkTarget(const Expr &e) {
    switch (e.kind) {
    case ExprKind::Name:
    case ExprKind::Subscript:
      return true;
    case ExprKind::Tuple:
    case ExprKind::List:
      for (auto &x : e.elts)
        if (!checkTarget(*x))
          return false;
      return true;
    default:
      return fail(e.loc, "cannot assign to this expression");
    }
  }

  bool parseDottedName(std::string &name) {
    if (peek().kind != Tok::Name)
      return fail(here(), "expected a module name");
    name = peek().text.str();
    ++i;
    while (isOp(".")) {
      ++i;
      if (peek().kind != Tok::Name)
        return fail(here(), "expected a module name");
      name += "." + peek().text.str();
      ++i;
    }
    return true;
  }

  bool parseImport(Block &out) {
    SMLoc loc = here();
    ++i; // import
    while (true) {
      auto s = std::make_unique<Stmt>(StmtKind::Import, here());
      if (!parseDottedName(s->name))
        return false;
      if (isName("as")) {
        ++i;
        if (peek().kind != Tok::Name)
          return fail(here(), "expected a name after 'as'");
        s->alias = peek().text.str();
        ++i;
      }
      out.push_back(std::move(s));
      if (!isOp(","))
        break;
      ++i;
    }
    (void)loc;
    return true;
  }

  bool parseFromImport(Block &out) {
    auto s = std::make_unique<Stmt>(StmtKind::Import, here());
    ++i; // from
    if (!parseDottedName(s->name))
      return false;
    if (!isName("import"))
      return fail(here(), "expected 'import'");
    ++i;
    bool paren = isOp("(");
    if (paren)
      ++i;
    while (true) {
      if (peek().kind != Tok::Name)
        return fail(here(), "expected a name to import");
      std::string name = peek().text.str(), alias = name;
      ++i;
      if (isName("as")) {
        ++i;
        if (peek().kind != Tok::Name)
          return fail(here(), "expected a name after 'as'");
        alias = peek().text.str();
        ++i;
      }
      s->imported.push_back({name, alias});
      if (!isOp(","))
        break;
      ++i;
    }
    if (paren && !expectOp(")"))
      return false;
    out.push_back(std::move(s));
    return true;
  }

  bool parseDecorated(Block &out) {
    std::vector<ExprPtr> decorators;
    while (isOp("@")) {
      ++i;
      ExprPtr d = parseTest();
      if (!d)
        return false;
      decorators.push_back(std::move(d));
      if (!expectNewline())
        return false;
    }
    if (!isName("def"))
      return fail(here(), "expected 'def' after a decorator");
    return parseDef(out, std::move(decorators));
  }

  bool parseDef(Block &out, std::vector<ExprPtr> decorators) {
    auto s = std::make_unique<Stmt>(StmtKind::FunctionDef, here());
    ++i; // def
    if (peek().kind != Tok::Name || isKeyword(peek().text))
      return fail(here(), "expected a function name");
    s->name = peek().text.str();
    s->loc = here();
    ++i;
    if (!expectOp("("))
      return false;
    bool sawDefault = false;
    while (!isOp(")")) {
      if (isOp("*"))
        return fail(here(), "'*' parameters are not part of the kernel language");
      if (peek().kind != Tok::Name || isKeyword(peek().text))
        return fail(here(), "expected a parameter name, found " + describe(peek()));
      Param param;
      param.name = peek().text.str();
      param.loc = here();
      ++i;
      if (isOp(":")) {
        ++i;
        param.annotation = parseTest();
        if (!param.annotation)
          return false;
      }
      if (isOp("=")) {
        ++i;
        param.defaultValue = parseTest();
        if (!param.defaultValue)
          return false;
        sawDefault = true;
      } else if (sawDefault) {
        return fail(param.loc, "a parameter without a default follows one with a default");
      }
      for (const Param &p : s->params)
        if (p.name == param.name)
          return fail(param.loc, "duplicate parameter '" + param.name + "'");
      s->params.push_back(std::move(param));
      if (!isOp(","))
        break;
      ++i;
    }
    if (!expectOp(")"))
      return false;
    if (isOp("->")) {
      ++i;
      if (!parseTest())
        return false;
    }
    s->decorators = std::move(decorators);
    if (!parseBlock(s->body))
      return false;
    out.push_back(std::move(s));
    return true;
  }

  bool parseFor(Block &out) {
    auto s = std::make_unique<Stmt>(StmtKind::For, here());
    ++i; // for
    // Target: a name or a tuple of names.
    s->a = parseExprList();
    if (!s->a || !checkTarget(*s->a))
      return false;
    if (!isName("in"))
      return fail(here(), "expected 'in'");
    ++i;
    s->b = parseTestList();
    if (!s->b)
      return false;
    if (!parseBlock(s->body))
      return false;
    if (isName("else"))
      return fail(here(), "'for ... else' is not part of the kernel language");
    out.push_back(std::move(s));
    return true;
  }

  bool parseIf(Block &out) {
    auto s = std::make_unique<Stmt>(StmtKind::If, here());
    ++i; // if / elif
    s->a = parseTest();
    if (!s->a)
      return false;
    if (!parseBlock(s->body))
      return false;
    if (isName("elif")) {
      if (!parseIf(s->orelse))
        return false;
    } else if (isName("else")) {
      ++i;
      if (!parseBlock(s->orelse))
        return false;
    }
    out.push_back(std::move(s));
    return true;
  }

  //===--- Expressions --------------------------------------------------===//

  ExprPtr nullFail(SMLoc loc, const llvm::Twine &msg) {
    fail(loc, msg);
    return nullptr;
  }

  /// test (',' test)* [','] -> a tuple when there is a comma.
  ExprPtr parseTestList() {
    SMLoc loc = here();
    ExprPtr first = parseTest();
    if (!first || !isOp(","))
      return first;
    auto t = std::make_unique<Expr>(ExprKind::Tuple, loc);
    t->elts.push_back(std::move(first));
    while (isOp(",")) {
      ++i;
      if (!startsExpr())
        break;
      ExprPtr e = parseTest();
      if (!e)
        return nullptr;
      t->elts.push_back(std::move(e));
    }
    return t;
  }

  /// A for-loop target: or-expressions separated by commas (no 'in').
  ExprPtr parseExprList() {
    SMLoc loc = here();
    ExprPtr first = parseArith();
    if (!first || !isOp(","))
      return first;
    auto t = std::make_unique<Expr>(ExprKind::Tuple, loc);
    t->elts.push_back(std::move(first));
    while (isOp(",")) {
      ++i;
      if (isName("in"))
        break;
      ExprPtr e = parseArith();
      if (!e)
        return nullptr;
      t->elts.push_back(std::move(e));
    }
    return t;
  }

  bool startsExpr() const {
    const Token &t = peek();
    if (t.kind == Tok::Name)
      return !isKeyword(t.text) || t.text == "not" || t.text == "lambda";
    if (t.kind == Tok::Int || t.kind == Tok::Float || t.kind == Tok::Str)
      return true;
    return t.kind == Tok::Op &&
           (t.text == "(" || t.text == "[" || t.text == "-" || t.text == "+" ||
            t.text == "~" || t.text == "...");
  }

  /// Bounds the recursion of deeply nested input (Python's own limit is
  /// similar), so hostile files cannot overflow the stack.
  struct DepthGuard {
    Parser &p;
    bool ok;
    DepthGuard(Parser &p) : p(p), ok(++p.depth <= kMaxDepth) {
      if (!ok)
        p.fail(p.here(), "expressions or blocks nested deeper than " + llvm::Twine(kMaxDepth));
    }
    ~DepthGuard() { --p.depth; }
  };
  static constexpr int kMaxDepth = 200;

  ExprPtr parseTest() {
    DepthGuard guard(*this);
    if (!guard.ok)
      return nullptr;
    SMLoc loc = here();
    if (isName("lambda"))
      return nullFail(loc, "'lambda' is not part of the kernel language");
    ExprPtr e = parseOr();
    if (!e)
      return nullptr;
    if (isName("if")) {
      ++i;
      auto ie = std::make_unique<Expr>(ExprKind::IfExp, loc);
      ie->b = std::move(e);
      ie->a = parseOr();
      if (!ie->a)
        return nullptr;
      if (!isName("else"))
        return nullFail(here(), "expected 'else' in a conditional expression");
      ++i;
      ie->c = parseTest();
      if (!ie->c)
        return nullptr;
      return ie;
    }
    return e;
  }

  ExprPtr parseOr() {
    SMLoc loc = here();
    ExprPtr e = parseAnd();
    while (e && isName("or")) {
      ++i;
      auto b = std::make_unique<Expr>(ExprKind::BoolOp, loc);
      b->name = "or";
      b->a = std::move(e);
      b->b = parseAnd();
      if (!b->b)
        return nullptr;
      b->height = std::max(b->a->height, b->b->height) + 1;
      if (tooTall(*b))
        return nullptr;
      e = std::move(b);
    }
    return e;
  }

  ExprPtr parseAnd() {
    SMLoc loc = here();
    ExprPtr e = parseNot();
    while (e && isName("and")) {
      ++i;
      auto b = std::make_unique<Expr>(ExprKind::BoolOp, loc);
      b->name = "and";
      b->a = std::move(e);
      b->b = parseNot();
      if (!b->b)
        return nullptr;
      b->height = std::max(b->a->height, b->b->height) + 1;
      if (tooTall(*b))
        return nullptr;
      e = std::move(b);
    }
    return e;
  }

  ExprPtr parseNot() {
    SMLoc loc = here();
    if (isName("not")) {
      ++i;
      auto u = std::make_unique<Expr>(ExprKind::Unary, loc);
      u->name = "not";
      u->a = parseNot();
      if (!u->a)
        return nullptr;
      return u;
    }
    return parseComparison();
  }

  ExprPtr parseComparison() {
    SMLoc loc = here();
    ExprPtr e = parseBitOr();
    if (!e)
      return nullptr;
    auto compOp = [&]() -> std::string {
      for (StringRef op : {"<", ">", "==", "!=", "<=", ">="})
        if (isOp(op))
          return op.str();
      if (isName("in"))
        return "in";
      if (isName("not") && isName("in", 1))
        return "not in";
      if (isName("is"))
        return isName("not", 1) ? "is not" : "is";
      return "";
    };
    std::string op = compOp();
    if (op.empty())
      return e;
    auto c = std::make_unique<Expr>(ExprKind::Compare, loc);
    c->elts.push_back(std::move(e));
    while (!op.empty()) {
      i += (op == "not in" || op == "is not") ? 2 : 1;
      c->ops.push_back(op);
      ExprPtr rhs = parseBitOr();
      if (!rhs)
        return nullptr;
      c->elts.push_back(std::move(rhs));
      op = compOp();
    }
    return c;
  }

  /// Left-nested chains (a + b + c ..., a.b.c ..., f()()...) are parsed by
  /// loops, not recursion; their height is bounded here instead.
  bool tooTall(const Expr &e) {
    if (e.height <= kMaxHeight)
      return false;
    fail(e.loc, "expression too long (more than " + llvm::Twine(kMaxHeight) + " operands)");
    return true;
  }
  static constexpr int kMaxHeight = 1000;

  ExprPtr binary(SMLoc loc, StringRef op, ExprPtr l, ExprPtr r) {
    auto b = std::make_unique<Expr>(ExprKind::Binary, loc);
    b->height = std::max(l->height, r->height) + 1;
    if (tooTall(*b))
      return nullptr;
    b->name = op.str();
    b->a = std::move(l);
    b->b = std::move(r);
    return b;
  }

  ExprPtr parseBitOr() {
    SMLoc loc = here();
    ExprPtr e = parseBitAnd();
    while (e && isOp("|")) {
      ++i;
      ExprPtr r = parseBitAnd();
      if (!r)
        return nullptr;
      e = binary(loc, "|", std::move(e), std::move(r));
    }
    return e;
  }

  ExprPtr parseBitAnd() {
    SMLoc loc = here();
    ExprPtr e = parseArith();
    while (e && isOp("&")) {
      ++i;
      ExprPtr r = parseArith();
      if (!r)
        return nullptr;
      e = binary(loc, "&", std::move(e), std::move(r));
    }
    return e;
  }

  ExprPtr parseArith() {
    SMLoc loc = here();
    ExprPtr e = parseTerm();
    while (e && (isOp("+") || isOp("-"))) {
      std::string op = peek().text.str();
      ++i;
      ExprPtr r = parseTerm();
      if (!r)
        return nullptr;
      e = binary(loc, op, std::move(e), std::move(r));
    }
    return e;
  }

  ExprPtr parseTerm() {
    SMLoc loc = here();
    ExprPtr e = parseFactor();
    while (e && (isOp("*") || isOp("/") || isOp("//") || isOp("%") || isOp("@"))) {
      std::string op = peek().text.str();
      ++i;
      ExprPtr r = parseFactor();
      if (!r)
        return nullptr;
      e = binary(loc, op, std::move(e), std::move(r));
    }
    return e;
  }

  ExprPtr parseFactor() {
    DepthGuard guard(*this);
    if (!guard.ok)
      return nullptr;
    SMLoc loc = here();
    if (isOp("-") || isOp("+") || isOp("~")) {
      std::string op = peek().text.str();
      ++i;
      auto u = std::make_unique<Expr>(ExprKind::Unary, loc);
      u->name = op;
      u->a = parseFactor();
      if (!u->a)
        return nullptr;
      return u;
    }
    return parsePower();
  }

  ExprPtr parsePower() {
    SMLoc loc = here();
    ExprPtr e = parseAtomExpr();
    if (e && isOp("**")) {
      ++i;
      ExprPtr r = parseFactor();
      if (!r)
        return nullptr;
      return binary(loc, "**", std::move(e), std::move(r));
    }
    return e;
  }

  ExprPtr parseAtomExpr() {
    ExprPtr e = parseAtom();
    while (e) {
      if (tooTall(*e))
        return nullptr;
      SMLoc loc = here();
      if (isOp("(")) {
        ++i;
        auto call = std::make_unique<Expr>(ExprKind::Call, e->loc);
        call->a = std::move(e);
        while (!isOp(")")) {
          if (isOp("*") || isOp("**"))
            return nullFail(here(), "'*' and '**' arguments are not part of the kernel language");
          if (peek().kind == Tok::Name && isOp("=", 1) && !isKeyword(peek().text)) {
            Keyword kw;
            kw.name = peek().text.str();
            kw.loc = here();
            i += 2;
            kw.value = parseTest();
            if (!kw.value)
              return nullptr;
            for (const Keyword &k : call->keywords)
              if (k.name == kw.name)
                return nullFail(kw.loc, "keyword argument '" + kw.name + "' given twice");
            call->keywords.push_back(std::move(kw));
          } else {
            if (!call->keywords.empty())
              return nullFail(here(), "positional argument follows keyword argument");
            ExprPtr arg = parseTest();
            if (!arg)
              return nullptr;
            if (isName("for"))
              return nullFail(here(), "comprehensions are not part of the kernel language");
            call->elts.push_back(std::move(arg));
          }
          if (!isOp(","))
            break;
          ++i;
        }
        if (!expectOp(")"))
          return nullptr;
        call->height = call->a->height + 1;
        e = std::move(call);
      } else if (isOp("[")) {
        ++i;
        auto sub = std::make_unique<Expr>(ExprKind::Subscript, loc);
        sub->a = std::move(e);
        sub->b = parseSubscriptList();
        if (!sub->b || !expectOp("]"))
          return nullptr;
        sub->height = sub->a->height + 1;
        e = std::move(sub);
      } else if (isOp(".")) {
        ++i;
        if (peek().kind != Tok::Name)
          return nullFail(here(), "expected an attribute name after '.'");
        auto attr = std::make_unique<Expr>(ExprKind::Attribute, e->loc);
        attr->name = peek().text.str();
        attr->a = std::move(e);
        attr->height = attr->a->height + 1;
        ++i;
        e = std::move(attr);
      } else {
        break;
      }
    }
    return e;
  }

  ExprPtr parseSubscriptList() {
    SMLoc loc = here();
    ExprPtr first = parseSubscript();
    if (!first || !isOp(","))
      return first;
    auto t = std::make_unique<Expr>(ExprKind::Tuple, loc);
    t->elts.push_back(std::move(first));
    while (isOp(",")) {
      ++i;
      if (isOp("]"))
        break;
      ExprPtr e = parseSubscript();
      if (!e)
        return nullptr;
      t->elts.push_back(std::move(e));
    }
    return t;
  }

  ExprPtr parseSubscript() {
    SMLoc loc = here();
    ExprPtr lower;
    if (!isOp(":")) {
      lower = parseTest();
      if (!lower || !isOp(":"))
        return lower;
    }
    ++i; // ':'
    auto s = std::make_unique<Expr>(ExprKind::Slice, loc);
    s->a = std::move(lower);
    if (!isOp(":") && !isOp("]") && !isOp(",")) {
      s->b = parseTest();
      if (!s->b)
        return nullptr;
    }
    if (isOp(":")) {
      ++i;
      if (!isOp("]") && !isOp(",")) {
        s->c = parseTest();
        if (!s->c)
          return nullptr;
      }
    }
    return s;
  }

  /// The pieces of an f-string's text: literal runs and {expression}s
  /// (a `:format` spec or `!conversion` after the expression is ignored).
  bool parseFString(StringRef raw, std::vector<ExprPtr> &pieces) {
    std::string lit;
    auto flush = [&](const char *at) {
      if (lit.empty())
        return;
      auto e = std::make_unique<Expr>(ExprKind::Str, SMLoc::getFromPointer(at));
      e->name = lit;
      pieces.push_back(std::move(e));
      lit.clear();
    };
    for (size_t k = 0; k < raw.size(); ++k) {
      char c = raw[k];
      if ((c == '{' || c == '}') && k + 1 < raw.size() && raw[k + 1] == c) {
        lit += c;
        ++k;
        continue;
      }
      if (c == '}')
        return fail(SMLoc::getFromPointer(raw.data() + k), "single '}' in an f-string");
      if (c != '{') {
        lit += c;
        continue;
      }
      flush(raw.data() + k);
      size_t close = raw.find('}', k);
      if (close == StringRef::npos)
        return fail(SMLoc::getFromPointer(raw.data() + k), "'{' was never closed in an f-string");
      StringRef inner = raw.slice(k + 1, close);
      int nest = 0;
      for (size_t m = 0; m < inner.size(); ++m) {
        char ch = inner[m];
        nest += (ch == '(' || ch == '[') ? 1 : (ch == ')' || ch == ']') ? -1 : 0;
        if (nest == 0 && (ch == ':' || (ch == '!' && m + 1 < inner.size() && inner[m + 1] != '='))) {
          inner = inner.take_front(m);
          break;
        }
      }
      inner = inner.ltrim();
      SyntaxError err;
      std::vector<Token> sub;
      Lexer lexer(inner);
      if (!lexer.run(sub, err))
        return fail(err.loc, err.message);
      Parser parser(std::move(sub));
      parser.depth = depth;
      ExprPtr x = parser.parseTest();
      if (!x || parser.failed)
        return fail(parser.failed ? parser.error.loc : SMLoc::getFromPointer(inner.data()),
                    parser.failed ? parser.error.message : "bad expression in an f-string");
      if (parser.peek().kind != Tok::Newline && parser.peek().kind != Tok::Eof)
        return fail(SMLoc::getFromPointer(parser.peek().pos),
                    "unexpected " + parser.describe(parser.peek()) + " in an f-string");
      pieces.push_back(std::move(x));
      k = close;
    }
    flush(raw.end());
    return true;
  }

  ExprPtr parseAtom() {
    SMLoc loc = here();
    const Token &t = peek();
    switch (t.kind) {
    case Tok::Name: {
      if (t.text == "True" || t.text == "False") {
        ++i;
        auto e = std::make_unique<Expr>(ExprKind::Bool, loc);
        e->intValue = t.text == "True";
        return e;
      }
      if (t.text == "None") {
        ++i;
        return std::make_unique<Expr>(ExprKind::None, loc);
      }
      if (isKeyword(t.text))
        return nullFail(loc, "unexpected keyword '" + t.text + "'");
      ++i;
      auto e = std::make_unique<Expr>(ExprKind::Name, loc);
      e->name = t.text.str();
      return e;
    }
    case Tok::Int: {
      ++i;
      auto e = std::make_unique<Expr>(ExprKind::Int, loc);
      std::string digits;
      for (char c : t.text)
        if (c != '_')
          digits += c;
      errno = 0;
      e->intValue = std::strtoll(digits.c_str(), nullptr, 0);
      if (errno == ERANGE)
        return nullFail(loc, "integer literal out of range");
      return e;
    }
    case Tok::Float: {
      ++i;
      auto e = std::make_unique<Expr>(ExprKind::Float, loc);
      std::string digits;
      for (char c : t.text)
        if (c != '_')
          digits += c;
      e->floatValue = std::strtod(digits.c_str(), nullptr);
      return e;
    }
    case Tok::Str: {
      // Adjacent literals concatenate; f-strings become an FString of
      // literal pieces and parsed {expressions}.
      auto e = std::make_unique<Expr>(ExprKind::FString, loc);
      bool anyF = false;
      while (peek().kind == Tok::Str) {
        const Token &st = peek();
        if (!st.fstring) {
          auto lit = std::make_unique<Expr>(ExprKind::Str, here());
          lit->name = st.str;
          e->elts.push_back(std::move(lit));
        } else {
          anyF = true;
          if (!parseFString(st.raw, e->elts))
            return nullptr;
        }
        ++i;
      }
      if (!anyF) {
        auto lit = std::make_unique<Expr>(ExprKind::Str, loc);
        for (auto &piece : e->elts)
          lit->name += piece->name;
        return lit;
      }
      return e;
    }
    case Tok::Op:
      if (t.text == "...") {
        ++i;
        return std::make_unique<Expr>(ExprKind::Ellipsis, loc);
      }
      if (t.text == "(" || t.text == "[") {
        bool isList = t.text == "[";
        ++i;
        StringRef close = isList ? "]" : ")";
        auto seq = std::make_unique<Expr>(isList ? ExprKind::List : ExprKind::Tuple, loc);
        bool sawComma = false;
        while (!isOp(close)) {
          ExprPtr e = parseTest();
          if (!e)
            return nullptr;
          if (isName("for"))
            return nullFail(here(), "comprehensions are not part of the kernel language");
          seq->elts.push_back(std::move(e));
          if (!isOp(","))
            break;
          sawComma = true;
          ++i;
        }
        if (!expectOp(close))
          return nullptr;
        if (!isList && !sawComma && seq->elts.size() == 1)
          return std::move(seq->elts.front()); // parenthesised expression
        return seq;
      }
      if (t.text == "{")
        return nullFail(loc, "dicts and sets are not part of the kernel language");
      return nullFail(loc, "expected an expression, found " + describe(t));
    default:
      return nullFail(loc, "expected an expression, found " + describe(t));
    }
  }

  std::vector<Token> toks;
  size_t i = 0;
  int depth = 0;
  bool failed = false;
  SyntaxError error;
};

} // namespace

bool trellis::kernel::ast::parseModule(StringRef source, Module &module, SyntaxError &error) {
  std::vector<Token> toks;
  Lexer lexer(source);
  if (!lexer.run(toks, error))
    return false;
  Parser parser(std::move(toks));
  return parser.parseFile(module, error);
}
