//===- ArchConfigTest.cpp - targets/*.json --------------------------------===//
//
// The expected numbers are the public figures of DESIGN.md section 1 and
// reference/neuron-facts.md, typed in here, not read from the files.
//
//===----------------------------------------------------------------------===//

#include "trellis/Target/ArchConfig.h"
#include "trellis/Support/FileIO.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <cstdlib>

using namespace trellis;

namespace {

std::string targetFile(llvm::StringRef name) {
  return (llvm::Twine(TRELLIS_SOURCE_DIR) + "/targets/" + name + ".json").str();
}

ArchConfig load(llvm::StringRef name) {
  auto c = loadArchConfig(name);
  if (!c) {
    ADD_FAILURE() << llvm::toString(c.takeError());
    return ArchConfig();
  }
  return std::move(*c);
}

TEST(ArchConfig, Trn2) {
  ArchConfig c = load("trn2");
  EXPECT_EQ(c.name, "trn2");
  EXPECT_EQ(c.partitions, 128);
  EXPECT_EQ(c.peRows, 128);
  EXPECT_EQ(c.peCols, 128);
  EXPECT_DOUBLE_EQ(c.peClockGHz, 2.4);
  EXPECT_DOUBLE_EQ(c.dve.clockGHz, 0.96);
  EXPECT_DOUBLE_EQ(c.act.clockGHz, 1.2);
  EXPECT_DOUBLE_EQ(c.pool.clockGHz, 1.2);
  EXPECT_EQ(c.dve.lanes, 128);
  EXPECT_EQ(c.sbufBytesPerPartition, 224 * 1024);
  EXPECT_EQ(c.sbufBytes(), 28 * 1024 * 1024);
  EXPECT_EQ(c.psumBytesPerPartition, 16 * 1024);
  EXPECT_EQ(c.psumBanks, 8);
  EXPECT_EQ(c.psumBankBytes(), 2048); // 512 fp32
  EXPECT_EQ(c.hbmBytes, 96ll * 1024 * 1024 * 1024 / 8);
  EXPECT_NEAR(c.hbmGBps, 2900.0 / 8, 5);
  EXPECT_EQ(c.dmaEngines, 16);
  EXPECT_EQ(c.dmaQueues, 16);
  EXPECT_DOUBLE_EQ(c.dmaEngineGBps, 23);
  EXPECT_DOUBLE_EQ(c.dmaFixedLatencyNs, 1300);
  EXPECT_DOUBLE_EQ(c.dmaDescriptorNs, 600);
  EXPECT_EQ(c.dmaStridePenaltyBytes, 16);
  EXPECT_DOUBLE_EQ(c.peakTflopsBf16, 79);
  EXPECT_DOUBLE_EQ(c.peakTflopsFp8, 158);
  EXPECT_DOUBLE_EQ(c.peakTflopsFp32, 20);
  EXPECT_DOUBLE_EQ(c.peakTflopsSparse, 316);
  EXPECT_EQ(c.mmMinIntervalCycles, 64);
  EXPECT_EQ(c.mmFp32Slowdown, 4);
  EXPECT_EQ(c.sparsityPatterns, (std::vector<std::string>{"4:16", "4:12", "4:8", "2:8", "2:4", "1:4", "1:2"}));
  for (const char *dt : {"f32", "bf16", "f16", "f8e4m3", "f8e5m2"})
    EXPECT_TRUE(llvm::is_contained(c.dtypes, dt)) << dt;
  auto text = readFile(targetFile("trn2"));
  ASSERT_TRUE(bool(text));
  EXPECT_EQ(c.source, *text);
}

void expectNcV2(const ArchConfig &c) {
  EXPECT_DOUBLE_EQ(c.peClockGHz, 2.8);
  EXPECT_DOUBLE_EQ(c.dve.clockGHz, 1.12);
  EXPECT_DOUBLE_EQ(c.act.clockGHz, 1.4);
  EXPECT_DOUBLE_EQ(c.pool.clockGHz, 1.4);
  EXPECT_EQ(c.sbufBytesPerPartition, 192 * 1024);
  EXPECT_EQ(c.sbufBytes(), 24 * 1024 * 1024);
  EXPECT_EQ(c.psumBytesPerPartition, 16 * 1024);
  EXPECT_EQ(c.psumBanks, 8);
  EXPECT_EQ(c.hbmBytes, 32ll * 1024 * 1024 * 1024 / 2);
  EXPECT_DOUBLE_EQ(c.hbmGBps, 820.0 / 2);
  EXPECT_DOUBLE_EQ(c.dmaEngineGBps, 17);
  EXPECT_EQ(c.dmaEngines * c.dmaEngineGBps, 272); // GB/s per core
  EXPECT_DOUBLE_EQ(c.dmaFixedLatencyNs, 1300);
  EXPECT_DOUBLE_EQ(c.peakTflopsBf16, 92);
  EXPECT_DOUBLE_EQ(c.peakTflopsFp32, 23);
  EXPECT_DOUBLE_EQ(c.peakTflopsSparse, 0);
  EXPECT_TRUE(c.sparsityPatterns.empty());
}

TEST(ArchConfig, Trn1AndInf2) {
  ArchConfig trn1 = load("trn1");
  EXPECT_EQ(trn1.name, "trn1");
  expectNcV2(trn1);
  ArchConfig inf2 = load("inf2");
  EXPECT_EQ(inf2.name, "inf2");
  expectNcV2(inf2);
}

TEST(ArchConfig, LoadsByPath) {
  auto c = loadArchConfig(targetFile("trn1"));
  ASSERT_TRUE(bool(c)) << llvm::toString(c.takeError());
  EXPECT_EQ(c->name, "trn1");
}

TEST(ArchConfig, UnknownTargetListsTheKnownOnes) {
  auto c = loadArchConfig("trn9");
  ASSERT_FALSE(bool(c));
  std::string msg = llvm::toString(c.takeError());
  EXPECT_NE(msg.find("unknown target 'trn9'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("inf2, trn1, trn2"), std::string::npos) << msg;
}

TEST(ArchConfig, EnvironmentOverridesTheTargetsDirectory) {
  llvm::SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("trellis-targets", dir));
  auto text = readFile(targetFile("trn2"));
  ASSERT_TRUE(bool(text));
  std::string custom = *text;
  custom.replace(custom.find("\"trn2\""), 6, "\"mine\"");
  ASSERT_FALSE(bool(writeFileAtomically((dir + "/mine.json").str(), custom)));

  const char *old = std::getenv("TRELLIS_TARGETS_DIR");
  std::string saved = old ? old : "";
  setenv("TRELLIS_TARGETS_DIR", dir.c_str(), 1);
  EXPECT_EQ(targetsDirectory(), dir.str().str());
  auto c = loadArchConfig("mine");
  if (old)
    setenv("TRELLIS_TARGETS_DIR", saved.c_str(), 1);
  else
    unsetenv("TRELLIS_TARGETS_DIR");
  llvm::sys::fs::remove_directories(dir);
  ASSERT_TRUE(bool(c)) << llvm::toString(c.takeError());
  EXPECT_EQ(c->name, "mine");
}

/// trn2.json with one edit applied to its parsed form.
std::string editedTrn2(llvm::function_ref<void(llvm::json::Object &)> edit) {
  auto text = readFile(targetFile("trn2"));
  EXPECT_TRUE(bool(text));
  auto v = llvm::json::parse(*text);
  EXPECT_TRUE(bool(v));
  edit(*v->getAsObject());
  std::string out;
  llvm::raw_string_ostream os(out);
  os << *v;
  return out;
}

llvm::json::Object &sub(llvm::json::Object &o, llvm::StringRef path) {
  llvm::json::Object *cur = &o;
  llvm::SmallVector<llvm::StringRef> parts;
  path.split(parts, '.');
  for (llvm::StringRef p : parts)
    cur = cur->getObject(p);
  return *cur;
}

void expectError(const std::string &json, llvm::StringRef words) {
  auto c = parseArchConfig(json, "edited.json");
  ASSERT_FALSE(bool(c)) << "accepted; expected: " << words.str();
  std::string msg = llvm::toString(c.takeError());
  EXPECT_EQ(msg.rfind("edited.json: ", 0), 0u) << msg;
  EXPECT_NE(msg.find(words.str()), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
}

TEST(ArchConfig, TheUneditedFileParses) {
  auto c = parseArchConfig(editedTrn2([](llvm::json::Object &) {}), "edited.json");
  ASSERT_TRUE(bool(c)) << llvm::toString(c.takeError());
}

TEST(ArchConfig, ErrorsNameTheField) {
  expectError(editedTrn2([](auto &o) { sub(o, "engines.dve").erase("clock_ghz"); }),
              "field \"engines.dve.clock_ghz\": missing");
  expectError(editedTrn2([](auto &o) { sub(o, "engines.dve")["clock_ghz"] = "fast"; }),
              "field \"engines.dve.clock_ghz\": expected a positive number");
  expectError(editedTrn2([](auto &o) { sub(o, "engines.dve")["clock_ghz"] = -1.0; }),
              "field \"engines.dve.clock_ghz\": expected a positive number");
  expectError(editedTrn2([](auto &o) { sub(o, "engines.dve")["clok_ghz"] = 1.0; }),
              "field \"engines.dve.clok_ghz\": unknown key");
  expectError(editedTrn2([](auto &o) { o["comment"] = "hi"; }), "field \"comment\": unknown key");
  expectError(editedTrn2([](auto &o) { o.erase("hbm"); }), "field \"hbm\": missing");
  expectError(editedTrn2([](auto &o) { o["hbm"] = 5; }), "field \"hbm\": expected an object");
  expectError(editedTrn2([](auto &o) { sub(o, "sbuf")["bytes_per_partition"] = 1.5; }),
              "field \"sbuf.bytes_per_partition\": expected an integer");
  expectError(editedTrn2([](auto &o) { sub(o, "engines.act")["lanes"] = 0; }),
              "field \"engines.act.lanes\": expected an integer in [1,");
  expectError(editedTrn2([](auto &o) { sub(o, "tensor_engine.peak_tflops").erase("fp8"); }),
              "field \"tensor_engine.peak_tflops.fp8\": missing");
  expectError(editedTrn2([](auto &o) { o["dtypes"] = llvm::json::Array{"f32", 3}; }),
              "field \"dtypes[1]\": expected a string");
  expectError(editedTrn2([](auto &o) { o["sparsity"] = "2:4"; }), "field \"sparsity\": expected an array");
  expectError(editedTrn2([](auto &o) { o["name"] = ""; }), "field \"name\"");
  expectError(editedTrn2([](auto &o) { o["sources"] = llvm::json::Object{{"x", 1}}; }),
              "field \"sources.x\": expected a string");
  expectError("{\"name\": \"x\",", "invalid JSON");
  expectError("[1, 2]", "expected a JSON object");
}

TEST(ArchConfig, ConsistencyChecks) {
  expectError(editedTrn2([](auto &o) { o["partitions"] = 64; }), "field \"partitions\": must be 128");
  expectError(editedTrn2([](auto &o) { sub(o, "tensor_engine")["rows"] = 64; }),
              "field \"tensor_engine.rows\": must equal partitions");
  expectError(editedTrn2([](auto &o) { sub(o, "psum")["banks"] = 7; }), "field \"psum.banks\"");
  expectError(editedTrn2([](auto &o) { o["sparsity"] = llvm::json::Array{}; }),
              "field \"tensor_engine.peak_tflops.sparse\": must be 0");
  expectError(editedTrn2([](auto &o) { o["sparsity"] = llvm::json::Array{"2:4", "5:4"}; }),
              "field \"sparsity[1]\": expected \"M:N\"");
  expectError(editedTrn2([](auto &o) { o["sparsity"] = llvm::json::Array{"2:4", "2:4"}; }),
              "field \"sparsity[1]\": duplicate");
  expectError(editedTrn2([](auto &o) { o["dtypes"] = llvm::json::Array{"f32", "f128"}; }),
              "field \"dtypes[1]\": unknown element type \"f128\"");
  expectError(editedTrn2([](auto &o) { o["dtypes"] = llvm::json::Array{"bf16"}; }), "must include \"f32\"");
  expectError(editedTrn2([](auto &o) { sub(o, "engines.pool")["lanes"] = 256; }),
              "field \"engines.pool.lanes\": must not exceed partitions");
}

} // namespace
