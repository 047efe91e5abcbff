//===- KilnGradientOps.td - Gradient requests and helpers --*- tablegen -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The ops that make differentiation visible in the IR: a gradient request
// (expanded by the autodiff pass), a stop-gradient marker, and the backward
// primitives that gradient rules emit where no forward op can express them.
// Included from KilnOps.td.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_GRADIENT_OPS_TD
#define KILN_GRADIENT_OPS_TD

def Kiln_GradientOp : Kiln_Op<"gradient", [InferTypeOpAdaptor]> {
  let summary = "Requests the gradient of a value with respect to others";
  let description = [{
    `kiln.gradient %y wrt %x, %w` yields, for each `wrt` value, the gradient
    of `sum(y)` with respect to it (ONNX's `Gradient` op: the seed is a
    tensor of ones shaped like `y`). `y` must be computed from the `wrt`
    values by ops of the same block. The op is a request: the autodiff pass
    (`--kiln-autodiff`) replaces it by the backward computation built from
    each op's `DifferentiableOpInterface` rule. A `wrt` value that `y` does
    not depend on gets a zero gradient.

    ```mlir
    %dx, %dw = kiln.gradient %loss wrt %x, %w
        : tensor<f32> wrt tensor<4x8xf32>, tensor<8x3xf32>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$of, Variadic<Kiln_FloatTensor>:$wrt);
  let results = (outs Variadic<Kiln_FloatTensor>:$gradients);
  let assemblyFormat = [{
    $of `wrt` $wrt attr-dict `:` type($of) `wrt` type($wrt)
  }];
}

def Kiln_StopGradientOp : Kiln_Op<"stop_gradient", [SameOperandsAndResultType]> {
  let summary = "Identity that gradients do not flow through";
  let description = [{
    Returns its input unchanged; the autodiff pass treats the result as a
    constant (no gradient reaches the input through it).
  }];
  let arguments = (ins Kiln_Tensor:$input);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

//===----------------------------------------------------------------------===//
// Backward primitives: what gradient rules emit where no forward op can
// express a gradient. Their result shapes are not always a function of their
// operands (a strided window forgets the remainder of the division), so most
// take an explicit result type and verify it against the forward shape rule.
//===----------------------------------------------------------------------===//

def Kiln_SliceBackwardOp : Kiln_Op<"slice_backward",
    [Kiln_CostOpInterface, Kiln_Differentiable]> {
  let summary = "Places a strided box into zeros (the gradient of kiln.slice)";
  let description = [{
    The result is all zeros except at `offsets[i] + k * strides[i]` along each
    dimension `i`, where it holds element `k` of the input: the adjoint of a
    `kiln.slice` with the same offsets and strides whose input has the result
    type. (A unit-stride slice's gradient is a `kiln.pad`; this op exists for
    the strided case.)

    ```mlir
    %d = kiln.slice_backward %g {offsets = array<i64: 1>, strides = array<i64: 2>}
        : tensor<3xf32> -> tensor<7xf32>
    ```
  }];
  let arguments = (ins Kiln_NumericTensor:$input, DenseI64ArrayAttr:$offsets,
                       DenseI64ArrayAttr:$strides);
  let results = (outs Kiln_NumericTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    std::optional<int64_t> getFlops() { return 0; }
  }];
}

def Kiln_ScatterAddOp : Kiln_Op<"scatter_add",
    [InferTypeOpAdaptor, Kiln_CostOpInterface, Kiln_Differentiable]> {
  let summary = "Adds slices into a tensor at integer indices along an axis";
  let description = [{
    The adjoint of `kiln.gather`: starts from `dest` and, for every position
    of `updates`, adds `updates[a..., i..., b...]` to
    `dest[a..., indices[i...], b...]` (`a` spans the dimensions before
    `axis`). Duplicate indices accumulate. Negative indices count from the
    end; indices out of range are clamped into range exactly as the gather
    lowering clamps them, so the gradient matches what the forward read.
    `updates` has the shape `dest[:axis] ++ indices ++ dest[axis+1:]`.

    ```mlir
    %d = kiln.scatter_add %zeros, %ids, %g {axis = 0 : i64}
        : (tensor<10x4xf32>, tensor<3xi64>, tensor<3x4xf32>) -> tensor<10x4xf32>
    ```
  }];
  let arguments = (ins Kiln_NumericTensor:$dest, Kiln_IntegerTensor:$indices,
                       Kiln_NumericTensor:$updates, I64Attr:$axis);
  let results = (outs Kiln_NumericTensor:$result);
  let assemblyFormat = [{
    $dest `,` $indices `,` $updates attr-dict `:`
    functional-type(operands, $result)
  }];
  let extraClassDeclaration = [{
    std::optional<int64_t> getFlops();
  }];
}

def Kiln_Conv2dBackwardInputOp : Kiln_Op<"conv2d_backward_input",
    [Kiln_CostOpInterface, Kiln_Differentiable]> {
  let summary = "Gradient of kiln.conv2d with respect to its input";
  let description = [{
    Given `grad_output[N, F, OH, OW]` (the gradient of a `kiln.conv2d`'s
    result) and its `filter[F, C/groups, KH, KW]`, computes the gradient of
    its `input[N, C, H, W]` (a transposed convolution):
    `result[n, c, h, w] = sum grad_output[n, f, oh, ow] * filter[f, c', kh, kw]`
    over `f` in the group of `c` and every `(oh, ow, kh, kw)` with
    `oh * stride_h + kh * dilation_h - pad_top == h` (same for `w`).
    The attributes are those of the forward convolution. The result type
    is explicit: with strides, several input sizes give one output size;
    the verifier checks that the forward shape rule maps it to
    `grad_output`. Rows and columns the forward never read get zeros.
    This is also ONNX's ConvTranspose (the importer builds it from one),
    so it is differentiable: it is linear in both operands, and its
    adjoints are `kiln.conv2d` (for `grad_output`) and
    `kiln.conv2d_backward_filter` (for `filter`).
  }];
  let arguments = (ins Kiln_FloatTensor:$grad_output, Kiln_FloatTensor:$filter,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$dilations, I64Attr:$groups);
  let results = (outs Kiln_FloatTensor:$result);
  let assemblyFormat = [{
    $grad_output `,` $filter attr-dict `:` type($grad_output) `,`
    type($filter) `->` type($result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    std::optional<int64_t> getFlops();
  }];
}

def Kiln_Conv2dBackwardFilterOp : Kiln_Op<"conv2d_backward_filter",
    [Kiln_CostOpInterface, Kiln_Differentiable]> {
  let summary = "Gradient of kiln.conv2d with respect to its filter";
  let description = [{
    Given the forward `input[N, C, H, W]` and `grad_output[N, F, OH, OW]`,
    computes the gradient of the filter `[F, C/groups, KH, KW]`:
    `result[f, c', kh, kw] = sum over n, oh, ow of grad_output[n, f, oh, ow]
    * padded_input[n, g*C/groups + c', oh*stride_h + kh*dilation_h, ...]`
    where `g` is the group of `f`. The attributes are those of the forward
    convolution; the result type is explicit (the kernel size is not a
    function of the shapes when strides exceed 1) and verified. Linear in
    both operands: its adjoints are `kiln.conv2d_backward_input` (for
    `input`) and `kiln.conv2d` (for `grad_output`).
  }];
  let arguments = (ins Kiln_FloatTensor:$input, Kiln_FloatTensor:$grad_output,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$dilations, I64Attr:$groups);
  let results = (outs Kiln_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $grad_output attr-dict `:` type($input) `,`
    type($grad_output) `->` type($result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    std::optional<int64_t> getFlops();
  }];
}

def Kiln_MaxPool2dBackwardOp : Kiln_Op<"max_pool2d_backward",
    [AllTypesMatch<["input", "result"]>, Kiln_CostOpInterface]> {
  let summary = "Gradient of kiln.max_pool2d with respect to its input";
  let description = [{
    Routes each element of `grad_output` to the position of its window's
    maximum in the forward `input`; positions that are the maximum of
    several windows accumulate. Ties within a window go to the first
    maximum in row-major (kh, kw) order, as PyTorch does; padding never
    wins. The window attributes are those of the forward `kiln.max_pool2d`.
  }];
  let arguments = (ins Kiln_FloatTensor:$input, Kiln_FloatTensor:$grad_output,
                       DenseI64ArrayAttr:$kernel, DenseI64ArrayAttr:$strides,
                       DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$dilations);
  let results = (outs Kiln_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $grad_output attr-dict `:` type($input) `,` type($grad_output)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    std::optional<int64_t> getFlops();
  }];
}

def Kiln_AvgPool2dBackwardOp : Kiln_Op<"avg_pool2d_backward",
    [Kiln_CostOpInterface]> {
  let summary = "Gradient of kiln.avg_pool2d with respect to its input";
  let description = [{
    Spreads each element of `grad_output` evenly over the unpadded
    positions of its window (divided by the kernel area with
    `count_include_pad`, else by the number of real positions, as the
    forward divides). The window attributes are those of the forward
    `kiln.avg_pool2d`; the result (the forward input's type) is explicit
    and verified against the forward shape rule.
  }];
  let arguments = (ins Kiln_FloatTensor:$grad_output,
                       DenseI64ArrayAttr:$kernel, DenseI64ArrayAttr:$strides,
                       DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$dilations,
                       BoolAttr:$count_include_pad);
  let results = (outs Kiln_FloatTensor:$result);
  let assemblyFormat = [{
    $grad_output attr-dict `:` type($grad_output) `->` type($result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    std::optional<int64_t> getFlops();
  }];
}

#endif // KILN_GRADIENT_OPS_TD
