//===- KilnMathOps.td - Further elementwise primitives -*- tablegen -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Further elementwise primitives (bitwise, integer, rounding, inverse
// trigonometry). Included from KilnOps.td.
//
// Only what no composition of the core ops expresses exactly is here. The
// importer composes the rest (lib/Import/ImportElementwise.cpp): ONNX's
// boolean Not/And/Or/Xor are the bitwise ops on `i1`; Mod with Python
// semantics is `rem` plus a sign fix; Sign, IsNaN, IsInf and Shrink are
// compares and selects; Tan, Sinh, Cosh, Asinh, Acosh, Atanh come from
// sin/cos/exp/log/sqrt; Asin and Acos from `atan`.
//
//===----------------------------------------------------------------------===//

#ifndef KILNMATHOPS_TD
#define KILNMATHOPS_TD

//===----------------------------------------------------------------------===//
// Bitwise and shifts (integers, booleans included)
//===----------------------------------------------------------------------===//

def Kiln_AndOp : Kiln_BinaryOp<"and", Kiln_AnyIntegerTensor,
    "Bitwise and; on `i1` the logical and.", [Commutative]>;
def Kiln_OrOp : Kiln_BinaryOp<"or", Kiln_AnyIntegerTensor,
    "Bitwise or; on `i1` the logical or.", [Commutative]>;
def Kiln_XorOp : Kiln_BinaryOp<"xor", Kiln_AnyIntegerTensor,
    "Bitwise exclusive or; on `i1` the logical xor (`xor(x, true)` is "
    "`not x`).", [Commutative]>;

def Kiln_ShiftLeftOp : Kiln_BinaryOp<"shift_left", Kiln_AnyIntegerTensor,
    "`lhs << rhs`: the bits of `lhs` moved up by `rhs` places, zeros "
    "shifted in. A shift amount outside `[0, width)` gives 0.">;
def Kiln_ShiftRightOp : Kiln_BinaryOp<"shift_right", Kiln_AnyIntegerTensor,
    "`lhs >> rhs`: logical (zeros shifted in) on unsigned integers, "
    "arithmetic (copies of the sign bit) on signless ones, which kiln "
    "treats as signed. A shift amount outside `[0, width)` shifts every "
    "bit out (0, or -1 for a negative signed `lhs`).">;

//===----------------------------------------------------------------------===//
// Remainder and rounding
//===----------------------------------------------------------------------===//

def Kiln_RemOp : Kiln_BinaryOp<"rem", Kiln_NumericTensor,
    "The remainder of the division truncated toward zero, `lhs - "
    "trunc(lhs / rhs) * rhs`, with the sign of `lhs` (C's `fmod` and `%`). "
    "Floats compute it exactly; an integer remainder by 0 is 0 (no trap).">;

def Kiln_RoundOp : Kiln_UnaryOp<"round", Kiln_FloatTensor,
    "Round to the nearest integer, halfway cases to even (IEEE "
    "`roundeven`, ONNX Round). The quantization ops are built on it.">;

//===----------------------------------------------------------------------===//
// Inverse trigonometry
//===----------------------------------------------------------------------===//

def Kiln_AtanOp : Kiln_UnaryOp<"atan", Kiln_FloatTensor,
    "Arc tangent, in `(-pi/2, pi/2)`. Asin and Acos are imported as "
    "compositions of it with sqrt and division.">;

#endif // KILNMATHOPS_TD
