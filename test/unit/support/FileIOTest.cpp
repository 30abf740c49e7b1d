//===- FileIOTest.cpp - Atomic file output --------------------------------===//

#include "trellis/Support/FileIO.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <gtest/gtest.h>

using namespace trellis;

namespace {

class FileIO : public ::testing::Test {
protected:
  void SetUp() override { ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("trellis-fileio", dir)); }
  void TearDown() override { llvm::sys::fs::remove_directories(dir); }
  std::string path(llvm::StringRef name) {
    llvm::SmallString<128> p(dir);
    llvm::sys::path::append(p, name);
    return p.str().str();
  }
  int entries() {
    int n = 0;
    std::error_code ec;
    for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec; it.increment(ec))
      ++n;
    return n;
  }
  llvm::SmallString<128> dir;
};

TEST_F(FileIO, WritesReadsAndReplaces) {
  std::string bytes("binary\0data\xff", 12);
  ASSERT_FALSE(bool(writeFileAtomically(path("f.bin"), bytes)));
  auto back = readFile(path("f.bin"));
  ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
  EXPECT_EQ(*back, bytes);

  ASSERT_FALSE(bool(writeFileAtomically(path("f.bin"), "second")));
  back = readFile(path("f.bin"));
  ASSERT_TRUE(bool(back));
  EXPECT_EQ(*back, "second");
  EXPECT_EQ(entries(), 1) << "a temporary file was left behind";

  ASSERT_FALSE(bool(writeFileAtomically(path("empty"), "")));
  back = readFile(path("empty"));
  ASSERT_TRUE(bool(back));
  EXPECT_TRUE(back->empty());
}

TEST_F(FileIO, FailuresNameThePathAndLeaveNothing) {
  std::string bad = path("no-such-dir/f.bin");
  llvm::Error e = writeFileAtomically(bad, "x");
  ASSERT_TRUE(bool(e));
  EXPECT_NE(llvm::toString(std::move(e)).find(bad), std::string::npos);
  EXPECT_EQ(entries(), 0);

  // Renaming a file over a directory fails after the temporary was written.
  ASSERT_FALSE(llvm::sys::fs::create_directory(path("sub")));
  ASSERT_FALSE(llvm::sys::fs::create_directory(path("sub/child")));
  e = writeFileAtomically(path("sub"), "x");
  ASSERT_TRUE(bool(e));
  llvm::consumeError(std::move(e));
  EXPECT_EQ(entries(), 1) << "the temporary file was not removed";

  auto missing = readFile(path("missing"));
  ASSERT_FALSE(bool(missing));
  EXPECT_NE(llvm::toString(missing.takeError()).find("missing"), std::string::npos);
}

} // namespace

// The mapped variant: the bytes `fill` writes in place, replacing the file
// atomically, with the same failure behaviour.
TEST_F(FileIO, WritesInPlaceThroughAMapping) {
  auto fillWith = [](std::string bytes) {
    return [bytes](llvm::MutableArrayRef<uint8_t> out) {
      ASSERT_EQ(out.size(), bytes.size());
      std::copy(bytes.begin(), bytes.end(), out.begin());
    };
  };
  std::string big(3 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i)
    big[i] = char(i * 131 + (i >> 12));
  ASSERT_FALSE(bool(writeFileAtomically(path("m.bin"), "old")));
  ASSERT_FALSE(bool(writeFileAtomically(path("m.bin"), big.size(), fillWith(big))));
  auto back = readFile(path("m.bin"));
  ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
  EXPECT_TRUE(*back == big);
  ASSERT_FALSE(bool(writeFileAtomically(path("m.bin"), 0, fillWith(""))));
  back = readFile(path("m.bin"));
  ASSERT_TRUE(bool(back));
  EXPECT_TRUE(back->empty());
  EXPECT_EQ(entries(), 1) << "a temporary file was left behind";

  std::string bad = path("no-such-dir/m.bin");
  llvm::Error e = writeFileAtomically(bad, 4, fillWith("abcd"));
  ASSERT_TRUE(bool(e));
  EXPECT_NE(llvm::toString(std::move(e)).find(bad), std::string::npos);
  ASSERT_FALSE(llvm::sys::fs::create_directory(path("sub")));
  ASSERT_FALSE(llvm::sys::fs::create_directory(path("sub/child")));
  e = writeFileAtomically(path("sub"), 4, fillWith("abcd"));
  ASSERT_TRUE(bool(e));
  llvm::consumeError(std::move(e));
  EXPECT_EQ(entries(), 2) << "the temporary file was not removed";
}
