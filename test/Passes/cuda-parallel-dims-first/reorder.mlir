// kiln-cuda-parallel-dims-first: a linalg op with a reduction dimension
// ahead of a parallel one gets its loops permuted, parallel dimensions
// first (named ops generalized first); ops already parallel-first stay.
// RUN: kiln-opt %s --kiln-cuda-parallel-dims-first --mlir-print-op-on-diagnostic=false 2>%t.remarks | FileCheck %s
// RUN: FileCheck %s --check-prefix=REMARK < %t.remarks
// And in the CUDA pipeline: the bias gradient becomes one kernel (grid of
// one block of 10 threads, each summing 256 rows), not a host loop of 256
// launches.
// The dump and the remarks share stderr, and a remark echoes its source
// line (`func.func @bias_grad(%g: ...`): the labels name the dump's
// `%arg0`, and one thread keeps the functions in order.
// RUN: kiln-opt %s --mlir-disable-threading --mlir-print-ir-after=convert-parallel-loops-to-gpu --kiln-cuda-lower-to-nvvm --mlir-print-op-on-diagnostic=false -o /dev/null 2>&1 | FileCheck %s --check-prefix=GPU

// REMARK: remark: kiln-cuda-parallel-dims-first: 1 linalg ops with their parallel dimensions moved first
// REMARK: remark: kiln-cuda-parallel-dims-first: 1 linalg ops with their parallel dimensions moved first
// REMARK-NOT: kiln-cuda-parallel-dims-first

// CHECK-DAG: #[[T:.*]] = affine_map<(d0, d1) -> (d1, d0)>
// CHECK-DAG: #[[O:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @bias_grad
// CHECK: linalg.generic {indexing_maps = [#[[T]], #[[O]]], iterator_types = ["parallel", "reduction"]}
// CHECK-LABEL: func.func @row_sums
// CHECK: linalg.reduce
// CHECK-LABEL: func.func @col_sums
// CHECK: linalg.generic {indexing_maps = [#[[T]], #[[O]]], iterator_types = ["parallel", "reduction"]}
// CHECK-LABEL: func.func @matmul
// CHECK: linalg.matmul

// GPU-LABEL: func.func @bias_grad(%arg0
// GPU-NOT: scf.for
// GPU: gpu.launch
// GPU: scf.for {{.*}} = %c0 to %c256
// GPU-LABEL: func.func @row_sums(%arg0

#in = affine_map<(d0, d1) -> (d0, d1)>
#out = affine_map<(d0, d1) -> (d1)>
func.func @bias_grad(%g: memref<256x10xf32>, %db: memref<10xf32>) {
  linalg.generic {indexing_maps = [#in, #out], iterator_types = ["reduction", "parallel"]}
      ins(%g : memref<256x10xf32>) outs(%db : memref<10xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %a, %acc : f32
    linalg.yield %s : f32
  }
  return
}
func.func @row_sums(%x: memref<4x8xf32>, %s: memref<4xf32>) {
  linalg.reduce ins(%x : memref<4x8xf32>) outs(%s : memref<4xf32>) dimensions = [1]
    (%a: f32, %acc: f32) {
      %r = arith.addf %a, %acc : f32
      linalg.yield %r : f32
    }
  return
}
func.func @col_sums(%x: memref<4x8xf32>, %s: memref<8xf32>) {
  linalg.reduce ins(%x : memref<4x8xf32>) outs(%s : memref<8xf32>) dimensions = [0]
    (%a: f32, %acc: f32) {
      %r = arith.addf %a, %acc : f32
      linalg.yield %r : f32
    }
  return
}
func.func @matmul(%a: memref<4x8xf32>, %b: memref<8x16xf32>, %c: memref<4x16xf32>) {
  linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x16xf32>) outs(%c : memref<4x16xf32>)
  return
}
