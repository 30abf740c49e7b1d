// Tests --trellis-bind-kernels: each bindable graph op becomes a
// graph.kernel_call of the kernel traced for its operand types, with the
// reshapes and transposes the kernel's contract needs (docs/kernel-language.md).
// RUN: trellis-opt %s --split-input-file --trellis-bind-kernels="kernel=softmax=%S/../../../kernels/softmax.nki,layer_norm=%S/../../../kernels/layernorm.nki,matmul=%S/../../../kernels/matmul.nki,attention=%S/../../../kernels/attention.nki" | FileCheck %s

// Leading dims are flattened into the kernel's rows and restored after.
// CHECK-LABEL: func.func @softmax_rank3
// CHECK: %[[R:.*]] = graph.reshape %arg0 : (tensor<2x64x32xf32>) -> tensor<128x32xf32>
// CHECK: %[[K:.*]] = graph.kernel_call @softmax(%[[R]]) : (tensor<128x32xf32>) -> tensor<128x32xf32>
// CHECK: %[[B:.*]] = graph.reshape %[[K]] : (tensor<128x32xf32>) -> tensor<2x64x32xf32>
// CHECK: return %[[B]]
// CHECK: func.func private @softmax(%{{.*}}: memref<128x32xf32, #tile.mem<hbm>> {trellis.input = "x"}, %{{.*}}: memref<128x32xf32, #tile.mem<hbm>> {trellis.output = "out"}) attributes {trellis.kernel = "{{.*}}softmax.nki:softmax"}
// CHECK: tile.activation exp
func.func @softmax_rank3(%x: tensor<2x64x32xf32>) -> tensor<2x64x32xf32> {
  %y = graph.softmax %x axes = [2] : (tensor<2x64x32xf32>) -> tensor<2x64x32xf32>
  return %y : tensor<2x64x32xf32>
}

// -----

// Two calls with one signature share one traced function; a log-softmax is
// another function and stays.
// CHECK-LABEL: func.func @shared_and_log
// CHECK: graph.kernel_call @softmax(%arg0)
// CHECK: graph.kernel_call @softmax(%{{.*}})
// CHECK: graph.softmax %{{.*}} axes = [1] log
// CHECK-COUNT-1: func.func private
// CHECK-NOT: func.func private
func.func @shared_and_log(%x: tensor<128x16xf32>) -> tensor<128x16xf32> {
  %a = graph.softmax %x axes = [1] : (tensor<128x16xf32>) -> tensor<128x16xf32>
  %b = graph.softmax %a axes = [1] : (tensor<128x16xf32>) -> tensor<128x16xf32>
  %c = graph.softmax %b axes = [1] log : (tensor<128x16xf32>) -> tensor<128x16xf32>
  return %c : tensor<128x16xf32>
}

// -----

// A layer norm without scale and bias gets ones and zeros; epsilon becomes
// the kernel's eps parameter.
// CHECK-LABEL: func.func @layer_norm_defaults
// CHECK-DAG: %[[ONES:.*]] = graph.constant dense<1.000000e+00> : tensor<64xf32>
// CHECK-DAG: %[[ZEROS:.*]] = graph.constant dense<0.000000e+00> : tensor<64xf32>
// CHECK: graph.kernel_call @layernorm(%arg0, %[[ONES]], %[[ZEROS]]) : (tensor<128x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<128x64xf32>
// CHECK: func.func private @layernorm
func.func @layer_norm_defaults(%x: tensor<128x64xf32>) -> tensor<128x64xf32> {
  %y, %m, %r = graph.layer_norm %x axis = 1 epsilon = 1.0e-03 : (tensor<128x64xf32>) -> (tensor<128x64xf32>, tensor<128x1xf32>, tensor<128x1xf32>)
  return %y : tensor<128x64xf32>
}

// -----

// The matmul kernel takes the left operand transposed ([K, M]); a linear's
// bias and activation follow the call as graph ops.
// CHECK-LABEL: func.func @linear_bias_relu
// CHECK: %[[T:.*]] = graph.transpose %arg0 {perm = array<i64: 1, 0>} : (tensor<256x256xbf16>) -> tensor<256x256xbf16>
// CHECK: %[[K:.*]] = graph.kernel_call @matmul(%[[T]], %arg1) : (tensor<256x256xbf16>, tensor<256x1024xbf16>) -> tensor<256x1024xbf16>
// CHECK: %[[A:.*]] = graph.add %[[K]], %arg2
// CHECK: graph.relu %[[A]]
func.func @linear_bias_relu(%x: tensor<256x256xbf16>, %w: tensor<256x1024xbf16>, %b: tensor<1024xbf16>) -> tensor<256x1024xbf16> {
  %y = graph.linear %x, %w, %b {activation = #graph.activation<relu>} : (tensor<256x256xbf16>, tensor<256x1024xbf16>, tensor<1024xbf16>) -> tensor<256x1024xbf16>
  return %y : tensor<256x1024xbf16>
}

// -----

// Attention: one call per head on slices of q, k, v (q and k transposed to
// [D, S]), with scale and causal as scalars; the heads concatenate back.
// CHECK-LABEL: func.func @attention_heads
// CHECK: %[[Q0:.*]] = graph.slice %arg0 {starts = array<i64: 0, 0, 0>, steps = array<i64: 1, 1, 1>} : (tensor<2x128x64xf32>) -> tensor<1x128x64xf32>
// CHECK: %[[Q0T:.*]] = graph.transpose %{{.*}} {perm = array<i64: 1, 0>} : (tensor<128x64xf32>) -> tensor<64x128xf32>
// CHECK: %[[H0:.*]] = graph.kernel_call @attention(%[[Q0T]], %{{.*}}, %{{.*}}) : (tensor<64x128xf32>, tensor<64x128xf32>, tensor<128x64xf32>) -> tensor<128x64xf32>
// CHECK: graph.slice %arg0 {starts = array<i64: 1, 0, 0>
// CHECK: %[[H1:.*]] = graph.kernel_call @attention(
// CHECK: graph.concat %{{.*}}, %{{.*}} {axis = 0 : i64} : (tensor<1x128x64xf32>, tensor<1x128x64xf32>) -> tensor<2x128x64xf32>
// CHECK-COUNT-1: func.func private @attention
func.func @attention_heads(%q: tensor<2x128x64xf32>, %k: tensor<2x128x64xf32>, %v: tensor<2x128x64xf32>) -> tensor<2x128x64xf32> {
  %o = graph.attention %q, %k, %v scale = 1.250000e-01 causal : (tensor<2x128x64xf32>, tensor<2x128x64xf32>, tensor<2x128x64xf32>) -> tensor<2x128x64xf32>
  return %o : tensor<2x128x64xf32>
}

// -----

// Scalars are part of a trace's signature: two epsilons that print alike at
// six decimals still get two traced kernels.
// CHECK-LABEL: func.func @two_epsilons
// CHECK: graph.kernel_call @layernorm(
// CHECK: graph.kernel_call @layernorm_0(
// CHECK-COUNT-2: func.func private @layernorm
func.func @two_epsilons(%x: tensor<128x64xf32>) -> tensor<128x64xf32> {
  %y, %m, %r = graph.layer_norm %x axis = 1 epsilon = 1.0e-07 : (tensor<128x64xf32>) -> (tensor<128x64xf32>, tensor<128x1xf32>, tensor<128x1xf32>)
  %z, %m2, %r2 = graph.layer_norm %y axis = 1 epsilon = 1.0e-08 : (tensor<128x64xf32>) -> (tensor<128x64xf32>, tensor<128x1xf32>, tensor<128x1xf32>)
  return %z : tensor<128x64xf32>
}
