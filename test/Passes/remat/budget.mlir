// kiln-remat's budgets: one that the current order meets changes nothing,
// one below the lower bound (the largest op with its inputs) is an error
// that says so, and the options are checked.
// RUN: kiln-opt %s --kiln-remat="budget-bytes=512 measure-arena=0" -verify-diagnostics
// RUN: not kiln-opt %s --kiln-remat="budget-bytes=511 measure-arena=0" 2>&1 | FileCheck %s --check-prefix=LOW
// RUN: not kiln-opt %s --kiln-remat="budget-fraction=0.5 budget-bytes=100" 2>&1 | FileCheck %s --check-prefix=BOTH
// RUN: not kiln-opt %s --kiln-remat="budget-fraction=0.5 method=magic" 2>&1 | FileCheck %s --check-prefix=METHOD

// a and b are both read by the last op: 512 bytes is the least any order
// can peak at (c is the result, an out-param).
// expected-remark @below {{kiln-remat: tensor peak 512 bytes is within the budget of 512 bytes; nothing to do}}
func.func @fits(%x: tensor<64xf32>) -> tensor<64xf32> {
  %a = kiln.exp %x : tensor<64xf32>
  %b = kiln.tanh %a : tensor<64xf32>
  %c = kiln.mul %a, %b : tensor<64xf32>
  return %c : tensor<64xf32>
}

// LOW: error: kiln-remat: cannot fit the tensor peak of 512 bytes into the budget of 511 bytes: budget below lower bound (the lower bound is 512 bytes: the largest op with its inputs)
// BOTH: error: kiln-remat: give one of budget-fraction (> 0) or budget-bytes (> 0)
// METHOD: error: kiln-remat: unknown method 'magic' (auto, chain, exact or heuristic)
