// Gradient rules of the shape and data-movement ops, as kiln-autodiff
// emits them (before any canonicalization).
// RUN: kiln-opt %s --kiln-autodiff 2>/dev/null | FileCheck %s

// A bias broadcast over the batch: its gradient sums the batch away.
// CHECK-LABEL: func.func @bias_broadcast
// CHECK:         %[[SEED:.+]] = kiln.constant dense<1.000000e+00> : tensor<4x3xf32>
// CHECK:         %[[SUM:.+]] = kiln.reduce_sum %[[SEED]] {axes = array<i64: 0>, keep_dims = false} : tensor<4x3xf32> -> tensor<3xf32>
// CHECK:         return %[[SUM]]
func.func @bias_broadcast(%b: tensor<3xf32>) -> tensor<3xf32> {
  %y = kiln.broadcast %b : tensor<3xf32> to tensor<4x3xf32>
  %g = kiln.gradient %y wrt %b : tensor<4x3xf32> wrt tensor<3xf32>
  return %g : tensor<3xf32>
}

// Unit dimensions that grow are summed too, then reshaped back.
// CHECK-LABEL: func.func @unit_dims
// CHECK:         %[[SUM:.+]] = kiln.reduce_sum %{{.*}} {axes = array<i64: 0, 2>, keep_dims = false} : tensor<2x3x5xf32> -> tensor<3xf32>
// CHECK:         %[[R:.+]] = kiln.reshape %[[SUM]] : tensor<3xf32> to tensor<3x1xf32>
// CHECK:         return %[[R]]
func.func @unit_dims(%x: tensor<3x1xf32>) -> tensor<3x1xf32> {
  %y = kiln.broadcast %x : tensor<3x1xf32> to tensor<2x3x5xf32>
  %g = kiln.gradient %y wrt %x : tensor<2x3x5xf32> wrt tensor<3x1xf32>
  return %g : tensor<3x1xf32>
}

// transpose -> the inverse permutation; reshape -> reshape back.
// CHECK-LABEL: func.func @transpose_reshape
// CHECK:         %[[R:.+]] = kiln.reshape %{{.*}} : tensor<4x6xf32> to tensor<4x2x3xf32>
// CHECK:         %[[T:.+]] = kiln.transpose %[[R]] {permutation = array<i64: 1, 2, 0>} : tensor<4x2x3xf32> -> tensor<2x3x4xf32>
// CHECK:         return %[[T]]
func.func @transpose_reshape(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %t = kiln.transpose %x {permutation = array<i64: 2, 0, 1>} : tensor<2x3x4xf32> -> tensor<4x2x3xf32>
  %r = kiln.reshape %t : tensor<4x2x3xf32> to tensor<4x6xf32>
  %g = kiln.gradient %r wrt %x : tensor<4x6xf32> wrt tensor<2x3x4xf32>
  return %g : tensor<2x3x4xf32>
}

// A unit-stride slice's gradient is a zero pad; a strided one needs
// kiln.slice_backward.
// CHECK-LABEL: func.func @slices
// CHECK-DAG:     %[[PAD:.+]] = kiln.pad %{{.*}} {high = array<i64: 1, 1>, low = array<i64: 1, 2>, value = 0.000000e+00 : f32} : tensor<3x4xf32> -> tensor<5x7xf32>
// CHECK-DAG:     %[[SB:.+]] = kiln.slice_backward %{{.*}} {offsets = array<i64: 1, 0>, strides = array<i64: 2, 3>} : tensor<2x3xf32> -> tensor<5x7xf32>
// CHECK:         kiln.add %[[SB]], %[[PAD]]
func.func @slices(%x: tensor<5x7xf32>) -> tensor<5x7xf32> {
  %a = kiln.slice %x {offsets = array<i64: 1, 2>, sizes = array<i64: 3, 4>, strides = array<i64: 1, 1>} : tensor<5x7xf32> -> tensor<3x4xf32>
  %b = kiln.slice %x {offsets = array<i64: 1, 0>, sizes = array<i64: 2, 3>, strides = array<i64: 2, 3>} : tensor<5x7xf32> -> tensor<2x3xf32>
  %sa = kiln.reduce_sum %a {axes = array<i64: 0, 1>, keep_dims = false} : tensor<3x4xf32> -> tensor<f32>
  %sb = kiln.reduce_sum %b {axes = array<i64: 0, 1>, keep_dims = false} : tensor<2x3xf32> -> tensor<f32>
  %s = kiln.add %sa, %sb : tensor<f32>
  %g = kiln.gradient %s wrt %x : tensor<f32> wrt tensor<5x7xf32>
  return %g : tensor<5x7xf32>
}

// concat -> one slice per input; pad -> slice.
// CHECK-LABEL: func.func @concat_pad
// CHECK:         %[[S0:.+]] = kiln.slice %{{.*}} {offsets = array<i64: 0, 0>, sizes = array<i64: 2, 3>, strides = array<i64: 1, 1>} : tensor<2x5xf32> -> tensor<2x3xf32>
// CHECK:         %[[S1:.+]] = kiln.slice %{{.*}} {offsets = array<i64: 0, 3>, sizes = array<i64: 2, 2>, strides = array<i64: 1, 1>} : tensor<2x5xf32> -> tensor<2x2xf32>
// CHECK:         %[[P:.+]] = kiln.slice %[[S1]] {offsets = array<i64: 0, 1>, sizes = array<i64: 2, 1>, strides = array<i64: 1, 1>} : tensor<2x2xf32> -> tensor<2x1xf32>
// CHECK:         return %[[S0]], %[[P]]
func.func @concat_pad(%a: tensor<2x3xf32>, %b: tensor<2x1xf32>) -> (tensor<2x3xf32>, tensor<2x1xf32>) {
  %p = kiln.pad %b {low = array<i64: 0, 1>, high = array<i64: 0, 0>, value = 0.0 : f32} : tensor<2x1xf32> -> tensor<2x2xf32>
  %c = kiln.concat %a, %p {axis = 1 : i64} : (tensor<2x3xf32>, tensor<2x2xf32>) -> tensor<2x5xf32>
  %g:2 = kiln.gradient %c wrt %a, %b : tensor<2x5xf32> wrt tensor<2x3xf32>, tensor<2x1xf32>
  return %g#0, %g#1 : tensor<2x3xf32>, tensor<2x1xf32>
}

// gather (an embedding lookup) -> scatter_add into zeros; the integer
// indices get nothing.
// CHECK-LABEL: func.func @embedding
// CHECK-SAME:    (%[[TABLE:.+]]: tensor<10x4xf32>, %[[IDS:.+]]: tensor<3xi64>)
// CHECK:         %[[SEED:.+]] = kiln.constant dense<1.000000e+00> : tensor<3x4xf32>
// CHECK:         %[[ZERO:.+]] = kiln.constant dense<0.000000e+00> : tensor<10x4xf32>
// CHECK:         %[[D:.+]] = kiln.scatter_add %[[ZERO]], %[[IDS]], %[[SEED]] {axis = 0 : i64} : (tensor<10x4xf32>, tensor<3xi64>, tensor<3x4xf32>) -> tensor<10x4xf32>
// CHECK:         return %[[D]]
func.func @embedding(%table: tensor<10x4xf32>, %ids: tensor<3xi64>) -> tensor<10x4xf32> {
  %e = kiln.gather %table, %ids {axis = 0 : i64} : (tensor<10x4xf32>, tensor<3xi64>) -> tensor<3x4xf32>
  %g = kiln.gradient %e wrt %table : tensor<3x4xf32> wrt tensor<10x4xf32>
  return %g : tensor<10x4xf32>
}
