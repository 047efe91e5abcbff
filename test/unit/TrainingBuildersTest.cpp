//===- TrainingBuildersTest.cpp - Tests of the lib/Training builders ------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Each builder of include/kiln/Training is called on a fresh function, the
// function is lowered and JIT-run on the CPU, and the numbers are compared
// with the ONNX spec's formulas evaluated here in double precision on small
// hand-picked inputs (losses with weights, ignore_index and N,C,d layouts;
// every optimizer on its first and a later step; batch and layer
// normalization; pruning masks: the magnitude threshold against
// std::nth_element, N:M masks against a brute-force search over all 0/1
// blocks; 8-bit block-wise state: the dynamic map against bitsandbytes'
// construction, its quantizer against a brute-force nearest-value search).
// Bad operands must give a diagnostic, not an abort.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/CPU/JitExecutor.h"
#include "kiln/Codegen/CPU/Pipeline.h"
#include "kiln/Conversion/Passes.h"
#include "kiln/Dialect/Kiln/KilnDialect.h"
#include "kiln/Dialect/Kiln/KilnOps.h"
#include "kiln/Training/BatchNorm.h"
#include "kiln/Training/BlockQuantizedState.h"
#include "kiln/Training/LayerNorm.h"
#include "kiln/Training/Losses.h"
#include "kiln/Training/Optimizers.h"
#include "kiln/Training/PruningMasks.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>

using namespace kiln;
using namespace kiln::training;
using rt::DType;

namespace {

using Shape = std::vector<int64_t>;

/// One argument of a test program: its values, shape and element type.
struct Arg {
  DType dtype;
  Shape shape;
  std::vector<double> values;
};
Arg f32(Shape shape, std::vector<double> values) {
  return {DType::F32, std::move(shape), std::move(values)};
}
Arg scalarF32(double v) { return {DType::F32, {}, {v}}; }
Arg i64(Shape shape, std::vector<double> values) {
  return {DType::I64, std::move(shape), std::move(values)};
}
Arg scalarI64(int64_t v) { return {DType::I64, {}, {static_cast<double>(v)}}; }

using BodyFn = std::function<mlir::FailureOr<llvm::SmallVector<mlir::Value>>(
    mlir::OpBuilder &, mlir::Location, mlir::ValueRange)>;

class TrainingBuildersTest : public ::testing::Test {
public:
  TrainingBuildersTest() : context(makeRegistry()) {
    context.loadAllAvailableDialects();
  }

  static mlir::DialectRegistry makeRegistry() {
    mlir::DialectRegistry registry;
    registry.insert<KilnDialect, mlir::func::FuncDialect>();
    cpu::registerCPUPipelineDependencies(registry);
    return registry;
  }

  mlir::Type elementType(DType dtype) {
    mlir::Builder b(&context);
    return dtype == DType::F32 ? mlir::Type(b.getF32Type())
                               : mlir::Type(b.getI64Type());
  }

  /// Builds @main(args) with `body`, lowers it and runs it on the args;
  /// returns each result as doubles. Empty on failure (the test fails).
  std::vector<std::vector<double>> run(const std::vector<Arg> &args,
                                       const BodyFn &body) {
    diagnostics.clear();
    mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &d) {
      diagnostics += d.str() + "\n";
      return mlir::success();
    });
    mlir::OpBuilder b(&context);
    mlir::Location loc = b.getUnknownLoc();
    mlir::OwningOpRef<mlir::ModuleOp> module = mlir::ModuleOp::create(loc);
    llvm::SmallVector<mlir::Type> types;
    for (const Arg &a : args)
      types.push_back(mlir::RankedTensorType::get(a.shape, elementType(a.dtype)));
    b.setInsertionPointToEnd(module->getBody());
    auto func = mlir::func::FuncOp::create(b, loc, "main",
                                           b.getFunctionType(types, {}));
    mlir::Block *block = func.addEntryBlock();
    b.setInsertionPointToStart(block);
    auto results = body(b, loc, block->getArguments());
    if (mlir::failed(results)) {
      ADD_FAILURE() << "builder failed: " << diagnostics;
      return {};
    }
    mlir::func::ReturnOp::create(b, loc, *results);
    func.setType(b.getFunctionType(types, mlir::ValueRange(*results).getTypes()));
    if (mlir::failed(mlir::verify(*module))) {
      ADD_FAILURE() << "invalid IR: " << diagnostics;
      return {};
    }
    mlir::PassManager pm(&context);
    pm.addPass(createConvertKilnToLinalg());
    if (mlir::failed(pm.run(*module))) {
      ADD_FAILURE() << "lowering failed: " << diagnostics;
      return {};
    }
    auto jit = cpu::JitExecutor::create(*module, "main");
    if (!jit) {
      ADD_FAILURE() << llvm::toString(jit.takeError());
      return {};
    }
    std::vector<rt::Tensor> inputs;
    for (const Arg &a : args) {
      rt::Tensor t(a.dtype, a.shape);
      for (size_t i = 0; i < a.values.size(); ++i) {
        if (a.dtype == DType::F32)
          t.dataAs<float>()[i] = static_cast<float>(a.values[i]);
        else
          t.dataAs<int64_t>()[i] = static_cast<int64_t>(a.values[i]);
      }
      inputs.push_back(std::move(t));
    }
    auto outputs = (*jit)->run(inputs);
    if (!outputs) {
      ADD_FAILURE() << llvm::toString(outputs.takeError());
      return {};
    }
    std::vector<std::vector<double>> out;
    for (const rt::Tensor &t : *outputs) {
      std::vector<double> v;
      for (int64_t i = 0; i < t.numElements(); ++i)
        v.push_back(t.elementAsDouble(i));
      out.push_back(std::move(v));
    }
    return out;
  }

  /// Expects the builder in `body` to fail with a diagnostic containing
  /// `message`.
  void expectDiagnostic(const std::vector<Arg> &args, const BodyFn &body,
                        const std::string &message) {
    diagnostics.clear();
    mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &d) {
      diagnostics += d.str() + "\n";
      return mlir::success();
    });
    mlir::OpBuilder b(&context);
    mlir::Location loc = b.getUnknownLoc();
    mlir::OwningOpRef<mlir::ModuleOp> module = mlir::ModuleOp::create(loc);
    llvm::SmallVector<mlir::Type> types;
    for (const Arg &a : args)
      types.push_back(mlir::RankedTensorType::get(a.shape, elementType(a.dtype)));
    b.setInsertionPointToEnd(module->getBody());
    auto func = mlir::func::FuncOp::create(b, loc, "main",
                                           b.getFunctionType(types, {}));
    mlir::Block *block = func.addEntryBlock();
    b.setInsertionPointToStart(block);
    EXPECT_TRUE(mlir::failed(body(b, loc, block->getArguments())));
    EXPECT_NE(diagnostics.find(message), std::string::npos) << diagnostics;
  }

  mlir::MLIRContext context;
  std::string diagnostics;
};

void expectNear(const std::vector<double> &got, const std::vector<double> &want,
                double tol = 1e-5) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], want[i], tol * (1 + std::fabs(want[i])))
        << "at flat index " << i;
}

llvm::SmallVector<mlir::Value> values(std::initializer_list<mlir::Value> vs) {
  return llvm::SmallVector<mlir::Value>(vs);
}

//===----------------------------------------------------------------------===//
// Losses
//===----------------------------------------------------------------------===//

// log-probabilities [N=2, C=3] and targets {0, 2}.
const std::vector<double> kLogProb = {-0.5, -1.5, -2.0, -3.0, -0.25, -1.0};

std::vector<std::vector<double>> nll(TrainingBuildersTest &t, Reduction r,
                                     bool weighted,
                                     std::optional<int64_t> ignore) {
  std::vector<Arg> args = {f32({2, 3}, kLogProb), i64({2}, {0, 2}),
                           f32({3}, {0.5, 2.0, 4.0})};
  return t.run(args, [&](mlir::OpBuilder &b, mlir::Location loc,
                         mlir::ValueRange a)
                   -> mlir::FailureOr<llvm::SmallVector<mlir::Value>> {
    ClassLossOptions o;
    o.reduction = r;
    o.ignoreIndex = ignore;
    if (weighted)
      o.weight = a[2];
    auto loss = buildNLLLoss(b, loc, a[0], a[1], o);
    if (mlir::failed(loss))
      return mlir::failure();
    return values({*loss});
  });
}

TEST_F(TrainingBuildersTest, NLLReductions) {
  // Picked: lp[0,0] = -0.5, lp[1,2] = -1.0.
  expectNear(nll(*this, Reduction::None, false, {})[0], {0.5, 1.0});
  expectNear(nll(*this, Reduction::Sum, false, {})[0], {1.5});
  expectNear(nll(*this, Reduction::Mean, false, {})[0], {0.75});
}

TEST_F(TrainingBuildersTest, NLLWeightsAndIgnoreIndex) {
  // Weights w[0] = 0.5, w[2] = 4: the mean divides by their sum.
  expectNear(nll(*this, Reduction::None, true, {})[0], {0.25, 4.0});
  expectNear(nll(*this, Reduction::Mean, true, {})[0], {4.25 / 4.5});
  // Ignoring class 2 drops the second position from sum and weights.
  expectNear(nll(*this, Reduction::None, true, 2)[0], {0.25, 0.0});
  expectNear(nll(*this, Reduction::Mean, true, 2)[0], {0.5});
  expectNear(nll(*this, Reduction::Mean, false, 2)[0], {0.5});
  // An ignore_index outside [0, C) ignores nothing.
  expectNear(nll(*this, Reduction::Sum, false, -1)[0], {1.5});
}

TEST_F(TrainingBuildersTest, NLLSpatialLayout) {
  // [N=1, C=2, d=3]: class c of position d is lp[0, c, d].
  std::vector<Arg> args = {f32({1, 2, 3}, {-1, -2, -3, -4, -5, -6}),
                           i64({1, 3}, {1, 0, 1})};
  auto out = run(args, [&](mlir::OpBuilder &b, mlir::Location loc,
                           mlir::ValueRange a)
                     -> mlir::FailureOr<llvm::SmallVector<mlir::Value>> {
    ClassLossOptions o;
    o.reduction = Reduction::None;
    auto loss = buildNLLLoss(b, loc, a[0], a[1], o);
    if (mlir::failed(loss))
      return mlir::failure();
    return values({*loss});
  });
  ASSERT_EQ(out.size(), 1u);
  expectNear(out[0], {4, 2, 6});
}

TEST_F(TrainingBuildersTest, SoftmaxCrossEntropy) {
  std::vector<double> logits = {1.0, 2.0, 0.5, -1.0, 0.0, 3.0};
  std::vector<Arg> args = {f32({2, 3}, logits), i64({2}, {1, 0})};
  auto out = run(args, [&](mlir::OpBuilder &b, mlir::Location loc,
                           mlir::ValueRange a)
                     -> mlir::FailureOr<llvm::SmallVector<mlir::Value>> {
    auto sce = buildSoftmaxCrossEntropyLoss(b, loc, a[0], a[1], {});
    if (mlir::failed(sce))
      return mlir::failure();
    return values({sce->loss, sce->logProb});
  });
  ASSERT_EQ(out.size(), 2u);
  std::vector<double> logProb;
  for (int n = 0; n < 2; ++n) {
    double sum = 0;
    for (int c = 0; c < 3; ++c)
      sum += std::exp(logits[3 * n + c]);
    for (int c = 0; c < 3; ++c)
      logProb.push_back(logits[3 * n + c] - std::log(sum));
  }
  expectNear(out[1], logProb);
  expectNear(out[0], {-(logProb[1] + logProb[3]) / 2});
}

TEST_F(TrainingBuildersTest, MSE) {
  std::vector<Arg> args = {f32({2, 2}, {1, 2, 3, 4}), f32({2, 2}, {1, 0, 5, 1})};
  auto body = [&](Reduction r) {
    return [r](mlir::OpBuilder &b, mlir::Location loc, mlir::ValueRange a)
               -> mlir::FailureOr<llvm::SmallVector<mlir::Value>> {
      auto loss = buildMSELoss(b, loc, a[0], a[1], r);
      if (mlir::failed(loss))
        return mlir::failure();
      return values({*loss});
    };
  };
  expectNear(run(args, body(Reduction::Mean))[0], {(0 + 4 + 4 + 9) / 4.0});
  expectNear(run(args, body(Reduction::Sum))[0], {17});
  expectNear(run(args, body(Reduction::None))[0], {0, 4, 4, 9});
}

TEST_F(TrainingBuildersTest, LossDiagnostics) {
  expectDiagnostic({f32({2, 3}, kLogProb), i64({3}, {0, 1, 2})},
                   [](mlir::OpBuilder &b, mlir::Location loc, mlir::ValueRange a)
                       -> mlir::FailureOr<llvm::SmallVector<mlir::Value>> {
                     if (mlir::failed(buildNLLLoss(b, loc, a[0], a[1], {})))
                       return mlir::failure();
                     return llvm::SmallVector<mlir::Value>();
                   },
                   "the target's shape must be the scores' shape");
}

TEST_F(TrainingBuildersTest, LossesAcceptADynamicBatch) {
  // A model with a symbolic batch imports (it is specialized before
  // lowering): only the class count must be static.
  mlir::OpBuilder b(&context);
  mlir::Location loc = b.getUnknownLoc();
  mlir::OwningOpRef<mlir::ModuleOp> module = mlir::ModuleOp::create(loc);
  auto scores = mlir::RankedTensorType::get({mlir::ShapedType::kDynamic, 3, 2},
                                            b.getF32Type());
  auto target = mlir::RankedTensorType::get({mlir::ShapedType::kDynamic, 2},
                                            b.getI64Type());
  auto weight = mlir::RankedTensorType::get({3}, b.getF32Type());
  b.setInsertionPointToEnd(module->getBody());
  auto func = mlir::func::FuncOp::create(
      b, loc, "main", b.getFunctionType({scores, target, weight}, {}));
  mlir::Block *block = func.addEntryBlock();
  b.setInsertionPointToStart(block);
  ClassLossOptions o;
  o.weight = block->getArgument(2);
  o.ignoreIndex = 0;
  auto sce = buildSoftmaxCrossEntropyLoss(b, loc, block->getArgument(0),
                                          block->getArgument(1), o);
  ASSERT_TRUE(mlir::succeeded(sce)) << diagnostics;
  o.reduction = Reduction::None;
  auto none = buildNLLLoss(b, loc, sce->logProb, block->getArgument(1), o);
  ASSERT_TRUE(mlir::succeeded(none));
  EXPECT_EQ(none->getType(),
            mlir::RankedTensorType::get({mlir::ShapedType::kDynamic, 2},
                                        b.getF32Type()));
  mlir::func::ReturnOp::create(b, loc, mlir::ValueRange{sce->loss, *none});
  func.setType(b.getFunctionType({scores, target, weight},
                                 {sce->loss.getType(), none->getType()}));
  EXPECT_TRUE(mlir::succeeded(mlir::verify(*module)));
}

//===----------------------------------------------------------------------===//
// Optimizers: the ONNX pseudo code in double, on X = [1.2, -2.8].
//===----------------------------------------------------------------------===//

const std::vector<double> kX = {1.2, -2.8}, kG = {-0.94, 2.5},
                          kV = {1.7, -3.6}, kH = {0.1, 0.4};
const double kLr = 0.1;

std::vector<Arg> optimizerArgs(int64_t step) {
  return {scalarF32(kLr), scalarI64(step), f32({2}, kX), f32({2}, kG),
          f32({2}, kV), f32({2}, kH)};
}

TEST_F(TrainingBuildersTest, SGD) {
  auto out = run(optimizerArgs(0), [](mlir::OpBuilder &b, mlir::Location loc,
                                      mlir::ValueRange a)
                                       -> mlir::FailureOr<llvm::SmallVector<mlir::Value>> {
    auto x = buildSGDUpdate(b, loc, a[0], a[2], a[3], 0.01);
    if (mlir::failed(x))
      return mlir::failure();
    return values({*x});
  });
  ASSERT_EQ(out.size(), 1u);
  std::vector<double> want;
  for (int i = 0; i < 2; ++i)
    want.push_back(kX[i] - kLr * (kG[i] + 0.01 * kX[i]));
  expectNear(out[0], want);
}

void checkMomentum(TrainingBuildersTest &t, int64_t step, bool nesterov) {
  MomentumOptions o;
  o.alpha = 0.9;
  o.beta = 0.3;
  o.normCoefficient = 0.01;
  o.nesterov = nesterov;
  auto out = t.run(optimizerArgs(step), [&](mlir::OpBuilder &b,
                                            mlir::Location loc,
                                            mlir::ValueRange a)
                       -> mlir::FailureOr<llvm::SmallVector<mlir::Value>> {
    auto u = buildMomentumUpdate(b, loc, a[0], a[1], a[2], a[3], a[4], o);
    if (mlir::failed(u))
      return mlir::failure();
    return values({u->x, u->v});
  });
  ASSERT_EQ(out.size(), 2u);
  std::vector<double> x, v;
  double beta = step > 0 ? o.beta : 1.0;
  for (int i = 0; i < 2; ++i) {
    double g = o.normCoefficient * kX[i] + kG[i];
    double vNew = o.alpha * kV[i] + beta * g;
    v.push_back(vNew);
    x.push_back(kX[i] - kLr * (nesterov ? g + o.alpha * vNew : vNew));
  }
  expectNear(out[0], x);
  expectNear(out[1], v);
}

TEST_F(TrainingBuildersTest, MomentumFirstAndLaterStep) {
  checkMomentum(*this, 0, false);
  checkMomentum(*this, 3, false);
}

TEST_F(TrainingBuildersTest, NesterovFirstAndLaterStep) {
  checkMomentum(*this, 0, true);
  checkMomentum(*this, 3, true);
}

void checkAdam(TrainingBuildersTest &t, int64_t step) {
  AdamOptions o;
  o.alpha = 0.9;
  o.beta = 0.99;
  o.epsilon = 1e-3;
  o.normCoefficient = 0.01;
  o.normCoefficientPost = 0.02;
  auto out = t.run(optimizerArgs(step), [&](mlir::OpBuilder &b,
                                            mlir::Location loc,
                                            mlir::ValueRange a)
                       -> mlir::FailureOr<llvm::SmallVector<mlir::Value>> {
    auto u = buildAdamUpdate(b, loc, a[0], a[1], a[2], a[3], a[4], a[5], o);
    if (mlir::failed(u))
      return mlir::failure();
    return values({u->x, u->v, u->h});
  });
  ASSERT_EQ(out.size(), 3u);
  std::vector<double> x, v, h;
  double r = step > 0 ? kLr * std::sqrt(1 - std::pow(o.beta, step)) /
                            (1 - std::pow(o.alpha, step))
                      : kLr;
  for (int i = 0; i < 2; ++i) {
    double g = o.normCoefficient * kX[i] + kG[i];
    double vNew = o.alpha * kV[i] + (1 - o.alpha) * g;
    double hNew = o.beta * kH[i] + (1 - o.beta) * g * g;
    double xNew = kX[i] - r * vNew / (std::sqrt(hNew) + o.epsilon);
    x.push_back((1 - o.normCoefficientPost) * xNew);
    v.push_back(vNew);
    h.push_back(hNew);
  }
  expectNear(out[0], x);
  expectNear(out[1], v);
  expectNear(out[2], h);
}

TEST_F(TrainingBuildersTest, AdamFirstStepAndBiasCorrection) {
  checkAdam(*this, 0);
  checkAdam(*this, 1);
  checkAdam(*this, 5);
}

TEST_F(TrainingBuildersTest, AdagradWithDecay) {
  for (int64_t step : {0, 4}) {
    AdagradOptions o;
    o.decayFactor = 0.1;
    o.epsilon = 1e-5;
    o.normCoefficient = 0.01;
    auto out = run(optimizerArgs(step), [&](mlir::OpBuilder &b,
                                            mlir::Location loc,
                                            mlir::ValueRange a)
                       -> mlir::FailureOr<llvm::SmallVector<mlir::Value>> {
      auto u = buildAdagradUpdate(b, loc, a[0], a[1], a[2], a[3], a[5], o);
      if (mlir::failed(u))
        return mlir::failure();
      return values({u->x, u->h});
    });
    ASSERT_EQ(out.size(), 2u);
    std::vector<double> x, h;
    double r = kLr / (1 + step * o.decayFactor);
    for (int i = 0; i < 2; ++i) {
      double g = o.normCoefficient * kX[i] + kG[i];
      double hNew = kH[i] + g * g;
      h.push_back(hNew);
      x.push_back(kX[i] - r * g / (std::sqrt(hNew) + o.epsilon));
    }
    expectNear(out[0], x);
    expectNear(out[1], h);
  }
}

TEST_F(TrainingBuildersTest, OptimizerDiagnostics) {
  expectDiagnostic(
      {scalarF32(kLr), scalarI64(0), f32({2}, kX), f32({3}, {1, 2, 3})},
      [](mlir::OpBuilder &b, mlir::Location loc, mlir::ValueRange a)
          -> mlir::FailureOr<llvm::SmallVector<mlir::Value>> {
        if (mlir::failed(buildSGDUpdate(b, loc, a[0], a[2], a[3])))
          return mlir::failure();
        return llvm::SmallVector<mlir::Value>();
      },
      "must have the optimized tensor's type");
}

//===----------------------------------------------------------------------===//
// Normalizations
//===----------------------------------------------------------------------===//

TEST_F(TrainingBuildersTest, BatchNormTraining) {
  // x [N=2, C=2, 2]; channel 0 holds 1..4, channel 1 holds 0, 2, 4, 10.
  std::vector<double> x = {1, 2, 0, 2, 3, 4, 4, 10};
  std::vector<Arg> args = {f32({2, 2, 2}, x), f32({2}, {2.0, 0.5}),
                           f32({2}, {0.1, -1.0}), f32({2}, {0.0, 1.0}),
                           f32({2}, {1.0, 2.0})};
  const double eps = 1e-2, momentum = 0.8;
  auto out = run(args, [&](mlir::OpBuilder &b, mlir::Location loc,
                           mlir::ValueRange a)
                     -> mlir::FailureOr<llvm::SmallVector<mlir::Value>> {
    auto bn = buildBatchNormTraining(b, loc, a[0], a[1], a[2], a[3], a[4], eps,
                                     momentum);
    if (mlir::failed(bn))
      return mlir::failure();
    return values({bn->y, bn->runningMean, bn->runningVar, bn->batchMean,
                   bn->batchVar});
  });
  ASSERT_EQ(out.size(), 5u);
  double mean[2] = {2.5, 4.0};
  double var[2] = {(2.25 + 0.25 + 0.25 + 2.25) / 4, (16 + 4 + 0 + 36) / 4.0};
  double scale[2] = {2.0, 0.5}, bias[2] = {0.1, -1.0};
  std::vector<double> y;
  for (int n = 0; n < 2; ++n)
    for (int c = 0; c < 2; ++c)
      for (int d = 0; d < 2; ++d) {
        double v = x[n * 4 + c * 2 + d];
        y.push_back((v - mean[c]) / std::sqrt(var[c] + eps) * scale[c] +
                    bias[c]);
      }
  expectNear(out[0], y);
  expectNear(out[1], {0.0 * momentum + mean[0] * (1 - momentum),
                      1.0 * momentum + mean[1] * (1 - momentum)});
  expectNear(out[2], {1.0 * momentum + var[0] * (1 - momentum),
                      2.0 * momentum + var[1] * (1 - momentum)});
  expectNear(out[3], {mean[0], mean[1]});
  expectNear(out[4], {var[0], var[1]});
}

TEST_F(TrainingBuildersTest, LayerNorm) {
  std::vector<double> x = {1, 2, 3, 4, -1, 0, 1, 5};
  std::vector<Arg> args = {f32({2, 4}, x), f32({4}, {1, 2, 0.5, -1}),
                           f32({4}, {0, 0.1, 0.2, 0.3})};
  const double eps = 1e-5;
  auto out = run(args, [&](mlir::OpBuilder &b, mlir::Location loc,
                           mlir::ValueRange a)
                     -> mlir::FailureOr<llvm::SmallVector<mlir::Value>> {
    auto ln = buildLayerNorm(b, loc, a[0], a[1], a[2], 1, eps);
    if (mlir::failed(ln))
      return mlir::failure();
    return values({ln->y, ln->mean, ln->invStdDev});
  });
  ASSERT_EQ(out.size(), 3u);
  std::vector<double> y, means, invs;
  double scale[4] = {1, 2, 0.5, -1}, bias[4] = {0, 0.1, 0.2, 0.3};
  for (int r = 0; r < 2; ++r) {
    double mean = 0, var = 0;
    for (int c = 0; c < 4; ++c)
      mean += x[4 * r + c] / 4;
    for (int c = 0; c < 4; ++c)
      var += (x[4 * r + c] - mean) * (x[4 * r + c] - mean) / 4;
    double inv = 1 / std::sqrt(var + eps);
    means.push_back(mean);
    invs.push_back(inv);
    for (int c = 0; c < 4; ++c)
      y.push_back((x[4 * r + c] - mean) * inv * scale[c] + bias[c]);
  }
  expectNear(out[0], y);
  expectNear(out[1], means);
  expectNear(out[2], invs);
}

//===----------------------------------------------------------------------===//
// Pruning masks
//===----------------------------------------------------------------------===//

/// Values with negatives, zeros and ties (|-0.5| = |0.5|).
const std::vector<double> kPruneA = {0.5, -0.25, 0.0, 3.0, -0.5, 1.5};
const std::vector<double> kPruneB = {-2.0, 0.125, 0.0, 0.75};

TEST_F(TrainingBuildersTest, MagnitudeThresholdIsTheKthSmallestMagnitude) {
  std::vector<double> magnitudes;
  for (double v : kPruneA)
    magnitudes.push_back(std::fabs(v));
  for (double v : kPruneB)
    magnitudes.push_back(std::fabs(v));
  const int64_t n = magnitudes.size();
  for (int64_t k : {int64_t(-3), int64_t(0), int64_t(1), int64_t(2),
                    int64_t(3), int64_t(5), int64_t(6), n - 1, n, n + 4}) {
    auto out = run({scalarI64(k), f32({2, 3}, kPruneA), f32({4}, kPruneB)},
                   [](mlir::OpBuilder &b, mlir::Location loc,
                      mlir::ValueRange a)
                       -> mlir::FailureOr<llvm::SmallVector<mlir::Value>> {
                     auto type = mlir::RankedTensorType::get({}, b.getF32Type());
                     mlir::Value t = MagnitudeThresholdOp::create(
                         b, loc, type, a[0], mlir::ValueRange{a[1], a[2]});
                     return values({t});
                   });
    ASSERT_EQ(out.size(), 1u);
    double want = -1.0;
    if (k > 0) {
      std::vector<double> sorted = magnitudes;
      std::nth_element(sorted.begin(), sorted.begin() + std::min(k, n) - 1,
                       sorted.end());
      want = sorted[std::min(k, n) - 1];
    }
    EXPECT_EQ(out[0][0], want) << "k = " << k;
  }
}

TEST_F(TrainingBuildersTest, NMPatternCounts) {
  // Blocks keeping 2 of 4 in every row and column: 90; 1 of 4: the 24
  // permutation matrices; plain 2:4 groups: C(4, 2) = 6.
  auto transposable = nmPatterns(2, 4, true, 4096);
  EXPECT_EQ(transposable.size(), 90u);
  EXPECT_EQ(nmPatterns(1, 4, true, 4096).size(), 24u);
  EXPECT_EQ(nmPatterns(2, 4, false, 4096).size(), 6u);
  // 4:8 transposable has far more than the limit: refused (empty).
  EXPECT_TRUE(nmPatterns(4, 8, true, 4096).empty());
  for (const auto &p : transposable) {
    ASSERT_EQ(p.size(), 16u);
    for (int i = 0; i < 4; ++i) {
      double row = 0, column = 0;
      for (int j = 0; j < 4; ++j) {
        row += p[4 * i + j];
        column += p[4 * j + i];
      }
      EXPECT_EQ(row, 2.0);
      EXPECT_EQ(column, 2.0);
    }
  }
  std::sort(transposable.begin(), transposable.end());
  EXPECT_EQ(std::unique(transposable.begin(), transposable.end()),
            transposable.end());
}

/// The largest kept magnitude of a 4x4 block over every 0/1 block with two
/// ones in each row and column, found by trying all 2^16 blocks.
double bestTransposableBlock(const std::vector<double> &w, int cols, int r0,
                             int c0) {
  double best = -1;
  for (unsigned bits = 0; bits < (1u << 16); ++bits) {
    bool valid = true;
    for (int i = 0; i < 4 && valid; ++i) {
      int row = 0, column = 0;
      for (int j = 0; j < 4; ++j) {
        row += (bits >> (4 * i + j)) & 1;
        column += (bits >> (4 * j + i)) & 1;
      }
      valid = row == 2 && column == 2;
    }
    if (!valid)
      continue;
    double kept = 0;
    for (int i = 0; i < 16; ++i)
      if ((bits >> i) & 1)
        kept += std::fabs(w[(r0 + i / 4) * cols + c0 + i % 4]);
    best = std::max(best, kept);
  }
  return best;
}

TEST_F(TrainingBuildersTest, TransposableTwoFourMask) {
  // An 8x8 weight read as a matmul's rhs [K, N]: groups run along K.
  std::vector<double> w;
  for (int i = 0; i < 64; ++i)
    w.push_back(std::sin(1.7 * i + 0.3) * (1 + (i % 5)));
  auto patterns = nmPatterns(2, 4, true, 4096);
  auto out = run({f32({8, 8}, w)}, [&](mlir::OpBuilder &b, mlir::Location loc,
                                       mlir::ValueRange a)
                     -> mlir::FailureOr<llvm::SmallVector<mlir::Value>> {
    ReductionView view;
    view.transpose = true; // rhs [K, N]: rows are N, K is the reduction
    view.rows = 8;
    view.reduction = 8;
    return values({structuredMask(b, loc, a[0], view, patterns, 4, true)});
  });
  ASSERT_EQ(out.size(), 1u);
  const std::vector<double> &mask = out[0];
  for (int r0 = 0; r0 < 8; r0 += 4)
    for (int c0 = 0; c0 < 8; c0 += 4) {
      double kept = 0;
      for (int i = 0; i < 4; ++i) {
        double row = 0, column = 0;
        for (int j = 0; j < 4; ++j) {
          row += mask[(r0 + i) * 8 + c0 + j];
          column += mask[(r0 + j) * 8 + c0 + i];
          kept += mask[(r0 + i) * 8 + c0 + j] *
                  std::fabs(w[(r0 + i) * 8 + c0 + j]);
        }
        EXPECT_EQ(row, 2.0) << "block " << r0 << "," << c0;
        EXPECT_EQ(column, 2.0) << "block " << r0 << "," << c0;
      }
      EXPECT_NEAR(kept, bestTransposableBlock(w, 8, r0, c0), 1e-5);
    }
}

TEST_F(TrainingBuildersTest, PlainTwoFourMaskKeepsTheLargestTwo) {
  // A 2x8 weight read through a transpose (a Gemm's transB): rows are
  // outputs, K runs along each row.
  std::vector<double> w = {0.1, -0.9, 0.3, 0.2, 5.0, 4.0, -3.0, 0.5,
                           -1.0, 1.0, 0.25, 2.0, 0.0, 0.0, 0.0, 0.0};
  auto patterns = nmPatterns(2, 4, false, 4096);
  auto out = run({f32({2, 8}, w)}, [&](mlir::OpBuilder &b, mlir::Location loc,
                                       mlir::ValueRange a)
                     -> mlir::FailureOr<llvm::SmallVector<mlir::Value>> {
    ReductionView view;
    view.rows = 2;
    view.reduction = 8;
    return values({structuredMask(b, loc, a[0], view, patterns, 4, false)});
  });
  ASSERT_EQ(out.size(), 1u);
  // Ties (the all-zero group) go to the first pattern, positions 0 and 1.
  expectNear(out[0], {0, 1, 1, 0, 1, 1, 0, 0, 1, 0, 0, 1, 1, 1, 0, 0});
}

TEST(DynamicQuantizationMap, IsBitsandbytesSignedDynamicTree) {
  llvm::SmallVector<float> map = dynamicQuantizationMap();
  ASSERT_EQ(map.size(), 256u);
  for (size_t i = 1; i < map.size(); ++i)
    EXPECT_LT(map[i - 1], map[i]) << i;
  EXPECT_EQ(map[127], 0.0f);
  EXPECT_EQ(map[255], 1.0f);
  for (int i = 0; i < 127; ++i)
    EXPECT_EQ(map[i], -map[254 - i]) << i;
  // Decade i (i = 0..6) holds 2^i positive values between 10^(i-7) and
  // 10^(i-6): the midpoints of linspace(0.1, 1, 2^i + 1) times 10^(i-6).
  for (int i = 0; i < 7; ++i) {
    double lo = std::pow(10.0, i - 7), hi = std::pow(10.0, i - 6);
    int count = 0;
    for (float v : map)
      count += v > lo && v < hi;
    EXPECT_EQ(count, 1 << i) << "decade " << i;
  }
  EXPECT_FLOAT_EQ(map[128], 5.5e-7f);     // 10^-6 * (0.1 + 1) / 2
  EXPECT_FLOAT_EQ(map[254], 0.99296875f); // 0.1 + 0.9 * 63.5 / 64
  EXPECT_FLOAT_EQ(map[191], 0.10703125f); // 0.1 + 0.9 * 0.5 / 64
}

/// The map index nearest to `u`, by trying all 256.
int64_t bruteForceNearest(llvm::ArrayRef<float> map, float u) {
  int64_t best = 0;
  for (int64_t i = 1; i < int64_t(map.size()); ++i)
    if (std::fabs(map[i] - u) < std::fabs(map[best] - u))
      best = i;
  return best;
}

TEST(DynamicQuantizationMap, NearestIndexOnTheHost) {
  llvm::SmallVector<float> map = dynamicQuantizationMap();
  for (int k = -4000; k <= 4000; ++k) {
    // Log-spaced magnitudes from 1e-8 to 1, both signs, and zero.
    float u = k == 0 ? 0.0f
                     : std::copysign(std::pow(10.0f, -8.0f * (1.0f -
                                                      std::abs(k) / 4000.0f)),
                                     float(k));
    int64_t got = nearestMapIndex(u);
    EXPECT_LE(std::fabs(map[got] - u),
              std::fabs(map[bruteForceNearest(map, u)] - u))
        << u;
  }
}

TEST_F(TrainingBuildersTest, BlockwiseQuantizerCodesTheNearestMapValue) {
  // 20 values in blocks of 8 (the last padded with 4 zeros); the second
  // block is all zeros. Magnitudes span 1e-7..1 of each block's largest.
  std::vector<double> x = {0.5,  -2.0,   1e-3,  3.3e-1, -7e-6, 1.9,  -0.02, 1e-7,
                           0.0,  0.0,    0.0,   0.0,    0.0,   0.0,  0.0,   0.0,
                           -4e-4, 9e-2, 3e-5, -6.5e-3};
  const int64_t blockSize = 8;
  auto out = run({f32({4, 5}, x)}, [&](mlir::OpBuilder &b, mlir::Location loc,
                                       mlir::ValueRange a)
                     -> mlir::FailureOr<llvm::SmallVector<mlir::Value>> {
    auto [codes, absmax] = quantizeBlockwise(b, loc, a[0], blockSize);
    mlir::Value back = dequantizeBlockwise(
        b, loc, codes, absmax,
        mlir::cast<mlir::RankedTensorType>(a[0].getType()), blockSize);
    return values({codes, absmax, back});
  });
  ASSERT_EQ(out.size(), 3u);
  ASSERT_EQ(out[0].size(), 24u);
  expectNear(out[1], {2.0, 0.0, 0.09}, 1e-7);
  llvm::SmallVector<float> map = dynamicQuantizationMap();
  for (size_t i = 0; i < x.size(); ++i) {
    float absmax = float(out[1][i / blockSize]);
    float u = absmax > 0 ? float(x[i]) / absmax : 0.0f;
    int64_t index = int64_t(out[0][i]) + 128;
    ASSERT_GE(index, 0);
    ASSERT_LT(index, 256);
    EXPECT_LE(std::fabs(map[index] - u),
              std::fabs(map[bruteForceNearest(map, u)] - u) + 1e-7f)
        << "element " << i;
    EXPECT_FLOAT_EQ(float(out[2][i]), absmax * map[index]) << "element " << i;
  }
  // The padding of the last block codes zero.
  for (size_t i = x.size(); i < 24; ++i)
    EXPECT_EQ(int64_t(out[0][i]) + 128, 127);
}

} // namespace
