//===- KilnOps.cpp - Verifiers and shape inference of kiln ops ------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Result-type inference (InferTypeOpInterface) and verifiers. Every shape
// rule of the dialect lives here; a bad graph becomes a diagnostic at the
// op's location, never an assert. Dynamic dimensions propagate as dynamic.
//
//===----------------------------------------------------------------------===//

#include "kiln/Dialect/Kiln/KilnOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallSet.h"

using namespace mlir;
using namespace kiln;

#include "kiln/Dialect/Kiln/KilnEnums.cpp.inc"

#define GET_OP_CLASSES
#include "kiln/Dialect/Kiln/KilnOps.cpp.inc"

namespace {
constexpr int64_t kDyn = ShapedType::kDynamic;

bool isDyn(int64_t d) { return ShapedType::isDynamic(d); }

/// Two dimensions agree if equal or if either is unknown.
bool dimsCompatible(int64_t a, int64_t b) {
  return isDyn(a) || isDyn(b) || a == b;
}

/// Prefers the static one of two compatible dimensions.
int64_t mergeDims(int64_t a, int64_t b) { return isDyn(a) ? b : a; }

RankedTensorType tensorOf(ArrayRef<int64_t> shape, Type elementType) {
  return RankedTensorType::get(shape, elementType);
}

std::string formatShape(ArrayRef<int64_t> shape) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << '[';
  llvm::interleave(
      shape, os, [&](int64_t d) { isDyn(d) ? os << '?' : os << d; }, ",");
  os << ']';
  return s;
}

/// The output extent of a window sliding over `in` (conv and pooling).
int64_t windowOutputDim(int64_t in, int64_t padBefore, int64_t padAfter,
                        int64_t kernel, int64_t stride, int64_t dilation) {
  if (isDyn(in) || isDyn(kernel))
    return kDyn;
  int64_t effective = dilation * (kernel - 1) + 1;
  int64_t span = in + padBefore + padAfter - effective;
  if (span < 0)
    return -1;
  return span / stride + 1;
}

/// Checks the window attributes shared by conv2d and the pooling ops.
LogicalResult verifyWindowAttrs(std::optional<Location> loc,
                                ArrayRef<int64_t> strides,
                                ArrayRef<int64_t> padding,
                                ArrayRef<int64_t> dilations) {
  if (strides.size() != 2 || dilations.size() != 2 || padding.size() != 4)
    return emitOptionalError(loc, "expects 2 strides, 2 dilations and 4 "
                                  "paddings [top, left, bottom, right]");
  if (llvm::any_of(strides, [](int64_t s) { return s < 1; }) ||
      llvm::any_of(dilations, [](int64_t d) { return d < 1; }))
    return emitOptionalError(loc, "strides and dilations must be >= 1");
  if (llvm::any_of(padding, [](int64_t p) { return p < 0; }))
    return emitOptionalError(loc, "padding must be non-negative");
  return success();
}

/// Output H and W of a 2-D window over NCHW `inShape`; fails on empty output.
LogicalResult inferWindowHW(std::optional<Location> loc,
                            ArrayRef<int64_t> inShape,
                            ArrayRef<int64_t> kernelHW,
                            ArrayRef<int64_t> strides,
                            ArrayRef<int64_t> padding,
                            ArrayRef<int64_t> dilations, int64_t &outH,
                            int64_t &outW) {
  outH = windowOutputDim(inShape[2], padding[0], padding[2], kernelHW[0],
                         strides[0], dilations[0]);
  outW = windowOutputDim(inShape[3], padding[1], padding[3], kernelHW[1],
                         strides[1], dilations[1]);
  if (outH == -1 || outW == -1)
    return emitOptionalError(loc, "window larger than the padded input ",
                             formatShape(inShape));
  return success();
}

/// Checks that `axes` are sorted, distinct and within [0, rank).
LogicalResult verifyAxes(std::optional<Location> loc, ArrayRef<int64_t> axes,
                         int64_t rank) {
  for (auto [i, axis] : llvm::enumerate(axes)) {
    if (axis < 0 || axis >= rank)
      return emitOptionalError(loc, "axis ", axis, " out of range for rank ",
                               rank);
    if (i > 0 && axes[i - 1] >= axis)
      return emitOptionalError(loc, "axes must be sorted and distinct");
  }
  return success();
}
} // namespace

//===----------------------------------------------------------------------===//
// ConstantOp
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &types) {
  auto type = dyn_cast<RankedTensorType>(adaptor.getValue().getType());
  if (!type)
    return emitOptionalError(loc, "value must be a ranked tensor literal");
  types.push_back(type);
  return success();
}

//===----------------------------------------------------------------------===//
// CompareOp
//===----------------------------------------------------------------------===//

LogicalResult CompareOp::inferReturnTypes(MLIRContext *ctx, std::optional<Location>,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  auto lhs = cast<RankedTensorType>(adaptor.getLhs().getType());
  types.push_back(tensorOf(lhs.getShape(), IntegerType::get(ctx, 1)));
  return success();
}

//===----------------------------------------------------------------------===//
// BroadcastOp
//===----------------------------------------------------------------------===//

LogicalResult BroadcastOp::verify() {
  auto in = getInput().getType();
  auto out = getResult().getType();
  if (in.getElementType() != out.getElementType())
    return emitOpError("element types differ: ") << in << " vs " << out;
  if (in.getRank() > out.getRank())
    return emitOpError("cannot broadcast rank ")
           << in.getRank() << " to lower rank " << out.getRank();
  int64_t lead = out.getRank() - in.getRank();
  for (int64_t i = 0; i < in.getRank(); ++i) {
    int64_t d = in.getDimSize(i), o = out.getDimSize(lead + i);
    if (d != 1 && !dimsCompatible(d, o))
      return emitOpError("input shape ")
             << formatShape(in.getShape()) << " does not broadcast to "
             << formatShape(out.getShape()) << " (dimension " << i << ")";
  }
  return success();
}

//===----------------------------------------------------------------------===//
// ReshapeOp
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::verify() {
  auto in = getInput().getType();
  auto out = getResult().getType();
  if (in.getElementType() != out.getElementType())
    return emitOpError("element types differ: ") << in << " vs " << out;
  if (in.hasStaticShape() && out.hasStaticShape() &&
      in.getNumElements() != out.getNumElements())
    return emitOpError("cannot reshape ")
           << formatShape(in.getShape()) << " (" << in.getNumElements()
           << " elements) to " << formatShape(out.getShape()) << " ("
           << out.getNumElements() << " elements)";
  return success();
}

//===----------------------------------------------------------------------===//
// TransposeOp
//===----------------------------------------------------------------------===//

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  ArrayRef<int64_t> perm = adaptor.getPermutation();
  if (static_cast<int64_t>(perm.size()) != in.getRank())
    return emitOptionalError(loc, "permutation has ", perm.size(),
                             " entries for rank ", in.getRank());
  SmallVector<bool> seen(perm.size(), false);
  SmallVector<int64_t> shape;
  for (int64_t p : perm) {
    if (p < 0 || p >= in.getRank() || seen[p])
      return emitOptionalError(loc, "permutation is not a permutation of [0, ",
                               in.getRank(), ")");
    seen[p] = true;
    shape.push_back(in.getDimSize(p));
  }
  types.push_back(tensorOf(shape, in.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// SliceOp
//===----------------------------------------------------------------------===//

LogicalResult SliceOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  ArrayRef<int64_t> offsets = adaptor.getOffsets(), sizes = adaptor.getSizes(),
                    strides = adaptor.getStrides();
  int64_t rank = in.getRank();
  if ((int64_t)offsets.size() != rank || (int64_t)sizes.size() != rank ||
      (int64_t)strides.size() != rank)
    return emitOptionalError(loc, "offsets, sizes and strides need ", rank,
                             " entries each");
  for (int64_t i = 0; i < rank; ++i) {
    if (offsets[i] < 0 || sizes[i] < 0 || strides[i] < 1)
      return emitOptionalError(loc, "dimension ", i,
                               ": offsets and sizes must be >= 0 and "
                               "strides >= 1");
    int64_t dim = in.getDimSize(i);
    // offsets + (sizes - 1) * strides < dim, without overflowing int64.
    if (!isDyn(dim) && sizes[i] > 0 &&
        (offsets[i] >= dim ||
         sizes[i] - 1 > (dim - 1 - offsets[i]) / strides[i]))
      return emitOptionalError(loc, "dimension ", i, ": slice reads past the "
                               "end of extent ", dim);
  }
  types.push_back(tensorOf(sizes, in.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// ConcatOp
//===----------------------------------------------------------------------===//

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  if (adaptor.getInputs().empty())
    return emitOptionalError(loc, "needs at least one input");
  auto first = cast<RankedTensorType>(adaptor.getInputs()[0].getType());
  int64_t rank = first.getRank();
  int64_t axis = adaptor.getAxis();
  if (axis < 0 || axis >= rank)
    return emitOptionalError(loc, "axis ", axis, " out of range for rank ",
                             rank);
  SmallVector<int64_t> shape(first.getShape());
  shape[axis] = 0;
  for (auto [k, value] : llvm::enumerate(adaptor.getInputs())) {
    auto type = cast<RankedTensorType>(value.getType());
    if (type.getRank() != rank || type.getElementType() != first.getElementType())
      return emitOptionalError(loc, "input ", k, " has type ", type,
                               ", expected rank ", rank, " and element type ",
                               first.getElementType());
    for (int64_t i = 0; i < rank; ++i) {
      int64_t d = type.getDimSize(i);
      if (i == axis) {
        shape[i] = (isDyn(shape[i]) || isDyn(d)) ? kDyn : shape[i] + d;
        continue;
      }
      if (!dimsCompatible(shape[i], d))
        return emitOptionalError(loc, "input ", k, " has shape ",
                                 formatShape(type.getShape()),
                                 ", which differs off the axis from ",
                                 formatShape(first.getShape()));
      shape[i] = mergeDims(shape[i], d);
    }
  }
  types.push_back(tensorOf(shape, first.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// GatherOp
//===----------------------------------------------------------------------===//

LogicalResult GatherOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  auto data = cast<RankedTensorType>(adaptor.getData().getType());
  auto indices = cast<RankedTensorType>(adaptor.getIndices().getType());
  int64_t axis = adaptor.getAxis();
  if (axis < 0 || axis >= data.getRank())
    return emitOptionalError(loc, "axis ", axis, " out of range for rank ",
                             data.getRank());
  SmallVector<int64_t> shape(data.getShape().take_front(axis));
  llvm::append_range(shape, indices.getShape());
  llvm::append_range(shape, data.getShape().drop_front(axis + 1));
  types.push_back(tensorOf(shape, data.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// PadOp
//===----------------------------------------------------------------------===//

LogicalResult PadOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                      Adaptor adaptor,
                                      SmallVectorImpl<Type> &types) {
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  ArrayRef<int64_t> low = adaptor.getLow(), high = adaptor.getHigh();
  if ((int64_t)low.size() != in.getRank() || (int64_t)high.size() != in.getRank())
    return emitOptionalError(loc, "low and high need ", in.getRank(),
                             " entries each");
  if (adaptor.getValue().getType() != in.getElementType())
    return emitOptionalError(loc, "padding value of type ",
                             adaptor.getValue().getType(),
                             " does not match element type ",
                             in.getElementType());
  SmallVector<int64_t> shape;
  for (int64_t i = 0; i < in.getRank(); ++i) {
    if (low[i] < 0 || high[i] < 0)
      return emitOptionalError(loc, "pads must be non-negative");
    int64_t d = in.getDimSize(i);
    shape.push_back(isDyn(d) ? kDyn : d + low[i] + high[i]);
  }
  types.push_back(tensorOf(shape, in.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// MatmulOp
//===----------------------------------------------------------------------===//

LogicalResult MatmulOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  auto lhs = cast<RankedTensorType>(adaptor.getLhs().getType());
  auto rhs = cast<RankedTensorType>(adaptor.getRhs().getType());
  int64_t rank = lhs.getRank();
  if (rank < 2 || rhs.getRank() != rank)
    return emitOptionalError(loc, "operands need equal ranks >= 2, got ",
                             lhs.getRank(), " and ", rhs.getRank());
  if (lhs.getElementType() != rhs.getElementType())
    return emitOptionalError(loc, "element types differ: ",
                             lhs.getElementType(), " vs ",
                             rhs.getElementType());
  SmallVector<int64_t> shape;
  for (int64_t i = 0; i < rank - 2; ++i) {
    if (!dimsCompatible(lhs.getDimSize(i), rhs.getDimSize(i)))
      return emitOptionalError(loc, "batch dimensions differ: ",
                               formatShape(lhs.getShape()), " vs ",
                               formatShape(rhs.getShape()));
    shape.push_back(mergeDims(lhs.getDimSize(i), rhs.getDimSize(i)));
  }
  if (!dimsCompatible(lhs.getDimSize(rank - 1), rhs.getDimSize(rank - 2)))
    return emitOptionalError(loc, "contracted dimensions differ: ",
                             formatShape(lhs.getShape()), " x ",
                             formatShape(rhs.getShape()));
  shape.push_back(lhs.getDimSize(rank - 2));
  shape.push_back(rhs.getDimSize(rank - 1));
  types.push_back(tensorOf(shape, lhs.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// Conv2dOp
//===----------------------------------------------------------------------===//

LogicalResult Conv2dOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  auto filter = cast<RankedTensorType>(adaptor.getFilter().getType());
  if (in.getRank() != 4 || filter.getRank() != 4)
    return emitOptionalError(loc, "expects a rank-4 NCHW input and FCHW "
                                  "filter, got ranks ",
                             in.getRank(), " and ", filter.getRank());
  if (in.getElementType() != filter.getElementType())
    return emitOptionalError(loc, "element types differ");
  if (failed(verifyWindowAttrs(loc, adaptor.getStrides(), adaptor.getPadding(),
                               adaptor.getDilations())))
    return failure();
  int64_t groups = adaptor.getGroups();
  int64_t channels = in.getDimSize(1), features = filter.getDimSize(0);
  if (groups < 1)
    return emitOptionalError(loc, "groups must be >= 1");
  if (!isDyn(channels) && channels % groups != 0)
    return emitOptionalError(loc, "input channels ", channels,
                             " not divisible by groups ", groups);
  if (!isDyn(features) && features % groups != 0)
    return emitOptionalError(loc, "filter count ", features,
                             " not divisible by groups ", groups);
  if (!isDyn(channels) && !dimsCompatible(filter.getDimSize(1), channels / groups))
    return emitOptionalError(loc, "filter has ", filter.getDimSize(1),
                             " input channels, expected ", channels / groups,
                             " (", channels, " / groups ", groups, ")");
  int64_t outH, outW;
  if (failed(inferWindowHW(loc, in.getShape(), filter.getShape().drop_front(2),
                           adaptor.getStrides(), adaptor.getPadding(),
                           adaptor.getDilations(), outH, outW)))
    return failure();
  types.push_back(tensorOf({in.getDimSize(0), features, outH, outW},
                           in.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

template <typename Adaptor>
static LogicalResult inferPoolType(std::optional<Location> loc, Adaptor adaptor,
                                   SmallVectorImpl<Type> &types) {
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  if (in.getRank() != 4)
    return emitOptionalError(loc, "expects a rank-4 NCHW input, got rank ",
                             in.getRank());
  ArrayRef<int64_t> kernel = adaptor.getKernel();
  if (kernel.size() != 2 || kernel[0] < 1 || kernel[1] < 1)
    return emitOptionalError(loc, "kernel must hold two sizes >= 1");
  if (failed(verifyWindowAttrs(loc, adaptor.getStrides(), adaptor.getPadding(),
                               adaptor.getDilations())))
    return failure();
  ArrayRef<int64_t> padding = adaptor.getPadding();
  // A pad as large as the window would make windows made only of padding.
  if (padding[0] >= kernel[0] || padding[2] >= kernel[0] ||
      padding[1] >= kernel[1] || padding[3] >= kernel[1])
    return emitOptionalError(loc, "padding must be smaller than the kernel");
  int64_t outH, outW;
  if (failed(inferWindowHW(loc, in.getShape(), kernel, adaptor.getStrides(),
                           padding, adaptor.getDilations(), outH, outW)))
    return failure();
  types.push_back(tensorOf({in.getDimSize(0), in.getDimSize(1), outH, outW},
                           in.getElementType()));
  return success();
}

LogicalResult MaxPool2dOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  return inferPoolType(loc, adaptor, types);
}

LogicalResult AvgPool2dOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  return inferPoolType(loc, adaptor, types);
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

template <typename Adaptor>
static LogicalResult inferReduceType(std::optional<Location> loc, Adaptor adaptor,
                                     SmallVectorImpl<Type> &types) {
  auto in = cast<RankedTensorType>(adaptor.getInput().getType());
  ArrayRef<int64_t> axes = adaptor.getAxes();
  if (failed(verifyAxes(loc, axes, in.getRank())))
    return failure();
  bool keep = adaptor.getKeepDims();
  SmallVector<int64_t> shape;
  for (int64_t i = 0; i < in.getRank(); ++i) {
    if (!llvm::is_contained(axes, i))
      shape.push_back(in.getDimSize(i));
    else if (keep)
      shape.push_back(1);
  }
  types.push_back(tensorOf(shape, in.getElementType()));
  return success();
}

#define KILN_REDUCE_INFER(OP)                                                  \
  LogicalResult OP::inferReturnTypes(MLIRContext *,                            \
                                     std::optional<Location> loc,              \
                                     Adaptor adaptor,                          \
                                     SmallVectorImpl<Type> &types) {           \
    return inferReduceType(loc, adaptor, types);                               \
  }
KILN_REDUCE_INFER(ReduceSumOp)
KILN_REDUCE_INFER(ReduceMeanOp)
KILN_REDUCE_INFER(ReduceMaxOp)
KILN_REDUCE_INFER(ReduceMinOp)
KILN_REDUCE_INFER(ReduceProdOp)
#undef KILN_REDUCE_INFER

//===----------------------------------------------------------------------===//
// Softmax and log-softmax
//===----------------------------------------------------------------------===//

template <typename OpT> static LogicalResult verifySoftmaxAxis(OpT op) {
  int64_t rank = op.getInput().getType().getRank();
  int64_t axis = op.getAxis();
  if (axis < 0 || axis >= rank)
    return op.emitOpError("axis ") << axis << " out of range for rank " << rank;
  return success();
}

LogicalResult SoftmaxOp::verify() { return verifySoftmaxAxis(*this); }
LogicalResult LogSoftmaxOp::verify() { return verifySoftmaxAxis(*this); }

//===----------------------------------------------------------------------===//
// GradientOp
//===----------------------------------------------------------------------===//

LogicalResult GradientOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &types) {
  for (Value v : adaptor.getWrt())
    types.push_back(v.getType());
  return success();
}
