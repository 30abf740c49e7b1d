//===- Program.h - A compiled program in memory (the decoded .tnef) -------===//
//
// The artifact (docs/artifact.md) is this struct serialised with the protobuf
// schema lib/Target/tnef.proto inside a checksummed envelope.
//
//===----------------------------------------------------------------------===//
#ifndef TRELLIS_TARGET_PROGRAM_H
#define TRELLIS_TARGET_PROGRAM_H

#include "trellis/Target/ArchConfig.h"
#include "trellis/Target/Inst.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"
#include <string>
#include <vector>

namespace trellis {

/// An HBM tensor the host reads or writes: a graph input or output.
struct TensorInfo {
  std::string name; // ONNX name
  isa::DType dtype = isa::DType::f32;
  std::vector<int64_t> shape;
  int64_t hbmOffset = 0; // bytes, row-major
  int64_t numElements() const;
  int64_t byteSize() const;
};

/// A block of constant bytes placed at `hbmOffset`.
struct ConstantSegment {
  std::string name;
  int64_t hbmOffset = 0;
  std::vector<uint8_t> bytes;
  /// Bytes owned elsewhere, in place of `bytes` (which is then empty): the
  /// compiler's constant attributes, which outlive a Program that is only
  /// encoded (encodeIsaProgram with borrowConstants). encodeProgram reads
  /// data(); a decoded Program always owns its bytes.
  llvm::ArrayRef<uint8_t> borrowed = {};
  llvm::ArrayRef<uint8_t> data() const { return bytes.empty() ? borrowed : llvm::ArrayRef(bytes); }
};

/// Where an instruction came from.
struct DebugEntry {
  std::string isaOp;  // e.g. "isa.multiply_moving"
  std::string tileOp; // e.g. "tile.matmul"
  std::string graphOp; // e.g. "graph.linear"
  std::string node;   // ONNX node name, or kernel file:line:col
};

struct Program {
  static constexpr uint32_t kFormatVersion = 1;

  std::string targetName;
  std::string targetJson; // the arch config the program was compiled for
  std::string compilerVersion;
  std::string compilerOptions;
  int64_t hbmSize = 0;
  std::vector<TensorInfo> inputs, outputs;
  std::vector<ConstantSegment> constants;
  std::vector<isa::Inst> instructions; // program order; queue = stream
  std::vector<DebugEntry> debug;

  /// Instructions of queue `q`, in order.
  std::vector<const isa::Inst *> stream(int64_t q) const;
};

/// Serialises `p` to bytes (envelope + protobuf payload). Returns an empty
/// string when the payload would exceed protobuf's 2 GiB message limit.
std::string encodeProgram(const Program &p);
/// Parses and validates bytes written by encodeProgram. Rejects a bad magic,
/// an unknown format version, a checksum mismatch, and offsets or sizes out
/// of range, with a message naming what is wrong.
llvm::Expected<Program> decodeProgram(llvm::StringRef bytes, llvm::StringRef origin);

/// Encodes `p` (as encodeProgram) straight into the file `path`, written
/// atomically; `bytesWritten`, when given, receives the file's size.
llvm::Error writeProgramFile(const Program &p, llvm::StringRef path,
                             uint64_t *bytesWritten = nullptr);
llvm::Expected<Program> readProgramFile(llvm::StringRef path);

} // namespace trellis

#endif
