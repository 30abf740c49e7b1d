//===- Values.h - Compile-time values of the kernel tracer ---------------===//
//
// Everything a kernel computes is known at compile time except the contents
// of tiles: integers, floats, tuples, dtypes, modules, functions, and tensor
// *views* (a buffer plus an offset and a (size, stride) per dimension).
//
//===----------------------------------------------------------------------===//
#ifndef TRELLIS_LIB_KERNEL_VALUES_H
#define TRELLIS_LIB_KERNEL_VALUES_H

#include "AST.h"

#include "trellis/Dialect/Tile.h"

#include "mlir/IR/Value.h"
#include "llvm/ADT/SmallVector.h"
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace trellis::kernel {

/// A view of a buffer. On chip, dimension 0 is the partition axis (its
/// stride counts partitions, from partStart); the other strides count
/// elements within a partition, from `offset`. In HBM every stride counts
/// elements from `offset`.
struct TensorVal {
  mlir::Value buffer;
  isa::Space space = isa::Space::sbuf;
  mlir::Type elem;
  int64_t partStart = 0, offset = 0;
  llvm::SmallVector<int64_t> sizes, strides;
  std::string name;
  bool onChip() const { return space != isa::Space::hbm; }
  int64_t rank() const { return sizes.size(); }
  int64_t freeElements() const {
    int64_t n = 1;
    for (size_t i = 1; i < sizes.size(); ++i) // all but the partition dimension
      n *= sizes[i];
    return n;
  }
  int64_t partitions() const { return sizes.empty() ? 1 : sizes[0]; }
};

enum class VK {
  None, Bool, Int, Float, Str, Tuple, List, DType, Buffer, Module, Builtin, Function, Tensor,
  Slice, Range, Engine,
  Index // nl.arange(n) (+ affine arithmetic): start i, size j, step k
};

struct Val;

/// Python's len(range(i, j, k)) for k != 0, computed without overflow and
/// saturated at INT64_MAX.
inline int64_t rangeLength(int64_t i, int64_t j, int64_t k) {
  __int128 n = k > 0 ? (__int128(j) - i + k - 1) / k : (__int128(i) - j - k - 1) / -__int128(k);
  return n <= 0 ? 0 : n > INT64_MAX ? INT64_MAX : int64_t(n);
}
using ValList = std::vector<Val>;

struct Val {
  VK kind = VK::None;
  int64_t i = 0;     // Int, Bool; Slice: start; Range: start
  int64_t j = 0;     // Slice: size; Range: stop
  int64_t k = 1;     // Range: step
  double f = 0;      // Float
  std::string s;     // Str; Module path; Builtin name
  std::shared_ptr<ValList> items; // Tuple, List
  mlir::Type type;   // DType
  isa::Space space = isa::Space::sbuf; // Buffer
  std::shared_ptr<TensorVal> t;        // Tensor
  const ast::Stmt *func = nullptr;     // Function
  isa::EngineKind engine = isa::EngineKind::dve; bool engineAuto = true; // Engine
  std::shared_ptr<Val> self;           // bound method receiver

  static Val none() { return Val(); }
  static Val integer(int64_t v) { Val x; x.kind = VK::Int; x.i = v; return x; }
  static Val boolean(bool v) { Val x; x.kind = VK::Bool; x.i = v; return x; }
  static Val real(double v) { Val x; x.kind = VK::Float; x.f = v; return x; }
  static Val str(std::string v) { Val x; x.kind = VK::Str; x.s = std::move(v); return x; }
  static Val module(std::string path) { Val x; x.kind = VK::Module; x.s = std::move(path); return x; }
  static Val builtin(std::string name) { Val x; x.kind = VK::Builtin; x.s = std::move(name); return x; }
  static Val tensor(std::shared_ptr<TensorVal> t) { Val x; x.kind = VK::Tensor; x.t = std::move(t); return x; }
  static Val dtype(mlir::Type t) { Val x; x.kind = VK::DType; x.type = t; return x; }
  static Val sequence(VK kind, ValList v) {
    Val x; x.kind = kind; x.items = std::make_shared<ValList>(std::move(v)); return x;
  }
  bool isNumber() const { return kind == VK::Int || kind == VK::Bool || kind == VK::Float; }
  double number() const { return kind == VK::Float ? f : double(i); }
  bool isSeq() const { return kind == VK::Tuple || kind == VK::List; }
};

/// The Python-ish name of a value's kind, for messages.
const char *kindName(VK kind);

} // namespace trellis::kernel

#endif
