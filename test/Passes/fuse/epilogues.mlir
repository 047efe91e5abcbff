// kiln-fuse around matmuls and convolutions: the elementwise epilogue
// (bias, activation, residual, the backward pass's activation mask) joins
// the contraction's group; what feeds a contraction's operands does not
// (matmul and conv fuse no prologue).
// RUN: kiln-opt %s -split-input-file --pass-pipeline="builtin.module(func.func(kiln-fuse))" | FileCheck %s
// RUN: kiln-opt %s -split-input-file --pass-pipeline="builtin.module(func.func(kiln-fuse))" -verify-diagnostics -o /dev/null

// Linear + bias + ReLU + residual: one group. Unfused bytes: matmul
// (128+512+256), broadcast (64+256), add 3x256, relu 2x256, add 3x256;
// the group reads x, w, b, r and writes the result (128+512+64+256+256).
// CHECK-LABEL: func.func @linear_relu_residual
// CHECK-NEXT: %[[G:.*]] = kiln.fusion_group contraction_epilogue ins(%arg0, %arg1, %arg2, %arg3 : tensor<4x8xf32>, tensor<8x16xf32>, tensor<16xf32>, tensor<4x16xf32>) -> (tensor<4x16xf32>) {
// CHECK: kiln.matmul
// CHECK-NEXT: kiln.broadcast
// CHECK-NEXT: kiln.add
// CHECK-NEXT: kiln.relu
// CHECK-NEXT: kiln.add
// CHECK-NEXT: kiln.yield
// CHECK-NEXT: }
// CHECK-NEXT: return %[[G]]
// expected-remark @+1 {{kiln-fuse: 1 groups (0 elementwise, 0 reduction_epilogue, 1 contraction_epilogue, 0 optimizer), 5 ops fused, 2048 bytes saved, 0 flops duplicated}}
func.func @linear_relu_residual(%x: tensor<4x8xf32>, %w: tensor<8x16xf32>, %b: tensor<16xf32>, %r: tensor<4x16xf32>) -> (tensor<4x16xf32>) {
  %0 = kiln.matmul %x, %w : tensor<4x8xf32>, tensor<8x16xf32> -> tensor<4x16xf32>
  %1 = kiln.broadcast %b : tensor<16xf32> to tensor<4x16xf32>
  %2 = kiln.add %0, %1 : tensor<4x16xf32>
  %3 = kiln.relu %2 : tensor<4x16xf32>
  %4 = kiln.add %3, %r : tensor<4x16xf32>
  return %4 : tensor<4x16xf32>
}

// -----

// Conv + bias + tanh.
// The bias's reshape is data movement: it stays outside.
// CHECK-LABEL: func.func @conv_bias
// CHECK-NEXT: %[[R:.*]] = kiln.reshape %arg2
// CHECK-NEXT: kiln.fusion_group contraction_epilogue ins(%arg0, %arg1, %[[R]] :
// CHECK-NEXT: ^bb0
// CHECK-NEXT: kiln.conv2d
// CHECK-NEXT: kiln.broadcast
// CHECK-NEXT: kiln.add
// CHECK-NEXT: kiln.tanh
// CHECK-NEXT: kiln.yield
// expected-remark @+1 {{1 groups (0 elementwise, 0 reduction_epilogue, 1 contraction_epilogue, 0 optimizer), 4 ops fused}}
func.func @conv_bias(%x: tensor<1x3x8x8xf32>, %f: tensor<4x3x3x3xf32>, %b: tensor<4xf32>) -> (tensor<1x4x6x6xf32>) {
  %0 = kiln.conv2d %x, %f {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32> -> tensor<1x4x6x6xf32>
  %1 = kiln.reshape %b : tensor<4xf32> to tensor<4x1x1xf32>
  %2 = kiln.broadcast %1 : tensor<4x1x1xf32> to tensor<1x4x6x6xf32>
  %3 = kiln.add %0, %2 : tensor<1x4x6x6xf32>
  %4 = kiln.tanh %3 : tensor<1x4x6x6xf32>
  return %4 : tensor<1x4x6x6xf32>
}

// -----

// An elementwise producer of a matmul operand stays out of the matmul's
// group (no prologue): the scaled input is a group of its own... which has
// one op only, so no group at all.
// CHECK-LABEL: func.func @no_prologue
// CHECK-NEXT: %[[S:.*]] = kiln.mul %arg0, %arg0
// CHECK-NEXT: kiln.fusion_group contraction_epilogue ins(%[[S]], %arg1 :
// expected-remark @+1 {{1 groups (0 elementwise, 0 reduction_epilogue, 1 contraction_epilogue, 0 optimizer), 2 ops fused}}
func.func @no_prologue(%x: tensor<4x8xf32>, %w: tensor<8x16xf32>) -> (tensor<4x16xf32>) {
  %0 = kiln.mul %x, %x : tensor<4x8xf32>
  %1 = kiln.matmul %0, %w : tensor<4x8xf32>, tensor<8x16xf32> -> tensor<4x16xf32>
  %2 = kiln.relu %1 : tensor<4x16xf32>
  return %2 : tensor<4x16xf32>
}

// -----

// The backward pass of y = relu(x w): the mask (x w > 0) is computed in the
// forward matmul's epilogue and applied in the epilogue of the matmul that
// computes the incoming gradient (dy w2^T). The two matmuls are two
// anchors, so two groups; the mask (i1, a quarter of the f32 bytes) is what
// flows between them.
// CHECK-LABEL: func.func @relu_backward
// CHECK: %[[F:.*]]:2 = kiln.fusion_group contraction_epilogue ins(%arg0, %arg1 :
// CHECK: kiln.matmul
// CHECK: kiln.compare gt
// CHECK: kiln.yield %{{.*}}, %{{.*}} : tensor<4x16xf32>, tensor<4x16xi1>
// CHECK: %[[B:.*]] = kiln.fusion_group contraction_epilogue ins(%arg2, %arg3, %[[F]]#1 :
// CHECK: kiln.matmul
// CHECK: kiln.select
// CHECK: kiln.yield
// expected-remark @+1 {{2 groups (0 elementwise, 0 reduction_epilogue, 2 contraction_epilogue, 0 optimizer), 6 ops fused}}
func.func @relu_backward(%x: tensor<4x8xf32>, %w: tensor<8x16xf32>, %dy: tensor<4x3xf32>, %w2t: tensor<3x16xf32>) -> (tensor<4x16xf32>, tensor<4x16xf32>) {
  %z = kiln.constant dense<0.0> : tensor<4x16xf32>
  %0 = kiln.matmul %x, %w : tensor<4x8xf32>, tensor<8x16xf32> -> tensor<4x16xf32>
  %1 = kiln.relu %0 : tensor<4x16xf32>
  %2 = kiln.compare gt, %0, %z : tensor<4x16xf32>
  %3 = kiln.matmul %dy, %w2t : tensor<4x3xf32>, tensor<3x16xf32> -> tensor<4x16xf32>
  %4 = kiln.select %2, %3, %z : tensor<4x16xi1>, tensor<4x16xf32>
  %5 = kiln.neg %4 : tensor<4x16xf32>
  return %1, %5 : tensor<4x16xf32>, tensor<4x16xf32>
}

// -----

// A bias broadcast read by two matmul epilogues cannot join both groups;
// recomputing it in the second costs no FLOPs and saves reading the
// broadcast tensor, so the cost model clones it. The exp read by both is
// not recomputed: a copy would read as many bytes (its input) as it saves.
// The copy reads the 64-byte bias instead of the 256-byte broadcast; the
// first group no longer writes the broadcast at all.
// CHECK-LABEL: func.func @recompute
// CHECK-NEXT: %[[G1:.*]]:2 = kiln.fusion_group contraction_epilogue ins(%arg2, %arg4, %arg0, %arg1 :
// CHECK-NEXT: ^bb0
// CHECK-NEXT: kiln.broadcast
// CHECK-NEXT: kiln.exp
// CHECK-NEXT: kiln.matmul
// CHECK: kiln.yield %{{.*}}, %{{.*}} : tensor<4x16xf32>, tensor<4x16xf32>
// CHECK: %[[G2:.*]] = kiln.fusion_group contraction_epilogue ins(%arg2, %arg0, %arg3, %[[G1]]#0 :
// CHECK-NEXT: ^bb0
// CHECK-NEXT: kiln.broadcast
// CHECK-NEXT: kiln.matmul
// CHECK-NEXT: kiln.add
// CHECK-NEXT: kiln.mul
// CHECK-NEXT: kiln.yield
// CHECK: return %[[G1]]#1, %[[G2]]
// expected-remark @+1 {{2 groups (0 elementwise, 0 reduction_epilogue, 2 contraction_epilogue, 0 optimizer), 9 ops fused, 3008 bytes saved, 0 flops duplicated}}
func.func @recompute(%x: tensor<4x8xf32>, %w1: tensor<8x16xf32>, %b: tensor<16xf32>, %w2: tensor<8x16xf32>, %e: tensor<4x16xf32>) -> (tensor<4x16xf32>, tensor<4x16xf32>) {
  %bb = kiln.broadcast %b : tensor<16xf32> to tensor<4x16xf32>
  %ee = kiln.exp %e : tensor<4x16xf32>
  %0 = kiln.matmul %x, %w1 : tensor<4x8xf32>, tensor<8x16xf32> -> tensor<4x16xf32>
  %1 = kiln.add %0, %bb : tensor<4x16xf32>
  %2 = kiln.mul %1, %ee : tensor<4x16xf32>
  %3 = kiln.matmul %x, %w2 : tensor<4x8xf32>, tensor<8x16xf32> -> tensor<4x16xf32>
  %4 = kiln.add %3, %bb : tensor<4x16xf32>
  %5 = kiln.mul %4, %ee : tensor<4x16xf32>
  return %2, %5 : tensor<4x16xf32>, tensor<4x16xf32>
}

// -----

// With recomputation off (a negative budget), the broadcast is read by the
// second group from the first group's result.
// RUN: kiln-opt %s -split-input-file --pass-pipeline="builtin.module(func.func(kiln-fuse{recompute-flops-per-byte=-1}))" 2>&1 | FileCheck %s --check-prefix=NORECOMPUTE
// NORECOMPUTE-LABEL: func.func @recompute_off
// NORECOMPUTE: %[[G1:.*]]:2 = kiln.fusion_group contraction_epilogue
// NORECOMPUTE: kiln.fusion_group contraction_epilogue ins(%arg0, %arg3, %[[G1]]#0 :
// NORECOMPUTE-NOT: kiln.broadcast
// NORECOMPUTE: return
// expected-remark @+1 {{2 groups}}
func.func @recompute_off(%x: tensor<4x8xf32>, %w1: tensor<8x16xf32>, %b: tensor<16xf32>, %w2: tensor<8x16xf32>) -> (tensor<4x16xf32>, tensor<4x16xf32>) {
  %bb = kiln.broadcast %b : tensor<16xf32> to tensor<4x16xf32>
  %0 = kiln.matmul %x, %w1 : tensor<4x8xf32>, tensor<8x16xf32> -> tensor<4x16xf32>
  %1 = kiln.add %0, %bb : tensor<4x16xf32>
  %3 = kiln.matmul %x, %w2 : tensor<4x8xf32>, tensor<8x16xf32> -> tensor<4x16xf32>
  %4 = kiln.add %3, %bb : tensor<4x16xf32>
  return %1, %4 : tensor<4x16xf32>, tensor<4x16xf32>
}
