//===- Lowering.h - Shared machinery of --convert-graph-to-tile -*- C++ -*-===//
//
// Private to the graph-to-tile conversion. GraphToTile.cpp walks a function
// and keeps every graph value's HBM buffer; each op family lives in its own
// Lower*.cpp and registers one OpLowering per graph op in the LoweringTable.
// The tile-emitting building blocks every family uses (the blocked PE
// matmul, the element-wise tile walk) live on GraphLowering.
//
//===----------------------------------------------------------------------===//

#ifndef TRELLIS_LIB_CONVERSION_GRAPHTOTILE_LOWERING_H
#define TRELLIS_LIB_CONVERSION_GRAPHTOTILE_LOWERING_H

#include "trellis/Conversion/Tiling.h"
#include "trellis/Dialect/Graph.h"
#include "trellis/Dialect/Isa.h"
#include "trellis/Dialect/Tile.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <functional>

namespace trellis::lowering {

using mlir::ArrayRef;
using mlir::Location;
using mlir::LogicalResult;
using mlir::SmallVector;
using mlir::Type;
using mlir::Value;

using tiling::kMovingMax;
using tiling::kPartitions;
constexpr int64_t kFreeChunk = 2048; // element-wise tile width per partition

/// A strided view of an HBM buffer as an N-D array: element (i0, ..) lives at
/// offset + sum(i_d * strides[d]) (elements). Broadcast dims have stride 0.
struct Strided {
  Value buffer;
  int64_t offset = 0;
  SmallVector<int64_t> strides;
};

SmallVector<int64_t> rowMajorStrides(ArrayRef<int64_t> shape);

/// `buffer` (of shape `from`) broadcast to `to`, numpy style.
Strided broadcastTo(Value buffer, ArrayRef<int64_t> from, ArrayRef<int64_t> to);

/// Location of a tile op: the graph op's location, tagged with its name, so
/// that the artifact's debug table can name graph op and ONNX node.
Location tagLoc(mlir::Operation *op);

/// A weight compressed to an N:M pattern (docs/sparsity.md): HBM buffers
/// values [K / group * keep, N] and tags [K / group * keep, ceil(N / 4)] i16.
/// emitLinear then contracts 128 compressed rows (128 * group / keep
/// original rows) per tile.sparse_matmul; `w` is ignored.
struct SparseWeight {
  Value values, tags;
  int64_t keep = 0, group = 0;
};

class GraphLowering {
public:
  explicit GraphLowering(mlir::OpBuilder &b) : b(b) {}

  mlir::OpBuilder &b;

  //===--------------------------------------------------------------------===//
  // Graph values and their HBM buffers
  //===--------------------------------------------------------------------===//

  static ArrayRef<int64_t> shapeOf(Value tensor) {
    return mlir::cast<mlir::RankedTensorType>(tensor.getType()).getShape();
  }
  static Type eltOf(Value tensor) {
    return mlir::cast<mlir::RankedTensorType>(tensor.getType()).getElementType();
  }
  /// The HBM buffer holding a graph value (null before it is computed).
  Value buffer(Value tensor) const { return buffers.lookup(tensor); }
  void setBuffer(Value tensor, Value buffer) { buffers[tensor] = buffer; }
  /// Points every value held in `from` (a value and its reshapes) at `to`.
  void replaceBuffer(Value from, Value to) {
    for (auto &entry : buffers)
      if (entry.second == from)
        entry.second = to;
  }
  /// A graph value's buffer viewed row-major.
  Strided rowMajor(Value tensor) const {
    return Strided{buffer(tensor), 0, rowMajorStrides(shapeOf(tensor))};
  }
  /// A graph value's buffer as it is laid out: row-major, unless the value
  /// is a transpose folded into the attention ops that read it, or an
  /// attention result written straight into its transpose's buffer (then
  /// only those ops see it; see LowerAttention.cpp).
  Strided layoutOf(Value tensor) const {
    auto it = layouts.find(tensor);
    return it == layouts.end() ? rowMajor(tensor) : Strided{buffer(tensor), 0, it->second};
  }
  void setLayout(Value tensor, Value buffer, SmallVector<int64_t> strides) {
    setBuffer(tensor, buffer);
    layouts[tensor] = std::move(strides);
  }
  /// A sum a + b that is never stored: its only reader (a layer norm)
  /// loads a and b and adds them itself (foldsIntoLayerNorm).
  void deferSum(Value sum, Value a, Value b) { deferredSums[sum] = {a, b}; }
  std::optional<std::pair<Value, Value>> deferredSum(Value v) const {
    auto it = deferredSums.find(v);
    return it == deferredSums.end() ? std::nullopt
                                    : std::optional<std::pair<Value, Value>>(it->second);
  }
  /// Whether a value is available to its readers: in HBM, or deferred.
  bool available(Value v) const { return buffer(v) || deferredSums.count(v); }
  //===--------------------------------------------------------------------===//
  // Operands kept on chip across ops
  //===--------------------------------------------------------------------===//

  /// x^T of the [M, K] view `x`, in SBUF as tiles [kt, M] (tile i holds
  /// columns [128 i, 128 i + kt) of x), if an earlier op loaded or produced
  /// them; empty otherwise. Allocation by liveness keeps the tiles until
  /// their last reader, so a later linear reading the same view (q, k and v
  /// of one x; the second linear of an MLP) loads nothing.
  ArrayRef<Value> transposedOnChip(const Strided &x, int64_t M, int64_t K) const;
  void keepTransposedOnChip(const Strided &x, int64_t M, int64_t K, ArrayRef<Value> tiles);
  /// The rows of the [M, N] row-major HBM buffer `buffer` in SBUF, if the
  /// op that stored it kept them: tile i holds rows [128 i, 128 i + mt) as
  /// [mt, N]. A reader that walks the value by rows (a layer norm) takes
  /// them instead of loading the rows back. Empty otherwise.
  ArrayRef<Value> rowsOnChip(Value buffer, int64_t M, int64_t N) const;
  void keepRowsOnChip(Value buffer, int64_t M, int64_t N, ArrayRef<Value> tiles);
  /// Keeps x^T of the [M, K] view `x` on chip, made from its rows already
  /// in SBUF: rowTiles[i] holds rows [128 i, 128 i + mt) as [mt, K], of a
  /// 16-bit float type. The PE transposes 128 x 128 blocks (products with
  /// the identity, exact) into PSUM, four row blocks to a bank, and ACT
  /// and DVE in turn copy each bank into the x^T tile.
  void keepRowsTransposed(Location loc, const Strided &x, ArrayRef<Value> rowTiles, int64_t M,
                          int64_t K);
  /// The [n, n] identity in `elt` in SBUF (loaded once per function), the
  /// moving operand of PE transposes of up to n rows.
  Value identity(Location loc, Type elt, int64_t n);
  /// Whether a linear's [M, N] result can live in SBUF only, as the x^T
  /// tiles of its readers: each reads it as the x of a dense row-form linear
  /// (tiling::linearInRows), and it is not a function result.
  bool readOnlyAsRowLinearX(Value result) const;
  /// Whether a layer norm reads `result` by rows: as its input, or through
  /// the residual add it folds in (foldsIntoLayerNorm).
  static bool readByLayerNorm(Value result);
  /// Marks an HBM buffer that is never written: its value lives on chip.
  /// The conversion checks that nothing reads it and erases it.
  void markOnChipOnly(Value buffer) { onChipOnly.push_back(buffer); }
  ArrayRef<Value> onChipOnlyBuffers() const { return onChipOnly; }

  /// Allocates the HBM buffer of an op result and returns it row-major.
  Strided defineResult(Location loc, Value result);
  /// Fails, with an error at `op`, unless `value` is f32, bf16 or f16.
  LogicalResult requireFloat(mlir::Operation *op, Value value);
  /// Fails, with an error at `op`, unless `value`'s element type has an ISA
  /// storage type (floats, i8/i16/i32/i64, ui8/ui32, i1 as u8).
  LogicalResult requireMachineType(mlir::Operation *op, Value value);

  //===--------------------------------------------------------------------===//
  // Tile-op building blocks
  //===--------------------------------------------------------------------===//

  mlir::MemRefType hbmType(ArrayRef<int64_t> shape, Type elt) {
    return tile::getBufferType(shape, elt, isa::Space::hbm);
  }
  Value alloc(Location loc, ArrayRef<int64_t> shape, Type elt, isa::Space space) {
    return tile::AllocOp::create(b, loc, tile::getBufferType(shape, elt, space));
  }
  tile::ViewAttr view(int64_t p0, int64_t np, int64_t ps, int64_t off, ArrayRef<int64_t> sizes,
                      ArrayRef<int64_t> strides) {
    return tile::ViewAttr::get(b.getContext(), p0, np, ps, off, sizes, strides);
  }
  tile::AluOpAttr alu(isa::AluOp op) { return tile::AluOpAttr::get(b.getContext(), op); }
  tile::ActFuncAttr actFunc(isa::ActFunc f) { return tile::ActFuncAttr::get(b.getContext(), f); }
  /// The activation-engine function of a fused graph activation.
  static isa::ActFunc actFuncOf(graph::Activation act) {
    switch (act) {
    case graph::Activation::relu:
      return isa::ActFunc::relu;
    case graph::Activation::gelu:
      return isa::ActFunc::gelu;
    case graph::Activation::gelu_tanh:
      return isa::ActFunc::gelu_tanh;
    case graph::Activation::none:
      break;
    }
    return isa::ActFunc::identity;
  }
  /// A whole [np, n] on-chip tile, contiguous per partition.
  tile::ViewAttr full(int64_t np, int64_t n) { return view(0, np, 0, 0, {n}, {1}); }

  /// y[M,N] = act(alpha * x[M,K] @ w[K,N] + beta * bias) with all operands
  /// given as strided 2-D views of HBM buffers. `bias` may be null. Weight
  /// stationary: w tiles [128 x 128] sit in the PE array, x^T tiles stream
  /// through, K accumulates in PSUM, bias and activation ride on the
  /// PSUM-evicting activation instruction.
  /// With `yOnChip` (dense, M <= 512) y is not stored: its y^T tiles stay
  /// in SBUF for readers that find them through transposedOnChip. With
  /// `rowBlocksFirst` a row-form product whose whole w fits on chip walks
  /// y's row blocks outermost, for a reader that walks y by rows.
  void emitLinear(Location loc, Strided x, Strided w, Strided *bias, Strided y, int64_t M,
                  int64_t K, int64_t N, float alpha, float beta, graph::Activation act, Type elt,
                  const struct SparseWeight *sparse = nullptr, bool yOnChip = false,
                  bool rowBlocksFirst = false);
  /// emitLinear's dense row form (tiling::linearInRows, alpha = beta = 1):
  /// x^T tiles [128 K, 128 M] stationary, w tiles [128 K, 512 N] streaming,
  /// y rows in PSUM; a bias is added on the vector engine in fp32 before
  /// the activation, and y rows are stored contiguously.
  void emitLinearRows(Location loc, Strided x, Strided w, Strided *bias, Strided y, int64_t M,
                      int64_t K, int64_t N, graph::Activation act, Type elt,
                      bool rowBlocksFirst);

  /// emitLinear with `yOnChip` when all of w fits on chip and the bias (if
  /// any) varies only along N: w stays resident and y^T is computed 128
  /// rows of M at a time, so that a reader of y's first rows (the next
  /// linear's first row block) can start while the rest is computed.
  void emitLinearTransposedOnChip(Location loc, Strided x, Strided w, Strided *bias, Strided y,
                                  int64_t M, int64_t K, int64_t N, float alpha,
                                  graph::Activation act, Type elt);

  /// x^T of the [M, K] view `x` as tiles [kt, M], K on the partitions: the
  /// tiles another op left on chip, or one transposing DMA per K tile
  /// (then kept for later readers).
  SmallVector<Value> loadTransposed(Location loc, const Strided &x, int64_t M, int64_t K);
  /// The K tiles of w[:, n0:n0+nt] ([kt, nt], K on the partitions), full
  /// 128-row tiles coalesced into DMAs of kEfficientDmaBytes a partition
  /// ([128, chunk, nt]): each as its tile and view.
  SmallVector<std::pair<Value, tile::ViewAttr>> loadWeightColumns(Location loc, const Strided &w,
                                                                  int64_t K, int64_t n0,
                                                                  int64_t nt);

  /// How an element-wise op produces one tile from its loaded inputs.
  using TileBody =
      llvm::function_ref<void(Value dst, ArrayRef<Value> srcs, int64_t np, int64_t n)>;

  /// Walks `shape` in tiles, loads every input through its strided view into
  /// a tile of the input's own element type, runs `body` and stores the
  /// result (a tile of `elt`). Unit dims are dropped and dims every view
  /// walks contiguously merged; the partition axis is then the axis (or a
  /// <= 128 divisor split off one) that gives the fewest, fullest tiles, so
  /// an N = 1 NCHW tensor still fills the 128 partitions. Tiles hold up to
  /// kFreeChunk elements per partition on up to four free axes.
  /// Without a body there is one input, whose tile is stored as loaded: a
  /// layout move on the DMA queues alone.
  void emitElementwise(Location loc, ArrayRef<int64_t> shape, ArrayRef<Strided> inputs,
                       Strided out, Type elt, TileBody body);

  /// dst = func(scale * src) on the activation engine, whole [np, n] tiles.
  void emitActivation(Location loc, isa::ActFunc func, Value dst, Value src, int64_t np,
                      int64_t n, float scale = 1.0f);
  /// dst = (src op0 imm0) op1 imm1 on the vector engine.
  void emitTensorScalar(Location loc, isa::AluOp op0, float imm0, isa::AluOp op1, float imm1,
                        Value dst, Value src, int64_t np, int64_t n);
  /// dst = lhs op rhs on the vector engine, whole [np, n] tiles.
  void emitTensorTensor(Location loc, isa::AluOp op, Value dst, Value lhs, Value rhs, int64_t np,
                        int64_t n);
  /// Copies `src` (any strided view) into `out` through SBUF: layout moves.
  void emitCopy(Location loc, ArrayRef<int64_t> shape, Strided src, Strided out, Type elt);

private:
  llvm::DenseMap<Value, Value> buffers;
  llvm::DenseMap<Value, SmallVector<int64_t>> layouts; // non-row-major values
  llvm::DenseMap<Value, std::pair<Value, Value>> deferredSums;
  struct TransposedTiles {
    Strided view;
    int64_t M, K;
    SmallVector<Value> tiles;
  };
  llvm::DenseMap<Value, SmallVector<TransposedTiles, 1>> transposed; // by HBM buffer
  struct RowTiles {
    int64_t M, N;
    SmallVector<Value> tiles;
  };
  llvm::DenseMap<Value, RowTiles> rows; // by HBM buffer
  SmallVector<Value> onChipOnly;
  llvm::DenseMap<std::pair<Type, int64_t>, Value> identities;
};

/// softmax (or log-softmax) over `axes` of the row-major HBM buffer `in`
/// of `shape` into `out`, which may have a narrower float type (the
/// result is rounded on the final write). Errors are reported at `op`.
LogicalResult emitSoftmax(GraphLowering &L, mlir::Operation *op, Location loc, Value in,
                          Value out, ArrayRef<int64_t> shape, ArrayRef<int64_t> axes, bool log);

/// Whether an add is read only as a layer norm's input, without
/// broadcasting or a change of element type (a post-norm residual): the
/// layer norm then adds the operands itself and the sum never reaches HBM.
bool foldsIntoLayerNorm(graph::AddOp op);

/// Whether a transpose is read only as graph.attention's q, k or v: it then
/// moves nothing, and the attention reads its input through the permuted
/// strides (GraphLowering::layoutOf).
bool foldsIntoAttention(graph::TransposeOp op);

/// If `result` is read by a float-to-float graph.cast (under auto-cast, a
/// relu output that a skip connection reads in f32 and the next product in
/// bf16), defines that cast's result buffer and returns it: the producer
/// writes the converted copy from the same on-chip tiles, and the cast
/// moves nothing (lowerCast sees its buffer defined). Null otherwise.
Value defineCastOfResult(GraphLowering &L, Location loc, Value result);

/// Emits the tile ops computing one graph op's results (after
/// GraphLowering::defineResult) from its operands' buffers. On failure it
/// has reported why at the op.
using OpLowering = std::function<LogicalResult(mlir::Operation *, GraphLowering &)>;
using LoweringTable = llvm::DenseMap<mlir::TypeID, OpLowering>;

/// Registers `fn` as the lowering of graph op OpT.
template <typename OpT>
void addLowering(LoweringTable &table, std::function<LogicalResult(OpT, GraphLowering &)> fn) {
  table[mlir::TypeID::get<OpT>()] = [fn](mlir::Operation *op, GraphLowering &L) {
    return fn(mlir::cast<OpT>(op), L);
  };
}

// One registration function per op family (Lower<Family>.cpp).
void registerLinearLowerings(LoweringTable &table);
void registerElementwiseLowerings(LoweringTable &table);
void registerShapeLowerings(LoweringTable &table);
void registerConvLowerings(LoweringTable &table);
void registerNormLowerings(LoweringTable &table);
void registerKernelLowerings(LoweringTable &table);
void registerAttentionLowerings(LoweringTable &table);

} // namespace trellis::lowering

#endif // TRELLIS_LIB_CONVERSION_GRAPHTOTILE_LOWERING_H
