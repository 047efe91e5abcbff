// kiln-cpu-conv-to-gemm{parallel-tiles}: per-image tiles of a forward
// convolution (a parallel dim) are shared out among the threads in equal
// runs, an scf.forall with one iteration per thread around the loop over
// that thread's images; the filter's reshape is hoisted out of both. Tiles
// of a filter gradient (images are a reduction dim) go to the threads the
// same way, each summing its images into its own zeroed partial result
// [thread, dW...]; a linalg.reduce then adds the partials to the
// accumulator. With one thread, or parallel-tiles=false, each stays one
// sequential loop.
// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-cpu-conv-to-gemm{num-threads=2}))" \
// RUN:   | FileCheck %s
// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-cpu-conv-to-gemm{num-threads=2 parallel-tiles=false}))" \
// RUN:   | FileCheck %s --check-prefix=SEQ
// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-cpu-conv-to-gemm{num-threads=1}))" \
// RUN:   | FileCheck %s --check-prefix=SEQ

// CHECK-LABEL: func.func @conv
// CHECK: %[[W:.*]] = tensor.collapse_shape {{.*}} : tensor<32x3x3x3xf32> into tensor<32x27xf32>
// CHECK: scf.forall (%[[T:.*]]) = (0) to (4) step (2) shared_outs(%[[SHARED:.*]] = %{{.*}}) -> (tensor<4x32x8x8xf32>)
// CHECK:   %[[MINE:.*]] = tensor.extract_slice %[[SHARED]][%[[T]], 0, 0, 0] [2, 32, 8, 8]
// CHECK:   scf.for %[[N:.*]] = %c0 to %c2 step %c1 iter_args(%{{.*}} = %[[MINE]]) -> (tensor<2x32x8x8xf32>)
// CHECK:     linalg.matmul ins(%[[W]], %{{.*}} : tensor<32x27xf32>, tensor<27x64xf32>)
// CHECK:   tensor.parallel_insert_slice
// CHECK-NOT: linalg.conv_2d

// SEQ-LABEL: func.func @conv
// SEQ-NOT: scf.forall
// SEQ: scf.for %{{.*}} = %c0 to %c4 step %c1
// SEQ:   linalg.matmul
// SEQ-NOT: scf.forall

func.func @conv(%x: tensor<4x3x10x10xf32>, %w: tensor<32x3x3x3xf32>) -> tensor<4x32x8x8xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x32x8x8xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<4x32x8x8xf32>) -> tensor<4x32x8x8xf32>
  %c = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
         ins(%x, %w : tensor<4x3x10x10xf32>, tensor<32x3x3x3xf32>)
         outs(%f : tensor<4x32x8x8xf32>) -> tensor<4x32x8x8xf32>
  return %c : tensor<4x32x8x8xf32>
}

// CHECK-LABEL: func.func @filter_grad
// CHECK: %[[P0:.*]] = tensor.empty() : tensor<2x32x8x3x3xf32>
// CHECK: %[[P:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[P0]] : tensor<2x32x8x3x3xf32>)
// CHECK: %[[SUMS:.*]] = scf.forall (%[[T:.*]]) in (2) shared_outs(%[[SHARED:.*]] = %[[P]]) -> (tensor<2x32x8x3x3xf32>)
// CHECK:   %[[MINE:.*]] = tensor.extract_slice %[[SHARED]][%[[T]], 0, 0, 0, 0] [1, 32, 8, 3, 3] {{.*}} to tensor<32x8x3x3xf32>
// CHECK:   %[[START:.*]] = arith.muli %[[T]], %c2
// CHECK:   tensor.extract_slice %arg1[%[[START]], 0, 0, 0] [2, 32, 8, 8]
// CHECK:   %[[THREADSUM:.*]] = scf.for %{{.*}} = %c0 to %c2{{.*}} step %c1 iter_args(%{{.*}} = %[[MINE]]) -> (tensor<32x8x3x3xf32>)
// CHECK:     linalg.matmul
// CHECK:   tensor.parallel_insert_slice %[[THREADSUM]] into %[[SHARED]][%[[T]], 0, 0, 0, 0] [1, 32, 8, 3, 3]
// CHECK: linalg.reduce ins(%[[SUMS]] : tensor<2x32x8x3x3xf32>) outs(%arg2 : tensor<32x8x3x3xf32>) dimensions = [0]
// CHECK:   arith.addf

// SEQ-LABEL: func.func @filter_grad
// SEQ-NOT: scf.forall
// SEQ: scf.for %{{.*}} = %c0 to %c4 step %c1
// SEQ:   linalg.matmul
// SEQ-NOT: linalg.reduce

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
