// RUN: kiln-opt %s --convert-kiln-to-linalg --split-input-file --verify-diagnostics

// Only ops whose lowering is written for unsigned semantics accept `ui<N>`;
// any other is rejected before conversion instead of being lowered with
// signed semantics by accident (here: argmax compares signed).
func.func @argmax_unsigned(%x: tensor<4xui8>) -> tensor<i64> {
  // expected-error @+1 {{'kiln.argmax' op cannot be lowered to linalg: unsigned integer element types are not supported by this op}}
  %r = kiln.argmax %x {axis = 0 : i64, keep_dims = false, select_last = false} : tensor<4xui8> -> tensor<i64>
  return %r : tensor<i64>
}
