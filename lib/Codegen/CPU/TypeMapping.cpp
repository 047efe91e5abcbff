//===- TypeMapping.cpp - Runtime dtypes <-> MLIR element types ------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Implements the dtype <-> element type table declared in TypeMapping.h.
//
//===----------------------------------------------------------------------===//

#include "kiln/Codegen/CPU/TypeMapping.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/MLIRContext.h"

using namespace mlir;

namespace kiln {
namespace cpu {

Type toMLIRElementType(rt::DType dtype, MLIRContext *context) {
  auto signless = [&](unsigned width) -> Type {
    return IntegerType::get(context, width);
  };
  auto unsignedInt = [&](unsigned width) -> Type {
    return IntegerType::get(context, width, IntegerType::Unsigned);
  };
  switch (dtype) {
  case rt::DType::F32:
    return Float32Type::get(context);
  case rt::DType::F64:
    return Float64Type::get(context);
  case rt::DType::F16:
    return Float16Type::get(context);
  case rt::DType::BF16:
    return BFloat16Type::get(context);
  case rt::DType::Bool:
    return signless(1);
  case rt::DType::I8:
    return signless(8);
  case rt::DType::I16:
    return signless(16);
  case rt::DType::I32:
    return signless(32);
  case rt::DType::I64:
    return signless(64);
  case rt::DType::U8:
    return unsignedInt(8);
  case rt::DType::U16:
    return unsignedInt(16);
  case rt::DType::U32:
    return unsignedInt(32);
  case rt::DType::U64:
    return unsignedInt(64);
  case rt::DType::Undefined:
    break;
  }
  return Type();
}

std::optional<rt::DType> fromMLIRElementType(Type type) {
  if (type.isF32())
    return rt::DType::F32;
  if (type.isF64())
    return rt::DType::F64;
  if (type.isF16())
    return rt::DType::F16;
  if (type.isBF16())
    return rt::DType::BF16;
  auto intType = dyn_cast<IntegerType>(type);
  if (!intType)
    return std::nullopt;
  if (intType.isUnsigned()) {
    switch (intType.getWidth()) {
    case 8:
      return rt::DType::U8;
    case 16:
      return rt::DType::U16;
    case 32:
      return rt::DType::U32;
    case 64:
      return rt::DType::U64;
    default:
      return std::nullopt;
    }
  }
  switch (intType.getWidth()) {
  case 1:
    return rt::DType::Bool;
  case 8:
    return rt::DType::I8;
  case 16:
    return rt::DType::I16;
  case 32:
    return rt::DType::I32;
  case 64:
    return rt::DType::I64;
  default:
    return std::nullopt;
  }
}

} // namespace cpu
} // namespace kiln
