//===- Npy.h - NumPy .npy reader and writer --------------------------------===//
//
// Format version 1.0/2.0/3.0, little-endian, C order. dtypes: <f4 <f2 <f8 <i8
// <i4 <u4 <i2 |i1 |u1 |b1 (and bf16 is never written: it is widened to f4).
//
//===----------------------------------------------------------------------===//
#ifndef TRELLIS_SUPPORT_NPY_H
#define TRELLIS_SUPPORT_NPY_H

#include "trellis/Support/HostTensor.h"
#include "llvm/Support/Error.h"

namespace trellis {

llvm::Expected<HostTensor> parseNpy(llvm::StringRef bytes, llvm::StringRef origin);
std::string serializeNpy(const HostTensor &t);
llvm::Expected<HostTensor> readNpyFile(llvm::StringRef path);
/// Atomic (temp file + rename).
llvm::Error writeNpyFile(const HostTensor &t, llvm::StringRef path);

} // namespace trellis

#endif
