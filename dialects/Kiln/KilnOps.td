//===- KilnOps.td - Operations of the kiln dialect --------*- tablegen -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The kiln ops. Each op is one mathematical primitive on ranked tensors; see
// docs/Rationale.md for why each exists and what it deliberately is not.
// Result types are inferred from operands and attributes
// (InferTypeOpInterface) and checked by the verifiers.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_OPS_TD
#define KILN_OPS_TD

include "KilnDialect.td"
include "KilnInterfaces.td"
include "mlir/IR/EnumAttr.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

def Kiln_Tensor : RankedTensorOf<[AnyType]>;
def Kiln_FloatTensor : RankedTensorOf<[AnyFloat]>;
// Integer element types: signless `i<N>` holds ONNX's signed integers (and
// `i1` its booleans), `ui<N>` its unsigned ones, so that every op knows the
// signedness it computes with (division, max/min, compare, casts, shifts).
// The lowering to linalg computes with the unsigned arith ops on `ui<N>` and
// then makes every type signless (see lib/Conversion/KilnToLinalg).
def Kiln_NumericTensor
    : RankedTensorOf<[AnyFloat, AnySignlessInteger, AnyUnsignedInteger]>;
// Signless integers only: indices (gather), which are signed.
def Kiln_IntegerTensor : RankedTensorOf<[AnySignlessInteger]>;
// Any integer, signless or unsigned, for bitwise ops.
def Kiln_AnyIntegerTensor
    : RankedTensorOf<[AnySignlessInteger, AnyUnsignedInteger]>;
def Kiln_BoolTensor : RankedTensorOf<[I1]>;

//===----------------------------------------------------------------------===//
// Base classes
//===----------------------------------------------------------------------===//

class Kiln_Op<string mnemonic, list<Trait> traits = []>
    : Op<Kiln_Dialect, mnemonic, !listconcat([Pure], traits)>;

// The op has a reverse-mode gradient rule (buildGradients), implemented in
// lib/Dialect/Kiln/KilnGradients*.cpp. Ops without a gradient (compare,
// floor, ...) still declare it and return no operand gradients, so that the
// autodiff pass can tell "no gradient" from "no rule".
def Kiln_Differentiable
    : DeclareOpInterfaceMethods<Kiln_DifferentiableOpInterface>;

// An op whose cost is one operation per result element.
class Kiln_ElementwiseOp<string mnemonic, list<Trait> traits = []>
    : Kiln_Op<mnemonic, !listconcat([Elementwise, Kiln_CostOpInterface,
                                     Kiln_FusibleOpInterface],
                                    traits)> {
  code elementwiseCost = [{
    std::optional<int64_t> getFlops() {
      return ::kiln::detail::elementwiseFlops(getOperation());
    }
  }];
  let extraClassDeclaration = elementwiseCost;
}

class Kiln_UnaryOp<string mnemonic, Type operandType, string doc>
    : Kiln_ElementwiseOp<mnemonic, [SameOperandsAndResultType,
                                    Kiln_Differentiable]> {
  let summary = "Elementwise " # mnemonic;
  let description = doc;
  let arguments = (ins operandType:$input);
  let results = (outs operandType:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

class Kiln_BinaryOp<string mnemonic, Type operandType, string doc,
                    list<Trait> traits = []>
    : Kiln_ElementwiseOp<mnemonic, !listconcat([SameOperandsAndResultType,
                                                Kiln_Differentiable],
                                               traits)> {
  let summary = "Elementwise " # mnemonic;
  let description = doc # [{

    Both operands have the same type; broadcasting is explicit through
    `kiln.broadcast`.
  }];
  let arguments = (ins operandType:$lhs, operandType:$rhs);
  let results = (outs operandType:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($result)";
}

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

def Kiln_ConstantOp : Kiln_Op<"constant",
    [ConstantLike, InferTypeOpAdaptor, Kiln_Differentiable]> {
  let summary = "A tensor literal";
  let description = [{
    Materializes a dense tensor literal. Weights imported from ONNX
    initializers become `kiln.constant` ops; large ones hold a
    `dense_resource` blob so the IR stays printable.

    ```mlir
    %w = kiln.constant dense<[1.0, 2.0]> : tensor<2xf32>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise unary math
//===----------------------------------------------------------------------===//

def Kiln_NegOp : Kiln_UnaryOp<"neg", Kiln_NumericTensor, "`-x`."> {
  let hasFolder = 1;
}
def Kiln_AbsOp : Kiln_UnaryOp<"abs", Kiln_NumericTensor, "`|x|`.">;
def Kiln_ReluOp : Kiln_UnaryOp<"relu", Kiln_NumericTensor, "`max(x, 0)`.">;
def Kiln_ExpOp : Kiln_UnaryOp<"exp", Kiln_FloatTensor, "`e^x`.">;
def Kiln_LogOp : Kiln_UnaryOp<"log", Kiln_FloatTensor, "Natural logarithm.">;
def Kiln_SqrtOp : Kiln_UnaryOp<"sqrt", Kiln_FloatTensor, "Square root.">;
def Kiln_RsqrtOp : Kiln_UnaryOp<"rsqrt", Kiln_FloatTensor,
    "`1 / sqrt(x)`; its own op because normalizations and their gradients "
    "use it and targets have a fast instruction for it.">;
def Kiln_ReciprocalOp : Kiln_UnaryOp<"reciprocal", Kiln_FloatTensor, "`1 / x`.">;
def Kiln_TanhOp : Kiln_UnaryOp<"tanh", Kiln_FloatTensor, "Hyperbolic tangent.">;
def Kiln_SigmoidOp : Kiln_UnaryOp<"sigmoid", Kiln_FloatTensor,
    "`1 / (1 + e^-x)`.">;
def Kiln_ErfOp : Kiln_UnaryOp<"erf", Kiln_FloatTensor,
    "The Gauss error function (GELU's building block).">;
def Kiln_FloorOp : Kiln_UnaryOp<"floor", Kiln_FloatTensor, "Round down.">;
def Kiln_CeilOp : Kiln_UnaryOp<"ceil", Kiln_FloatTensor, "Round up.">;
def Kiln_SinOp : Kiln_UnaryOp<"sin", Kiln_FloatTensor, "Sine.">;
def Kiln_CosOp : Kiln_UnaryOp<"cos", Kiln_FloatTensor, "Cosine.">;

//===----------------------------------------------------------------------===//
// Elementwise binary math
//===----------------------------------------------------------------------===//

def Kiln_AddOp : Kiln_BinaryOp<"add", Kiln_NumericTensor, "`lhs + rhs`.",
                               [Commutative]> {
  let hasFolder = 1;
}
def Kiln_SubOp : Kiln_BinaryOp<"sub", Kiln_NumericTensor, "`lhs - rhs`."> {
  let hasFolder = 1;
}
def Kiln_MulOp : Kiln_BinaryOp<"mul", Kiln_NumericTensor, "`lhs * rhs`.",
                               [Commutative]> {
  let hasFolder = 1;
}
def Kiln_DivOp : Kiln_BinaryOp<"div", Kiln_NumericTensor,
    "`lhs / rhs`; integer division truncates toward zero."> {
  let hasFolder = 1;
}
def Kiln_PowOp : Kiln_BinaryOp<"pow", Kiln_FloatTensor, "`lhs ^ rhs`.">;
def Kiln_MaxOp : Kiln_BinaryOp<"max", Kiln_NumericTensor,
    "The larger operand; NaN if either is NaN.", [Commutative]>;
def Kiln_MinOp : Kiln_BinaryOp<"min", Kiln_NumericTensor,
    "The smaller operand; NaN if either is NaN.", [Commutative]>;

//===----------------------------------------------------------------------===//
// Comparison, selection and casts
//===----------------------------------------------------------------------===//

def Kiln_ComparePredicate : I64EnumAttr<"ComparePredicate",
    "predicate of kiln.compare", [
      I64EnumAttrCase<"eq", 0>, I64EnumAttrCase<"ne", 1>,
      I64EnumAttrCase<"lt", 2>, I64EnumAttrCase<"le", 3>,
      I64EnumAttrCase<"gt", 4>, I64EnumAttrCase<"ge", 5>]> {
  let cppNamespace = "::kiln";
}

def Kiln_CompareOp : Kiln_ElementwiseOp<"compare",
    [SameTypeOperands, InferTypeOpAdaptor, Kiln_Differentiable]> {
  let summary = "Elementwise comparison giving a boolean tensor";
  let description = [{
    Compares two tensors of one type elementwise; the result holds `i1`.
    Floats compare ordered (any comparison with NaN is false, except `ne`).

    ```mlir
    %m = kiln.compare gt, %x, %zero : tensor<4xf32>
    ```
  }];
  let arguments = (ins Kiln_ComparePredicate:$predicate,
                       Kiln_NumericTensor:$lhs, Kiln_NumericTensor:$rhs);
  let results = (outs Kiln_BoolTensor:$result);
  let assemblyFormat = "$predicate `,` $lhs `,` $rhs attr-dict `:` type($lhs)";
}

def Kiln_SelectOp : Kiln_ElementwiseOp<"select",
    [AllTypesMatch<["true_value", "false_value", "result"]>,
     AllShapesMatch<["condition", "result"]>, Kiln_Differentiable]> {
  let summary = "Elementwise choice between two tensors";
  let description = [{
    `condition ? true_value : false_value`, element by element.
  }];
  let arguments = (ins Kiln_BoolTensor:$condition, Kiln_Tensor:$true_value,
                       Kiln_Tensor:$false_value);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = [{
    $condition `,` $true_value `,` $false_value attr-dict `:`
    type($condition) `,` type($result)
  }];
}

def Kiln_CastOp : Kiln_ElementwiseOp<"cast",
    [AllShapesMatch<["input", "result"]>, Kiln_Differentiable]> {
  let summary = "Elementwise conversion to another element type";
  let description = [{
    Converts each element: float to integer truncates toward zero, integer
    sources extend by their signedness (signless `i<N>` as signed, `ui<N>`
    with zeros), `i1` is 0 or 1 and anything non-zero casts to true.
  }];
  let arguments = (ins Kiln_Tensor:$input);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `to` type($result)";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Shape manipulation
//===----------------------------------------------------------------------===//

def Kiln_BroadcastOp : Kiln_Op<"broadcast",
    [Kiln_CostOpInterface, Kiln_FusibleOpInterface, Kiln_Differentiable]> {
  let summary = "Numpy-style broadcast to a larger shape";
  let description = [{
    Aligns the input's dimensions to the right of the result's and repeats
    every input dimension of size 1 (and every missing leading dimension)
    along the result. The only place where kiln broadcasts: elementwise ops
    require equal operand types.

    ```mlir
    %b = kiln.broadcast %bias : tensor<16xf32> to tensor<4x16xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `to` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
  let extraClassDeclaration = [{
    std::optional<int64_t> getFlops() { return 0; }
  }];
}

def Kiln_ReshapeOp : Kiln_Op<"reshape",
    [Kiln_CostOpInterface, Kiln_Differentiable]> {
  let summary = "Reinterprets the elements in row-major order";
  let description = [{
    The result has the same elements in the same row-major order and a new
    static shape; element counts must agree.
  }];
  let arguments = (ins Kiln_Tensor:$input);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `to` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
  let extraClassDeclaration = [{
    std::optional<int64_t> getFlops() { return 0; }
  }];
}

def Kiln_TransposeOp : Kiln_Op<"transpose",
    [InferTypeOpAdaptor, Kiln_CostOpInterface, Kiln_Differentiable]> {
  let summary = "Permutes dimensions";
  let description = [{
    Result dimension `i` is input dimension `permutation[i]`.
  }];
  let arguments = (ins Kiln_Tensor:$input, DenseI64ArrayAttr:$permutation);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = [{
    $input attr-dict `:` type($input) `->` type($result)
  }];
  let hasFolder = 1;
  let extraClassDeclaration = [{
    std::optional<int64_t> getFlops() { return 0; }
  }];
}

def Kiln_SliceOp : Kiln_Op<"slice",
    [InferTypeOpAdaptor, Kiln_CostOpInterface, Kiln_Differentiable]> {
  let summary = "A strided box of a tensor";
  let description = [{
    Takes `sizes[i]` elements along dimension `i`, starting at `offsets[i]`
    with step `strides[i] >= 1`. ONNX's clamped, negative and reversed forms
    are normalized by the importer.
  }];
  let arguments = (ins Kiln_Tensor:$input, DenseI64ArrayAttr:$offsets,
                       DenseI64ArrayAttr:$sizes, DenseI64ArrayAttr:$strides);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasFolder = 1;
  let extraClassDeclaration = [{
    std::optional<int64_t> getFlops() { return 0; }
  }];
}

def Kiln_ConcatOp : Kiln_Op<"concat",
    [InferTypeOpAdaptor, Kiln_CostOpInterface, Kiln_Differentiable]> {
  let summary = "Joins tensors along one dimension";
  let description = [{
    All inputs share the element type and every dimension except `axis`.
  }];
  let arguments = (ins Variadic<Kiln_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = "$inputs attr-dict `:` functional-type($inputs, $result)";
  let hasFolder = 1;
  let extraClassDeclaration = [{
    std::optional<int64_t> getFlops() { return 0; }
  }];
}

def Kiln_GatherOp : Kiln_Op<"gather",
    [InferTypeOpAdaptor, Kiln_CostOpInterface, Kiln_Differentiable]> {
  let summary = "Selects slices along an axis by integer indices";
  let description = [{
    `result[a..., i..., b...] = data[a..., indices[i...], b...]` where `a`
    spans the dimensions before `axis`. Negative indices count from the end;
    an index out of range yields an unspecified element (never an
    out-of-bounds access: the lowering clamps).
  }];
  let arguments = (ins Kiln_Tensor:$data, Kiln_IntegerTensor:$indices,
                       I64Attr:$axis);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = [{
    $data `,` $indices attr-dict `:` functional-type(operands, $result)
  }];
  let extraClassDeclaration = [{
    std::optional<int64_t> getFlops() { return 0; }
  }];
}

def Kiln_PadOp : Kiln_Op<"pad",
    [InferTypeOpAdaptor, Kiln_CostOpInterface, Kiln_Differentiable]> {
  let summary = "Pads with a constant";
  let description = [{
    Adds `low[i]` elements before and `high[i]` after dimension `i`, all
    equal to `value` (an attribute of the element type). Pads are
    non-negative; the importer turns ONNX's negative pads into slices.
  }];
  let arguments = (ins Kiln_Tensor:$input, DenseI64ArrayAttr:$low,
                       DenseI64ArrayAttr:$high, TypedAttrInterface:$value);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let extraClassDeclaration = [{
    std::optional<int64_t> getFlops() { return 0; }
  }];
}

//===----------------------------------------------------------------------===//
// Contractions
//===----------------------------------------------------------------------===//

def Kiln_MatmulOp : Kiln_Op<"matmul",
    [InferTypeOpAdaptor, Kiln_CostOpInterface, Kiln_FusibleOpInterface,
     Kiln_Differentiable]> {
  let summary = "Batched matrix product";
  let description = [{
    `[..., M, K] x [..., K, N] -> [..., M, N]`. Both operands have the same
    rank (at least 2) and equal batch dimensions; the importer broadcasts
    and reshapes ONNX's 1-D and mismatched-batch forms into this one.
  }];
  let arguments = (ins Kiln_NumericTensor:$lhs, Kiln_NumericTensor:$rhs);
  let results = (outs Kiln_NumericTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
  let extraClassDeclaration = [{
    std::optional<int64_t> getFlops();
    ::kiln::FusionRole getFusionRole() {
      return ::kiln::FusionRole::Contraction;
    }
  }];
}

def Kiln_Conv2dOp : Kiln_Op<"conv2d",
    [InferTypeOpAdaptor, Kiln_CostOpInterface, Kiln_FusibleOpInterface,
     Kiln_Differentiable]> {
  let summary = "2-D convolution, NCHW input and FCHW filter";
  let description = [{
    Cross-correlation of `input[N, C, H, W]` with `filter[F, C/groups, KH, KW]`
    giving `[N, F, OH, OW]`, where
    `OH = (H + pad_top + pad_bottom - dilation_h*(KH-1) - 1) / stride_h + 1`.
    `padding` is `[top, left, bottom, right]`. Bias is a separate
    broadcast-add: it is not part of the primitive.
  }];
  let arguments = (ins Kiln_FloatTensor:$input, Kiln_FloatTensor:$filter,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$dilations, I64Attr:$groups);
  let results = (outs Kiln_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $filter attr-dict `:` type($input) `,` type($filter) `->`
    type($result)
  }];
  let extraClassDeclaration = [{
    std::optional<int64_t> getFlops();
    ::kiln::FusionRole getFusionRole() {
      return ::kiln::FusionRole::Contraction;
    }
  }];
}

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

class Kiln_Pool2dOp<string mnemonic, string doc, dag extraArgs>
    : Kiln_Op<mnemonic, [InferTypeOpAdaptor, Kiln_CostOpInterface,
                         Kiln_Differentiable]> {
  let summary = "2-D " # mnemonic # " over an NCHW tensor";
  let description = doc # [{

    Windows of `kernel` elements with `strides`, `dilations` and
    `padding = [top, left, bottom, right]` slide over H and W; the output
    size follows the same formula as `kiln.conv2d`.
  }];
  let arguments = !con((ins Kiln_FloatTensor:$input,
                            DenseI64ArrayAttr:$kernel,
                            DenseI64ArrayAttr:$strides,
                            DenseI64ArrayAttr:$padding,
                            DenseI64ArrayAttr:$dilations), extraArgs);
  let results = (outs Kiln_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let extraClassDeclaration = [{
    std::optional<int64_t> getFlops();
  }];
}

def Kiln_MaxPool2dOp : Kiln_Pool2dOp<"max_pool2d",
    "The maximum of each window; padding never wins.", (ins)>;
def Kiln_AvgPool2dOp : Kiln_Pool2dOp<"avg_pool2d",
    "The mean of each window; padded positions count only when "
    "`count_include_pad` is set.", (ins BoolAttr:$count_include_pad)>;

//===----------------------------------------------------------------------===//
// Reductions and normalizing maps
//===----------------------------------------------------------------------===//

class Kiln_ReduceOp<string mnemonic, string doc>
    : Kiln_Op<mnemonic, [InferTypeOpAdaptor, Kiln_CostOpInterface,
                         Kiln_FusibleOpInterface, Kiln_Differentiable]> {
  let summary = "Reduction (" # mnemonic # ") over axes";
  let description = doc # [{

    `axes` are distinct, sorted and non-negative; with `keep_dims` the
    reduced dimensions stay as size 1, otherwise they are dropped.
  }];
  let arguments = (ins Kiln_NumericTensor:$input, DenseI64ArrayAttr:$axes,
                       BoolAttr:$keep_dims);
  let results = (outs Kiln_NumericTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let extraClassDeclaration = [{
    std::optional<int64_t> getFlops() {
      return ::kiln::detail::reductionFlops(getOperation());
    }
    ::kiln::FusionRole getFusionRole() {
      return ::kiln::FusionRole::Reduction;
    }
  }];
}

def Kiln_ReduceSumOp : Kiln_ReduceOp<"reduce_sum", "Sum of the elements.">;
def Kiln_ReduceMeanOp : Kiln_ReduceOp<"reduce_mean", "Arithmetic mean.">;
def Kiln_ReduceMaxOp : Kiln_ReduceOp<"reduce_max", "Largest element.">;
def Kiln_ReduceMinOp : Kiln_ReduceOp<"reduce_min", "Smallest element.">;
def Kiln_ReduceProdOp : Kiln_ReduceOp<"reduce_prod", "Product of the elements.">;

class Kiln_SoftmaxLikeOp<string mnemonic, string doc>
    : Kiln_Op<mnemonic, [SameOperandsAndResultType, Kiln_CostOpInterface,
                         Kiln_FusibleOpInterface, Kiln_Differentiable]> {
  let summary = doc;
  let description = doc # [{ along one `axis`, computed stably (the maximum
    is subtracted first). Kept as one op because its gradient and its fused
    kernels are simpler than those of the five primitives it expands to.
  }];
  let arguments = (ins Kiln_FloatTensor:$input, I64Attr:$axis);
  let results = (outs Kiln_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    std::optional<int64_t> getFlops() {
      return ::kiln::detail::softmaxFlops(getOperation());
    }
    // Softmax is a reduction (max, sum) with an elementwise map around it;
    // what it reads is read twice, so it takes no fused prologue.
    ::kiln::FusionRole getFusionRole() {
      return ::kiln::FusionRole::Reduction;
    }
    bool fusesProducers() { return false; }
  }];
}

def Kiln_SoftmaxOp : Kiln_SoftmaxLikeOp<"softmax", "Softmax">;
def Kiln_LogSoftmaxOp : Kiln_SoftmaxLikeOp<"log_softmax", "Log of softmax">;

//===----------------------------------------------------------------------===//
// Training: gradients (KilnGradientOps.td) and training-mode primitives such
// as random masks (KilnTrainingOps.td).
//===----------------------------------------------------------------------===//

include "KilnGradientOps.td"
include "KilnTrainingOps.td"

// Further primitives for ONNX coverage, grouped by concept.
include "KilnMathOps.td"
include "KilnDataOps.td"
include "KilnNNOps.td"

// Fusion groups, formed by the fuse pass.
include "KilnFusionOps.td"

#endif // KILN_OPS_TD
