//===- Isa.h - The isa dialect --------------------------------------------===//
#ifndef TRELLIS_DIALECT_ISA_H
#define TRELLIS_DIALECT_ISA_H

#include "trellis/Target/Inst.h"
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

namespace trellis::isa {
/// The hardware element type of an MLIR element type, if it has one.
std::optional<DType> dtypeFromType(mlir::Type type);
/// The MLIR element type of a hardware element type.
mlir::Type typeFromDType(mlir::MLIRContext *ctx, DType dtype);

/// `[[size,stride],...]`: the free-axis pattern shared by #isa.ap and #tile.view.
mlir::ParseResult parseFreeAxes(mlir::AsmParser &parser, llvm::SmallVectorImpl<int64_t> &sizes,
                                llvm::SmallVectorImpl<int64_t> &strides);
void printFreeAxes(mlir::AsmPrinter &printer, llvm::ArrayRef<int64_t> sizes,
                   llvm::ArrayRef<int64_t> strides);

/// The artifact's form of an instruction op (no debug id): what the codec
/// encodes and the timing model and scheduler read. Fails, with an error
/// at the op, on a field that has no encoding.
mlir::FailureOr<Inst> toInst(InstructionOp inst);
} // namespace trellis::isa

#endif
