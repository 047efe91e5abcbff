//===- KilnTrainingOps.td - Training-mode primitives -------*- tablegen -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Primitives that only training programs need (e.g. the explicit random
// masks of training-mode Dropout). Included from KilnOps.td.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TRAINING_OPS_TD
#define KILN_TRAINING_OPS_TD

def Kiln_DropoutMaskOp : Kiln_Op<"dropout_mask", [Kiln_CostOpInterface]> {
  let summary = "Deterministic random keep-mask of training-mode Dropout";
  let description = [{
    Yields a boolean tensor of the result's (static) shape where element `i`
    is true (kept) when `u(seed, offset, i) >= ratio`, with `u` a uniform
    number in [0, 1) on a 2^-24 grid computed by a counter-based hash
    (splitmix64) of the seed, the optional step `offset` and the row-major
    element index. No state, no side effect: the same operands give the same
    mask on every target, so the op is `Pure` and the backward pass reuses
    the mask as an ordinary SSA value. `ratio` (a rank-0 float tensor) of 0
    keeps every element exactly; 1 drops every element. `offset` (a rank-0
    integer tensor, e.g. the training step) lets a training loop draw a new
    mask per step without recompiling.

    Dropout itself is `select(mask, x * (1 / (1 - ratio)), 0)`.

    ```mlir
    %m = kiln.dropout_mask %ratio seed 42 : tensor<f32> -> tensor<3x4xi1>
    %n = kiln.dropout_mask %ratio seed 42 offset %step
        : tensor<f32>, tensor<i64> -> tensor<3x4xi1>
    ```
  }];
  let arguments = (ins Kiln_FloatTensor:$ratio,
                       Optional<Kiln_IntegerTensor>:$offset, I64Attr:$seed);
  let results = (outs Kiln_BoolTensor:$result);
  let assemblyFormat = [{
    $ratio `seed` $seed (`offset` $offset^)? attr-dict `:` type($ratio)
    (`,` type($offset)^)? `->` type($result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    std::optional<int64_t> getFlops();
  }];
}

#endif // KILN_TRAINING_OPS_TD
