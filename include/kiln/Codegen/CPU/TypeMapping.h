//===- TypeMapping.h - Runtime dtypes <-> MLIR element types ----*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The one place that says which MLIR element type stands for which runtime
// (ONNX-numbered) dtype. Floats map to builtin float types, signed integers
// and ONNX bool to signless integers (bool is `i1`, stored one byte per
// element), unsigned integers to `ui<N>`.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_CODEGEN_CPU_TYPEMAPPING_H
#define KILN_CODEGEN_CPU_TYPEMAPPING_H

#include "kiln/Runtime/Tensor.h"

#include "mlir/IR/Types.h"

#include <optional>

namespace mlir {
class MLIRContext;
} // namespace mlir

namespace kiln {
namespace cpu {

/// The MLIR element type of `dtype`; a null Type for DType::Undefined.
mlir::Type toMLIRElementType(rt::DType dtype, mlir::MLIRContext *context);

/// The runtime dtype of an MLIR element type; std::nullopt for a type with
/// no runtime counterpart (index, f8 types, complex, i4, ...). Signed `si<N>`
/// maps like signless `i<N>`.
std::optional<rt::DType> fromMLIRElementType(mlir::Type type);

} // namespace cpu
} // namespace kiln

#endif // KILN_CODEGEN_CPU_TYPEMAPPING_H
