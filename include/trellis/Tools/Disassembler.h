//===- Disassembler.h - Print a Program as per-engine assembly ------------===//
#ifndef TRELLIS_TOOLS_DISASSEMBLER_H
#define TRELLIS_TOOLS_DISASSEMBLER_H

#include "trellis/Target/Program.h"
#include "mlir/Support/LogicalResult.h"
#include "llvm/Support/raw_ostream.h"
#include <optional>
#include <string>
#include <vector>

namespace trellis {
/// Writes a header (target, tensors, constants) and then, per queue, every
/// instruction in the isa dialect's assembly syntax with its index and the
/// graph op / ONNX node it came from.
mlir::LogicalResult disassemble(const Program &program, llvm::raw_ostream &os);

/// Each instruction's assembly text (the isa dialect's syntax), in program
/// order; std::nullopt if the program does not decode.
std::optional<std::vector<std::string>> disassembleEach(const Program &program);
} // namespace trellis

#endif
