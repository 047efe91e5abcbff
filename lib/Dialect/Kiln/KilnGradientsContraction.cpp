//===- KilnGradientsContraction.cpp - Rules of contractions and windows ---===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// DifferentiableOpInterface of matmul, conv2d and the pooling ops:
//   matmul: dA = dC x B^T, dB = A^T x dC (batch dimensions stay batched);
//   conv2d: kiln.conv2d_backward_input and kiln.conv2d_backward_filter with
//     the forward attributes (strides, padding, dilations, groups);
//   conv2d_backward_input (also ONNX's ConvTranspose) and
//     conv2d_backward_filter: linear in both operands, so their adjoints are
//     the other two members of the family with the same attributes;
//   max_pool2d / avg_pool2d: kiln.max_pool2d_backward (ties go to the first
//     maximum of a window) and kiln.avg_pool2d_backward.
// The backward primitives are defined in KilnGradientOps.td; their verifiers
// live in KilnGradientOps.cpp.
//
//===----------------------------------------------------------------------===//

#include "KilnGradientUtils.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::grad;

/// `v` with its last two dimensions swapped.
static Value transposeLastTwo(OpBuilder &b, Location loc, Value v) {
  int64_t rank = cast<RankedTensorType>(v.getType()).getRank();
  auto perm = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  std::swap(perm[rank - 1], perm[rank - 2]);
  return TransposeOp::create(b, loc, v, perm);
}

LogicalResult MatmulOp::buildGradients(OpBuilder &b, ValueRange rg,
                                       SmallVectorImpl<Value> &grads) {
  Value g = startFloatRule(*this, rg, grads);
  if (!g)
    return success();
  Location loc = getLoc();
  grads[0] = MatmulOp::create(b, loc, g, transposeLastTwo(b, loc, getRhs()));
  grads[1] = MatmulOp::create(b, loc, transposeLastTwo(b, loc, getLhs()), g);
  return success();
}

LogicalResult Conv2dOp::buildGradients(OpBuilder &b, ValueRange rg,
                                       SmallVectorImpl<Value> &grads) {
  Value g = startRule(*this, rg, grads);
  if (!g)
    return success();
  Location loc = getLoc();
  grads[0] = Conv2dBackwardInputOp::create(
      b, loc, getInput().getType(), g, getFilter(), getStrides(), getPadding(),
      getDilations(), getGroups());
  grads[1] = Conv2dBackwardFilterOp::create(
      b, loc, getFilter().getType(), getInput(), g, getStrides(), getPadding(),
      getDilations(), getGroups());
  return success();
}

LogicalResult
Conv2dBackwardInputOp::buildGradients(OpBuilder &b, ValueRange rg,
                                      SmallVectorImpl<Value> &grads) {
  // result = sum grad_output * filter: d/d grad_output is the forward
  // convolution of the incoming gradient, d/d filter its filter gradient.
  Value g = startRule(*this, rg, grads);
  if (!g)
    return success();
  Location loc = getLoc();
  grads[0] = Conv2dOp::create(b, loc, getGradOutput().getType(), g,
                              getFilter(), getStrides(), getPadding(),
                              getDilations(), getGroups());
  grads[1] = Conv2dBackwardFilterOp::create(
      b, loc, getFilter().getType(), g, getGradOutput(), getStrides(),
      getPadding(), getDilations(), getGroups());
  return success();
}

LogicalResult
Conv2dBackwardFilterOp::buildGradients(OpBuilder &b, ValueRange rg,
                                       SmallVectorImpl<Value> &grads) {
  // result = sum input * grad_output: the incoming (filter-shaped) gradient
  // acts as a filter for both adjoints.
  Value g = startRule(*this, rg, grads);
  if (!g)
    return success();
  Location loc = getLoc();
  grads[0] = Conv2dBackwardInputOp::create(
      b, loc, getInput().getType(), getGradOutput(), g, getStrides(),
      getPadding(), getDilations(), getGroups());
  grads[1] = Conv2dOp::create(b, loc, getGradOutput().getType(), getInput(),
                              g, getStrides(), getPadding(), getDilations(),
                              getGroups());
  return success();
}

LogicalResult MaxPool2dOp::buildGradients(OpBuilder &b, ValueRange rg,
                                          SmallVectorImpl<Value> &grads) {
  if (Value g = startRule(*this, rg, grads))
    grads[0] = MaxPool2dBackwardOp::create(b, getLoc(), getInput(), g,
                                           getKernel(), getStrides(),
                                           getPadding(), getDilations());
  return success();
}

LogicalResult AvgPool2dOp::buildGradients(OpBuilder &b, ValueRange rg,
                                          SmallVectorImpl<Value> &grads) {
  if (Value g = startRule(*this, rg, grads))
    grads[0] = AvgPool2dBackwardOp::create(
        b, getLoc(), getInput().getType(), g, getKernel(), getStrides(),
        getPadding(), getDilations(), getCountIncludePad());
  return success();
}
