// kiln-cpu-matmul-kernels on tensors: the right-hand side is packed into
// column panels, the product tiled for threads (scf.forall), cache blocks
// and an 8 x 32 register tile whose accumulator is carried in registers
// across the innermost k loop (a vector.contract per k step).
// RUN: kiln-opt %s -split-input-file \
// RUN:   --pass-pipeline="builtin.module(func.func(kiln-cpu-matmul-kernels{num-threads=2 pack-min-bytes=0}))" \
// RUN:   | FileCheck %s
// RUN: kiln-opt %s -split-input-file \
// RUN:   --pass-pipeline="builtin.module(func.func(kiln-cpu-matmul-kernels{num-threads=1 kc=64 pack-min-bytes=0}))" \
// RUN:   | FileCheck %s --check-prefix=ONE

func.func @matmul(%a: tensor<128x256xf32>, %b: tensor<256x64xf32>) -> tensor<128x64xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<128x64xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<128x64xf32>) -> tensor<128x64xf32>
  %c = linalg.matmul ins(%a, %b : tensor<128x256xf32>, tensor<256x64xf32>)
                     outs(%f : tensor<128x64xf32>) -> tensor<128x64xf32>
  return %c : tensor<128x64xf32>
}

// B [256x64] is packed into two 32-column panels, each thread one panel.
// CHECK-LABEL: func.func @matmul
// CHECK: %[[B3:.*]] = tensor.expand_shape %arg1 {{\[}}[0], [1, 2]] output_shape [256, 2, 32]
// CHECK: %[[BP:.*]] = scf.forall (%{{.*}}) in (2) shared_outs(%{{.*}} = %{{.*}}) -> (tensor<2x256x32xf32>)
// CHECK:   vector.transfer_read %{{.*}} permutation_map = {{.*}} : tensor<8x1x32xf32>, vector<1x8x32xf32>
// C is not filled: each register tile's accumulator starts from the fill's
// zeros (one k block, so the zeros go straight into the k loop).
// CHECK: %[[C3:.*]] = tensor.expand_shape %{{.*}} output_shape [128, 2, 32]
// CHECK-NOT: linalg.fill
// The product: one column panel per thread, 8-row register tiles, the
// 8x32 accumulator carried as a vector across the k loop and written
// after it; each k step one broadcast column of A times one packed row.
// CHECK: scf.forall (%[[T:.*]]) in (2) shared_outs(%{{.*}} = %[[C3]]) -> (tensor<128x2x32xf32>)
// CHECK:   scf.for %[[M:.*]] = %c0 to %c128 step %c8
// CHECK:     %[[K:.*]] = scf.for %{{.*}} = %c0 to %c256 step %c1 iter_args(%[[ACC:.*]] = %cst) -> (vector<8x32xf32>)
// CHECK:       tensor.extract_slice %arg0[%[[M]], %{{.*}}] [8, 1] [1, 1]
// CHECK:       tensor.extract_slice %[[BP]][%[[T]], %{{.*}}, 0] [1, 1, 32] [1, 1, 1]
// CHECK:       %[[P:.*]] = arith.mulf {{.*}} fastmath<contract> : vector<8x1x32xf32>
// CHECK:       %[[P2:.*]] = vector.shape_cast %[[P]] : vector<8x1x32xf32> to vector<8x32xf32>
// CHECK:       %[[S:.*]] = arith.addf %[[ACC]], %[[P2]] fastmath<contract> : vector<8x32xf32>
// CHECK:       scf.yield %[[S]]
// CHECK:     vector.transfer_write %[[K]]
// CHECK-NOT: linalg.matmul
// CHECK: tensor.collapse_shape {{.*}} : tensor<128x2x32xf32> into tensor<128x64xf32>

// One thread, kc=64: no scf.forall; the k loop is blocked by 64 outside
// the panel and row loops, the innermost k loop runs 64 steps; a tile is
// set to zero before its first block only.
// ONE-LABEL: func.func @matmul
// ONE-NOT: scf.forall
// ONE: scf.for %[[K0:.*]] = %c0 to %c256 step %c64
// ONE:   scf.for %{{.*}} = %c0 to %c2 step %c1
// ONE:     %[[FIRST:.*]] = arith.cmpi eq, %[[K0]], %c0
// ONE:     scf.for %{{.*}} = %c0 to %c128 step %c8
// ONE:       scf.if %[[FIRST]]
// ONE:         vector.transfer_write %cst
// ONE:       scf.for %{{.*}} = %c0 to %c64 step %c1 iter_args({{.*}}) -> (vector<8x32xf32>)
// ONE-NOT: scf.forall

// -----

// Row and column remainders (M % 8, N % 32) are split off as plain matmuls.
func.func @remainders(%a: tensor<67x40xf32>, %b: tensor<40x77xf32>, %init: tensor<67x77xf32>) -> tensor<67x77xf32> {
  %c = linalg.matmul ins(%a, %b : tensor<67x40xf32>, tensor<40x77xf32>)
                     outs(%init : tensor<67x77xf32>) -> tensor<67x77xf32>
  return %c : tensor<67x77xf32>
}

// CHECK-LABEL: func.func @remainders
// The 64 x 64 part is an 8 x 32 kernel; the 3 remaining rows get a 3 x 32
// register tile, the 13 remaining columns an 8 x 13 one (and their last 3
// rows a 3 x 13 one): nothing stays a scalar matmul.
// CHECK: scf.forall {{.*}} -> (tensor<64x2x32xf32>)
// CHECK:   arith.addf {{.*}} : vector<8x32xf32>
// CHECK: scf.forall {{.*}} -> (tensor<3x2x32xf32>)
// CHECK:   arith.addf {{.*}} : vector<3x32xf32>
// CHECK: scf.forall {{.*}} -> (tensor<64x1x13xf32>)
// CHECK:   arith.addf {{.*}} : vector<8x13xf32>
// CHECK: arith.addf {{.*}} : vector<3x13xf32>
// CHECK-NOT: linalg.matmul

// -----

// Batch matmul: threads over the batch.
func.func @batch(%a: tensor<4x64x32xf32>, %b: tensor<4x32x64xf32>, %init: tensor<4x64x64xf32>) -> tensor<4x64x64xf32> {
  %c = linalg.batch_matmul ins(%a, %b : tensor<4x64x32xf32>, tensor<4x32x64xf32>)
                           outs(%init : tensor<4x64x64xf32>) -> tensor<4x64x64xf32>
  return %c : tensor<4x64x64xf32>
}

// CHECK-LABEL: func.func @batch
// CHECK: tensor.expand_shape %arg1 {{\[}}[0], [1], [2, 3]] output_shape [4, 32, 2, 32]
// CHECK: scf.forall {{.*}} -> (tensor<4x2x32x32xf32>)
// CHECK: scf.forall (%{{.*}}) = (0) to (4) step (2) {{.*}} -> (tensor<4x64x2x32xf32>)
// CHECK:   scf.for {{.*}} -> (vector<8x32xf32>)
// CHECK-NOT: linalg.batch_matmul

// -----

// Transposed right-hand side (B is N x K): the packing transposes it.
func.func @transpose_b(%a: tensor<64x48xf32>, %b: tensor<64x48xf32>, %init: tensor<64x64xf32>) -> tensor<64x64xf32> {
  %c = linalg.matmul
      indexing_maps = [affine_map<(m, n, k) -> (m, k)>,
                       affine_map<(m, n, k) -> (n, k)>,
                       affine_map<(m, n, k) -> (m, n)>]
      ins(%a, %b : tensor<64x48xf32>, tensor<64x48xf32>)
      outs(%init : tensor<64x64xf32>) -> tensor<64x64xf32>
  return %c : tensor<64x64xf32>
}

// CHECK-LABEL: func.func @transpose_b
// CHECK: tensor.expand_shape %arg1 {{\[}}[0, 1], [2]] output_shape [2, 32, 48]
// CHECK: scf.forall {{.*}} -> (tensor<2x48x32xf32>)
// CHECK:   vector.transfer_read {{.*}} : tensor<1x32x8xf32>, vector<1x8x32xf32>
// CHECK: scf.for {{.*}} -> (vector<8x32xf32>)
// CHECK-NOT: linalg.matmul

// -----

// Left alone: too small, not f32, dynamic.
func.func @skipped(%a: tensor<4x4xf32>, %b: tensor<4x4xf32>, %i: tensor<4x4xf32>,
                   %x: tensor<64x64xf64>, %y: tensor<64x64xf64>, %z: tensor<64x64xf64>,
                   %p: tensor<?x64xf32>, %q: tensor<64x64xf32>, %r: tensor<?x64xf32>)
    -> (tensor<4x4xf32>, tensor<64x64xf64>, tensor<?x64xf32>) {
  %0 = linalg.matmul ins(%a, %b : tensor<4x4xf32>, tensor<4x4xf32>) outs(%i : tensor<4x4xf32>) -> tensor<4x4xf32>
  %1 = linalg.matmul ins(%x, %y : tensor<64x64xf64>, tensor<64x64xf64>) outs(%z : tensor<64x64xf64>) -> tensor<64x64xf64>
  %2 = linalg.matmul ins(%p, %q : tensor<?x64xf32>, tensor<64x64xf32>) outs(%r : tensor<?x64xf32>) -> tensor<?x64xf32>
  return %0, %1, %2 : tensor<4x4xf32>, tensor<64x64xf64>, tensor<?x64xf32>
}

// CHECK-LABEL: func.func @skipped
// CHECK-NOT: scf.forall
// CHECK-COUNT-3: linalg.matmul
// CHECK-NOT: scf.forall

// -----

// With the default pack-min-bytes (512 KiB), a small B already laid out
// [K, N] (here 256 x 64 f32, 64 KiB: an image's im2col) is read in place
// through [K, N/32, 32]: no packing transpose.
// RUN: kiln-opt %s -split-input-file \
// RUN:   --pass-pipeline="builtin.module(func.func(kiln-cpu-matmul-kernels{num-threads=2}))" \
// RUN:   | FileCheck %s --check-prefix=INPLACE
func.func @in_place(%a: tensor<128x256xf32>, %b: tensor<256x64xf32>, %init: tensor<128x64xf32>) -> tensor<128x64xf32> {
  %c = linalg.matmul ins(%a, %b : tensor<128x256xf32>, tensor<256x64xf32>)
                     outs(%init : tensor<128x64xf32>) -> tensor<128x64xf32>
  return %c : tensor<128x64xf32>
}
// CHECK-LABEL: func.func @in_place
// ONE-LABEL: func.func @in_place
// INPLACE-LABEL: func.func @in_place
// INPLACE: %[[B3:.*]] = tensor.expand_shape %arg1 {{\[}}[0], [1, 2]] output_shape [256, 2, 32]
// INPLACE-NOT: linalg.transpose
// INPLACE: scf.forall (%[[T:.*]]) in (2)
// INPLACE:   tensor.extract_slice %[[B3]][%{{.*}}, %[[T]], 0] [1, 1, 32] [1, 1, 1]
// INPLACE:   arith.addf {{.*}} : vector<8x32xf32>
