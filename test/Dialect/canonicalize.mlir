// The kiln folders: identities that are exact under IEEE rules, no-op shape
// ops, chains of reshapes and transposes, and constant folding.
// RUN: kiln-opt %s -canonicalize -split-input-file | FileCheck %s

// x + (-0.0) is exactly x (even for x = -0.0), so it folds.
// CHECK-LABEL: func.func @add_negative_zero_f32
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK-NEXT: return %[[X]]
func.func @add_negative_zero_f32(%x: tensor<4xf32>) -> tensor<4xf32> {
  %z = kiln.constant dense<-0.0> : tensor<4xf32>
  %0 = kiln.add %x, %z : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// x + 0.0 is not x for x = -0.0 (-0 + +0 = +0): it must stay.
// CHECK-LABEL: func.func @add_positive_zero_f32_kept
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK: %[[Z:.*]] = kiln.constant dense<0.000000e+00> : tensor<4xf32>
// CHECK: %[[R:.*]] = kiln.add %[[X]], %[[Z]] : tensor<4xf32>
// CHECK: return %[[R]]
func.func @add_positive_zero_f32_kept(%x: tensor<4xf32>) -> tensor<4xf32> {
  %z = kiln.constant dense<0.0> : tensor<4xf32>
  %0 = kiln.add %x, %z : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// The constant on the left is moved to the right (add is commutative), and
// then the same rule applies.
// CHECK-LABEL: func.func @add_negative_zero_on_the_left
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf16>)
// CHECK-NEXT: return %[[X]]
func.func @add_negative_zero_on_the_left(%x: tensor<2x3xf16>) -> tensor<2x3xf16> {
  %z = kiln.constant dense<-0.0> : tensor<2x3xf16>
  %0 = kiln.add %z, %x : tensor<2x3xf16>
  return %0 : tensor<2x3xf16>
}

// -----

// CHECK-LABEL: func.func @add_positive_zero_on_the_left_kept
// CHECK: kiln.add
func.func @add_positive_zero_on_the_left_kept(%x: tensor<4xf32>) -> tensor<4xf32> {
  %z = kiln.constant dense<0.0> : tensor<4xf32>
  %0 = kiln.add %z, %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @add_zero_int
// CHECK-SAME: (%[[X:.*]]: tensor<4xi64>, %[[Y:.*]]: tensor<4xi32>)
// CHECK-NEXT: return %[[X]], %[[Y]]
func.func @add_zero_int(%x: tensor<4xi64>, %y: tensor<4xi32>) -> (tensor<4xi64>, tensor<4xi32>) {
  %z = kiln.constant dense<0> : tensor<4xi64>
  %0 = kiln.add %x, %z : tensor<4xi64>
  %z32 = kiln.constant dense<0> : tensor<4xi32>
  %1 = kiln.add %z32, %y : tensor<4xi32>
  return %0, %1 : tensor<4xi64>, tensor<4xi32>
}

// -----

// A non-zero or a non-splat constant is no identity.
// CHECK-LABEL: func.func @add_nonzero_kept
// CHECK-COUNT-2: kiln.add
func.func @add_nonzero_kept(%x: tensor<2xi64>) -> (tensor<2xi64>, tensor<2xi64>) {
  %one = kiln.constant dense<1> : tensor<2xi64>
  %0 = kiln.add %x, %one : tensor<2xi64>
  %mixed = kiln.constant dense<[0, 1]> : tensor<2xi64>
  %1 = kiln.add %x, %mixed : tensor<2xi64>
  return %0, %1 : tensor<2xi64>, tensor<2xi64>
}

// -----

// x - 0.0 is exactly x (-0 - +0 = -0), for floats and integers.
// CHECK-LABEL: func.func @sub_zero
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>, %[[I:.*]]: tensor<4xi32>)
// CHECK-NEXT: return %[[X]], %[[I]]
func.func @sub_zero(%x: tensor<4xf32>, %i: tensor<4xi32>) -> (tensor<4xf32>, tensor<4xi32>) {
  %z = kiln.constant dense<0.0> : tensor<4xf32>
  %0 = kiln.sub %x, %z : tensor<4xf32>
  %zi = kiln.constant dense<0> : tensor<4xi32>
  %1 = kiln.sub %i, %zi : tensor<4xi32>
  return %0, %1 : tensor<4xf32>, tensor<4xi32>
}

// -----

// x - (-0.0) is +0.0 for x = -0.0, and 0 - x is not x: both stay.
// CHECK-LABEL: func.func @sub_kept
// CHECK-COUNT-2: kiln.sub
func.func @sub_kept(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %nz = kiln.constant dense<-0.0> : tensor<4xf32>
  %0 = kiln.sub %x, %nz : tensor<4xf32>
  %z = kiln.constant dense<0.0> : tensor<4xf32>
  %1 = kiln.sub %z, %x : tensor<4xf32>
  return %0, %1 : tensor<4xf32>, tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @mul_one
// CHECK-SAME: (%[[X:.*]]: tensor<2x4xf32>, %[[I:.*]]: tensor<3xi64>)
// CHECK-NEXT: return %[[X]], %[[I]], %[[X]]
func.func @mul_one(%x: tensor<2x4xf32>, %i: tensor<3xi64>) -> (tensor<2x4xf32>, tensor<3xi64>, tensor<2x4xf32>) {
  %one = kiln.constant dense<1.0> : tensor<2x4xf32>
  %0 = kiln.mul %x, %one : tensor<2x4xf32>
  %onei = kiln.constant dense<1> : tensor<3xi64>
  %1 = kiln.mul %i, %onei : tensor<3xi64>
  %2 = kiln.mul %one, %x : tensor<2x4xf32>
  return %0, %1, %2 : tensor<2x4xf32>, tensor<3xi64>, tensor<2x4xf32>
}

// -----

// CHECK-LABEL: func.func @mul_kept
// CHECK-COUNT-2: kiln.mul
func.func @mul_kept(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %two = kiln.constant dense<2.0> : tensor<4xf32>
  %0 = kiln.mul %x, %two : tensor<4xf32>
  %m1 = kiln.constant dense<-1.0> : tensor<4xf32>
  %1 = kiln.mul %x, %m1 : tensor<4xf32>
  return %0, %1 : tensor<4xf32>, tensor<4xf32>
}

// -----

// x / 1 folds; 1 / x does not.
// CHECK-LABEL: func.func @div_one
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>, %[[I:.*]]: tensor<4xi32>)
// CHECK: %[[ONE:.*]] = kiln.constant dense<1.000000e+00>
// CHECK: %[[R:.*]] = kiln.div %[[ONE]], %[[X]]
// CHECK: return %[[X]], %[[I]], %[[R]]
func.func @div_one(%x: tensor<4xf32>, %i: tensor<4xi32>) -> (tensor<4xf32>, tensor<4xi32>, tensor<4xf32>) {
  %one = kiln.constant dense<1.0> : tensor<4xf32>
  %0 = kiln.div %x, %one : tensor<4xf32>
  %onei = kiln.constant dense<1> : tensor<4xi32>
  %1 = kiln.div %i, %onei : tensor<4xi32>
  %2 = kiln.div %one, %x : tensor<4xf32>
  return %0, %1, %2 : tensor<4xf32>, tensor<4xi32>, tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @neg_neg
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK-NEXT: %[[N:.*]] = kiln.neg %[[X]]
// CHECK-NEXT: return %[[X]], %[[N]]
func.func @neg_neg(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %0 = kiln.neg %x : tensor<4xf32>
  %1 = kiln.neg %0 : tensor<4xf32>
  %2 = kiln.neg %1 : tensor<4xf32>
  return %1, %2 : tensor<4xf32>, tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @cast_same_type
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK-NEXT: %[[C:.*]] = kiln.cast %[[X]] : tensor<4xf32> to tensor<4xf16>
// CHECK-NEXT: return %[[X]], %[[C]]
func.func @cast_same_type(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf16>) {
  %0 = kiln.cast %x : tensor<4xf32> to tensor<4xf32>
  %1 = kiln.cast %x : tensor<4xf32> to tensor<4xf16>
  return %0, %1 : tensor<4xf32>, tensor<4xf16>
}

// -----

// CHECK-LABEL: func.func @broadcast_same_type
// CHECK-SAME: (%[[X:.*]]: tensor<4x3xf32>)
// CHECK-NEXT: return %[[X]]
func.func @broadcast_same_type(%x: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %0 = kiln.broadcast %x : tensor<4x3xf32> to tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

// A broadcast splat is a bigger splat.
// CHECK-LABEL: func.func @broadcast_splat_constant
// CHECK-NEXT: %[[C:.*]] = kiln.constant dense<2.500000e+00> : tensor<4x3xf32>
// CHECK-NEXT: return %[[C]]
func.func @broadcast_splat_constant() -> tensor<4x3xf32> {
  %c = kiln.constant dense<2.5> : tensor<3xf32>
  %0 = kiln.broadcast %c : tensor<3xf32> to tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

// A non-splat constant is not broadcast at compile time.
// CHECK-LABEL: func.func @broadcast_dense_constant_kept
// CHECK: kiln.constant dense<[1.000000e+00, 2.000000e+00, 3.000000e+00]> : tensor<3xf32>
// CHECK: kiln.broadcast
func.func @broadcast_dense_constant_kept() -> tensor<4x3xf32> {
  %c = kiln.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
  %0 = kiln.broadcast %c : tensor<3xf32> to tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

// A broadcast of a splat feeding x * 1 disappears entirely.
// CHECK-LABEL: func.func @broadcast_then_identity
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK-NEXT: return %[[X]]
func.func @broadcast_then_identity(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %c = kiln.constant dense<1.0> : tensor<1xf32>
  %b = kiln.broadcast %c : tensor<1xf32> to tensor<2x3xf32>
  %0 = kiln.mul %x, %b : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func.func @reshape_same_type
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK-NEXT: return %[[X]]
func.func @reshape_same_type(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = kiln.reshape %x : tensor<2x3xf32> to tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func.func @reshape_chain
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK-NEXT: %[[R:.*]] = kiln.reshape %[[X]] : tensor<2x3x4xf32> to tensor<4x6xf32>
// CHECK-NEXT: return %[[R]]
func.func @reshape_chain(%x: tensor<2x3x4xf32>) -> tensor<4x6xf32> {
  %0 = kiln.reshape %x : tensor<2x3x4xf32> to tensor<24xf32>
  %1 = kiln.reshape %0 : tensor<24xf32> to tensor<6x4xf32>
  %2 = kiln.reshape %1 : tensor<6x4xf32> to tensor<4x6xf32>
  return %2 : tensor<4x6xf32>
}

// -----

// A chain that comes back to the input's shape vanishes.
// CHECK-LABEL: func.func @reshape_round_trip
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK-NEXT: return %[[X]]
func.func @reshape_round_trip(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = kiln.reshape %x : tensor<2x3xf32> to tensor<6xf32>
  %1 = kiln.reshape %0 : tensor<6xf32> to tensor<2x3xf32>
  return %1 : tensor<2x3xf32>
}

// -----

// Reshape of a dense constant is a constant with the new shape, same
// row-major order.
// CHECK-LABEL: func.func @reshape_constant
// CHECK-NEXT: %[[C:.*]] = kiln.constant dense<{{\[}}[1, 2, 3], [4, 5, 6]]> : tensor<2x3xi32>
// CHECK-NEXT: return %[[C]]
func.func @reshape_constant() -> tensor<2x3xi32> {
  %c = kiln.constant dense<[1, 2, 3, 4, 5, 6]> : tensor<6xi32>
  %0 = kiln.reshape %c : tensor<6xi32> to tensor<2x3xi32>
  return %0 : tensor<2x3xi32>
}

// -----

// CHECK-LABEL: func.func @reshape_constant_f32
// CHECK-NEXT: %[[C:.*]] = kiln.constant dense<{{\[}}[1.000000e+00, 2.000000e+00], [3.000000e+00, 4.000000e+00]]> : tensor<2x2xf32>
// CHECK-NEXT: return %[[C]]
func.func @reshape_constant_f32() -> tensor<2x2xf32> {
  %c = kiln.constant dense<[[1.0, 2.0, 3.0, 4.0]]> : tensor<1x4xf32>
  %0 = kiln.reshape %c : tensor<1x4xf32> to tensor<2x2xf32>
  return %0 : tensor<2x2xf32>
}

// -----

// CHECK-LABEL: func.func @transpose_identity
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK-NEXT: return %[[X]]
func.func @transpose_identity(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %0 = kiln.transpose %x {permutation = array<i64: 0, 1, 2>} : tensor<2x3x4xf32> -> tensor<2x3x4xf32>
  return %0 : tensor<2x3x4xf32>
}

// -----

// Two transposes compose into one: result dim i is input dim p[q[i]].
// CHECK-LABEL: func.func @transpose_compose
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK-NEXT: %[[T:.*]] = kiln.transpose %[[X]] {permutation = array<i64: 2, 1, 0>} : tensor<2x3x4xf32> -> tensor<4x3x2xf32>
// CHECK-NEXT: return %[[T]]
func.func @transpose_compose(%x: tensor<2x3x4xf32>) -> tensor<4x3x2xf32> {
  %0 = kiln.transpose %x {permutation = array<i64: 1, 2, 0>} : tensor<2x3x4xf32> -> tensor<3x4x2xf32>
  %1 = kiln.transpose %0 {permutation = array<i64: 1, 0, 2>} : tensor<3x4x2xf32> -> tensor<4x3x2xf32>
  return %1 : tensor<4x3x2xf32>
}

// -----

// A transpose and its inverse cancel.
// CHECK-LABEL: func.func @transpose_inverse
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK-NEXT: return %[[X]]
func.func @transpose_inverse(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %0 = kiln.transpose %x {permutation = array<i64: 1, 2, 0>} : tensor<2x3x4xf32> -> tensor<3x4x2xf32>
  %1 = kiln.transpose %0 {permutation = array<i64: 2, 0, 1>} : tensor<3x4x2xf32> -> tensor<2x3x4xf32>
  return %1 : tensor<2x3x4xf32>
}

// -----

// CHECK-LABEL: func.func @slice_whole
// CHECK-SAME: (%[[X:.*]]: tensor<4x5xf32>)
// CHECK-NEXT: %[[S:.*]] = kiln.slice %[[X]] {offsets = array<i64: 0, 1>
// CHECK-NEXT: %[[T:.*]] = kiln.slice %[[X]] {offsets = array<i64: 0, 0>, sizes = array<i64: 4, 3>, strides = array<i64: 1, 2>}
// CHECK-NEXT: return %[[X]], %[[S]], %[[T]]
func.func @slice_whole(%x: tensor<4x5xf32>) -> (tensor<4x5xf32>, tensor<4x4xf32>, tensor<4x3xf32>) {
  %0 = kiln.slice %x {offsets = array<i64: 0, 0>, sizes = array<i64: 4, 5>, strides = array<i64: 1, 1>} : tensor<4x5xf32> -> tensor<4x5xf32>
  %1 = kiln.slice %x {offsets = array<i64: 0, 1>, sizes = array<i64: 4, 4>, strides = array<i64: 1, 1>} : tensor<4x5xf32> -> tensor<4x4xf32>
  %2 = kiln.slice %x {offsets = array<i64: 0, 0>, sizes = array<i64: 4, 3>, strides = array<i64: 1, 2>} : tensor<4x5xf32> -> tensor<4x3xf32>
  return %0, %1, %2 : tensor<4x5xf32>, tensor<4x4xf32>, tensor<4x3xf32>
}

// -----

// Whether a slice takes everything is only known for a static input shape.
// CHECK-LABEL: func.func @slice_dynamic_kept
// CHECK: kiln.slice
func.func @slice_dynamic_kept(%x: tensor<?x5xf32>) -> tensor<4x5xf32> {
  %0 = kiln.slice %x {offsets = array<i64: 0, 0>, sizes = array<i64: 4, 5>, strides = array<i64: 1, 1>} : tensor<?x5xf32> -> tensor<4x5xf32>
  return %0 : tensor<4x5xf32>
}

// -----

// CHECK-LABEL: func.func @concat_single
// CHECK-SAME: (%[[X:.*]]: tensor<4x5xf32>)
// CHECK-NEXT: %[[C:.*]] = kiln.concat %[[X]], %[[X]]
// CHECK-NEXT: return %[[X]], %[[C]]
func.func @concat_single(%x: tensor<4x5xf32>) -> (tensor<4x5xf32>, tensor<8x5xf32>) {
  %0 = kiln.concat %x {axis = 1 : i64} : (tensor<4x5xf32>) -> tensor<4x5xf32>
  %1 = kiln.concat %x, %x {axis = 0 : i64} : (tensor<4x5xf32>, tensor<4x5xf32>) -> tensor<8x5xf32>
  return %0, %1 : tensor<4x5xf32>, tensor<8x5xf32>
}

// -----

// Ops without a folder and with no use are dead (every kiln op is Pure).
// CHECK-LABEL: func.func @dead_code
// CHECK-NOT: kiln.
// CHECK: return
func.func @dead_code(%x: tensor<4xf32>) {
  %0 = kiln.exp %x : tensor<4xf32>
  %1 = kiln.softmax %0 {axis = 0 : i64} : tensor<4xf32>
  return
}
