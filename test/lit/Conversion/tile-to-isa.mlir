// RUN: trellis-opt %s --split-input-file --convert-tile-to-isa | FileCheck %s
// RUN: trellis-opt %s --split-input-file --convert-tile-to-isa=target=%trellis_src/targets/trn1.json | FileCheck %s

// Tests HBM placement (inputs, outputs, constants; 64-byte aligned), SBUF
// and PSUM addresses, queue assignment and the matmul split into
// load_stationary + multiply_moving.
// CHECK-LABEL: isa.program @main attributes {hbm_size = 960 : i64, trellis.psum_peak_bytes = 2048 : i64, trellis.sbuf_peak_bytes = 224 : i64}
// CHECK:         isa.tensor @arg0 input 0 : tensor<8x16xf32> name "x"
// CHECK:         isa.tensor @arg1 output 512 : tensor<8x4xf32> name "y"
// CHECK:         isa.tensor @cst0 constant 640 : tensor<16x4xf32>
// CHECK:         isa.tensor @cst1 constant 896 : tensor<4xf32>
// CHECK:         isa.dma q0 <sbuf[0+4] +0 f32 {{\[\[}}1,1]]>, <hbm[0+4 x 1] +896 f32 {{\[\[}}1,1]]>
// CHECK:         isa.dma q1 <sbuf[0+16] +64 f32 {{\[\[}}4,1]]>, <hbm[0+16 x 4] +640 f32 {{\[\[}}4,1]]>
// CHECK:         isa.dma q2 <sbuf[0+16] +128 f32 {{\[\[}}8,1]]>, <hbm[0+16 x 1] +0 f32 {{\[\[}}8,16]]>
// CHECK:         isa.load_stationary pe <sbuf[0+16] +64 f32 {{\[\[}}4,1]]>
// CHECK:         isa.multiply_moving pe <psum[0+4] +0 f32 {{\[\[}}8,1]]>, <sbuf[0+16] +128 f32 {{\[\[}}8,1]]> start
// CHECK:         isa.activation act relu <sbuf[0+4] +192 f32 {{\[\[}}8,1]]>, <psum[0+4] +0 f32 {{\[\[}}8,1]]> bias <sbuf[0+4] +0 f32 {{\[\[}}1,1]]>
// CHECK:         isa.dma q3 <hbm[0+4 x 1] +512 f32 {{\[\[}}8,4]]>, <sbuf[0+4] +192 f32 {{\[\[}}8,1]]>
func.func @main(%arg0: memref<8x16xf32, #tile.mem<hbm>> {trellis.input = "x"}, %arg1: memref<8x4xf32, #tile.mem<hbm>> {trellis.output = "y"}) {
  %0 = tile.constant dense<5.000000e-01> : tensor<16x4xf32> -> memref<16x4xf32, #tile.mem<hbm>>
  %1 = tile.constant dense<[1.0, -2.0, 3.0, -4.0]> : tensor<4xf32> -> memref<4xf32, #tile.mem<hbm>>
  %2 = tile.alloc : memref<4x1xf32, #tile.mem<sbuf>>
  tile.load %2 <[0+4] +0 [[1,1]]>, %1 <[0+4 x 1] +0 [[1,1]]> : memref<4x1xf32, #tile.mem<sbuf>>, memref<4xf32, #tile.mem<hbm>>
  %3 = tile.alloc : memref<4x8xf32, #tile.mem<psum>>
  %4 = tile.alloc : memref<16x4xf32, #tile.mem<sbuf>>
  tile.load %4 <[0+16] +0 [[4,1]]>, %0 <[0+16 x 4] +0 [[4,1]]> : memref<16x4xf32, #tile.mem<sbuf>>, memref<16x4xf32, #tile.mem<hbm>>
  %5 = tile.alloc : memref<16x8xf32, #tile.mem<sbuf>>
  tile.load %5 <[0+16] +0 [[8,1]]>, %arg0 <[0+16 x 1] +0 [[8,16]]> : memref<16x8xf32, #tile.mem<sbuf>>, memref<8x16xf32, #tile.mem<hbm>>
  tile.matmul %3 <[0+4] +0 [[8,1]]>, %4 <[0+16] +0 [[4,1]]>, %5 <[0+16] +0 [[8,1]]> start : memref<4x8xf32, #tile.mem<psum>>, memref<16x4xf32, #tile.mem<sbuf>>, memref<16x8xf32, #tile.mem<sbuf>>
  %6 = tile.alloc : memref<4x8xf32, #tile.mem<sbuf>>
  tile.activation relu %6 <[0+4] +0 [[8,1]]>, %3 <[0+4] +0 [[8,1]]> bias %2 <[0+4] +0 [[1,1]]> : memref<4x8xf32, #tile.mem<sbuf>>, memref<4x8xf32, #tile.mem<psum>>, memref<4x1xf32, #tile.mem<sbuf>>
  tile.store %arg1 <[0+4 x 1] +0 [[8,4]]>, %6 <[0+4] +0 [[8,1]]> : memref<8x4xf32, #tile.mem<hbm>>, memref<4x8xf32, #tile.mem<sbuf>>
  return
}

// -----

// Tests next-fit allocation: a buffer that just died is not reused at once
// (the next tile goes after it, so its load need not wait for the engine
// reading the old one), and allocation wraps around when the end of the
// partition is reached. 80 KiB tiles: 0, 81920, then back to 0 (trn1 and trn2 alike).
// CHECK-LABEL: isa.program @next_fit
// CHECK:         isa.dma q0 <sbuf[0+8] +0 f32
// CHECK:         isa.dma q1 <hbm{{.*}}, <sbuf[0+8] +0 f32
// CHECK:         isa.dma q2 <sbuf[0+8] +81920 f32
// CHECK:         isa.dma q3 <sbuf[0+8] +0 f32
func.func @next_fit(%a: memref<8x20480xf32, #tile.mem<hbm>> {trellis.input = "a"}, %b: memref<8x20480xf32, #tile.mem<hbm>> {trellis.output = "b"}) {
  %t0 = tile.alloc : memref<8x20480xf32, #tile.mem<sbuf>>
  tile.load %t0 <[0+8] +0 [[20480,1]]>, %a <[0+8 x 20480] +0 [[20480,1]]> : memref<8x20480xf32, #tile.mem<sbuf>>, memref<8x20480xf32, #tile.mem<hbm>>
  tile.store %b <[0+8 x 20480] +0 [[20480,1]]>, %t0 <[0+8] +0 [[20480,1]]> : memref<8x20480xf32, #tile.mem<hbm>>, memref<8x20480xf32, #tile.mem<sbuf>>
  %t1 = tile.alloc : memref<8x20480xf32, #tile.mem<sbuf>>
  tile.load %t1 <[0+8] +0 [[20480,1]]>, %a <[0+8 x 20480] +0 [[20480,1]]> : memref<8x20480xf32, #tile.mem<sbuf>>, memref<8x20480xf32, #tile.mem<hbm>>
  %t2 = tile.alloc : memref<8x20480xf32, #tile.mem<sbuf>>
  tile.load %t2 <[0+8] +0 [[20480,1]]>, %a <[0+8 x 20480] +0 [[20480,1]]> : memref<8x20480xf32, #tile.mem<sbuf>>, memref<8x20480xf32, #tile.mem<hbm>>
  return
}
