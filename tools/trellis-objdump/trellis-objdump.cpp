//===- trellis-objdump.cpp - Print a .tnef artifact as assembly -----------===//

#include "trellis/Target/Program.h"
#include "trellis/Tools/Disassembler.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

namespace cl = llvm::cl;

static cl::OptionCategory category("trellis-objdump options");
static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<artifact.tnef>"), cl::Required,
                                      cl::cat(category));

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv,
                              "trellis-objdump: print a compiled .tnef artifact: its target, "
                              "tensor table, constants and per-engine instruction streams\n");
  auto program = trellis::readProgramFile(inputFile);
  if (!program) {
    llvm::errs() << "trellis-objdump: error: " << llvm::toString(program.takeError()) << "\n";
    return 1;
  }
  if (mlir::failed(trellis::disassemble(*program, llvm::outs()))) {
    llvm::errs() << "trellis-objdump: error: " << inputFile << ": cannot disassemble\n";
    return 1;
  }
  return 0;
}
