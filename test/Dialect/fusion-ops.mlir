// kiln.fusion_group and kiln.yield print and parse back: the printed form is
// what the fuse pass's lit tests check, so it must round-trip exactly.
// RUN: kiln-opt %s | FileCheck %s
// RUN: kiln-opt %s | kiln-opt | FileCheck %s
// RUN: kiln-opt %s -mlir-print-op-generic | kiln-opt | FileCheck %s

// CHECK-LABEL: func.func @epilogue
// CHECK: %[[G:.*]] = kiln.fusion_group contraction_epilogue ins(%arg0, %arg1, %arg2 : tensor<4x8xf32>, tensor<8x16xf32>, tensor<16xf32>) -> (tensor<4x16xf32>) {
// CHECK-NEXT: ^bb0(%[[A:.*]]: tensor<4x8xf32>, %[[W:.*]]: tensor<8x16xf32>, %[[B:.*]]: tensor<16xf32>):
// CHECK-NEXT: %[[M:.*]] = kiln.matmul %[[A]], %[[W]]
// CHECK-NEXT: %[[BB:.*]] = kiln.broadcast %[[B]]
// CHECK-NEXT: %[[S:.*]] = kiln.add %[[M]], %[[BB]]
// CHECK-NEXT: kiln.yield %[[S]] : tensor<4x16xf32>
// CHECK-NEXT: }
// CHECK-NEXT: return %[[G]]
func.func @epilogue(%a: tensor<4x8xf32>, %w: tensor<8x16xf32>, %b: tensor<16xf32>) -> (tensor<4x16xf32>) {
  %r = kiln.fusion_group contraction_epilogue ins(%a, %w, %b : tensor<4x8xf32>, tensor<8x16xf32>, tensor<16xf32>) -> (tensor<4x16xf32>) {
  ^bb0(%x: tensor<4x8xf32>, %y: tensor<8x16xf32>, %z: tensor<16xf32>):
    %0 = kiln.matmul %x, %y : tensor<4x8xf32>, tensor<8x16xf32> -> tensor<4x16xf32>
    %1 = kiln.broadcast %z : tensor<16xf32> to tensor<4x16xf32>
    %2 = kiln.add %0, %1 : tensor<4x16xf32>
    kiln.yield %2 : tensor<4x16xf32>
  }
  return %r : tensor<4x16xf32>
}

// Several results, and a group with no inputs (it computes from constants).
// CHECK-LABEL: func.func @multi
// CHECK: %[[G:.*]]:2 = kiln.fusion_group elementwise ins(%arg0 : tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
// CHECK: kiln.yield %{{.*}}, %{{.*}} : tensor<4xf32>, tensor<4xf32>
// CHECK: kiln.fusion_group optimizer -> (tensor<4xf32>) {
// CHECK-NEXT: kiln.constant
func.func @multi(%a: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %r:2 = kiln.fusion_group elementwise ins(%a : tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  ^bb0(%x: tensor<4xf32>):
    %0 = kiln.exp %x : tensor<4xf32>
    %1 = kiln.mul %0, %x : tensor<4xf32>
    kiln.yield %0, %1 : tensor<4xf32>, tensor<4xf32>
  }
  %c = kiln.fusion_group optimizer -> (tensor<4xf32>) {
    %0 = kiln.constant dense<1.0> : tensor<4xf32>
    %1 = kiln.neg %0 : tensor<4xf32>
    kiln.yield %1 : tensor<4xf32>
  }
  return %r#0, %r#1, %c : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}
