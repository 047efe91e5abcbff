// Verifier errors of the gradient ops and backward primitives: each is a
// diagnostic at the op, never an assert.
// RUN: kiln-opt %s -split-input-file -verify-diagnostics

func.func @gradient_of_integer(%x: tensor<4xi32>, %w: tensor<4xf32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of floating-point values}}
  %g = "kiln.gradient"(%x, %w) : (tensor<4xi32>, tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @stop_gradient_type(%x: tensor<4xf32>) {
  // expected-error @+1 {{requires the same type for all operands and results}}
  %s = "kiln.stop_gradient"(%x) : (tensor<4xf32>) -> tensor<4xf16>
  return
}

// -----

func.func @slice_backward_does_not_fit(%g: tensor<3xf32>) {
  // expected-error @+1 {{dimension 0: 3 elements at offset 1 with stride 3 do not fit in extent 7}}
  %0 = kiln.slice_backward %g {offsets = array<i64: 1>, strides = array<i64: 3>} : tensor<3xf32> -> tensor<7xf32>
  return
}

// -----

func.func @slice_backward_rank(%g: tensor<3xf32>) {
  // expected-error @+1 {{input rank 1 differs from result rank 2}}
  %0 = kiln.slice_backward %g {offsets = array<i64: 0>, strides = array<i64: 1>} : tensor<3xf32> -> tensor<3x1xf32>
  return
}

// -----

func.func @slice_backward_strides(%g: tensor<3xf32>) {
  // expected-error @+1 {{dimension 0: offsets must be >= 0 and strides >= 1}}
  %0 = kiln.slice_backward %g {offsets = array<i64: 0>, strides = array<i64: 0>} : tensor<3xf32> -> tensor<7xf32>
  return
}

// -----

func.func @scatter_add_shape(%d: tensor<10x4xf32>, %i: tensor<3xi64>, %u: tensor<3x5xf32>) {
  // expected-error @+2 {{updates have type 'tensor<3x5xf32>', expected the shape of a gather of 'tensor<10x4xf32>' by 'tensor<3xi64>' along axis 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.scatter_add %d, %i, %u {axis = 0 : i64} : (tensor<10x4xf32>, tensor<3xi64>, tensor<3x5xf32>) -> tensor<10x4xf32>
  return
}

// -----

func.func @scatter_add_axis(%d: tensor<10x4xf32>, %i: tensor<3xi64>, %u: tensor<3x4xf32>) {
  // expected-error @+2 {{axis 2 out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.scatter_add %d, %i, %u {axis = 2 : i64} : (tensor<10x4xf32>, tensor<3xi64>, tensor<3x4xf32>) -> tensor<10x4xf32>
  return
}

// -----

func.func @scatter_add_float_indices(%d: tensor<10x4xf32>, %i: tensor<3xf32>, %u: tensor<3x4xf32>) {
  // expected-error @+1 {{operand #1 must be ranked tensor of signless integer values}}
  %0 = "kiln.scatter_add"(%d, %i, %u) {axis = 0 : i64} : (tensor<10x4xf32>, tensor<3xf32>, tensor<3x4xf32>) -> tensor<10x4xf32>
  return
}

// -----

// With stride 2, input heights 7 and 8 both give 3 output rows; 9 does not.
func.func @conv_backward_input_shape(%dy: tensor<1x2x3x3xf32>, %f: tensor<2x1x3x3xf32>) {
  // expected-error @+1 {{the forward window maps 'tensor<1x1x9x7xf32>' to spatial size 4 along H, but the gradient has 3}}
  %0 = kiln.conv2d_backward_input %dy, %f {strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64}
      : tensor<1x2x3x3xf32>, tensor<2x1x3x3xf32> -> tensor<1x1x9x7xf32>
  return
}

// -----

func.func @conv_backward_input_channels(%dy: tensor<1x2x3x3xf32>, %f: tensor<2x1x3x3xf32>) {
  // expected-error @+1 {{filter has 1 input channels, expected 2}}
  %0 = kiln.conv2d_backward_input %dy, %f {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64}
      : tensor<1x2x3x3xf32>, tensor<2x1x3x3xf32> -> tensor<1x2x5x5xf32>
  return
}

// -----

func.func @conv_backward_filter_groups(%x: tensor<1x3x5x5xf32>, %dy: tensor<1x4x3x3xf32>) {
  // expected-error @+1 {{input channels 3 not divisible by groups 2}}
  %0 = kiln.conv2d_backward_filter %x, %dy {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 2 : i64}
      : tensor<1x3x5x5xf32>, tensor<1x4x3x3xf32> -> tensor<4x1x3x3xf32>
  return
}

// -----

func.func @conv_backward_filter_count(%x: tensor<1x2x5x5xf32>, %dy: tensor<1x4x3x3xf32>) {
  // expected-error @+1 {{gradient has 4 channels, expected 3 (the filter count)}}
  %0 = kiln.conv2d_backward_filter %x, %dy {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64}
      : tensor<1x2x5x5xf32>, tensor<1x4x3x3xf32> -> tensor<3x2x3x3xf32>
  return
}

// -----

func.func @conv_backward_attrs(%x: tensor<1x2x5x5xf32>, %dy: tensor<1x4x3x3xf32>) {
  // expected-error @+1 {{strides and dilations must be >= 1}}
  %0 = kiln.conv2d_backward_filter %x, %dy {strides = array<i64: 0, 1>, padding = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64}
      : tensor<1x2x5x5xf32>, tensor<1x4x3x3xf32> -> tensor<4x2x3x3xf32>
  return
}

// -----

func.func @max_pool_backward_shape(%x: tensor<1x2x6x6xf32>, %dy: tensor<1x2x2x2xf32>) {
  // expected-error @+1 {{the forward window maps 'tensor<1x2x6x6xf32>' to spatial size 3 along H, but the gradient has 2}}
  %0 = kiln.max_pool2d_backward %x, %dy {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>}
      : tensor<1x2x6x6xf32>, tensor<1x2x2x2xf32>
  return
}

// -----

func.func @max_pool_backward_channels(%x: tensor<1x2x6x6xf32>, %dy: tensor<1x3x3x3xf32>) {
  // expected-error @+1 {{batch and channel sizes differ}}
  %0 = kiln.max_pool2d_backward %x, %dy {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>}
      : tensor<1x2x6x6xf32>, tensor<1x3x3x3xf32>
  return
}

// -----

func.func @avg_pool_backward_padding(%dy: tensor<1x2x3x3xf32>) {
  // expected-error @+1 {{padding must be smaller than the kernel}}
  %0 = kiln.avg_pool2d_backward %dy {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 2, 0, 0, 0>, dilations = array<i64: 1, 1>, count_include_pad = false}
      : tensor<1x2x3x3xf32> -> tensor<1x2x6x6xf32>
  return
}

// -----

func.func @avg_pool_backward_rank(%dy: tensor<2x3x3xf32>) {
  // expected-error @+1 {{expects rank-4 NCHW/FCHW tensors, got 'tensor<2x6x6xf32>'}}
  %0 = kiln.avg_pool2d_backward %dy {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, count_include_pad = false}
      : tensor<2x3x3xf32> -> tensor<2x6x6xf32>
  return
}
