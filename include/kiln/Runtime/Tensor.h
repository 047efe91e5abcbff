//===- Tensor.h - Host tensors of the Kiln runtime ---------------*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// A Tensor is a dense, row-major block of host memory with an element type
// and a shape. It is what the runtime binds to a compiled step's inputs and
// what it returns as outputs. No LLVM or MLIR type appears here: the runtime
// must be usable without either.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_TENSOR_H
#define KILN_RUNTIME_TENSOR_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace kiln {
namespace rt {

/// Element types a Tensor can hold. The numbering follows ONNX's
/// TensorProto.DataType so that files convert without a table.
enum class DType : int32_t {
  Undefined = 0,
  F32 = 1,
  U8 = 2,
  I8 = 3,
  U16 = 4,
  I16 = 5,
  I32 = 6,
  I64 = 7,
  Bool = 9,
  F16 = 10,
  F64 = 11,
  U32 = 12,
  U64 = 13,
  BF16 = 16,
};

/// Bytes of one element of `type` (bool is one byte, as in ONNX); 0 for
/// Undefined.
size_t dtypeSize(DType type);
/// Short lower-case name: "f32", "i64", "bool", ...
const char *dtypeName(DType type);
/// The DType named `name` by dtypeName; false for other names.
bool dtypeFromName(const std::string &name, DType &out);
/// "f32[2x3]"-style description of a tensor type ("f32[]" for a scalar),
/// the one form every diagnostic about a tensor's type uses.
std::string describeTensorType(DType type, const std::vector<int64_t> &shape);

/// IEEE binary16 bit pattern to float (exact, subnormals, inf and NaN kept).
float f16BitsToFloat(uint16_t bits);
/// bfloat16 bit pattern (the upper half of an f32) to float (exact).
float bf16BitsToFloat(uint16_t bits);

/// A dense row-major host tensor that owns its bytes.
class Tensor {
public:
  Tensor() = default;
  Tensor(DType type, std::vector<int64_t> shape);

  DType dtype() const { return type; }
  const std::vector<int64_t> &shape() const { return dims; }
  int64_t rank() const { return static_cast<int64_t>(dims.size()); }
  int64_t numElements() const;
  size_t numBytes() const { return bytes.size(); }

  void *data() { return bytes.data(); }
  const void *data() const { return bytes.data(); }
  template <typename T> T *dataAs() { return reinterpret_cast<T *>(data()); }
  template <typename T> const T *dataAs() const {
    return reinterpret_cast<const T *>(data());
  }

  /// Element `i` (flat index) converted to double, for comparison and
  /// printing of any dtype.
  double elementAsDouble(int64_t i) const;

  /// "f32[2x3]"-style description.
  std::string describe() const;

private:
  DType type = DType::Undefined;
  std::vector<int64_t> dims;
  // 64-byte aligned storage would be nicer for vector loads; the compiled code
  // does not assume any alignment of inputs, so a plain vector is sound.
  std::vector<uint8_t> bytes;
};

} // namespace rt
} // namespace kiln

#endif // KILN_RUNTIME_TENSOR_H
