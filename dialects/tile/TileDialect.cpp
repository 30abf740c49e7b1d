//===- TileDialect.cpp - tile dialect: views, buffers, verifiers ----------===//
//
// Verifiers enforce the NKI tile rules: at most 128 partitions, a PSUM buffer
// within one 2 KiB bank per partition, matmul operand limits (K, M <= 128,
// N <= 512), operand memories per op, and views inside their buffers.
//
//===----------------------------------------------------------------------===//

#include "trellis/Dialect/Tile.h"
#include "trellis/Dialect/Isa.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace trellis;
using namespace trellis::tile;

#include "tile/TileDialect.cpp.inc"
#define GET_ATTRDEF_CLASSES
#include "tile/TileAttrs.cpp.inc"

void TileDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "tile/TileAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "tile/TileOps.cpp.inc"
      >();
}

isa::Space trellis::tile::getMemorySpace(MemRefType type) {
  if (auto space = dyn_cast_or_null<SpaceAttr>(type.getMemorySpace()))
    return space.getValue();
  return isa::Space::hbm;
}
isa::Space trellis::tile::getMemorySpace(Value buffer) {
  return getMemorySpace(cast<MemRefType>(buffer.getType()));
}
MemRefType trellis::tile::getBufferType(ArrayRef<int64_t> shape, Type elementType,
                                        isa::Space space) {
  return MemRefType::get(shape, elementType, MemRefLayoutAttrInterface(),
                         SpaceAttr::get(elementType.getContext(), space));
}
int64_t trellis::tile::getPartitionElements(MemRefType type) {
  if (getMemorySpace(type) == isa::Space::hbm)
    return type.getNumElements();
  int64_t n = 1;
  for (int64_t d : type.getShape().drop_front())
    n *= d;
  return n;
}

//===----------------------------------------------------------------------===//
// #tile.view<[P0+NP (x PS)] +OFF [[size,stride],...]>
//===----------------------------------------------------------------------===//

int64_t ViewAttr::getFreeElements() const {
  int64_t n = 1;
  for (int64_t s : getSizes())
    n *= s;
  return n;
}

Attribute ViewAttr::parse(AsmParser &parser, Type) {
  int64_t p0 = 0, np = 0, ps = 0, off = 0;
  SmallVector<int64_t> sizes, strides;
  if (parser.parseLess() || parser.parseLSquare() || parser.parseInteger(p0) ||
      parser.parsePlus() || parser.parseInteger(np))
    return {};
  if (succeeded(parser.parseOptionalKeyword("x")) && parser.parseInteger(ps))
    return {};
  if (parser.parseRSquare() || parser.parsePlus() || parser.parseInteger(off) ||
      isa::parseFreeAxes(parser, sizes, strides) || parser.parseGreater())
    return {};
  return getChecked([&] { return parser.emitError(parser.getNameLoc()); }, parser.getContext(),
                    p0, np, ps, off, sizes, strides);
}

void ViewAttr::print(AsmPrinter &printer) const {
  printer << "<[" << getPartStart() << "+" << getPartCount();
  if (getPartStride() != 0)
    printer << " x " << getPartStride();
  printer << "] +" << getOffset() << " ";
  isa::printFreeAxes(printer, getSizes(), getStrides());
  printer << ">";
}

LogicalResult ViewAttr::verify(function_ref<InFlightDiagnostic()> emitError, int64_t partStart,
                               int64_t partCount, int64_t, int64_t offset,
                               ArrayRef<int64_t> sizes, ArrayRef<int64_t> strides) {
  if (sizes.size() != strides.size())
    return emitError() << "view has " << sizes.size() << " sizes but " << strides.size()
                       << " strides";
  if (sizes.empty() || sizes.size() > 4)
    return emitError() << "view needs 1 to 4 free axes, got " << sizes.size();
  for (int64_t s : sizes)
    if (s <= 0)
      return emitError() << "free-axis size " << s << " is not positive";
  if (partCount <= 0 || partStart < 0 || offset < 0)
    return emitError() << "view needs a positive partition count and non-negative start and offset";
  return success();
}

//===----------------------------------------------------------------------===//
// Verifiers
//===----------------------------------------------------------------------===//

static constexpr int64_t kMaxPartitions = 128;
static constexpr int64_t kPsumBankBytes = 2048;

static int64_t elementBytes(Type t) { return std::max<int64_t>(1, t.getIntOrFloatBitWidth() / 8); }

/// Checks that `view` lies inside `buffer` and, on chip, within 128 partitions.
static LogicalResult verifyOperand(Operation *op, StringRef name, Value buffer, ViewAttr view) {
  auto type = cast<MemRefType>(buffer.getType());
  if (!type.hasStaticShape() || !type.getLayout().isIdentity())
    return op->emitOpError() << name << " must be a statically shaped, identity-layout buffer";
  int64_t lastFree = view.getOffset();
  for (auto [size, stride] : llvm::zip(view.getSizes(), view.getStrides())) {
    if (stride < 0)
      return op->emitOpError() << name << " view has a negative stride";
    lastFree += (size - 1) * stride;
  }
  if (getMemorySpace(type) == isa::Space::hbm) {
    int64_t last = lastFree + (view.getPartStart() + view.getPartCount() - 1) * view.getPartStride();
    if (view.getPartStride() < 0 || last >= type.getNumElements())
      return op->emitOpError() << name << " view reaches element " << last << " of a buffer of "
                               << type.getNumElements();
    return success();
  }
  if (view.getPartCount() > kMaxPartitions)
    return op->emitOpError() << name << " uses " << view.getPartCount()
                             << " partitions; a tile has at most 128";
  if (view.getPartStart() + view.getPartCount() > type.getDimSize(0))
    return op->emitOpError() << name << " view partitions [" << view.getPartStart() << ", "
                             << view.getPartStart() + view.getPartCount() << ") exceed the buffer's "
                             << type.getDimSize(0);
  if (lastFree >= getPartitionElements(type))
    return op->emitOpError() << name << " view reaches element " << lastFree
                             << " of a partition holding " << getPartitionElements(type);
  return success();
}

static LogicalResult expectSpace(Operation *op, StringRef name, Value buffer,
                                 std::initializer_list<isa::Space> spaces) {
  isa::Space s = getMemorySpace(buffer);
  for (isa::Space allowed : spaces)
    if (s == allowed)
      return success();
  return op->emitOpError() << name << " may not be in " << isa::stringifySpace(s);
}

static LogicalResult sameShape(Operation *op, StringRef a, ViewAttr x, StringRef b, ViewAttr y) {
  if (x.getPartCount() != y.getPartCount() || x.getFreeElements() != y.getFreeElements())
    return op->emitOpError() << a << " (" << x.getPartCount() << "x" << x.getFreeElements()
                             << ") and " << b << " (" << y.getPartCount() << "x"
                             << y.getFreeElements() << ") differ in shape";
  return success();
}

#define CHECK(x)                                                                                   \
  if (failed(x))                                                                                   \
    return failure();

LogicalResult AllocOp::verify() {
  MemRefType type = getType();
  if (!type.hasStaticShape() || !type.getLayout().isIdentity())
    return emitOpError("needs a statically shaped, identity-layout memref");
  isa::Space space = getMemorySpace(type);
  if (space == isa::Space::hbm)
    return success();
  if (type.getRank() < 2)
    return emitOpError("an on-chip tile needs a partition axis and a free axis");
  if (type.getDimSize(0) > kMaxPartitions)
    return emitOpError("tile has ") << type.getDimSize(0) << " partitions; at most 128";
  int64_t bytes = getPartitionElements(type) * elementBytes(type.getElementType());
  if (space == isa::Space::psum && bytes > kPsumBankBytes)
    return emitOpError("PSUM tile needs ") << bytes << " bytes per partition; one bank holds 2048 (512 fp32)";
  return success();
}

LogicalResult ConstantOp::verify() {
  auto type = getType();
  if (getMemorySpace(type) != isa::Space::hbm)
    return emitOpError("constants live in HBM");
  auto valueType = cast<ShapedType>(getValue().getType());
  if (valueType.getShape() != type.getShape() ||
      valueType.getElementType() != type.getElementType())
    return emitOpError("value type ") << valueType << " does not match buffer " << type;
  return success();
}

LogicalResult LoadOp::verify() {
  CHECK(expectSpace(*this, "dst", getDst(), {isa::Space::sbuf}));
  CHECK(expectSpace(*this, "src", getSrc(), {isa::Space::hbm}));
  CHECK(verifyOperand(*this, "dst", getDst(), getDstView()));
  CHECK(verifyOperand(*this, "src", getSrc(), getSrcView()));
  return sameShape(*this, "dst", getDstView(), "src", getSrcView());
}

LogicalResult LoadGatherOp::verify() {
  CHECK(expectSpace(*this, "dst", getDst(), {isa::Space::sbuf}));
  CHECK(expectSpace(*this, "table", getTable(), {isa::Space::hbm}));
  CHECK(expectSpace(*this, "indices", getIndices(), {isa::Space::sbuf}));
  CHECK(verifyOperand(*this, "dst", getDst(), getDstView()));
  CHECK(verifyOperand(*this, "table", getTable(), getTableView()));
  CHECK(verifyOperand(*this, "indices", getIndices(), getIndicesView()));
  Type idx = cast<MemRefType>(getIndices().getType()).getElementType();
  if (!idx.isInteger(32) && !idx.isInteger(64))
    return emitOpError("indices must be i32 or i64, not ") << idx;
  if (getIndicesView().getPartCount() != getDstView().getPartCount() ||
      getIndicesView().getFreeElements() != 1)
    return emitOpError("needs one index per dst partition");
  if (getTableView().getFreeElements() != getDstView().getFreeElements())
    return emitOpError("table rows have ")
           << getTableView().getFreeElements() << " elements but dst partitions "
           << getDstView().getFreeElements();
  return success();
}

LogicalResult StoreOp::verify() {
  CHECK(expectSpace(*this, "dst", getDst(), {isa::Space::hbm}));
  CHECK(expectSpace(*this, "src", getSrc(), {isa::Space::sbuf}));
  CHECK(verifyOperand(*this, "dst", getDst(), getDstView()));
  CHECK(verifyOperand(*this, "src", getSrc(), getSrcView()));
  return sameShape(*this, "dst", getDstView(), "src", getSrcView());
}

/// The shared tail of the PE ops' checks: N moving columns fit one PSUM
/// bank, and the fp32 PSUM view is the [M, N] result.
static LogicalResult verifyPsumResult(Operation *op, Value psum, ViewAttr ps, int64_t m,
                                      int64_t n) {
  if (n > 512)
    return op->emitOpError("moving has ") << n << " columns; at most 512 (one PSUM bank)";
  if (ps.getPartCount() != m || ps.getFreeElements() != n)
    return op->emitOpError("psum view must be ") << m << "x" << n;
  if (!cast<MemRefType>(psum.getType()).getElementType().isF32())
    return op->emitOpError("PSUM accumulates in f32");
  return success();
}

LogicalResult MatmulOp::verify() {
  CHECK(expectSpace(*this, "psum", getPsum(), {isa::Space::psum}));
  CHECK(expectSpace(*this, "stationary", getStationary(), {isa::Space::sbuf}));
  CHECK(expectSpace(*this, "moving", getMoving(), {isa::Space::sbuf}));
  CHECK(verifyOperand(*this, "psum", getPsum(), getPsumView()));
  CHECK(verifyOperand(*this, "stationary", getStationary(), getStationaryView()));
  CHECK(verifyOperand(*this, "moving", getMoving(), getMovingView()));
  ViewAttr st = getStationaryView(), mv = getMovingView(), ps = getPsumView();
  int64_t k = st.getPartCount(), m = st.getFreeElements(), n = mv.getFreeElements();
  if (mv.getPartCount() != k)
    return emitOpError("stationary and moving contract over different partition counts (")
           << k << " vs " << mv.getPartCount() << ")";
  if (m > 128)
    return emitOpError("stationary has ") << m << " columns; at most 128";
  return verifyPsumResult(*this, getPsum(), getPsumView(), m, n);
}

LogicalResult SparseMatmulOp::verify() {
  CHECK(expectSpace(*this, "psum", getPsum(), {isa::Space::psum}));
  CHECK(expectSpace(*this, "values", getValues(), {isa::Space::sbuf}));
  CHECK(expectSpace(*this, "tags", getTags(), {isa::Space::sbuf}));
  CHECK(expectSpace(*this, "moving", getMoving(), {isa::Space::sbuf}));
  CHECK(verifyOperand(*this, "psum", getPsum(), getPsumView()));
  CHECK(verifyOperand(*this, "values", getValues(), getValuesView()));
  CHECK(verifyOperand(*this, "tags", getTags(), getTagsView()));
  CHECK(verifyOperand(*this, "moving", getMoving(), getMovingView()));
  int64_t keep = getKeep(), group = getGroup();
  if (keep < 1 || keep >= group || group > 16 || group % keep != 0)
    return emitOpError("sparsity pattern ")
           << keep << ":" << group << " is not N:M with 1 <= N < M <= 16 and N dividing M";
  ViewAttr st = getValuesView(), tg = getTagsView(), mv = getMovingView(), ps = getPsumView();
  int64_t kc = st.getPartCount(), m = st.getFreeElements(), ratio = group / keep;
  if (kc % keep)
    return emitOpError("values have ") << kc << " rows; not whole groups of " << keep;
  if (m > 128)
    return emitOpError("values have ") << m << " columns; at most 128";
  if (!cast<MemRefType>(getTags().getType()).getElementType().isInteger(16))
    return emitOpError("tags must be i16 words");
  if (tg.getPartCount() != kc || tg.getFreeElements() != (m + 3) / 4)
    return emitOpError("tags view must be ") << kc << "x" << (m + 3) / 4;
  if (mv.getPartCount() != kc)
    return emitOpError("values and moving differ in partitions (")
           << kc << " vs " << mv.getPartCount() << ")";
  if (mv.getFreeElements() % ratio)
    return emitOpError("moving has ") << mv.getFreeElements() << " elements per partition; not "
                                      << ratio << " x N";
  int64_t n = mv.getFreeElements() / ratio;
  return verifyPsumResult(*this, getPsum(), getPsumView(), m, n);
}

LogicalResult ActivationOp::verify() {
  CHECK(expectSpace(*this, "dst", getDst(), {isa::Space::sbuf, isa::Space::psum}));
  CHECK(expectSpace(*this, "src", getSrc(), {isa::Space::sbuf, isa::Space::psum}));
  CHECK(verifyOperand(*this, "dst", getDst(), getDstView()));
  CHECK(verifyOperand(*this, "src", getSrc(), getSrcView()));
  if (getBias()) {
    if (!getBiasView())
      return emitOpError("bias needs a view");
    CHECK(expectSpace(*this, "bias", getBias(), {isa::Space::sbuf}));
    CHECK(verifyOperand(*this, "bias", getBias(), *getBiasView()));
    if (getBiasView()->getFreeElements() != 1 ||
        getBiasView()->getPartCount() != getDstView().getPartCount())
      return emitOpError("bias must be one value per partition");
  }
  if (getAccum()) {
    if (!getAccumView())
      return emitOpError("accum needs a view");
    CHECK(expectSpace(*this, "accum", getAccum(), {isa::Space::sbuf, isa::Space::psum}));
    CHECK(verifyOperand(*this, "accum", getAccum(), *getAccumView()));
    if (getAccumView()->getFreeElements() != 1 ||
        getAccumView()->getPartCount() != getDstView().getPartCount())
      return emitOpError("accum must be one value per partition");
  }
  return sameShape(*this, "dst", getDstView(), "src", getSrcView());
}

static LogicalResult verifyVector(Operation *op, std::optional<isa::EngineKind> engine,
                                  ArrayRef<std::tuple<StringRef, Value, ViewAttr>> operands) {
  for (auto [name, buffer, view] : operands) {
    CHECK(expectSpace(op, name, buffer, {isa::Space::sbuf, isa::Space::psum}));
    CHECK(verifyOperand(op, name, buffer, view));
    if (engine == isa::EngineKind::pool && getMemorySpace(buffer) == isa::Space::psum)
      return op->emitOpError("the gpsimd engine cannot access PSUM");
  }
  if (engine && (*engine == isa::EngineKind::pe || *engine == isa::EngineKind::sp ||
                 *engine == isa::EngineKind::dma))
    return op->emitOpError("runs on act, dve or pool");
  return success();
}

LogicalResult TensorTensorOp::verify() {
  CHECK(verifyVector(*this, getEngine(),
                     {{"dst", getDst(), getDstView()}, {"lhs", getLhs(), getLhsView()},
                      {"rhs", getRhs(), getRhsView()}}));
  CHECK(sameShape(*this, "dst", getDstView(), "lhs", getLhsView()));
  return sameShape(*this, "dst", getDstView(), "rhs", getRhsView());
}
LogicalResult TensorScalarOp::verify() {
  CHECK(verifyVector(*this, getEngine(),
                     {{"dst", getDst(), getDstView()}, {"src", getSrc(), getSrcView()}}));
  return sameShape(*this, "dst", getDstView(), "src", getSrcView());
}
LogicalResult TensorReduceOp::verify() {
  CHECK(verifyVector(*this, getEngine(),
                     {{"dst", getDst(), getDstView()}, {"src", getSrc(), getSrcView()}}));
  int64_t inner = getSrcView().getSizes().back();
  if (getDstView().getPartCount() != getSrcView().getPartCount() ||
      getDstView().getFreeElements() * inner != getSrcView().getFreeElements())
    return emitOpError("dst must have src's shape without its innermost axis");
  return success();
}
LogicalResult TransposeOp::verify() {
  CHECK(verifyVector(*this, isa::EngineKind::dve,
                     {{"dst", getDst(), getDstView()}, {"src", getSrc(), getSrcView()}}));
  if (getSrcView().getPartCount() > 32 || getSrcView().getFreeElements() > 32)
    return emitOpError("transposes at most a 32x32 block");
  if (getDstView().getPartCount() != getSrcView().getFreeElements() ||
      getDstView().getFreeElements() != getSrcView().getPartCount())
    return emitOpError("dst must be the transposed shape of src");
  return success();
}
LogicalResult IotaOp::verify() {
  return verifyVector(*this, isa::EngineKind::pool, {{"dst", getDst(), getDstView()}});
}
LogicalResult MemsetOp::verify() {
  return verifyVector(*this, getEngine(), {{"dst", getDst(), getDstView()}});
}
LogicalResult CopyOp::verify() {
  CHECK(verifyVector(*this, getEngine(),
                     {{"dst", getDst(), getDstView()}, {"src", getSrc(), getSrcView()}}));
  return sameShape(*this, "dst", getDstView(), "src", getSrcView());
}

#define GET_OP_CLASSES
#include "tile/TileOps.cpp.inc"
