// kiln-cuda-host-shared-memory: the host function's buffers move to memory
// the GPU can address. memref.alloc becomes gpu.alloc host_shared (CUDA
// managed memory) and memref.dealloc an asynchronous gpu.dealloc (the form
// gpu-to-llvm lowers) on a stream that is then waited for; an alloca is
// such an allocation freed at the end of its block; a constant global is
// copied into one. Kernels (gpu.module) are not touched.
// RUN: kiln-opt %s --kiln-cuda-host-shared-memory --mlir-print-op-on-diagnostic=false 2>%t.remarks | FileCheck %s
// RUN: FileCheck %s --check-prefix=REMARK < %t.remarks
// RUN: kiln-opt %s --kiln-cuda-host-shared-memory --mlir-print-op-on-diagnostic=false 2>&1 >/dev/null | FileCheck %s --check-prefix=UNMAPPED

// REMARK: remark: kiln-cuda-host-shared-memory: 3 allocations and 1 globals in host-shared memory (4184 bytes with static shapes)
// UNMAPPED: warning: kiln-cuda: this parallel loop was not mapped to the GPU and runs on the host

module attributes {gpu.container_module} {
memref.global "private" constant @table : memref<2x3xf32> = dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]>

// CHECK-LABEL: func.func @host
// The global: a host-shared copy, passed to the kernel, freed at the end.
// CHECK: %[[G:.*]] = memref.get_global @table : memref<2x3xf32>
// CHECK-NEXT: %[[GS:.*]] = gpu.alloc  host_shared () : memref<2x3xf32>
// CHECK-NEXT: memref.copy %[[G]], %[[GS]] : memref<2x3xf32> to memref<2x3xf32>
// CHECK: %[[A:.*]] = gpu.alloc  host_shared () : memref<1024xf32>
// CHECK: %[[D:.*]] = gpu.alloc  host_shared (%arg1) : memref<?xf32>
// CHECK: %[[S:.*]] = gpu.alloc  host_shared () : memref<16xf32>
// CHECK: gpu.launch_func @kernels::@k {{.*}} args(%[[GS]] : memref<2x3xf32>, %[[A]] : memref<1024xf32>, %[[D]] : memref<?xf32>, %[[S]] : memref<16xf32>)
// CHECK: memref.copy %[[A]], %arg0
// The explicit deallocations.
// CHECK: %[[T0:.*]] = gpu.wait async
// CHECK-NEXT: %[[T1:.*]] = gpu.dealloc async [%[[T0]]] %[[A]] : memref<1024xf32>
// CHECK-NEXT: gpu.wait [%[[T1]]]
// CHECK: gpu.dealloc async [%{{.*}}] %[[D]] : memref<?xf32>
// The block-scoped ones (alloca, global copy) before the return.
// CHECK: gpu.dealloc async [%{{.*}}] %[[GS]] : memref<2x3xf32>
// CHECK: gpu.dealloc async [%{{.*}}] %[[S]] : memref<16xf32>
// CHECK: return
// Kernel code keeps its own buffers (2 x 3 x 4 + 1024 x 4 + 16 x 4 bytes
// above are the static ones).
// CHECK: gpu.func @k
// CHECK: memref.alloca() : memref<4xf32>
func.func @host(%out: memref<1024xf32>, %n: index) {
  %g = memref.get_global @table : memref<2x3xf32>
  %a = memref.alloc() {alignment = 64 : i64} : memref<1024xf32>
  %d = memref.alloc(%n) : memref<?xf32>
  %s = memref.alloca() : memref<16xf32>
  %c1 = arith.constant 1 : index
  gpu.launch_func @kernels::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
      args(%g : memref<2x3xf32>, %a : memref<1024xf32>, %d : memref<?xf32>, %s : memref<16xf32>)
  memref.copy %a, %out : memref<1024xf32> to memref<1024xf32>
  memref.dealloc %a : memref<1024xf32>
  memref.dealloc %d : memref<?xf32>
  %c0 = arith.constant 0 : index
  scf.parallel (%i) = (%c0) to (%c1) step (%c1) {
    scf.reduce
  }
  return
}

gpu.module @kernels {
  gpu.func @k(%g: memref<2x3xf32>, %a: memref<1024xf32>, %d: memref<?xf32>, %s: memref<16xf32>) kernel {
    %t = memref.alloca() : memref<4xf32>
    gpu.return
  }
}
}

