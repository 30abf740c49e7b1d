//===- Tile.h - The tile dialect ------------------------------------------===//
#ifndef TRELLIS_DIALECT_TILE_H
#define TRELLIS_DIALECT_TILE_H

#include "trellis/Target/IsaEnums.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"

#include "tile/TileDialect.h.inc"
#define GET_ATTRDEF_CLASSES
#include "tile/TileAttrs.h.inc"
#define GET_OP_CLASSES
#include "tile/TileOps.h.inc"

namespace trellis::tile {
/// The memory space of a buffer (HBM when the memref has none).
isa::Space getMemorySpace(mlir::Value buffer);
isa::Space getMemorySpace(mlir::MemRefType type);
/// A MemRefType in `space`.
mlir::MemRefType getBufferType(llvm::ArrayRef<int64_t> shape, mlir::Type elementType,
                               isa::Space space);
/// Elements per partition of an on-chip buffer (product of dims 1..n), or
/// total elements of an HBM buffer.
int64_t getPartitionElements(mlir::MemRefType type);
} // namespace trellis::tile

#endif
