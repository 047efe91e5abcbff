// Every verifier and shape-inference error of the kiln dialect is a
// diagnostic at the op (never an assert). A shape-inference failure names
// the problem first, then MLIR adds its generic "failed to infer returned
// types" on the same op.
// RUN: kiln-opt %s -split-input-file -verify-diagnostics

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

func.func @binary_types_differ(%a: tensor<4xf32>, %b: tensor<4xf16>) {
  // expected-error @+1 {{requires the same type for all operands and results}}
  %0 = "kiln.add"(%a, %b) : (tensor<4xf32>, tensor<4xf16>) -> tensor<4xf32>
  return
}

// -----

// Broadcasting is explicit: elementwise operands of different shapes are
// rejected.
func.func @binary_needs_explicit_broadcast(%a: tensor<4x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{all non-scalar operands/results must have the same shape and base type}}
  %0 = "kiln.mul"(%a, %b) : (tensor<4x3xf32>, tensor<3xf32>) -> tensor<4x3xf32>
  return
}

// -----

func.func @float_only_op_on_integers(%a: tensor<4xi32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of floating-point values}}
  %0 = kiln.exp %a : tensor<4xi32>
  return
}

// -----

// ONNX's signed integers are signless in kiln (unsigned ones are ui<N>).
func.func @numeric_op_on_signed(%a: tensor<4xsi8>) {
  // expected-error @+1 {{must be ranked tensor of floating-point or signless integer or unsigned integer values}}
  %0 = kiln.neg %a : tensor<4xsi8>
  return
}

// -----

func.func @pow_on_integers(%a: tensor<4xi64>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of floating-point values}}
  %0 = kiln.pow %a, %a : tensor<4xi64>
  return
}

// -----

//===----------------------------------------------------------------------===//
// Compare, select, cast
//===----------------------------------------------------------------------===//

func.func @compare_operand_types(%a: tensor<4xf32>, %b: tensor<4xi32>) {
  // expected-error @+1 {{requires all operands to have the same type}}
  %0 = "kiln.compare"(%a, %b) {predicate = 4 : i64} : (tensor<4xf32>, tensor<4xi32>) -> tensor<4xi1>
  return
}

// -----

func.func @compare_result_not_bool(%a: tensor<4xf32>) {
  // expected-error @+1 {{result #0 must be ranked tensor of 1-bit signless integer values}}
  %0 = "kiln.compare"(%a, %a) {predicate = 4 : i64} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @compare_result_shape(%a: tensor<4xf32>) {
  // expected-error @+1 {{all non-scalar operands/results must have the same shape and base type}}
  %0 = "kiln.compare"(%a, %a) {predicate = 0 : i64} : (tensor<4xf32>, tensor<4xf32>) -> tensor<3xi1>
  return
}

// -----

func.func @compare_bad_predicate(%a: tensor<4xf32>) {
  // expected-error @+1 {{expected string or keyword containing one of the following enum values for attribute 'predicate' [eq, ne, lt, le, gt, ge]}}
  %0 = kiln.compare gte, %a, %a : tensor<4xf32>
  return
}

// -----

func.func @select_condition_not_bool(%c: tensor<4xi32>, %a: tensor<4xf32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 1-bit signless integer values}}
  %0 = kiln.select %c, %a, %a : tensor<4xi32>, tensor<4xf32>
  return
}

// -----

func.func @select_condition_shape(%c: tensor<3xi1>, %a: tensor<4xf32>) {
  // expected-error @+1 {{failed to verify that all of {condition, result} have same shape}}
  %0 = kiln.select %c, %a, %a : tensor<3xi1>, tensor<4xf32>
  return
}

// -----

func.func @select_branch_types(%c: tensor<4xi1>, %a: tensor<4xf32>, %b: tensor<4xf16>) {
  // expected-error @+1 {{failed to verify that all of {true_value, false_value, result} have same type}}
  %0 = "kiln.select"(%c, %a, %b) : (tensor<4xi1>, tensor<4xf32>, tensor<4xf16>) -> tensor<4xf32>
  return
}

// -----

func.func @cast_shape(%a: tensor<4xf32>) {
  // expected-error @+1 {{failed to verify that all of {input, result} have same shape}}
  %0 = kiln.cast %a : tensor<4xf32> to tensor<5xi32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// Broadcast and reshape
//===----------------------------------------------------------------------===//

func.func @broadcast_incompatible(%a: tensor<3xf32>) {
  // expected-error @+1 {{'kiln.broadcast' op input shape [3] does not broadcast to [4,5] (dimension 0)}}
  %0 = kiln.broadcast %a : tensor<3xf32> to tensor<4x5xf32>
  return
}

// -----

func.func @broadcast_to_lower_rank(%a: tensor<1x3xf32>) {
  // expected-error @+1 {{'kiln.broadcast' op cannot broadcast rank 2 to lower rank 1}}
  %0 = kiln.broadcast %a : tensor<1x3xf32> to tensor<3xf32>
  return
}

// -----

func.func @broadcast_element_type(%a: tensor<3xf32>) {
  // expected-error @+1 {{'kiln.broadcast' op element types differ: 'tensor<3xf32>' vs 'tensor<2x3xf16>'}}
  %0 = kiln.broadcast %a : tensor<3xf32> to tensor<2x3xf16>
  return
}

// -----

func.func @reshape_element_count(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{'kiln.reshape' op cannot reshape [2,3] (6 elements) to [4,2] (8 elements)}}
  %0 = kiln.reshape %a : tensor<2x3xf32> to tensor<4x2xf32>
  return
}

// -----

func.func @reshape_element_type(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{'kiln.reshape' op element types differ}}
  %0 = kiln.reshape %a : tensor<2x3xf32> to tensor<6xi32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// Transpose, slice, concat, gather, pad
//===----------------------------------------------------------------------===//

func.func @transpose_wrong_length(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{permutation has 3 entries for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.transpose %a {permutation = array<i64: 0, 1, 2>} : tensor<2x3xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @transpose_repeated_entry(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{permutation is not a permutation of [0, 2)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.transpose %a {permutation = array<i64: 1, 1>} : tensor<2x3xf32> -> tensor<3x3xf32>
  return
}

// -----

func.func @transpose_entry_out_of_range(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{permutation is not a permutation of [0, 2)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.transpose %a {permutation = array<i64: 0, 2>} : tensor<2x3xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @transpose_wrong_result(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{'kiln.transpose' op inferred type(s) 'tensor<3x2xf32>' are incompatible with return type(s) of operation 'tensor<2x3xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.transpose %a {permutation = array<i64: 1, 0>} : tensor<2x3xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @slice_out_of_range(%a: tensor<4x5xf32>) {
  // expected-error @+2 {{dimension 1: slice reads past the end of extent 5}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.slice %a {offsets = array<i64: 0, 2>, sizes = array<i64: 4, 3>, strides = array<i64: 1, 2>} : tensor<4x5xf32> -> tensor<4x3xf32>
  return
}

// -----

// offsets + (sizes - 1) * strides would overflow int64 here; the check must
// not wrap around and accept the slice.
func.func @slice_overflowing_extent(%a: tensor<8xf32>) {
  // expected-error @+2 {{dimension 0: slice reads past the end of extent 8}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.slice %a {offsets = array<i64: 0>, sizes = array<i64: 4611686018427387904>, strides = array<i64: 4>} : tensor<8xf32> -> tensor<4611686018427387904xf32>
  return
}

// -----

func.func @slice_offset_at_end(%a: tensor<4x5xf32>) {
  // expected-error @+2 {{dimension 0: slice reads past the end of extent 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.slice %a {offsets = array<i64: 4, 0>, sizes = array<i64: 1, 5>, strides = array<i64: 1, 1>} : tensor<4x5xf32> -> tensor<1x5xf32>
  return
}

// -----

func.func @slice_negative_offset(%a: tensor<4x5xf32>) {
  // expected-error @+2 {{dimension 0: offsets and sizes must be >= 0 and strides >= 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.slice %a {offsets = array<i64: -1, 0>, sizes = array<i64: 1, 5>, strides = array<i64: 1, 1>} : tensor<4x5xf32> -> tensor<1x5xf32>
  return
}

// -----

// Reversal is the importer's job (a gather): slice strides are positive.
func.func @slice_negative_stride(%a: tensor<4x5xf32>) {
  // expected-error @+2 {{dimension 1: offsets and sizes must be >= 0 and strides >= 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.slice %a {offsets = array<i64: 0, 4>, sizes = array<i64: 4, 5>, strides = array<i64: 1, -1>} : tensor<4x5xf32> -> tensor<4x5xf32>
  return
}

// -----

func.func @slice_rank(%a: tensor<4x5xf32>) {
  // expected-error @+2 {{offsets, sizes and strides need 2 entries each}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.slice %a {offsets = array<i64: 0>, sizes = array<i64: 4>, strides = array<i64: 1>} : tensor<4x5xf32> -> tensor<4xf32>
  return
}

// -----

func.func @slice_wrong_result(%a: tensor<4x5xf32>) {
  // expected-error @+2 {{inferred type(s) 'tensor<2x5xf32>' are incompatible with return type(s) of operation 'tensor<2x4xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.slice %a {offsets = array<i64: 1, 0>, sizes = array<i64: 2, 5>, strides = array<i64: 1, 1>} : tensor<4x5xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @concat_off_axis_mismatch(%a: tensor<2x3xf32>, %b: tensor<2x4xf32>) {
  // expected-error @+2 {{input 1 has shape [2,4], which differs off the axis from [2,3]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.concat %a, %b {axis = 0 : i64} : (tensor<2x3xf32>, tensor<2x4xf32>) -> tensor<4x3xf32>
  return
}

// -----

func.func @concat_axis_out_of_range(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{axis 2 out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.concat %a, %a {axis = 2 : i64} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x6xf32>
  return
}

// -----

func.func @concat_element_types(%a: tensor<2x3xf32>, %b: tensor<2x3xi32>) {
  // expected-error @+2 {{input 1 has type 'tensor<2x3xi32>', expected rank 2 and element type 'f32'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.concat %a, %b {axis = 0 : i64} : (tensor<2x3xf32>, tensor<2x3xi32>) -> tensor<4x3xf32>
  return
}

// -----

func.func @concat_ranks(%a: tensor<2x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+2 {{input 1 has type 'tensor<3xf32>', expected rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.concat %a, %b {axis = 0 : i64} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<3x3xf32>
  return
}

// -----

func.func @concat_no_inputs() {
  // expected-error @+2 {{needs at least one input}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = "kiln.concat"() {axis = 0 : i64} : () -> tensor<2xf32>
  return
}

// -----

func.func @concat_wrong_result(%a: tensor<2x3xf32>) {
  // expected-error @+2 {{inferred type(s) 'tensor<2x6xf32>' are incompatible with return type(s) of operation 'tensor<4x3xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.concat %a, %a {axis = 1 : i64} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<4x3xf32>
  return
}

// -----

func.func @gather_axis(%d: tensor<4x5xf32>, %i: tensor<3xi64>) {
  // expected-error @+2 {{axis 2 out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.gather %d, %i {axis = 2 : i64} : (tensor<4x5xf32>, tensor<3xi64>) -> tensor<4x5x3xf32>
  return
}

// -----

func.func @gather_negative_axis(%d: tensor<4x5xf32>, %i: tensor<3xi64>) {
  // expected-error @+2 {{axis -1 out of range for rank 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.gather %d, %i {axis = -1 : i64} : (tensor<4x5xf32>, tensor<3xi64>) -> tensor<4x3xf32>
  return
}

// -----

func.func @gather_float_indices(%d: tensor<4x5xf32>, %i: tensor<3xf32>) {
  // expected-error @+1 {{operand #1 must be ranked tensor of signless integer values}}
  %0 = kiln.gather %d, %i {axis = 0 : i64} : (tensor<4x5xf32>, tensor<3xf32>) -> tensor<3x5xf32>
  return
}

// -----

func.func @pad_value_type(%a: tensor<4xf32>) {
  // expected-error @+2 {{padding value of type 'i32' does not match element type 'f32'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.pad %a {low = array<i64: 1>, high = array<i64: 1>, value = 0 : i32} : tensor<4xf32> -> tensor<6xf32>
  return
}

// -----

func.func @pad_negative(%a: tensor<4xf32>) {
  // expected-error @+2 {{pads must be non-negative}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.pad %a {low = array<i64: -1>, high = array<i64: 1>, value = 0.0 : f32} : tensor<4xf32> -> tensor<4xf32>
  return
}

// -----

func.func @pad_rank(%a: tensor<4x4xf32>) {
  // expected-error @+2 {{low and high need 2 entries each}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.pad %a {low = array<i64: 1>, high = array<i64: 1>, value = 0.0 : f32} : tensor<4x4xf32> -> tensor<6x6xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// Matmul
//===----------------------------------------------------------------------===//

func.func @matmul_contracted_dim(%a: tensor<3x4xf32>, %b: tensor<5x6xf32>) {
  // expected-error @+2 {{contracted dimensions differ: [3,4] x [5,6]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.matmul %a, %b : tensor<3x4xf32>, tensor<5x6xf32> -> tensor<3x6xf32>
  return
}

// -----

func.func @matmul_batch(%a: tensor<2x3x4xf32>, %b: tensor<3x4x5xf32>) {
  // expected-error @+2 {{batch dimensions differ: [2,3,4] vs [3,4,5]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.matmul %a, %b : tensor<2x3x4xf32>, tensor<3x4x5xf32> -> tensor<2x3x5xf32>
  return
}

// -----

// Batch broadcasting is the importer's job: ranks must be equal.
func.func @matmul_rank_mismatch(%a: tensor<2x3x4xf32>, %b: tensor<4x5xf32>) {
  // expected-error @+2 {{operands need equal ranks >= 2, got 3 and 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.matmul %a, %b : tensor<2x3x4xf32>, tensor<4x5xf32> -> tensor<2x3x5xf32>
  return
}

// -----

func.func @matmul_vector(%a: tensor<4xf32>, %b: tensor<4xf32>) {
  // expected-error @+2 {{operands need equal ranks >= 2, got 1 and 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.matmul %a, %b : tensor<4xf32>, tensor<4xf32> -> tensor<f32>
  return
}

// -----

func.func @matmul_element_types(%a: tensor<3x4xf32>, %b: tensor<4x5xf16>) {
  // expected-error @+2 {{element types differ: 'f32' vs 'f16'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.matmul %a, %b : tensor<3x4xf32>, tensor<4x5xf16> -> tensor<3x5xf32>
  return
}

// -----

func.func @matmul_wrong_result(%a: tensor<3x4xf32>, %b: tensor<4x5xf32>) {
  // expected-error @+2 {{inferred type(s) 'tensor<3x5xf32>' are incompatible with return type(s) of operation 'tensor<5x3xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.matmul %a, %b : tensor<3x4xf32>, tensor<4x5xf32> -> tensor<5x3xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// Conv2d
//===----------------------------------------------------------------------===//

func.func @conv_channel_mismatch(%x: tensor<1x3x8x8xf32>, %w: tensor<4x2x3x3xf32>) {
  // expected-error @+2 {{filter has 2 input channels, expected 3 (3 / groups 1)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : tensor<1x3x8x8xf32>, tensor<4x2x3x3xf32> -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_grouped_channel_mismatch(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x3x3xf32>) {
  // expected-error @+2 {{filter has 4 input channels, expected 2 (4 / groups 2)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 2 : i64} : tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32> -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_channels_not_divisible(%x: tensor<1x3x8x8xf32>, %w: tensor<4x1x3x3xf32>) {
  // expected-error @+2 {{input channels 3 not divisible by groups 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 2 : i64} : tensor<1x3x8x8xf32>, tensor<4x1x3x3xf32> -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_filters_not_divisible(%x: tensor<1x4x8x8xf32>, %w: tensor<3x2x3x3xf32>) {
  // expected-error @+2 {{filter count 3 not divisible by groups 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 2 : i64} : tensor<1x4x8x8xf32>, tensor<3x2x3x3xf32> -> tensor<1x3x6x6xf32>
  return
}

// -----

func.func @conv_zero_groups(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x3x3xf32>) {
  // expected-error @+2 {{groups must be >= 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 0 : i64} : tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32> -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_rank(%x: tensor<4x8x8xf32>, %w: tensor<4x4x3x3xf32>) {
  // expected-error @+2 {{expects a rank-4 NCHW input and FCHW filter, got ranks 3 and 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : tensor<4x8x8xf32>, tensor<4x4x3x3xf32> -> tensor<4x6x6xf32>
  return
}

// -----

func.func @conv_element_types(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x3x3xf16>) {
  // expected-error @+2 {{element types differ}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : tensor<1x4x8x8xf32>, tensor<4x4x3x3xf16> -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_attr_lengths(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x3x3xf32>) {
  // expected-error @+2 {{expects 2 strides, 2 dilations and 4 paddings [top, left, bottom, right]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32> -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_zero_stride(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x3x3xf32>) {
  // expected-error @+2 {{strides and dilations must be >= 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.conv2d %x, %w {strides = array<i64: 0, 1>, padding = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32> -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_zero_dilation(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x3x3xf32>) {
  // expected-error @+2 {{strides and dilations must be >= 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 0>, groups = 1 : i64} : tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32> -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_negative_padding(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x3x3xf32>) {
  // expected-error @+2 {{padding must be non-negative}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: -1, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32> -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_window_too_large(%x: tensor<1x4x2x8xf32>, %w: tensor<4x4x3x3xf32>) {
  // expected-error @+2 {{window larger than the padded input [1,4,2,8]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : tensor<1x4x2x8xf32>, tensor<4x4x3x3xf32> -> tensor<1x4x0x6xf32>
  return
}

// -----

func.func @conv_dilated_window_too_large(%x: tensor<1x4x4x4xf32>, %w: tensor<4x4x3x3xf32>) {
  // expected-error @+2 {{window larger than the padded input [1,4,4,4]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilations = array<i64: 2, 2>, groups = 1 : i64} : tensor<1x4x4x4xf32>, tensor<4x4x3x3xf32> -> tensor<1x4x1x1xf32>
  return
}

// -----

func.func @conv_wrong_result(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x3x3xf32>) {
  // expected-error @+2 {{inferred type(s) 'tensor<1x4x4x4xf32>' are incompatible with return type(s) of operation 'tensor<1x4x6x6xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.conv2d %x, %w {strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32> -> tensor<1x4x6x6xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

func.func @pool_padding_not_below_kernel(%x: tensor<1x1x8x8xf32>) {
  // expected-error @+2 {{padding must be smaller than the kernel}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.max_pool2d %x {kernel = array<i64: 2, 2>, strides = array<i64: 1, 1>, padding = array<i64: 0, 2, 0, 0>, dilations = array<i64: 1, 1>} : tensor<1x1x8x8xf32> -> tensor<1x1x7x9xf32>
  return
}

// -----

func.func @avg_pool_padding_not_below_kernel(%x: tensor<1x1x8x8xf32>) {
  // expected-error @+2 {{padding must be smaller than the kernel}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.avg_pool2d %x {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 3, 0>, dilations = array<i64: 1, 1>, count_include_pad = false} : tensor<1x1x8x8xf32> -> tensor<1x1x9x6xf32>
  return
}

// -----

func.func @pool_kernel(%x: tensor<1x1x8x8xf32>) {
  // expected-error @+2 {{kernel must hold two sizes >= 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.max_pool2d %x {kernel = array<i64: 2, 0>, strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : tensor<1x1x8x8xf32> -> tensor<1x1x7x8xf32>
  return
}

// -----

func.func @pool_kernel_length(%x: tensor<1x1x8x8xf32>) {
  // expected-error @+2 {{kernel must hold two sizes >= 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.max_pool2d %x {kernel = array<i64: 2>, strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : tensor<1x1x8x8xf32> -> tensor<1x1x7x7xf32>
  return
}

// -----

func.func @pool_rank(%x: tensor<1x8x8xf32>) {
  // expected-error @+2 {{expects a rank-4 NCHW input, got rank 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.max_pool2d %x {kernel = array<i64: 2, 2>, strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : tensor<1x8x8xf32> -> tensor<1x7x7xf32>
  return
}

// -----

func.func @pool_stride(%x: tensor<1x1x8x8xf32>) {
  // expected-error @+2 {{strides and dilations must be >= 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.avg_pool2d %x {kernel = array<i64: 2, 2>, strides = array<i64: 1, 0>, padding = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, count_include_pad = false} : tensor<1x1x8x8xf32> -> tensor<1x1x7x7xf32>
  return
}

// -----

func.func @pool_window_too_large(%x: tensor<1x1x2x2xf32>) {
  // expected-error @+2 {{window larger than the padded input [1,1,2,2]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.max_pool2d %x {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : tensor<1x1x2x2xf32> -> tensor<1x1x1x1xf32>
  return
}

// -----

func.func @pool_wrong_result(%x: tensor<1x1x8x8xf32>) {
  // expected-error @+2 {{inferred type(s) 'tensor<1x1x4x4xf32>' are incompatible with return type(s) of operation 'tensor<1x1x7x7xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.max_pool2d %x {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : tensor<1x1x8x8xf32> -> tensor<1x1x7x7xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// Reductions and softmax
//===----------------------------------------------------------------------===//

func.func @reduce_unsorted_axes(%x: tensor<2x3x4xf32>) {
  // expected-error @+2 {{axes must be sorted and distinct}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.reduce_sum %x {axes = array<i64: 2, 0>, keep_dims = false} : tensor<2x3x4xf32> -> tensor<3xf32>
  return
}

// -----

func.func @reduce_repeated_axes(%x: tensor<2x3x4xf32>) {
  // expected-error @+2 {{axes must be sorted and distinct}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.reduce_max %x {axes = array<i64: 1, 1>, keep_dims = false} : tensor<2x3x4xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @reduce_axis_out_of_range(%x: tensor<2x3x4xf32>) {
  // expected-error @+2 {{axis 3 out of range for rank 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.reduce_mean %x {axes = array<i64: 3>, keep_dims = true} : tensor<2x3x4xf32> -> tensor<2x3x4xf32>
  return
}

// -----

func.func @reduce_negative_axis(%x: tensor<2x3x4xf32>) {
  // expected-error @+2 {{axis -1 out of range for rank 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.reduce_prod %x {axes = array<i64: -1>, keep_dims = true} : tensor<2x3x4xf32> -> tensor<2x3x1xf32>
  return
}

// -----

func.func @reduce_wrong_result(%x: tensor<2x3x4xf32>) {
  // expected-error @+2 {{inferred type(s) 'tensor<2x1x4xf32>' are incompatible with return type(s) of operation 'tensor<2x4xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = kiln.reduce_min %x {axes = array<i64: 1>, keep_dims = true} : tensor<2x3x4xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @softmax_axis(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'kiln.softmax' op axis 2 out of range for rank 2}}
  %0 = kiln.softmax %x {axis = 2 : i64} : tensor<2x3xf32>
  return
}

// -----

func.func @log_softmax_negative_axis(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'kiln.log_softmax' op axis -1 out of range for rank 2}}
  %0 = kiln.log_softmax %x {axis = -1 : i64} : tensor<2x3xf32>
  return
}

// -----

func.func @softmax_on_integers(%x: tensor<2x3xi32>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of floating-point values}}
  %0 = kiln.softmax %x {axis = 1 : i64} : tensor<2x3xi32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

func.func @constant_wrong_result() {
  // expected-error @+2 {{inferred type(s) 'tensor<2xf32>' are incompatible with return type(s) of operation 'tensor<3xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = "kiln.constant"() {value = dense<1.0> : tensor<2xf32>} : () -> tensor<3xf32>
  return
}

// -----

func.func @constant_not_a_tensor() {
  // expected-error @+2 {{value must be a ranked tensor literal}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = "kiln.constant"() {value = dense<1.0> : vector<2xf32>} : () -> tensor<2xf32>
  return
}
