//===- Common.h - Shared helpers of the kiln-to-linalg lowering -*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Private to lib/Conversion/KilnToLinalg: the pattern base class (static
// shapes only), tensor builders (empty, filled, reshapes) and the
// populate functions of each translation unit.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_LIB_CONVERSION_KILNTOLINALG_COMMON_H
#define KILN_LIB_CONVERSION_KILNTOLINALG_COMMON_H

#include "kiln/Dialect/Kiln/KilnOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

namespace kiln {
namespace lowering {

/// Whether every operand and result of `op` is a ranked tensor with a static
/// shape (or not a tensor at all).
bool hasStaticTensorTypes(mlir::Operation *op);

/// Base of every kiln lowering: rejects ops with a dynamic dimension, then
/// calls lower().
template <typename OpT>
struct KilnLowering : mlir::OpConversionPattern<OpT> {
  using Base = KilnLowering<OpT>;
  using OpAdaptor = typename OpT::Adaptor;
  using mlir::OpConversionPattern<OpT>::OpConversionPattern;

  mlir::LogicalResult
  matchAndRewrite(OpT op, OpAdaptor adaptor,
                  mlir::ConversionPatternRewriter &rewriter) const final {
    if (!hasStaticTensorTypes(op))
      return rewriter.notifyMatchFailure(
          op, "dynamic dimensions are not supported (static shapes only)");
    // A copy that kiln-remat inserted to recompute a value must survive
    // CSE, which would otherwise merge it with the original (same inputs)
    // and undo the recomputation. The lowering inserts its ops before `op`
    // (which stays until the conversion ends), so the ops between `op`'s
    // old predecessor and `op` get the mark too; its number keeps copies
    // apart from each other.
    mlir::Attribute recomputed = op->getDiscardableAttr("kiln.recomputed");
    mlir::Operation *before = recomputed ? op->getPrevNode() : nullptr;
    mlir::Block *block = op->getBlock();
    if (mlir::failed(lower(op, adaptor, rewriter)))
      return mlir::failure();
    if (recomputed && op->getBlock() == block)
      for (mlir::Operation *created =
               before ? before->getNextNode() : &block->front();
           created && created != op.getOperation();
           created = created->getNextNode())
        created->setDiscardableAttr("kiln.recomputed", recomputed);
    return mlir::success();
  }

  virtual mlir::LogicalResult
  lower(OpT op, OpAdaptor adaptor,
        mlir::ConversionPatternRewriter &rewriter) const = 0;
};

inline mlir::RankedTensorType tensorType(mlir::Value v) {
  return mlir::cast<mlir::RankedTensorType>(v.getType());
}

inline bool isFloat(mlir::Type t) { return mlir::isa<mlir::FloatType>(t); }

/// `tensor.empty` of a static type.
mlir::Value createEmpty(mlir::OpBuilder &b, mlir::Location loc,
                        mlir::RankedTensorType type);
/// `linalg.fill` of `tensor.empty` with the scalar `value`.
mlir::Value createFilled(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::RankedTensorType type, mlir::TypedAttr value);

/// Scalar attributes of an int or float element type.
mlir::TypedAttr zeroAttr(mlir::Type type);
mlir::TypedAttr oneAttr(mlir::Type type);
/// -inf for floats, the signed minimum for signless integers, 0 for
/// unsigned ones and false for i1.
mlir::TypedAttr lowestAttr(mlir::Type type);
/// +inf for floats, the signed maximum for signless integers, the unsigned
/// maximum for unsigned ones and true for i1.
mlir::TypedAttr highestAttr(mlir::Type type);
/// A float or integer attribute of `type` holding `value`.
mlir::TypedAttr scalarAttr(mlir::Type type, double value);

mlir::Value createScalar(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::TypedAttr value);

/// One linalg.generic, all loops parallel over `resultType`, output from
/// `tensor.empty` (the body never reads it). `inputMaps` index each input;
/// the body gets the input scalars (and the unused output scalar last) and
/// returns the result scalar.
mlir::Value createParallelGeneric(
    mlir::OpBuilder &b, mlir::Location loc, mlir::RankedTensorType resultType,
    mlir::ValueRange inputs, llvm::ArrayRef<mlir::AffineMap> inputMaps,
    llvm::function_ref<mlir::Value(mlir::OpBuilder &, mlir::Location,
                                   mlir::ValueRange)>
        body);

/// `index` (an integer scalar) as kiln.gather reads it along a dimension of
/// `extent` (an index value): negative values count from the end, then the
/// result is clamped into [0, extent), so no read is out of bounds.
/// kiln.scatter_add's lowering uses the same rule, to write where the
/// forward gather read.
mlir::Value gatherIndex(mlir::OpBuilder &b, mlir::Location loc,
                        mlir::Value index, mlir::Value extent);

/// The map of an operand of `srcShape` broadcast (numpy style, aligned to
/// the right) into loops of `dstShape`: size-1 dims that are not size 1 in
/// the destination read index 0.
mlir::AffineMap broadcastMap(mlir::MLIRContext *ctx,
                             llvm::ArrayRef<int64_t> srcShape,
                             llvm::ArrayRef<int64_t> dstShape);

/// Reshapes a static tensor to `dstType` (same element count) with
/// tensor.collapse_shape / tensor.expand_shape: one op where `dst` is a pure
/// collapse or expansion of `src`, else a collapse to 1-D and an expansion.
/// Tensors without elements become tensor.empty.
mlir::Value reshapeStatic(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Value src, mlir::RankedTensorType dstType);

/// tensor.pad of H and W of an NCHW tensor with the scalar `value`;
/// `padding` is [top, left, bottom, right]. Returns `input` if all are 0.
mlir::Value padNCHW(mlir::OpBuilder &b, mlir::Location loc, mlir::Value input,
                    llvm::ArrayRef<int64_t> padding, mlir::TypedAttr value);

/// `windows` [N, C, OH, OW] divided, window by window, by what avg_pool2d
/// divides a window's sum by: the kernel area with `countIncludePad`, else
/// the number of its taps inside the unpadded NCHW `inputType` (at least 1:
/// a window of padding only sums to 0). The divisors are an [OH, OW]
/// constant computed here, at compile time, so the forward lowering and the
/// gradient's use the very same numbers.
mlir::Value divideByPoolDivisors(mlir::OpBuilder &b, mlir::Location loc,
                                 mlir::Value windows,
                                 mlir::RankedTensorType inputType,
                                 llvm::ArrayRef<int64_t> kernel,
                                 llvm::ArrayRef<int64_t> strides,
                                 llvm::ArrayRef<int64_t> padding,
                                 llvm::ArrayRef<int64_t> dilations,
                                 bool countIncludePad);

/// Whether the lowering of kiln op `op` handles unsigned `ui<N>` element
/// types (Signedness.cpp); other ops with such types are rejected before
/// conversion.
bool kilnOpLowersUnsigned(mlir::Operation *op);
/// Whether an operand or result of `op` is a tensor of `ui<N>`.
bool hasUnsignedElements(mlir::Operation *op);

// Populate functions of the translation units.
void populateElementwisePatterns(mlir::RewritePatternSet &patterns);
void populateContractionPatterns(mlir::RewritePatternSet &patterns);
void populatePoolingPatterns(mlir::RewritePatternSet &patterns);
void populateReductionPatterns(mlir::RewritePatternSet &patterns);
void populateDataMovementPatterns(mlir::RewritePatternSet &patterns);
void populateGradientOpPatterns(mlir::RewritePatternSet &patterns);
void populateTrainingPatterns(mlir::RewritePatternSet &patterns);
void populateDataOpPatterns(mlir::RewritePatternSet &patterns);
void populateFusionGroupPatterns(mlir::RewritePatternSet &patterns);

} // namespace lowering
} // namespace kiln

#endif // KILN_LIB_CONVERSION_KILNTOLINALG_COMMON_H
