// RUN: kiln-opt %s --convert-kiln-to-linalg | FileCheck %s

// CHECK-LABEL: func.func @matmul_2d
// CHECK:         %[[Z:.+]] = arith.constant 0.000000e+00 : f32
// CHECK:         %[[E:.+]] = tensor.empty() : tensor<5x3xf32>
// CHECK:         %[[ACC:.+]] = linalg.fill ins(%[[Z]] : f32) outs(%[[E]] : tensor<5x3xf32>)
// CHECK:         linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<5x7xf32>, tensor<7x3xf32>) outs(%[[ACC]] : tensor<5x3xf32>)
func.func @matmul_2d(%a: tensor<5x7xf32>, %b: tensor<7x3xf32>) -> tensor<5x3xf32> {
  %r = kiln.matmul %a, %b : tensor<5x7xf32>, tensor<7x3xf32> -> tensor<5x3xf32>
  return %r : tensor<5x3xf32>
}

// CHECK-LABEL: func.func @matmul_batch
// CHECK:         linalg.batch_matmul ins(%{{.*}}, %{{.*}} : tensor<4x2x3xf32>, tensor<4x3x5xf32>) outs(%{{.*}} : tensor<4x2x5xf32>)
func.func @matmul_batch(%a: tensor<4x2x3xf32>, %b: tensor<4x3x5xf32>) -> tensor<4x2x5xf32> {
  %r = kiln.matmul %a, %b : tensor<4x2x3xf32>, tensor<4x3x5xf32> -> tensor<4x2x5xf32>
  return %r : tensor<4x2x5xf32>
}

// Rank > 3: the batch dims collapse into one and expand back.
// CHECK-LABEL: func.func @matmul_rank4
// CHECK:         %[[A:.+]] = tensor.collapse_shape %{{.*}} {{\[}}[0, 1], [2], [3]] : tensor<2x6x2x3xf32> into tensor<12x2x3xf32>
// CHECK:         %[[B:.+]] = tensor.collapse_shape %{{.*}} {{\[}}[0, 1], [2], [3]] : tensor<2x6x3x5xf32> into tensor<12x3x5xf32>
// CHECK:         %[[M:.+]] = linalg.batch_matmul ins(%[[A]], %[[B]] : tensor<12x2x3xf32>, tensor<12x3x5xf32>)
// CHECK:         tensor.expand_shape %[[M]] {{\[}}[0, 1], [2], [3]] output_shape [2, 6, 2, 5] : tensor<12x2x5xf32> into tensor<2x6x2x5xf32>
func.func @matmul_rank4(%a: tensor<2x6x2x3xf32>, %b: tensor<2x6x3x5xf32>) -> tensor<2x6x2x5xf32> {
  %r = kiln.matmul %a, %b : tensor<2x6x2x3xf32>, tensor<2x6x3x5xf32> -> tensor<2x6x2x5xf32>
  return %r : tensor<2x6x2x5xf32>
}

// CHECK-LABEL: func.func @matmul_int
// CHECK:         %[[Z:.+]] = arith.constant 0 : i32
// CHECK:         linalg.fill ins(%[[Z]] : i32)
// CHECK:         linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<2x3xi32>, tensor<3x2xi32>)
func.func @matmul_int(%a: tensor<2x3xi32>, %b: tensor<3x2xi32>) -> tensor<2x2xi32> {
  %r = kiln.matmul %a, %b : tensor<2x3xi32>, tensor<3x2xi32> -> tensor<2x2xi32>
  return %r : tensor<2x2xi32>
}

// Padding is a tensor.pad with zeros; strides and dilations go to the op.
// CHECK-LABEL: func.func @conv2d
// CHECK:         %[[PADV:.+]] = arith.constant 0.000000e+00 : f32
// CHECK:         %[[P:.+]] = tensor.pad %{{.*}} low[0, 0, 1, 0] high[0, 0, 2, 1]
// CHECK:           tensor.yield %[[PADV]] : f32
// CHECK:         } : tensor<1x2x7x6xf32> to tensor<1x2x10x7xf32>
// CHECK:         linalg.conv_2d_nchw_fchw {dilations = dense<[1, 2]> : tensor<2xi64>, strides = dense<[2, 1]> : tensor<2xi64>}
// CHECK-SAME:      ins(%[[P]], %{{.*}} : tensor<1x2x10x7xf32>, tensor<3x2x3x2xf32>) outs(%{{.*}} : tensor<1x3x4x5xf32>)
func.func @conv2d(%x: tensor<1x2x7x6xf32>, %w: tensor<3x2x3x2xf32>) -> tensor<1x3x4x5xf32> {
  %r = kiln.conv2d %x, %w {strides = array<i64: 2, 1>, padding = array<i64: 1, 0, 2, 1>,
                           dilations = array<i64: 1, 2>, groups = 1 : i64}
      : tensor<1x2x7x6xf32>, tensor<3x2x3x2xf32> -> tensor<1x3x4x5xf32>
  return %r : tensor<1x3x4x5xf32>
}

// Grouped: NCHW -> NGCHW, FCHW -> GFCHW, conv_2d_ngchw_gfchw, NGFHW -> NFHW.
// CHECK-LABEL: func.func @conv2d_grouped
// CHECK-NOT:     tensor.pad
// CHECK:         %[[X:.+]] = tensor.expand_shape %{{.*}} {{\[}}[0], [1, 2], [3], [4]] output_shape [2, 2, 2, 5, 5] : tensor<2x4x5x5xf32> into tensor<2x2x2x5x5xf32>
// CHECK:         %[[W:.+]] = tensor.expand_shape %{{.*}} {{\[}}[0, 1], [2], [3], [4]] output_shape [2, 3, 2, 3, 3] : tensor<6x2x3x3xf32> into tensor<2x3x2x3x3xf32>
// CHECK:         %[[C:.+]] = linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
// CHECK-SAME:      ins(%[[X]], %[[W]] : tensor<2x2x2x5x5xf32>, tensor<2x3x2x3x3xf32>) outs(%{{.*}} : tensor<2x2x3x3x3xf32>)
// CHECK:         tensor.collapse_shape %[[C]] {{\[}}[0], [1, 2], [3], [4]] : tensor<2x2x3x3x3xf32> into tensor<2x6x3x3xf32>
func.func @conv2d_grouped(%x: tensor<2x4x5x5xf32>, %w: tensor<6x2x3x3xf32>) -> tensor<2x6x3x3xf32> {
  %r = kiln.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>,
                           dilations = array<i64: 1, 1>, groups = 2 : i64}
      : tensor<2x4x5x5xf32>, tensor<6x2x3x3xf32> -> tensor<2x6x3x3xf32>
  return %r : tensor<2x6x3x3xf32>
}

// kiln-sparsify's kiln.sparse_weight mark travels to the linalg.matmul.
// CHECK-LABEL: func.func @sparse_weight
// CHECK: linalg.matmul {kiln.sparse_weight} ins(%arg0, %arg1 : tensor<2x8xf32>, tensor<8x4xf32>)
func.func @sparse_weight(%x: tensor<2x8xf32>, %w: tensor<8x4xf32>) -> tensor<2x4xf32> {
  %y = kiln.matmul %x, %w {kiln.sparse_weight} : tensor<2x8xf32>, tensor<8x4xf32> -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}
