// kiln-cpu-fuse-elementwise beyond upstream's single-use fusion: a
// producer with several readers fuses into its first reader, which yields
// the value for the others (computed once); a reduction of a computed
// value is generalized so that its producer fuses into the reduction's
// loops. A remark gives the loop nests before and after.
// RUN: kiln-opt %s -split-input-file \
// RUN:   --pass-pipeline="builtin.module(func.func(kiln-cpu-fuse-elementwise))" 2>/dev/null \
// RUN:   | FileCheck %s
// RUN: kiln-opt %s -split-input-file \
// RUN:   --pass-pipeline="builtin.module(func.func(kiln-cpu-fuse-elementwise))" -o /dev/null 2>&1 \
// RUN:   | FileCheck %s --check-prefix=REMARK

#id = affine_map<(i) -> (i)>

// e = exp(x) is read by the add and is a result of the function: it fuses
// into the add, which yields it too, and the return reads that copy. exp
// is computed once, and the add's loop no longer reads e back.
// REMARK: remark: fuse-elementwise: 2 -> 1 elementwise and reduction loop nests, 1 producers with several readers fused
// CHECK-LABEL: func.func @shared
// CHECK: %[[F:.*]]:2 = linalg.generic
// CHECK:   math.exp
// CHECK:   arith.addf
// CHECK-NOT: linalg.generic
// CHECK: return %[[F]]#{{[01]}}, %[[F]]#{{[01]}}
func.func @shared(%x: tensor<1024xf32>, %y: tensor<1024xf32>) -> (tensor<1024xf32>, tensor<1024xf32>) {
  %e0 = tensor.empty() : tensor<1024xf32>
  %e = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : tensor<1024xf32>) outs(%e0 : tensor<1024xf32>) {
  ^bb0(%a: f32, %o: f32):
    %v = math.exp %a : f32
    linalg.yield %v : f32
  } -> tensor<1024xf32>
  %e1 = tensor.empty() : tensor<1024xf32>
  %s = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]}
      ins(%e, %y : tensor<1024xf32>, tensor<1024xf32>) outs(%e1 : tensor<1024xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %v = arith.addf %a, %b : f32
    linalg.yield %v : f32
  } -> tensor<1024xf32>
  return %s, %e : tensor<1024xf32>, tensor<1024xf32>
}

// -----

#id2 = affine_map<(i, j) -> (i, j)>

// The same, but the exp's input n is a product computed here that dies at
// the exp: fusing would keep n alive until the add (past the second
// matmul) while e stays, since the return needs it. Refused.
// REMARK: remark: fuse-elementwise: 2 -> 2 elementwise and reduction loop nests, 0 producers with several readers fused
// CHECK-LABEL: func.func @keeps_input_alive
// CHECK: %[[N:.*]] = linalg.matmul
// CHECK: %[[E:.*]] = linalg.generic {{.*}} ins(%[[N]] :
// CHECK:   math.exp
// CHECK: linalg.matmul
// CHECK: %[[S:.*]] = linalg.generic {{.*}} ins(%[[E]], %{{.*}} :
// CHECK:   arith.addf
// CHECK: return %[[S]], %[[E]],
func.func @keeps_input_alive(%a0: tensor<32x32xf32>, %y: tensor<32x32xf32>) -> (tensor<32x32xf32>, tensor<32x32xf32>, tensor<32x32xf32>) {
  %en = tensor.empty() : tensor<32x32xf32>
  %n = linalg.matmul ins(%a0, %a0 : tensor<32x32xf32>, tensor<32x32xf32>) outs(%en : tensor<32x32xf32>) -> tensor<32x32xf32>
  %e0 = tensor.empty() : tensor<32x32xf32>
  %e = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%n : tensor<32x32xf32>) outs(%e0 : tensor<32x32xf32>) {
  ^bb0(%a: f32, %o: f32):
    %v = math.exp %a : f32
    linalg.yield %v : f32
  } -> tensor<32x32xf32>
  %em = tensor.empty() : tensor<32x32xf32>
  %mm = linalg.matmul ins(%y, %y : tensor<32x32xf32>, tensor<32x32xf32>) outs(%em : tensor<32x32xf32>) -> tensor<32x32xf32>
  %e1 = tensor.empty() : tensor<32x32xf32>
  %s = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%e, %y : tensor<32x32xf32>, tensor<32x32xf32>) outs(%e1 : tensor<32x32xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %v = arith.addf %a, %b : f32
    linalg.yield %v : f32
  } -> tensor<32x32xf32>
  return %s, %e, %mm : tensor<32x32xf32>, tensor<32x32xf32>, tensor<32x32xf32>
}

// -----

// Sum of squares: the linalg.reduce is generalized and the square fuses
// into its loops (x is read once, no squared tensor).
// REMARK: remark: fuse-elementwise: 2 -> 1 elementwise and reduction loop nests, 0 producers with several readers fused
// CHECK-LABEL: func.func @sum_of_squares
// CHECK-NOT: linalg.reduce
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
// CHECK:   arith.mulf
// CHECK:   arith.addf
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @sum_of_squares(%x: tensor<16x64xf32>) -> tensor<16xf32> {
  %z = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<16x64xf32>
  %sq = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>],
                        iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<16x64xf32>) outs(%e0 : tensor<16x64xf32>) {
  ^bb0(%a: f32, %o: f32):
    %v = arith.mulf %a, %a : f32
    linalg.yield %v : f32
  } -> tensor<16x64xf32>
  %e1 = tensor.empty() : tensor<16xf32>
  %f = linalg.fill ins(%z : f32) outs(%e1 : tensor<16xf32>) -> tensor<16xf32>
  %r = linalg.reduce ins(%sq : tensor<16x64xf32>) outs(%f : tensor<16xf32>) dimensions = [1]
    (%a: f32, %acc: f32) {
      %s = arith.addf %a, %acc : f32
      linalg.yield %s : f32
    }
  return %r : tensor<16xf32>
}
