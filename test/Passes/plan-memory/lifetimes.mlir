// kiln-plan-memory on hand-written memref functions: buffers whose live
// intervals (program order, first def to last use of the buffer or an
// alias) overlap get disjoint byte ranges of one arena; buffers that are
// never live together share bytes. Offsets follow the greedy-by-size
// best-fit order (ties: earlier start first), worked out by hand below.
// RUN: kiln-opt %s -split-input-file --kiln-plan-memory | FileCheck %s

func.func private @use(memref<256xf32>)

// Program points: 0 %a, 1 %b, 2 use a, 3 use b, 4 %c, 5 use c, 6 use b.
// a: [0, 2], b: [1, 6], c: [4, 5], 1024 bytes each; equal sizes go in order
// of start. a at 0, b overlaps a -> 1024; c overlaps only b, so it takes
// a's bytes at 0.
// CHECK-LABEL: func.func @reuse()
// CHECK-SAME: kiln.arena_bytes = 2048 : i64, kiln.dynamic_allocs = 0 : i64, kiln.planned_buffers = 3 : i64, kiln.unplanned_allocs = 0 : i64, kiln.unplanned_bytes = 0 : i64
// CHECK-NEXT: %[[ARENA:.*]] = memref.alloc() {alignment = 64 : i64, kiln.arena} : memref<2048xi8>
// CHECK-NEXT: %[[OA:.*]] = arith.constant 0 : index
// CHECK-NEXT: %[[A:.*]] = memref.view %[[ARENA]][%[[OA]]][] : memref<2048xi8> to memref<256xf32>
// CHECK-NEXT: %[[OB:.*]] = arith.constant 1024 : index
// CHECK-NEXT: %[[B:.*]] = memref.view %[[ARENA]][%[[OB]]][] : memref<2048xi8> to memref<256xf32>
// CHECK-NEXT: call @use(%[[A]])
// CHECK-NEXT: call @use(%[[B]])
// CHECK-NEXT: %[[OC:.*]] = arith.constant 0 : index
// CHECK-NEXT: %[[C:.*]] = memref.view %[[ARENA]][%[[OC]]][] : memref<2048xi8> to memref<256xf32>
// CHECK-NEXT: call @use(%[[C]])
// CHECK-NEXT: call @use(%[[B]])
// CHECK-NOT: memref.alloc
// CHECK-NOT: memref.dealloc
// CHECK: return
func.func @reuse() {
  %a = memref.alloc() : memref<256xf32>
  %b = memref.alloc() : memref<256xf32>
  call @use(%a) : (memref<256xf32>) -> ()
  call @use(%b) : (memref<256xf32>) -> ()
  %c = memref.alloc() : memref<256xf32>
  call @use(%c) : (memref<256xf32>) -> ()
  call @use(%b) : (memref<256xf32>) -> ()
  return
}

// -----

func.func private @use(memref<256xf32>)

// Lifetimes that never overlap: a chain of three buffers shares one slot of
// the largest size (4096 bytes), the smaller ones at offset 0 inside it.
// CHECK-LABEL: func.func @chain()
// CHECK-SAME: kiln.arena_bytes = 4096 : i64
// CHECK-SAME: kiln.planned_buffers = 3 : i64
// CHECK: memref.alloc() {alignment = 64 : i64, kiln.arena} : memref<4096xi8>
// CHECK: arith.constant 0 : index
// CHECK-NEXT: memref.view {{.*}} to memref<256xf32>
// CHECK: arith.constant 0 : index
// CHECK-NEXT: memref.view {{.*}} to memref<1024xf32>
// CHECK: arith.constant 0 : index
// CHECK-NEXT: memref.view {{.*}} to memref<16xf32>
func.func @chain() {
  %a = memref.alloc() : memref<256xf32>
  call @use(%a) : (memref<256xf32>) -> ()
  %b = memref.alloc() : memref<1024xf32>
  %bv = memref.subview %b[0] [256] [1] : memref<1024xf32> to memref<256xf32, strided<[1]>>
  %bc = memref.cast %bv : memref<256xf32, strided<[1]>> to memref<256xf32>
  call @use(%bc) : (memref<256xf32>) -> ()
  %c = memref.alloc() : memref<16xf32>
  %f = arith.constant 1.0 : f32
  %i = arith.constant 0 : index
  memref.store %f, %c[%i] : memref<16xf32>
  return
}

// -----

func.func private @use(memref<256xf32>)
func.func private @use_strided(memref<4x4xf32, strided<[16, 1]>>)

// A view keeps its buffer alive: %a's last use is through the subview at
// point 4, so %a [0, 4] and %b [2, 3] overlap; %c [5, 6] reuses %a's bytes.
// CHECK-LABEL: func.func @alias_extends()
// CHECK-SAME: kiln.arena_bytes = 2048 : i64
// CHECK: %[[ARENA:.*]] = memref.alloc() {alignment = 64 : i64, kiln.arena} : memref<2048xi8>
// CHECK-NEXT: arith.constant 0 : index
// CHECK-NEXT: memref.view {{.*}} to memref<16x16xf32>
// CHECK-NEXT: memref.subview
// CHECK-NEXT: arith.constant 1024 : index
// CHECK-NEXT: memref.view {{.*}} to memref<256xf32>
// CHECK: arith.constant 0 : index
// CHECK-NEXT: memref.view {{.*}} to memref<256xf32>
func.func @alias_extends() {
  %a = memref.alloc() : memref<16x16xf32>
  %s = memref.subview %a[0, 0] [4, 4] [1, 1] : memref<16x16xf32> to memref<4x4xf32, strided<[16, 1]>>
  %b = memref.alloc() : memref<256xf32>
  call @use(%b) : (memref<256xf32>) -> ()
  call @use_strided(%s) : (memref<4x4xf32, strided<[16, 1]>>) -> ()
  %c = memref.alloc() : memref<256xf32>
  call @use(%c) : (memref<256xf32>) -> ()
  return
}

// -----

func.func private @use(memref<256xf32>)

// Aliases through collapse_shape, expand_shape and reinterpret_cast.
// %a [0, 6] (its last use is via %r) overlaps %b [3, 4].
// CHECK-LABEL: func.func @alias_chain()
// CHECK-SAME: kiln.arena_bytes = 2048 : i64
// CHECK: arith.constant 0 : index
// CHECK-NEXT: memref.view {{.*}} to memref<16x16xf32>
// CHECK: arith.constant 1024 : index
// CHECK-NEXT: memref.view {{.*}} to memref<256xf32>
func.func @alias_chain() {
  %a = memref.alloc() : memref<16x16xf32>
  %f = memref.collapse_shape %a [[0, 1]] : memref<16x16xf32> into memref<256xf32>
  %e = memref.expand_shape %f [[0, 1]] output_shape [2, 128] : memref<256xf32> into memref<2x128xf32>
  %b = memref.alloc() : memref<256xf32>
  call @use(%b) : (memref<256xf32>) -> ()
  %r = memref.reinterpret_cast %e to offset: [0], sizes: [256], strides: [1] : memref<2x128xf32> to memref<256xf32>
  call @use(%r) : (memref<256xf32>) -> ()
  return
}

// -----

func.func private @use(memref<256xf32>)

// A use inside a loop counts at the loop: %a is live through the scf.for,
// so it cannot share bytes with %b.
// Points: 0 %a, 1 %b, 2 use b, 3-4 constants, 5 scf.for, 6 use b; a [0, 5]
// and b [1, 6] tie in size, the earlier start goes first.
// CHECK-LABEL: func.func @nested_use(
// CHECK-SAME: kiln.arena_bytes = 2048 : i64
// CHECK: arith.constant 0 : index
// CHECK-NEXT: memref.view {{.*}} to memref<256xf32>
// CHECK: arith.constant 1024 : index
// CHECK-NEXT: memref.view {{.*}} to memref<256xf32>
// CHECK: scf.for
func.func @nested_use(%n: index) {
  %a = memref.alloc() : memref<256xf32>
  %b = memref.alloc() : memref<256xf32>
  call @use(%b) : (memref<256xf32>) -> ()
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    func.call @use(%a) : (memref<256xf32>) -> ()
  }
  call @use(%b) : (memref<256xf32>) -> ()
  return
}
