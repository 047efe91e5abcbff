//===- KilnToLinalgTest.cpp - Tests of convert-kiln-to-linalg -------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Every kiln op is lowered by --convert-kiln-to-linalg; the result must
// verify, hold no kiln op and use the expected upstream ops. Then the lowered
// module is compiled by the CPU JitExecutor and run: expected numbers come
// from plain C++ loops here (conv2d, pooling, gather, softmax, reductions,
// broadcast, casts, NaN handling, ...). Also checked: dynamic shapes are
// rejected with a diagnostic that names the op.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/CPU/JitExecutor.h"
#include "kiln/Codegen/CPU/Pipeline.h"
#include "kiln/Conversion/KilnToLinalg/KilnToLinalg.h"
#include "kiln/Conversion/Passes.h"
#include "kiln/Dialect/Kiln/KilnDialect.h"
#include "kiln/Dialect/Kiln/KilnOps.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <sstream>

using namespace kiln;
using rt::DType;

namespace {

//===----------------------------------------------------------------------===//
// IR and tensor helpers.
//===----------------------------------------------------------------------===//

using Shape = std::vector<int64_t>;

int64_t numel(const Shape &s) {
  int64_t n = 1;
  for (int64_t d : s)
    n *= d;
  return n;
}

/// Row-major flat index of `idx` in `s`.
int64_t flatIndex(const Shape &idx, const Shape &s) {
  int64_t f = 0;
  for (size_t i = 0; i < s.size(); ++i)
    f = f * s[i] + idx[i];
  return f;
}

Shape unflatIndex(int64_t f, const Shape &s) {
  Shape idx(s.size());
  for (int64_t i = static_cast<int64_t>(s.size()) - 1; i >= 0; --i) {
    idx[i] = s[i] ? f % s[i] : 0;
    f = s[i] ? f / s[i] : 0;
  }
  return idx;
}

/// "tensor<2x3xf32>", "tensor<f32>".
std::string ty(const Shape &s, const std::string &elt) {
  std::string out = "tensor<";
  for (int64_t d : s)
    out += std::to_string(d) + "x";
  return out + elt + ">";
}

std::string i64Array(const Shape &v) {
  std::string out = "array<i64";
  for (size_t i = 0; i < v.size(); ++i)
    out += (i ? ", " : ": ") + std::to_string(v[i]);
  return out + ">";
}

/// `func.func @main(%a0: T0, ...) -> R { BODY; return %r : R }`.
std::string program(const std::vector<std::string> &argTypes,
                    const std::string &resultType, const std::string &body) {
  std::string s = "func.func @main(";
  for (size_t i = 0; i < argTypes.size(); ++i)
    s += (i ? ", " : "") + ("%a" + std::to_string(i)) + ": " + argTypes[i];
  s += ") -> " + resultType + " {\n" + body + "\n  return %r : " + resultType +
       "\n}\n";
  return s;
}

template <typename T>
rt::Tensor makeTensor(DType dtype, Shape shape, const std::vector<T> &values) {
  rt::Tensor t(dtype, std::move(shape));
  EXPECT_EQ(static_cast<size_t>(t.numElements()), values.size());
  if (!values.empty())
    std::memcpy(t.data(), values.data(), values.size() * sizeof(T));
  return t;
}
rt::Tensor f32(Shape s, const std::vector<float> &v) {
  return makeTensor(DType::F32, std::move(s), v);
}
rt::Tensor i32(Shape s, const std::vector<int32_t> &v) {
  return makeTensor(DType::I32, std::move(s), v);
}
rt::Tensor i64(Shape s, const std::vector<int64_t> &v) {
  return makeTensor(DType::I64, std::move(s), v);
}
rt::Tensor boolT(Shape s, const std::vector<uint8_t> &v) {
  return makeTensor(DType::Bool, std::move(s), v);
}

template <typename T> std::vector<T> valuesOf(const rt::Tensor &t) {
  EXPECT_EQ(t.numBytes(), t.numElements() * sizeof(T));
  std::vector<T> v(t.numElements());
  if (!v.empty())
    std::memcpy(v.data(), t.data(), t.numBytes());
  return v;
}

/// Deterministic varied values in [-2.75, 2.75], step 0.25.
std::vector<float> data(int64_t n, int seed = 0) {
  std::vector<float> v(n);
  for (int64_t i = 0; i < n; ++i)
    v[i] = 0.25f * static_cast<float>((i * 7 + seed * 5) % 23 - 11);
  return v;
}

const float kNaN = std::numeric_limits<float>::quiet_NaN();
const float kInf = std::numeric_limits<float>::infinity();

/// Float comparison: NaN matches NaN, infinities match exactly.
::testing::AssertionResult close(float got, float want, float rtol = 1e-5f,
                                 float atol = 1e-6f) {
  if (std::isnan(want) || std::isnan(got)) {
    if (std::isnan(want) && std::isnan(got))
      return ::testing::AssertionSuccess();
  } else if (std::isinf(want) || std::isinf(got)) {
    if (got == want)
      return ::testing::AssertionSuccess();
  } else if (std::fabs(got - want) <= atol + rtol * std::fabs(want)) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "got " << got << ", want " << want;
}

void expectClose(const std::vector<float> &got, const std::vector<float> &want,
                 float rtol = 1e-5f, float atol = 1e-6f) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_TRUE(close(got[i], want[i], rtol, atol)) << "at flat index " << i;
}

//===----------------------------------------------------------------------===//
// Fixture: lower, check, run.
//===----------------------------------------------------------------------===//

class KilnToLinalgTest : public ::testing::Test {
protected:
  KilnToLinalgTest() : context(makeRegistry()) {
    context.loadAllAvailableDialects();
  }

  static mlir::DialectRegistry makeRegistry() {
    mlir::DialectRegistry registry;
    registry.insert<KilnDialect>();
    cpu::registerCPUPipelineDependencies(registry);
    return registry;
  }

  /// Parses `source`, runs --convert-kiln-to-linalg and returns the module
  /// (null if parsing or the pass failed). With `expectSuccess`, failures
  /// fail the test, and the result must verify and hold no kiln op.
  /// Diagnostics are collected in `diagnostics`.
  mlir::OwningOpRef<mlir::ModuleOp> lower(const std::string &source,
                                          bool expectSuccess = true) {
    diagnostics.clear();
    mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &d) {
      diagnostics += d.str() + "\n";
      return mlir::success();
    });
    auto module = mlir::parseSourceString<mlir::ModuleOp>(source, &context);
    if (!module) {
      ADD_FAILURE() << "could not parse:\n" << source << diagnostics;
      return nullptr;
    }
    mlir::PassManager pm(&context);
    pm.addPass(createConvertKilnToLinalg());
    if (mlir::failed(pm.run(*module))) {
      if (expectSuccess)
        ADD_FAILURE() << "convert-kiln-to-linalg failed:\n"
                      << diagnostics << source;
      return nullptr;
    }
    if (!expectSuccess)
      return module;
    EXPECT_TRUE(mlir::succeeded(mlir::verify(*module)))
        << diagnostics << print(*module);
    int kilnOps = 0;
    module->walk([&](mlir::Operation *op) {
      if (llvm::isa<KilnDialect>(op->getDialect()))
        ++kilnOps;
    });
    EXPECT_EQ(kilnOps, 0) << print(*module);
    return module;
  }

  static std::string print(mlir::ModuleOp module) {
    std::string s;
    llvm::raw_string_ostream os(s);
    module.print(os);
    return s;
  }

  /// Lowers `source` and checks that its IR contains every one of `ops`.
  void expectLowersTo(const std::string &source,
                      const std::vector<std::string> &ops) {
    auto module = lower(source);
    if (!module)
      return;
    std::string ir = print(*module);
    for (const std::string &op : ops)
      EXPECT_NE(ir.find(op), std::string::npos)
          << "missing " << op << " in:\n"
          << ir;
  }

  /// Lowers and runs `source`'s @main; failures fail the test.
  std::vector<rt::Tensor> run(const std::string &source,
                              const std::vector<rt::Tensor> &inputs) {
    auto module = lower(source);
    if (!module)
      return {};
    auto jit = cpu::JitExecutor::create(*module, "main");
    if (!jit) {
      ADD_FAILURE() << llvm::toString(jit.takeError()) << "\n"
                    << print(*module);
      return {};
    }
    auto outputs = (*jit)->run(inputs);
    if (!outputs) {
      ADD_FAILURE() << llvm::toString(outputs.takeError());
      return {};
    }
    return std::move(*outputs);
  }

  /// Runs a one-result program and returns its values as T.
  template <typename T>
  std::vector<T> run1(const std::string &source,
                      const std::vector<rt::Tensor> &inputs) {
    auto outputs = run(source, inputs);
    if (outputs.size() != 1) {
      ADD_FAILURE() << "expected one output, got " << outputs.size();
      return {};
    }
    return valuesOf<T>(outputs[0]);
  }

  mlir::MLIRContext context;
  std::string diagnostics;
};

//===----------------------------------------------------------------------===//
// Structure: every op lowers to the expected upstream ops.
//===----------------------------------------------------------------------===//

TEST_F(KilnToLinalgTest, EveryOpLowersToUpstreamOps) {
  struct Case {
    const char *name;
    std::string source;
    std::vector<std::string> ops;
  };
  std::string t4 = ty({4}, "f32"), i4 = ty({4}, "i32");
  std::vector<Case> cases = {
      {"constant",
       program({}, t4, "%r = kiln.constant dense<[1.0, 2.0, 3.0, 4.0]> : " + t4),
       {"arith.constant dense<[1.000000e+00"}},
      {"unary", program({t4}, t4, "%r = kiln.sigmoid %a0 : " + t4),
       {"linalg.generic", "math.exp", "arith.divf"}},
      {"erf", program({t4}, t4, "%r = kiln.erf %a0 : " + t4), {"math.erf"}},
      {"rsqrt", program({t4}, t4, "%r = kiln.rsqrt %a0 : " + t4),
       {"math.rsqrt"}},
      {"max", program({t4, t4}, t4, "%r = kiln.max %a0, %a1 : " + t4),
       {"arith.maximumf"}},
      {"div int", program({i4, i4}, i4, "%r = kiln.div %a0, %a1 : " + i4),
       {"arith.divsi"}},
      {"compare ne",
       program({t4, t4}, ty({4}, "i1"), "%r = kiln.compare ne, %a0, %a1 : " + t4),
       {"arith.cmpf une"}},
      {"select",
       program({ty({4}, "i1"), t4, t4}, t4,
               "%r = kiln.select %a0, %a1, %a2 : " + ty({4}, "i1") + ", " + t4),
       {"arith.select"}},
      {"cast", program({t4}, i4, "%r = kiln.cast %a0 : " + t4 + " to " + i4),
       {"arith.fptosi"}},
      {"broadcast",
       program({ty({3, 1}, "f32")}, ty({2, 3, 4}, "f32"),
               "%r = kiln.broadcast %a0 : " + ty({3, 1}, "f32") + " to " +
                   ty({2, 3, 4}, "f32")),
       {"affine_map<(d0, d1, d2) -> (d1, 0)>", "linalg.generic"}},
      {"matmul",
       program({ty({2, 3}, "f32"), ty({3, 4}, "f32")}, ty({2, 4}, "f32"),
               "%r = kiln.matmul %a0, %a1 : " + ty({2, 3}, "f32") + ", " +
                   ty({3, 4}, "f32") + " -> " + ty({2, 4}, "f32")),
       {"linalg.fill", "linalg.matmul"}},
      {"batch matmul rank 4",
       program({ty({2, 5, 2, 3}, "f32"), ty({2, 5, 3, 4}, "f32")},
               ty({2, 5, 2, 4}, "f32"),
               "%r = kiln.matmul %a0, %a1 : " + ty({2, 5, 2, 3}, "f32") + ", " +
                   ty({2, 5, 3, 4}, "f32") + " -> " + ty({2, 5, 2, 4}, "f32")),
       {"tensor.collapse_shape", "linalg.batch_matmul", "tensor.expand_shape"}},
      {"conv2d",
       program({ty({1, 2, 5, 5}, "f32"), ty({3, 2, 3, 3}, "f32")},
               ty({1, 3, 5, 5}, "f32"),
               "%r = kiln.conv2d %a0, %a1 {strides = array<i64: 1, 1>, "
               "padding = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, "
               "1>, groups = 1 : i64} : " +
                   ty({1, 2, 5, 5}, "f32") + ", " + ty({3, 2, 3, 3}, "f32") +
                   " -> " + ty({1, 3, 5, 5}, "f32")),
       {"tensor.pad", "linalg.conv_2d_nchw_fchw"}},
      {"grouped conv2d",
       program({ty({1, 4, 5, 5}, "f32"), ty({6, 2, 3, 3}, "f32")},
               ty({1, 6, 3, 3}, "f32"),
               "%r = kiln.conv2d %a0, %a1 {strides = array<i64: 1, 1>, "
               "padding = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, "
               "1>, groups = 2 : i64} : " +
                   ty({1, 4, 5, 5}, "f32") + ", " + ty({6, 2, 3, 3}, "f32") +
                   " -> " + ty({1, 6, 3, 3}, "f32")),
       {"linalg.conv_2d_ngchw_gfchw", "tensor.expand_shape",
        "tensor.collapse_shape"}},
      {"max_pool2d",
       program({ty({1, 1, 4, 4}, "f32")}, ty({1, 1, 2, 2}, "f32"),
               "%r = kiln.max_pool2d %a0 {kernel = array<i64: 2, 2>, strides "
               "= array<i64: 2, 2>, padding = array<i64: 0, 0, 0, 0>, "
               "dilations = array<i64: 1, 1>} : " +
                   ty({1, 1, 4, 4}, "f32") + " -> " + ty({1, 1, 2, 2}, "f32")),
       {"linalg.pooling_nchw_max", "0xFF800000"}},
      {"avg_pool2d",
       program({ty({1, 1, 4, 4}, "f32")}, ty({1, 1, 4, 4}, "f32"),
               "%r = kiln.avg_pool2d %a0 {kernel = array<i64: 3, 3>, strides "
               "= array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, "
               "dilations = array<i64: 1, 1>, count_include_pad = false} : " +
                   ty({1, 1, 4, 4}, "f32") + " -> " + ty({1, 1, 4, 4}, "f32")),
       {"tensor.pad", "linalg.pooling_nchw_sum", "arith.divf"}},
      {"reduce_sum keep_dims",
       program({ty({2, 3}, "f32")}, ty({2, 1}, "f32"),
               "%r = kiln.reduce_sum %a0 {axes = array<i64: 1>, keep_dims = "
               "true} : " +
                   ty({2, 3}, "f32") + " -> " + ty({2, 1}, "f32")),
       {"linalg.reduce", "arith.addf", "tensor.expand_shape"}},
      {"reduce_max",
       program({ty({2, 3}, "f32")}, ty({3}, "f32"),
               "%r = kiln.reduce_max %a0 {axes = array<i64: 0>, keep_dims = "
               "false} : " +
                   ty({2, 3}, "f32") + " -> " + ty({3}, "f32")),
       {"linalg.reduce", "arith.maximumf", "0xFF800000"}},
      {"softmax",
       program({ty({2, 3}, "f32")}, ty({2, 3}, "f32"),
               "%r = kiln.softmax %a0 {axis = 1 : i64} : " + ty({2, 3}, "f32")),
       {"linalg.reduce", "arith.maximumf", "math.exp", "arith.divf"}},
      {"log_softmax",
       program({ty({2, 3}, "f32")}, ty({2, 3}, "f32"),
               "%r = kiln.log_softmax %a0 {axis = 1 : i64} : " +
                   ty({2, 3}, "f32")),
       {"math.exp", "math.log", "arith.subf"}},
      {"reshape",
       program({ty({2, 3}, "f32")}, ty({3, 2}, "f32"),
               "%r = kiln.reshape %a0 : " + ty({2, 3}, "f32") + " to " +
                   ty({3, 2}, "f32")),
       {"tensor.collapse_shape", "tensor.expand_shape"}},
      {"transpose",
       program({ty({2, 3}, "f32")}, ty({3, 2}, "f32"),
               "%r = kiln.transpose %a0 {permutation = array<i64: 1, 0>} : " +
                   ty({2, 3}, "f32") + " -> " + ty({3, 2}, "f32")),
       {"linalg.transpose"}},
      {"slice",
       program({ty({5, 6}, "f32")}, ty({2, 3}, "f32"),
               "%r = kiln.slice %a0 {offsets = array<i64: 1, 0>, sizes = "
               "array<i64: 2, 3>, strides = array<i64: 2, 2>} : " +
                   ty({5, 6}, "f32") + " -> " + ty({2, 3}, "f32")),
       {"tensor.extract_slice"}},
      {"concat",
       program({ty({2, 1}, "f32"), ty({2, 3}, "f32")}, ty({2, 4}, "f32"),
               "%r = kiln.concat %a0, %a1 {axis = 1 : i64} : (" +
                   ty({2, 1}, "f32") + ", " + ty({2, 3}, "f32") + ") -> " +
                   ty({2, 4}, "f32")),
       {"tensor.empty", "tensor.insert_slice"}},
      {"gather",
       program({ty({2, 5}, "f32"), ty({3}, "i64")}, ty({2, 3}, "f32"),
               "%r = kiln.gather %a0, %a1 {axis = 1 : i64} : (" +
                   ty({2, 5}, "f32") + ", " + ty({3}, "i64") + ") -> " +
                   ty({2, 3}, "f32")),
       {"linalg.generic", "linalg.index", "tensor.extract", "arith.minsi",
        "arith.maxsi"}},
      {"pad",
       program({ty({2, 3}, "f32")}, ty({3, 5}, "f32"),
               "%r = kiln.pad %a0 {low = array<i64: 1, 0>, high = array<i64: "
               "0, 2>, value = 7.5 : f32} : " +
                   ty({2, 3}, "f32") + " -> " + ty({3, 5}, "f32")),
       {"tensor.pad", "tensor.yield"}},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.name);
    expectLowersTo(c.source, c.ops);
  }
}

TEST_F(KilnToLinalgTest, DynamicShapeIsRejectedNamingTheOp) {
  auto module = lower(program({"tensor<?xf32>"}, "tensor<?xf32>",
                              "%r = kiln.exp %a0 : tensor<?xf32>"),
                      /*expectSuccess=*/false);
  EXPECT_FALSE(module);
  EXPECT_NE(diagnostics.find("kiln.exp"), std::string::npos) << diagnostics;
  EXPECT_NE(diagnostics.find("dynamic"), std::string::npos) << diagnostics;
}

TEST_F(KilnToLinalgTest, ModuleWithoutKilnOpsIsUntouched) {
  auto module = lower("func.func @main(%a: tensor<2xf32>) -> tensor<2xf32> {"
                      " return %a : tensor<2xf32> }");
  EXPECT_TRUE(module);
}

//===----------------------------------------------------------------------===//
// Numbers: elementwise.
//===----------------------------------------------------------------------===//

TEST_F(KilnToLinalgTest, UnaryFloatOps) {
  const std::vector<float> general = {-2.75f, -1.5f, -0.5f, -0.0f, 0.0f,
                                      0.25f,  0.5f,  1.0f,  2.5f,  3.75f};
  const std::vector<float> positive = {0.125f, 0.25f, 0.5f, 1.0f, 1.5f,
                                       2.0f,   3.0f,  4.0f, 9.0f, 100.0f};
  struct Case {
    const char *op;
    std::function<float(float)> fn;
    bool positiveOnly;
  };
  std::vector<Case> cases = {
      {"neg", [](float x) { return -x; }, false},
      {"abs", [](float x) { return std::fabs(x); }, false},
      {"relu", [](float x) { return x > 0 ? x : 0.0f; }, false},
      {"exp", [](float x) { return std::exp(x); }, false},
      {"log", [](float x) { return std::log(x); }, true},
      {"sqrt", [](float x) { return std::sqrt(x); }, true},
      {"rsqrt", [](float x) { return 1.0f / std::sqrt(x); }, true},
      {"reciprocal", [](float x) { return 1.0f / x; }, true},
      {"tanh", [](float x) { return std::tanh(x); }, false},
      {"sigmoid", [](float x) { return 1.0f / (1.0f + std::exp(-x)); }, false},
      {"erf", [](float x) { return std::erf(x); }, false},
      {"floor", [](float x) { return std::floor(x); }, false},
      {"ceil", [](float x) { return std::ceil(x); }, false},
      {"sin", [](float x) { return std::sin(x); }, false},
      {"cos", [](float x) { return std::cos(x); }, false},
  };
  std::string t = ty({10}, "f32");
  for (const Case &c : cases) {
    SCOPED_TRACE(c.op);
    const std::vector<float> &in = c.positiveOnly ? positive : general;
    auto got = run1<float>(
        program({t}, t, std::string("%r = kiln.") + c.op + " %a0 : " + t),
        {f32({10}, in)});
    std::vector<float> want;
    for (float x : in)
      want.push_back(c.fn(x));
    expectClose(got, want, 2e-6f, 1e-6f);
  }
  // NaN propagates through relu (maximumf).
  auto got = run1<float>(program({ty({2}, "f32")}, ty({2}, "f32"),
                                 "%r = kiln.relu %a0 : tensor<2xf32>"),
                         {f32({2}, {kNaN, -1.0f})});
  expectClose(got, {kNaN, 0.0f});
}

TEST_F(KilnToLinalgTest, UnaryIntegerOps) {
  std::vector<int32_t> in = {-7, -1, 0, 3, 2147483647};
  std::string t = ty({5}, "i32");
  auto neg = run1<int32_t>(program({t}, t, "%r = kiln.neg %a0 : " + t),
                           {i32({5}, in)});
  EXPECT_EQ(neg, (std::vector<int32_t>{7, 1, 0, -3, -2147483647}));
  auto abs = run1<int32_t>(program({t}, t, "%r = kiln.abs %a0 : " + t),
                           {i32({5}, in)});
  EXPECT_EQ(abs, (std::vector<int32_t>{7, 1, 0, 3, 2147483647}));
  auto relu = run1<int32_t>(program({t}, t, "%r = kiln.relu %a0 : " + t),
                            {i32({5}, in)});
  EXPECT_EQ(relu, (std::vector<int32_t>{0, 0, 0, 3, 2147483647}));
}

TEST_F(KilnToLinalgTest, BinaryFloatOps) {
  std::vector<float> a = {-2.5f, 1.0f, 3.0f, kNaN, 0.5f, 2.0f};
  std::vector<float> b = {0.5f, -4.0f, kNaN, 1.0f, 0.25f, 3.0f};
  struct Case {
    const char *op;
    std::function<float(float, float)> fn;
  };
  auto nanMax = [](float x, float y) {
    return (std::isnan(x) || std::isnan(y)) ? kNaN : std::max(x, y);
  };
  auto nanMin = [](float x, float y) {
    return (std::isnan(x) || std::isnan(y)) ? kNaN : std::min(x, y);
  };
  std::vector<Case> cases = {
      {"add", [](float x, float y) { return x + y; }},
      {"sub", [](float x, float y) { return x - y; }},
      {"mul", [](float x, float y) { return x * y; }},
      {"div", [](float x, float y) { return x / y; }},
      {"max", nanMax},
      {"min", nanMin},
  };
  std::string t = ty({6}, "f32");
  for (const Case &c : cases) {
    SCOPED_TRACE(c.op);
    auto got = run1<float>(
        program({t, t}, t,
                std::string("%r = kiln.") + c.op + " %a0, %a1 : " + t),
        {f32({6}, a), f32({6}, b)});
    std::vector<float> want;
    for (size_t i = 0; i < a.size(); ++i)
      want.push_back(c.fn(a[i], b[i]));
    expectClose(got, want);
  }
  // pow on a positive base, with fractional and negative exponents.
  std::vector<float> base = {2.0f, 9.0f, 0.5f, 10.0f}, ex = {3.0f, 0.5f, -2.0f, 0.0f};
  std::string p = ty({4}, "f32");
  auto got = run1<float>(program({p, p}, p, "%r = kiln.pow %a0, %a1 : " + p),
                         {f32({4}, base), f32({4}, ex)});
  expectClose(got, {8.0f, 3.0f, 4.0f, 1.0f}, 1e-6f);
}

TEST_F(KilnToLinalgTest, BinaryIntegerOps) {
  std::vector<int32_t> a = {-7, 7, -7, 9, -3}, b = {2, -2, -2, 3, 5};
  std::string t = ty({5}, "i32");
  auto bin = [&](const char *op) {
    return run1<int32_t>(
        program({t, t}, t, std::string("%r = kiln.") + op + " %a0, %a1 : " + t),
        {i32({5}, a), i32({5}, b)});
  };
  // Division truncates toward zero.
  EXPECT_EQ(bin("div"), (std::vector<int32_t>{-3, -3, 3, 3, 0}));
  EXPECT_EQ(bin("max"), (std::vector<int32_t>{2, 7, -2, 9, 5}));
  EXPECT_EQ(bin("min"), (std::vector<int32_t>{-7, -2, -7, 3, -3}));
  EXPECT_EQ(bin("add"), (std::vector<int32_t>{-5, 5, -9, 12, 2}));
  EXPECT_EQ(bin("sub"), (std::vector<int32_t>{-9, 9, -5, 6, -8}));
  EXPECT_EQ(bin("mul"), (std::vector<int32_t>{-14, -14, 14, 27, -15}));
}

TEST_F(KilnToLinalgTest, CompareAndSelect) {
  std::vector<float> a = {1.0f, 2.0f, 3.0f, kNaN, 1.0f, kNaN};
  std::vector<float> b = {2.0f, 2.0f, 1.0f, 1.0f, kNaN, kNaN};
  std::string t = ty({6}, "f32"), bt = ty({6}, "i1");
  struct Case {
    const char *pred;
    std::vector<uint8_t> want;
  };
  // Ordered comparisons: false with NaN, except `ne`.
  std::vector<Case> cases = {{"eq", {0, 1, 0, 0, 0, 0}}, {"ne", {1, 0, 1, 1, 1, 1}},
                             {"lt", {1, 0, 0, 0, 0, 0}}, {"le", {1, 1, 0, 0, 0, 0}},
                             {"gt", {0, 0, 1, 0, 0, 0}}, {"ge", {0, 1, 1, 0, 0, 0}}};
  for (const Case &c : cases) {
    SCOPED_TRACE(c.pred);
    auto got = run1<uint8_t>(
        program({t, t}, bt,
                std::string("%r = kiln.compare ") + c.pred + ", %a0, %a1 : " + t),
        {f32({6}, a), f32({6}, b)});
    EXPECT_EQ(got, c.want);
  }
  // Integers compare signed.
  std::string it = ty({3}, "i32");
  auto lt = run1<uint8_t>(
      program({it, it}, ty({3}, "i1"), "%r = kiln.compare lt, %a0, %a1 : " + it),
      {i32({3}, {-5, 4, 0}), i32({3}, {3, -4, 0})});
  EXPECT_EQ(lt, (std::vector<uint8_t>{1, 0, 0}));

  auto sel = run1<float>(
      program({ty({4}, "i1"), ty({4}, "f32"), ty({4}, "f32")}, ty({4}, "f32"),
              "%r = kiln.select %a0, %a1, %a2 : tensor<4xi1>, tensor<4xf32>"),
      {boolT({4}, {1, 0, 0, 1}), f32({4}, {1, 2, 3, 4}),
       f32({4}, {-1, -2, -3, -4})});
  expectClose(sel, {1, -2, -3, 4});
}

TEST_F(KilnToLinalgTest, Casts) {
  auto cast = [&](const std::string &from, const std::string &to, int64_t n) {
    return program({ty({n}, from)}, ty({n}, to),
                   "%r = kiln.cast %a0 : " + ty({n}, from) + " to " +
                       ty({n}, to));
  };
  // float -> int truncates toward zero.
  EXPECT_EQ(run1<int32_t>(cast("f32", "i32", 4),
                          {f32({4}, {-2.7f, 2.7f, -0.5f, 100.0f})}),
            (std::vector<int32_t>{-2, 2, 0, 100}));
  // int -> float is signed.
  expectClose(run1<float>(cast("i32", "f32", 3), {i32({3}, {-3, 0, 7})}),
              {-3.0f, 0.0f, 7.0f});
  // Integer widening sign-extends, narrowing truncates.
  EXPECT_EQ(run1<int64_t>(cast("i32", "i64", 2), {i32({2}, {-5, 6})}),
            (std::vector<int64_t>{-5, 6}));
  EXPECT_EQ(run1<int32_t>(cast("i64", "i32", 2),
                          {i64({2}, {(int64_t(1) << 32) + 9, -2})}),
            (std::vector<int32_t>{9, -2}));
  // Anything non-zero is true; NaN too.
  EXPECT_EQ(run1<uint8_t>(cast("f32", "i1", 5),
                          {f32({5}, {0.0f, -0.0f, 0.5f, kNaN, -3.0f})}),
            (std::vector<uint8_t>{0, 0, 1, 1, 1}));
  EXPECT_EQ(run1<uint8_t>(cast("i32", "i1", 3), {i32({3}, {0, -1, 4})}),
            (std::vector<uint8_t>{0, 1, 1}));
  // i1 is 0 or 1.
  expectClose(run1<float>(cast("i1", "f32", 2), {boolT({2}, {1, 0})}),
              {1.0f, 0.0f});
  EXPECT_EQ(run1<int32_t>(cast("i1", "i32", 2), {boolT({2}, {1, 0})}),
            (std::vector<int32_t>{1, 0}));
  // Float widening and narrowing.
  auto widened = run1<double>(cast("f32", "f64", 2), {f32({2}, {0.1f, -3.5f})});
  ASSERT_EQ(widened.size(), 2u);
  EXPECT_EQ(widened[0], static_cast<double>(0.1f));
  EXPECT_EQ(widened[1], -3.5);
  auto narrowed = run1<float>(cast("f64", "f32", 1),
                              {makeTensor<double>(DType::F64, {1}, {0.1})});
  expectClose(narrowed, {0.1f}, 0, 0);
}

TEST_F(KilnToLinalgTest, Broadcast) {
  // [3, 1] -> [2, 3, 4]: repeats along the new leading dim and the last.
  std::vector<float> in = {1.0f, 2.0f, 3.0f};
  auto got = run1<float>(
      program({ty({3, 1}, "f32")}, ty({2, 3, 4}, "f32"),
              "%r = kiln.broadcast %a0 : tensor<3x1xf32> to tensor<2x3x4xf32>"),
      {f32({3, 1}, in)});
  std::vector<float> want;
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 3; ++b)
      for (int c = 0; c < 4; ++c)
        want.push_back(in[b]);
  expectClose(got, want);
  // Rank 0 -> [2, 2].
  auto scalar = run1<float>(
      program({ty({}, "f32")}, ty({2, 2}, "f32"),
              "%r = kiln.broadcast %a0 : tensor<f32> to tensor<2x2xf32>"),
      {f32({}, {4.5f})});
  expectClose(scalar, {4.5f, 4.5f, 4.5f, 4.5f});
  // [1, 4] -> [3, 4] with int64.
  auto ints = run1<int64_t>(
      program({ty({1, 4}, "i64")}, ty({3, 4}, "i64"),
              "%r = kiln.broadcast %a0 : tensor<1x4xi64> to tensor<3x4xi64>"),
      {i64({1, 4}, {1, 2, 3, 4})});
  EXPECT_EQ(ints, (std::vector<int64_t>{1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4}));
}

//===----------------------------------------------------------------------===//
// Numbers: contractions.
//===----------------------------------------------------------------------===//

template <typename T>
std::vector<T> refMatmul(const std::vector<T> &a, const std::vector<T> &b,
                         int64_t batch, int64_t m, int64_t k, int64_t n) {
  std::vector<T> c(batch * m * n, T(0));
  for (int64_t p = 0; p < batch; ++p)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        T acc = 0;
        for (int64_t q = 0; q < k; ++q)
          acc += a[(p * m + i) * k + q] * b[(p * k + q) * n + j];
        c[(p * m + i) * n + j] = acc;
      }
  return c;
}

TEST_F(KilnToLinalgTest, MatmulRanks2To4) {
  struct Case {
    Shape batch;
    int64_t m, k, n;
  };
  for (const Case &c : {Case{{}, 5, 7, 3}, Case{{3}, 2, 4, 5},
                        Case{{2, 3}, 3, 2, 4}, Case{{2, 1, 2}, 1, 3, 2}}) {
    Shape as = c.batch, bs = c.batch, rs = c.batch;
    as.insert(as.end(), {c.m, c.k});
    bs.insert(bs.end(), {c.k, c.n});
    rs.insert(rs.end(), {c.m, c.n});
    SCOPED_TRACE("rank " + std::to_string(as.size()));
    std::vector<float> a = data(numel(as), 1), b = data(numel(bs), 2);
    auto got = run1<float>(
        program({ty(as, "f32"), ty(bs, "f32")}, ty(rs, "f32"),
                "%r = kiln.matmul %a0, %a1 : " + ty(as, "f32") + ", " +
                    ty(bs, "f32") + " -> " + ty(rs, "f32")),
        {f32(as, a), f32(bs, b)});
    expectClose(got, refMatmul(a, b, numel(c.batch), c.m, c.k, c.n), 1e-5f,
                1e-5f);
  }
  // Integer matmul.
  std::vector<int32_t> a = {1, -2, 3, 4, 5, -6}, b = {7, 8, -9, 10, 11, 12};
  auto got = run1<int32_t>(
      program({ty({2, 3}, "i32"), ty({3, 2}, "i32")}, ty({2, 2}, "i32"),
              "%r = kiln.matmul %a0, %a1 : tensor<2x3xi32>, tensor<3x2xi32> -> "
              "tensor<2x2xi32>"),
      {i32({2, 3}, a), i32({3, 2}, b)});
  EXPECT_EQ(got, refMatmul(a, b, 1, 2, 3, 2));
}

struct Window {
  Shape kernel, strides, padding, dilations; // padding = [t, l, b, r]
  int64_t outDim(int64_t in, int axis) const {
    int64_t eff = dilations[axis] * (kernel[axis] - 1) + 1;
    return (in + padding[axis] + padding[axis + 2] - eff) / strides[axis] + 1;
  }
  std::string attrs() const {
    return "strides = " + i64Array(strides) + ", padding = " +
           i64Array(padding) + ", dilations = " + i64Array(dilations);
  }
};

std::vector<float> refConv(const std::vector<float> &x, const Shape &xs,
                           const std::vector<float> &w, const Shape &ws,
                           int64_t groups, const Window &win, Shape &outShape) {
  int64_t n = xs[0], c = xs[1], h = xs[2], wd = xs[3];
  int64_t f = ws[0], cg = ws[1], kh = ws[2], kw = ws[3];
  int64_t oh = win.outDim(h, 0), ow = win.outDim(wd, 1);
  outShape = {n, f, oh, ow};
  std::vector<float> out(n * f * oh * ow, 0.0f);
  int64_t fg = f / groups;
  (void)c;
  for (int64_t b = 0; b < n; ++b)
    for (int64_t o = 0; o < f; ++o) {
      int64_t g = o / fg;
      for (int64_t y = 0; y < oh; ++y)
        for (int64_t z = 0; z < ow; ++z) {
          float acc = 0.0f;
          for (int64_t ci = 0; ci < cg; ++ci)
            for (int64_t i = 0; i < kh; ++i)
              for (int64_t j = 0; j < kw; ++j) {
                int64_t yy = y * win.strides[0] + i * win.dilations[0] -
                             win.padding[0];
                int64_t zz = z * win.strides[1] + j * win.dilations[1] -
                             win.padding[1];
                if (yy < 0 || yy >= h || zz < 0 || zz >= wd)
                  continue;
                acc += x[flatIndex({b, g * cg + ci, yy, zz}, xs)] *
                       w[flatIndex({o, ci, i, j}, ws)];
              }
          out[flatIndex({b, o, y, z}, outShape)] = acc;
        }
    }
  return out;
}

TEST_F(KilnToLinalgTest, Conv2d) {
  struct Case {
    const char *name;
    Shape xs, ws;
    int64_t groups;
    Window win;
  };
  std::vector<Case> cases = {
      {"same padding", {1, 2, 5, 5}, {3, 2, 3, 3}, 1,
       {{3, 3}, {1, 1}, {1, 1, 1, 1}, {1, 1}}},
      {"strided dilated asymmetric pads, 2 groups", {2, 4, 7, 6}, {6, 2, 3, 2},
       2, {{3, 2}, {2, 1}, {1, 0, 2, 1}, {1, 2}}},
      {"depthwise", {1, 3, 6, 6}, {3, 1, 3, 3}, 3,
       {{3, 3}, {2, 2}, {0, 1, 1, 0}, {1, 1}}},
      {"1x1 no pad", {2, 3, 4, 4}, {5, 3, 1, 1}, 1,
       {{1, 1}, {1, 1}, {0, 0, 0, 0}, {1, 1}}},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<float> x = data(numel(c.xs), 3), w = data(numel(c.ws), 4);
    Shape os;
    std::vector<float> want = refConv(x, c.xs, w, c.ws, c.groups, c.win, os);
    auto got = run1<float>(
        program({ty(c.xs, "f32"), ty(c.ws, "f32")}, ty(os, "f32"),
                "%r = kiln.conv2d %a0, %a1 {" + c.win.attrs() +
                    ", groups = " + std::to_string(c.groups) + " : i64} : " +
                    ty(c.xs, "f32") + ", " + ty(c.ws, "f32") + " -> " +
                    ty(os, "f32")),
        {f32(c.xs, x), f32(c.ws, w)});
    expectClose(got, want, 1e-5f, 1e-5f);
  }
}

//===----------------------------------------------------------------------===//
// Numbers: pooling.
//===----------------------------------------------------------------------===//

enum class PoolKind { Max, AvgIncludePad, AvgExcludePad };

std::vector<float> refPool(const std::vector<float> &x, const Shape &xs,
                           const Window &win, PoolKind kind, Shape &outShape) {
  int64_t n = xs[0], c = xs[1], h = xs[2], w = xs[3];
  int64_t oh = win.outDim(h, 0), ow = win.outDim(w, 1);
  outShape = {n, c, oh, ow};
  std::vector<float> out;
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t y = 0; y < oh; ++y)
        for (int64_t z = 0; z < ow; ++z) {
          float mx = -kInf, sum = 0.0f;
          int64_t count = 0;
          for (int64_t i = 0; i < win.kernel[0]; ++i)
            for (int64_t j = 0; j < win.kernel[1]; ++j) {
              int64_t yy = y * win.strides[0] + i * win.dilations[0] -
                           win.padding[0];
              int64_t zz = z * win.strides[1] + j * win.dilations[1] -
                           win.padding[1];
              if (yy < 0 || yy >= h || zz < 0 || zz >= w)
                continue;
              float v = x[flatIndex({b, ch, yy, zz}, xs)];
              mx = (std::isnan(v) || std::isnan(mx)) ? kNaN : std::max(mx, v);
              sum += v;
              ++count;
            }
          if (kind == PoolKind::Max)
            out.push_back(mx);
          else if (kind == PoolKind::AvgIncludePad)
            out.push_back(sum / float(win.kernel[0] * win.kernel[1]));
          else
            out.push_back(sum / float(std::max<int64_t>(count, 1)));
        }
  return out;
}

TEST_F(KilnToLinalgTest, Pooling) {
  struct Case {
    const char *name;
    Shape xs;
    Window win;
  };
  std::vector<Case> cases = {
      {"2x2 stride 2", {1, 2, 4, 6}, {{2, 2}, {2, 2}, {0, 0, 0, 0}, {1, 1}}},
      {"3x3 same pads", {2, 1, 5, 5}, {{3, 3}, {1, 1}, {1, 1, 1, 1}, {1, 1}}},
      {"3x2 strided dilated asymmetric pads", {1, 2, 7, 8},
       {{3, 2}, {2, 1}, {1, 0, 2, 1}, {1, 2}}},
  };
  for (const Case &c : cases) {
    std::vector<float> x = data(numel(c.xs), 5);
    for (PoolKind kind :
         {PoolKind::Max, PoolKind::AvgIncludePad, PoolKind::AvgExcludePad}) {
      std::string op =
          kind == PoolKind::Max
              ? "max_pool2d"
              : "avg_pool2d";
      std::string extra =
          kind == PoolKind::Max ? ""
          : kind == PoolKind::AvgIncludePad ? ", count_include_pad = true"
                                            : ", count_include_pad = false";
      SCOPED_TRACE(std::string(c.name) + " " + op + extra);
      Shape os;
      std::vector<float> want = refPool(x, c.xs, c.win, kind, os);
      auto got = run1<float>(
          program({ty(c.xs, "f32")}, ty(os, "f32"),
                  "%r = kiln." + op + " %a0 {kernel = " + i64Array(c.win.kernel) +
                      ", " + c.win.attrs() + extra + "} : " + ty(c.xs, "f32") +
                      " -> " + ty(os, "f32")),
          {f32(c.xs, x)});
      expectClose(got, want, 1e-5f, 1e-6f);
    }
  }
  // Padding never wins a max, even when every real value is negative;
  // NaN propagates.
  Window win{{2, 2}, {1, 1}, {1, 1, 0, 0}, {1, 1}};
  Shape xs = {1, 1, 2, 2}, os;
  std::vector<float> x = {-5.0f, -6.0f, -7.0f, kNaN};
  std::vector<float> want = refPool(x, xs, win, PoolKind::Max, os);
  auto got = run1<float>(
      program({ty(xs, "f32")}, ty(os, "f32"),
              "%r = kiln.max_pool2d %a0 {kernel = " + i64Array(win.kernel) +
                  ", " + win.attrs() + "} : " + ty(xs, "f32") + " -> " +
                  ty(os, "f32")),
      {f32(xs, x)});
  expectClose(got, want);
}

//===----------------------------------------------------------------------===//
// Numbers: reductions and softmax.
//===----------------------------------------------------------------------===//

enum class Red { Sum, Mean, Max, Min, Prod };

template <typename T>
std::vector<T> refReduce(const std::vector<T> &x, const Shape &xs,
                         const Shape &axes, Red kind) {
  Shape os;
  for (int64_t i = 0; i < (int64_t)xs.size(); ++i)
    os.push_back(std::count(axes.begin(), axes.end(), i) ? 1 : xs[i]);
  T init{};
  switch (kind) {
  case Red::Sum:
  case Red::Mean:
    init = 0;
    break;
  case Red::Prod:
    init = 1;
    break;
  case Red::Max:
    init = std::numeric_limits<T>::has_infinity
               ? -std::numeric_limits<T>::infinity()
               : std::numeric_limits<T>::min();
    break;
  case Red::Min:
    init = std::numeric_limits<T>::has_infinity
               ? std::numeric_limits<T>::infinity()
               : std::numeric_limits<T>::max();
    break;
  }
  std::vector<T> out(numel(os), init);
  for (int64_t f = 0; f < numel(xs); ++f) {
    Shape idx = unflatIndex(f, xs);
    for (int64_t a : axes)
      idx[a] = 0;
    T &o = out[flatIndex(idx, os)];
    T v = x[f];
    switch (kind) {
    case Red::Sum:
    case Red::Mean:
      o += v;
      break;
    case Red::Prod:
      o *= v;
      break;
    case Red::Max:
      o = (v != v || o != o) ? v + o : std::max(o, v);
      break;
    case Red::Min:
      o = (v != v || o != o) ? v + o : std::min(o, v);
      break;
    }
  }
  if (kind == Red::Mean) {
    int64_t count = 1;
    for (int64_t a : axes)
      count *= xs[a];
    for (T &o : out)
      o /= static_cast<T>(count);
  }
  return out;
}

TEST_F(KilnToLinalgTest, Reductions) {
  Shape xs = {2, 3, 4};
  std::vector<float> x = data(24, 6);
  x[5] = kNaN; // Poisons the max/min/sum of its slice.
  struct Case {
    const char *op;
    Red kind;
    Shape axes;
    bool keep;
  };
  std::vector<Case> cases = {
      {"reduce_sum", Red::Sum, {1}, false},
      {"reduce_sum", Red::Sum, {0, 1, 2}, false},
      {"reduce_mean", Red::Mean, {0, 2}, true},
      {"reduce_max", Red::Max, {2}, false},
      {"reduce_max", Red::Max, {0}, true},
      {"reduce_min", Red::Min, {0, 1, 2}, true},
      {"reduce_min", Red::Min, {1}, false},
      {"reduce_prod", Red::Prod, {1}, true},
      {"reduce_sum", Red::Sum, {}, false},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(std::string(c.op) + " axes " + i64Array(c.axes) +
                 (c.keep ? " keep" : ""));
    Shape os;
    for (int64_t i = 0; i < 3; ++i) {
      bool reduced = std::count(c.axes.begin(), c.axes.end(), i);
      if (!reduced)
        os.push_back(xs[i]);
      else if (c.keep)
        os.push_back(1);
    }
    auto got = run1<float>(
        program({ty(xs, "f32")}, ty(os, "f32"),
                std::string("%r = kiln.") + c.op +
                    " %a0 {axes = " + i64Array(c.axes) + ", keep_dims = " +
                    (c.keep ? "true" : "false") + "} : " + ty(xs, "f32") +
                    " -> " + ty(os, "f32")),
        {f32(xs, x)});
    expectClose(got, refReduce(x, xs, c.axes, c.kind), 1e-5f, 1e-5f);
  }
  // Integers: signed max/min init, truncating mean.
  std::vector<int32_t> xi = {-7, 3, -2, 8, 5, -9, 1, 0, -4, 6, -1, 2};
  Shape is = {3, 4};
  for (auto [op, kind] :
       std::vector<std::pair<const char *, Red>>{{"reduce_sum", Red::Sum},
                                                 {"reduce_max", Red::Max},
                                                 {"reduce_min", Red::Min},
                                                 {"reduce_prod", Red::Prod}}) {
    SCOPED_TRACE(op);
    auto got = run1<int32_t>(
        program({ty(is, "i32")}, ty({4}, "i32"),
                std::string("%r = kiln.") + op +
                    " %a0 {axes = array<i64: 0>, keep_dims = false} : " +
                    ty(is, "i32") + " -> " + ty({4}, "i32")),
        {i32(is, xi)});
    EXPECT_EQ(got, refReduce<int32_t>(xi, is, {0}, kind));
  }
  // Mean of {-7, 3, -2} over 3 is -2 (truncated), of {8, 5, -9, 1} ... by row.
  auto mean = run1<int32_t>(
      program({ty(is, "i32")}, ty({3, 1}, "i32"),
              "%r = kiln.reduce_mean %a0 {axes = array<i64: 1>, keep_dims = "
              "true} : tensor<3x4xi32> -> tensor<3x1xi32>"),
      {i32(is, xi)});
  EXPECT_EQ(mean, (std::vector<int32_t>{(-7 + 3 - 2 + 8) / 4, (5 - 9 + 1) / 4,
                                        (-4 + 6 - 1 + 2) / 4}));
}

std::vector<float> refSoftmax(const std::vector<float> &x, const Shape &xs,
                              int64_t axis, bool log) {
  std::vector<float> out(x.size());
  int64_t outer = 1, inner = 1, n = xs[axis];
  for (int64_t i = 0; i < axis; ++i)
    outer *= xs[i];
  for (int64_t i = axis + 1; i < (int64_t)xs.size(); ++i)
    inner *= xs[i];
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t in = 0; in < inner; ++in) {
      auto at = [&](int64_t k) { return (o * n + k) * inner + in; };
      double mx = -INFINITY;
      for (int64_t k = 0; k < n; ++k)
        mx = std::max<double>(mx, x[at(k)]);
      double sum = 0;
      for (int64_t k = 0; k < n; ++k)
        sum += std::exp(double(x[at(k)]) - mx);
      for (int64_t k = 0; k < n; ++k)
        out[at(k)] = log ? float(double(x[at(k)]) - mx - std::log(sum))
                         : float(std::exp(double(x[at(k)]) - mx) / sum);
    }
  return out;
}

TEST_F(KilnToLinalgTest, SoftmaxAndLogSoftmaxAreStable) {
  Shape xs = {2, 3, 4};
  std::vector<float> x = data(24, 7);
  // Large values would overflow exp without the max subtraction.
  x[0] = 1000.0f;
  x[13] = -1000.0f;
  x[22] = 95.0f;
  for (int64_t axis : {0, 1, 2})
    for (bool log : {false, true}) {
      SCOPED_TRACE((log ? "log_softmax axis " : "softmax axis ") +
                   std::to_string(axis));
      auto got = run1<float>(
          program({ty(xs, "f32")}, ty(xs, "f32"),
                  std::string("%r = kiln.") + (log ? "log_softmax" : "softmax") +
                      " %a0 {axis = " + std::to_string(axis) + " : i64} : " +
                      ty(xs, "f32")),
          {f32(xs, x)});
      expectClose(got, refSoftmax(x, xs, axis, log), 1e-5f, 1e-6f);
    }
}

//===----------------------------------------------------------------------===//
// Numbers: data movement.
//===----------------------------------------------------------------------===//

TEST_F(KilnToLinalgTest, Constant) {
  auto got = run1<float>(
      program({}, ty({2, 2}, "f32"),
              "%r = kiln.constant dense<[[1.0, 2.0], [3.0, 4.5]]> : "
              "tensor<2x2xf32>"),
      {});
  expectClose(got, {1.0f, 2.0f, 3.0f, 4.5f});
}

TEST_F(KilnToLinalgTest, DenseResourceConstant) {
  // Large ONNX initializers are dense_resource blobs (4-byte alignment
  // header, then little-endian f32 1.5 and -2.0).
  std::string source =
      program({}, ty({2}, "f32"),
              "%r = kiln.constant dense_resource<w> : tensor<2xf32>") +
      "{-#\n  dialect_resources: {\n    builtin: {\n      w: "
      "\"0x040000000000C03F000000C0\"\n    }\n  }\n#-}\n";
  auto got = run1<float>(source, {});
  expectClose(got, {1.5f, -2.0f}, 0, 0);
}

TEST_F(KilnToLinalgTest, HalfPrecisionMath) {
  // f16 and bf16 compute (the CPU pipeline extends math to f32); inputs and
  // outputs are cast from and to f32 inside the program.
  std::vector<float> x = {-2.0f, -0.5f, 0.0f, 0.75f, 1.5f, 3.0f};
  for (const char *half : {"f16", "bf16"}) {
    SCOPED_TRACE(half);
    std::string h = ty({6}, half), f = ty({6}, "f32");
    std::string body = "%h = kiln.cast %a0 : " + f + " to " + h + "\n" +
                       "%e = kiln.exp %h : " + h + "\n" +
                       "%s = kiln.sigmoid %h : " + h + "\n" +
                       "%m = kiln.max %e, %s : " + h + "\n" +
                       "%r = kiln.cast %m : " + h + " to " + f;
    auto got = run1<float>(program({f}, f, body), {f32({6}, x)});
    std::vector<float> want;
    for (float v : x)
      want.push_back(std::max(std::exp(v), 1.0f / (1.0f + std::exp(-v))));
    expectClose(got, want, std::string(half) == "bf16" ? 1.6e-2f : 2e-3f,
                1e-3f);
  }
}

TEST_F(KilnToLinalgTest, Reshape) {
  struct Case {
    Shape from, to;
  };
  for (const Case &c :
       {Case{{2, 3}, {3, 2}}, Case{{2, 3, 4}, {6, 4}}, Case{{6}, {2, 1, 3}},
        Case{{}, {1, 1}}, Case{{1, 1}, {}}, Case{{4, 6}, {3, 8}},
        Case{{2, 3, 4}, {4, 3, 2}}, Case{{2, 0}, {0, 5}}}) {
    SCOPED_TRACE(ty(c.from, "f32") + " to " + ty(c.to, "f32"));
    std::vector<float> x = data(numel(c.from), 8);
    auto got = run1<float>(
        program({ty(c.from, "f32")}, ty(c.to, "f32"),
                "%r = kiln.reshape %a0 : " + ty(c.from, "f32") + " to " +
                    ty(c.to, "f32")),
        {f32(c.from, x)});
    expectClose(got, x, 0, 0);
  }
}

TEST_F(KilnToLinalgTest, Transpose) {
  Shape xs = {2, 3, 4}, perm = {2, 0, 1}, os = {4, 2, 3};
  std::vector<float> x = data(24, 9), want(24);
  for (int64_t f = 0; f < 24; ++f) {
    Shape o = unflatIndex(f, os), in(3);
    for (int i = 0; i < 3; ++i)
      in[perm[i]] = o[i];
    want[f] = x[flatIndex(in, xs)];
  }
  auto got = run1<float>(
      program({ty(xs, "f32")}, ty(os, "f32"),
              "%r = kiln.transpose %a0 {permutation = " + i64Array(perm) +
                  "} : " + ty(xs, "f32") + " -> " + ty(os, "f32")),
      {f32(xs, x)});
  expectClose(got, want, 0, 0);
}

TEST_F(KilnToLinalgTest, Slice) {
  Shape xs = {5, 6};
  std::vector<float> x = data(30, 10), want;
  for (int64_t i = 0; i < 2; ++i)
    for (int64_t j = 0; j < 3; ++j)
      want.push_back(x[flatIndex({1 + 2 * i, 0 + 2 * j}, xs)]);
  auto got = run1<float>(
      program({ty(xs, "f32")}, ty({2, 3}, "f32"),
              "%r = kiln.slice %a0 {offsets = array<i64: 1, 0>, sizes = "
              "array<i64: 2, 3>, strides = array<i64: 2, 2>} : tensor<5x6xf32> "
              "-> tensor<2x3xf32>"),
      {f32(xs, x)});
  expectClose(got, want, 0, 0);
}

TEST_F(KilnToLinalgTest, Concat) {
  std::vector<float> a = {1, 2}, c = {3, 4, 5, 6, 7, 8};
  auto got = run1<float>(
      program({ty({2, 1}, "f32"), ty({2, 0}, "f32"), ty({2, 3}, "f32")},
              ty({2, 4}, "f32"),
              "%r = kiln.concat %a0, %a1, %a2 {axis = 1 : i64} : "
              "(tensor<2x1xf32>, tensor<2x0xf32>, tensor<2x3xf32>) -> "
              "tensor<2x4xf32>"),
      {f32({2, 1}, a), f32({2, 0}, {}), f32({2, 3}, c)});
  expectClose(got, {1, 3, 4, 5, 2, 6, 7, 8}, 0, 0);
  auto rows = run1<int32_t>(
      program({ty({1, 2}, "i32"), ty({2, 2}, "i32")}, ty({3, 2}, "i32"),
              "%r = kiln.concat %a0, %a1 {axis = 0 : i64} : "
              "(tensor<1x2xi32>, tensor<2x2xi32>) -> tensor<3x2xi32>"),
      {i32({1, 2}, {1, 2}), i32({2, 2}, {3, 4, 5, 6})});
  EXPECT_EQ(rows, (std::vector<int32_t>{1, 2, 3, 4, 5, 6}));
}

TEST_F(KilnToLinalgTest, Gather) {
  // Axis 1 of [2, 5] with 2-D indices, negative ones counting from the end.
  Shape ds = {2, 5};
  std::vector<float> d = {0, 1, 2, 3, 4, 10, 11, 12, 13, 14};
  std::vector<int64_t> idx = {0, -1, 4, -5, 2, 3};
  auto got = run1<float>(
      program({ty(ds, "f32"), ty({3, 2}, "i64")}, ty({2, 3, 2}, "f32"),
              "%r = kiln.gather %a0, %a1 {axis = 1 : i64} : (tensor<2x5xf32>, "
              "tensor<3x2xi64>) -> tensor<2x3x2xf32>"),
      {f32(ds, d), i64({3, 2}, idx)});
  std::vector<float> want;
  for (int64_t a = 0; a < 2; ++a)
    for (int64_t k : idx)
      want.push_back(d[a * 5 + (k < 0 ? k + 5 : k)]);
  expectClose(got, want, 0, 0);

  // Axis 0 with i32 indices of rank 0 and trailing dims.
  auto row = run1<float>(
      program({ty(ds, "f32"), ty({}, "i32")}, ty({5}, "f32"),
              "%r = kiln.gather %a0, %a1 {axis = 0 : i64} : (tensor<2x5xf32>, "
              "tensor<i32>) -> tensor<5xf32>"),
      {f32(ds, d), i32({}, {-1})});
  expectClose(row, {10, 11, 12, 13, 14}, 0, 0);

  // Out-of-range indices never read out of bounds: the lowering clamps.
  auto clamped = run1<float>(
      program({ty({5}, "f32"), ty({4}, "i64")}, ty({4}, "f32"),
              "%r = kiln.gather %a0, %a1 {axis = 0 : i64} : (tensor<5xf32>, "
              "tensor<4xi64>) -> tensor<4xf32>"),
      {f32({5}, {0, 1, 2, 3, 4}),
       i64({4}, {7, -9, 1000000000000LL, -1000000000000LL})});
  expectClose(clamped, {4, 0, 4, 0}, 0, 0);
}

TEST_F(KilnToLinalgTest, Pad) {
  std::vector<float> x = {1, 2, 3, 4, 5, 6};
  auto got = run1<float>(
      program({ty({2, 3}, "f32")}, ty({3, 5}, "f32"),
              "%r = kiln.pad %a0 {low = array<i64: 1, 0>, high = array<i64: 0, "
              "2>, value = 7.5 : f32} : tensor<2x3xf32> -> tensor<3x5xf32>"),
      {f32({2, 3}, x)});
  expectClose(got, {7.5, 7.5, 7.5, 7.5, 7.5, 1, 2, 3, 7.5, 7.5, 4, 5, 6, 7.5,
                    7.5},
              0, 0);
  auto ints = run1<int64_t>(
      program({ty({2}, "i64")}, ty({5}, "i64"),
              "%r = kiln.pad %a0 {low = array<i64: 2>, high = array<i64: 1>, "
              "value = -3 : i64} : tensor<2xi64> -> tensor<5xi64>"),
      {i64({2}, {8, 9})});
  EXPECT_EQ(ints, (std::vector<int64_t>{-3, -3, 8, 9, -3}));
}

TEST_F(KilnToLinalgTest, ChainOfOpsInOneFunction) {
  // y = softmax(relu(x @ w + broadcast(b))) : a small MLP layer, end to end.
  Shape xs = {2, 3}, ws = {3, 4};
  std::vector<float> x = data(6, 11), w = data(12, 12), b = {0.5f, -1, 0, 2};
  std::string body =
      "%m = kiln.matmul %a0, %a1 : tensor<2x3xf32>, tensor<3x4xf32> -> "
      "tensor<2x4xf32>\n"
      "%bb = kiln.broadcast %a2 : tensor<4xf32> to tensor<2x4xf32>\n"
      "%s = kiln.add %m, %bb : tensor<2x4xf32>\n"
      "%h = kiln.relu %s : tensor<2x4xf32>\n"
      "%r = kiln.softmax %h {axis = 1 : i64} : tensor<2x4xf32>";
  auto got = run1<float>(program({ty(xs, "f32"), ty(ws, "f32"), ty({4}, "f32")},
                                 ty({2, 4}, "f32"), body),
                         {f32(xs, x), f32(ws, w), f32({4}, b)});
  std::vector<float> h = refMatmul(x, w, 1, 2, 3, 4);
  for (int i = 0; i < 8; ++i)
    h[i] = std::max(h[i] + b[i % 4], 0.0f);
  expectClose(got, refSoftmax(h, {2, 4}, 1, false), 1e-5f, 1e-6f);
}

} // namespace
