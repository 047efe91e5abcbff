// kiln-fuse on elementwise chains: which ops end up in a group, which stay
// out and why, and the remark with the bytes the cost model saves.
// RUN: kiln-opt %s -split-input-file --pass-pipeline="builtin.module(func.func(kiln-fuse))" | FileCheck %s
// RUN: kiln-opt %s -split-input-file --pass-pipeline="builtin.module(func.func(kiln-fuse))" -verify-diagnostics -o /dev/null

// A chain whose intermediates are used only inside: one group, one result.
// Unfused: add reads 2 and writes 1 tensor, exp 1+1, mul 2+1 (8 x 64 B);
// the group reads a, b and writes one result (3 x 64 B): 320 B saved.
// CHECK-LABEL: func.func @chain
// CHECK-NEXT: %[[G:.*]] = kiln.fusion_group elementwise ins(%arg0, %arg1 : tensor<16xf32>, tensor<16xf32>) -> (tensor<16xf32>) {
// CHECK-NEXT: ^bb0(%[[A:.*]]: tensor<16xf32>, %[[B:.*]]: tensor<16xf32>):
// CHECK-NEXT: %[[S:.*]] = kiln.add %[[A]], %[[B]]
// CHECK-NEXT: %[[E:.*]] = kiln.exp %[[S]]
// CHECK-NEXT: %[[M:.*]] = kiln.mul %[[E]], %[[A]]
// CHECK-NEXT: kiln.yield %[[M]]
// CHECK-NEXT: }
// CHECK-NEXT: return %[[G]]
// expected-remark @+1 {{kiln-fuse: 1 groups (1 elementwise, 0 reduction_epilogue, 0 contraction_epilogue, 0 optimizer), 3 ops fused, 320 bytes saved, 0 flops duplicated}}
func.func @chain(%a: tensor<16xf32>, %b: tensor<16xf32>) -> (tensor<16xf32>) {
  %0 = kiln.add %a, %b : tensor<16xf32>
  %1 = kiln.exp %0 : tensor<16xf32>
  %2 = kiln.mul %1, %a : tensor<16xf32>
  return %2 : tensor<16xf32>
}

// -----

// A value that is also used outside the group is computed once, inside, and
// becomes a second result (not recomputed): the group has two results.
// CHECK-LABEL: func.func @used_outside
// CHECK-NEXT: %[[G:.*]]:2 = kiln.fusion_group elementwise ins(%arg0 : tensor<16xf32>) -> (tensor<16xf32>, tensor<16xf32>)
// CHECK: kiln.tanh
// CHECK: kiln.neg
// CHECK: kiln.yield
// CHECK-NEXT: }
// CHECK-NEXT: %[[R:.*]] = kiln.reshape %[[G]]#0
// CHECK-NEXT: return %[[R]], %[[G]]#1
// expected-remark @+1 {{1 groups (1 elementwise, 0 reduction_epilogue, 0 contraction_epilogue, 0 optimizer), 2 ops fused}}
func.func @used_outside(%a: tensor<16xf32>) -> (tensor<4x4xf32>, tensor<16xf32>) {
  %0 = kiln.tanh %a : tensor<16xf32>
  %1 = kiln.neg %0 : tensor<16xf32>
  %2 = kiln.reshape %0 : tensor<16xf32> to tensor<4x4xf32>
  return %2, %1 : tensor<4x4xf32>, tensor<16xf32>
}

// -----

// Data movement is not fusible: the reshape splits the chain in two.
// Broadcasts are (the lowering reads the small tensor in the loop), and
// splat constants are cloned into the group instead of being passed in.
// CHECK-LABEL: func.func @split_by_reshape
// CHECK-NEXT: %[[G1:.*]] = kiln.fusion_group elementwise ins(%arg0 : tensor<16xf32>) -> (tensor<16xf32>) {
// CHECK-NEXT: ^bb0(%[[A:.*]]: tensor<16xf32>):
// CHECK-NEXT: %[[C:.*]] = kiln.constant dense<2.000000e+00> : tensor<16xf32>
// CHECK-NEXT: kiln.mul %[[A]], %[[C]]
// CHECK-NEXT: kiln.sigmoid
// CHECK: %[[R:.*]] = kiln.reshape %[[G1]]
// CHECK-NEXT: %[[G2:.*]] = kiln.fusion_group elementwise ins(%arg1, %[[R]] : tensor<4xf32>, tensor<4x4xf32>) -> (tensor<4x4xf32>)
// CHECK: kiln.broadcast
// CHECK-NEXT: kiln.sub
// CHECK: return %[[G2]]
// expected-remark @+1 {{2 groups (2 elementwise, 0 reduction_epilogue, 0 contraction_epilogue, 0 optimizer), 4 ops fused}}
func.func @split_by_reshape(%a: tensor<16xf32>, %b: tensor<4xf32>) -> (tensor<4x4xf32>) {
  %c = kiln.constant dense<2.0> : tensor<16xf32>
  %0 = kiln.mul %a, %c : tensor<16xf32>
  %1 = kiln.sigmoid %0 : tensor<16xf32>
  %2 = kiln.reshape %1 : tensor<16xf32> to tensor<4x4xf32>
  %3 = kiln.broadcast %b : tensor<4xf32> to tensor<4x4xf32>
  %4 = kiln.sub %2, %3 : tensor<4x4xf32>
  return %4 : tensor<4x4xf32>
}

// -----

// Dynamic shapes have no static cost and cannot be lowered: not fused.
// CHECK-LABEL: func.func @dynamic
// CHECK-NOT: kiln.fusion_group
// CHECK: return
// expected-remark @+1 {{kiln-fuse: 0 groups}}
func.func @dynamic(%a: tensor<?xf32>) -> (tensor<?xf32>) {
  %0 = kiln.exp %a : tensor<?xf32>
  %1 = kiln.neg %0 : tensor<?xf32>
  return %1 : tensor<?xf32>
}

// -----

// Merging along b -> d would put d and b in one group that both feeds and
// needs the reshape outside it (a cycle): b's group and d's group stay
// apart, and the group results say what flows between them.
// CHECK-LABEL: func.func @no_cycle
// CHECK-NEXT: %[[G1:.*]]:2 = kiln.fusion_group elementwise
// CHECK: %[[R:.*]] = kiln.reshape %[[G1]]#0
// CHECK-NEXT: %[[G2:.*]] = kiln.fusion_group elementwise ins(%[[R]], %[[G1]]#1 :
// CHECK: return %[[G2]]
// expected-remark @+1 {{2 groups (2 elementwise, 0 reduction_epilogue, 0 contraction_epilogue, 0 optimizer), 4 ops fused}}
func.func @no_cycle(%a: tensor<16xf32>) -> (tensor<16xf32>) {
  %0 = kiln.exp %a : tensor<16xf32>
  %1 = kiln.neg %0 : tensor<16xf32>
  %2 = kiln.reshape %0 : tensor<16xf32> to tensor<16xf32>
  %3 = kiln.abs %2 : tensor<16xf32>
  %4 = kiln.add %3, %1 : tensor<16xf32>
  return %4 : tensor<16xf32>
}

// -----

// Gradient requests first: autodiff differentiates kiln ops, not groups.
// CHECK-LABEL: func.func @gradient_request
// CHECK-NOT: kiln.fusion_group
// CHECK: kiln.gradient
// expected-remark @+1 {{kiln-fuse: not fused: the function has kiln.gradient requests (run kiln-autodiff first)}}
func.func @gradient_request(%a: tensor<4xf32>) -> (tensor<4xf32>) {
  %0 = kiln.exp %a : tensor<4xf32>
  %1 = kiln.neg %0 : tensor<4xf32>
  %2 = kiln.reduce_sum %1 {axes = array<i64: 0>, keep_dims = false} : tensor<4xf32> -> tensor<f32>
  %g = kiln.gradient %2 wrt %a : tensor<f32> wrt tensor<4xf32>
  return %g : tensor<4xf32>
}
