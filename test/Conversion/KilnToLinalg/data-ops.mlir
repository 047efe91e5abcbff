// RUN: kiln-opt %s --convert-kiln-to-linalg | FileCheck %s

// argmax: one generic reducing `axis` into a value and an index accumulator
// (index -1 = none yet); an element wins when it is larger (or a NaN over a
// number), or equal at a smaller index, so the visiting order does not
// matter. keep_dims expands the index tensor.
// CHECK-LABEL: func.func @argmax_f32
// CHECK:         %[[V0:.+]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<4xf32>)
// CHECK:         %[[NONE:.+]] = arith.constant -1 : i64
// CHECK:         %[[I0:.+]] = linalg.fill ins(%[[NONE]] : i64) outs(%{{.*}} : tensor<4xi64>)
// CHECK:         %[[R:.+]]:2 = linalg.generic
// CHECK-SAME:      iterator_types = ["parallel", "reduction"]
// CHECK-SAME:      ins(%{{.*}} : tensor<4x10xf32>) outs(%[[V0]], %[[I0]] : tensor<4xf32>, tensor<4xi64>)
// CHECK:           %[[POS:.+]] = linalg.index 1 : index
// CHECK:           arith.index_cast %[[POS]] : index to i64
// CHECK:           arith.cmpf uno
// CHECK:           arith.cmpf ogt
// CHECK:           arith.cmpf oeq
// CHECK:           arith.cmpi slt, %{{.*}}, %{{.*}} : i64
// CHECK:           %[[V:.+]] = arith.select %[[TAKE:.+]], %{{.*}}, %{{.*}} : f32
// CHECK:           %[[I:.+]] = arith.select %[[TAKE]], %[[POS_I64:.+]], %{{.*}} : i64
// CHECK:           linalg.yield %[[V]], %[[I]] : f32, i64
// CHECK:         tensor.expand_shape %[[R]]#1 {{\[}}[0, 1]] output_shape [4, 1] : tensor<4xi64> into tensor<4x1xi64>
func.func @argmax_f32(%x: tensor<4x10xf32>) -> tensor<4x1xi64> {
  %0 = kiln.argmax %x {axis = 1 : i64, keep_dims = true, select_last = false} : tensor<4x10xf32> -> tensor<4x1xi64>
  return %0 : tensor<4x1xi64>
}

// argmin on integers compares signed; select_last prefers the larger index
// among equals.
// CHECK-LABEL: func.func @argmin_i32_last
// CHECK:         %[[R:.+]]:2 = linalg.generic
// CHECK-SAME:      iterator_types = ["reduction", "parallel"]
// CHECK:           linalg.index 0 : index
// CHECK:           arith.cmpi slt, %{{.*}}, %{{.*}} : i32
// CHECK:           arith.cmpi eq, %{{.*}}, %{{.*}} : i32
// CHECK:           arith.cmpi sgt, %{{.*}}, %{{.*}} : i64
// CHECK:         return %[[R]]#1 : tensor<5xi64>
func.func @argmin_i32_last(%x: tensor<3x5xi32>) -> tensor<5xi64> {
  %0 = kiln.argmin %x {axis = 0 : i64, keep_dims = false, select_last = true} : tensor<3x5xi32> -> tensor<5xi64>
  return %0 : tensor<5xi64>
}
