// RUN: kiln-opt %s --convert-kiln-to-linalg | FileCheck %s

// CHECK-DAG: #[[IMAP:.+]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[OUT:.+]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>

// CHECK-LABEL: func.func @constant
// CHECK:         %[[C:.+]] = arith.constant dense<[1.000000e+00, 2.500000e+00]> : tensor<2xf32>
// CHECK:         return %[[C]]
func.func @constant() -> tensor<2xf32> {
  %r = kiln.constant dense<[1.0, 2.5]> : tensor<2xf32>
  return %r : tensor<2xf32>
}

// A pure collapse or expansion is one op; anything else goes through 1-D.
// CHECK-LABEL: func.func @reshape
// CHECK:         tensor.collapse_shape %{{.*}} {{\[}}[0, 1], [2]] : tensor<2x3x4xf32> into tensor<6x4xf32>
// CHECK:         tensor.expand_shape %{{.*}} {{\[}}[0, 1, 2]] output_shape [2, 1, 3] : tensor<6xf32> into tensor<2x1x3xf32>
// CHECK:         %[[FLAT:.+]] = tensor.collapse_shape %{{.*}} {{\[}}[0, 1]] : tensor<2x3xf32> into tensor<6xf32>
// CHECK:         tensor.expand_shape %[[FLAT]] {{\[}}[0, 1]] output_shape [3, 2] : tensor<6xf32> into tensor<3x2xf32>
// CHECK:         tensor.expand_shape %{{.*}} [] output_shape [1, 1] : tensor<f32> into tensor<1x1xf32>
// CHECK:         tensor.collapse_shape %{{.*}} [] : tensor<1x1xf32> into tensor<f32>
// CHECK:         tensor.empty() : tensor<0x5xf32>
func.func @reshape(%a: tensor<2x3x4xf32>, %b: tensor<6xf32>, %c: tensor<2x3xf32>,
                   %d: tensor<f32>, %e: tensor<1x1xf32>, %f: tensor<5x0xf32>)
    -> (tensor<6x4xf32>, tensor<2x1x3xf32>, tensor<3x2xf32>, tensor<1x1xf32>, tensor<f32>, tensor<0x5xf32>) {
  %0 = kiln.reshape %a : tensor<2x3x4xf32> to tensor<6x4xf32>
  %1 = kiln.reshape %b : tensor<6xf32> to tensor<2x1x3xf32>
  %2 = kiln.reshape %c : tensor<2x3xf32> to tensor<3x2xf32>
  %3 = kiln.reshape %d : tensor<f32> to tensor<1x1xf32>
  %4 = kiln.reshape %e : tensor<1x1xf32> to tensor<f32>
  %5 = kiln.reshape %f : tensor<5x0xf32> to tensor<0x5xf32>
  return %0, %1, %2, %3, %4, %5 : tensor<6x4xf32>, tensor<2x1x3xf32>, tensor<3x2xf32>, tensor<1x1xf32>, tensor<f32>, tensor<0x5xf32>
}

// CHECK-LABEL: func.func @transpose
// CHECK:         %[[E:.+]] = tensor.empty() : tensor<4x2x3xf32>
// CHECK:         linalg.transpose ins(%{{.*}} : tensor<2x3x4xf32>) outs(%[[E]] : tensor<4x2x3xf32>) permutation = [2, 0, 1]
func.func @transpose(%x: tensor<2x3x4xf32>) -> tensor<4x2x3xf32> {
  %r = kiln.transpose %x {permutation = array<i64: 2, 0, 1>} : tensor<2x3x4xf32> -> tensor<4x2x3xf32>
  return %r : tensor<4x2x3xf32>
}

// CHECK-LABEL: func.func @slice
// CHECK:         tensor.extract_slice %{{.*}}[1, 0] [2, 3] [2, 2] : tensor<5x6xf32> to tensor<2x3xf32>
func.func @slice(%x: tensor<5x6xf32>) -> tensor<2x3xf32> {
  %r = kiln.slice %x {offsets = array<i64: 1, 0>, sizes = array<i64: 2, 3>, strides = array<i64: 2, 2>}
      : tensor<5x6xf32> -> tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}

// Empty inputs are skipped.
// CHECK-LABEL: func.func @concat
// CHECK:         %[[E:.+]] = tensor.empty() : tensor<2x4xf32>
// CHECK:         %[[I0:.+]] = tensor.insert_slice %{{.*}} into %[[E]][0, 0] [2, 1] [1, 1] : tensor<2x1xf32> into tensor<2x4xf32>
// CHECK-NOT:     tensor<2x0xf32> into
// CHECK:         tensor.insert_slice %{{.*}} into %[[I0]][0, 1] [2, 3] [1, 1] : tensor<2x3xf32> into tensor<2x4xf32>
func.func @concat(%a: tensor<2x1xf32>, %b: tensor<2x0xf32>, %c: tensor<2x3xf32>) -> tensor<2x4xf32> {
  %r = kiln.concat %a, %b, %c {axis = 1 : i64} : (tensor<2x1xf32>, tensor<2x0xf32>, tensor<2x3xf32>) -> tensor<2x4xf32>
  return %r : tensor<2x4xf32>
}

// Gather: negative indices wrap (+ dim), then clamp into [0, dim - 1].
// CHECK-LABEL: func.func @gather
// CHECK-SAME:    (%[[DATA:.+]]: tensor<2x5xf32>, %[[IDX:.+]]: tensor<3x2xi32>)
// CHECK:         linalg.generic {indexing_maps = [#[[IMAP]], #[[OUT]]], iterator_types = ["parallel", "parallel", "parallel"]}
// CHECK-SAME:      ins(%[[IDX]] : tensor<3x2xi32>) outs(%{{.*}} : tensor<2x3x2xf32>)
// CHECK-NEXT:    ^bb0(%[[I:.+]]: i32, %{{.*}}: f32):
// CHECK-DAG:       %[[C5:.+]] = arith.constant 5 : index
// CHECK-DAG:       %[[IX:.+]] = arith.index_cast %[[I]] : i32 to index
// CHECK-DAG:       %[[C0:.+]] = arith.constant 0 : index
// CHECK-DAG:       %[[C4:.+]] = arith.constant 4 : index
// CHECK:           %[[NEG:.+]] = arith.cmpi slt, %[[IX]], %[[C0]] : index
// CHECK:           %[[ADD:.+]] = arith.addi %[[IX]], %[[C5]] : index
// CHECK:           %[[W:.+]] = arith.select %[[NEG]], %[[ADD]], %[[IX]] : index
// CHECK:           %[[LO:.+]] = arith.maxsi %[[W]], %[[C0]] : index
// CHECK:           %[[CL:.+]] = arith.minsi %[[LO]], %[[C4]] : index
// CHECK:           %[[D0:.+]] = linalg.index 0 : index
// CHECK:           %[[V:.+]] = tensor.extract %[[DATA]][%[[D0]], %[[CL]]] : tensor<2x5xf32>
// CHECK:           linalg.yield %[[V]] : f32
func.func @gather(%d: tensor<2x5xf32>, %i: tensor<3x2xi32>) -> tensor<2x3x2xf32> {
  %r = kiln.gather %d, %i {axis = 1 : i64} : (tensor<2x5xf32>, tensor<3x2xi32>) -> tensor<2x3x2xf32>
  return %r : tensor<2x3x2xf32>
}

// CHECK-LABEL: func.func @pad
// CHECK:         %[[V:.+]] = arith.constant 7.500000e+00 : f32
// CHECK:         tensor.pad %{{.*}} low[1, 0] high[0, 2] {
// CHECK:           tensor.yield %[[V]] : f32
// CHECK:         } : tensor<2x3xf32> to tensor<3x5xf32>
func.func @pad(%x: tensor<2x3xf32>) -> tensor<3x5xf32> {
  %r = kiln.pad %x {low = array<i64: 1, 0>, high = array<i64: 0, 2>, value = 7.5 : f32}
      : tensor<2x3xf32> -> tensor<3x5xf32>
  return %r : tensor<3x5xf32>
}
