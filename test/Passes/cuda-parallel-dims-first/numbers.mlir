// kiln-cuda-parallel-dims-first does not change numbers: a column sum
// (reduction dimension first, as a bias gradient over a batch) and a row sum
// of x[i][j] = i + j/2 (256 x 10), lowered to loops and run with and without
// the pass; both print the sums that the formulas give:
// sum_i (i + j/2) = 32640 + 128 j, and sum_j (i + j/2) = 10 i + 22.5.
// RUN: kiln-opt %s --kiln-cuda-parallel-dims-first --convert-linalg-to-loops --lower-affine --convert-scf-to-cf --finalize-memref-to-llvm --convert-arith-to-llvm --convert-cf-to-llvm --convert-func-to-llvm --reconcile-unrealized-casts 2>/dev/null | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_utils | FileCheck %s
// RUN: kiln-opt %s --convert-linalg-to-loops --lower-affine --convert-scf-to-cf --finalize-memref-to-llvm --convert-arith-to-llvm --convert-cf-to-llvm --convert-func-to-llvm --reconcile-unrealized-casts | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_runner_utils | FileCheck %s

// CHECK: [32640,  32768,  32896,  33024,  33152,  33280,  33408,  33536,  33664,  33792]
// CHECK: [22.5,  32.5,  42.5,
#in = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func private @printMemrefF32(memref<*xf32>)
func.func @main() {
  %x = memref.alloc() : memref<256x10xf32>
  linalg.generic {indexing_maps = [#in], iterator_types = ["parallel", "parallel"]}
      outs(%x : memref<256x10xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %ii = arith.index_cast %i : index to i32
    %jj = arith.index_cast %j : index to i32
    %fi = arith.sitofp %ii : i32 to f32
    %fj = arith.sitofp %jj : i32 to f32
    %half = arith.constant 0.5 : f32
    %h = arith.mulf %fj, %half : f32
    %v = arith.addf %fi, %h : f32
    linalg.yield %v : f32
  }
  %zero = arith.constant 0.0 : f32
  %cols = memref.alloc() : memref<10xf32>
  linalg.fill ins(%zero : f32) outs(%cols : memref<10xf32>)
  linalg.generic {indexing_maps = [#in, #col], iterator_types = ["reduction", "parallel"]}
      ins(%x : memref<256x10xf32>) outs(%cols : memref<10xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %a, %acc : f32
    linalg.yield %s : f32
  }
  %rows = memref.alloc() : memref<256xf32>
  linalg.fill ins(%zero : f32) outs(%rows : memref<256xf32>)
  linalg.generic {indexing_maps = [#in, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<256x10xf32>) outs(%rows : memref<256xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %a, %acc : f32
    linalg.yield %s : f32
  }
  %c = memref.cast %cols : memref<10xf32> to memref<*xf32>
  call @printMemrefF32(%c) : (memref<*xf32>) -> ()
  %r = memref.cast %rows : memref<256xf32> to memref<*xf32>
  call @printMemrefF32(%r) : (memref<*xf32>) -> ()
  memref.dealloc %x : memref<256x10xf32>
  memref.dealloc %cols : memref<10xf32>
  memref.dealloc %rows : memref<256xf32>
  return
}
