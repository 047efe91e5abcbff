// kiln-cpu-conv-to-gemm: an input gradient reads the output gradient
// through backwards windows (dy[oh - kh + 2], a correlation with the
// flipped filter). The pass runs those kernel dims forwards (kh -> 2 - kh,
// which leaves the sum alone): the filter is read through a flipped copy,
// and the per-image im2col reads dy[oh + kh], which upstream's tiling
// slices within the image (a backwards window gets a slice from the wrong
// end) and kiln-cpu-vectorize copies row by row.
// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-cpu-conv-to-gemm{num-threads=1 min-flops=0}))" \
// RUN:   | FileCheck %s

// CHECK-DAG: #[[FLIPPED:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, -d2 + 2, -d3 + 2)>
// CHECK-DAG: #[[FORWARDS:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (0, d0, d1 + d3, d2 + d4)>
// CHECK-NOT: - d
// CHECK-LABEL: func.func @input_grad
// The filter's flipped copy, then its GEMM layout [ci | co kh kw].
// CHECK: %[[FLIP:.*]] = linalg.generic {indexing_maps = [#[[FLIPPED]], {{.*}} ins(%arg1 : tensor<8x4x3x3xf32>)
// CHECK: %[[W:.*]] = tensor.extract_slice %[[FLIP]]
// CHECK: linalg.generic {{.*}} ins(%[[W]] : tensor<8x4x3x3xf32>)
// CHECK: scf.for
// The image's slice of dy, read forwards and within bounds.
// CHECK:   %[[IMG:.*]] = tensor.extract_slice %arg0[%{{.*}}, 0, 0, 0] [1, 8, 10, 10]
// CHECK:   linalg.generic {indexing_maps = [#[[FORWARDS]], {{.*}} ins(%[[IMG]] : tensor<1x8x10x10xf32>)
// CHECK:   linalg.matmul
#dy = affine_map<(n, ci, oh, ow, co, kh, kw) -> (n, co, oh - kh + 2, ow - kw + 2)>
#w = affine_map<(n, ci, oh, ow, co, kh, kw) -> (co, ci, kh, kw)>
#dx = affine_map<(n, ci, oh, ow, co, kh, kw) -> (n, ci, oh, ow)>
func.func @input_grad(%dy: tensor<2x8x10x10xf32>, %w: tensor<8x4x3x3xf32>, %init: tensor<2x4x8x8xf32>) -> tensor<2x4x8x8xf32> {
  %r = linalg.generic {indexing_maps = [#dy, #w, #dx],
                       iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%dy, %w : tensor<2x8x10x10xf32>, tensor<8x4x3x3xf32>) outs(%init : tensor<2x4x8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<2x4x8x8xf32>
  return %r : tensor<2x4x8x8xf32>
}
