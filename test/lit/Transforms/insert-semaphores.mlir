// RUN: trellis-opt %s --split-input-file --pass-pipeline='builtin.module(isa.program(trellis-insert-semaphores))' | FileCheck %s

// Tests read-after-write across queues: the matmul waits for both loads, the
// activation only for the matmul (the loads are implied through it), and the
// store for the activation.
// CHECK-LABEL: isa.program @raw
// CHECK:         isa.dma q0 signal <sbuf[0+16] +0
// CHECK:         isa.dma q1 signal <sbuf[0+16] +64
// CHECK:         isa.load_stationary pe wait [#isa.wait<q0, 1>] <sbuf
// CHECK:         isa.multiply_moving pe wait [#isa.wait<q1, 1>] signal
// CHECK:         isa.activation act wait [#isa.wait<pe, 1>] signal
// CHECK:         isa.dma q2 wait [#isa.wait<act, 1>] <hbm
isa.program @raw attributes {hbm_size = 4096 : i64} {
  isa.dma q0 <sbuf[0+16] +0 f32 [[4,1]]>, <hbm[0+16 x 4] +0 f32 [[4,1]]>
  isa.dma q1 <sbuf[0+16] +64 f32 [[8,1]]>, <hbm[0+16 x 1] +1024 f32 [[8,16]]>
  isa.load_stationary pe <sbuf[0+16] +0 f32 [[4,1]]>
  isa.multiply_moving pe <psum[0+4] +0 f32 [[8,1]]>, <sbuf[0+16] +64 f32 [[8,1]]> start
  isa.activation act identity <sbuf[0+4] +128 f32 [[8,1]]>, <psum[0+4] +0 f32 [[8,1]]>
  isa.dma q2 <hbm[0+4 x 1] +2048 f32 [[8,4]]>, <sbuf[0+4] +128 f32 [[8,1]]>
}

// -----

// Tests write-after-read: reusing an SBUF buffer for a new load waits until
// the engine that read it is done; independent buffers need no wait.
// CHECK-LABEL: isa.program @war
// CHECK:         isa.dma q0 signal <sbuf[0+8] +0
// CHECK:         isa.tensor_scalar dve wait [#isa.wait<q0, 1>] signal
// CHECK:         isa.dma q1 <sbuf[0+8] +256
// CHECK:         isa.dma q2 wait [#isa.wait<dve, 1>] <sbuf[0+8] +0
isa.program @war attributes {hbm_size = 4096 : i64} {
  isa.dma q0 <sbuf[0+8] +0 f32 [[16,1]]>, <hbm[0+8 x 16] +0 f32 [[16,1]]>
  isa.tensor_scalar dve mult 2.0, bypass 0.0 <sbuf[0+8] +128 f32 [[16,1]]>, <sbuf[0+8] +0 f32 [[16,1]]>
  isa.dma q1 <sbuf[0+8] +256 f32 [[16,1]]>, <hbm[0+8 x 16] +512 f32 [[16,1]]>
  isa.dma q2 <sbuf[0+8] +0 f32 [[16,1]]>, <hbm[0+8 x 16] +1024 f32 [[16,1]]>
}

// -----

// Tests that instructions on one queue are not made to wait on each other.
// CHECK-LABEL: isa.program @same_queue
// CHECK-NOT:     wait
isa.program @same_queue attributes {hbm_size = 4096 : i64} {
  isa.memset dve <sbuf[0+8] +0 f32 [[16,1]]>, 1.0
  isa.tensor_scalar dve add 1.0, bypass 0.0 <sbuf[0+8] +0 f32 [[16,1]]>, <sbuf[0+8] +0 f32 [[16,1]]>
}

// -----

// Tests that a wait implied transitively is dropped: pool reads what q0
// wrote and what act wrote, but act already waited (through dve) for q0.
// CHECK-LABEL: isa.program @transitive
// CHECK:         isa.dma q0 signal
// CHECK:         isa.tensor_scalar dve wait [#isa.wait<q0, 1>] signal
// CHECK:         isa.tensor_scalar act wait [#isa.wait<dve, 1>] signal
// CHECK:         isa.tensor_tensor pool wait [#isa.wait<act, 1>] signal
// CHECK:         isa.dma q1 wait [#isa.wait<pool, 1>] <hbm
isa.program @transitive attributes {hbm_size = 4096 : i64} {
  isa.dma q0 <sbuf[0+8] +0 f32 [[16,1]]>, <hbm[0+8 x 16] +0 f32 [[16,1]]>
  isa.tensor_scalar dve mult 2.0, bypass 0.0 <sbuf[0+8] +128 f32 [[16,1]]>, <sbuf[0+8] +0 f32 [[16,1]]>
  isa.tensor_scalar act mult 2.0, bypass 0.0 <sbuf[0+8] +256 f32 [[16,1]]>, <sbuf[0+8] +128 f32 [[16,1]]>
  isa.tensor_tensor pool add <sbuf[0+8] +384 f32 [[16,1]]>, <sbuf[0+8] +256 f32 [[16,1]]>, <sbuf[0+8] +0 f32 [[16,1]]>
  isa.dma q1 <hbm[0+8 x 16] +1024 f32 [[16,1]]>, <sbuf[0+8] +384 f32 [[16,1]]>
}

// -----

// Tests write-after-read with readers on several queues: the overwriting
// load waits for every reader, its waits sorted by queue.
// CHECK-LABEL: isa.program @readers
// CHECK:         isa.dma q3 signal
// CHECK:         isa.tensor_scalar dve wait [#isa.wait<q3, 1>] signal
// CHECK:         isa.tensor_scalar act wait [#isa.wait<q3, 1>] signal
// CHECK:         isa.dma q2 wait [#isa.wait<q3, 1>] signal
// CHECK:         isa.dma q1 wait [#isa.wait<act, 1>, #isa.wait<dve, 1>, #isa.wait<q2, 1>] <sbuf
isa.program @readers attributes {hbm_size = 4096 : i64} {
  isa.dma q3 <sbuf[0+8] +0 f32 [[16,1]]>, <hbm[0+8 x 16] +0 f32 [[16,1]]>
  isa.tensor_scalar dve mult 2.0, bypass 0.0 <sbuf[0+8] +128 f32 [[16,1]]>, <sbuf[0+8] +0 f32 [[16,1]]>
  isa.tensor_scalar act mult 2.0, bypass 0.0 <sbuf[0+8] +256 f32 [[16,1]]>, <sbuf[0+8] +0 f32 [[16,1]]>
  isa.dma q2 <hbm[0+8 x 16] +1024 f32 [[16,1]]>, <sbuf[0+8] +0 f32 [[16,1]]>
  isa.dma q1 <sbuf[0+8] +0 f32 [[16,1]]>, <hbm[0+8 x 16] +2048 f32 [[16,1]]>
}

// -----

// Tests that an accumulating multiply_moving (no start) reads its PSUM
// destination, and that a queue never re-waits for what it already waited for.
// CHECK-LABEL: isa.program @accumulate
// CHECK:         isa.memset dve signal <psum
// CHECK:         isa.load_stationary pe <sbuf
// CHECK:         isa.multiply_moving pe wait [#isa.wait<dve, 1>] signal
// CHECK:         isa.activation act wait [#isa.wait<pe, 1>] identity
// CHECK:         isa.memset act <psum
isa.program @accumulate attributes {hbm_size = 4096 : i64} {
  isa.memset dve <psum[0+4] +0 f32 [[8,1]]>, 0.0
  isa.load_stationary pe <sbuf[0+16] +0 f32 [[4,1]]>
  isa.multiply_moving pe <psum[0+4] +0 f32 [[8,1]]>, <sbuf[0+16] +64 f32 [[8,1]]>
  isa.activation act identity <sbuf[0+4] +128 f32 [[8,1]]>, <psum[0+4] +0 f32 [[8,1]]>
  isa.memset act <psum[0+4] +0 f32 [[8,1]]>, 0.0
}

// -----

// Tests HBM's 256-byte tracking chunks: a write of bytes 8000.. waits for
// q0's write of the whole range; a read of bytes 7936.. shares the write's
// chunk (7936-8191), so it waits for it (which implies q0); a read of the
// chunk just past q0's range waits for nothing.
// CHECK-LABEL: isa.program @hbm_chunks
// CHECK:         isa.dma q0 signal <hbm
// CHECK:         isa.dma q1 wait [#isa.wait<q0, 1>] signal <hbm
// CHECK:         isa.dma q2 wait [#isa.wait<q1, 1>] <sbuf
// CHECK:         isa.dma q3 <sbuf
isa.program @hbm_chunks attributes {hbm_size = 65536 : i64} {
  isa.dma q0 <hbm[0+1 x 1] +0 f32 [[2048,1]]>, <sbuf[0+1] +0 f32 [[2048,1]]>
  isa.dma q1 <hbm[0+1 x 1] +8000 f32 [[16,1]]>, <sbuf[0+1] +8192 f32 [[16,1]]>
  isa.dma q2 <sbuf[0+1] +16384 f32 [[16,1]]>, <hbm[0+1 x 1] +7936 f32 [[16,1]]>
  isa.dma q3 <sbuf[0+1] +16448 f32 [[16,1]]>, <hbm[0+1 x 1] +8192 f32 [[16,1]]>
}

// -----

// Tests that strided accesses are tracked by the rows they touch, not by
// their extent. A and B store two transposed 64-column tiles of a
// [4, 128] f32 tensor (rows of 256 bytes, 512 apart): A covers chunks
// 0 2 4 6, B chunks 1 3 5 7, so B does not wait for A. A read walking B's
// rows backwards (chunks 7 5 3 1) waits for B only. C stores a tile
// straddling both (bytes 128-383 of each row, chunks 0-7): it waits for A
// and for the read (which covers B).
// CHECK-LABEL: isa.program @hbm_strided_rows
// CHECK:         isa.dma q0 signal <hbm[0+64 x 1] +0
// CHECK:         isa.dma q1 signal <hbm[0+64 x 1] +256
// CHECK:         isa.dma q2 wait [#isa.wait<q1, 1>] signal <sbuf
// CHECK:         isa.dma q3 wait [#isa.wait<q0, 1>, #isa.wait<q2, 1>] <hbm[0+64 x 1] +128
isa.program @hbm_strided_rows attributes {hbm_size = 65536 : i64} {
  isa.dma q0 <hbm[0+64 x 1] +0 f32 [[4,128]]>, <sbuf[0+64] +0 f32 [[4,1]]>
  isa.dma q1 <hbm[0+64 x 1] +256 f32 [[4,128]]>, <sbuf[0+64] +64 f32 [[4,1]]>
  isa.dma q2 <sbuf[0+1] +1024 f32 [[4,16],[16,1]]>, <hbm[0+1 x 1] +1792 f32 [[4,-128],[16,1]]>
  isa.dma q3 <hbm[0+64 x 1] +128 f32 [[4,128]]>, <sbuf[0+64] +256 f32 [[4,1]]>
}
