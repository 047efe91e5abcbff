// kiln-cpu-sparse-weights on tensors: a linalg.matmul marked
// kiln.sparse_weight builds the CSC form of its weight in the code (vector
// compares counting each column's nonzeros, a prefix sum, a bit scan of
// the compare masks storing coordinates and values, sparse_tensor.assemble)
// and becomes a linalg.generic on the sparse operand (tagged
// kiln.sparse_product): the rows form for few rows of X, the columns form
// (X and Y transposed, the rows of X innermost) for many. Unmarked matmuls
// are left alone (marked ones of another form: sparse-weights-remarks.mlir).
// RUN: kiln-opt %s -split-input-file \
// RUN:   --pass-pipeline="builtin.module(func.func(kiln-cpu-sparse-weights{num-threads=2}))" \
// RUN:   | FileCheck %s
// RUN: kiln-opt %s -split-input-file \
// RUN:   --pass-pipeline="builtin.module(func.func(kiln-cpu-sparse-weights{form=rows conversion=convert}))" \
// RUN:   | FileCheck %s --check-prefix=CONVERT
// RUN: kiln-opt %s -split-input-file \
// RUN:   --pass-pipeline="builtin.module(func.func(kiln-cpu-sparse-weights{num-threads=1}))" \
// RUN:   | FileCheck %s --check-prefix=ONE
// RUN: kiln-opt %s -split-input-file \
// RUN:   --pass-pipeline="builtin.module(func.func(kiln-cpu-sparse-weights{num-threads=1 columns-tile-rows=64}))" \
// RUN:   | FileCheck %s --check-prefix=TILE

// CHECK-DAG: #[[CSC:.*]] = #sparse_tensor.encoding<{ map = (d0, d1) -> (d1 : dense, d0 : compressed), posWidth = 32, crdWidth = 32 }>

// Four rows: the rows form, loops (m, n, k over column n).
// CHECK-LABEL: func.func @few_rows
// Counts per column: 16-wide compares of W's rows, the columns split
// between two threads (16 each); each compare's mask is kept as an i16 of
// the bitmap.
// CHECK: %[[CUR:.*]] = memref.alloc() : memref<32xi32>
// CHECK: linalg.fill ins(%{{.*}} : i32) outs(%[[CUR]] : memref<32xi32>)
// CHECK: %[[MAP:.*]] = memref.alloc() : memref<64x2xi16>
// CHECK: scf.forall (%{{.*}}) in (2)
// CHECK:   vector.transfer_read %arg1{{.*}} : tensor<64x32xf32>, vector<16xf32>
// CHECK:   arith.cmpf une
// CHECK:   vector.load %[[CUR]]
// CHECK:   vector.store %{{.*}}, %[[CUR]]
// CHECK:   vector.bitcast %{{.*}} : vector<16xi1> to vector<1xi16>
// CHECK:   memref.store %{{.*}}, %[[MAP]]
// The prefix sum into the positions; its last value is the number of
// nonzeros, and each count becomes its column's start.
// CHECK: %[[POS:.*]] = memref.alloc() : memref<33xi32>
// CHECK: %[[NNZ32:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %c0_i32) -> (i32)
// CHECK:   memref.store %{{.*}}, %[[CUR]]
// CHECK:   memref.store %{{.*}}, %[[POS]]
// CHECK: %[[NNZ:.*]] = arith.index_cast %[[NNZ32]] : i32 to index
// CHECK: %[[CRD:.*]] = memref.alloc(%[[NNZ]]) : memref<?xi32>
// CHECK: %[[VAL:.*]] = memref.alloc(%[[NNZ]]) : memref<?xf32>
// The fill: the bitmap's words of 32 columns (one chunk: not split between
// threads) as one integer, W not compared again; each set bit stores one
// entry, its value read from W.
// CHECK-NOT: scf.forall
// CHECK-NOT: arith.cmpf
// CHECK:   vector.load %[[MAP]]{{.*}} : memref<64x2xi16>, vector<2xi16>
// CHECK:   vector.bitcast %{{.*}} : vector<2xi16> to vector<1xi32>
// CHECK:   %[[BITS:.*]] = arith.extui %{{.*}} : i32 to i64
// CHECK:   math.ctpop %[[BITS]] : i64
// CHECK:   scf.for
// CHECK:     math.cttz
// CHECK:     memref.load %[[CUR]]
// CHECK:     memref.store %{{.*}}, %[[CRD]]
// CHECK:     tensor.extract %arg1
// CHECK:     memref.store %{{.*}}, %[[VAL]]
// CHECK:     memref.store %{{.*}}, %[[CUR]]
// CHECK-DAG: %[[VALT:.*]] = bufferization.to_tensor %[[VAL]] restrict
// CHECK-DAG: %[[POST:.*]] = bufferization.to_tensor %[[POS]] restrict
// CHECK-DAG: %[[CRDT:.*]] = bufferization.to_tensor %[[CRD]] restrict
// CHECK: %[[WS:.*]] = sparse_tensor.assemble (%[[POST]], %[[CRDT]]), %[[VALT]] : (tensor<33xi32>, tensor<?xi32>), tensor<?xf32> to tensor<64x32xf32, #[[CSC]]>
// CHECK: %[[Y:.*]] = linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #{{.*}}], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK-SAME: ins(%arg0, %[[WS]] : tensor<4x64xf32>, tensor<64x32xf32, #[[CSC]]>)
// CHECK-SAME: outs(%{{.*}} : tensor<4x32xf32>)
// CHECK-SAME: kiln.sparse_product = "rows"
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK-NOT: linalg.matmul
// CHECK: return %[[Y]]
// conversion=convert: sparse_tensor.convert to the same encoding.
// CONVERT-LABEL: func.func @few_rows
// CONVERT: %[[WS:.*]] = sparse_tensor.convert %arg1 : tensor<64x32xf32> to tensor<64x32xf32, #sparse>
// CONVERT: linalg.generic {{.*}} ins(%arg0, %[[WS]] : {{.*}}){{.*}}kiln.sparse_product = "rows"
// One thread: no scf.forall.
// ONE-LABEL: func.func @few_rows
// ONE-NOT: scf.forall
// ONE: sparse_tensor.assemble
func.func @few_rows(%x: tensor<4x64xf32>, %w: tensor<64x32xf32>) -> tensor<4x32xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x32xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<4x32xf32>) -> tensor<4x32xf32>
  %y = linalg.matmul {kiln.sparse_weight}
         ins(%x, %w : tensor<4x64xf32>, tensor<64x32xf32>)
         outs(%f : tensor<4x32xf32>) -> tensor<4x32xf32>
  return %y : tensor<4x32xf32>
}

// -----

// 128 rows, an accumulator argument: the columns form. X and the
// accumulator transposed, loops (n, k over column n, m) with m innermost,
// the result transposed back into the accumulator.
// CHECK-LABEL: func.func @many_rows
// CHECK: %[[WS:.*]] = sparse_tensor.assemble {{.*}} to tensor<64x32xf32, #[[CSC]]>
// CHECK: %[[XT:.*]] = linalg.transpose ins(%arg0 : tensor<128x64xf32>) outs(%{{.*}} : tensor<64x128xf32>) permutation = [1, 0]
// CHECK: %[[YT0:.*]] = linalg.transpose ins(%arg2 : tensor<128x32xf32>) outs(%{{.*}} : tensor<32x128xf32>) permutation = [1, 0]
// CHECK: %[[YT:.*]] = linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #{{.*}}], iterator_types = ["parallel", "reduction", "parallel"]}
// CHECK-SAME: ins(%[[WS]], %[[XT]] : tensor<64x32xf32, #[[CSC]]>, tensor<64x128xf32>)
// CHECK-SAME: outs(%[[YT0]] : tensor<32x128xf32>)
// CHECK-SAME: kiln.sparse_product = "columns"
// CHECK: %[[Y:.*]] = linalg.transpose ins(%[[YT]] : tensor<32x128xf32>) outs(%arg2 : tensor<128x32xf32>) permutation = [1, 0]
// CHECK-NOT: linalg.matmul
// CHECK: return %[[Y]]
// In tiles of 64 rows of X: two products, each on its rows of X and of the
// accumulator, written back into the accumulator's rows.
// TILE-LABEL: func.func @many_rows
// TILE: %[[WS:.*]] = sparse_tensor.assemble
// TILE: %[[X0:.*]] = tensor.extract_slice %arg0[0, 0] [64, 64] [1, 1] : tensor<128x64xf32> to tensor<64x64xf32>
// TILE: %[[XT0:.*]] = linalg.transpose ins(%[[X0]] : tensor<64x64xf32>)
// TILE: %[[A0:.*]] = tensor.extract_slice %arg2[0, 0] [64, 32] [1, 1]
// TILE: %[[YT00:.*]] = linalg.transpose ins(%[[A0]] : tensor<64x32xf32>) outs(%{{.*}} : tensor<32x64xf32>)
// TILE: %[[P0:.*]] = linalg.generic {{.*}} ins(%[[WS]], %[[XT0]] : {{.*}}) outs(%[[YT00]] : tensor<32x64xf32>)
// TILE: %[[D0:.*]] = tensor.extract_slice %arg2[0, 0] [64, 32] [1, 1]
// TILE: %[[Y0:.*]] = linalg.transpose ins(%[[P0]] : tensor<32x64xf32>) outs(%[[D0]] : tensor<64x32xf32>)
// TILE: %[[R0:.*]] = tensor.insert_slice %[[Y0]] into %arg2[0, 0] [64, 32] [1, 1]
// TILE: tensor.extract_slice %arg0[64, 0] [64, 64] [1, 1]
// TILE: tensor.extract_slice %[[R0]][64, 0] [64, 32] [1, 1]
// TILE: linalg.generic {{.*}} ins(%[[WS]], %{{.*}} : {{.*}})
// TILE: %[[R1:.*]] = tensor.insert_slice %{{.*}} into %[[R0]][64, 0] [64, 32] [1, 1]
// TILE: return %[[R1]]
// CONVERT-LABEL: func.func @many_rows
// CONVERT-NOT: linalg.transpose
// CONVERT: kiln.sparse_product = "rows"
func.func @many_rows(%x: tensor<128x64xf32>, %w: tensor<64x32xf32>, %acc: tensor<128x32xf32>) -> tensor<128x32xf32> {
  %y = linalg.matmul {kiln.sparse_weight}
         ins(%x, %w : tensor<128x64xf32>, tensor<64x32xf32>)
         outs(%acc : tensor<128x32xf32>) -> tensor<128x32xf32>
  return %y : tensor<128x32xf32>
}

// -----

// The columns form into a zero fill: yT is filled directly (no transpose
// of the accumulator), the result transposed into a new tensor.
// CHECK-LABEL: func.func @many_rows_fill
// CHECK: sparse_tensor.assemble
// CHECK: %[[E:.*]] = tensor.empty() : tensor<128x32xf32>
// CHECK: %[[XT:.*]] = linalg.transpose ins(%arg0 : tensor<128x64xf32>)
// CHECK: %[[YT0:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<32x128xf32>) -> tensor<32x128xf32>
// CHECK: %[[YT:.*]] = linalg.generic {{.*}} outs(%[[YT0]] : tensor<32x128xf32>)
// CHECK: linalg.transpose ins(%[[YT]] : tensor<32x128xf32>) outs(%[[E]] : tensor<128x32xf32>)
func.func @many_rows_fill(%x: tensor<128x64xf32>, %w: tensor<64x32xf32>) -> tensor<128x32xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<128x32xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<128x32xf32>) -> tensor<128x32xf32>
  %y = linalg.matmul {kiln.sparse_weight}
         ins(%x, %w : tensor<128x64xf32>, tensor<64x32xf32>)
         outs(%f : tensor<128x32xf32>) -> tensor<128x32xf32>
  return %y : tensor<128x32xf32>
}

// -----

// Unmarked: untouched.
// CHECK-LABEL: func.func @unmarked
// CHECK-NOT: sparse_tensor
// CHECK: linalg.matmul ins
func.func @unmarked(%x: tensor<128x64xf32>, %w: tensor<64x32xf32>, %acc: tensor<128x32xf32>) -> tensor<128x32xf32> {
  %y = linalg.matmul ins(%x, %w : tensor<128x64xf32>, tensor<64x32xf32>)
                     outs(%acc : tensor<128x32xf32>) -> tensor<128x32xf32>
  return %y : tensor<128x32xf32>
}

// -----

// 128 columns: the fill scans chunks of 64 columns (four i16 words of
// the bitmap as one i64), one chunk per thread.
// CHECK-LABEL: func.func @wide_weight
// CHECK: memref.alloc(%{{.*}}) : memref<?xf32>
// CHECK: scf.forall (%{{.*}}) in (2)
// CHECK: vector.load {{.*}} : memref<32x8xi16>, vector<4xi16>
// CHECK: %[[BITS:.*]] = vector.extract %{{.*}}[0] : i64 from vector<1xi64>
// CHECK: math.ctpop %[[BITS]] : i64
// CHECK: sparse_tensor.assemble
func.func @wide_weight(%x: tensor<4x32xf32>, %w: tensor<32x128xf32>, %acc: tensor<4x128xf32>) -> tensor<4x128xf32> {
  %y = linalg.matmul {kiln.sparse_weight}
         ins(%x, %w : tensor<4x32xf32>, tensor<32x128xf32>)
         outs(%acc : tensor<4x128xf32>) -> tensor<4x128xf32>
  return %y : tensor<4x128xf32>
}

// -----

// Widths that 8 does not divide (2 lanes here) keep no bitmap: the fill
// compares W again (chunks of one 2-lane vector).
// CHECK-LABEL: func.func @narrow_weight
// CHECK-NOT: xi2>
// CHECK: memref.alloc(%{{.*}}) : memref<?xf32>
// CHECK: scf.for
// CHECK: scf.for
// CHECK: arith.cmpf une, %{{.*}} : vector<2xf32>
// CHECK: vector.bitcast %{{.*}} : vector<2xi1> to vector<1xi2>
// CHECK: math.ctpop
// CHECK: sparse_tensor.assemble
func.func @narrow_weight(%x: tensor<4x32xf32>, %w: tensor<32x10xf32>, %acc: tensor<4x10xf32>) -> tensor<4x10xf32> {
  %y = linalg.matmul {kiln.sparse_weight}
         ins(%x, %w : tensor<4x32xf32>, tensor<32x10xf32>)
         outs(%acc : tensor<4x10xf32>) -> tensor<4x10xf32>
  return %y : tensor<4x10xf32>
}

// -----

// W stored as CSC (assembled from its buffers; 64-bit indices here): used
// as it is, no conversion (no compare, no bitmap, no second assemble).
// CHECK-LABEL: func.func @stored_csc
// CHECK: %[[W:.*]] = sparse_tensor.assemble
// CHECK-NOT: arith.cmpf
// CHECK-NOT: sparse_tensor.assemble
// CHECK: linalg.generic {{.*}} ins(%[[W]], %{{.*}} : tensor<64x32xf32, #{{.*}}>, tensor<64x128xf32>)
// CHECK-SAME: kiln.sparse_product = "columns"
#CSC64 = #sparse_tensor.encoding<{ map = (i, j) -> (j : dense, i : compressed) }>
func.func @stored_csc(%x: tensor<128x64xf32>, %pos: tensor<33xindex>, %crd: tensor<100xindex>, %val: tensor<100xf32>, %acc: tensor<128x32xf32>) -> tensor<128x32xf32> {
  %w = sparse_tensor.assemble (%pos, %crd), %val : (tensor<33xindex>, tensor<100xindex>), tensor<100xf32> to tensor<64x32xf32, #CSC64>
  %y = linalg.matmul {kiln.sparse_weight}
         ins(%x, %w : tensor<128x64xf32>, tensor<64x32xf32, #CSC64>)
         outs(%acc : tensor<128x32xf32>) -> tensor<128x32xf32>
  return %y : tensor<128x32xf32>
}
