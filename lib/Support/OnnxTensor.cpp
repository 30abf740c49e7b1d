//===- OnnxTensor.cpp - Read an ONNX TensorProto (.pb) as a HostTensor ----===//

#include "trellis/Support/OnnxTensor.h"
#include "trellis/Support/FileIO.h"
#include "trellis/Support/Npy.h"

#include "onnx/onnx_pb.h"

#include "llvm/Support/Endian.h"
#include "llvm/Support/MathExtras.h"

#include <climits>
#include <cstring>

using namespace llvm;
using namespace trellis;

namespace {

Error onnxError(StringRef origin, const Twine &msg) {
  return createStringError(inconvertibleErrorCode(), (origin + ": onnx tensor: " + msg).str());
}

std::optional<HostDType> hostDTypeOf(int32_t t) {
  switch (t) {
  case onnx::TensorProto::FLOAT:
    return HostDType::f32;
  case onnx::TensorProto::FLOAT16:
    return HostDType::f16;
  case onnx::TensorProto::BFLOAT16:
    return HostDType::bf16;
  case onnx::TensorProto::DOUBLE:
    return HostDType::f64;
  case onnx::TensorProto::INT64:
    return HostDType::i64;
  case onnx::TensorProto::INT32:
    return HostDType::i32;
  case onnx::TensorProto::UINT32:
    return HostDType::u32;
  case onnx::TensorProto::INT16:
    return HostDType::i16;
  case onnx::TensorProto::INT8:
    return HostDType::i8;
  case onnx::TensorProto::UINT8:
    return HostDType::u8;
  case onnx::TensorProto::BOOL:
    return HostDType::boolean;
  default:
    return std::nullopt;
  }
}

std::string dataTypeName(int32_t t) {
  if (onnx::TensorProto::DataType_IsValid(t))
    return onnx::TensorProto::DataType_Name(static_cast<onnx::TensorProto::DataType>(t));
  return "data type " + std::to_string(t);
}

/// Stores the typed (non-raw) field of `tp` into `t.data`, whose element
/// count is `count`.
Error readTypedData(const onnx::TensorProto &tp, HostTensor &t, int64_t count, StringRef origin) {
  // fp16, bf16 and the narrow integers travel in int32_data, one element per
  // entry (fp16 and bf16 as their bit patterns in the low 16 bits).
  int64_t have;
  const char *field;
  switch (t.dtype) {
  case HostDType::f32:
    have = tp.float_data_size();
    field = "float_data";
    break;
  case HostDType::f64:
    have = tp.double_data_size();
    field = "double_data";
    break;
  case HostDType::i64:
    have = tp.int64_data_size();
    field = "int64_data";
    break;
  case HostDType::u32: // uint32 and uint64 travel in uint64_data
    have = tp.uint64_data_size();
    field = "uint64_data";
    break;
  default:
    have = tp.int32_data_size();
    field = "int32_data";
    break;
  }
  // Checked before allocating: the count comes from untrusted dims.
  if (have != count)
    return onnxError(origin, Twine(field) + " has " + Twine(have) + " values, the shape needs " + Twine(count));

  int64_t bytes = hostDTypeBytes(t.dtype);
  t.data.resize(size_t(count * bytes));
  uint8_t *out = t.data.data();
  auto store = [&](int64_t i, auto v) { std::memcpy(out + i * bytes, &v, sizeof v); };
  for (int i = 0; i < int(count); ++i) {
    switch (t.dtype) {
    case HostDType::f32:
      store(i, tp.float_data(i));
      break;
    case HostDType::f64:
      store(i, tp.double_data(i));
      break;
    case HostDType::i64:
      store(i, int64_t(tp.int64_data(i)));
      break;
    case HostDType::i32:
      store(i, int32_t(tp.int32_data(i)));
      break;
    case HostDType::u32:
      store(i, uint32_t(tp.uint64_data(i)));
      break;
    case HostDType::i16:
      store(i, int16_t(tp.int32_data(i)));
      break;
    case HostDType::f16:
    case HostDType::bf16:
      store(i, uint16_t(tp.int32_data(i)));
      break;
    case HostDType::i8:
    case HostDType::u8:
    case HostDType::boolean:
      store(i, uint8_t(tp.int32_data(i)));
      break;
    }
  }
  return Error::success();
}

} // namespace

Expected<HostTensor> trellis::readOnnxTensorFile(StringRef path, std::string *name) {
  Expected<std::string> bytes = readFile(path);
  if (!bytes)
    return bytes.takeError();
  if (bytes->size() > size_t(INT_MAX))
    return onnxError(path, "file too large for a TensorProto (2 GiB limit)");

  onnx::TensorProto tp;
  if (!tp.ParseFromArray(bytes->data(), int(bytes->size())))
    return onnxError(path, "not a valid serialized onnx.TensorProto");
  if (name)
    *name = tp.name();

  std::optional<HostDType> dtype = hostDTypeOf(tp.data_type());
  if (!dtype)
    return onnxError(path, "unsupported element type " + dataTypeName(tp.data_type()) +
                               " (supported: FLOAT FLOAT16 BFLOAT16 DOUBLE INT64 INT32 UINT32 INT16 INT8 UINT8 BOOL)");
  if (tp.data_location() == onnx::TensorProto::EXTERNAL)
    return onnxError(path, "external data is not supported");
  if (tp.has_segment())
    return onnxError(path, "segmented tensors are not supported");

  HostTensor t;
  t.dtype = *dtype;
  int64_t count = 1;
  for (int64_t d : tp.dims()) {
    if (d < 0)
      return onnxError(path, "negative dimension " + Twine(d));
    if (MulOverflow(count, d, count))
      return onnxError(path, "shape overflows");
    t.shape.push_back(d);
  }
  int64_t dataBytes;
  if (MulOverflow(count, hostDTypeBytes(t.dtype), dataBytes))
    return onnxError(path, "shape overflows");

  if (tp.has_raw_data()) {
    // raw_data is little-endian, as is every host we build for.
    const std::string &raw = tp.raw_data();
    if (int64_t(raw.size()) != dataBytes)
      return onnxError(path, "raw_data has " + Twine(raw.size()) + " bytes, the shape needs " + Twine(dataBytes));
    t.data.assign(raw.begin(), raw.end());
    return t;
  }
  if (Error e = readTypedData(tp, t, count, path))
    return std::move(e);
  return t;
}

Expected<HostTensor> trellis::readTensorFile(StringRef path) {
  if (path.ends_with(".pb"))
    return readOnnxTensorFile(path);
  return readNpyFile(path);
}
