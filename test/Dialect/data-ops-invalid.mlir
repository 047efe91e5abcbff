// Verifier and shape-inference errors of the ops of KilnDataOps.td are
// diagnostics at the op.
// RUN: kiln-opt %s -split-input-file -verify-diagnostics

func.func @argmax_axis_out_of_range(%x: tensor<4x10xf32>) {
  // expected-error @+2 {{axis 2 out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.argmax %x {axis = 2 : i64, keep_dims = false, select_last = false} : tensor<4x10xf32> -> tensor<4xi64>
  return
}

// -----

func.func @argmin_negative_axis(%x: tensor<4x10xf32>) {
  // expected-error @+2 {{axis -1 out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.argmin %x {axis = -1 : i64, keep_dims = false, select_last = false} : tensor<4x10xf32> -> tensor<4xi64>
  return
}

// -----

func.func @argmax_wrong_result_shape(%x: tensor<4x10xf32>) {
  // expected-error @+2 {{inferred type(s) 'tensor<4x1xi64>' are incompatible with return type(s) of operation 'tensor<4xi64>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.argmax %x {axis = 1 : i64, keep_dims = true, select_last = false} : tensor<4x10xf32> -> tensor<4xi64>
  return
}

// -----

func.func @argmax_result_not_i64(%x: tensor<4x10xf32>) {
  // expected-error @+1 {{result #0 must be tensor of 64-bit signless integer values}}
  %0 = kiln.argmax %x {axis = 1 : i64, keep_dims = false, select_last = false} : tensor<4x10xf32> -> tensor<4xi32>
  return
}

// -----

func.func @argmax_on_complex(%x: tensor<4xcomplex<f32>>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of floating-point}}
  %0 = "kiln.argmax"(%x) {axis = 0 : i64, keep_dims = false, select_last = false} : (tensor<4xcomplex<f32>>) -> tensor<i64>
  return
}
