//===- OnnxTensor.h - Read an ONNX TensorProto (.pb) as a HostTensor ------===//
#ifndef TRELLIS_SUPPORT_ONNXTENSOR_H
#define TRELLIS_SUPPORT_ONNXTENSOR_H

#include "trellis/Support/HostTensor.h"
#include "llvm/Support/Error.h"

namespace trellis {

/// Reads a serialised onnx.TensorProto (as in the ONNX backend test data).
/// `name` receives the tensor's name.
llvm::Expected<HostTensor> readOnnxTensorFile(llvm::StringRef path, std::string *name = nullptr);

/// Reads `path` as .npy, or as a TensorProto when it ends in ".pb".
llvm::Expected<HostTensor> readTensorFile(llvm::StringRef path);

} // namespace trellis

#endif
