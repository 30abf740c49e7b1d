//===- GraphNormOps.cpp - Graph dialect: Norm family ops ---------------===//
//
// Shape inference, verifiers and folders of the ops in GraphNormOps.td.
//
//===----------------------------------------------------------------------===//

#include "trellis/Dialect/Graph.h"

using namespace mlir;
using namespace trellis::graph;
