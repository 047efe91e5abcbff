// RUN: kiln-opt %s --convert-kiln-to-linalg | FileCheck %s

// CHECK-DAG: #[[HW:.+]] = affine_map<(d0, d1, d2, d3) -> (d2, d3)>

// Max pooling pads with -inf, so padding never wins, and starts from -inf.
// CHECK-LABEL: func.func @max_pool
// CHECK:         %[[NINF:.+]] = arith.constant 0xFF800000 : f32
// CHECK:         %[[P:.+]] = tensor.pad %{{.*}} low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK:           tensor.yield %[[NINF]] : f32
// CHECK:         %[[WIN:.+]] = tensor.empty() : tensor<3x3xf32>
// CHECK:         %[[INIT:.+]] = arith.constant 0xFF800000 : f32
// CHECK:         %[[ACC:.+]] = linalg.fill ins(%[[INIT]] : f32)
// CHECK:         linalg.pooling_nchw_max {dilations = dense<[1, 2]> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
// CHECK-SAME:      ins(%[[P]], %[[WIN]] : tensor<1x2x8x8xf32>, tensor<3x3xf32>) outs(%[[ACC]] : tensor<1x2x3x2xf32>)
func.func @max_pool(%x: tensor<1x2x6x6xf32>) -> tensor<1x2x3x2xf32> {
  %r = kiln.max_pool2d %x {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>,
                           padding = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 2>}
      : tensor<1x2x6x6xf32> -> tensor<1x2x3x2xf32>
  return %r : tensor<1x2x3x2xf32>
}

// count_include_pad: the window sum divided by the kernel area.
// CHECK-LABEL: func.func @avg_pool_include_pad
// CHECK:         tensor.pad
// CHECK:         %[[SUM:.+]] = linalg.pooling_nchw_sum
// CHECK:         %[[AREA:.+]] = arith.constant 9.000000e+00 : f32
// CHECK:         linalg.generic
// CHECK-SAME:      ins(%[[SUM]] : tensor<1x1x4x4xf32>)
// CHECK:           arith.divf %{{.*}}, %[[AREA]] : f32
func.func @avg_pool_include_pad(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32> {
  %r = kiln.avg_pool2d %x {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>,
                           padding = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>,
                           count_include_pad = true}
      : tensor<1x1x4x4xf32> -> tensor<1x1x4x4xf32>
  return %r : tensor<1x1x4x4xf32>
}

// Without count_include_pad: divided by the number of real elements of each
// window, a constant computed at compile time and indexed by (h, w).
// CHECK-LABEL: func.func @avg_pool_exclude_pad
// CHECK:         %[[SUM:.+]] = linalg.pooling_nchw_sum
// CHECK:         %[[COUNT:.+]] = arith.constant dense<{{\[}}[4.000000e+00, 6.000000e+00, 6.000000e+00, 4.000000e+00], [6.000000e+00, 9.000000e+00, 9.000000e+00, 6.000000e+00], [6.000000e+00, 9.000000e+00, 9.000000e+00, 6.000000e+00], [4.000000e+00, 6.000000e+00, 6.000000e+00, 4.000000e+00]]> : tensor<4x4xf32>
// CHECK:         linalg.generic {indexing_maps = [#{{.+}}, #[[HW]], #{{.+}}]
// CHECK-SAME:      ins(%[[SUM]], %[[COUNT]] : tensor<1x1x4x4xf32>, tensor<4x4xf32>)
// CHECK:           arith.divf
func.func @avg_pool_exclude_pad(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32> {
  %r = kiln.avg_pool2d %x {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>,
                           padding = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>,
                           count_include_pad = false}
      : tensor<1x1x4x4xf32> -> tensor<1x1x4x4xf32>
  return %r : tensor<1x1x4x4xf32>
}
