// What kiln-plan-memory leaves as separate allocations, and counts:
// dynamic shapes, allocations inside loops, returned buffers; and how it
// treats explicit deallocations, allocas and alignment.
// RUN: kiln-opt %s -split-input-file --kiln-plan-memory | FileCheck %s
// RUN: kiln-opt %s -split-input-file --kiln-plan-memory=alignment=128 | FileCheck %s --check-prefix=ALIGN128

func.func private @use(memref<256xf32>)
func.func private @use_dyn(memref<?xf32>)

// A dynamic-shaped buffer keeps its own allocation (kiln.dynamic_allocs);
// the static one still goes into the arena.
// CHECK-LABEL: func.func @dynamic(
// CHECK-SAME: kiln.arena_bytes = 1024 : i64, kiln.dynamic_allocs = 1 : i64, kiln.planned_buffers = 1 : i64, kiln.unplanned_allocs = 0 : i64, kiln.unplanned_bytes = 0 : i64
// CHECK: memref.alloc() {alignment = 64 : i64, kiln.arena} : memref<1024xi8>
// CHECK: memref.alloc(%{{.*}}) : memref<?xf32>
// CHECK: memref.view
func.func @dynamic(%n: index) {
  %d = memref.alloc(%n) : memref<?xf32>
  call @use_dyn(%d) : (memref<?xf32>) -> ()
  %a = memref.alloc() : memref<256xf32>
  call @use(%a) : (memref<256xf32>) -> ()
  return
}

// -----

func.func private @use(memref<8xf32>)

// An allocation inside a loop stays where it is; its bytes (one instance)
// are counted in kiln.unplanned_bytes. Nothing is left to plan.
// CHECK-LABEL: func.func @in_loop(
// CHECK-SAME: kiln.arena_bytes = 0 : i64, kiln.dynamic_allocs = 0 : i64, kiln.planned_buffers = 0 : i64, kiln.unplanned_allocs = 1 : i64, kiln.unplanned_bytes = 32 : i64
// CHECK-NOT: kiln.arena}
// CHECK: scf.for
// CHECK-NEXT: memref.alloc() : memref<8xf32>
// CHECK-NEXT: call @use
// CHECK-NEXT: memref.dealloc
func.func @in_loop(%n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    %t = memref.alloc() : memref<8xf32>
    func.call @use(%t) : (memref<8xf32>) -> ()
    memref.dealloc %t : memref<8xf32>
  }
  return
}

// -----

func.func private @use(memref<256xf32>)

// A returned buffer belongs to the caller: it stays a separate allocation.
// CHECK-LABEL: func.func @returned()
// CHECK-SAME: kiln.arena_bytes = 1024 : i64, kiln.dynamic_allocs = 0 : i64, kiln.planned_buffers = 1 : i64, kiln.unplanned_allocs = 1 : i64, kiln.unplanned_bytes = 1024 : i64
// CHECK: %[[ARENA:.*]] = memref.alloc() {alignment = 64 : i64, kiln.arena} : memref<1024xi8>
// CHECK: %[[R:.*]] = memref.alloc() : memref<256xf32>
// CHECK: memref.view %[[ARENA]]
// CHECK: return %[[R]]
func.func @returned() -> memref<256xf32> {
  %r = memref.alloc() : memref<256xf32>
  %t = memref.alloc() : memref<256xf32>
  call @use(%t) : (memref<256xf32>) -> ()
  memref.copy %t, %r : memref<256xf32> to memref<256xf32>
  return %r : memref<256xf32>
}

// -----

func.func private @use(memref<256xf32>)

// Explicit deallocations of planned buffers go away; the arena gets one
// dealloc before the return instead (nothing leaks, nothing is freed
// twice). Copying into an out-param keeps the source live up to the copy.
// CHECK-LABEL: func.func @explicit_deallocs(
// CHECK-SAME: kiln.arena_bytes = 1024 : i64
// CHECK: %[[ARENA:.*]] = memref.alloc() {alignment = 64 : i64, kiln.arena} : memref<1024xi8>
// CHECK-NOT: memref.dealloc
// CHECK: memref.copy
// CHECK-NOT: memref.dealloc
// CHECK: memref.dealloc %[[ARENA]] : memref<1024xi8>
// CHECK-NEXT: return
func.func @explicit_deallocs(%out: memref<256xf32>) {
  %a = memref.alloc() : memref<256xf32>
  call @use(%a) : (memref<256xf32>) -> ()
  memref.dealloc %a : memref<256xf32>
  %b = memref.alloc() : memref<256xf32>
  call @use(%b) : (memref<256xf32>) -> ()
  memref.copy %b, %out : memref<256xf32> to memref<256xf32>
  memref.dealloc %b : memref<256xf32>
  return
}

// -----

func.func private @use(memref<3xf32>)
func.func private @use_big(memref<2048xf32>)
func.func private @use_small(memref<8xf32>)

// Sizes round up to the alignment (12 bytes -> 64, or 128 with
// alignment=128); an alloc asking for more alignment keeps it and raises
// the arena's. A small alloca stays on the stack; one of 8 KiB (at least
// min-alloca-bytes) moves into the arena.
// CHECK-LABEL: func.func @alignment_and_allocas()
// CHECK-SAME: kiln.arena_bytes = 8704 : i64
// CHECK-SAME: kiln.planned_buffers = 3 : i64
// CHECK: memref.alloc() {alignment = 256 : i64, kiln.arena} : memref<8704xi8>
// CHECK: memref.alloca() : memref<8xf32>
// ALIGN128-LABEL: func.func @alignment_and_allocas()
// ALIGN128-SAME: kiln.arena_bytes = 8704 : i64
// ALIGN128: memref.alloc() {alignment = 256 : i64, kiln.arena} : memref<8704xi8>
func.func @alignment_and_allocas() {
  %a = memref.alloc() : memref<3xf32>
  %b = memref.alloc() {alignment = 256 : i64} : memref<3xf32>
  %s = memref.alloca() : memref<8xf32>
  %big = memref.alloca() : memref<2048xf32>
  call @use(%a) : (memref<3xf32>) -> ()
  call @use(%b) : (memref<3xf32>) -> ()
  call @use_small(%s) : (memref<8xf32>) -> ()
  call @use_big(%big) : (memref<2048xf32>) -> ()
  return
}

// -----

func.func private @use_i1(memref<100xi1>)
func.func private @use_idx(memref<10xindex>)

// Element sizes as LLVM allocates them: i1 takes a byte (100 -> 128 with
// alignment), index 8 bytes (80 -> 128); alignment=128 rounds both to 128.
// CHECK-LABEL: func.func @element_sizes()
// CHECK-SAME: kiln.arena_bytes = 256 : i64
// ALIGN128-LABEL: func.func @element_sizes()
// ALIGN128-SAME: kiln.arena_bytes = 256 : i64
// ALIGN128: memref.alloc() {alignment = 128 : i64, kiln.arena} : memref<256xi8>
func.func @element_sizes() {
  %a = memref.alloc() : memref<100xi1>
  %b = memref.alloc() : memref<10xindex>
  call @use_i1(%a) : (memref<100xi1>) -> ()
  call @use_idx(%b) : (memref<10xindex>) -> ()
  return
}

// -----

func.func private @use(memref<256xf32>)

// A select of two buffers aliases both: both stay live to its last use, and
// the dealloc of the selected one (which frees either) goes away once; the
// arena is freed instead.
// CHECK-LABEL: func.func @select_dealloc(
// CHECK-SAME: kiln.arena_bytes = 2048 : i64
// CHECK: %[[ARENA:.*]] = memref.alloc() {alignment = 64 : i64, kiln.arena} : memref<2048xi8>
// CHECK: arith.select
// CHECK-NEXT: call @use
// CHECK-NEXT: memref.dealloc %[[ARENA]]
// CHECK-NEXT: return
func.func @select_dealloc(%c: i1) {
  %a = memref.alloc() : memref<256xf32>
  %b = memref.alloc() : memref<256xf32>
  %s = arith.select %c, %a, %b : memref<256xf32>
  call @use(%s) : (memref<256xf32>) -> ()
  memref.dealloc %s : memref<256xf32>
  return
}
