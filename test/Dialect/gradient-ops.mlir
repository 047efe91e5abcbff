// The gradient ops (kiln.gradient, kiln.stop_gradient) and the backward
// primitives that gradient rules emit print and parse back to the same IR,
// in the custom and the generic form.
// RUN: kiln-opt %s | kiln-opt | FileCheck %s
// RUN: kiln-opt %s --mlir-print-op-generic | kiln-opt | FileCheck %s

// CHECK-LABEL: func.func @requests
func.func @requests(%x: tensor<4x8xf32>, %w: tensor<8x3xf32>, %l: tensor<f32>) -> (tensor<4x8xf32>, tensor<8x3xf32>, tensor<?xf32>) {
  // CHECK: kiln.gradient %{{.*}} wrt %{{.*}}, %{{.*}} : tensor<f32> wrt tensor<4x8xf32>, tensor<8x3xf32>
  %dx, %dw = kiln.gradient %l wrt %x, %w : tensor<f32> wrt tensor<4x8xf32>, tensor<8x3xf32>
  %d = kiln.constant dense<1.0> : tensor<f32>
  %b = kiln.broadcast %d : tensor<f32> to tensor<?xf32>
  // CHECK: kiln.stop_gradient %{{.*}} : tensor<?xf32>
  %s = kiln.stop_gradient %b : tensor<?xf32>
  return %dx, %dw, %s : tensor<4x8xf32>, tensor<8x3xf32>, tensor<?xf32>
}

// CHECK-LABEL: func.func @slice_backward
func.func @slice_backward(%g: tensor<2x3xf32>, %d: tensor<?x3xf32>) -> (tensor<5x7xf32>, tensor<?x9xf32>) {
  // CHECK: kiln.slice_backward %{{.*}} {offsets = array<i64: 1, 0>, strides = array<i64: 2, 3>} : tensor<2x3xf32> -> tensor<5x7xf32>
  %0 = kiln.slice_backward %g {offsets = array<i64: 1, 0>, strides = array<i64: 2, 3>} : tensor<2x3xf32> -> tensor<5x7xf32>
  // CHECK: kiln.slice_backward %{{.*}} {offsets = array<i64: 0, 2>, strides = array<i64: 1, 2>} : tensor<?x3xf32> -> tensor<?x9xf32>
  %1 = kiln.slice_backward %d {offsets = array<i64: 0, 2>, strides = array<i64: 1, 2>} : tensor<?x3xf32> -> tensor<?x9xf32>
  return %0, %1 : tensor<5x7xf32>, tensor<?x9xf32>
}

// CHECK-LABEL: func.func @scatter_add
func.func @scatter_add(%dest: tensor<10x4xf32>, %ids: tensor<2x3xi64>, %u: tensor<2x3x4xf32>, %di: tensor<?x5xi32>, %du: tensor<2x?x5xi32>) -> (tensor<10x4xf32>, tensor<2x3xi32>) {
  // CHECK: kiln.scatter_add %{{.*}}, %{{.*}}, %{{.*}} {axis = 0 : i64} : (tensor<10x4xf32>, tensor<2x3xi64>, tensor<2x3x4xf32>) -> tensor<10x4xf32>
  %0 = kiln.scatter_add %dest, %ids, %u {axis = 0 : i64} : (tensor<10x4xf32>, tensor<2x3xi64>, tensor<2x3x4xf32>) -> tensor<10x4xf32>
  %z = kiln.constant dense<0> : tensor<2x3xi32>
  // Integer data, dynamic index dims, a later axis.
  // CHECK: kiln.scatter_add %{{.*}}, %{{.*}}, %{{.*}} {axis = 1 : i64} : (tensor<2x3xi32>, tensor<?x5xi32>, tensor<2x?x5xi32>) -> tensor<2x3xi32>
  %1 = kiln.scatter_add %z, %di, %du {axis = 1 : i64} : (tensor<2x3xi32>, tensor<?x5xi32>, tensor<2x?x5xi32>) -> tensor<2x3xi32>
  return %0, %1 : tensor<10x4xf32>, tensor<2x3xi32>
}

// CHECK-LABEL: func.func @conv_gradients
func.func @conv_gradients(%x: tensor<2x4x7x6xf32>, %f: tensor<6x2x3x2xf32>, %dy: tensor<2x6x3x3xf32>) -> (tensor<2x4x7x6xf32>, tensor<6x2x3x2xf32>) {
  // CHECK: kiln.conv2d_backward_input %{{.*}}, %{{.*}} {dilations = array<i64: 2, 1>, groups = 2 : i64, padding = array<i64: 1, 1, 1, 0>, strides = array<i64: 2, 2>} : tensor<2x6x3x3xf32>, tensor<6x2x3x2xf32> -> tensor<2x4x7x6xf32>
  %dx = kiln.conv2d_backward_input %dy, %f {strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 0>, dilations = array<i64: 2, 1>, groups = 2 : i64}
      : tensor<2x6x3x3xf32>, tensor<6x2x3x2xf32> -> tensor<2x4x7x6xf32>
  // CHECK: kiln.conv2d_backward_filter %{{.*}}, %{{.*}} {dilations = array<i64: 2, 1>, groups = 2 : i64, padding = array<i64: 1, 1, 1, 0>, strides = array<i64: 2, 2>} : tensor<2x4x7x6xf32>, tensor<2x6x3x3xf32> -> tensor<6x2x3x2xf32>
  %df = kiln.conv2d_backward_filter %x, %dy {strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 0>, dilations = array<i64: 2, 1>, groups = 2 : i64}
      : tensor<2x4x7x6xf32>, tensor<2x6x3x3xf32> -> tensor<6x2x3x2xf32>
  return %dx, %df : tensor<2x4x7x6xf32>, tensor<6x2x3x2xf32>
}

// CHECK-LABEL: func.func @pool_gradients
func.func @pool_gradients(%x: tensor<?x2x5x6xf32>, %dy: tensor<?x2x3x3xf32>) -> (tensor<?x2x5x6xf32>, tensor<?x2x5x6xf32>) {
  // CHECK: kiln.max_pool2d_backward %{{.*}}, %{{.*}} {dilations = array<i64: 1, 2>, kernel = array<i64: 3, 2>, padding = array<i64: 1, 1, 1, 0>, strides = array<i64: 2, 2>} : tensor<?x2x5x6xf32>, tensor<?x2x3x3xf32>
  %0 = kiln.max_pool2d_backward %x, %dy {kernel = array<i64: 3, 2>, strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 0>, dilations = array<i64: 1, 2>}
      : tensor<?x2x5x6xf32>, tensor<?x2x3x3xf32>
  // CHECK: kiln.avg_pool2d_backward %{{.*}} {count_include_pad = true, dilations = array<i64: 1, 2>, kernel = array<i64: 3, 2>, padding = array<i64: 1, 1, 1, 0>, strides = array<i64: 2, 2>} : tensor<?x2x3x3xf32> -> tensor<?x2x5x6xf32>
  %1 = kiln.avg_pool2d_backward %dy {kernel = array<i64: 3, 2>, strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 0>, dilations = array<i64: 1, 2>, count_include_pad = true}
      : tensor<?x2x3x3xf32> -> tensor<?x2x5x6xf32>
  return %0, %1 : tensor<?x2x5x6xf32>, tensor<?x2x5x6xf32>
}
