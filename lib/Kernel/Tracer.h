//===- Tracer.h - Trace a kernel's syntax tree into tile ops -------------===//
#ifndef TRELLIS_LIB_KERNEL_TRACER_H
#define TRELLIS_LIB_KERNEL_TRACER_H

#include "AST.h"
#include "Values.h"

#include "trellis/Kernel/KernelLang.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/Support/FormatVariadic.h"
#include <map>
#include <optional>
#include <set>

namespace trellis::kernel {

/// Where an op should put its result: `t[...] = op(...)` and `t += op(...)`
/// pass the target so the op writes it directly.
struct Dest {
  std::shared_ptr<TensorVal> dst;
  bool accumulate = false; // `+=`: a matmul accumulates into dst
  bool used = false;       // the op wrote dst (no copy needed)
};

struct CallArgs {
  llvm::SMLoc loc;
  std::vector<Val> pos;
  std::vector<llvm::SMLoc> posLoc;
  std::vector<std::pair<std::string, Val>> kw;
  std::vector<llvm::SMLoc> kwLoc;     // the values
  std::vector<llvm::SMLoc> kwNameLoc; // the keywords
};

/// Arguments bound to a builtin's parameter names.
struct Bound {
  std::vector<std::optional<Val>> v;
  std::vector<llvm::SMLoc> at;
  bool has(size_t i) const { return v[i].has_value() && v[i]->kind != VK::None; }
};

/// Operations with a op b == b op a.
inline bool commutative(isa::AluOp op) {
  using isa::AluOp;
  return op == AluOp::add || op == AluOp::mult || op == AluOp::max || op == AluOp::min ||
         op == AluOp::is_equal || op == AluOp::not_equal || op == AluOp::logical_and ||
         op == AluOp::logical_or || op == AluOp::abs_max;
}

class Tracer {
public:
  Tracer(llvm::SourceMgr &sourceMgr, unsigned bufferId, mlir::MLIRContext &ctx,
         const ArchConfig *arch)
      : sourceMgr(sourceMgr), bufferId(bufferId), ctx(&ctx), b(&ctx), arch(arch) {
    filename = sourceMgr.getMemoryBuffer(bufferId)->getBufferIdentifier().str();
  }

  mlir::OwningOpRef<mlir::ModuleOp> run(const ast::Module &module, const KernelOptions &options);
  mlir::InFlightDiagnostic error(llvm::SMLoc at);

private:
  enum class Flow { Normal, Break, Continue, Return, Error };
  static constexpr int64_t kMaxIterations = 1 << 20;
  static constexpr size_t kMaxCallDepth = 64;
  static constexpr int64_t kMaxOps = 1 << 20;
  /// Loop iterations plus function calls over the whole trace: nested loops
  /// or doubly recursive calls each within their own limit could otherwise
  /// run for ever.
  static constexpr int64_t kMaxSteps = 1 << 20;
  /// Elements of a list, tuple or string the kernel builds.
  static constexpr int64_t kMaxSeqItems = 1 << 20;
  /// Counts one step; false after an error once the budget is spent.
  bool step(llvm::SMLoc at);

  mlir::Location loc(llvm::SMLoc at);

  // Values.
  mlir::Type dtypeNamed(llvm::StringRef name);
  static std::string dtypeName(mlir::Type t);
  static std::string shapeString(llvm::ArrayRef<int64_t> shape);
  std::string describe(const Val &v);
  mlir::FailureOr<bool> truthy(const Val &v, llvm::SMLoc at);
  mlir::FailureOr<int64_t> toInt(const Val &v, llvm::SMLoc at, llvm::StringRef what);
  mlir::FailureOr<double> toFloat(const Val &v, llvm::SMLoc at, llvm::StringRef what);
  mlir::FailureOr<llvm::SmallVector<int64_t>> toShape(const Val &v, llvm::SMLoc at,
                                                      llvm::StringRef what);
  mlir::FailureOr<std::shared_ptr<TensorVal>> toTensor(const Val &v, llvm::SMLoc at,
                                                       llvm::StringRef what);
  Val *lookup(llvm::StringRef name);
  void bindName(llvm::StringRef name, Val v);
  void installGlobals();
  mlir::FailureOr<Val> moduleAttr(llvm::StringRef module, llvm::StringRef name, llvm::SMLoc at);

  // Statements and expressions (KernelGen.cpp).
  Flow execBlock(const ast::Block &block);
  Flow exec(const ast::Stmt &s);
  Flow execFor(const ast::Stmt &s);
  Flow execAugAssign(const ast::Stmt &s);
  bool execImport(const ast::Stmt &s);
  mlir::LogicalResult assign(const ast::Expr &target, const Val &v);
  mlir::FailureOr<Val> evalSubscriptTarget(const ast::Expr &target);
  mlir::LogicalResult storeInto(TensorVal &dst, const Val &v, llvm::SMLoc at);
  mlir::FailureOr<Val> eval(const ast::Expr &e, Dest *dest = nullptr);
  mlir::FailureOr<Val> evalCall(const ast::Expr &e, Dest *dest);
  mlir::FailureOr<Val> callFunction(const ast::Stmt &def, CallArgs &args);
  mlir::FailureOr<Val> compare(llvm::StringRef op, const Val &l, const Val &r, llvm::SMLoc at,
                               Dest *dest);
  mlir::FailureOr<Val> binaryOperator(llvm::StringRef op, const Val &l, const Val &r,
                                      llvm::SMLoc at, Dest *dest);
  mlir::FailureOr<Val> subscript(const Val &base, const Val &idx, llvm::SMLoc at);
  mlir::FailureOr<Val> indexTensor(const TensorVal &t, const Val &idx, llvm::SMLoc at);
  mlir::FailureOr<Val> attribute(const Val &base, llvm::StringRef name, llvm::SMLoc at);
  mlir::FailureOr<std::pair<llvm::SmallVector<int64_t>, mlir::Type>>
  parseAnnotation(const ast::Expr &e);

  // Builtins (Builtins.cpp).
  mlir::LogicalResult bind(const CallArgs &args, llvm::StringRef fname,
                           llvm::ArrayRef<llvm::StringRef> params, size_t required, Bound &out);
  mlir::FailureOr<Val> callBuiltin(const Val &fn, CallArgs &args, Dest *dest);
  mlir::FailureOr<Val> callLanguage(llvm::StringRef name, CallArgs &args, Dest *dest);
  mlir::FailureOr<Val> callIsa(llvm::StringRef name, CallArgs &args, Dest *dest);
  mlir::FailureOr<Val> callPython(llvm::StringRef name, CallArgs &args);
  mlir::FailureOr<Val> unaryActivation(isa::ActFunc func, const Val &x, double scale,
                                       llvm::SMLoc at, Dest *dest,
                                       std::optional<mlir::Type> dtype = std::nullopt);
  mlir::FailureOr<Val> binaryAlu(isa::AluOp op, const Val &l, const Val &r,
                                 std::optional<mlir::Type> dtype,
                                 std::optional<isa::EngineKind> engine, llvm::SMLoc at,
                                 Dest *dest);
  mlir::FailureOr<Val> reduce(isa::AluOp op, const Val &x, const Val &axis, bool negate,
                              std::optional<mlir::Type> dtype,
                              std::optional<isa::EngineKind> engine, llvm::SMLoc at, Dest *dest,
                              llvm::SMLoc axisAt);
  mlir::FailureOr<Val> matmul(TensorVal &stationary, TensorVal &moving, llvm::SMLoc at,
                              Dest *dest, bool explicitDst);
  mlir::FailureOr<Val> transposePE(TensorVal &x, llvm::SMLoc at, Dest *dest);
  mlir::FailureOr<Val> reshape(const TensorVal &t, const Val &shape, llvm::SMLoc at);
  mlir::FailureOr<Val> broadcastPartitions(const TensorVal &row, int64_t parts, llvm::SMLoc at);
  mlir::FailureOr<Val> broadcastTo(const TensorVal &t, llvm::ArrayRef<int64_t> shape,
                                   llvm::SMLoc at);

  // Buffers and op emission (Builtins.cpp).
  mlir::FailureOr<std::shared_ptr<TensorVal>> alloc(llvm::ArrayRef<int64_t> shape,
                                                    mlir::Type elem, isa::Space space,
                                                    llvm::SMLoc at);
  mlir::FailureOr<std::shared_ptr<TensorVal>> result(llvm::ArrayRef<int64_t> shape,
                                                     mlir::Type elem, Dest *dest,
                                                     llvm::SMLoc at);
  mlir::FailureOr<trellis::tile::ViewAttr>
  view(const TensorVal &t, llvm::SMLoc at, llvm::StringRef what,
       std::optional<std::pair<int64_t, int64_t>> inner = std::nullopt);
  mlir::LogicalResult requireOnChip(const TensorVal &t, llvm::SMLoc at, llvm::StringRef what,
                                    bool allowPsum = true);
  mlir::LogicalResult sameShape(const TensorVal &a, llvm::StringRef an, const TensorVal &b,
                                llvm::StringRef bn, llvm::SMLoc at);
  mlir::LogicalResult finish(mlir::Operation *op, llvm::ArrayRef<mlir::Value> reads,
                             llvm::ArrayRef<mlir::Value> writes);
  mlir::LogicalResult emitLoad(TensorVal &dst, const TensorVal &src, llvm::SMLoc at);
  mlir::LogicalResult emitStore(TensorVal &dst, const TensorVal &src, llvm::SMLoc at);
  mlir::LogicalResult emitCopy(TensorVal &dst, const TensorVal &src,
                               std::optional<isa::EngineKind> engine, llvm::SMLoc at);
  mlir::LogicalResult emitMemset(TensorVal &dst, double value,
                                 std::optional<isa::EngineKind> engine, llvm::SMLoc at);
  mlir::LogicalResult emitActivation(isa::ActFunc func, TensorVal &dst, const TensorVal &src,
                                     const TensorVal *bias, double scale,
                                     const TensorVal *accum, llvm::SMLoc at);
  mlir::LogicalResult emitTensorTensor(isa::AluOp op, TensorVal &dst, const TensorVal &a,
                                       const TensorVal &b, std::optional<isa::EngineKind> engine,
                                       llvm::SMLoc at);
  mlir::LogicalResult emitTensorScalar(TensorVal &dst, const TensorVal &src, isa::AluOp op0,
                                       double imm0, isa::AluOp op1, double imm1,
                                       std::optional<isa::EngineKind> engine, llvm::SMLoc at);
  std::shared_ptr<TensorVal> identity(mlir::Type elem, llvm::SMLoc at);
  trellis::tile::EngineKindAttr engineAttr(std::optional<isa::EngineKind> e);

  llvm::SourceMgr &sourceMgr;
  unsigned bufferId;
  mlir::MLIRContext *ctx;
  mlir::OpBuilder b;
  const ArchConfig *arch;
  std::string filename;
  bool hadError = false;

  std::map<std::string, Val> globals;
  std::vector<std::map<std::string, Val>> frames;
  int loopDepth = 0;
  Val returnValue;
  llvm::SMLoc returnLoc;
  int64_t opCount = 0;
  int64_t steps = 0;

  /// PSUM accumulation groups: the view the last matmul wrote, per buffer,
  /// while nothing else has touched that buffer.
  std::map<const void *, mlir::Attribute> openGroup;
  /// Memsets of whole PSUM buffers to zero that nothing has touched since.
  std::map<const void *, mlir::Operation *> pendingZero;
  struct ParamUse {
    bool read = false, written = false;
  };
  std::map<const void *, ParamUse> paramUse;
  std::map<mlir::Type, std::shared_ptr<TensorVal>, bool (*)(mlir::Type, mlir::Type)> identities{
      [](mlir::Type a, mlir::Type b) { return a.getAsOpaquePointer() < b.getAsOpaquePointer(); }};
};

} // namespace trellis::kernel

#endif
