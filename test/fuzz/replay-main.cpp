//===- replay-main.cpp - Runs a fuzz target on files, without libFuzzer ---===//
//
// Linked with one fuzz-*.cpp into fuzz-replay-<name> in every build, so the
// crash inputs kept in test/fuzz/regressions/<name>/ are replayed by ctest
// through exactly the code path the fuzzer took. Arguments are files or
// directories (every regular file inside, sorted). A crash, sanitizer report
// or hang fails the test; a clean error on the input is what is expected.
//
//===----------------------------------------------------------------------===//

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv) {
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    if (!llvm::sys::fs::is_directory(argv[i])) {
      files.push_back(argv[i]);
      continue;
    }
    std::vector<std::string> inDir;
    std::error_code ec;
    for (llvm::sys::fs::directory_iterator it(argv[i], ec), end; it != end && !ec;
         it.increment(ec))
      if (llvm::sys::fs::is_regular_file(it->path()))
        inDir.push_back(it->path());
    llvm::sort(inDir);
    llvm::append_range(files, inDir);
  }
  if (files.empty()) {
    llvm::errs() << argv[0] << ": no inputs\n";
    return 2;
  }
  for (const std::string &path : files) {
    auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                              /*RequiresNullTerminator=*/false);
    if (!buffer) {
      llvm::errs() << argv[0] << ": cannot read '" << path << "': " << buffer.getError().message()
                   << "\n";
      return 2;
    }
    llvm::outs() << "replay " << path << "\n";
    llvm::outs().flush();
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t *>((*buffer)->getBufferStart()),
                           (*buffer)->getBufferSize());
  }
  llvm::outs() << files.size() << " inputs replayed without a crash\n";
  return 0;
}
