//===- ONNXExport.cpp - A kiln function written as an ONNX model ----------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// See ONNXExport.h. The function's ops are walked in order (fusion groups
// entered); each kiln op is written by the emitter registered under its
// name, which adds nodes and initializers to the graph being built.
//
//===----------------------------------------------------------------------===//

#include "kiln/Export/ONNXExport.h"

#include "kiln/Dialect/Kiln/KilnOps.h"
#include "kiln/Passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/raw_ostream.h"

#include "onnx/onnx_pb.h"

#include <cstring>
#include <functional>

using namespace mlir;

namespace kiln {

namespace {

constexpr int64_t kOpset = 17;

/// ONNX's TensorProto.DataType of an element type; 0 when it has none.
int32_t onnxType(Type type) {
  if (type.isF32()) return onnx::TensorProto::FLOAT;
  if (type.isF64()) return onnx::TensorProto::DOUBLE;
  if (type.isF16()) return onnx::TensorProto::FLOAT16;
  if (type.isBF16()) return onnx::TensorProto::BFLOAT16;
  if (type.isInteger(1)) return onnx::TensorProto::BOOL;
  if (auto i = dyn_cast<IntegerType>(type)) {
    bool u = i.isUnsigned();
    switch (i.getWidth()) {
    case 8: return u ? onnx::TensorProto::UINT8 : onnx::TensorProto::INT8;
    case 16: return u ? onnx::TensorProto::UINT16 : onnx::TensorProto::INT16;
    case 32: return u ? onnx::TensorProto::UINT32 : onnx::TensorProto::INT32;
    case 64: return u ? onnx::TensorProto::UINT64 : onnx::TensorProto::INT64;
    default: return 0;
    }
  }
  return 0;
}

/// Builds the GraphProto.
class GraphWriter {
public:
  explicit GraphWriter(onnx::GraphProto &graph) : graph(graph) {}

  /// A fresh name with `stem`.
  std::string fresh(StringRef stem) {
    std::string name;
    do
      name = (stem + "_" + std::to_string(counter++)).str();
    while (!used.insert(name).second);
    return name;
  }
  /// Reserves `name` (an input or output name); false when taken.
  bool reserve(StringRef name) { return used.insert(name).second; }

  void bind(Value value, std::string name) { names[value] = std::move(name); }
  std::string nameOf(Value value) const { return names.lookup(value); }

  onnx::NodeProto &node(StringRef opType, ArrayRef<std::string> inputs,
                        ArrayRef<std::string> outputs) {
    onnx::NodeProto &n = *graph.add_node();
    n.set_op_type(opType.str());
    n.set_name(fresh(opType));
    for (const std::string &in : inputs)
      n.add_input(in);
    for (const std::string &out : outputs)
      n.add_output(out);
    return n;
  }

  /// A node with one output, named fresh; returns that name.
  std::string emit(StringRef opType, ArrayRef<std::string> inputs,
                   const std::function<void(onnx::NodeProto &)> &attrs = {}) {
    std::string out = fresh("v");
    onnx::NodeProto &n = node(opType, inputs, {out});
    if (attrs)
      attrs(n);
    return out;
  }

  /// An int64 1-d initializer (shapes, axes, pads); returns its name.
  std::string int64s(ArrayRef<int64_t> values) {
    onnx::TensorProto &t = *graph.add_initializer();
    t.set_name(fresh("i64"));
    t.set_data_type(onnx::TensorProto::INT64);
    t.add_dims(static_cast<int64_t>(values.size()));
    for (int64_t v : values)
      t.add_int64_data(v);
    return t.name();
  }

  onnx::TensorProto &initializer(StringRef stem) {
    onnx::TensorProto &t = *graph.add_initializer();
    t.set_name(fresh(stem));
    return t;
  }

  onnx::GraphProto &graph;

private:
  llvm::DenseMap<Value, std::string> names;
  llvm::StringSet<> used;
  unsigned counter = 0;
};

void setInts(onnx::NodeProto &n, StringRef name, ArrayRef<int64_t> values) {
  onnx::AttributeProto &a = *n.add_attribute();
  a.set_name(name.str());
  a.set_type(onnx::AttributeProto::INTS);
  for (int64_t v : values)
    a.add_ints(v);
}

void setInt(onnx::NodeProto &n, StringRef name, int64_t value) {
  onnx::AttributeProto &a = *n.add_attribute();
  a.set_name(name.str());
  a.set_type(onnx::AttributeProto::INT);
  a.set_i(value);
}

/// Little-endian bytes of each element of a dense attribute.
llvm::Expected<std::string> rawBytes(ElementsAttr attr) {
  auto shaped = cast<ShapedType>(attr.getType());
  Type element = shaped.getElementType();
  int64_t n = shaped.getNumElements();
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return llvm::createStringError("a resource constant has no data");
    return std::string(blob->getData().data(), blob->getData().size());
  }
  auto dense = dyn_cast<DenseElementsAttr>(attr);
  if (!dense)
    return llvm::createStringError("unsupported constant form");
  std::string bytes;
  if (isa<FloatType>(element)) {
    unsigned width = element.getIntOrFloatBitWidth() / 8;
    for (APFloat v : dense.getValues<APFloat>()) {
      APInt bits = v.bitcastToAPInt();
      uint64_t word = bits.getZExtValue();
      bytes.append(reinterpret_cast<const char *>(&word), width);
    }
  } else {
    unsigned width = std::max(1u, element.getIntOrFloatBitWidth() / 8);
    for (APInt v : dense.getValues<APInt>()) {
      uint64_t word = element.isInteger(1) ? v.getBoolValue()
                                           : v.getZExtValue();
      bytes.append(reinterpret_cast<const char *>(&word), width);
    }
  }
  if (static_cast<int64_t>(bytes.size()) !=
      n * std::max<int64_t>(1, element.getIntOrFloatBitWidth() / 8))
    return llvm::createStringError("constant data of the wrong size");
  return bytes;
}

/// Writes one op; an error says why it cannot be.
using Emitter =
    std::function<LogicalResult(Operation *, GraphWriter &,
                                SmallVectorImpl<std::string> &results)>;

/// ONNX op types of the kiln ops that map one to one (same operands, same
/// result, no attributes).
const llvm::StringMap<StringRef> &directOps() {
  static const llvm::StringMap<StringRef> table = {
      {"kiln.neg", "Neg"},         {"kiln.abs", "Abs"},
      {"kiln.relu", "Relu"},       {"kiln.exp", "Exp"},
      {"kiln.log", "Log"},         {"kiln.sqrt", "Sqrt"},
      {"kiln.reciprocal", "Reciprocal"}, {"kiln.tanh", "Tanh"},
      {"kiln.sigmoid", "Sigmoid"}, {"kiln.erf", "Erf"},
      {"kiln.floor", "Floor"},     {"kiln.ceil", "Ceil"},
      {"kiln.sin", "Sin"},         {"kiln.cos", "Cos"},
      {"kiln.round", "Round"},     {"kiln.atan", "Atan"},
      {"kiln.stop_gradient", "Identity"},
      {"kiln.add", "Add"},         {"kiln.sub", "Sub"},
      {"kiln.mul", "Mul"},         {"kiln.div", "Div"},
      {"kiln.pow", "Pow"},         {"kiln.max", "Max"},
      {"kiln.min", "Min"},         {"kiln.and", "And"},
      {"kiln.or", "Or"},           {"kiln.xor", "Xor"},
      {"kiln.select", "Where"},    {"kiln.matmul", "MatMul"},
  };
  return table;
}

std::vector<std::string> operandNames(Operation *op, GraphWriter &g) {
  std::vector<std::string> names;
  for (Value v : op->getOperands())
    names.push_back(g.nameOf(v));
  return names;
}

ArrayRef<int64_t> resultShape(Operation *op) {
  return cast<ShapedType>(op->getResult(0).getType()).getShape();
}

template <typename ReduceOp>
void addReduce(llvm::StringMap<Emitter> &table, StringRef onnxName) {
  table[ReduceOp::getOperationName()] =
      [onnxName](Operation *op, GraphWriter &g,
                 SmallVectorImpl<std::string> &out) -> LogicalResult {
    auto reduce = cast<ReduceOp>(op);
    ArrayRef<int64_t> axes = reduce.getAxes();
    std::string input = g.nameOf(reduce.getInput());
    if (axes.empty()) {
      out.push_back(g.emit("Identity", {input}));
      return success();
    }
    int64_t keep = reduce.getKeepDims() ? 1 : 0;
    if (onnxName == "ReduceSum") // axes are an input since opset 13
      out.push_back(g.emit("ReduceSum", {input, g.int64s(axes)},
                           [&](onnx::NodeProto &n) {
                             setInt(n, "keepdims", keep);
                           }));
    else
      out.push_back(g.emit(onnxName, {input}, [&](onnx::NodeProto &n) {
        setInts(n, "axes", axes);
        setInt(n, "keepdims", keep);
      }));
    return success();
  };
}

const llvm::StringMap<Emitter> &emitters() {
  static const llvm::StringMap<Emitter> table = [] {
    llvm::StringMap<Emitter> t;
    t["kiln.rsqrt"] = [](Operation *op, GraphWriter &g, SmallVectorImpl<std::string> &out) -> LogicalResult {
      std::string root = g.emit("Sqrt", operandNames(op, g));
      out.push_back(g.emit("Reciprocal", {root}));
      return success();
    };
    t["kiln.rem"] = [](Operation *op, GraphWriter &g, SmallVectorImpl<std::string> &out) -> LogicalResult {
      // C's remainder (the sign of the dividend): Mod with fmod=1.
      out.push_back(g.emit("Mod", operandNames(op, g),
                           [](onnx::NodeProto &n) { setInt(n, "fmod", 1); }));
      return success();
    };
    t["kiln.compare"] = [](Operation *op, GraphWriter &g, SmallVectorImpl<std::string> &out) -> LogicalResult {
      auto compare = cast<CompareOp>(op);
      std::vector<std::string> in = operandNames(op, g);
      switch (compare.getPredicate()) {
      case ComparePredicate::eq: out.push_back(g.emit("Equal", in)); break;
      case ComparePredicate::ne:
        out.push_back(g.emit("Not", {g.emit("Equal", in)}));
        break;
      case ComparePredicate::lt: out.push_back(g.emit("Less", in)); break;
      case ComparePredicate::le:
        out.push_back(g.emit("LessOrEqual", in));
        break;
      case ComparePredicate::gt: out.push_back(g.emit("Greater", in)); break;
      case ComparePredicate::ge:
        out.push_back(g.emit("GreaterOrEqual", in));
        break;
      }
      return success();
    };
    t["kiln.cast"] = [](Operation *op, GraphWriter &g, SmallVectorImpl<std::string> &out) -> LogicalResult {
      int32_t to = onnxType(
          cast<ShapedType>(op->getResult(0).getType()).getElementType());
      if (!to)
        return op->emitError("export-onnx: no ONNX type for the cast's result");
      out.push_back(g.emit("Cast", operandNames(op, g),
                           [&](onnx::NodeProto &n) { setInt(n, "to", to); }));
      return success();
    };
    t["kiln.broadcast"] = [](Operation *op, GraphWriter &g, SmallVectorImpl<std::string> &out) -> LogicalResult {
      out.push_back(g.emit("Expand", {g.nameOf(op->getOperand(0)),
                                      g.int64s(resultShape(op))}));
      return success();
    };
    t["kiln.reshape"] = [](Operation *op, GraphWriter &g, SmallVectorImpl<std::string> &out) -> LogicalResult {
      out.push_back(g.emit("Reshape", {g.nameOf(op->getOperand(0)),
                                       g.int64s(resultShape(op))}));
      return success();
    };
    t["kiln.transpose"] = [](Operation *op, GraphWriter &g, SmallVectorImpl<std::string> &out) -> LogicalResult {
      auto transpose = cast<TransposeOp>(op);
      out.push_back(g.emit("Transpose", operandNames(op, g),
                           [&](onnx::NodeProto &n) {
                             setInts(n, "perm", transpose.getPermutation());
                           }));
      return success();
    };
    t["kiln.slice"] = [](Operation *op, GraphWriter &g, SmallVectorImpl<std::string> &out) -> LogicalResult {
      auto slice = cast<SliceOp>(op);
      SmallVector<int64_t> ends, axes;
      for (auto [i, offset] : llvm::enumerate(slice.getOffsets())) {
        ends.push_back(offset +
                       (slice.getSizes()[i] - 1) * slice.getStrides()[i] + 1);
        axes.push_back(i);
      }
      out.push_back(g.emit("Slice", {g.nameOf(slice.getInput()),
                                     g.int64s(slice.getOffsets()),
                                     g.int64s(ends), g.int64s(axes),
                                     g.int64s(slice.getStrides())}));
      return success();
    };
    t["kiln.concat"] = [](Operation *op, GraphWriter &g, SmallVectorImpl<std::string> &out) -> LogicalResult {
      int64_t axis = cast<ConcatOp>(op).getAxis();
      out.push_back(g.emit("Concat", operandNames(op, g),
                           [&](onnx::NodeProto &n) { setInt(n, "axis", axis); }));
      return success();
    };
    t["kiln.gather"] = [](Operation *op, GraphWriter &g, SmallVectorImpl<std::string> &out) -> LogicalResult {
      int64_t axis = cast<GatherOp>(op).getAxis();
      out.push_back(g.emit("Gather", operandNames(op, g),
                           [&](onnx::NodeProto &n) { setInt(n, "axis", axis); }));
      return success();
    };
    t["kiln.softmax"] = [](Operation *op, GraphWriter &g, SmallVectorImpl<std::string> &out) -> LogicalResult {
      int64_t axis = cast<SoftmaxOp>(op).getAxis();
      out.push_back(g.emit("Softmax", operandNames(op, g),
                           [&](onnx::NodeProto &n) { setInt(n, "axis", axis); }));
      return success();
    };
    t["kiln.log_softmax"] = [](Operation *op, GraphWriter &g, SmallVectorImpl<std::string> &out) -> LogicalResult {
      int64_t axis = cast<LogSoftmaxOp>(op).getAxis();
      out.push_back(g.emit("LogSoftmax", operandNames(op, g),
                           [&](onnx::NodeProto &n) { setInt(n, "axis", axis); }));
      return success();
    };
    t["kiln.conv2d"] = [](Operation *op, GraphWriter &g, SmallVectorImpl<std::string> &out) -> LogicalResult {
      auto conv = cast<Conv2dOp>(op);
      out.push_back(g.emit("Conv", operandNames(op, g),
                           [&](onnx::NodeProto &n) {
                             setInts(n, "strides", conv.getStrides());
                             setInts(n, "pads", conv.getPadding());
                             setInts(n, "dilations", conv.getDilations());
                             setInt(n, "group", conv.getGroups());
                           }));
      return success();
    };
    t["kiln.max_pool2d"] = [](Operation *op, GraphWriter &g, SmallVectorImpl<std::string> &out) -> LogicalResult {
      auto pool = cast<MaxPool2dOp>(op);
      out.push_back(g.emit("MaxPool", operandNames(op, g),
                           [&](onnx::NodeProto &n) {
                             setInts(n, "kernel_shape", pool.getKernel());
                             setInts(n, "strides", pool.getStrides());
                             setInts(n, "pads", pool.getPadding());
                             setInts(n, "dilations", pool.getDilations());
                           }));
      return success();
    };
    t["kiln.avg_pool2d"] = [](Operation *op, GraphWriter &g,
                              SmallVectorImpl<std::string> &out) -> LogicalResult {
      auto pool = cast<AvgPool2dOp>(op);
      out.push_back(g.emit("AveragePool", operandNames(op, g),
                           [&](onnx::NodeProto &n) {
                             setInts(n, "kernel_shape", pool.getKernel());
                             setInts(n, "strides", pool.getStrides());
                             setInts(n, "pads", pool.getPadding());
                             setInt(n, "count_include_pad",
                                    pool.getCountIncludePad() ? 1 : 0);
                           }));
      if (llvm::any_of(pool.getDilations(), [](int64_t d) { return d != 1; }))
        return op->emitError("export-onnx: a dilated average pooling "
                             "(AveragePool has dilations from opset 19)");
      return success();
    };
    t["kiln.pad"] = [](Operation *op, GraphWriter &g,
                       SmallVectorImpl<std::string> &out) -> LogicalResult {
      auto pad = cast<PadOp>(op);
      SmallVector<int64_t> pads(pad.getLow());
      pads.append(pad.getHigh().begin(), pad.getHigh().end());
      // The padding value as a one-element tensor of the input's type.
      auto type = cast<ShapedType>(pad.getInput().getType());
      auto value = DenseElementsAttr::get(
          RankedTensorType::get({}, type.getElementType()),
          ArrayRef<Attribute>{cast<Attribute>(pad.getValue())});
      auto bytes = rawBytes(cast<ElementsAttr>(value));
      int32_t dataType = onnxType(type.getElementType());
      if (!bytes || !dataType) {
        if (!bytes)
          llvm::consumeError(bytes.takeError());
        return op->emitError("export-onnx: a padding value of an unsupported "
                             "type");
      }
      onnx::TensorProto &constant = g.initializer("pad_value");
      constant.set_data_type(dataType);
      constant.set_raw_data(*bytes);
      out.push_back(g.emit("Pad", {g.nameOf(pad.getInput()), g.int64s(pads),
                                   constant.name()}));
      return success();
    };
    auto argReduce = [](StringRef onnxName) {
      return [onnxName](Operation *op, GraphWriter &g,
                        SmallVectorImpl<std::string> &out) -> LogicalResult {
        int64_t axis = op->getAttrOfType<IntegerAttr>("axis").getInt();
        bool keep = op->getAttrOfType<BoolAttr>("keep_dims").getValue();
        bool last = op->getAttrOfType<BoolAttr>("select_last").getValue();
        std::string index =
            g.emit(onnxName, operandNames(op, g), [&](onnx::NodeProto &n) {
              setInt(n, "axis", axis);
              setInt(n, "keepdims", keep ? 1 : 0);
              setInt(n, "select_last_index", last ? 1 : 0);
            });
        // ArgMax gives int64; kiln's result may be another integer type.
        Type element =
            cast<ShapedType>(op->getResult(0).getType()).getElementType();
        if (!element.isInteger(64))
          index = g.emit("Cast", {index}, [&](onnx::NodeProto &n) {
            setInt(n, "to", onnxType(element));
          });
        out.push_back(index);
        return success();
      };
    };
    t["kiln.argmax"] = argReduce("ArgMax");
    t["kiln.argmin"] = argReduce("ArgMin");
    // The adjoint of a convolution is ConvTranspose with the forward
    // filter; output_padding restores the rows the forward conv's stride
    // dropped.
    t["kiln.conv2d_backward_input"] =
        [](Operation *op, GraphWriter &g,
           SmallVectorImpl<std::string> &out) -> LogicalResult {
      auto back = cast<Conv2dBackwardInputOp>(op);
      ArrayRef<int64_t> dy =
          cast<ShapedType>(back.getGradOutput().getType()).getShape();
      ArrayRef<int64_t> w =
          cast<ShapedType>(back.getFilter().getType()).getShape();
      ArrayRef<int64_t> dx = resultShape(op);
      ArrayRef<int64_t> s = back.getStrides(), d = back.getDilations(),
                        p = back.getPadding();
      SmallVector<int64_t> outputPadding;
      for (int i = 0; i < 2; ++i) {
        int64_t covered =
            s[i] * (dy[2 + i] - 1) + d[i] * (w[2 + i] - 1) + 1 - p[i] - p[2 + i];
        int64_t extra = dx[2 + i] - covered;
        if (extra < 0 || extra >= std::max(s[i], d[i]))
          return op->emitError("export-onnx: no ConvTranspose output_padding "
                               "gives this gradient's shape");
        outputPadding.push_back(extra);
      }
      out.push_back(g.emit("ConvTranspose", operandNames(op, g),
                           [&](onnx::NodeProto &n) {
                             setInts(n, "strides", s);
                             setInts(n, "pads", p);
                             setInts(n, "dilations", d);
                             setInt(n, "group", back.getGroups());
                             setInts(n, "output_padding", outputPadding);
                           }));
      return success();
    };
    // dW[o,c,kh,kw] = sum over n, y, x of dy[n,o,y,x] x[n,c,y*s+kh*d-p,..]:
    // a convolution of x^T ([C,N,H,W]) by dy^T ([O,N,OH,OW]) with stride and
    // dilation swapped, cropped to the kernel and transposed back.
    t["kiln.conv2d_backward_filter"] =
        [](Operation *op, GraphWriter &g,
           SmallVectorImpl<std::string> &out) -> LogicalResult {
      auto back = cast<Conv2dBackwardFilterOp>(op);
      if (back.getGroups() != 1)
        return op->emitError("export-onnx: a grouped convolution's filter "
                             "gradient has no ONNX form here");
      ArrayRef<int64_t> dw = resultShape(op);
      SmallVector<int64_t> swap = {1, 0, 2, 3};
      auto transpose = [&](std::string value) {
        return g.emit("Transpose", {value}, [&](onnx::NodeProto &n) {
          setInts(n, "perm", swap);
        });
      };
      std::string xT = transpose(g.nameOf(back.getInput()));
      std::string dyT = transpose(g.nameOf(back.getGradOutput()));
      std::string full = g.emit("Conv", {xT, dyT}, [&](onnx::NodeProto &n) {
        setInts(n, "strides", back.getDilations());
        setInts(n, "dilations", back.getStrides());
        setInts(n, "pads", back.getPadding());
      });
      std::string cropped =
          g.emit("Slice", {full, g.int64s({0, 0}), g.int64s({dw[2], dw[3]}),
                           g.int64s({2, 3})});
      out.push_back(transpose(cropped));
      return success();
    };
    addReduce<ReduceSumOp>(t, "ReduceSum");
    addReduce<ReduceMeanOp>(t, "ReduceMean");
    addReduce<ReduceMaxOp>(t, "ReduceMax");
    addReduce<ReduceMinOp>(t, "ReduceMin");
    addReduce<ReduceProdOp>(t, "ReduceProd");
    return t;
  }();
  return table;
}

/// Exports the ops of `block` in order.
LogicalResult exportBlock(Block &block, GraphWriter &g) {
  for (Operation &op : block) {
    if (op.hasTrait<OpTrait::IsTerminator>())
      continue;
    if (auto group = dyn_cast<FusionGroupOp>(op)) {
      Block &body = group.getBody().front();
      for (auto [arg, input] :
           llvm::zip(body.getArguments(), group.getInputs()))
        g.bind(arg, g.nameOf(input));
      if (failed(exportBlock(body, g)))
        return failure();
      for (auto [result, yielded] :
           llvm::zip(group.getResults(), body.getTerminator()->getOperands()))
        g.bind(result, g.nameOf(yielded));
      continue;
    }
    if (auto constant = dyn_cast<ConstantOp>(op)) {
      auto value = dyn_cast<ElementsAttr>(constant.getValue());
      auto type = cast<ShapedType>(constant.getType());
      int32_t dataType = onnxType(type.getElementType());
      if (!value || !dataType || !type.hasStaticShape())
        return op.emitError("export-onnx: constant of an unsupported type");
      auto bytes = rawBytes(value);
      if (!bytes)
        return op.emitError("export-onnx: ")
               << llvm::toString(bytes.takeError());
      onnx::TensorProto &t = g.initializer("c");
      t.set_data_type(dataType);
      for (int64_t d : type.getShape())
        t.add_dims(d);
      t.set_raw_data(*bytes);
      g.bind(constant.getResult(), t.name());
      continue;
    }
    SmallVector<std::string> results;
    StringRef name = op.getName().getStringRef();
    auto direct = directOps().find(name);
    if (direct != directOps().end()) {
      results.push_back(g.emit(direct->second, operandNames(&op, g)));
    } else {
      auto emitter = emitters().find(name);
      if (emitter == emitters().end())
        return op.emitError("export-onnx: '")
               << name << "' has no ONNX equivalent in this exporter";
      if (failed(emitter->second(&op, g, results)))
        return failure();
    }
    if (results.size() != op.getNumResults())
      return op.emitError("export-onnx: internal error: ")
             << results.size() << " names for " << op.getNumResults()
             << " results";
    for (auto [value, result] : llvm::zip(op.getResults(), results))
      g.bind(value, result);
  }
  return success();
}

/// Adds a ValueInfoProto with `type` (a static tensor) to `list`.
LogicalResult addValueInfo(Operation *where,
                           google::protobuf::RepeatedPtrField<onnx::ValueInfoProto> &list,
                           StringRef name, Type type) {
  auto shaped = dyn_cast<RankedTensorType>(type);
  int32_t dataType = shaped ? onnxType(shaped.getElementType()) : 0;
  if (!dataType || !shaped.hasStaticShape())
    return where->emitError("export-onnx: '")
           << name << "' has type " << type
           << ": only statically shaped tensors of ONNX element types";
  onnx::ValueInfoProto &info = *list.Add();
  info.set_name(name.str());
  onnx::TypeProto_Tensor &tensor = *info.mutable_type()->mutable_tensor_type();
  tensor.set_elem_type(dataType);
  tensor.mutable_shape(); // present even for a 0-d tensor
  for (int64_t d : shaped.getShape())
    tensor.mutable_shape()->add_dim()->set_dim_value(d);
  return success();
}

func::FuncOp chooseFunction(ModuleOp module, StringRef name) {
  if (!name.empty())
    return module.lookupSymbol<func::FuncOp>(name);
  if (auto main = module.lookupSymbol<func::FuncOp>("main"))
    return main;
  func::FuncOp only;
  for (auto func : module.getOps<func::FuncOp>()) {
    if (!func.isPublic() || func.isExternal())
      continue;
    if (only)
      return {};
    only = func;
  }
  return only;
}

} // namespace

llvm::Expected<std::string> exportToONNX(ModuleOp module,
                                         const ONNXExportOptions &options) {
  std::string diagnostics;
  llvm::raw_string_ostream os(diagnostics);
  ScopedDiagnosticHandler handler(module.getContext(), [&](Diagnostic &diag) {
    if (diag.getSeverity() == DiagnosticSeverity::Error)
      os << diag.getLocation() << ": " << diag << "\n";
    return success();
  });
  auto fail = [&]() {
    return llvm::createStringError(
        diagnostics.empty() ? std::string("export-onnx failed") : diagnostics);
  };

  OwningOpRef<ModuleOp> copy(module.clone());
  func::FuncOp func = chooseFunction(*copy, options.function);
  if (!func) {
    module.emitError("export-onnx: ")
        << (options.function.empty()
                ? std::string("no @main and not exactly one public function; "
                              "name one with --export-function")
                : "no function @" + options.function);
    return fail();
  }
  // Gradient requests expanded, on the copy.
  PassManager pm(module.getContext(), ModuleOp::getOperationName());
  pm.addNestedPass<func::FuncOp>(createKilnAutodiff());
  if (failed(pm.run(*copy)))
    return fail();
  if (!func.getBody().hasOneBlock()) {
    func.emitError("export-onnx: the function must be one block");
    return fail();
  }

  onnx::ModelProto model;
  model.set_ir_version(8);
  model.set_producer_name("kiln");
  model.set_producer_version("0.1");
  onnx::OperatorSetIdProto &opset = *model.add_opset_import();
  opset.set_domain("");
  opset.set_version(kOpset);
  onnx::GraphProto &graph = *model.mutable_graph();
  graph.set_name(options.graphName);
  GraphWriter g(graph);

  for (BlockArgument arg : func.getArguments()) {
    std::string name = "input_" + std::to_string(arg.getArgNumber());
    if (auto onnxName =
            func.getArgAttrOfType<StringAttr>(arg.getArgNumber(),
                                              "kiln.onnx_name"))
      name = onnxName.getValue().str();
    if (!g.reserve(name))
      name = g.fresh(name);
    if (failed(addValueInfo(func, *graph.mutable_input(), name,
                            arg.getType())))
      return fail();
    g.bind(arg, name);
  }
  if (failed(exportBlock(func.getBody().front(), g)))
    return fail();
  // Every result through an Identity: distinct output names even when a
  // result is an argument, a constant or returned twice.
  Operation *ret = func.getBody().front().getTerminator();
  for (auto [i, value] : llvm::enumerate(ret->getOperands())) {
    std::string name = "output_" + std::to_string(i);
    if (auto onnxName = func.getResultAttrOfType<StringAttr>(i, "kiln.onnx_name"))
      name = onnxName.getValue().str();
    if (!g.reserve(name))
      name = g.fresh(name);
    g.node("Identity", {g.nameOf(value)}, {name});
    if (failed(addValueInfo(func, *graph.mutable_output(), name,
                            value.getType())))
      return fail();
  }
  std::string bytes;
  if (!model.SerializeToString(&bytes))
    return llvm::createStringError("export-onnx: the model does not serialize "
                                   "(over 2 GB?)");
  return bytes;
}

} // namespace kiln
