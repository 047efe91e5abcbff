// kiln-cpu-tile-fusion-groups: a kiln-fuse reduction group, lowered by
// convert-kiln-to-linalg (which marks its ops with the group's id), becomes
// one loop over tiles of rows (the marks are gone afterwards): an scf.forall with one iteration per thread,
// an scf.for over the thread's tiles inside, and every op of the group
// computed on the tile (the statistic and the ops that read it).
// RUN: kiln-opt %s -split-input-file --pass-pipeline="builtin.module(convert-kiln-to-linalg{mark-fusion-groups})" \
// RUN:   | kiln-opt -split-input-file --pass-pipeline="builtin.module(func.func(kiln-cpu-tile-fusion-groups{num-threads=2 tile-elements=2048}))" 2>/dev/null \
// RUN:   | FileCheck %s
// RUN: kiln-opt %s -split-input-file --pass-pipeline="builtin.module(convert-kiln-to-linalg{mark-fusion-groups})" \
// RUN:   | kiln-opt -split-input-file --pass-pipeline="builtin.module(func.func(kiln-cpu-tile-fusion-groups{num-threads=2 tile-elements=2048}))" -o /dev/null 2>&1 \
// RUN:   | FileCheck %s --check-prefix=REMARK

// Layer norm: mean, variance, normalize, scale and shift, with the rstd a
// result too (read by the backward pass). Rows are [8, 128], 256 wide:
// tiles of 8 rows (2048 elements), each thread a run of 4 x 128 rows. The
// loop yields the rstd as well; nothing of the group is left outside.
// REMARK: remark: tile-fusion-groups: 1 of 1 reduction groups computed tile by tile
// CHECK-LABEL: func.func @layer_norm
// CHECK: %[[R:.*]]:2 = scf.forall (%{{.*}}) = (0) to (8) step (4) shared_outs(
// CHECK:   scf.for %{{.*}} = %c0{{.*}} to %c4 step %c1
// CHECK:     scf.for %{{.*}} = %c0{{.*}} to %c128 step %c8
// CHECK:       linalg.reduce ins(%{{.*}} : tensor<1x8x256xf32>)
// CHECK:       linalg.generic {{.*}} ins(%{{.*}} : tensor<1x8x256xf32>) outs(%{{.*}} : tensor<1x8xf32>)
// CHECK:         arith.mulf
// CHECK:         arith.addf
// CHECK:       math.rsqrt
// CHECK:       tensor.insert_slice
// CHECK:       tensor.insert_slice
// CHECK: scf.forall.in_parallel
// CHECK-NOT: linalg.
// CHECK: return %[[R]]#{{[01]}}, %[[R]]#{{[01]}}
// CHECK-NOT: kiln.fusion_group
func.func @layer_norm(%x: tensor<8x128x256xf32>, %g: tensor<256xf32>, %b: tensor<256xf32>) -> (tensor<8x128x1xf32>, tensor<8x128x256xf32>) {
  %r:2 = kiln.fusion_group reduction_epilogue ins(%x, %g, %b : tensor<8x128x256xf32>, tensor<256xf32>, tensor<256xf32>) -> (tensor<8x128x1xf32>, tensor<8x128x256xf32>) {
  ^bb0(%a: tensor<8x128x256xf32>, %ga: tensor<256xf32>, %ba: tensor<256xf32>):
    %eps = kiln.constant dense<9.99999974E-6> : tensor<8x128x1xf32>
    %m = kiln.reduce_mean %a {axes = array<i64: 2>, keep_dims = true} : tensor<8x128x256xf32> -> tensor<8x128x1xf32>
    %mb = kiln.broadcast %m : tensor<8x128x1xf32> to tensor<8x128x256xf32>
    %d = kiln.sub %a, %mb : tensor<8x128x256xf32>
    %sq = kiln.mul %d, %d : tensor<8x128x256xf32>
    %v = kiln.reduce_mean %sq {axes = array<i64: 2>, keep_dims = true} : tensor<8x128x256xf32> -> tensor<8x128x1xf32>
    %ve = kiln.add %v, %eps : tensor<8x128x1xf32>
    %rs = kiln.rsqrt %ve : tensor<8x128x1xf32>
    %rb = kiln.broadcast %rs : tensor<8x128x1xf32> to tensor<8x128x256xf32>
    %n = kiln.mul %d, %rb : tensor<8x128x256xf32>
    %gb = kiln.broadcast %ga : tensor<256xf32> to tensor<8x128x256xf32>
    %y = kiln.mul %n, %gb : tensor<8x128x256xf32>
    %bb = kiln.broadcast %ba : tensor<256xf32> to tensor<8x128x256xf32>
    %z = kiln.add %y, %bb : tensor<8x128x256xf32>
    kiln.yield %rs, %z : tensor<8x128x1xf32>, tensor<8x128x256xf32>
  }
  return %r#0, %r#1 : tensor<8x128x1xf32>, tensor<8x128x256xf32>
}

// -----

// Softmax and the log of it: the row max, the exp (computed once per
// tile, read by the row sum and by the division) and the division, on
// tiles of 16 rows.
// REMARK: remark: tile-fusion-groups: 1 of 1 reduction groups computed tile by tile
// CHECK-LABEL: func.func @log_softmax
// CHECK: scf.forall (%{{.*}}) = (0) to (64) step (32)
// CHECK:   scf.for %{{.*}} = %c0{{.*}} to %c32 step %c16
// CHECK:     linalg.reduce ins(%{{.*}} : tensor<16x128xf32>)
// CHECK:       arith.maximumf
// CHECK:     math.exp
// CHECK-NOT: math.exp
// CHECK:     arith.divf
// CHECK:     math.log
// CHECK: scf.forall.in_parallel
// CHECK-NOT: linalg.
// CHECK: return
func.func @log_softmax(%x: tensor<64x128xf32>) -> tensor<64x128xf32> {
  %r = kiln.fusion_group reduction_epilogue ins(%x : tensor<64x128xf32>) -> (tensor<64x128xf32>) {
  ^bb0(%a: tensor<64x128xf32>):
    %0 = kiln.softmax %a {axis = 1 : i64} : tensor<64x128xf32>
    %1 = kiln.log %0 : tensor<64x128xf32>
    kiln.yield %1 : tensor<64x128xf32>
  }
  return %r : tensor<64x128xf32>
}

// -----

// Batch-norm statistics of an NCHW tensor: the channel is the only dim
// that every op keeps, and a channel's tile is strided over the images
// (not a row): left to the untiled loops. A group whose last op reduces
// (a bias gradient) is left too.
// REMARK: remark: tile-fusion-groups: 0 of 2 reduction groups computed tile by tile
// CHECK-LABEL: func.func @not_rows
// CHECK-NOT: scf.forall
// CHECK: return
func.func @not_rows(%x: tensor<8x16x8x8xf32>, %g: tensor<64x256xf32>) -> (tensor<8x16x8x8xf32>, tensor<256xf32>) {
  %r = kiln.fusion_group reduction_epilogue ins(%x : tensor<8x16x8x8xf32>) -> (tensor<8x16x8x8xf32>) {
  ^bb0(%a: tensor<8x16x8x8xf32>):
    %m = kiln.reduce_mean %a {axes = array<i64: 0, 2, 3>, keep_dims = true} : tensor<8x16x8x8xf32> -> tensor<1x16x1x1xf32>
    %mb = kiln.broadcast %m : tensor<1x16x1x1xf32> to tensor<8x16x8x8xf32>
    %d = kiln.sub %a, %mb : tensor<8x16x8x8xf32>
    kiln.yield %d : tensor<8x16x8x8xf32>
  }
  %s = kiln.fusion_group reduction_epilogue ins(%g : tensor<64x256xf32>) -> (tensor<256xf32>) {
  ^bb0(%a: tensor<64x256xf32>):
    %n = kiln.neg %a : tensor<64x256xf32>
    %t = kiln.reduce_sum %n {axes = array<i64: 0>, keep_dims = false} : tensor<64x256xf32> -> tensor<256xf32>
    kiln.yield %t : tensor<256xf32>
  }
  return %r, %s : tensor<8x16x8x8xf32>, tensor<256xf32>
}
