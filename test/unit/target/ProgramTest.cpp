//===- ProgramTest.cpp - The .tnef codec ----------------------------------===//

#include "trellis/Target/Program.h"
#include "trellis/Support/FileIO.h"

#include "tnef.pb.h"

#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/xxhash.h"

#include <gtest/gtest.h>

#include <random>

using namespace trellis;
using namespace trellis::isa;

namespace {

constexpr size_t kHeader = 32;

AccessPattern ap(Space space, int64_t p0, int64_t np, int64_t offset, DType dt, std::vector<int64_t> sizes,
                 std::vector<int64_t> strides, int64_t pstride = 0) {
  AccessPattern a;
  a.space = space;
  a.partStart = p0;
  a.partCount = np;
  a.partStride = pstride;
  a.offset = offset;
  a.dtype = dt;
  a.sizes.assign(sizes.begin(), sizes.end());
  a.strides.assign(strides.begin(), strides.end());
  return a;
}

/// A program that uses every opcode and gives every Inst field a
/// non-default value somewhere.
Program everything() {
  Program p;
  p.targetName = "trn2";
  auto json = readFile(TRELLIS_SOURCE_DIR "/targets/trn2.json");
  EXPECT_TRUE(bool(json));
  p.targetJson = *json;
  p.compilerVersion = "trellis 0.1.0-test";
  p.compilerOptions = "-O2 --auto-cast=matmult";
  p.hbmSize = 1 << 20;
  p.inputs.push_back({"x", DType::f32, {8, 16}, 0});
  p.outputs.push_back({"y", DType::bf16, {8, 16}, 4096});
  p.outputs.push_back({"scalar", DType::i64, {}, 8192});
  p.constants.push_back({"w", 16384, std::vector<uint8_t>(256, 0xab)});
  p.constants.push_back({"empty", 0, {}});
  p.debug.push_back({"isa.dma", "tile.load", "graph.matmul", "MatMul_0"});
  p.debug.push_back({"isa.nop", "", "", "kernel.nki:3:7"});

  uint32_t n = 0;
  for (uint32_t raw = 0; raw < 256; ++raw) {
    std::optional<Opcode> op = symbolizeOpcode(raw);
    if (!op)
      continue;
    Inst i;
    i.opcode = *op;
    i.queue = (*op == Opcode::dma) ? 5 + 15 : int64_t(raw % 5);
    i.waits.push_back({kQueuePE, int64_t(raw)});
    if (raw % 2)
      i.waits.push_back({5 + 3, 1ll << 40});
    i.signal = raw % 3 != 0;
    i.dst = ap(Space::sbuf, 0, 128, 64, DType::bf16, {4, 512}, {1024, 1});
    i.src0 = ap(Space::hbm, 0, 128, 8192, DType::f8e4m3, {2, 3, 4, 5}, {-1, 0, 7, 1}, 512);
    i.src1 = ap(Space::psum, 32, 32, 2048, DType::f32, {16}, {2});
    if (*op == Opcode::activation) // only activation has one
      i.accum = ap(Space::sbuf, 64, 64, 4096, DType::f32, {1}, {1});
    i.func = ActFunc(raw % 16);
    i.op0 = AluOp(raw % 17);
    i.op1 = AluOp::abs_max;
    i.scale = -0.0f;
    i.imm0 = 1e-30f;
    i.imm1 = std::numeric_limits<float>::infinity();
    i.start = true;
    i.base = -7;
    i.pstep = 1ll << 35;
    i.fstep = -3;
    i.keep = 2; // a valid N:M pattern, checked on the sparse PE instructions
    i.group = 4;
    i.debugId = n++ % 2;
    p.instructions.push_back(i);
  }
  // And the defaults: absent operands, zero fields.
  Inst nop;
  nop.opcode = Opcode::nop;
  p.instructions.push_back(nop);
  return p;
}

void expectSamePrograms(const Program &a, const Program &b) {
  EXPECT_EQ(a.targetName, b.targetName);
  EXPECT_EQ(a.targetJson, b.targetJson);
  EXPECT_EQ(a.compilerVersion, b.compilerVersion);
  EXPECT_EQ(a.compilerOptions, b.compilerOptions);
  EXPECT_EQ(a.hbmSize, b.hbmSize);
  auto sameTensors = [](const std::vector<TensorInfo> &x, const std::vector<TensorInfo> &y) {
    ASSERT_EQ(x.size(), y.size());
    for (size_t i = 0; i < x.size(); ++i) {
      EXPECT_EQ(x[i].name, y[i].name);
      EXPECT_EQ(x[i].dtype, y[i].dtype);
      EXPECT_EQ(x[i].shape, y[i].shape);
      EXPECT_EQ(x[i].hbmOffset, y[i].hbmOffset);
    }
  };
  sameTensors(a.inputs, b.inputs);
  sameTensors(a.outputs, b.outputs);
  ASSERT_EQ(a.constants.size(), b.constants.size());
  for (size_t i = 0; i < a.constants.size(); ++i) {
    EXPECT_EQ(a.constants[i].name, b.constants[i].name);
    EXPECT_EQ(a.constants[i].hbmOffset, b.constants[i].hbmOffset);
    EXPECT_EQ(a.constants[i].bytes, b.constants[i].bytes);
  }
  ASSERT_EQ(a.debug.size(), b.debug.size());
  for (size_t i = 0; i < a.debug.size(); ++i) {
    EXPECT_EQ(a.debug[i].isaOp, b.debug[i].isaOp);
    EXPECT_EQ(a.debug[i].tileOp, b.debug[i].tileOp);
    EXPECT_EQ(a.debug[i].graphOp, b.debug[i].graphOp);
    EXPECT_EQ(a.debug[i].node, b.debug[i].node);
  }
  ASSERT_EQ(a.instructions.size(), b.instructions.size());
  for (size_t i = 0; i < a.instructions.size(); ++i)
    EXPECT_TRUE(a.instructions[i] == b.instructions[i]) << "instruction " << i;
}

std::string errorOf(llvm::StringRef bytes) {
  auto p = decodeProgram(bytes, "x.tnef");
  if (p)
    return "<accepted>";
  return llvm::toString(p.takeError());
}

/// Decoding `p` fails with a one-line message naming the file and `words`.
void expectRejected(const Program &p, llvm::StringRef words) {
  std::string msg = errorOf(encodeProgram(p));
  EXPECT_EQ(msg.rfind("x.tnef: ", 0), 0u) << msg;
  EXPECT_NE(msg.find(words.str()), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
}

/// Replaces the checksum so that payload edits reach the decoder.
void fixChecksum(std::string &bytes) {
  llvm::support::endian::write64le(&bytes[24], llvm::xxh3_64bits(llvm::StringRef(bytes).drop_front(kHeader)));
}

TEST(Program, RoundTripsEveryOpcodeAndField) {
  Program p = everything();
  ASSERT_EQ(p.instructions.size(), 16u); // 15 opcodes + a default nop
  std::string bytes = encodeProgram(p);
  auto back = decodeProgram(bytes, "x.tnef");
  ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
  expectSamePrograms(p, *back);
  EXPECT_EQ(encodeProgram(*back), bytes); // deterministic
}

// encodeProgram writes the constants' wire format by hand (so that weights
// are copied once); the payload must be exactly what protobuf itself writes
// for the whole message.
TEST(Program, PayloadIsProtobufsOwnSerialisation) {
  Program p = everything();
  // Lengths whose varints take 1, 2 and 3 bytes, and a message length that
  // crosses 127 only with its name.
  p.constants.push_back({"one", 8, {7}});
  p.constants.push_back({"", 0, std::vector<uint8_t>(127, 1)});
  p.constants.push_back({std::string(300, 'n'), -1, std::vector<uint8_t>(120, 2)});
  p.constants.push_back({"big", int64_t(1) << 40, std::vector<uint8_t>(200000, 3)});
  p.constants.push_back({"no data", 64, {}});
  for (const Program &q : {p, Program()}) {
    std::string bytes = encodeProgram(q);
    ASSERT_GE(bytes.size(), kHeader);
    std::string payload = bytes.substr(kHeader);
    tnef::Program pb;
    ASSERT_TRUE(pb.ParseFromString(payload));
    EXPECT_EQ(pb.constants_size(), int(q.constants.size()));
    std::string reference;
    ASSERT_TRUE(pb.SerializeToString(&reference));
    EXPECT_TRUE(reference == payload) << "payload differs from protobuf's serialisation";
  }
}

// A segment that borrows its bytes encodes exactly like one that owns them.
TEST(Program, BorrowedConstantsEncodeLikeOwnedOnes) {
  Program owned = everything();
  owned.constants.push_back({"w2", 32768, std::vector<uint8_t>(1000, 0x5a)});
  Program borrowed = owned;
  for (ConstantSegment &c : borrowed.constants) {
    c.borrowed = llvm::ArrayRef(owned.constants[&c - borrowed.constants.data()].bytes);
    c.bytes.clear();
  }
  EXPECT_TRUE(encodeProgram(borrowed) == encodeProgram(owned));
}

TEST(Program, RejectsASparseInstructionWithoutAPattern) {
  for (auto [keep, group] : {std::pair<int64_t, int64_t>{0, 0}, {3, 4}, {2, 32}, {4, 4}}) {
    Program p = everything();
    for (Inst &i : p.instructions)
      if (i.opcode == Opcode::multiply_moving_sparse) {
        i.keep = keep;
        i.group = group;
      }
    expectRejected(p, "(multiply_moving_sparse): sparsity pattern " + std::to_string(keep) +
                          ":" + std::to_string(group) + " is not N:M");
  }
}

TEST(Program, EnvelopeLayout) {
  std::string bytes = encodeProgram(everything());
  ASSERT_GT(bytes.size(), kHeader);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x89TNEF\r\n\x1a", 8));
  EXPECT_EQ(llvm::support::endian::read32le(&bytes[8]), Program::kFormatVersion);
  EXPECT_EQ(llvm::support::endian::read32le(&bytes[12]), 0u);
  EXPECT_EQ(llvm::support::endian::read64le(&bytes[16]), bytes.size() - kHeader);
  EXPECT_EQ(llvm::support::endian::read64le(&bytes[24]),
            llvm::xxh3_64bits(llvm::StringRef(bytes).drop_front(kHeader)));
}

TEST(Program, Streams) {
  Program p = everything();
  size_t total = 0;
  for (int64_t q = 0; q < 5 + 16; ++q) {
    for (const Inst *i : p.stream(q))
      EXPECT_EQ(i->queue, q);
    total += p.stream(q).size();
  }
  EXPECT_EQ(total, p.instructions.size());
  EXPECT_EQ(p.stream(20).size(), 1u); // the dma on q15
  EXPECT_EQ(p.outputs[0].byteSize(), 8 * 16 * 2);
  EXPECT_EQ(p.outputs[1].numElements(), 1);
}

TEST(Program, RejectsDamagedEnvelopes) {
  std::string good = encodeProgram(everything());
  EXPECT_NE(errorOf(good.substr(0, good.size() - 1)).find("truncated"), std::string::npos);
  EXPECT_NE(errorOf(good.substr(0, 20)).find("truncated"), std::string::npos);
  EXPECT_NE(errorOf(good + "z").find("trailing bytes"), std::string::npos);

  std::string flipped = good;
  flipped[good.size() / 2] ^= 0x10;
  EXPECT_NE(errorOf(flipped).find("checksum mismatch"), std::string::npos) << errorOf(flipped);

  std::string magic = good;
  magic[1] = 'X';
  EXPECT_NE(errorOf(magic).find("bad magic"), std::string::npos);
  EXPECT_NE(errorOf("").find("bad magic"), std::string::npos);
  EXPECT_NE(errorOf("PK\x03\x04").find("bad magic"), std::string::npos);

  std::string version = good;
  llvm::support::endian::write32le(&version[8], 2);
  EXPECT_NE(errorOf(version).find("unsupported format version 2"), std::string::npos);

  std::string notProto = good.substr(0, kHeader) + std::string("\xff\xff\xff\xff\xff", 5);
  llvm::support::endian::write64le(&notProto[16], 5);
  fixChecksum(notProto);
  EXPECT_NE(errorOf(notProto).find("not a valid trellis.tnef.Program"), std::string::npos) << errorOf(notProto);
}

TEST(Program, RejectsBadContents) {
  Program base = everything();
  {
    Program p = base;
    p.instructions[3].opcode = Opcode(99);
    expectRejected(p, "instructions[3]: unknown opcode 99");
  }
  {
    Program p = base;
    p.inputs[0].hbmOffset = p.hbmSize - 100; // 8 x 16 f32 = 512 bytes
    expectRejected(p, "inputs[0] \"x\": hbm_offset 1048476 + 512 bytes exceeds hbm_size 1048576");
  }
  {
    Program p = base;
    p.outputs[0].hbmOffset = -4;
    expectRejected(p, "outputs[0] \"y\": negative hbm_offset");
  }
  {
    Program p = base;
    p.constants[0].hbmOffset = p.hbmSize - 1;
    expectRejected(p, "constants[0] \"w\": hbm_offset");
  }
  {
    Program p = base;
    p.inputs[0].shape = {1ll << 40, 1ll << 40};
    expectRejected(p, "inputs[0] \"x\": shape overflows");
  }
  {
    Program p = base;
    p.inputs[0].shape = {4, -1};
    expectRejected(p, "negative dimension");
  }
  {
    Program p = base;
    p.inputs[0].dtype = DType(77);
    expectRejected(p, "inputs[0] \"x\": unknown dtype 77");
  }
  {
    Program p = base;
    p.instructions[0].queue = 5 + 16; // trn2 has 16 DMA queues
    expectRejected(p, "queue 21 out of range [0, 21)");
  }
  {
    Program p = base;
    p.instructions[1].waits[0].queue = -1;
    expectRejected(p, "waits[0]: queue -1 out of range");
  }
  {
    Program p = base;
    p.instructions[2].dst.partStart = 100;
    p.instructions[2].dst.partCount = 29;
    expectRejected(p, "dst: partitions [100, +29) outside [0, 128)");
  }
  {
    Program p = base;
    p.instructions[2].src1.sizes.push_back(3);
    expectRejected(p, "src1: 2 sizes but 1 strides");
  }
  {
    Program p = base;
    p.instructions[2].src1.sizes = {1, 1, 1, 1, 1};
    p.instructions[2].src1.strides = {1, 1, 1, 1, 1};
    expectRejected(p, "src1: 5 free dimensions (at most 4)");
  }
  {
    Program p = base;
    p.instructions[2].src1.space = Space(9);
    expectRejected(p, "src1: unknown space 9");
  }
  {
    Program p = base;
    p.instructions[2].func = ActFunc(40);
    expectRejected(p, "unknown activation function 40");
  }
  {
    Program p = base;
    p.instructions[2].op1 = AluOp(1000);
    expectRejected(p, "unknown ALU op1 1000");
  }
  {
    Program p = base;
    p.instructions[4].debugId = 2;
    expectRejected(p, "instructions[4] (tensor_tensor): debug_id 2 out of range");
  }
  {
    Program p = base;
    p.instructions[4].src1 = AccessPattern();
    expectRejected(p, "instructions[4] (tensor_tensor): missing operand src1");
  }
  {
    Program p = base;
    // 512 bf16 at 1024-element rows: the last row ends past 224 KiB.
    p.instructions[0].dst.sizes = {200, 512};
    expectRejected(p, "dst: access pattern touches bytes");
  }
  {
    Program p = base;
    p.instructions[0].src0.offset = p.hbmSize - 8;
    expectRejected(p, "(hbm_size)");
  }
  {
    Program p = base;
    p.instructions[0].src0.strides = {-100000, 0, 7, 1}; // reaches below HBM address 0
    expectRejected(p, "outside [0, 1048576)");
  }
  {
    Program p = base;
    p.instructions[0].src0.strides = {1ll << 62, 0, 7, 1}; // 4 * 2^62 > INT64_MAX
    p.instructions[0].src0.sizes[0] = 5;
    expectRejected(p, "extent overflows");
  }
  {
    Program p = base;
    p.hbmSize = 96ll << 30; // more than one trn2 core's 12 GiB
    expectRejected(p, "exceeds the target's HBM");
  }
  {
    Program p = base;
    p.targetJson = "{}";
    expectRejected(p, "embedded target: field \"name\": missing");
  }
}

TEST(Program, WithoutEmbeddedTargetUsesDefaultLimits) {
  Program p = everything();
  p.targetJson.clear();
  auto back = decodeProgram(encodeProgram(p), "x.tnef");
  ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
  EXPECT_TRUE(back->targetJson.empty());
}

TEST(Program, SurvivesCorruptedPayloads) {
  // Random damage behind a valid checksum reaches the protobuf parser and
  // the validator: each decode ends in a Program or an error, never a crash.
  std::string good = encodeProgram(everything());
  std::mt19937 rng(7);
  int accepted = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string s = good;
    int flips = 1 + int(rng() % 8);
    for (int k = 0; k < flips; ++k)
      s[kHeader + rng() % (s.size() - kHeader)] = char(rng());
    fixChecksum(s);
    auto p = decodeProgram(s, "fuzz.tnef");
    if (p)
      ++accepted;
    else
      llvm::consumeError(p.takeError());
  }
  RecordProperty("accepted", accepted);
}

TEST(Program, FilesAreWrittenAtomically) {
  llvm::SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("trellis-tnef", dir));
  std::string path = (dir + "/m.tnef").str();
  Program p = everything();
  uint64_t written = 0;
  ASSERT_FALSE(bool(writeProgramFile(p, path, &written)));
  auto file = readFile(path);
  ASSERT_TRUE(bool(file));
  EXPECT_TRUE(*file == encodeProgram(p)) << "the file differs from encodeProgram";
  EXPECT_EQ(written, file->size());
  auto back = readProgramFile(path);
  ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
  expectSamePrograms(p, *back);
  int entries = 0;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec; it.increment(ec))
    ++entries;
  EXPECT_EQ(entries, 1);
  auto missing = readProgramFile((dir + "/none.tnef").str());
  ASSERT_FALSE(bool(missing));
  EXPECT_NE(llvm::toString(missing.takeError()).find("none.tnef"), std::string::npos);
  llvm::sys::fs::remove_directories(dir);
}

} // namespace
