//===- ImportNNUtils.h - Helpers of the neural-network importers -*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Private to lib/Import: what the neural-network importers (ImportNeuralNet,
// ImportActivations, ImportNormalization, ImportRecurrent, ImportResize)
// share. A Composer creates long chains of kiln ops through a NodeImporter
// and remembers the first failure: after it every call returns a null
// Value, so a decomposition checks once, at the end, instead of after every
// op. The registration functions of the files beside ImportNeuralNet.cpp are
// called from registerNeuralNetImporters.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_LIB_IMPORT_IMPORTNNUTILS_H
#define KILN_LIB_IMPORT_IMPORTNNUTILS_H

#include "NodeImporter.h"

namespace kiln {
namespace onnx_import {

void registerActivationImporters(OpImporterRegistry &registry);
void registerNormalizationImporters(OpImporterRegistry &registry);
void registerResizeImporters(OpImporterRegistry &registry);
void registerRecurrentImporters(OpImporterRegistry &registry);

/// The static or dynamic shape of a ranked tensor value.
inline llvm::ArrayRef<int64_t> shapeOf(mlir::Value v) {
  return mlir::cast<mlir::RankedTensorType>(v.getType()).getShape();
}
inline mlir::Type elementTypeOf(mlir::Value v) {
  return mlir::cast<mlir::RankedTensorType>(v.getType()).getElementType();
}

/// Builds a chain of kiln ops for one node. Every method returns a null
/// Value once anything failed (the first failure has emitted a diagnostic
/// at the node); `finish`/`result` turn that into a LogicalResult.
class Composer {
public:
  explicit Composer(NodeImporter &n) : n(n) {}

  NodeImporter &node() { return n; }
  bool failed() const { return hasFailed; }
  /// Emits `message` at the node (first failure only); returns null.
  mlir::Value fail(const llvm::Twine &message);
  /// Enters the failed state if `r` failed (its callee emitted the
  /// diagnostic); returns whether all is still well.
  bool check(mlir::LogicalResult r) {
    if (mlir::failed(r))
      hasFailed = true;
    return !hasFailed;
  }

  /// Creates OpT through NodeImporter::create (type inferred and verified);
  /// null, creating nothing, once failed.
  template <typename OpT, typename... Args> mlir::Value op(Args &&...args) {
    if (hasFailed || (isNull(args) || ...))
      return {};
    mlir::FailureOr<mlir::Value> r = n.create<OpT>(std::forward<Args>(args)...);
    if (mlir::failed(r)) {
      hasFailed = true;
      return {};
    }
    return *r;
  }

  /// A literal of `type` with every element `value`; a broadcast rank-0
  /// literal where the shape is dynamic.
  mlir::Value splat(mlir::RankedTensorType type, double value);
  mlir::Value splatLike(mlir::Value like, double value);
  /// A literal of `type` holding `values` (converted to the element type).
  mlir::Value literal(mlir::RankedTensorType type,
                      llvm::ArrayRef<double> values);
  /// An i64 literal of `shape`.
  mlir::Value indices(llvm::ArrayRef<int64_t> shape,
                      llvm::ArrayRef<int64_t> values);

  mlir::Value broadcastTo(mlir::Value v, llvm::ArrayRef<int64_t> shape);
  mlir::Value broadcastLike(mlir::Value v, mlir::Value like) {
    return like ? broadcastTo(v, shapeOf(like)) : mlir::Value();
  }
  mlir::Value reshape(mlir::Value v, llvm::ArrayRef<int64_t> shape);
  mlir::Value castTo(mlir::Value v, mlir::Type elementType);
  mlir::Value transpose(mlir::Value v, llvm::ArrayRef<int64_t> permutation);
  /// `v[..., offset : offset + size : stride, ...]` along `axis`.
  mlir::Value sliceAxis(mlir::Value v, int64_t axis, int64_t offset,
                        int64_t size, int64_t stride = 1);
  mlir::Value concat(mlir::ValueRange values, int64_t axis);

  // Elementwise arithmetic on equal types.
  mlir::Value add(mlir::Value a, mlir::Value b) { return op<AddOp>(a, b); }
  mlir::Value sub(mlir::Value a, mlir::Value b) { return op<SubOp>(a, b); }
  mlir::Value mul(mlir::Value a, mlir::Value b) { return op<MulOp>(a, b); }
  mlir::Value div(mlir::Value a, mlir::Value b) { return op<DivOp>(a, b); }
  mlir::Value max(mlir::Value a, mlir::Value b) { return op<MaxOp>(a, b); }
  mlir::Value min(mlir::Value a, mlir::Value b) { return op<MinOp>(a, b); }
  /// `a + c`, `a * c`, ... with a literal `c` splat like `a`.
  mlir::Value addC(mlir::Value a, double c) { return add(a, splatLike(a, c)); }
  mlir::Value subC(mlir::Value a, double c) { return sub(a, splatLike(a, c)); }
  mlir::Value mulC(mlir::Value a, double c) { return mul(a, splatLike(a, c)); }
  mlir::Value maxC(mlir::Value a, double c) { return max(a, splatLike(a, c)); }
  mlir::Value minC(mlir::Value a, double c) { return min(a, splatLike(a, c)); }
  mlir::Value cmp(ComparePredicate p, mlir::Value a, mlir::Value b) {
    return op<CompareOp>(p, a, b);
  }
  mlir::Value cmpC(ComparePredicate p, mlir::Value a, double c) {
    return cmp(p, a, splatLike(a, c));
  }
  mlir::Value select(mlir::Value c, mlir::Value a, mlir::Value b) {
    return op<SelectOp>(c, a, b);
  }
  /// Reductions over `axes` (sorted, non-negative).
  mlir::Value sumOver(mlir::Value v, llvm::ArrayRef<int64_t> axes,
                      bool keepDims) {
    return op<ReduceSumOp>(v, axes, keepDims);
  }
  mlir::Value meanOver(mlir::Value v, llvm::ArrayRef<int64_t> axes,
                       bool keepDims) {
    return op<ReduceMeanOp>(v, axes, keepDims);
  }

  /// Binds output `i` to `v`; fails if anything failed.
  mlir::LogicalResult finish(int i, mlir::Value v);
  /// finish(0, v).
  mlir::LogicalResult result(mlir::Value v) { return finish(0, v); }

private:
  static bool isNull(mlir::Value v) { return !v; }
  template <typename T> static bool isNull(const T &) { return false; }

  NodeImporter &n;
  bool hasFailed = false;
};

/// numpy.matmul: 1-D operands gain a unit dimension that is dropped again,
/// batch dimensions broadcast (ImportNeuralNet.cpp).
mlir::FailureOr<mlir::Value> buildNumpyMatmul(NodeImporter &n, mlir::Value a,
                                              mlir::Value b);

/// ONNX Conv of float `x` [N, C, spatial...] and `filter` with the window
/// attributes of the node being imported (auto_pad, pads, strides,
/// dilations, group): 1-D, 2-D or 3-D (ImportNeuralNet.cpp).
mlir::Value buildConvFromNode(Composer &c, mlir::Value x, mlir::Value filter);

/// An activation function of the recurrent ops (and of the ONNX activation
/// ops of the same name) applied to `x`: Relu, Tanh, Sigmoid, Affine,
/// LeakyRelu, ThresholdedRelu, ScaledTanh, HardSigmoid, Elu, Softsign,
/// Softplus. `alpha`/`beta` are the optional activation_alpha/beta values.
mlir::Value buildActivation(Composer &c, llvm::StringRef name, mlir::Value x,
                            std::optional<float> alpha,
                            std::optional<float> beta);

} // namespace onnx_import
} // namespace kiln

#endif // KILN_LIB_IMPORT_IMPORTNNUTILS_H
