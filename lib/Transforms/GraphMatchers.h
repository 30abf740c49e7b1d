//===- GraphMatchers.h - Small matchers shared by the graph passes --------===//
#ifndef TRELLIS_LIB_TRANSFORMS_GRAPHMATCHERS_H
#define TRELLIS_LIB_TRANSFORMS_GRAPHMATCHERS_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"
#include <optional>

namespace trellis {

/// The value of a constant holding one float (any shape of one element).
inline std::optional<float> scalarValue(mlir::Value v) {
  mlir::DenseElementsAttr attr;
  if (!mlir::matchPattern(v, mlir::m_Constant(&attr)) || attr.getNumElements() != 1 ||
      !llvm::isa<mlir::FloatType>(attr.getElementType()))
    return std::nullopt;
  return (*attr.getValues<llvm::APFloat>().begin()).convertToFloat();
}

} // namespace trellis

#endif
