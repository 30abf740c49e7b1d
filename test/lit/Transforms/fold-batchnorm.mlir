// RUN: trellis-opt %s --split-input-file --trellis-fold-batchnorm | FileCheck %s

// Tests that a batch norm folds into the preceding conv2d: with scale 2,
// var 3 and eps 1 the factor is 1, so the weights stay 0.5 and the bias
// becomes (1 - mean 4) * 1 + shift 1 = -2; the following relu then fuses.
// CHECK-LABEL: func.func @conv_bn_relu
// CHECK-SAME:    (%[[X:.+]]: tensor<1x2x4x4xf32>)
// CHECK-DAG:     %[[W:.+]] = graph.constant dense<5.000000e-01> : tensor<3x2x3x3xf32>
// CHECK-DAG:     %[[B:.+]] = graph.constant dense<-2.000000e+00> : tensor<3xf32>
// CHECK:         %[[C:.+]] = graph.conv2d %[[X]], %[[W]], %[[B]] {activation = #graph.activation<relu>, {{.*}}}
// CHECK-NOT:     graph.batch_norm
// CHECK-NOT:     graph.relu
// CHECK:         return %[[C]]
func.func @conv_bn_relu(%x: tensor<1x2x4x4xf32>) -> tensor<1x3x4x4xf32> {
  %w = graph.constant dense<0.5> : tensor<3x2x3x3xf32>
  %b = graph.constant dense<1.0> : tensor<3xf32>
  %s = graph.constant dense<2.0> : tensor<3xf32>
  %sh = graph.constant dense<1.0> : tensor<3xf32>
  %m = graph.constant dense<4.0> : tensor<3xf32>
  %v = graph.constant dense<3.0> : tensor<3xf32>
  %c = graph.conv2d %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x2x4x4xf32>, tensor<3x2x3x3xf32>, tensor<3xf32>) -> tensor<1x3x4x4xf32>
  %n = graph.batch_norm %c, %s, %sh, %m, %v {epsilon = 1.0 : f32} : (tensor<1x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<1x3x4x4xf32>
  %r = graph.relu %n : (tensor<1x3x4x4xf32>) -> tensor<1x3x4x4xf32>
  return %r : tensor<1x3x4x4xf32>
}

// -----

// Tests per-channel folding without a conv bias: the factors
// scale / sqrt(var 0 + eps 0.0625) = [0.5, 1] * 4 = [2, 4] scale the weights
// of each output channel, and the bias is shift 0 - mean 2 * a.
// CHECK-LABEL: func.func @per_channel
// CHECK-DAG:     graph.constant dense<{{\[\[\[\[}}2.000000e+00]]], {{\[\[\[}}4.000000e+00]]]]> : tensor<2x1x1x1xf32>
// CHECK-DAG:     graph.constant dense<[-4.000000e+00, -8.000000e+00]> : tensor<2xf32>
// CHECK-NOT:     graph.batch_norm
func.func @per_channel(%x: tensor<1x1x2x2xf32>) -> tensor<1x2x2x2xf32> {
  %w = graph.constant dense<1.0> : tensor<2x1x1x1xf32>
  %s = graph.constant dense<[0.5, 1.0]> : tensor<2xf32>
  %sh = graph.constant dense<0.0> : tensor<2xf32>
  %m = graph.constant dense<2.0> : tensor<2xf32>
  %v = graph.constant dense<[0.0, 0.0]> : tensor<2xf32>
  %c = graph.conv2d %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : (tensor<1x1x2x2xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x2x2xf32>
  %n = graph.batch_norm %c, %s, %sh, %m, %v {epsilon = 0.0625 : f32} : (tensor<1x2x2x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
  return %n : tensor<1x2x2x2xf32>
}

// -----

// Tests that a batch norm after a rank-2 matmul with constant weights
// becomes a linear with scaled weights and a bias.
// CHECK-LABEL: func.func @matmul_bn
// CHECK-DAG:     %[[W:.+]] = graph.constant dense<{{\[\[}}2.000000e+00, 4.000000e+00]]> : tensor<1x2xf32>
// CHECK-DAG:     %[[B:.+]] = graph.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
// CHECK:         graph.linear %{{.+}}, %[[W]], %[[B]] : (tensor<3x1xf32>, tensor<1x2xf32>, tensor<2xf32>) -> tensor<3x2xf32>
// CHECK-NOT:     graph.batch_norm
func.func @matmul_bn(%x: tensor<3x1xf32>) -> tensor<3x2xf32> {
  %w = graph.constant dense<[[1.0, 2.0]]> : tensor<1x2xf32>
  %s = graph.constant dense<2.0> : tensor<2xf32>
  %sh = graph.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %m = graph.constant dense<0.0> : tensor<2xf32>
  %v = graph.constant dense<1.0> : tensor<2xf32>
  %p = graph.matmul %x, %w : (tensor<3x1xf32>, tensor<1x2xf32>) -> tensor<3x2xf32>
  %n = graph.batch_norm %p, %s, %sh, %m, %v {epsilon = 0.0 : f32} : (tensor<3x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<3x2xf32>
  return %n : tensor<3x2xf32>
}

// -----

// Tests that a batch norm stays when the conv result has another user.
// CHECK-LABEL: func.func @shared
// CHECK:         graph.conv2d
// CHECK:         graph.batch_norm
func.func @shared(%x: tensor<1x1x2x2xf32>) -> (tensor<1x1x2x2xf32>, tensor<1x1x2x2xf32>) {
  %w = graph.constant dense<1.0> : tensor<1x1x1x1xf32>
  %p = graph.constant dense<1.0> : tensor<1xf32>
  %c = graph.conv2d %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : (tensor<1x1x2x2xf32>, tensor<1x1x1x1xf32>) -> tensor<1x1x2x2xf32>
  %n = graph.batch_norm %c, %p, %p, %p, %p : (tensor<1x1x2x2xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x2x2xf32>
  return %c, %n : tensor<1x1x2x2xf32>, tensor<1x1x2x2xf32>
}

// -----

// Tests that a batch norm stays when the conv weights are not constants.
// CHECK-LABEL: func.func @computed_weights
// CHECK:         graph.batch_norm
func.func @computed_weights(%x: tensor<1x1x2x2xf32>, %w: tensor<1x1x1x1xf32>) -> tensor<1x1x2x2xf32> {
  %p = graph.constant dense<1.0> : tensor<1xf32>
  %c = graph.conv2d %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : (tensor<1x1x2x2xf32>, tensor<1x1x1x1xf32>) -> tensor<1x1x2x2xf32>
  %n = graph.batch_norm %c, %p, %p, %p, %p : (tensor<1x1x2x2xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x2x2xf32>
  return %n : tensor<1x1x2x2xf32>
}
