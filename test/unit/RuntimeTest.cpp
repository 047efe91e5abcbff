//===- RuntimeTest.cpp - Unit tests of the LLVM-free runtime --------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Tests Tensor, TensorProto I/O (real ONNX backend-test files, round trips of
// every dtype, typed repeated fields, malformed input) and output comparison.
//
//===----------------------------------------------------------------------===//

#include "kiln/Runtime/Compare.h"
#include "kiln/Runtime/Progress.h"
#include "kiln/Runtime/Tensor.h"
#include "kiln/Runtime/TensorProtoIO.h"

#include "onnx/onnx_pb.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <string>
#include <unistd.h>

using namespace kiln::rt;

namespace {

const char *const kTestAddDir =
    "/usr/share/libonnx-testdata/data/node/test_add/test_data_set_0/";

const DType kAllDTypes[] = {DType::F32, DType::U8,  DType::I8,   DType::U16,
                            DType::I16, DType::I32, DType::I64,  DType::Bool,
                            DType::F16, DType::F64, DType::U32,  DType::U64,
                            DType::BF16};

/// A fresh path under the temp directory, unique per process and tag.
std::string tempPath(const std::string &tag) {
  const char *dir = std::getenv("TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/kiln-runtime-test-" +
         std::to_string(getpid()) + "-" + tag + ".pb";
}

std::string readBytes(const std::string &path) {
  std::ifstream file(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(file), {});
}

void writeBytes(const std::string &path, const std::string &bytes) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

Tensor makeF32(std::vector<int64_t> shape, std::vector<float> values) {
  Tensor t(DType::F32, std::move(shape));
  std::memcpy(t.data(), values.data(), values.size() * sizeof(float));
  return t;
}

} // namespace

//===----------------------------------------------------------------------===//
// Tensor
//===----------------------------------------------------------------------===//

TEST(Tensor, SizesNamesAndDescription) {
  EXPECT_EQ(dtypeSize(DType::F32), 4u);
  EXPECT_EQ(dtypeSize(DType::Bool), 1u);
  EXPECT_EQ(dtypeSize(DType::BF16), 2u);
  EXPECT_EQ(dtypeSize(DType::U64), 8u);
  EXPECT_EQ(dtypeSize(DType::Undefined), 0u);
  EXPECT_STREQ(dtypeName(DType::I64), "i64");
  EXPECT_STREQ(dtypeName(DType::BF16), "bf16");

  Tensor t(DType::F32, {2, 3});
  EXPECT_EQ(t.numElements(), 6);
  EXPECT_EQ(t.numBytes(), 24u);
  EXPECT_EQ(t.rank(), 2);
  EXPECT_EQ(t.describe(), "f32[2x3]");
  EXPECT_EQ(t.elementAsDouble(5), 0.0); // Zero-initialized.

  Tensor scalar(DType::I64, {});
  EXPECT_EQ(scalar.numElements(), 1);
  EXPECT_EQ(scalar.describe(), "i64[]");
  Tensor empty(DType::F32, {0, 4});
  EXPECT_EQ(empty.numElements(), 0);
  EXPECT_EQ(empty.numBytes(), 0u);
}

TEST(Tensor, ElementAsDoubleEveryDType) {
  auto single = [](DType type, const void *bits) {
    Tensor t(type, {1});
    std::memcpy(t.data(), bits, dtypeSize(type));
    return t.elementAsDouble(0);
  };
  float f = -1.5f;
  double d = 1e300;
  uint8_t u8 = 200;
  int8_t i8 = -100;
  uint16_t u16 = 60000;
  int16_t i16 = -30000;
  int32_t i32 = -2000000000;
  int64_t i64 = -(int64_t(1) << 40);
  uint32_t u32 = 4000000000u;
  uint64_t u64 = uint64_t(1) << 63;
  uint8_t boolByte = 7;
  EXPECT_EQ(single(DType::F32, &f), -1.5);
  EXPECT_EQ(single(DType::F64, &d), 1e300);
  EXPECT_EQ(single(DType::U8, &u8), 200.0);
  EXPECT_EQ(single(DType::I8, &i8), -100.0);
  EXPECT_EQ(single(DType::U16, &u16), 60000.0);
  EXPECT_EQ(single(DType::I16, &i16), -30000.0);
  EXPECT_EQ(single(DType::I32, &i32), -2000000000.0);
  EXPECT_EQ(single(DType::I64, &i64), -1099511627776.0);
  EXPECT_EQ(single(DType::U32, &u32), 4000000000.0);
  EXPECT_EQ(single(DType::U64, &u64), 9223372036854775808.0);
  EXPECT_EQ(single(DType::Bool, &boolByte), 1.0);
}

TEST(Tensor, HalfAndBFloat16Bits) {
  EXPECT_EQ(f16BitsToFloat(0x3C00), 1.0f);
  EXPECT_EQ(f16BitsToFloat(0xC000), -2.0f);
  EXPECT_EQ(f16BitsToFloat(0x3555), 0.333251953125f);
  EXPECT_EQ(f16BitsToFloat(0x7BFF), 65504.0f);      // Largest finite.
  EXPECT_EQ(f16BitsToFloat(0x0400), 6.103515625e-05f); // Smallest normal.
  EXPECT_EQ(f16BitsToFloat(0x0001), std::ldexp(1.0f, -24)); // Subnormal.
  EXPECT_EQ(f16BitsToFloat(0x83FF), -std::ldexp(1023.0f, -24));
  EXPECT_TRUE(std::signbit(f16BitsToFloat(0x8000)));
  EXPECT_EQ(f16BitsToFloat(0x7C00), std::numeric_limits<float>::infinity());
  EXPECT_EQ(f16BitsToFloat(0xFC00), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(f16BitsToFloat(0x7E00)));

  EXPECT_EQ(bf16BitsToFloat(0x3F80), 1.0f);
  EXPECT_EQ(bf16BitsToFloat(0xC040), -3.0f);
  EXPECT_EQ(bf16BitsToFloat(0x7F80), std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(bf16BitsToFloat(0x7FC0)));

  Tensor half(DType::F16, {2});
  uint16_t halfBits[] = {0x3C00, 0xC500}; // 1.0, -5.0
  std::memcpy(half.data(), halfBits, sizeof(halfBits));
  EXPECT_EQ(half.elementAsDouble(1), -5.0);
  Tensor brain(DType::BF16, {1});
  uint16_t brainBits = 0x4049; // 3.140625
  std::memcpy(brain.data(), &brainBits, 2);
  EXPECT_EQ(brain.elementAsDouble(0), 3.140625);
}

//===----------------------------------------------------------------------===//
// TensorProto I/O
//===----------------------------------------------------------------------===//

TEST(TensorProtoIO, ReadsOnnxBackendTestFile) {
  Tensor x;
  std::string name, error;
  ASSERT_TRUE(readTensorProtoFile(std::string(kTestAddDir) + "input_0.pb", x,
                                  &name, error))
      << error;
  EXPECT_EQ(name, "x");
  EXPECT_EQ(x.dtype(), DType::F32);
  EXPECT_EQ(x.shape(), (std::vector<int64_t>{3, 4, 5}));
  // Reference values obtained independently with
  //   /usr/bin/python3 -c 'import onnx; from onnx import numpy_helper; ...
  //     numpy_helper.to_array(t).flat[k]'
  // on the same file (flat indices 0, 1 and 59).
  EXPECT_FLOAT_EQ(x.dataAs<float>()[0], 1.7640524f);
  EXPECT_FLOAT_EQ(x.dataAs<float>()[1], 0.4001572f);
  EXPECT_FLOAT_EQ(x.dataAs<float>()[59], -0.36274117f);
}

TEST(TensorProtoIO, BackendTestAddIsConsistent) {
  // sum == x + y element-wise: a cross-check of three files read at once.
  Tensor x, y, sum;
  std::string error, name;
  const std::string dir = kTestAddDir;
  ASSERT_TRUE(readTensorProtoFile(dir + "input_0.pb", x, nullptr, error));
  ASSERT_TRUE(readTensorProtoFile(dir + "input_1.pb", y, nullptr, error));
  ASSERT_TRUE(readTensorProtoFile(dir + "output_0.pb", sum, &name, error));
  EXPECT_EQ(name, "sum");
  EXPECT_FLOAT_EQ(y.dataAs<float>()[0], -0.67246044f);
  EXPECT_FLOAT_EQ(sum.dataAs<float>()[0], 1.091592f);
  Tensor computed(DType::F32, x.shape());
  for (int64_t i = 0; i < x.numElements(); ++i)
    computed.dataAs<float>()[i] = x.dataAs<float>()[i] + y.dataAs<float>()[i];
  CompareResult result = compareTensors(computed, sum, CompareOptions{0, 0});
  EXPECT_TRUE(result.ok) << formatCompareLine("sum", result);
}

TEST(TensorProtoIO, RoundTripEveryDType) {
  for (DType type : kAllDTypes) {
    SCOPED_TRACE(dtypeName(type));
    Tensor original(type, {2, 3});
    auto *bytes = static_cast<uint8_t *>(original.data());
    for (size_t i = 0; i < original.numBytes(); ++i)
      bytes[i] = static_cast<uint8_t>(i * 37 + 11);
    if (type == DType::Bool)
      for (size_t i = 0; i < original.numBytes(); ++i)
        bytes[i] &= 1;

    const std::string path = tempPath(dtypeName(type));
    std::string error, name;
    ASSERT_TRUE(writeTensorProtoFile(path, original, "t_out", error)) << error;
    Tensor back;
    ASSERT_TRUE(readTensorProtoFile(path, back, &name, error)) << error;
    std::remove(path.c_str());
    EXPECT_EQ(name, "t_out");
    EXPECT_EQ(back.dtype(), type);
    EXPECT_EQ(back.shape(), original.shape());
    ASSERT_EQ(back.numBytes(), original.numBytes());
    EXPECT_EQ(std::memcmp(back.data(), original.data(), back.numBytes()), 0);
  }
}

TEST(TensorProtoIO, RoundTripScalarAndEmpty) {
  for (std::vector<int64_t> shape :
       {std::vector<int64_t>{}, std::vector<int64_t>{0, 5}}) {
    Tensor original(DType::F32, shape);
    if (original.numElements() == 1)
      original.dataAs<float>()[0] = 42.0f;
    onnx::TensorProto proto;
    std::string error;
    ASSERT_TRUE(tensorToProto(original, "s", proto, error)) << error;
    Tensor back;
    ASSERT_TRUE(tensorFromProto(proto, back, error)) << error;
    EXPECT_EQ(back.shape(), shape);
    EXPECT_EQ(back.numBytes(), original.numBytes());
    if (back.numElements() == 1) {
      EXPECT_EQ(back.dataAs<float>()[0], 42.0f);
    }
  }
}

TEST(TensorProtoIO, TypedRepeatedFields) {
  std::string error;
  Tensor t;

  onnx::TensorProto floats;
  floats.set_data_type(onnx::TensorProto::FLOAT);
  floats.add_dims(2);
  floats.add_float_data(1.5f);
  floats.add_float_data(-2.0f);
  ASSERT_TRUE(tensorFromProto(floats, t, error)) << error;
  EXPECT_EQ(t.elementAsDouble(1), -2.0);

  onnx::TensorProto halves; // f16 bit patterns travel in int32_data.
  halves.set_data_type(onnx::TensorProto::FLOAT16);
  halves.add_dims(2);
  halves.add_int32_data(0x3C00);
  halves.add_int32_data(0xC500);
  ASSERT_TRUE(tensorFromProto(halves, t, error)) << error;
  EXPECT_EQ(t.elementAsDouble(0), 1.0);
  EXPECT_EQ(t.elementAsDouble(1), -5.0);

  onnx::TensorProto brains;
  brains.set_data_type(onnx::TensorProto::BFLOAT16);
  brains.add_int32_data(0xC040); // Scalar -3.
  ASSERT_TRUE(tensorFromProto(brains, t, error)) << error;
  EXPECT_EQ(t.elementAsDouble(0), -3.0);

  onnx::TensorProto bools;
  bools.set_data_type(onnx::TensorProto::BOOL);
  bools.add_dims(3);
  for (int v : {0, 1, 5})
    bools.add_int32_data(v);
  ASSERT_TRUE(tensorFromProto(bools, t, error)) << error;
  EXPECT_EQ(t.dataAs<uint8_t>()[2], 1);

  onnx::TensorProto int8s;
  int8s.set_data_type(onnx::TensorProto::INT8);
  int8s.add_dims(2);
  int8s.add_int32_data(-128);
  int8s.add_int32_data(127);
  ASSERT_TRUE(tensorFromProto(int8s, t, error)) << error;
  EXPECT_EQ(t.elementAsDouble(0), -128.0);

  onnx::TensorProto int64s;
  int64s.set_data_type(onnx::TensorProto::INT64);
  int64s.add_dims(1);
  int64s.add_int64_data(int64_t(1) << 62);
  ASSERT_TRUE(tensorFromProto(int64s, t, error)) << error;
  EXPECT_EQ(t.dataAs<int64_t>()[0], int64_t(1) << 62);

  onnx::TensorProto doubles;
  doubles.set_data_type(onnx::TensorProto::DOUBLE);
  doubles.add_dims(1);
  doubles.add_double_data(0.1);
  ASSERT_TRUE(tensorFromProto(doubles, t, error)) << error;
  EXPECT_EQ(t.dataAs<double>()[0], 0.1);

  onnx::TensorProto u32s; // UINT32 and UINT64 travel in uint64_data.
  u32s.set_data_type(onnx::TensorProto::UINT32);
  u32s.add_dims(1);
  u32s.add_uint64_data(4000000000u);
  ASSERT_TRUE(tensorFromProto(u32s, t, error)) << error;
  EXPECT_EQ(t.dataAs<uint32_t>()[0], 4000000000u);

  onnx::TensorProto u64s;
  u64s.set_data_type(onnx::TensorProto::UINT64);
  u64s.add_dims(1);
  u64s.add_uint64_data(~uint64_t(0));
  ASSERT_TRUE(tensorFromProto(u64s, t, error)) << error;
  EXPECT_EQ(t.dataAs<uint64_t>()[0], ~uint64_t(0));
}

TEST(TensorProtoIO, RejectsUnsupportedAndInconsistentProtos) {
  std::string error;
  Tensor t;

  onnx::TensorProto strings;
  strings.set_name("s");
  strings.set_data_type(onnx::TensorProto::STRING);
  strings.add_string_data("hello");
  EXPECT_FALSE(tensorFromProto(strings, t, error));
  EXPECT_NE(error.find("STRING"), std::string::npos) << error;

  onnx::TensorProto complex;
  complex.set_data_type(onnx::TensorProto::COMPLEX64);
  EXPECT_FALSE(tensorFromProto(complex, t, error));
  EXPECT_NE(error.find("COMPLEX64"), std::string::npos) << error;

  onnx::TensorProto float8; // FLOAT8E4M3FN, newer than this proto.
  float8.set_data_type(17);
  EXPECT_FALSE(tensorFromProto(float8, t, error));
  EXPECT_NE(error.find("FLOAT8E4M3FN"), std::string::npos) << error;

  onnx::TensorProto external;
  external.set_data_type(onnx::TensorProto::FLOAT);
  external.set_data_location(onnx::TensorProto::EXTERNAL);
  auto *entry = external.add_external_data();
  entry->set_key("location");
  entry->set_value("weights.bin");
  EXPECT_FALSE(tensorFromProto(external, t, error));
  EXPECT_NE(error.find("external"), std::string::npos) << error;

  onnx::TensorProto shortRaw;
  shortRaw.set_name("w");
  shortRaw.set_data_type(onnx::TensorProto::FLOAT);
  shortRaw.add_dims(2);
  shortRaw.add_dims(3);
  shortRaw.set_raw_data(std::string(20, '\0'));
  EXPECT_FALSE(tensorFromProto(shortRaw, t, error));
  EXPECT_NE(error.find("'w'"), std::string::npos) << error;
  EXPECT_NE(error.find("raw_data holds 20 bytes"), std::string::npos) << error;

  onnx::TensorProto shortTyped;
  shortTyped.set_data_type(onnx::TensorProto::INT64);
  shortTyped.add_dims(3);
  shortTyped.add_int64_data(1);
  EXPECT_FALSE(tensorFromProto(shortTyped, t, error));
  EXPECT_NE(error.find("int64_data holds 1"), std::string::npos) << error;

  onnx::TensorProto wrongField; // INT64 data in float_data.
  wrongField.set_data_type(onnx::TensorProto::INT64);
  wrongField.add_dims(1);
  wrongField.add_float_data(1.0f);
  EXPECT_FALSE(tensorFromProto(wrongField, t, error));

  onnx::TensorProto negative;
  negative.set_data_type(onnx::TensorProto::FLOAT);
  negative.add_dims(-1);
  EXPECT_FALSE(tensorFromProto(negative, t, error));
  EXPECT_NE(error.find("invalid dims"), std::string::npos) << error;

  onnx::TensorProto huge; // Element count overflows: error, no allocation.
  huge.set_data_type(onnx::TensorProto::FLOAT);
  for (int i = 0; i < 4; ++i)
    huge.add_dims(int64_t(1) << 20);
  EXPECT_FALSE(tensorFromProto(huge, t, error));

  onnx::TensorProto undefined;
  EXPECT_FALSE(tensorFromProto(undefined, t, error));
  EXPECT_NE(error.find("UNDEFINED"), std::string::npos) << error;
}

TEST(TensorProtoIO, TruncatedAndGarbageFilesGiveErrors) {
  const std::string bytes =
      readBytes(std::string(kTestAddDir) + "input_0.pb");
  ASSERT_GT(bytes.size(), 200u);
  const std::string path = tempPath("truncated");
  Tensor t;
  std::string error;
  // Every proper prefix must either fail to parse or fail the checks; none
  // may crash or yield a tensor.
  for (size_t length = 0; length < bytes.size(); ++length) {
    writeBytes(path, bytes.substr(0, length));
    error.clear();
    EXPECT_FALSE(readTensorProtoFile(path, t, nullptr, error))
        << "prefix of " << length << " bytes was accepted";
    EXPECT_FALSE(error.empty());
  }
  writeBytes(path, bytes.substr(0, bytes.size() / 2));
  EXPECT_FALSE(readTensorProtoFile(path, t, nullptr, error));
  EXPECT_NE(error.find("truncated or corrupt"), std::string::npos) << error;

  std::string garbage(512, '\0');
  for (size_t i = 0; i < garbage.size(); ++i)
    garbage[i] = static_cast<char>((i * 131 + 7) ^ 0x5a);
  writeBytes(path, garbage);
  EXPECT_FALSE(readTensorProtoFile(path, t, nullptr, error));
  std::remove(path.c_str());

  EXPECT_FALSE(
      readTensorProtoFile("/nonexistent/dir/input_0.pb", t, nullptr, error));
  EXPECT_NE(error.find("cannot open"), std::string::npos) << error;
  EXPECT_FALSE(readTensorProtoFile("/tmp", t, nullptr, error));
  EXPECT_FALSE(writeTensorProtoFile("/nonexistent/dir/out.pb",
                                    Tensor(DType::F32, {1}), "y", error));
}

//===----------------------------------------------------------------------===//
// Compare
//===----------------------------------------------------------------------===//

TEST(Compare, ToleranceBoundary) {
  CompareOptions options{1e-3, 1e-6};
  Tensor expected = makeF32({3}, {1.0f, -100.0f, 0.0f});
  // Within atol + rtol*|e| (1.001e-3, 0.100001, 1e-6) ...
  Tensor close = makeF32({3}, {1.0009f, -100.09f, 5e-7f});
  CompareResult ok = compareTensors(close, expected, options);
  EXPECT_TRUE(ok.ok);
  EXPECT_EQ(ok.numMismatches, 0);
  EXPECT_NEAR(ok.maxAbsError, 0.09, 1e-4);
  EXPECT_NEAR(ok.maxRelError, 9e-4, 1e-6); // e == 0 is left out.
  EXPECT_EQ(ok.firstMismatch, -1);
  // ... and just outside.
  Tensor far = makeF32({3}, {1.0f, -100.2f, 2e-6f});
  CompareResult bad = compareTensors(far, expected, options);
  EXPECT_FALSE(bad.ok);
  EXPECT_EQ(bad.numMismatches, 2);
  EXPECT_EQ(bad.firstMismatch, 1);
  EXPECT_FLOAT_EQ(static_cast<float>(bad.firstActual), -100.2f);
  EXPECT_EQ(bad.firstExpected, -100.0);
  EXPECT_EQ(bad.numElements, 3);
}

TEST(Compare, NaNAndInfinity) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  CompareOptions loose{1.0, 1.0};
  Tensor expected = makeF32({4}, {nan, inf, -inf, 1.0f});
  EXPECT_TRUE(
      compareTensors(makeF32({4}, {nan, inf, -inf, 1.0f}), expected, loose)
          .ok);

  CompareResult nanVsNumber =
      compareTensors(makeF32({4}, {0.0f, inf, -inf, 1.0f}), expected, loose);
  EXPECT_FALSE(nanVsNumber.ok);
  EXPECT_EQ(nanVsNumber.firstMismatch, 0);
  EXPECT_TRUE(std::isinf(nanVsNumber.maxAbsError));

  CompareResult numberVsNaN =
      compareTensors(makeF32({4}, {nan, inf, -inf, nan}), expected, loose);
  EXPECT_EQ(numberVsNaN.numMismatches, 1);
  EXPECT_EQ(numberVsNaN.firstMismatch, 3);

  CompareResult signFlip =
      compareTensors(makeF32({4}, {nan, -inf, -inf, 1.0f}), expected, loose);
  EXPECT_EQ(signFlip.numMismatches, 1);
  EXPECT_EQ(signFlip.firstMismatch, 1);

  CompareResult finiteVsInf = compareTensors(
      makeF32({4}, {nan, 3.4e38f, -inf, 1.0f}), expected, loose);
  EXPECT_FALSE(finiteVsInf.ok);
}

TEST(Compare, IntegersAndBoolsAreExact) {
  Tensor expected(DType::I64, {2});
  expected.dataAs<int64_t>()[0] = (int64_t(1) << 60);
  expected.dataAs<int64_t>()[1] = -5;
  Tensor actual = expected;
  CompareOptions huge{1.0, 1e6}; // Ignored for integers.
  EXPECT_TRUE(compareTensors(actual, expected, huge).ok);
  // Differs by one beyond double precision: still a mismatch, error 1.
  actual.dataAs<int64_t>()[0] += 1;
  CompareResult offByOne = compareTensors(actual, expected, huge);
  EXPECT_FALSE(offByOne.ok);
  EXPECT_EQ(offByOne.maxAbsError, 1.0);
  EXPECT_EQ(offByOne.firstMismatch, 0);

  Tensor a8(DType::I8, {1}), e8(DType::I8, {1});
  a8.dataAs<int8_t>()[0] = -128;
  e8.dataAs<int8_t>()[0] = 127;
  CompareResult wide = compareTensors(a8, e8, huge);
  EXPECT_FALSE(wide.ok);
  EXPECT_EQ(wide.maxAbsError, 255.0);

  Tensor au(DType::U64, {1}), eu(DType::U64, {1});
  au.dataAs<uint64_t>()[0] = 0;
  eu.dataAs<uint64_t>()[0] = ~uint64_t(0);
  EXPECT_FALSE(compareTensors(au, eu, huge).ok);

  Tensor ab(DType::Bool, {3}), eb(DType::Bool, {3});
  uint8_t actualBools[] = {1, 0, 1}, expectedBools[] = {1, 0, 0};
  std::memcpy(ab.data(), actualBools, 3);
  std::memcpy(eb.data(), expectedBools, 3);
  CompareResult boolResult = compareTensors(ab, eb, huge);
  EXPECT_EQ(boolResult.numMismatches, 1);
  EXPECT_EQ(boolResult.firstMismatch, 2);
}

TEST(Compare, HalfPrecision) {
  Tensor a(DType::F16, {1}), e(DType::F16, {1});
  uint16_t aBits = 0x3C01, eBits = 0x3C00; // 1 + 2^-10 vs 1.
  std::memcpy(a.data(), &aBits, 2);
  std::memcpy(e.data(), &eBits, 2);
  EXPECT_TRUE(compareTensors(a, e, defaultCompareOptions(DType::F16)).ok);
  EXPECT_FALSE(compareTensors(a, e, CompareOptions{1e-4, 1e-5}).ok);
}

TEST(Compare, ShapeAndDTypeMustMatch) {
  Tensor a(DType::F32, {2, 3}), b(DType::F32, {3, 2}), c(DType::F64, {2, 3});
  CompareResult shape = compareTensors(a, b, CompareOptions());
  EXPECT_FALSE(shape.ok);
  EXPECT_EQ(formatCompareLine("y", shape),
            "output 'y': MISMATCH expected f32[3x2], got f32[2x3]");
  CompareResult dtype = compareTensors(a, c, CompareOptions());
  EXPECT_FALSE(dtype.ok);
  EXPECT_NE(dtype.structuralError.find("f64[2x3]"), std::string::npos);
}

TEST(Compare, FormatLine) {
  Tensor expected = makeF32({2, 2}, {1.0f, 2.0f, 4.0f, 8.0f});
  CompareResult ok = compareTensors(expected, expected, CompareOptions());
  EXPECT_EQ(formatCompareLine("probs", ok),
            "output 'probs': ok max_abs_err=0 max_rel_err=0");

  Tensor actual = makeF32({2, 2}, {1.0f, 2.0f, 5.0f, 8.0f});
  CompareResult bad = compareTensors(actual, expected, CompareOptions());
  EXPECT_EQ(formatCompareLine("y", bad),
            "output 'y': MISMATCH 1 of 4 elements max_abs_err=1 "
            "max_rel_err=0.25 first at [1,0] (index 2): got 5 expected 4");
  EXPECT_EQ(bad.firstMismatchCoords, (std::vector<int64_t>{1, 0}));
}

// The progress line's text: counts, percent, rate and the time left.
TEST(ProgressLine, FormatsRateAndTimeLeft) {
  kiln::ProgressLine line("kiln-run", "step", 200, /*enabled=*/false);
  EXPECT_EQ(line.format(50, 2.0),
            "kiln-run: step 50/200 (25%), 25 steps/s, ETA 6 s");
  // At the end: no time left to show; before any time passed: no rate.
  EXPECT_EQ(line.format(200, 4.0), "kiln-run: step 200/200 (100%), 50 steps/s");
  EXPECT_EQ(line.format(0, 0.0), "kiln-run: step 0/200 (0%)");
}

// Disabled, it prints nothing, even when finished.
TEST(ProgressLine, DisabledPrintsNothing) {
  FILE *sink = std::tmpfile();
  ASSERT_NE(sink, nullptr);
  {
    kiln::ProgressLine line("kiln-step", "step", 3, /*enabled=*/false, 0.0,
                            sink);
    line.update(1);
    line.finish();
  }
  EXPECT_EQ(std::ftell(sink), 0);
  std::fclose(sink);
}

// Enabled with no interval, off a terminal: one line per update, and the
// final one once.
TEST(ProgressLine, OneLinePerUpdateInLogs) {
  FILE *sink = std::tmpfile();
  ASSERT_NE(sink, nullptr);
  {
    kiln::ProgressLine line("kiln-step", "step", 2, /*enabled=*/true, 0.0,
                            sink);
    line.update(1);
    line.update(2);
    line.finish();
    line.finish();
  }
  std::rewind(sink);
  char text[512] = {0};
  size_t n = std::fread(text, 1, sizeof(text) - 1, sink);
  std::fclose(sink);
  std::string all(text, n);
  EXPECT_EQ(std::count(all.begin(), all.end(), '\n'), 3);
  EXPECT_NE(all.find("kiln-step: step 1/2 (50%)"), std::string::npos);
  EXPECT_NE(all.find("kiln-step: step 2/2 (100%)"), std::string::npos);
}
