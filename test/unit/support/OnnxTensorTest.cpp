//===- OnnxTensorTest.cpp - ONNX TensorProto reader -----------------------===//

#include "trellis/Support/Numerics.h"
#include "trellis/Support/OnnxTensor.h"
#include "trellis/Support/FileIO.h"

#include "onnx/onnx_pb.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <gtest/gtest.h>

#include <cstring>

using namespace trellis;

namespace {

const char kNodeData[] = "/usr/share/libonnx-testdata/data/node";

std::string nodeFile(llvm::StringRef test, llvm::StringRef file) {
  return (llvm::Twine(kNodeData) + "/" + test + "/test_data_set_0/" + file).str();
}

TEST(OnnxTensor, ReadsBackendTestData) {
  std::string path = nodeFile("test_matmul_2d", "input_0.pb");
  if (!llvm::sys::fs::exists(path))
    GTEST_SKIP() << path << " not installed (libonnx-testdata)";
  std::string name;
  auto t = readOnnxTensorFile(path, &name);
  ASSERT_TRUE(bool(t)) << llvm::toString(t.takeError());
  EXPECT_EQ(name, "a");
  EXPECT_EQ(t->dtype, HostDType::f32);
  EXPECT_EQ(t->shape, (std::vector<int64_t>{3, 4}));
  // The generator used np.random.seed(0); np.random.randn: its first values
  // are 1.76405235, 0.40015721, 0.97873798, 2.2408932.
  std::vector<float> v = t->toFloat32();
  ASSERT_EQ(v.size(), 12u);
  EXPECT_FLOAT_EQ(v[0], 1.76405235f);
  EXPECT_FLOAT_EQ(v[1], 0.40015721f);
  EXPECT_FLOAT_EQ(v[2], 0.97873798f);
  EXPECT_FLOAT_EQ(v[3], 2.2408932f);

  auto viaDispatch = readTensorFile(path);
  ASSERT_TRUE(bool(viaDispatch));
  EXPECT_EQ(viaDispatch->data, t->data);
}

/// The ONNX reference for Cast(FLOAT16 -> FLOAT) was computed by numpy: our
/// f16 decoding must agree on every element.
TEST(OnnxTensor, Float16MatchesOnnxCastReference) {
  std::string in = nodeFile("test_cast_FLOAT16_to_FLOAT", "input_0.pb");
  std::string out = nodeFile("test_cast_FLOAT16_to_FLOAT", "output_0.pb");
  if (!llvm::sys::fs::exists(in))
    GTEST_SKIP() << in << " not installed";
  auto a = readOnnxTensorFile(in);
  auto b = readOnnxTensorFile(out);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->dtype, HostDType::f16);
  EXPECT_EQ(a->shape, b->shape);
  std::vector<float> want = b->toFloat32();
  ASSERT_EQ(int64_t(want.size()), a->numElements());
  for (int64_t i = 0; i < a->numElements(); ++i)
    EXPECT_EQ(float(a->getDouble(i)), want[i]) << i;
}

/// And Cast(FLOAT -> FLOAT16): numpy's rounding must match ours bit for bit.
TEST(OnnxTensor, Float16RoundingMatchesOnnxCastReference) {
  std::string in = nodeFile("test_cast_FLOAT_to_FLOAT16", "input_0.pb");
  std::string out = nodeFile("test_cast_FLOAT_to_FLOAT16", "output_0.pb");
  if (!llvm::sys::fs::exists(in))
    GTEST_SKIP() << in << " not installed";
  auto a = readOnnxTensorFile(in);
  auto b = readOnnxTensorFile(out);
  ASSERT_TRUE(a && b);
  ASSERT_EQ(b->dtype, HostDType::f16);
  std::vector<float> x = a->toFloat32();
  for (size_t i = 0; i < x.size(); ++i) {
    uint16_t want;
    std::memcpy(&want, b->data.data() + 2 * i, 2);
    EXPECT_EQ(numerics::f32ToF16(x[i]), want) << "x = " << x[i];
  }
}

TEST(OnnxTensor, EveryBackendInputReadsOrFailsCleanly) {
  if (!llvm::sys::fs::exists(kNodeData))
    GTEST_SKIP() << kNodeData << " not installed";
  int read = 0, rejected = 0;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(kNodeData, ec), end; it != end && !ec; it.increment(ec)) {
    std::string path = it->path() + "/test_data_set_0/input_0.pb";
    if (!llvm::sys::fs::exists(path))
      continue;
    auto t = readOnnxTensorFile(path);
    if (t) {
      ++read;
      EXPECT_EQ(int64_t(t->data.size()), t->numElements() * hostDTypeBytes(t->dtype)) << path;
      continue;
    }
    ++rejected;
    // Types outside the supported set (STRING, UINT16, ...) and inputs that
    // are sequences or optionals rather than tensors: a one-line error
    // naming the file.
    std::string msg = llvm::toString(t.takeError());
    EXPECT_EQ(msg.rfind(path, 0), 0u) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
  EXPECT_GT(read, 500);
  EXPECT_LT(rejected, read / 10);
}

class OnnxFiles : public ::testing::Test {
protected:
  void SetUp() override { ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("trellis-onnx", dir)); }
  void TearDown() override { llvm::sys::fs::remove_directories(dir); }
  std::string write(const onnx::TensorProto &tp, llvm::StringRef name = "t.pb") {
    llvm::SmallString<128> p(dir);
    llvm::sys::path::append(p, name);
    std::string bytes;
    EXPECT_TRUE(tp.SerializeToString(&bytes));
    EXPECT_FALSE(bool(writeFileAtomically(p, bytes)));
    return p.str().str();
  }
  llvm::SmallString<128> dir;
};

TEST_F(OnnxFiles, TypedFields) {
  onnx::TensorProto tp;
  tp.set_name("h");
  tp.set_data_type(onnx::TensorProto::FLOAT16);
  tp.add_dims(2);
  tp.add_int32_data(0x3c00); // 1.0
  tp.add_int32_data(0xc000); // -2.0
  auto t = readOnnxTensorFile(write(tp));
  ASSERT_TRUE(bool(t)) << llvm::toString(t.takeError());
  EXPECT_EQ(t->dtype, HostDType::f16);
  EXPECT_EQ(t->toFloat32(), (std::vector<float>{1.0f, -2.0f}));

  onnx::TensorProto i64;
  i64.set_data_type(onnx::TensorProto::INT64);
  i64.add_dims(1);
  i64.add_dims(3);
  for (int64_t v : {int64_t(-1), int64_t(1) << 40, int64_t(7)})
    i64.add_int64_data(v);
  t = readOnnxTensorFile(write(i64));
  ASSERT_TRUE(bool(t)) << llvm::toString(t.takeError());
  EXPECT_EQ(t->shape, (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(t->getDouble(1), 1099511627776.0);

  onnx::TensorProto b;
  b.set_data_type(onnx::TensorProto::BOOL);
  b.add_dims(3);
  for (int v : {1, 0, 1})
    b.add_int32_data(v);
  t = readOnnxTensorFile(write(b));
  ASSERT_TRUE(bool(t));
  EXPECT_EQ(t->data, (std::vector<uint8_t>{1, 0, 1}));

  onnx::TensorProto d; // a scalar: no dims
  d.set_data_type(onnx::TensorProto::DOUBLE);
  d.add_double_data(-0.125);
  t = readOnnxTensorFile(write(d));
  ASSERT_TRUE(bool(t));
  EXPECT_TRUE(t->shape.empty());
  EXPECT_EQ(t->getDouble(0), -0.125);

  onnx::TensorProto bf;
  bf.set_data_type(onnx::TensorProto::BFLOAT16);
  bf.add_dims(1);
  bf.add_int32_data(0x4049);
  t = readOnnxTensorFile(write(bf));
  ASSERT_TRUE(bool(t));
  EXPECT_EQ(t->getDouble(0), 3.140625);
}

TEST_F(OnnxFiles, Rejections) {
  auto expectError = [&](const onnx::TensorProto &tp, llvm::StringRef words) {
    std::string path = write(tp);
    auto t = readOnnxTensorFile(path);
    ASSERT_FALSE(bool(t)) << "expected: " << words.str();
    std::string msg = llvm::toString(t.takeError());
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    EXPECT_NE(msg.find(words.str()), std::string::npos) << msg;
  };
  onnx::TensorProto s;
  s.set_data_type(onnx::TensorProto::STRING);
  s.add_dims(1);
  s.add_string_data("x");
  expectError(s, "unsupported element type STRING");

  onnx::TensorProto shortRaw;
  shortRaw.set_data_type(onnx::TensorProto::FLOAT);
  shortRaw.add_dims(4);
  shortRaw.set_raw_data(std::string(12, '\0'));
  expectError(shortRaw, "raw_data has 12 bytes, the shape needs 16");

  onnx::TensorProto fewValues;
  fewValues.set_data_type(onnx::TensorProto::FLOAT);
  fewValues.add_dims(3);
  fewValues.add_float_data(1);
  expectError(fewValues, "float_data has 1 values, the shape needs 3");

  onnx::TensorProto huge; // must be refused before anything is allocated
  huge.set_data_type(onnx::TensorProto::FLOAT);
  huge.add_dims(int64_t(1) << 40);
  huge.add_dims(int64_t(1) << 30);
  expectError(huge, "overflows");
  huge.clear_dims();
  huge.add_dims(int64_t(1) << 50);
  expectError(huge, "float_data has 0 values");

  onnx::TensorProto neg;
  neg.set_data_type(onnx::TensorProto::INT32);
  neg.add_dims(-1);
  expectError(neg, "negative dimension");

  onnx::TensorProto ext;
  ext.set_data_type(onnx::TensorProto::FLOAT);
  ext.set_data_location(onnx::TensorProto::EXTERNAL);
  expectError(ext, "external data");

  llvm::SmallString<128> garbage(dir);
  llvm::sys::path::append(garbage, "garbage.pb");
  ASSERT_FALSE(bool(writeFileAtomically(garbage, "\xff\xff\xff\xff not a protobuf")));
  auto t = readOnnxTensorFile(garbage);
  ASSERT_FALSE(bool(t));
  EXPECT_NE(llvm::toString(t.takeError()).find("not a valid serialized onnx.TensorProto"), std::string::npos);
}

} // namespace
