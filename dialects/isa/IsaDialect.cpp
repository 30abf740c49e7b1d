//===- IsaDialect.cpp - isa dialect: attributes, verifiers ----------------===//
//
// The verifiers enforce the hardware's operand rules (partition ranges and
// alignment, memory spaces per engine, matmul and PSUM limits) so that a
// malformed instruction is rejected where it is built, not in the emulator.
//
//===----------------------------------------------------------------------===//

#include "trellis/Dialect/Isa.h"
#include "trellis/Target/Inst.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace trellis;
using namespace trellis::isa;

//===----------------------------------------------------------------------===//
// custom<Queue>: pe | act | dve | pool | sp | qN
//===----------------------------------------------------------------------===//

static ParseResult parseQueue(AsmParser &parser, int64_t &queue) {
  std::string name;
  SMLoc loc = parser.getCurrentLocation();
  if (parser.parseKeywordOrString(&name))
    return failure();
  std::optional<int64_t> q = parseQueueName(name);
  if (!q)
    return parser.emitError(loc, "unknown queue '") << name << "' (expected pe, act, dve, pool, sp or qN)";
  queue = *q;
  return success();
}
static void printQueue(AsmPrinter &printer, int64_t queue) { printer << queueName(queue); }

static ParseResult parseQueue(OpAsmParser &parser, IntegerAttr &queue) {
  int64_t q;
  if (parseQueue(static_cast<AsmParser &>(parser), q))
    return failure();
  queue = parser.getBuilder().getI64IntegerAttr(q);
  return success();
}
static void printQueue(OpAsmPrinter &printer, Operation *, IntegerAttr queue) {
  printer << queueName(queue.getInt());
}

#include "isa/IsaDialect.cpp.inc"
#define GET_ATTRDEF_CLASSES
#include "isa/IsaAttrs.cpp.inc"
#include "isa/IsaOpInterfaces.cpp.inc"

void ISADialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "isa/IsaAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "isa/IsaOps.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// #isa.ap<space[P0+NP (x PS)] +OFF dtype [[size,stride],...]>
//===----------------------------------------------------------------------===//

ParseResult trellis::isa::parseFreeAxes(AsmParser &parser, SmallVectorImpl<int64_t> &sizes,
                                        SmallVectorImpl<int64_t> &strides) {
  auto parsePair = [&]() -> ParseResult {
    int64_t size, stride;
    if (parser.parseLSquare() || parser.parseInteger(size) || parser.parseComma() ||
        parser.parseInteger(stride) || parser.parseRSquare())
      return failure();
    sizes.push_back(size);
    strides.push_back(stride);
    return success();
  };
  return parser.parseCommaSeparatedList(AsmParser::Delimiter::Square, parsePair);
}

void trellis::isa::printFreeAxes(AsmPrinter &printer, ArrayRef<int64_t> sizes,
                                 ArrayRef<int64_t> strides) {
  printer << "[";
  for (size_t i = 0; i < sizes.size(); ++i)
    printer << (i ? "," : "") << "[" << sizes[i] << "," << strides[i] << "]";
  printer << "]";
}

std::optional<DType> trellis::isa::dtypeFromType(Type t) {
  if (t.isF32()) return DType::f32;
  if (t.isBF16()) return DType::bf16;
  if (t.isF16()) return DType::f16;
  if (llvm::isa<Float8E4M3FNType>(t)) return DType::f8e4m3;
  if (llvm::isa<Float8E5M2Type>(t)) return DType::f8e5m2;
  auto i = llvm::dyn_cast<IntegerType>(t);
  if (!i || i.isSigned())
    return std::nullopt;
  // Booleans are stored as uint8, as on the hardware.
  if (i.getWidth() == 1) return DType::u8;
  if (i.isUnsigned())
    return i.getWidth() == 8 ? std::optional(DType::u8)
           : i.getWidth() == 32 ? std::optional(DType::u32)
                                 : std::nullopt;
  if (i.getWidth() == 64) return DType::i64;
  if (i.getWidth() == 32) return DType::i32;
  if (i.getWidth() == 16) return DType::i16;
  if (i.getWidth() == 8) return DType::i8;
  return std::nullopt;
}

Type trellis::isa::typeFromDType(MLIRContext *ctx, DType d) {
  Builder b(ctx);
  switch (d) {
  case DType::f32: return b.getF32Type();
  case DType::bf16: return b.getBF16Type();
  case DType::f16: return b.getF16Type();
  case DType::f8e4m3: return Float8E4M3FNType::get(ctx);
  case DType::f8e5m2: return Float8E5M2Type::get(ctx);
  case DType::i64: return b.getI64Type();
  case DType::i32: return b.getI32Type();
  case DType::i16: return b.getI16Type();
  case DType::i8: return b.getI8Type();
  case DType::u8: return b.getIntegerType(8, /*isSigned=*/false);
  case DType::u32: return b.getIntegerType(32, /*isSigned=*/false);
  }
  llvm_unreachable("unknown DType");
}

int64_t AccessPatternAttr::getFreeElements() const {
  int64_t n = 1;
  for (int64_t s : getSizes())
    n *= s;
  return n;
}
int64_t AccessPatternAttr::getElementBytes() const { return dtypeBytes(getDtype()); }

Attribute AccessPatternAttr::parse(AsmParser &parser, Type) {
  std::string spaceName, dtypeName;
  int64_t p0 = 0, np = 0, ps = 0, off = 0;
  SmallVector<int64_t> sizes, strides;
  if (parser.parseLess() || parser.parseKeywordOrString(&spaceName) || parser.parseLSquare() ||
      parser.parseInteger(p0) || parser.parseOptionalPlus() || parser.parseInteger(np))
    return {};
  if (succeeded(parser.parseOptionalKeyword("x")) && parser.parseInteger(ps))
    return {};
  if (parser.parseRSquare() || parser.parsePlus() || parser.parseInteger(off) ||
      parser.parseKeywordOrString(&dtypeName) || parseFreeAxes(parser, sizes, strides) ||
      parser.parseGreater())
    return {};
  auto space = symbolizeSpace(spaceName);
  auto dtype = symbolizeDType(dtypeName);
  if (!space) {
    parser.emitError(parser.getNameLoc(), "unknown memory '") << spaceName << "'";
    return {};
  }
  if (!dtype) {
    parser.emitError(parser.getNameLoc(), "unknown element type '") << dtypeName << "'";
    return {};
  }
  return getChecked([&] { return parser.emitError(parser.getNameLoc()); },
                    parser.getContext(), *space, p0, np, ps, off, *dtype, sizes, strides);
}

void AccessPatternAttr::print(AsmPrinter &printer) const {
  printer << "<" << stringifySpace(getSpace()) << "[" << getPartStart() << "+" << getPartCount();
  if (getSpace() == Space::hbm)
    printer << " x " << getPartStride();
  printer << "] +" << getOffset() << " " << stringifyDType(getDtype()) << " ";
  printFreeAxes(printer, getSizes(), getStrides());
  printer << ">";
}

LogicalResult AccessPatternAttr::verify(function_ref<InFlightDiagnostic()> emitError, Space space,
                                        int64_t partStart, int64_t partCount, int64_t partStride,
                                        int64_t offset, DType, ArrayRef<int64_t> sizes,
                                        ArrayRef<int64_t> strides) {
  if (sizes.size() != strides.size())
    return emitError() << "access pattern has " << sizes.size() << " sizes but " << strides.size()
                       << " strides";
  if (sizes.empty() || sizes.size() > 4)
    return emitError() << "access pattern needs 1 to 4 free axes, got " << sizes.size();
  for (int64_t s : sizes)
    if (s <= 0 || s > 65535)
      return emitError() << "free-axis size " << s << " outside [1, 65535]";
  if (partCount <= 0 || partStart < 0 || offset < 0)
    return emitError() << "access pattern needs a positive partition count and non-negative start and offset";
  if (space == Space::hbm)
    return success();
  if (partStride != 0)
    return emitError() << "a partition stride applies only to HBM";
  if (partStart + partCount > 128)
    return emitError() << "partitions [" << partStart << ", " << partStart + partCount
                       << ") exceed the 128 partitions";
  // NKI start-partition rule: wide accesses must start on coarse boundaries.
  int64_t align = partCount > 64 ? 128 : partCount > 32 ? 64 : 32;
  if (partStart % align != 0)
    return emitError() << "an access of " << partCount << " partitions must start at a multiple of "
                       << align << ", not " << partStart;
  return success();
}

//===----------------------------------------------------------------------===//
// Instruction verifiers
//===----------------------------------------------------------------------===//

namespace {
/// Shared checks of one instruction: its queue kind and operand memories.
struct InstChecker {
  Operation *op;
  int64_t queue;

  LogicalResult queueIn(std::initializer_list<EngineKind> kinds) {
    EngineKind k = queueKind(queue);
    for (EngineKind allowed : kinds)
      if (k == allowed)
        return success();
    return op->emitOpError("cannot run on queue ") << queueName(queue);
  }
  LogicalResult onChip(StringRef name, AccessPatternAttr ap) {
    if (ap.getSpace() == Space::hbm)
      return op->emitOpError() << name << " must be in SBUF or PSUM, not HBM";
    if (ap.getSpace() == Space::psum && queueKind(queue) == EngineKind::pool)
      return op->emitOpError() << "the gpsimd engine cannot access PSUM (" << name << ")";
    return success();
  }
  LogicalResult in(StringRef name, AccessPatternAttr ap, Space space) {
    if (ap.getSpace() != space)
      return op->emitOpError() << name << " must be in " << stringifySpace(space);
    return success();
  }
  LogicalResult sameShape(StringRef a, AccessPatternAttr x, StringRef b, AccessPatternAttr y) {
    if (x.getPartCount() != y.getPartCount() || x.getFreeElements() != y.getFreeElements())
      return op->emitOpError() << a << " (" << x.getPartCount() << "x" << x.getFreeElements()
                               << ") and " << b << " (" << y.getPartCount() << "x"
                               << y.getFreeElements() << ") differ in shape";
    return success();
  }
};
} // namespace

#define CHECK(x)                                                                                   \
  if (failed(x))                                                                                   \
    return failure();

LogicalResult DmaOp::verify() {
  InstChecker c{*this, (int64_t)getQueue()};
  CHECK(c.queueIn({EngineKind::dma}));
  if (getDst().getSpace() == Space::psum || getSrc0().getSpace() == Space::psum)
    return emitOpError("DMA cannot access PSUM");
  return c.sameShape("dst", getDst(), "src0", getSrc0());
}

LogicalResult DmaGatherOp::verify() {
  InstChecker c{*this, (int64_t)getQueue()};
  CHECK(c.queueIn({EngineKind::dma}));
  CHECK(c.in("dst", getDst(), Space::sbuf));
  CHECK(c.in("src0", getSrc0(), Space::hbm));
  CHECK(c.in("src1", getSrc1(), Space::sbuf));
  if (getSrc1().getDtype() != DType::i32 && getSrc1().getDtype() != DType::i64)
    return emitOpError("indices must be i32 or i64");
  if (getSrc1().getPartCount() != getDst().getPartCount() || getSrc1().getFreeElements() != 1)
    return emitOpError("indices must be one per dst partition");
  if (getSrc0().getFreeElements() != getDst().getFreeElements())
    return emitOpError("a table row has ") << getSrc0().getFreeElements()
                                           << " elements but a dst partition "
                                           << getDst().getFreeElements();
  return success();
}

LogicalResult LoadStationaryOp::verify() {
  InstChecker c{*this, (int64_t)getQueue()};
  CHECK(c.queueIn({EngineKind::pe}));
  CHECK(c.in("src0", getSrc0(), Space::sbuf));
  if (getSrc0().getFreeElements() > 128)
    return emitOpError("stationary matrix has ") << getSrc0().getFreeElements()
                                                 << " columns; at most 128";
  return success();
}

LogicalResult MultiplyMovingOp::verify() {
  InstChecker c{*this, (int64_t)getQueue()};
  CHECK(c.queueIn({EngineKind::pe}));
  CHECK(c.in("dst", getDst(), Space::psum));
  CHECK(c.in("src0", getSrc0(), Space::sbuf));
  if (getDst().getDtype() != DType::f32)
    return emitOpError("PSUM result must be f32");
  if (getSrc0().getFreeElements() > 512)
    return emitOpError("moving matrix has ") << getSrc0().getFreeElements()
                                             << " columns; at most 512 (one PSUM bank)";
  if (getDst().getFreeElements() != getSrc0().getFreeElements())
    return emitOpError("PSUM columns differ from moving columns");
  return success();
}

/// keep:group must be a pattern the compressed format can express (4-bit
/// tags, whole moving partitions per kept row); which of them a target
/// runs is checked against its arch config by the compiler and emulator.
static LogicalResult verifyPattern(Operation *op, int64_t keep, int64_t group) {
  if (keep < 1 || keep >= group || group > 16 || group % keep != 0)
    return op->emitOpError("sparsity pattern ")
           << keep << ":" << group << " is not N:M with 1 <= N < M <= 16 and N dividing M";
  return success();
}

LogicalResult LoadStationarySparseOp::verify() {
  InstChecker c{*this, (int64_t)getQueue()};
  CHECK(c.queueIn({EngineKind::pe}));
  CHECK(c.in("src0", getSrc0(), Space::sbuf));
  CHECK(c.in("src1", getSrc1(), Space::sbuf));
  CHECK(verifyPattern(*this, getKeep(), getGroup()));
  int64_t kc = getSrc0().getPartCount(), m = getSrc0().getFreeElements();
  if (m > 128)
    return emitOpError("stationary matrix has ") << m << " columns; at most 128";
  if (kc % getKeep())
    return emitOpError("compressed rows (") << kc << ") must be whole groups of " << getKeep();
  if (getSrc1().getDtype() != DType::i16)
    return emitOpError("tags must be i16 words");
  if (getSrc1().getPartCount() != kc || getSrc1().getFreeElements() != (m + 3) / 4)
    return emitOpError("tags must be ") << kc << "x" << (m + 3) / 4
                                        << " (four 4-bit tags per word)";
  return success();
}

LogicalResult MultiplyMovingSparseOp::verify() {
  InstChecker c{*this, (int64_t)getQueue()};
  CHECK(c.queueIn({EngineKind::pe}));
  CHECK(c.in("dst", getDst(), Space::psum));
  CHECK(c.in("src0", getSrc0(), Space::sbuf));
  CHECK(verifyPattern(*this, getKeep(), getGroup()));
  if (getDst().getDtype() != DType::f32)
    return emitOpError("PSUM result must be f32");
  int64_t ratio = getGroup() / getKeep(), free = getSrc0().getFreeElements();
  if (free % ratio)
    return emitOpError("moving free size ") << free << " is not " << ratio << " x N";
  if (free / ratio > 512)
    return emitOpError("moving matrix has ") << free / ratio
                                             << " columns; at most 512 (one PSUM bank)";
  if (getDst().getFreeElements() != free / ratio)
    return emitOpError("PSUM columns differ from moving columns");
  return success();
}

LogicalResult ActivationOp::verify() {
  InstChecker c{*this, (int64_t)getQueue()};
  CHECK(c.queueIn({EngineKind::act}));
  CHECK(c.onChip("dst", getDst()));
  CHECK(c.onChip("src0", getSrc0()));
  if (auto bias = getSrc1()) {
    CHECK(c.onChip("bias", *bias));
    if (bias->getFreeElements() != 1 || bias->getPartCount() != getDst().getPartCount())
      return emitOpError("bias must be one value per partition");
  }
  if (auto accum = getAccum()) {
    CHECK(c.onChip("accum", *accum));
    if (accum->getFreeElements() != 1 || accum->getPartCount() != getDst().getPartCount())
      return emitOpError("accum must be one value per partition");
  }
  return c.sameShape("dst", getDst(), "src0", getSrc0());
}

static LogicalResult verifyVectorOp(Operation *op, int64_t queue, AccessPatternAttr dst,
                                    ArrayRef<std::pair<StringRef, AccessPatternAttr>> srcs,
                                    bool sameShape = true) {
  InstChecker c{op, queue};
  CHECK(c.queueIn({EngineKind::dve, EngineKind::pool, EngineKind::act}));
  CHECK(c.onChip("dst", dst));
  for (auto [name, ap] : srcs) {
    CHECK(c.onChip(name, ap));
    if (sameShape)
      CHECK(c.sameShape("dst", dst, name, ap));
  }
  return success();
}

LogicalResult TensorTensorOp::verify() {
  return verifyVectorOp(*this, (int64_t)getQueue(), getDst(), {{"src0", getSrc0()}, {"src1", getSrc1()}});
}
LogicalResult TensorScalarOp::verify() {
  return verifyVectorOp(*this, (int64_t)getQueue(), getDst(), {{"src0", getSrc0()}});
}
LogicalResult TensorReduceOp::verify() {
  CHECK(verifyVectorOp(*this, (int64_t)getQueue(), getDst(), {{"src0", getSrc0()}}, false));
  int64_t inner = getSrc0().getSizes().back();
  if (getDst().getPartCount() != getSrc0().getPartCount() ||
      getDst().getFreeElements() * inner != getSrc0().getFreeElements())
    return emitOpError("dst must have src0's shape without its innermost axis");
  return success();
}
LogicalResult TransposeOp::verify() {
  CHECK(verifyVectorOp(*this, (int64_t)getQueue(), getDst(), {{"src0", getSrc0()}}, false));
  if (getSrc0().getPartCount() > 32 || getSrc0().getFreeElements() > 32)
    return emitOpError("transposes at most a 32x32 block");
  if (getDst().getPartCount() != getSrc0().getFreeElements() ||
      getDst().getFreeElements() != getSrc0().getPartCount())
    return emitOpError("dst must be the transposed shape of src0");
  return success();
}
LogicalResult IotaOp::verify() { return verifyVectorOp(*this, (int64_t)getQueue(), getDst(), {}); }
LogicalResult MemsetOp::verify() { return verifyVectorOp(*this, (int64_t)getQueue(), getDst(), {}); }
LogicalResult CopyOp::verify() {
  return verifyVectorOp(*this, (int64_t)getQueue(), getDst(), {{"src0", getSrc0()}});
}
LogicalResult NopOp::verify() { return success(); }

LogicalResult TensorOp::verify() {
  auto type = dyn_cast<RankedTensorType>(getType());
  if (!type || !type.hasStaticShape())
    return emitOpError("needs a statically shaped tensor type");
  if (getValue() && getValue()->getType() != type)
    return emitOpError("value type differs from the tensor type");
  if ((getKind() != TensorKind::constant) && !getIoName())
    return emitOpError("an input or output needs a name");
  return success();
}

#define GET_OP_CLASSES
#include "isa/IsaOps.cpp.inc"

//===----------------------------------------------------------------------===//
// Instruction ops as isa::Inst
//===----------------------------------------------------------------------===//

static isa::AccessPattern toAP(AccessPatternAttr a) {
  isa::AccessPattern p;
  p.space = a.getSpace();
  p.partStart = a.getPartStart();
  p.partCount = a.getPartCount();
  p.partStride = a.getPartStride();
  p.offset = a.getOffset();
  p.dtype = a.getDtype();
  p.sizes.assign(a.getSizes().begin(), a.getSizes().end());
  p.strides.assign(a.getStrides().begin(), a.getStrides().end());
  return p;
}

FailureOr<Inst> trellis::isa::toInst(InstructionOp inst) {
  Operation *op = inst.getOperation();
  Inst in;
  in.opcode = inst.getOpcodeValue();
  in.queue = inst.getQueueId();
  // Fields by attribute name: IsaOps.td names them as isa::Inst does.
  for (StringAttr nameAttr : op->getName().getAttributeNames()) {
    StringRef name = nameAttr.getValue();
    Attribute a = op->getInherentAttr(name).value_or(Attribute());
    if (!a)
      continue;
    if (name == "queue") continue;
    if (name == "signal") { in.signal = true; continue; }
    if (name == "start") { in.start = true; continue; }
    if (name == "waits") {
      for (Attribute w : cast<ArrayAttr>(a))
        in.waits.push_back({cast<WaitAttr>(w).getQueue(), cast<WaitAttr>(w).getValue()});
      continue;
    }
    if (auto ap = dyn_cast<AccessPatternAttr>(a)) {
      isa::AccessPattern v = toAP(ap);
      if (name == "dst") in.dst = v;
      else if (name == "src0") in.src0 = v;
      else if (name == "src1") in.src1 = v;
      else if (name == "accum") in.accum = v;
      else return op->emitOpError("unknown operand field '") << name << "'";
      continue;
    }
    if (auto f = dyn_cast<ActFuncAttr>(a)) { in.func = f.getValue(); continue; }
    if (auto alu = dyn_cast<AluOpAttr>(a)) {
      (name == "op0" ? in.op0 : in.op1) = alu.getValue();
      continue;
    }
    if (auto fl = dyn_cast<FloatAttr>(a)) {
      float v = fl.getValueAsDouble();
      if (name == "scale") in.scale = v;
      else if (name == "imm0") in.imm0 = v;
      else if (name == "imm1") in.imm1 = v;
      else return op->emitOpError("unknown float field '") << name << "'";
      continue;
    }
    if (auto i = dyn_cast<IntegerAttr>(a)) {
      if (name == "base") in.base = i.getInt();
      else if (name == "pstep") in.pstep = i.getInt();
      else if (name == "fstep") in.fstep = i.getInt();
      else if (name == "keep") in.keep = i.getInt();
      else if (name == "group") in.group = i.getInt();
      else return op->emitOpError("unknown integer field '") << name << "'";
      continue;
    }
    return op->emitOpError("field '") << name << "' has no encoding";
  }
  return in;
}
