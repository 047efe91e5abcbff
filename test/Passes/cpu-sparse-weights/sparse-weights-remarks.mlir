// kiln-cpu-sparse-weights on marked matmuls it cannot take (not the plain
// static 2-D f32 form): a remark each, the kiln.sparse_weight marker
// dropped (kiln-cpu-matmul-kernels skips marked matmuls), the matmul left
// as it was for the dense kernels.
// RUN: kiln-opt %s -split-input-file -verify-diagnostics \
// RUN:   --pass-pipeline="builtin.module(func.func(kiln-cpu-sparse-weights))" \
// RUN:   | FileCheck %s

// f16 operands.
// CHECK-LABEL: func.func @not_f32
// CHECK-NOT: sparse_tensor
// CHECK: linalg.matmul ins
// CHECK-NOT: kiln.sparse_weight
func.func @not_f32(%x: tensor<8x64xf16>, %w: tensor<64x32xf16>, %acc: tensor<8x32xf16>) -> tensor<8x32xf16> {
  // expected-remark @below {{not a static 2-D f32 matmul with a dense or CSC weight, left as it is}}
  %y = linalg.matmul {kiln.sparse_weight}
         ins(%x, %w : tensor<8x64xf16>, tensor<64x32xf16>)
         outs(%acc : tensor<8x32xf16>) -> tensor<8x32xf16>
  return %y : tensor<8x32xf16>
}

// -----

// A transposed right-hand side (user-defined indexing maps).
// CHECK-LABEL: func.func @transposed_rhs
// CHECK-NOT: sparse_tensor
// CHECK: linalg.matmul
// CHECK-NOT: kiln.sparse_weight
func.func @transposed_rhs(%x: tensor<8x64xf32>, %w: tensor<32x64xf32>, %acc: tensor<8x32xf32>) -> tensor<8x32xf32> {
  // expected-remark @below {{not a static 2-D f32 matmul with a dense or CSC weight, left as it is}}
  %y = linalg.matmul
         indexing_maps = [affine_map<(m, n, k) -> (m, k)>,
                          affine_map<(m, n, k) -> (n, k)>,
                          affine_map<(m, n, k) -> (m, n)>]
         {kiln.sparse_weight}
         ins(%x, %w : tensor<8x64xf32>, tensor<32x64xf32>)
         outs(%acc : tensor<8x32xf32>) -> tensor<8x32xf32>
  return %y : tensor<8x32xf32>
}

// -----

// A weight stored sparse but not as CSC (CSR: rows compressed).
// CHECK-LABEL: func.func @stored_csr
// CHECK: linalg.matmul ins
// CHECK-NOT: kiln.sparse_weight
#CSR = #sparse_tensor.encoding<{ map = (i, j) -> (i : dense, j : compressed) }>
func.func @stored_csr(%x: tensor<128x64xf32>, %w: tensor<64x32xf32, #CSR>, %acc: tensor<128x32xf32>) -> tensor<128x32xf32> {
  // expected-remark @below {{not a static 2-D f32 matmul with a dense or CSC weight, left as it is}}
  %y = linalg.matmul {kiln.sparse_weight}
         ins(%x, %w : tensor<128x64xf32>, tensor<64x32xf32, #CSR>)
         outs(%acc : tensor<128x32xf32>) -> tensor<128x32xf32>
  return %y : tensor<128x32xf32>
}
