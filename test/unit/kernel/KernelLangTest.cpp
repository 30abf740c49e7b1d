//===- KernelLangTest.cpp - The kernel language through its C++ API ------===//
//
// --args parsing, diagnostics (location and message), and a small kernel
// traced, compiled and run on the emulator against a naive C++ reference.
//
//===----------------------------------------------------------------------===//

#include "trellis/Conversion/IsaCodec.h"
#include "trellis/Emulator/Emulator.h"
#include "trellis/Kernel/KernelLang.h"
#include "trellis/Pipeline/Pipeline.h"
#include "trellis/Pipeline/Registration.h"
#include "trellis/Dialect/Isa.h"
#include "trellis/Dialect/Tile.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/MemoryBuffer.h"
#include <cmath>
#include <gtest/gtest.h>

using namespace trellis;

namespace {

TEST(KernelArgs, TensorsAndScalars) {
  auto args = kernel::parseKernelArgs("a=bf16[128,512], b=float32[512] ,TILES=4,eps=1e-5");
  ASSERT_TRUE(!!args) << llvm::toString(args.takeError());
  ASSERT_EQ(args->size(), 4u);
  EXPECT_EQ((*args)[0].name, "a");
  EXPECT_EQ((*args)[0].dtype, "bf16");
  EXPECT_EQ((*args)[0].shape, (std::vector<int64_t>{128, 512}));
  EXPECT_EQ((*args)[1].dtype, "f32");
  EXPECT_EQ((*args)[1].shape, (std::vector<int64_t>{512}));
  EXPECT_FALSE((*args)[2].isTensor);
  EXPECT_EQ((*args)[2].intValue, 4);
  EXPECT_TRUE((*args)[3].isFloat);
  EXPECT_DOUBLE_EQ((*args)[3].floatValue, 1e-5);
  auto empty = kernel::parseKernelArgs("");
  ASSERT_TRUE(!!empty);
  EXPECT_TRUE(empty->empty());
}

TEST(KernelArgs, Errors) {
  for (const char *bad : {"a", "a=", "=f32[1]", "a=f33[4]", "a=f32[4", "a=f32[]", "a=f32[0]",
                          "a=f32[x]", "a=f32[4],a=f32[4]", "a=hello"}) {
    auto args = kernel::parseKernelArgs(bad);
    EXPECT_FALSE(!!args) << bad;
    if (!args)
      EXPECT_NE(llvm::toString(args.takeError()).find("--args"), std::string::npos) << bad;
  }
}

/// Compiles `source` and collects the diagnostics.
struct Compiled {
  mlir::OwningOpRef<mlir::ModuleOp> module;
  std::vector<std::string> errors;
};

Compiled compile(mlir::MLIRContext &ctx, llvm::SourceMgr &sm, const std::string &source,
                 const std::string &args = "") {
  Compiled c;
  mlir::ScopedDiagnosticHandler handler(&ctx, [&](mlir::Diagnostic &d) {
    std::string s;
    llvm::raw_string_ostream os(s);
    os << d.getLocation() << ": " << d.str();
    c.errors.push_back(s);
    return mlir::success();
  });
  unsigned id = sm.AddNewSourceBuffer(llvm::MemoryBuffer::getMemBufferCopy(source, "k.nki"),
                                      llvm::SMLoc());
  auto parsed = kernel::parseKernelArgs(args);
  EXPECT_TRUE(!!parsed);
  kernel::KernelOptions opts;
  opts.args = *parsed;
  c.module = kernel::compileKernel(sm, id, ctx, opts);
  return c;
}

struct KernelTest : public ::testing::Test {
  KernelTest() {
    mlir::DialectRegistry registry;
    registerDialects(registry);
    ctx.appendDialectRegistry(registry);
    ctx.loadAllAvailableDialects();
  }
  mlir::MLIRContext ctx;
  llvm::SourceMgr sm;
};

TEST_F(KernelTest, DiagnosticsCarryFileLineColumn) {
  Compiled c = compile(ctx, sm, "import nki.language as nl\n"
                                "def k(a: f32[128, 8]):\n"
                                "    t = nl.load(a)\n"
                                "    u = nl.exp(t, foo=1)\n");
  EXPECT_FALSE(c.module);
  ASSERT_EQ(c.errors.size(), 1u);
  // The keyword's name is at column 19.
  EXPECT_EQ(c.errors[0].rfind("loc(\"k.nki\":4:19): ", 0), 0u) << c.errors[0];
  EXPECT_NE(c.errors[0].find("unexpected keyword argument 'foo'"), std::string::npos);
}

TEST_F(KernelTest, SyntaxErrorIsOneDiagnostic) {
  Compiled c = compile(ctx, sm, "def k(a):\n    x = [1, 2\n    y = 3\n");
  EXPECT_FALSE(c.module);
  ASSERT_EQ(c.errors.size(), 1u);
  EXPECT_EQ(c.errors[0], "loc(\"k.nki\":2:9): '[' was never closed");
}

TEST_F(KernelTest, EveryOpHasASourceLocation) {
  Compiled c = compile(ctx, sm,
                       "import nki.language as nl\n"
                       "def k(a):\n"
                       "    out = nl.ndarray(a.shape, dtype=a.dtype, buffer=nl.shared_hbm)\n"
                       "    for i in nl.affine_range(2):\n"
                       "        nl.store(out[i * 128:(i + 1) * 128, :],\n"
                       "                 value=nl.relu(nl.load(a[i * 128:(i + 1) * 128, :])))\n"
                       "    return out\n",
                       "a=f32[256,16]");
  ASSERT_TRUE(c.module) << (c.errors.empty() ? "" : c.errors[0]);
  int ops = 0;
  c.module->walk([&](mlir::Operation *op) {
    if (op->getDialect()->getNamespace() != "tile")
      return;
    ++ops;
    auto loc = llvm::dyn_cast<mlir::FileLineColLoc>(op->getLoc());
    ASSERT_TRUE(loc) << op->getName().getStringRef().str();
    EXPECT_EQ(loc.getFilename().str(), "k.nki");
    EXPECT_GE(loc.getLine(), 5u);
    EXPECT_LE(loc.getLine(), 6u);
  });
  EXPECT_EQ(ops, 2 * 5); // per iteration: 2 allocs, load, activation, store
}

/// relu(x @ w) traced, compiled and run, against a naive triple loop.
TEST_F(KernelTest, MatmulReluMatchesNaiveReference) {
  Compiled c = compile(ctx, sm,
                       "import nki.language as nl\n"
                       "import nki.isa as nisa\n"
                       "def k(xT, w):\n"
                       "    K, M = xT.shape\n"
                       "    _, N = w.shape\n"
                       "    out = nl.ndarray((M, N), dtype=nl.float32, buffer=nl.shared_hbm)\n"
                       "    ps = nl.ndarray((M, N), dtype=nl.float32, buffer=nl.psum)\n"
                       "    for k in nl.affine_range(K // 128):\n"
                       "        nisa.nc_matmul(ps, nl.load(xT[k * 128:(k + 1) * 128, :]),\n"
                       "                       nl.load(w[k * 128:(k + 1) * 128, :]))\n"
                       "    nl.store(out, value=nl.relu(ps))\n"
                       "    return out\n",
                       "xT=f32[256,32],w=f32[256,48]");
  ASSERT_TRUE(c.module) << (c.errors.empty() ? "" : c.errors[0]);
  mlir::PassManager pm(&ctx);
  PipelineOptions opts;
  populateTileToIsaPipeline(pm, opts);
  ASSERT_TRUE(mlir::succeeded(pm.run(*c.module)));
  auto arch = loadArchConfig("trn2");
  ASSERT_TRUE(!!arch) << llvm::toString(arch.takeError());
  auto programOp = *c.module->getOps<isa::ProgramOp>().begin();
  auto program = encodeIsaProgram(programOp, *arch, "");
  ASSERT_TRUE(mlir::succeeded(program));

  const int K = 256, M = 32, N = 48;
  std::vector<float> xT(K * M), w(K * N);
  for (int i = 0; i < K * M; ++i)
    xT[i] = float((i * 37) % 17 - 8) / 8.0f;
  for (int i = 0; i < K * N; ++i)
    w[i] = float((i * 11) % 13 - 6) / 16.0f;
  std::map<std::string, HostTensor> inputs{{"xT", HostTensor::fromFloat32({K, M}, xT)},
                                           {"w", HostTensor::fromFloat32({K, N}, w)}};
  auto result = emu::run(*program, *arch, inputs);
  ASSERT_TRUE(!!result) << llvm::toString(result.takeError());
  std::vector<float> got = result->outputs.at("out").toFloat32();
  ASSERT_EQ(got.size(), size_t(M * N));
  for (int m = 0; m < M; ++m)
    for (int n = 0; n < N; ++n) {
      double ref = 0;
      for (int k = 0; k < K; ++k)
        ref += double(xT[k * M + m]) * double(w[k * N + n]);
      ref = std::max(ref, 0.0);
      EXPECT_NEAR(got[m * N + n], ref, 1e-4 + 1e-5 * std::fabs(ref)) << m << "," << n;
    }
}

} // namespace
