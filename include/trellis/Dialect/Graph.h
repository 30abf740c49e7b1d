//===- Graph.h - The graph dialect ----------------------------------------===//
#ifndef TRELLIS_DIALECT_GRAPH_H
#define TRELLIS_DIALECT_GRAPH_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "graph/GraphDialect.h.inc"
#include "graph/GraphEnums.h.inc"
#define GET_ATTRDEF_CLASSES
#include "graph/GraphAttrs.h.inc"
#define GET_OP_CLASSES
#include "graph/GraphOps.h.inc"

namespace trellis::graph {
/// numpy broadcast of two shapes; std::nullopt if incompatible.
std::optional<llvm::SmallVector<int64_t>> broadcastShapes(llvm::ArrayRef<int64_t> a,
                                                          llvm::ArrayRef<int64_t> b);
} // namespace trellis::graph

#endif
