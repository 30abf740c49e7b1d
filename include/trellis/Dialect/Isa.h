//===- Isa.h - The isa dialect --------------------------------------------===//
#ifndef TRELLIS_DIALECT_ISA_H
#define TRELLIS_DIALECT_ISA_H

#include "trellis/Target/IsaEnums.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/SymbolTable.h"

#include "isa/IsaDialect.h.inc"
#define GET_ATTRDEF_CLASSES
#include "isa/IsaAttrs.h.inc"
#include "isa/IsaOpInterfaces.h.inc"
#define GET_OP_CLASSES
#include "isa/IsaOps.h.inc"

#endif
