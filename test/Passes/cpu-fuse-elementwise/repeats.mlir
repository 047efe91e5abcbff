// kiln-cpu-fuse-elementwise refuses a fusion that would compute some of
// the producer's elements more than once (the consumer reads the result
// through a map that is not a permutation of its loops), unless the
// producer only moves elements. An elementwise producer inlined into a
// contraction would also hide the contraction from the GEMM kernels.
// RUN: kiln-opt %s -split-input-file \
// RUN:   --pass-pipeline="builtin.module(func.func(kiln-cpu-fuse-elementwise))" \
// RUN:   | FileCheck %s

#id2 = affine_map<(i, j) -> (i, j)>
#a = affine_map<(m, n, k) -> (m, k)>
#b = affine_map<(m, n, k) -> (k, n)>
#c = affine_map<(m, n, k) -> (m, n)>

// A LayerNorm-like scale and shift whose only reader is a matmul: fusing
// it would recompute each element once per column of the product, inside
// the contraction's body. Refused: the contraction keeps its mul-add body.
func.func @into_contraction(%x: tensor<16x32xf32>, %w: tensor<32x8xf32>, %acc: tensor<16x8xf32>) -> tensor<16x8xf32> {
  %s = arith.constant 0.5 : f32
  %e = tensor.empty() : tensor<16x32xf32>
  %n = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<16x32xf32>) outs(%e : tensor<16x32xf32>) {
  ^bb0(%v: f32, %o: f32):
    %m = arith.mulf %v, %s : f32
    %a = arith.addf %m, %s : f32
    linalg.yield %a : f32
  } -> tensor<16x32xf32>
  %y = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%n, %w : tensor<16x32xf32>, tensor<32x8xf32>) outs(%acc : tensor<16x8xf32>) {
  ^bb0(%p: f32, %q: f32, %r: f32):
    %m = arith.mulf %p, %q : f32
    %a = arith.addf %r, %m : f32
    linalg.yield %a : f32
  } -> tensor<16x8xf32>
  return %y : tensor<16x8xf32>
}
// CHECK-LABEL: func.func @into_contraction
// CHECK: %[[N:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<16x32xf32>)
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[N]], %{{.*}} : tensor<16x32xf32>, tensor<32x8xf32>)
// CHECK-NEXT: ^bb0
// CHECK-NEXT:   arith.mulf
// CHECK-NEXT:   arith.addf
// CHECK-NEXT:   linalg.yield

// -----

#id2 = affine_map<(i, j) -> (i, j)>
#row = affine_map<(i, j) -> (i, 0)>

// A per-row rsqrt (16 values) read along each row of 64: fused, it would
// run 64 times per row. Refused; the row values stay their own tensor.
func.func @per_row(%v: tensor<16x1xf32>, %x: tensor<16x64xf32>) -> tensor<16x64xf32> {
  %e1 = tensor.empty() : tensor<16x1xf32>
  %r = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%v : tensor<16x1xf32>) outs(%e1 : tensor<16x1xf32>) {
  ^bb0(%a: f32, %o: f32):
    %q = math.rsqrt %a : f32
    linalg.yield %q : f32
  } -> tensor<16x1xf32>
  %e2 = tensor.empty() : tensor<16x64xf32>
  %y = linalg.generic {indexing_maps = [#id2, #row, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%x, %r : tensor<16x64xf32>, tensor<16x1xf32>) outs(%e2 : tensor<16x64xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<16x64xf32>
  return %y : tensor<16x64xf32>
}
// CHECK-LABEL: func.func @per_row
// CHECK: %[[R:.*]] = linalg.generic
// CHECK:   math.rsqrt
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %[[R]] : tensor<16x64xf32>, tensor<16x1xf32>)
// CHECK-NOT: math.rsqrt
// CHECK: return

// -----

#id2 = affine_map<(i, j) -> (i, j)>
#rowsum = affine_map<(i, j) -> (i)>

// exp feeding a row sum reads each element once (identity map, reduction
// loop included): fused, as upstream does.
func.func @into_sum(%x: tensor<16x64xf32>, %init: tensor<16xf32>) -> tensor<16xf32> {
  %e = tensor.empty() : tensor<16x64xf32>
  %ex = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<16x64xf32>) outs(%e : tensor<16x64xf32>) {
  ^bb0(%a: f32, %o: f32):
    %v = math.exp %a : f32
    linalg.yield %v : f32
  } -> tensor<16x64xf32>
  %s = linalg.generic {indexing_maps = [#id2, #rowsum], iterator_types = ["parallel", "reduction"]}
      ins(%ex : tensor<16x64xf32>) outs(%init : tensor<16xf32>) {
  ^bb0(%a: f32, %o: f32):
    %v = arith.addf %a, %o : f32
    linalg.yield %v : f32
  } -> tensor<16xf32>
  return %s : tensor<16xf32>
}
// CHECK-LABEL: func.func @into_sum
// CHECK: linalg.generic
// CHECK:   math.exp
// CHECK:   arith.addf
// CHECK-NOT: linalg.generic
// CHECK: return

// -----

#id2 = affine_map<(i, j) -> (i, j)>
#t = affine_map<(i, j) -> (j, i)>

// An unused transpose (left by an earlier rewrite): nothing to split or
// fuse, and no crash (the per-reader split once dropped the first reader
// of an empty list).
func.func @dead_move(%x: tensor<8x4xf32>) -> tensor<8x4xf32> {
  %e = tensor.empty() : tensor<4x8xf32>
  %t = linalg.generic {indexing_maps = [#t, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<8x4xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<4x8xf32>
  return %x : tensor<8x4xf32>
}
// CHECK-LABEL: func.func @dead_move
// CHECK: return

