// kiln-cpu-byte-masks: a mask written by one generic and read by another
// is stored as i8 (extui in the producer, trunci in the consumer), so that
// kiln-cpu-vectorize can vectorize both; an i1 tensor that is returned, or
// whose init the producer reads, stays i1.
// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-cpu-byte-masks))" | FileCheck %s
// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-cpu-byte-masks,kiln-cpu-vectorize{num-threads=1}))" | FileCheck %s --check-prefix=VEC

#id = affine_map<(i, j) -> (i, j)>
func.func @relu_mask(%x: tensor<8x64xf32>, %g: tensor<8x64xf32>) -> (tensor<8x64xf32>, tensor<8x64xf32>) {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x64xf32>
  %em = tensor.empty() : tensor<8x64xi1>
  %y:2 = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<8x64xf32>) outs(%e, %em : tensor<8x64xf32>, tensor<8x64xi1>) {
  ^bb0(%a: f32, %o: f32, %om: i1):
    %r = arith.maximumf %a, %z : f32
    %m = arith.cmpf ogt, %a, %z : f32
    linalg.yield %r, %m : f32, i1
  } -> (tensor<8x64xf32>, tensor<8x64xi1>)
  %e2 = tensor.empty() : tensor<8x64xf32>
  %dx = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y#1, %g : tensor<8x64xi1>, tensor<8x64xf32>) outs(%e2 : tensor<8x64xf32>) {
  ^bb0(%m: i1, %b: f32, %o: f32):
    %s = arith.select %m, %b, %z : f32
    linalg.yield %s : f32
  } -> tensor<8x64xf32>
  return %y#0, %dx : tensor<8x64xf32>, tensor<8x64xf32>
}
// CHECK-LABEL: func.func @relu_mask
// CHECK: %[[BYTES:.*]] = tensor.empty() : tensor<8x64xi8>
// CHECK: %[[Y:.*]]:2 = linalg.generic {{.*}} outs(%{{.*}}, %[[BYTES]] : tensor<8x64xf32>, tensor<8x64xi8>)
// CHECK:   %[[M:.*]] = arith.cmpf ogt
// CHECK:   %[[W:.*]] = arith.extui %[[M]] : i1 to i8
// CHECK:   linalg.yield %{{.*}}, %[[W]] : f32, i8
// CHECK: linalg.generic {{.*}} ins(%[[Y]]#1, %arg1 : tensor<8x64xi8>, tensor<8x64xf32>)
// CHECK: ^bb0(%[[B:.*]]: i8, %{{.*}}: f32, %{{.*}}: f32):
// CHECK:   %[[T:.*]] = arith.trunci %[[B]] : i8 to i1
// CHECK:   arith.select %[[T]]
// Both ops then vectorize: a byte vector out, a byte vector in.
// VEC-LABEL: func.func @relu_mask
// VEC: arith.extui %{{.*}} : vector<64xi1> to vector<64xi8>
// VEC: arith.trunci %{{.*}} : vector<64xi8> to vector<64xi1>

// -----

func.func @returned(%x: tensor<64xf32>) -> tensor<64xi1> {
  %z = arith.constant 0.0 : f32
  %em = tensor.empty() : tensor<64xi1>
  %m = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>], iterator_types = ["parallel"]}
      ins(%x : tensor<64xf32>) outs(%em : tensor<64xi1>) {
  ^bb0(%a: f32, %o: i1):
    %c = arith.cmpf ogt, %a, %z : f32
    linalg.yield %c : i1
  } -> tensor<64xi1>
  return %m : tensor<64xi1>
}
// CHECK-LABEL: func.func @returned
// CHECK-NOT: i8
// CHECK: return %{{.*}} : tensor<64xi1>

// -----

// A max-pool gradient reads the ReLU mask through an expand_shape (as
// [i, 2, j, 2]): the reshape takes the byte type too.
#id2 = affine_map<(i, j) -> (i, j)>
#win = affine_map<(i, a, j, b) -> (i, a, j, b)>
#pooled = affine_map<(i, a, j, b) -> (i, j)>
func.func @through_reshape(%x: tensor<8x8xf32>, %g: tensor<4x4xf32>) -> tensor<4x2x4x2xf32> {
  %z = arith.constant 0.0 : f32
  %em = tensor.empty() : tensor<8x8xi1>
  %m = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<8x8xf32>) outs(%em : tensor<8x8xi1>) {
  ^bb0(%a: f32, %om: i1):
    %c = arith.cmpf ogt, %a, %z : f32
    linalg.yield %c : i1
  } -> tensor<8x8xi1>
  %w = tensor.expand_shape %m [[0, 1], [2, 3]] output_shape [4, 2, 4, 2] : tensor<8x8xi1> into tensor<4x2x4x2xi1>
  %e = tensor.empty() : tensor<4x2x4x2xf32>
  %dx = linalg.generic {indexing_maps = [#win, #pooled, #win], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%w, %g : tensor<4x2x4x2xi1>, tensor<4x4xf32>) outs(%e : tensor<4x2x4x2xf32>) {
  ^bb0(%b: i1, %v: f32, %o: f32):
    %s = arith.select %b, %v, %z : f32
    linalg.yield %s : f32
  } -> tensor<4x2x4x2xf32>
  return %dx : tensor<4x2x4x2xf32>
}
// CHECK-LABEL: func.func @through_reshape
// CHECK: %[[M:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<8x8xi8>)
// CHECK: %[[W:.*]] = tensor.expand_shape %[[M]] {{.*}} : tensor<8x8xi8> into tensor<4x2x4x2xi8>
// CHECK: linalg.generic {{.*}} ins(%[[W]], %arg1 : tensor<4x2x4x2xi8>, tensor<4x4xf32>)
// CHECK:   arith.trunci %{{.*}} : i8 to i1
