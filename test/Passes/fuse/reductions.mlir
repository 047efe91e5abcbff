// kiln-fuse around reductions: a reduction fuses the elementwise ops that
// produce its input (a prologue) and those that consume its result (an
// epilogue); softmax fuses an epilogue only (it reads its input twice).
// RUN: kiln-opt %s -split-input-file --pass-pipeline="builtin.module(func.func(kiln-fuse))" | FileCheck %s
// RUN: kiln-opt %s -split-input-file --pass-pipeline="builtin.module(func.func(kiln-fuse))" -verify-diagnostics -o /dev/null

// Mean of squares plus epsilon, rsqrt (layer-norm statistics): one group.
// CHECK-LABEL: func.func @rms
// CHECK-NEXT: %[[G:.*]] = kiln.fusion_group reduction_epilogue ins(%arg0 : tensor<4x32xf32>) -> (tensor<4xf32>)
// CHECK: kiln.constant dense<9.99999974E-6>
// CHECK-NEXT: kiln.mul
// CHECK-NEXT: kiln.reduce_mean
// CHECK-NEXT: kiln.add
// CHECK-NEXT: kiln.rsqrt
// CHECK-NEXT: kiln.yield
// expected-remark @+1 {{1 groups (0 elementwise, 1 reduction_epilogue, 0 contraction_epilogue, 0 optimizer), 4 ops fused}}
func.func @rms(%x: tensor<4x32xf32>) -> (tensor<4xf32>) {
  %0 = kiln.mul %x, %x : tensor<4x32xf32>
  %1 = kiln.reduce_mean %0 {axes = array<i64: 1>, keep_dims = false} : tensor<4x32xf32> -> tensor<4xf32>
  %eps = kiln.constant dense<1.0e-5> : tensor<4xf32>
  %2 = kiln.add %1, %eps : tensor<4xf32>
  %3 = kiln.rsqrt %2 : tensor<4xf32>
  return %3 : tensor<4xf32>
}

// -----

// Softmax with its epilogue (the log of the probabilities), but the
// elementwise scale of its input stays out: softmax takes no prologue.
// CHECK-LABEL: func.func @softmax
// CHECK-NEXT: %[[S:.*]] = kiln.mul %arg0, %arg1
// CHECK-NEXT: %[[G:.*]] = kiln.fusion_group reduction_epilogue ins(%[[S]] : tensor<4x10xf32>) -> (tensor<4x10xf32>)
// CHECK: kiln.softmax
// CHECK-NEXT: kiln.log
// CHECK-NEXT: kiln.yield
// expected-remark @+1 {{1 groups (0 elementwise, 1 reduction_epilogue, 0 contraction_epilogue, 0 optimizer), 2 ops fused}}
func.func @softmax(%x: tensor<4x10xf32>, %t: tensor<4x10xf32>) -> (tensor<4x10xf32>) {
  %0 = kiln.mul %x, %t : tensor<4x10xf32>
  %1 = kiln.softmax %0 {axis = 1 : i64} : tensor<4x10xf32>
  %2 = kiln.log %1 : tensor<4x10xf32>
  return %2 : tensor<4x10xf32>
}

// -----

// One anchor per group: the second reduction starts a group of its own.
// CHECK-LABEL: func.func @two_reductions
// CHECK: kiln.fusion_group reduction_epilogue
// CHECK: kiln.reduce_sum
// CHECK: kiln.yield
// CHECK: kiln.fusion_group reduction_epilogue
// CHECK: kiln.reduce_max
// CHECK: kiln.yield
// expected-remark @+1 {{2 groups (0 elementwise, 2 reduction_epilogue, 0 contraction_epilogue, 0 optimizer), 5 ops fused}}
func.func @two_reductions(%x: tensor<4x8xf32>) -> (tensor<f32>) {
  %0 = kiln.exp %x : tensor<4x8xf32>
  %1 = kiln.reduce_sum %0 {axes = array<i64: 1>, keep_dims = false} : tensor<4x8xf32> -> tensor<4xf32>
  %2 = kiln.log %1 : tensor<4xf32>
  %3 = kiln.reduce_max %2 {axes = array<i64: 0>, keep_dims = false} : tensor<4xf32> -> tensor<f32>
  %4 = kiln.neg %3 : tensor<f32>
  return %4 : tensor<f32>
}

// -----

// Group kinds can be switched off: with only contraction epilogues
// enabled, nothing here fuses.
// RUN: kiln-opt %s -split-input-file --pass-pipeline="builtin.module(func.func(kiln-fuse{kinds=contraction_epilogue}))" 2>&1 | FileCheck %s --check-prefix=KINDS
// KINDS-LABEL: func.func @kinds
// KINDS-NOT: kiln.fusion_group
// KINDS: return
// And the group size is bounded: max-group-size=2 splits the rms chain.
// RUN: kiln-opt %s -split-input-file --pass-pipeline="builtin.module(func.func(kiln-fuse{max-group-size=2}))" 2>&1 | FileCheck %s --check-prefix=SIZE
// SIZE-LABEL: func.func @kinds
// SIZE-COUNT-2: kiln.fusion_group
// SIZE-NOT: kiln.fusion_group
// SIZE: return
// expected-remark @+1 {{1 groups}}
func.func @kinds(%x: tensor<4x32xf32>) -> (tensor<4xf32>) {
  %0 = kiln.mul %x, %x : tensor<4x32xf32>
  %1 = kiln.reduce_sum %0 {axes = array<i64: 1>, keep_dims = false} : tensor<4x32xf32> -> tensor<4xf32>
  %2 = kiln.sqrt %1 : tensor<4xf32>
  %3 = kiln.neg %2 : tensor<4xf32>
  return %3 : tensor<4xf32>
}

// -----

// An unknown kind is an error.
// RUN: not kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-fuse{kinds=attention}))" 2>&1 | FileCheck %s --check-prefix=BADKIND
// BADKIND: kiln-fuse: unknown group kind 'attention'
