// RUN: trellis-opt %s --split-input-file --verify-diagnostics | FileCheck %s
// RUN: trellis-opt %s --split-input-file --verify-diagnostics --verify-roundtrip > /dev/null

// Tests that the sparse LoadStationary / MultiplyMoving print and parse back.
// CHECK-LABEL: isa.program @sparse
// CHECK: isa.load_stationary_sparse pe <sbuf[0+64] +0 bf16 {{\[\[}}128,1]]>, <sbuf[0+64] +256 i16 {{\[\[}}32,1]]> keep 2 group 4
// CHECK: isa.multiply_moving_sparse pe signal <psum[0+128] +0 f32 {{\[\[}}512,1]]>, <sbuf[0+64] +512 bf16 {{\[\[}}1024,1]]> keep 2 group 4 start
isa.program @sparse attributes {hbm_size = 0 : i64} {
  isa.load_stationary_sparse pe <sbuf[0+64] +0 bf16 [[128,1]]>, <sbuf[0+64] +256 i16 [[32,1]]> keep 2 group 4
  isa.multiply_moving_sparse pe signal <psum[0+128] +0 f32 [[512,1]]>, <sbuf[0+64] +512 bf16 [[1024,1]]> keep 2 group 4 start
}

// -----

// Tests that a pattern the 4-bit tags cannot express is rejected.
isa.program @p attributes {hbm_size = 0 : i64} {
  // expected-error @+1 {{sparsity pattern 3:4 is not N:M with 1 <= N < M <= 16 and N dividing M}}
  isa.load_stationary_sparse pe <sbuf[0+63] +0 bf16 [[128,1]]>, <sbuf[0+63] +256 i16 [[32,1]]> keep 3 group 4
}

// -----

// Tests that the tag tensor has one 16-bit word per four columns.
isa.program @p attributes {hbm_size = 0 : i64} {
  // expected-error @+1 {{tags must be 64x32 (four 4-bit tags per word)}}
  isa.load_stationary_sparse pe <sbuf[0+64] +0 bf16 [[128,1]]>, <sbuf[0+64] +256 i16 [[64,1]]> keep 2 group 4
}

// -----

// Tests that tags are i16 words.
isa.program @p attributes {hbm_size = 0 : i64} {
  // expected-error @+1 {{tags must be i16 words}}
  isa.load_stationary_sparse pe <sbuf[0+64] +0 bf16 [[128,1]]>, <sbuf[0+64] +256 f32 [[32,1]]> keep 2 group 4
}

// -----

// Tests that the moving tensor holds ratio x N elements per partition.
isa.program @p attributes {hbm_size = 0 : i64} {
  // expected-error @+1 {{moving free size 1023 is not 2 x N}}
  isa.multiply_moving_sparse pe <psum[0+128] +0 f32 [[512,1]]>, <sbuf[0+64] +0 bf16 [[1023,1]]> keep 2 group 4
}

// -----

// Tests that N (free size / ratio) fits one PSUM bank.
isa.program @p attributes {hbm_size = 0 : i64} {
  // expected-error @+1 {{moving matrix has 1024 columns; at most 512 (one PSUM bank)}}
  isa.multiply_moving_sparse pe <psum[0+128] +0 f32 [[512,1]]>, <sbuf[0+32] +0 bf16 [[4096,1]]> keep 1 group 4
}

// -----

// Tests that the sparse instructions run on the tensor engine only.
isa.program @p attributes {hbm_size = 0 : i64} {
  // expected-error @+1 {{cannot run on queue act}}
  isa.multiply_moving_sparse act <psum[0+128] +0 f32 [[512,1]]>, <sbuf[0+64] +0 bf16 [[1024,1]]> keep 2 group 4
}
