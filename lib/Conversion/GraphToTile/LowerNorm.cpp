//===- LowerNorm.cpp - TODO(family owner) ---------------------------------===//
//
// TODO(family owner): describe the mapping of this family onto the engines.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

using namespace mlir;
using namespace trellis;
using namespace trellis::lowering;

void trellis::lowering::registerNormLowerings(LoweringTable &) {}
