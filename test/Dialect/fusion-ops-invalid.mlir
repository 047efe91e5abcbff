// The verifier of kiln.fusion_group: inputs match the block's arguments,
// the yield matches the results, nothing from outside is used in the body,
// and a kiln.yield lives only in a group.
// RUN: kiln-opt %s -split-input-file -verify-diagnostics

func.func @arg_count(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{has 1 inputs but its body has 2 arguments}}
  %r = kiln.fusion_group elementwise ins(%a : tensor<4xf32>) -> (tensor<4xf32>) {
  ^bb0(%x: tensor<4xf32>, %y: tensor<4xf32>):
    kiln.yield %x : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @arg_type(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{input #0 has type 'tensor<4xf32>' but body argument #0 has type 'tensor<4xf16>'}}
  %r = "kiln.fusion_group"(%a) <{kind = 0 : i64}> ({
  ^bb0(%x: tensor<4xf16>):
    %c = kiln.constant dense<1.0> : tensor<4xf32>
    kiln.yield %c : tensor<4xf32>
  }) : (tensor<4xf32>) -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

func.func @yield_count(%a: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  // expected-error @+1 {{yields 1 values but has 2 results}}
  %r:2 = kiln.fusion_group elementwise ins(%a : tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  ^bb0(%x: tensor<4xf32>):
    kiln.yield %x : tensor<4xf32>
  }
  return %r#0, %r#1 : tensor<4xf32>, tensor<4xf32>
}

// -----

func.func @yield_type(%a: tensor<4xf32>) -> (tensor<4xi1>) {
  // expected-error @+1 {{yields 'tensor<4xf32>' as value #0 but result #0 has type 'tensor<4xi1>'}}
  %r = kiln.fusion_group elementwise ins(%a : tensor<4xf32>) -> (tensor<4xi1>) {
  ^bb0(%x: tensor<4xf32>):
    kiln.yield %x : tensor<4xf32>
  }
  return %r : tensor<4xi1>
}

// -----

func.func @no_results(%a: tensor<4xf32>) {
  // expected-error @+1 {{has no results: a group that computes nothing needed outside is dead code}}
  kiln.fusion_group elementwise ins(%a : tensor<4xf32>) {
  ^bb0(%x: tensor<4xf32>):
    kiln.yield
  }
  return
}

// -----

// Isolated from above: every value the body reads is an input.
func.func @captures(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  // expected-note @+1 {{required by region isolation constraints}}
  %r = kiln.fusion_group elementwise ins(%a : tensor<4xf32>) -> (tensor<4xf32>) {
  ^bb0(%x: tensor<4xf32>):
    // expected-error @+1 {{using value defined outside the region}}
    %0 = kiln.add %x, %b : tensor<4xf32>
    kiln.yield %0 : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @bad_kind(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{expected string or keyword containing one of the following enum values for attribute 'kind' [elementwise, reduction_epilogue, contraction_epilogue, optimizer]}}
  %r = kiln.fusion_group attention ins(%a : tensor<4xf32>) -> (tensor<4xf32>) {
  ^bb0(%x: tensor<4xf32>):
    kiln.yield %x : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @yield_outside(%a: tensor<4xf32>) {
  // expected-error @+1 {{expects parent op 'kiln.fusion_group'}}
  kiln.yield %a : tensor<4xf32>
}

// -----

// The body must end in a terminator (the core verifier checks that).
func.func @no_terminator(%a: tensor<4xf32>) -> tensor<4xf32> {
  %r = "kiln.fusion_group"(%a) <{kind = 0 : i64}> ({
  ^bb0(%x: tensor<4xf32>):
    // expected-error @+1 {{block with no terminator}}
    %c = kiln.constant dense<1.0> : tensor<4xf32>
  }) : (tensor<4xf32>) -> tensor<4xf32>
  return %r : tensor<4xf32>
}
