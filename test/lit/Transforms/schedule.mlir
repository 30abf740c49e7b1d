// RUN: trellis-opt %s --split-input-file --pass-pipeline='builtin.module(isa.program(trellis-schedule))' | FileCheck %s

// Tests that an engine does not wait on a late operand while independent
// work is ready: the memset (no inputs) moves ahead of the tensor_scalar
// that needs the 128 KiB load, so its own store starts early, and each
// chain keeps its order.
// CHECK-LABEL: isa.program @hoist
// CHECK:         isa.dma q0 <sbuf[0+128] +0
// CHECK:         isa.memset dve <sbuf[0+128] +2048
// CHECK:         isa.dma {{q[0-9]+}} <hbm[0+128 x 256] +262144
// CHECK:         isa.tensor_scalar dve
// CHECK-SAME:      <sbuf[0+128] +1024 f32 {{\[\[}}256,1]]>, <sbuf[0+128] +0 f32 {{\[\[}}256,1]]>
// CHECK:         isa.dma {{q[0-9]+}} <hbm[0+128 x 256] +131072
isa.program @hoist attributes {hbm_size = 393216 : i64} {
  isa.dma q0 <sbuf[0+128] +0 f32 [[256,1]]>, <hbm[0+128 x 256] +0 f32 [[256,1]]>
  isa.tensor_scalar dve mult 2.0, bypass 0.0 <sbuf[0+128] +1024 f32 [[256,1]]>, <sbuf[0+128] +0 f32 [[256,1]]>
  isa.dma q1 <hbm[0+128 x 256] +131072 f32 [[256,1]]>, <sbuf[0+128] +1024 f32 [[256,1]]>
  isa.memset dve <sbuf[0+128] +2048 f32 [[256,1]]>, 1.0
  isa.dma q2 <hbm[0+128 x 256] +262144 f32 [[256,1]]>, <sbuf[0+128] +2048 f32 [[256,1]]>
}

// -----

// Tests that the dependencies hold: the reader of the first load runs
// before the second load overwrites its buffer (write after read), and the
// store follows the instruction that wrote its source (read after write).
// CHECK-LABEL: isa.program @deps
// CHECK:         isa.dma {{q[0-9]+}} <sbuf[0+8] +0 f32 {{\[\[}}16,1]]>, <hbm[0+8 x 16] +0
// CHECK:         isa.tensor_scalar dve mult
// CHECK:         isa.dma {{q[0-9]+}} <sbuf[0+8] +0 f32 {{\[\[}}16,1]]>, <hbm[0+8 x 16] +1024
// CHECK:         isa.tensor_scalar dve add
// CHECK:         isa.dma {{q[0-9]+}} <hbm[0+8 x 16] +2048
isa.program @deps attributes {hbm_size = 4096 : i64} {
  isa.dma q0 <sbuf[0+8] +0 f32 [[16,1]]>, <hbm[0+8 x 16] +0 f32 [[16,1]]>
  isa.tensor_scalar dve mult 2.0, bypass 0.0 <sbuf[0+8] +128 f32 [[16,1]]>, <sbuf[0+8] +0 f32 [[16,1]]>
  isa.dma q1 <sbuf[0+8] +0 f32 [[16,1]]>, <hbm[0+8 x 16] +1024 f32 [[16,1]]>
  isa.tensor_scalar dve add 1.0, bypass 0.0 <sbuf[0+8] +128 f32 [[16,1]]>, <sbuf[0+8] +0 f32 [[16,1]]>
  isa.dma q2 <hbm[0+8 x 16] +2048 f32 [[16,1]]>, <sbuf[0+8] +128 f32 [[16,1]]>
}

// -----

// Tests that a load_stationary and its multiply_moving move as one unit:
// the second product, whose operands are on chip first, goes first, and
// each load_stationary is directly followed by its multiply_moving.
// CHECK-LABEL: isa.program @pe_units
// CHECK:         isa.load_stationary pe <sbuf[0+128] +131072
// CHECK-NEXT:    isa.multiply_moving pe <psum[0+128] +2048 f32 {{\[\[}}128,1]]>, <sbuf[0+128] +131328
// CHECK:         isa.load_stationary pe <sbuf[0+128] +0
// CHECK-NEXT:    isa.multiply_moving pe <psum[0+128] +0 f32 {{\[\[}}128,1]]>, <sbuf[0+128] +65536
isa.program @pe_units attributes {hbm_size = 33554432 : i64} {
  isa.dma q0 <sbuf[0+128] +0 bf16 [[32768,1]]>, <hbm[0+128 x 32768] +0 bf16 [[32768,1]]>
  isa.dma q1 <sbuf[0+128] +65536 bf16 [[128,1]]>, <hbm[0+128 x 128] +8388608 bf16 [[128,1]]>
  isa.load_stationary pe <sbuf[0+128] +0 bf16 [[128,1]]>
  isa.multiply_moving pe <psum[0+128] +0 f32 [[128,1]]>, <sbuf[0+128] +65536 bf16 [[128,1]]> start
  isa.memset dve <sbuf[0+128] +131072 bf16 [[128,1]]>, 1.0
  isa.memset dve <sbuf[0+128] +131328 bf16 [[128,1]]>, 2.0
  isa.load_stationary pe <sbuf[0+128] +131072 bf16 [[128,1]]>
  isa.multiply_moving pe <psum[0+128] +2048 f32 [[128,1]]>, <sbuf[0+128] +131328 bf16 [[128,1]]> start
}

// -----

// Tests that DMAs spread over the DMA queues: two independent loads given
// the same queue run on two, so their fixed latencies overlap.
// CHECK-LABEL: isa.program @dma_queues
// CHECK:         isa.dma q0 <sbuf[0+128] +0
// CHECK:         isa.dma q1 <sbuf[0+128] +1024
isa.program @dma_queues attributes {hbm_size = 262144 : i64} {
  isa.dma q0 <sbuf[0+128] +0 f32 [[256,1]]>, <hbm[0+128 x 256] +0 f32 [[256,1]]>
  isa.dma q0 <sbuf[0+128] +1024 f32 [[256,1]]>, <hbm[0+128 x 256] +131072 f32 [[256,1]]>
}

// -----

// Tests that a program already ordered by hand (it carries semaphores) is
// left as written.
// CHECK-LABEL: isa.program @synchronized
// CHECK:         isa.dma q0 signal <sbuf[0+128] +0
// CHECK-NEXT:    isa.tensor_scalar dve wait [#isa.wait<q0, 1>]
// CHECK-NEXT:    isa.memset dve
isa.program @synchronized attributes {hbm_size = 262144 : i64} {
  isa.dma q0 signal <sbuf[0+128] +0 f32 [[256,1]]>, <hbm[0+128 x 256] +0 f32 [[256,1]]>
  isa.tensor_scalar dve wait [#isa.wait<q0, 1>] mult 2.0, bypass 0.0 <sbuf[0+128] +1024 f32 [[256,1]]>, <sbuf[0+128] +0 f32 [[256,1]]>
  isa.memset dve <sbuf[0+128] +2048 f32 [[256,1]]>, 1.0
}

// -----

// Tests the priority of a load_stationary's operand: the longest path from
// it runs on through the multiply_moving that the stationary operand
// serves (they issue as one unit) to the activation, the long vector op and
// the store, so its 4 MiB load goes before the short chain's, though the
// program lists it last.
// CHECK-LABEL: isa.program @stationary_first
// CHECK:         isa.dma q0 <sbuf[0+128] +0 bf16 {{\[\[}}16384,1]]>
// CHECK-NEXT:    isa.dma q1 <sbuf[0+128] +65536
// CHECK-NEXT:    isa.dma q2 <sbuf[0+128] +32768
isa.program @stationary_first attributes {hbm_size = 33554432 : i64} {
  isa.dma q0 <sbuf[0+128] +32768 bf16 [[8192,1]]>, <hbm[0+128 x 8192] +8388608 bf16 [[8192,1]]>
  isa.dma q1 <sbuf[0+128] +65536 bf16 [[512,1]]>, <hbm[0+128 x 512] +4194304 bf16 [[512,1]]>
  isa.dma q2 <sbuf[0+128] +0 bf16 [[16384,1]]>, <hbm[0+128 x 16384] +0 bf16 [[16384,1]]>
  isa.tensor_scalar dve mult 2.0, bypass 0.0 <sbuf[0+128] +80000 bf16 [[64,1]]>, <sbuf[0+128] +32768 bf16 [[64,1]]>
  isa.dma q3 <hbm[0+128 x 64] +12582912 bf16 [[64,1]]>, <sbuf[0+128] +80000 bf16 [[64,1]]>
  isa.load_stationary pe <sbuf[0+128] +0 bf16 [[128,1]]>
  isa.multiply_moving pe <psum[0+128] +0 f32 [[512,1]]>, <sbuf[0+128] +65536 bf16 [[512,1]]> start
  isa.activation act exp <sbuf[0+128] +70000 f32 [[512,1]]>, <psum[0+128] +0 f32 [[512,1]]>
  isa.tensor_scalar dve mult 2.0, bypass 0.0 <sbuf[0+128] +100000 f32 [[8192,1]]>, <sbuf[0+128] +70000 f32 [[8192,0]]>
  isa.dma q4 <hbm[0+128 x 8192] +16777216 f32 [[8192,1]]>, <sbuf[0+128] +100000 f32 [[8192,1]]>
}

// -----

// Tests the program-order rule: two chains of two vector ops, each ending in
// a store, and a small load whose reader is listed first. By the longest
// path the second chain's first op would go before the first chain's
// second (breadth first); in program order the first chain runs to its end,
// so its store overlaps the second chain, which the timing model finds
// faster: that order is kept. The load's reader runs once its data is in.
// CHECK-LABEL: isa.program @chains_in_order
// CHECK:         isa.dma {{q[0-9]+}} <sbuf[0+128] +65536
// CHECK-NEXT:    isa.tensor_scalar dve  mult 2.000000e+00
// CHECK-NEXT:    isa.tensor_scalar dve  add 1.000000e+00
// CHECK-NEXT:    isa.tensor_scalar dve  mult 5.000000e+00
// CHECK-NEXT:    isa.dma {{q[0-9]+}} <hbm[0+128 x 2048] +0
// CHECK-NEXT:    isa.tensor_scalar dve  mult 3.000000e+00
// CHECK-NEXT:    isa.tensor_scalar dve  add 4.000000e+00
isa.program @chains_in_order attributes {hbm_size = 8388608 : i64} {
  isa.dma q2 <sbuf[0+128] +65536 f32 [[64,1]]>, <hbm[0+128 x 64] +4194304 f32 [[64,1]]>
  isa.tensor_scalar dve mult 5.0, bypass 0.0 <sbuf[0+128] +131072 f32 [[64,1]]>, <sbuf[0+128] +65536 f32 [[64,1]]>
  isa.tensor_scalar dve mult 2.0, bypass 0.0 <sbuf[0+128] +8192 f32 [[2048,1]]>, <sbuf[0+128] +0 f32 [[2048,1]]>
  isa.tensor_scalar dve add 1.0, bypass 0.0 <sbuf[0+128] +16384 f32 [[2048,1]]>, <sbuf[0+128] +8192 f32 [[2048,1]]>
  isa.dma q0 <hbm[0+128 x 2048] +0 f32 [[2048,1]]>, <sbuf[0+128] +16384 f32 [[2048,1]]>
  isa.tensor_scalar dve mult 3.0, bypass 0.0 <sbuf[0+128] +32768 f32 [[2048,1]]>, <sbuf[0+128] +24576 f32 [[2048,1]]>
  isa.tensor_scalar dve add 4.0, bypass 0.0 <sbuf[0+128] +40960 f32 [[2048,1]]>, <sbuf[0+128] +32768 f32 [[2048,1]]>
  isa.dma q1 <hbm[0+128 x 2048] +1048576 f32 [[2048,1]]>, <sbuf[0+128] +40960 f32 [[2048,1]]>
}
