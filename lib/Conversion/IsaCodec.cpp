//===- IsaCodec.cpp - isa dialect <-> Program -----------------------------===//

#include "trellis/Conversion/IsaCodec.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Verifier.h"

using namespace mlir;
using namespace trellis;
using namespace trellis::isa;

namespace {

AccessPatternAttr fromAP(MLIRContext *ctx, const isa::AccessPattern &p) {
  return AccessPatternAttr::get(ctx, p.space, p.partStart, p.partCount, p.partStride, p.offset,
                                p.dtype, p.sizes, p.strides);
}

/// Names of the op kinds along a location chain (FusedLoc metadata) and the
/// innermost named location (the ONNX node or kernel line).
DebugEntry debugOf(Operation *op) {
  DebugEntry e;
  e.isaOp = op->getName().getStringRef().str();
  Location loc = op->getLoc();
  while (true) {
    if (auto fused = dyn_cast<FusedLoc>(loc)) {
      if (auto tag = dyn_cast_or_null<StringAttr>(fused.getMetadata())) {
        StringRef name = tag.getValue();
        if (name.starts_with("tile.") && e.tileOp.empty())
          e.tileOp = name.str();
        else if (name.starts_with("graph.") && e.graphOp.empty())
          e.graphOp = name.str();
      }
      if (fused.getLocations().empty())
        break;
      loc = fused.getLocations().front();
      continue;
    }
    if (auto name = dyn_cast<NameLoc>(loc)) {
      e.node = name.getName().str();
      break;
    }
    if (auto file = dyn_cast<FileLineColLoc>(loc)) {
      e.node = (file.getFilename().str() + ":" + std::to_string(file.getLine()) + ":" +
                std::to_string(file.getColumn()));
      break;
    }
    break;
  }
  return e;
}

} // namespace

FailureOr<Program> trellis::encodeIsaProgram(ProgramOp program, const ArchConfig &arch,
                                             StringRef options, bool borrowConstants) {
  Program p;
  p.targetName = arch.name;
  p.targetJson = arch.source;
  p.compilerVersion = "trellis 0.1.0";
  p.compilerOptions = options.str();
  p.hbmSize = program.getHbmSize();
  std::map<std::string, uint32_t> debugIndex;
  for (Operation &op : program.getBody().front()) {
    if (auto t = dyn_cast<TensorOp>(op)) {
      auto type = cast<RankedTensorType>(t.getType());
      auto dtype = dtypeFromType(type.getElementType());
      if (!dtype)
        return t.emitOpError("element type ") << type.getElementType() << " cannot be encoded";
      if (t.getKind() == TensorKind::constant) {
        auto dense = dyn_cast_or_null<DenseElementsAttr>(*t.getValue());
        if (!dense)
          return t.emitOpError("constant value must be dense elements");
        ConstantSegment seg;
        seg.name = t.getSymName().str();
        seg.hbmOffset = t.getOffset();
        int64_t eb = dtypeBytes(*dtype);
        ArrayRef<char> raw = dense.getRawData();
        if (type.getElementType().isInteger(1)) {
          // MLIR packs i1 eight to a byte; the hardware stores one per byte.
          for (bool bit : dense.getValues<bool>())
            seg.bytes.push_back(bit ? 1 : 0);
        } else if (dense.isSplat()) {
          seg.bytes.resize(type.getNumElements() * eb);
          for (int64_t i = 0; i < type.getNumElements(); ++i)
            std::memcpy(seg.bytes.data() + i * eb, raw.data(), eb);
        } else if (borrowConstants) {
          seg.borrowed = ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(raw.data()), raw.size());
        } else {
          seg.bytes.assign(raw.begin(), raw.end());
        }
        p.constants.push_back(std::move(seg));
        continue;
      }
      TensorInfo info;
      info.name = t.getIoName()->str();
      info.dtype = *dtype;
      info.shape.assign(type.getShape().begin(), type.getShape().end());
      info.hbmOffset = t.getOffset();
      (t.getKind() == TensorKind::input ? p.inputs : p.outputs).push_back(std::move(info));
      continue;
    }
    auto inst = dyn_cast<InstructionOp>(op);
    if (!inst)
      return op.emitOpError("is not an instruction");
    FailureOr<Inst> decoded = toInst(inst);
    if (failed(decoded))
      return failure();
    Inst in = std::move(*decoded);
    DebugEntry d = debugOf(&op);
    std::string key = d.isaOp + "\x1f" + d.tileOp + "\x1f" + d.graphOp + "\x1f" + d.node;
    auto [it, inserted] = debugIndex.try_emplace(key, p.debug.size());
    if (inserted)
      p.debug.push_back(d);
    in.debugId = it->second;
    p.instructions.push_back(std::move(in));
  }
  return p;
}

OwningOpRef<ModuleOp> trellis::decodeIsaProgram(const Program &p, MLIRContext &ctx) {
  ctx.getOrLoadDialect<ISADialect>();
  OpBuilder b(&ctx);
  Location unknown = b.getUnknownLoc();
  OwningOpRef<ModuleOp> module = ModuleOp::create(unknown);
  b.setInsertionPointToEnd(module->getBody());
  auto program = ProgramOp::create(b, unknown, b.getStringAttr("main"), b.getI64IntegerAttr(p.hbmSize));
  b.setInsertionPointToStart(&program.getBody().emplaceBlock());
  auto tensorType = [&](const TensorInfo &t) {
    return RankedTensorType::get(t.shape, typeFromDType(&ctx, t.dtype));
  };
  for (auto [i, t] : llvm::enumerate(p.inputs))
    TensorOp::create(b, unknown, b.getStringAttr("in" + Twine(i)), TensorKind::input,
                     t.hbmOffset, tensorType(t), b.getStringAttr(t.name), nullptr);
  for (auto [i, t] : llvm::enumerate(p.outputs))
    TensorOp::create(b, unknown, b.getStringAttr("out" + Twine(i)), TensorKind::output,
                     t.hbmOffset, tensorType(t), b.getStringAttr(t.name), nullptr);
  for (const ConstantSegment &c : p.constants)
    TensorOp::create(b, unknown, b.getStringAttr(c.name), TensorKind::constant, c.hbmOffset,
                     RankedTensorType::get({(int64_t)c.bytes.size()}, b.getI8Type()), nullptr,
                     nullptr);
  for (auto [idx, in] : llvm::enumerate(p.instructions)) {
    Location loc = unknown;
    if (in.debugId < p.debug.size() && !p.debug[in.debugId].node.empty())
      loc = NameLoc::get(b.getStringAttr(p.debug[in.debugId].node));
    OperationState state(loc, ("isa." + stringifyOpcode(in.opcode)).str());
    std::optional<RegisteredOperationName> name = state.name.getRegisteredInfo();
    if (!name) {
      emitError(loc) << "instruction " << idx << ": opcode has no isa op";
      return nullptr;
    }
    for (StringAttr nameAttr : name->getAttributeNames()) {
      StringRef f = nameAttr.getValue();
      Attribute a;
      if (f == "queue") a = b.getI64IntegerAttr(in.queue);
      else if (f == "signal") a = in.signal ? b.getUnitAttr() : Attribute();
      else if (f == "start") a = in.start ? b.getUnitAttr() : Attribute();
      else if (f == "waits") {
        SmallVector<Attribute> ws;
        for (const SemWait &w : in.waits)
          ws.push_back(WaitAttr::get(&ctx, w.queue, w.value));
        a = b.getArrayAttr(ws);
      } else if (f == "dst") a = in.dst.present() ? fromAP(&ctx, in.dst) : Attribute();
      else if (f == "src0") a = in.src0.present() ? fromAP(&ctx, in.src0) : Attribute();
      else if (f == "src1") a = in.src1.present() ? fromAP(&ctx, in.src1) : Attribute();
      else if (f == "accum") a = in.accum.present() ? fromAP(&ctx, in.accum) : Attribute();
      else if (f == "func") a = ActFuncAttr::get(&ctx, in.func);
      else if (f == "op0") a = AluOpAttr::get(&ctx, in.op0);
      else if (f == "op1") a = AluOpAttr::get(&ctx, in.op1);
      else if (f == "scale") a = b.getF32FloatAttr(in.scale);
      else if (f == "imm0") a = b.getF32FloatAttr(in.imm0);
      else if (f == "imm1") a = b.getF32FloatAttr(in.imm1);
      else if (f == "base") a = b.getI64IntegerAttr(in.base);
      else if (f == "pstep") a = b.getI64IntegerAttr(in.pstep);
      else if (f == "fstep") a = b.getI64IntegerAttr(in.fstep);
      else if (f == "keep") a = b.getI64IntegerAttr(in.keep);
      else if (f == "group") a = b.getI64IntegerAttr(in.group);
      if (a)
        state.addAttribute(nameAttr, a);
    }
    b.create(state);
  }
  if (failed(verify(*module)))
    return nullptr;
  return module;
}
