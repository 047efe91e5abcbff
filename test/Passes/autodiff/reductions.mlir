// Gradient rules of reductions and softmax, as kiln-autodiff emits them.
// RUN: kiln-opt %s --kiln-autodiff 2>/dev/null | FileCheck %s

// reduce_mean without kept dims: scale by 1/count, reshape to the kept-dims
// shape, broadcast back.
// CHECK-LABEL: func.func @mean
// CHECK:         %[[SEED:.+]] = kiln.constant dense<1.000000e+00> : tensor<3xf32>
// CHECK:         %[[INV:.+]] = kiln.constant dense<1.250000e-01> : tensor<3xf32>
// CHECK:         %[[S:.+]] = kiln.mul %[[SEED]], %[[INV]]
// CHECK:         %[[K:.+]] = kiln.reshape %[[S]] : tensor<3xf32> to tensor<1x3x1xf32>
// CHECK:         %[[B:.+]] = kiln.broadcast %[[K]] : tensor<1x3x1xf32> to tensor<2x3x4xf32>
// CHECK:         return %[[B]]
func.func @mean(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %m = kiln.reduce_mean %x {axes = array<i64: 0, 2>, keep_dims = false} : tensor<2x3x4xf32> -> tensor<3xf32>
  %g = kiln.gradient %m wrt %x : tensor<3xf32> wrt tensor<2x3x4xf32>
  return %g : tensor<2x3x4xf32>
}

// reduce_max: to the elements equal to the maximum, split among ties.
// CHECK-LABEL: func.func @max
// CHECK-SAME:    (%[[X:.+]]: tensor<2x3xf32>)
// CHECK:         %[[M:.+]] = kiln.reduce_max %[[X]]
// CHECK:         %[[MK:.+]] = kiln.reshape %[[M]] : tensor<2xf32> to tensor<2x1xf32>
// CHECK:         %[[MB:.+]] = kiln.broadcast %[[MK]] : tensor<2x1xf32> to tensor<2x3xf32>
// CHECK:         %[[EQ:.+]] = kiln.compare eq, %[[X]], %[[MB]] : tensor<2x3xf32>
// CHECK:         %[[MASK:.+]] = kiln.cast %[[EQ]] : tensor<2x3xi1> to tensor<2x3xf32>
// CHECK:         %[[N:.+]] = kiln.reduce_sum %[[MASK]] {axes = array<i64: 1>, keep_dims = true}
// CHECK:         %[[SHARE:.+]] = kiln.div %{{.*}}, %[[N]] : tensor<2x1xf32>
// CHECK:         %[[SB:.+]] = kiln.broadcast %[[SHARE]] : tensor<2x1xf32> to tensor<2x3xf32>
// CHECK:         %[[G:.+]] = kiln.mul %[[MASK]], %[[SB]]
// CHECK:         return %[[G]]
func.func @max(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %m = kiln.reduce_max %x {axes = array<i64: 1>, keep_dims = false} : tensor<2x3xf32> -> tensor<2xf32>
  %g = kiln.gradient %m wrt %x : tensor<2xf32> wrt tensor<2x3xf32>
  return %g : tensor<2x3xf32>
}

// softmax: y * (g - sum(g * y)) along the axis.
// CHECK-LABEL: func.func @softmax
// CHECK-SAME:    (%[[X:.+]]: tensor<2x5xf32>, %[[D:.+]]: tensor<2x5xf32>)
// CHECK:         %[[Y:.+]] = kiln.softmax %[[X]] {axis = 1 : i64}
// CHECK:         %[[SEED:.+]] = kiln.constant dense<1.000000e+00>
// CHECK:         %[[G:.+]] = kiln.mul %[[SEED]], %[[D]]
// CHECK:         %[[GY:.+]] = kiln.mul %[[G]], %[[Y]]
// CHECK:         %[[DOT:.+]] = kiln.reduce_sum %[[GY]] {axes = array<i64: 1>, keep_dims = true} : tensor<2x5xf32> -> tensor<2x1xf32>
// CHECK:         %[[DB:.+]] = kiln.broadcast %[[DOT]] : tensor<2x1xf32> to tensor<2x5xf32>
// CHECK:         %[[C:.+]] = kiln.sub %[[G]], %[[DB]]
// CHECK:         %[[DX:.+]] = kiln.mul %[[Y]], %[[C]]
// CHECK:         return %[[DX]]
func.func @softmax(%x: tensor<2x5xf32>, %d: tensor<2x5xf32>) -> tensor<2x5xf32> {
  %y = kiln.softmax %x {axis = 1 : i64} : tensor<2x5xf32>
  %p = kiln.mul %y, %d : tensor<2x5xf32>
  %g = kiln.gradient %p wrt %x : tensor<2x5xf32> wrt tensor<2x5xf32>
  return %g : tensor<2x5xf32>
}

// log_softmax: g - exp(y) * sum(g).
// CHECK-LABEL: func.func @log_softmax
// CHECK:         %[[Y:.+]] = kiln.log_softmax
// CHECK:         %[[SEED:.+]] = kiln.constant dense<1.000000e+00> : tensor<2x5xf32>
// CHECK:         %[[S:.+]] = kiln.reduce_sum %[[SEED]] {axes = array<i64: 0>, keep_dims = true} : tensor<2x5xf32> -> tensor<1x5xf32>
// CHECK:         %[[SB:.+]] = kiln.broadcast %[[S]]
// CHECK:         %[[E:.+]] = kiln.exp %[[Y]]
// CHECK:         %[[P:.+]] = kiln.mul %[[E]], %[[SB]]
// CHECK:         %[[DX:.+]] = kiln.sub %[[SEED]], %[[P]]
// CHECK:         return %[[DX]]
func.func @log_softmax(%x: tensor<2x5xf32>) -> tensor<2x5xf32> {
  %y = kiln.log_softmax %x {axis = 0 : i64} : tensor<2x5xf32>
  %g = kiln.gradient %y wrt %x : tensor<2x5xf32> wrt tensor<2x5xf32>
  return %g : tensor<2x5xf32>
}
