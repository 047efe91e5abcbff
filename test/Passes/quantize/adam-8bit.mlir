// kiln-quantize mode=adam-8bit (through make-train-step's quantize=): Adam's
// moments of the 64x64 weight (4096 elements, at least min-8bit-elements)
// are stored as two blocks of 2048 i8 codes and an f32 absmax per block;
// the bias's 64-element moments stay f32. The step dequantizes each moment
// right before the update reads it and quantizes the new moment before the
// return; the init function starts from zero codes and scales.
// RUN: kiln-opt %s --kiln-make-train-step="loss=mse optimizer=adam quantize=adam-8bit" 2>/dev/null | FileCheck %s
// RUN: kiln-opt %s --kiln-make-train-step="loss=mse optimizer=adam quantize=adam-8bit" 2>&1 >/dev/null | FileCheck %s --check-prefix=REMARK
// With a precision: both rewrites, one remark each.
// RUN: kiln-opt %s --kiln-make-train-step="loss=mse optimizer=adam quantize=bf16,adam-8bit" 2>&1 >/dev/null | FileCheck %s --check-prefix=BOTH

func.func @main(%x: tensor<4x64xf32> {kiln.onnx_name = "x"})
    -> (tensor<4x64xf32> {kiln.onnx_name = "y"}) {
  %w = kiln.constant {kiln.onnx_name = "W"} dense<0.01> : tensor<64x64xf32>
  %b = kiln.constant {kiln.onnx_name = "b"} dense<0.0> : tensor<64xf32>
  %y = kiln.matmul %x, %w : tensor<4x64xf32>, tensor<64x64xf32> -> tensor<4x64xf32>
  %bb = kiln.broadcast %b : tensor<64xf32> to tensor<4x64xf32>
  %z = kiln.add %y, %bb : tensor<4x64xf32>
  return %z : tensor<4x64xf32>
}

// CHECK-LABEL: func.func @main(
// CHECK-SAME: %arg4: tensor<64xf32> {kiln.onnx_name = "b.V"}, %arg5: tensor<64xf32> {kiln.onnx_name = "b.H"}
// CHECK-SAME: %arg7: tensor<2x2048xi8> {kiln.onnx_name = "W.V.q8"}, %arg8: tensor<2xf32> {kiln.onnx_name = "W.V.absmax"}, %arg9: tensor<2x2048xi8> {kiln.onnx_name = "W.H.q8"}, %arg10: tensor<2xf32> {kiln.onnx_name = "W.H.absmax"}
// CHECK-SAME: tensor<2x2048xi8> {kiln.onnx_name = "W.V.q8_new"}, tensor<2xf32> {kiln.onnx_name = "W.V.absmax_new"}
// CHECK-SAME: kiln.update_binding = {W = "W_new", W.H.absmax = "W.H.absmax_new", W.H.q8 = "W.H.q8_new", W.V.absmax = "W.V.absmax_new", W.V.q8 = "W.V.q8_new", b = "b_new", b.H = "b.H_new", b.V = "b.V_new", step_count = "step_count_new"}
// Dequantize: sign(c) * absmax * (|c| / 127)^4, then back to the moment's shape.
// Read: code + 128 indexes the 256-value dynamic map, times the block's
// absmax.
// CHECK: %[[C:.*]] = kiln.cast %arg7 : tensor<2x2048xi8> to tensor<2x2048xi64>
// CHECK: %[[IDX:.*]] = kiln.add %[[C]], %{{.*}} : tensor<2x2048xi64>
// CHECK: %[[MAP:.*]] = kiln.constant dense<"0x{{[0-9A-F]+}}"> : tensor<256xf32>
// CHECK: %[[U:.*]] = kiln.gather %[[MAP]], %[[IDX]] {axis = 0 : i64} : (tensor<256xf32>, tensor<2x2048xi64>) -> tensor<2x2048xf32>
// CHECK: %[[S:.*]] = kiln.reshape %arg8 : tensor<2xf32> to tensor<2x1xf32>
// CHECK: %[[SB:.*]] = kiln.broadcast %[[S]] : tensor<2x1xf32> to tensor<2x2048xf32>
// CHECK: kiln.mul %[[U]], %[[SB]]
// CHECK: kiln.reshape %{{.*}} : tensor<4096xf32> to tensor<64x64xf32>
// Write: x / absmax, then a binary search over the map's midpoints: eight
// rounds of candidate = index + 128, 64, ..., 1, a gather of its boundary,
// a compare and a select.
// CHECK: %[[BLOCKS:.*]] = kiln.reshape %{{.*}} : tensor<4096xf32> to tensor<2x2048xf32>
// CHECK: %[[MAG:.*]] = kiln.abs %[[BLOCKS]]
// CHECK: %[[MAX:.*]] = kiln.reduce_max %[[MAG]] {axes = array<i64: 1>, keep_dims = false} : tensor<2x2048xf32> -> tensor<2xf32>
// CHECK: %[[UNIT:.*]] = kiln.div %[[BLOCKS]], %{{.*}} : tensor<2x2048xf32>
// CHECK: %[[BOUNDS:.*]] = kiln.constant dense<"0x000080BF{{[0-9A-F]+}}"> : tensor<256xf32>
// CHECK: kiln.constant dense<128> : tensor<2x2048xi64>
// CHECK: %[[CAND:.*]] = kiln.add
// CHECK: %[[B:.*]] = kiln.gather %[[BOUNDS]], %[[CAND]]
// CHECK: %[[GE:.*]] = kiln.compare ge, %[[UNIT]], %[[B]] : tensor<2x2048xf32>
// CHECK: kiln.select %[[GE]], %[[CAND]], %{{.*}} : tensor<2x2048xi1>, tensor<2x2048xi64>
// CHECK-COUNT-7: kiln.compare ge, %[[UNIT]]
// CHECK: %[[LAST:.*]] = kiln.select
// CHECK: %[[CODE:.*]] = kiln.sub %[[LAST]], %{{.*}} : tensor<2x2048xi64>
// CHECK: %[[CODES:.*]] = kiln.cast %[[CODE]] : tensor<2x2048xi64> to tensor<2x2048xi8>
// CHECK: return {{.*}}%[[CODES]], %[[MAX]]
// CHECK-LABEL: func.func @main_init()
// Zero is map index 127: code -1.
// CHECK: kiln.constant dense<-1> : tensor<2x2048xi8>
// CHECK: kiln.constant dense<0.000000e+00> : tensor<2xf32>

// By hand: f32 state = W's moments 2 x 4096 x 4 + b's 2 x 64 x 4 + the i64
// step 8 = 33288 bytes; after: codes 2 x 4096 x 1 + scales 2 x 2 x 4 + b's
// 512 + 8 = 8728 (26.2%).
// REMARK: remark: kiln-quantize: mode=adam-8bit quantized_tensors=2 f32_tensors=2 optimizer_state_bytes=33288->8728 (26.2% of f32)
// BOTH: remark: kiln-quantize: mode=bf16
// BOTH: remark: kiln-quantize: mode=adam-8bit quantized_tensors=2
