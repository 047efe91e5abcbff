// kiln-cpu-conv-to-gemm: convolution-like contractions become GEMMs on an
// im2col copy; the cheapest form here is one GEMM per image.
// RUN: kiln-opt %s -split-input-file \
// RUN:   --pass-pipeline="builtin.module(func.func(kiln-cpu-conv-to-gemm{num-threads=1}))" \
// RUN:   | FileCheck %s

// A forward convolution becomes one GEMM per image: the filter is A as it
// is ([f | c, kh, kw]), the image's im2col is B ([c, kh, kw | oh, ow]), and
// the product lands in place in the result's [f | oh, ow] slice, with no
// transposes. The filter's reshape is hoisted out of the image loop. Every
// op created for a recomputed convolution keeps its kiln.recomputed mark.
// CHECK-DAG: #[[TAPS:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (0, d0, d1 + d3, d2 + d4)>
// CHECK-LABEL: func.func @conv
// CHECK: %[[FILL:.*]] = linalg.fill
// CHECK: %[[W:.*]] = tensor.collapse_shape {{.*}} {kiln.recomputed = 1 : i64} : tensor<32x3x3x3xf32> into tensor<32x27xf32>
// CHECK: scf.for %[[N:.*]] = %c0 to %c2 step %c1 iter_args(%[[OUT:.*]] = %[[FILL]]) -> (tensor<2x32x8x8xf32>)
// CHECK:   %[[X:.*]] = tensor.extract_slice %arg0[%[[N]], 0, 0, 0] [1, 3, 10, 10]
// CHECK:   %[[Y:.*]] = tensor.extract_slice %[[OUT]][%[[N]], 0, 0, 0] [1, 32, 8, 8]
// CHECK:   %[[COL:.*]] = linalg.generic {indexing_maps = [#[[TAPS]], #{{.*}}]{{.*}} ins(%[[X]] : tensor<1x3x10x10xf32>) outs(%{{.*}} : tensor<3x3x3x8x8xf32>) attrs = {kiln.recomputed = 1 : i64}
// CHECK:   %[[B:.*]] = tensor.collapse_shape %[[COL]] {{\[}}[0, 1, 2], [3, 4]]{{.*}} into tensor<27x64xf32>
// CHECK:   %[[C:.*]] = tensor.collapse_shape %[[Y]] {{\[}}[0, 1], [2, 3]]{{.*}} into tensor<32x64xf32>
// CHECK:   %[[MM:.*]] = linalg.matmul {kiln.recomputed = 1 : i64} ins(%[[W]], %[[B]] : tensor<32x27xf32>, tensor<27x64xf32>) outs(%[[C]] : tensor<32x64xf32>)
// CHECK:   %[[E:.*]] = tensor.expand_shape %[[MM]] {{\[}}[0, 1], [2, 3]]
// CHECK:   tensor.insert_slice %[[E]] into %[[OUT]][%[[N]], 0, 0, 0] [1, 32, 8, 8]
// CHECK-NOT: linalg.transpose
// CHECK-NOT: linalg.conv_2d

func.func @conv(%x: tensor<2x3x10x10xf32>, %w: tensor<32x3x3x3xf32>) -> tensor<2x32x8x8xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x32x8x8xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<2x32x8x8xf32>) -> tensor<2x32x8x8xf32>
  %c = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>, kiln.recomputed = 1 : i64}
         ins(%x, %w : tensor<2x3x10x10xf32>, tensor<32x3x3x3xf32>)
         outs(%f : tensor<2x32x8x8xf32>) -> tensor<2x32x8x8xf32>
  return %c : tensor<2x32x8x8xf32>
}


// The filter gradient of a stride-1 convolution: the image's im2col is laid
// out [c, kh, kw | oh, ow] (B transposed, the matmul reads it through
// (n, k)), so that its gather copies whole image rows (ow + kw runs along
// ow) instead of 3 taps at a time.
// CHECK-LABEL: func.func @filter_grad_stride1
// CHECK: scf.for %[[N:.*]] = %c0 to %c4 step %c1
// CHECK:   %[[COL:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<8x3x3x8x8xf32>)
// CHECK:   %[[B:.*]] = tensor.collapse_shape %[[COL]] {{\[}}[0, 1, 2], [3, 4]] : tensor<8x3x3x8x8xf32> into tensor<72x64xf32>
// CHECK:   linalg.matmul indexing_maps = [#{{.*}}, #[[BT:.*]], #{{.*}}] ins(%{{.*}}, %[[B]] : tensor<32x64xf32>, tensor<72x64xf32>) outs(%{{.*}} : tensor<32x72xf32>)
// CHECK-NOT: linalg.transpose
#x1 = affine_map<(f, c, kh, kw, n, oh, ow) -> (n, c, oh + kh, ow + kw)>
#dy1 = affine_map<(f, c, kh, kw, n, oh, ow) -> (n, f, oh, ow)>
#dw1 = affine_map<(f, c, kh, kw, n, oh, ow) -> (f, c, kh, kw)>
func.func @filter_grad_stride1(%x: tensor<4x8x10x10xf32>, %dy: tensor<4x32x8x8xf32>, %init: tensor<32x8x3x3xf32>) -> tensor<32x8x3x3xf32> {
  %r = linalg.generic {indexing_maps = [#x1, #dy1, #dw1],
                       iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x, %dy : tensor<4x8x10x10xf32>, tensor<4x32x8x8xf32>) outs(%init : tensor<32x8x3x3xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<32x8x3x3xf32>
  return %r : tensor<32x8x3x3xf32>
}

// -----

// The filter gradient of a stride-2 convolution: per image (a reduction
// dim, tiled because the accumulator is used in place), dy's [f | oh, ow]
// slice is A as it is, the image's im2col [oh, ow | c, kh, kw] is B, and
// the product accumulates into dW directly. (With stride 2, a transposed
// im2col would copy single elements; [.. | c, kh, kw] copies runs of 3.)
// CHECK-LABEL: func.func @filter_grad(
// CHECK: scf.for %[[N:.*]] = %c0 to %c4 step %c1 iter_args(%[[DW:.*]] = %arg2) -> (tensor<32x8x3x3xf32>)
// CHECK:   %[[X:.*]] = tensor.extract_slice %arg0[%[[N]], 0, 0, 0] [1, 8, 17, 17]
// CHECK:   %[[DY:.*]] = tensor.extract_slice %arg1[%[[N]], 0, 0, 0] [1, 32, 8, 8]
// CHECK:   %[[ACC:.*]] = tensor.extract_slice %[[DW]]
// CHECK:   %[[A:.*]] = tensor.collapse_shape %[[DY]] {{\[}}[0, 1], [2, 3]] : tensor<1x32x8x8xf32> into tensor<32x64xf32>
// CHECK:   %[[COL:.*]] = linalg.generic {{.*}} ins(%[[X]] : tensor<1x8x17x17xf32>) outs(%{{.*}} : tensor<8x8x8x3x3xf32>)
// CHECK:   %[[B:.*]] = tensor.collapse_shape %[[COL]] {{\[}}[0, 1], [2, 3, 4]] : tensor<8x8x8x3x3xf32> into tensor<64x72xf32>
// CHECK:   %[[C:.*]] = tensor.collapse_shape %[[ACC]] {{\[}}[0], [1, 2, 3]] : tensor<32x8x3x3xf32> into tensor<32x72xf32>
// CHECK:   linalg.matmul ins(%[[A]], %[[B]] : tensor<32x64xf32>, tensor<64x72xf32>) outs(%[[C]] : tensor<32x72xf32>)
// CHECK-NOT: linalg.transpose

// -----

// The filter gradient: dW[f, c, kh, kw] = sum_{n, oh, ow} x[n, c, 2*oh + kh, 2*ow + kw] * dy[n, f, oh, ow].
#x = affine_map<(f, c, kh, kw, n, oh, ow) -> (n, c, oh * 2 + kh, ow * 2 + kw)>
#dy = affine_map<(f, c, kh, kw, n, oh, ow) -> (n, f, oh, ow)>
#dw = affine_map<(f, c, kh, kw, n, oh, ow) -> (f, c, kh, kw)>
func.func @filter_grad(%x: tensor<4x8x17x17xf32>, %dy: tensor<4x32x8x8xf32>, %init: tensor<32x8x3x3xf32>) -> tensor<32x8x3x3xf32> {
  %r = linalg.generic {indexing_maps = [#x, #dy, #dw],
                       iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x, %dy : tensor<4x8x17x17xf32>, tensor<4x32x8x8xf32>) outs(%init : tensor<32x8x3x3xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<32x8x3x3xf32>
  return %r : tensor<32x8x3x3xf32>
}


// -----

func.func @not_rewritten(%a: tensor<64x64xf32>, %b: tensor<64x64xf32>, %c: tensor<64x64xf32>,
                         %x: tensor<1x1x4x4xf32>, %w: tensor<1x1x3x3xf32>, %y: tensor<1x1x2x2xf32>)
    -> (tensor<64x64xf32>, tensor<1x1x2x2xf32>) {
  %0 = linalg.matmul ins(%a, %b : tensor<64x64xf32>, tensor<64x64xf32>) outs(%c : tensor<64x64xf32>) -> tensor<64x64xf32>
  %1 = linalg.conv_2d_nchw_fchw ins(%x, %w : tensor<1x1x4x4xf32>, tensor<1x1x3x3xf32>) outs(%y : tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32>
  return %0, %1 : tensor<64x64xf32>, tensor<1x1x2x2xf32>
}

// A plain matmul is not convolution-like; a convolution below min-flops
// is only generalized.
// CHECK-LABEL: func.func @not_rewritten
// CHECK: linalg.matmul ins(%arg0, %arg1
// CHECK-NEXT: linalg.generic {{.*}} ins(%arg3, %arg4
// CHECK-NOT: linalg.matmul

// -----

// A result that interleaves the two sides (out[oh, f, ow], a 1-D
// convolution over ow per row oh): whole, it would need the product
// transposed back; tiled per row oh, each row's [f | ow] slice is in order.
// CHECK-LABEL: func.func @interleaved
// CHECK: scf.for %[[OH:.*]] = %c0 to %c16 step %c1
// CHECK:   linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<32x24xf32>, tensor<24x64xf32>) outs(%{{.*}} : tensor<32x64xf32>)
// CHECK-NOT: linalg.transpose
#xi = affine_map<(oh, f, ow, c, k) -> (oh, c, ow + k)>
#wi = affine_map<(oh, f, ow, c, k) -> (f, c, k)>
#oi = affine_map<(oh, f, ow, c, k) -> (oh, f, ow)>
func.func @interleaved(%x: tensor<16x8x66xf32>, %w: tensor<32x8x3xf32>) -> tensor<16x32x64xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<16x32x64xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<16x32x64xf32>) -> tensor<16x32x64xf32>
  %r = linalg.generic {indexing_maps = [#xi, #wi, #oi],
                       iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction"]}
      ins(%x, %w : tensor<16x8x66xf32>, tensor<32x8x3xf32>) outs(%f : tensor<16x32x64xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<16x32x64xf32>
  return %r : tensor<16x32x64xf32>
}
