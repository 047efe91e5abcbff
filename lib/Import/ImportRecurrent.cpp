//===- ImportRecurrent.cpp - ONNX RNN, GRU and LSTM -----------------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// The recurrent ops unrolled over their (static) sequence length into
// kiln.matmul and elementwise primitives, so autodiff differentiates them
// through ordinary rules (backpropagation through time). Per direction, the
// input projection of every step is one matmul ([seq * batch, input] x
// W^T); each step then adds H_{t-1} R^T and applies the gates. Directions
// forward, reverse and bidirectional; layouts 0 and 1; initial states;
// peepholes; clip; LSTM's input_forget; GRU's linear_before_reset; the
// activation functions and their alpha/beta. sequence_lens masks the
// steps at run time: a batch entry past its length keeps its state and
// outputs zeros in Y, so the reverse direction starts at its last element.
//
//===----------------------------------------------------------------------===//

#include "ImportNNUtils.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::onnx_import;

namespace {

enum class Cell { RNN, GRU, LSTM };

struct CellInfo {
  int gates;
  SmallVector<StringRef, 3> defaultActivations;
};

CellInfo infoOf(Cell cell) {
  switch (cell) {
  case Cell::RNN:
    return {1, {"Tanh"}};
  case Cell::GRU:
    return {3, {"Sigmoid", "Tanh"}};
  case Cell::LSTM:
    return {4, {"Sigmoid", "Tanh", "Tanh"}};
  }
  llvm_unreachable("unknown cell");
}

/// An activation function with its alpha/beta, if it takes them.
struct Activation {
  std::string name;
  std::optional<float> alpha, beta;
};

bool takesAlpha(StringRef name) {
  std::string l = name.lower();
  return l == "leakyrelu" || l == "thresholdedrelu" || l == "scaledtanh" ||
         l == "hardsigmoid" || l == "elu" || l == "affine";
}
bool takesBeta(StringRef name) {
  std::string l = name.lower();
  return l == "scaledtanh" || l == "hardsigmoid" || l == "affine";
}

template <Cell Kind> LogicalResult importRecurrent(NodeImporter &n) {
  constexpr bool isLSTM = Kind == Cell::LSTM, isGRU = Kind == Cell::GRU;
  if (failed(n.expectInputs(3, isLSTM ? 8 : 6)) ||
      failed(n.expectOnlyAttrs({"activation_alpha", "activation_beta",
                                "activations", "clip", "direction",
                                "hidden_size", "layout", "input_forget",
                                "linear_before_reset"})))
    return failure();
  CellInfo info = infoOf(Kind);
  int64_t gates = info.gates;
  RankedTensorType xType = n.inputType(0), wType = n.inputType(1),
                   rType = n.inputType(2);
  if (xType.getRank() != 3 || !xType.hasStaticShape())
    return n.fail("X must be a static 3-D tensor");
  if (!isa<FloatType>(xType.getElementType()))
    return n.fail("X must hold floats");
  int64_t layout = n.attrInt("layout", 0);
  if (layout != 0 && layout != 1)
    return n.fail("layout must be 0 or 1");
  int64_t seq = xType.getDimSize(layout), batch = xType.getDimSize(1 - layout),
          inputSize = xType.getDimSize(2);
  std::string direction = n.attrString("direction", "forward");
  int64_t dirs = direction == "bidirectional" ? 2 : 1;
  if (direction != "forward" && direction != "reverse" &&
      direction != "bidirectional")
    return n.fail("unsupported direction '" + direction + "'");
  int64_t hidden = n.attrInt("hidden_size", rType.getRank() == 3
                                                ? rType.getDimSize(2)
                                                : 0);
  if (hidden <= 0 || seq <= 0)
    return n.fail("hidden_size and the sequence length must be positive");
  if (wType.getShape() != ArrayRef<int64_t>{dirs, gates * hidden, inputSize})
    return n.fail("W must have shape [" + Twine(dirs) + ", " +
                  Twine(gates * hidden) + ", " + Twine(inputSize) + "]");
  if (rType.getShape() != ArrayRef<int64_t>{dirs, gates * hidden, hidden})
    return n.fail("R must have shape [" + Twine(dirs) + ", " +
                  Twine(gates * hidden) + ", " + Twine(hidden) + "]");
  if (n.hasInput(3) &&
      n.inputType(3).getShape() != ArrayRef<int64_t>{dirs, 2 * gates * hidden})
    return n.fail("B must have shape [" + Twine(dirs) + ", " +
                  Twine(2 * gates * hidden) + "]");

  // Activation functions, one set per direction, and their parameters.
  SmallVector<std::string> names;
  if (const onnx::AttributeProto *a = n.attr("activations"))
    for (const std::string &s : a->strings())
      names.push_back(s);
  size_t perDir = info.defaultActivations.size();
  if (names.empty())
    for (int64_t d = 0; d < dirs; ++d)
      for (StringRef s : info.defaultActivations)
        names.push_back(s.str());
  if (names.size() == perDir && dirs == 2)
    names.append(names.begin(), names.end());
  if (names.size() != perDir * dirs)
    return n.fail("activations needs " + Twine(perDir * dirs) + " entries");
  SmallVector<float> alphas, betas;
  if (const onnx::AttributeProto *a = n.attr("activation_alpha"))
    alphas.assign(a->floats().begin(), a->floats().end());
  if (const onnx::AttributeProto *a = n.attr("activation_beta"))
    betas.assign(a->floats().begin(), a->floats().end());
  SmallVector<Activation> acts;
  size_t nextAlpha = 0, nextBeta = 0;
  for (const std::string &name : names) {
    Activation act{name, std::nullopt, std::nullopt};
    if (takesAlpha(name) && nextAlpha < alphas.size())
      act.alpha = alphas[nextAlpha++];
    if (takesBeta(name) && nextBeta < betas.size())
      act.beta = betas[nextBeta++];
    acts.push_back(act);
  }
  std::optional<float> clip;
  if (n.attr("clip"))
    clip = n.attrFloat("clip", 0.0f);
  bool inputForget = isLSTM && n.attrInt("input_forget", 0);
  bool linearBeforeReset = isGRU && n.attrInt("linear_before_reset", 0);

  Composer c(n);
  Type element = xType.getElementType();
  // Time-major X [seq, batch, input] and states [dirs, batch, hidden].
  Value x = layout ? c.transpose(n.input(0), {1, 0, 2}) : n.input(0);
  auto state = [&](int i) -> Value {
    if (!n.hasInput(i))
      return {};
    return layout ? c.transpose(n.input(i), {1, 0, 2}) : n.input(i);
  };
  Value initialH = state(5), initialC = isLSTM ? state(6) : Value();
  for (Value s : {initialH, initialC})
    if (s && shapeOf(s) != ArrayRef<int64_t>{dirs, batch, hidden})
      return n.fail("initial states must have shape [" + Twine(dirs) + ", " +
                    Twine(batch) + ", " + Twine(hidden) + "]");
  // sequence_lens masks steps unless it is a literal of full lengths.
  Value seqLens;
  if (n.hasInput(4)) {
    std::optional<SmallVector<int64_t>> lens = n.constantInts(4);
    if (!lens || llvm::any_of(*lens, [&](int64_t l) { return l < seq; }))
      seqLens = n.input(4);
    if (seqLens && shapeOf(seqLens) != ArrayRef<int64_t>{batch})
      return n.fail("sequence_lens must have shape [" + Twine(batch) + "]");
  }
  Value peepholes = isLSTM && n.hasInput(7) ? n.input(7) : Value();
  if (peepholes && shapeOf(peepholes) != ArrayRef<int64_t>{dirs, 3 * hidden})
    return n.fail("P must have shape [" + Twine(dirs) + ", " +
                  Twine(3 * hidden) + "]");

  SmallVector<int64_t> stateShape{batch, hidden};
  auto apply = [&](const Activation &a, Value v) -> Value {
    if (clip)
      v = c.minC(c.maxC(v, -double(*clip)), double(*clip));
    return buildActivation(c, a.name, v, a.alpha, a.beta);
  };
  // Row `d` of a [dirs, ...] tensor, without the leading dimension.
  auto row = [&](Value v, int64_t d) -> Value {
    SmallVector<int64_t> shape(shapeOf(v).drop_front());
    return c.reshape(c.sliceAxis(v, 0, d, 1), shape);
  };
  // Columns [g * hidden, (g + count) * hidden) of a [batch, G * hidden] value.
  auto gate = [&](Value v, int64_t g, int64_t count = 1) -> Value {
    return c.sliceAxis(v, 1, g * hidden, count * hidden);
  };
  // A [G' * hidden] vector broadcast to [batch, G' * hidden].
  auto rows = [&](Value v) -> Value {
    if (!v)
      return v;
    int64_t len = shapeOf(v)[0];
    return c.broadcastTo(c.reshape(v, {1, len}), {batch, len});
  };

  SmallVector<Value> ys, lastH, lastC;
  for (int64_t d = 0; d < dirs; ++d) {
    bool reverse = direction == "reverse" || d == 1;
    const Activation *fns = &acts[d * perDir];
    Value wT = c.transpose(row(n.input(1), d), {1, 0}); // [input, G*h]
    Value rT = c.transpose(row(n.input(2), d), {1, 0}); // [h, G*h]
    Value wb, rb;
    if (n.hasInput(3)) {
      Value b = row(n.input(3), d);
      wb = c.sliceAxis(b, 0, 0, gates * hidden);
      rb = c.sliceAxis(b, 0, gates * hidden, gates * hidden);
    }
    // Input projections of every step, with W's bias: [seq, batch, G*h].
    Value projected =
        c.op<MatmulOp>(c.reshape(x, {seq * batch, inputSize}), wT);
    if (wb)
      projected = c.add(projected, c.broadcastTo(c.reshape(wb, {1, gates * hidden}),
                                                 {seq * batch, gates * hidden}));
    projected = c.reshape(projected, {seq, batch, gates * hidden});
    Value rbRows = rows(rb);
    Value h = initialH ? row(initialH, d) : c.splat(RankedTensorType::get(stateShape, element), 0.0);
    Value cell;
    if (isLSTM)
      cell = initialC ? row(initialC, d)
                      : c.splat(RankedTensorType::get(stateShape, element), 0.0);
    Value pI, pO, pF;
    if (peepholes) {
      Value p = row(peepholes, d);
      pI = rows(c.sliceAxis(p, 0, 0, hidden));
      pO = rows(c.sliceAxis(p, 0, hidden, hidden));
      pF = rows(c.sliceAxis(p, 0, 2 * hidden, hidden));
    }
    SmallVector<Value> stepOutputs(seq);
    for (int64_t s = 0; s < seq && !c.failed(); ++s) {
      int64_t t = reverse ? seq - 1 - s : s;
      Value xt = c.reshape(c.sliceAxis(projected, 0, t, 1),
                           {batch, gates * hidden});
      Value hNew, cNew;
      if constexpr (Kind == Cell::RNN) {
        Value pre = c.add(xt, c.op<MatmulOp>(h, rT));
        if (rbRows)
          pre = c.add(pre, rbRows);
        hNew = apply(fns[0], pre);
      } else if constexpr (Kind == Cell::GRU) {
        // Gates z, r, h; the h gate reads r * H (or r * (H R_h^T + Rb_h)).
        Value rzT = c.sliceAxis(rT, 1, 0, 2 * hidden);
        Value rhT = c.sliceAxis(rT, 1, 2 * hidden, hidden);
        Value zr = c.add(gate(xt, 0, 2), c.op<MatmulOp>(h, rzT));
        if (rbRows)
          zr = c.add(zr, gate(rbRows, 0, 2));
        Value z = apply(fns[0], gate(zr, 0));
        Value r = apply(fns[0], gate(zr, 1));
        Value rbh = rbRows ? gate(rbRows, 2) : Value();
        Value recurrent;
        if (linearBeforeReset) {
          recurrent = c.op<MatmulOp>(h, rhT);
          if (rbh)
            recurrent = c.add(recurrent, rbh);
          recurrent = c.mul(r, recurrent);
        } else {
          recurrent = c.op<MatmulOp>(c.mul(r, h), rhT);
          if (rbh)
            recurrent = c.add(recurrent, rbh);
        }
        Value candidate = apply(fns[1], c.add(gate(xt, 2), recurrent));
        // (1 - z) * h~ + z * H.
        Value oneMinusZ = c.sub(c.splatLike(z, 1.0), z);
        hNew = c.add(c.mul(oneMinusZ, candidate), c.mul(z, h));
      } else {
        // Gates i, o, f, c.
        Value pre = c.add(xt, c.op<MatmulOp>(h, rT));
        if (rbRows)
          pre = c.add(pre, rbRows);
        Value iPre = gate(pre, 0), oPre = gate(pre, 1), fPre = gate(pre, 2);
        if (pI) {
          iPre = c.add(iPre, c.mul(pI, cell));
          fPre = c.add(fPre, c.mul(pF, cell));
        }
        Value i = apply(fns[0], iPre);
        Value f = inputForget ? c.sub(c.splatLike(i, 1.0), i)
                              : apply(fns[0], fPre);
        Value candidate = apply(fns[1], gate(pre, 3));
        cNew = c.add(c.mul(f, cell), c.mul(i, candidate));
        if (pO)
          oPre = c.add(oPre, c.mul(pO, cNew));
        Value o = apply(fns[0], oPre);
        hNew = c.mul(o, apply(fns[2], cNew));
      }
      Value out = hNew;
      if (seqLens && hNew) {
        // Entries past their length keep their state and output zeros.
        Value step = c.splatLike(seqLens, double(t));
        Value valid = c.broadcastTo(
            c.reshape(c.cmp(ComparePredicate::lt, step, seqLens), {batch, 1}),
            stateShape);
        hNew = c.select(valid, hNew, h);
        if (cNew)
          cNew = c.select(valid, cNew, cell);
        out = c.select(valid, out, c.splatLike(out, 0.0));
      }
      h = hNew;
      if (isLSTM)
        cell = cNew;
      stepOutputs[t] = c.reshape(out, {1, 1, batch, hidden});
    }
    if (c.failed())
      return failure();
    ys.push_back(c.concat(stepOutputs, 0)); // [seq, 1, batch, h]
    lastH.push_back(c.reshape(h, {1, batch, hidden}));
    if (isLSTM)
      lastC.push_back(c.reshape(cell, {1, batch, hidden}));
  }
  Value y = c.concat(ys, 1);                 // [seq, dirs, batch, h]
  Value yh = c.concat(lastH, 0);             // [dirs, batch, h]
  Value yc = isLSTM ? c.concat(lastC, 0) : Value();
  if (layout) {
    y = c.transpose(y, {2, 0, 1, 3});
    yh = c.transpose(yh, {1, 0, 2});
    if (yc)
      yc = c.transpose(yc, {1, 0, 2});
  }
  if (failed(c.finish(0, y)) || failed(c.finish(1, yh)))
    return failure();
  if (isLSTM)
    return c.finish(2, yc);
  return success();
}

} // namespace

void onnx_import::registerRecurrentImporters(OpImporterRegistry &r) {
  r.add("RNN", importRecurrent<Cell::RNN>);
  r.add("GRU", importRecurrent<Cell::GRU>);
  r.add("LSTM", importRecurrent<Cell::LSTM>);
}
