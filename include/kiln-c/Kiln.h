/*===-- kiln-c/Kiln.h - C API to Kiln's dialect, importer and targets -----===*\
|*                                                                            *|
|* Part of the Kiln project: an MLIR compiler for training programs.          *|
|*                                                                            *|
|*===----------------------------------------------------------------------===*|
|*                                                                            *|
|* Kiln from C, in the style of MLIR's C API (mlir-c/IR.h): register the      *|
|* kiln dialect and passes, import an ONNX model into an MlirModule, run      *|
|* pass pipelines (kiln-opt syntax) with MLIR's own mlirPassManager* or       *|
|* kilnRunPipeline, compile a function for a target and run it on tensors.    *|
|* Errors are MLIR diagnostics on the module's context (attach a handler      *|
|* with mlirContextAttachDiagnosticHandler); functions that can fail return   *|
|* a null handle or a failed MlirLogicalResult.                               *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef KILN_C_KILN_H
#define KILN_C_KILN_H

#include "mlir-c/IR.h"
#include "mlir-c/Support.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The kiln dialect: mlirGetDialectHandle__kiln__(). */
MLIR_DECLARE_CAPI_DIALECT_REGISTRATION(Kiln, kiln);

/* Everything kiln programs and Kiln's pipelines use (the kiln dialect, the
 * upstream dialects and extensions, LLVM IR translations), added to
 * `registry`. */
MLIR_CAPI_EXPORTED void kilnRegisterAllDialects(MlirDialectRegistry registry);

/* Registers Kiln's passes and pipelines (kiln-autodiff, kiln-fuse,
 * kiln-remat, convert-kiln-to-linalg, kiln-cpu-lower-to-llvm, ...) and
 * MLIR's upstream passes, so that pass pipeline strings name them.
 * Idempotent. */
MLIR_CAPI_EXPORTED void kilnRegisterPasses(void);

/* Imports the ONNX model file at `path` (training information included)
 * into a new module of `ctx`, whose registry must hold the kiln dialect.
 * A null module (mlirModuleIsNull) after diagnostics on failure. */
MLIR_CAPI_EXPORTED MlirModule kilnImportONNXFile(MlirContext ctx,
                                                MlirStringRef path);

/* Runs `pipeline` (kiln-opt syntax, e.g.
 * "kiln-make-train-step{loss=mse optimizer=sgd},func.func(kiln-fuse)") on
 * `module`. */
MLIR_CAPI_EXPORTED MlirLogicalResult kilnRunPipeline(MlirModule module,
                                                     MlirStringRef pipeline);

/*===----------------------------------------------------------------------===*
 * Tensors: dense, row-major host buffers of one element type.
 *===----------------------------------------------------------------------===*/

/* Element types; the values are ONNX's TensorProto.DataType. */
typedef enum KilnDType {
  KilnDTypeF32 = 1,
  KilnDTypeU8 = 2,
  KilnDTypeI8 = 3,
  KilnDTypeI32 = 6,
  KilnDTypeI64 = 7,
  KilnDTypeBool = 9,
  KilnDTypeF16 = 10,
  KilnDTypeF64 = 11,
  KilnDTypeBF16 = 16,
} KilnDType;

typedef struct KilnTensor {
  void *ptr;
} KilnTensor;

/* A tensor of `dtype` and `shape` (rank `rank`) holding a copy of `data`
 * (numElements x the element size bytes), or zeros when `data` is NULL. */
MLIR_CAPI_EXPORTED KilnTensor kilnTensorCreate(KilnDType dtype, intptr_t rank,
                                               const int64_t *shape,
                                               const void *data);
MLIR_CAPI_EXPORTED void kilnTensorDestroy(KilnTensor tensor);
static inline bool kilnTensorIsNull(KilnTensor tensor) { return !tensor.ptr; }
MLIR_CAPI_EXPORTED KilnDType kilnTensorGetDType(KilnTensor tensor);
MLIR_CAPI_EXPORTED intptr_t kilnTensorGetRank(KilnTensor tensor);
MLIR_CAPI_EXPORTED int64_t kilnTensorGetDimSize(KilnTensor tensor,
                                                intptr_t dim);
MLIR_CAPI_EXPORTED int64_t kilnTensorGetNumElements(KilnTensor tensor);
/* The elements, row-major; writable. */
MLIR_CAPI_EXPORTED void *kilnTensorGetData(KilnTensor tensor);

/*===----------------------------------------------------------------------===*
 * Executables: a function compiled for a target.
 *===----------------------------------------------------------------------===*/

typedef struct KilnExecutable {
  void *ptr;
} KilnExecutable;

/* Compiles @`entry` of `module` for `target` ("cpu", or "cuda", which needs
 * the CUDA driver at run time). The module may hold kiln ops (gradient
 * requests are expanded: kiln-autodiff, then convert-kiln-to-linalg, on a
 * copy) or be at the tensor level already. Null on failure, after
 * diagnostics on the module's context. */
MLIR_CAPI_EXPORTED KilnExecutable kilnExecutableCreate(MlirModule module,
                                                       MlirStringRef entry,
                                                       MlirStringRef target);
MLIR_CAPI_EXPORTED void kilnExecutableDestroy(KilnExecutable executable);
static inline bool kilnExecutableIsNull(KilnExecutable executable) {
  return !executable.ptr;
}
MLIR_CAPI_EXPORTED intptr_t kilnExecutableGetNumInputs(KilnExecutable exe);
MLIR_CAPI_EXPORTED intptr_t kilnExecutableGetNumOutputs(KilnExecutable exe);

/* Runs the function on `inputs` (checked against its signature) and
 * stores `numOutputs` new tensors, owned by the caller, in `outputs`. On
 * failure nothing is stored and a diagnostic names the reason. */
MLIR_CAPI_EXPORTED MlirLogicalResult kilnExecutableRun(
    KilnExecutable executable, intptr_t numInputs, const KilnTensor *inputs,
    intptr_t numOutputs, KilnTensor *outputs);

#ifdef __cplusplus
}
#endif

#endif /* KILN_C_KILN_H */
