//===- HostTensorTest.cpp - HostTensor element access ---------------------===//

#include "trellis/Support/HostTensor.h"

#include <gtest/gtest.h>

#include <cstring>

using namespace trellis;

namespace {

template <typename T> HostTensor make(HostDType dt, std::vector<T> values) {
  HostTensor t;
  t.dtype = dt;
  t.shape = {int64_t(values.size())};
  t.data.resize(values.size() * sizeof(T));
  std::memcpy(t.data.data(), values.data(), t.data.size());
  return t;
}

TEST(HostTensor, ElementSizesAndNames) {
  EXPECT_EQ(hostDTypeBytes(HostDType::f64), 8);
  EXPECT_EQ(hostDTypeBytes(HostDType::i64), 8);
  EXPECT_EQ(hostDTypeBytes(HostDType::f32), 4);
  EXPECT_EQ(hostDTypeBytes(HostDType::bf16), 2);
  EXPECT_EQ(hostDTypeBytes(HostDType::f16), 2);
  EXPECT_EQ(hostDTypeBytes(HostDType::boolean), 1);
  EXPECT_STREQ(hostDTypeName(HostDType::bf16), "bf16");
  EXPECT_STREQ(hostDTypeName(HostDType::boolean), "bool");
}

TEST(HostTensor, GetDoubleDecodesEachType) {
  EXPECT_EQ(make<double>(HostDType::f64, {-0.25, 1e300}).getDouble(1), 1e300);
  EXPECT_EQ(make<int64_t>(HostDType::i64, {-5, int64_t(1) << 40}).getDouble(1), 1099511627776.0);
  EXPECT_EQ(make<int32_t>(HostDType::i32, {-2147483647 - 1}).getDouble(0), -2147483648.0);
  EXPECT_EQ(make<int8_t>(HostDType::i8, {-128, 127}).getDouble(0), -128);
  EXPECT_EQ(make<int16_t>(HostDType::i16, {-32768, 7}).getDouble(0), -32768);
  EXPECT_EQ(make<uint32_t>(HostDType::u32, {4000000000u, 1}).getDouble(0), 4000000000.0);
  EXPECT_EQ(make<uint8_t>(HostDType::u8, {255}).getDouble(0), 255);
  EXPECT_EQ(make<uint8_t>(HostDType::boolean, {0, 1}).getDouble(1), 1);
  EXPECT_EQ(make<uint16_t>(HostDType::f16, {0x3c00, 0xc500}).getDouble(1), -5.0); // 0xc500 = -1.25 * 4
  EXPECT_EQ(make<uint16_t>(HostDType::bf16, {0x4049}).getDouble(0), 3.140625);
}

TEST(HostTensor, Float32Conversions) {
  HostTensor t = HostTensor::fromFloat32({2, 2}, {1, 2, 3, 4});
  EXPECT_EQ(t.numElements(), 4);
  EXPECT_EQ(t.data.size(), 16u);
  EXPECT_EQ(t.toFloat32(), (std::vector<float>{1, 2, 3, 4}));
  EXPECT_EQ(make<int32_t>(HostDType::i32, {7, -9}).toFloat32(), (std::vector<float>{7, -9}));
  HostTensor scalar;
  scalar.shape = {};
  EXPECT_EQ(scalar.numElements(), 1);
}

TEST(HostTensor, IsaDTypeMapping) {
  EXPECT_EQ(toIsaDType(HostDType::bf16), isa::DType::bf16);
  EXPECT_EQ(toIsaDType(HostDType::u8), isa::DType::u8);
  EXPECT_FALSE(toIsaDType(HostDType::f64));
  EXPECT_FALSE(toIsaDType(HostDType::boolean));
  EXPECT_EQ(toHostDType(isa::DType::i64), HostDType::i64);
  EXPECT_FALSE(toHostDType(isa::DType::f8e4m3));
  for (HostDType h : {HostDType::f32, HostDType::f16, HostDType::bf16, HostDType::i64, HostDType::i32,
                      HostDType::u32, HostDType::i16, HostDType::i8, HostDType::u8})
    EXPECT_EQ(toHostDType(*toIsaDType(h)), h) << hostDTypeName(h);
}

} // namespace
