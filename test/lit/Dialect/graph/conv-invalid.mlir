// RUN: trellis-opt %s --split-input-file --verify-diagnostics

// Tests that a group that does not divide the channels is rejected.
func.func @conv_group(%x: tensor<1x4x8x8xf32>, %w: tensor<6x2x3x3xf32>) {
  // expected-error @+2 {{group 3 must divide the 4 input and 6 output channels}}
  // expected-error @+1 {{failed to infer returned types}}
  %c = graph.conv2d %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 3 : i64} : (tensor<1x4x8x8xf32>, tensor<6x2x3x3xf32>) -> tensor<1x6x6x6xf32>
  return
}

// -----

// Tests that weights whose input channels disagree with x are rejected.
func.func @conv_channels(%x: tensor<1x4x8x8xf32>, %w: tensor<6x3x3x3xf32>) {
  // expected-error @+2 {{w has 3 input channels per group, x has 4 in 1 groups}}
  // expected-error @+1 {{failed to infer returned types}}
  %c = graph.conv2d %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>, tensor<6x3x3x3xf32>) -> tensor<1x6x6x6xf32>
  return
}

// -----

// Tests that a kernel larger than the padded input is rejected.
func.func @conv_kernel(%x: tensor<1x4x2x2xf32>, %w: tensor<6x4x3x3xf32>) {
  // expected-error @+2 {{the dilated kernel is larger than the padded input}}
  // expected-error @+1 {{failed to infer returned types}}
  %c = graph.conv2d %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : (tensor<1x4x2x2xf32>, tensor<6x4x3x3xf32>) -> tensor<1x6x1x1xf32>
  return
}

// -----

// Tests that three pads are rejected.
func.func @conv_pads(%x: tensor<1x4x8x8xf32>, %w: tensor<6x4x3x3xf32>) {
  // expected-error @+2 {{needs 2 strides, 2 dilations and 4 pads}}
  // expected-error @+1 {{failed to infer returned types}}
  %c = graph.conv2d %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0>, dilations = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>, tensor<6x4x3x3xf32>) -> tensor<1x6x6x6xf32>
  return
}

// -----

// Tests that a bias of the wrong length is rejected.
func.func @conv_bias(%x: tensor<1x4x8x8xf32>, %w: tensor<6x4x3x3xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{bias must be [6]}}
  %c = graph.conv2d %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>, tensor<6x4x3x3xf32>, tensor<4xf32>) -> tensor<1x6x6x6xf32>
  return
}

// -----

// Tests that an output padding as large as the stride is rejected.
func.func @conv_transpose_output_padding(%x: tensor<1x4x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{output_padding [2, 0] must be smaller than the strides [2, 2] or dilations [1, 1]}}
  %t = graph.conv_transpose2d %x, %w {strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, output_padding = array<i64: 2, 0>} : (tensor<1x4x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x3x19x17xf32>
  return
}

// -----

// Tests that pooling pads as wide as the window are rejected.
func.func @pool_pads(%x: tensor<1x4x8x8xf32>) {
  // expected-error @+1 {{pads [3, 0, 0, 0] must be smaller than the window [3, 3]}}
  %m = graph.pool2d max %x {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, pads = array<i64: 3, 0, 0, 0>, dilations = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x9x6xf32>
  return
}

// -----

// Tests that count_include_pad is rejected on a max pool.
func.func @pool_count(%x: tensor<1x4x8x8xf32>) {
  // expected-error @+1 {{count_include_pad applies to average pooling only}}
  %m = graph.pool2d max %x {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, count_include_pad} : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32>
  return
}

// -----

// Tests that pooling a rank-3 tensor is rejected.
func.func @pool_rank(%x: tensor<1x4x8xf32>) {
  // expected-error @+2 {{x must be rank 4 [N, C, H, W]}}
  // expected-error @+1 {{failed to infer returned types}}
  %m = graph.pool2d max %x {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : (tensor<1x4x8xf32>) -> tensor<1x4x4xf32>
  return
}

// -----

// Tests that batch norm parameters must be one value per channel.
func.func @batch_norm_params(%x: tensor<1x4x8x8xf32>, %s: tensor<4xf32>, %m: tensor<3xf32>) {
  // expected-error @+1 {{mean must be [4]}}
  %n = graph.batch_norm %x, %s, %s, %m, %s : (tensor<1x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<3xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
  return
}

// -----

// Tests that a weight tensor with an empty dimension is rejected.
func.func @conv_empty(%x: tensor<1x4x8x8xf32>, %w: tensor<6x0x3x3xf32>) {
  // expected-error @+2 {{graph.conv2d: w has an empty dimension [6, 0, 3, 3]}}
  // expected-error @+1 {{failed to infer returned types}}
  %c = graph.conv2d %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>, tensor<6x0x3x3xf32>) -> tensor<1x6x6x6xf32>
  return
}

// -----

// Tests that a residual must have the result's shape.
func.func @residual_shape(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x1x1xf32>, %r: tensor<1x4x1x1xf32>) {
  // expected-error @+1 {{residual shape 'tensor<1x4x1x1xf32>' differs from the result's 'tensor<1x4x8x8xf32>'}}
  %c = graph.conv2d %x, %w residual %r {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>, tensor<4x4x1x1xf32>, tensor<1x4x1x1xf32>) -> tensor<1x4x8x8xf32>
  return
}

// -----

// Tests that a residual is f32 or the result's element type.
func.func @residual_type(%x: tensor<1x4x8x8xbf16>, %w: tensor<4x4x1x1xbf16>, %r: tensor<1x4x8x8xf16>) {
  // expected-error @+1 {{residual must be f32 or the result's element type, got 'tensor<1x4x8x8xf16>'}}
  %c = graph.conv2d %x, %w residual %r {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : (tensor<1x4x8x8xbf16>, tensor<4x4x1x1xbf16>, tensor<1x4x8x8xf16>) -> tensor<1x4x8x8xbf16>
  return
}
