// kiln-cpu-conv-to-gemm{fuse-epilogues}: the elementwise reader of a
// convolution tiled per image (bias + ReLU + mask) moves into the tile
// loops, next to each image's GEMM. The output it wrote in place of the
// convolution is written over each image's product (no second result
// tensor); the mask is carried through the loops (scf.forall shared_outs,
// scf.for iter_args). A reader that cannot join stays after the loops.
// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-cpu-conv-to-gemm{num-threads=2}))" 2>/dev/null \
// RUN:   | FileCheck %s
// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-cpu-conv-to-gemm{num-threads=1}))" 2>/dev/null \
// RUN:   | FileCheck %s --check-prefix=SEQ
// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-cpu-conv-to-gemm{num-threads=2 fuse-epilogues=false}))" 2>/dev/null \
// RUN:   | FileCheck %s --check-prefix=OFF
// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-cpu-conv-to-gemm{num-threads=2}))" -o /dev/null 2>&1 \
// RUN:   | FileCheck %s --check-prefix=REMARK

// REMARK-DAG: epilogue.mlir:[[# @LINE + 34]]:1: remark: conv-to-gemm: 1 contractions as GEMMs, 1 with their elementwise reader in the tile loop
// REMARK-DAG: epilogue.mlir:[[# @LINE + 60]]:1: remark: conv-to-gemm: 1 contractions as GEMMs, 0 with their elementwise reader in the tile loop
// CHECK-LABEL: func.func @conv_bias_relu_mask
// CHECK: %[[MASK0:.*]] = tensor.empty() : tensor<4x32x8x8xi8>
// CHECK: %[[Y:.*]]:2 = scf.forall (%[[T:.*]]) = (0) to (4) step (2) shared_outs(%[[R:.*]] = %{{.*}}, %[[M:.*]] = %[[MASK0]]) -> (tensor<4x32x8x8xf32>, tensor<4x32x8x8xi8>)
// CHECK:   %[[RT:.*]] = tensor.extract_slice %[[R]][%[[T]], 0, 0, 0] [2, 32, 8, 8]
// CHECK:   %[[MT:.*]] = tensor.extract_slice %[[M]][%[[T]], 0, 0, 0] [2, 32, 8, 8]
// CHECK:   %[[L:.*]]:2 = scf.for %[[N:.*]] = %c0 to %c2 step %c1 iter_args(%[[RI:.*]] = %[[RT]], %[[MI:.*]] = %[[MT]])
// CHECK:     %[[P:.*]] = linalg.matmul
// CHECK:     %[[PE:.*]] = tensor.expand_shape %[[P]]
// CHECK:     %[[MS:.*]] = tensor.extract_slice %[[MI]][%[[N]], 0, 0, 0] [1, 32, 8, 8]
// CHECK:     %[[E:.*]]:2 = linalg.generic {{.*}} ins(%[[PE]], %{{.*}} : tensor<1x32x8x8xf32>, tensor<1x32x1x1xf32>) outs(%[[PE]], %[[MS]] : tensor<1x32x8x8xf32>, tensor<1x32x8x8xi8>)
// CHECK:       arith.maximumf
// CHECK:     tensor.insert_slice %[[E]]#0 into %[[RI]][%[[N]], 0, 0, 0]
// CHECK:     tensor.insert_slice %[[E]]#1 into %[[MI]][%[[N]], 0, 0, 0]
// CHECK:   scf.forall.in_parallel
// CHECK:     tensor.parallel_insert_slice %[[L]]#0 into %[[R]]
// CHECK:     tensor.parallel_insert_slice %[[L]]#1 into %[[M]]
// CHECK-NOT: linalg.generic
// CHECK: return %[[Y]]#0, %[[Y]]#1

// SEQ-LABEL: func.func @conv_bias_relu_mask
// SEQ-NOT: scf.forall
// SEQ: %[[Y:.*]]:2 = scf.for %{{.*}} = %c0 to %c4 step %c1 iter_args(
// SEQ:   linalg.matmul
// SEQ:   linalg.generic
// SEQ:     arith.maximumf
// SEQ-NOT: linalg.generic
// SEQ: return %[[Y]]#0, %[[Y]]#1

// OFF-LABEL: func.func @conv_bias_relu_mask
// OFF: %[[C:.*]] = scf.forall
// OFF: linalg.generic {{.*}} ins(%[[C]], %{{.*}}) outs(%[[C]], %{{.*}})

func.func @conv_bias_relu_mask(%x: tensor<4x3x10x10xf32>, %w: tensor<32x3x3x3xf32>, %b: tensor<1x32x1x1xf32>)
    -> (tensor<4x32x8x8xf32>, tensor<4x32x8x8xi8>) {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x32x8x8xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<4x32x8x8xf32>) -> tensor<4x32x8x8xf32>
  %c = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%x, %w : tensor<4x3x10x10xf32>, tensor<32x3x3x3xf32>)
         outs(%f : tensor<4x32x8x8xf32>) -> tensor<4x32x8x8xf32>
  %m0 = tensor.empty() : tensor<4x32x8x8xi8>
  %y:2 = linalg.generic {indexing_maps = [affine_map<(n, c, h, w) -> (n, c, h, w)>, affine_map<(n, c, h, w) -> (0, c, 0, 0)>,
                                          affine_map<(n, c, h, w) -> (n, c, h, w)>, affine_map<(n, c, h, w) -> (n, c, h, w)>],
                         iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%c, %b : tensor<4x32x8x8xf32>, tensor<1x32x1x1xf32>) outs(%c, %m0 : tensor<4x32x8x8xf32>, tensor<4x32x8x8xi8>) {
  ^bb0(%v: f32, %bias: f32, %out: f32, %mask: i8):
    %s = arith.addf %v, %bias : f32
    %r = arith.maximumf %s, %z : f32
    %p = arith.cmpf ogt, %s, %z : f32
    %i = arith.extui %p : i1 to i8
    linalg.yield %r, %i : f32, i8
  } -> (tensor<4x32x8x8xf32>, tensor<4x32x8x8xi8>)
  return %y#0, %y#1 : tensor<4x32x8x8xf32>, tensor<4x32x8x8xi8>
}

// A reader that reads the result transposed cannot take it tile by tile.
// CHECK-LABEL: func.func @transposed_reader
// CHECK: %[[C:.*]] = scf.forall
// CHECK: linalg.generic {{.*}} ins(%[[C]] : tensor<4x32x8x8xf32>)
func.func @transposed_reader(%x: tensor<4x3x10x10xf32>, %w: tensor<32x3x3x3xf32>) -> tensor<4x32x8x8xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x32x8x8xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<4x32x8x8xf32>) -> tensor<4x32x8x8xf32>
  %c = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%x, %w : tensor<4x3x10x10xf32>, tensor<32x3x3x3xf32>)
         outs(%f : tensor<4x32x8x8xf32>) -> tensor<4x32x8x8xf32>
  %t0 = tensor.empty() : tensor<4x32x8x8xf32>
  %t = linalg.generic {indexing_maps = [affine_map<(n, c, h, w) -> (n, c, w, h)>, affine_map<(n, c, h, w) -> (n, c, h, w)>],
                       iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%c : tensor<4x32x8x8xf32>) outs(%t0 : tensor<4x32x8x8xf32>) {
  ^bb0(%v: f32, %out: f32):
    %r = arith.maximumf %v, %z : f32
    linalg.yield %r : f32
  } -> tensor<4x32x8x8xf32>
  return %t : tensor<4x32x8x8xf32>
}

// A filter gradient tiled along its images (a reduction dim) adds every
// image into the whole result, which is complete only after the loop: its
// reader (a momentum step) stays outside, on one thread as on two. Fusing
// it into the loop would apply the step to each partial sum.
// CHECK-LABEL: func.func @filter_grad_reader
// CHECK: %[[SUMS:.*]] = scf.forall
// CHECK: %[[G:.*]] = linalg.reduce ins(%[[SUMS]]
// CHECK: linalg.generic {{.*}} ins(%[[G]], %arg3 :
// SEQ-LABEL: func.func @filter_grad_reader
// SEQ: %[[G:.*]] = scf.for
// SEQ:   linalg.matmul
// SEQ-NOT: arith.mulf
// SEQ: scf.yield
// SEQ: linalg.generic {{.*}} ins(%[[G]], %arg3 :
// SEQ:   arith.mulf
#fx = affine_map<(f, c, kh, kw, n, oh, ow) -> (n, c, oh * 2 + kh, ow * 2 + kw)>
#fdy = affine_map<(f, c, kh, kw, n, oh, ow) -> (n, f, oh, ow)>
#fdw = affine_map<(f, c, kh, kw, n, oh, ow) -> (f, c, kh, kw)>
#fid = affine_map<(f, c, kh, kw) -> (f, c, kh, kw)>
func.func @filter_grad_reader(%x: tensor<4x8x17x17xf32>, %dy: tensor<4x32x8x8xf32>, %init: tensor<32x8x3x3xf32>, %v: tensor<32x8x3x3xf32>) -> tensor<32x8x3x3xf32> {
  %mu = arith.constant 0.9 : f32
  %g = linalg.generic {indexing_maps = [#fx, #fdy, #fdw],
                       iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x, %dy : tensor<4x8x17x17xf32>, tensor<4x32x8x8xf32>) outs(%init : tensor<32x8x3x3xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<32x8x3x3xf32>
  %e = tensor.empty() : tensor<32x8x3x3xf32>
  %nv = linalg.generic {indexing_maps = [#fid, #fid, #fid],
                        iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%g, %v : tensor<32x8x3x3xf32>, tensor<32x8x3x3xf32>) outs(%e : tensor<32x8x3x3xf32>) {
  ^bb0(%gi: f32, %vi: f32, %o: f32):
    %m = arith.mulf %vi, %mu : f32
    %n = arith.addf %m, %gi : f32
    linalg.yield %n : f32
  } -> tensor<32x8x3x3xf32>
  return %nv : tensor<32x8x3x3xf32>
}
