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

def Kiln_MagnitudeThresholdOp : Kiln_Op<"magnitude_threshold",
    [Kiln_CostOpInterface]> {
  let summary = "The k-th smallest absolute value among its inputs' elements";
  let description = [{
    Looks at `|x|` for every element `x` of every input (together, as one
    multiset) and yields the `k`-th smallest (counted from 1), where `k` is
    the rank-0 `count`: the threshold of magnitude pruning, since
    `|x| > t` then keeps all but (at least) `k` elements. Ties at the
    threshold are all on the pruned side, so at least `k` elements satisfy
    `|x| <= t`, and exactly `k` when the magnitudes are distinct. A `count`
    of 0 or less yields -1 (every element is kept, zeros included); a count
    of at least the element count yields the largest magnitude. NaNs count
    as larger than every number.

    The op exists because a sort or a top-k of a million weights, written
    with the ops the importer knows, is either k rounds of argmax or a
    tensor of n^2 comparisons; the lowering instead bisects on the bits of
    the f32 magnitude (their integer order is their numeric order): 31
    counting passes over the inputs, and none at all when `count <= 0`, so
    a training step pays for it only on the steps that prune.

    The result is not differentiable (pruning passes read it through
    `kiln.stop_gradient` weights).

    ```mlir
    %t = kiln.magnitude_threshold %k of %w1, %w2
        : tensor<i64> of tensor<784x128xf32>, tensor<128x10xf32> -> tensor<f32>
    ```
  }];
  let arguments = (ins TensorOf<[I64]>:$count,
                       Variadic<TensorOf<[F32]>>:$inputs);
  let results = (outs TensorOf<[F32]>:$result);
  let assemblyFormat = [{
    $count `of` $inputs attr-dict `:` type($count) `of` type($inputs) `->`
    type($result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    std::optional<int64_t> getFlops();
  }];
}

#endif // KILN_TRAINING_OPS_TD
