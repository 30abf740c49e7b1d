//===- GraphShapeOps.cpp - Graph dialect: Shape family ops ---------------===//
//
// Shape inference, verifiers and folders of the ops in GraphShapeOps.td.
//
//===----------------------------------------------------------------------===//

#include "trellis/Dialect/Graph.h"

using namespace mlir;
using namespace trellis::graph;
