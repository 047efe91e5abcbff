// kiln-cuda-thread-tiles: every outermost scf.parallel gets a nested loop of
// up to `threads` iterations (the block's threads), along its second
// dimension (thread id y), or its first when it has one; the other
// dimensions keep tile size 1 (the grid). Bounds are folded so that
// convert-parallel-loops-to-gpu finds a constant thread count.
// RUN: kiln-opt %s --kiln-cuda-thread-tiles --mlir-print-op-on-diagnostic=false 2>%t.remarks | FileCheck %s
// RUN: FileCheck %s --check-prefix=REMARK < %t.remarks
// RUN: kiln-opt %s --kiln-cuda-thread-tiles="threads=64" --mlir-print-op-on-diagnostic=false 2>/dev/null | FileCheck %s --check-prefix=T64
// RUN: not kiln-opt %s --kiln-cuda-thread-tiles="threads=2000" --mlir-print-op-on-diagnostic=false 2>&1 | FileCheck %s --check-prefix=BAD

// REMARK: remark: kiln-cuda-thread-tiles: 5 parallel loops split into blocks of up to 256 threads
// BAD: error: kiln-cuda-thread-tiles: threads=2000 is outside 1..1024 (CUDA's limit per block)

// CHECK-DAG: #[[MIN1000:.*]] = affine_map<(d0) -> (-d0 + 1000, 256)>
// CHECK-DAG: #[[MINN:.*]] = affine_map<(d0)[s0] -> (-d0 + s0, 256)>
// CHECK-LABEL: func.func @loops
// 1-d, 1000 = 3 full tiles and one of 232: a guarded bound.
// CHECK: scf.parallel (%[[I:.*]]) = (%c0) to (%c1000) step (%c256) {
// CHECK:   %[[B:.*]] = affine.min #[[MIN1000]](%[[I]])
// CHECK:   scf.parallel (%{{.*}}) = (%c0) to (%[[B]]) step (%c1) {
// 2-d: the second dimension in blocks of 256 threads.
// CHECK: scf.parallel (%{{.*}}, %{{.*}}) = (%c0, %c0) to (%c256, %c1024) step (%c1, %c256) {
// CHECK:   scf.parallel (%{{.*}}, %{{.*}}) = (%c0, %c0) to (%c1, %c256) step (%c1, %c1) {
// 3-d: the second dimension (8) is its own tile; thread id z is left alone.
// CHECK: scf.parallel (%{{.*}}, %{{.*}}, %{{.*}}) = (%c0, %c0, %c0) to (%c4, %c8, %c16) step (%c1, %c8, %c1) {
// CHECK:   scf.parallel (%{{.*}}, %{{.*}}, %{{.*}}) = (%c0, %c0, %c0) to (%c1, %c8, %c1) step (%c1, %c1, %c1) {
// A small 1-d loop: one block of 10 threads.
// CHECK: scf.parallel (%{{.*}}) = (%c0) to (%c10) step (%c10) {
// CHECK:   scf.parallel (%{{.*}}) = (%c0) to (%c10) step (%c1) {
// A dynamic extent: blocks of 256, the last one guarded.
// CHECK: scf.parallel (%[[J:.*]]) = (%c0) to (%arg4) step (%c256) {
// CHECK:   %[[BN:.*]] = affine.min #[[MINN]](%[[J]])[%arg4]
// CHECK:   scf.parallel (%{{.*}}) = (%c0) to (%[[BN]]) step (%c1) {
// A loop that already has its threads is left alone.
// CHECK: scf.parallel (%{{.*}}) = (%c0) to (%c4) step (%c1) {
// CHECK-NEXT: scf.parallel (%{{.*}}) = (%c0) to (%c8) step (%c1) {

// T64: to (%c256, %c1024) step (%c1, %c64)

func.func @loops(%a: memref<1000xf32>, %b: memref<256x1024xf32>, %c: memref<4x8x16xf32>, %d: memref<10xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %c10 = arith.constant 10 : index
  %c16 = arith.constant 16 : index
  %c256 = arith.constant 256 : index
  %c1000 = arith.constant 1000 : index
  %c1024 = arith.constant 1024 : index
  %f = arith.constant 1.0 : f32
  scf.parallel (%i) = (%c0) to (%c1000) step (%c1) {
    memref.store %f, %a[%i] : memref<1000xf32>
  }
  scf.parallel (%i, %j) = (%c0, %c0) to (%c256, %c1024) step (%c1, %c1) {
    memref.store %f, %b[%i, %j] : memref<256x1024xf32>
  }
  scf.parallel (%i, %j, %k) = (%c0, %c0, %c0) to (%c4, %c8, %c16) step (%c1, %c1, %c1) {
    memref.store %f, %c[%i, %j, %k] : memref<4x8x16xf32>
  }
  scf.parallel (%i) = (%c0) to (%c10) step (%c1) {
    memref.store %f, %d[%i] : memref<10xf32>
  }
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    memref.store %f, %a[%i] : memref<1000xf32>
  }
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    scf.parallel (%j) = (%c0) to (%c8) step (%c1) {
      memref.store %f, %b[%i, %j] : memref<256x1024xf32>
    }
  }
  return
}
