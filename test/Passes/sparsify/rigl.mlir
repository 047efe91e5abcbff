// kiln-sparsify mode=rigl: at start-step each weight keeps its largest
// 1 - sparsity (a magnitude threshold); every `frequency` steps after it,
// until end-step, the smallest active magnitudes of the updated weight are
// dropped and as many inactive entries with the largest dense gradient
// (the gradient of w * mask, which the request now also asks for) grow.
// RUN: kiln-opt %kiln_src/test/Inputs/sparsify_step.mlir --kiln-sparsify="mode=rigl sparsity=0.75 end-step=10 frequency=2" 2>%t.remarks | FileCheck %s
// RUN: FileCheck %s --check-prefix=REMARK < %t.remarks

// CHECK-LABEL: func.func @main(
// The initial mask: a threshold at the start step only.
// CHECK: %[[F0:.*]] = kiln.stop_gradient %arg2
// CHECK: %[[T0:.*]] = kiln.magnitude_threshold %{{.*}} of %[[F0]]
// CHECK: %[[E0:.*]] = kiln.mul %arg2, %[[MASK0:[0-9]+]]
// CHECK: %[[E1:.*]] = kiln.mul %arg4, %[[MASK1:[0-9]+]]
// The request also differentiates the masked weights (dense gradients).
// CHECK: %[[G:.*]]:5 = kiln.gradient %{{.*}} wrt %arg2, %arg3, %arg4, %[[E0]], %[[E1]]
// CHECK: %[[U0:.*]] = kiln.sub %arg2,
// The update fraction decays with a cosine.
// CHECK: kiln.cos
// Drop: active entries scored by |updated weight|, inactive ones by +inf.
// CHECK: %[[ACTIVE:.*]] = kiln.compare gt, %[[MASK0]],
// CHECK: %[[FU0:.*]] = kiln.stop_gradient %[[U0]]
// CHECK: %[[MAG:.*]] = kiln.abs %[[FU0]]
// CHECK: %[[INF:.*]] = kiln.constant dense<0x7F800000> : tensor<8x4xf32>
// CHECK: %[[DS:.*]] = kiln.select %[[ACTIVE]], %[[MAG]], %[[INF]]
// CHECK: %[[DT:.*]] = kiln.magnitude_threshold %{{.*}} of %[[DS]]
// CHECK: %[[KEPT:.*]] = kiln.and %[[ACTIVE]],
// Grow: the others scored by |dense gradient|.
// CHECK: %[[DG:.*]] = kiln.abs %[[G]]#3
// CHECK: %[[GS:.*]] = kiln.select %[[KEPT]], %{{.*}}, %[[DG]]
// CHECK: kiln.magnitude_threshold %{{.*}} of %[[GS]]
// CHECK: %[[NEXT0:.*]] = kiln.select %{{.*}}, %{{.*}}, %[[MASK0]]
// CHECK: kiln.mul %[[U0]], %[[NEXT0]]
// CHECK: kiln.abs %[[G]]#4

// REMARK: remark: kiln-sparsify: mode=rigl pruned_weights=2 forward_flops=256 avoidable_flops=192 (75.0%) sparse_products=0; W0 8x4 sparsity=0.750; W1 8x4 sparsity=0.750
