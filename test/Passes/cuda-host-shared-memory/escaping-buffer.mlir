// kiln-cuda-host-shared-memory frees a copied global at the end of its
// block; one that leaves the block is refused, not leaked or freed early.
// RUN: not kiln-opt %s --kiln-cuda-host-shared-memory --mlir-print-op-on-diagnostic=false 2>&1 | FileCheck %s

// CHECK: error: kiln-cuda-host-shared-memory: a block-scoped buffer leaves its block through 'func.return'
func.func @escapes() -> memref<2x3xf32> {
  %g = memref.get_global @table : memref<2x3xf32>
  return %g : memref<2x3xf32>
}
memref.global "private" constant @table : memref<2x3xf32> = dense<0.0>
