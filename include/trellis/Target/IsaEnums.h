//===- IsaEnums.h - ISA enums generated from dialects/isa/IsaOps.td -------===//
//
// Opcode, memory space, element type, engine kind, activation function and
// ALU operation, as defined once in IsaOps.td. Plain enums: usable by the
// emulator without the isa dialect.
//
//===----------------------------------------------------------------------===//
#ifndef TRELLIS_TARGET_ISAENUMS_H
#define TRELLIS_TARGET_ISAENUMS_H

#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/StringRef.h"
#include <cstdint>
#include <optional>

#include "isa/IsaEnums.h.inc"

namespace trellis::isa {

/// Byte size of one element of `t`.
int64_t dtypeBytes(DType t);
/// True for the floating-point element types.
bool isFloat(DType t);

} // namespace trellis::isa

#endif
