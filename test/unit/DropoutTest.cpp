//===- DropoutTest.cpp - Statistical tests of training-mode Dropout -------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Training-mode Dropout cannot be checked against ONNX's numbers (they come
// from numpy's generator), so its properties are checked instead, on ONNX
// Dropout nodes imported, lowered and JIT-run on the CPU:
//   - the kept fraction is 1 - ratio within a binomial bound;
//   - kept elements are scaled by exactly 1 / (1 - ratio), dropped ones 0;
//   - the mask output is the mask used for y;
//   - the same seed gives the same mask (across runs and compilations, and
//     bit for bit the host reference of DropoutHash.h), other seeds and
//     offsets give other masks;
//   - ratio 0, given at run time, keeps every element exactly.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/CPU/JitExecutor.h"
#include "kiln/Codegen/CPU/Pipeline.h"
#include "kiln/Conversion/Passes.h"
#include "kiln/Dialect/Kiln/DropoutHash.h"
#include "kiln/Dialect/Kiln/KilnDialect.h"
#include "kiln/Import/ONNXImporter.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include "gtest/gtest.h"

#include <onnx/onnx_pb.h>

#include <cmath>
#include <cstring>

using namespace kiln;
using rt::DType;

namespace {

constexpr int64_t kRows = 256, kCols = 1024, kCount = kRows * kCols;

/// A Dropout node (opset 13, training_mode true) over x [kRows, kCols] with
/// the ratio a run-time input, outputs y and mask.
onnx::ModelProto dropoutModel(std::optional<int64_t> seed) {
  onnx::ModelProto model;
  model.set_ir_version(8);
  model.add_opset_import()->set_version(13);
  onnx::GraphProto *graph = model.mutable_graph();
  auto addValue = [](google::protobuf::RepeatedPtrField<onnx::ValueInfoProto>
                         *list,
                     const std::string &name, int type,
                     std::vector<int64_t> shape) {
    onnx::ValueInfoProto *info = list->Add();
    info->set_name(name);
    auto *tensor = info->mutable_type()->mutable_tensor_type();
    tensor->set_elem_type(type);
    auto *dims = tensor->mutable_shape();
    for (int64_t d : shape)
      dims->add_dim()->set_dim_value(d);
  };
  addValue(graph->mutable_input(), "x", onnx::TensorProto::FLOAT,
           {kRows, kCols});
  addValue(graph->mutable_input(), "ratio", onnx::TensorProto::FLOAT, {});
  addValue(graph->mutable_output(), "y", onnx::TensorProto::FLOAT,
           {kRows, kCols});
  addValue(graph->mutable_output(), "mask", onnx::TensorProto::BOOL,
           {kRows, kCols});
  onnx::TensorProto *training = graph->add_initializer();
  training->set_name("training_mode");
  training->set_data_type(onnx::TensorProto::BOOL);
  training->add_int32_data(1);
  onnx::NodeProto *node = graph->add_node();
  node->set_op_type("Dropout");
  node->add_input("x");
  node->add_input("ratio");
  node->add_input("training_mode");
  node->add_output("y");
  node->add_output("mask");
  if (seed) {
    onnx::AttributeProto *a = node->add_attribute();
    a->set_name("seed");
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(*seed);
  }
  return model;
}

class DropoutTest : public ::testing::Test {
protected:
  DropoutTest() : context(makeRegistry()) { context.loadAllAvailableDialects(); }

  static mlir::DialectRegistry makeRegistry() {
    mlir::DialectRegistry registry;
    registry.insert<KilnDialect>();
    cpu::registerCPUPipelineDependencies(registry);
    return registry;
  }

  /// Lowers a kiln module and JIT-compiles its @main.
  std::unique_ptr<cpu::JitExecutor> compile(mlir::OwningOpRef<mlir::ModuleOp> module) {
    if (!module) {
      ADD_FAILURE() << "no module: " << diagnostics;
      return nullptr;
    }
    mlir::PassManager pm(&context);
    pm.addPass(createConvertKilnToLinalg());
    if (mlir::failed(pm.run(*module))) {
      ADD_FAILURE() << "lowering failed: " << diagnostics;
      return nullptr;
    }
    auto jit = cpu::JitExecutor::create(*module, "main");
    if (!jit) {
      ADD_FAILURE() << llvm::toString(jit.takeError());
      return nullptr;
    }
    return std::move(*jit);
  }

  std::unique_ptr<cpu::JitExecutor> compileDropout(std::optional<int64_t> seed) {
    mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &d) {
      diagnostics += d.str() + "\n";
      return mlir::success();
    });
    return compile(importONNXModel(dropoutModel(seed), &context));
  }

  /// Runs the Dropout program on x = 1 + i / kCount at `ratio`; returns
  /// {y, mask}.
  std::pair<std::vector<float>, std::vector<uint8_t>>
  run(cpu::JitExecutor &jit, float ratio) {
    rt::Tensor x(DType::F32, {kRows, kCols});
    for (int64_t i = 0; i < kCount; ++i)
      x.dataAs<float>()[i] = input(i);
    rt::Tensor r(DType::F32, {});
    r.dataAs<float>()[0] = ratio;
    auto outputs = jit.run({x, r});
    if (!outputs) {
      ADD_FAILURE() << llvm::toString(outputs.takeError());
      return {};
    }
    const rt::Tensor &y = (*outputs)[0], &mask = (*outputs)[1];
    EXPECT_EQ(mask.dtype(), DType::Bool);
    return {std::vector<float>(y.dataAs<float>(), y.dataAs<float>() + kCount),
            std::vector<uint8_t>(mask.dataAs<uint8_t>(),
                                 mask.dataAs<uint8_t>() + kCount)};
  }

  static float input(int64_t i) {
    return 1.0f + static_cast<float>(i) / static_cast<float>(kCount);
  }

  static int64_t kept(const std::vector<uint8_t> &mask) {
    int64_t n = 0;
    for (uint8_t m : mask)
      n += m != 0;
    return n;
  }

  mlir::MLIRContext context;
  std::string diagnostics;
};

TEST_F(DropoutTest, KeptFractionIsOneMinusRatio) {
  auto jit = compileDropout(7);
  ASSERT_TRUE(jit);
  for (float ratio : {0.1f, 0.5f, 0.9f}) {
    auto [y, mask] = run(*jit, ratio);
    ASSERT_EQ(mask.size(), static_cast<size_t>(kCount));
    double p = 1.0 - ratio;
    double sigma = std::sqrt(p * (1 - p) / kCount);
    double fraction = static_cast<double>(kept(mask)) / kCount;
    // Six standard deviations: a false failure has probability ~1e-9.
    EXPECT_NEAR(fraction, p, 6 * sigma) << "ratio " << ratio;
    // Also within the first row alone (positions are independent).
    std::vector<uint8_t> row(mask.begin(), mask.begin() + kCols);
    double rowSigma = std::sqrt(p * (1 - p) / kCols);
    EXPECT_NEAR(static_cast<double>(kept(row)) / kCols, p, 6 * rowSigma);
  }
}

TEST_F(DropoutTest, ScalingIsExactAndMaskIsTheOneUsed) {
  auto jit = compileDropout(7);
  ASSERT_TRUE(jit);
  for (float ratio : {0.25f, 0.3f}) {
    auto [y, mask] = run(*jit, ratio);
    ASSERT_EQ(y.size(), static_cast<size_t>(kCount));
    // The program computes scale = 1 / (1 - ratio) in f32, then x * scale.
    float scale = 1.0f / (1.0f - ratio);
    int64_t wrong = 0;
    for (int64_t i = 0; i < kCount; ++i) {
      float want = mask[i] ? input(i) * scale : 0.0f;
      wrong += y[i] != want;
    }
    EXPECT_EQ(wrong, 0) << "ratio " << ratio;
  }
}

TEST_F(DropoutTest, SameSeedSameMask) {
  auto jit = compileDropout(1234);
  auto again = compileDropout(1234);
  ASSERT_TRUE(jit && again);
  auto [y1, mask1] = run(*jit, 0.5f);
  auto [y2, mask2] = run(*jit, 0.5f);
  auto [y3, mask3] = run(*again, 0.5f);
  EXPECT_EQ(mask1, mask2);
  EXPECT_EQ(mask1, mask3);
  EXPECT_EQ(y1, y3);
  // Bit for bit the host definition of the hash.
  int64_t differ = 0;
  for (int64_t i = 0; i < kCount; ++i)
    differ += (mask1[i] != 0) != dropout::keep(1234, 0, i, 0.5f);
  EXPECT_EQ(differ, 0);
}

TEST_F(DropoutTest, OtherSeedsGiveOtherMasks) {
  auto a = compileDropout(1), b = compileDropout(2);
  ASSERT_TRUE(a && b);
  auto [ya, maskA] = run(*a, 0.5f);
  auto [yb, maskB] = run(*b, 0.5f);
  int64_t differ = 0;
  for (int64_t i = 0; i < kCount; ++i)
    differ += maskA[i] != maskB[i];
  // Independent masks at p = 0.5 differ in half the positions.
  double sigma = std::sqrt(0.25 / kCount);
  EXPECT_NEAR(static_cast<double>(differ) / kCount, 0.5, 6 * sigma);
}

TEST_F(DropoutTest, NodesWithoutSeedStillGetAFixedOne) {
  // ONNX asks for a random seed; Kiln derives one from the node's output
  // name, so two compilations agree.
  auto a = compileDropout(std::nullopt), b = compileDropout(std::nullopt);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(run(*a, 0.5f).second, run(*b, 0.5f).second);
}

TEST_F(DropoutTest, RatioZeroKeepsEverythingExactly) {
  auto jit = compileDropout(7);
  ASSERT_TRUE(jit);
  auto [y, mask] = run(*jit, 0.0f);
  EXPECT_EQ(kept(mask), kCount);
  int64_t changed = 0;
  for (int64_t i = 0; i < kCount; ++i)
    changed += y[i] != input(i);
  EXPECT_EQ(changed, 0);
}

TEST_F(DropoutTest, OffsetDrawsANewMask) {
  // A training loop passes its step as the offset: one mask per step.
  const char *source = R"mlir(
    func.func @main(%r: tensor<f32>, %step: tensor<i64>) -> tensor<256x1024xi1> {
      %m = kiln.dropout_mask %r seed 5 offset %step
          : tensor<f32>, tensor<i64> -> tensor<256x1024xi1>
      return %m : tensor<256x1024xi1>
    })mlir";
  auto jit = compile(mlir::parseSourceString<mlir::ModuleOp>(source, &context));
  ASSERT_TRUE(jit);
  auto mask = [&](int64_t step) {
    rt::Tensor r(DType::F32, {}), s(DType::I64, {});
    r.dataAs<float>()[0] = 0.5f;
    s.dataAs<int64_t>()[0] = step;
    auto out = jit->run({r, s});
    EXPECT_TRUE(static_cast<bool>(out));
    if (!out)
      return std::vector<uint8_t>();
    const rt::Tensor &m = (*out)[0];
    return std::vector<uint8_t>(m.dataAs<uint8_t>(),
                                m.dataAs<uint8_t>() + kCount);
  };
  std::vector<uint8_t> m0 = mask(0), m1 = mask(1), m1again = mask(1);
  ASSERT_EQ(m0.size(), static_cast<size_t>(kCount));
  EXPECT_EQ(m1, m1again);
  int64_t differ = 0;
  for (int64_t i = 0; i < kCount; ++i) {
    differ += m0[i] != m1[i];
    EXPECT_EQ(m1[i] != 0, dropout::keep(5, 1, i, 0.5f)) << "at " << i;
    if (::testing::Test::HasFailure())
      break;
  }
  EXPECT_GT(differ, kCount / 4);
}

} // namespace
