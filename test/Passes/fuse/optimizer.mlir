// kiln-fuse in a training step: the elementwise ops that compute the
// updated parameters (those that kiln.update_binding feeds back) form one
// optimizer group across all parameters, apart from the backward pass's
// matmul and reduction, which keep their gradients.
// RUN: kiln-opt %s -split-input-file --pass-pipeline="builtin.module(func.func(kiln-fuse))" | FileCheck %s
// RUN: kiln-opt %s -split-input-file --pass-pipeline="builtin.module(func.func(kiln-fuse))" -verify-diagnostics -o /dev/null

// CHECK-LABEL: func.func @sgd_step
// CHECK: %[[GW:.*]] = kiln.matmul
// CHECK-NEXT: %[[GB:.*]] = kiln.reduce_sum
// CHECK-NEXT: %[[U:.*]]:2 = kiln.fusion_group optimizer ins(%[[GW]], %arg1, %[[GB]], %arg2 : tensor<8x2xf32>, tensor<8x2xf32>, tensor<2xf32>, tensor<2xf32>) -> (tensor<8x2xf32>, tensor<2xf32>)
// CHECK-COUNT-2: kiln.constant
// CHECK-NEXT: kiln.mul
// CHECK-NEXT: kiln.sub
// CHECK-NEXT: kiln.mul
// CHECK-NEXT: kiln.sub
// CHECK-NEXT: kiln.yield
// CHECK: return %[[U]]#0, %[[U]]#1
// expected-remark @+1 {{1 groups (0 elementwise, 0 reduction_epilogue, 0 contraction_epilogue, 1 optimizer), 4 ops fused}}
func.func @sgd_step(%x: tensor<4x8xf32> {kiln.onnx_name = "x"}, %w: tensor<8x2xf32> {kiln.onnx_name = "W"}, %b: tensor<2xf32> {kiln.onnx_name = "b"}, %dy: tensor<4x2xf32> {kiln.onnx_name = "dy"}) -> (tensor<8x2xf32> {kiln.onnx_name = "W_new"}, tensor<2xf32> {kiln.onnx_name = "b_new"}) attributes {kiln.update_binding = {W = "W_new", b = "b_new"}} {
  %xt = kiln.transpose %x {permutation = array<i64: 1, 0>} : tensor<4x8xf32> -> tensor<8x4xf32>
  %gw = kiln.matmul %xt, %dy : tensor<8x4xf32>, tensor<4x2xf32> -> tensor<8x2xf32>
  %gb = kiln.reduce_sum %dy {axes = array<i64: 0>, keep_dims = false} : tensor<4x2xf32> -> tensor<2xf32>
  %lr = kiln.constant dense<0.1> : tensor<8x2xf32>
  %0 = kiln.mul %lr, %gw : tensor<8x2xf32>
  %1 = kiln.sub %w, %0 : tensor<8x2xf32>
  %lrb = kiln.constant dense<0.1> : tensor<2xf32>
  %2 = kiln.mul %lrb, %gb : tensor<2xf32>
  %3 = kiln.sub %b, %2 : tensor<2xf32>
  return %1, %3 : tensor<8x2xf32>, tensor<2xf32>
}

// -----

// The same function without an update binding is no training step: the
// scaled gradients join the matmul's and the reduction's epilogues.
// CHECK-LABEL: func.func @not_a_step
// CHECK: kiln.fusion_group contraction_epilogue
// CHECK: kiln.fusion_group reduction_epilogue
// CHECK-NOT: kiln.fusion_group
// CHECK: return
// expected-remark @+1 {{2 groups (0 elementwise, 1 reduction_epilogue, 1 contraction_epilogue, 0 optimizer), 6 ops fused}}
func.func @not_a_step(%x: tensor<4x8xf32>, %w: tensor<8x2xf32>, %b: tensor<2xf32>, %dy: tensor<4x2xf32>) -> (tensor<8x2xf32>, tensor<2xf32>) {
  %xt = kiln.transpose %x {permutation = array<i64: 1, 0>} : tensor<4x8xf32> -> tensor<8x4xf32>
  %gw = kiln.matmul %xt, %dy : tensor<8x4xf32>, tensor<4x2xf32> -> tensor<8x2xf32>
  %gb = kiln.reduce_sum %dy {axes = array<i64: 0>, keep_dims = false} : tensor<4x2xf32> -> tensor<2xf32>
  %lr = kiln.constant dense<0.1> : tensor<8x2xf32>
  %0 = kiln.mul %lr, %gw : tensor<8x2xf32>
  %1 = kiln.sub %w, %0 : tensor<8x2xf32>
  %lrb = kiln.constant dense<0.1> : tensor<2xf32>
  %2 = kiln.mul %lrb, %gb : tensor<2xf32>
  %3 = kiln.sub %b, %2 : tensor<2xf32>
  return %1, %3 : tensor<8x2xf32>, tensor<2xf32>
}
