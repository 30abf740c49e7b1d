//===- Program.cpp - The .tnef artifact: envelope, codec, validation ------===//
//
// File layout (all integers little-endian):
//
//   offset  size  field
//        0     8  magic "\x89TNEF\r\n\x1a" (a high byte and CR LF ^Z, as in
//                 PNG, so that text-mode mangling and truncation at a ^Z are
//                 caught at once)
//        8     4  format version (Program::kFormatVersion)
//       12     4  flags, must be 0
//       16     8  payload length in bytes
//       24     8  xxh3-64 of the payload
//       32     -  payload: a serialized trellis.tnef.Program (tnef.proto)
//
// decodeProgram checks the envelope, then parses the payload, then validates
// every enum value, index, offset and size against the program's own HBM
// size and its embedded target, so that the emulator and the disassembler
// can trust a decoded Program.
//
//===----------------------------------------------------------------------===//

#include "trellis/Target/Program.h"
#include "trellis/Support/FileIO.h"

#include "tnef.pb.h"

#include <google/protobuf/io/coded_stream.h>

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/xxhash.h"

#include <climits>
#include <cstring>

using namespace llvm;
using namespace trellis;

namespace {

constexpr char kMagic[8] = {'\x89', 'T', 'N', 'E', 'F', '\r', '\n', '\x1a'};
constexpr size_t kHeaderSize = 32;
constexpr int64_t kMaxFreeDims = 4;

//===----------------------------------------------------------------------===//
// Encoding
//===----------------------------------------------------------------------===//

void encodeAp(const isa::AccessPattern &ap, tnef::AccessPattern &out) {
  out.set_space(uint32_t(ap.space));
  out.set_part_start(ap.partStart);
  out.set_part_count(ap.partCount);
  out.set_part_stride(ap.partStride);
  out.set_offset(ap.offset);
  out.set_dtype(uint32_t(ap.dtype));
  for (int64_t s : ap.sizes)
    out.add_sizes(s);
  for (int64_t s : ap.strides)
    out.add_strides(s);
}

void encodeInst(const isa::Inst &in, tnef::Instruction &out) {
  out.set_opcode(uint32_t(in.opcode));
  out.set_queue(in.queue);
  for (const isa::SemWait &w : in.waits) {
    tnef::SemWait *pw = out.add_waits();
    pw->set_queue(w.queue);
    pw->set_value(w.value);
  }
  out.set_signal(in.signal);
  // An operand equal to the default one is omitted (and decodes back to it).
  const isa::AccessPattern absent;
  if (!(in.dst == absent))
    encodeAp(in.dst, *out.mutable_dst());
  if (!(in.src0 == absent))
    encodeAp(in.src0, *out.mutable_src0());
  if (!(in.src1 == absent))
    encodeAp(in.src1, *out.mutable_src1());
  if (!(in.accum == absent))
    encodeAp(in.accum, *out.mutable_accum());
  out.set_func(uint32_t(in.func));
  out.set_op0(uint32_t(in.op0));
  out.set_op1(uint32_t(in.op1));
  out.set_scale(in.scale);
  out.set_imm0(in.imm0);
  out.set_imm1(in.imm1);
  out.set_start(in.start);
  out.set_base(in.base);
  out.set_pstep(in.pstep);
  out.set_fstep(in.fstep);
  out.set_keep(in.keep);
  out.set_group(in.group);
  out.set_debug_id(in.debugId);
}

void encodeTensor(const TensorInfo &t, tnef::TensorInfo &out) {
  out.set_name(t.name);
  out.set_dtype(uint32_t(t.dtype));
  for (int64_t d : t.shape)
    out.add_shape(d);
  out.set_hbm_offset(t.hbmOffset);
}

//===----------------------------------------------------------------------===//
// Decoding and validation
//===----------------------------------------------------------------------===//

/// Decodes one payload, checking each value as it is read. The first error
/// wins; its message names the origin and the offending element.
class Decoder {
public:
  explicit Decoder(StringRef origin) : origin(origin.str()) {}

  Expected<Program> decode(const tnef::Program &pb);

private:
  std::string origin;
  std::string error;
  // Limits from the embedded target (or the defaults when there is none).
  int64_t numQueues = 0, partitions = 0, sbufBytes = 0, psumBytes = 0;
  int64_t hbmSize = 0;

  bool fail(const Twine &where, const Twine &msg) {
    if (error.empty())
      error = (origin + ": " + where + ": " + msg).str();
    return false;
  }

  bool checkRange(const Twine &where, int64_t offset, int64_t bytes);
  bool decodeTensor(const tnef::TensorInfo &pb, const Twine &where, TensorInfo &t);
  bool decodeAp(const tnef::AccessPattern &pb, const Twine &where, isa::AccessPattern &ap);
  bool decodeInst(const tnef::Instruction &pb, const Twine &where, size_t numDebug, isa::Inst &inst);
};

/// [offset, offset + bytes) must lie within [0, hbm_size).
bool Decoder::checkRange(const Twine &where, int64_t offset, int64_t bytes) {
  int64_t end;
  if (offset < 0)
    return fail(where, "negative hbm_offset " + Twine(offset));
  if (AddOverflow(offset, bytes, end) || end > hbmSize)
    return fail(where, "hbm_offset " + Twine(offset) + " + " + Twine(bytes) + " bytes exceeds hbm_size " +
                           Twine(hbmSize));
  return true;
}

bool Decoder::decodeTensor(const tnef::TensorInfo &pb, const Twine &where, TensorInfo &t) {
  t.name = pb.name();
  std::optional<isa::DType> dtype = isa::symbolizeDType(pb.dtype());
  if (!dtype)
    return fail(where, "unknown dtype " + Twine(pb.dtype()));
  t.dtype = *dtype;
  int64_t bytes = isa::dtypeBytes(t.dtype);
  for (int64_t d : pb.shape()) {
    if (d < 0)
      return fail(where, "negative dimension " + Twine(d));
    if (MulOverflow(bytes, d, bytes))
      return fail(where, "shape overflows");
    t.shape.push_back(d);
  }
  t.hbmOffset = pb.hbm_offset();
  return checkRange(where, t.hbmOffset, bytes);
}

bool Decoder::decodeAp(const tnef::AccessPattern &pb, const Twine &where, isa::AccessPattern &ap) {
  std::optional<isa::Space> space = isa::symbolizeSpace(pb.space());
  if (!space)
    return fail(where, "unknown space " + Twine(pb.space()));
  std::optional<isa::DType> dtype = isa::symbolizeDType(pb.dtype());
  if (!dtype)
    return fail(where, "unknown dtype " + Twine(pb.dtype()));
  ap.space = *space;
  ap.dtype = *dtype;
  ap.partStart = pb.part_start();
  ap.partCount = pb.part_count();
  ap.partStride = pb.part_stride();
  ap.offset = pb.offset();
  if (pb.sizes_size() != pb.strides_size())
    return fail(where, Twine(pb.sizes_size()) + " sizes but " + Twine(pb.strides_size()) + " strides");
  if (pb.sizes_size() > kMaxFreeDims)
    return fail(where, Twine(pb.sizes_size()) + " free dimensions (at most " + Twine(kMaxFreeDims) + ")");
  ap.sizes.assign(pb.sizes().begin(), pb.sizes().end());
  ap.strides.assign(pb.strides().begin(), pb.strides().end());

  if (ap.partStart < 0 || ap.partCount < 0 || ap.partStart > partitions || ap.partCount > partitions - ap.partStart)
    return fail(where, "partitions [" + Twine(ap.partStart) + ", +" + Twine(ap.partCount) + ") outside [0, " +
                           Twine(partitions) + ")");
  if (ap.offset < 0)
    return fail(where, "negative offset " + Twine(ap.offset));
  for (int64_t s : ap.sizes)
    if (s < 0)
      return fail(where, "negative size " + Twine(s));
  if (!ap.present() || ap.freeElements() == 0)
    return true;

  // The bytes touched, relative to `offset`: each axis adds (size - 1) *
  // stride elements to the lowest or the highest address. Checked
  // arithmetic: sizes and strides are untrusted.
  int64_t lo = 0, hi = 0;
  auto addAxis = [&](int64_t size, int64_t stride) {
    int64_t span;
    if (MulOverflow(size - 1, stride, span))
      return false;
    return !AddOverflow(span < 0 ? lo : hi, span, span < 0 ? lo : hi);
  };
  bool ok = true;
  for (size_t k = 0; k < ap.sizes.size(); ++k)
    ok = ok && addAxis(ap.sizes[k], ap.strides[k]);
  if (ap.space == isa::Space::hbm)
    ok = ok && addAxis(ap.partCount, ap.partStride);
  int64_t eb = isa::dtypeBytes(ap.dtype), first, last;
  ok = ok && !MulOverflow(lo, eb, lo) && !AddOverflow(hi, int64_t(1), hi) && !MulOverflow(hi, eb, hi) &&
       !AddOverflow(ap.offset, lo, first) && !AddOverflow(ap.offset, hi, last);
  if (!ok)
    return fail(where, "access pattern extent overflows");
  int64_t limit = ap.space == isa::Space::hbm ? hbmSize : ap.space == isa::Space::sbuf ? sbufBytes : psumBytes;
  const char *limitName = ap.space == isa::Space::hbm    ? "hbm_size"
                          : ap.space == isa::Space::sbuf ? "the SBUF partition size"
                                                         : "the PSUM partition size";
  if (first < 0 || last > limit)
    return fail(where, "access pattern touches bytes [" + Twine(first) + ", " + Twine(last) + ") outside [0, " +
                           Twine(limit) + ") (" + limitName + ")");
  return true;
}

/// Operands each opcode reads or writes; the emulator relies on them.
struct Operands {
  bool dst, src0, src1;
};

Operands requiredOperands(isa::Opcode op) {
  switch (op) {
  case isa::Opcode::load_stationary:
    return {false, true, false};
  case isa::Opcode::load_stationary_sparse:
    return {false, true, true};
  case isa::Opcode::tensor_tensor:
  case isa::Opcode::dma_gather:
    return {true, true, true};
  case isa::Opcode::iota:
  case isa::Opcode::memset:
    return {true, false, false};
  case isa::Opcode::nop:
    return {false, false, false};
  default: // dma, multiply_moving, activation (bias optional), tensor_scalar, ...
    return {true, true, false};
  }
}

bool Decoder::decodeInst(const tnef::Instruction &pb, const Twine &where, size_t numDebug, isa::Inst &inst) {
  std::optional<isa::Opcode> opcode = isa::symbolizeOpcode(pb.opcode());
  if (!opcode)
    return fail(where, "unknown opcode " + Twine(pb.opcode()));
  inst.opcode = *opcode;
  std::string what = (where + " (" + isa::stringifyOpcode(inst.opcode) + ")").str();

  if (pb.queue() < 0 || pb.queue() >= numQueues)
    return fail(what, "queue " + Twine(pb.queue()) + " out of range [0, " + Twine(numQueues) + ")");
  inst.queue = pb.queue();
  for (auto [i, w] : llvm::enumerate(pb.waits())) {
    if (w.queue() < 0 || w.queue() >= numQueues)
      return fail(what, "waits[" + Twine(i) + "]: queue " + Twine(w.queue()) + " out of range [0, " +
                            Twine(numQueues) + ")");
    if (w.value() < 0)
      return fail(what, "waits[" + Twine(i) + "]: negative value " + Twine(w.value()));
    inst.waits.push_back({w.queue(), w.value()});
  }
  inst.signal = pb.signal();

  if (pb.has_dst() && !decodeAp(pb.dst(), what + ": dst", inst.dst))
    return false;
  if (pb.has_src0() && !decodeAp(pb.src0(), what + ": src0", inst.src0))
    return false;
  if (pb.has_src1() && !decodeAp(pb.src1(), what + ": src1", inst.src1))
    return false;
  if (pb.has_accum()) {
    if (inst.opcode != isa::Opcode::activation)
      return fail(what, "only activation has an accum operand");
    if (!decodeAp(pb.accum(), what + ": accum", inst.accum))
      return false;
  }
  Operands need = requiredOperands(inst.opcode);
  if (need.dst && !inst.dst.present())
    return fail(what, "missing operand dst");
  if (need.src0 && !inst.src0.present())
    return fail(what, "missing operand src0");
  if (need.src1 && !inst.src1.present())
    return fail(what, "missing operand src1");

  std::optional<isa::ActFunc> func = isa::symbolizeActFunc(pb.func());
  if (!func)
    return fail(what, "unknown activation function " + Twine(pb.func()));
  std::optional<isa::AluOp> op0 = isa::symbolizeAluOp(pb.op0());
  if (!op0)
    return fail(what, "unknown ALU op0 " + Twine(pb.op0()));
  std::optional<isa::AluOp> op1 = isa::symbolizeAluOp(pb.op1());
  if (!op1)
    return fail(what, "unknown ALU op1 " + Twine(pb.op1()));
  inst.func = *func;
  inst.op0 = *op0;
  inst.op1 = *op1;
  inst.scale = pb.scale();
  inst.imm0 = pb.imm0();
  inst.imm1 = pb.imm1();
  inst.start = pb.start();
  inst.base = pb.base();
  inst.pstep = pb.pstep();
  inst.fstep = pb.fstep();
  inst.keep = pb.keep();
  inst.group = pb.group();
  bool sparse = inst.opcode == isa::Opcode::load_stationary_sparse ||
                inst.opcode == isa::Opcode::multiply_moving_sparse;
  if (sparse && (inst.keep < 1 || inst.keep >= inst.group || inst.group > 16 ||
                 inst.group % inst.keep != 0))
    return fail(what, "sparsity pattern " + Twine(inst.keep) + ":" + Twine(inst.group) +
                          " is not N:M with 1 <= N < M <= 16, N dividing M");
  inst.debugId = pb.debug_id();
  if (numDebug != 0 && inst.debugId >= numDebug)
    return fail(what, "debug_id " + Twine(inst.debugId) + " out of range (debug table has " + Twine(numDebug) +
                          " entries)");
  return true;
}

Expected<Program> Decoder::decode(const tnef::Program &pb) {
  Program p;
  p.targetName = pb.target_name();
  p.targetJson = pb.target_json();
  p.compilerVersion = pb.compiler_version();
  p.compilerOptions = pb.compiler_options();

  ArchConfig target;
  if (!p.targetJson.empty()) {
    Expected<ArchConfig> parsed = parseArchConfig(p.targetJson, origin + ": embedded target");
    if (!parsed)
      return parsed.takeError();
    target = std::move(*parsed);
  }
  numQueues = isa::kFirstDmaQueue + target.dmaQueues;
  partitions = target.partitions;
  sbufBytes = target.sbufBytesPerPartition;
  psumBytes = target.psumBytesPerPartition;

  p.hbmSize = hbmSize = pb.hbm_size();
  if (p.hbmSize < 0)
    fail("hbm_size", "negative (" + Twine(p.hbmSize) + ")");
  else if (!p.targetJson.empty() && p.hbmSize > target.hbmBytes)
    fail("hbm_size", Twine(p.hbmSize) + " exceeds the target's HBM of " + Twine(target.hbmBytes) + " bytes");

  auto tensors = [&](const auto &list, const char *kind, std::vector<TensorInfo> &out) {
    for (int i = 0; i < list.size() && error.empty(); ++i) {
      TensorInfo t;
      if (decodeTensor(list[i], Twine(kind) + "[" + Twine(i) + "] \"" + list[i].name() + "\"", t))
        out.push_back(std::move(t));
    }
  };
  tensors(pb.inputs(), "inputs", p.inputs);
  tensors(pb.outputs(), "outputs", p.outputs);

  for (int i = 0; i < pb.constants_size() && error.empty(); ++i) {
    const tnef::ConstantSegment &c = pb.constants(i);
    ConstantSegment seg;
    seg.name = c.name();
    seg.hbmOffset = c.hbm_offset();
    if (!checkRange("constants[" + Twine(i) + "] \"" + c.name() + "\"", seg.hbmOffset, int64_t(c.data().size())))
      break;
    seg.bytes.assign(c.data().begin(), c.data().end());
    p.constants.push_back(std::move(seg));
  }

  for (const tnef::DebugEntry &d : pb.debug())
    p.debug.push_back({d.isa_op(), d.tile_op(), d.graph_op(), d.node()});

  p.instructions.reserve(pb.instructions_size());
  for (int i = 0; i < pb.instructions_size() && error.empty(); ++i) {
    isa::Inst inst;
    if (decodeInst(pb.instructions(i), "instructions[" + Twine(i) + "]", p.debug.size(), inst))
      p.instructions.push_back(std::move(inst));
  }

  if (!error.empty())
    return createStringError(inconvertibleErrorCode(), error);
  return p;
}

Error envelopeError(StringRef origin, const Twine &msg) {
  return createStringError(inconvertibleErrorCode(), (origin + ": " + msg).str());
}

} // namespace

int64_t TensorInfo::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

int64_t TensorInfo::byteSize() const { return numElements() * isa::dtypeBytes(dtype); }

std::vector<const isa::Inst *> Program::stream(int64_t q) const {
  std::vector<const isa::Inst *> out;
  for (const isa::Inst &inst : instructions)
    if (inst.queue == q)
      out.push_back(&inst);
  return out;
}

namespace {
/// A Program's artifact bytes, sized before they are written so that they
/// can go straight into their destination (a string, or a mapped file).
///
/// The constants (hundreds of megabytes of weights) are written in protobuf's
/// wire format by hand; everything else goes through protobuf. Protobuf
/// writes a message's fields in field-number order and a message may be split
/// anywhere between fields, so head (fields 1-7) + constants (8) + tail (9,
/// 10) are exactly the bytes that serialising one tnef::Program holding
/// everything gives, without copying each constant on the way.
class ProgramEncoder {
public:
  explicit ProgramEncoder(const Program &p) : p(p) {
    head.set_target_name(p.targetName);
    head.set_target_json(p.targetJson);
    head.set_compiler_version(p.compilerVersion);
    head.set_compiler_options(p.compilerOptions);
    head.set_hbm_size(p.hbmSize);
    for (const TensorInfo &t : p.inputs)
      encodeTensor(t, *head.add_inputs());
    for (const TensorInfo &t : p.outputs)
      encodeTensor(t, *head.add_outputs());
    for (const isa::Inst &inst : p.instructions)
      encodeInst(inst, *tail.add_instructions());
    for (const DebugEntry &d : p.debug) {
      tnef::DebugEntry *pd = tail.add_debug();
      pd->set_isa_op(d.isaOp);
      pd->set_tile_op(d.tileOp);
      pd->set_graph_op(d.graphOp);
      pd->set_node(d.node);
    }
    // Each constant: its name and offset through protobuf, then field 3
    // (data) by hand; proto3 leaves an empty field out.
    constantHeads.reserve(p.constants.size());
    payloadSize = uint64_t(head.ByteSizeLong()) + tail.ByteSizeLong();
    for (const ConstantSegment &c : p.constants) {
      tnef::ConstantSegment pc;
      pc.set_name(c.name);
      pc.set_hbm_offset(c.hbmOffset);
      constantHeads.push_back(pc.SerializeAsString());
      uint64_t message = constantHeads.back().size() + dataFieldSize(c.data());
      payloadSize += 1 + CodedOutputStream::VarintSize64(message) + message;
    }
  }

  /// Header and payload bytes; 0 when the payload would exceed protobuf's
  /// 2 GiB message limit.
  uint64_t size() const { return payloadSize > uint64_t(INT_MAX) ? 0 : kHeaderSize + payloadSize; }

  /// Writes size() bytes at `out`.
  void write(uint8_t *out) const {
    constexpr uint32_t kConstantsTag = (8 << 3) | 2, kDataTag = (3 << 3) | 2;
    uint8_t *begin = out + kHeaderSize;
    uint8_t *at = head.SerializeWithCachedSizesToArray(begin);
    for (auto [c, pcHead] : llvm::zip_equal(p.constants, constantHeads)) {
      ArrayRef<uint8_t> bytes = c.data();
      at = CodedOutputStream::WriteTagToArray(kConstantsTag, at);
      at = CodedOutputStream::WriteVarint64ToArray(pcHead.size() + dataFieldSize(bytes), at);
      at = std::copy(pcHead.begin(), pcHead.end(), at);
      if (!bytes.empty()) {
        at = CodedOutputStream::WriteTagToArray(kDataTag, at);
        at = CodedOutputStream::WriteVarint64ToArray(bytes.size(), at);
        at = std::copy(bytes.begin(), bytes.end(), at);
      }
    }
    at = tail.SerializeWithCachedSizesToArray(at);
    assert(uint64_t(at - begin) == payloadSize && "payload size mismatch");
    (void)at;

    char header[kHeaderSize];
    std::memcpy(header, kMagic, sizeof kMagic);
    support::endian::write32le(header + 8, Program::kFormatVersion);
    support::endian::write32le(header + 12, 0); // flags
    support::endian::write64le(header + 16, payloadSize);
    support::endian::write64le(header + 24, xxh3_64bits(ArrayRef<uint8_t>(begin, payloadSize)));
    std::memcpy(out, header, kHeaderSize);
  }

private:
  using CodedOutputStream = google::protobuf::io::CodedOutputStream;

  static uint64_t dataFieldSize(ArrayRef<uint8_t> bytes) {
    return bytes.empty() ? 0 : 1 + CodedOutputStream::VarintSize64(bytes.size()) + bytes.size();
  }

  const Program &p;
  tnef::Program head, tail;
  std::vector<std::string> constantHeads;
  uint64_t payloadSize = 0;
};
} // namespace

std::string trellis::encodeProgram(const Program &p) {
  ProgramEncoder encoder(p);
  if (!encoder.size())
    return std::string();
  std::string out(encoder.size(), '\0');
  encoder.write(reinterpret_cast<uint8_t *>(out.data()));
  return out;
}

Expected<Program> trellis::decodeProgram(StringRef bytes, StringRef origin) {
  StringRef magic(kMagic, sizeof kMagic);
  if (!bytes.starts_with(magic.take_front(std::min(bytes.size(), magic.size()))) || bytes.empty())
    return envelopeError(origin, "bad magic: not a .tnef file");
  if (bytes.size() < kHeaderSize)
    return envelopeError(origin, "truncated: " + Twine(bytes.size()) + " bytes, shorter than the " +
                                     Twine(kHeaderSize) + "-byte header");
  const char *h = bytes.data();
  uint32_t version = support::endian::read32le(h + 8);
  uint32_t flags = support::endian::read32le(h + 12);
  uint64_t length = support::endian::read64le(h + 16);
  uint64_t checksum = support::endian::read64le(h + 24);
  if (version != Program::kFormatVersion)
    return envelopeError(origin, "unsupported format version " + Twine(version) + " (this build reads version " +
                                     Twine(Program::kFormatVersion) + ")");
  if (flags != 0)
    return envelopeError(origin, "unknown header flags 0x" + utohexstr(flags));
  StringRef payload = bytes.drop_front(kHeaderSize);
  if (payload.size() < length)
    return envelopeError(origin, "truncated: header says " + Twine(length) + " payload bytes, file has " +
                                     Twine(payload.size()));
  if (payload.size() > length)
    return envelopeError(origin, Twine(payload.size() - length) + " trailing bytes after the payload");
  uint64_t actual = xxh3_64bits(payload);
  if (actual != checksum)
    return envelopeError(origin, "checksum mismatch (file corrupted): header says 0x" + utohexstr(checksum) +
                                     ", payload hashes to 0x" + utohexstr(actual));
  if (payload.size() > size_t(INT_MAX))
    return envelopeError(origin, "payload of " + Twine(payload.size()) + " bytes exceeds the 2 GiB protobuf limit");

  tnef::Program pb;
  if (!pb.ParseFromArray(payload.data(), int(payload.size())))
    return envelopeError(origin, "payload is not a valid trellis.tnef.Program");
  return Decoder(origin).decode(pb);
}

Error trellis::writeProgramFile(const Program &p, StringRef path, uint64_t *bytesWritten) {
  ProgramEncoder encoder(p);
  if (!encoder.size())
    return createStringError(inconvertibleErrorCode(),
                             (path + ": program too large to encode (protobuf's 2 GiB message limit)").str());
  // Encoded straight into the mapped file: no artifact-sized buffer, no copy.
  if (Error e = writeFileAtomically(path, encoder.size(),
                                    [&](MutableArrayRef<uint8_t> out) { encoder.write(out.data()); }))
    return e;
  if (bytesWritten)
    *bytesWritten = encoder.size();
  return Error::success();
}

Expected<Program> trellis::readProgramFile(StringRef path) {
  Expected<std::string> bytes = readFile(path);
  if (!bytes)
    return bytes.takeError();
  return decodeProgram(*bytes, path);
}
