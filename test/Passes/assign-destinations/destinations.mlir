// kiln-assign-destinations: which destination each linalg op gets before
// one-shot bufferization (a private tensor.empty per user, or an input
// that dies at an elementwise op), and which inputs it must leave alone.
// RUN: kiln-opt %s -split-input-file --kiln-assign-destinations | FileCheck %s
// The bufferized form: the bias add and the relu update the matmul's
// buffer in place, so one buffer serves the whole chain.
// RUN: kiln-opt %s -split-input-file --kiln-assign-destinations --one-shot-bufferize="bufferize-function-boundaries" | FileCheck %s --check-prefix=BUF

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>

// A chain matmul -> bias add -> relu, each op with its own empty as the
// lowering makes them: the add writes into the matmul's result, the relu
// into the add's, and their empties disappear (without the pass, one-shot
// bufferization allocates three buffers here).
// CHECK-LABEL: func.func @chain(
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4x16xf32>
// CHECK-NEXT: %[[F:.*]] = linalg.fill {{.*}} outs(%[[E]]
// CHECK-NEXT: %[[M:.*]] = linalg.matmul {{.*}} outs(%[[F]]
// CHECK-NEXT: %[[A:.*]] = linalg.generic {{.*}} ins(%[[M]], %{{.*}} : tensor<4x16xf32>, tensor<16xf32>) outs(%[[M]] : tensor<4x16xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[A]] : tensor<4x16xf32>) outs(%[[A]] : tensor<4x16xf32>)
// CHECK-NOT: tensor.empty
// CHECK: return
// BUF-LABEL: func.func @chain(
// BUF-COUNT-1: memref.alloc()
// BUF-NOT: memref.alloc()
// BUF: return
func.func @chain(%x: tensor<4x8xf32>, %w: tensor<8x16xf32>, %b: tensor<16xf32>) -> tensor<4x16xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x16xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
  %m = linalg.matmul ins(%x, %w : tensor<4x8xf32>, tensor<8x16xf32>) outs(%f : tensor<4x16xf32>) -> tensor<4x16xf32>
  %e2 = tensor.empty() : tensor<4x16xf32>
  %e3 = tensor.empty() : tensor<4x16xf32>
  %a = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%m, %b : tensor<4x16xf32>, tensor<16xf32>) outs(%e2 : tensor<4x16xf32>) {
  ^bb0(%u: f32, %v: f32, %o: f32):
    %s = arith.addf %u, %v : f32
    linalg.yield %s : f32
  } -> tensor<4x16xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<4x16xf32>) outs(%e3 : tensor<4x16xf32>) {
  ^bb0(%u: f32, %o: f32):
    %s = arith.maximumf %u, %zero : f32
    linalg.yield %s : f32
  } -> tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// Left alone: a function argument (the caller's buffer), a value read
// again after the op, and a value that is also returned.
// The shared empty is split: each user gets its own, right before it.
// CHECK-LABEL: func.func @kept(
// CHECK: linalg.generic {{.*}} ins(%arg0 : tensor<8x8xf32>) outs(%[[E1:.*]] : tensor<8x8xf32>)
// CHECK: %[[E2:.*]] = tensor.empty() : tensor<8x8xf32>
// CHECK-NEXT: %[[N:.*]] = linalg.generic {{.*}} ins(%[[P:.*]] : tensor<8x8xf32>) outs(%[[E2]] : tensor<8x8xf32>)
// CHECK: %[[E3:.*]] = tensor.empty() : tensor<8x8xf32>
// CHECK-NEXT: linalg.generic {{.*}} ins(%[[P]] : tensor<8x8xf32>) outs(%[[E3]] : tensor<8x8xf32>)
// CHECK: return
func.func @kept(%x: tensor<8x8xf32>) -> (tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>) {
  %e = tensor.empty() : tensor<8x8xf32>
  // %x is an argument: never written.
  %p = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<8x8xf32>) outs(%e : tensor<8x8xf32>) {
  ^bb0(%u: f32, %o: f32):
    %s = arith.negf %u : f32
    linalg.yield %s : f32
  } -> tensor<8x8xf32>
  // %p is read again by the next op: not the last reader.
  %n = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%p : tensor<8x8xf32>) outs(%e : tensor<8x8xf32>) {
  ^bb0(%u: f32, %o: f32):
    %s = math.exp %u : f32
    linalg.yield %s : f32
  } -> tensor<8x8xf32>
  // The last reader of %p, but %p is also returned: not dying.
  %q = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%p : tensor<8x8xf32>) outs(%e : tensor<8x8xf32>) {
  ^bb0(%u: f32, %o: f32):
    %s = arith.addf %u, %u : f32
    linalg.yield %s : f32
  } -> tensor<8x8xf32>
  return %n, %q, %p : tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#tr = affine_map<(d0, d1) -> (d1, d0)>

// The last reader after earlier plain reads (softmax's shape: a reduction
// reads x, then the elementwise step writes into x). A transposed input
// has another indexing map than the output: not reused.
// CHECK-LABEL: func.func @last_reader(
// CHECK: %[[R:.*]] = linalg.reduce ins(%[[X:.*]] : tensor<4x4xf32>)
// CHECK: %[[S:.*]] = linalg.generic {{.*}} ins(%[[X]], %[[R]] : {{.*}}) outs(%[[X]] : tensor<4x4xf32>)
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4x4xf32>
// CHECK-NEXT: linalg.generic {{.*}} ins(%[[S]] : tensor<4x4xf32>) outs(%[[E]] : tensor<4x4xf32>)
#col = affine_map<(d0, d1) -> (d0)>
func.func @last_reader(%a: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x4xf32>
  %x = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<4x4xf32>) outs(%e : tensor<4x4xf32>) {
  ^bb0(%u: f32, %o: f32):
    %s = math.exp %u : f32
    linalg.yield %s : f32
  } -> tensor<4x4xf32>
  %re = tensor.empty() : tensor<4xf32>
  %rf = linalg.fill ins(%zero : f32) outs(%re : tensor<4xf32>) -> tensor<4xf32>
  %r = linalg.reduce ins(%x : tensor<4x4xf32>) outs(%rf : tensor<4xf32>) dimensions = [1]
    (%u: f32, %acc: f32) {
      %s = arith.addf %u, %acc : f32
      linalg.yield %s : f32
    }
  %s = linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %r : tensor<4x4xf32>, tensor<4xf32>) outs(%e : tensor<4x4xf32>) {
  ^bb0(%u: f32, %v: f32, %o: f32):
    %d = arith.divf %u, %v : f32
    linalg.yield %d : f32
  } -> tensor<4x4xf32>
  %t = linalg.generic {indexing_maps = [#tr, #id], iterator_types = ["parallel", "parallel"]}
      ins(%s : tensor<4x4xf32>) outs(%e : tensor<4x4xf32>) {
  ^bb0(%u: f32, %o: f32):
    linalg.yield %u : f32
  } -> tensor<4x4xf32>
  return %t : tensor<4x4xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// A zero accumulator merged by CSE: the matmul writes into it early, the
// reduction-style generic at the end also accumulates into it. Each writer
// gets its own fill right before it, so no zero buffer lives across the
// function (the original, left without users, goes away).
// CHECK-LABEL: func.func @shared_fill(
// CHECK-NOT: linalg.fill
// CHECK: %[[E1:.*]] = tensor.empty() : tensor<4x4xf32>
// CHECK-NEXT: %[[F1:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E1]] : tensor<4x4xf32>)
// CHECK-NEXT: linalg.matmul {{.*}} outs(%[[F1]] : tensor<4x4xf32>)
// CHECK: math.exp
// CHECK: %[[E2:.*]] = tensor.empty() : tensor<4x4xf32>
// CHECK-NEXT: %[[F2:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E2]] : tensor<4x4xf32>)
// CHECK-NEXT: linalg.generic {{.*}} outs(%[[F2]] : tensor<4x4xf32>)
// BUF-LABEL: func.func @shared_fill(
// BUF-NOT: memref.copy
// BUF: return
func.func @shared_fill(%a: tensor<4x4xf32>, %b: tensor<4x4xf32>) -> (tensor<4x4xf32>, tensor<4x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<4x4xf32>) -> tensor<4x4xf32>
  %m = linalg.matmul ins(%a, %b : tensor<4x4xf32>, tensor<4x4xf32>) outs(%z : tensor<4x4xf32>) -> tensor<4x4xf32>
  %x = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%m : tensor<4x4xf32>) outs(%e : tensor<4x4xf32>) {
  ^bb0(%u: f32, %o: f32):
    %s = math.exp %u : f32
    linalg.yield %s : f32
  } -> tensor<4x4xf32>
  %acc = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<4x4xf32>) outs(%z : tensor<4x4xf32>) {
  ^bb0(%u: f32, %o: f32):
    %s = arith.addf %u, %o : f32
    linalg.yield %s : f32
  } -> tensor<4x4xf32>
  return %x, %acc : tensor<4x4xf32>, tensor<4x4xf32>
}

// -----

// The same through a reshape (canonicalization moves a reshape of a fill
// onto its destination): two batched matmuls accumulate into one zero fill
// of a 2x4x2x2 view of a 2x4x4 empty. Each gets its own empty, reshape and
// fill; bufferized, nothing is copied (a shared one was copied for every
// matmul and stayed alive until the last).
// CHECK-LABEL: func.func @shared_fill_of_reshape(
// CHECK-NOT: linalg.fill
// CHECK: %[[E1:.*]] = tensor.empty() : tensor<2x4x4xf32>
// CHECK-NEXT: %[[R1:.*]] = tensor.expand_shape %[[E1]]
// CHECK-NEXT: %[[F1:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[R1]] : tensor<2x4x2x2xf32>)
// CHECK-NEXT: linalg.generic {{.*}} outs(%[[F1]] : tensor<2x4x2x2xf32>)
// CHECK: %[[E2:.*]] = tensor.empty() : tensor<2x4x4xf32>
// CHECK-NEXT: %[[R2:.*]] = tensor.expand_shape %[[E2]]
// CHECK-NEXT: %[[F2:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[R2]] : tensor<2x4x2x2xf32>)
// CHECK-NEXT: linalg.generic {{.*}} outs(%[[F2]] : tensor<2x4x2x2xf32>)
// BUF-LABEL: func.func @shared_fill_of_reshape(
// BUF-NOT: memref.copy
// BUF: return
#a = affine_map<(b, i, h, j, k) -> (b, i, h, k)>
#w = affine_map<(b, i, h, j, k) -> (b, k, h, j)>
#c = affine_map<(b, i, h, j, k) -> (b, i, h, j)>
func.func @shared_fill_of_reshape(%x: tensor<2x4x2x2xf32>, %w1: tensor<2x2x2x2xf32>, %w2: tensor<2x2x2x2xf32>) -> (tensor<2x4x2x2xf32>, tensor<2x4x2x2xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4x4xf32>
  %r = tensor.expand_shape %e [[0], [1], [2, 3]] output_shape [2, 4, 2, 2] : tensor<2x4x4xf32> into tensor<2x4x2x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%r : tensor<2x4x2x2xf32>) -> tensor<2x4x2x2xf32>
  %p = linalg.generic {indexing_maps = [#a, #w, #c], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%x, %w1 : tensor<2x4x2x2xf32>, tensor<2x2x2x2xf32>) outs(%z : tensor<2x4x2x2xf32>) {
  ^bb0(%u: f32, %v: f32, %o: f32):
    %m = arith.mulf %u, %v : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<2x4x2x2xf32>
  %q = linalg.generic {indexing_maps = [#a, #w, #c], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%p, %w2 : tensor<2x4x2x2xf32>, tensor<2x2x2x2xf32>) outs(%z : tensor<2x4x2x2xf32>) {
  ^bb0(%u: f32, %v: f32, %o: f32):
    %m = arith.mulf %u, %v : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<2x4x2x2xf32>
  return %p, %q : tensor<2x4x2x2xf32>, tensor<2x4x2x2xf32>
}
