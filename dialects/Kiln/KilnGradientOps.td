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

#endif // KILN_GRADIENT_OPS_TD
