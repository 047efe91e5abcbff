// kiln-cpu-matmul-kernels computes the product's elementwise reader on each
// register tile (fuse-epilogues): after the tile's k loop, the epilogue's
// body on vectors of the tile and of its other inputs' slices, written in
// place of C (its other results into tensors the loops carry next to C);
// the reader itself is gone. Readers it cannot take stay loop nests of
// their own.
// RUN: kiln-opt %s -split-input-file \
// RUN:   --pass-pipeline="builtin.module(func.func(kiln-cpu-matmul-kernels{num-threads=2}))" \
// RUN:   | FileCheck %s

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
// An activation-gradient mask (bytes) and a bias: one k block (K = 64).
func.func @mask_bias(%a: tensor<64x64xf32>, %b: tensor<64x128xf32>,
                     %m: tensor<64x128xi8>, %bias: tensor<128xf32>) -> tensor<64x128xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64x128xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<64x128xf32>) -> tensor<64x128xf32>
  %p = linalg.matmul ins(%a, %b : tensor<64x64xf32>, tensor<64x128xf32>)
                     outs(%f : tensor<64x128xf32>) -> tensor<64x128xf32>
  %r = linalg.generic {indexing_maps = [#id, #id, #row, #id],
                       iterator_types = ["parallel", "parallel"]}
      ins(%m, %p, %bias : tensor<64x128xi8>, tensor<64x128xf32>, tensor<128xf32>)
      outs(%e : tensor<64x128xf32>) {
  ^bb0(%mi: i8, %x: f32, %bi: f32, %o: f32):
    %t = arith.trunci %mi : i8 to i1
    %s = arith.addf %x, %bi : f32
    %v = arith.select %t, %s, %z : f32
    linalg.yield %v : f32
  } -> tensor<64x128xf32>
  return %r : tensor<64x128xf32>
}

// Two threads over the four 32-column panels; the tile's position in the
// product is the thread's panel plus the register tile's. The accumulator
// starts from the fill's zeros (no fill of C, one k block), the epilogue
// reads the mask and bias slices there, and the tile is written once.
// CHECK-LABEL: func.func @mask_bias
// CHECK-NOT: linalg.fill
// CHECK: scf.forall (%[[T:.*]]) = (0) to (4) step (2)
// CHECK: scf.for %[[N1:.*]] = %c0 to %c2 step %c1
// CHECK: scf.for %[[M:.*]] = %c0 to %c64 step %c8
// CHECK: %[[ACC:.*]] = scf.for %{{.*}} = %c0 to %c64 step %c1 iter_args(%{{.*}} = %cst) -> (vector<8x32xf32>)
// CHECK-NOT: scf.if
// CHECK: %[[P:.*]] = arith.addi %[[T]], %[[N1]] : index
// CHECK: %[[N:.*]] = arith.muli %[[P]], %c32 : index
// CHECK: tensor.extract_slice %arg2[%[[M]], %[[N]]] [8, 32] [1, 1] : tensor<64x128xi8> to tensor<8x32xi8>
// CHECK: tensor.extract_slice %arg3[%[[N]]] [32] [1] : tensor<128xf32> to tensor<32xf32>
// CHECK: vector.transfer_read %{{.*}} : tensor<8x32xi8>, vector<8x32xi8>
// CHECK: %[[MASK:.*]] = arith.trunci %{{.*}} : vector<8x32xi8> to vector<8x32xi1>
// CHECK: %[[B:.*]] = arith.addf %[[ACC]], %{{.*}} : vector<8x32xf32>
// CHECK: %[[R:.*]] = arith.select %[[MASK]], %[[B]], %cst : vector<8x32xi1>, vector<8x32xf32>
// CHECK: vector.transfer_write %[[R]]
// CHECK-NOT: vector.transfer_write
// CHECK: tensor.insert_slice
// CHECK-NOT: linalg.generic
// CHECK: return

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
// The reader uses its own output (an accumulation into %acc): not fused.
func.func @reads_output(%a: tensor<64x64xf32>, %b: tensor<64x128xf32>,
                        %acc: tensor<64x128xf32>) -> tensor<64x128xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64x128xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<64x128xf32>) -> tensor<64x128xf32>
  %p = linalg.matmul ins(%a, %b : tensor<64x64xf32>, tensor<64x128xf32>)
                     outs(%f : tensor<64x128xf32>) -> tensor<64x128xf32>
  %r = linalg.generic {indexing_maps = [#id, #id],
                       iterator_types = ["parallel", "parallel"]}
      ins(%p : tensor<64x128xf32>) outs(%acc : tensor<64x128xf32>) {
  ^bb0(%x: f32, %o: f32):
    %s = arith.addf %x, %o : f32
    linalg.yield %s : f32
  } -> tensor<64x128xf32>
  return %r : tensor<64x128xf32>
}

// CHECK-LABEL: func.func @reads_output
// CHECK: scf.forall
// CHECK: tensor.collapse_shape
// CHECK: linalg.generic
// CHECK: arith.addf

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
// The product has a second reader (returned too): not fused.
func.func @two_readers(%a: tensor<64x64xf32>, %b: tensor<64x128xf32>)
    -> (tensor<64x128xf32>, tensor<64x128xf32>) {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64x128xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<64x128xf32>) -> tensor<64x128xf32>
  %p = linalg.matmul ins(%a, %b : tensor<64x64xf32>, tensor<64x128xf32>)
                     outs(%f : tensor<64x128xf32>) -> tensor<64x128xf32>
  %r = linalg.generic {indexing_maps = [#id, #id],
                       iterator_types = ["parallel", "parallel"]}
      ins(%p : tensor<64x128xf32>) outs(%e : tensor<64x128xf32>) {
  ^bb0(%x: f32, %o: f32):
    %s = arith.maximumf %x, %z : f32
    linalg.yield %s : f32
  } -> tensor<64x128xf32>
  return %p, %r : tensor<64x128xf32>, tensor<64x128xf32>
}

// CHECK-LABEL: func.func @two_readers
// CHECK: scf.forall
// CHECK: tensor.collapse_shape
// CHECK: linalg.generic
// CHECK: arith.maximumf

// -----

#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#col = affine_map<(d0, d1, d2) -> (d2)>
// Read through a reshape of the rows ([4*32, 64] -> [4, 32, 64], a linear
// layer on a sequence): the tile's row offset is delinearized into
// (sequence, position) for the residual's slice in the bias-add's
// iteration space.
func.func @reshaped_rows(%a: tensor<128x64xf32>, %b: tensor<64x64xf32>,
                         %bias: tensor<64xf32>, %res: tensor<4x32x64xf32>)
    -> tensor<4x32x64xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<128x64xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<128x64xf32>) -> tensor<128x64xf32>
  %p = linalg.matmul ins(%a, %b : tensor<128x64xf32>, tensor<64x64xf32>)
                     outs(%f : tensor<128x64xf32>) -> tensor<128x64xf32>
  %x = tensor.expand_shape %p [[0, 1], [2]] output_shape [4, 32, 64]
      : tensor<128x64xf32> into tensor<4x32x64xf32>
  %e3 = tensor.empty() : tensor<4x32x64xf32>
  %r = linalg.generic {indexing_maps = [#id3, #col, #id3, #id3],
                       iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x, %bias, %res : tensor<4x32x64xf32>, tensor<64xf32>, tensor<4x32x64xf32>)
      outs(%e3 : tensor<4x32x64xf32>) {
  ^bb0(%v: f32, %bi: f32, %rv: f32, %o: f32):
    %s = arith.addf %v, %bi : f32
    %t = arith.addf %s, %rv : f32
    linalg.yield %t : f32
  } -> tensor<4x32x64xf32>
  return %r : tensor<4x32x64xf32>
}

// CHECK-LABEL: func.func @reshaped_rows
// CHECK: scf.forall
// CHECK: scf.for %[[M:.*]] = %c0 to %c128 step %c8
// CHECK: scf.for {{.*}} -> (vector<8x32xf32>)
// CHECK-DAG: %[[POS:.*]] = arith.remui %[[M]], %c32
// CHECK-DAG: %[[SEQ:.*]] = arith.divui %[[M]], %c32
// CHECK-DAG: tensor.extract_slice %arg2[%{{.*}}] [32] [1] : tensor<64xf32> to tensor<32xf32>
// CHECK-DAG: tensor.extract_slice %arg3[%[[SEQ]], %[[POS]], %{{.*}}] [1, 8, 32] [1, 1, 1] : tensor<4x32x64xf32> to tensor<1x8x32xf32>
// CHECK: arith.addf %{{.*}} : vector<1x8x32xf32>
// CHECK: arith.addf %{{.*}} : vector<1x8x32xf32>
// CHECK-NOT: linalg.generic
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0, 1], [2]] output_shape [4, 32, 64]
// CHECK-NEXT: return

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
// Two results, the activation and its mask (bytes), both written on the
// register tiles; the bias is computed after the matmul, so the kernel
// moves after it.
func.func @activation_and_mask(%a: tensor<64x64xf32>, %b: tensor<64x128xf32>,
                               %bias: tensor<128xf32>)
    -> (tensor<64x128xf32>, tensor<64x128xi8>) {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64x128xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<64x128xf32>) -> tensor<64x128xf32>
  %p = linalg.matmul ins(%a, %b : tensor<64x64xf32>, tensor<64x128xf32>)
                     outs(%f : tensor<64x128xf32>) -> tensor<64x128xf32>
  %eb = tensor.empty() : tensor<128xf32>
  %b2 = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>],
                        iterator_types = ["parallel"]}
      ins(%bias : tensor<128xf32>) outs(%eb : tensor<128xf32>) {
  ^bb0(%x: f32, %o: f32):
    %s = arith.addf %x, %x : f32
    linalg.yield %s : f32
  } -> tensor<128xf32>
  %em = tensor.empty() : tensor<64x128xi8>
  %r:2 = linalg.generic {indexing_maps = [#id, #row, #id, #id],
                         iterator_types = ["parallel", "parallel"]}
      ins(%p, %b2 : tensor<64x128xf32>, tensor<128xf32>)
      outs(%p, %em : tensor<64x128xf32>, tensor<64x128xi8>) {
  ^bb0(%x: f32, %bi: f32, %o: f32, %om: i8):
    %s = arith.addf %x, %bi : f32
    %c = arith.cmpf ogt, %s, %z : f32
    %v = arith.select %c, %s, %z : f32
    %m = arith.extui %c : i1 to i8
    linalg.yield %v, %m : f32, i8
  } -> (tensor<64x128xf32>, tensor<64x128xi8>)
  return %r#0, %r#1 : tensor<64x128xf32>, tensor<64x128xi8>
}

// CHECK-LABEL: func.func @activation_and_mask
// CHECK: %[[BIAS:.*]] = linalg.generic
// CHECK: %[[MASKS:.*]] = tensor.empty() : tensor<64x128xi8>
// CHECK: %[[MASKS3:.*]] = tensor.expand_shape %[[MASKS]] {{\[}}[0], [1, 2]] output_shape [64, 4, 32]
// CHECK: %[[K:.*]]:2 = scf.forall {{.*}} shared_outs(%{{.*}} = %{{.*}}, %{{.*}} = %[[MASKS3]]) -> (tensor<64x4x32xf32>, tensor<64x4x32xi8>)
// CHECK: %[[ACC:.*]] = scf.for {{.*}} -> (vector<8x32xf32>)
// CHECK: tensor.extract_slice %[[BIAS]]
// CHECK: %[[S:.*]] = arith.addf %[[ACC]], %{{.*}} : vector<8x32xf32>
// CHECK: %[[C:.*]] = arith.cmpf ogt, %[[S]], %cst : vector<8x32xf32>
// CHECK: %[[M:.*]] = arith.extui %[[C]] : vector<8x32xi1> to vector<8x32xi8>
// CHECK: vector.transfer_write %{{.*}} : vector<8x32xf32>, tensor<8x32xf32>
// CHECK: vector.transfer_write %[[M]], %{{.*}} : vector<8x32xi8>, tensor<8x32xi8>
// CHECK-NOT: linalg.generic
// CHECK: %[[R1:.*]] = tensor.collapse_shape %[[K]]#1 {{\[}}[0], [1, 2]] : tensor<64x4x32xi8> into tensor<64x128xi8>
// CHECK: return %{{.*}}, %[[R1]]

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
// The bias is computed after the matmul, by an op that overwrites B in
// place: moving the matmul after it would make B a copy, so the epilogue
// stays a loop nest of its own.
func.func @overwritten_operand(%a: tensor<64x64xf32>, %b: tensor<64x128xf32>)
    -> (tensor<64x128xf32>, tensor<64x128xf32>) {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64x128xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<64x128xf32>) -> tensor<64x128xf32>
  %p = linalg.matmul ins(%a, %b : tensor<64x64xf32>, tensor<64x128xf32>)
                     outs(%f : tensor<64x128xf32>) -> tensor<64x128xf32>
  %b2 = linalg.generic {indexing_maps = [#id, #id],
                        iterator_types = ["parallel", "parallel"]}
      ins(%b : tensor<64x128xf32>) outs(%b : tensor<64x128xf32>) {
  ^bb0(%x: f32, %o: f32):
    %s = arith.addf %x, %x : f32
    linalg.yield %s : f32
  } -> tensor<64x128xf32>
  %row = tensor.extract_slice %b2[0, 0] [1, 128] [1, 1] : tensor<64x128xf32> to tensor<128xf32>
  %r = linalg.generic {indexing_maps = [#id, #row, #id],
                       iterator_types = ["parallel", "parallel"]}
      ins(%p, %row : tensor<64x128xf32>, tensor<128xf32>)
      outs(%p : tensor<64x128xf32>) {
  ^bb0(%x: f32, %bi: f32, %o: f32):
    %s = arith.addf %x, %bi : f32
    linalg.yield %s : f32
  } -> tensor<64x128xf32>
  return %r, %b2 : tensor<64x128xf32>, tensor<64x128xf32>
}

// CHECK-LABEL: func.func @overwritten_operand
// CHECK: scf.forall
// CHECK: linalg.generic {{.*}} ins(%arg1 : tensor<64x128xf32>) outs(%arg1 : tensor<64x128xf32>)
// CHECK: linalg.generic
// CHECK: arith.addf

// -----

#id4 = affine_map<(n, c, h, w) -> (n, c, h, w)>
#chan = affine_map<(n, c, h, w) -> (0, c, 0, 0)>
// One image of a convolution (kiln-cpu-conv-to-gemm's tile): the product
// [C, H*W] is read as [1, C, H, W], its columns split; a bias per channel
// (a broadcast through constant-0 map results) and a ReLU. The reader's
// (h, w) dims are collapsed into the product's columns, so the kernel
// computes it on its tiles: a [1, C, H*W] view of the product, the bias
// collapsed to [C].
func.func @split_columns(%w: tensor<32x72xf32>, %cols: tensor<72x256xf32>,
                         %bias: tensor<1x32x1x1xf32>) -> tensor<1x32x16x16xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<32x256xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<32x256xf32>) -> tensor<32x256xf32>
  %p = linalg.matmul ins(%w, %cols : tensor<32x72xf32>, tensor<72x256xf32>)
                     outs(%f : tensor<32x256xf32>) -> tensor<32x256xf32>
  %x = tensor.expand_shape %p [[0, 1], [2, 3]] output_shape [1, 32, 16, 16]
      : tensor<32x256xf32> into tensor<1x32x16x16xf32>
  %r = linalg.generic {indexing_maps = [#id4, #chan, #id4],
                       iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %bias : tensor<1x32x16x16xf32>, tensor<1x32x1x1xf32>)
      outs(%x : tensor<1x32x16x16xf32>) {
  ^bb0(%v: f32, %bi: f32, %o: f32):
    %s = arith.addf %v, %bi : f32
    %t = arith.maximumf %s, %z : f32
    linalg.yield %t : f32
  } -> tensor<1x32x16x16xf32>
  return %r : tensor<1x32x16x16xf32>
}

// CHECK-LABEL: func.func @split_columns
// CHECK: %[[B:.*]] = tensor.collapse_shape %arg2 {{\[}}[0, 1, 2, 3]] : tensor<1x32x1x1xf32> into tensor<32xf32>
// CHECK: scf.forall
// CHECK: scf.for {{.*}} -> (vector<8x32xf32>)
// CHECK: tensor.extract_slice %[[B]]
// CHECK: arith.addf %{{.*}} : vector<1x8x32xf32>
// CHECK: arith.maximumf %{{.*}} : vector<1x8x32xf32>
// CHECK-NOT: linalg.generic
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0, 1], [2, 3]] output_shape [1, 32, 16, 16]
// CHECK-NEXT: return

// -----

#id4 = affine_map<(b, s, h, d) -> (b, s, h, d)>
#head = affine_map<(b, s, h, d) -> (h, d)>
// A projection read per attention head ([B*S, H*D] as [B, S, H, D], rows
// and columns split) with its bias per (head, dim): the reader's (h, d)
// dims are collapsed (the bias with them, to [H*D]), so the bias add is the
// kernel's epilogue, read through the rows' reshape only.
func.func @per_head_bias(%x: tensor<64x32xf32>, %w: tensor<32x64xf32>,
                         %bias: tensor<4x16xf32>) -> tensor<2x32x4x16xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64x64xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<64x64xf32>) -> tensor<64x64xf32>
  %p = linalg.matmul ins(%x, %w : tensor<64x32xf32>, tensor<32x64xf32>)
                     outs(%f : tensor<64x64xf32>) -> tensor<64x64xf32>
  %q = tensor.expand_shape %p [[0, 1], [2, 3]] output_shape [2, 32, 4, 16]
      : tensor<64x64xf32> into tensor<2x32x4x16xf32>
  %r = linalg.generic {indexing_maps = [#id4, #head, #id4],
                       iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%q, %bias : tensor<2x32x4x16xf32>, tensor<4x16xf32>)
      outs(%q : tensor<2x32x4x16xf32>) {
  ^bb0(%v: f32, %bi: f32, %o: f32):
    %s = arith.addf %v, %bi : f32
    linalg.yield %s : f32
  } -> tensor<2x32x4x16xf32>
  return %r : tensor<2x32x4x16xf32>
}

// CHECK-LABEL: func.func @per_head_bias
// CHECK: %[[B:.*]] = tensor.collapse_shape %arg2 {{\[}}[0, 1]] : tensor<4x16xf32> into tensor<64xf32>
// CHECK: scf.forall
// CHECK: scf.for {{.*}} -> (vector<8x32xf32>)
// CHECK: tensor.extract_slice %[[B]]
// CHECK: arith.addf %{{.*}} : vector<1x8x32xf32>
// CHECK-NOT: linalg.generic
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0, 1], [2, 3]] output_shape [2, 32, 4, 16]
// CHECK-NEXT: return
