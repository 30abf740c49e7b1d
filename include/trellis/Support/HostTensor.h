//===- HostTensor.h - A tensor in host memory -----------------------------===//
#ifndef TRELLIS_SUPPORT_HOSTTENSOR_H
#define TRELLIS_SUPPORT_HOSTTENSOR_H

#include "trellis/Target/IsaEnums.h"
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace trellis {

/// Element types a host tensor (npy file, ONNX TensorProto) may hold.
enum class HostDType { f32, f16, bf16, f64, i64, i32, u32, i16, i8, u8, boolean };

int64_t hostDTypeBytes(HostDType t);
const char *hostDTypeName(HostDType t);
/// The ISA element type with the same bytes, if any (f64 and bool have none).
std::optional<isa::DType> toIsaDType(HostDType t);
/// The host dtype with the same bytes, if any (fp8, i16 and u32 have none).
std::optional<HostDType> toHostDType(isa::DType t);

/// A dense, C-order tensor with its bytes in host (little-endian) order.
struct HostTensor {
  HostDType dtype = HostDType::f32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;

  int64_t numElements() const;
  /// Element `i` converted to double.
  double getDouble(int64_t i) const;
  /// A float32 copy of the data (any numeric dtype).
  std::vector<float> toFloat32() const;
  static HostTensor fromFloat32(const std::vector<int64_t> &shape, const std::vector<float> &v);
};

} // namespace trellis

#endif
