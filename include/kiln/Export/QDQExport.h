//===- QDQExport.h - A QAT-trained model as ONNX QDQ int8 -------*- C++ -*-===//
//
// Part of the Kiln project: an MLIR compiler for training programs.
//
//===----------------------------------------------------------------------===//
//
// After `kiln-quantize mode=qat-int8` training (kiln-run --write-initializers
// writes the trained weights and the observers `qat.amax_K`), the inference
// model is written back as ONNX in the QuantizeLinear/DequantizeLinear
// ("QDQ") form that ONNX runtimes turn into int8 kernels:
//
//   - every MatMul, Gemm and Conv reads its activation input through
//     QuantizeLinear -> DequantizeLinear with the observer's per-tensor scale
//     (qat.amax_K / 127, int8 zero point 0), K counted as kiln-quantize
//     counts (operands in node order, activations only);
//   - its weight initializer is stored as int8 with a per-output-channel
//     scale (max |w| / 127, round half to even, as the fake quantization
//     computed) and read through DequantizeLinear (axis: MatMul's last dim,
//     Gemm's by transB, Conv's filters);
//   - every other initializer takes its trained value.
//
// It works on the ONNX protobuf (the model that was trained) and needs
// opset 13 or later (per-axis DequantizeLinear).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_EXPORT_QDQEXPORT_H
#define KILN_EXPORT_QDQEXPORT_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>

namespace kiln {

/// The serialized QDQ model for the serialized ONNX `modelBytes`, with the
/// trained state (NAME.pb files) in `stateDir`.
llvm::Expected<std::string> exportQATModelAsQDQ(llvm::StringRef modelBytes,
                                                llvm::StringRef stateDir);

} // namespace kiln

#endif // KILN_EXPORT_QDQEXPORT_H
