//===- ImportEinsum.cpp - ONNX Einsum as kiln contractions ----------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Einsum decomposed into the core primitives:
//   1. each operand: repeated labels ("ii") become the diagonal (a literal
//      mask, select and reduce_sum), labels no one else needs are summed
//      away (reduce_sum), size-1 dimensions broadcast to the other
//      operands' extents (numpy's rule for the ellipsis);
//   2. operands are folded left to right: two operands become one batched
//      kiln.matmul [batch, M, K] x [batch, K, N] after transposes and
//      reshapes, where batch holds the labels both have and that are still
//      needed, K those both have and no one needs any more;
//   3. the result is transposed into the output's order.
// The ellipsis stands for right-aligned dimensions shared by all operands.
// Without "->" the output is the ellipsis followed by the labels used once,
// in alphabetical order (numpy's implicit mode).
//
//===----------------------------------------------------------------------===//

#include "ImportDataUtils.h"
#include "NodeImporter.h"

#include "llvm/ADT/StringExtras.h"

#include <map>

using namespace mlir;
using namespace kiln;
using namespace kiln::onnx_import;

namespace {

/// Labels: letters are their character code; ellipsis dimensions are
/// 1000 + k, k counted so that they align to the right.
using Label = int;
constexpr Label kEllipsisBase = 1000;

struct Term {
  SmallVector<Label> labels;
  bool hasEllipsis = false;
};

/// One operand while it is being reduced: its value and a label per
/// dimension.
struct Operand {
  Value value;
  SmallVector<Label> labels;
};

FailureOr<Term> parseTerm(NodeImporter &n, StringRef text) {
  Term term;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '.') {
      if (term.hasEllipsis || !text.substr(i).starts_with("..."))
        return n.fail("malformed ellipsis in equation term '" + text + "'");
      term.hasEllipsis = true;
      term.labels.push_back(-1); // Placeholder, expanded per operand.
      i += 2;
      continue;
    }
    if (!llvm::isAlpha(c))
      return n.fail("unexpected character '" + Twine(c) + "' in equation");
    term.labels.push_back(c);
  }
  return term;
}

/// Expands the ellipsis of `term` for an operand of `rank` dims whose
/// ellipsis covers `count` of the `maxCount` ellipsis dims (right-aligned).
SmallVector<Label> expand(const Term &term, int64_t count, int64_t maxCount) {
  SmallVector<Label> out;
  for (Label l : term.labels) {
    if (l != -1) {
      out.push_back(l);
      continue;
    }
    for (int64_t k = maxCount - count; k < maxCount; ++k)
      out.push_back(kEllipsisBase + k);
  }
  return out;
}

/// Sums `op` over the dims whose labels satisfy `drop`.
LogicalResult sumOut(NodeImporter &n, Operand &op,
                     llvm::function_ref<bool(Label)> drop) {
  SmallVector<int64_t> axes;
  SmallVector<Label> kept;
  for (auto [i, l] : llvm::enumerate(op.labels)) {
    if (drop(l))
      axes.push_back(i);
    else
      kept.push_back(l);
  }
  if (axes.empty())
    return success();
  FailureOr<Value> v = n.create<ReduceSumOp>(op.value, axes, false);
  if (failed(v))
    return failure();
  op.value = *v;
  op.labels = kept;
  return success();
}

/// Replaces the first repeated label of `op` by the diagonal; returns false
/// when no label repeats.
FailureOr<bool> takeDiagonal(NodeImporter &n, Operand &op) {
  for (size_t p = 0; p < op.labels.size(); ++p)
    for (size_t q = p + 1; q < op.labels.size(); ++q) {
      if (op.labels[p] != op.labels[q])
        continue;
      auto type = cast<RankedTensorType>(op.value.getType());
      int64_t extent = type.getDimSize(p);
      if (type.getDimSize(q) != extent)
        return n.fail("label '" + Twine(char(op.labels[p])) +
                      "' repeats with different extents");
      SmallVector<bool> bits;
      for (int64_t i = 0; i < extent; ++i)
        for (int64_t j = 0; j < extent; ++j)
          bits.push_back(i == j);
      SmallVector<int64_t> maskShape(type.getRank(), 1);
      maskShape[p] = extent;
      maskShape[q] = extent;
      auto maskType = RankedTensorType::get(maskShape, n.b().getI1Type());
      Value mask = ConstantOp::create(n.b(), n.location(),
                                      DenseElementsAttr::get(maskType, bits));
      FailureOr<Value> wide = n.broadcastTo(mask, type.getShape());
      if (failed(wide))
        return failure();
      FailureOr<Value> picked = n.create<SelectOp>(
          *wide, op.value, n.splatLike(op.value, 0.0));
      if (failed(picked))
        return failure();
      FailureOr<Value> diag =
          n.create<ReduceSumOp>(*picked, ArrayRef<int64_t>{int64_t(q)}, false);
      if (failed(diag))
        return failure();
      op.value = *diag;
      op.labels.erase(op.labels.begin() + q);
      return true;
    }
  return false;
}

/// Transposes `op` so its labels come in `order` (a permutation of them).
LogicalResult permute(NodeImporter &n, Operand &op, ArrayRef<Label> order) {
  SmallVector<int64_t> perm;
  for (Label l : order)
    perm.push_back(llvm::find(op.labels, l) - op.labels.begin());
  if (llvm::equal(perm, llvm::seq<int64_t>(0, perm.size()))) {
    op.labels.assign(order.begin(), order.end());
    return success();
  }
  FailureOr<Value> v = n.create<TransposeOp>(op.value, perm);
  if (failed(v))
    return failure();
  op.value = *v;
  op.labels.assign(order.begin(), order.end());
  return success();
}

LogicalResult importEinsum(NodeImporter &n) {
  if (failed(n.expectInputs(1, 64)) || failed(n.expectOnlyAttrs({"equation"})))
    return failure();
  std::string equation;
  for (char c : n.attrString("equation", ""))
    if (!llvm::isSpace(c))
      equation.push_back(c);
  StringRef eq(equation);
  auto [lhs, rhs] = eq.split("->");
  bool explicitOutput = eq.contains("->");
  SmallVector<StringRef> termTexts;
  lhs.split(termTexts, ',');
  int numInputs = n.numInputs();
  if ((int)termTexts.size() != numInputs)
    return n.fail("equation has " + Twine(termTexts.size()) + " terms for " +
                  Twine(numInputs) + " inputs");

  // Operands with expanded labels; extents per label.
  SmallVector<Term> terms;
  int64_t maxEllipsis = 0;
  for (int i = 0; i < numInputs; ++i) {
    FailureOr<Term> t = parseTerm(n, termTexts[i]);
    if (failed(t))
      return failure();
    RankedTensorType type = n.inputType(i);
    if (!type.hasStaticShape())
      return n.fail("Einsum needs static shapes");
    int64_t named = t->labels.size() - (t->hasEllipsis ? 1 : 0);
    int64_t covered = type.getRank() - named;
    if (covered < 0 || (!t->hasEllipsis && covered != 0))
      return n.fail("term '" + termTexts[i] + "' does not match input rank " +
                    Twine(type.getRank()));
    maxEllipsis = std::max(maxEllipsis, covered);
    terms.push_back(*t);
  }
  Type element = n.inputType(0).getElementType();
  if (!isa<FloatType, IntegerType>(element) || element.isInteger(1))
    return n.fail("Einsum needs numbers");
  SmallVector<Operand> operands;
  std::map<Label, int64_t> extents;
  for (int i = 0; i < numInputs; ++i) {
    RankedTensorType type = n.inputType(i);
    if (type.getElementType() != element)
      return n.fail("inputs differ in element type");
    int64_t named = terms[i].labels.size() - (terms[i].hasEllipsis ? 1 : 0);
    Operand op{n.input(i), expand(terms[i], type.getRank() - named,
                                  maxEllipsis)};
    for (auto [d, l] : llvm::enumerate(op.labels)) {
      int64_t e = type.getDimSize(d);
      auto [it, inserted] = extents.insert({l, e});
      if (!inserted && it->second != e) {
        if (it->second == 1)
          it->second = e;
        else if (e != 1)
          return n.fail("a label has extents " + Twine(it->second) + " and " +
                        Twine(e));
      }
    }
    operands.push_back(op);
  }

  // The output's labels.
  SmallVector<Label> output;
  if (explicitOutput) {
    FailureOr<Term> t = parseTerm(n, rhs);
    if (failed(t))
      return failure();
    output = expand(*t, maxEllipsis, maxEllipsis);
    for (Label l : output) {
      if (!extents.count(l))
        return n.fail("output label '" + Twine(char(l)) +
                      "' is not in any input");
      if (llvm::count(output, l) > 1)
        return n.fail("output label '" + Twine(char(l)) + "' repeats");
    }
  } else {
    for (int64_t k = 0; k < maxEllipsis; ++k)
      output.push_back(kEllipsisBase + k);
    std::map<Label, int> uses;
    for (const Operand &op : operands)
      for (Label l : op.labels)
        if (l < kEllipsisBase)
          ++uses[l];
    for (auto [l, count] : uses)
      if (count == 1)
        output.push_back(l);
  }

  // Step 1: diagonals, broadcasting of size-1 dims, private sums.
  for (size_t i = 0; i < operands.size(); ++i) {
    Operand &op = operands[i];
    for (;;) {
      FailureOr<bool> took = takeDiagonal(n, op);
      if (failed(took))
        return failure();
      if (!*took)
        break;
    }
    auto type = cast<RankedTensorType>(op.value.getType());
    SmallVector<int64_t> full;
    for (Label l : op.labels)
      full.push_back(extents[l]);
    if (ArrayRef<int64_t>(full) != type.getShape()) {
      FailureOr<Value> wide = n.broadcastTo(op.value, full);
      if (failed(wide))
        return failure();
      op.value = *wide;
    }
  }
  auto usedElsewhere = [&](Label l, size_t self) {
    if (llvm::is_contained(output, l))
      return true;
    for (size_t j = 0; j < operands.size(); ++j)
      if (j != self && llvm::is_contained(operands[j].labels, l))
        return true;
    return false;
  };
  for (size_t i = 0; i < operands.size(); ++i)
    if (failed(sumOut(n, operands[i],
                      [&](Label l) { return !usedElsewhere(l, i); })))
      return failure();

  // Step 2: fold left to right.
  Operand acc = operands[0];
  for (size_t i = 1; i < operands.size(); ++i) {
    Operand rhsOp = operands[i];
    // Labels needed after this step: the output and the operands after i.
    auto neededLater = [&](Label l) {
      if (llvm::is_contained(output, l))
        return true;
      for (size_t j = i + 1; j < operands.size(); ++j)
        if (llvm::is_contained(operands[j].labels, l))
          return true;
      return false;
    };
    SmallVector<Label> batch, left, contracted, right;
    for (Label l : acc.labels) {
      bool inRhs = llvm::is_contained(rhsOp.labels, l);
      if (inRhs && neededLater(l))
        batch.push_back(l);
      else if (inRhs)
        contracted.push_back(l);
      else
        left.push_back(l);
    }
    for (Label l : rhsOp.labels)
      if (!llvm::is_contained(acc.labels, l))
        right.push_back(l);
    auto product = [&](ArrayRef<Label> ls) {
      int64_t p = 1;
      for (Label l : ls)
        p *= extents[l];
      return p;
    };
    SmallVector<Label> lhsOrder(batch), rhsOrder(batch);
    llvm::append_range(lhsOrder, left);
    llvm::append_range(lhsOrder, contracted);
    llvm::append_range(rhsOrder, contracted);
    llvm::append_range(rhsOrder, right);
    if (failed(permute(n, acc, lhsOrder)) || failed(permute(n, rhsOp, rhsOrder)))
      return failure();
    int64_t B = product(batch), M = product(left), K = product(contracted),
            N = product(right);
    // Without batch labels a plain [M, K] x [K, N] product.
    SmallVector<int64_t> aShape = {M, K}, bShape = {K, N};
    if (!batch.empty()) {
      aShape.insert(aShape.begin(), B);
      bShape.insert(bShape.begin(), B);
    }
    FailureOr<Value> a = n.reshape(acc.value, aShape);
    FailureOr<Value> b = n.reshape(rhsOp.value, bShape);
    if (failed(a) || failed(b))
      return failure();
    FailureOr<Value> c = n.create<MatmulOp>(*a, *b);
    if (failed(c))
      return failure();
    SmallVector<Label> labels(batch);
    llvm::append_range(labels, left);
    llvm::append_range(labels, right);
    SmallVector<int64_t> shape;
    for (Label l : labels)
      shape.push_back(extents[l]);
    FailureOr<Value> v = n.reshape(*c, shape);
    if (failed(v))
      return failure();
    acc = Operand{*v, labels};
  }

  // Step 3: anything left that the output lacks, then the output's order.
  if (failed(sumOut(n, acc, [&](Label l) {
        return !llvm::is_contained(output, l);
      })) ||
      failed(permute(n, acc, output)))
    return failure();
  n.setOutput(0, acc.value);
  return success();
}

} // namespace

void onnx_import::registerEinsumImporters(OpImporterRegistry &r) {
  r.add("Einsum", importEinsum, /*sinceOpset=*/12);
}
