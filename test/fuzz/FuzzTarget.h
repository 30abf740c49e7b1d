//===- FuzzTarget.h - What the fuzzers share -----------------------------===//
#ifndef TRELLIS_TEST_FUZZ_FUZZTARGET_H
#define TRELLIS_TEST_FUZZ_FUZZTARGET_H

#include "trellis/Target/ArchConfig.h"

#include "llvm/Support/raw_ostream.h"
#include <cstdlib>

namespace trellis {

/// The bundled trn2 arch config, loaded once; a missing config is a broken
/// installation, not a finding, so the fuzzer `name` stops with a message.
inline const ArchConfig &fuzzTargetTrn2(const char *name) {
  static ArchConfig *arch = [name] {
    llvm::Expected<ArchConfig> a = loadArchConfig("trn2");
    if (!a) {
      llvm::errs() << name << ": " << llvm::toString(a.takeError()) << "\n";
      std::abort();
    }
    return new ArchConfig(std::move(*a));
  }();
  return *arch;
}

} // namespace trellis

#endif
