// kiln-plan-memory: a static buffer allocated in the body of a
// one-dimensional scf.forall with no more iterations than threads
// (kiln-cpu-conv-to-gemm's per-thread im2col) gets one arena slot per
// iteration, at offset + (iv - lb) / step * slot bytes; the arena holds
// all slots over the loop's lifetime. A forall with more iterations than
// threads keeps its buffer separate, counted once per thread.
// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-plan-memory{num-threads=2}))" | FileCheck %s
// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-plan-memory{num-threads=2}))" --mlir-print-op-on-diagnostic=false 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK

func.func private @use(memref<64xf32>)

// Two slots of 256 bytes after the 256-byte %pre (live across the loop).
// CHECK-LABEL: func.func @slots
// CHECK: %[[ARENA:.*]] = memref.alloc() {{.*}}kiln.arena{{.*}} : memref<768xi8>
// CHECK: scf.forall (%[[I:.*]]) = (0) to (4) step (2)
// CHECK:   %[[D:.*]] = arith.subi %[[I]], %{{.*}}
// CHECK:   %[[K:.*]] = arith.divui %[[D]], %c2
// CHECK:   %[[O:.*]] = arith.muli %[[K]], %c256
// CHECK:   %[[OFF:.*]] = arith.addi %{{.*}}, %[[O]]
// CHECK:   memref.view %[[ARENA]][%[[OFF]]][] : memref<768xi8> to memref<64xf32>
// CHECK-NOT: memref.alloc()
// CHECK: return
func.func @slots() {
  %pre = memref.alloc() : memref<64xf32>
  call @use(%pre) : (memref<64xf32>) -> ()
  scf.forall (%i) = (0) to (4) step (2) {
    %scratch = memref.alloc() : memref<64xf32>
    func.call @use(%scratch) : (memref<64xf32>) -> ()
  }
  call @use(%pre) : (memref<64xf32>) -> ()
  return
}

// Eight iterations for two threads: the buffer stays its own allocation
// and counts twice (two iterations at a time).
// CHECK-LABEL: func.func @many
// CHECK: scf.forall
// CHECK:   memref.alloc() : memref<64xf32>
// REMARK: remark: plan-memory: 0 buffers in a 0-byte arena {{.*}}left separate: 1 static (512 bytes), 0 dynamic
func.func @many() {
  scf.forall (%i) in (8) {
    %scratch = memref.alloc() : memref<64xf32>
    func.call @use(%scratch) : (memref<64xf32>) -> ()
  }
  return
}
