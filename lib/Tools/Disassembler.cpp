//===- Disassembler.cpp - Program -> per-engine assembly ------------------===//
//
// Decodes into the isa dialect and uses its printer: the assembly syntax is
// the one declared in IsaOps.td, not a second hand-kept copy.
//
//===----------------------------------------------------------------------===//

#include "trellis/Tools/Disassembler.h"
#include "trellis/Conversion/IsaCodec.h"
#include "trellis/Pipeline/Registration.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include <map>

using namespace mlir;
using namespace trellis;

LogicalResult trellis::disassemble(const Program &p, llvm::raw_ostream &os) {
  DialectRegistry registry;
  registerDialects(registry);
  MLIRContext ctx(registry);
  OwningOpRef<ModuleOp> module = decodeIsaProgram(p, ctx);
  if (!module)
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

  auto program = *module->getOps<isa::ProgramOp>().begin();
  std::map<int64_t, std::vector<std::pair<size_t, Operation *>>> byQueue;
  size_t index = 0;
  for (Operation &op : program.getBody().front())
    if (auto inst = dyn_cast<isa::InstructionOp>(op))
      byQueue[inst.getQueueId()].push_back({index++, &op});
  OpPrintingFlags flags;
  flags.skipRegions();
  for (auto &[queue, insts] : byQueue) {
    os << "\n" << isa::queueName(queue) << ":   ; " << insts.size() << " instructions\n";
    for (auto [i, op] : insts) {
      os << llvm::format("  %5zu  ", i);
      op->print(os, flags);
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
