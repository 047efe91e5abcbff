// kiln-cpu-fold-loop-results: after bufferization, a loop that yields its
// iter_arg unchanged has its init buffer as its result.
// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-cpu-fold-loop-results))" | FileCheck %s

// CHECK-LABEL: func.func @folded
// CHECK: %[[A:.*]] = memref.alloc
// CHECK: scf.for
// CHECK: return %[[A]] :
func.func @folded(%n: index) -> memref<4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %one = arith.constant 1.0 : f32
  %a = memref.alloc() : memref<4xf32>
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %a) -> (memref<4xf32>) {
    memref.store %one, %acc[%i] : memref<4xf32>
    scf.yield %acc : memref<4xf32>
  }
  return %r : memref<4xf32>
}

// Left alone: a returned result whose init is an argument, and one that
// would make one allocation returned twice.
// CHECK-LABEL: func.func @kept
// CHECK: %[[R1:.*]] = scf.for
// CHECK: %[[R2:.*]] = scf.for
// CHECK: return %[[R1]], %[[R2]], %[[R2]] :
func.func @kept(%arg: memref<4xf32>, %n: index) -> (memref<4xf32>, memref<4xf32>, memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %r1 = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %arg) -> (memref<4xf32>) {
    scf.yield %acc : memref<4xf32>
  }
  %a = memref.alloc() : memref<4xf32>
  %r2 = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %a) -> (memref<4xf32>) {
    scf.yield %acc : memref<4xf32>
  }
  return %r1, %r2, %r2 : memref<4xf32>, memref<4xf32>, memref<4xf32>
}
