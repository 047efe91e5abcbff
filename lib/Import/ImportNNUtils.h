//===- ImportNNUtils.h - Helpers of the neural-network importers -*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Private to lib/Import: what the neural-network importers (ImportNeuralNet,
// ImportActivations, ImportNormalization, ImportRecurrent, ImportResize)
// share: the Composer (a kiln::Emitter for one node) and the activation
// functions of the activation and recurrent ops. The registration functions of the files beside ImportNeuralNet.cpp are
// called from registerNeuralNetImporters.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_LIB_IMPORT_IMPORTNNUTILS_H
#define KILN_LIB_IMPORT_IMPORTNNUTILS_H

#include "NodeImporter.h"

#include "kiln/Dialect/Kiln/KilnEmitter.h"

namespace kiln {
namespace onnx_import {

void registerActivationImporters(OpImporterRegistry &registry);
void registerNormalizationImporters(OpImporterRegistry &registry);
void registerResizeImporters(OpImporterRegistry &registry);
void registerRecurrentImporters(OpImporterRegistry &registry);

/// Builds a chain of kiln ops for one node (see kiln::Emitter): failures
/// are reported at the node, and each created op goes through the node
/// importer's literal folding. `finish`/`result` bind the node's outputs.
class Composer : public Emitter {
public:
  explicit Composer(NodeImporter &n)
      : Emitter(n.b(), n.location()), n(n) {}

  NodeImporter &node() { return n; }

  /// Binds output `i` to `v`; fails if anything failed.
  mlir::LogicalResult finish(int i, mlir::Value v);
  /// finish(0, v).
  mlir::LogicalResult result(mlir::Value v) { return finish(0, v); }

protected:
  void reportFailure(const llvm::Twine &message) override;
  mlir::Value finishOp(mlir::Operation *op) override;

private:
  NodeImporter &n;
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
