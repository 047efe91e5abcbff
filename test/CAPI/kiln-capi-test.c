/*===- kiln-capi-test.c - Kiln's C API, used from C ------------------------===*\
|*                                                                            *|
|* Part of the Kiln project: an MLIR compiler for training programs.          *|
|*                                                                            *|
|*===----------------------------------------------------------------------===*|
|*                                                                            *|
|* A C program (no C++) that uses include/kiln-c/Kiln.h with MLIR's C API:    *|
|* registers the dialect and passes, imports an ONNX model, runs a kiln       *|
|* pipeline, compiles for the CPU and runs on tensors, checking the numbers   *|
|* against loops written here; then the refusals, each with its diagnostic.   *|
|*   kiln-capi-test MATMUL_2D_MODEL.onnx                                      *|
|* (ONNX's test_matmul_2d: Y = A[3x4] B[4x3]). Prints one line per check and  *|
|* exits 1 at the first failure.                                              *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "kiln-c/Kiln.h"

#include "mlir-c/Diagnostics.h"
#include "mlir-c/IR.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char lastDiagnostic[4096];

static void appendText(MlirStringRef text, void *userData) {
  (void)userData;
  size_t used = strlen(lastDiagnostic);
  size_t room = sizeof(lastDiagnostic) - used - 1;
  size_t n = text.length < room ? text.length : room;
  memcpy(lastDiagnostic + used, text.data, n);
  lastDiagnostic[used + n] = 0;
}

static MlirLogicalResult onDiagnostic(MlirDiagnostic diagnostic,
                                      void *userData) {
  (void)userData;
  lastDiagnostic[0] = 0;
  mlirDiagnosticPrint(diagnostic, appendText, NULL);
  return mlirLogicalResultSuccess();
}

static void check(int ok, const char *what) {
  printf("%s: %s\n", ok ? "ok" : "FAILED", what);
  if (!ok) {
    printf("  last diagnostic: %s\n", lastDiagnostic);
    exit(1);
  }
}

static MlirStringRef str(const char *s) {
  return mlirStringRefCreateFromCString(s);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: kiln-capi-test MATMUL_2D_MODEL.onnx\n");
    return 2;
  }
  MlirDialectRegistry registry = mlirDialectRegistryCreate();
  kilnRegisterAllDialects(registry);
  MlirContext ctx = mlirContextCreateWithRegistry(registry, false);
  mlirDialectRegistryDestroy(registry);
  mlirContextAttachDiagnosticHandler(ctx, onDiagnostic, NULL, NULL);
  kilnRegisterPasses();
  MlirDialectHandle kiln = mlirGetDialectHandle__kiln__();
  check(mlirStringRefEqual(mlirDialectHandleGetNamespace(kiln), str("kiln")),
        "the kiln dialect handle");

  /* Import, compile, run: Y = A B against plain loops. */
  MlirModule module = kilnImportONNXFile(ctx, str(argv[1]));
  check(!mlirModuleIsNull(module), "ONNX import");
  check(mlirLogicalResultIsSuccess(kilnRunPipeline(
            module, str("func.func(kiln-fuse),canonicalize"))),
        "a kiln pipeline on the imported module");
  KilnExecutable exe = kilnExecutableCreate(module, str("main"), str("cpu"));
  check(!kilnExecutableIsNull(exe), "compilation for the cpu");
  check(kilnExecutableGetNumInputs(exe) == 2 &&
            kilnExecutableGetNumOutputs(exe) == 1,
        "2 inputs, 1 output");
  float a[12], b[12], expected[9];
  for (int i = 0; i < 12; ++i) {
    a[i] = 0.25f * (float)(i - 5);
    b[i] = 0.5f * (float)((i * 7) % 11) - 2.0f;
  }
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) {
      float sum = 0;
      for (int k = 0; k < 4; ++k)
        sum += a[i * 4 + k] * b[k * 3 + j];
      expected[i * 3 + j] = sum;
    }
  int64_t shapeA[2] = {3, 4}, shapeB[2] = {4, 3};
  KilnTensor inputs[2] = {kilnTensorCreate(KilnDTypeF32, 2, shapeA, a),
                          kilnTensorCreate(KilnDTypeF32, 2, shapeB, b)};
  KilnTensor outputs[1];
  check(mlirLogicalResultIsSuccess(
            kilnExecutableRun(exe, 2, inputs, 1, outputs)),
        "a run");
  check(kilnTensorGetDType(outputs[0]) == KilnDTypeF32 &&
            kilnTensorGetRank(outputs[0]) == 2 &&
            kilnTensorGetDimSize(outputs[0], 0) == 3 &&
            kilnTensorGetDimSize(outputs[0], 1) == 3,
        "the output is f32[3x3]");
  const float *y = (const float *)kilnTensorGetData(outputs[0]);
  float worst = 0;
  for (int i = 0; i < 9; ++i) {
    float err = fabsf(y[i] - expected[i]);
    if (err > worst)
      worst = err;
  }
  printf("max |Y - loops| = %g\n", worst);
  check(worst <= 1e-5f, "Y = A B within 1e-5 of the loops");
  kilnTensorDestroy(outputs[0]);

  /* Refusals: each fails with a diagnostic naming the reason. */
  KilnTensor wrong[2] = {inputs[1], inputs[0]};
  check(mlirLogicalResultIsFailure(
            kilnExecutableRun(exe, 2, wrong, 1, outputs)) &&
            strstr(lastDiagnostic, "input #0: expected f32[3x4], got f32[4x3]"),
        "inputs of the wrong shape are refused");
  check(kilnExecutableIsNull(
            kilnExecutableCreate(module, str("nope"), str("cpu"))) &&
            strstr(lastDiagnostic, "no function @nope"),
        "an unknown function is refused");
  check(kilnExecutableIsNull(
            kilnExecutableCreate(module, str("main"), str("tpu"))) &&
            strstr(lastDiagnostic, "unknown target 'tpu'"),
        "an unknown target is refused");
  check(mlirLogicalResultIsFailure(
            kilnRunPipeline(module, str("no-such-pass"))) &&
            strstr(lastDiagnostic, "bad pass pipeline"),
        "a bad pipeline is refused");
  check(mlirModuleIsNull(kilnImportONNXFile(ctx, str("/no/such/model.onnx"))) &&
            strstr(lastDiagnostic, "cannot read '/no/such/model.onnx'"),
        "a missing model is refused");
  if (getenv("KILN_CUDA_DRIVER"))
    check(kilnExecutableIsNull(
              kilnExecutableCreate(module, str("main"), str("cuda"))) &&
              strstr(lastDiagnostic, "no CUDA driver"),
          "cuda without a driver is refused");

  kilnTensorDestroy(inputs[0]);
  kilnTensorDestroy(inputs[1]);
  kilnExecutableDestroy(exe);
  mlirModuleDestroy(module);
  mlirContextDestroy(ctx);
  printf("all checks passed\n");
  return 0;
}
