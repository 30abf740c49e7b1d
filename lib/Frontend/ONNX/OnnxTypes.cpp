//===- OnnxTypes.cpp - ONNX types and tensors as MLIR types and attributes ===//

#include "OnnxTypes.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/SwapByteOrder.h"

#include "onnx/onnx_pb.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
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
  if (!tensorType.has_shape() && !pinned)
    return emitError() << "has no shape; give one with --input-shape";
  int rank = tensorType.has_shape() ? tensorType.shape().dim_size() : int(pinned->size());
  if (pinned && int64_t(pinned->size()) != rank)
    return emitError() << "has rank " << rank << " but --input-shape gives " << pinned->size()
                       << " dimensions";
  SmallVector<int64_t> shape;
  for (int i = 0; i < rank && !tensorType.has_shape(); ++i)
    shape.push_back((*pinned)[i]);
  for (int i = 0; i < rank && tensorType.has_shape(); ++i) {
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
  // Untrusted (or mistyped) dims: everything downstream sizes buffers and
  // HBM offsets from them.
  int64_t numElements = 1;
  for (auto [i, d] : llvm::enumerate(shape)) {
    if (d < 0)
      return emitError() << "has negative dimension " << i << " (" << d << ")";
    if (llvm::MulOverflow(numElements, d, numElements) || numElements > kMaxTensorElements)
      return emitError() << "has more than " << kMaxTensorElements << " elements";
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

//===----------------------------------------------------------------------===//
// External data
//===----------------------------------------------------------------------===//

ExternalDataFiles::ExternalDataFiles(StringRef dir) {
  if (dir.empty())
    return;
  // Symlinks are resolved once here, so a location is checked against the
  // directory the model really lives in.
  SmallString<256> real;
  if (!llvm::sys::fs::real_path(dir, real))
    modelDir = std::string(real);
}

ExternalDataFiles::~ExternalDataFiles() = default;

FailureOr<StringRef> ExternalDataFiles::read(const onnx::TensorProto &tensor, int64_t numBytes,
                                             ErrorEmitter emitError) {
  std::optional<std::string> location;
  std::optional<uint64_t> offset, length;
  llvm::StringSet<> seen;
  for (const onnx::StringStringEntryProto &entry : tensor.external_data()) {
    const std::string &key = entry.key(), &value = entry.value();
    if (!seen.insert(key).second)
      return emitError() << "gives external_data key '" << key << "' twice";
    if (key == "location") {
      location = value;
    } else if (key == "offset" || key == "length") {
      uint64_t v;
      if (StringRef(value).getAsInteger(10, v) || int64_t(v) < 0)
        return emitError() << "has external data " << key << " '" << value
                           << "', which is not a non-negative integer";
      (key == "offset" ? offset : length) = v;
    } else if (key != "checksum") {
      return emitError() << "has unknown external_data key '" << key << "'";
    }
  }
  if (!location || location->empty())
    return emitError() << "uses external data but gives no location";
  StringRef loc(*location);
  if (loc.contains('\0'))
    return emitError() << "has an external data location with a NUL byte";
  if (modelDir.empty())
    return emitError() << "uses external data ('" << loc
                       << "'), which needs the model to be read from a file";
  // CVE-2022-25882: a location must name a file inside the model's
  // directory. Reject the obvious escapes by name, then compare real paths
  // (which also catches a symlink pointing out).
  if (llvm::sys::path::is_absolute(loc) || loc.starts_with("/") || loc.starts_with("\\"))
    return emitError() << "has external data location '" << loc
                       << "', an absolute path; it must be relative to the model's directory";
  for (auto it = llvm::sys::path::begin(loc), e = llvm::sys::path::end(loc); it != e; ++it)
    if (*it == "..")
      return emitError() << "has external data location '" << loc
                         << "', which leaves the model's directory ('..')";
  SmallString<256> joined(modelDir);
  llvm::sys::path::append(joined, loc);
  SmallString<256> real;
  if (std::error_code ec = llvm::sys::fs::real_path(joined, real))
    return emitError() << "has external data location '" << loc << "', which cannot be read: "
                       << ec.message();
  if (!StringRef(real).starts_with(modelDir + "/"))
    return emitError() << "has external data location '" << loc << "', which resolves to '"
                       << real << "', outside the model's directory";
  if (!llvm::sys::fs::is_regular_file(real))
    return emitError() << "has external data location '" << loc << "', which is not a regular file";

  auto &file = files[real];
  if (!file) {
    // Mapped, not copied: weights can be gigabytes.
    auto buffer = llvm::MemoryBuffer::getFile(real, /*IsText=*/false,
                                              /*RequiresNullTerminator=*/false);
    if (!buffer)
      return emitError() << "has external data location '" << loc << "', which cannot be read: "
                         << buffer.getError().message();
    file = std::move(*buffer);
  }
  uint64_t size = file->getBufferSize();
  uint64_t start = offset.value_or(0);
  if (length && *length != uint64_t(numBytes))
    return emitError() << "has external data length " << *length << ", but its type needs "
                       << numBytes << " bytes";
  if (start > size || uint64_t(numBytes) > size - start)
    return emitError() << "needs bytes [" << start << ", " << start + uint64_t(numBytes)
                       << ") of external data file '" << loc << "', which has " << size;
  return file->getBuffer().substr(start, numBytes);
}

//===----------------------------------------------------------------------===//
// Tensors
//===----------------------------------------------------------------------===//

/// A little-endian raw buffer (raw_data or external data) as an attribute.
static FailureOr<DenseElementsAttr> fromRawBytes(RankedTensorType type, StringRef raw,
                                                 int32_t dataType, ErrorEmitter emitError) {
  // Copying verbatim is what makes importing hundreds of megabytes of
  // weights cheap.
  if (llvm::sys::IsBigEndianHost)
    return emitError() << "raw data cannot be imported on a big-endian host yet";
  if (dataType == onnx::TensorProto::BOOL) {
    // One byte per bool in ONNX; MLIR packs i1 bits.
    SmallVector<bool> bits;
    for (char c : raw)
      bits.push_back(c != 0);
    return DenseElementsAttr::get(type, ArrayRef<bool>(bits));
  }
  return DenseElementsAttr::getFromRawBuffer(type, llvm::ArrayRef<char>(raw.data(), raw.size()));
}

FailureOr<DenseElementsAttr> trellis::onnx_import::importTensor(const onnx::TensorProto &tensor,
                                                                MLIRContext &ctx,
                                                                ErrorEmitter emitError,
                                                                ExternalDataFiles *external,
                                                                std::optional<StringRef> rawData) {
  bool isExternal = tensor.data_location() == onnx::TensorProto::EXTERNAL;
  if (isExternal && !external)
    return emitError() << "uses external data (data_location EXTERNAL), which only "
                          "initializers may use";
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
  if (numElements > kMaxTensorElements)
    return emitError() << "has " << numElements << " elements, more than the limit of "
                       << kMaxTensorElements;
  int64_t numBytes;
  if (llvm::MulOverflow(numElements, layout->byteWidth, numBytes))
    return emitError() << "has too many elements (the byte size overflows)";
  auto type = RankedTensorType::get(shape, layout->elementType);

  int64_t typedSize = int64_t(tensor.float_data_size()) + tensor.int32_data_size() +
                      tensor.int64_data_size() + tensor.double_data_size() +
                      tensor.uint64_data_size() + tensor.string_data_size();

  if (isExternal) {
    if (typedSize != 0 || tensor.has_raw_data())
      return emitError() << "uses external data but also holds data of its own";
    FailureOr<StringRef> raw = external->read(tensor, numBytes, emitError);
    if (failed(raw))
      return failure();
    return fromRawBytes(type, *raw, tensor.data_type(), emitError);
  }
  if (tensor.external_data_size() != 0)
    return emitError() << "has external_data entries but data_location is not EXTERNAL";

  if (tensor.has_raw_data()) {
    if (typedSize != 0)
      return emitError() << "has both raw_data and a typed data field";
    StringRef raw = rawData ? *rawData : StringRef(tensor.raw_data());
    if (int64_t(raw.size()) != numBytes)
      return emitError() << "has " << raw.size() << " bytes of raw_data, but " << type
                         << " needs " << numBytes;
    return fromRawBytes(type, raw, tensor.data_type(), emitError);
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

//===----------------------------------------------------------------------===//
// Cutting raw_data out before parsing
//===----------------------------------------------------------------------===//

namespace {
/// Reads a base-128 varint; false when it is truncated or too long.
bool readVarint(StringRef &in, uint64_t &value) {
  value = 0;
  for (unsigned shift = 0; shift < 64 && !in.empty(); shift += 7) {
    uint8_t byte = in.front();
    in = in.drop_front();
    value |= uint64_t(byte & 0x7f) << shift;
    if (!(byte & 0x80))
      return true;
  }
  return false;
}

void writeVarint(std::string &out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(char(value | 0x80));
    value >>= 7;
  }
  out.push_back(char(value));
}

/// One field of a message: its number, wire type, whole bytes (key
/// included) and, for a length-delimited field, its payload.
struct WireField {
  uint64_t number;
  unsigned wireType;
  StringRef whole, payload;
};

/// Splits off the next field of `in`; false on malformed input or a group
/// (wire types 3 and 4, which nothing this walks uses).
bool nextField(StringRef &in, WireField &f) {
  const char *start = in.data();
  uint64_t key, length;
  if (!readVarint(in, key))
    return false;
  f.number = key >> 3;
  f.wireType = key & 7;
  switch (f.wireType) {
  case 0:
    if (!readVarint(in, length))
      return false;
    break;
  case 1:
  case 5: {
    size_t n = f.wireType == 1 ? 8 : 4;
    if (in.size() < n)
      return false;
    in = in.drop_front(n);
    break;
  }
  case 2:
    if (!readVarint(in, length) || length > in.size())
      return false;
    f.payload = in.take_front(length);
    in = in.drop_front(length);
    break;
  default:
    return false;
  }
  f.whole = StringRef(start, in.data() - start);
  return true;
}

/// Appends field `number` with payload `payload`, length-delimited.
void writeDelimited(std::string &out, uint64_t number, StringRef payload) {
  writeVarint(out, (number << 3) | 2);
  writeVarint(out, payload.size());
  out.append(payload.data(), payload.size());
}

/// A TensorProto without its raw_data's bytes.
bool stripTensor(StringRef in, std::string &out, std::optional<StringRef> &raw) {
  WireField f;
  while (!in.empty()) {
    if (!nextField(in, f))
      return false;
    if (f.number == uint64_t(onnx::TensorProto::kRawDataFieldNumber) && f.wireType == 2) {
      if (raw) // protobuf would keep the last; not worth handling here
        return false;
      raw = f.payload;
      writeDelimited(out, f.number, "");
      continue;
    }
    out.append(f.whole.data(), f.whole.size());
  }
  return true;
}

/// A GraphProto whose initializers lose their raw_data's bytes.
bool stripGraph(StringRef in, std::string &out,
                std::vector<std::optional<StringRef>> &initializerData) {
  WireField f;
  std::string tensor;
  while (!in.empty()) {
    if (!nextField(in, f))
      return false;
    if (f.number == uint64_t(onnx::GraphProto::kInitializerFieldNumber) && f.wireType == 2) {
      tensor.clear();
      std::optional<StringRef> raw;
      if (!stripTensor(f.payload, tensor, raw))
        return false;
      initializerData.push_back(raw);
      writeDelimited(out, f.number, tensor);
      continue;
    }
    out.append(f.whole.data(), f.whole.size());
  }
  return true;
}
} // namespace

std::optional<StrippedModel> trellis::onnx_import::stripInitializerData(StringRef bytes) {
  StrippedModel result;
  WireField f;
  std::string graph;
  while (!bytes.empty()) {
    if (!nextField(bytes, f))
      return std::nullopt;
    // A message field given twice is merged by protobuf: initializers of
    // both occurrences follow one another, as they do here.
    if (f.number == uint64_t(onnx::ModelProto::kGraphFieldNumber) && f.wireType == 2) {
      graph.clear();
      if (!stripGraph(f.payload, graph, result.initializerData))
        return std::nullopt;
      writeDelimited(result.bytes, f.number, graph);
      continue;
    }
    result.bytes.append(f.whole.data(), f.whole.size());
  }
  return result;
}
