//===- HalideProgram.cpp - A kiln function as a Halide pipeline -----------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The translation of kiln ops into Halide Funcs (see HalideProgram.h).
// Halide indexes its innermost dimension first, so a row-major tensor
// [d0, ..., dn-1] is the Func f(v_{n-1}, ..., v0); `at` and `define` below
// take row-major indices and reverse them.
//
//===----------------------------------------------------------------------===//

#include "HalideProgram.h"

#include "kiln/Dialect/Kiln/KilnInterfaces.h"
#include "kiln/Dialect/Kiln/KilnOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"

#include <functional>
#include <limits>
#include <numeric>
#include <set>

using namespace mlir;
namespace H = Halide;

namespace kiln {
namespace halide {

namespace {


/// A tensor value as a Halide Func with its shape and element type.
struct TensorFunc {
  H::Func f;
  std::vector<int64_t> shape;
  H::Type type;
};

std::string opError(StringRef prefix, Operation *op, const Twine &why) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << prefix << ": '" << op->getName() << "' at " << op->getLoc() << ": "
     << why;
  return s;
}

/// Halide's type for a kiln element type (bools are UInt(1) inside, bytes
/// at the boundary); failure for types Halide lacks (bf16, f8).
std::optional<H::Type> halideType(Type t) {
  if (t.isF32())
    return H::Float(32);
  if (t.isF64())
    return H::Float(64);
  if (t.isF16())
    return H::Float(16);
  if (auto i = dyn_cast<IntegerType>(t)) {
    if (i.getWidth() == 1)
      return H::Bool();
    if (i.isUnsigned())
      return H::UInt(i.getWidth());
    return H::Int(i.getWidth());
  }
  return std::nullopt;
}

std::optional<rt::DType> runtimeType(Type t) {
  if (t.isF32())
    return rt::DType::F32;
  if (t.isF64())
    return rt::DType::F64;
  if (auto i = dyn_cast<IntegerType>(t)) {
    bool u = i.isUnsigned();
    switch (i.getWidth()) {
    case 1: return rt::DType::Bool;
    case 8: return u ? rt::DType::U8 : rt::DType::I8;
    case 16: return u ? rt::DType::U16 : rt::DType::I16;
    case 32: return u ? rt::DType::U32 : rt::DType::I32;
    case 64: return u ? rt::DType::U64 : rt::DType::I64;
    }
  }
  return std::nullopt;
}

/// Storage type at the boundary: bools as bytes.
H::Type storageType(H::Type t) { return t.is_bool() ? H::UInt(8) : t; }

class Translator {
public:
  Translator(func::FuncOp func, StringRef prefix)
      : func(func), prefix(prefix.str()) {}

  /// Translates the body; the message names the op on failure.
  llvm::Error translate();

  std::vector<H::ImageParam> params;
  std::vector<TensorFunc> results;
  std::vector<H::Func> all; // every op's Func, for the root schedule
  /// Names of the Funcs that are cheaper inlined into their one consumer
  /// than stored (see canInline).
  std::set<std::string> inlinable;

private:
  static std::vector<H::Expr> reversed(const std::vector<H::Expr> &idx) {
    return std::vector<H::Expr>(idx.rbegin(), idx.rend());
  }
  H::Expr at(const TensorFunc &t, const std::vector<H::Expr> &idx) {
    return t.f(reversed(idx));
  }
  /// A Func of `shape` whose element at row-major `idx` is body(idx).
  TensorFunc define(const std::vector<int64_t> &shape, H::Type type,
                    const std::function<H::Expr(const std::vector<H::Expr> &)>
                        &body) {
    std::vector<H::Var> vars(shape.size());
    std::vector<H::Expr> idx(vars.begin(), vars.end());
    std::vector<H::Var> args(vars.rbegin(), vars.rend());
    H::Func f;
    H::Expr e = body(idx);
    if (e.type() != type)
      e = H::cast(type, e);
    f(args) = e;
    all.push_back(f);
    return {f, shape, type};
  }
  TensorFunc &get(Value v) { return env.find(v)->second; }
  static std::vector<int64_t> shapeOf(Value v) {
    auto t = cast<RankedTensorType>(v.getType());
    return std::vector<int64_t>(t.getShape().begin(), t.getShape().end());
  }

  llvm::Expected<TensorFunc> lower(Operation *op);
  /// Convolutions, max pooling and their gradients (NCHW); null when `op`
  /// is none of them.
  std::optional<TensorFunc> lowerWindowed(Operation *op,
                                          const std::vector<int64_t> &shape,
                                          H::Type type);
  /// x[n, c, h, w] of an NCHW tensor, 0 (or `outside`) where (h, w) falls
  /// in the padding.
  H::Expr padded(const TensorFunc &x, H::Expr n, H::Expr c, H::Expr h,
                 H::Expr w, H::Expr outside) {
    H::Expr inside = h >= 0 && h < int(x.shape[2]) && w >= 0 &&
                     w < int(x.shape[3]);
    H::Expr value = at(x, {n, c, H::clamp(h, 0, int(x.shape[2]) - 1),
                           H::clamp(w, 0, int(x.shape[3]) - 1)});
    return H::select(inside, value, outside);
  }
  /// Fusion: an elementwise op (FusibleOpInterface) or a pure index
  /// remapping (broadcast, reshape, transpose, slice) whose result has one
  /// reader, or a splat constant, is computed inside its consumer's loops
  /// instead of being stored. Work is never repeated: multi-use values and
  /// everything with a reduction stay stored.
  static bool canInline(Operation *op) {
    if (auto c = dyn_cast<ConstantOp>(op)) {
      auto dense = dyn_cast<DenseElementsAttr>(c.getValue());
      return dense && dense.isSplat();
    }
    if (!op->getResult(0).hasOneUse() ||
        isa<func::ReturnOp>(*op->getResult(0).getUsers().begin()))
      return false;
    // Casts stay stored: with u8 -> i32 casts inlined into a matmul's sum
    // (ONNX test_matmulinteger) the Halide 14 code gave wrong integers;
    // stored, they are right. Not yet understood (Halide's widening
    // arithmetic rewrites are the suspect).
    if (isa<CastOp>(op))
      return false;
    if (isa<BroadcastOp, ReshapeOp, TransposeOp, SliceOp>(op))
      return true;
    auto fusible = dyn_cast<FusibleOpInterface>(op);
    return fusible && fusible.getFusionRole() == FusionRole::Elementwise;
  }
  llvm::Expected<TensorFunc> constant(ConstantOp op);
  TensorFunc reduce(Value input, ArrayRef<int64_t> axes, bool keepDims,
                    const std::vector<int64_t> &resultShape, H::Type type,
                    StringRef kind);

  func::FuncOp func;
  std::string prefix; // The target's name, leading every message.
  llvm::DenseMap<Value, TensorFunc> env;
};

llvm::Expected<TensorFunc> Translator::constant(ConstantOp op) {
  auto type = cast<RankedTensorType>(op.getType());
  std::optional<H::Type> ht = halideType(type.getElementType());
  if (!ht)
    return llvm::createStringError(opError(prefix, op, "unsupported element type"));
  std::vector<int64_t> shape = shapeOf(op.getResult());
  ElementsAttr value = op.getValue();
  if (auto dense = dyn_cast<DenseElementsAttr>(value); dense && dense.isSplat()) {
    H::Expr v = ht->is_float()
                    ? H::Expr(dense.getSplatValue<APFloat>().convertToDouble())
                    : H::Expr(dense.getSplatValue<APInt>().getSExtValue());
    if (ht->is_bool())
      v = H::cast(H::Bool(), dense.getSplatValue<APInt>().getBoolValue() ? 1
                                                                           : 0);
    return define(shape, *ht, [&](const std::vector<H::Expr> &) { return v; });
  }
  // A table: the elements in a Halide buffer (bools as bytes).
  int64_t n = type.getNumElements();
  std::vector<int> dims(shape.rbegin(), shape.rend());
  H::Buffer<> buffer(storageType(*ht), dims);
  auto *out = static_cast<uint8_t *>(buffer.data());
  size_t width = storageType(*ht).bytes();
  if (auto dense = dyn_cast<DenseElementsAttr>(value)) {
    int64_t i = 0;
    if (ht->is_float()) {
      for (APFloat x : dense.getValues<APFloat>()) {
        double d = x.convertToDouble();
        if (ht->bits() == 32) {
          float f = static_cast<float>(d);
          std::memcpy(out + i * width, &f, width);
        } else {
          std::memcpy(out + i * width, &d, width);
        }
        ++i;
      }
    } else {
      for (APInt x : dense.getValues<APInt>()) {
        uint64_t bits = ht->is_bool() ? x.getBoolValue() : x.getZExtValue();
        std::memcpy(out + i * width, &bits, width); // little-endian
        ++i;
      }
    }
  } else if (auto resource = dyn_cast<DenseResourceElementsAttr>(value)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob || blob->getData().size() != size_t(n) * width)
      return llvm::createStringError(
          opError(prefix, op, "resource blob missing or of the wrong size"));
    std::memcpy(out, blob->getData().data(), n * width);
  } else {
    return llvm::createStringError(opError(prefix, op, "unsupported constant form"));
  }
  H::Buffer<> table = buffer;
  return define(shape, *ht, [&](const std::vector<H::Expr> &idx) {
    H::Expr e = table(reversed(idx));
    return ht->is_bool() ? H::Expr(e != 0) : e;
  });
}

TensorFunc Translator::reduce(Value input, ArrayRef<int64_t> axes,
                              bool keepDims,
                              const std::vector<int64_t> &resultShape,
                              H::Type type, StringRef kind) {
  TensorFunc &x = get(input);
  std::vector<H::Range> ranges;
  for (int64_t a : axes)
    ranges.push_back(H::Range(0, int(x.shape[a])));
  H::RDom r = ranges.empty() ? H::RDom() : H::RDom(ranges);
  int64_t count = 1;
  for (int64_t a : axes)
    count *= x.shape[a];
  return define(resultShape, type, [&](const std::vector<H::Expr> &idx) {
    std::vector<H::Expr> src;
    size_t out = 0, red = 0;
    for (int64_t d = 0; d < int64_t(x.shape.size()); ++d) {
      if (llvm::is_contained(axes, d)) {
        src.push_back(r[red++]);
        if (keepDims)
          ++out;
      } else {
        src.push_back(idx[out++]);
      }
    }
    H::Expr e = at(x, src);
    if (axes.empty())
      return e;
    if (kind == "sum")
      return H::sum(e);
    if (kind == "mean")
      return H::sum(e) / H::cast(type, H::Expr(double(count)));
    if (kind == "max")
      return H::maximum(e);
    if (kind == "min")
      return H::minimum(e);
    return H::product(e);
  });
}

llvm::Expected<TensorFunc> Translator::lower(Operation *op) {
  auto unsupported = [&](const Twine &why) -> llvm::Expected<TensorFunc> {
    return llvm::createStringError(opError(prefix, op, why));
  };
  if (op->getNumResults() != 1)
    return unsupported("not a single-result op");
  Value result = op->getResult(0);
  auto resultType = cast<RankedTensorType>(result.getType());
  std::optional<H::Type> type = halideType(resultType.getElementType());
  if (!type)
    return unsupported("unsupported element type");
  std::vector<int64_t> shape = shapeOf(result);
  using Idx = std::vector<H::Expr>;
  auto elementwise = [&](std::function<H::Expr(std::vector<H::Expr>)> fn)
      -> llvm::Expected<TensorFunc> {
    std::vector<TensorFunc *> in;
    for (Value v : op->getOperands())
      in.push_back(&get(v));
    return define(shape, *type, [&](const Idx &idx) {
      std::vector<H::Expr> xs;
      for (TensorFunc *t : in)
        xs.push_back(at(*t, idx));
      return fn(xs);
    });
  };
  auto isFloat = [&](Value v) {
    return isa<FloatType>(getElementTypeOrSelf(v.getType()));
  };

  if (auto c = dyn_cast<ConstantOp>(op))
    return constant(c);
  if (isa<StopGradientOp>(op))
    return elementwise([](auto x) { return x[0]; });
  if (isa<NegOp>(op))
    return elementwise([](auto x) { return -x[0]; });
  if (isa<AbsOp>(op))
    return elementwise([](auto x) { return H::select(x[0] < 0, -x[0], x[0]); });
  if (isa<ReluOp>(op))
    return elementwise([](auto x) {
      return H::max(x[0], H::cast(x[0].type(), 0));
    });
  if (isa<ExpOp>(op))
    return elementwise([](auto x) { return H::exp(x[0]); });
  if (isa<LogOp>(op))
    return elementwise([](auto x) { return H::log(x[0]); });
  if (isa<SqrtOp>(op))
    return elementwise([](auto x) { return H::sqrt(x[0]); });
  if (isa<RsqrtOp>(op))
    return elementwise([](auto x) { return 1.0f / H::sqrt(x[0]); });
  if (isa<ReciprocalOp>(op))
    return elementwise([](auto x) { return H::cast(x[0].type(), 1) / x[0]; });
  if (isa<TanhOp>(op))
    return elementwise([](auto x) { return H::tanh(x[0]); });
  if (isa<SigmoidOp>(op))
    return elementwise([](auto x) {
      return H::cast(x[0].type(), 1) / (H::cast(x[0].type(), 1) + H::exp(-x[0]));
    });
  if (isa<ErfOp>(op))
    return elementwise([](auto x) { return H::erf(x[0]); });
  if (isa<FloorOp>(op))
    return elementwise([](auto x) { return H::floor(x[0]); });
  if (isa<CeilOp>(op))
    return elementwise([](auto x) { return H::ceil(x[0]); });
  if (isa<RoundOp>(op))
    return elementwise([](auto x) { return H::round(x[0]); }); // ties to even
  if (isa<SinOp>(op))
    return elementwise([](auto x) { return H::sin(x[0]); });
  if (isa<CosOp>(op))
    return elementwise([](auto x) { return H::cos(x[0]); });
  if (isa<AtanOp>(op))
    return elementwise([](auto x) { return H::atan(x[0]); });
  if (isa<AddOp>(op))
    return elementwise([](auto x) { return x[0] + x[1]; });
  if (isa<SubOp>(op))
    return elementwise([](auto x) { return x[0] - x[1]; });
  if (isa<MulOp>(op))
    return elementwise([](auto x) { return x[0] * x[1]; });
  if (isa<DivOp, RemOp>(op)) {
    // Integers: C's truncating division and remainder, built from Halide's
    // Euclidean `%` and `/`, which are defined (0) for a zero divisor; the
    // round-to-zero intrinsics are raw machine divisions, which trap on one
    // (a vector lane of a guarded tail is enough).
    bool fp = isFloat(result), div = isa<DivOp>(op);
    return elementwise([fp, div](auto x) -> H::Expr {
      if (fp)
        return div ? x[0] / x[1] : x[0] - H::trunc(x[0] / x[1]) * x[1];
      if (x[0].type().is_uint())
        return div ? x[0] / x[1] : x[0] % x[1];
      H::Expr r = x[0] % x[1];
      H::Expr magnitude = H::select(x[1] < 0, -x[1], x[1]);
      H::Expr truncated = H::select(x[0] < 0 && r != 0, r - magnitude, r);
      return div ? (x[0] - truncated) / x[1] : truncated;
    });
  }
  if (isa<PowOp>(op))
    return elementwise([](auto x) { return H::pow(x[0], x[1]); });
  if (isa<MaxOp>(op))
    return elementwise([](auto x) { return H::max(x[0], x[1]); });
  if (isa<MinOp>(op))
    return elementwise([](auto x) { return H::min(x[0], x[1]); });
  if (isa<AndOp>(op))
    return elementwise([](auto x) {
      return x[0].type().is_bool() ? (x[0] && x[1]) : (x[0] & x[1]);
    });
  if (isa<OrOp>(op))
    return elementwise([](auto x) {
      return x[0].type().is_bool() ? (x[0] || x[1]) : (x[0] | x[1]);
    });
  if (isa<XorOp>(op))
    return elementwise([](auto x) {
      return x[0].type().is_bool() ? (x[0] != x[1]) : (x[0] ^ x[1]);
    });
  if (auto cmp = dyn_cast<CompareOp>(op)) {
    ComparePredicate p = cmp.getPredicate();
    return elementwise([p](auto x) -> H::Expr {
      switch (p) {
      case ComparePredicate::eq: return x[0] == x[1];
      case ComparePredicate::ne: return x[0] != x[1];
      case ComparePredicate::lt: return x[0] < x[1];
      case ComparePredicate::le: return x[0] <= x[1];
      case ComparePredicate::gt: return x[0] > x[1];
      case ComparePredicate::ge: return x[0] >= x[1];
      }
      return H::Expr();
    });
  }
  if (isa<SelectOp>(op))
    return elementwise([](auto x) { return H::select(x[0], x[1], x[2]); });
  if (isa<CastOp>(op)) {
    H::Type to = *type;
    return elementwise([to](auto x) {
      if (to.is_bool())
        return H::Expr(x[0] != H::cast(x[0].type(), 0));
      return H::cast(to, x[0]);
    });
  }
  if (auto b = dyn_cast<BroadcastOp>(op)) {
    TensorFunc &x = get(b.getInput());
    size_t offset = shape.size() - x.shape.size();
    return define(shape, *type, [&](const Idx &idx) {
      Idx src;
      for (size_t i = 0; i < x.shape.size(); ++i)
        src.push_back(x.shape[i] == 1 ? H::Expr(0) : idx[i + offset]);
      return at(x, src);
    });
  }
  if (auto r = dyn_cast<ReshapeOp>(op)) {
    TensorFunc &x = get(r.getInput());
    return define(shape, *type, [&](const Idx &idx) {
      H::Expr linear = 0;
      for (size_t i = 0; i < shape.size(); ++i)
        linear = linear * int(shape[i]) + idx[i];
      Idx src(x.shape.size());
      for (size_t i = x.shape.size(); i-- > 0;) {
        src[i] = linear % int(x.shape[i]);
        linear = linear / int(x.shape[i]);
      }
      return at(x, src);
    });
  }
  if (auto t = dyn_cast<TransposeOp>(op)) {
    TensorFunc &x = get(t.getInput());
    ArrayRef<int64_t> perm = t.getPermutation();
    return define(shape, *type, [&](const Idx &idx) {
      Idx src(x.shape.size());
      for (size_t i = 0; i < perm.size(); ++i)
        src[perm[i]] = idx[i];
      return at(x, src);
    });
  }
  if (auto s = dyn_cast<SliceOp>(op)) {
    TensorFunc &x = get(s.getInput());
    ArrayRef<int64_t> offsets = s.getOffsets(), strides = s.getStrides();
    return define(shape, *type, [&](const Idx &idx) {
      Idx src;
      for (size_t i = 0; i < idx.size(); ++i)
        src.push_back(int(offsets[i]) + idx[i] * int(strides[i]));
      return at(x, src);
    });
  }
  if (auto m = dyn_cast<MatmulOp>(op)) {
    TensorFunc &a = get(m.getLhs()), &b = get(m.getRhs());
    int64_t k = a.shape.back();
    H::RDom r(0, int(k));
    size_t rank = shape.size();
    return define(shape, *type, [&](const Idx &idx) {
      Idx ai(idx.begin(), idx.end() - 1), bi(idx.begin(), idx.end() - 2);
      ai.back() = idx[rank - 2];
      ai.push_back(r.x);
      bi.push_back(r.x);
      bi.push_back(idx[rank - 1]);
      return H::sum(at(a, ai) * at(b, bi));
    });
  }
  if (auto s = dyn_cast<ReduceSumOp>(op))
    return reduce(s.getInput(), s.getAxes(), s.getKeepDims(), shape, *type, "sum");
  if (auto s = dyn_cast<ReduceMeanOp>(op))
    return reduce(s.getInput(), s.getAxes(), s.getKeepDims(), shape, *type, "mean");
  if (auto s = dyn_cast<ReduceMaxOp>(op))
    return reduce(s.getInput(), s.getAxes(), s.getKeepDims(), shape, *type, "max");
  if (auto s = dyn_cast<ReduceMinOp>(op))
    return reduce(s.getInput(), s.getAxes(), s.getKeepDims(), shape, *type, "min");
  if (auto s = dyn_cast<ReduceProdOp>(op))
    return reduce(s.getInput(), s.getAxes(), s.getKeepDims(), shape, *type, "prod");
  if (isa<SoftmaxOp, LogSoftmaxOp>(op)) {
    Value input = op->getOperand(0);
    int64_t axis = isa<SoftmaxOp>(op) ? cast<SoftmaxOp>(op).getAxis()
                                      : cast<LogSoftmaxOp>(op).getAxis();
    std::vector<int64_t> kept = shape;
    kept[axis] = 1;
    TensorFunc high = reduce(input, {axis}, true, kept, *type, "max");
    TensorFunc &x = get(input);
    TensorFunc shifted = define(shape, *type, [&](const Idx &idx) {
      Idx k = idx;
      k[axis] = 0;
      return at(x, idx) - at(high, k);
    });
    env[result] = shifted; // reduce() reads operands from env
    TensorFunc exps = define(shape, *type, [&](const Idx &idx) {
      return H::exp(at(shifted, idx));
    });
    env[result] = exps;
    TensorFunc total = reduce(result, {axis}, true, kept, *type, "sum");
    bool log = isa<LogSoftmaxOp>(op);
    return define(shape, *type, [&](const Idx &idx) {
      Idx k = idx;
      k[axis] = 0;
      return log ? at(shifted, idx) - H::log(at(total, k))
                 : at(exps, idx) / at(total, k);
    });
  }
  if (std::optional<TensorFunc> windowed = lowerWindowed(op, shape, *type))
    return *windowed;
  return unsupported("no Halide translation for this op (the Halide targets cover: "
                     "elementwise math, compare/select/cast, broadcast, "
                     "reshape, transpose, slice, matmul, reductions, "
                     "softmax, log_softmax, conv2d, max_pool2d and their "
                     "gradients, constants)");
}

std::optional<TensorFunc>
Translator::lowerWindowed(Operation *op, const std::vector<int64_t> &shape,
                          H::Type type) {
  using Idx = std::vector<H::Expr>;
  auto attr = [&](StringRef name) {
    return op->getAttrOfType<DenseI64ArrayAttr>(name).asArrayRef();
  };
  auto i = [](int64_t v) { return int(v); };
  H::Expr zero = H::cast(type, 0);
  if (isa<Conv2dOp, Conv2dBackwardInputOp, Conv2dBackwardFilterOp>(op)) {
    ArrayRef<int64_t> st = attr("strides"), pad = attr("padding"),
                      dil = attr("dilations");
    int64_t groups = op->getAttrOfType<IntegerAttr>("groups").getInt();
    if (auto conv = dyn_cast<Conv2dOp>(op)) {
      // result[n, f, oh, ow] = sum over (c', kh, kw) of
      //   x[n, g*C/groups + c', oh*sh + kh*dh - pt, ow*sw + kw*dw - pl]
      //   * w[f, c', kh, kw], g = f / (F/groups).
      TensorFunc &x = get(conv.getInput()), &w = get(conv.getFilter());
      int64_t cg = w.shape[1], fg = w.shape[0] / groups;
      H::RDom r(0, i(w.shape[3]), 0, i(w.shape[2]), 0, i(cg)); // kw, kh, c'
      return define(shape, type, [&](const Idx &o) {
        H::Expr c = (o[1] / i(fg)) * i(cg) + r.z;
        H::Expr h = o[2] * i(st[0]) + r.y * i(dil[0]) - i(pad[0]);
        H::Expr wd = o[3] * i(st[1]) + r.x * i(dil[1]) - i(pad[1]);
        return H::sum(padded(x, o[0], c, h, wd, zero) *
                      at(w, {o[1], r.z, r.y, r.x}));
      });
    }
    if (auto back = dyn_cast<Conv2dBackwardInputOp>(op)) {
      // result[n, c, h, w] = sum over (f' in c's group, kh, kw) of
      //   dy[n, f, oh, ow] * w[f, c - g*C/groups, kh, kw] where
      //   oh*sh = h + pt - kh*dh (and the same for w) has a solution.
      TensorFunc &dy = get(back.getGradOutput()), &w = get(back.getFilter());
      int64_t cg = w.shape[1], fg = w.shape[0] / groups;
      int64_t oh = dy.shape[2], ow = dy.shape[3];
      H::RDom r(0, i(w.shape[3]), 0, i(w.shape[2]), 0, i(fg)); // kw, kh, f'
      return define(shape, type, [&](const Idx &o) {
        H::Expr g = o[1] / i(cg);
        H::Expr f = g * i(fg) + r.z;
        H::Expr nh = o[2] + i(pad[0]) - r.y * i(dil[0]);
        H::Expr nw = o[3] + i(pad[1]) - r.x * i(dil[1]);
        H::Expr valid = nh >= 0 && nw >= 0 && nh % i(st[0]) == 0 &&
                        nw % i(st[1]) == 0 && nh / i(st[0]) < i(oh) &&
                        nw / i(st[1]) < i(ow);
        H::Expr y = at(dy, {o[0], f, H::clamp(nh / i(st[0]), 0, i(oh) - 1),
                            H::clamp(nw / i(st[1]), 0, i(ow) - 1)});
        return H::sum(H::select(valid, y, zero) *
                      at(w, {f, o[1] - g * i(cg), r.y, r.x}));
      });
    }
    // Filter gradient: result[f, c', kh, kw] = sum over (n, oh, ow) of
    //   dy[n, f, oh, ow] * x[n, g*C/groups + c', oh*sh + kh*dh - pt, ...].
    auto back = cast<Conv2dBackwardFilterOp>(op);
    TensorFunc &x = get(back.getInput()), &dy = get(back.getGradOutput());
    int64_t cg = shape[1], fg = shape[0] / groups;
    H::RDom r(0, i(dy.shape[3]), 0, i(dy.shape[2]), 0, i(dy.shape[0]));
    return define(shape, type, [&](const Idx &o) {
      H::Expr c = (o[0] / i(fg)) * i(cg) + o[1];
      H::Expr h = r.y * i(st[0]) + o[2] * i(dil[0]) - i(pad[0]);
      H::Expr wd = r.x * i(st[1]) + o[3] * i(dil[1]) - i(pad[1]);
      return H::sum(at(dy, {r.z, o[0], r.y, r.x}) *
                    padded(x, r.z, c, h, wd, zero));
    });
  }
  if (!isa<MaxPool2dOp, MaxPool2dBackwardOp>(op))
    return std::nullopt;
  ArrayRef<int64_t> k = attr("kernel"), st = attr("strides"),
                    pad = attr("padding"), dil = attr("dilations");
  H::Expr lowest =
      H::cast(type, H::Expr(-std::numeric_limits<float>::infinity()));
  // Window (oh, ow)'s element (kh, kw) of x, -inf in the padding (which so
  // never wins).
  auto windowValue = [&](const TensorFunc &x, H::Expr n, H::Expr c,
                         H::Expr oh, H::Expr ow, H::Expr kh, H::Expr kw) {
    return padded(x, n, c, oh * i(st[0]) + kh * i(dil[0]) - i(pad[0]),
                  ow * i(st[1]) + kw * i(dil[1]) - i(pad[1]), lowest);
  };
  if (auto pool = dyn_cast<MaxPool2dOp>(op)) {
    TensorFunc &x = get(pool.getInput());
    H::RDom r(0, i(k[1]), 0, i(k[0])); // kw, kh
    return define(shape, type, [&](const Idx &o) {
      return H::maximum(windowValue(x, o[0], o[1], o[2], o[3], r.y, r.x));
    });
  }
  // The gradient goes to each window's first maximum in row-major (kh, kw)
  // order: argmax over an RDom whose inner dimension is kw keeps the first.
  auto back = cast<MaxPool2dBackwardOp>(op);
  TensorFunc &x = get(back.getInput()), &dy = get(back.getGradOutput());
  int64_t oh = dy.shape[2], ow = dy.shape[3];
  H::Var n, c, y, xw;
  H::Func first;
  {
    H::RDom r(0, i(k[1]), 0, i(k[0]));
    first(xw, y, c, n) = H::argmax(windowValue(x, n, c, y, xw, r.y, r.x));
  }
  all.push_back(first);
  H::RDom r(0, i(k[1]), 0, i(k[0])); // the (kh, kw) whose window may hold h, w
  return define(shape, type, [&](const Idx &o) {
    H::Expr nh = o[2] + i(pad[0]) - r.y * i(dil[0]);
    H::Expr nw = o[3] + i(pad[1]) - r.x * i(dil[1]);
    H::Expr wh = H::clamp(nh / i(st[0]), 0, i(oh) - 1);
    H::Expr ww = H::clamp(nw / i(st[1]), 0, i(ow) - 1);
    H::Tuple best = first(ww, wh, o[1], o[0]);
    H::Expr valid = nh >= 0 && nw >= 0 && nh % i(st[0]) == 0 &&
                    nw % i(st[1]) == 0 && nh / i(st[0]) < i(oh) &&
                    nw / i(st[1]) < i(ow) && best[0] == r.x && best[1] == r.y;
    return H::sum(H::select(valid, at(dy, {o[0], o[1], wh, ww}), zero));
  });
}

llvm::Error Translator::translate() {
  for (BlockArgument arg : func.getArguments()) {
    auto type = cast<RankedTensorType>(arg.getType());
    std::optional<H::Type> ht = halideType(type.getElementType());
    if (!ht || !type.hasStaticShape())
      return llvm::createStringError(
          prefix + ": argument " + std::to_string(arg.getArgNumber()) +
          " has an unsupported type (static shapes of f16/f32/f64 or "
          "integers only)");
    H::ImageParam p(storageType(*ht), type.getRank());
    params.push_back(p);
    std::vector<int64_t> shape = shapeOf(arg);
    H::ImageParam param = p;
    bool isBool = ht->is_bool();
    env[arg] = define(shape, *ht, [&](const std::vector<H::Expr> &idx) {
      H::Expr e = param(reversed(idx));
      return isBool ? H::Expr(e != 0) : e;
    });
    inlinable.insert(env[arg].f.name()); // A load, read where it is used.
  }
  for (Operation &op : func.getBody().front()) {
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      for (Value v : ret.getOperands())
        results.push_back(get(v));
      break;
    }
    auto lowered = lower(&op);
    if (!lowered)
      return lowered.takeError();
    env[op.getResult(0)] = *lowered;
    if (canInline(&op))
      inlinable.insert(lowered->f.name());
  }
  return llvm::Error::success();
}

} // namespace

llvm::Expected<HalideProgram> translateToHalide(ModuleOp module,
                                                StringRef entry,
                                                StringRef target) {
  auto fail = [&](const Twine &why) {
    return llvm::createStringError(target + ": " + why);
  };
  auto func = module.lookupSymbol<func::FuncOp>(entry);
  if (!func || func.getBody().empty())
    return fail("no function @" + entry);
  HalideProgram program;
  program.target = target.str();
  try {
    Translator t(func, target);
    if (llvm::Error err = t.translate())
      return std::move(err);
    for (auto [i, arg] : llvm::enumerate(func.getArguments())) {
      auto type = cast<RankedTensorType>(arg.getType());
      std::optional<rt::DType> dt = runtimeType(type.getElementType());
      if (!dt)
        return fail("argument " + Twine(i) + " has no runtime dtype");
      program.inputSpecs.push_back(
          {*dt, std::vector<int64_t>(type.getShape().begin(),
                                     type.getShape().end())});
    }
    for (Type type : func.getResultTypes()) {
      auto tensor = cast<RankedTensorType>(type);
      std::optional<rt::DType> dt = runtimeType(tensor.getElementType());
      if (!dt)
        return fail("a result has no runtime dtype");
      program.outputSpecs.push_back(
          {*dt, std::vector<int64_t>(tensor.getShape().begin(),
                                     tensor.getShape().end())});
    }
    for (const TensorFunc &r : t.results) {
      H::Func out;
      std::vector<H::Var> args = r.f.args();
      H::Expr e = r.f(std::vector<H::Expr>(args.begin(), args.end()));
      out(args) = H::cast(storageType(r.type), e);
      program.outputs.push_back(out);
    }
    program.params = t.params;
    for (H::Func &f : t.all)
      (t.inlinable.count(f.name()) ? program.inlined : program.funcs)
          .push_back(f);
  } catch (const H::Error &e) {
    return fail(e.what());
  }
  return std::move(program);
}

std::vector<std::string> halideSupportedOps() {
  return {"kiln.constant", "kiln.stop_gradient", "kiln.neg", "kiln.abs",
          "kiln.relu", "kiln.exp", "kiln.log", "kiln.sqrt", "kiln.rsqrt",
          "kiln.reciprocal", "kiln.tanh", "kiln.sigmoid", "kiln.erf",
          "kiln.floor", "kiln.ceil", "kiln.round", "kiln.sin", "kiln.cos",
          "kiln.atan", "kiln.add", "kiln.sub", "kiln.mul", "kiln.div",
          "kiln.rem", "kiln.pow", "kiln.max", "kiln.min", "kiln.and",
          "kiln.or", "kiln.xor", "kiln.compare", "kiln.select", "kiln.cast",
          "kiln.broadcast", "kiln.reshape", "kiln.transpose", "kiln.slice",
          "kiln.matmul", "kiln.reduce_sum", "kiln.reduce_mean",
          "kiln.reduce_max", "kiln.reduce_min", "kiln.reduce_prod",
          "kiln.softmax", "kiln.log_softmax"};
}

} // namespace halide
} // namespace kiln
