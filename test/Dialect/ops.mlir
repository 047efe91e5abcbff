// Every kiln op prints and parses back to the same IR (custom assembly
// formats), with static and, where inference supports them, dynamic shapes.
// RUN: kiln-opt %s | kiln-opt | FileCheck %s
// RUN: kiln-opt %s --mlir-print-op-generic | kiln-opt | FileCheck %s

// CHECK-LABEL: func.func @constants
func.func @constants() -> (tensor<2xf32>, tensor<2x2xi64>, tensor<3xi1>) {
  // CHECK: kiln.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
  %0 = kiln.constant dense<[1.0, 2.0]> : tensor<2xf32>
  // CHECK: kiln.constant dense<7> : tensor<2x2xi64>
  %1 = kiln.constant dense<7> : tensor<2x2xi64>
  // CHECK: kiln.constant dense<[true, false, true]> : tensor<3xi1>
  %2 = kiln.constant dense<[true, false, true]> : tensor<3xi1>
  return %0, %1, %2 : tensor<2xf32>, tensor<2x2xi64>, tensor<3xi1>
}

// CHECK-LABEL: func.func @unary
// CHECK-SAME: (%[[X:.*]]: tensor<2x?xf32>, %[[I:.*]]: tensor<4xi32>)
func.func @unary(%x: tensor<2x?xf32>, %i: tensor<4xi32>) {
  // CHECK: kiln.neg %[[X]] : tensor<2x?xf32>
  %0 = kiln.neg %x : tensor<2x?xf32>
  // CHECK: kiln.neg %[[I]] : tensor<4xi32>
  %1 = kiln.neg %i : tensor<4xi32>
  // CHECK: kiln.abs %[[X]] : tensor<2x?xf32>
  %2 = kiln.abs %x : tensor<2x?xf32>
  // CHECK: kiln.abs %[[I]] : tensor<4xi32>
  %3 = kiln.abs %i : tensor<4xi32>
  // CHECK: kiln.relu %[[X]] : tensor<2x?xf32>
  %4 = kiln.relu %x : tensor<2x?xf32>
  // CHECK: kiln.relu %[[I]] : tensor<4xi32>
  %5 = kiln.relu %i : tensor<4xi32>
  // CHECK: kiln.exp %[[X]] : tensor<2x?xf32>
  %6 = kiln.exp %x : tensor<2x?xf32>
  // CHECK: kiln.log %[[X]] : tensor<2x?xf32>
  %7 = kiln.log %x : tensor<2x?xf32>
  // CHECK: kiln.sqrt %[[X]] : tensor<2x?xf32>
  %8 = kiln.sqrt %x : tensor<2x?xf32>
  // CHECK: kiln.rsqrt %[[X]] : tensor<2x?xf32>
  %9 = kiln.rsqrt %x : tensor<2x?xf32>
  // CHECK: kiln.reciprocal %[[X]] : tensor<2x?xf32>
  %10 = kiln.reciprocal %x : tensor<2x?xf32>
  // CHECK: kiln.tanh %[[X]] : tensor<2x?xf32>
  %11 = kiln.tanh %x : tensor<2x?xf32>
  // CHECK: kiln.sigmoid %[[X]] : tensor<2x?xf32>
  %12 = kiln.sigmoid %x : tensor<2x?xf32>
  // CHECK: kiln.erf %[[X]] : tensor<2x?xf32>
  %13 = kiln.erf %x : tensor<2x?xf32>
  // CHECK: kiln.floor %[[X]] : tensor<2x?xf32>
  %14 = kiln.floor %x : tensor<2x?xf32>
  // CHECK: kiln.ceil %[[X]] : tensor<2x?xf32>
  %15 = kiln.ceil %x : tensor<2x?xf32>
  // CHECK: kiln.sin %[[X]] : tensor<2x?xf32>
  %16 = kiln.sin %x : tensor<2x?xf32>
  // CHECK: kiln.cos %[[X]] : tensor<2x?xf32>
  %17 = kiln.cos %x : tensor<2x?xf32>
  return
}

// CHECK-LABEL: func.func @binary
// CHECK-SAME: (%[[A:.*]]: tensor<?x3xf32>, %[[B:.*]]: tensor<?x3xf32>, %[[I:.*]]: tensor<5xi64>, %[[J:.*]]: tensor<5xi64>)
func.func @binary(%a: tensor<?x3xf32>, %b: tensor<?x3xf32>, %i: tensor<5xi64>, %j: tensor<5xi64>) {
  // CHECK: kiln.add %[[A]], %[[B]] : tensor<?x3xf32>
  %0 = kiln.add %a, %b : tensor<?x3xf32>
  // CHECK: kiln.add %[[I]], %[[J]] : tensor<5xi64>
  %1 = kiln.add %i, %j : tensor<5xi64>
  // CHECK: kiln.sub %[[A]], %[[B]] : tensor<?x3xf32>
  %2 = kiln.sub %a, %b : tensor<?x3xf32>
  // CHECK: kiln.mul %[[A]], %[[B]] : tensor<?x3xf32>
  %3 = kiln.mul %a, %b : tensor<?x3xf32>
  // CHECK: kiln.div %[[I]], %[[J]] : tensor<5xi64>
  %4 = kiln.div %i, %j : tensor<5xi64>
  // CHECK: kiln.div %[[A]], %[[B]] : tensor<?x3xf32>
  %5 = kiln.div %a, %b : tensor<?x3xf32>
  // CHECK: kiln.pow %[[A]], %[[B]] : tensor<?x3xf32>
  %6 = kiln.pow %a, %b : tensor<?x3xf32>
  // CHECK: kiln.max %[[A]], %[[B]] : tensor<?x3xf32>
  %7 = kiln.max %a, %b : tensor<?x3xf32>
  // CHECK: kiln.min %[[I]], %[[J]] : tensor<5xi64>
  %8 = kiln.min %i, %j : tensor<5xi64>
  return
}

// CHECK-LABEL: func.func @compare_select_cast
func.func @compare_select_cast(%a: tensor<?x3xf32>, %b: tensor<?x3xf32>, %i: tensor<4xi32>)
    -> (tensor<?x3xi1>, tensor<4xi1>, tensor<?x3xf32>, tensor<4xf32>, tensor<4xi1>, tensor<?x3xf16>) {
  // CHECK: %[[M:.*]] = kiln.compare gt, %{{.*}}, %{{.*}} : tensor<?x3xf32>
  %m = kiln.compare gt, %a, %b : tensor<?x3xf32>
  // CHECK: kiln.compare eq, %{{.*}}, %{{.*}} : tensor<4xi32>
  %e = kiln.compare eq, %i, %i : tensor<4xi32>
  // CHECK: kiln.compare ne
  %c1 = kiln.compare ne, %a, %b : tensor<?x3xf32>
  // CHECK: kiln.compare lt
  %c2 = kiln.compare lt, %a, %b : tensor<?x3xf32>
  // CHECK: kiln.compare le
  %c3 = kiln.compare le, %a, %b : tensor<?x3xf32>
  // CHECK: kiln.compare ge
  %c4 = kiln.compare ge, %a, %b : tensor<?x3xf32>
  // CHECK: kiln.select %[[M]], %{{.*}}, %{{.*}} : tensor<?x3xi1>, tensor<?x3xf32>
  %s = kiln.select %m, %a, %b : tensor<?x3xi1>, tensor<?x3xf32>
  // CHECK: kiln.cast %{{.*}} : tensor<4xi32> to tensor<4xf32>
  %f = kiln.cast %i : tensor<4xi32> to tensor<4xf32>
  // CHECK: kiln.cast %{{.*}} : tensor<4xi32> to tensor<4xi1>
  %t = kiln.cast %i : tensor<4xi32> to tensor<4xi1>
  // CHECK: kiln.cast %{{.*}} : tensor<?x3xf32> to tensor<?x3xf16>
  %h = kiln.cast %a : tensor<?x3xf32> to tensor<?x3xf16>
  return %m, %e, %s, %f, %t, %h : tensor<?x3xi1>, tensor<4xi1>, tensor<?x3xf32>, tensor<4xf32>, tensor<4xi1>, tensor<?x3xf16>
}

// CHECK-LABEL: func.func @shapes
func.func @shapes(%v: tensor<16xf32>, %x: tensor<2x3x4xf32>, %d: tensor<?x3xf32>) {
  // CHECK: kiln.broadcast %{{.*}} : tensor<16xf32> to tensor<4x16xf32>
  %0 = kiln.broadcast %v : tensor<16xf32> to tensor<4x16xf32>
  // CHECK: kiln.broadcast %{{.*}} : tensor<?x3xf32> to tensor<2x?x3xf32>
  %1 = kiln.broadcast %d : tensor<?x3xf32> to tensor<2x?x3xf32>
  // CHECK: kiln.reshape %{{.*}} : tensor<2x3x4xf32> to tensor<6x4xf32>
  %2 = kiln.reshape %x : tensor<2x3x4xf32> to tensor<6x4xf32>
  // CHECK: kiln.reshape %{{.*}} : tensor<?x3xf32> to tensor<?xf32>
  %3 = kiln.reshape %d : tensor<?x3xf32> to tensor<?xf32>
  // CHECK: kiln.transpose %{{.*}} {permutation = array<i64: 2, 0, 1>} : tensor<2x3x4xf32> -> tensor<4x2x3xf32>
  %4 = kiln.transpose %x {permutation = array<i64: 2, 0, 1>} : tensor<2x3x4xf32> -> tensor<4x2x3xf32>
  // CHECK: kiln.transpose %{{.*}} {permutation = array<i64: 1, 0>} : tensor<?x3xf32> -> tensor<3x?xf32>
  %5 = kiln.transpose %d {permutation = array<i64: 1, 0>} : tensor<?x3xf32> -> tensor<3x?xf32>
  // CHECK: kiln.slice %{{.*}} {offsets = array<i64: 0, 1, 0>, sizes = array<i64: 2, 1, 2>, strides = array<i64: 1, 1, 3>} : tensor<2x3x4xf32> -> tensor<2x1x2xf32>
  %6 = kiln.slice %x {offsets = array<i64: 0, 1, 0>, sizes = array<i64: 2, 1, 2>, strides = array<i64: 1, 1, 3>} : tensor<2x3x4xf32> -> tensor<2x1x2xf32>
  // An empty slice may start anywhere, even past the end.
  // CHECK: kiln.slice %{{.*}} {offsets = array<i64: 0, 7, 0>, sizes = array<i64: 2, 0, 4>, strides = array<i64: 1, 1, 1>} : tensor<2x3x4xf32> -> tensor<2x0x4xf32>
  %e = kiln.slice %x {offsets = array<i64: 0, 7, 0>, sizes = array<i64: 2, 0, 4>, strides = array<i64: 1, 1, 1>} : tensor<2x3x4xf32> -> tensor<2x0x4xf32>
  // The last element read is exactly the last one: 1 + (2 - 1) * 2 = 3.
  // CHECK: kiln.slice %{{.*}} {offsets = array<i64: 0, 0, 1>, sizes = array<i64: 2, 3, 2>, strides = array<i64: 1, 1, 2>} : tensor<2x3x4xf32> -> tensor<2x3x2xf32>
  %f = kiln.slice %x {offsets = array<i64: 0, 0, 1>, sizes = array<i64: 2, 3, 2>, strides = array<i64: 1, 1, 2>} : tensor<2x3x4xf32> -> tensor<2x3x2xf32>
  // CHECK: kiln.concat %{{.*}}, %{{.*}} {axis = 1 : i64} : (tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x6x4xf32>
  %7 = kiln.concat %x, %x {axis = 1 : i64} : (tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x6x4xf32>
  // CHECK: kiln.concat %{{.*}}, %{{.*}} {axis = 0 : i64} : (tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<?x3xf32>
  %8 = kiln.concat %d, %d {axis = 0 : i64} : (tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<?x3xf32>
  // CHECK: kiln.concat %{{.*}} {axis = 0 : i64} : (tensor<16xf32>) -> tensor<16xf32>
  %9 = kiln.concat %v {axis = 0 : i64} : (tensor<16xf32>) -> tensor<16xf32>
  // CHECK: kiln.pad %{{.*}} {high = array<i64: 0, 2, 1>, low = array<i64: 1, 0, 0>, value = 0.000000e+00 : f32} : tensor<2x3x4xf32> -> tensor<3x5x5xf32>
  %10 = kiln.pad %x {low = array<i64: 1, 0, 0>, high = array<i64: 0, 2, 1>, value = 0.0 : f32} : tensor<2x3x4xf32> -> tensor<3x5x5xf32>
  // CHECK: kiln.pad %{{.*}} {{.*}} : tensor<?x3xf32> -> tensor<?x5xf32>
  %11 = kiln.pad %d {low = array<i64: 0, 1>, high = array<i64: 0, 1>, value = -1.0 : f32} : tensor<?x3xf32> -> tensor<?x5xf32>
  return
}

// CHECK-LABEL: func.func @gather
func.func @gather(%data: tensor<5x4x3xf32>, %idx: tensor<2x2xi64>, %idx32: tensor<?xi32>) {
  // CHECK: kiln.gather %{{.*}}, %{{.*}} {axis = 1 : i64} : (tensor<5x4x3xf32>, tensor<2x2xi64>) -> tensor<5x2x2x3xf32>
  %0 = kiln.gather %data, %idx {axis = 1 : i64} : (tensor<5x4x3xf32>, tensor<2x2xi64>) -> tensor<5x2x2x3xf32>
  // CHECK: kiln.gather %{{.*}}, %{{.*}} {axis = 0 : i64} : (tensor<5x4x3xf32>, tensor<?xi32>) -> tensor<?x4x3xf32>
  %1 = kiln.gather %data, %idx32 {axis = 0 : i64} : (tensor<5x4x3xf32>, tensor<?xi32>) -> tensor<?x4x3xf32>
  return
}

// CHECK-LABEL: func.func @contractions
func.func @contractions(%a: tensor<2x3x4xf32>, %b: tensor<2x4x5xf32>, %da: tensor<?x8xf32>, %db: tensor<8x?xf32>,
                        %ia: tensor<3x4xi32>, %ib: tensor<4x2xi32>) {
  // CHECK: kiln.matmul %{{.*}}, %{{.*}} : tensor<2x3x4xf32>, tensor<2x4x5xf32> -> tensor<2x3x5xf32>
  %0 = kiln.matmul %a, %b : tensor<2x3x4xf32>, tensor<2x4x5xf32> -> tensor<2x3x5xf32>
  // CHECK: kiln.matmul %{{.*}}, %{{.*}} : tensor<?x8xf32>, tensor<8x?xf32> -> tensor<?x?xf32>
  %1 = kiln.matmul %da, %db : tensor<?x8xf32>, tensor<8x?xf32> -> tensor<?x?xf32>
  // CHECK: kiln.matmul %{{.*}}, %{{.*}} : tensor<3x4xi32>, tensor<4x2xi32> -> tensor<3x2xi32>
  %2 = kiln.matmul %ia, %ib : tensor<3x4xi32>, tensor<4x2xi32> -> tensor<3x2xi32>
  return
}

// CHECK-LABEL: func.func @conv_and_pool
func.func @conv_and_pool(%x: tensor<1x4x7x5xf32>, %w: tensor<8x2x3x3xf32>, %dx: tensor<?x4x8x8xf32>, %dw: tensor<4x4x3x3xf32>) {
  // CHECK: kiln.conv2d %{{.*}}, %{{.*}} {dilations = array<i64: 1, 1>, groups = 2 : i64, padding = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : tensor<1x4x7x5xf32>, tensor<8x2x3x3xf32> -> tensor<1x8x4x3xf32>
  %0 = kiln.conv2d %x, %w {strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, groups = 2 : i64} : tensor<1x4x7x5xf32>, tensor<8x2x3x3xf32> -> tensor<1x8x4x3xf32>
  // CHECK: kiln.conv2d {{.*}} : tensor<?x4x8x8xf32>, tensor<4x4x3x3xf32> -> tensor<?x4x4x4xf32>
  %1 = kiln.conv2d %dx, %dw {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilations = array<i64: 2, 2>, groups = 1 : i64} : tensor<?x4x8x8xf32>, tensor<4x4x3x3xf32> -> tensor<?x4x4x4xf32>
  // CHECK: kiln.max_pool2d %{{.*}} {dilations = array<i64: 1, 1>, kernel = array<i64: 3, 3>, padding = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : tensor<1x4x7x5xf32> -> tensor<1x4x4x3xf32>
  %2 = kiln.max_pool2d %x {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : tensor<1x4x7x5xf32> -> tensor<1x4x4x3xf32>
  // CHECK: kiln.avg_pool2d %{{.*}} {count_include_pad = true, dilations = array<i64: 1, 1>, kernel = array<i64: 2, 2>, padding = array<i64: 0, 0, 1, 1>, strides = array<i64: 1, 1>} : tensor<?x4x8x8xf32> -> tensor<?x4x8x8xf32>
  %3 = kiln.avg_pool2d %dx {kernel = array<i64: 2, 2>, strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 1, 1>, dilations = array<i64: 1, 1>, count_include_pad = true} : tensor<?x4x8x8xf32> -> tensor<?x4x8x8xf32>
  // CHECK: kiln.avg_pool2d {{.*}}count_include_pad = false{{.*}} : tensor<1x4x7x5xf32> -> tensor<1x4x3x2xf32>
  %4 = kiln.avg_pool2d %x {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, count_include_pad = false} : tensor<1x4x7x5xf32> -> tensor<1x4x3x2xf32>
  return
}

// CHECK-LABEL: func.func @reductions
func.func @reductions(%x: tensor<?x3x4xf32>, %i: tensor<2x3xi64>) {
  // CHECK: kiln.reduce_sum %{{.*}} {axes = array<i64: 1, 2>, keep_dims = true} : tensor<?x3x4xf32> -> tensor<?x1x1xf32>
  %0 = kiln.reduce_sum %x {axes = array<i64: 1, 2>, keep_dims = true} : tensor<?x3x4xf32> -> tensor<?x1x1xf32>
  // CHECK: kiln.reduce_mean %{{.*}} {axes = array<i64: 2>, keep_dims = false} : tensor<?x3x4xf32> -> tensor<?x3xf32>
  %1 = kiln.reduce_mean %x {axes = array<i64: 2>, keep_dims = false} : tensor<?x3x4xf32> -> tensor<?x3xf32>
  // CHECK: kiln.reduce_max %{{.*}} {axes = array<i64: 0>, keep_dims = false} : tensor<?x3x4xf32> -> tensor<3x4xf32>
  %2 = kiln.reduce_max %x {axes = array<i64: 0>, keep_dims = false} : tensor<?x3x4xf32> -> tensor<3x4xf32>
  // CHECK: kiln.reduce_min %{{.*}} {axes = array<i64: 0, 1>, keep_dims = false} : tensor<2x3xi64> -> tensor<i64>
  %3 = kiln.reduce_min %i {axes = array<i64: 0, 1>, keep_dims = false} : tensor<2x3xi64> -> tensor<i64>
  // CHECK: kiln.reduce_prod %{{.*}} {axes = array<i64: 1>, keep_dims = true} : tensor<2x3xi64> -> tensor<2x1xi64>
  %4 = kiln.reduce_prod %i {axes = array<i64: 1>, keep_dims = true} : tensor<2x3xi64> -> tensor<2x1xi64>
  // CHECK: kiln.reduce_sum %{{.*}} {axes = array<i64>, keep_dims = false} : tensor<2x3xi64> -> tensor<2x3xi64>
  %5 = kiln.reduce_sum %i {axes = array<i64>, keep_dims = false} : tensor<2x3xi64> -> tensor<2x3xi64>
  return
}

// CHECK-LABEL: func.func @softmax
func.func @softmax(%x: tensor<?x10xf32>) -> (tensor<?x10xf32>, tensor<?x10xf32>) {
  // CHECK: kiln.softmax %{{.*}} {axis = 1 : i64} : tensor<?x10xf32>
  %0 = kiln.softmax %x {axis = 1 : i64} : tensor<?x10xf32>
  // CHECK: kiln.log_softmax %{{.*}} {axis = 0 : i64} : tensor<?x10xf32>
  %1 = kiln.log_softmax %x {axis = 0 : i64} : tensor<?x10xf32>
  return %0, %1 : tensor<?x10xf32>, tensor<?x10xf32>
}
