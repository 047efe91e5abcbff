//===- Passes.td - Graph passes over the kiln dialect ------*- tablegen -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Passes that transform programs within the kiln dialect (implemented one
// per file under passes/).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_TD
#define KILN_PASSES_TD

include "mlir/Pass/PassBase.td"

def KilnCostReport : Pass<"kiln-cost-report", "mlir::func::FuncOp"> {
  let summary = "Sums the FLOPs and bytes moved of every kiln op";
  let description = [{
    Asks every op that implements `CostOpInterface` for its FLOPs and bytes
    moved and reports the totals as pass statistics (and, with
    `emit-remarks`, as a remark on the function) so that the cost of a
    program is visible before and after a transformation.
  }];
  let options = [
    Option<"emitRemarks", "emit-remarks", "bool", "false",
           "Also emit a remark with the totals on each function">,
  ];
  let statistics = [
    Statistic<"numCostedOps", "costed-ops", "Ops that reported a cost">,
    Statistic<"numUncostedOps", "uncosted-ops",
              "Kiln ops whose cost is unknown (dynamic shapes)">,
    Statistic<"totalFlops", "flops", "Total arithmetic operations">,
    Statistic<"totalBytes", "bytes-moved", "Total bytes moved, unfused">,
  ];
}

def KilnMakeTrainStep : Pass<"kiln-make-train-step", "mlir::ModuleOp"> {
  let summary = "Turns an inference function into a training step";
  let description = [{
    Adds a loss on a named output against a new label argument, computes
    the gradients of the loss with respect to the trainable weights (float
    constants by default, which become arguments) with a `kiln.gradient`
    request (expanded by `--kiln-autodiff`, which this pass runs), and
    applies the chosen optimizer. The resulting function takes the original
    inputs, the label, the weights and the optimizer state, and returns the
    loss, the updated weights and the updated optimizer state.
  }];
  let options = [
    Option<"loss", "loss", "std::string", "\"cross-entropy\"",
           "Loss: cross-entropy (softmax cross-entropy on logits), nll "
           "(on log-probabilities) or mse">,
    Option<"output", "output", "std::string", "\"\"",
           "ONNX name of the output the loss applies to (default: the first)">,
    Option<"optimizer", "optimizer", "std::string", "\"sgd\"",
           "sgd, momentum, nesterov, adam or adagrad">,
    Option<"learningRate", "lr", "double", "0.01", "Learning rate">,
    Option<"momentum", "momentum", "double", "0.9", "Momentum coefficient">,
    Option<"beta1", "beta1", "double", "0.9", "Adam beta1">,
    Option<"beta2", "beta2", "double", "0.999", "Adam beta2">,
    Option<"epsilon", "epsilon", "double", "1e-8", "Adam/Adagrad epsilon">,
    Option<"weightDecay", "weight-decay", "double", "0.0",
           "L2 coefficient added to the gradient (ONNX norm_coefficient)">,
    ListOption<"trainable", "trainable", "std::string",
               "ONNX names of trainable weights (default: every float "
               "initializer)">,
  ];
  let statistics = [
    Statistic<"numTrainable", "trainable-weights", "Weights made trainable">,
  ];
}

def KilnAutodiff : Pass<"kiln-autodiff", "mlir::func::FuncOp"> {
  let summary = "Expands kiln.gradient requests by reverse-mode differentiation";
  let description = [{
    For every `kiln.gradient %y wrt %xs` in a function, walks the ops that
    compute `y` from the `xs` backwards and emits their gradient rules
    (`DifferentiableOpInterface`), accumulating gradients of values with
    several uses, then replaces the request by the gradients. Integer and
    boolean values get no gradient; `kiln.stop_gradient` and constants cut
    the flow. An op on the path without a rule is an error naming it.
  }];
  let statistics = [
    Statistic<"numRequests", "requests", "kiln.gradient ops expanded">,
    Statistic<"numRulesApplied", "rules", "Gradient rules applied">,
  ];
}

#endif // KILN_PASSES_TD
