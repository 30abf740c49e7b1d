//===- OnnxTypes.h - ONNX types and tensors as MLIR types and attributes --===//
//
// Private to the ONNX frontend. Every function reports problems through the
// caller's `emitError`, which returns a diagnostic already prefixed with what
// is being imported ("initializer 'w'", "node 'n' (op type Constant)", ...).
//
//===----------------------------------------------------------------------===//

#ifndef TRELLIS_LIB_FRONTEND_ONNX_ONNXTYPES_H
#define TRELLIS_LIB_FRONTEND_ONNX_ONNXTYPES_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <optional>
#include <string>

namespace onnx {
class TensorProto;
class TypeProto;
} // namespace onnx

namespace trellis::onnx_import {

using ErrorEmitter = llvm::function_ref<mlir::InFlightDiagnostic()>;

/// The ONNX name of a TensorProto.DataType value ("FLOAT", "INT64", ...).
std::string dataTypeName(int32_t dataType);

/// The MLIR element type of an ONNX data type; null if it has none here
/// (strings, complex, 8-bit floats, ...). Signed integers map to signless
/// integers, unsigned ones to unsigned integers, as in upstream dialects.
mlir::Type convertDataType(int32_t dataType, mlir::MLIRContext &ctx);

/// The static tensor type declared by a graph input: a tensor with a known
/// element type and every dimension a dim_value, or pinned by `pinned`
/// (--input-shape), which must agree with the dimensions that are static.
mlir::FailureOr<mlir::RankedTensorType>
importStaticTensorType(const onnx::TypeProto &type, mlir::MLIRContext &ctx,
                       ErrorEmitter emitError,
                       std::optional<llvm::ArrayRef<int64_t>> pinned = std::nullopt);

/// Decodes a TensorProto (initializer or Constant value) into a dense
/// attribute. Supports FLOAT, FLOAT16, BFLOAT16, INT64, INT32, INT16, INT8,
/// UINT8 and BOOL, from raw_data or the typed field; sizes are checked before
/// anything is copied.
mlir::FailureOr<mlir::DenseElementsAttr> importTensor(const onnx::TensorProto &tensor,
                                                      mlir::MLIRContext &ctx,
                                                      ErrorEmitter emitError);

/// Reads a serialised TensorProto file (the ONNX test-data .pb format) and
/// decodes it like importTensor.
mlir::FailureOr<mlir::DenseElementsAttr> readTensorFile(llvm::StringRef path,
                                                        mlir::MLIRContext &ctx,
                                                        ErrorEmitter emitError);

} // namespace trellis::onnx_import

#endif // TRELLIS_LIB_FRONTEND_ONNX_ONNXTYPES_H
