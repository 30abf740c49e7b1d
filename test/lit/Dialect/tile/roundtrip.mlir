// RUN: trellis-opt %s --verify-roundtrip | FileCheck %s

// Tests that every tile op prints and parses back.
// CHECK-LABEL: func.func @ops
func.func @ops(%x: memref<8x128xf32, #tile.mem<hbm>>, %y: memref<8x128xf32, #tile.mem<hbm>>) {
  // CHECK: %[[W:.+]] = tile.constant dense<5.000000e-01> : tensor<128x128xf32> -> memref<128x128xf32, #tile.mem<hbm>>
  %w = tile.constant dense<0.5> : tensor<128x128xf32> -> memref<128x128xf32, #tile.mem<hbm>>
  // CHECK: %[[WS:.+]] = tile.alloc : memref<128x128xf32, #tile.mem<sbuf>>
  %ws = tile.alloc : memref<128x128xf32, #tile.mem<sbuf>>
  %xs = tile.alloc : memref<128x8xf32, #tile.mem<sbuf>>
  %ps = tile.alloc : memref<128x8xf32, #tile.mem<psum>>
  %os = tile.alloc : memref<128x8xf32, #tile.mem<sbuf>>
  %bs = tile.alloc : memref<128x1xf32, #tile.mem<sbuf>>
  // CHECK: tile.load %[[WS]] <[0+128] +0 {{\[\[}}128,1]]>, %[[W]] <[0+128 x 128] +0 {{\[\[}}128,1]]>
  tile.load %ws <[0+128] +0 [[128,1]]>, %w <[0+128 x 128] +0 [[128,1]]> : memref<128x128xf32, #tile.mem<sbuf>>, memref<128x128xf32, #tile.mem<hbm>>
  // CHECK: tile.load {{.*}} <[0+128 x 1] +0 {{\[\[}}8,128]]>
  tile.load %xs <[0+128] +0 [[8,1]]>, %x <[0+128 x 1] +0 [[8,128]]> : memref<128x8xf32, #tile.mem<sbuf>>, memref<8x128xf32, #tile.mem<hbm>>
  %rows = tile.alloc : memref<4x128xf32, #tile.mem<sbuf>>
  %idx = tile.alloc : memref<4x1xi32, #tile.mem<sbuf>>
  // CHECK: tile.load_gather {{.*}} <[0+4] +0 {{\[\[}}128,1]]>, %[[W]] <[0+128 x 128] +0 {{\[\[}}128,1]]>, {{.*}} <[0+4] +0 {{\[\[}}1,1]]> :
  tile.load_gather %rows <[0+4] +0 [[128,1]]>, %w <[0+128 x 128] +0 [[128,1]]>, %idx <[0+4] +0 [[1,1]]> : memref<4x128xf32, #tile.mem<sbuf>>, memref<128x128xf32, #tile.mem<hbm>>, memref<4x1xi32, #tile.mem<sbuf>>
  // CHECK: tile.matmul {{.*}} start :
  tile.matmul %ps <[0+128] +0 [[8,1]]>, %ws <[0+128] +0 [[128,1]]>, %xs <[0+128] +0 [[8,1]]> start : memref<128x8xf32, #tile.mem<psum>>, memref<128x128xf32, #tile.mem<sbuf>>, memref<128x8xf32, #tile.mem<sbuf>>
  // CHECK: tile.memset {{.*}}, 1.000000e+00
  tile.memset %bs <[0+128] +0 [[1,1]]>, 1.0 : memref<128x1xf32, #tile.mem<sbuf>>
  // CHECK: tile.activation relu {{.*}} bias {{.*}} scale 2.000000e+00
  tile.activation relu %os <[0+128] +0 [[8,1]]>, %ps <[0+128] +0 [[8,1]]> bias %bs <[0+128] +0 [[1,1]]> scale 2.0 : memref<128x8xf32, #tile.mem<sbuf>>, memref<128x8xf32, #tile.mem<psum>>, memref<128x1xf32, #tile.mem<sbuf>>
  // CHECK: tile.activation exp {{.*}} accum %{{[^ ]+}} <[0+128] +0 {{\[\[}}1,1]]> : {{.*}} accum memref<128x1xf32, #tile.mem<sbuf>>
  tile.activation exp %os <[0+128] +0 [[8,1]]>, %ps <[0+128] +0 [[8,1]]> accum %bs <[0+128] +0 [[1,1]]> : memref<128x8xf32, #tile.mem<sbuf>>, memref<128x8xf32, #tile.mem<psum>> accum memref<128x1xf32, #tile.mem<sbuf>>
  // CHECK: tile.tensor_tensor add
  tile.tensor_tensor add %os <[0+128] +0 [[8,1]]>, %os <[0+128] +0 [[8,1]]>, %xs <[0+128] +0 [[8,1]]> : memref<128x8xf32, #tile.mem<sbuf>>, memref<128x8xf32, #tile.mem<sbuf>>, memref<128x8xf32, #tile.mem<sbuf>>
  // CHECK: tile.tensor_scalar mult 2.000000e+00, add 1.000000e+00
  tile.tensor_scalar mult 2.0, add 1.0 %os <[0+128] +0 [[8,1]]>, %os <[0+128] +0 [[8,1]]> : memref<128x8xf32, #tile.mem<sbuf>>, memref<128x8xf32, #tile.mem<sbuf>>
  // CHECK: tile.tensor_reduce max
  tile.tensor_reduce max %bs <[0+128] +0 [[1,1]]>, %os <[0+128] +0 [[8,1]]> : memref<128x1xf32, #tile.mem<sbuf>>, memref<128x8xf32, #tile.mem<sbuf>>
  %t = tile.alloc : memref<8x32xf32, #tile.mem<sbuf>>
  // CHECK: tile.transpose
  tile.transpose %t <[0+8] +0 [[32,1]]>, %os <[0+32] +0 [[8,1]]> : memref<8x32xf32, #tile.mem<sbuf>>, memref<128x8xf32, #tile.mem<sbuf>>
  %i = tile.alloc : memref<128x8xi32, #tile.mem<sbuf>>
  // CHECK: tile.iota {{.*}} base 0 pstep 8 fstep 1
  tile.iota %i <[0+128] +0 [[8,1]]> base 0 pstep 8 fstep 1 : memref<128x8xi32, #tile.mem<sbuf>>
  // CHECK: tile.copy {{.*}} {engine = #tile.engine<act>}
  tile.copy %xs <[0+128] +0 [[8,1]]>, %ps <[0+128] +0 [[8,1]]> {engine = #tile.engine<act>} : memref<128x8xf32, #tile.mem<sbuf>>, memref<128x8xf32, #tile.mem<psum>>
  // CHECK: tile.store
  tile.store %y <[0+128 x 1] +0 [[8,128]]>, %os <[0+128] +0 [[8,1]]> : memref<8x128xf32, #tile.mem<hbm>>, memref<128x8xf32, #tile.mem<sbuf>>
  return
}
