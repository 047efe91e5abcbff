// kiln.dropout_mask: round trip, and the backward pass reusing the mask as a
// plain SSA value (verifier errors: training-ops-invalid.mlir).
// RUN: kiln-opt %s | kiln-opt | FileCheck %s
// RUN: kiln-opt %s --kiln-autodiff 2>/dev/null | FileCheck %s --check-prefix=GRAD

// CHECK-LABEL: func.func @mask
// CHECK: kiln.dropout_mask %{{.*}} seed 42 : tensor<f32> -> tensor<3x4xi1>
// CHECK: kiln.dropout_mask %{{.*}} seed -7 offset %{{.*}} : tensor<f16>, tensor<i32> -> tensor<2x2x2xi1>
func.func @mask(%r: tensor<f32>, %h: tensor<f16>, %step: tensor<i32>) -> (tensor<3x4xi1>, tensor<2x2x2xi1>) {
  %a = kiln.dropout_mask %r seed 42 : tensor<f32> -> tensor<3x4xi1>
  %b = kiln.dropout_mask %h seed -7 offset %step : tensor<f16>, tensor<i32> -> tensor<2x2x2xi1>
  return %a, %b : tensor<3x4xi1>, tensor<2x2x2xi1>
}

// The gradient of a dropped-out product selects with the forward's mask.
// GRAD-LABEL: func.func @backward
// GRAD: %[[MASK:.*]] = kiln.dropout_mask %arg2 seed 3 : tensor<f32> -> tensor<4xi1>
// GRAD-NOT: kiln.dropout_mask
// GRAD: kiln.select %[[MASK]], %{{.*}}, %{{.*}} : tensor<4xi1>, tensor<4xf32>
// GRAD-NOT: kiln.dropout_mask
// GRAD: kiln.select %[[MASK]], %{{.*}}, %{{.*}} : tensor<4xi1>, tensor<4xf32>
// GRAD-NOT: kiln.gradient
func.func @backward(%x: tensor<4xf32>, %w: tensor<4xf32>, %r: tensor<f32>) -> (tensor<f32>, tensor<4xf32>) {
  %h = kiln.mul %x, %w : tensor<4xf32>
  %m = kiln.dropout_mask %r seed 3 : tensor<f32> -> tensor<4xi1>
  %z = kiln.constant dense<0.0> : tensor<4xf32>
  %y = kiln.select %m, %h, %z : tensor<4xi1>, tensor<4xf32>
  %l = kiln.reduce_sum %y {axes = array<i64: 0>, keep_dims = false} : tensor<4xf32> -> tensor<f32>
  %g = kiln.gradient %l wrt %w : tensor<f32> wrt tensor<4xf32>
  return %l, %g : tensor<f32>, tensor<4xf32>
}

// kiln.magnitude_threshold: one input or several.
// CHECK-LABEL: func.func @threshold
// CHECK: kiln.magnitude_threshold %{{.*}} of %{{.*}} : tensor<i64> of tensor<4x4xf32> -> tensor<f32>
// CHECK: kiln.magnitude_threshold %{{.*}} of %{{.*}}, %{{.*}} : tensor<i64> of tensor<4x4xf32>, tensor<8xf32> -> tensor<f32>
func.func @threshold(%k: tensor<i64>, %w: tensor<4x4xf32>, %v: tensor<8xf32>) -> (tensor<f32>, tensor<f32>) {
  %a = kiln.magnitude_threshold %k of %w : tensor<i64> of tensor<4x4xf32> -> tensor<f32>
  %b = kiln.magnitude_threshold %k of %w, %v : tensor<i64> of tensor<4x4xf32>, tensor<8xf32> -> tensor<f32>
  return %a, %b : tensor<f32>, tensor<f32>
}
