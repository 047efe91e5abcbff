//===- TensorLiterals.cpp - ONNX tensors as MLIR literals -----------------===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// Turns ONNX TensorProtos (initializers, Constant values) into MLIR elements
// attributes: small ones inline, large ones as dense_resource blobs so the
// printed IR stays readable. Decoding the proto is the runtime's job
// (kiln::rt::tensorFromProto); this file only maps types and wraps bytes.
//
//===----------------------------------------------------------------------===//

#include "NodeImporter.h"

#include "kiln/Codegen/CPU/TypeMapping.h"
#include "kiln/Runtime/TensorProtoIO.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::onnx_import;

Type onnx_import::elementTypeFromOnnx(int32_t onnxType, MLIRContext *context,
                                      std::string &error) {
  rt::DType dtype;
  Type type;
  if (rt::dtypeFromOnnx(onnxType, dtype))
    type = cpu::toMLIRElementType(dtype, context);
  if (!type) {
    error = "element type " + rt::onnxDataTypeName(onnxType) +
            " is not supported";
    return {};
  }
  return type;
}

ElementsAttr onnx_import::elementsFromTensorProto(
    const onnx::TensorProto &proto, MLIRContext *context,
    const LiteralOptions &literals, std::string &error) {
  Type element = elementTypeFromOnnx(proto.data_type(), context, error);
  if (!element)
    return {};
  rt::Tensor tensor;
  if (!rt::tensorFromProto(proto, tensor, error, literals.limits))
    return {};
  auto type = RankedTensorType::get(tensor.shape(), element);
  if (element.isInteger(1)) {
    // MLIR packs i1 literals as bits; ONNX stores one byte per bool.
    SmallVector<bool> bits;
    for (int64_t i = 0, e = tensor.numElements(); i < e; ++i)
      bits.push_back(tensor.dataAs<uint8_t>()[i] != 0);
    return DenseElementsAttr::get(type, bits);
  }
  ArrayRef<char> bytes(static_cast<const char *>(tensor.data()),
                       tensor.numBytes());
  if (static_cast<int64_t>(tensor.numBytes()) >
      literals.resourceThresholdBytes) {
    std::string name = proto.name().empty() ? "tensor" : proto.name();
    return DenseResourceElementsAttr::get(
        type, name, HeapAsmResourceBlob::allocateAndCopyInferAlign(bytes));
  }
  bool detectedSplat = false;
  if (!DenseElementsAttr::isValidRawBuffer(type, bytes, detectedSplat)) {
    error = "tensor bytes do not match its type";
    return {};
  }
  return DenseElementsAttr::getFromRawBuffer(type, bytes);
}

FailureOr<Value> NodeImporter::tensorConstant(const onnx::TensorProto &proto) {
  std::string message;
  ElementsAttr value =
      elementsFromTensorProto(proto, context(), literals, message);
  if (!value)
    return fail(message);
  return create<ConstantOp>(value);
}
