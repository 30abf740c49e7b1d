// RUN: trellis-opt %s --verify-roundtrip | FileCheck %s

// Tests that the conv-family ops print and parse back.
// CHECK-LABEL: func.func @conv_ops
func.func @conv_ops(%x: tensor<1x4x8x8xf32>, %w: tensor<6x2x3x3xf32>, %b: tensor<6xf32>,
                    %wt: tensor<4x3x3x3xf32>, %s: tensor<4xf32>) -> tensor<1x4x8x8xf32> {
  // CHECK: graph.conv2d %{{.+}}, %{{.+}}, %{{.+}} {activation = #graph.activation<relu>, dilations = array<i64: 1, 1>, group = 2 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x4x8x8xf32>, tensor<6x2x3x3xf32>, tensor<6xf32>) -> tensor<1x6x4x4xf32>
  %c = graph.conv2d %x, %w, %b {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 2 : i64, activation = #graph.activation<relu>} : (tensor<1x4x8x8xf32>, tensor<6x2x3x3xf32>, tensor<6xf32>) -> tensor<1x6x4x4xf32>
  // CHECK: graph.conv2d %{{.+}}, %{{.+}} residual %{{.+}} {dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>, tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %wr = graph.constant dense<1.0> : tensor<4x4x3x3xf32>
  %rc = graph.conv2d %x, %wr residual %x {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>, tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  // CHECK: graph.conv2d %{{.+}}, %{{.+}}, %{{.+}} residual %{{.+}} {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xbf16>, tensor<4x4x1x1xbf16>, tensor<4xf32>, tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xbf16>
  %xb = graph.cast %rc : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xbf16>
  %wb = graph.constant dense<1.0> : tensor<4x4x1x1xbf16>
  %bb = graph.conv2d %xb, %wb, %s residual %rc {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : (tensor<1x4x8x8xbf16>, tensor<4x4x1x1xbf16>, tensor<4xf32>, tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xbf16>
  // CHECK: graph.conv_transpose2d %{{.+}}, %{{.+}} {dilations = array<i64: 1, 1>, output_padding = array<i64: 1, 0>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x4x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x3x18x17xf32>
  %t = graph.conv_transpose2d %x, %wt {strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, output_padding = array<i64: 1, 0>} : (tensor<1x4x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x3x18x17xf32>
  // CHECK: graph.pool2d  max %{{.+}} {ceil_mode, dilations = array<i64: 1, 1>, kernel = array<i64: 3, 3>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32>
  %m = graph.pool2d max %x {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, ceil_mode} : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32>
  // CHECK: graph.pool2d  avg %{{.+}} {count_include_pad, dilations = array<i64: 1, 1>, kernel = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %a = graph.pool2d avg %x {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, count_include_pad} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  // CHECK: graph.batch_norm %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} {epsilon = 1.000000e-03 : f32} : (tensor<1x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
  %n = graph.batch_norm %a, %s, %s, %s, %s {epsilon = 1.0e-3 : f32} : (tensor<1x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
  return %n : tensor<1x4x8x8xf32>
}
