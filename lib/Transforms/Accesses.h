//===- Accesses.h - The memory an isa instruction reads and writes -------===//
//
// Shared by the passes that order instructions (InsertSemaphores,
// ScheduleInstructions): each access of an instruction, and the chunks of
// memory it touches, so that both agree on what conflicts.
//
//===----------------------------------------------------------------------===//
#ifndef TRELLIS_LIB_TRANSFORMS_ACCESSES_H
#define TRELLIS_LIB_TRANSFORMS_ACCESSES_H

#include "trellis/Dialect/Isa.h"

#include "llvm/ADT/SmallVector.h"

namespace trellis::isa {

/// Tracking granularity: on-chip buffers are 64-byte aligned, so distinct
/// buffers never share a chunk. HBM chunks are 256 bytes, the row of a
/// 128-column bf16 tile, so the tiles of a strided (transposed) store of one
/// tensor fall into different chunks; coarser chunks would serialise them.
int64_t chunkBytes(Space space);

struct Access {
  AccessPatternAttr ap;
  bool write;
};

/// The chunks an access pattern touches within a partition (or in HBM), in
/// ascending order without repeats: its footprint's outer axes walked over
/// the contiguous innermost run (isa::footprintAxes), so a transposed tile
/// is its rows rather than its whole extent.
void chunksOf(AccessPatternAttr ap, llvm::SmallVectorImpl<int64_t> &chunks);

/// The operands `op` reads and writes; an accumulating multiply_moving also
/// reads its destination. The PE array's latched stationary operand is not
/// memory and is not listed.
llvm::SmallVector<Access> accessesOf(mlir::Operation *op);

} // namespace trellis::isa

#endif
