// kiln-cuda-host-shared-memory reports each function's own counts.
// RUN: kiln-opt %s --kiln-cuda-host-shared-memory --mlir-print-op-on-diagnostic=false -o /dev/null 2>&1 | FileCheck %s
// CHECK: remark: kiln-cuda-host-shared-memory: 2 allocations and 0 globals in host-shared memory (48 bytes with static shapes)
// CHECK: remark: kiln-cuda-host-shared-memory: 1 allocations and 0 globals in host-shared memory (16 bytes with static shapes)
func.func @two(%out: memref<4xf32>) {
  %a = memref.alloc() : memref<8xf32>
  %b = memref.alloc() : memref<4xf32>
  memref.copy %b, %out : memref<4xf32> to memref<4xf32>
  memref.dealloc %a : memref<8xf32>
  memref.dealloc %b : memref<4xf32>
  return
}
func.func @one(%out: memref<4xf32>) {
  %a = memref.alloc() : memref<4xf32>
  memref.copy %a, %out : memref<4xf32> to memref<4xf32>
  memref.dealloc %a : memref<4xf32>
  return
}
