//===- fuzz-tnef.cpp - libFuzzer target: .tnef loader and emulator --------===//
//
// bytes -> decodeProgram -> (if it decodes) a timing-only run and, for small
// programs, a full functional run on zero inputs, both with an instruction
// budget. Errors are fine; crashes, hangs and leaks are not.
//
// Almost every mutation of a real artifact breaks its checksum, so an input
// that starts with the .tnef magic is also tried "resealed": bytes 32.. are
// taken as the payload and given a fresh, valid header. That lets the fuzzer
// reach the protobuf decoding, the validation and the emulator.
//
//===----------------------------------------------------------------------===//

#include "trellis/Emulator/Emulator.h"
#include "trellis/Support/HostTensor.h"
#include "trellis/Target/ArchConfig.h"
#include "trellis/Target/Program.h"

#include "llvm/Support/Endian.h"
#include "llvm/Support/xxhash.h"

#include <cstdint>
#include <cstring>
#include <map>
#include <string>

using namespace trellis;

namespace {

constexpr char kMagic[8] = {'\x89', 'T', 'N', 'E', 'F', '\r', '\n', '\x1a'};
constexpr int64_t kMaxFullRunHbm = 16 << 20;
constexpr uint64_t kMaxInstructions = 10000;

/// Zero-filled host tensors matching the program's input table, or false if
/// an input is too large or has a type the host cannot hold.
bool zeroInputs(const Program &p, std::map<std::string, HostTensor> &feeds) {
  for (const TensorInfo &t : p.inputs) {
    HostTensor h;
    std::optional<HostDType> dt = toHostDType(t.dtype);
    h.dtype = dt ? *dt : HostDType::u8; // fp8 inputs are fed as raw bytes
    h.shape = t.shape;
    int64_t n = 1;
    for (int64_t d : t.shape) {
      if (d < 0 || (d > 0 && n > kMaxFullRunHbm / d))
        return false;
      n *= d;
    }
    if (n > kMaxFullRunHbm)
      return false;
    h.data.assign(size_t(n * hostDTypeBytes(h.dtype)), 0);
    feeds[t.name] = std::move(h);
  }
  return true;
}

void runDecoded(llvm::StringRef bytes) {
  llvm::Expected<Program> program = decodeProgram(bytes, "fuzz.tnef");
  if (!program) {
    llvm::consumeError(program.takeError());
    return;
  }
  llvm::Expected<ArchConfig> arch = parseArchConfig(program->targetJson, "fuzz.tnef:target");
  if (!arch) {
    llvm::consumeError(arch.takeError());
    return;
  }

  emu::RunOptions timing;
  timing.timingOnly = true;
  timing.maxInstructions = kMaxInstructions;
  if (auto r = emu::run(*program, *arch, {}, timing); !r)
    llvm::consumeError(r.takeError());

  if (program->hbmSize < 0 || program->hbmSize >= kMaxFullRunHbm)
    return;
  std::map<std::string, HostTensor> feeds;
  if (!zeroInputs(*program, feeds))
    return;
  emu::RunOptions full;
  full.maxInstructions = kMaxInstructions;
  if (auto r = emu::run(*program, *arch, feeds, full); !r)
    llvm::consumeError(r.takeError());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  runDecoded(bytes);

  if (size >= 32 && std::memcmp(data, kMagic, sizeof kMagic) == 0) {
    std::string sealed(bytes.str());
    llvm::ArrayRef<uint8_t> payload(data + 32, size - 32);
    char *h = sealed.data();
    llvm::support::endian::write32le(h + 8, Program::kFormatVersion);
    llvm::support::endian::write32le(h + 12, 0);
    llvm::support::endian::write64le(h + 16, payload.size());
    llvm::support::endian::write64le(h + 24, llvm::xxh3_64bits(payload));
    if (sealed != bytes)
      runDecoded(sealed);
  }
  return 0;
}
