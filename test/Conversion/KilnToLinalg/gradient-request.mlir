// A kiln.gradient request is expanded by --kiln-autodiff; reaching the
// lowering unexpanded is a clear error, not a legalization failure.
// RUN: kiln-opt %s --convert-kiln-to-linalg -verify-diagnostics

func.func @unexpanded(%x: tensor<4xf32>) -> tensor<4xf32> {
  %e = kiln.exp %x : tensor<4xf32>
  // expected-error @+1 {{'kiln.gradient' op is a gradient request and cannot be lowered: run --kiln-autodiff first}}
  %g = kiln.gradient %e wrt %x : tensor<4xf32> wrt tensor<4xf32>
  return %g : tensor<4xf32>
}
