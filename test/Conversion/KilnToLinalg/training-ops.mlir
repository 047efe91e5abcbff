// kiln.dropout_mask lowers to one all-parallel linalg.generic: the row-major
// index of each element, hashed (splitmix64) with the mask's key, keeps its
// top 24 bits as a uniform number u, and the result is u >= ratio.
// RUN: kiln-opt %s --convert-kiln-to-linalg | FileCheck %s

// Without an offset the key is a literal.
// CHECK-LABEL: func.func @mask
// CHECK: %[[R:.*]] = tensor.extract %arg0[] : tensor<f32>
// CHECK: %[[E:.*]] = tensor.empty() : tensor<3x4xi1>
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]{{.*}} outs(%[[E]] : tensor<3x4xi1>)
// CHECK: linalg.index 0
// CHECK: linalg.index 1
// CHECK: arith.index_cast %{{.*}} : index to i64
// CHECK: arith.shrui
// CHECK: arith.muli
// CHECK: arith.uitofp %{{.*}} : i64 to f32
// CHECK: arith.mulf %{{.*}}, %{{.*}} : f32
// CHECK: %[[KEEP:.*]] = arith.cmpf oge, %{{.*}}, %[[R]] : f32
// CHECK: linalg.yield %[[KEEP]] : i1
func.func @mask(%r: tensor<f32>) -> tensor<3x4xi1> {
  %m = kiln.dropout_mask %r seed 42 : tensor<f32> -> tensor<3x4xi1>
  return %m : tensor<3x4xi1>
}

// A step offset is read once and mixed into the key; f16 ratios compare in
// f32.
// CHECK-LABEL: func.func @mask_offset
// CHECK: %[[S:.*]] = tensor.extract %arg1[] : tensor<i32>
// CHECK: arith.extsi %[[S]] : i32 to i64
// CHECK: %[[R:.*]] = tensor.extract %arg0[] : tensor<f16>
// CHECK: %[[RF:.*]] = arith.extf %[[R]] : f16 to f32
// CHECK: linalg.generic
// CHECK: arith.cmpf oge, %{{.*}}, %[[RF]] : f32
func.func @mask_offset(%r: tensor<f16>, %step: tensor<i32>) -> tensor<8xi1> {
  %m = kiln.dropout_mask %r seed 1 offset %step : tensor<f16>, tensor<i32> -> tensor<8xi1>
  return %m : tensor<8xi1>
}

// kiln.magnitude_threshold: a count of 0 or less skips the search (-1);
// otherwise 31 rounds of bisection on the bit pattern of |x| (the count
// clamped to the 12 elements), each round one counting reduction per
// input, comparing bits & 0x7fffffff with the midpoint.
// CHECK-LABEL: func.func @threshold
// CHECK: %[[K:.*]] = arith.minsi %{{.*}}, %c12_i64 : i64
// CHECK: %[[NONE:.*]] = arith.cmpi sle, %[[K]], %c0_i64 : i64
// CHECK: %[[R:.*]] = scf.if %[[NONE]] -> (f32) {
// CHECK:   scf.yield %cst : f32
// CHECK: } else {
// CHECK:   %[[LOOP:.*]]:2 = scf.for %{{.*}} = %c0 to %c31 step %c1 iter_args(%[[LO:.*]] = %c0_i32, %[[HI:.*]] = %c2139095040_i32) -> (i32, i32) {
// CHECK:     %[[MID:.*]] = arith.addi %[[LO]], %{{.*}} : i32
// CHECK:     linalg.generic {{.*}}iterator_types = ["reduction", "reduction"]{{.*}} ins(%arg1 : tensor<2x4xf32>)
// CHECK:       arith.bitcast %{{.*}} : f32 to i32
// CHECK:       arith.andi %{{.*}}, %c2147483647_i32 : i32
// CHECK:       arith.cmpi sle, %{{.*}}, %[[MID]] : i32
// CHECK:     linalg.generic {{.*}}iterator_types = ["reduction"]{{.*}} ins(%arg2 : tensor<4xf32>)
// CHECK:     arith.cmpi sge, %{{.*}}, %[[K]] : i64
// CHECK:     scf.yield
// CHECK:   arith.bitcast %[[LOOP]]#1 : i32 to f32
// CHECK: tensor.from_elements %[[R]] : tensor<f32>
func.func @threshold(%k: tensor<i64>, %a: tensor<2x4xf32>, %b: tensor<4xf32>) -> tensor<f32> {
  %t = kiln.magnitude_threshold %k of %a, %b : tensor<i64> of tensor<2x4xf32>, tensor<4xf32> -> tensor<f32>
  return %t : tensor<f32>
}
