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

/// The element types the PE array takes in narrower than fp32 (bf16, f16,
/// f8E4M3FN): a product of such operands may be f32, accumulated in PSUM.
bool isNarrowPEType(mlir::Type t);

/// isCompatibleReturnTypes of the PE ops (matmul, linear, conv2d,
/// conv_transpose2d): the inferred types, or f32 where the inferred element
/// type is narrow (isNarrowPEType).
bool peResultTypesCompatible(mlir::TypeRange inferred, mlir::TypeRange actual);
} // namespace trellis::graph

#endif
