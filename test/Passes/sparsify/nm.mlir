// kiln-sparsify mode=nm: a fixed N:M mask, computed at start-step from the
// weight's magnitudes along the reduction dimension of the product that
// reads it (rows of W0^T for the rhs W0 [K=8, N=4]; rows of W1 [N=8, K=4]
// for its transpose). The search is dense ops: the groups' magnitudes
// times the matrix of all patterns, argmax, gather of the pattern.
// Transposable 2:4 (the default): 4x4 blocks, the 90 blocks with two ones
// in every row and column.
// RUN: kiln-opt %kiln_src/test/Inputs/sparsify_step.mlir --kiln-sparsify="mode=nm" 2>/dev/null | FileCheck %s
// Plain 2:4 from step 3: groups of 4 along K, the 6 ways to keep 2.
// RUN: kiln-opt %kiln_src/test/Inputs/sparsify_step.mlir --kiln-sparsify="mode=nm transposable=false start-step=3" 2>/dev/null | FileCheck %s --check-prefix=PLAIN
// 1:4 transposable: the 24 permutation blocks.
// RUN: kiln-opt %kiln_src/test/Inputs/sparsify_step.mlir --kiln-sparsify="mode=nm n=1 m=4" 2>/dev/null | FileCheck %s --check-prefix=ONE
// A weight whose reduction dimension is not a multiple of m stays dense,
// and the remark says why.
// RUN: kiln-opt %kiln_src/test/Inputs/sparsify_step.mlir --kiln-sparsify="mode=nm n=2 m=8 transposable=false" 2>&1 >/dev/null | FileCheck %s --check-prefix=DENSE

// CHECK-LABEL: func.func @main(
// CHECK: %[[F0:.*]] = kiln.stop_gradient %arg2 : tensor<8x4xf32>
// CHECK: %[[FIRST:.*]] = kiln.compare eq, %arg5,
// CHECK: %[[V0:.*]] = kiln.transpose %[[F0]] {permutation = array<i64: 1, 0>} : tensor<8x4xf32> -> tensor<4x8xf32>
// CHECK: %[[A0:.*]] = kiln.abs %[[V0]]
// CHECK: %[[B0:.*]] = kiln.reshape %[[A0]] : tensor<4x8xf32> to tensor<1x4x2x4xf32>
// CHECK: %[[BT0:.*]] = kiln.transpose %[[B0]] {permutation = array<i64: 0, 2, 1, 3>} : tensor<1x4x2x4xf32> -> tensor<1x2x4x4xf32>
// CHECK: %[[G0:.*]] = kiln.reshape %[[BT0]] : tensor<1x2x4x4xf32> to tensor<2x16xf32>
// CHECK: %[[PT:.*]] = kiln.constant dense<{{.*}}> : tensor<16x90xf32>
// CHECK: %[[S0:.*]] = kiln.matmul %[[G0]], %[[PT]] : tensor<2x16xf32>, tensor<16x90xf32> -> tensor<2x90xf32>
// CHECK: %[[I0:.*]] = kiln.argmax %[[S0]] {axis = 1 : i64, keep_dims = false, select_last = false}
// CHECK: %[[P:.*]] = kiln.constant dense<{{.*}}> : tensor<90x16xf32>
// CHECK: %[[C0:.*]] = kiln.gather %[[P]], %[[I0]] {axis = 0 : i64} : (tensor<90x16xf32>, tensor<2xi64>) -> tensor<2x16xf32>
// CHECK: kiln.reshape %[[C0]] : tensor<2x16xf32> to tensor<1x2x4x4xf32>
// CHECK: kiln.transpose %{{.*}} {permutation = array<i64: 0, 2, 1, 3>} : tensor<1x2x4x4xf32> -> tensor<1x4x2x4xf32>
// CHECK: kiln.reshape %{{.*}} : tensor<1x4x2x4xf32> to tensor<4x8xf32>
// CHECK: %[[N0:.*]] = kiln.transpose %{{.*}} {permutation = array<i64: 1, 0>} : tensor<4x8xf32> -> tensor<8x4xf32>
// CHECK: %[[BF:.*]] = kiln.broadcast %[[FIRST]] : tensor<i1> to tensor<8x4xi1>
// CHECK: %[[M0:.*]] = kiln.select %[[BF]], %[[N0]], %arg6
// W1 [8x4] is already [N, K]: no transpose around its blocks.
// CHECK: %[[A1:.*]] = kiln.abs %{{.*}} : tensor<8x4xf32>
// CHECK: kiln.reshape %[[A1]] : tensor<8x4xf32> to tensor<2x4x1x4xf32>
// CHECK: kiln.mul %arg2, %[[M0]]

// PLAIN: %[[FIRST:.*]] = kiln.compare eq, %arg5, %{{.*}} : tensor<i64>
// PLAIN: %[[G0:.*]] = kiln.reshape %{{.*}} : tensor<4x8xf32> to tensor<8x4xf32>
// PLAIN: kiln.matmul %[[G0]], %{{.*}} : tensor<8x4xf32>, tensor<4x6xf32> -> tensor<8x6xf32>
// PLAIN: kiln.gather %{{.*}}, %{{.*}} {axis = 0 : i64} : (tensor<6x4xf32>, tensor<8xi64>) -> tensor<8x4xf32>

// ONE: kiln.matmul %{{.*}}, %{{.*}} : tensor<2x16xf32>, tensor<16x24xf32> -> tensor<2x24xf32>

// DENSE: remark: kiln-sparsify: mode=nm pruned_weights=1 forward_flops=128 avoidable_flops=96 (75.0%) sparse_products=0; W0 8x4 sparsity=0.750; W1 dense (its reduction dimension (4) is not a multiple of m=8)
