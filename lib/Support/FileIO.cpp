//===- FileIO.cpp - Atomic file output ------------------------------------===//

#include "trellis/Support/FileIO.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <fcntl.h>

using namespace llvm;

namespace {

/// A temporary file next to `path`: in the destination's directory, so that
/// the final rename never crosses a file system (where it would not be
/// atomic).
Expected<sys::fs::TempFile> createTempFor(StringRef path) {
  SmallString<256> model(path);
  model += ".tmp-%%%%%%%%";
  Expected<sys::fs::TempFile> temp = sys::fs::TempFile::create(model);
  if (!temp)
    return createStringError(inconvertibleErrorCode(), "%s: cannot create a temporary file: %s",
                             path.str().c_str(), toString(temp.takeError()).c_str());
  return temp;
}

/// Discards `temp` and reports a failed write of `path`.
Error writeFailed(sys::fs::TempFile &temp, StringRef path, std::error_code ec) {
  consumeError(temp.discard());
  return createStringError(ec, "%s: write failed: %s", path.str().c_str(), ec.message().c_str());
}

/// Renames `temp` into place at `path`.
Error keepAt(sys::fs::TempFile &temp, StringRef path) {
  std::string tmpName = temp.TmpName;
  if (Error e = temp.keep(path)) {
    // keep() has already closed the file; make sure it is gone too.
    std::string msg = toString(std::move(e));
    sys::fs::remove(tmpName);
    return createStringError(inconvertibleErrorCode(),
                             "%s: cannot rename the temporary file into place: %s",
                             path.str().c_str(), msg.c_str());
  }
  return Error::success();
}

} // namespace

Error trellis::writeFileAtomically(StringRef path, StringRef bytes) {
  Expected<sys::fs::TempFile> temp = createTempFor(path);
  if (!temp)
    return temp.takeError();
  {
    raw_fd_ostream os(temp->FD, /*shouldClose=*/false);
    os << bytes;
    os.flush();
    if (std::error_code ec = os.error()) {
      os.clear_error();
      return writeFailed(*temp, path, ec);
    }
  }
  return keepAt(*temp, path);
}

Error trellis::writeFileAtomically(StringRef path, uint64_t size,
                                   function_ref<void(MutableArrayRef<uint8_t>)> fill) {
  Expected<sys::fs::TempFile> temp = createTempFor(path);
  if (!temp)
    return temp.takeError();
  if (size > 0) {
    // Reserve the blocks (posix_fallocate also sets the size): writing
    // through the mapping can then no longer run out of space.
#if defined(__linux__)
    if (int err = posix_fallocate(temp->FD, 0, off_t(size)))
      return writeFailed(*temp, path, std::error_code(err, std::generic_category()));
#else
    if (std::error_code ec = sys::fs::resize_file(temp->FD, size))
      return writeFailed(*temp, path, ec);
#endif
    std::error_code ec;
    sys::fs::mapped_file_region region(sys::fs::convertFDToNativeFile(temp->FD),
                                       sys::fs::mapped_file_region::readwrite, size, 0, ec);
    if (ec)
      return writeFailed(*temp, path, ec);
    fill(MutableArrayRef<uint8_t>(reinterpret_cast<uint8_t *>(region.data()), size));
  }
  return keepAt(*temp, path);
}

Expected<std::string> trellis::readFile(StringRef path) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> buf =
      MemoryBuffer::getFile(path, /*IsText=*/false, /*RequiresNullTerminator=*/false);
  if (!buf)
    return createStringError(buf.getError(), "%s: cannot read: %s", path.str().c_str(),
                             buf.getError().message().c_str());
  return (*buf)->getBuffer().str();
}
