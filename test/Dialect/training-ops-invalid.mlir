// Verifier errors of kiln.dropout_mask are diagnostics at the op.
// RUN: kiln-opt %s -split-input-file -verify-diagnostics


func.func @ratio_not_scalar(%r: tensor<1xf32>) -> tensor<4xi1> {
  // expected-error @+1 {{ratio must be a rank-0 tensor}}
  %m = kiln.dropout_mask %r seed 0 : tensor<1xf32> -> tensor<4xi1>
  return %m : tensor<4xi1>
}

// -----

func.func @offset_not_scalar(%r: tensor<f32>, %o: tensor<2xi64>) -> tensor<4xi1> {
  // expected-error @+1 {{offset must be a rank-0 tensor}}
  %m = kiln.dropout_mask %r seed 0 offset %o : tensor<f32>, tensor<2xi64> -> tensor<4xi1>
  return %m : tensor<4xi1>
}

// -----

func.func @result_not_bool(%r: tensor<f32>) -> tensor<4xf32> {
  // expected-error @+1 {{result #0 must be ranked tensor of 1-bit signless integer values}}
  %m = kiln.dropout_mask %r seed 0 : tensor<f32> -> tensor<4xf32>
  return %m : tensor<4xf32>
}

// -----

func.func @threshold_count_not_scalar(%k: tensor<1xi64>, %w: tensor<4xf32>) -> tensor<f32> {
  // expected-error @+1 {{count must be a rank-0 tensor}}
  %t = kiln.magnitude_threshold %k of %w : tensor<1xi64> of tensor<4xf32> -> tensor<f32>
  return %t : tensor<f32>
}

// -----

func.func @threshold_result_not_scalar(%k: tensor<i64>, %w: tensor<4xf32>) -> tensor<1xf32> {
  // expected-error @+1 {{result must be a rank-0 tensor}}
  %t = kiln.magnitude_threshold %k of %w : tensor<i64> of tensor<4xf32> -> tensor<1xf32>
  return %t : tensor<1xf32>
}
