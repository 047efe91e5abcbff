// RUN: kiln-opt %s --convert-kiln-to-linalg --split-input-file --verify-diagnostics

// Shapes must be static: the importer specializes them first.
func.func @dynamic(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  // expected-error @+1 {{'kiln.exp' op cannot be lowered to linalg: operand #0 type 'tensor<?x4xf32>' has a dynamic dimension (static shapes only)}}
  %r = kiln.exp %x : tensor<?x4xf32>
  return %r : tensor<?x4xf32>
}

// -----

func.func @dynamic_result(%a: tensor<?x3xf32>, %b: tensor<3x2xf32>) -> tensor<?x2xf32> {
  // expected-error @+1 {{'kiln.matmul' op cannot be lowered to linalg}}
  %r = kiln.matmul %a, %b : tensor<?x3xf32>, tensor<3x2xf32> -> tensor<?x2xf32>
  return %r : tensor<?x2xf32>
}
