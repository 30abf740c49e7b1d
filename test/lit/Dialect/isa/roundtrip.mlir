// RUN: trellis-opt %s --verify-roundtrip | FileCheck %s

// Tests that every instruction prints and parses back.
// CHECK-LABEL: isa.program @main
isa.program @main attributes {hbm_size = 8192 : i64} {
  // CHECK: isa.tensor @x input 0 : tensor<8x16xf32> name "x"
  isa.tensor @x input 0 : tensor<8x16xf32> name "x"
  isa.tensor @y output 512 : tensor<8x16xf32> name "y"
  // CHECK: isa.tensor @w constant 1024 : tensor<2x2xf32> = dense<1.000000e+00> : tensor<2x2xf32>
  isa.tensor @w constant 1024 : tensor<2x2xf32> = dense<1.0> : tensor<2x2xf32>
  // CHECK: isa.dma q0 signal <sbuf[0+8] +0 f32 {{\[\[}}16,1]]>, <hbm[0+8 x 16] +0 f32 {{\[\[}}16,1]]>
  isa.dma q0 signal <sbuf[0+8] +0 f32 [[16,1]]>, <hbm[0+8 x 16] +0 f32 [[16,1]]>
  // CHECK: isa.dma_gather q1 <sbuf[0+4] +0 f32 {{\[\[}}16,1]]>, <hbm[0+8 x 16] +0 f32 {{\[\[}}16,1]]>, <sbuf[0+4] +1024 i64 {{\[\[}}1,1]]>
  isa.dma_gather q1 <sbuf[0+4] +0 f32 [[16,1]]>, <hbm[0+8 x 16] +0 f32 [[16,1]]>, <sbuf[0+4] +1024 i64 [[1,1]]>
  // CHECK: isa.load_stationary pe wait [#isa.wait<q0, 1>] <sbuf[0+8] +0 f32 {{\[\[}}16,1]]>
  isa.load_stationary pe wait [#isa.wait<q0, 1>] <sbuf[0+8] +0 f32 [[16,1]]>
  // CHECK: isa.multiply_moving pe signal {{.*}} start
  isa.multiply_moving pe signal <psum[0+16] +0 f32 [[16,1]]>, <sbuf[0+8] +0 f32 [[16,1]]> start
  // CHECK: isa.activation act wait [#isa.wait<pe, 1>] relu {{.*}} bias {{.*}} scale 5.000000e-01
  isa.activation act wait [#isa.wait<pe, 1>] relu <sbuf[0+16] +64 f32 [[16,1]]>, <psum[0+16] +0 f32 [[16,1]]> bias <sbuf[0+16] +128 f32 [[1,1]]> scale 0.5
  // CHECK: isa.activation act exp {{.*}} accum <sbuf[0+16] +192 f32 {{\[\[}}1,1]]>
  isa.activation act exp <sbuf[0+16] +64 f32 [[16,1]]>, <psum[0+16] +0 f32 [[16,1]]> accum <sbuf[0+16] +192 f32 [[1,1]]>
  // CHECK: isa.tensor_tensor dve add
  isa.tensor_tensor dve add <sbuf[0+8] +0 f32 [[16,1]]>, <sbuf[0+8] +64 f32 [[16,1]]>, <sbuf[0+8] +128 f32 [[16,1]]>
  // CHECK: isa.tensor_scalar pool mult 2.000000e+00, add 1.000000e+00
  isa.tensor_scalar pool mult 2.0, add 1.0 <sbuf[0+8] +0 f32 [[16,1]]>, <sbuf[0+8] +0 f32 [[16,1]]>
  // CHECK: isa.tensor_reduce dve max
  isa.tensor_reduce dve max <sbuf[0+8] +0 f32 [[1,1]]>, <sbuf[0+8] +64 f32 [[16,1]]>
  // CHECK: isa.transpose dve
  isa.transpose dve <sbuf[0+16] +0 f32 [[8,1]]>, <sbuf[0+8] +128 f32 [[16,1]]>
  // CHECK: isa.iota pool {{.*}} base 3 pstep 16 fstep 1
  isa.iota pool <sbuf[0+8] +0 i32 [[16,1]]> base 3 pstep 16 fstep 1
  // CHECK: isa.memset dve {{.*}}, 0.000000e+00
  isa.memset dve <sbuf[0+8] +0 f32 [[4,4],[4,1]]>, 0.0
  // CHECK: isa.copy act {{.*}} bf16
  isa.copy act <sbuf[0+16] +0 bf16 [[16,1]]>, <psum[0+16] +0 f32 [[16,1]]>
  // CHECK: isa.nop sp wait [#isa.wait<q0, 1>, #isa.wait<pe, 1>]
  isa.nop sp wait [#isa.wait<q0, 1>, #isa.wait<pe, 1>]
}
