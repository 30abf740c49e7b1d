// RUN: trellis-opt %s --split-input-file --verify-diagnostics

// Tests that an SBUF tile has at most 128 partitions.
func.func @too_many_partitions() {
  // expected-error @+1 {{tile has 129 partitions; at most 128}}
  %t = tile.alloc : memref<129x4xf32, #tile.mem<sbuf>>
  return
}

// -----

// Tests that a PSUM tile fits one 2 KiB bank (512 fp32) per partition.
func.func @psum_too_wide() {
  // expected-error @+1 {{PSUM tile needs 2052 bytes per partition; one bank holds 2048 (512 fp32)}}
  %t = tile.alloc : memref<128x513xf32, #tile.mem<psum>>
  return
}

// -----

// Tests that a matmul contracts over at most 128 partitions: a 129-partition
// view of a bigger HBM-shaped tile is caught by the partition check.
func.func @matmul_moving_too_wide(%ps: memref<128x512xf32, #tile.mem<psum>>, %w: memref<128x128xf32, #tile.mem<sbuf>>, %x: memref<128x1024xf32, #tile.mem<sbuf>>) {
  // expected-error @+1 {{moving has 1024 columns; at most 512 (one PSUM bank)}}
  tile.matmul %ps <[0+128] +0 [[512,1]]>, %w <[0+128] +0 [[128,1]]>, %x <[0+128] +0 [[1024,1]]> start : memref<128x512xf32, #tile.mem<psum>>, memref<128x128xf32, #tile.mem<sbuf>>, memref<128x1024xf32, #tile.mem<sbuf>>
  return
}

// -----

// Tests that matmul operands must agree on the contraction partitions.
func.func @matmul_k(%ps: memref<128x8xf32, #tile.mem<psum>>, %w: memref<128x128xf32, #tile.mem<sbuf>>, %x: memref<64x8xf32, #tile.mem<sbuf>>) {
  // expected-error @+1 {{contract over different partition counts (128 vs 64)}}
  tile.matmul %ps <[0+128] +0 [[8,1]]>, %w <[0+128] +0 [[128,1]]>, %x <[0+64] +0 [[8,1]]> : memref<128x8xf32, #tile.mem<psum>>, memref<128x128xf32, #tile.mem<sbuf>>, memref<64x8xf32, #tile.mem<sbuf>>
  return
}

// -----

// Tests that matmul writes PSUM.
func.func @matmul_into_sbuf(%ps: memref<128x8xf32, #tile.mem<sbuf>>, %w: memref<128x128xf32, #tile.mem<sbuf>>, %x: memref<128x8xf32, #tile.mem<sbuf>>) {
  // expected-error @+1 {{psum may not be in sbuf}}
  tile.matmul %ps <[0+128] +0 [[8,1]]>, %w <[0+128] +0 [[128,1]]>, %x <[0+128] +0 [[8,1]]> : memref<128x8xf32, #tile.mem<sbuf>>, memref<128x128xf32, #tile.mem<sbuf>>, memref<128x8xf32, #tile.mem<sbuf>>
  return
}

// -----

// Tests that a view may not run past its buffer.
func.func @view_out_of_bounds(%d: memref<8x16xf32, #tile.mem<sbuf>>, %s: memref<8x16xf32, #tile.mem<hbm>>) {
  // expected-error @+1 {{dst view reaches element 16 of a partition holding 16}}
  tile.load %d <[0+8] +1 [[16,1]]>, %s <[0+8 x 16] +0 [[16,1]]> : memref<8x16xf32, #tile.mem<sbuf>>, memref<8x16xf32, #tile.mem<hbm>>
  return
}

// -----

// Tests that gpsimd may not touch PSUM.
func.func @pool_psum(%d: memref<8x16xf32, #tile.mem<psum>>) {
  // expected-error @+1 {{the gpsimd engine cannot access PSUM}}
  tile.memset %d <[0+8] +0 [[16,1]]>, 0.0 {engine = #tile.engine<pool>} : memref<8x16xf32, #tile.mem<psum>>
  return
}

// -----

// Tests that a view has at most four free axes.
func.func @bad_view(%d: memref<8x16xf32, #tile.mem<sbuf>>) {
  // expected-error @+1 {{view needs 1 to 4 free axes, got 5}}
  tile.memset %d <[0+8] +0 [[1,1],[1,1],[1,1],[1,1],[16,1]]>, 0.0 : memref<8x16xf32, #tile.mem<sbuf>>
  return
}

// -----

// Tests that a matmul operand spans at most 128 partitions, even on a buffer
// that came from outside (a function argument is not an alloc).
func.func @matmul_129_partitions(%ps: memref<128x8xf32, #tile.mem<psum>>, %w: memref<129x128xf32, #tile.mem<sbuf>>, %x: memref<129x8xf32, #tile.mem<sbuf>>) {
  // expected-error @+1 {{stationary uses 129 partitions; a tile has at most 128}}
  tile.matmul %ps <[0+128] +0 [[8,1]]>, %w <[0+129] +0 [[128,1]]>, %x <[0+129] +0 [[8,1]]> start : memref<128x8xf32, #tile.mem<psum>>, memref<129x128xf32, #tile.mem<sbuf>>, memref<129x8xf32, #tile.mem<sbuf>>
  return
}

// -----

// Tests that an indirect load takes integer indices, one per dst partition.
func.func @load_gather_indices(%t: memref<16x8xf32, #tile.mem<hbm>>) {
  %d = tile.alloc : memref<4x8xf32, #tile.mem<sbuf>>
  %i = tile.alloc : memref<4x1xf32, #tile.mem<sbuf>>
  // expected-error @+1 {{indices must be i32 or i64, not 'f32'}}
  tile.load_gather %d <[0+4] +0 [[8,1]]>, %t <[0+16 x 8] +0 [[8,1]]>, %i <[0+4] +0 [[1,1]]> : memref<4x8xf32, #tile.mem<sbuf>>, memref<16x8xf32, #tile.mem<hbm>>, memref<4x1xf32, #tile.mem<sbuf>>
  return
}
