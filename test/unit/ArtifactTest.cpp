//===- ArtifactTest.cpp - The artifact manifest and support library -------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The manifest's text round trip and its refusals, and the artifacts'
// memrefCopy (KilnArtifactSupport) against element-by-element copies of
// strided views.
//
//===----------------------------------------------------------------------===//

#include "kiln/Runtime/Artifact.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

extern "C" void memrefCopy(int64_t elemSize, void *src, void *dst);

namespace {

using kiln::rt::ArtifactManifest;
using kiln::rt::DType;

TEST(ArtifactManifest, RoundTrip) {
  ArtifactManifest m;
  m.function = "kiln_train_step";
  m.inputs.push_back({DType::F32, {4, 3}, "fc/weight with space", true});
  m.inputs.push_back({DType::I64, {}, "step", false});
  m.outputs.push_back({DType::F32, {}, "loss", false});
  m.outputs.push_back({DType::F32, {4, 3}, "W_new", false});
  m.updates.emplace_back("fc/weight with space", 1);
  m.stateFiles.emplace_back("fc/weight with space", "state/fc_weight.pb");
  ArtifactManifest back;
  std::string error;
  ASSERT_TRUE(back.parse(m.print(), error)) << error;
  EXPECT_EQ(back.print(), m.print());
  ASSERT_EQ(back.inputs.size(), 2u);
  EXPECT_EQ(back.inputs[0].name, "fc/weight with space");
  EXPECT_TRUE(back.inputs[0].isState);
  EXPECT_EQ(back.inputs[1].shape, std::vector<int64_t>{});
  EXPECT_EQ(back.inputs[1].dtype, DType::I64);
  EXPECT_EQ(back.updates[0].second, 1u);
}

std::string parseError(const std::string &text) {
  ArtifactManifest m;
  std::string error;
  EXPECT_FALSE(m.parse(text, error));
  return error;
}

TEST(ArtifactManifest, Refusals) {
  EXPECT_NE(parseError("").find("empty manifest"), std::string::npos);
  EXPECT_NE(parseError("hello 1\n").find("not a Kiln artifact"),
            std::string::npos);
  std::string head = "kiln-artifact 1\n";
  EXPECT_NE(parseError(head + "input f99 2x3 data x\n").find("unknown dtype"),
            std::string::npos);
  EXPECT_NE(parseError(head + "input f32 2xx3 data x\n").find("bad shape"),
            std::string::npos);
  EXPECT_NE(parseError(head + "input f32 2 weight x\n").find("input role"),
            std::string::npos);
  EXPECT_NE(parseError(head + "state /etc/passwd x\n").find("relative path"),
            std::string::npos);
  EXPECT_NE(parseError(head + "state state/../../x.pb x\n")
                .find("relative path"),
            std::string::npos);
  EXPECT_NE(parseError(head + "library ../lib.so\n").find("library"),
            std::string::npos);
  EXPECT_NE(parseError(head + "output f32 2 y\nupdate 3 w\n")
                .find("names output 3 of 1"),
            std::string::npos);
  EXPECT_NE(parseError(head + "frobnicate\n").find(":2: unknown key"),
            std::string::npos);
}

/// A ranked memref descriptor of rank R, as words, and its unranked form.
struct Descriptor {
  std::vector<int64_t> words;
  struct {
    int64_t rank;
    void *descriptor;
  } unranked;
  Descriptor(float *data, int64_t offset, std::vector<int64_t> sizes,
             std::vector<int64_t> strides) {
    auto address = static_cast<int64_t>(reinterpret_cast<intptr_t>(data));
    words = {address, address, offset};
    words.insert(words.end(), sizes.begin(), sizes.end());
    words.insert(words.end(), strides.begin(), strides.end());
    unranked.rank = static_cast<int64_t>(sizes.size());
    unranked.descriptor = words.data();
  }
};

TEST(ArtifactSupport, MemrefCopyStridedViews) {
  // src: a 3x4 window at offset 5 of a 6x7 row-major buffer, read
  // transposed (4x3, strides 1 and 7); dst: a dense 4x3 buffer.
  std::vector<float> buffer(42);
  for (size_t i = 0; i < buffer.size(); ++i)
    buffer[i] = static_cast<float>(i);
  std::vector<float> out(12, -1.0f);
  Descriptor src(buffer.data(), 5, {4, 3}, {1, 7});
  Descriptor dst(out.data(), 0, {4, 3}, {3, 1});
  memrefCopy(sizeof(float), &src.unranked, &dst.unranked);
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 3; ++j)
      EXPECT_EQ(out[i * 3 + j], buffer[5 + i * 1 + j * 7]) << i << "," << j;

  // Rank 0 and an empty view.
  float scalarIn = 3.5f, scalarOut = 0.0f;
  Descriptor s0(&scalarIn, 0, {}, {}), d0(&scalarOut, 0, {}, {});
  memrefCopy(sizeof(float), &s0.unranked, &d0.unranked);
  EXPECT_EQ(scalarOut, 3.5f);
  Descriptor se(buffer.data(), 0, {0, 3}, {3, 1});
  Descriptor de(out.data(), 0, {0, 3}, {3, 1});
  memrefCopy(sizeof(float), &se.unranked, &de.unranked);
  EXPECT_EQ(out[0], buffer[5]);

  // Rank 3 with a non-unit inner stride on both sides.
  std::vector<float> big(2 * 3 * 8);
  for (size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<float>(i) * 0.5f;
  std::vector<float> dense(2 * 3 * 4, 0.0f);
  Descriptor s3(big.data(), 1, {2, 3, 4}, {24, 8, 2});
  Descriptor d3(dense.data(), 0, {2, 3, 4}, {12, 4, 1});
  memrefCopy(sizeof(float), &s3.unranked, &d3.unranked);
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 3; ++b)
      for (int c = 0; c < 4; ++c)
        EXPECT_EQ(dense[a * 12 + b * 4 + c], big[1 + a * 24 + b * 8 + c * 2]);
}

} // namespace
