//===- ImportDataUtils.h - Literals for the indexing importers --*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Private to lib/Import: the literal builders that the data-movement,
// indexing and reduction importers (ImportShape.cpp, ImportIndexing.cpp,
// ImportEinsum.cpp, ImportReduction.cpp) share: integer and typed literals,
// position ramps ("iota") along one axis, and the literal value of a small
// constant input.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_LIB_IMPORT_IMPORTDATAUTILS_H
#define KILN_LIB_IMPORT_IMPORTDATAUTILS_H

#include "NodeImporter.h"

namespace kiln {
namespace onnx_import {

/// A kiln.constant of i64 `values` with `shape`.
mlir::Value i64Literal(NodeImporter &n, llvm::ArrayRef<int64_t> values,
                       llvm::ArrayRef<int64_t> shape);

/// A kiln.constant of `type` (float or integer elements) holding `values`
/// converted to the element type (integers: truncated toward zero).
mlir::Value typedLiteral(NodeImporter &n, mlir::RankedTensorType type,
                         llvm::ArrayRef<double> values);

/// The i64 positions 0..extent-1 along `axis` of a rank-`rank` tensor: a
/// literal of shape [1, ..., extent, ..., 1].
mlir::Value iotaAlong(NodeImporter &n, int64_t rank, int64_t axis,
                      int64_t extent);

/// The values of input `i` as doubles if it is a literal (any numeric
/// element type), else std::nullopt.
std::optional<llvm::SmallVector<double>> constantDoubles(NodeImporter &n,
                                                         int i);

/// `value` cast to `elementType` (no-op when it already has it).
mlir::FailureOr<mlir::Value> castTo(NodeImporter &n, mlir::Value value,
                                    mlir::Type elementType);

/// The single numeric value of a rank-0 or one-element value that is a
/// literal, or that a short chain of kiln casts and elementwise arithmetic
/// computes from literals (e.g. `Cast(size) - 1`, as in the ONNX function
/// bodies of the window ops); std::nullopt otherwise.
std::optional<double> scalarValue(mlir::Value value);

/// Builds kiln ops through a NodeImporter, remembering the first failure
/// (whose diagnostic has been emitted): after it every call returns null
/// without building anything, so a chain of calls needs one check (`bad`)
/// at its end.
struct Emitter {
  NodeImporter &n;
  bool bad = false;

  template <typename OpT, typename... Args> mlir::Value op(Args &&...args) {
    return check(bad ? mlir::FailureOr<mlir::Value>(mlir::failure())
                     : n.create<OpT>(std::forward<Args>(args)...));
  }
  mlir::Value check(mlir::FailureOr<mlir::Value> v) {
    if (bad || mlir::failed(v)) {
      bad = true;
      return {};
    }
    return *v;
  }
  mlir::Value c(mlir::Value like, double v) {
    return bad ? mlir::Value() : n.splatLike(like, v);
  }
  mlir::Value add(mlir::Value a, mlir::Value b) { return op<AddOp>(a, b); }
  mlir::Value sub(mlir::Value a, mlir::Value b) { return op<SubOp>(a, b); }
  mlir::Value mul(mlir::Value a, mlir::Value b) { return op<MulOp>(a, b); }
  mlir::Value addC(mlir::Value a, double v) { return add(a, c(a, v)); }
  mlir::Value mulC(mlir::Value a, double v) { return mul(a, c(a, v)); }
  mlir::Value floor(mlir::Value a) { return op<FloorOp>(a); }
  mlir::Value cmp(ComparePredicate p, mlir::Value a, mlir::Value b) {
    return op<CompareOp>(p, a, b);
  }
  mlir::Value select(mlir::Value m, mlir::Value a, mlir::Value b) {
    return op<SelectOp>(m, a, b);
  }
  mlir::Value clamp(mlir::Value a, double lo, double hi) {
    return op<MinOp>(op<MaxOp>(a, c(a, lo)), c(a, hi));
  }
  mlir::Value both(mlir::Value a, mlir::Value b) { return op<AndOp>(a, b); }
  mlir::Value reshape(mlir::Value v, llvm::ArrayRef<int64_t> shape) {
    return bad ? mlir::Value() : check(n.reshape(v, shape));
  }
  mlir::Value broadcast(mlir::Value v, llvm::ArrayRef<int64_t> shape) {
    return bad ? mlir::Value() : check(n.broadcastTo(v, shape));
  }
  mlir::Value cast(mlir::Value v, mlir::Type element) {
    return bad ? mlir::Value() : check(castTo(n, v, element));
  }
};

/// GridSample and MaxUnpool (ImportSampling.cpp); registered by
/// registerIndexingImporters.
void registerSamplingImporters(OpImporterRegistry &registry);
/// DFT, STFT and MelWeightMatrix (ImportSignal.cpp); likewise.
void registerSignalImporters(OpImporterRegistry &registry);

/// The row-major strides of a static shape.
llvm::SmallVector<int64_t> stridesOf(llvm::ArrayRef<int64_t> shape);

/// Product of the dims in [begin, end).
int64_t productOf(llvm::ArrayRef<int64_t> shape, size_t begin, size_t end);

} // namespace onnx_import
} // namespace kiln

#endif // KILN_LIB_IMPORT_IMPORTDATAUTILS_H
