// The elementwise primitives of KilnMathOps.td and unsigned element types
// print and parse back to the same IR.
// RUN: kiln-opt %s | kiln-opt | FileCheck %s
// RUN: kiln-opt %s --mlir-print-op-generic | kiln-opt | FileCheck %s

// CHECK-LABEL: func.func @bitwise
// CHECK-SAME: (%[[A:.*]]: tensor<4xi1>, %[[U:.*]]: tensor<4xui8>, %[[I:.*]]: tensor<2x?xi32>)
func.func @bitwise(%a: tensor<4xi1>, %u: tensor<4xui8>, %i: tensor<2x?xi32>) {
  // CHECK: kiln.and %[[A]], %[[A]] : tensor<4xi1>
  %0 = kiln.and %a, %a : tensor<4xi1>
  // CHECK: kiln.or %[[U]], %[[U]] : tensor<4xui8>
  %1 = kiln.or %u, %u : tensor<4xui8>
  // CHECK: kiln.xor %[[I]], %[[I]] : tensor<2x?xi32>
  %2 = kiln.xor %i, %i : tensor<2x?xi32>
  // CHECK: kiln.shift_left %[[U]], %[[U]] : tensor<4xui8>
  %3 = kiln.shift_left %u, %u : tensor<4xui8>
  // CHECK: kiln.shift_right %[[I]], %[[I]] : tensor<2x?xi32>
  %4 = kiln.shift_right %i, %i : tensor<2x?xi32>
  return
}

// CHECK-LABEL: func.func @math
// CHECK-SAME: (%[[X:.*]]: tensor<3xf32>, %[[H:.*]]: tensor<3xf16>, %[[U:.*]]: tensor<3xui16>)
func.func @math(%x: tensor<3xf32>, %h: tensor<3xf16>, %u: tensor<3xui16>) {
  // CHECK: kiln.rem %[[X]], %[[X]] : tensor<3xf32>
  %0 = kiln.rem %x, %x : tensor<3xf32>
  // CHECK: kiln.rem %[[U]], %[[U]] : tensor<3xui16>
  %1 = kiln.rem %u, %u : tensor<3xui16>
  // CHECK: kiln.round %[[H]] : tensor<3xf16>
  %2 = kiln.round %h : tensor<3xf16>
  // CHECK: kiln.atan %[[X]] : tensor<3xf32>
  %3 = kiln.atan %x : tensor<3xf32>
  return
}

// Unsigned integers are numeric: arithmetic, compare, reductions, casts.
// CHECK-LABEL: func.func @unsigned
// CHECK-SAME: (%[[U:.*]]: tensor<2x3xui8>)
func.func @unsigned(%u: tensor<2x3xui8>) {
  // CHECK: kiln.div %[[U]], %[[U]] : tensor<2x3xui8>
  %0 = kiln.div %u, %u : tensor<2x3xui8>
  // CHECK: kiln.max %[[U]], %[[U]] : tensor<2x3xui8>
  %1 = kiln.max %u, %u : tensor<2x3xui8>
  // CHECK: kiln.compare lt, %[[U]], %[[U]] : tensor<2x3xui8>
  %2 = kiln.compare lt, %u, %u : tensor<2x3xui8>
  // CHECK: kiln.reduce_max %[[U]] {axes = array<i64: 1>, keep_dims = false} : tensor<2x3xui8> -> tensor<2xui8>
  %3 = kiln.reduce_max %u {axes = array<i64: 1>, keep_dims = false} : tensor<2x3xui8> -> tensor<2xui8>
  // CHECK: kiln.cast %[[U]] : tensor<2x3xui8> to tensor<2x3xf32>
  %4 = kiln.cast %u : tensor<2x3xui8> to tensor<2x3xf32>
  // CHECK: kiln.constant dense<255> : tensor<2xui8>
  %5 = kiln.constant dense<255> : tensor<2xui8>
  return
}
