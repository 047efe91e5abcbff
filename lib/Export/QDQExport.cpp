//===- QDQExport.cpp - A QAT-trained model as ONNX QDQ int8 ---------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// See QDQExport.h. Edits the trained model's protobuf: trained initializer
// values in, QuantizeLinear/DequantizeLinear pairs before each contraction's
// activation, int8 weights with per-channel DequantizeLinear.
//
//===----------------------------------------------------------------------===//

#include "kiln/Export/QDQExport.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>

namespace kiln {

namespace {

llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "export-qat-qdq: " + message);
}

/// The float values of an f32 tensor (raw_data or float_data).
llvm::Expected<std::vector<float>> floats(const onnx::TensorProto &t) {
  if (t.data_type() != onnx::TensorProto::FLOAT)
    return fail("initializer '" + t.name() + "' is not f32");
  if (t.data_location() == onnx::TensorProto::EXTERNAL)
    return fail("initializer '" + t.name() + "' has external data");
  int64_t n = 1;
  for (int64_t d : t.dims())
    n *= d;
  std::vector<float> v;
  if (t.has_raw_data()) {
    if (t.raw_data().size() != size_t(n) * 4)
      return fail("initializer '" + t.name() + "' has the wrong size");
    v.resize(n);
    std::memcpy(v.data(), t.raw_data().data(), n * 4);
  } else {
    if (t.float_data_size() != n)
      return fail("initializer '" + t.name() + "' has the wrong size");
    v.assign(t.float_data().begin(), t.float_data().end());
  }
  return v;
}

onnx::TensorProto scalarF32(const std::string &name, float value) {
  onnx::TensorProto t;
  t.set_name(name);
  t.set_data_type(onnx::TensorProto::FLOAT);
  t.add_float_data(value);
  return t;
}

onnx::TensorProto int8s(const std::string &name,
                        const std::vector<int64_t> &dims,
                        const std::vector<int8_t> &values) {
  onnx::TensorProto t;
  t.set_name(name);
  t.set_data_type(onnx::TensorProto::INT8);
  for (int64_t d : dims)
    t.add_dims(d);
  t.set_raw_data(std::string(reinterpret_cast<const char *>(values.data()),
                             values.size()));
  return t;
}

/// A QuantizeLinear or DequantizeLinear node reading `input` with the
/// scale and zero point named `base`.scale / `base`.zero_point, writing
/// `base` + `suffix`.
onnx::NodeProto linearNode(const std::string &opType, const std::string &base,
                           const std::string &input,
                           const std::string &suffix) {
  onnx::NodeProto node;
  node.set_op_type(opType);
  node.set_name(base + "." + opType);
  node.add_input(input);
  node.add_input(base + ".scale");
  node.add_input(base + ".zero_point");
  node.add_output(base + suffix);
  return node;
}

class Exporter {
public:
  Exporter(onnx::ModelProto &model) : graph(*model.mutable_graph()) {}

  llvm::Error loadState(llvm::StringRef dir) {
    for (onnx::TensorProto &init : *graph.mutable_initializer()) {
      llvm::SmallString<256> path(dir);
      llvm::sys::path::append(path, init.name() + ".pb");
      if (!llvm::sys::fs::exists(path))
        continue;
      auto file = llvm::MemoryBuffer::getFile(path, /*IsText=*/false);
      onnx::TensorProto trained;
      if (!file || !trained.ParseFromArray((*file)->getBufferStart(),
                                           (*file)->getBufferSize()))
        return fail("cannot read '" + path + "'");
      trained.set_name(init.name());
      init = trained;
    }
    for (int k = 0;; ++k) {
      llvm::SmallString<256> path(dir);
      llvm::sys::path::append(path, "qat.amax_" + std::to_string(k) + ".pb");
      if (!llvm::sys::fs::exists(path))
        break;
      auto file = llvm::MemoryBuffer::getFile(path, /*IsText=*/false);
      onnx::TensorProto t;
      if (!file ||
          !t.ParseFromArray((*file)->getBufferStart(), (*file)->getBufferSize()))
        return fail("cannot read '" + path + "'");
      auto v = floats(t);
      if (!v)
        return v.takeError();
      if (v->size() != 1)
        return fail("'" + path + "' is not a scalar");
      amax.push_back((*v)[0]);
    }
    if (amax.empty())
      return fail("no qat.amax_0.pb in '" + dir +
                  "' (train with quantize=qat-int8 and --write-initializers)");
    return llvm::Error::success();
  }

  llvm::Error rewrite() {
    for (int i = 0; i < graph.initializer_size(); ++i)
      initializers[graph.initializer(i).name()] = i;
    std::vector<onnx::NodeProto> nodes(graph.node().begin(),
                                       graph.node().end());
    std::vector<onnx::NodeProto> out;
    for (onnx::NodeProto &node : nodes) {
      const std::string &op = node.op_type();
      bool contraction = node.domain().empty() &&
                         (op == "MatMul" || op == "Gemm" || op == "Conv");
      if (contraction) {
        for (int operand = 0; operand < 2 && operand < node.input_size();
             ++operand) {
          std::string input = node.input(operand);
          if (initializers.count(input)) {
            auto dq = weight(node, operand, out);
            if (!dq)
              return dq.takeError();
            node.set_input(operand, *dq);
          } else {
            auto dq = activation(input, out);
            if (!dq)
              return dq.takeError();
            node.set_input(operand, *dq);
          }
        }
      }
      out.push_back(node);
    }
    if (next != amax.size())
      return fail("the model has " + llvm::Twine(next) +
                  " contraction activations but the state has " +
                  llvm::Twine(amax.size()) + " observers");
    graph.clear_node();
    for (onnx::NodeProto &n : out)
      *graph.add_node() = n;
    // Float initializers that only the quantized weights read are gone.
    std::vector<onnx::TensorProto> kept;
    for (const onnx::TensorProto &t : graph.initializer())
      if (!replaced.count(t.name()) || stillRead(t.name()))
        kept.push_back(t);
    graph.clear_initializer();
    for (onnx::TensorProto &t : kept)
      *graph.add_initializer() = t;
    for (onnx::TensorProto &t : added)
      *graph.add_initializer() = t;
    return llvm::Error::success();
  }

private:
  /// QuantizeLinear -> DequantizeLinear of activation `input` with the next
  /// observer's scale; returns the dequantized name.
  llvm::Expected<std::string> activation(const std::string &input,
                                         std::vector<onnx::NodeProto> &out) {
    if (next >= amax.size())
      return fail("more contraction activations than observers (" +
                  llvm::Twine(amax.size()) + ")");
    std::string base = input + ".qat" + std::to_string(next);
    float scale = std::max(amax[next], 1e-30f) / 127.0f;
    ++next;
    added.push_back(scalarF32(base + ".scale", scale));
    added.push_back(int8s(base + ".zero_point", {}, {0}));
    out.push_back(linearNode("QuantizeLinear", base, input, ".int8"));
    out.push_back(linearNode("DequantizeLinear", base, base + ".int8", ".dq"));
    return base + ".dq";
  }

  /// The weight initializer at `operand` of `node` as int8 with a
  /// per-channel DequantizeLinear; returns the dequantized name.
  llvm::Expected<std::string> weight(const onnx::NodeProto &node, int operand,
                                     std::vector<onnx::NodeProto> &out) {
    const onnx::TensorProto &w =
        graph.initializer(initializers[node.input(operand)]);
    auto values = floats(w);
    if (!values)
      return values.takeError();
    std::vector<int64_t> dims(w.dims().begin(), w.dims().end());
    int64_t rank = dims.size();
    if (rank < 2)
      return fail("weight '" + w.name() + "' has rank " + llvm::Twine(rank));
    int64_t axis = rank - 1; // MatMul's right operand: [..., K, N]
    if (node.op_type() == "MatMul" && operand == 0)
      axis = rank - 2;
    if (node.op_type() == "Conv")
      axis = 0;
    if (node.op_type() == "Gemm") {
      bool trans = false;
      for (const onnx::AttributeProto &a : node.attribute())
        if (a.name() == (operand == 1 ? "transB" : "transA"))
          trans = a.i() != 0;
      axis = operand == 1 ? (trans ? 0 : 1) : (trans ? 1 : 0);
    }
    int64_t channels = dims[axis], inner = 1;
    for (int64_t d = axis + 1; d < rank; ++d)
      inner *= dims[d];
    std::vector<float> absmax(channels, 0.0f);
    for (size_t i = 0; i < values->size(); ++i) {
      int64_t c = (int64_t(i) / inner) % channels;
      absmax[c] = std::max(absmax[c], std::fabs((*values)[i]));
    }
    std::vector<float> scales(channels);
    for (int64_t c = 0; c < channels; ++c)
      scales[c] = std::max(absmax[c], 1e-30f) / 127.0f;
    std::vector<int8_t> q(values->size());
    for (size_t i = 0; i < values->size(); ++i) {
      int64_t c = (int64_t(i) / inner) % channels;
      float level = std::nearbyint((*values)[i] / scales[c]); // half to even
      q[i] = int8_t(std::clamp(level, -127.0f, 127.0f));
    }
    std::string base = w.name() + ".qat";
    if (!replaced.count(w.name())) {
      added.push_back(int8s(base + ".int8", dims, q));
      onnx::TensorProto scale;
      scale.set_name(base + ".scale");
      scale.set_data_type(onnx::TensorProto::FLOAT);
      scale.add_dims(channels);
      for (float s : scales)
        scale.add_float_data(s);
      added.push_back(scale);
      added.push_back(int8s(base + ".zero_point", {channels},
                            std::vector<int8_t>(channels, 0)));
      onnx::NodeProto dq =
          linearNode("DequantizeLinear", base, base + ".int8", ".dq");
      onnx::AttributeProto *a = dq.add_attribute();
      a->set_name("axis");
      a->set_type(onnx::AttributeProto::INT);
      a->set_i(axis);
      out.push_back(dq);
      replaced[w.name()] = axis;
    }
    return base + ".dq";
  }

  bool stillRead(const std::string &name) const {
    for (const onnx::NodeProto &n : graph.node())
      for (const std::string &in : n.input())
        if (in == name)
          return true;
    for (const onnx::ValueInfoProto &o : graph.output())
      if (o.name() == name)
        return true;
    return false;
  }

  onnx::GraphProto &graph;
  std::vector<float> amax;
  size_t next = 0;
  std::map<std::string, int> initializers;
  llvm::StringMap<int64_t> replaced;
  std::vector<onnx::TensorProto> added;
};

} // namespace

llvm::Expected<std::string> exportQATModelAsQDQ(llvm::StringRef modelBytes,
                                                llvm::StringRef stateDir) {
  onnx::ModelProto model;
  if (!model.ParseFromArray(modelBytes.data(), int(modelBytes.size())))
    return fail("not a valid ONNX model (the protobuf does not parse)");
  for (const onnx::OperatorSetIdProto &opset : model.opset_import())
    if ((opset.domain().empty() || opset.domain() == "ai.onnx") &&
        opset.version() < 13)
      return fail("opset " + llvm::Twine(opset.version()) +
                  " < 13: per-channel DequantizeLinear needs opset 13");
  Exporter exporter(model);
  if (llvm::Error e = exporter.loadState(stateDir))
    return std::move(e);
  if (llvm::Error e = exporter.rewrite())
    return std::move(e);
  std::string bytes;
  if (!model.SerializeToString(&bytes))
    return fail("cannot serialize the model");
  return bytes;
}

} // namespace kiln
