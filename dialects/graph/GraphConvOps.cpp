//===- GraphConvOps.cpp - Graph dialect: Conv family ops ---------------===//
//
// Shape inference, verifiers and folders of the ops in GraphConvOps.td.
//
//===----------------------------------------------------------------------===//

#include "trellis/Dialect/Graph.h"

using namespace mlir;
using namespace trellis::graph;
