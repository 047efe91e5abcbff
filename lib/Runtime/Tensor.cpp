//===- Tensor.cpp - Host tensors of the Kiln runtime ----------------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Element-type helpers and the Tensor class: sizes, names, element access as
// double (f16 and bf16 decoded from their bit patterns) and descriptions.
// Links no LLVM or MLIR.
//
//===----------------------------------------------------------------------===//

#include "kiln/Runtime/Tensor.h"

#include <cmath>
#include <cstring>

namespace kiln {
namespace rt {

size_t dtypeSize(DType type) {
  switch (type) {
  case DType::Undefined:
    return 0;
  case DType::U8:
  case DType::I8:
  case DType::Bool:
    return 1;
  case DType::U16:
  case DType::I16:
  case DType::F16:
  case DType::BF16:
    return 2;
  case DType::F32:
  case DType::I32:
  case DType::U32:
    return 4;
  case DType::I64:
  case DType::U64:
  case DType::F64:
    return 8;
  }
  return 0;
}

const char *dtypeName(DType type) {
  switch (type) {
  case DType::Undefined:
    return "undefined";
  case DType::F32:
    return "f32";
  case DType::U8:
    return "u8";
  case DType::I8:
    return "i8";
  case DType::U16:
    return "u16";
  case DType::I16:
    return "i16";
  case DType::I32:
    return "i32";
  case DType::I64:
    return "i64";
  case DType::Bool:
    return "bool";
  case DType::F16:
    return "f16";
  case DType::F64:
    return "f64";
  case DType::U32:
    return "u32";
  case DType::U64:
    return "u64";
  case DType::BF16:
    return "bf16";
  }
  return "unknown";
}

bool dtypeFromName(const std::string &name, DType &out) {
  for (DType type : {DType::F32, DType::U8, DType::I8, DType::U16, DType::I16,
                     DType::I32, DType::I64, DType::Bool, DType::F16,
                     DType::F64, DType::U32, DType::U64, DType::BF16}) {
    if (name == dtypeName(type)) {
      out = type;
      return true;
    }
  }
  return false;
}

float f16BitsToFloat(uint16_t bits) {
  const bool negative = (bits & 0x8000u) != 0;
  const uint32_t exponent = (bits >> 10) & 0x1fu;
  const uint32_t mantissa = bits & 0x3ffu;
  float value;
  if (exponent == 0) {
    // Zero or subnormal: mantissa * 2^-24, exactly representable in f32.
    value = std::ldexp(static_cast<float>(mantissa), -24);
  } else if (exponent == 0x1f) {
    // Inf or NaN: widen the payload into the f32 pattern.
    uint32_t f32Bits = 0x7f800000u | (mantissa << 13);
    std::memcpy(&value, &f32Bits, sizeof(value));
  } else {
    uint32_t f32Bits = ((exponent - 15 + 127) << 23) | (mantissa << 13);
    std::memcpy(&value, &f32Bits, sizeof(value));
  }
  return negative ? -value : value;
}

float bf16BitsToFloat(uint16_t bits) {
  uint32_t f32Bits = static_cast<uint32_t>(bits) << 16;
  float value;
  std::memcpy(&value, &f32Bits, sizeof(value));
  return value;
}

/// Product of `shape`, with negative extents counted as zero.
static int64_t productOf(const std::vector<int64_t> &shape) {
  int64_t count = 1;
  for (int64_t extent : shape)
    count *= extent < 0 ? 0 : extent;
  return count;
}

Tensor::Tensor(DType type, std::vector<int64_t> shape)
    : type(type), dims(std::move(shape)) {
  bytes.assign(static_cast<size_t>(productOf(dims)) * dtypeSize(type), 0);
}

int64_t Tensor::numElements() const { return productOf(dims); }

/// Loads element `i` of type T from `base` (no alignment assumed).
template <typename T> static T loadElement(const void *base, int64_t i) {
  T value;
  std::memcpy(&value, static_cast<const uint8_t *>(base) + i * sizeof(T),
              sizeof(T));
  return value;
}

double Tensor::elementAsDouble(int64_t i) const {
  const void *base = data();
  switch (type) {
  case DType::Undefined:
    return 0.0;
  case DType::F32:
    return loadElement<float>(base, i);
  case DType::U8:
    return loadElement<uint8_t>(base, i);
  case DType::I8:
    return loadElement<int8_t>(base, i);
  case DType::U16:
    return loadElement<uint16_t>(base, i);
  case DType::I16:
    return loadElement<int16_t>(base, i);
  case DType::I32:
    return loadElement<int32_t>(base, i);
  case DType::I64:
    return static_cast<double>(loadElement<int64_t>(base, i));
  case DType::Bool:
    return loadElement<uint8_t>(base, i) != 0 ? 1.0 : 0.0;
  case DType::F16:
    return f16BitsToFloat(loadElement<uint16_t>(base, i));
  case DType::F64:
    return loadElement<double>(base, i);
  case DType::U32:
    return loadElement<uint32_t>(base, i);
  case DType::U64:
    return static_cast<double>(loadElement<uint64_t>(base, i));
  case DType::BF16:
    return bf16BitsToFloat(loadElement<uint16_t>(base, i));
  }
  return 0.0;
}

std::string describeTensorType(DType type, const std::vector<int64_t> &shape) {
  std::string text = dtypeName(type);
  text += '[';
  for (size_t d = 0; d < shape.size(); ++d) {
    if (d != 0)
      text += 'x';
    text += std::to_string(shape[d]);
  }
  text += ']';
  return text;
}

std::string Tensor::describe() const { return describeTensorType(type, dims); }

} // namespace rt
} // namespace kiln
