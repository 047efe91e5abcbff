// RUN: kiln-opt %s --convert-kiln-to-linalg | FileCheck %s

// CHECK-DAG: #[[ID:.+]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[KEPT:.+]] = affine_map<(d0, d1, d2) -> (d0, d2)>

// CHECK-LABEL: func.func @reduce_sum_keep_dims
// CHECK:         %[[Z:.+]] = arith.constant 0.000000e+00 : f32
// CHECK:         %[[E:.+]] = tensor.empty() : tensor<3xf32>
// CHECK:         %[[I:.+]] = linalg.fill ins(%[[Z]] : f32) outs(%[[E]] : tensor<3xf32>)
// CHECK:         %[[R:.+]] = linalg.reduce ins(%{{.*}} : tensor<2x3x4xf32>) outs(%[[I]] : tensor<3xf32>) dimensions = [0, 2]
// CHECK:           arith.addf
// CHECK:         tensor.expand_shape %[[R]] {{\[}}[0, 1, 2]] output_shape [1, 3, 1] : tensor<3xf32> into tensor<1x3x1xf32>
func.func @reduce_sum_keep_dims(%x: tensor<2x3x4xf32>) -> tensor<1x3x1xf32> {
  %r = kiln.reduce_sum %x {axes = array<i64: 0, 2>, keep_dims = true} : tensor<2x3x4xf32> -> tensor<1x3x1xf32>
  return %r : tensor<1x3x1xf32>
}

// Mean: the sum divided by the reduced element count.
// CHECK-LABEL: func.func @reduce_mean
// CHECK:         %[[S:.+]] = linalg.reduce
// CHECK:         %[[N:.+]] = arith.constant 1.200000e+01 : f32
// CHECK:         linalg.generic
// CHECK-SAME:      ins(%[[S]] : tensor<2xf32>)
// CHECK:           arith.divf %{{.*}}, %[[N]] : f32
func.func @reduce_mean(%x: tensor<2x3x4xf32>) -> tensor<2xf32> {
  %r = kiln.reduce_mean %x {axes = array<i64: 1, 2>, keep_dims = false} : tensor<2x3x4xf32> -> tensor<2xf32>
  return %r : tensor<2xf32>
}

// CHECK-LABEL: func.func @reduce_mean_int
// CHECK:         arith.constant 4 : i32
// CHECK:         arith.divsi
func.func @reduce_mean_int(%x: tensor<3x4xi32>) -> tensor<3xi32> {
  %r = kiln.reduce_mean %x {axes = array<i64: 1>, keep_dims = false} : tensor<3x4xi32> -> tensor<3xi32>
  return %r : tensor<3xi32>
}

// Max: from -inf with maximumf (NaN propagates); to rank 0.
// CHECK-LABEL: func.func @reduce_max_all
// CHECK:         %[[NINF:.+]] = arith.constant 0xFF800000 : f32
// CHECK:         %[[E:.+]] = tensor.empty() : tensor<f32>
// CHECK:         linalg.fill ins(%[[NINF]] : f32) outs(%[[E]] : tensor<f32>)
// CHECK:         linalg.reduce ins(%{{.*}} : tensor<2x3xf32>) outs(%{{.*}} : tensor<f32>) dimensions = [0, 1]
// CHECK:           arith.maximumf
func.func @reduce_max_all(%x: tensor<2x3xf32>) -> tensor<f32> {
  %r = kiln.reduce_max %x {axes = array<i64: 0, 1>, keep_dims = false} : tensor<2x3xf32> -> tensor<f32>
  return %r : tensor<f32>
}

// Integer max/min start from INT_MIN/INT_MAX and are signed.
// CHECK-LABEL: func.func @reduce_int
// CHECK:         arith.constant -2147483648 : i32
// CHECK:         arith.maxsi
// CHECK:         arith.constant 2147483647 : i32
// CHECK:         arith.minsi
// CHECK:         arith.constant 1 : i32
// CHECK:         arith.muli
func.func @reduce_int(%x: tensor<3x4xi32>) -> (tensor<4xi32>, tensor<4xi32>, tensor<4xi32>) {
  %0 = kiln.reduce_max %x {axes = array<i64: 0>, keep_dims = false} : tensor<3x4xi32> -> tensor<4xi32>
  %1 = kiln.reduce_min %x {axes = array<i64: 0>, keep_dims = false} : tensor<3x4xi32> -> tensor<4xi32>
  %2 = kiln.reduce_prod %x {axes = array<i64: 0>, keep_dims = false} : tensor<3x4xi32> -> tensor<4xi32>
  return %0, %1, %2 : tensor<4xi32>, tensor<4xi32>, tensor<4xi32>
}

// CHECK-LABEL: func.func @reduce_min_float
// CHECK:         arith.constant 0x7F800000 : f32
// CHECK:         arith.minimumf
func.func @reduce_min_float(%x: tensor<3x4xf32>) -> tensor<3xf32> {
  %r = kiln.reduce_min %x {axes = array<i64: 1>, keep_dims = false} : tensor<3x4xf32> -> tensor<3xf32>
  return %r : tensor<3xf32>
}

// Softmax: max along the axis, exp(x - max), sum, divide.
// CHECK-LABEL: func.func @softmax
// CHECK:         %[[MAX:.+]] = linalg.reduce ins(%[[X:.+]] : tensor<2x3x4xf32>) outs(%{{.*}} : tensor<2x4xf32>) dimensions = [1]
// CHECK:           arith.maximumf
// CHECK:         %[[EXP:.+]] = linalg.generic {indexing_maps = [#[[ID]], #[[KEPT]], #[[ID]]]
// CHECK-SAME:      ins(%[[X]], %[[MAX]] : tensor<2x3x4xf32>, tensor<2x4xf32>)
// CHECK:           arith.subf
// CHECK:           math.exp
// CHECK:         %[[SUM:.+]] = linalg.reduce ins(%[[EXP]] : tensor<2x3x4xf32>) outs(%{{.*}} : tensor<2x4xf32>) dimensions = [1]
// CHECK:           arith.addf
// CHECK:         linalg.generic {indexing_maps = [#[[ID]], #[[KEPT]], #[[ID]]]
// CHECK-SAME:      ins(%[[EXP]], %[[SUM]] : tensor<2x3x4xf32>, tensor<2x4xf32>)
// CHECK:           arith.divf
func.func @softmax(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %r = kiln.softmax %x {axis = 1 : i64} : tensor<2x3x4xf32>
  return %r : tensor<2x3x4xf32>
}

// Log-softmax: s = x - max; s - log(sum(exp(s))).
// CHECK-LABEL: func.func @log_softmax
// CHECK:         %[[MAX:.+]] = linalg.reduce
// CHECK:           arith.maximumf
// CHECK:         %[[S:.+]] = linalg.generic
// CHECK:           arith.subf
// CHECK:         %[[SUM:.+]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// CHECK-SAME:      ins(%[[S]] : tensor<2x3x4xf32>) outs(%{{.*}} : tensor<2x3xf32>)
// CHECK:           math.exp
// CHECK:           arith.addf
// CHECK:         linalg.generic
// CHECK-SAME:      ins(%[[S]], %[[SUM]] : tensor<2x3x4xf32>, tensor<2x3xf32>)
// CHECK:           math.log
// CHECK:           arith.subf
func.func @log_softmax(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %r = kiln.log_softmax %x {axis = 2 : i64} : tensor<2x3x4xf32>
  return %r : tensor<2x3x4xf32>
}
