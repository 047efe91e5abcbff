//===- KilnDataOps.td - Further data-movement and inde -*- tablegen -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Further data-movement and indexing primitives. Included from KilnOps.td.
//
// Most ONNX indexing ops decompose into the core set (Split, Tile,
// DepthToSpace, GatherND, ScatterND, OneHot, CumSum, Trilu, Einsum, Pad's
// reflect/edge/wrap modes: see lib/Import/ImportIndexing.cpp). What remains
// here is what no composition of those expresses in linear time.
//
//===----------------------------------------------------------------------===//

#ifndef KILNDATAOPS_TD
#define KILNDATAOPS_TD

//===----------------------------------------------------------------------===//
// Reductions to an index
//===----------------------------------------------------------------------===//

class Kiln_ArgReduceOp<string mnemonic, string which>
    : Kiln_Op<mnemonic, [InferTypeOpAdaptor, Kiln_CostOpInterface,
                         Kiln_Differentiable]> {
  let summary = "Index of the " # which # " element along an axis";
  let description = [{
    The position (an `i64`, counted from 0) of the }] # which # [{ element
    of `input` along `axis`. Ties go to the first such position, or to the
    last with `select_last`; a NaN beats every number (numpy's rule, so the
    first NaN is reported). Integers compare by their signedness (`i<N>`
    signed, `ui<N>` unsigned, `i1` as 0 and 1). With
    `keep_dims` the reduced dimension stays as size 1, otherwise it is
    dropped. The result is an integer: no gradient flows through it.

    ```mlir
    %i = kiln.}] # mnemonic # [{ %x {axis = 1 : i64, keep_dims = false,
        select_last = false} : tensor<4x10xf32> -> tensor<4xi64>
    ```
  }];
  let arguments = (ins Kiln_NumericTensor:$input, I64Attr:$axis,
                       BoolAttr:$keep_dims, BoolAttr:$select_last);
  let results = (outs TensorOf<[I64]>:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let extraClassDeclaration = [{
    std::optional<int64_t> getFlops() {
      return ::kiln::detail::reductionFlops(getOperation());
    }
  }];
}

def Kiln_ArgMaxOp : Kiln_ArgReduceOp<"argmax", "largest">;
def Kiln_ArgMinOp : Kiln_ArgReduceOp<"argmin", "smallest">;

#endif // KILNDATAOPS_TD
