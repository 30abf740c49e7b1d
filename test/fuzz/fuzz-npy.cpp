//===- fuzz-npy.cpp - libFuzzer target: the .npy reader -------------------===//
//
// bytes -> parseNpy. Errors are fine; crashes and leaks are not. A tensor
// that parses is read back element by element and re-serialised.
//
//===----------------------------------------------------------------------===//

#include "trellis/Support/HostTensor.h"
#include "trellis/Support/Npy.h"

#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  llvm::Expected<trellis::HostTensor> t = trellis::parseNpy(bytes, "fuzz.npy");
  if (!t) {
    llvm::consumeError(t.takeError());
    return 0;
  }
  double sum = 0;
  for (int64_t i = 0, e = t->numElements(); i < e; ++i)
    sum += t->getDouble(i);
  (void)sum;
  (void)trellis::serializeNpy(*t);
  return 0;
}
