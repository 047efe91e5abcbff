// kiln-cpu-conv-to-gemm{parallel-tiles}: per-image tiles of a forward
// convolution (a parallel dim) are shared out among the threads in equal
// runs, an scf.forall with one iteration per thread around the loop over
// that thread's images; the filter's reshape is hoisted out of both. With
// one thread, or parallel-tiles=false, it stays one sequential loop.
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
