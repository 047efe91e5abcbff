//===- KilnFusionOps.td - Fusion groups as region ops ------*- tablegen -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// kiln.fusion_group and its terminator kiln.yield: the decisions of the
// fuse pass (passes/Fuse.cpp), visible in the IR as regions so that a lit
// test can check them and a lowering can turn each into one kernel.
// Included from KilnOps.td.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_FUSION_OPS_TD
#define KILN_FUSION_OPS_TD

def Kiln_FusionGroupKind : I64EnumAttr<"FusionGroupKind",
    "what a kiln.fusion_group fuses", [
      I64EnumAttrCase<"elementwise", 0>,
      I64EnumAttrCase<"reduction_epilogue", 1>,
      I64EnumAttrCase<"contraction_epilogue", 2>,
      I64EnumAttrCase<"optimizer", 3>]> {
  let cppNamespace = "::kiln";
}

def Kiln_FusionGroupOp : Op<Kiln_Dialect, "fusion_group",
    [IsolatedFromAbove, SingleBlock, RecursiveMemoryEffects,
     RecursivelySpeculatable]> {
  let summary = "Ops that are fused into one kernel";
  let description = [{
    A group of kiln ops that the fuse pass decided to compute together, so
    that the tensors passed between them are never written to memory. The
    operands are the values the group reads from outside; the body's one
    block has one argument per operand (same type) and nothing else from
    outside is visible in it (it is isolated from above: every input is
    explicit, and splat constants are cloned inside). The values that
    `kiln.yield` returns are the group's results: what is still needed
    outside. `kind` says which pattern the group is (an elementwise chain,
    a reduction or a contraction with its elementwise epilogue, or the
    optimizer update of all parameters); it guides the lowering and the
    reports, the body says what is computed.

    The group is semantically transparent: inlining its body in place of
    the op gives the same program. Lowering (convert-kiln-to-linalg) lowers
    the body and fuses the resulting linalg ops before inlining them.

    ```mlir
    %r = kiln.fusion_group contraction_epilogue
        ins(%x, %w, %b : tensor<4x8xf32>, tensor<8x16xf32>, tensor<16xf32>)
        -> (tensor<4x16xf32>) {
    ^bb0(%a: tensor<4x8xf32>, %bw: tensor<8x16xf32>, %bb: tensor<16xf32>):
      %0 = kiln.matmul %a, %bw : tensor<4x8xf32>, tensor<8x16xf32> -> tensor<4x16xf32>
      %1 = kiln.broadcast %bb : tensor<16xf32> to tensor<4x16xf32>
      %2 = kiln.add %0, %1 : tensor<4x16xf32>
      %3 = kiln.relu %2 : tensor<4x16xf32>
      kiln.yield %3 : tensor<4x16xf32>
    }
    ```
  }];
  let arguments = (ins Kiln_FusionGroupKind:$kind, Variadic<AnyType>:$inputs);
  let results = (outs Variadic<AnyType>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $kind (`ins` `(` $inputs^ `:` type($inputs) `)`)?
    (`->` `(` type($results)^ `)`)?
    attr-dict-with-keyword $body
  }];
  let hasRegionVerifier = 1;
  let extraClassDeclaration = [{
    /// The body's block.
    ::mlir::Block &getBodyBlock() { return getBody().front(); }
    /// Its terminator.
    YieldOp getYield();
  }];
}

def Kiln_YieldOp : Op<Kiln_Dialect, "yield",
    [Pure, Terminator, HasParent<"FusionGroupOp">]> {
  let summary = "Returns the results of a kiln.fusion_group";
  let description = [{
    Terminates the body of a `kiln.fusion_group`; its operands become the
    group's results, one for one and of the same types.
  }];
  let arguments = (ins Variadic<AnyType>:$values);
  let assemblyFormat = "($values^ `:` type($values))? attr-dict";
}

#endif // KILN_FUSION_OPS_TD
