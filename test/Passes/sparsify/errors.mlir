// kiln-sparsify's diagnostics: bad options and programs it cannot sparsify
// fail with an error that names the problem.
// RUN: not kiln-opt %kiln_src/test/Inputs/sparsify_step.mlir --kiln-sparsify 2>&1 | FileCheck %s --check-prefix=NOMODE
// RUN: not kiln-opt %kiln_src/test/Inputs/sparsify_step.mlir --kiln-sparsify="mode=dense" 2>&1 | FileCheck %s --check-prefix=MODE
// RUN: not kiln-opt %kiln_src/test/Inputs/sparsify_step.mlir --kiln-sparsify="mode=magnitude sparsity=1.5" 2>&1 | FileCheck %s --check-prefix=SPARSITY
// RUN: not kiln-opt %kiln_src/test/Inputs/sparsify_step.mlir --kiln-sparsify="mode=magnitude start-step=10 end-step=5" 2>&1 | FileCheck %s --check-prefix=STEPS
// RUN: not kiln-opt %kiln_src/test/Inputs/sparsify_step.mlir --kiln-sparsify="mode=magnitude frequency=0" 2>&1 | FileCheck %s --check-prefix=FREQ
// RUN: not kiln-opt %kiln_src/test/Inputs/sparsify_step.mlir --kiln-sparsify="mode=nm n=4 m=4" 2>&1 | FileCheck %s --check-prefix=NM
// RUN: not kiln-opt %kiln_src/test/Inputs/sparsify_step.mlir --kiln-sparsify="mode=nm n=4 m=8" 2>&1 | FileCheck %s --check-prefix=PATTERNS
// RUN: not kiln-opt %kiln_src/test/Inputs/sparsify_step.mlir --kiln-sparsify="mode=rigl scope=global" 2>&1 | FileCheck %s --check-prefix=GLOBAL
// A step already differentiated (no request left) cannot be rewritten.
// RUN: kiln-opt %kiln_src/test/Inputs/sparsify_step.mlir --kiln-autodiff -o %t.mlir
// RUN: not kiln-opt %t.mlir --kiln-sparsify="mode=magnitude" 2>&1 | FileCheck %s --check-prefix=NOREQUEST
// No training step at all.
// RUN: not kiln-opt %s --kiln-sparsify="mode=magnitude" 2>&1 | FileCheck %s --check-prefix=NOSTEP
// make-train-step forwards a bad option string with its own name.
// RUN: not kiln-opt %s --kiln-make-train-step="loss=mse sparsify={mode=nm bogus=1}" 2>&1 | FileCheck %s --check-prefix=FORWARD

// NOMODE: error: kiln-sparsify: no mode (mode=magnitude, nm or rigl)
// MODE: error: kiln-sparsify: unknown mode 'dense' (magnitude, nm or rigl)
// SPARSITY: error: kiln-sparsify: sparsity must be in [0, 1), got 1.5
// STEPS: error: kiln-sparsify: need 0 <= start-step <= end-step, got 10 and 5
// FREQ: error: kiln-sparsify: frequency must be at least 1
// NM: error: kiln-sparsify: nm needs 1 <= n < m <= 16, got n=4 m=4
// PATTERNS: error: kiln-sparsify: @main: N:M masks with n=4 m=8 transposable have more than 4096 patterns per group (use a smaller m or transposable=false)
// GLOBAL: error: kiln-sparsify: scope=global is a magnitude-pruning option
// NOREQUEST: error: kiln-sparsify: @main: no kiln.gradient request
// NOSTEP: error: kiln-sparsify: no training step
// FORWARD: error: kiln-make-train-step: bad sparsify options 'mode=nm bogus=1'

func.func @main(%x: tensor<2x8xf32> {kiln.onnx_name = "x"}, %label: tensor<2x4xf32> {kiln.onnx_name = "label"}) -> (tensor<2x4xf32> {kiln.onnx_name = "y"}) {
  %w = kiln.constant {kiln.onnx_name = "W"} dense<5.000000e-01> : tensor<8x4xf32>
  %y = kiln.matmul %x, %w : tensor<2x8xf32>, tensor<8x4xf32> -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}
