//===- HostTensor.cpp - A tensor in host memory ---------------------------===//

#include "trellis/Support/HostTensor.h"
#include "trellis/Support/Numerics.h"

#include <cassert>
#include <cstring>

using namespace trellis;

int64_t trellis::hostDTypeBytes(HostDType t) {
  switch (t) {
  case HostDType::f64:
  case HostDType::i64:
    return 8;
  case HostDType::f32:
  case HostDType::i32:
  case HostDType::u32:
    return 4;
  case HostDType::f16:
  case HostDType::bf16:
  case HostDType::i16:
    return 2;
  case HostDType::i8:
  case HostDType::u8:
  case HostDType::boolean:
    return 1;
  }
  return 1;
}

const char *trellis::hostDTypeName(HostDType t) {
  switch (t) {
  case HostDType::f32:
    return "f32";
  case HostDType::f16:
    return "f16";
  case HostDType::bf16:
    return "bf16";
  case HostDType::f64:
    return "f64";
  case HostDType::i64:
    return "i64";
  case HostDType::i32:
    return "i32";
  case HostDType::u32:
    return "u32";
  case HostDType::i16:
    return "i16";
  case HostDType::i8:
    return "i8";
  case HostDType::u8:
    return "u8";
  case HostDType::boolean:
    return "bool";
  }
  return "?";
}

std::optional<isa::DType> trellis::toIsaDType(HostDType t) {
  switch (t) {
  case HostDType::f32:
    return isa::DType::f32;
  case HostDType::f16:
    return isa::DType::f16;
  case HostDType::bf16:
    return isa::DType::bf16;
  case HostDType::i64:
    return isa::DType::i64;
  case HostDType::i32:
    return isa::DType::i32;
  case HostDType::u32:
    return isa::DType::u32;
  case HostDType::i16:
    return isa::DType::i16;
  case HostDType::i8:
    return isa::DType::i8;
  case HostDType::u8:
    return isa::DType::u8;
  case HostDType::f64:
  case HostDType::boolean:
    return std::nullopt;
  }
  return std::nullopt;
}

std::optional<HostDType> trellis::toHostDType(isa::DType t) {
  switch (t) {
  case isa::DType::f32:
    return HostDType::f32;
  case isa::DType::f16:
    return HostDType::f16;
  case isa::DType::bf16:
    return HostDType::bf16;
  case isa::DType::i64:
    return HostDType::i64;
  case isa::DType::i32:
    return HostDType::i32;
  case isa::DType::u32:
    return HostDType::u32;
  case isa::DType::i16:
    return HostDType::i16;
  case isa::DType::i8:
    return HostDType::i8;
  case isa::DType::u8:
    return HostDType::u8;
  default:
    return std::nullopt;
  }
}

int64_t HostTensor::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

namespace {
template <typename T> T load(const uint8_t *p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
} // namespace

double HostTensor::getDouble(int64_t i) const {
  int64_t bytes = hostDTypeBytes(dtype);
  assert(i >= 0 && (i + 1) * bytes <= int64_t(data.size()) && "element index out of range");
  const uint8_t *p = data.data() + i * bytes;
  switch (dtype) {
  case HostDType::f32:
    return load<float>(p);
  case HostDType::f16:
    return numerics::f16ToF32(load<uint16_t>(p));
  case HostDType::bf16:
    return numerics::bf16ToF32(load<uint16_t>(p));
  case HostDType::f64:
    return load<double>(p);
  case HostDType::i64:
    return double(load<int64_t>(p));
  case HostDType::i32:
    return load<int32_t>(p);
  case HostDType::u32:
    return load<uint32_t>(p);
  case HostDType::i16:
    return load<int16_t>(p);
  case HostDType::i8:
    return load<int8_t>(p);
  case HostDType::u8:
    return load<uint8_t>(p);
  case HostDType::boolean:
    return load<uint8_t>(p) ? 1.0 : 0.0;
  }
  return 0.0;
}

std::vector<float> HostTensor::toFloat32() const {
  int64_t n = int64_t(data.size()) / hostDTypeBytes(dtype);
  std::vector<float> out(n);
  if (dtype == HostDType::f32) {
    if (n)
      std::memcpy(out.data(), data.data(), n * sizeof(float));
    return out;
  }
  for (int64_t i = 0; i < n; ++i)
    out[i] = float(getDouble(i));
  return out;
}

HostTensor HostTensor::fromFloat32(const std::vector<int64_t> &shape, const std::vector<float> &v) {
  HostTensor t;
  t.dtype = HostDType::f32;
  t.shape = shape;
  assert(int64_t(v.size()) == t.numElements() && "shape does not match the data");
  t.data.resize(v.size() * sizeof(float));
  if (!v.empty())
    std::memcpy(t.data.data(), v.data(), t.data.size());
  return t;
}
