// kiln-cost-report sums CostOpInterface over each function and, with
// emit-remarks, reports the totals as a remark on the function. Every
// expected number below is worked out by hand: a multiply-add is 2 FLOPs,
// an elementwise op 1 per result element, a reduction 1 per input element,
// softmax 5 per element, pooling kernel-size per output element; bytes
// moved are every operand and result at their element size, unfused.
// RUN: kiln-opt %s -split-input-file --kiln-cost-report=emit-remarks -verify-diagnostics -o /dev/null

// Without emit-remarks the pass is silent, and it never changes the IR.
// RUN: kiln-opt %s -split-input-file --kiln-cost-report 2>&1 | FileCheck %s --check-prefix=QUIET
// QUIET-NOT: remark: kiln cost
// QUIET-LABEL: func.func @matmul
// QUIET-NEXT: kiln.matmul %arg0, %arg1 : tensor<4x8xf32>, tensor<8x16xf32> -> tensor<4x16xf32>
// QUIET-LABEL: func.func @layer
// QUIET-NEXT: kiln.matmul
// QUIET-NEXT: kiln.broadcast
// QUIET-NEXT: kiln.add
// QUIET-NEXT: kiln.relu

// matmul [4,8] x [8,16]: 2*M*N*K = 2*4*16*8 = 1024 FLOPs;
// bytes (4*8 + 8*16 + 4*16) * 4 = 896.
// expected-remark @+1 {{kiln cost: 1024 flops, 896 bytes moved unfused, over 1 ops (0 without a static cost)}}
func.func @matmul(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>) -> tensor<4x16xf32> {
  %0 = kiln.matmul %a, %b : tensor<4x8xf32>, tensor<8x16xf32> -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// -----

// Batched: 2 * (batch 2 * M 3 * N 5) * K 4 = 240; bytes (24 + 40 + 30) * 4 = 376.
// expected-remark @+1 {{kiln cost: 240 flops, 376 bytes moved unfused, over 1 ops}}
func.func @batched_matmul(%a: tensor<2x3x4xf32>, %b: tensor<2x4x5xf32>) -> tensor<2x3x5xf32> {
  %0 = kiln.matmul %a, %b : tensor<2x3x4xf32>, tensor<2x4x5xf32> -> tensor<2x3x5xf32>
  return %0 : tensor<2x3x5xf32>
}

// -----

// conv2d [1,3,8,8] * [4,3,3,3], stride 1, no padding -> [1,4,6,6]:
// 144 outputs, each a 3*3*3 = 27-term dot product: 2 * 144 * 27 = 7776;
// bytes (192 + 108 + 144) * 4 = 1776.
// expected-remark @+1 {{kiln cost: 7776 flops, 1776 bytes moved unfused, over 1 ops}}
func.func @conv2d(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> {
  %0 = kiln.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32> -> tensor<1x4x6x6xf32>
  return %0 : tensor<1x4x6x6xf32>
}

// -----

// Grouped, strided and padded: [2,4,8,8] * [8,2,3,3], groups 2, stride 2,
// pad 1 -> [2,8,4,4] = 256 outputs of a (4/2)*3*3 = 18-term dot product:
// 2 * 256 * 18 = 9216; bytes (512 + 144 + 256) * 4 = 3648.
// expected-remark @+1 {{kiln cost: 9216 flops, 3648 bytes moved unfused, over 1 ops}}
func.func @grouped_conv2d(%x: tensor<2x4x8x8xf32>, %w: tensor<8x2x3x3xf32>) -> tensor<2x8x4x4xf32> {
  %0 = kiln.conv2d %x, %w {strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, groups = 2 : i64} : tensor<2x4x8x8xf32>, tensor<8x2x3x3xf32> -> tensor<2x8x4x4xf32>
  return %0 : tensor<2x8x4x4xf32>
}

// -----

// No filters at all: 0 FLOPs (and no division by zero: F = 0).
// bytes (192 + 0 + 0) * 4 = 768.
// expected-remark @+1 {{kiln cost: 0 flops, 768 bytes moved unfused, over 1 ops (0 without a static cost)}}
func.func @conv2d_no_filters(%x: tensor<1x3x8x8xf32>, %w: tensor<0x3x3x3xf32>) -> tensor<1x0x6x6xf32> {
  %0 = kiln.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, groups = 1 : i64} : tensor<1x3x8x8xf32>, tensor<0x3x3x3xf32> -> tensor<1x0x6x6xf32>
  return %0 : tensor<1x0x6x6xf32>
}

// -----

// Elementwise add of [4,16] f32: 64 FLOPs; bytes 3 * 64 * 4 = 768.
// expected-remark @+1 {{kiln cost: 64 flops, 768 bytes moved unfused, over 1 ops}}
func.func @add(%a: tensor<4x16xf32>, %b: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %0 = kiln.add %a, %b : tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// -----

// Bytes follow the element type: f16 is 2 bytes, i1 one byte.
// exp f16 [10]: 10 FLOPs, (10 + 10) * 2 = 40 bytes;
// compare f32 [8] -> i1: 8 FLOPs, 32 + 32 + 8 = 72 bytes.
// expected-remark @+1 {{kiln cost: 18 flops, 112 bytes moved unfused, over 2 ops}}
func.func @element_sizes(%h: tensor<10xf16>, %a: tensor<8xf32>) -> (tensor<10xf16>, tensor<8xi1>) {
  %0 = kiln.exp %h : tensor<10xf16>
  %1 = kiln.compare lt, %a, %a : tensor<8xf32>
  return %0, %1 : tensor<10xf16>, tensor<8xi1>
}

// -----

// Data movement is free in FLOPs but not in bytes: broadcast [16] -> [4,16]
// moves (16 + 64) * 4 = 320 bytes; constants have no cost.
// expected-remark @+1 {{kiln cost: 0 flops, 320 bytes moved unfused, over 1 ops (0 without a static cost)}}
func.func @broadcast(%v: tensor<16xf32>) -> tensor<4x16xf32> {
  %c = kiln.constant dense<1.0> : tensor<16xf32>
  %0 = kiln.broadcast %v : tensor<16xf32> to tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// -----

// reduce_sum [4,16] -> [4]: one op per input element = 64; bytes 256 + 16.
// softmax [4,3]: 5 per element = 60; bytes 48 + 48.
// max_pool2d [1,1,4,4], 2x2 window, stride 2 -> [1,1,2,2]: 4 outputs * 4 =
// 16; bytes (16 + 4) * 4 = 80.
// Total: 140 FLOPs, 272 + 96 + 80 = 448 bytes.
// expected-remark @+1 {{kiln cost: 140 flops, 448 bytes moved unfused, over 3 ops}}
func.func @reduce_softmax_pool(%a: tensor<4x16xf32>, %s: tensor<4x3xf32>, %p: tensor<1x1x4x4xf32>)
    -> (tensor<4xf32>, tensor<4x3xf32>, tensor<1x1x2x2xf32>) {
  %0 = kiln.reduce_sum %a {axes = array<i64: 1>, keep_dims = false} : tensor<4x16xf32> -> tensor<4xf32>
  %1 = kiln.softmax %s {axis = 1 : i64} : tensor<4x3xf32>
  %2 = kiln.max_pool2d %p {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : tensor<1x1x4x4xf32> -> tensor<1x1x2x2xf32>
  return %0, %1, %2 : tensor<4xf32>, tensor<4x3xf32>, tensor<1x1x2x2xf32>
}

// -----

// A small MLP layer: matmul 2*4*16*8 = 1024, bias add 64, relu 64;
// bytes 896 + broadcast (16 + 64) * 4 = 320 + add 768 + relu 512 = 2496.
// expected-remark @+1 {{kiln cost: 1152 flops, 2496 bytes moved unfused, over 4 ops (0 without a static cost)}}
func.func @layer(%x: tensor<4x8xf32>, %w: tensor<8x16xf32>, %b: tensor<16xf32>) -> tensor<4x16xf32> {
  %0 = kiln.matmul %x, %w : tensor<4x8xf32>, tensor<8x16xf32> -> tensor<4x16xf32>
  %1 = kiln.broadcast %b : tensor<16xf32> to tensor<4x16xf32>
  %2 = kiln.add %0, %1 : tensor<4x16xf32>
  %3 = kiln.relu %2 : tensor<4x16xf32>
  return %3 : tensor<4x16xf32>
}

// -----

// A dynamic dimension leaves an op without a static cost: it is counted
// apart and adds nothing to the totals.
// expected-remark @+1 {{kiln cost: 64 flops, 768 bytes moved unfused, over 1 ops (2 without a static cost)}}
func.func @dynamic(%a: tensor<?x16xf32>, %m: tensor<?x8xf32>, %w: tensor<8x16xf32>, %s: tensor<4x16xf32>) -> (tensor<?x16xf32>, tensor<?x16xf32>, tensor<4x16xf32>) {
  %0 = kiln.add %a, %a : tensor<?x16xf32>
  %1 = kiln.matmul %m, %w : tensor<?x8xf32>, tensor<8x16xf32> -> tensor<?x16xf32>
  %2 = kiln.mul %s, %s : tensor<4x16xf32>
  return %0, %1, %2 : tensor<?x16xf32>, tensor<?x16xf32>, tensor<4x16xf32>
}

// -----

// Without kiln ops: zero everywhere, still reported.
// expected-remark @+1 {{kiln cost: 0 flops, 0 bytes moved unfused, over 0 ops (0 without a static cost)}}
func.func @empty(%a: tensor<4xf32>) -> tensor<4xf32> {
  return %a : tensor<4xf32>
}
