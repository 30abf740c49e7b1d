// Tests graph.kernel_call: its verifier (the bind-time contract) and its
// lowering, which inlines the traced kernel with the kernel's source line
// first in each op's location, and drops the kernel function.
// RUN: trellis-opt %s --split-input-file --verify-diagnostics --convert-graph-to-tile --mlir-print-debuginfo | FileCheck %s

// CHECK-LABEL: func.func @main
// CHECK: %[[T:.*]] = tile.alloc : memref<128x8xf32, #tile.mem<sbuf>> loc(#[[L1:loc[0-9]+]])
// CHECK: tile.load %[[T]] {{.*}}, %arg0
// CHECK: tile.activation  exp
// CHECK: tile.store %arg1
// CHECK-NOT: func.func
// CHECK-DAG: #[[F1:loc[0-9]+]] = loc("k.nki":3:9)
// CHECK-DAG: #[[N:loc[0-9]+]] = loc("node")
// CHECK-DAG: #[[L1]] = loc(fused<"graph.kernel_call">[#[[F1]], #[[N]]])
func.func @main(%x: tensor<128x8xf32> {trellis.name = "x"}) -> (tensor<128x8xf32> {trellis.name = "y"}) {
  %y = graph.kernel_call @k(%x) : (tensor<128x8xf32>) -> tensor<128x8xf32> loc("node")
  return %y : tensor<128x8xf32>
}
func.func private @k(%a: memref<128x8xf32, #tile.mem<hbm>>, %o: memref<128x8xf32, #tile.mem<hbm>>) attributes {trellis.kernel = "k.nki:k"} {
  %t = tile.alloc : memref<128x8xf32, #tile.mem<sbuf>> loc("k.nki":3:9)
  tile.load %t <[0+128] +0 [[8,1]]>, %a <[0+128 x 8] +0 [[8,1]]> : memref<128x8xf32, #tile.mem<sbuf>>, memref<128x8xf32, #tile.mem<hbm>> loc("k.nki":3:9)
  %e = tile.alloc : memref<128x8xf32, #tile.mem<sbuf>> loc("k.nki":4:9)
  tile.activation exp %e <[0+128] +0 [[8,1]]>, %t <[0+128] +0 [[8,1]]> : memref<128x8xf32, #tile.mem<sbuf>>, memref<128x8xf32, #tile.mem<sbuf>> loc("k.nki":4:9)
  tile.store %o <[0+128 x 8] +0 [[8,1]]>, %e <[0+128] +0 [[8,1]]> : memref<128x8xf32, #tile.mem<hbm>>, memref<128x8xf32, #tile.mem<sbuf>> loc("k.nki":5:5)
  return
}

// -----

func.func @wrong_shape(%x: tensor<64x8xf32>) -> tensor<64x8xf32> {
  // expected-error @below {{'graph.kernel_call' op input 0 has type 'tensor<64x8xf32>' but the kernel's buffer is 'memref<128x8xf32, #tile.mem<hbm>>'}}
  %y = graph.kernel_call @k(%x) : (tensor<64x8xf32>) -> tensor<64x8xf32>
  return %y : tensor<64x8xf32>
}
func.func private @k(%a: memref<128x8xf32, #tile.mem<hbm>>, %o: memref<64x8xf32, #tile.mem<hbm>>) attributes {trellis.kernel = "k.nki:k"} {
  return
}

// -----

func.func @not_a_kernel(%x: tensor<64x8xf32>) -> tensor<64x8xf32> {
  // expected-error @below {{'graph.kernel_call' op callee @f is not a traced kernel}}
  %y = graph.kernel_call @f(%x) : (tensor<64x8xf32>) -> tensor<64x8xf32>
  return %y : tensor<64x8xf32>
}
func.func private @f(%a: memref<64x8xf32, #tile.mem<hbm>>, %o: memref<64x8xf32, #tile.mem<hbm>>) {
  return
}

// -----

func.func @missing(%x: tensor<64x8xf32>) -> tensor<64x8xf32> {
  // expected-error @below {{'graph.kernel_call' op callee @nothing is not a function of this module}}
  %y = graph.kernel_call @nothing(%x) : (tensor<64x8xf32>) -> tensor<64x8xf32>
  return %y : tensor<64x8xf32>
}

// -----

func.func @arity(%x: tensor<64x8xf32>) -> tensor<64x8xf32> {
  // expected-error @below {{'graph.kernel_call' op callee @k takes 3 buffers; the call has 1 inputs and 1 results}}
  %y = graph.kernel_call @k(%x) : (tensor<64x8xf32>) -> tensor<64x8xf32>
  return %y : tensor<64x8xf32>
}
func.func private @k(%a: memref<64x8xf32, #tile.mem<hbm>>, %b: memref<64x8xf32, #tile.mem<hbm>>, %o: memref<64x8xf32, #tile.mem<hbm>>) attributes {trellis.kernel = "k.nki:k"} {
  return
}
