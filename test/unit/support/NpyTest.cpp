//===- NpyTest.cpp - .npy reader and writer -------------------------------===//

#include "trellis/Support/Npy.h"
#include "trellis/Support/Numerics.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <random>

using namespace trellis;

namespace {

std::string errorText(llvm::Error e) { return llvm::toString(std::move(e)); }

// What numpy 1.24 writes for np.save(f, np.array([[1, 2, 3], [4, 5, 6]],
// dtype='<f4')): magic, version 1.0, header length 0x76 = 118, the dict
// padded with spaces to 10 + 118 = 128 bytes, then six little-endian floats.
const char kHeader23[] = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"
                         "                                                          \n";
std::string npy23() {
  std::string s("\x93NUMPY\x01\x00\x76\x00", 10);
  s += kHeader23;
  const unsigned char data[] = {0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x40, 0x40,
                                0x00, 0x00, 0x80, 0x40, 0x00, 0x00, 0xa0, 0x40, 0x00, 0x00, 0xc0, 0x40};
  s.append(reinterpret_cast<const char *>(data), sizeof data);
  return s;
}

TEST(Npy, ParsesHandWrittenFile) {
  std::string bytes = npy23();
  ASSERT_EQ(bytes.size(), 128u + 24u); // the fixture itself is well-formed
  auto t = parseNpy(bytes, "hand.npy");
  ASSERT_TRUE(bool(t)) << errorText(t.takeError());
  EXPECT_EQ(t->dtype, HostDType::f32);
  EXPECT_EQ(t->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(t->toFloat32(), (std::vector<float>{1, 2, 3, 4, 5, 6}));
}

TEST(Npy, WritesWhatNumpyWrites) {
  HostTensor t = HostTensor::fromFloat32({2, 3}, {1, 2, 3, 4, 5, 6});
  EXPECT_EQ(serializeNpy(t), npy23());
}

TEST(Npy, ParsesVersion2AndOddSpellings) {
  // Version 2.0 (uint32 length), '=' byte order, double quotes, no trailing
  // comma, a Python 2 long, and no padding at all.
  std::string dict = "{\"descr\":\"=i4\",\"fortran_order\":False,\"shape\":(2L,)}";
  std::string s("\x93NUMPY\x02\x00", 8);
  uint32_t len = uint32_t(dict.size());
  s.append(reinterpret_cast<const char *>(&len), 4);
  s += dict;
  int32_t v[2] = {-7, 123456};
  s.append(reinterpret_cast<const char *>(v), 8);
  auto t = parseNpy(s, "v2.npy");
  ASSERT_TRUE(bool(t)) << errorText(t.takeError());
  EXPECT_EQ(t->dtype, HostDType::i32);
  EXPECT_EQ(t->shape, std::vector<int64_t>{2});
  EXPECT_EQ(t->getDouble(0), -7);
  EXPECT_EQ(t->getDouble(1), 123456);
}

TEST(Npy, ScalarAndEmpty) {
  HostTensor scalar = HostTensor::fromFloat32({}, {2.5f});
  auto back = parseNpy(serializeNpy(scalar), "s.npy");
  ASSERT_TRUE(bool(back)) << errorText(back.takeError());
  EXPECT_TRUE(back->shape.empty());
  EXPECT_EQ(back->numElements(), 1);
  EXPECT_EQ(back->getDouble(0), 2.5);

  HostTensor empty = HostTensor::fromFloat32({0, 5}, {});
  back = parseNpy(serializeNpy(empty), "e.npy");
  ASSERT_TRUE(bool(back)) << errorText(back.takeError());
  EXPECT_EQ(back->shape, (std::vector<int64_t>{0, 5}));
  EXPECT_TRUE(back->data.empty());
}

TEST(Npy, RoundTripsEveryDType) {
  for (HostDType dt : {HostDType::f32, HostDType::f16, HostDType::f64, HostDType::i64, HostDType::i32,
                       HostDType::u32, HostDType::i16, HostDType::i8, HostDType::u8, HostDType::boolean}) {
    HostTensor t;
    t.dtype = dt;
    t.shape = {3, 1, 4};
    t.data.resize(12 * hostDTypeBytes(dt));
    for (size_t i = 0; i < t.data.size(); ++i)
      t.data[i] = uint8_t(i * 37 + 11);
    if (dt == HostDType::boolean)
      for (auto &b : t.data)
        b &= 1;
    std::string bytes = serializeNpy(t);
    EXPECT_EQ(bytes.size() % 64, t.data.size() % 64) << hostDTypeName(dt); // data 64-byte aligned
    auto back = parseNpy(bytes, "rt.npy");
    ASSERT_TRUE(bool(back)) << hostDTypeName(dt) << ": " << errorText(back.takeError());
    EXPECT_EQ(back->dtype, dt) << hostDTypeName(dt);
    EXPECT_EQ(back->shape, t.shape) << hostDTypeName(dt);
    EXPECT_EQ(back->data, t.data) << hostDTypeName(dt);
  }
}

TEST(Npy, Bf16IsWidenedToF4) {
  HostTensor t;
  t.dtype = HostDType::bf16;
  t.shape = {3};
  for (uint16_t h : {uint16_t(0x3f80), uint16_t(0xc049), uint16_t(0x0001)}) {
    t.data.push_back(uint8_t(h));
    t.data.push_back(uint8_t(h >> 8));
  }
  std::string bytes = serializeNpy(t);
  EXPECT_NE(bytes.find("'descr': '<f4'"), std::string::npos);
  auto back = parseNpy(bytes, "bf16.npy");
  ASSERT_TRUE(bool(back)) << errorText(back.takeError());
  EXPECT_EQ(back->dtype, HostDType::f32);
  std::vector<float> want = {1.0f, -3.140625f, numerics::bf16ToF32(0x0001)};
  EXPECT_EQ(back->toFloat32(), want);
}

/// Replaces the dict of the hand-written file (keeping the length right).
std::string withDict(llvm::StringRef dict, size_t dataBytes = 24) {
  std::string s("\x93NUMPY\x01\x00", 8);
  uint16_t len = uint16_t(dict.size());
  s.append(reinterpret_cast<const char *>(&len), 2);
  s += dict.str();
  s.append(dataBytes, '\0');
  return s;
}

void expectRejected(const std::string &bytes, llvm::StringRef words) {
  auto t = parseNpy(bytes, "bad.npy");
  ASSERT_FALSE(bool(t)) << "accepted; expected an error about " << words.str();
  std::string msg = errorText(t.takeError());
  EXPECT_NE(msg.find("bad.npy"), std::string::npos) << msg;
  EXPECT_NE(msg.find(words.str()), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << "not one line: " << msg;
}

TEST(Npy, RejectsMalformedInput) {
  std::string good = npy23();
  expectRejected("", "bad magic");
  expectRejected("PK\x03\x04 zip file", "bad magic");
  expectRejected(good.substr(0, 7), "truncated");
  expectRejected(good.substr(0, 9), "truncated");
  expectRejected(good.substr(0, 60), "truncated header");
  expectRejected(good.substr(0, good.size() - 1), "data size mismatch");
  expectRejected(good + "x", "data size mismatch");
  std::string v9 = good;
  v9[6] = 9;
  expectRejected(v9, "unsupported format version 9");
  expectRejected(withDict("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), "), "unparsable header");
  expectRejected(withDict("not a dict"), "unparsable header");
  expectRejected(withDict("{'descr': '<f4', 'fortran_order': False, 'shape': (2, x), }"), "unparsable header");
  expectRejected(withDict("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } junk"), "unparsable");
  expectRejected(withDict("{'descr': '<f4', 'fortran_order': False}"), "lacks 'shape'");
  expectRejected(withDict("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), 'x': 1}"), "unexpected header key");
  expectRejected(withDict("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }"), "big-endian");
  expectRejected(withDict("{'descr': '<u2', 'fortran_order': False, 'shape': (2, 3), }"), "unsupported dtype");
  expectRejected(withDict("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }"), "structured");
  expectRejected(withDict("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }"), "fortran_order");
  expectRejected(withDict("{'descr': '<f4', 'fortran_order': 0, 'shape': (2, 3), }"), "fortran_order");
  expectRejected(withDict("{'descr': '<f4', 'fortran_order': False, 'shape': (-2, -3), }"), "negative dimension");
  expectRejected(withDict("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }"),
                 "overflows");
  expectRejected(withDict("{'descr': '<f4', 'fortran_order': False, 'shape': (2305843009213693952,), }"),
                 "overflows");
  expectRejected(withDict("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }"),
                 "out of range");
  expectRejected(withDict("{'descr': '<f4', 'fortran_order': False, 'shape': (7,), }"), "needs 28 bytes");
}

TEST(Npy, SurvivesHostileBytes) {
  // Every truncation and many random corruptions: errors, never a crash.
  std::string good = npy23();
  for (size_t n = 0; n < good.size(); ++n)
    EXPECT_FALSE(bool(parseNpy(good.substr(0, n), "cut.npy"))) << n;
  std::mt19937 rng(42);
  for (int iter = 0; iter < 20000; ++iter) {
    std::string s = good;
    int flips = 1 + int(rng() % 4);
    for (int k = 0; k < flips; ++k)
      s[rng() % 128] = char(rng());
    auto t = parseNpy(s, "fuzz.npy");
    if (t)
      EXPECT_EQ(int64_t(t->data.size()), t->numElements() * hostDTypeBytes(t->dtype));
    else
      llvm::consumeError(t.takeError());
  }
}

class NpyFiles : public ::testing::Test {
protected:
  void SetUp() override { ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("trellis-npy", dir)); }
  void TearDown() override { llvm::sys::fs::remove_directories(dir); }
  std::string path(llvm::StringRef name) {
    llvm::SmallString<128> p(dir);
    llvm::sys::path::append(p, name);
    return p.str().str();
  }
  llvm::SmallString<128> dir;
};

TEST_F(NpyFiles, WriteThenRead) {
  HostTensor t = HostTensor::fromFloat32({2, 2}, {0.5f, -1.0f, 3.0f, 1e-3f});
  ASSERT_FALSE(bool(writeNpyFile(t, path("a.npy"))));
  auto back = readNpyFile(path("a.npy"));
  ASSERT_TRUE(bool(back)) << errorText(back.takeError());
  EXPECT_EQ(back->data, t.data);
  auto missing = readNpyFile(path("missing.npy"));
  ASSERT_FALSE(bool(missing));
  EXPECT_NE(errorText(missing.takeError()).find("missing.npy"), std::string::npos);
}

TEST_F(NpyFiles, ReadsWhatNumpyWrites) {
  // Optional cross-check against the real numpy; the hand-written byte
  // strings above are the tests that always run.
  if (!llvm::sys::fs::exists("/usr/bin/python3"))
    GTEST_SKIP() << "no /usr/bin/python3";
  std::string out = path("np.npy");
  std::string cmd = "/usr/bin/python3 -c \"import numpy as np; np.save('" + out +
                    "', np.arange(24, dtype='<i8').reshape(2, 3, 4) * 3 - 5)\" 2>/dev/null";
  if (std::system(cmd.c_str()) != 0)
    GTEST_SKIP() << "numpy not available";
  auto t = readNpyFile(out);
  ASSERT_TRUE(bool(t)) << errorText(t.takeError());
  EXPECT_EQ(t->dtype, HostDType::i64);
  EXPECT_EQ(t->shape, (std::vector<int64_t>{2, 3, 4}));
  for (int64_t i = 0; i < 24; ++i)
    EXPECT_EQ(t->getDouble(i), double(i * 3 - 5));
}

} // namespace
