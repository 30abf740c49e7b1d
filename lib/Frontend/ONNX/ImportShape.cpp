//===- ImportShape.cpp - shape and layout ops ---===//
//
// TODO(family owner): describe.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"

#include "mlir/IR/Builders.h"
#include "onnx/onnx_pb.h"

#include <climits>

using namespace mlir;
using namespace trellis;
using namespace trellis::onnx_import;

void trellis::onnx_import::registerShapeImporters(ImporterTable &) {}
