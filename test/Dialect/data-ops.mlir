// The ops of KilnDataOps.td print and parse back to the same IR, and infer
// their result types (static and dynamic shapes).
// RUN: kiln-opt %s | kiln-opt | FileCheck %s
// RUN: kiln-opt %s --mlir-print-op-generic | kiln-opt | FileCheck %s

// CHECK-LABEL: func.func @arg_reductions
// CHECK-SAME: (%[[X:.*]]: tensor<4x10xf32>, %[[D:.*]]: tensor<?x3xi32>)
func.func @arg_reductions(%x: tensor<4x10xf32>, %d: tensor<?x3xi32>) {
  // CHECK: kiln.argmax %[[X]] {axis = 1 : i64, keep_dims = false, select_last = false} : tensor<4x10xf32> -> tensor<4xi64>
  %0 = kiln.argmax %x {axis = 1 : i64, keep_dims = false, select_last = false} : tensor<4x10xf32> -> tensor<4xi64>
  // CHECK: kiln.argmin %[[X]] {axis = 0 : i64, keep_dims = true, select_last = true} : tensor<4x10xf32> -> tensor<1x10xi64>
  %1 = kiln.argmin %x {axis = 0 : i64, keep_dims = true, select_last = true} : tensor<4x10xf32> -> tensor<1x10xi64>
  // CHECK: kiln.argmax %[[D]] {axis = 1 : i64, keep_dims = true, select_last = false} : tensor<?x3xi32> -> tensor<?x1xi64>
  %2 = kiln.argmax %d {axis = 1 : i64, keep_dims = true, select_last = false} : tensor<?x3xi32> -> tensor<?x1xi64>
  // CHECK: kiln.argmin %[[D]] {axis = 0 : i64, keep_dims = false, select_last = false} : tensor<?x3xi32> -> tensor<3xi64>
  %3 = kiln.argmin %d {axis = 0 : i64, keep_dims = false, select_last = false} : tensor<?x3xi32> -> tensor<3xi64>
  return
}
