//===- trellis-cc.cpp - The Trellis compiler driver -----------------------===//
//
//   trellis-cc compile MODEL.onnx -o OUT.tnef [--target trn2] [-O0..-O3]
//                      [--emit=graph|tile|isa|asm]
//
// A thin main: the pipeline lives in lib/Pipeline.
//
//===----------------------------------------------------------------------===//

#include "trellis/Conversion/IsaCodec.h"
#include "trellis/Frontend/OnnxImporter.h"
#include "trellis/Kernel/Binding.h"
#include "trellis/Kernel/KernelLang.h"
#include "trellis/Pipeline/Pipeline.h"
#include "trellis/Pipeline/Registration.h"
#include "trellis/Support/FileIO.h"
#include "trellis/Target/ArchConfig.h"
#include "trellis/Tools/Disassembler.h"
#include "trellis/Transforms/Sparsity.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassInstrumentation.h"
#include <chrono>
#include <map>

using namespace mlir;
using namespace trellis;
namespace cl = llvm::cl;

static cl::OptionCategory category("trellis-cc compile options");

static cl::opt<std::string> inputFile(cl::Positional,
                                      cl::desc("<model.onnx | model.mlir | kernel.nki>"),
                                      cl::cat(category));
static cl::opt<std::string> outputFile("o", cl::desc("Output file ('-' for stdout)"),
                                       cl::value_desc("file"), cl::cat(category));
static cl::opt<std::string> targetName(
    "target", cl::desc("Target: trn2 (default), trn1, inf2, or an arch config .json path"),
    cl::init("trn2"), cl::cat(category));
enum OptLevel { O0 = 0, O1 = 1, O2 = 2, O3 = 3 };
static cl::opt<OptLevel> optLevel(cl::desc("Optimization level:"),
                                  cl::values(clEnumValN(O0, "O0", "no graph fusion, no instruction scheduling"),
                                             clEnumValN(O1, "O1", "fusion and instruction scheduling"),
                                             clEnumValN(O2, "O2", "default"),
                                             clEnumValN(O3, "O3", "same as O2 for now")),
                                  cl::init(O2), cl::cat(category));
enum class Emit { Graph, Tile, Isa, Asm, Tnef };
static cl::opt<Emit> emit(
    "emit", cl::desc("What to write (default: the .tnef artifact)"),
    cl::values(clEnumValN(Emit::Graph, "graph", "graph dialect after graph passes"),
               clEnumValN(Emit::Tile, "tile", "tile dialect after tiling"),
               clEnumValN(Emit::Isa, "isa", "isa dialect after semaphore insertion"),
               clEnumValN(Emit::Asm, "asm", "per-engine assembly of the artifact"),
               clEnumValN(Emit::Tnef, "tnef", "the binary artifact (default)")),
    cl::init(Emit::Tnef), cl::cat(category));

// Mixed precision, spelled as neuronx-cc spells it (docs/mixed-precision.md).
static cl::opt<std::string> autoCast(
    "auto-cast",
    cl::desc("Mixed precision: none (default), matmult (matrix-product inputs in "
             "--auto-cast-type, fp32 accumulation and results) or all (every float op)"),
    cl::value_desc("none|matmult|all"), cl::init("none"), cl::cat(category));
static cl::opt<std::string> autoCastType(
    "auto-cast-type", cl::desc("The type of --auto-cast: bf16 (default), fp16 or fp8_e4m3"),
    cl::value_desc("bf16|fp16|fp8_e4m3"), cl::init("bf16"), cl::cat(category));

static cl::opt<bool> opStats(
    "op-stats",
    cl::desc("Print the model's op histogram, marking each unsupported op with its node names, "
             "and exit (1 if any op is unsupported); nothing is compiled"),
    cl::cat(category));
static cl::opt<bool> listOps(
    "list-ops",
    cl::desc("Print the supported ONNX op types with their element types and limitations as a "
             "markdown table (docs/supported-ops.md is this output) and exit"),
    cl::cat(category));
static cl::opt<bool> verbose("verbose",
                             cl::desc("Print each pipeline stage with its wall time as it runs"),
                             cl::cat(category));
static cl::opt<std::string> logFile(
    "logfile",
    cl::desc("Also write the full log (stages, times, diagnostics, summary) to this file"),
    cl::value_desc("file"), cl::cat(category));

static cl::list<std::string> inputShapes(
    "input-shape",
    cl::desc("Pin a graph input's shape, NAME=DxDx..., e.g. input=1x3x224x224 (needed for "
             "inputs with dynamic dimensions; repeatable)"),
    cl::value_desc("name=shape"), cl::cat(category));
static cl::list<std::string> constantInputs(
    "constant-input",
    cl::desc("Bind a graph input to the value in an ONNX TensorProto .pb file, compiling it in "
             "as a constant (for inputs a static compiler must know, such as a Reshape's target "
             "shape); the input is no longer an input of the artifact (repeatable)"),
    cl::value_desc("name=file.pb"), cl::cat(category));

static cl::opt<std::string> sparsityPattern(
    "sparsity", cl::desc("N:M structured sparsity of constant matmul and convolution weights "
                         "(e.g. 2:4); the target must list the pattern (docs/sparsity.md)"),
    cl::value_desc("N:M"), cl::cat(category));
static cl::opt<std::string> sparsityLayers(
    "sparsity-layers",
    cl::desc("with --sparsity: layers whose ONNX node name matches REGEX, or 'auto' (where the "
             "timing model predicts a gain); default all"),
    cl::value_desc("REGEX|auto"), cl::cat(category));
static cl::opt<bool> sparsityPrune(
    "sparsity-prune", cl::desc("with --sparsity: prune weights by magnitude per group of M "
                               "(otherwise only already-sparse weights qualify)"),
    cl::cat(category));
static cl::opt<std::string> sparsityReport(
    "sparsity-report", cl::desc("with --sparsity: write the per-layer report to FILE (default: "
                                "stderr)"),
    cl::value_desc("FILE"), cl::cat(category));

static cl::list<std::string> kernelFlags(
    "kernel",
    cl::desc("With a .nki input: the kernel function to compile (default: the only @nki.jit / "
             "@kernel function in the file). With a model: OP=FILE.nki lets the kernel implement "
             "every graph op OP (softmax, layer_norm, matmul, linear, attention) or every ONNX node of a "
             "custom domain whose op_type is OP (repeatable; docs/kernel-language.md)"),
    cl::value_desc("NAME | OP=FILE.nki"), cl::cat(category));
static cl::opt<std::string> kernelLib(
    "kernel-lib",
    cl::desc("With a model: a directory of kernels, DIR/OP.nki implementing OP as with "
             "--kernel OP=DIR/OP.nki (an explicit --kernel wins)"),
    cl::value_desc("DIR"), cl::cat(category));
static cl::opt<std::string> kernelArgs(
    "args",
    cl::desc("With a .nki input: the kernel's tensor parameters (and compile-time scalars), "
             "e.g. \"a=bf16[128,512],b=f32[512,512],TILES=4\""),
    cl::value_desc("spec"), cl::cat(category));

/// NAME=VALUE, split at the last '=' (ONNX names may contain '=').
static std::optional<std::pair<std::string, std::string>> splitBinding(StringRef arg) {
  size_t eq = arg.rfind('=');
  if (eq == StringRef::npos || eq == 0 || eq + 1 == arg.size())
    return std::nullopt;
  return std::pair{arg.take_front(eq).str(), arg.drop_front(eq + 1).str()};
}

/// The import options from --input-shape and --constant-input.
static llvm::Expected<OnnxImportOptions> importOptions() {
  OnnxImportOptions opts;
  for (const std::string &arg : inputShapes) {
    auto binding = splitBinding(arg);
    if (!binding)
      return llvm::createStringError("--input-shape '%s': expected NAME=DxDx...", arg.c_str());
    std::vector<int64_t> dims;
    SmallVector<StringRef> parts;
    StringRef(binding->second).split(parts, 'x');
    for (StringRef part : parts) {
      int64_t d;
      if (part.getAsInteger(10, d) || d < 0 || d > (int64_t(1) << 40))
        return llvm::createStringError("--input-shape '%s': '%s' is not a dimension", arg.c_str(),
                                       part.str().c_str());
      dims.push_back(d);
    }
    if (!opts.inputShapes.emplace(binding->first, dims).second)
      return llvm::createStringError("--input-shape names '%s' twice", binding->first.c_str());
  }
  for (const std::string &arg : constantInputs) {
    auto binding = splitBinding(arg);
    if (!binding)
      return llvm::createStringError("--constant-input '%s': expected NAME=FILE.pb", arg.c_str());
    if (!opts.constantInputs.emplace(binding->first, binding->second).second)
      return llvm::createStringError("--constant-input names '%s' twice",
                                     binding->first.c_str());
  }
  return opts;
}

namespace {
/// Where progress and the summary go: stderr with --verbose, the --logfile
/// file, both or neither.
class CompileLog {
public:
  llvm::Error open() {
    if (logFile.empty())
      return llvm::Error::success();
    std::error_code ec;
    file = std::make_unique<llvm::raw_fd_ostream>(logFile, ec, llvm::sys::fs::OF_Text);
    if (ec)
      return llvm::createStringError(ec, "cannot write log file '%s': %s", logFile.c_str(),
                                     ec.message().c_str());
    return llvm::Error::success();
  }
  /// A line for --verbose and the log file.
  void progress(const Twine &line) {
    if (verbose)
      llvm::errs() << line << "\n";
    toFile(line);
  }
  /// A line for stderr always, and the log file.
  void always(const Twine &line) {
    llvm::errs() << line << "\n";
    toFile(line);
  }
  void toFile(const Twine &line) {
    if (file) {
      *file << line << "\n";
      file->flush();
    }
  }
  double elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }

private:
  std::unique_ptr<llvm::raw_fd_ostream> file;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
};

/// Reports each pass with its wall time as the pipeline runs.
struct StageTimer : public PassInstrumentation {
  CompileLog &log;
  std::chrono::steady_clock::time_point began;
  explicit StageTimer(CompileLog &log) : log(log) {}
  // Nested-pipeline adaptors have no command-line argument; report only the
  // passes themselves.
  void runBeforePass(Pass *pass, Operation *) override {
    if (!pass->getArgument().empty())
      began = std::chrono::steady_clock::now();
  }
  void runAfterPass(Pass *pass, Operation *) override {
    if (pass->getArgument().empty())
      return;
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
    log.progress(llvm::formatv("[{0,7:f2}s] {1,-28} {2,8:f3} s", log.elapsed(), pass->getName(), s));
  }
};
} // namespace

static int fail(const Twine &msg) {
  llvm::errs() << "trellis-cc: error: " << msg << "\n";
  return 1;
}

static std::string optionsString() {
  std::string s = "--target=" + targetName + " -O" + std::to_string((int)optLevel);
  if (!StringRef(inputFile).ends_with(".nki")) {
    for (const std::string &k : kernelFlags)
      s += " --kernel=" + k;
    if (!kernelLib.empty())
      s += " --kernel-lib=" + kernelLib;
  }
  if (autoCast != "none")
    s += " --auto-cast=" + autoCast + " --auto-cast-type=" + autoCastType;
  if (!sparsityPattern.empty()) {
    s += " --sparsity=" + sparsityPattern;
    if (!sparsityLayers.empty())
      s += " --sparsity-layers=" + sparsityLayers;
    if (sparsityPrune)
      s += " --sparsity-prune";
  }
  return s;
}

/// Validates --auto-cast / --auto-cast-type against each other and the
/// target's dtypes, before anything is imported.
static llvm::Error checkAutoCast(const ArchConfig &arch) {
  if (autoCast != "none" && autoCast != "matmult" && autoCast != "all")
    return llvm::createStringError("--auto-cast=%s: expected none, matmult or all",
                                   autoCast.c_str());
  // The flag's spelling and the arch config's name of the type.
  static const std::pair<const char *, const char *> kTypes[] = {
      {"bf16", "bf16"}, {"fp16", "f16"}, {"fp8_e4m3", "f8e4m3"}};
  const char *dtype = nullptr;
  for (auto [flag, name] : kTypes)
    if (autoCastType == flag)
      dtype = name;
  if (!dtype)
    return llvm::createStringError("--auto-cast-type=%s: expected bf16, fp16 or fp8_e4m3",
                                   autoCastType.c_str());
  if (autoCast == "none")
    return llvm::Error::success();
  if (autoCast == "all" && autoCastType == "fp8_e4m3")
    return llvm::createStringError("--auto-cast=all does not take --auto-cast-type=fp8_e4m3 "
                                   "(only matrix products run in fp8; use --auto-cast=matmult)");
  if (!llvm::is_contained(arch.dtypes, dtype))
    return llvm::createStringError(
        "--auto-cast-type=%s: target '%s' does not support %s (its dtypes: %s)",
        autoCastType.c_str(), arch.name.c_str(), dtype, llvm::join(arch.dtypes, ", ").c_str());
  return llvm::Error::success();
}

/// --op-stats: what a model is made of, and what stands in the way.
static int printOpStats() {
  auto stats = collectOnnxOpStats(inputFile);
  if (!stats)
    return fail(llvm::toString(stats.takeError()));
  auto library = kernel::KernelLibrary::create(kernelFlags, kernelLib);
  if (!library)
    return fail(llvm::toString(library.takeError()));
  // Custom-domain ops with a kernel (--kernel / --kernel-lib) are supported.
  for (OnnxOpStat &s : *stats)
    if (!s.supported && !s.domain.empty() && s.domain != "ai.onnx" &&
        !library->fileFor(s.opType).empty()) {
      s.supported = true;
      s.opType += " (kernel " + library->fileFor(s.opType) + ")";
    }
  int64_t nodes = 0, unsupported = 0;
  for (const OnnxOpStat &s : *stats)
    nodes += s.count;
  llvm::outs() << llvm::formatv("{0}: {1} nodes, {2} op types\n", inputFile, nodes, stats->size());
  for (const OnnxOpStat &s : *stats) {
    std::string op = s.domain.empty() ? s.opType : s.domain + "." + s.opType;
    llvm::outs() << llvm::formatv("  {0,6}  {1,-24} {2}", s.count, op,
                                  s.supported ? "" : "not supported");
    if (!s.supported) {
      unsupported += s.count;
      llvm::outs() << ":";
      for (size_t i = 0; i < s.nodes.size() && i < 8; ++i)
        llvm::outs() << " " << s.nodes[i];
      if (s.nodes.size() > 8)
        llvm::outs() << " ... (" << s.nodes.size() - 8 << " more)";
    }
    llvm::outs() << "\n";
  }
  llvm::outs() << llvm::formatv("{0} of {1} nodes unsupported\n", unsupported, nodes);
  return unsupported ? 1 : 0;
}

/// --list-ops: the importer's op table as docs/supported-ops.md.
static int printSupportedOps() {
  llvm::raw_ostream &os = llvm::outs();
  os << "# Supported ONNX operators\n\n"
     << "<!-- Generated by `trellis-cc compile --list-ops`; refresh with "
        "`ninja -C build update-docs`. -->\n\n"
     << "Default domain (`ai.onnx`), opsets " << minSupportedOnnxOpset() << " to "
     << maxSupportedOnnxOpset()
     << ", each op with the semantics of the opset the model imports; attributes or "
        "inputs an op does not support are a compile error naming the node, never ignored. "
        "Measured conformance: docs/conformance.md.\n\n"
     << "| op | element types | limitations |\n|---|---|---|\n";
  for (const OnnxOpSupport &op : supportedOnnxOpTable())
    os << "| " << op.opType << " | " << op.types << " | " << (op.notes.empty() ? "" : op.notes)
       << " |\n";
  return 0;
}

static int compile() {
  if (listOps)
    return printSupportedOps();
  if (inputFile.empty())
    return fail("no input file; usage: trellis-cc compile MODEL.onnx -o OUT.tnef (see --help)");
  if (opStats)
    return printOpStats();
  CompileLog log;
  if (llvm::Error e = log.open())
    return fail(llvm::toString(std::move(e)));
  auto arch = loadArchConfig(targetName);
  if (!arch)
    return fail(llvm::toString(arch.takeError()));
  if (llvm::Error e = checkAutoCast(*arch))
    return fail(llvm::toString(std::move(e)));
  if (sparsityPattern.empty()) {
    if (!sparsityLayers.empty())
      return fail("--sparsity-layers needs --sparsity=N:M");
    if (!sparsityReport.empty())
      return fail("--sparsity-report needs --sparsity=N:M");
    if (sparsityPrune)
      return fail("--sparsity-prune needs --sparsity=N:M");
  } else {
    if (auto p = checkSparsityPattern(sparsityPattern, *arch); !p)
      return fail(llvm::toString(p.takeError()));
    if (llvm::Error e = checkSparsityLayers(sparsityLayers))
      return fail(llvm::toString(std::move(e)));
  }

  DialectRegistry registry;
  registerDialects(registry);
  MLIRContext ctx(registry);
  ctx.loadAllAvailableDialects();
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagHandler(sourceMgr, &ctx);
  // Registered last, so it runs first: copies every diagnostic to the log
  // and lets the SourceMgr handler print it.
  ScopedDiagnosticHandler logHandler(&ctx, [&](Diagnostic &diag) {
    std::string text;
    llvm::raw_string_ostream os(text);
    os << diag.getLocation() << ": " << diag;
    log.toFile(text);
    return failure();
  });
  // --mlir-timing covers the whole compile, not only the pass pipeline:
  // import, encoding and writing the artifact get scopes of their own.
  DefaultTimingManager tm;
  applyDefaultTimingManagerCLOptions(tm);
  TimingScope timing = tm.getRootScope();
  log.progress(llvm::formatv("[{0,7:f2}s] import {1}", log.elapsed(), inputFile));
  TimingScope importTiming = timing.nest("Import");

  OwningOpRef<ModuleOp> module;
  bool isKernel = StringRef(inputFile).ends_with(".nki");
  if (!isKernel && !kernelArgs.empty())
    return fail("--args applies to .nki kernel files only");
  if (isKernel && (kernelFlags.size() > 1 || !kernelLib.empty() ||
                   (kernelFlags.size() == 1 && StringRef(kernelFlags[0]).contains('='))))
    return fail("with a .nki input, --kernel NAME picks the function to compile; OP=FILE.nki "
                "bindings and --kernel-lib apply to models");
  std::string kernelName = isKernel && !kernelFlags.empty() ? kernelFlags[0] : "";
  auto library = kernel::KernelLibrary::create(isKernel ? std::vector<std::string>{} : kernelFlags,
                                               isKernel ? "" : kernelLib.getValue());
  if (!library)
    return fail(llvm::toString(library.takeError()));
  if (isKernel && autoCast != "none")
    return fail("--auto-cast applies to models; a kernel's tensors have the types it declares");
  if (isKernel) {
    if (emit == Emit::Graph)
      return fail("--emit=graph: a kernel starts at the tile stage; use --emit=tile");
    auto args = kernel::parseKernelArgs(kernelArgs);
    if (!args)
      return fail(llvm::toString(args.takeError()));
    std::string err;
    auto file = openInputFile(inputFile, &err);
    if (!file)
      return fail("cannot read '" + inputFile + "': " + err);
    unsigned id = sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
    kernel::KernelOptions kopts;
    kopts.kernelName = kernelName;
    kopts.args = *args;
    kopts.arch = &*arch;
    module = kernel::compileKernel(sourceMgr, id, ctx, kopts);
  } else if (StringRef(inputFile).ends_with(".mlir")) {
    module = parseSourceFile<ModuleOp>(inputFile, sourceMgr, ParserConfig(&ctx));
  } else {
    llvm::Expected<OnnxImportOptions> importOpts = importOptions();
    if (!importOpts)
      return fail(llvm::toString(importOpts.takeError()));
    // Custom-domain nodes with a kernel in the library become kernel calls.
    auto customOps = kernel::makeKernelCustomOpImporter(*library, *arch);
    importOpts->customOps = customOps.get();
    module = importOnnxModel(inputFile, ctx, *importOpts);
  }
  importTiming.stop();
  if (!module && isKernel)
    return 1; // the kernel's diagnostics (file:line:col and a caret) are printed
  if (!module)
    return fail("could not import '" + inputFile + "'");
  // A kernel's source ops are its tile ops; a model's are its graph ops.
  StringRef sourceDialect = isKernel ? "tile" : "graph";
  int64_t graphOps = 0;
  module->walk([&](Operation *op) {
    if (op->getDialect() && op->getDialect()->getNamespace() == sourceDialect &&
        op->getName().getStringRef() != "tile.alloc")
      ++graphOps;
  });
  log.progress(llvm::formatv("[{0,7:f2}s] imported: {1} {2} ops", log.elapsed(), graphOps,
                             sourceDialect));

  PassManager pm(&ctx);
  if (failed(applyPassManagerCLOptions(pm)))
    return fail("bad pass manager options");
  pm.enableTiming(timing);
  pm.addInstrumentation(std::make_unique<StageTimer>(log));
  PipelineOptions opts;
  opts.target = targetName;
  opts.optLevel = (int)optLevel;
  if (!isKernel) {
    opts.kernels = kernelFlags;
    opts.kernelLib = kernelLib;
  }
  opts.autoCast = autoCast;
  opts.autoCastType = autoCastType;
  opts.sparsity = sparsityPattern;
  opts.sparsityLayers = sparsityLayers;
  opts.sparsityPrune = sparsityPrune;
  opts.sparsityReport = sparsityReport;
  opts.stopAfter = emit == Emit::Graph  ? EmitStage::Graph
                   : emit == Emit::Tile ? EmitStage::Tile
                                        : EmitStage::Isa;
  if (!isKernel)
    populateCompilePipeline(pm, opts);
  else if (emit != Emit::Tile)
    populateTileToIsaPipeline(pm, opts);
  if (failed(pm.run(*module)))
    return fail("compilation of '" + inputFile + "' failed");

  std::string out = outputFile.empty() ? std::string(emit == Emit::Tnef ? "a.tnef" : "-")
                                       : outputFile.getValue();
  auto write = [&](StringRef bytes) -> int {
    if (out == "-") {
      llvm::outs() << bytes;
      return 0;
    }
    if (llvm::Error e = writeFileAtomically(out, bytes))
      return fail(llvm::toString(std::move(e)));
    return 0;
  };
  if (emit == Emit::Graph || emit == Emit::Tile || emit == Emit::Isa) {
    std::string text;
    llvm::raw_string_ostream os(text);
    module->print(os);
    return write(text);
  }
  auto programs = llvm::to_vector(module->getOps<isa::ProgramOp>());
  if (programs.size() != 1)
    return fail("expected one program, got " + Twine(programs.size()));
  isa::ProgramOp programOp = programs.front();
  TimingScope encodeTiming = timing.nest("EncodeIsaProgram");
  // An artifact is only serialised, while the module lives: its constants
  // need not be copied out of their attributes.
  FailureOr<Program> program =
      encodeIsaProgram(programOp, *arch, optionsString(), /*borrowConstants=*/emit == Emit::Tnef);
  encodeTiming.stop();
  if (failed(program))
    return fail("encoding failed");
  log.progress(llvm::formatv("[{0,7:f2}s] encoded {1} instructions", log.elapsed(),
                             program->instructions.size()));
  if (emit == Emit::Asm) {
    std::string text;
    llvm::raw_string_ostream os(text);
    if (failed(disassemble(*program, os)))
      return fail("disassembly failed");
    return write(text);
  }
  // Serialised straight into the (mapped) output file; to stdout through a
  // string.
  TimingScope writeTiming = timing.nest("WriteArtifact");
  uint64_t artifactBytes = 0;
  if (out == "-") {
    std::string bytes = encodeProgram(*program);
    if (bytes.empty())
      return fail("program too large to encode (protobuf's 2 GiB message limit)");
    artifactBytes = bytes.size();
    llvm::outs() << bytes;
  } else if (llvm::Error e = writeProgramFile(*program, out, &artifactBytes)) {
    return fail(llvm::toString(std::move(e)));
  }
  writeTiming.stop();

  // One summary line: what was compiled and how big it came out.
  std::map<std::string, int64_t> perEngine;
  for (const isa::Inst &in : program->instructions)
    ++perEngine[in.queue >= isa::kFirstDmaQueue ? "dma" : isa::queueName(in.queue)];
  std::string engines;
  for (auto &[name, n] : perEngine)
    engines += (engines.empty() ? "" : ", ") + name + " " + std::to_string(n);
  auto peak = [&](StringRef name) {
    auto a = programOp->getAttrOfType<IntegerAttr>(name);
    return a ? a.getInt() : 0;
  };
  log.always(llvm::formatv(
      "trellis-cc: {0}: {1} {10} ops -> {2} instructions ({3}); artifact {4} bytes; "
      "SBUF peak {5} of {6} bytes/partition, PSUM peak {7} of {8}; {9:f2} s",
      out, graphOps, program->instructions.size(), engines, artifactBytes,
      peak("trellis.sbuf_peak_bytes"), arch->sbufBytesPerPartition,
      peak("trellis.psum_peak_bytes"), arch->psumBytesPerPartition, log.elapsed(),
      sourceDialect));
  return 0;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  registerDefaultTimingManagerCLOptions();
  registerAsmPrinterCLOptions();
  // --help shows Trellis's own options; --help-hidden shows everything.
  cl::HideUnrelatedOptions(category);
  StringRef usage =
      "trellis-cc: compile an ONNX model (or graph-dialect .mlir, or an NKI-style .nki "
      "kernel) for a NeuronCore-like accelerator\n\n"
      "  The IR of every stage can be inspected with --emit, and the MLIR debugging flags\n"
      "  work: --mlir-print-ir-after-all, --mlir-print-ir-before-all, --mlir-timing\n"
      "  (see --help-hidden for all of them).\n";
  if (argc < 2 || StringRef(argv[1]) != "compile") {
    if (argc >= 2 && (StringRef(argv[1]) == "--help" || StringRef(argv[1]) == "-h")) {
      const char *helpArgv[] = {"trellis-cc compile", "--help"};
      cl::ParseCommandLineOptions(2, helpArgv, usage);
      return 0;
    }
    llvm::errs() << "usage: trellis-cc compile MODEL.onnx -o OUT.tnef [options]\n"
                 << "run 'trellis-cc compile --help' for the options\n";
    return 1;
  }
  // Parse everything after the subcommand.
  std::string prog = std::string(argv[0]) + " compile";
  std::vector<const char *> args{prog.c_str()};
  for (int i = 2; i < argc; ++i)
    args.push_back(argv[i]);
  cl::ParseCommandLineOptions(args.size(), args.data(), usage);
  return compile();
}
