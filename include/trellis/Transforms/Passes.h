//===- Passes.h - Trellis passes ------------------------------------------===//
#ifndef TRELLIS_TRANSFORMS_PASSES_H
#define TRELLIS_TRANSFORMS_PASSES_H

#include "trellis/Dialect/Graph.h"
#include "trellis/Dialect/Isa.h"
#include "trellis/Dialect/Tile.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace trellis {
#define GEN_PASS_DECL
#include "trellis/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "trellis/Transforms/Passes.h.inc"
} // namespace trellis

#endif
