//===- IsaCodec.h - isa dialect <-> Program (the artifact) ----------------===//
//
// One generic codec: an isa op's attribute names are the isa::Inst field
// names, so no per-instruction encoding code exists beside IsaOps.td.
//
//===----------------------------------------------------------------------===//
#ifndef TRELLIS_CONVERSION_ISACODEC_H
#define TRELLIS_CONVERSION_ISACODEC_H

#include "trellis/Dialect/Isa.h"
#include "trellis/Target/Program.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace trellis {

/// Encodes `program` (after semaphore insertion) into a Program. With
/// `borrowConstants`, constants stored verbatim are not copied: their
/// segments borrow the attributes' bytes (ConstantSegment::borrowed), for a
/// Program that is only serialised while `program` lives.
mlir::FailureOr<Program> encodeIsaProgram(isa::ProgramOp program, const ArchConfig &arch,
                                          llvm::StringRef options, bool borrowConstants = false);

/// Rebuilds the isa dialect form of `program` (constants without their
/// values), for disassembly. Fails with a diagnostic on an instruction that
/// is not valid isa.
mlir::OwningOpRef<mlir::ModuleOp> decodeIsaProgram(const Program &program,
                                                   mlir::MLIRContext &ctx);

} // namespace trellis

#endif
