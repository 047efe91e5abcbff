//===- KilnGradientOps.cpp - Verifiers and costs of backward primitives ---===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The backward primitives of KilnGradientOps.td (slice_backward, scatter_add,
// conv2d_backward_input/filter, max/avg_pool2d_backward). Most carry an
// explicit result type because a strided window forgets the remainder of a
// division; their verifiers check that type against the forward shape rule,
// so a hand-written backward op with inconsistent shapes is a diagnostic.
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/Kiln/KilnOps.h"

#include "mlir/IR/Diagnostics.h"

using namespace mlir;
using namespace kiln;

namespace {

bool isDyn(int64_t d) { return ShapedType::isDynamic(d); }

bool dimsCompatible(int64_t a, int64_t b) {
  return isDyn(a) || isDyn(b) || a == b;
}

std::optional<int64_t> numElements(Type type) {
  auto shaped = dyn_cast<RankedTensorType>(type);
  if (!shaped || !shaped.hasStaticShape())
    return std::nullopt;
  return shaped.getNumElements();
}

/// The forward window rule (conv2d and pooling): output extent of a window
/// of `kernel` taps over `in`; dynamic if unknown, -1 if the window does not
/// fit.
int64_t windowOutputDim(int64_t in, int64_t padBefore, int64_t padAfter,
                        int64_t kernel, int64_t stride, int64_t dilation) {
  if (isDyn(in) || isDyn(kernel))
    return ShapedType::kDynamic;
  int64_t span = in + padBefore + padAfter - (dilation * (kernel - 1) + 1);
  if (span < 0)
    return -1;
  return span / stride + 1;
}

LogicalResult verifyWindowAttrs(Operation *op, ArrayRef<int64_t> strides,
                                ArrayRef<int64_t> padding,
                                ArrayRef<int64_t> dilations) {
  if (strides.size() != 2 || dilations.size() != 2 || padding.size() != 4)
    return op->emitOpError("expects 2 strides, 2 dilations and 4 paddings "
                           "[top, left, bottom, right]");
  if (llvm::any_of(strides, [](int64_t s) { return s < 1; }) ||
      llvm::any_of(dilations, [](int64_t d) { return d < 1; }))
    return op->emitOpError("strides and dilations must be >= 1");
  if (llvm::any_of(padding, [](int64_t p) { return p < 0; }))
    return op->emitOpError("padding must be non-negative");
  return success();
}

/// Checks that a forward window over NCHW `input` with kernel `kernelHW`
/// yields `output`'s H and W.
LogicalResult verifyWindowShape(Operation *op, RankedTensorType input,
                                ArrayRef<int64_t> kernelHW,
                                RankedTensorType output,
                                ArrayRef<int64_t> strides,
                                ArrayRef<int64_t> padding,
                                ArrayRef<int64_t> dilations) {
  for (int i = 0; i < 2; ++i) {
    int64_t expected =
        windowOutputDim(input.getDimSize(2 + i), padding[i], padding[2 + i],
                        kernelHW[i], strides[i], dilations[i]);
    if (expected == -1)
      return op->emitOpError("window larger than the padded input ") << input;
    if (!dimsCompatible(expected, output.getDimSize(2 + i)))
      return op->emitOpError("the forward window maps ")
             << input << " to spatial size " << expected << " along "
             << (i == 0 ? "H" : "W") << ", but the gradient has "
             << output.getDimSize(2 + i);
  }
  return success();
}

LogicalResult verifyRank4(Operation *op, ArrayRef<Type> types) {
  for (Type t : types)
    if (cast<RankedTensorType>(t).getRank() != 4)
      return op->emitOpError("expects rank-4 NCHW/FCHW tensors, got ") << t;
  Type elt = cast<RankedTensorType>(types[0]).getElementType();
  for (Type t : types)
    if (cast<RankedTensorType>(t).getElementType() != elt)
      return op->emitOpError("element types differ");
  return success();
}

/// The channel and group checks shared by both convolution gradients:
/// input [N, C, ...], filter [F, C/groups, ...], output [N, F, ...].
LogicalResult verifyConvChannels(Operation *op, RankedTensorType input,
                                 RankedTensorType filter,
                                 RankedTensorType output, int64_t groups) {
  if (groups < 1)
    return op->emitOpError("groups must be >= 1");
  int64_t c = input.getDimSize(1), f = filter.getDimSize(0);
  if (!isDyn(c) && c % groups != 0)
    return op->emitOpError("input channels ")
           << c << " not divisible by groups " << groups;
  if (!isDyn(f) && f % groups != 0)
    return op->emitOpError("filter count ")
           << f << " not divisible by groups " << groups;
  if (!isDyn(c) && !dimsCompatible(filter.getDimSize(1), c / groups))
    return op->emitOpError("filter has ")
           << filter.getDimSize(1) << " input channels, expected "
           << c / groups;
  if (!dimsCompatible(output.getDimSize(0), input.getDimSize(0)))
    return op->emitOpError("batch sizes differ: ") << output << " vs " << input;
  if (!dimsCompatible(output.getDimSize(1), f))
    return op->emitOpError("gradient has ")
           << output.getDimSize(1) << " channels, expected " << f
           << " (the filter count)";
  return success();
}

/// The verifier of both convolution gradients. `input` and `filter` are the
/// forward's (one of them is the op's result); the rank checks take the
/// tensors in operand order, then the result, so a diagnostic names the
/// first bad one as the op lists them.
template <typename OpT>
LogicalResult verifyConvGradient(OpT op, RankedTensorType input,
                                 RankedTensorType filter) {
  RankedTensorType gradOut = op.getGradOutput().getType();
  SmallVector<Type> tensors(op->getOperandTypes());
  tensors.push_back(op.getResult().getType());
  if (failed(verifyRank4(op, tensors)) ||
      failed(verifyWindowAttrs(op, op.getStrides(), op.getPadding(),
                               op.getDilations())) ||
      failed(verifyConvChannels(op, input, filter, gradOut, op.getGroups())))
    return failure();
  return verifyWindowShape(op, input, filter.getShape().drop_front(2), gradOut,
                           op.getStrides(), op.getPadding(), op.getDilations());
}

/// Both convolution gradients: the forward's multiply-adds, transposed.
std::optional<int64_t> convGradientFlops(Value gradOutput,
                                         RankedTensorType filter) {
  std::optional<int64_t> out = numElements(gradOutput.getType());
  if (!out || !filter.hasStaticShape())
    return std::nullopt;
  return 2 * *out * filter.getDimSize(1) * filter.getDimSize(2) *
         filter.getDimSize(3);
}

/// The pooling checks shared by both pooling gradients.
LogicalResult verifyPoolGradient(Operation *op, RankedTensorType input,
                                 RankedTensorType gradOutput,
                                 ArrayRef<int64_t> kernel,
                                 ArrayRef<int64_t> strides,
                                 ArrayRef<int64_t> padding,
                                 ArrayRef<int64_t> dilations) {
  if (failed(verifyRank4(op, {input, gradOutput})))
    return failure();
  if (kernel.size() != 2 || kernel[0] < 1 || kernel[1] < 1)
    return op->emitOpError("kernel must hold two sizes >= 1");
  if (failed(verifyWindowAttrs(op, strides, padding, dilations)))
    return failure();
  if (padding[0] >= kernel[0] || padding[2] >= kernel[0] ||
      padding[1] >= kernel[1] || padding[3] >= kernel[1])
    return op->emitOpError("padding must be smaller than the kernel");
  for (int i = 0; i < 2; ++i)
    if (!dimsCompatible(input.getDimSize(i), gradOutput.getDimSize(i)))
      return op->emitOpError("batch and channel sizes differ: ")
             << input << " vs " << gradOutput;
  return verifyWindowShape(op, input, kernel, gradOutput, strides, padding,
                           dilations);
}

} // namespace

//===----------------------------------------------------------------------===//
// SliceBackwardOp
//===----------------------------------------------------------------------===//

LogicalResult SliceBackwardOp::verify() {
  RankedTensorType in = getInput().getType(), out = getResult().getType();
  if (in.getElementType() != out.getElementType())
    return emitOpError("element types differ: ") << in << " vs " << out;
  int64_t rank = out.getRank();
  if (in.getRank() != rank)
    return emitOpError("input rank ")
           << in.getRank() << " differs from result rank " << rank;
  ArrayRef<int64_t> offsets = getOffsets(), strides = getStrides();
  if ((int64_t)offsets.size() != rank || (int64_t)strides.size() != rank)
    return emitOpError("offsets and strides need ") << rank << " entries each";
  for (int64_t i = 0; i < rank; ++i) {
    if (offsets[i] < 0 || strides[i] < 1)
      return emitOpError("dimension ")
             << i << ": offsets must be >= 0 and strides >= 1";
    int64_t size = in.getDimSize(i), dim = out.getDimSize(i);
    if (isDyn(size) || isDyn(dim) || size == 0)
      continue;
    // offset + (size - 1) * stride < dim, without overflowing int64.
    if (offsets[i] >= dim || size - 1 > (dim - 1 - offsets[i]) / strides[i])
      return emitOpError("dimension ")
             << i << ": " << size << " elements at offset " << offsets[i]
             << " with stride " << strides[i] << " do not fit in extent "
             << dim;
  }
  return success();
}

//===----------------------------------------------------------------------===//
// ScatterAddOp
//===----------------------------------------------------------------------===//

LogicalResult ScatterAddOp::inferReturnTypes(MLIRContext *,
                                             std::optional<Location> loc,
                                             Adaptor adaptor,
                                             SmallVectorImpl<Type> &types) {
  auto dest = cast<RankedTensorType>(adaptor.getDest().getType());
  auto indices = cast<RankedTensorType>(adaptor.getIndices().getType());
  auto updates = cast<RankedTensorType>(adaptor.getUpdates().getType());
  int64_t axis = adaptor.getAxis();
  if (axis < 0 || axis >= dest.getRank())
    return emitOptionalError(loc, "axis ", axis, " out of range for rank ",
                             dest.getRank());
  if (updates.getElementType() != dest.getElementType())
    return emitOptionalError(loc, "updates element type ",
                             updates.getElementType(), " differs from ",
                             dest.getElementType());
  SmallVector<int64_t> expected(dest.getShape().take_front(axis));
  llvm::append_range(expected, indices.getShape());
  llvm::append_range(expected, dest.getShape().drop_front(axis + 1));
  bool ok = (int64_t)expected.size() == updates.getRank() &&
            llvm::all_of(llvm::zip(expected, updates.getShape()), [](auto p) {
              return dimsCompatible(std::get<0>(p), std::get<1>(p));
            });
  if (!ok)
    return emitOptionalError(loc, "updates have type ", updates,
                             ", expected the shape of a gather of ", dest,
                             " by ", indices, " along axis ", axis);
  types.push_back(dest);
  return success();
}

std::optional<int64_t> ScatterAddOp::getFlops() {
  return numElements(getUpdates().getType());
}

//===----------------------------------------------------------------------===//
// Convolution gradients
//===----------------------------------------------------------------------===//

LogicalResult Conv2dBackwardInputOp::verify() {
  return verifyConvGradient(*this, /*input=*/getResult().getType(),
                            getFilter().getType());
}

std::optional<int64_t> Conv2dBackwardInputOp::getFlops() {
  return convGradientFlops(getGradOutput(), getFilter().getType());
}

LogicalResult Conv2dBackwardFilterOp::verify() {
  return verifyConvGradient(*this, getInput().getType(),
                            /*filter=*/getResult().getType());
}

std::optional<int64_t> Conv2dBackwardFilterOp::getFlops() {
  return convGradientFlops(getGradOutput(), /*filter=*/getResult().getType());
}

//===----------------------------------------------------------------------===//
// Pooling gradients
//===----------------------------------------------------------------------===//

LogicalResult MaxPool2dBackwardOp::verify() {
  return verifyPoolGradient(*this, getInput().getType(),
                            getGradOutput().getType(), getKernel(),
                            getStrides(), getPadding(), getDilations());
}

/// One comparison (max) or one add (average) per window tap.
static std::optional<int64_t> poolGradientFlops(Value gradOutput,
                                                ArrayRef<int64_t> kernel) {
  std::optional<int64_t> out = numElements(gradOutput.getType());
  if (!out)
    return std::nullopt;
  return *out * kernel[0] * kernel[1];
}

std::optional<int64_t> MaxPool2dBackwardOp::getFlops() {
  return poolGradientFlops(getGradOutput(), getKernel());
}

LogicalResult AvgPool2dBackwardOp::verify() {
  return verifyPoolGradient(*this, getResult().getType(),
                            getGradOutput().getType(), getKernel(),
                            getStrides(), getPadding(), getDilations());
}

std::optional<int64_t> AvgPool2dBackwardOp::getFlops() {
  return poolGradientFlops(getGradOutput(), getKernel());
}
