// kiln-autodiff on elementwise graphs: the rules' backward ops are inserted
// before the request, fan-out is summed with kiln.add, and the request is
// replaced by the gradients.
// RUN: kiln-opt %s --kiln-autodiff 2>/dev/null | FileCheck %s

// f = sum(tanh(x * w) * x): x is used twice (fan-out).
// CHECK-LABEL: func.func @fan_out
// CHECK-SAME:    (%[[X:.+]]: tensor<4xf32>, %[[W:.+]]: tensor<4xf32>)
// CHECK:         %[[XW:.+]] = kiln.mul %[[X]], %[[W]]
// CHECK:         %[[T:.+]] = kiln.tanh %[[XW]]
// CHECK:         %[[Z:.+]] = kiln.mul %[[T]], %[[X]]
// CHECK:         kiln.reduce_sum %[[Z]]
// The seed: ones like f, broadcast back over the summed axis.
// CHECK:         %[[ONE:.+]] = kiln.constant dense<1.000000e+00> : tensor<f32>
// CHECK:         %[[ONE1:.+]] = kiln.reshape %[[ONE]] : tensor<f32> to tensor<1xf32>
// CHECK:         %[[DZ:.+]] = kiln.broadcast %[[ONE1]] : tensor<1xf32> to tensor<4xf32>
// mul: dT = dZ * x, dx (first use) = dZ * T.
// CHECK:         %[[DT:.+]] = kiln.mul %[[DZ]], %[[X]]
// CHECK:         %[[DX1:.+]] = kiln.mul %[[DZ]], %[[T]]
// tanh: dXW = dT * (1 - T^2).
// CHECK:         %[[C1:.+]] = kiln.constant dense<1.000000e+00> : tensor<4xf32>
// CHECK:         %[[T2:.+]] = kiln.mul %[[T]], %[[T]]
// CHECK:         %[[D:.+]] = kiln.sub %[[C1]], %[[T2]]
// CHECK:         %[[DXW:.+]] = kiln.mul %[[DT]], %[[D]]
// CHECK:         %[[DX2:.+]] = kiln.mul %[[DXW]], %[[W]]
// CHECK:         %[[DW:.+]] = kiln.mul %[[DXW]], %[[X]]
// The two uses of x add up.
// CHECK:         %[[DX:.+]] = kiln.add %[[DX1]], %[[DX2]]
// CHECK-NOT:     kiln.gradient
// CHECK:         return %[[DX]], %[[DW]]
func.func @fan_out(%x: tensor<4xf32>, %w: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %xw = kiln.mul %x, %w : tensor<4xf32>
  %t = kiln.tanh %xw : tensor<4xf32>
  %z = kiln.mul %t, %x : tensor<4xf32>
  %f = kiln.reduce_sum %z {axes = array<i64: 0>, keep_dims = false} : tensor<4xf32> -> tensor<f32>
  %dx, %dw = kiln.gradient %f wrt %x, %w : tensor<f32> wrt tensor<4xf32>, tensor<4xf32>
  return %dx, %dw : tensor<4xf32>, tensor<4xf32>
}

// relu: the gradient passes where x > 0 (0 at x = 0).
// CHECK-LABEL: func.func @relu
// CHECK-SAME:    (%[[X:.+]]: tensor<3xf32>)
// CHECK:         %[[SEED:.+]] = kiln.constant dense<1.000000e+00> : tensor<3xf32>
// CHECK:         %[[ZERO:.+]] = kiln.constant dense<0.000000e+00> : tensor<3xf32>
// CHECK:         %[[POS:.+]] = kiln.compare gt, %[[X]], %[[ZERO]] : tensor<3xf32>
// CHECK:         %[[G:.+]] = kiln.select %[[POS]], %[[SEED]], %[[ZERO]] : tensor<3xi1>, tensor<3xf32>
// CHECK:         return %[[G]]
func.func @relu(%x: tensor<3xf32>) -> tensor<3xf32> {
  %r = kiln.relu %x : tensor<3xf32>
  %g = kiln.gradient %r wrt %x : tensor<3xf32> wrt tensor<3xf32>
  return %g : tensor<3xf32>
}

// The gradient of a value with respect to itself is the seed.
// CHECK-LABEL: func.func @identity
// CHECK-NEXT:    %[[SEED:.+]] = kiln.constant dense<1.000000e+00> : tensor<2xf32>
// CHECK-NEXT:    return %[[SEED]]
func.func @identity(%x: tensor<2xf32>) -> tensor<2xf32> {
  %g = kiln.gradient %x wrt %x : tensor<2xf32> wrt tensor<2xf32>
  return %g : tensor<2xf32>
}

// Several requests in one function are expanded independently.
// CHECK-LABEL: func.func @two_requests
// CHECK-NOT:     kiln.gradient
// CHECK:         kiln.exp
// CHECK:         kiln.log
// CHECK:         kiln.div
// CHECK:         return
func.func @two_requests(%x: tensor<2xf32>) -> (tensor<2xf32>, tensor<2xf32>) {
  %e = kiln.exp %x : tensor<2xf32>
  %ge = kiln.gradient %e wrt %x : tensor<2xf32> wrt tensor<2xf32>
  %l = kiln.log %x : tensor<2xf32>
  %gl = kiln.gradient %l wrt %x : tensor<2xf32> wrt tensor<2xf32>
  return %ge, %gl : tensor<2xf32>, tensor<2xf32>
}
