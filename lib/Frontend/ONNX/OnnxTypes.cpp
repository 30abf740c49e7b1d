//===- OnnxTypes.cpp - ONNX types and tensors as MLIR types and attributes ===//

#include "OnnxTypes.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/SwapByteOrder.h"

#include "onnx/onnx_pb.h"
#include "llvm/Support/MemoryBuffer.h"
#include <climits>

using namespace mlir;
using namespace trellis::onnx_import;

std::string trellis::onnx_import::dataTypeName(int32_t dataType) {
  if (onnx::TensorProto_DataType_IsValid(dataType))
    return onnx::TensorProto_DataType_Name(static_cast<onnx::TensorProto_DataType>(dataType));
  return "data type " + std::to_string(dataType);
}

Type trellis::onnx_import::convertDataType(int32_t dataType, MLIRContext &ctx) {
  auto signless = [&](unsigned width) { return IntegerType::get(&ctx, width); };
  auto unsignedInt = [&](unsigned width) {
    return IntegerType::get(&ctx, width, IntegerType::Unsigned);
  };
  switch (dataType) {
  case onnx::TensorProto::FLOAT:
    return Float32Type::get(&ctx);
  case onnx::TensorProto::FLOAT16:
    return Float16Type::get(&ctx);
  case onnx::TensorProto::BFLOAT16:
    return BFloat16Type::get(&ctx);
  case onnx::TensorProto::DOUBLE:
    return Float64Type::get(&ctx);
  case onnx::TensorProto::BOOL:
    return signless(1);
  case onnx::TensorProto::INT8:
    return signless(8);
  case onnx::TensorProto::INT16:
    return signless(16);
  case onnx::TensorProto::INT32:
    return signless(32);
  case onnx::TensorProto::INT64:
    return signless(64);
  case onnx::TensorProto::UINT8:
    return unsignedInt(8);
  case onnx::TensorProto::UINT16:
    return unsignedInt(16);
  case onnx::TensorProto::UINT32:
    return unsignedInt(32);
  case onnx::TensorProto::UINT64:
    return unsignedInt(64);
  default:
    return {};
  }
}

FailureOr<RankedTensorType>
trellis::onnx_import::importStaticTensorType(const onnx::TypeProto &type, MLIRContext &ctx,
                                             ErrorEmitter emitError,
                                             std::optional<ArrayRef<int64_t>> pinned) {
  if (!type.has_tensor_type())
    return emitError() << "is not a tensor (sequence, map, optional and sparse types are not "
                          "supported)";
  const onnx::TypeProto::Tensor &tensorType = type.tensor_type();
  Type elementType = convertDataType(tensorType.elem_type(), ctx);
  if (!elementType)
    return emitError() << "has unsupported element type " << dataTypeName(tensorType.elem_type());
  if (!tensorType.has_shape()) {
    if (pinned)
      return RankedTensorType::get(*pinned, elementType);
    return emitError() << "has no shape; give one with --input-shape";
  }
  int rank = tensorType.shape().dim_size();
  if (pinned && int64_t(pinned->size()) != rank)
    return emitError() << "has rank " << rank << " but --input-shape gives " << pinned->size()
                       << " dimensions";
  SmallVector<int64_t> shape;
  for (int i = 0; i < rank; ++i) {
    const onnx::TensorShapeProto::Dimension &dim = tensorType.shape().dim(i);
    if (dim.has_dim_value()) {
      if (dim.dim_value() < 0)
        return emitError() << "has negative dimension " << i << " (" << dim.dim_value() << ")";
      if (pinned && (*pinned)[i] != dim.dim_value())
        return emitError() << "has static dimension " << i << " = " << dim.dim_value()
                           << " but --input-shape gives " << (*pinned)[i];
      shape.push_back(dim.dim_value());
    } else if (pinned) {
      shape.push_back((*pinned)[i]);
    } else if (dim.has_dim_param()) {
      return emitError() << "has dynamic dimension " << i << " ('" << dim.dim_param()
                         << "'); pin it with --input-shape";
    } else {
      return emitError() << "has unknown dimension " << i << "; pin it with --input-shape";
    }
  }
  return RankedTensorType::get(shape, elementType);
}

namespace {
/// Element layout of the data types an initializer may have.
struct TensorLayout {
  Type elementType;
  int64_t byteWidth;
};
} // namespace

static FailureOr<TensorLayout> tensorLayout(int32_t dataType, MLIRContext &ctx,
                                            ErrorEmitter emitError) {
  switch (dataType) {
  case onnx::TensorProto::FLOAT:
    return TensorLayout{Float32Type::get(&ctx), 4};
  case onnx::TensorProto::FLOAT16:
    return TensorLayout{Float16Type::get(&ctx), 2};
  case onnx::TensorProto::BFLOAT16:
    return TensorLayout{BFloat16Type::get(&ctx), 2};
  case onnx::TensorProto::INT32:
    return TensorLayout{IntegerType::get(&ctx, 32), 4};
  case onnx::TensorProto::INT64:
    return TensorLayout{IntegerType::get(&ctx, 64), 8};
  case onnx::TensorProto::INT16:
    return TensorLayout{IntegerType::get(&ctx, 16), 2};
  case onnx::TensorProto::INT8:
    return TensorLayout{IntegerType::get(&ctx, 8), 1};
  case onnx::TensorProto::UINT8:
    return TensorLayout{IntegerType::get(&ctx, 8, IntegerType::Unsigned), 1};
  case onnx::TensorProto::BOOL:
    return TensorLayout{IntegerType::get(&ctx, 1), 1};
  case onnx::TensorProto::UNDEFINED:
    return emitError() << "has no data type";
  case onnx::TensorProto::DOUBLE:
    return emitError() << "has data type DOUBLE, which is not supported (export the model in "
                          "float32)";
  default:
    return emitError() << "has data type " << dataTypeName(dataType) << ", which is not supported";
  }
}

FailureOr<DenseElementsAttr> trellis::onnx_import::importTensor(const onnx::TensorProto &tensor,
                                                                MLIRContext &ctx,
                                                                ErrorEmitter emitError) {
  if (tensor.data_location() == onnx::TensorProto::EXTERNAL)
    return emitError() << "uses external data (data_location EXTERNAL), which is not supported yet";
  if (tensor.has_segment())
    return emitError() << "is segmented, which is not supported";

  FailureOr<TensorLayout> layout = tensorLayout(tensor.data_type(), ctx, emitError);
  if (failed(layout))
    return failure();

  // The dims are untrusted: check them and the byte size for overflow before
  // anything is allocated from them.
  SmallVector<int64_t> shape;
  int64_t numElements = 1;
  for (int i = 0, e = tensor.dims_size(); i < e; ++i) {
    int64_t dim = tensor.dims(i);
    if (dim < 0)
      return emitError() << "has negative dimension " << i << " (" << dim << ")";
    if (llvm::MulOverflow(numElements, dim, numElements))
      return emitError() << "has too many elements (the element count overflows)";
    shape.push_back(dim);
  }
  int64_t numBytes;
  if (llvm::MulOverflow(numElements, layout->byteWidth, numBytes))
    return emitError() << "has too many elements (the byte size overflows)";
  auto type = RankedTensorType::get(shape, layout->elementType);

  int64_t typedSize = int64_t(tensor.float_data_size()) + tensor.int32_data_size() +
                      tensor.int64_data_size() + tensor.double_data_size() +
                      tensor.uint64_data_size() + tensor.string_data_size();

  if (tensor.has_raw_data()) {
    if (typedSize != 0)
      return emitError() << "has both raw_data and a typed data field";
    const std::string &raw = tensor.raw_data();
    if (int64_t(raw.size()) != numBytes)
      return emitError() << "has " << raw.size() << " bytes of raw_data, but " << type
                         << " needs " << numBytes;
    // raw_data is little-endian; copying it verbatim is what makes importing
    // hundreds of megabytes of weights cheap.
    if (llvm::sys::IsBigEndianHost)
      return emitError() << "raw_data cannot be imported on a big-endian host yet";
    if (tensor.data_type() == onnx::TensorProto::BOOL) {
      // One byte per bool in ONNX; MLIR packs i1 bits.
      SmallVector<bool> bits;
      for (char c : raw)
        bits.push_back(c != 0);
      return DenseElementsAttr::get(type, ArrayRef<bool>(bits));
    }
    return DenseElementsAttr::getFromRawBuffer(type, llvm::ArrayRef<char>(raw.data(), raw.size()));
  }

  // The typed field that must hold the data, and how many entries it has.
  int64_t fieldSize;
  const char *fieldName;
  switch (tensor.data_type()) {
  case onnx::TensorProto::FLOAT:
    fieldSize = tensor.float_data_size();
    fieldName = "float_data";
    break;
  case onnx::TensorProto::INT64:
    fieldSize = tensor.int64_data_size();
    fieldName = "int64_data";
    break;
  default: // INT32, FLOAT16 and BFLOAT16 all travel in int32_data.
    fieldSize = tensor.int32_data_size();
    fieldName = "int32_data";
    break;
  }
  if (fieldSize != typedSize)
    return emitError() << "holds its data in a field other than " << fieldName;
  if (fieldSize != numElements)
    return emitError() << "has " << fieldSize << " elements in " << fieldName << ", but " << type
                       << " needs " << numElements;

  switch (tensor.data_type()) {
  case onnx::TensorProto::FLOAT:
    return DenseElementsAttr::get(
        type, llvm::ArrayRef<float>(tensor.float_data().data(), tensor.float_data_size()));
  case onnx::TensorProto::INT64:
    return DenseElementsAttr::get(type, llvm::ArrayRef<int64_t>(tensor.int64_data().data(),
                                                                tensor.int64_data_size()));
  case onnx::TensorProto::INT32:
    return DenseElementsAttr::get(type, llvm::ArrayRef<int32_t>(tensor.int32_data().data(),
                                                                tensor.int32_data_size()));
  case onnx::TensorProto::BOOL:
  case onnx::TensorProto::INT8:
  case onnx::TensorProto::UINT8:
  case onnx::TensorProto::INT16: {
    // Narrow integers travel one per int32_data entry.
    unsigned width = type.getElementType().getIntOrFloatBitWidth();
    bool isUnsigned = type.getElementType().isUnsignedInteger();
    SmallVector<APInt> values;
    for (int32_t entry : tensor.int32_data())
      values.push_back(APInt(width, uint64_t(int64_t(entry)), /*isSigned=*/!isUnsigned,
                             /*implicitTrunc=*/true));
    return DenseElementsAttr::get(type, values);
  }
  default: {
    // FLOAT16 / BFLOAT16: one bit pattern per int32_data entry, in its low 16
    // bits.
    SmallVector<uint16_t> bits;
    bits.reserve(fieldSize);
    for (int32_t entry : tensor.int32_data()) {
      if (entry < 0 || entry > 0xffff)
        return emitError() << "has int32_data entry " << entry << ", which is not a 16-bit pattern";
      bits.push_back(uint16_t(entry));
    }
    return DenseElementsAttr::getFromRawBuffer(
        type, llvm::ArrayRef<char>(reinterpret_cast<const char *>(bits.data()), bits.size() * 2));
  }
  }
}

FailureOr<DenseElementsAttr> trellis::onnx_import::readTensorFile(StringRef path,
                                                                  MLIRContext &ctx,
                                                                  ErrorEmitter emitError) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return emitError() << "cannot read '" << path << "': " << buffer.getError().message();
  StringRef bytes = (*buffer)->getBuffer();
  onnx::TensorProto tensor;
  if (bytes.size() > size_t(INT_MAX) || !tensor.ParseFromArray(bytes.data(), int(bytes.size())))
    return emitError() << "'" << path << "' is not a serialised ONNX TensorProto";
  return importTensor(tensor, ctx, emitError);
}
