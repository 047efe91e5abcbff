//===- GradientRulesTest.cpp - Gradient rules vs. finite differences ------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Checks every gradient rule numerically. Each case is a small f64 program
// y = op(x...); the harness wraps it as f(x...) = sum(y * W) with a fixed
// pseudo-random W (so every output element matters, with a different
// weight), then
//   - analytic: appends `kiln.gradient %f wrt <float inputs>`, runs
//     --kiln-autodiff and --convert-kiln-to-linalg and JIT-runs it;
//   - numeric: JIT-runs f itself with each input element moved by +-h and
//     takes central differences (h = 1e-6 by default);
// and compares them at rtol 1e-5. Inputs are drawn away from the points
// where an op is not differentiable (ties of max, kinks of relu/abs,
// integers for floor). The conventions at those points (ties split, kinks
// get 0) are checked by value, as are stop_gradient and second derivatives.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/CPU/JitExecutor.h"
#include "kiln/Codegen/CPU/Pipeline.h"
#include "kiln/Conversion/Passes.h"
#include "kiln/Dialect/Kiln/KilnDialect.h"
#include "kiln/Passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <random>
#include <sstream>

using namespace kiln;

namespace {

using Shape = std::vector<int64_t>;

int64_t numel(const Shape &s) {
  int64_t n = 1;
  for (int64_t d : s)
    n *= d;
  return n;
}

/// "tensor<2x3xf64>", "tensor<f64>".
std::string ty(const Shape &s, const std::string &elt = "f64") {
  std::string out = "tensor<";
  for (int64_t d : s)
    out += std::to_string(d) + "x";
  return out + elt + ">";
}

std::string i64s(const Shape &v) {
  std::string out = "array<i64";
  for (size_t i = 0; i < v.size(); ++i)
    out += (i ? ", " : ": ") + std::to_string(v[i]);
  return out + ">";
}

std::string literal(const std::vector<double> &values) {
  std::ostringstream os;
  os.precision(17);
  os << "[";
  for (size_t i = 0; i < values.size(); ++i)
    os << (i ? ", " : "") << std::scientific << values[i];
  os << "]";
  return os.str();
}

/// One argument of a case: a float tensor drawn uniformly from [lo, hi]
/// (at least `margin` away from zero and from integers if asked), given
/// values, or integer values (never differentiated).
struct Input {
  Shape shape;
  double lo = -1.5, hi = 1.5;
  double zeroMargin = 0; ///< |x| >= zeroMargin.
  bool avoidIntegers = false;
  std::vector<double> values;   ///< Explicit float values, if non-empty.
  std::vector<int64_t> indices; ///< Integer (i64) input if non-empty.

  bool isInteger() const { return !indices.empty(); }
  std::string type() const { return ty(shape, isInteger() ? "i64" : "f64"); }
};

Input uniform(Shape s, double lo = -1.5, double hi = 1.5) {
  Input in;
  in.shape = std::move(s);
  in.lo = lo;
  in.hi = hi;
  return in;
}
Input awayFromZero(Shape s, double margin = 0.1) {
  Input in = uniform(std::move(s));
  in.zeroMargin = margin;
  return in;
}
Input positive(Shape s) { return uniform(std::move(s), 0.5, 2.0); }
Input given(Shape s, std::vector<double> v) {
  Input in;
  in.shape = std::move(s);
  in.values = std::move(v);
  return in;
}
Input integers(Shape s, std::vector<int64_t> v) {
  Input in;
  in.shape = std::move(s);
  in.indices = std::move(v);
  return in;
}

/// A program `%y = ...` over `%a0, %a1, ...`.
struct Case {
  std::vector<Input> inputs;
  Shape outShape;
  std::string body;
  double h = 1e-6;
  double rtol = 1e-5;
  double atol = 1e-7;
};

rt::Tensor toTensor(const Input &in, const std::vector<double> &floats) {
  if (in.isInteger()) {
    rt::Tensor t(rt::DType::I64, in.shape);
    std::memcpy(t.data(), in.indices.data(), t.numBytes());
    return t;
  }
  rt::Tensor t(rt::DType::F64, in.shape);
  if (!floats.empty())
    std::memcpy(t.data(), floats.data(), t.numBytes());
  return t;
}

std::vector<double> valuesOf(const rt::Tensor &t) {
  std::vector<double> v(t.numElements());
  if (!v.empty())
    std::memcpy(v.data(), t.data(), t.numBytes());
  return v;
}

class GradientRulesTest : public ::testing::Test {
protected:
  GradientRulesTest() : context(makeRegistry()) {
    context.loadAllAvailableDialects();
  }

  static mlir::DialectRegistry makeRegistry() {
    mlir::DialectRegistry registry;
    registry.insert<KilnDialect, mlir::func::FuncDialect>();
    cpu::registerCPUPipelineDependencies(registry);
    return registry;
  }

  /// `func.func @main(args) -> (tensor<f64>[, grads]) { body; f = sum(y*W)
  /// [; grads = kiln.gradient f wrt float args] }`.
  std::string program(const Case &c, bool withGradients) {
    std::mt19937_64 rng(0x5eed);
    std::uniform_real_distribution<double> dist(0.5, 1.5);
    std::vector<double> weights(numel(c.outShape));
    for (double &w : weights)
      w = dist(rng) * (rng() % 2 ? 1 : -1);
    std::string s = "func.func @main(";
    std::vector<std::string> wrt, wrtTypes;
    for (size_t i = 0; i < c.inputs.size(); ++i) {
      s += (i ? ", " : "") + ("%a" + std::to_string(i)) + ": " +
           c.inputs[i].type();
      if (!c.inputs[i].isInteger()) {
        wrt.push_back("%a" + std::to_string(i));
        wrtTypes.push_back(c.inputs[i].type());
      }
    }
    std::string results = ty({});
    if (withGradients)
      for (const std::string &t : wrtTypes)
        results += ", " + t;
    s += ") -> (" + results + ") {\n" + c.body + "\n";
    Shape flat = {numel(c.outShape)};
    s += "  %h.wflat = kiln.constant dense<" + literal(weights) + "> : " +
         ty(flat) + "\n";
    s += "  %h.w = kiln.reshape %h.wflat : " + ty(flat) + " to " + ty(c.outShape) +
         "\n";
    s += "  %h.yw = kiln.mul %y, %h.w : " + ty(c.outShape) + "\n";
    Shape all;
    for (size_t i = 0; i < c.outShape.size(); ++i)
      all.push_back(i);
    s += "  %h.f = kiln.reduce_sum %h.yw {axes = " + i64s(all) +
         ", keep_dims = false} : " + ty(c.outShape) + " -> " + ty({}) + "\n";
    std::string returned = "%h.f";
    if (withGradients && !wrt.empty()) {
      s += "  %h.g:" + std::to_string(wrt.size()) + " = kiln.gradient %h.f wrt ";
      for (size_t i = 0; i < wrt.size(); ++i)
        s += (i ? ", " : "") + wrt[i];
      s += " : " + ty({}) + " wrt ";
      for (size_t i = 0; i < wrt.size(); ++i)
        s += (i ? ", " : "") + wrtTypes[i];
      s += "\n";
      for (size_t i = 0; i < wrt.size(); ++i)
        returned += ", %h.g#" + std::to_string(i);
    }
    s += "  return " + returned + " : " + results + "\n}\n";
    return s;
  }

  /// Parses `source`, runs autodiff (if asked) and the lowering, and JITs
  /// @main. Null after reporting a failure.
  std::unique_ptr<cpu::JitExecutor> compile(const std::string &source,
                                            bool autodiff) {
    std::string diagnostics;
    mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &d) {
      if (d.getSeverity() != mlir::DiagnosticSeverity::Remark)
        diagnostics += d.str() + "\n";
      return mlir::success();
    });
    auto module = mlir::parseSourceString<mlir::ModuleOp>(source, &context);
    if (!module) {
      ADD_FAILURE() << "could not parse:\n" << diagnostics << source;
      return nullptr;
    }
    mlir::PassManager pm(&context);
    if (autodiff)
      pm.addNestedPass<mlir::func::FuncOp>(createKilnAutodiff());
    pm.addPass(createConvertKilnToLinalg());
    if (mlir::failed(pm.run(*module))) {
      ADD_FAILURE() << "autodiff/lowering failed:\n" << diagnostics << source;
      return nullptr;
    }
    cpu::CPUPipelineOptions opts;
    opts.llvmOptLevel = 1;
    auto jit = cpu::JitExecutor::create(*module, "main", opts);
    if (!jit) {
      ADD_FAILURE() << llvm::toString(jit.takeError()) << "\n" << source;
      return nullptr;
    }
    return std::move(*jit);
  }

  /// Draws the float inputs of `c` (deterministically).
  static std::vector<std::vector<double>> drawInputs(const Case &c) {
    std::mt19937_64 rng(42);
    std::vector<std::vector<double>> values;
    for (const Input &in : c.inputs) {
      std::vector<double> v;
      if (!in.values.empty()) {
        v = in.values;
      } else if (!in.isInteger()) {
        std::uniform_real_distribution<double> dist(in.lo, in.hi);
        for (int64_t i = 0; i < numel(in.shape); ++i) {
          double x;
          do {
            x = dist(rng);
          } while (std::fabs(x) < in.zeroMargin ||
                   (in.avoidIntegers &&
                    std::fabs(x - std::round(x)) < 0.1));
          v.push_back(x);
        }
      }
      values.push_back(std::move(v));
    }
    return values;
  }

  static std::vector<rt::Tensor>
  tensors(const Case &c, const std::vector<std::vector<double>> &values) {
    std::vector<rt::Tensor> out;
    for (size_t i = 0; i < c.inputs.size(); ++i)
      out.push_back(toTensor(c.inputs[i], values[i]));
    return out;
  }

  /// The analytic gradients of the float inputs, in order.
  std::vector<std::vector<double>>
  analytic(const Case &c, const std::vector<std::vector<double>> &values) {
    auto jit = compile(program(c, /*withGradients=*/true), true);
    if (!jit)
      return {};
    auto outputs = jit->run(tensors(c, values));
    if (!outputs) {
      ADD_FAILURE() << llvm::toString(outputs.takeError());
      return {};
    }
    std::vector<std::vector<double>> grads;
    for (size_t i = 1; i < outputs->size(); ++i)
      grads.push_back(valuesOf((*outputs)[i]));
    return grads;
  }

  /// Checks the analytic gradients of `c` against central differences.
  void check(const Case &c) {
    std::vector<std::vector<double>> values = drawInputs(c);
    std::vector<std::vector<double>> grads = analytic(c, values);
    auto forward = compile(program(c, /*withGradients=*/false), false);
    if (grads.empty() || !forward)
      return;
    auto f = [&](const std::vector<std::vector<double>> &v) {
      auto out = forward->run(tensors(c, v));
      if (!out) {
        ADD_FAILURE() << llvm::toString(out.takeError());
        return 0.0;
      }
      return valuesOf((*out)[0])[0];
    };
    size_t g = 0;
    for (size_t i = 0; i < c.inputs.size(); ++i) {
      if (c.inputs[i].isInteger())
        continue;
      ASSERT_LT(g, grads.size());
      ASSERT_EQ(grads[g].size(), values[i].size());
      for (size_t j = 0; j < values[i].size(); ++j) {
        auto plus = values, minus = values;
        plus[i][j] += c.h;
        minus[i][j] -= c.h;
        double numeric = (f(plus) - f(minus)) / (2 * c.h);
        double got = grads[g][j];
        EXPECT_LE(std::fabs(got - numeric),
                  c.atol + c.rtol * std::fabs(numeric))
            << "input %a" << i << " element " << j << ": analytic " << got
            << ", finite differences " << numeric << "\n"
            << program(c, true);
      }
      ++g;
    }
  }

  mlir::MLIRContext context;
};

//===----------------------------------------------------------------------===//
// Elementwise unary
//===----------------------------------------------------------------------===//

/// `%y = kiln.<op> %a0` on a 2x3 input.
Case unaryCase(const std::string &op, Input in) {
  in.shape = {2, 3};
  return {{in}, {2, 3}, "  %y = kiln." + op + " %a0 : " + ty({2, 3})};
}

TEST_F(GradientRulesTest, Neg) { check(unaryCase("neg", uniform({}))); }
TEST_F(GradientRulesTest, Abs) { check(unaryCase("abs", awayFromZero({}))); }
TEST_F(GradientRulesTest, Relu) { check(unaryCase("relu", awayFromZero({}))); }
TEST_F(GradientRulesTest, Exp) { check(unaryCase("exp", uniform({}))); }
TEST_F(GradientRulesTest, Log) { check(unaryCase("log", positive({}))); }
TEST_F(GradientRulesTest, Sqrt) { check(unaryCase("sqrt", positive({}))); }
TEST_F(GradientRulesTest, Rsqrt) { check(unaryCase("rsqrt", positive({}))); }
TEST_F(GradientRulesTest, Reciprocal) {
  check(unaryCase("reciprocal", positive({})));
}
TEST_F(GradientRulesTest, Tanh) { check(unaryCase("tanh", uniform({}))); }
TEST_F(GradientRulesTest, Sigmoid) { check(unaryCase("sigmoid", uniform({}))); }
TEST_F(GradientRulesTest, Erf) { check(unaryCase("erf", uniform({}))); }
TEST_F(GradientRulesTest, Sin) { check(unaryCase("sin", uniform({}))); }
TEST_F(GradientRulesTest, Cos) { check(unaryCase("cos", uniform({}))); }

TEST_F(GradientRulesTest, FloorAndCeilHaveNoGradient) {
  Input in = uniform({}, -3, 3);
  in.avoidIntegers = true;
  check(unaryCase("floor", in));
  check(unaryCase("ceil", in));
}

//===----------------------------------------------------------------------===//
// Elementwise binary, compare, select, cast
//===----------------------------------------------------------------------===//

Case binaryCase(const std::string &op, Input lhs, Input rhs) {
  lhs.shape = rhs.shape = {2, 3};
  return {{lhs, rhs},
          {2, 3},
          "  %y = kiln." + op + " %a0, %a1 : " + ty({2, 3})};
}

TEST_F(GradientRulesTest, Add) {
  check(binaryCase("add", uniform({}), uniform({})));
}
TEST_F(GradientRulesTest, Sub) {
  check(binaryCase("sub", uniform({}), uniform({})));
}
TEST_F(GradientRulesTest, Mul) {
  check(binaryCase("mul", uniform({}), uniform({})));
}
TEST_F(GradientRulesTest, Div) {
  check(binaryCase("div", uniform({}), awayFromZero({}, 0.5)));
}
TEST_F(GradientRulesTest, PowBothOperands) {
  check(binaryCase("pow", positive({}), uniform({})));
}
TEST_F(GradientRulesTest, Max) {
  check(binaryCase("max", uniform({}), uniform({})));
}
TEST_F(GradientRulesTest, Min) {
  check(binaryCase("min", uniform({}), uniform({})));
}

TEST_F(GradientRulesTest, SelectRoutesToTheChosenValue) {
  // The condition (a compare of a0 and a1) gets no gradient; a0 also feeds
  // the compare, which must not contribute.
  check({{uniform({2, 3}), uniform({2, 3}), uniform({2, 3})},
         {2, 3},
         "  %c = kiln.compare gt, %a0, %a1 : " + ty({2, 3}) +
             "\n  %y = kiln.select %c, %a0, %a2 : " + ty({2, 3}, "i1") + ", " +
             ty({2, 3})});
}

TEST_F(GradientRulesTest, CastFloatToFloat) {
  // Through f32: differences need a larger step than f32's resolution.
  Case c = {{uniform({2, 3})},
            {2, 3},
            "  %c = kiln.cast %a0 : " + ty({2, 3}) + " to " + ty({2, 3}, "f32") +
                "\n  %s = kiln.mul %c, %c : " + ty({2, 3}, "f32") +
                "\n  %y = kiln.cast %s : " + ty({2, 3}, "f32") + " to " +
                ty({2, 3})};
  c.h = 1e-3;
  c.rtol = 1e-3;
  c.atol = 1e-5;
  check(c);
}

TEST_F(GradientRulesTest, CastToIntegerHasNoGradient) {
  Input in = uniform({2, 3}, -3, 3);
  in.avoidIntegers = true;
  check({{in, uniform({2, 3})},
         {2, 3},
         "  %i = kiln.cast %a0 : " + ty({2, 3}) + " to " + ty({2, 3}, "i32") +
             "\n  %c = kiln.cast %i : " + ty({2, 3}, "i32") + " to " +
             ty({2, 3}) + "\n  %y = kiln.mul %c, %a1 : " + ty({2, 3})});
}

//===----------------------------------------------------------------------===//
// Shape and data movement
//===----------------------------------------------------------------------===//

TEST_F(GradientRulesTest, BroadcastLeadingAndUnitDims) {
  check({{uniform({2, 1, 3})},
         {4, 2, 5, 3},
         "  %y = kiln.broadcast %a0 : " + ty({2, 1, 3}) + " to " +
             ty({4, 2, 5, 3})});
}

TEST_F(GradientRulesTest, BroadcastScalar) {
  check({{uniform({})},
         {2, 2},
         "  %y = kiln.broadcast %a0 : " + ty({}) + " to " + ty({2, 2})});
}

TEST_F(GradientRulesTest, Reshape) {
  check({{uniform({2, 3})},
         {3, 1, 2},
         "  %y = kiln.reshape %a0 : " + ty({2, 3}) + " to " + ty({3, 1, 2})});
}

TEST_F(GradientRulesTest, Transpose) {
  check({{uniform({2, 3, 4})},
         {4, 2, 3},
         "  %y = kiln.transpose %a0 {permutation = " + i64s({2, 0, 1}) +
             "} : " + ty({2, 3, 4}) + " -> " + ty({4, 2, 3})});
}

TEST_F(GradientRulesTest, SliceUnitStrides) {
  check({{uniform({5, 7})},
         {3, 4},
         "  %y = kiln.slice %a0 {offsets = " + i64s({1, 2}) + ", sizes = " +
             i64s({3, 4}) + ", strides = " + i64s({1, 1}) + "} : " +
             ty({5, 7}) + " -> " + ty({3, 4})});
}

TEST_F(GradientRulesTest, SliceWithStrides) {
  check({{uniform({5, 7})},
         {2, 3},
         "  %y = kiln.slice %a0 {offsets = " + i64s({1, 0}) + ", sizes = " +
             i64s({2, 3}) + ", strides = " + i64s({2, 3}) + "} : " +
             ty({5, 7}) + " -> " + ty({2, 3})});
}

TEST_F(GradientRulesTest, ConcatWithARepeatedInput) {
  check({{uniform({2, 3}), uniform({2, 4})},
         {2, 10},
         "  %y = kiln.concat %a0, %a1, %a0 {axis = 1 : i64} : (" + ty({2, 3}) +
             ", " + ty({2, 4}) + ", " + ty({2, 3}) + ") -> " + ty({2, 10})});
}

TEST_F(GradientRulesTest, GatherWithDuplicateAndNegativeIndices) {
  check({{uniform({5, 3}), integers({4}, {1, 3, 1, -1})},
         {4, 3},
         "  %y = kiln.gather %a0, %a1 {axis = 0 : i64} : (" + ty({5, 3}) +
             ", " + ty({4}, "i64") + ") -> " + ty({4, 3})});
}

TEST_F(GradientRulesTest, GatherMiddleAxisTwoDimIndices) {
  check({{uniform({2, 5, 3}), integers({2, 2}, {0, 4, 4, 2})},
         {2, 2, 2, 3},
         "  %y = kiln.gather %a0, %a1 {axis = 1 : i64} : (" + ty({2, 5, 3}) +
             ", " + ty({2, 2}, "i64") + ") -> " + ty({2, 2, 2, 3})});
}

TEST_F(GradientRulesTest, GatherScalarIndex) {
  check({{uniform({5, 3}), integers({}, {2})},
         {3},
         "  %y = kiln.gather %a0, %a1 {axis = 0 : i64} : (" + ty({5, 3}) +
             ", " + ty({}, "i64") + ") -> " + ty({3})});
}

TEST_F(GradientRulesTest, Pad) {
  check({{uniform({2, 3})},
         {3, 5},
         "  %y = kiln.pad %a0 {low = " + i64s({1, 0}) + ", high = " +
             i64s({0, 2}) + ", value = 0.5 : f64} : " + ty({2, 3}) + " -> " +
             ty({3, 5})});
}

//===----------------------------------------------------------------------===//
// Contractions and windows
//===----------------------------------------------------------------------===//

TEST_F(GradientRulesTest, Matmul) {
  check({{uniform({3, 4}), uniform({4, 2})},
         {3, 2},
         "  %y = kiln.matmul %a0, %a1 : " + ty({3, 4}) + ", " + ty({4, 2}) +
             " -> " + ty({3, 2})});
}

TEST_F(GradientRulesTest, MatmulBatched) {
  check({{uniform({2, 2, 3, 4}), uniform({2, 2, 4, 2})},
         {2, 2, 3, 2},
         "  %y = kiln.matmul %a0, %a1 : " + ty({2, 2, 3, 4}) + ", " +
             ty({2, 2, 4, 2}) + " -> " + ty({2, 2, 3, 2})});
}

std::string convAttrs(Shape strides, Shape padding, Shape dilations,
                      int64_t groups) {
  return "{strides = " + i64s(strides) + ", padding = " + i64s(padding) +
         ", dilations = " + i64s(dilations) +
         ", groups = " + std::to_string(groups) + " : i64}";
}

TEST_F(GradientRulesTest, Conv2dPlain) {
  check({{uniform({1, 2, 5, 5}), uniform({3, 2, 3, 3})},
         {1, 3, 3, 3},
         "  %y = kiln.conv2d %a0, %a1 " +
             convAttrs({1, 1}, {0, 0, 0, 0}, {1, 1}, 1) + " : " +
             ty({1, 2, 5, 5}) + ", " + ty({3, 2, 3, 3}) + " -> " +
             ty({1, 3, 3, 3})});
}

TEST_F(GradientRulesTest, Conv2dStridePaddingDilationGroups) {
  // H: (7 + 1 + 1 - 2*2 - 1) / 2 + 1 = 3; W: (6 + 1 + 0 - 1 - 1) / 2 + 1 = 3
  // (the last input column is never read: 5 / 2 leaves a remainder).
  check({{uniform({2, 4, 7, 6}), uniform({6, 2, 3, 2})},
         {2, 6, 3, 3},
         "  %y = kiln.conv2d %a0, %a1 " +
             convAttrs({2, 2}, {1, 1, 1, 0}, {2, 1}, 2) + " : " +
             ty({2, 4, 7, 6}) + ", " + ty({6, 2, 3, 2}) + " -> " +
             ty({2, 6, 3, 3})});
}

TEST_F(GradientRulesTest, Conv2dDepthwise) {
  // groups = C = 3, two filters per channel, asymmetric padding.
  check({{uniform({1, 3, 5, 4}), uniform({6, 1, 2, 3})},
         {1, 6, 5, 3},
         "  %y = kiln.conv2d %a0, %a1 " +
             convAttrs({1, 1}, {1, 0, 0, 1}, {1, 1}, 3) + " : " +
             ty({1, 3, 5, 4}) + ", " + ty({6, 1, 2, 3}) + " -> " +
             ty({1, 6, 5, 3})});
}

TEST_F(GradientRulesTest, Conv2dBackwardInputIsDifferentiable) {
  // The adjoint of Conv2dStridePaddingDilationGroups (ONNX ConvTranspose):
  // [2, 6, 3, 3] x [6, 2, 3, 2] -> [2, 4, 7, 6].
  check({{uniform({2, 6, 3, 3}), uniform({6, 2, 3, 2})},
         {2, 4, 7, 6},
         "  %y = kiln.conv2d_backward_input %a0, %a1 " +
             convAttrs({2, 2}, {1, 1, 1, 0}, {2, 1}, 2) + " : " +
             ty({2, 6, 3, 3}) + ", " + ty({6, 2, 3, 2}) + " -> " +
             ty({2, 4, 7, 6})});
}

TEST_F(GradientRulesTest, Conv2dBackwardFilterIsDifferentiable) {
  check({{uniform({2, 4, 7, 6}), uniform({2, 6, 3, 3})},
         {6, 2, 3, 2},
         "  %y = kiln.conv2d_backward_filter %a0, %a1 " +
             convAttrs({2, 2}, {1, 1, 1, 0}, {2, 1}, 2) + " : " +
             ty({2, 4, 7, 6}) + ", " + ty({2, 6, 3, 3}) + " -> " +
             ty({6, 2, 3, 2})});
}

std::string poolAttrs(Shape kernel, Shape strides, Shape padding,
                      Shape dilations, const std::string &extra = "") {
  return "{kernel = " + i64s(kernel) + ", strides = " + i64s(strides) +
         ", padding = " + i64s(padding) + ", dilations = " + i64s(dilations) +
         extra + "}";
}

TEST_F(GradientRulesTest, MaxPoolOverlappingWindowsWithPadding) {
  // H: (5 + 2 - 2 - 1) / 2 + 1 = 3; W: (6 + 1 - 2 - 1) / 2 + 1 = 3.
  check({{uniform({1, 2, 5, 6})},
         {1, 2, 3, 3},
         "  %y = kiln.max_pool2d %a0 " +
             poolAttrs({3, 2}, {2, 2}, {1, 1, 1, 0}, {1, 2}) + " : " +
             ty({1, 2, 5, 6}) + " -> " + ty({1, 2, 3, 3})});
}

TEST_F(GradientRulesTest, MaxPoolStrideOneDilatedPadded) {
  // Every input position is a tap of up to 6 windows (stride 1, dilated
  // taps), with padding on all sides, asymmetric in H.
  // H: (6 + 2 + 1 - 5) / 1 + 1 = 5; W: (7 + 1 + 1 - 3) / 1 + 1 = 7.
  check({{uniform({1, 2, 6, 7})},
         {1, 2, 5, 7},
         "  %y = kiln.max_pool2d %a0 " +
             poolAttrs({3, 2}, {1, 1}, {2, 1, 1, 1}, {2, 2}) + " : " +
             ty({1, 2, 6, 7}) + " -> " + ty({1, 2, 5, 7})});
}

TEST_F(GradientRulesTest, AvgPoolWithPadding) {
  for (const char *include : {"false", "true"})
    check({{uniform({1, 2, 5, 6})},
           {1, 2, 3, 3},
           "  %y = kiln.avg_pool2d %a0 " +
               poolAttrs({3, 2}, {2, 2}, {1, 1, 1, 0}, {1, 2},
                         std::string(", count_include_pad = ") + include) +
               " : " + ty({1, 2, 5, 6}) + " -> " + ty({1, 2, 3, 3})});
}

//===----------------------------------------------------------------------===//
// Reductions and softmax
//===----------------------------------------------------------------------===//

Case reduceCase(const std::string &op, Input in, bool keep) {
  in.shape = {2, 3, 4};
  Shape out = keep ? Shape{1, 3, 1} : Shape{3};
  return {{in},
          out,
          "  %y = kiln." + op + " %a0 {axes = " + i64s({0, 2}) +
              ", keep_dims = " + (keep ? "true" : "false") + "} : " +
              ty({2, 3, 4}) + " -> " + ty(out)};
}

TEST_F(GradientRulesTest, ReduceSum) {
  check(reduceCase("reduce_sum", uniform({}), false));
  check(reduceCase("reduce_sum", uniform({}), true));
}
TEST_F(GradientRulesTest, ReduceMean) {
  check(reduceCase("reduce_mean", uniform({}), false));
  check(reduceCase("reduce_mean", uniform({}), true));
}
TEST_F(GradientRulesTest, ReduceMax) {
  check(reduceCase("reduce_max", uniform({}), false));
  check(reduceCase("reduce_max", uniform({}), true));
}
TEST_F(GradientRulesTest, ReduceMin) {
  check(reduceCase("reduce_min", uniform({}), false));
  check(reduceCase("reduce_min", uniform({}), true));
}
TEST_F(GradientRulesTest, ReduceProd) {
  check(reduceCase("reduce_prod", uniform({}), false));
  check(reduceCase("reduce_prod", uniform({}), true));
}

TEST_F(GradientRulesTest, ReduceOverEveryAxis) {
  // To a scalar (a loss), and keeping every dimension.
  check({{uniform({2, 3})},
         {},
         "  %y = kiln.reduce_sum %a0 {axes = " + i64s({0, 1}) +
             ", keep_dims = false} : " + ty({2, 3}) + " -> " + ty({})});
  check({{uniform({2, 3})},
         {1, 1},
         "  %y = kiln.reduce_mean %a0 {axes = " + i64s({0, 1}) +
             ", keep_dims = true} : " + ty({2, 3}) + " -> " + ty({1, 1})});
}

TEST_F(GradientRulesTest, ReduceProdWithZeros) {
  // Row 0: no zero; row 1: one zero; row 2: two zeros. The product is
  // linear in each element, so central differences are exact here.
  check({{given({3, 3}, {0.5, -1.5, 2.0, 1.25, 0.0, -0.75, 0.0, 3.0, 0.0})},
         {3},
         "  %y = kiln.reduce_prod %a0 {axes = " + i64s({1}) +
             ", keep_dims = false} : " + ty({3, 3}) + " -> " + ty({3})});
}

TEST_F(GradientRulesTest, ArgMaxAndArgMinPassNoGradient) {
  // y = x * (argmax(x) + argmin(x)) along rows: the indices are piecewise
  // constant in x (no ties in uniform draws), so dy/dx = the factor only,
  // and autodiff must know the index ops have no gradient (not "no rule").
  std::string t = ty({2, 3}), idx = ty({2, 1}, "i64");
  check({{uniform({2, 3})},
         {2, 3},
         "  %i = kiln.argmax %a0 {axis = 1 : i64, keep_dims = true, "
         "select_last = false} : " + t + " -> " + idx +
             "\n  %j = kiln.argmin %a0 {axis = 1 : i64, keep_dims = true, "
             "select_last = true} : " + t + " -> " + idx +
             "\n  %k = kiln.add %i, %j : " + idx +
             "\n  %c = kiln.cast %k : " + idx + " to " + ty({2, 1}) +
             "\n  %b = kiln.broadcast %c : " + ty({2, 1}) + " to " + t +
             "\n  %y = kiln.mul %a0, %b : " + t});
}

TEST_F(GradientRulesTest, SoftmaxMiddleAxis) {
  check({{uniform({2, 4, 3})},
         {2, 4, 3},
         "  %y = kiln.softmax %a0 {axis = 1 : i64} : " + ty({2, 4, 3})});
}

TEST_F(GradientRulesTest, LogSoftmaxMiddleAxis) {
  check({{uniform({2, 4, 3})},
         {2, 4, 3},
         "  %y = kiln.log_softmax %a0 {axis = 1 : i64} : " + ty({2, 4, 3})});
}

//===----------------------------------------------------------------------===//
// Backward primitives with rules (second derivatives through them)
//===----------------------------------------------------------------------===//

TEST_F(GradientRulesTest, SliceBackward) {
  check({{uniform({2, 3})},
         {5, 7},
         "  %y = kiln.slice_backward %a0 {offsets = " + i64s({1, 0}) +
             ", strides = " + i64s({2, 3}) + "} : " + ty({2, 3}) + " -> " +
             ty({5, 7})});
}

TEST_F(GradientRulesTest, ScatterAdd) {
  check({{uniform({5, 3}), integers({4}, {1, 3, 1, -1}), uniform({4, 3})},
         {5, 3},
         "  %y = kiln.scatter_add %a0, %a1, %a2 {axis = 0 : i64} : (" +
             ty({5, 3}) + ", " + ty({4}, "i64") + ", " + ty({4, 3}) + ") -> " +
             ty({5, 3})});
}

//===----------------------------------------------------------------------===//
// Compositions: what the importer builds for normalizations and losses.
//===----------------------------------------------------------------------===//

TEST_F(GradientRulesTest, LayerNormComposition) {
  std::string x = ty({2, 5}), col = ty({2, 1}), row = ty({5});
  check({{uniform({2, 5}), uniform({5}), uniform({5})},
         {2, 5},
         "  %m = kiln.reduce_mean %a0 {axes = " + i64s({1}) +
             ", keep_dims = true} : " + x + " -> " + col +
             "\n  %mb = kiln.broadcast %m : " + col + " to " + x +
             "\n  %c = kiln.sub %a0, %mb : " + x +
             "\n  %sq = kiln.mul %c, %c : " + x +
             "\n  %v = kiln.reduce_mean %sq {axes = " + i64s({1}) +
             ", keep_dims = true} : " + x + " -> " + col +
             "\n  %eps = kiln.constant dense<1.0e-5> : " + col +
             "\n  %ve = kiln.add %v, %eps : " + col +
             "\n  %r = kiln.rsqrt %ve : " + col +
             "\n  %rb = kiln.broadcast %r : " + col + " to " + x +
             "\n  %n = kiln.mul %c, %rb : " + x +
             "\n  %gb = kiln.broadcast %a1 : " + row + " to " + x +
             "\n  %bb = kiln.broadcast %a2 : " + row + " to " + x +
             "\n  %s = kiln.mul %n, %gb : " + x +
             "\n  %y = kiln.add %s, %bb : " + x});
}

TEST_F(GradientRulesTest, TrainingBatchNormComposition) {
  std::string x = ty({3, 2, 2, 2}), stat = ty({1, 2, 1, 1}), ch = ty({2});
  std::string axes = i64s({0, 2, 3});
  check({{uniform({3, 2, 2, 2}), uniform({2}), uniform({2})},
         {3, 2, 2, 2},
         "  %m = kiln.reduce_mean %a0 {axes = " + axes +
             ", keep_dims = true} : " + x + " -> " + stat +
             "\n  %mb = kiln.broadcast %m : " + stat + " to " + x +
             "\n  %c = kiln.sub %a0, %mb : " + x +
             "\n  %sq = kiln.mul %c, %c : " + x +
             "\n  %v = kiln.reduce_mean %sq {axes = " + axes +
             ", keep_dims = true} : " + x + " -> " + stat +
             "\n  %eps = kiln.constant dense<1.0e-5> : " + stat +
             "\n  %ve = kiln.add %v, %eps : " + stat +
             "\n  %sd = kiln.sqrt %ve : " + stat +
             "\n  %sdb = kiln.broadcast %sd : " + stat + " to " + x +
             "\n  %n = kiln.div %c, %sdb : " + x +
             "\n  %g4 = kiln.reshape %a1 : " + ch + " to " + stat +
             "\n  %b4 = kiln.reshape %a2 : " + ch + " to " + stat +
             "\n  %gb = kiln.broadcast %g4 : " + stat + " to " + x +
             "\n  %bb = kiln.broadcast %b4 : " + stat + " to " + x +
             "\n  %s = kiln.mul %n, %gb : " + x +
             "\n  %y = kiln.add %s, %bb : " + x});
}

TEST_F(GradientRulesTest, SoftmaxCrossEntropyComposition) {
  // mean over the batch of -log_softmax(logits)[label], the label picked by
  // a one-hot mask built from an integer input (which gets no gradient).
  std::string l = ty({3, 4}), li = ty({3, 4}, "i64");
  check({{uniform({3, 4}), integers({3}, {2, 0, 3})},
         {},
         "  %ls = kiln.log_softmax %a0 {axis = 1 : i64} : " + l +
             "\n  %iota = kiln.constant dense<[0, 1, 2, 3]> : " + ty({4}, "i64") +
             "\n  %ib = kiln.broadcast %iota : " + ty({4}, "i64") + " to " + li +
             "\n  %lab = kiln.reshape %a1 : " + ty({3}, "i64") + " to " +
             ty({3, 1}, "i64") +
             "\n  %lb = kiln.broadcast %lab : " + ty({3, 1}, "i64") + " to " +
             li + "\n  %hot = kiln.compare eq, %ib, %lb : " + li +
             "\n  %hf = kiln.cast %hot : " + ty({3, 4}, "i1") + " to " + l +
             "\n  %p = kiln.mul %ls, %hf : " + l +
             "\n  %s = kiln.reduce_sum %p {axes = " + i64s({1}) +
             ", keep_dims = false} : " + l + " -> " + ty({3}) +
             "\n  %n = kiln.neg %s : " + ty({3}) +
             "\n  %y = kiln.reduce_mean %n {axes = " + i64s({0}) +
             ", keep_dims = false} : " + ty({3}) + " -> " + ty({})});
}

TEST_F(GradientRulesTest, MseAndExactGeluComposition) {
  std::string t = ty({2, 3});
  check({{uniform({2, 3}), uniform({2, 3})},
         {},
         "  %half = kiln.constant dense<0.5> : " + t +
             "\n  %one = kiln.constant dense<1.0> : " + t +
             "\n  %isq2 = kiln.constant dense<0.70710678118654752> : " + t +
             "\n  %u = kiln.mul %a0, %isq2 : " + t +
             "\n  %e = kiln.erf %u : " + t + "\n  %e1 = kiln.add %e, %one : " +
             t + "\n  %hx = kiln.mul %a0, %half : " + t +
             "\n  %gelu = kiln.mul %hx, %e1 : " + t +
             "\n  %d = kiln.sub %gelu, %a1 : " + t +
             "\n  %sq = kiln.mul %d, %d : " + t +
             "\n  %y = kiln.reduce_mean %sq {axes = " + i64s({0, 1}) +
             ", keep_dims = false} : " + t + " -> " + ty({})});
}

TEST_F(GradientRulesTest, ConvPoolLinearNetwork) {
  // conv -> relu -> max pool -> flatten -> matmul -> tanh.
  check({{uniform({2, 1, 6, 6}), uniform({2, 1, 3, 3}), uniform({8, 3})},
         {2, 3},
         "  %c = kiln.conv2d %a0, %a1 " +
             convAttrs({1, 1}, {1, 1, 1, 1}, {1, 1}, 1) + " : " +
             ty({2, 1, 6, 6}) + ", " + ty({2, 1, 3, 3}) + " -> " +
             ty({2, 2, 6, 6}) + "\n  %r = kiln.relu %c : " + ty({2, 2, 6, 6}) +
             "\n  %p = kiln.max_pool2d %r " +
             poolAttrs({3, 3}, {3, 3}, {0, 0, 0, 0}, {1, 1}) + " : " +
             ty({2, 2, 6, 6}) + " -> " + ty({2, 2, 2, 2}) +
             "\n  %f = kiln.reshape %p : " + ty({2, 2, 2, 2}) + " to " +
             ty({2, 8}) + "\n  %m = kiln.matmul %f, %a2 : " + ty({2, 8}) +
             ", " + ty({8, 3}) + " -> " + ty({2, 3}) +
             "\n  %y = kiln.tanh %m : " + ty({2, 3})});
}

//===----------------------------------------------------------------------===//
// The pass: fan-out, integers, cuts, unreached inputs.
//===----------------------------------------------------------------------===//

TEST_F(GradientRulesTest, FanOutAccumulates) {
  std::string t = ty({2, 3});
  check({{uniform({2, 3}), uniform({2, 3})},
         {2, 3},
         "  %s = kiln.sin %a0 : " + t + "\n  %p = kiln.mul %a0, %a0 : " + t +
             "\n  %q = kiln.mul %p, %a1 : " + t +
             "\n  %y = kiln.add %q, %s : " + t});
}

TEST_F(GradientRulesTest, IntegerInputGetsNoGradient) {
  // The integer input is cast to float and used; only the float input is
  // differentiated (and FD agrees, the integer input being held fixed).
  std::string t = ty({4});
  check({{uniform({4}), integers({4}, {3, -1, 0, 7})},
         {4},
         "  %c = kiln.cast %a1 : " + ty({4}, "i64") + " to " + t +
             "\n  %y = kiln.mul %a0, %c : " + t});
}

/// Runs `source`'s @main after autodiff on `inputs` and returns its outputs
/// as doubles.
class GradientValuesTest : public GradientRulesTest {
protected:
  std::vector<std::vector<double>> run(const std::string &source,
                                       std::vector<rt::Tensor> inputs) {
    auto jit = compile(source, /*autodiff=*/true);
    if (!jit)
      return {};
    auto outputs = jit->run(inputs);
    if (!outputs) {
      ADD_FAILURE() << llvm::toString(outputs.takeError());
      return {};
    }
    std::vector<std::vector<double>> values;
    for (const rt::Tensor &t : *outputs)
      values.push_back(valuesOf(t));
    return values;
  }

  static rt::Tensor f64(Shape s, std::vector<double> v) {
    rt::Tensor t(rt::DType::F64, std::move(s));
    std::memcpy(t.data(), v.data(), t.numBytes());
    return t;
  }
};

TEST_F(GradientValuesTest, StopGradientCutsTheFlow) {
  // f = sum(x * stop_gradient(x)): df/dx = stop_gradient(x) = x, not 2x.
  auto out = run(R"(
func.func @main(%x: tensor<3xf64>) -> tensor<3xf64> {
  %s = kiln.stop_gradient %x : tensor<3xf64>
  %p = kiln.mul %x, %s : tensor<3xf64>
  %f = kiln.reduce_sum %p {axes = array<i64: 0>, keep_dims = false} : tensor<3xf64> -> tensor<f64>
  %g = kiln.gradient %f wrt %x : tensor<f64> wrt tensor<3xf64>
  return %g : tensor<3xf64>
})",
                 {f64({3}, {1.0, -2.0, 0.5})});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], (std::vector<double>{1.0, -2.0, 0.5}));
}

TEST_F(GradientValuesTest, UnreachedInputGetsZeros) {
  auto out = run(R"(
func.func @main(%x: tensor<2xf64>, %z: tensor<2xf64>) -> (tensor<2xf64>, tensor<2xf64>) {
  %f = kiln.reduce_sum %x {axes = array<i64: 0>, keep_dims = false} : tensor<2xf64> -> tensor<f64>
  %g:2 = kiln.gradient %f wrt %x, %z : tensor<f64> wrt tensor<2xf64>, tensor<2xf64>
  return %g#0, %g#1 : tensor<2xf64>, tensor<2xf64>
})",
                 {f64({2}, {1.0, 2.0}), f64({2}, {3.0, 4.0})});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], (std::vector<double>{1.0, 1.0}));
  EXPECT_EQ(out[1], (std::vector<double>{0.0, 0.0}));
}

TEST_F(GradientValuesTest, ConventionsAtNonDifferentiablePoints) {
  // relu'(0) = 0, |x|'(0) = 0, max/min split a tie evenly.
  auto out = run(R"(
func.func @main(%x: tensor<3xf64>, %y: tensor<3xf64>) -> (tensor<3xf64>, tensor<3xf64>, tensor<3xf64>, tensor<3xf64>) {
  %r = kiln.relu %x : tensor<3xf64>
  %fr = kiln.reduce_sum %r {axes = array<i64: 0>, keep_dims = false} : tensor<3xf64> -> tensor<f64>
  %gr = kiln.gradient %fr wrt %x : tensor<f64> wrt tensor<3xf64>
  %a = kiln.abs %x : tensor<3xf64>
  %fa = kiln.reduce_sum %a {axes = array<i64: 0>, keep_dims = false} : tensor<3xf64> -> tensor<f64>
  %ga = kiln.gradient %fa wrt %x : tensor<f64> wrt tensor<3xf64>
  %m = kiln.max %x, %y : tensor<3xf64>
  %fm = kiln.reduce_sum %m {axes = array<i64: 0>, keep_dims = false} : tensor<3xf64> -> tensor<f64>
  %gm:2 = kiln.gradient %fm wrt %x, %y : tensor<f64> wrt tensor<3xf64>, tensor<3xf64>
  return %gr, %ga, %gm#0, %gm#1 : tensor<3xf64>, tensor<3xf64>, tensor<3xf64>, tensor<3xf64>
})",
                 {f64({3}, {-1.0, 0.0, 2.0}), f64({3}, {0.0, 0.0, 1.0})});
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0], (std::vector<double>{0.0, 0.0, 1.0}));
  EXPECT_EQ(out[1], (std::vector<double>{-1.0, 0.0, 1.0}));
  EXPECT_EQ(out[2], (std::vector<double>{0.0, 0.5, 1.0}));
  EXPECT_EQ(out[3], (std::vector<double>{1.0, 0.5, 0.0}));
}

TEST_F(GradientValuesTest, MaxPoolTieGoesToTheFirstMaximum) {
  // One 2x2 window of equal values: the first (row-major) gets it all.
  auto out = run(R"(
func.func @main(%x: tensor<1x1x2x2xf64>) -> tensor<1x1x2x2xf64> {
  %p = kiln.max_pool2d %x {kernel = array<i64: 2, 2>, strides = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : tensor<1x1x2x2xf64> -> tensor<1x1x1x1xf64>
  %f = kiln.reduce_sum %p {axes = array<i64: 0, 1, 2, 3>, keep_dims = false} : tensor<1x1x1x1xf64> -> tensor<f64>
  %g = kiln.gradient %f wrt %x : tensor<f64> wrt tensor<1x1x2x2xf64>
  return %g : tensor<1x1x2x2xf64>
})",
                 {f64({1, 1, 2, 2}, {0.5, 0.5, 0.5, 0.5})});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], (std::vector<double>{1.0, 0.0, 0.0, 0.0}));
}

TEST_F(GradientValuesTest, MaxPoolTiesInOverlappingPaddedWindows) {
  // 2x2 windows, stride 1, padding 1: 16 windows over a 3x3 input of equal
  // values (channel 0) or all -inf (channel 1, as -inf as the padding).
  // Window (oh, ow) covers rows oh-1..oh, columns ow-1..ow; its first real
  // tap, (max(oh-1, 0), max(ow-1, 0)), gets its 1: the padding never wins.
  auto out = run(R"(
func.func @main(%x: tensor<1x2x3x3xf64>) -> tensor<1x2x3x3xf64> {
  %p = kiln.max_pool2d %x {kernel = array<i64: 2, 2>, strides = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : tensor<1x2x3x3xf64> -> tensor<1x2x4x4xf64>
  %f = kiln.reduce_sum %p {axes = array<i64: 0, 1, 2, 3>, keep_dims = false} : tensor<1x2x4x4xf64> -> tensor<f64>
  %g = kiln.gradient %f wrt %x : tensor<f64> wrt tensor<1x2x3x3xf64>
  return %g : tensor<1x2x3x3xf64>
})",
                 {f64({1, 2, 3, 3}, {0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5,
                                     0.5, -INFINITY, -INFINITY, -INFINITY,
                                     -INFINITY, -INFINITY, -INFINITY,
                                     -INFINITY, -INFINITY, -INFINITY})});
  ASSERT_EQ(out.size(), 1u);
  std::vector<double> perChannel = {4, 2, 2, 2, 1, 1, 2, 1, 1};
  std::vector<double> expected = perChannel;
  expected.insert(expected.end(), perChannel.begin(), perChannel.end());
  EXPECT_EQ(out[0], expected);
}

TEST_F(GradientValuesTest, SecondDerivative) {
  // d/dx sum(d/dx sum(x^3)) = d/dx sum(3x^2) = 6x.
  auto out = run(R"(
func.func @main(%x: tensor<3xf64>) -> tensor<3xf64> {
  %x2 = kiln.mul %x, %x : tensor<3xf64>
  %x3 = kiln.mul %x2, %x : tensor<3xf64>
  %f = kiln.reduce_sum %x3 {axes = array<i64: 0>, keep_dims = false} : tensor<3xf64> -> tensor<f64>
  %g = kiln.gradient %f wrt %x : tensor<f64> wrt tensor<3xf64>
  %h = kiln.reduce_sum %g {axes = array<i64: 0>, keep_dims = false} : tensor<3xf64> -> tensor<f64>
  %gg = kiln.gradient %h wrt %x : tensor<f64> wrt tensor<3xf64>
  return %gg : tensor<3xf64>
})",
                 {f64({3}, {1.0, -2.0, 0.5})});
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].size(), 3u);
  EXPECT_NEAR(out[0][0], 6.0, 1e-12);
  EXPECT_NEAR(out[0][1], -12.0, 1e-12);
  EXPECT_NEAR(out[0][2], 3.0, 1e-12);
}

//===----------------------------------------------------------------------===//
// Further math (KilnMathOps.td)
//===----------------------------------------------------------------------===//

TEST_F(GradientRulesTest, Atan) { check(unaryCase("atan", uniform({}, -3, 3))); }

TEST_F(GradientRulesTest, RemBothOperands) {
  // Quotients away from integers, where rem jumps.
  check(binaryCase("rem", given({}, {2.3, -1.7, 0.45, 3.1, -2.6, 1.2}),
                   given({}, {0.9, 0.8, -1.1, 1.3, -0.7, 2.5})));
}

TEST_F(GradientRulesTest, RoundHasNoGradient) {
  check(unaryCase("round", given({}, {0.2, -1.3, 2.7, -0.8, 1.1, 3.4})));
}

TEST_F(GradientRulesTest, BitwiseOpsPassNoGradient) {
  Input in = uniform({2, 3}, -3, 3);
  in.avoidIntegers = true;
  std::string i32 = ty({2, 3}, "i32");
  check({{in, uniform({2, 3})},
         {2, 3},
         "  %i = kiln.cast %a0 : " + ty({2, 3}) + " to " + i32 +
             "\n  %one = kiln.constant dense<1> : " + i32 +
             "\n  %s = kiln.shift_left %i, %one : " + i32 +
             "\n  %r = kiln.shift_right %s, %one : " + i32 +
             "\n  %x = kiln.xor %r, %one : " + i32 +
             "\n  %o = kiln.or %x, %i : " + i32 +
             "\n  %n = kiln.and %o, %s : " + i32 +
             "\n  %c = kiln.cast %n : " + i32 + " to " + ty({2, 3}) +
             "\n  %y = kiln.mul %c, %a1 : " + ty({2, 3})});
}

} // namespace
