// kiln-cpu-fuse-elementwise: elementwise producer-consumer fusion, refused
// where it would keep a larger input alive in place of a smaller result.
// RUN: kiln-opt %s -split-input-file \
// RUN:   --pass-pipeline="builtin.module(func.func(kiln-cpu-fuse-elementwise))" \
// RUN:   | FileCheck %s

#id = affine_map<(i) -> (i)>

// exp then add: x dies at exp either way, the result it removes is as
// large as x: fused into one generic.
func.func @chain(%x: tensor<1024xf32>) -> tensor<1024xf32> {
  %c1 = arith.constant 1.0 : f32
  %x2 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : tensor<1024xf32>) outs(%x : tensor<1024xf32>) {
  ^bb0(%a: f32, %o: f32):
    %n = arith.negf %a : f32
    linalg.yield %n : f32
  } -> tensor<1024xf32>
  %e0 = tensor.empty() : tensor<1024xf32>
  %y = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x2 : tensor<1024xf32>) outs(%e0 : tensor<1024xf32>) {
  ^bb0(%a: f32, %o: f32):
    %e = math.exp %a : f32
    linalg.yield %e : f32
  } -> tensor<1024xf32>
  %e1 = tensor.empty() : tensor<1024xf32>
  %z = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%y : tensor<1024xf32>) outs(%e1 : tensor<1024xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %c1 : f32
    linalg.yield %s : f32
  } -> tensor<1024xf32>
  return %z : tensor<1024xf32>
}
// CHECK-LABEL: func.func @chain
// CHECK: linalg.generic
// CHECK:   math.exp
// CHECK:   arith.addf
// CHECK-NOT: linalg.generic
// CHECK: return

// -----

#id2 = affine_map<(i, j) -> (i, j)>

// A ReLU mask computed in the forward pass (of a matmul's result x) and
// read by the backward after another matmul: fusing the compare into the
// select would keep the f32 x (4 KiB) alive through the second matmul
// instead of the 1 KiB mask. Refused; the mask stays a tensor of its own.
func.func @mask(%a: tensor<32x32xf32>, %b: tensor<32x32xf32>, %c: tensor<32x32xf32>, %g: tensor<32x32xf32>) -> (tensor<32x32xf32>, tensor<32x32xf32>) {
  %z = arith.constant 0.0 : f32
  %x = linalg.matmul ins(%a, %b : tensor<32x32xf32>, tensor<32x32xf32>) outs(%c : tensor<32x32xf32>) -> tensor<32x32xf32>
  %em = tensor.empty() : tensor<32x32xi8>
  %m = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<32x32xf32>) outs(%em : tensor<32x32xi8>) {
  ^bb0(%v: f32, %o: i8):
    %p = arith.cmpf ogt, %v, %z : f32
    %w = arith.extui %p : i1 to i8
    linalg.yield %w : i8
  } -> tensor<32x32xi8>
  %e2 = tensor.empty() : tensor<32x32xf32>
  %y = linalg.matmul ins(%a, %g : tensor<32x32xf32>, tensor<32x32xf32>) outs(%e2 : tensor<32x32xf32>) -> tensor<32x32xf32>
  %eg = tensor.empty() : tensor<32x32xf32>
  %dx = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%m, %y : tensor<32x32xi8>, tensor<32x32xf32>) outs(%eg : tensor<32x32xf32>) {
  ^bb0(%w: i8, %v: f32, %o: f32):
    %p = arith.trunci %w : i8 to i1
    %s = arith.select %p, %v, %z : f32
    linalg.yield %s : f32
  } -> tensor<32x32xf32>
  return %dx, %y : tensor<32x32xf32>, tensor<32x32xf32>
}
// CHECK-LABEL: func.func @mask
// CHECK: %[[X:.*]] = linalg.matmul
// CHECK: %[[M:.*]] = linalg.generic {{.*}} ins(%[[X]] : tensor<32x32xf32>) outs(%{{.*}} : tensor<32x32xi8>)
// CHECK:   arith.cmpf ogt
// CHECK: %[[Y:.*]] = linalg.matmul
// CHECK: linalg.generic {{.*}} ins(%[[M]], %[[Y]] : tensor<32x32xi8>, tensor<32x32xf32>)
