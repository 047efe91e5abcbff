// kiln-autodiff diagnostics: an op on the gradient's path without a rule is
// an error naming it (with a note at the request); a rule that cannot
// handle its shapes says why. A successful expansion reports its counts as
// a remark.
// RUN: kiln-opt %s -split-input-file --kiln-autodiff -verify-diagnostics

func.func @no_rule(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'arith.addf' op has no gradient rule, but the requested gradient flows through it}}
  %a = arith.addf %x, %x : tensor<4xf32>
  %e = kiln.exp %a : tensor<4xf32>
  // expected-note @+1 {{gradient requested here}}
  %g = kiln.gradient %e wrt %x : tensor<4xf32> wrt tensor<4xf32>
  return %g : tensor<4xf32>
}

// -----

// An op without a rule off the path is fine.
// expected-remark @+1 {{autodiff: 1 requests, 1 rules applied}}
func.func @no_rule_off_path(%x: tensor<4xf32>, %y: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %a = arith.addf %y, %y : tensor<4xf32>
  %e = kiln.exp %x : tensor<4xf32>
  %g = kiln.gradient %e wrt %x : tensor<4xf32> wrt tensor<4xf32>
  return %g, %a : tensor<4xf32>, tensor<4xf32>
}

// -----

// The pooling gradients have no rules of their own (yet): differentiating
// a max pooling's gradient again is reported, at the location of the
// forward pooling the backward op was built for. (The convolution
// gradients do have rules: they are linear in both operands.)
func.func @second_order_pool(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32> {
  // expected-error @+1 {{'kiln.max_pool2d_backward' op has no gradient rule}}
  %y = kiln.max_pool2d %x {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>}
      : tensor<1x1x4x4xf32> -> tensor<1x1x2x2xf32>
  %gx = kiln.gradient %y wrt %x : tensor<1x1x2x2xf32> wrt tensor<1x1x4x4xf32>
  // expected-note @+1 {{gradient requested here}}
  %gxx = kiln.gradient %gx wrt %x : tensor<1x1x4x4xf32> wrt tensor<1x1x4x4xf32>
  return %gxx : tensor<1x1x4x4xf32>
}

// -----

// The mean's gradient divides by the reduced count, which must be static.
func.func @dynamic_mean(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  // expected-error @+1 {{gradient rule needs static reduced dimensions, got 'tensor<?x4xf32>'}}
  %m = kiln.reduce_mean %x {axes = array<i64: 0>, keep_dims = false} : tensor<?x4xf32> -> tensor<4xf32>
  %g = kiln.gradient %m wrt %x : tensor<4xf32> wrt tensor<?x4xf32>
  return %g : tensor<?x4xf32>
}

// -----

// expected-remark @+1 {{autodiff: 2 requests, 3 rules applied}}
func.func @remark(%x: tensor<2xf32>) -> (tensor<2xf32>, tensor<2xf32>) {
  %s = kiln.sin %x : tensor<2xf32>
  %c = kiln.cos %s : tensor<2xf32>
  %g1 = kiln.gradient %c wrt %x : tensor<2xf32> wrt tensor<2xf32>
  %t = kiln.tanh %x : tensor<2xf32>
  %g2 = kiln.gradient %t wrt %x : tensor<2xf32> wrt tensor<2xf32>
  return %g1, %g2 : tensor<2xf32>, tensor<2xf32>
}
