// kiln-plan-memory{explain-peak=true}: one remark per buffer live where the
// most bytes are live, largest first, at the op that first uses it.
// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-plan-memory{explain-peak=true}))" -o /dev/null 2>&1 | FileCheck %s

func.func private @fill(memref<64xf32>)
func.func private @fill_big(memref<256xf32>)
func.func private @read2(memref<64xf32>, memref<256xf32>)
func.func private @read1(memref<64xf32>)

// Live: %a over ops 0..5, %b over 2..4, %c over 6..7 (op indices of the
// body). The peak, 1280 bytes, is %a with %b; %c is not live there.
// CHECK: remark: plan-memory: 1280 bytes live in 2 buffers at op 2
// CHECK: explain-peak.mlir:21:3: remark: plan-memory: live at the peak: 1024 bytes, 'memref<256xf32>', live ops 2..4, first used by func.call
// CHECK: explain-peak.mlir:19:3: remark: plan-memory: live at the peak: 256 bytes, 'memref<64xf32>', live ops 0..5, first used by func.call
// CHECK-NOT: live at the peak
// CHECK: remark: plan-memory: 3 buffers in a 1280-byte arena
func.func @peak() {
  %a = memref.alloc() : memref<64xf32>
  call @fill(%a) : (memref<64xf32>) -> ()
  %b = memref.alloc() : memref<256xf32>
  call @fill_big(%b) : (memref<256xf32>) -> ()
  call @read2(%a, %b) : (memref<64xf32>, memref<256xf32>) -> ()
  call @read1(%a) : (memref<64xf32>) -> ()
  %c = memref.alloc() : memref<64xf32>
  call @read1(%c) : (memref<64xf32>) -> ()
  return
}
