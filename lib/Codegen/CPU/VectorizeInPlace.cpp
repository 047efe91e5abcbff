//===- VectorizeInPlace.cpp - Vectorize a linalg op and replace it --------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/CPU/VectorizeInPlace.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"

using namespace mlir;

namespace kiln {
namespace cpu {

FailureOr<SmallVector<Value>> vectorizeInPlace(RewriterBase &rewriter,
                                               Operation *op,
                                               bool namedContraction) {
  rewriter.setInsertionPoint(op);
  FailureOr<linalg::VectorizationResult> vectorized = linalg::vectorize(
      rewriter, op, /*inputVectorSizes=*/{}, /*scalableDims=*/{},
      /*vectorizeNDExtract=*/false, /*flatten1DDepthwiseConv=*/false,
      /*assumeDynamicDimsMatchVecSizes=*/false, namedContraction);
  if (failed(vectorized))
    return failure();
  SmallVector<Value> results = vectorized->replacements;
  rewriter.replaceOp(op, results);
  return results;
}

} // namespace cpu
} // namespace kiln
