// kiln-cpu-return-allocations: a returned reshape of an allocation becomes
// the allocation, so that buffer-results-to-out-params writes the
// out-param in place instead of copying the view into it.
// RUN: kiln-opt %s -split-input-file \
// RUN:   --pass-pipeline="builtin.module(func.func(kiln-cpu-return-allocations))" \
// RUN:   | FileCheck %s
// RUN: kiln-opt %s -split-input-file \
// RUN:   --pass-pipeline="builtin.module(func.func(kiln-cpu-return-allocations),buffer-results-to-out-params{hoist-static-allocs=true modify-public-functions=true})" \
// RUN:   | FileCheck %s --check-prefix=OUT

// A GEMM kernel's C: allocated [64, 128], written as [64, 4, 32], returned
// collapsed back. The views cancel out: the allocation is returned, and
// the out-param takes its place (no copy).
// CHECK-LABEL: func.func @views_cancel
// CHECK: %[[A:.*]] = memref.alloc() {alignment = 64 : i64} : memref<64x128xf32>
// CHECK: %[[E:.*]] = memref.expand_shape %[[A]]
// CHECK: linalg.fill {{.*}} outs(%[[E]]
// CHECK: return %[[A]] : memref<64x128xf32>
// OUT-LABEL: func.func @views_cancel
// OUT-SAME: (%[[OUTP:.*]]: memref<64x128xf32>)
// OUT-NOT: memref.alloc
// OUT-NOT: memref.copy
// OUT: memref.expand_shape %[[OUTP]]
// OUT-NOT: memref.copy
// OUT: return
func.func @views_cancel() -> memref<64x128xf32> {
  %z = arith.constant 0.0 : f32
  %a = memref.alloc() {alignment = 64 : i64} : memref<64x128xf32>
  %e = memref.expand_shape %a [[0], [1, 2]] output_shape [64, 4, 32]
      : memref<64x128xf32> into memref<64x4x32xf32>
  linalg.fill ins(%z : f32) outs(%e : memref<64x4x32xf32>)
  %c = memref.collapse_shape %e [[0], [1, 2]]
      : memref<64x4x32xf32> into memref<64x128xf32>
  return %c : memref<64x128xf32>
}

// -----

// A bias gradient reduced as [4, 64] and returned as [256]: the buffer is
// allocated as [256], and the reduction writes it through an expand_shape.
// CHECK-LABEL: func.func @one_reshape
// CHECK: %[[A:.*]] = memref.alloc() {alignment = 64 : i64} : memref<256xf32>
// CHECK: %[[V:.*]] = memref.expand_shape %[[A]] {{\[}}[0, 1]] output_shape [4, 64] : memref<256xf32> into memref<4x64xf32>
// CHECK: linalg.fill {{.*}} outs(%[[V]] : memref<4x64xf32>)
// CHECK: return %[[A]] : memref<256xf32>
func.func @one_reshape() -> memref<256xf32> {
  %z = arith.constant 0.0 : f32
  %a = memref.alloc() {alignment = 64 : i64} : memref<4x64xf32>
  linalg.fill ins(%z : f32) outs(%a : memref<4x64xf32>)
  %c = memref.collapse_shape %a [[0, 1]] : memref<4x64xf32> into memref<256xf32>
  return %c : memref<256xf32>
}

// -----

// Left alone: one allocation returned twice (directly and as a view), and a
// view of a function argument.
// CHECK-LABEL: func.func @kept
// CHECK: %[[A:.*]] = memref.alloc() : memref<4x64xf32>
// CHECK: %[[C:.*]] = memref.collapse_shape %[[A]]
// CHECK: %[[D:.*]] = memref.collapse_shape %arg0
// CHECK: return %[[A]], %[[C]], %[[D]]
func.func @kept(%arg0: memref<2x8xf32>)
    -> (memref<4x64xf32>, memref<256xf32>, memref<16xf32>) {
  %a = memref.alloc() : memref<4x64xf32>
  %c = memref.collapse_shape %a [[0, 1]] : memref<4x64xf32> into memref<256xf32>
  %d = memref.collapse_shape %arg0 [[0, 1]] : memref<2x8xf32> into memref<16xf32>
  return %a, %c, %d : memref<4x64xf32>, memref<256xf32>, memref<16xf32>
}
