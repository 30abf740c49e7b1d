//===- FileIO.h - Atomic file output --------------------------------------===//
#ifndef TRELLIS_SUPPORT_FILEIO_H
#define TRELLIS_SUPPORT_FILEIO_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

namespace trellis {

/// Writes `bytes` to a temporary file beside `path`, then renames it over
/// `path`: readers never see a partial file, and a failure leaves nothing.
llvm::Error writeFileAtomically(llvm::StringRef path, llvm::StringRef bytes);

/// Reads a whole file.
llvm::Expected<std::string> readFile(llvm::StringRef path);

} // namespace trellis

#endif
