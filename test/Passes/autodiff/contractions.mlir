// Gradient rules of matmul, conv2d and pooling: the backward primitives
// carry the forward attributes and the forward operands' types.
// RUN: kiln-opt %s --kiln-autodiff 2>/dev/null | FileCheck %s

// A linear layer y = x W + b with a dynamic batch, f = sum(y * dy) with dy
// held fixed by stop_gradient, so the gradient G of y is (ones * dy):
// dx = G W^T, dW = x^T G, db = G summed over the batch.
// CHECK-LABEL: func.func @linear
// CHECK-SAME:    (%[[X:.+]]: tensor<?x8xf32>, %[[W:.+]]: tensor<8x3xf32>, %[[B:.+]]: tensor<3xf32>, %[[DY:.+]]: tensor<?x3xf32>)
// CHECK:         %[[STOP:.+]] = kiln.stop_gradient %[[DY]]
// CHECK:         %[[ONES:.+]] = kiln.broadcast %{{.*}} : tensor<1x1xf32> to tensor<?x3xf32>
// CHECK:         %[[G:.+]] = kiln.mul %[[ONES]], %[[STOP]] : tensor<?x3xf32>
// CHECK:         %[[DB:.+]] = kiln.reduce_sum %[[G]] {axes = array<i64: 0>, keep_dims = false} : tensor<?x3xf32> -> tensor<3xf32>
// CHECK:         %[[WT:.+]] = kiln.transpose %[[W]] {permutation = array<i64: 1, 0>} : tensor<8x3xf32> -> tensor<3x8xf32>
// CHECK:         %[[DX:.+]] = kiln.matmul %[[G]], %[[WT]] : tensor<?x3xf32>, tensor<3x8xf32> -> tensor<?x8xf32>
// CHECK:         %[[XT:.+]] = kiln.transpose %[[X]] {permutation = array<i64: 1, 0>} : tensor<?x8xf32> -> tensor<8x?xf32>
// CHECK:         %[[DW:.+]] = kiln.matmul %[[XT]], %[[G]] : tensor<8x?xf32>, tensor<?x3xf32> -> tensor<8x3xf32>
// CHECK:         return %[[DX]], %[[DW]], %[[DB]]
func.func @linear(%x: tensor<?x8xf32>, %w: tensor<8x3xf32>, %b: tensor<3xf32>, %dy: tensor<?x3xf32>) -> (tensor<?x8xf32>, tensor<8x3xf32>, tensor<3xf32>) {
  %m = kiln.matmul %x, %w : tensor<?x8xf32>, tensor<8x3xf32> -> tensor<?x3xf32>
  %bb = kiln.broadcast %b : tensor<3xf32> to tensor<?x3xf32>
  %y = kiln.add %m, %bb : tensor<?x3xf32>
  %dys = kiln.stop_gradient %dy : tensor<?x3xf32>
  %p = kiln.mul %y, %dys : tensor<?x3xf32>
  %f = kiln.reduce_sum %p {axes = array<i64: 0, 1>, keep_dims = false} : tensor<?x3xf32> -> tensor<f32>
  %g:3 = kiln.gradient %f wrt %x, %w, %b : tensor<f32> wrt tensor<?x8xf32>, tensor<8x3xf32>, tensor<3xf32>
  return %g#0, %g#1, %g#2 : tensor<?x8xf32>, tensor<8x3xf32>, tensor<3xf32>
}

// CHECK-LABEL: func.func @conv
// CHECK-SAME:    (%[[X:.+]]: tensor<2x4x7x6xf32>, %[[F:.+]]: tensor<6x2x3x2xf32>)
// CHECK:         %[[SEED:.+]] = kiln.constant dense<1.000000e+00> : tensor<2x6x3x3xf32>
// CHECK:         %[[DX:.+]] = kiln.conv2d_backward_input %[[SEED]], %[[F]] {dilations = array<i64: 2, 1>, groups = 2 : i64, padding = array<i64: 1, 1, 1, 0>, strides = array<i64: 2, 2>} : tensor<2x6x3x3xf32>, tensor<6x2x3x2xf32> -> tensor<2x4x7x6xf32>
// CHECK:         %[[DF:.+]] = kiln.conv2d_backward_filter %[[X]], %[[SEED]] {dilations = array<i64: 2, 1>, groups = 2 : i64, padding = array<i64: 1, 1, 1, 0>, strides = array<i64: 2, 2>} : tensor<2x4x7x6xf32>, tensor<2x6x3x3xf32> -> tensor<6x2x3x2xf32>
// CHECK:         return %[[DX]], %[[DF]]
func.func @conv(%x: tensor<2x4x7x6xf32>, %f: tensor<6x2x3x2xf32>) -> (tensor<2x4x7x6xf32>, tensor<6x2x3x2xf32>) {
  %y = kiln.conv2d %x, %f {strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 0>, dilations = array<i64: 2, 1>, groups = 2 : i64}
      : tensor<2x4x7x6xf32>, tensor<6x2x3x2xf32> -> tensor<2x6x3x3xf32>
  %g:2 = kiln.gradient %y wrt %x, %f : tensor<2x6x3x3xf32> wrt tensor<2x4x7x6xf32>, tensor<6x2x3x2xf32>
  return %g#0, %g#1 : tensor<2x4x7x6xf32>, tensor<6x2x3x2xf32>
}

// CHECK-LABEL: func.func @pools
// CHECK-SAME:    (%[[X:.+]]: tensor<1x2x5x6xf32>)
// CHECK-DAG:     %[[DM:.+]] = kiln.max_pool2d_backward %[[X]], %{{.*}} {dilations = array<i64: 1, 2>, kernel = array<i64: 3, 2>, padding = array<i64: 1, 1, 1, 0>, strides = array<i64: 2, 2>} : tensor<1x2x5x6xf32>, tensor<1x2x3x3xf32>
// CHECK-DAG:     %[[DA:.+]] = kiln.avg_pool2d_backward %{{.*}} {count_include_pad = false, dilations = array<i64: 1, 2>, kernel = array<i64: 3, 2>, padding = array<i64: 1, 1, 1, 0>, strides = array<i64: 2, 2>} : tensor<1x2x3x3xf32> -> tensor<1x2x5x6xf32>
// CHECK:         kiln.add %[[DA]], %[[DM]]
func.func @pools(%x: tensor<1x2x5x6xf32>) -> tensor<1x2x5x6xf32> {
  %m = kiln.max_pool2d %x {kernel = array<i64: 3, 2>, strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 0>, dilations = array<i64: 1, 2>}
      : tensor<1x2x5x6xf32> -> tensor<1x2x3x3xf32>
  %a = kiln.avg_pool2d %x {kernel = array<i64: 3, 2>, strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 0>, dilations = array<i64: 1, 2>, count_include_pad = false}
      : tensor<1x2x5x6xf32> -> tensor<1x2x3x3xf32>
  %s = kiln.add %m, %a : tensor<1x2x3x3xf32>
  %g = kiln.gradient %s wrt %x : tensor<1x2x3x3xf32> wrt tensor<1x2x5x6xf32>
  return %g : tensor<1x2x5x6xf32>
}
