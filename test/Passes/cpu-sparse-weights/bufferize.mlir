// kiln-cpu-bufferize, the CPU pipeline's bufferization step: a module
// without sparse tensors gets exactly one-shot-bufferize with the
// pipeline's options (the outputs are compared); a module with some
// (here kiln-cpu-sparse-weights' product) goes through the sparse
// compiler: loops over the stored entries (the dense outer loop an
// scf.parallel, the inner one vectorized with 32-bit gathers), the sparse
// tensor as plain buffers, no sparse_tensor op or type left, and no
// helper function left to return a dynamically sized buffer.
// RUN: kiln-opt %s -split-input-file --pass-pipeline="builtin.module(kiln-cpu-bufferize)" > %t.kiln
// RUN: kiln-opt %s -split-input-file \
// RUN:   --pass-pipeline="builtin.module(one-shot-bufferize{bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map})" > %t.upstream
// RUN: diff %t.kiln %t.upstream
// RUN: kiln-opt %s -split-input-file \
// RUN:   --pass-pipeline="builtin.module(func.func(kiln-cpu-sparse-weights{num-threads=1}),kiln-cpu-bufferize)" \
// RUN:   | FileCheck %s --check-prefix=SPARSE
// RUN: kiln-opt %s -split-input-file \
// RUN:   --pass-pipeline="builtin.module(func.func(kiln-cpu-sparse-weights{num-threads=1 conversion=convert}),kiln-cpu-bufferize{parallelize=false vl=0})" \
// RUN:   | FileCheck %s --check-prefix=SCALAR

// SPARSE-NOT: sparse_tensor
// SPARSE-NOT: #sparse
// SPARSE-LABEL: func.func @main(%arg0: memref<8x16xf32>, %arg1: memref<16x32xf32>) -> memref<8x32xf32>
// SPARSE: scf.parallel (%[[M:.*]]) = (%c0) to (%c8) step (%c1)
// SPARSE:   scf.for %[[N:.*]] = %c0 to %c32 step %c1
// SPARSE:     scf.for {{.*}} -> (vector<16xf32>)
// SPARSE:       vector.maskedload {{.*}} : memref<?xi32>, vector<16xi1>, vector<16xi32> into vector<16xi32>
// SPARSE:       vector.gather %arg0[%[[M]], %c0] [%{{.*}}], {{.*}} : memref<8x16xf32>, vector<16xi32>, vector<16xi1>, vector<16xf32> into vector<16xf32>
// SPARSE:     vector.reduction <add>
// SPARSE-NOT: func.func private
// SPARSE-NOT: sparse_tensor
// sparse_tensor.convert's insertion helper is inlined and erased; the
// loops stay scalar.
// SCALAR-NOT: sparse_tensor.
// SCALAR-LABEL: func.func @main
// SCALAR-NOT: func.call
// SCALAR-NOT: scf.parallel
// SCALAR-NOT: vector.gather
// SCALAR: scf.for
// SCALAR-NOT: func.func private
// SCALAR: func.func @dense
func.func @main(%x: tensor<8x16xf32>, %w: tensor<16x32xf32>) -> tensor<8x32xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x32xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<8x32xf32>) -> tensor<8x32xf32>
  %y = linalg.matmul {kiln.sparse_weight}
         ins(%x, %w : tensor<8x16xf32>, tensor<16x32xf32>)
         outs(%f : tensor<8x32xf32>) -> tensor<8x32xf32>
  return %y : tensor<8x32xf32>
}

// -----

// Dense: the marker-free twin and an elementwise op, as before.
func.func @dense(%x: tensor<8x16xf32>, %w: tensor<16x32xf32>) -> tensor<8x32xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x32xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<8x32xf32>) -> tensor<8x32xf32>
  %y = linalg.matmul ins(%x, %w : tensor<8x16xf32>, tensor<16x32xf32>)
         outs(%f : tensor<8x32xf32>) -> tensor<8x32xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%y : tensor<8x32xf32>) outs(%e : tensor<8x32xf32>) {
  ^bb0(%a: f32, %b: f32):
    %m = arith.maximumf %a, %z : f32
    linalg.yield %m : f32
  } -> tensor<8x32xf32>
  return %r : tensor<8x32xf32>
}

// -----

// The columns form (64 rows of X): the loop over a column's nonzeros adds
// to the output row yT[n, 0:64], four 16-wide vectors. They are loop values
// (loaded before the loop, stored after it), not a load and a store per
// nonzero.
// SPARSE-LABEL: func.func @columns
// SPARSE: scf.parallel (%[[N:.*]]) = (%c0) to (%c32) step (%c1)
// SPARSE-COUNT-4: vector.load %[[YT:.*]][%[[N]], %{{.*}}] : memref<32x64xf32>, vector<16xf32>
// SPARSE: %[[ACC:.*]]:4 = scf.for {{.*}} iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// SPARSE-NOT: vector.store
// SPARSE: scf.yield
// SPARSE: vector.store %[[ACC]]#0, %[[YT]][%[[N]], %c0]
// SPARSE-COUNT-3: vector.store %[[ACC]]#{{[1-3]}}, %[[YT]][%[[N]], %{{.*}}]
func.func @columns(%x: tensor<64x16xf32>, %w: tensor<16x32xf32>) -> tensor<64x32xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64x32xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<64x32xf32>) -> tensor<64x32xf32>
  %y = linalg.matmul {kiln.sparse_weight}
         ins(%x, %w : tensor<64x16xf32>, tensor<16x32xf32>)
         outs(%f : tensor<64x32xf32>) -> tensor<64x32xf32>
  return %y : tensor<64x32xf32>
}
