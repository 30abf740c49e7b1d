//===- GraphKernelOps.cpp - Graph dialect: kernel calls -------------------===//
//
// The callee check of graph.kernel_call: the bind-time contract between a
// graph and a traced kernel (shapes and element types, in order).
//
//===----------------------------------------------------------------------===//

#include "trellis/Dialect/Graph.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/SymbolTable.h"

using namespace mlir;
using namespace trellis::graph;

LogicalResult KernelCallOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  auto fn = symbolTable.lookupNearestSymbolFrom<func::FuncOp>(*this, getCalleeAttr());
  if (!fn)
    return emitOpError("callee ") << getCalleeAttr() << " is not a function of this module";
  if (!fn->hasAttr("trellis.kernel"))
    return emitOpError("callee ") << getCalleeAttr() << " is not a traced kernel";
  FunctionType type = fn.getFunctionType();
  size_t nIn = getInputs().size(), nOut = getResults().size();
  if (type.getNumInputs() != nIn + nOut || type.getNumResults() != 0)
    return emitOpError("callee ") << getCalleeAttr() << " takes " << type.getNumInputs()
                                  << " buffers; the call has " << nIn << " inputs and " << nOut
                                  << " results";
  for (size_t i = 0; i < nIn + nOut; ++i) {
    Type value = i < nIn ? getInputs()[i].getType() : getResults()[i - nIn].getType();
    auto tensor = cast<RankedTensorType>(value);
    auto buffer = dyn_cast<MemRefType>(type.getInput(i));
    if (!buffer || buffer.getShape() != tensor.getShape() ||
        buffer.getElementType() != tensor.getElementType())
      return emitOpError() << (i < nIn ? "input " : "result ") << (i < nIn ? i : i - nIn)
                           << " has type " << value << " but the kernel's buffer is "
                           << type.getInput(i);
  }
  return success();
}
