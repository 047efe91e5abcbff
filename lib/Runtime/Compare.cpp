//===- Compare.cpp - Compare a computed tensor with a reference -----------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Element-wise comparison of two Tensors with tolerances for floating types
// and exact equality for integers and bools, plus the one-line report that
// kiln-run prints per output. See Compare.h for the rules.
//
//===----------------------------------------------------------------------===//

#include "kiln/Runtime/Compare.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

namespace kiln {
namespace rt {

CompareOptions defaultCompareOptions(DType type) {
  switch (type) {
  case DType::F16:
    return {1e-3, 1e-3};
  case DType::BF16:
    return {1e-2, 1e-2};
  case DType::F32:
  case DType::F64:
    return {1e-4, 1e-5};
  default:
    return {0.0, 0.0};
  }
}

bool isFloatingPoint(DType type) {
  return type == DType::F16 || type == DType::BF16 || type == DType::F32 ||
         type == DType::F64;
}

namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

/// Per-element verdict: whether it matches, its absolute error and its
/// relative error (negative when the relative error is undefined, e == 0).
struct ElementError {
  bool match;
  double absError;
  double relError;
};

ElementError compareFloats(double actual, double expected,
                           const CompareOptions &options) {
  if (std::isnan(actual) || std::isnan(expected)) {
    bool match = std::isnan(actual) && std::isnan(expected);
    return {match, match ? 0.0 : kInfinity, match ? 0.0 : kInfinity};
  }
  if (std::isinf(actual) || std::isinf(expected)) {
    bool match = actual == expected;
    return {match, match ? 0.0 : kInfinity, match ? 0.0 : kInfinity};
  }
  double absError = std::fabs(actual - expected);
  double magnitude = std::fabs(expected);
  bool match = absError <= options.atol + options.rtol * magnitude;
  return {match, absError, magnitude != 0.0 ? absError / magnitude : -1.0};
}

bool isSignedInteger(DType type) {
  return type == DType::I8 || type == DType::I16 || type == DType::I32 ||
         type == DType::I64;
}

/// Element `i` of an integer or bool tensor as the raw 64-bit value:
/// sign-extended for signed types, zero-extended otherwise; bools become 0/1.
uint64_t loadIntegerBits(const Tensor &t, int64_t i) {
  const uint8_t *base = static_cast<const uint8_t *>(t.data());
  const size_t size = dtypeSize(t.dtype());
  const uint8_t *p = base + i * size;
  switch (t.dtype()) {
  case DType::Bool:
    return *p != 0 ? 1 : 0;
  case DType::I8: {
    int8_t v;
    std::memcpy(&v, p, 1);
    return static_cast<uint64_t>(static_cast<int64_t>(v));
  }
  case DType::I16: {
    int16_t v;
    std::memcpy(&v, p, 2);
    return static_cast<uint64_t>(static_cast<int64_t>(v));
  }
  case DType::I32: {
    int32_t v;
    std::memcpy(&v, p, 4);
    return static_cast<uint64_t>(static_cast<int64_t>(v));
  }
  default: {
    uint64_t v = 0;
    std::memcpy(&v, p, size); // Little-endian zero extension.
    return v;
  }
  }
}

ElementError compareIntegers(const Tensor &actual, const Tensor &expected,
                             int64_t i) {
  uint64_t a = loadIntegerBits(actual, i);
  uint64_t e = loadIntegerBits(expected, i);
  if (a == e)
    return {true, 0.0, 0.0};
  // |a - e| without overflow, in the signed or unsigned order of the type.
  bool aGreater = isSignedInteger(actual.dtype())
                      ? static_cast<int64_t>(a) > static_cast<int64_t>(e)
                      : a > e;
  double absError = static_cast<double>(aGreater ? a - e : e - a);
  double magnitude = std::fabs(expected.elementAsDouble(i));
  return {false, absError, magnitude != 0.0 ? absError / magnitude : -1.0};
}

/// Row-major coordinates of flat index `flat` in `shape`.
std::vector<int64_t> unflatten(int64_t flat, const std::vector<int64_t> &shape) {
  std::vector<int64_t> coords(shape.size(), 0);
  for (size_t d = shape.size(); d-- > 0;) {
    if (shape[d] > 0) {
      coords[d] = flat % shape[d];
      flat /= shape[d];
    }
  }
  return coords;
}

/// Short number format for reports: 3 significant digits, "inf", "nan".
std::string formatNumber(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.3g", value);
  return buffer;
}

std::string formatCoords(const std::vector<int64_t> &coords) {
  std::string text = "[";
  for (size_t d = 0; d < coords.size(); ++d) {
    if (d != 0)
      text += ',';
    text += std::to_string(coords[d]);
  }
  return text + "]";
}

} // namespace

CompareResult compareTensors(const Tensor &actual, const Tensor &expected,
                             const CompareOptions &options) {
  CompareResult result;
  if (actual.dtype() != expected.dtype() ||
      actual.shape() != expected.shape()) {
    result.structuralError =
        "expected " + expected.describe() + ", got " + actual.describe();
    return result;
  }
  const bool floating = isFloatingPoint(expected.dtype());
  result.numElements = expected.numElements();
  for (int64_t i = 0; i < result.numElements; ++i) {
    ElementError err =
        floating ? compareFloats(actual.elementAsDouble(i),
                                 expected.elementAsDouble(i), options)
                 : compareIntegers(actual, expected, i);
    if (err.absError > result.maxAbsError)
      result.maxAbsError = err.absError;
    if (err.relError > result.maxRelError)
      result.maxRelError = err.relError;
    if (err.match)
      continue;
    if (result.numMismatches++ == 0) {
      result.firstMismatch = i;
      result.firstActual = actual.elementAsDouble(i);
      result.firstExpected = expected.elementAsDouble(i);
    }
  }
  if (result.firstMismatch >= 0)
    result.firstMismatchCoords =
        unflatten(result.firstMismatch, expected.shape());
  result.ok = result.numMismatches == 0;
  return result;
}

std::string formatCompareLine(const std::string &name,
                              const CompareResult &result) {
  std::string line = "output '" + name + "': ";
  if (!result.structuralError.empty())
    return line + "MISMATCH " + result.structuralError;
  const std::string errors = "max_abs_err=" + formatNumber(result.maxAbsError) +
                             " max_rel_err=" + formatNumber(result.maxRelError);
  if (result.ok)
    return line + "ok " + errors;
  return line + "MISMATCH " + std::to_string(result.numMismatches) + " of " +
         std::to_string(result.numElements) + " elements " + errors +
         " first at " + formatCoords(result.firstMismatchCoords) +
         " (index " + std::to_string(result.firstMismatch) +
         "): got " + formatNumber(result.firstActual) + " expected " +
         formatNumber(result.firstExpected);
}

} // namespace rt
} // namespace kiln
