// What does not get a gradient: integer and boolean values, values behind
// kiln.stop_gradient, constants, and wrt values the result does not depend
// on (a splat zero). Backward ops whose result nobody needs are not kept.
// RUN: kiln-opt %s --kiln-autodiff 2>/dev/null | FileCheck %s

// x * stop_gradient(x): only the first factor is differentiated.
// CHECK-LABEL: func.func @stop_gradient
// CHECK-SAME:    (%[[X:.+]]: tensor<3xf32>)
// CHECK:         %[[S:.+]] = kiln.stop_gradient %[[X]]
// CHECK:         %[[SEED:.+]] = kiln.constant dense<1.000000e+00> : tensor<3xf32>
// CHECK-NEXT:    %[[G:.+]] = kiln.mul %[[SEED]], %[[S]]
// CHECK-NEXT:    return %[[G]]
func.func @stop_gradient(%x: tensor<3xf32>) -> tensor<3xf32> {
  %s = kiln.stop_gradient %x : tensor<3xf32>
  %y = kiln.mul %x, %s : tensor<3xf32>
  %g = kiln.gradient %y wrt %x : tensor<3xf32> wrt tensor<3xf32>
  return %g : tensor<3xf32>
}

// An integer input scaled into the result: nothing is emitted for the
// integer path (no cast back, no gradient of the cast).
// CHECK-LABEL: func.func @integer_input
// CHECK-SAME:    (%[[X:.+]]: tensor<4xf32>, %[[N:.+]]: tensor<4xi32>)
// CHECK:         %[[C:.+]] = kiln.cast %[[N]] : tensor<4xi32> to tensor<4xf32>
// CHECK:         %[[SEED:.+]] = kiln.constant dense<1.000000e+00> : tensor<4xf32>
// CHECK-NEXT:    %[[G:.+]] = kiln.mul %[[SEED]], %[[C]]
// CHECK-NEXT:    return %[[G]]
func.func @integer_input(%x: tensor<4xf32>, %n: tensor<4xi32>) -> tensor<4xf32> {
  %c = kiln.cast %n : tensor<4xi32> to tensor<4xf32>
  %y = kiln.mul %x, %c : tensor<4xf32>
  %g = kiln.gradient %y wrt %x : tensor<4xf32> wrt tensor<4xf32>
  return %g : tensor<4xf32>
}

// Rounding through an integer cuts the flow: x gets a zero gradient.
// CHECK-LABEL: func.func @through_integers
// CHECK:         %[[Z:.+]] = kiln.constant dense<0.000000e+00> : tensor<4xf32>
// CHECK-NEXT:    return %[[Z]]
func.func @through_integers(%x: tensor<4xf32>) -> tensor<4xf32> {
  %i = kiln.cast %x : tensor<4xf32> to tensor<4xi32>
  %f = kiln.cast %i : tensor<4xi32> to tensor<4xf32>
  %g = kiln.gradient %f wrt %x : tensor<4xf32> wrt tensor<4xf32>
  return %g : tensor<4xf32>
}

// A constant operand: its gradient (seed * x) is not built.
// CHECK-LABEL: func.func @constant_operand
// CHECK-SAME:    (%[[X:.+]]: tensor<2xf32>)
// CHECK:         %[[W:.+]] = kiln.constant dense<[2.000000e+00, 3.000000e+00]>
// CHECK:         %[[SEED:.+]] = kiln.constant dense<1.000000e+00> : tensor<2xf32>
// CHECK-NEXT:    %[[G:.+]] = kiln.mul %[[SEED]], %[[W]]
// CHECK-NEXT:    return %[[G]]
func.func @constant_operand(%x: tensor<2xf32>) -> tensor<2xf32> {
  %w = kiln.constant dense<[2.0, 3.0]> : tensor<2xf32>
  %y = kiln.mul %x, %w : tensor<2xf32>
  %g = kiln.gradient %y wrt %x : tensor<2xf32> wrt tensor<2xf32>
  return %g : tensor<2xf32>
}

// z does not influence y: a zero gradient; the dynamic one is a broadcast.
// CHECK-LABEL: func.func @unreached
// CHECK-DAG:     %[[Z:.+]] = kiln.constant dense<0.000000e+00> : tensor<3xf32>
// CHECK-DAG:     %[[Z0:.+]] = kiln.constant dense<0.000000e+00> : tensor<f32>
// CHECK-DAG:     %[[ZD:.+]] = kiln.broadcast %[[Z0]] : tensor<f32> to tensor<?xf32>
// CHECK:         return %{{.*}}, %[[Z]], %[[ZD]]
func.func @unreached(%x: tensor<3xf32>, %z: tensor<3xf32>, %d: tensor<?xf32>) -> (tensor<3xf32>, tensor<3xf32>, tensor<?xf32>) {
  %y = kiln.exp %x : tensor<3xf32>
  %g:3 = kiln.gradient %y wrt %x, %z, %d : tensor<3xf32> wrt tensor<3xf32>, tensor<3xf32>, tensor<?xf32>
  return %g#0, %g#1, %g#2 : tensor<3xf32>, tensor<3xf32>, tensor<?xf32>
}

// floor has no gradient: x gets zeros, and exp's rule is never called.
// CHECK-LABEL: func.func @floor
// CHECK:         kiln.floor
// CHECK-NEXT:    %[[Z:.+]] = kiln.constant dense<0.000000e+00> : tensor<2xf32>
// CHECK-NEXT:    return %[[Z]]
func.func @floor(%x: tensor<2xf32>) -> tensor<2xf32> {
  %e = kiln.exp %x : tensor<2xf32>
  %f = kiln.floor %e : tensor<2xf32>
  %g = kiln.gradient %f wrt %x : tensor<2xf32> wrt tensor<2xf32>
  return %g : tensor<2xf32>
}

// A wrt value that is itself computed: its gradient is what flows into it
// (here 2h), and the gradient of x is the total one.
// CHECK-LABEL: func.func @intermediate
// CHECK-SAME:    (%[[X:.+]]: tensor<2xf32>)
// CHECK:         %[[H:.+]] = kiln.tanh %[[X]]
// CHECK:         %[[SEED:.+]] = kiln.constant dense<1.000000e+00>
// CHECK:         %[[A:.+]] = kiln.mul %[[SEED]], %[[H]]
// CHECK:         %[[B:.+]] = kiln.mul %[[SEED]], %[[H]]
// CHECK:         %[[DH:.+]] = kiln.add %[[A]], %[[B]]
// CHECK:         kiln.sub
// CHECK:         %[[DX:.+]] = kiln.mul %[[DH]], %{{.*}}
// CHECK:         return %[[DH]], %[[DX]]
func.func @intermediate(%x: tensor<2xf32>) -> (tensor<2xf32>, tensor<2xf32>) {
  %h = kiln.tanh %x : tensor<2xf32>
  %y = kiln.mul %h, %h : tensor<2xf32>
  %g:2 = kiln.gradient %y wrt %h, %x : tensor<2xf32> wrt tensor<2xf32>, tensor<2xf32>
  return %g#0, %g#1 : tensor<2xf32>, tensor<2xf32>
}

// Without a request the pass changes nothing and says nothing.
// CHECK-LABEL: func.func @no_request
// CHECK-NEXT:    kiln.exp
// CHECK-NEXT:    return
func.func @no_request(%x: tensor<2xf32>) -> tensor<2xf32> {
  %e = kiln.exp %x : tensor<2xf32>
  return %e : tensor<2xf32>
}
