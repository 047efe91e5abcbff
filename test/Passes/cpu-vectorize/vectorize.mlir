// kiln-cpu-vectorize: the ops the GEMM passes leave become threaded
// (scf.forall), tiled loops over 1-D vectors.
// RUN: kiln-opt %s -split-input-file \
// RUN:   --pass-pipeline="builtin.module(func.func(kiln-cpu-vectorize{num-threads=2 min-parallel-elements=1}))" \
// RUN:   | FileCheck %s
// RUN: kiln-opt %s -split-input-file \
// RUN:   --pass-pipeline="builtin.module(func.func(kiln-cpu-vectorize{num-threads=1}))" \
// RUN:   | FileCheck %s --check-prefix=ONE

// Elementwise, 8 x 128 f32: threads over the rows, 64-wide vectors.
func.func @add(%a: tensor<8x128xf32>, %b: tensor<128xf32>) -> tensor<8x128xf32> {
  %e = tensor.empty() : tensor<8x128xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (j)>, affine_map<(i, j) -> (i, j)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%a, %b : tensor<8x128xf32>, tensor<128xf32>) outs(%e : tensor<8x128xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %s = arith.addf %x, %y : f32
    linalg.yield %s : f32
  } -> tensor<8x128xf32>
  return %r : tensor<8x128xf32>
}

// CHECK-LABEL: func.func @add
// CHECK: scf.forall (%[[T:.*]]) = (0) to (8) step (4) shared_outs(%{{.*}} = %{{.*}}) -> (tensor<8x128xf32>)
// CHECK:   scf.for %[[I:.*]] = %c0 to %c4 step %c1
// CHECK:     scf.for %[[J:.*]] = %{{.*}} to %c128 step %c64
// CHECK:       %[[X:.*]] = vector.transfer_read {{.*}} : tensor<64xf32>, vector<64xf32>
// CHECK:       %[[Y:.*]] = vector.transfer_read {{.*}} : tensor<64xf32>, vector<64xf32>
// CHECK:       %[[S:.*]] = arith.addf %[[X]], %[[Y]] : vector<64xf32>
// CHECK:       vector.transfer_write %[[S]]
// CHECK-NOT: linalg.generic
// ONE-LABEL: func.func @add
// ONE-NOT: scf.forall
// ONE: arith.addf {{.*}} : vector<64xf32>

// -----


// A row sum over the innermost dim and an exp: a vector reduction, and a
// polynomial exp instead of a libm call per lane.
func.func @rowsum_exp(%a: tensor<4x32xf32>, %init: tensor<4xf32>) -> tensor<4xf32> {
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
                       iterator_types = ["parallel", "reduction"]}
      ins(%a : tensor<4x32xf32>) outs(%init : tensor<4xf32>) {
  ^bb0(%x: f32, %o: f32):
    %e = math.exp %x : f32
    %s = arith.addf %o, %e : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// CHECK-LABEL: func.func @rowsum_exp
// CHECK: scf.forall
// CHECK:   vector.transfer_read {{.*}} : tensor<32xf32>, vector<32xf32>
// CHECK-NOT: math.exp
// CHECK:   math.fma {{.*}} : vector<32xf32>
// CHECK:   vector.multi_reduction <add>, %{{.*}}, %{{.*}} [0] : vector<32xf32> to f32
// CHECK-NOT: math.exp

// -----


// Updating an input in place (input == init): read through the init.
func.func @in_place(%a: tensor<2x48xf32>) -> tensor<2x48xf32> {
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<2x48xf32>) outs(%a : tensor<2x48xf32>) {
  ^bb0(%x: f32, %o: f32):
    %s = arith.mulf %x, %x : f32
    linalg.yield %s : f32
  } -> tensor<2x48xf32>
  return %r : tensor<2x48xf32>
}

// The squared input is read from the slice each tile writes (the init's
// block argument), not from the input value.
// CHECK-LABEL: func.func @in_place
// CHECK: scf.forall (%{{.*}}) in (2) shared_outs(%[[OUT:.*]] = %arg0)
// CHECK:   %[[ROW:.*]] = tensor.extract_slice %[[OUT]]
// CHECK:   scf.for {{.*}} iter_args(%[[ACC:.*]] = %[[ROW]])
// CHECK:     %[[S1:.*]] = tensor.extract_slice %[[ACC]]
// CHECK:     %[[S2:.*]] = tensor.extract_slice %[[S1]]
// CHECK:     %[[V:.*]] = vector.transfer_read %[[S2]]
// CHECK:     arith.mulf %[[V]], %[[V]] : vector<48xf32>

// -----


// An innermost extent no vector tile divides (70 = 64 + 6): the 64 are
// vectorized, the 6 stay a scalar loop. Masks (i1) and f64 stay scalar.
func.func @remainder(%a: tensor<70xf32>, %m: tensor<64xf32>, %d: tensor<64xf64>) -> (tensor<70xf32>, tensor<64xi1>, tensor<64xf64>) {
  %e = tensor.empty() : tensor<70xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>], iterator_types = ["parallel"]}
      ins(%a : tensor<70xf32>) outs(%e : tensor<70xf32>) {
  ^bb0(%x: f32, %o: f32):
    %s = arith.negf %x : f32
    linalg.yield %s : f32
  } -> tensor<70xf32>
  %z = arith.constant 0.0 : f32
  %eb = tensor.empty() : tensor<64xi1>
  %b = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>], iterator_types = ["parallel"]}
      ins(%m : tensor<64xf32>) outs(%eb : tensor<64xi1>) {
  ^bb0(%x: f32, %o: i1):
    %c = arith.cmpf ogt, %x, %z : f32
    linalg.yield %c : i1
  } -> tensor<64xi1>
  %ed = tensor.empty() : tensor<64xf64>
  %dd = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>], iterator_types = ["parallel"]}
      ins(%d : tensor<64xf64>) outs(%ed : tensor<64xf64>) {
  ^bb0(%x: f64, %o: f64):
    %s = arith.negf %x : f64
    linalg.yield %s : f64
  } -> tensor<64xf64>
  return %r, %b, %dd : tensor<70xf32>, tensor<64xi1>, tensor<64xf64>
}
// CHECK-LABEL: func.func @remainder
// CHECK: arith.negf {{.*}} : vector<64xf32>
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<6xf32>) outs(%{{.*}} : tensor<6xf32>)
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<64xi1>)
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<64xf64>)

// -----

// An im2col gather, [c, kh, kw, oh, ow] <- x[c, oh + kh, ow + kw]: its map
// is not a projected permutation, but along ow it reads a contiguous row,
// so each 1 x ... x 1 x 32 tile is one vector read and one vector write.
// A gather whose innermost dim is strided (2 * ow + kw) is only threaded.
func.func @im2col(%x: tensor<4x34x34xf32>, %y: tensor<4x33x33xf32>) -> (tensor<4x3x3x32x32xf32>, tensor<4x3x3x16x16xf32>) {
  %e = tensor.empty() : tensor<4x3x3x32x32xf32>
  %col = linalg.generic {indexing_maps = [affine_map<(c, kh, kw, oh, ow) -> (c, oh + kh, ow + kw)>,
                                          affine_map<(c, kh, kw, oh, ow) -> (c, kh, kw, oh, ow)>],
                         iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]}
      ins(%x : tensor<4x34x34xf32>) outs(%e : tensor<4x3x3x32x32xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<4x3x3x32x32xf32>
  %e2 = tensor.empty() : tensor<4x3x3x16x16xf32>
  %col2 = linalg.generic {indexing_maps = [affine_map<(c, kh, kw, oh, ow) -> (c, oh * 2 + kh, ow * 2 + kw)>,
                                           affine_map<(c, kh, kw, oh, ow) -> (c, kh, kw, oh, ow)>],
                          iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]}
      ins(%y : tensor<4x33x33xf32>) outs(%e2 : tensor<4x3x3x16x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<4x3x3x16x16xf32>
  return %col, %col2 : tensor<4x3x3x32x32xf32>, tensor<4x3x3x16x16xf32>
}
// CHECK-LABEL: func.func @im2col
// CHECK: scf.forall (%{{.*}}) = (0) to (4) step (2)
// CHECK:   scf.for
// CHECK:     %[[ROW:.*]] = tensor.extract_slice %{{.*}} [1, 1, 32] [1, 1, 1] : tensor<2x34x34xf32> to tensor<1x1x32xf32>
// CHECK:     %[[V:.*]] = vector.transfer_read %[[ROW]]{{.*}} {in_bounds = [true]} : tensor<1x1x32xf32>, vector<32xf32>
// CHECK:     vector.transfer_write %[[V]], %{{.*}} {in_bounds = [true]} : vector<32xf32>, tensor<1x1x1x1x32xf32>
// The stride-2 copy is only threaded: its tile stays a scalar loop nest.
// CHECK: scf.forall (%[[T2:.*]]) = (0) to (4) step (2)
// CHECK:   %[[SRC2:.*]] = tensor.extract_slice %arg1[%[[T2]], 0, 0] [2, 33, 33]
// CHECK:   linalg.generic {{.*}} ins(%[[SRC2]] : tensor<2x33x33xf32>)
// CHECK-NOT: vector.transfer_read
// CHECK: return

// -----

// A window with a constant offset (an input gradient's im2col,
// [c, kh, kw, oh, ow] <- dy[c, oh + kh + 1, ow + kw + 1]) inside a thread's
// run of images (kiln-cpu-conv-to-gemm's scf.forall): vectors but no
// threads of its own. Upstream's tiling keeps the offset in the map and
// slices one more element (17 for a 16-wide tile), so the vector is read
// from index 1 of that slice.
func.func @im2col_offset_in_run(%dy: tensor<2x4x19x19xf32>, %out: tensor<2x4x3x3x16x16xf32>) -> tensor<2x4x3x3x16x16xf32> {
  %r = scf.forall (%n) in (2) shared_outs(%o = %out) -> (tensor<2x4x3x3x16x16xf32>) {
    %img = tensor.extract_slice %dy[%n, 0, 0, 0] [1, 4, 19, 19] [1, 1, 1, 1] : tensor<2x4x19x19xf32> to tensor<4x19x19xf32>
    %e = tensor.empty() : tensor<4x3x3x16x16xf32>
    %col = linalg.generic {indexing_maps = [affine_map<(c, kh, kw, oh, ow) -> (c, oh + kh + 1, ow + kw + 1)>,
                                            affine_map<(c, kh, kw, oh, ow) -> (c, kh, kw, oh, ow)>],
                           iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]}
        ins(%img : tensor<4x19x19xf32>) outs(%e : tensor<4x3x3x16x16xf32>) {
    ^bb0(%in: f32, %o2: f32):
      linalg.yield %in : f32
    } -> tensor<4x3x3x16x16xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %col into %o[%n, 0, 0, 0, 0, 0] [1, 4, 3, 3, 16, 16] [1, 1, 1, 1, 1, 1] : tensor<4x3x3x16x16xf32> into tensor<2x4x3x3x16x16xf32>
    }
  }
  return %r : tensor<2x4x3x3x16x16xf32>
}
// CHECK-LABEL: func.func @im2col_offset_in_run
// CHECK: scf.forall
// CHECK-NOT: scf.forall
// CHECK:   scf.for
// CHECK:     %[[ROW:.*]] = tensor.extract_slice %{{.*}} [1, 2, 17] [1, 1, 1] : tensor<4x19x19xf32> to tensor<1x2x17xf32>
// CHECK:     %[[V:.*]] = vector.transfer_read %[[ROW]][%c0{{.*}}, %c1{{.*}}, %c1{{.*}}], %{{.*}} {in_bounds = [true]} : tensor<1x2x17xf32>, vector<16xf32>
// CHECK:     vector.transfer_write %[[V]], %{{.*}} {in_bounds = [true]} : vector<16xf32>, tensor<1x1x1x1x16xf32>
// CHECK-NOT: linalg.generic
// CHECK: return

// -----

// A padded input and a gradient inserted into zeros: each a fill and a
// vectorized copy into the interior slice (bufferized in place), not a
// strided memref.copy.
func.func @pad(%x: tensor<4x8x32xf32>, %g: tensor<4x8x32xf32>) -> (tensor<4x10x34xf32>, tensor<4x12x36xf32>) {
  %z = arith.constant 0.0 : f32
  %p = tensor.pad %x low[0, 1, 1] high[0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index):
    tensor.yield %z : f32
  } : tensor<4x8x32xf32> to tensor<4x10x34xf32>
  %e = tensor.empty() : tensor<4x12x36xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<4x12x36xf32>) -> tensor<4x12x36xf32>
  %i = tensor.insert_slice %g into %f[0, 2, 2] [4, 8, 32] [1, 1, 1] : tensor<4x8x32xf32> into tensor<4x12x36xf32>
  return %p, %i : tensor<4x10x34xf32>, tensor<4x12x36xf32>
}
// CHECK-LABEL: func.func @pad
// CHECK-NOT: tensor.pad
// CHECK: %[[F:.*]] = scf.forall {{.*}} -> (tensor<4x10x34xf32>)
// CHECK: %[[IN:.*]] = tensor.extract_slice %[[F]][0, 1, 1] [4, 8, 32] [1, 1, 1]
// CHECK: %[[C:.*]] = scf.forall {{.*}} shared_outs(%{{.*}} = %[[IN]]) -> (tensor<4x8x32xf32>)
// CHECK:   vector.transfer_read %{{.*}} : tensor<1x1x32xf32>, vector<32xf32>
// CHECK: tensor.insert_slice %[[C]] into %[[F]][0, 1, 1] [4, 8, 32] [1, 1, 1]
// CHECK: %[[IN2:.*]] = tensor.extract_slice %{{.*}}[0, 2, 2] [4, 8, 32] [1, 1, 1]
// CHECK: %[[C2:.*]] = scf.forall {{.*}} shared_outs(%{{.*}} = %[[IN2]]) -> (tensor<4x8x32xf32>)
// CHECK: tensor.insert_slice %[[C2]] into %{{.*}}[0, 2, 2] [4, 8, 32] [1, 1, 1]

// -----

// A sum over (n, h, w) per channel (batch-norm statistics, bias
// gradients): the rows are first summed as vectors into partial[c, w], then
// each channel's 32 partial sums once, horizontally.
func.func @channel_sum(%x: tensor<4x8x16x32xf32>) -> tensor<8xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<8xf32>) -> tensor<8xf32>
  %r = linalg.reduce ins(%x : tensor<4x8x16x32xf32>) outs(%f : tensor<8xf32>) dimensions = [0, 2, 3]
    (%in: f32, %init: f32) {
      %s = arith.addf %in, %init : f32
      linalg.yield %s : f32
    }
  return %r : tensor<8xf32>
}
// CHECK-LABEL: func.func @channel_sum
// CHECK: %[[P0:.*]] = scf.forall {{.*}} -> (tensor<8x32xf32>)
// CHECK: %[[P:.*]] = scf.forall {{.*}} shared_outs(%{{.*}} = %[[P0]]) -> (tensor<8x32xf32>)
// CHECK:   %[[ROW:.*]] = vector.transfer_read {{.*}} vector<32xf32>
// CHECK:   %[[ACC:.*]] = vector.transfer_read {{.*}} vector<32xf32>
// CHECK:   arith.addf %[[ROW]], %[[ACC]] : vector<32xf32>
// CHECK-NOT: vector.multi_reduction
// CHECK: scf.forall {{.*}} -> (tensor<8xf32>)
// CHECK:   tensor.extract_slice %[[P]]
// CHECK:   vector.multi_reduction <add>, %{{.*}} [0] : vector<32xf32> to f32

// -----

// A transpose: a 1 x 16 tile would read its input with a stride (one
// scalar load per element); it is tiled into 16 x 16 blocks instead, each
// read row by row (contiguous) and transposed in registers by the 64
// shuffles of two 16-wide rows each (unpack, unpack, lane shuffles twice).
func.func @transpose_blocks(%a: tensor<32x64xf32>) -> tensor<64x32xf32> {
  %e = tensor.empty() : tensor<64x32xf32>
  %t = linalg.transpose ins(%a : tensor<32x64xf32>) outs(%e : tensor<64x32xf32>) permutation = [1, 0]
  return %t : tensor<64x32xf32>
}
// CHECK-LABEL: func.func @transpose_blocks
// CHECK: scf.forall (%{{.*}}) = (0) to (64) step (32)
// CHECK:   scf.for %{{.*}} step %c16
// CHECK:     scf.for %{{.*}} step %c16
// CHECK:       %[[IN:.*]] = tensor.extract_slice {{.*}} [16, 16] [1, 1] : tensor<32x32xf32> to tensor<16x16xf32>
// CHECK:       %[[R:.*]] = vector.transfer_read %[[IN]]{{.*}}{in_bounds = [true, true]} : tensor<16x16xf32>, vector<16x16xf32>
// CHECK-NOT:   permutation_map
// CHECK:       %[[ROW0:.*]] = vector.extract %[[R]][0] : vector<16xf32> from vector<16x16xf32>
// CHECK:       %[[ROW1:.*]] = vector.extract %[[R]][1] : vector<16xf32> from vector<16x16xf32>
// CHECK:       vector.shuffle %[[ROW0]], %[[ROW1]] [0, 16, 1, 17, 4, 20, 5, 21, 8, 24, 9, 25, 12, 28, 13, 29]
// CHECK-COUNT-63: vector.shuffle
// CHECK-NOT:   vector.shuffle
// CHECK-NOT:   vector.transpose
// CHECK:       vector.transfer_write
// ONE-LABEL: func.func @transpose_blocks
// ONE-NOT: scf.forall
// ONE-COUNT-64: vector.shuffle

// -----

// Attention's K^T (the last two dims swapped): 2-D blocks once the unit
// dims of the tile are dropped; an elementwise op reading one input
// transposed is blocked the same way.
func.func @heads(%a: tensor<2x4x32x16xf32>) -> tensor<2x4x16x32xf32> {
  %e = tensor.empty() : tensor<2x4x16x32xf32>
  %t = linalg.transpose ins(%a : tensor<2x4x32x16xf32>) outs(%e : tensor<2x4x16x32xf32>) permutation = [0, 1, 3, 2]
  return %t : tensor<2x4x16x32xf32>
}
// CHECK-LABEL: func.func @heads
// CHECK: vector.transfer_read {{.*}} : tensor<16x16xf32>, vector<16x16xf32>
// CHECK-COUNT-64: vector.shuffle
func.func @add_transposed(%a: tensor<32x64xf32>, %b: tensor<64x32xf32>) -> tensor<64x32xf32> {
  %e = tensor.empty() : tensor<64x32xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (j, i)>, affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%a, %b : tensor<32x64xf32>, tensor<64x32xf32>) outs(%e : tensor<64x32xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %s = arith.addf %x, %y : f32
    linalg.yield %s : f32
  } -> tensor<64x32xf32>
  return %r : tensor<64x32xf32>
}
// CHECK-LABEL: func.func @add_transposed
// CHECK-COUNT-64: vector.shuffle
// CHECK: %[[A:.*]] = vector.insert %{{.*}} [15] : vector<16xf32> into vector<16x16xf32>
// CHECK: %[[B:.*]] = vector.transfer_read {{.*}} vector<16x16xf32>
// CHECK: arith.addf %[[A]], %[[B]] : vector<16x16xf32>

// -----

// Sizes that 16 does not divide keep 1-D tiles (a strided read).
func.func @transpose_odd(%a: tensor<24x40xf32>) -> tensor<40x24xf32> {
  %e = tensor.empty() : tensor<40x24xf32>
  %t = linalg.transpose ins(%a : tensor<24x40xf32>) outs(%e : tensor<40x24xf32>) permutation = [1, 0]
  return %t : tensor<40x24xf32>
}
// CHECK-LABEL: func.func @transpose_odd
// CHECK-NOT: vector.transpose
// CHECK: vector.transfer_read {{.*}}permutation_map{{.*}} : tensor<24x1xf32>, vector<1x24xf32>
// CHECK-NOT: vector.transpose
// CHECK: return
