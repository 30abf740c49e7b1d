//===- InstTest.cpp - Queues, access patterns, ISA enums ------------------===//

#include "trellis/Target/Inst.h"

#include <gtest/gtest.h>

using namespace trellis::isa;

namespace {

TEST(Queues, NamesAndKinds) {
  EXPECT_EQ(queueName(0), "pe");
  EXPECT_EQ(queueName(1), "act");
  EXPECT_EQ(queueName(2), "dve");
  EXPECT_EQ(queueName(3), "pool");
  EXPECT_EQ(queueName(4), "sp");
  EXPECT_EQ(queueName(5), "q0");
  EXPECT_EQ(queueName(20), "q15");
  EXPECT_EQ(queueKind(kQueuePE), EngineKind::pe);
  EXPECT_EQ(queueKind(kQueueACT), EngineKind::act);
  EXPECT_EQ(queueKind(kQueueDVE), EngineKind::dve);
  EXPECT_EQ(queueKind(kQueuePOOL), EngineKind::pool);
  EXPECT_EQ(queueKind(kQueueSP), EngineKind::sp);
  EXPECT_EQ(queueKind(5), EngineKind::dma);
  EXPECT_EQ(queueKind(100), EngineKind::dma);
}

TEST(Queues, ParseIsTheInverseOfName) {
  for (int64_t q = 0; q < 5 + 64; ++q)
    EXPECT_EQ(parseQueueName(queueName(q)), q) << queueName(q);
  EXPECT_EQ(parseQueueName("q7"), 12);
  for (const char *bad : {"", "q", "q-1", "q01", "q+1", "Q0", "pe ", "dma", "q1x", "q99999999999999999999"})
    EXPECT_FALSE(parseQueueName(bad)) << bad;
}

TEST(AccessPattern, FreeOffsets) {
  AccessPattern ap;
  ap.partCount = 4;
  ap.dtype = DType::f32;
  ap.sizes = {2, 3};
  ap.strides = {10, 1};
  EXPECT_EQ(ap.freeElements(), 6);
  EXPECT_EQ(ap.elementBytes(), 4);
  // Linear index i -> (i / 3, i % 3) -> (i / 3) * 10 + i % 3 elements.
  EXPECT_EQ(ap.freeByteOffset(0), 0);
  EXPECT_EQ(ap.freeByteOffset(2), 8);
  EXPECT_EQ(ap.freeByteOffset(3), 40);
  EXPECT_EQ(ap.freeByteOffset(5), 48);

  // A transposing pattern with a broadcast (stride 0) axis, bf16.
  AccessPattern t;
  t.partCount = 1;
  t.dtype = DType::bf16;
  t.sizes = {2, 2, 3};
  t.strides = {0, 1, 8};
  EXPECT_EQ(t.freeElements(), 12);
  EXPECT_EQ(t.freeByteOffset(4), (1 * 1 + 1 * 8) * 2); // (0, 1, 1)
  EXPECT_EQ(t.freeByteOffset(10), (1 * 1 + 1 * 8) * 2); // (1, 1, 1): broadcast
  AccessPattern scalar;
  EXPECT_EQ(scalar.freeElements(), 1);
  EXPECT_FALSE(scalar.present());
}

TEST(AccessPattern, Equality) {
  AccessPattern a;
  a.partCount = 2;
  a.sizes = {4};
  a.strides = {1};
  AccessPattern b = a;
  EXPECT_TRUE(a == b);
  b.strides = {2};
  EXPECT_FALSE(a == b);
  b = a;
  b.space = Space::psum;
  EXPECT_FALSE(a == b);
}

TEST(Inst, EqualityComparesFloatBits) {
  Inst a;
  a.opcode = Opcode::tensor_scalar;
  Inst b = a;
  EXPECT_TRUE(a == b);
  b.imm0 = -0.0f; // encodes differently from +0.0
  EXPECT_FALSE(a == b);
  b = a;
  b.waits.push_back({kQueuePE, 3});
  EXPECT_FALSE(a == b);
}

TEST(IsaEnums, SizesAndNames) {
  EXPECT_EQ(dtypeBytes(DType::f32), 4);
  EXPECT_EQ(dtypeBytes(DType::bf16), 2);
  EXPECT_EQ(dtypeBytes(DType::f16), 2);
  EXPECT_EQ(dtypeBytes(DType::f8e4m3), 1);
  EXPECT_EQ(dtypeBytes(DType::f8e5m2), 1);
  EXPECT_EQ(dtypeBytes(DType::i64), 8);
  EXPECT_EQ(dtypeBytes(DType::u32), 4);
  EXPECT_EQ(dtypeBytes(DType::i16), 2);
  EXPECT_TRUE(isFloat(DType::f8e5m2));
  EXPECT_FALSE(isFloat(DType::u8));
  EXPECT_EQ(stringifyOpcode(Opcode::multiply_moving), "multiply_moving");
  EXPECT_EQ(symbolizeDType("f8e4m3"), DType::f8e4m3);
  EXPECT_FALSE(symbolizeOpcode(0u));
}

} // namespace
