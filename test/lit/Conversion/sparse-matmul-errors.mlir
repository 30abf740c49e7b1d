// RUN: trellis-opt %s --split-input-file --convert-graph-to-tile --verify-diagnostics

// Tests that a weight marked sparse that is not (hand-edited IR) is an error.
func.func @not_sparse(%x: tensor<4x8xf32> {trellis.name = "x"}) -> (tensor<4x2xf32> {trellis.name = "y"}) {
  %w = graph.constant dense<1.0> : tensor<8x2xf32>
  // expected-error @+1 {{weight is not 2:4 sparse along K}}
  %y = graph.linear %x, %w {trellis.sparsity = "2:4"} : (tensor<4x8xf32>, tensor<8x2xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

// Tests that a marked op needs a constant weight.
func.func @not_constant(%x: tensor<4x8xf32> {trellis.name = "x"}, %w: tensor<8x2xf32> {trellis.name = "w"}) -> (tensor<4x2xf32> {trellis.name = "y"}) {
  // expected-error @+1 {{trellis.sparsity needs a constant 2-D float weight}}
  %y = graph.linear %x, %w {trellis.sparsity = "2:4"} : (tensor<4x8xf32>, tensor<8x2xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

// Tests that a convolution marked sparse whose weight is not is an error
// naming the output channel.
func.func @conv_not_sparse(%x: tensor<1x4x2x2xf32> {trellis.name = "x"}) -> (tensor<1x2x2x2xf32> {trellis.name = "y"}) {
  %w = graph.constant dense<[[[[1.0]], [[0.0]], [[2.0]], [[0.0]]], [[[1.0]], [[2.0]], [[3.0]], [[0.0]]]]> : tensor<2x4x1x1xf32>
  // expected-error @+1 {{weight is not 2:4 sparse along C (output channel 1)}}
  %y = graph.conv2d %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64, trellis.sparsity = "2:4"} : (tensor<1x4x2x2xf32>, tensor<2x4x1x1xf32>) -> tensor<1x2x2x2xf32>
  return %y : tensor<1x2x2x2xf32>
}

// -----

// Tests that a grouped convolution cannot be marked sparse.
func.func @conv_grouped(%x: tensor<1x8x2x2xf32> {trellis.name = "x"}) -> (tensor<1x2x2x2xf32> {trellis.name = "y"}) {
  %w = graph.constant dense<0.0> : tensor<2x4x1x1xf32>
  // expected-error @+1 {{trellis.sparsity needs group 1, not 2}}
  %y = graph.conv2d %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 2 : i64, trellis.sparsity = "2:4"} : (tensor<1x8x2x2xf32>, tensor<2x4x1x1xf32>) -> tensor<1x2x2x2xf32>
  return %y : tensor<1x2x2x2xf32>
}
