// RUN: trellis-opt %s --split-input-file --verify-diagnostics | FileCheck %s
// RUN: trellis-opt %s --split-input-file --verify-diagnostics --verify-roundtrip > /dev/null

// Tests that tile.sparse_matmul prints and parses back.
// CHECK-LABEL: func.func @sparse
// CHECK: tile.sparse_matmul %{{.+}} <[0+128] +0 {{\[\[}}8,1]]>, %{{.+}} <[0+64] +0 {{\[\[}}128,1]]>, %{{.+}} <[0+64] +0 {{\[\[}}32,1]]>, %{{.+}} <[0+64] +0 {{\[\[}}16,1]]> keep 2 group 4 start :
func.func @sparse(%ps: memref<128x8xf32, #tile.mem<psum>>, %w: memref<64x128xbf16, #tile.mem<sbuf>>, %t: memref<64x32xi16, #tile.mem<sbuf>>, %x: memref<64x16xbf16, #tile.mem<sbuf>>) {
  tile.sparse_matmul %ps <[0+128] +0 [[8,1]]>, %w <[0+64] +0 [[128,1]]>, %t <[0+64] +0 [[32,1]]>, %x <[0+64] +0 [[16,1]]> keep 2 group 4 start : memref<128x8xf32, #tile.mem<psum>>, memref<64x128xbf16, #tile.mem<sbuf>>, memref<64x32xi16, #tile.mem<sbuf>>, memref<64x16xbf16, #tile.mem<sbuf>>
  return
}

// -----

// Tests that the moving view holds ratio (here 4) rows per partition.
func.func @ratio(%ps: memref<128x8xf32, #tile.mem<psum>>, %w: memref<64x128xbf16, #tile.mem<sbuf>>, %t: memref<64x32xi16, #tile.mem<sbuf>>, %x: memref<64x16xbf16, #tile.mem<sbuf>>) {
  // expected-error @+1 {{psum view must be 128x4}}
  tile.sparse_matmul %ps <[0+128] +0 [[8,1]]>, %w <[0+64] +0 [[128,1]]>, %t <[0+64] +0 [[32,1]]>, %x <[0+64] +0 [[16,1]]> keep 1 group 4 : memref<128x8xf32, #tile.mem<psum>>, memref<64x128xbf16, #tile.mem<sbuf>>, memref<64x32xi16, #tile.mem<sbuf>>, memref<64x16xbf16, #tile.mem<sbuf>>
  return
}

// -----

// Tests that the tag view has one word per four value columns.
func.func @tags(%ps: memref<128x8xf32, #tile.mem<psum>>, %w: memref<64x128xbf16, #tile.mem<sbuf>>, %t: memref<64x32xi16, #tile.mem<sbuf>>, %x: memref<64x16xbf16, #tile.mem<sbuf>>) {
  // expected-error @+1 {{tags view must be 64x32}}
  tile.sparse_matmul %ps <[0+128] +0 [[8,1]]>, %w <[0+64] +0 [[128,1]]>, %t <[0+64] +0 [[16,1]]>, %x <[0+64] +0 [[16,1]]> keep 2 group 4 : memref<128x8xf32, #tile.mem<psum>>, memref<64x128xbf16, #tile.mem<sbuf>>, memref<64x32xi16, #tile.mem<sbuf>>, memref<64x16xbf16, #tile.mem<sbuf>>
  return
}

// -----

// Tests that the pattern is one the 4-bit tags can express.
func.func @pattern(%ps: memref<128x8xf32, #tile.mem<psum>>, %w: memref<64x128xbf16, #tile.mem<sbuf>>, %t: memref<64x32xi16, #tile.mem<sbuf>>, %x: memref<64x16xbf16, #tile.mem<sbuf>>) {
  // expected-error @+1 {{sparsity pattern 4:32 is not N:M}}
  tile.sparse_matmul %ps <[0+128] +0 [[8,1]]>, %w <[0+64] +0 [[128,1]]>, %t <[0+64] +0 [[32,1]]>, %x <[0+64] +0 [[16,1]]> keep 4 group 32 : memref<128x8xf32, #tile.mem<psum>>, memref<64x128xbf16, #tile.mem<sbuf>>, memref<64x32xi16, #tile.mem<sbuf>>, memref<64x16xbf16, #tile.mem<sbuf>>
  return
}
