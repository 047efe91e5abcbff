//===- CPUJitTest.cpp - Tests of the CPU pipeline and JIT -----------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Hand-written linalg-on-tensors functions are compiled by JitExecutor and
// run on rt::Tensors; the expected numbers come from plain C++ loops here.
// Also checked: signature errors, zero-sized tensors, inputs left unwritten,
// the named pipeline, and that repeated runs do not leak.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/CPU/JitExecutor.h"
#include "kiln/Codegen/CPU/Pipeline.h"
#include "kiln/Codegen/CPU/TypeMapping.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <fstream>
#include <unistd.h>

using namespace kiln;
using namespace kiln::cpu;

namespace {

/// A context that knows every dialect and model the pipeline needs.
class CPUJitTest : public ::testing::Test {
protected:
  CPUJitTest() : context(makeRegistry()) {}

  static mlir::DialectRegistry makeRegistry() {
    mlir::DialectRegistry registry;
    registerCPUPipelineDependencies(registry);
    return registry;
  }

  mlir::OwningOpRef<mlir::ModuleOp> parse(const char *source) {
    auto module = mlir::parseSourceString<mlir::ModuleOp>(source, &context);
    EXPECT_TRUE(module) << "could not parse the test IR";
    return module;
  }

  /// Compiles `source`'s @main; fails the test on error.
  std::unique_ptr<JitExecutor> compile(const char *source,
                                       const CPUPipelineOptions &opts = {}) {
    auto module = parse(source);
    if (!module)
      return nullptr;
    auto jit = JitExecutor::create(*module, "main", opts);
    if (!jit) {
      ADD_FAILURE() << llvm::toString(jit.takeError());
      return nullptr;
    }
    return std::move(*jit);
  }

  /// Runs and fails the test on error.
  static std::vector<rt::Tensor> runOk(JitExecutor &jit,
                                       llvm::ArrayRef<rt::Tensor> inputs) {
    auto outputs = jit.run(inputs);
    if (!outputs) {
      ADD_FAILURE() << llvm::toString(outputs.takeError());
      return {};
    }
    return std::move(*outputs);
  }

  mlir::MLIRContext context;
};

template <typename T>
rt::Tensor makeTensor(rt::DType dtype, std::vector<int64_t> shape,
                      const std::vector<T> &values) {
  rt::Tensor tensor(dtype, std::move(shape));
  EXPECT_EQ(static_cast<size_t>(tensor.numElements()), values.size());
  if (!values.empty())
    std::memcpy(tensor.data(), values.data(), values.size() * sizeof(T));
  return tensor;
}

template <typename T> std::vector<T> valuesOf(const rt::Tensor &tensor) {
  EXPECT_EQ(tensor.numBytes(), tensor.numElements() * sizeof(T));
  std::vector<T> values(tensor.numElements());
  if (!values.empty())
    std::memcpy(values.data(), tensor.data(), tensor.numBytes());
  return values;
}

/// Deterministic, varied test data.
std::vector<float> ramp(size_t n, float scale, float shift) {
  std::vector<float> values(n);
  for (size_t i = 0; i < n; ++i)
    values[i] = scale * static_cast<float>((i * 7) % 13) + shift;
  return values;
}

long residentBytes() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

//===----------------------------------------------------------------------===//
// Numbers.
//===----------------------------------------------------------------------===//

TEST_F(CPUJitTest, BroadcastAddGeneric) {
  auto jit = compile(R"mlir(
    #id = affine_map<(d0, d1) -> (d0, d1)>
    #row = affine_map<(d0, d1) -> (d1)>
    func.func @main(%a: tensor<4x3xf32>, %b: tensor<3xf32>) -> tensor<4x3xf32> {
      %e = tensor.empty() : tensor<4x3xf32>
      %r = linalg.generic {indexing_maps = [#id, #row, #id],
                           iterator_types = ["parallel", "parallel"]}
          ins(%a, %b : tensor<4x3xf32>, tensor<3xf32>) outs(%e : tensor<4x3xf32>) {
        ^bb0(%x: f32, %y: f32, %o: f32):
          %s = arith.addf %x, %y : f32
          linalg.yield %s : f32
      } -> tensor<4x3xf32>
      return %r : tensor<4x3xf32>
    })mlir");
  ASSERT_TRUE(jit);
  ASSERT_EQ(jit->inputSpecs().size(), 2u);
  EXPECT_EQ(jit->inputSpecs()[0].describe(), "f32[4x3]");
  EXPECT_EQ(jit->inputSpecs()[1].describe(), "f32[3]");
  ASSERT_EQ(jit->outputSpecs().size(), 1u);
  EXPECT_EQ(jit->outputSpecs()[0].describe(), "f32[4x3]");

  std::vector<float> a = ramp(12, 0.5f, -1.0f), b = {10.0f, 20.0f, -30.0f};
  auto outputs = runOk(*jit, {makeTensor(rt::DType::F32, {4, 3}, a),
                              makeTensor(rt::DType::F32, {3}, b)});
  ASSERT_EQ(outputs.size(), 1u);
  EXPECT_EQ(outputs[0].describe(), "f32[4x3]");
  std::vector<float> got = valuesOf<float>(outputs[0]);
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 3; ++j)
      EXPECT_FLOAT_EQ(got[i * 3 + j], a[i * 3 + j] + b[j]) << i << "," << j;
}

static const char *kMatmul = R"mlir(
  func.func @main(%a: tensor<5x7xf32>, %b: tensor<7x3xf32>) -> tensor<5x3xf32> {
    %zero = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<5x3xf32>
    %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<5x3xf32>) -> tensor<5x3xf32>
    %r = linalg.matmul ins(%a, %b : tensor<5x7xf32>, tensor<7x3xf32>)
                       outs(%acc : tensor<5x3xf32>) -> tensor<5x3xf32>
    return %r : tensor<5x3xf32>
  })mlir";

static void checkMatmul(std::vector<rt::Tensor> &outputs,
                        const std::vector<float> &a,
                        const std::vector<float> &b) {
  ASSERT_EQ(outputs.size(), 1u);
  std::vector<float> got = valuesOf<float>(outputs[0]);
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 3; ++j) {
      float expected = 0.0f;
      for (int k = 0; k < 7; ++k)
        expected += a[i * 7 + k] * b[k * 3 + j];
      EXPECT_NEAR(got[i * 3 + j], expected, 1e-4f * (1 + std::fabs(expected)))
          << i << "," << j;
    }
}

TEST_F(CPUJitTest, MatmulF32) {
  std::vector<float> a = ramp(35, 0.25f, -1.5f), b = ramp(21, -0.5f, 2.0f);
  for (unsigned optLevel : {0u, 3u}) {
    CPUPipelineOptions opts;
    opts.llvmOptLevel = optLevel;
    // The JIT requests the entry's C wrapper even when the pipeline does not.
    opts.emitCInterface = optLevel != 0;
    auto jit = compile(kMatmul, opts);
    ASSERT_TRUE(jit);
    auto outputs = runOk(*jit, {makeTensor(rt::DType::F32, {5, 7}, a),
                                makeTensor(rt::DType::F32, {7, 3}, b)});
    checkMatmul(outputs, a, b);
  }
}

TEST_F(CPUJitTest, TwoOutputsOfDifferentRanksWithScalar) {
  // A 2-D elementwise product and its rank-0 sum, from a chain that the
  // elementwise fusion merges (exp(x) * y).
  auto jit = compile(R"mlir(
    #id = affine_map<(d0, d1) -> (d0, d1)>
    func.func @main(%x: tensor<2x3xf32>, %y: tensor<2x3xf32>)
        -> (tensor<2x3xf32>, tensor<f32>) {
      %e = tensor.empty() : tensor<2x3xf32>
      %ex = linalg.generic {indexing_maps = [#id, #id],
                            iterator_types = ["parallel", "parallel"]}
          ins(%x : tensor<2x3xf32>) outs(%e : tensor<2x3xf32>) {
        ^bb0(%v: f32, %o: f32):
          %t = math.exp %v : f32
          linalg.yield %t : f32
      } -> tensor<2x3xf32>
      %p = linalg.generic {indexing_maps = [#id, #id, #id],
                           iterator_types = ["parallel", "parallel"]}
          ins(%ex, %y : tensor<2x3xf32>, tensor<2x3xf32>) outs(%e : tensor<2x3xf32>) {
        ^bb0(%u: f32, %v: f32, %o: f32):
          %t = arith.mulf %u, %v : f32
          linalg.yield %t : f32
      } -> tensor<2x3xf32>
      %zero = arith.constant 0.0 : f32
      %e0 = tensor.empty() : tensor<f32>
      %init = linalg.fill ins(%zero : f32) outs(%e0 : tensor<f32>) -> tensor<f32>
      %sum = linalg.reduce ins(%p : tensor<2x3xf32>) outs(%init : tensor<f32>)
                           dimensions = [0, 1]
        (%in: f32, %acc: f32) {
          %s = arith.addf %in, %acc : f32
          linalg.yield %s : f32
        }
      return %p, %sum : tensor<2x3xf32>, tensor<f32>
    })mlir");
  ASSERT_TRUE(jit);
  ASSERT_EQ(jit->outputSpecs().size(), 2u);
  EXPECT_EQ(jit->outputSpecs()[1].describe(), "f32[]");

  std::vector<float> x = ramp(6, 0.125f, -0.5f), y = ramp(6, -1.0f, 3.0f);
  auto outputs = runOk(*jit, {makeTensor(rt::DType::F32, {2, 3}, x),
                              makeTensor(rt::DType::F32, {2, 3}, y)});
  ASSERT_EQ(outputs.size(), 2u);
  EXPECT_EQ(outputs[1].rank(), 0);
  std::vector<float> product = valuesOf<float>(outputs[0]);
  float expectedSum = 0.0f;
  for (int i = 0; i < 6; ++i) {
    float expected = std::exp(x[i]) * y[i];
    EXPECT_NEAR(product[i], expected, 1e-5f * (1 + std::fabs(expected)));
    expectedSum += expected;
  }
  EXPECT_NEAR(valuesOf<float>(outputs[1])[0], expectedSum,
              1e-5f * (1 + std::fabs(expectedSum)));
}

TEST_F(CPUJitTest, OutputThatIsAnInputAndInputsStayUnwritten) {
  // Output 0 is input %b itself; output 1 is computed "in place" into %a's
  // tensor, which bufferization must not do to the caller's buffer.
  auto jit = compile(R"mlir(
    #id = affine_map<(d0) -> (d0)>
    func.func @main(%a: tensor<4xf64>, %b: tensor<4xf64>)
        -> (tensor<4xf64>, tensor<4xf64>) {
      %r = linalg.generic {indexing_maps = [#id, #id],
                           iterator_types = ["parallel"]}
          ins(%b : tensor<4xf64>) outs(%a : tensor<4xf64>) {
        ^bb0(%v: f64, %o: f64):
          %t = arith.subf %o, %v : f64
          linalg.yield %t : f64
      } -> tensor<4xf64>
      return %b, %r : tensor<4xf64>, tensor<4xf64>
    })mlir");
  ASSERT_TRUE(jit);
  std::vector<double> a = {1.5, -2.0, 3.25, 1e10}, b = {0.5, 4.0, -1.0, 1.0};
  std::vector<rt::Tensor> inputs = {makeTensor(rt::DType::F64, {4}, a),
                                    makeTensor(rt::DType::F64, {4}, b)};
  auto outputs = runOk(*jit, inputs);
  ASSERT_EQ(outputs.size(), 2u);
  EXPECT_EQ(valuesOf<double>(outputs[0]), b);
  std::vector<double> diff = valuesOf<double>(outputs[1]);
  for (int i = 0; i < 4; ++i)
    EXPECT_DOUBLE_EQ(diff[i], a[i] - b[i]);
  EXPECT_NE(outputs[0].data(), inputs[1].data());
  EXPECT_EQ(valuesOf<double>(inputs[0]), a);
  EXPECT_EQ(valuesOf<double>(inputs[1]), b);
}

TEST_F(CPUJitTest, IntegerI64) {
  auto jit = compile(R"mlir(
    #id = affine_map<(d0, d1) -> (d0, d1)>
    #col = affine_map<(d0, d1) -> (d0)>
    func.func @main(%a: tensor<3x2xi64>, %b: tensor<3xi64>) -> tensor<3x2xi64> {
      %e = tensor.empty() : tensor<3x2xi64>
      %r = linalg.generic {indexing_maps = [#id, #col, #id],
                           iterator_types = ["parallel", "parallel"]}
          ins(%a, %b : tensor<3x2xi64>, tensor<3xi64>) outs(%e : tensor<3x2xi64>) {
        ^bb0(%x: i64, %y: i64, %o: i64):
          %m = arith.muli %x, %y : i64
          %c = arith.constant 7 : i64
          %d = arith.divsi %m, %c : i64
          linalg.yield %d : i64
      } -> tensor<3x2xi64>
      return %r : tensor<3x2xi64>
    })mlir");
  ASSERT_TRUE(jit);
  std::vector<int64_t> a = {1, -2, 3000000000LL, -4, 5, 6};
  std::vector<int64_t> b = {3, 1000000000LL, -9};
  auto outputs = runOk(*jit, {makeTensor(rt::DType::I64, {3, 2}, a),
                              makeTensor(rt::DType::I64, {3}, b)});
  ASSERT_EQ(outputs.size(), 1u);
  EXPECT_EQ(outputs[0].dtype(), rt::DType::I64);
  std::vector<int64_t> got = valuesOf<int64_t>(outputs[0]);
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 2; ++j)
      EXPECT_EQ(got[i * 2 + j], (a[i * 2 + j] * b[i]) / 7) << i << "," << j;
}

TEST_F(CPUJitTest, BoolI1) {
  // out = (x > y) xor flag, with ONNX bools stored one byte each.
  auto jit = compile(R"mlir(
    #id = affine_map<(d0) -> (d0)>
    func.func @main(%x: tensor<6xf32>, %y: tensor<6xf32>, %flag: tensor<6xi1>)
        -> tensor<6xi1> {
      %e = tensor.empty() : tensor<6xi1>
      %r = linalg.generic {indexing_maps = [#id, #id, #id, #id],
                           iterator_types = ["parallel"]}
          ins(%x, %y, %flag : tensor<6xf32>, tensor<6xf32>, tensor<6xi1>)
          outs(%e : tensor<6xi1>) {
        ^bb0(%u: f32, %v: f32, %f: i1, %o: i1):
          %gt = arith.cmpf ogt, %u, %v : f32
          %t = arith.xori %gt, %f : i1
          linalg.yield %t : i1
      } -> tensor<6xi1>
      return %r : tensor<6xi1>
    })mlir");
  ASSERT_TRUE(jit);
  EXPECT_EQ(jit->inputSpecs()[2].dtype, rt::DType::Bool);
  std::vector<float> x = {1, 2, 3, 4, 5, 6}, y = {6, 5, 4, 3, 2, 1};
  std::vector<uint8_t> flag = {0, 1, 0, 1, 0, 1};
  auto outputs = runOk(*jit, {makeTensor(rt::DType::F32, {6}, x),
                              makeTensor(rt::DType::F32, {6}, y),
                              makeTensor(rt::DType::Bool, {6}, flag)});
  ASSERT_EQ(outputs.size(), 1u);
  EXPECT_EQ(outputs[0].dtype(), rt::DType::Bool);
  EXPECT_EQ(outputs[0].numBytes(), 6u);
  std::vector<uint8_t> got = valuesOf<uint8_t>(outputs[0]);
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(got[i], static_cast<uint8_t>((x[i] > y[i]) != (flag[i] != 0)))
        << i;
}

TEST_F(CPUJitTest, ConstantOutputAndNoInputs) {
  auto jit = compile(R"mlir(
    func.func @main() -> (tensor<2x2xf32>, tensor<3xi32>) {
      %c = arith.constant dense<[[1.0, -2.5], [3.0, 4.5]]> : tensor<2x2xf32>
      %i = arith.constant dense<[7, -8, 9]> : tensor<3xi32>
      return %c, %i : tensor<2x2xf32>, tensor<3xi32>
    })mlir");
  ASSERT_TRUE(jit);
  EXPECT_TRUE(jit->inputSpecs().empty());
  for (int repeat = 0; repeat < 2; ++repeat) {
    auto outputs = runOk(*jit, {});
    ASSERT_EQ(outputs.size(), 2u);
    EXPECT_EQ(valuesOf<float>(outputs[0]),
              (std::vector<float>{1.0f, -2.5f, 3.0f, 4.5f}));
    EXPECT_EQ(valuesOf<int32_t>(outputs[1]),
              (std::vector<int32_t>{7, -8, 9}));
  }
}

TEST_F(CPUJitTest, HalfAndBFloat16) {
  // f16 and bf16 arithmetic (bf16 is emulated in f32), plus a math op on
  // f16 that the pipeline computes in f32.
  auto jit = compile(R"mlir(
    #id = affine_map<(d0) -> (d0)>
    func.func @main(%h: tensor<4xf16>, %b: tensor<4xbf16>)
        -> (tensor<4xf16>, tensor<4xbf16>) {
      %eh = tensor.empty() : tensor<4xf16>
      %rh = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
          ins(%h : tensor<4xf16>) outs(%eh : tensor<4xf16>) {
        ^bb0(%v: f16, %o: f16):
          %m = arith.mulf %v, %v : f16
          %s = math.sqrt %m : f16
          linalg.yield %s : f16
      } -> tensor<4xf16>
      %eb = tensor.empty() : tensor<4xbf16>
      %rb = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
          ins(%b : tensor<4xbf16>) outs(%eb : tensor<4xbf16>) {
        ^bb0(%v: bf16, %o: bf16):
          %s = arith.addf %v, %v : bf16
          linalg.yield %s : bf16
      } -> tensor<4xbf16>
      return %rh, %rb : tensor<4xf16>, tensor<4xbf16>
    })mlir");
  ASSERT_TRUE(jit);
  // f16 bits of 1.0, -2.0, 0.5, 3.0; sqrt(v*v) = |v|.
  std::vector<uint16_t> h = {0x3C00, 0xC000, 0x3800, 0x4200};
  // bf16 bits of 1.0, -2.0, 0.5, 3.0; v + v doubles the exponent.
  std::vector<uint16_t> b = {0x3F80, 0xC000, 0x3F00, 0x4040};
  auto outputs = runOk(*jit, {makeTensor(rt::DType::F16, {4}, h),
                              makeTensor(rt::DType::BF16, {4}, b)});
  ASSERT_EQ(outputs.size(), 2u);
  EXPECT_EQ(valuesOf<uint16_t>(outputs[0]),
            (std::vector<uint16_t>{0x3C00, 0x4000, 0x3800, 0x4200}));
  EXPECT_EQ(valuesOf<uint16_t>(outputs[1]),
            (std::vector<uint16_t>{0x4000, 0xC080, 0x3F80, 0x40C0}));
  EXPECT_DOUBLE_EQ(outputs[1].elementAsDouble(3), 6.0);
}

TEST_F(CPUJitTest, PrivateHelperFunctionAndLibmCall) {
  auto jit = compile(R"mlir(
    #id = affine_map<(d0) -> (d0)>
    func.func private @act(%t: tensor<5xf32>) -> tensor<5xf32> {
      %e = tensor.empty() : tensor<5xf32>
      %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
          ins(%t : tensor<5xf32>) outs(%e : tensor<5xf32>) {
        ^bb0(%v: f32, %o: f32):
          %s = math.erf %v : f32
          linalg.yield %s : f32
      } -> tensor<5xf32>
      return %r : tensor<5xf32>
    }
    func.func @main(%x: tensor<5xf32>) -> tensor<5xf32> {
      %a = func.call @act(%x) : (tensor<5xf32>) -> tensor<5xf32>
      %b = func.call @act(%a) : (tensor<5xf32>) -> tensor<5xf32>
      return %b : tensor<5xf32>
    })mlir");
  ASSERT_TRUE(jit);
  std::vector<float> x = {-2.0f, -0.5f, 0.0f, 0.75f, 3.0f};
  auto outputs = runOk(*jit, {makeTensor(rt::DType::F32, {5}, x)});
  ASSERT_EQ(outputs.size(), 1u);
  std::vector<float> got = valuesOf<float>(outputs[0]);
  for (int i = 0; i < 5; ++i)
    EXPECT_NEAR(got[i], std::erf(std::erf(x[i])), 1e-6f) << i;
}

TEST_F(CPUJitTest, ZeroSizedTensors) {
  auto jit = compile(R"mlir(
    #id = affine_map<(d0, d1) -> (d0, d1)>
    func.func @main(%a: tensor<0x3xf32>, %b: tensor<2xi32>)
        -> (tensor<0x3xf32>, tensor<2xi32>) {
      %e = tensor.empty() : tensor<0x3xf32>
      %r = linalg.generic {indexing_maps = [#id, #id],
                           iterator_types = ["parallel", "parallel"]}
          ins(%a : tensor<0x3xf32>) outs(%e : tensor<0x3xf32>) {
        ^bb0(%v: f32, %o: f32):
          %s = arith.addf %v, %v : f32
          linalg.yield %s : f32
      } -> tensor<0x3xf32>
      return %r, %b : tensor<0x3xf32>, tensor<2xi32>
    })mlir");
  ASSERT_TRUE(jit);
  auto outputs =
      runOk(*jit, {rt::Tensor(rt::DType::F32, {0, 3}),
                   makeTensor(rt::DType::I32, {2}, std::vector<int32_t>{4, 5})});
  ASSERT_EQ(outputs.size(), 2u);
  EXPECT_EQ(outputs[0].describe(), "f32[0x3]");
  EXPECT_EQ(outputs[0].numBytes(), 0u);
  EXPECT_EQ(valuesOf<int32_t>(outputs[1]), (std::vector<int32_t>{4, 5}));
}

TEST_F(CPUJitTest, TensorOpsAndLoops) {
  // Strided slice + transpose, expand_shape, pad, broadcast, concat, an
  // scf.for over a tensor, and one value returned twice.
  auto jit = compile(R"mlir(
    func.func @main(%a: tensor<2x6xf32>, %b: tensor<3xf32>)
        -> (tensor<3x2xf32>, tensor<2x2x3xf32>, tensor<5xf32>, tensor<4x3xf32>,
            tensor<6xf32>, tensor<3xf32>, tensor<3xf32>) {
      %s = tensor.extract_slice %a[0, 1] [2, 3] [1, 2]
          : tensor<2x6xf32> to tensor<2x3xf32>
      %et = tensor.empty() : tensor<3x2xf32>
      %t = linalg.transpose ins(%s : tensor<2x3xf32>) outs(%et : tensor<3x2xf32>)
          permutation = [1, 0]
      %x = tensor.expand_shape %a [[0], [1, 2]] output_shape [2, 2, 3]
          : tensor<2x6xf32> into tensor<2x2x3xf32>
      %nine = arith.constant 9.0 : f32
      %p = tensor.pad %b low[1] high[1] {
        ^bb0(%i: index):
          tensor.yield %nine : f32
      } : tensor<3xf32> to tensor<5xf32>
      %eb = tensor.empty() : tensor<4x3xf32>
      %bc = linalg.broadcast ins(%b : tensor<3xf32>) outs(%eb : tensor<4x3xf32>)
          dimensions = [0]
      %cc = tensor.concat dim(0) %b, %b
          : (tensor<3xf32>, tensor<3xf32>) -> tensor<6xf32>
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c3 = arith.constant 3 : index
      %sq = scf.for %i = %c0 to %c3 step %c1 iter_args(%acc = %b) -> tensor<3xf32> {
        %v = tensor.extract %acc[%i] : tensor<3xf32>
        %w = arith.mulf %v, %v : f32
        %n = tensor.insert %w into %acc[%i] : tensor<3xf32>
        scf.yield %n : tensor<3xf32>
      }
      return %t, %x, %p, %bc, %cc, %sq, %sq
          : tensor<3x2xf32>, tensor<2x2x3xf32>, tensor<5xf32>, tensor<4x3xf32>,
            tensor<6xf32>, tensor<3xf32>, tensor<3xf32>
    })mlir");
  ASSERT_TRUE(jit);
  std::vector<float> a = ramp(12, 1.0f, 0.5f), b = {1.5f, -2.0f, 3.0f};
  std::vector<rt::Tensor> inputs = {makeTensor(rt::DType::F32, {2, 6}, a),
                                    makeTensor(rt::DType::F32, {3}, b)};
  auto outputs = runOk(*jit, inputs);
  ASSERT_EQ(outputs.size(), 7u);

  std::vector<float> transposed = valuesOf<float>(outputs[0]);
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 2; ++j)
      EXPECT_EQ(transposed[i * 2 + j], a[j * 6 + 1 + 2 * i]) << i << "," << j;
  EXPECT_EQ(outputs[1].describe(), "f32[2x2x3]");
  EXPECT_EQ(valuesOf<float>(outputs[1]), a);
  EXPECT_EQ(valuesOf<float>(outputs[2]),
            (std::vector<float>{9.0f, b[0], b[1], b[2], 9.0f}));
  std::vector<float> broadcast = valuesOf<float>(outputs[3]);
  for (int i = 0; i < 12; ++i)
    EXPECT_EQ(broadcast[i], b[i % 3]) << i;
  EXPECT_EQ(valuesOf<float>(outputs[4]),
            (std::vector<float>{b[0], b[1], b[2], b[0], b[1], b[2]}));
  std::vector<float> squares = {b[0] * b[0], b[1] * b[1], b[2] * b[2]};
  EXPECT_EQ(valuesOf<float>(outputs[5]), squares);
  EXPECT_EQ(valuesOf<float>(outputs[6]), squares);
  EXPECT_EQ(valuesOf<float>(inputs[1]), b); // The loop did not write %b.
}

//===----------------------------------------------------------------------===//
// Errors.
//===----------------------------------------------------------------------===//

TEST_F(CPUJitTest, WrongInputsGiveErrors) {
  auto jit = compile(kMatmul);
  ASSERT_TRUE(jit);
  std::vector<float> a = ramp(35, 1.0f, 0.0f);

  // Wrong shape of input #1.
  auto outputs = jit->run({makeTensor(rt::DType::F32, {5, 7}, a),
                           rt::Tensor(rt::DType::F32, {3, 7})});
  ASSERT_FALSE(outputs);
  std::string message = llvm::toString(outputs.takeError());
  EXPECT_NE(message.find("input #1"), std::string::npos) << message;
  EXPECT_NE(message.find("expected f32[7x3]"), std::string::npos) << message;
  EXPECT_NE(message.find("got f32[3x7]"), std::string::npos) << message;

  // Wrong dtype of input #0.
  outputs = jit->run({rt::Tensor(rt::DType::F64, {5, 7}),
                      rt::Tensor(rt::DType::F32, {7, 3})});
  ASSERT_FALSE(outputs);
  message = llvm::toString(outputs.takeError());
  EXPECT_NE(message.find("input #0"), std::string::npos) << message;
  EXPECT_NE(message.find("f64[5x7]"), std::string::npos) << message;

  // Wrong number of inputs.
  outputs = jit->run({makeTensor(rt::DType::F32, {5, 7}, a)});
  ASSERT_FALSE(outputs);
  message = llvm::toString(outputs.takeError());
  EXPECT_NE(message.find("expected 2 inputs, got 1"), std::string::npos)
      << message;

  // The executor still works afterwards.
  std::vector<float> b = ramp(21, 1.0f, -3.0f);
  auto good = runOk(*jit, {makeTensor(rt::DType::F32, {5, 7}, a),
                           makeTensor(rt::DType::F32, {7, 3}, b)});
  checkMatmul(good, a, b);
}

TEST_F(CPUJitTest, UnsupportedSignaturesGiveErrors) {
  auto module = parse(R"mlir(
    func.func @dyn(%a: tensor<?x3xf32>) -> tensor<?x3xf32> {
      return %a : tensor<?x3xf32>
    }
    func.func @idx(%a: tensor<3xindex>) -> tensor<3xindex> {
      return %a : tensor<3xindex>
    }
    func.func private @decl(%a: tensor<3xf32>) -> tensor<3xf32>
  )mlir");
  ASSERT_TRUE(module);
  auto expectError = [&](llvm::StringRef entry, llvm::StringRef needle) {
    auto jit = JitExecutor::create(*module, entry);
    ASSERT_FALSE(jit) << entry.str();
    std::string message = llvm::toString(jit.takeError());
    EXPECT_NE(message.find(needle.str()), std::string::npos) << message;
  };
  expectError("dyn", "input #0 has type 'tensor<?x3xf32>': dynamic shapes");
  expectError("idx", "element type has no runtime dtype");
  expectError("decl", "has no body");
  expectError("missing", "@missing not found");
}

//===----------------------------------------------------------------------===//
// Pipeline and memory.
//===----------------------------------------------------------------------===//

TEST_F(CPUJitTest, NamedPipelineLowersToLLVMDialect) {
  registerCPUPipelines();
  registerCPUPipelines(); // Idempotent.
  auto module = parse(kMatmul);
  ASSERT_TRUE(module);
  mlir::PassManager pm(&context);
  ASSERT_TRUE(mlir::succeeded(mlir::parsePassPipeline(
      "kiln-cpu-lower-to-llvm{fuse-elementwise=false}", pm)));
  ASSERT_TRUE(mlir::succeeded(pm.run(*module)));
  bool allLLVM = true;
  module->walk([&](mlir::Operation *op) {
    if (op != module->getOperation() &&
        op->getDialect()->getNamespace() != "llvm")
      allLLVM = false;
  });
  EXPECT_TRUE(allLLVM);
  EXPECT_TRUE(module->lookupSymbol("_mlir_ciface_main"));
}

TEST_F(CPUJitTest, TypeMappingRoundTrips) {
  for (rt::DType dtype :
       {rt::DType::F32, rt::DType::F64, rt::DType::F16, rt::DType::BF16,
        rt::DType::Bool, rt::DType::I8, rt::DType::I16, rt::DType::I32,
        rt::DType::I64, rt::DType::U8, rt::DType::U16, rt::DType::U32,
        rt::DType::U64}) {
    mlir::Type type = toMLIRElementType(dtype, &context);
    ASSERT_TRUE(type) << rt::dtypeName(dtype);
    EXPECT_EQ(fromMLIRElementType(type), dtype) << rt::dtypeName(dtype);
  }
  EXPECT_FALSE(toMLIRElementType(rt::DType::Undefined, &context));
}

TEST_F(CPUJitTest, RepeatedRunsDoNotLeak) {
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
  GTEST_SKIP() << "ASan's quarantine keeps freed memory resident";
#endif
#endif
  // out = m + transpose(m) with m = a * b: m cannot live in the output
  // buffer, so the compiled code allocates a 256 KiB intermediate on every
  // run and must free it.
  CPUPipelineOptions opts;
  opts.fuseElementwise = false;
  auto jit = compile(R"mlir(
    #id = affine_map<(d0, d1) -> (d0, d1)>
    #tr = affine_map<(d0, d1) -> (d1, d0)>
    func.func @main(%a: tensor<256x64xf32>, %b: tensor<64x256xf32>)
        -> tensor<256x256xf32> {
      %zero = arith.constant 0.0 : f32
      %e = tensor.empty() : tensor<256x256xf32>
      %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<256x256xf32>) -> tensor<256x256xf32>
      %m = linalg.matmul ins(%a, %b : tensor<256x64xf32>, tensor<64x256xf32>)
                         outs(%acc : tensor<256x256xf32>) -> tensor<256x256xf32>
      %e2 = tensor.empty() : tensor<256x256xf32>
      %r = linalg.generic {indexing_maps = [#id, #tr, #id],
                           iterator_types = ["parallel", "parallel"]}
          ins(%m, %m : tensor<256x256xf32>, tensor<256x256xf32>)
          outs(%e2 : tensor<256x256xf32>) {
        ^bb0(%x: f32, %y: f32, %o: f32):
          %s = arith.addf %x, %y : f32
          linalg.yield %s : f32
      } -> tensor<256x256xf32>
      return %r : tensor<256x256xf32>
    })mlir",
                     opts);
  ASSERT_TRUE(jit);
  std::vector<rt::Tensor> inputs = {
      makeTensor(rt::DType::F32, {256, 64}, ramp(256 * 64, 0.01f, -0.05f)),
      makeTensor(rt::DType::F32, {64, 256}, ramp(64 * 256, -0.02f, 0.1f))};
  for (int i = 0; i < 10; ++i)
    ASSERT_EQ(runOk(*jit, inputs).size(), 1u);
  long before = residentBytes();
  for (int i = 0; i < 200; ++i)
    ASSERT_EQ(runOk(*jit, inputs).size(), 1u);
  long growth = residentBytes() - before;
  // A leak of the intermediate would be 200 * 256 KiB = 50 MiB.
  EXPECT_LT(growth, 8L << 20) << "RSS grew by " << growth << " bytes";

  // Spot-check one element of the result.
  auto outputs = runOk(*jit, inputs);
  std::vector<float> a = valuesOf<float>(inputs[0]);
  std::vector<float> b = valuesOf<float>(inputs[1]);
  auto m = [&](int i, int j) {
    float sum = 0.0f;
    for (int k = 0; k < 64; ++k)
      sum += a[i * 64 + k] * b[k * 256 + j];
    return sum;
  };
  float expected = m(17, 5) + m(5, 17);
  EXPECT_NEAR(valuesOf<float>(outputs[0])[17 * 256 + 5], expected,
              1e-4f * (1 + std::fabs(expected)));
}

} // namespace
