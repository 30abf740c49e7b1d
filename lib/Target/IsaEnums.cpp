//===- IsaEnums.cpp - ISA enums generated from dialects/isa/IsaOps.td -----===//

#include "trellis/Target/IsaEnums.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/StringSwitch.h"

// stringify/symbolize for every ISA enum, generated once here so that the
// emulator and the codec need not link the isa dialect.
#include "isa/IsaEnums.cpp.inc"

int64_t trellis::isa::dtypeBytes(DType t) {
  switch (t) {
  case DType::i64:
    return 8;
  case DType::f32:
  case DType::i32:
  case DType::u32:
    return 4;
  case DType::bf16:
  case DType::f16:
  case DType::i16:
    return 2;
  case DType::f8e4m3:
  case DType::f8e5m2:
  case DType::i8:
  case DType::u8:
    return 1;
  }
  return 1;
}

bool trellis::isa::isFloat(DType t) {
  switch (t) {
  case DType::f32:
  case DType::bf16:
  case DType::f16:
  case DType::f8e4m3:
  case DType::f8e5m2:
    return true;
  default:
    return false;
  }
}
