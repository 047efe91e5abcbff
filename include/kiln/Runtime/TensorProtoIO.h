//===- TensorProtoIO.h - ONNX TensorProto <-> Tensor ------------*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Converts between ONNX `TensorProto` messages (in memory or as the `.pb`
// files of the ONNX backend-test layout, `test_data_set_N/input_K.pb`) and
// runtime Tensors. Reading accepts raw_data and the typed repeated fields the
// ONNX spec allows per element type; writing always uses raw_data.
//
// Errors are returned, never thrown or asserted: every function returns false
// and sets `error` to a one-line message when the input is malformed or
// unsupported (external data, strings, complex numbers, element types the
// runtime lacks, element counts that do not match the dims, bad files).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_TENSORPROTOIO_H
#define KILN_RUNTIME_TENSORPROTOIO_H

#include "kiln/Runtime/Tensor.h"

#include <cstdint>
#include <string>

namespace onnx {
class TensorProto;
} // namespace onnx

namespace kiln {
namespace rt {

/// Maps an ONNX TensorProto.DataType value onto a DType; returns false for
/// types the runtime does not hold (string, complex, float8, int4, ...).
bool dtypeFromOnnx(int32_t onnxType, DType &out);

/// Name of an ONNX TensorProto.DataType value ("FLOAT", "STRING", ...), for
/// messages; "<n>" for values unknown to this build.
std::string onnxDataTypeName(int32_t onnxType);

/// The largest tensor the runtime reads or allocates unless told otherwise:
/// 64 GiB. A file that declares more is refused before any allocation.
constexpr int64_t kDefaultMaxTensorBytes = int64_t(1) << 36;

/// What reading a TensorProto may do.
struct TensorReadLimits {
  /// The folder of the model the tensor belongs to. External data
  /// (data_location EXTERNAL) is read only from files inside it, named by a
  /// relative path without `..`; empty: external data is refused.
  std::string externalDataDir;
  /// The largest tensor, in bytes, that is read or allocated.
  int64_t maxBytes = kDefaultMaxTensorBytes;
};

/// Converts an in-memory TensorProto into `out` (e.g. a model initializer),
/// within `limits`; false with a message naming the tensor and the reason.
bool tensorFromProto(const onnx::TensorProto &proto, Tensor &out,
                     std::string &error,
                     const TensorReadLimits &limits = {});

/// Fills `proto` with `tensor`'s dims, data type, `name` and raw_data
/// (little-endian, as ONNX requires).
bool tensorToProto(const Tensor &tensor, const std::string &name,
                   onnx::TensorProto &proto, std::string &error);

/// Reads a serialized TensorProto file into `out`; stores the tensor's
/// `name` field in `*name` when `name` is non-null. Truncated or garbage
/// files give an error.
bool readTensorProtoFile(const std::string &path, Tensor &out,
                         std::string *name, std::string &error);

/// Writes `tensor` as a serialized TensorProto named `name` to `path`.
bool writeTensorProtoFile(const std::string &path, const Tensor &tensor,
                          const std::string &name, std::string &error);

} // namespace rt
} // namespace kiln

#endif // KILN_RUNTIME_TENSORPROTOIO_H
