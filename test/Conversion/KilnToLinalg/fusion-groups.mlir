// convert-kiln-to-linalg lowers a kiln.fusion_group's body, fuses its linalg
// ops and inlines it: an elementwise group becomes one linalg.generic, also
// when an intermediate has several users inside the group (it is computed
// once and yielded as an extra result of the fused op when it is needed
// outside); a reduction fuses the elementwise producer of its input.
// RUN: kiln-opt %s -split-input-file --convert-kiln-to-linalg | FileCheck %s

// CHECK-LABEL: func.func @chain
// CHECK-NOT: kiln.
// CHECK: linalg.generic
// CHECK: arith.addf
// CHECK: math.exp
// CHECK: arith.mulf
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @chain(%a: tensor<16xf32>, %b: tensor<16xf32>) -> tensor<16xf32> {
  %r = kiln.fusion_group elementwise ins(%a, %b : tensor<16xf32>, tensor<16xf32>) -> (tensor<16xf32>) {
  ^bb0(%x: tensor<16xf32>, %y: tensor<16xf32>):
    %0 = kiln.add %x, %y : tensor<16xf32>
    %1 = kiln.exp %0 : tensor<16xf32>
    %2 = kiln.mul %1, %x : tensor<16xf32>
    kiln.yield %2 : tensor<16xf32>
  }
  return %r : tensor<16xf32>
}

// -----

// The exp feeds two ops and the function result: it fuses into the neg
// (one generic yielding both), computed once. The mul reads that generic's
// two results, and fusion inlines a producer for one operand at a time, so
// the mul stays a second loop (a diamond is not fused yet).
// CHECK-LABEL: func.func @multi_use
// CHECK: %[[G:.*]]:2 = linalg.generic
// CHECK: math.exp
// CHECK-NEXT: arith.negf
// CHECK-NOT: math.exp
// CHECK: %[[M:.*]] = linalg.generic {{.*}} ins(%[[G]]#0, %[[G]]#1
// CHECK: arith.mulf
// CHECK-NOT: linalg.generic
// CHECK: return %[[G]]#0, %[[M]]
func.func @multi_use(%a: tensor<16xf32>) -> (tensor<16xf32>, tensor<16xf32>) {
  %r:2 = kiln.fusion_group elementwise ins(%a : tensor<16xf32>) -> (tensor<16xf32>, tensor<16xf32>) {
  ^bb0(%x: tensor<16xf32>):
    %0 = kiln.exp %x : tensor<16xf32>
    %1 = kiln.neg %0 : tensor<16xf32>
    %2 = kiln.mul %0, %1 : tensor<16xf32>
    kiln.yield %0, %2 : tensor<16xf32>, tensor<16xf32>
  }
  return %r#0, %r#1 : tensor<16xf32>, tensor<16xf32>
}

// -----

// Sum of squares then sqrt: the square fuses into the reduction's loops
// (a generic with a reduction iterator), the sqrt is the epilogue.
// CHECK-LABEL: func.func @sum_of_squares
// CHECK-NOT: linalg.reduce
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: linalg.generic
// CHECK: math.sqrt
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @sum_of_squares(%a: tensor<4x8xf32>) -> tensor<4xf32> {
  %r = kiln.fusion_group reduction_epilogue ins(%a : tensor<4x8xf32>) -> (tensor<4xf32>) {
  ^bb0(%x: tensor<4x8xf32>):
    %0 = kiln.mul %x, %x : tensor<4x8xf32>
    %1 = kiln.reduce_sum %0 {axes = array<i64: 1>, keep_dims = false} : tensor<4x8xf32> -> tensor<4xf32>
    %2 = kiln.sqrt %1 : tensor<4xf32>
    kiln.yield %2 : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

// Matmul + bias + relu: the matmul stays a named op; bias and relu are one
// generic on its result.
// CHECK-LABEL: func.func @epilogue
// CHECK: linalg.matmul
// CHECK: linalg.generic
// CHECK: arith.addf
// CHECK: arith.maximumf
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @epilogue(%a: tensor<4x8xf32>, %w: tensor<8x16xf32>, %b: tensor<16xf32>) -> tensor<4x16xf32> {
  %r = kiln.fusion_group contraction_epilogue ins(%a, %w, %b : tensor<4x8xf32>, tensor<8x16xf32>, tensor<16xf32>) -> (tensor<4x16xf32>) {
  ^bb0(%x: tensor<4x8xf32>, %y: tensor<8x16xf32>, %z: tensor<16xf32>):
    %0 = kiln.matmul %x, %y : tensor<4x8xf32>, tensor<8x16xf32> -> tensor<4x16xf32>
    %1 = kiln.broadcast %z : tensor<16xf32> to tensor<4x16xf32>
    %2 = kiln.add %0, %1 : tensor<4x16xf32>
    %3 = kiln.relu %2 : tensor<4x16xf32>
    kiln.yield %3 : tensor<4x16xf32>
  }
  return %r : tensor<4x16xf32>
}

// -----

// A body that folds to one of its inputs (select with equal branches):
// the group's result is that input.
// CHECK-LABEL: func.func @folds_to_input
// CHECK-NOT: linalg.generic
// CHECK: return %arg0
func.func @folds_to_input(%a: tensor<4xf32>, %c: tensor<i1>) -> tensor<4xf32> {
  %r = kiln.fusion_group elementwise ins(%c, %a : tensor<i1>, tensor<4xf32>) -> (tensor<4xf32>) {
  ^bb0(%cc: tensor<i1>, %x: tensor<4xf32>):
    %0 = kiln.broadcast %cc : tensor<i1> to tensor<4xi1>
    %1 = kiln.select %0, %x, %x : tensor<4xi1>, tensor<4xf32>
    kiln.yield %1 : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

// A consumer that reads a multi-use producer through two operands (the
// square of an exp that is also a result) is not fused with it (fusion
// inlines one operand at a time); the lowering terminates and computes the
// exp once.
// CHECK-LABEL: func.func @same_producer_twice
// CHECK: math.exp
// CHECK-NOT: math.exp
// CHECK: return
func.func @same_producer_twice(%a: tensor<16xf32>) -> (tensor<16xf32>, tensor<16xf32>) {
  %r:2 = kiln.fusion_group elementwise ins(%a : tensor<16xf32>) -> (tensor<16xf32>, tensor<16xf32>) {
  ^bb0(%x: tensor<16xf32>):
    %0 = kiln.exp %x : tensor<16xf32>
    %1 = kiln.mul %0, %0 : tensor<16xf32>
    kiln.yield %0, %1 : tensor<16xf32>, tensor<16xf32>
  }
  return %r#0, %r#1 : tensor<16xf32>, tensor<16xf32>
}
