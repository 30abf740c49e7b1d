// RUN: trellis-opt %s --split-input-file --verify-diagnostics

// Tests that an SBUF access stays within 128 partitions.
isa.program @p attributes {hbm_size = 0 : i64} {
  // expected-error @+1 {{partitions [64, 192) exceed the 128 partitions}}
  isa.memset dve <sbuf[64+128] +0 f32 [[4,1]]>, 0.0
}

// -----

// Tests the start-partition rule: 33..64 partitions start at 0 or 64.
isa.program @p attributes {hbm_size = 0 : i64} {
  // expected-error @+1 {{an access of 48 partitions must start at a multiple of 64, not 32}}
  isa.memset dve <sbuf[32+48] +0 f32 [[4,1]]>, 0.0
}

// -----

// Tests that the moving matrix fits one PSUM bank.
isa.program @p attributes {hbm_size = 0 : i64} {
  // expected-error @+1 {{moving matrix has 1024 columns; at most 512 (one PSUM bank)}}
  isa.multiply_moving pe <psum[0+128] +0 f32 [[1024,1]]>, <sbuf[0+128] +0 bf16 [[1024,1]]> start
}

// -----

// Tests that matmul runs on the PE queue.
isa.program @p attributes {hbm_size = 0 : i64} {
  // expected-error @+1 {{cannot run on queue dve}}
  isa.multiply_moving dve <psum[0+128] +0 f32 [[64,1]]>, <sbuf[0+128] +0 bf16 [[64,1]]>
}

// -----

// Tests that the gpsimd engine cannot read PSUM.
isa.program @p attributes {hbm_size = 0 : i64} {
  // expected-error @+1 {{the gpsimd engine cannot access PSUM (src0)}}
  isa.copy pool <sbuf[0+8] +0 f32 [[16,1]]>, <psum[0+8] +0 f32 [[16,1]]>
}

// -----

// Tests that DMA cannot reach PSUM.
isa.program @p attributes {hbm_size = 4096 : i64} {
  // expected-error @+1 {{DMA cannot access PSUM}}
  isa.dma q1 <psum[0+8] +0 f32 [[16,1]]>, <hbm[0+8 x 16] +0 f32 [[16,1]]>
}

// -----

// Tests that an unknown queue name is rejected.
isa.program @p attributes {hbm_size = 0 : i64} {
  // expected-error @+1 {{unknown queue 'tensor'}}
  isa.memset tensor <sbuf[0+8] +0 f32 [[16,1]]>, 0.0
}

// -----

// Tests that an activation's accum is one value per partition.
isa.program @p attributes {hbm_size = 0 : i64} {
  // expected-error @+1 {{accum must be one value per partition}}
  isa.activation act exp <sbuf[0+8] +0 f32 [[16,1]]>, <sbuf[0+8] +64 f32 [[16,1]]> accum <sbuf[0+8] +128 f32 [[2,1]]>
}

// -----

// Tests that an activation bias is one value per partition.
isa.program @p attributes {hbm_size = 0 : i64} {
  // expected-error @+1 {{bias must be one value per partition}}
  isa.activation act exp <sbuf[0+8] +0 f32 [[16,1]]>, <sbuf[0+8] +64 f32 [[16,1]]> bias <sbuf[0+8] +128 f32 [[2,1]]>
}
