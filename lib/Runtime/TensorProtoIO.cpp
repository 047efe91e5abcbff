//===- TensorProtoIO.cpp - ONNX TensorProto <-> Tensor --------------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Reading and writing ONNX TensorProto messages and `.pb` files as runtime
// Tensors. Every malformed input becomes an error message; sizes are checked
// before any buffer is allocated, so a garbage file cannot request a huge one.
//
//===----------------------------------------------------------------------===//

#include "kiln/Runtime/TensorProtoIO.h"

#include "onnx/onnx_pb.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

namespace kiln {
namespace rt {

bool dtypeFromOnnx(int32_t onnxType, DType &out) {
  switch (onnxType) {
  case 1:  // FLOAT
  case 2:  // UINT8
  case 3:  // INT8
  case 4:  // UINT16
  case 5:  // INT16
  case 6:  // INT32
  case 7:  // INT64
  case 9:  // BOOL
  case 10: // FLOAT16
  case 11: // DOUBLE
  case 12: // UINT32
  case 13: // UINT64
  case 16: // BFLOAT16
    out = static_cast<DType>(onnxType);
    return true;
  default:
    return false;
  }
}

std::string onnxDataTypeName(int32_t onnxType) {
  // Indexed by TensorProto.DataType; includes values newer than the proto
  // this build compiles against, so messages stay readable.
  static const char *const names[] = {
      "UNDEFINED",      "FLOAT",         "UINT8",        "INT8",
      "UINT16",         "INT16",         "INT32",        "INT64",
      "STRING",         "BOOL",          "FLOAT16",      "DOUBLE",
      "UINT32",         "UINT64",        "COMPLEX64",    "COMPLEX128",
      "BFLOAT16",       "FLOAT8E4M3FN",  "FLOAT8E4M3FNUZ", "FLOAT8E5M2",
      "FLOAT8E5M2FNUZ", "UINT4",         "INT4",         "FLOAT4E2M1",
      "FLOAT8E8M0"};
  const int32_t count = static_cast<int32_t>(sizeof(names) / sizeof(names[0]));
  if (onnxType >= 0 && onnxType < count)
    return names[onnxType];
  return "<" + std::to_string(onnxType) + ">";
}

namespace {

/// "tensor 'x'" or "tensor" when the proto has no name, for messages.
std::string tensorLabel(const onnx::TensorProto &proto) {
  if (proto.name().empty())
    return "tensor";
  return "tensor '" + proto.name() + "'";
}

/// "[2,3]" for messages.
std::string formatDims(const std::vector<int64_t> &dims) {
  std::string text = "[";
  for (size_t d = 0; d < dims.size(); ++d) {
    if (d != 0)
      text += ',';
    text += std::to_string(dims[d]);
  }
  return text + "]";
}

/// Element count of `dims`; false on a negative extent or an overflow past
/// what a byte count of `elementSize`-byte elements can hold.
bool checkedElementCount(const std::vector<int64_t> &dims, size_t elementSize,
                         int64_t &count) {
  const int64_t limit =
      std::numeric_limits<int64_t>::max() / static_cast<int64_t>(elementSize);
  count = 1;
  for (int64_t extent : dims) {
    if (extent < 0)
      return false;
    if (extent != 0 && count > limit / extent)
      return false;
    count *= extent;
  }
  return true;
}

/// Copies `values` into `out` narrowing each element to T.
template <typename T, typename Field>
void copyNarrowed(const Field &values, Tensor &out) {
  T *dest = out.dataAs<T>();
  for (int i = 0; i < values.size(); ++i)
    dest[i] = static_cast<T>(values.Get(i));
}

/// Name of the typed repeated field that holds `type` in a TensorProto.
const char *typedFieldName(DType type) {
  switch (type) {
  case DType::F32:
    return "float_data";
  case DType::I64:
    return "int64_data";
  case DType::F64:
    return "double_data";
  case DType::U32:
  case DType::U64:
    return "uint64_data";
  default:
    return "int32_data";
  }
}

/// Number of values in the typed field that holds `type`.
int64_t typedFieldSize(const onnx::TensorProto &proto, DType type) {
  switch (type) {
  case DType::F32:
    return proto.float_data_size();
  case DType::I64:
    return proto.int64_data_size();
  case DType::F64:
    return proto.double_data_size();
  case DType::U32:
  case DType::U64:
    return proto.uint64_data_size();
  default:
    return proto.int32_data_size();
  }
}

/// Fills `out` (already shaped) from the typed field that holds its dtype.
/// The caller has checked that the field holds exactly numElements values.
void copyTypedField(const onnx::TensorProto &proto, Tensor &out) {
  switch (out.dtype()) {
  case DType::F32:
    copyNarrowed<float>(proto.float_data(), out);
    break;
  case DType::I64:
    copyNarrowed<int64_t>(proto.int64_data(), out);
    break;
  case DType::F64:
    copyNarrowed<double>(proto.double_data(), out);
    break;
  case DType::U32:
    copyNarrowed<uint32_t>(proto.uint64_data(), out);
    break;
  case DType::U64:
    copyNarrowed<uint64_t>(proto.uint64_data(), out);
    break;
  case DType::I32:
    copyNarrowed<int32_t>(proto.int32_data(), out);
    break;
  case DType::I16:
    copyNarrowed<int16_t>(proto.int32_data(), out);
    break;
  case DType::U16:
  case DType::F16:  // The bit pattern sits in the low 16 bits.
  case DType::BF16: // Likewise.
    copyNarrowed<uint16_t>(proto.int32_data(), out);
    break;
  case DType::I8:
    copyNarrowed<int8_t>(proto.int32_data(), out);
    break;
  case DType::U8:
    copyNarrowed<uint8_t>(proto.int32_data(), out);
    break;
  case DType::Bool: {
    uint8_t *dest = out.dataAs<uint8_t>();
    for (int i = 0; i < proto.int32_data_size(); ++i)
      dest[i] = proto.int32_data(i) != 0 ? 1 : 0;
    break;
  }
  case DType::Undefined:
    break;
  }
}

/// Reads the `expectedBytes` of an EXTERNAL tensor from the file its
/// `location` names inside `dir` (at `offset`, `length` bytes when given).
/// Refuses absolute paths, `..`, paths that leave `dir` through links,
/// missing files and ranges past the end of the file.
bool readExternalData(const onnx::TensorProto &proto, const std::string &dir,
                      size_t expectedBytes, std::string &bytes,
                      std::string &error) {
  namespace fs = std::filesystem;
  std::string location;
  uint64_t offset = 0, length = 0;
  bool hasLength = false;
  for (const onnx::StringStringEntryProto &entry : proto.external_data()) {
    const std::string &key = entry.key(), &value = entry.value();
    auto number = [&](uint64_t &out) {
      char *end = nullptr;
      errno = 0;
      out = std::strtoull(value.c_str(), &end, 10);
      return !value.empty() && *end == 0 && errno == 0 &&
             value.find('-') == std::string::npos;
    };
    if (key == "location") {
      location = value;
    } else if (key == "offset") {
      if (!number(offset)) {
        error = "external data offset '" + value + "' is not a number";
        return false;
      }
    } else if (key == "length") {
      if (!number(length)) {
        error = "external data length '" + value + "' is not a number";
        return false;
      }
      hasLength = true;
    }
  }
  if (location.empty()) {
    error = "external data without a location";
    return false;
  }
  if (dir.empty()) {
    error = "uses external data ('" + location +
            "'), but the model's folder is not known here";
    return false;
  }
  fs::path rel(location);
  bool escapes = rel.is_absolute() || location.find('\0') != std::string::npos;
  for (const fs::path &part : rel)
    escapes |= part == "..";
  if (escapes) {
    error = "external data location '" + location +
            "' must be a relative path inside the model's folder (no "
            "absolute path, no '..')";
    return false;
  }
  std::error_code ec;
  fs::path base = fs::weakly_canonical(fs::path(dir), ec);
  fs::path file = fs::weakly_canonical(fs::path(dir) / rel, ec);
  std::string baseText = base.string() + "/";
  if (ec || file.string().compare(0, baseText.size(), baseText) != 0) {
    error = "external data location '" + location +
            "' leaves the model's folder";
    return false;
  }
  if (!fs::exists(file, ec)) {
    error = "external data file '" + location + "' does not exist";
    return false;
  }
  if (!fs::is_regular_file(file, ec)) {
    error = "external data file '" + location + "' is not a regular file";
    return false;
  }
  uint64_t size = fs::file_size(file, ec);
  if (ec) {
    error = "cannot read external data file '" + location + "'";
    return false;
  }
  if (!hasLength)
    length = offset <= size ? size - offset : 0;
  if (offset > size || length > size - offset) {
    error = "external data range [" + std::to_string(offset) + ", +" +
            std::to_string(length) + ") lies past the end of '" + location +
            "' (" + std::to_string(size) + " bytes)";
    return false;
  }
  if (length != expectedBytes) {
    error = "external data in '" + location + "' holds " +
            std::to_string(length) + " bytes, the tensor needs " +
            std::to_string(expectedBytes);
    return false;
  }
  std::ifstream in(file, std::ios::binary);
  bytes.resize(expectedBytes);
  in.seekg(static_cast<std::streamoff>(offset));
  if (expectedBytes != 0 &&
      !in.read(bytes.data(), static_cast<std::streamsize>(expectedBytes))) {
    error = "cannot read " + std::to_string(expectedBytes) +
            " bytes of external data from '" + location + "'";
    return false;
  }
  return true;
}

} // namespace

bool tensorFromProto(const onnx::TensorProto &proto, Tensor &out,
                     std::string &error, const TensorReadLimits &limits) {
  const std::string label = tensorLabel(proto);
  bool external = proto.data_location() == onnx::TensorProto::EXTERNAL ||
                  proto.external_data_size() != 0;
  if (proto.has_segment()) {
    error = label + " is segmented, which is not supported";
    return false;
  }
  DType type;
  if (!dtypeFromOnnx(proto.data_type(), type)) {
    error = label + " has unsupported element type " +
            onnxDataTypeName(proto.data_type());
    return false;
  }
  std::vector<int64_t> dims(proto.dims().begin(), proto.dims().end());
  int64_t count;
  if (!checkedElementCount(dims, dtypeSize(type), count)) {
    error = label + " has invalid dims " + formatDims(dims);
    return false;
  }
  const std::string what = label + " of type " +
                           onnxDataTypeName(proto.data_type()) +
                           " with dims " + formatDims(dims) + " expects " +
                           std::to_string(count) + " elements";
  if (count > limits.maxBytes / static_cast<int64_t>(dtypeSize(type))) {
    error = what + ", " + std::to_string(count * dtypeSize(type)) +
            " bytes: more than the limit of " +
            std::to_string(limits.maxBytes) + " bytes per tensor";
    return false;
  }
  if (external) {
    const size_t expectedBytes = static_cast<size_t>(count) * dtypeSize(type);
    std::string bytes;
    if (!readExternalData(proto, limits.externalDataDir, expectedBytes, bytes,
                          error)) {
      error = label + ": " + error;
      return false;
    }
    out = Tensor(type, std::move(dims));
    if (expectedBytes != 0)
      std::memcpy(out.data(), bytes.data(), expectedBytes);
    return true;
  }
  if (proto.has_raw_data()) {
    const size_t expectedBytes = static_cast<size_t>(count) * dtypeSize(type);
    if (proto.raw_data().size() != expectedBytes) {
      error = what + " (" + std::to_string(expectedBytes) +
              " bytes) but raw_data holds " +
              std::to_string(proto.raw_data().size()) + " bytes";
      return false;
    }
    out = Tensor(type, std::move(dims));
    if (expectedBytes != 0)
      std::memcpy(out.data(), proto.raw_data().data(), expectedBytes);
    return true;
  }
  const int64_t held = typedFieldSize(proto, type);
  if (held != count) {
    error = what + " but " + typedFieldName(type) + " holds " +
            std::to_string(held);
    return false;
  }
  out = Tensor(type, std::move(dims));
  copyTypedField(proto, out);
  return true;
}

bool tensorToProto(const Tensor &tensor, const std::string &name,
                   onnx::TensorProto &proto, std::string &error) {
  if (tensor.dtype() == DType::Undefined) {
    error = "cannot serialize tensor '" + name + "' of undefined type";
    return false;
  }
  const size_t expectedBytes =
      static_cast<size_t>(tensor.numElements()) * dtypeSize(tensor.dtype());
  if (tensor.numBytes() != expectedBytes) {
    error = "tensor '" + name + "' " + tensor.describe() + " holds " +
            std::to_string(tensor.numBytes()) + " bytes, expected " +
            std::to_string(expectedBytes);
    return false;
  }
  proto.Clear();
  for (int64_t extent : tensor.shape())
    proto.add_dims(extent);
  proto.set_data_type(static_cast<int32_t>(tensor.dtype()));
  proto.set_name(name);
  proto.set_raw_data(tensor.data(), tensor.numBytes());
  return true;
}

bool readTensorProtoFile(const std::string &path, Tensor &out,
                         std::string *name, std::string &error) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    error = "cannot open '" + path + "'";
    return false;
  }
  std::ostringstream contents;
  contents << file.rdbuf();
  if (file.bad()) {
    error = "cannot read '" + path + "'";
    return false;
  }
  const std::string bytes = contents.str();
  if (bytes.empty()) {
    // An empty message would parse as a tensor of undefined type.
    error = "'" + path + "' is empty or not a regular file";
    return false;
  }
  onnx::TensorProto proto;
  if (!proto.ParseFromString(bytes)) {
    error = "'" + path + "' is not a valid ONNX TensorProto (truncated or "
            "corrupt file)";
    return false;
  }
  std::string message;
  if (!tensorFromProto(proto, out, message)) {
    error = "'" + path + "': " + message;
    return false;
  }
  if (name)
    *name = proto.name();
  return true;
}

bool writeTensorProtoFile(const std::string &path, const Tensor &tensor,
                          const std::string &name, std::string &error) {
  onnx::TensorProto proto;
  if (!tensorToProto(tensor, name, proto, error))
    return false;
  std::string bytes;
  if (!proto.SerializeToString(&bytes)) {
    error = "cannot serialize tensor '" + name + "'";
    return false;
  }
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file) {
    error = "cannot open '" + path + "' for writing";
    return false;
  }
  file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  file.close();
  if (!file) {
    error = "cannot write '" + path + "'";
    return false;
  }
  return true;
}

} // namespace rt
} // namespace kiln
