//===- Compare.h - Compare a computed tensor with a reference ---*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Checks an actual Tensor against an expected one, as `kiln-run --test-data`
// does for every output, and formats the one-line verdict it prints.
//
// Rules:
//  - dtype and shape must be equal, otherwise the result is a mismatch with a
//    message and no per-element statistics;
//  - floating types (f16, bf16, f32, f64) match element-wise when
//    |a - e| <= atol + rtol * |e|; NaN matches only NaN, and an infinity only
//    the same infinity;
//  - integer and bool types must be exactly equal (tolerances are ignored).
//
// Statistics: max_abs_err is the largest |a - e|; max_rel_err is the largest
// |a - e| / |e| over elements whose expected value is non-zero (elements with
// e == 0 are left out of the relative error, their absolute error still
// counts). Pairs of equal non-finite values contribute 0; a pair that differs
// in NaN/inf-ness counts as an infinite error in both statistics.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_COMPARE_H
#define KILN_RUNTIME_COMPARE_H

#include "kiln/Runtime/Tensor.h"

#include <cstdint>
#include <string>
#include <vector>

namespace kiln {
namespace rt {

/// Tolerances of a floating-point comparison.
struct CompareOptions {
  double rtol = 1e-4;
  double atol = 1e-5;
};

/// Default tolerances per element type: f32 and f64 1e-4/1e-5 (as kiln-run
/// documents), f16 1e-3/1e-3, bf16 1e-2/1e-2; integers compare exactly.
CompareOptions defaultCompareOptions(DType type);

/// Outcome of comparing one actual tensor with its expected value.
struct CompareResult {
  /// True when dtype and shape agree and no element mismatches.
  bool ok = false;
  /// Non-empty when dtype or shape differ; the statistics are then unset.
  std::string structuralError;
  int64_t numElements = 0;
  int64_t numMismatches = 0;
  double maxAbsError = 0.0;
  double maxRelError = 0.0;
  /// Flat row-major index of the first mismatching element, or -1.
  int64_t firstMismatch = -1;
  /// The same position as one coordinate per dimension.
  std::vector<int64_t> firstMismatchCoords;
  double firstActual = 0.0;
  double firstExpected = 0.0;
};

/// True for f16, bf16, f32 and f64.
bool isFloatingPoint(DType type);

/// Compares `actual` with `expected` under `options` (see the file comment).
CompareResult compareTensors(const Tensor &actual, const Tensor &expected,
                             const CompareOptions &options);

/// One line such as
///   output 'y': ok max_abs_err=1.2e-07 max_rel_err=3.4e-07
///   output 'y': MISMATCH 3 of 12 elements max_abs_err=0.5 max_rel_err=0.25
///     first at [1,0] (index 3): got 2.5 expected 2
///   output 'y': MISMATCH expected f32[2x3], got f32[3x2]
/// (the mismatch line is a single line; wrapped here for width).
std::string formatCompareLine(const std::string &name,
                              const CompareResult &result);

} // namespace rt
} // namespace kiln

#endif // KILN_RUNTIME_COMPARE_H
