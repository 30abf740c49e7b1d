//===- LowerKernel.cpp - graph.kernel_call: inline the traced kernel ------===//
//
// A traced kernel is a function of tile ops over HBM buffers (inputs, then
// outputs), so a call is lowered by cloning its body with the arguments
// mapped to the operands' and results' buffers. Each cloned op keeps its
// kernel file:line:col first in its location, so profiles point at the
// kernel's source lines, with the calling node after it.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"

using namespace mlir;
using namespace trellis;
using namespace trellis::lowering;

static LogicalResult lowerKernelCall(graph::KernelCallOp op, GraphLowering &L) {
  auto fn = SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(op, op.getCalleeAttr());
  if (!fn)
    return op.emitOpError("callee ") << op.getCalleeAttr() << " is not in the module";
  Location loc = tagLoc(op);
  IRMapping map;
  unsigned arg = 0;
  for (Value input : op.getInputs()) {
    Value buffer = L.buffer(input);
    Type want = fn.getArgument(arg).getType();
    if (buffer.getType() != want) {
      // Not a plain row-major buffer of the input's type: copy it into one.
      Strided copy{L.alloc(loc, L.shapeOf(input), L.eltOf(input), isa::Space::hbm), 0,
                   rowMajorStrides(L.shapeOf(input))};
      L.emitCopy(loc, L.shapeOf(input), L.rowMajor(input), copy, L.eltOf(input));
      buffer = copy.buffer;
    }
    map.map(fn.getArgument(arg++), buffer);
  }
  for (Value result : op.getResults())
    map.map(fn.getArgument(arg++), L.defineResult(loc, result).buffer);

  MLIRContext *ctx = op.getContext();
  StringAttr tag = StringAttr::get(ctx, op->getName().getStringRef());
  for (Operation &inner : fn.getBody().front().without_terminator()) {
    Operation *clone = L.b.clone(inner, map);
    clone->walk([&](Operation *o) {
      o->setLoc(FusedLoc::get(ctx, {o->getLoc(), op.getLoc()}, tag));
    });
  }
  return success();
}

void trellis::lowering::registerKernelLowerings(LoweringTable &table) {
  addLowering<graph::KernelCallOp>(table, lowerKernelCall);
}
