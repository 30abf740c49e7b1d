//===- FileIO.h - Atomic file output --------------------------------------===//
#ifndef TRELLIS_SUPPORT_FILEIO_H
#define TRELLIS_SUPPORT_FILEIO_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

namespace trellis {

/// Writes `bytes` to a temporary file beside `path`, then renames it over
/// `path`: readers never see a partial file, and a failure leaves nothing.
llvm::Error writeFileAtomically(llvm::StringRef path, llvm::StringRef bytes);

/// Like writeFileAtomically(path, bytes), for `size` bytes that `fill`
/// writes in place: the temporary file is mapped, so a large output is not
/// built in memory and then copied into the file. Its blocks are allocated
/// before it is mapped, so a full disk is an error, not a SIGBUS.
llvm::Error writeFileAtomically(llvm::StringRef path, uint64_t size,
                                llvm::function_ref<void(llvm::MutableArrayRef<uint8_t>)> fill);

/// Reads a whole file.
llvm::Expected<std::string> readFile(llvm::StringRef path);

} // namespace trellis

#endif
