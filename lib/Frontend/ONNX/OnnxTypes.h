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
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/MemoryBuffer.h"
#include <memory>

#include <optional>
#include <string>
#include <vector>

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

/// The most elements a tensor (initializer, graph input) may declare: far
/// beyond any on-chip or HBM use, and small enough that byte sizes and
/// offsets computed from it cannot overflow.
constexpr int64_t kMaxTensorElements = int64_t(1) << 32;

/// The side files holding initializers with data_location EXTERNAL,
/// resolved against the model's directory and mapped once each.
class ExternalDataFiles {
public:
  /// `modelDir`: the directory the model was read from; empty when it was
  /// not read from a file, which makes external data an error.
  explicit ExternalDataFiles(llvm::StringRef modelDir);
  ~ExternalDataFiles();

  /// The `numBytes` bytes of `tensor`'s external data. Checks the
  /// external_data keys (location, offset, length, checksum), that
  /// `location` stays inside the model's directory (not absolute, no '..',
  /// no symlink out), that it is a regular file, and that offset and length
  /// lie inside it and match `numBytes`.
  mlir::FailureOr<llvm::StringRef> read(const onnx::TensorProto &tensor, int64_t numBytes,
                                        ErrorEmitter emitError);

private:
  std::string modelDir; // real path, or empty
  llvm::StringMap<std::unique_ptr<llvm::MemoryBuffer>> files; // by real path
};

/// Decodes a TensorProto (initializer or Constant value) into a dense
/// attribute. Supports FLOAT, FLOAT16, BFLOAT16, INT64, INT32, INT16, INT8,
/// UINT8 and BOOL, from raw_data, the typed field or, given `external`,
/// external data; sizes are checked before anything is copied. `rawData`,
/// when given, is the tensor's raw_data, cut out of the message before it was
/// parsed (the field is then present but empty in `tensor`).
mlir::FailureOr<mlir::DenseElementsAttr>
importTensor(const onnx::TensorProto &tensor, mlir::MLIRContext &ctx, ErrorEmitter emitError,
             ExternalDataFiles *external = nullptr,
             std::optional<llvm::StringRef> rawData = std::nullopt);

/// A serialised onnx.ModelProto whose main-graph initializers have their
/// raw_data cut out: the field stays, empty, and the bytes are views into
/// the original buffer, by initializer index (std::nullopt: no raw_data).
/// Parsing this instead of the original saves protobuf copying every weight
/// (hundreds of megabytes) only for the importer to copy it again.
struct StrippedModel {
  std::string bytes;
  std::vector<std::optional<llvm::StringRef>> initializerData;
};
/// std::nullopt when `bytes` is not well-formed wire data at the levels it
/// walks (or repeats a raw_data field); the caller then parses `bytes`
/// unchanged, and protobuf reports what is wrong.
std::optional<StrippedModel> stripInitializerData(llvm::StringRef bytes);

/// Reads a serialised TensorProto file (the ONNX test-data .pb format) and
/// decodes it like importTensor.
mlir::FailureOr<mlir::DenseElementsAttr> readTensorFile(llvm::StringRef path,
                                                        mlir::MLIRContext &ctx,
                                                        ErrorEmitter emitError);

} // namespace trellis::onnx_import

#endif // TRELLIS_LIB_FRONTEND_ONNX_ONNXTYPES_H
