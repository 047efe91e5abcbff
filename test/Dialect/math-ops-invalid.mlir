// Operand types of the KilnMathOps.td primitives are verified.
// RUN: kiln-opt %s -split-input-file -verify-diagnostics

func.func @bitwise_on_floats(%a: tensor<4xf32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of signless integer or unsigned integer values}}
  %0 = "kiln.and"(%a, %a) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @shift_mixed_signedness(%a: tensor<4xui8>, %b: tensor<4xi8>) {
  // expected-error @+1 {{requires the same type for all operands and results}}
  %0 = "kiln.shift_left"(%a, %b) : (tensor<4xui8>, tensor<4xi8>) -> tensor<4xui8>
  return
}

// -----

func.func @round_on_integers(%a: tensor<4xi32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of floating-point values}}
  %0 = "kiln.round"(%a) : (tensor<4xi32>) -> tensor<4xi32>
  return
}

// -----

func.func @atan_on_unsigned(%a: tensor<4xui32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of floating-point values}}
  %0 = "kiln.atan"(%a) : (tensor<4xui32>) -> tensor<4xui32>
  return
}

// -----

func.func @rem_shapes_differ(%a: tensor<4xf32>, %b: tensor<2xf32>) {
  // expected-error @+1 {{all non-scalar operands/results must have the same shape and base type}}
  %0 = "kiln.rem"(%a, %b) : (tensor<4xf32>, tensor<2xf32>) -> tensor<4xf32>
  return
}

// -----

// Signed (si<N>) integers are not kiln element types: ONNX's signed
// integers are signless.
func.func @signed_integers(%a: tensor<4xsi8>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of floating-point or signless integer or unsigned integer values}}
  %0 = "kiln.neg"(%a) : (tensor<4xsi8>) -> tensor<4xsi8>
  return
}
