//===- Disassembler.cpp - Program -> per-engine assembly ------------------===//
//
// Decodes into the isa dialect and uses its printer: the assembly syntax is
// the one declared in IsaOps.td, not a second hand-kept copy.
//
//===----------------------------------------------------------------------===//

#include "trellis/Tools/Disassembler.h"
#include "trellis/Conversion/IsaCodec.h"
#include "trellis/Pipeline/Registration.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include <map>

using namespace mlir;
using namespace trellis;

std::optional<std::vector<std::string>> trellis::disassembleEach(const Program &p) {
  DialectRegistry registry;
  registerDialects(registry);
  MLIRContext ctx(registry);
  OwningOpRef<ModuleOp> module = decodeIsaProgram(p, ctx);
  if (!module)
    return std::nullopt;
  std::vector<std::string> text;
  text.reserve(p.instructions.size());
  OpPrintingFlags flags;
  flags.skipRegions();
  auto program = *module->getOps<isa::ProgramOp>().begin();
  // One printer state for all lines: printing an op on its own would build
  // a state over the whole program each time (quadratic).
  AsmState state(program, flags);
  for (Operation &op : program.getBody().front())
    if (isa::InstructionOp inst = dyn_cast<isa::InstructionOp>(op)) {
      std::string line;
      llvm::raw_string_ostream os(line);
      inst->print(os, state);
      text.push_back(std::move(line));
    }
  if (text.size() != p.instructions.size())
    return std::nullopt;
  return text;
}

LogicalResult trellis::disassemble(const Program &p, llvm::raw_ostream &os) {
  std::optional<std::vector<std::string>> text = disassembleEach(p);
  if (!text)
    return failure();
  os << "; target " << p.targetName << ", " << p.compilerVersion << " [" << p.compilerOptions
     << "], HBM " << p.hbmSize << " bytes\n";
  auto shape = [](const TensorInfo &t) {
    std::string s;
    for (int64_t d : t.shape)
      s += (s.empty() ? "" : "x") + std::to_string(d);
    return s + "x" + isa::stringifyDType(t.dtype).str();
  };
  for (const TensorInfo &t : p.inputs)
    os << "; input  " << t.name << " : " << shape(t) << " @ " << t.hbmOffset << "\n";
  for (const TensorInfo &t : p.outputs)
    os << "; output " << t.name << " : " << shape(t) << " @ " << t.hbmOffset << "\n";
  for (const ConstantSegment &c : p.constants)
    os << "; const  " << c.name << " : " << c.bytes.size() << " bytes @ " << c.hbmOffset << "\n";

  std::map<int64_t, std::vector<size_t>> byQueue;
  for (size_t i = 0; i < p.instructions.size(); ++i)
    byQueue[p.instructions[i].queue].push_back(i);
  for (auto &[queue, insts] : byQueue) {
    os << "\n" << isa::queueName(queue) << ":   ; " << insts.size() << " instructions\n";
    for (size_t i : insts) {
      os << llvm::format("  %5zu  ", i) << (*text)[i];
      const isa::Inst &in = p.instructions[i];
      if (in.debugId < p.debug.size()) {
        const DebugEntry &d = p.debug[in.debugId];
        os << "  ; " << (d.graphOp.empty() ? d.tileOp : d.graphOp);
        if (!d.node.empty())
          os << " \"" << d.node << "\"";
      }
      os << "\n";
    }
  }
  return success();
}
