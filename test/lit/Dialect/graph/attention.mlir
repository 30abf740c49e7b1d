// RUN: trellis-opt %s --verify-roundtrip | FileCheck %s

// Tests that graph.attention prints and parses with and without a mask,
// causal, batch broadcasting, and narrow operands with an f32 result.
// CHECK-LABEL: func.func @attention
// CHECK:         graph.attention %arg0, %arg1, %arg2 scale = 1.250000e-01 causal : (tensor<2x4x16x8xf32>, tensor<1x4x16x8xf32>, tensor<1x4x16x8xf32>) -> tensor<2x4x16x8xf32>
// CHECK:         graph.attention %arg0, %arg1, %arg2 mask %arg3 scale = 1.000000e+00 : (tensor<2x4x16x8xf32>, tensor<1x4x16x8xf32>, tensor<1x4x16x8xf32>, tensor<16xf32>) -> tensor<2x4x16x8xf32>
// CHECK:         graph.attention %arg4, %arg4, %arg5 scale = 5.000000e-01 : (tensor<8x4xbf16>, tensor<8x4xbf16>, tensor<8x6xbf16>) -> tensor<8x6xf32>
func.func @attention(%q: tensor<2x4x16x8xf32>, %k: tensor<1x4x16x8xf32>, %v: tensor<1x4x16x8xf32>,
                     %m: tensor<16xf32>, %n: tensor<8x4xbf16>, %nv: tensor<8x6xbf16>) {
  %0 = graph.attention %q, %k, %v scale = 0.125 causal : (tensor<2x4x16x8xf32>, tensor<1x4x16x8xf32>, tensor<1x4x16x8xf32>) -> tensor<2x4x16x8xf32>
  %1 = graph.attention %q, %k, %v mask %m scale = 1.0 : (tensor<2x4x16x8xf32>, tensor<1x4x16x8xf32>, tensor<1x4x16x8xf32>, tensor<16xf32>) -> tensor<2x4x16x8xf32>
  %2 = graph.attention %n, %n, %nv scale = 0.5 : (tensor<8x4xbf16>, tensor<8x4xbf16>, tensor<8x6xbf16>) -> tensor<8x6xf32>
  return
}
