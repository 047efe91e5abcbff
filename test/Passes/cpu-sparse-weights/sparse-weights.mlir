// kiln-cpu-sparse-weights on tensors: a linalg.matmul marked
// kiln.sparse_weight converts its weight to CSR in the code and becomes a
// linalg.generic on the sparse operand (tagged kiln.sparse_product): the
// rows form for few rows of X, the columns form (W^T as CSR, X and Y
// transposed, the rows of X innermost) for many. Unmarked matmuls, and
// marked ones of another form, are left alone (the latter unmarked).
// RUN: kiln-opt %s -split-input-file \
// RUN:   --pass-pipeline="builtin.module(func.func(kiln-cpu-sparse-weights))" \
// RUN:   | FileCheck %s
// RUN: kiln-opt %s -split-input-file \
// RUN:   --pass-pipeline="builtin.module(func.func(kiln-cpu-sparse-weights{form=rows index-bits=0}))" \
// RUN:   | FileCheck %s --check-prefix=ROWS
// RUN: kiln-opt %s -split-input-file -verify-diagnostics \
// RUN:   --pass-pipeline="builtin.module(func.func(kiln-cpu-sparse-weights))" \
// RUN:   > /dev/null

// CHECK-DAG: #[[CSR:.*]] = #sparse_tensor.encoding<{ map = (d0, d1) -> (d0 : dense, d1 : compressed), posWidth = 32, crdWidth = 32 }>
// CHECK-DAG: #[[A:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[B:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[C:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>

// Four rows: the rows form, loops (m, k, n) over W's CSR rows.
// CHECK-LABEL: func.func @few_rows
// CHECK: %[[WS:.*]] = sparse_tensor.convert %arg1 : tensor<64x32xf32> to tensor<64x32xf32, #[[CSR]]>
// CHECK: %[[Y:.*]] = linalg.generic {indexing_maps = [#[[A]], #[[B]], #[[C]]], iterator_types = ["parallel", "reduction", "parallel"]}
// CHECK-SAME: ins(%arg0, %[[WS]] : tensor<4x64xf32>, tensor<64x32xf32, #[[CSR]]>)
// CHECK-SAME: outs(%{{.*}} : tensor<4x32xf32>)
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: } -> tensor<4x32xf32>
// CHECK-NOT: linalg.matmul
// CHECK: return %[[Y]]
// ROWS-LABEL: func.func @few_rows
// ROWS: sparse_tensor.convert %arg1 : tensor<64x32xf32> to tensor<64x32xf32, #sparse>
// ROWS: kiln.sparse_product = "rows"
func.func @few_rows(%x: tensor<4x64xf32>, %w: tensor<64x32xf32>) -> tensor<4x32xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x32xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<4x32xf32>) -> tensor<4x32xf32>
  %y = linalg.matmul {kiln.sparse_weight}
         ins(%x, %w : tensor<4x64xf32>, tensor<64x32xf32>)
         outs(%f : tensor<4x32xf32>) -> tensor<4x32xf32>
  return %y : tensor<4x32xf32>
}

// -----

// 64 rows: the columns form. W^T [32x64] as CSR (W's columns), X and the
// accumulator transposed, loops (n, k, m) with m innermost, the result
// transposed back into the accumulator.
// CHECK-LABEL: func.func @many_rows
// CHECK: %[[WT:.*]] = linalg.transpose ins(%arg1 : tensor<64x32xf32>) outs(%{{.*}} : tensor<32x64xf32>) permutation = [1, 0]
// CHECK: %[[WS:.*]] = sparse_tensor.convert %[[WT]] : tensor<32x64xf32> to tensor<32x64xf32, #[[CSR]]>
// CHECK: %[[XT:.*]] = linalg.transpose ins(%arg0 : tensor<128x64xf32>) outs(%{{.*}} : tensor<64x128xf32>) permutation = [1, 0]
// CHECK: %[[YT0:.*]] = linalg.transpose ins(%[[ACC:.*]] : tensor<128x32xf32>) outs(%{{.*}} : tensor<32x128xf32>) permutation = [1, 0]
// CHECK: %[[YT:.*]] = linalg.generic {indexing_maps = [#[[A]], #[[B]], #[[C]]], iterator_types = ["parallel", "reduction", "parallel"]}
// CHECK-SAME: ins(%[[WS]], %[[XT]] : tensor<32x64xf32, #[[CSR]]>, tensor<64x128xf32>)
// CHECK-SAME: outs(%[[YT0]] : tensor<32x128xf32>)
// CHECK: kiln.sparse_product = "columns"
// CHECK: %[[Y:.*]] = linalg.transpose ins(%[[YT]] : tensor<32x128xf32>) outs(%[[ACC]] : tensor<128x32xf32>) permutation = [1, 0]
// CHECK-NOT: linalg.matmul
// CHECK: return %[[Y]]
// With form=rows, 64 rows take the rows form too.
// ROWS-LABEL: func.func @many_rows
// ROWS-NOT: linalg.transpose
// ROWS: kiln.sparse_product = "rows"
func.func @many_rows(%x: tensor<128x64xf32>, %w: tensor<64x32xf32>, %acc: tensor<128x32xf32>) -> tensor<128x32xf32> {
  %y = linalg.matmul {kiln.sparse_weight}
         ins(%x, %w : tensor<128x64xf32>, tensor<64x32xf32>)
         outs(%acc : tensor<128x32xf32>) -> tensor<128x32xf32>
  return %y : tensor<128x32xf32>
}

// -----

// Unmarked: untouched.
// CHECK-LABEL: func.func @unmarked
// CHECK-NOT: sparse_tensor
// CHECK: linalg.matmul ins
func.func @unmarked(%x: tensor<128x64xf32>, %w: tensor<64x32xf32>, %acc: tensor<128x32xf32>) -> tensor<128x32xf32> {
  %y = linalg.matmul ins(%x, %w : tensor<128x64xf32>, tensor<64x32xf32>)
                     outs(%acc : tensor<128x32xf32>) -> tensor<128x32xf32>
  return %y : tensor<128x32xf32>
}

// -----

// Marked but not the plain f32 form (f16; a transposed operand): a remark,
// the marker dropped, the matmul left to the dense kernels.
// CHECK-LABEL: func.func @not_f32
// CHECK-NOT: sparse_tensor
// CHECK: linalg.matmul ins
// CHECK-NOT: kiln.sparse_weight
func.func @not_f32(%x: tensor<8x64xf16>, %w: tensor<64x32xf16>, %acc: tensor<8x32xf16>) -> tensor<8x32xf16> {
  // expected-remark @below {{not a static 2-D f32 matmul, left dense}}
  %y = linalg.matmul {kiln.sparse_weight}
         ins(%x, %w : tensor<8x64xf16>, tensor<64x32xf16>)
         outs(%acc : tensor<8x32xf16>) -> tensor<8x32xf16>
  return %y : tensor<8x32xf16>
}

// -----

// CHECK-LABEL: func.func @transposed_rhs
// CHECK-NOT: sparse_tensor
// CHECK: linalg.matmul
func.func @transposed_rhs(%x: tensor<8x64xf32>, %w: tensor<32x64xf32>, %acc: tensor<8x32xf32>) -> tensor<8x32xf32> {
  // expected-remark @below {{not a static 2-D f32 matmul, left dense}}
  %y = linalg.matmul
         indexing_maps = [affine_map<(m, n, k) -> (m, k)>,
                          affine_map<(m, n, k) -> (n, k)>,
                          affine_map<(m, n, k) -> (m, n)>]
         {kiln.sparse_weight}
         ins(%x, %w : tensor<8x64xf32>, tensor<32x64xf32>)
         outs(%acc : tensor<8x32xf32>) -> tensor<8x32xf32>
  return %y : tensor<8x32xf32>
}
