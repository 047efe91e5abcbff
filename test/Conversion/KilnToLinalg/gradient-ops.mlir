// Lowering of the backward primitives that gradient rules emit
// (KilnGradientOps.td): insert-into-zeros for strided slices, a loop
// over the updates for scatter_add, and "dilate, pad, correlate" generics
// for the convolution and pooling gradients.
// RUN: kiln-opt %s --convert-kiln-to-linalg | FileCheck %s

// The taps a convolution's input position h reads back, for kernel 3 with
// dilation 2 and top padding 1: h + 1 + (3-1)*2 - kh*2 = h - 2kh + 5.
// CHECK-DAG: #[[CONV_Z:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1, d5, d3 - d6 * 2 + 5, d4 - d7 + 2)>
// CHECK-DAG: #[[CONV_F:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d1, d5, d2, d6, d7)>
// CHECK-DAG: #[[CONV_OUT:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1, d2, d3, d4)>
// The filter gradient reads the padded input at oh*2 + kh*2 (stride 2,
// dilation 2) and ow*2 + kw.
// CHECK-DAG: #[[FILT_X:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d5, d0, d2, d6 * 2 + d3 * 2, d7 * 2 + d4)>
// CHECK-DAG: #[[FILT_G:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d5, d0, d1, d6, d7)>

// CHECK-LABEL: func.func @stop_gradient
// CHECK-SAME:    (%[[X:.+]]: tensor<4xf32>)
// CHECK-NEXT:    return %[[X]]
func.func @stop_gradient(%x: tensor<4xf32>) -> tensor<4xf32> {
  %s = kiln.stop_gradient %x : tensor<4xf32>
  return %s : tensor<4xf32>
}

// CHECK-LABEL: func.func @slice_backward
// CHECK-SAME:    (%[[G:.+]]: tensor<2x3xf32>)
// CHECK:         %[[Z:.+]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<5x7xf32>)
// CHECK:         %[[R:.+]] = tensor.insert_slice %[[G]] into %[[Z]][1, 0] [2, 3] [2, 3] : tensor<2x3xf32> into tensor<5x7xf32>
// CHECK:         return %[[R]]
func.func @slice_backward(%g: tensor<2x3xf32>) -> tensor<5x7xf32> {
  %0 = kiln.slice_backward %g {offsets = array<i64: 1, 0>, strides = array<i64: 2, 3>} : tensor<2x3xf32> -> tensor<5x7xf32>
  return %0 : tensor<5x7xf32>
}

// One loop over the updates' rows, threading dest: the wrapped, clamped
// index picks dest's row, and the update row is added into it.
// CHECK-LABEL: func.func @scatter_add
// CHECK-SAME:    (%[[D:.+]]: tensor<10x4xf32>, %[[I:.+]]: tensor<3xi64>, %[[U:.+]]: tensor<3x4xf32>)
// CHECK:         %[[R:.+]] = scf.for %[[K:.+]] = %{{.*}} to %c3 step %{{.*}} iter_args(%[[ACC:.+]] = %[[D]]) -> (tensor<10x4xf32>)
// CHECK:           %[[ID:.+]] = tensor.extract %[[I]][%[[K]]] : tensor<3xi64>
// CHECK:           arith.maxsi
// CHECK:           %[[ROW:.+]] = arith.minsi
// CHECK:           %[[UROW:.+]] = tensor.extract_slice %[[U]][%[[K]], 0] [1, 4] [1, 1] : tensor<3x4xf32> to tensor<4xf32>
// CHECK:           %[[DROW:.+]] = tensor.extract_slice %[[ACC]][%[[ROW]], 0] [1, 4] [1, 1] : tensor<10x4xf32> to tensor<4xf32>
// CHECK:           %[[SUM:.+]] = linalg.generic {{.*}} ins(%[[UROW]] : tensor<4xf32>) outs(%[[DROW]] : tensor<4xf32>)
// CHECK:             arith.addf
// CHECK:           %[[NEXT:.+]] = tensor.insert_slice %[[SUM]] into %[[ACC]][%[[ROW]], 0] [1, 4] [1, 1]
// CHECK:           scf.yield %[[NEXT]]
// CHECK:         return %[[R]]
func.func @scatter_add(%dest: tensor<10x4xf32>, %ids: tensor<3xi64>, %u: tensor<3x4xf32>) -> tensor<10x4xf32> {
  %0 = kiln.scatter_add %dest, %ids, %u {axis = 0 : i64} : (tensor<10x4xf32>, tensor<3xi64>, tensor<3x4xf32>) -> tensor<10x4xf32>
  return %0 : tensor<10x4xf32>
}

// Along the last axis there is no trailing row: a loop over dest's leading
// dimension and the indices, adding one element at a time.
// CHECK-LABEL: func.func @scatter_add_last_axis
// CHECK:         scf.for %[[A:.+]] = %{{.*}} to %c2
// CHECK:           scf.for %[[K:.+]] = %{{.*}} to %c3
// CHECK:             %[[COL:.+]] = arith.minsi
// CHECK:             %[[UV:.+]] = tensor.extract %{{.*}}[%[[A]], %[[K]]] : tensor<2x3xf32>
// CHECK:             %[[DV:.+]] = tensor.extract %{{.*}}[%[[A]], %[[COL]]] : tensor<2x10xf32>
// CHECK:             %[[S:.+]] = arith.addf %[[DV]], %[[UV]] : f32
// CHECK:             tensor.insert %[[S]] into %{{.*}}[%[[A]], %[[COL]]] : tensor<2x10xf32>
func.func @scatter_add_last_axis(%dest: tensor<2x10xf32>, %ids: tensor<3xi64>, %u: tensor<2x3xf32>) -> tensor<2x10xf32> {
  %0 = kiln.scatter_add %dest, %ids, %u {axis = 1 : i64} : (tensor<2x10xf32>, tensor<3xi64>, tensor<2x3xf32>) -> tensor<2x10xf32>
  return %0 : tensor<2x10xf32>
}

// The output gradient is spread with the strides into zeros padded by
// (K-1)*dilation = (4, 1), then correlated per group with the filter.
// CHECK-LABEL: func.func @conv_backward_input
// CHECK-SAME:    (%[[DY:.+]]: tensor<2x6x3x3xf32>, %[[F:.+]]: tensor<6x2x3x2xf32>)
// CHECK:         %[[Z:.+]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<2x6x13x8xf32>)
// CHECK:         %[[S:.+]] = tensor.insert_slice %[[DY]] into %[[Z]][0, 0, 4, 1] [2, 6, 3, 3] [1, 1, 2, 2]
// CHECK:         %[[S5:.+]] = tensor.expand_shape %[[S]] {{\[}}[0], [1, 2], [3], [4]] output_shape [2, 2, 3, 13, 8]
// CHECK:         %[[F5:.+]] = tensor.expand_shape %[[F]] {{\[}}[0, 1], [2], [3], [4]] output_shape [2, 3, 2, 3, 2]
// CHECK:         %[[R5:.+]] = linalg.generic {indexing_maps = [#[[CONV_Z]], #[[CONV_F]], #[[CONV_OUT]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
// CHECK-SAME:      ins(%[[S5]], %[[F5]] : tensor<2x2x3x13x8xf32>, tensor<2x3x2x3x2xf32>)
// CHECK:           arith.mulf
// CHECK:           arith.addf
// CHECK:         tensor.collapse_shape %[[R5]] {{\[}}[0], [1, 2], [3], [4]] : tensor<2x2x2x7x6xf32> into tensor<2x4x7x6xf32>
func.func @conv_backward_input(%dy: tensor<2x6x3x3xf32>, %f: tensor<6x2x3x2xf32>) -> tensor<2x4x7x6xf32> {
  %dx = kiln.conv2d_backward_input %dy, %f {strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 0>, dilations = array<i64: 2, 1>, groups = 2 : i64}
      : tensor<2x6x3x3xf32>, tensor<6x2x3x2xf32> -> tensor<2x4x7x6xf32>
  return %dx : tensor<2x4x7x6xf32>
}

// CHECK-LABEL: func.func @conv_backward_filter
// CHECK:         %[[P:.+]] = tensor.pad %{{.*}} low[0, 0, 1, 1] high[0, 0, 1, 0]
// CHECK:         %[[X5:.+]] = tensor.expand_shape %[[P]] {{\[}}[0], [1, 2], [3], [4]] output_shape [2, 2, 2, 9, 7]
// CHECK:         %[[G5:.+]] = tensor.expand_shape %{{.*}} {{\[}}[0], [1, 2], [3], [4]] output_shape [2, 2, 3, 3, 3]
// CHECK:         %[[R5:.+]] = linalg.generic {indexing_maps = [#[[FILT_X]], #[[FILT_G]], #[[CONV_OUT]]]
// CHECK-SAME:      ins(%[[X5]], %[[G5]] : tensor<2x2x2x9x7xf32>, tensor<2x2x3x3x3xf32>) outs(%{{.*}} : tensor<2x3x2x3x2xf32>)
// CHECK:         tensor.collapse_shape %[[R5]] {{\[}}[0, 1], [2], [3], [4]] : tensor<2x3x2x3x2xf32> into tensor<6x2x3x2xf32>
func.func @conv_backward_filter(%x: tensor<2x4x7x6xf32>, %dy: tensor<2x6x3x3xf32>) -> tensor<6x2x3x2xf32> {
  %df = kiln.conv2d_backward_filter %x, %dy {strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 0>, dilations = array<i64: 2, 1>, groups = 2 : i64}
      : tensor<2x4x7x6xf32>, tensor<2x6x3x3xf32> -> tensor<6x2x3x2xf32>
  return %df : tensor<6x2x3x2xf32>
}

// Argmax per window (value and first tap, two outputs; the taps as i8)
// read from the unpadded input at clamped positions, the padding ruled
// out; then one generic over the input positions adds, per tap, the
// gradient of the window (oh = (h + 1 - kh) / 2 where exact) whose argmax
// is that tap. No padded copy and no per-tap routed tensor.
// CHECK-LABEL: func.func @max_pool_backward
// CHECK-SAME:    (%[[X:.+]]: tensor<1x2x5x6xf32>, %[[DY:.+]]: tensor<1x2x3x3xf32>)
// CHECK-NOT:     tensor.pad
// CHECK:         %[[NINF:.+]] = arith.constant 0xFF800000 : f32
// CHECK:         %[[NONE:.+]] = arith.constant 6 : i8
// CHECK:         %[[AM:.+]]:2 = linalg.generic
// CHECK-SAME:      iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]
// CHECK-SAME:      ins(%{{.*}} : tensor<3x2xf32>) outs(%{{.*}}, %{{.*}} : tensor<1x2x3x3xf32>, tensor<1x2x3x3xi8>)
// CHECK:           %[[HC:.+]] = arith.select %[[REAL:.+]], %{{.+}}, %{{.+}} : index
// CHECK:           %[[WC:.+]] = arith.select %[[REAL]], %{{.+}}, %{{.+}} : index
// CHECK:           %[[V:.+]] = tensor.extract %[[X]][%{{.+}}, %{{.+}}, %[[HC]], %[[WC]]]
// CHECK:           arith.cmpf ogt, %[[V]]
// CHECK:           arith.cmpf oeq, %[[V]]
// CHECK:           arith.cmpi slt
// CHECK:           %[[WINS:.+]] = arith.andi %[[REAL]]
// CHECK:           arith.select %[[WINS]]
// CHECK:         linalg.generic
// CHECK-SAME:      iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]
// CHECK-SAME:      ins(%{{.*}} : tensor<3x2xf32>) outs(%{{.*}} : tensor<1x2x5x6xf32>)
// CHECK:           arith.divsi %{{.*}}, %c2
// CHECK:           arith.remsi
// CHECK:           %[[TAP:.+]] = tensor.extract %[[AM]]#1
// CHECK:           %[[TAPI:.+]] = arith.index_cast %[[TAP]] : i8 to index
// CHECK:           arith.cmpi eq, %[[TAPI]]
// CHECK:           tensor.extract %[[DY]]
// CHECK:           arith.addf
// CHECK-NOT:     tensor.insert_slice
// CHECK:         return
func.func @max_pool_backward(%x: tensor<1x2x5x6xf32>, %dy: tensor<1x2x3x3xf32>) -> tensor<1x2x5x6xf32> {
  %0 = kiln.max_pool2d_backward %x, %dy {kernel = array<i64: 3, 2>, strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 0>, dilations = array<i64: 1, 2>}
      : tensor<1x2x5x6xf32>, tensor<1x2x3x3xf32>
  return %0 : tensor<1x2x5x6xf32>
}

// Windows that tile the input (stride = kernel, no padding): the input
// viewed as [N, C, OH, KH, OW, KW], the argmax a reduction over (kh, kw)
// without gathers or bounds checks, and the gradient written once per input
// element, routed where the tap matches.
// CHECK-LABEL: func.func @max_pool_backward_tiling
// CHECK:         %[[X6:.+]] = tensor.expand_shape %arg0 {{\[}}[0], [1], [2, 3], [4, 5]] output_shape [1, 2, 3, 2, 4, 2]
// CHECK:         %[[AM:.+]]:2 = linalg.generic
// CHECK-SAME:      iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]
// CHECK-SAME:      ins(%[[X6]] : tensor<1x2x3x2x4x2xf32>) outs(%{{.*}}, %{{.*}} : tensor<1x2x3x4xf32>, tensor<1x2x3x4xi8>)
// CHECK-NOT:       tensor.extract
// CHECK:         %[[DX6:.+]] = linalg.generic
// CHECK-SAME:      iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]
// CHECK-SAME:      ins(%[[AM]]#1, %arg1 : tensor<1x2x3x4xi8>, tensor<1x2x3x4xf32>) outs(%{{.*}} : tensor<1x2x3x2x4x2xf32>)
// CHECK:           arith.cmpi eq
// CHECK:           arith.select
// CHECK-NOT:       tensor.extract
// CHECK:         tensor.collapse_shape %[[DX6]] {{\[}}[0], [1], [2, 3], [4, 5]] : tensor<1x2x3x2x4x2xf32> into tensor<1x2x6x8xf32>
func.func @max_pool_backward_tiling(%x: tensor<1x2x6x8xf32>, %dy: tensor<1x2x3x4xf32>) -> tensor<1x2x6x8xf32> {
  %0 = kiln.max_pool2d_backward %x, %dy {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>}
      : tensor<1x2x6x8xf32>, tensor<1x2x3x4xf32>
  return %0 : tensor<1x2x6x8xf32>
}

// Each window's share (divided by the kernel area here), spread and summed.
// CHECK-LABEL: func.func @avg_pool_backward
// CHECK:         %[[AREA:.+]] = arith.constant dense<6.000000e+00> : tensor<3x3xf32>
// CHECK:         %[[SHARE:.+]] = linalg.generic
// CHECK:           arith.divf
// CHECK:         %[[S:.+]] = tensor.insert_slice %[[SHARE]] into %{{.*}}[0, 0, 2, 2] [1, 2, 3, 3] [1, 1, 2, 2] : tensor<1x2x3x3xf32> into tensor<1x2x9x9xf32>
// CHECK:         linalg.generic
// CHECK-SAME:      ins(%[[S]], %{{.*}} : tensor<1x2x9x9xf32>, tensor<3x2xf32>) outs(%{{.*}} : tensor<1x2x5x6xf32>)
func.func @avg_pool_backward(%dy: tensor<1x2x3x3xf32>) -> tensor<1x2x5x6xf32> {
  %1 = kiln.avg_pool2d_backward %dy {kernel = array<i64: 3, 2>, strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 0>, dilations = array<i64: 1, 2>, count_include_pad = true}
      : tensor<1x2x3x3xf32> -> tensor<1x2x5x6xf32>
  return %1 : tensor<1x2x5x6xf32>
}
