//===- trellis-onnx-import.cpp - Test driver for the ONNX importer --------===//
//
// Imports an ONNX model and prints the graph-dialect module. Test-only: it
// stands in for `trellis-cc --emit=graph` in test/lit/Frontend, and with
// --text it reads the ONNX text syntax (onnx/defs/parser.h) so that lit tests
// can hold their model inline.
//
// Built with exceptions: libonnx's parser may throw, and every exception is
// caught in parseOnnxText.
//
//===----------------------------------------------------------------------===//

#include "trellis/Frontend/OnnxImporter.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include "onnx/defs/parser.h"
#include "onnx/onnx_pb.h"

#include <exception>
#include <optional>

using namespace llvm;

static cl::opt<std::string> inputFilename(cl::Positional, cl::desc("<model.onnx | ->"),
                                          cl::init("-"));
static cl::opt<std::string> outputFilename("o", cl::desc("Output file"), cl::value_desc("file"),
                                           cl::init("-"));
static cl::opt<bool> textInput("text",
                               cl::desc("The input is ONNX text syntax, not a serialised model"));

/// The location's file, if it has one: diagnostics print as `file: error: ...`
/// since ONNX models have no lines to point at.
static std::optional<StringRef> fileOf(mlir::Location loc) {
  std::optional<StringRef> file;
  loc->walk([&](mlir::Location inner) {
    if (auto fileLoc = dyn_cast<mlir::FileLineColLoc>(inner)) {
      file = fileLoc.getFilename().getValue();
      return mlir::WalkResult::interrupt();
    }
    return mlir::WalkResult::advance();
  });
  return file;
}

static std::string severityName(mlir::DiagnosticSeverity severity) {
  switch (severity) {
  case mlir::DiagnosticSeverity::Error:
    return "error";
  case mlir::DiagnosticSeverity::Warning:
    return "warning";
  case mlir::DiagnosticSeverity::Note:
    return "note";
  case mlir::DiagnosticSeverity::Remark:
    return "remark";
  }
  return "diagnostic";
}

static void printDiagnostic(mlir::Diagnostic &diag) {
  std::optional<StringRef> file = fileOf(diag.getLocation());
  errs() << (file ? *file : StringRef("<unknown>")) << ": " << severityName(diag.getSeverity())
         << ": " << diag << "\n";
  for (mlir::Diagnostic &note : diag.getNotes())
    printDiagnostic(note);
}

/// Parses the ONNX text syntax into a serialised ModelProto.
static std::optional<std::string> parseOnnxText(StringRef text) {
  std::string textCopy = text.str(); // The parser wants a C string.
  try {
    onnx::ModelProto model;
    onnx::Common::Status status = onnx::OnnxParser::Parse(model, textCopy.c_str());
    if (!status.IsOK()) {
      errs() << inputFilename << ": error: ONNX text syntax: " << status.ErrorMessage() << "\n";
      return std::nullopt;
    }
    std::string bytes;
    if (!model.SerializeToString(&bytes)) {
      errs() << inputFilename << ": error: cannot serialise the parsed model\n";
      return std::nullopt;
    }
    return bytes;
  } catch (const std::exception &e) {
    errs() << inputFilename << ": error: ONNX text syntax: " << e.what() << "\n";
  } catch (...) {
    errs() << inputFilename << ": error: ONNX text syntax: unknown exception\n";
  }
  return std::nullopt;
}

int main(int argc, char **argv) {
  InitLLVM initLLVM(argc, argv);
  mlir::registerAsmPrinterCLOptions();
  mlir::registerMLIRContextCLOptions();
  cl::ParseCommandLineOptions(argc, argv, "Trellis ONNX importer test driver\n");

  mlir::MLIRContext ctx;
  mlir::ScopedDiagnosticHandler handler(&ctx, [](mlir::Diagnostic &diag) {
    printDiagnostic(diag);
    return mlir::success();
  });

  mlir::OwningOpRef<mlir::ModuleOp> module;
  if (!textInput && inputFilename != "-") {
    module = trellis::importOnnxModel(inputFilename, ctx);
  } else {
    auto buffer = MemoryBuffer::getFileOrSTDIN(inputFilename, /*IsText=*/false,
                                               /*RequiresNullTerminator=*/false);
    if (!buffer) {
      errs() << inputFilename << ": error: " << buffer.getError().message() << "\n";
      return 1;
    }
    std::optional<std::string> bytes;
    if (textInput)
      bytes = parseOnnxText((*buffer)->getBuffer());
    else
      bytes = (*buffer)->getBuffer().str();
    if (!bytes)
      return 1;
    module = trellis::importOnnxModelFromBytes(*bytes, inputFilename, ctx);
  }
  if (!module)
    return 1;

  std::string error;
  auto output = mlir::openOutputFile(outputFilename, &error);
  if (!output) {
    errs() << outputFilename << ": error: " << error << "\n";
    return 1;
  }
  module->print(output->os());
  output->os() << "\n";
  output->keep();
  return 0;
}
