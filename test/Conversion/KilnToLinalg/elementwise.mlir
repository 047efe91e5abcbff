// RUN: kiln-opt %s --convert-kiln-to-linalg | FileCheck %s

// Elementwise ops: one all-parallel linalg.generic each, output from
// tensor.empty, scalar body in arith/math.

// CHECK-DAG: #[[ID2:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[BCAST:.+]] = affine_map<(d0, d1, d2) -> (d1, 0)>
// CHECK-DAG: #[[ID3:.+]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[SCALAR:.+]] = affine_map<(d0, d1) -> ()>

// CHECK-LABEL: func.func @sigmoid
// CHECK:         %[[E:.+]] = tensor.empty() : tensor<2x3xf32>
// CHECK:         linalg.generic {indexing_maps = [#[[ID2]], #[[ID2]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME:      ins(%{{.*}} : tensor<2x3xf32>) outs(%[[E]] : tensor<2x3xf32>)
// CHECK:           %[[ONE:.+]] = arith.constant 1.000000e+00 : f32
// CHECK:           %[[NEG:.+]] = arith.negf
// CHECK:           %[[EXP:.+]] = math.exp %[[NEG]]
// CHECK:           %[[DEN:.+]] = arith.addf %[[ONE]], %[[EXP]]
// CHECK:           arith.divf %[[ONE]], %[[DEN]]
// CHECK-NOT:     kiln.
func.func @sigmoid(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %r = kiln.sigmoid %x : tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}

// CHECK-LABEL: func.func @unary_math
// CHECK: math.erf
// CHECK: math.rsqrt
// CHECK: math.tanh
// CHECK: math.absf
// CHECK: arith.maximumf
// CHECK: math.floor
// CHECK: math.ceil
// CHECK: math.sin
// CHECK: math.cos
// CHECK: math.log
// CHECK: math.sqrt
// CHECK: arith.divf
func.func @unary_math(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = kiln.erf %x : tensor<4xf32>
  %1 = kiln.rsqrt %0 : tensor<4xf32>
  %2 = kiln.tanh %1 : tensor<4xf32>
  %3 = kiln.abs %2 : tensor<4xf32>
  %4 = kiln.relu %3 : tensor<4xf32>
  %5 = kiln.floor %4 : tensor<4xf32>
  %6 = kiln.ceil %5 : tensor<4xf32>
  %7 = kiln.sin %6 : tensor<4xf32>
  %8 = kiln.cos %7 : tensor<4xf32>
  %9 = kiln.log %8 : tensor<4xf32>
  %10 = kiln.sqrt %9 : tensor<4xf32>
  %11 = kiln.reciprocal %10 : tensor<4xf32>
  return %11 : tensor<4xf32>
}

// Integer neg is 0 - x; integer relu and max/min are signed; division
// truncates (divsi).
// CHECK-LABEL: func.func @integer_ops
// CHECK: %[[Z:.+]] = arith.constant 0 : i32
// CHECK: arith.subi %[[Z]], %{{.*}} : i32
// CHECK: math.absi
// CHECK: arith.maxsi
// CHECK: arith.divsi
// CHECK: arith.maxsi
// CHECK: arith.minsi
func.func @integer_ops(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi32> {
  %0 = kiln.neg %a : tensor<4xi32>
  %1 = kiln.abs %0 : tensor<4xi32>
  %2 = kiln.relu %1 : tensor<4xi32>
  %3 = kiln.div %2, %b : tensor<4xi32>
  %4 = kiln.max %3, %b : tensor<4xi32>
  %5 = kiln.min %4, %b : tensor<4xi32>
  return %5 : tensor<4xi32>
}

// Float max/min propagate NaN: arith.maximumf/minimumf.
// CHECK-LABEL: func.func @float_binary
// CHECK: arith.addf
// CHECK: arith.subf
// CHECK: arith.mulf
// CHECK: arith.divf
// CHECK: math.powf
// CHECK: arith.maximumf
// CHECK: arith.minimumf
func.func @float_binary(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  %0 = kiln.add %a, %b : tensor<4xf32>
  %1 = kiln.sub %0, %b : tensor<4xf32>
  %2 = kiln.mul %1, %b : tensor<4xf32>
  %3 = kiln.div %2, %b : tensor<4xf32>
  %4 = kiln.pow %3, %b : tensor<4xf32>
  %5 = kiln.max %4, %b : tensor<4xf32>
  %6 = kiln.min %5, %b : tensor<4xf32>
  return %6 : tensor<4xf32>
}

// Float predicates are ordered except `ne` (unordered); integers signed.
// CHECK-LABEL: func.func @compare_select
// CHECK: arith.cmpf une
// CHECK: arith.cmpf olt
// CHECK: arith.cmpf oge
// CHECK: arith.cmpi sgt
// CHECK: arith.select
func.func @compare_select(%a: tensor<4xf32>, %b: tensor<4xf32>,
                          %i: tensor<4xi64>, %j: tensor<4xi64>)
    -> (tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xf32>) {
  %0 = kiln.compare ne, %a, %b : tensor<4xf32>
  %1 = kiln.compare lt, %a, %b : tensor<4xf32>
  %2 = kiln.compare ge, %a, %b : tensor<4xf32>
  %3 = kiln.compare gt, %i, %j : tensor<4xi64>
  %4 = kiln.select %0, %a, %b : tensor<4xi1>, tensor<4xf32>
  return %0, %1, %2, %3, %4 : tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xf32>
}

// CHECK-LABEL: func.func @casts
// CHECK: arith.fptosi %{{.*}} : f32 to i32
// CHECK: arith.sitofp %{{.*}} : i32 to f16
// CHECK: arith.extf %{{.*}} : f16 to f64
// CHECK: arith.truncf %{{.*}} : f64 to f32
// CHECK: arith.extsi %{{.*}} : i32 to i64
// CHECK: arith.trunci %{{.*}} : i64 to i8
// CHECK: arith.cmpi ne, %{{.*}}, %{{.*}} : i8
// CHECK: arith.cmpf une, %{{.*}}, %{{.*}} : f32
// CHECK: arith.extui %{{.*}} : i1 to i32
// CHECK: arith.uitofp %{{.*}} : i1 to f32
func.func @casts(%x: tensor<4xf32>) -> (tensor<4xi1>, tensor<4xi1>, tensor<4xi32>, tensor<4xf32>) {
  %0 = kiln.cast %x : tensor<4xf32> to tensor<4xi32>
  %1 = kiln.cast %0 : tensor<4xi32> to tensor<4xf16>
  %2 = kiln.cast %1 : tensor<4xf16> to tensor<4xf64>
  %3 = kiln.cast %2 : tensor<4xf64> to tensor<4xf32>
  %4 = kiln.cast %0 : tensor<4xi32> to tensor<4xi64>
  %5 = kiln.cast %4 : tensor<4xi64> to tensor<4xi8>
  %6 = kiln.cast %5 : tensor<4xi8> to tensor<4xi1>
  %7 = kiln.cast %3 : tensor<4xf32> to tensor<4xi1>
  %8 = kiln.cast %6 : tensor<4xi1> to tensor<4xi32>
  %9 = kiln.cast %7 : tensor<4xi1> to tensor<4xf32>
  return %6, %7, %8, %9 : tensor<4xi1>, tensor<4xi1>, tensor<4xi32>, tensor<4xf32>
}

// Broadcast: size-1 dims that grow read index 0; missing leading dims are
// not indexed.
// CHECK-LABEL: func.func @broadcast
// CHECK: linalg.generic {indexing_maps = [#[[BCAST]], #[[ID3]]]
// CHECK-SAME: ins(%{{.*}} : tensor<3x1xf32>) outs(%{{.*}} : tensor<2x3x4xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.+]]: f32, %{{.*}}: f32):
// CHECK-NEXT:   linalg.yield %[[IN]] : f32
// CHECK: linalg.generic {indexing_maps = [#[[SCALAR]], #[[ID2]]]
func.func @broadcast(%x: tensor<3x1xf32>, %s: tensor<f32>) -> (tensor<2x3x4xf32>, tensor<2x2xf32>) {
  %0 = kiln.broadcast %x : tensor<3x1xf32> to tensor<2x3x4xf32>
  %1 = kiln.broadcast %s : tensor<f32> to tensor<2x2xf32>
  return %0, %1 : tensor<2x3x4xf32>, tensor<2x2xf32>
}
